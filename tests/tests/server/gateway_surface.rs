//! Issue 14, item 9: `GET /` says where things are (JSON, or a page for a browser), `HEAD`
//! works wherever `GET` does (Claude Code sends `HEAD /` at start), and
//! `/v1/messages/count_tokens` calls appear in the request log. The real binary.

use crate::openai_support;

use std::time::Duration;

use openai_support::*;
use serde_json::{json, Value};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_root_points_at_the_ui_and_the_base_urls() {
    let r = start(&[]).await;
    let base = r.base.clone();
    let response = reqwest::get(r.url("/")).await.unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["name"], "kiro-gateway");
    assert_eq!(body["ui"], format!("{base}/ui/"));
    assert_eq!(body["openai_base_url"], format!("{base}/v1"));
    assert_eq!(body["anthropic_base_url"], base);
    assert_eq!(body["health"], format!("{base}/health"));

    let response = reqwest::Client::new()
        .get(r.url("/"))
        .header("accept", "text/html,application/xhtml+xml,*/*;q=0.8")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    assert!(response.headers().contains_key("content-security-policy"));
    let page = response.text().await.unwrap();
    assert!(page.contains(&format!(r#"href="{base}/ui/""#)), "{page}");
    assert!(page.contains(&format!("{base}/v1")), "{page}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn head_works_wherever_get_does() {
    let r = start(&[]).await;
    let http = reqwest::Client::new();
    for (path, keyed) in [
        ("/", false),
        ("/health", false),
        ("/ui/", false),
        ("/v1/models", true),
    ] {
        let mut request = http.head(r.url(path));
        if keyed {
            request = request.bearer_auth(&r.key);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 200, "HEAD {path}");
        assert!(response.headers().contains_key("x-request-id"), "{path}");
        assert!(response.bytes().await.unwrap().is_empty(), "HEAD {path}");
    }
    // Without the key a keyed route still says 401, as GET would.
    let response = http.head(r.url("/v1/models")).send().await.unwrap();
    assert_eq!(response.status(), 401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn count_tokens_calls_are_in_the_request_log() {
    let r = start(&[]).await;
    let response = r
        .post_raw(
            "/v1/messages/count_tokens",
            json!({"model": "claude-sonnet-4-5",
                   "messages": [{"role": "user", "content": "how many tokens is this?"}]})
            .to_string()
            .into_bytes(),
        )
        .await;
    assert_eq!(response.status(), 200);
    let id = response.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    let counted: Value = response.json().await.unwrap();
    let tokens = counted["input_tokens"].as_u64().expect("input_tokens");

    let mut row = None;
    for _ in 0..100 {
        let body: Value = r.get("/admin/requests").await.json().await.unwrap();
        row = body["requests"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["request_id"] == id.as_str())
            .cloned();
        if row.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let row = row.expect("a row for the count_tokens call");
    assert_eq!(row["method"], "POST");
    assert_eq!(row["route"], "/v1/messages/count_tokens");
    assert_eq!(row["status"], 200);
    assert_eq!(row["model"], "claude-sonnet-4-5");
    assert_eq!(row["input_tokens"], tokens);
    assert_eq!(r.fake.chat_calls(), 0, "counting sends nothing upstream");
}
