//! Credits Kiro charged (its `meteringEvent`s), request by request: in every dialect's usage
//! object (`kiro_credits`), on the request rows, summed per day in `GET /v1/usage` (with the
//! account's own numbers), and kept across a restart in the credits file.

use crate::anthropic_common;

use std::path::Path;
use std::time::Duration;

use anthropic_common::*;
use kiro_gateway_tests::fake::{Script, Trailers};
use serde_json::{json, Value};

fn charged(credits: f64) -> Script {
    Script::new()
        .text("Charged answer.")
        .trailers_as(Trailers::December, 2.0, credits)
}

/// `GET path` with the key: the JSON of a 200.
async fn get_json(gw: &Gw, path: &str) -> Value {
    let response = reqwest::Client::new()
        .get(format!("{}{path}", gw.base))
        .bearer_auth(KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

async fn usage_endpoint(gw: &Gw) -> Value {
    get_json(gw, "/v1/usage").await
}

fn credits_file(dir: &Path) -> std::path::PathBuf {
    dir.join("data/credits.json")
}

async fn start_saving_to(dir: &Path) -> Gw {
    let file = credits_file(dir);
    start_with(move |config| config.credits_file = Some(file)).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_request_reports_its_credits_and_the_day_adds_them_up_across_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let gw = start_saving_to(dir.path()).await;

    // OpenAI, not streamed.
    gw.fake.push_script(charged(0.25));
    let chat = gw
        .post_anthropic(
            "/v1/chat/completions",
            &json!({"model": MODEL, "messages": [{"role": "user", "content": "one"}]}),
        )
        .await;
    assert_eq!(chat.status(), 200);
    let chat: Value = chat.json().await.unwrap();
    assert_eq!(chat["usage"]["kiro_credits"], 0.25, "{chat}");

    // Anthropic, streamed: the credits ride in message_delta's usage.
    gw.fake.push_script(charged(0.5));
    let (events, _) = read_sse(
        gw.messages(&json!({
            "model": MODEL, "max_tokens": 64, "stream": true,
            "messages": [{"role": "user", "content": "two"}],
        }))
        .await,
    )
    .await;
    let delta = events
        .iter()
        .find(|e| e.name == "message_delta")
        .expect("message_delta");
    assert_eq!(delta.data["usage"]["kiro_credits"], 0.5, "{:?}", delta.data);

    // Responses, not streamed.
    gw.fake.push_script(charged(1.0));
    let response = gw
        .post_anthropic("/v1/responses", &json!({"model": MODEL, "input": "three"}))
        .await;
    assert_eq!(response.status(), 200);
    let response: Value = response.json().await.unwrap();
    assert_eq!(response["usage"]["kiro_credits"], 1.0, "{response}");

    // A request Kiro did not charge carries no credits field (unknown is not zero).
    gw.fake.push_script(
        Script::new()
            .text("free")
            .trailers_as(Trailers::ContextOnly, 1.0, 0.0),
    );
    let free: Value = gw
        .post_anthropic(
            "/v1/chat/completions",
            &json!({"model": MODEL, "messages": [{"role": "user", "content": "four"}]}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert!(free["usage"].get("kiro_credits").is_none(), "{free}");

    // The request rows carry the same numbers.
    let rows = gw.state().logs.requests();
    let credits: Vec<Option<f64>> = rows.iter().map(|r| r.credits).collect();
    assert_eq!(credits, [Some(0.25), Some(0.5), Some(1.0), None]);

    // Today's and this month's totals, next to the account's own numbers.
    let usage = usage_endpoint(&gw).await;
    assert_eq!(usage["gateway"]["today"]["credits"], 1.75, "{usage}");
    assert_eq!(usage["gateway"]["today"]["requests"], 3);
    assert_eq!(usage["gateway"]["month"]["credits"], 1.75);
    assert_eq!(usage["gateway"]["days"].as_array().unwrap().len(), 30);
    assert_eq!(usage["account"]["limit"], 1000.0, "{usage}");
    assert_eq!(usage["account"]["unit"], "Credits");
    assert_eq!(gw.fake.credits_used("default"), 1.75);

    // The file holds them within moments; a new gateway on the same file starts from them.
    let file = credits_file(dir.path());
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    loop {
        let saved = std::fs::read_to_string(&file).unwrap_or_default();
        if saved.contains("1.75") {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "not saved: {saved:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    drop(gw);
    let again = start_saving_to(dir.path()).await;
    let usage = usage_endpoint(&again).await;
    assert_eq!(usage["gateway"]["today"]["credits"], 1.75, "{usage}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_usage_endpoint_needs_the_key() {
    let gw = start().await;
    let response = reqwest::Client::new()
        .get(format!("{}/v1/usage", gw.base))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
}

async fn admin_status(gw: &Gw) -> Value {
    get_json(gw, "/admin/status").await
}

fn ask() -> Value {
    json!({"model": MODEL, "max_tokens": 100, "messages": [{"role": "user", "content": "one"}]})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_daily_credit_cap_reports_its_thresholds_and_pauses_requests_only_when_asked() {
    use kiro_gateway::credit_caps::CreditCaps;
    for pause in [false, true] {
        let gw = start_with(move |c| {
            c.credit_caps = CreditCaps {
                daily: Some(1.0),
                monthly: None,
                pause,
            }
        })
        .await;
        // 0.5 → 50 %, +0.4 → 90 % (80 crossed), +0.2 → 110 %.
        for (credits, threshold) in [(0.5, json!(50)), (0.4, json!(80)), (0.2, json!(100))] {
            gw.fake.push_script(charged(credits));
            let answer = gw.post_anthropic("/v1/chat/completions", &ask()).await;
            assert_eq!(answer.status(), 200);
            let caps = &admin_status(&gw).await["credit_caps"];
            assert_eq!(caps["caps"][0]["period"], "daily");
            assert_eq!(caps["caps"][0]["threshold"], threshold, "{caps}");
        }
        let caps = admin_status(&gw).await["credit_caps"].clone();
        assert_eq!(caps["paused"], pause, "{caps}");

        let calls = gw.fake.chat_calls();
        let chat = gw.post_anthropic("/v1/chat/completions", &ask()).await;
        let messages = gw.messages(&ask()).await;
        if !pause {
            assert_eq!(chat.status(), 200, "reported, not enforced");
            assert_eq!(messages.status(), 200);
            assert_eq!(gw.fake.chat_calls(), calls + 2);
            continue;
        }
        for response in [chat, messages] {
            assert_eq!(response.status(), 429);
            assert_eq!(response.headers()["x-should-retry"], "false");
            let wait: u64 = response.headers()["retry-after"]
                .to_str()
                .unwrap()
                .parse()
                .unwrap();
            assert!(
                (1..=25 * 3600).contains(&wait),
                "until local midnight: {wait}"
            );
            let body: Value = response.json().await.unwrap();
            assert!(
                body["error"]["message"]
                    .as_str()
                    .unwrap()
                    .contains("daily credit cap"),
                "{body}"
            );
            assert!(
                body["error"]["code"] == "credit_cap_reached"
                    || body["error"]["type"] == "rate_limit_error",
                "{body}"
            );
        }
        assert_eq!(
            gw.fake.chat_calls(),
            calls,
            "nothing reaches Kiro while paused"
        );
    }
}
