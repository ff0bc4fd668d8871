//! `GET /` (the address the banner prints) and `HEAD`, which Claude Code sends to the base
//! URL at start: both answer instead of 404.

mod anthropic_common;

use anthropic_common::start;
use serde_json::Value;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_root_answers_programs_browsers_and_head() {
    let gw = start().await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let root: Value = client
        .get(format!("{}/", gw.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(root["ui"], "/ui/");
    assert_eq!(root["openai_base_path"], "/v1");

    let browser = client
        .get(format!("{}/", gw.base))
        .header("accept", "text/html,application/xhtml+xml")
        .send()
        .await
        .unwrap();
    assert!(browser.status().is_redirection(), "{}", browser.status());
    assert_eq!(browser.headers()["location"], "/ui/");

    for path in ["/", "/health"] {
        let head = client
            .head(format!("{}{path}", gw.base))
            .send()
            .await
            .unwrap();
        assert_eq!(head.status(), 200, "HEAD {path}");
        assert!(
            head.bytes().await.unwrap().is_empty(),
            "HEAD {path} has no body"
        );
    }
}
