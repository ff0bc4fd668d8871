//! Kiro sometimes answers 200 and ends the stream without any content. Before anything
//! reached the client the gateway resends once; a second empty answer is an error in the
//! caller's dialect, and an empty answer Kiro explains (content filtered) is not resent.

use crate::anthropic_common;

use anthropic_common::{start, KEY};
use kiro_gateway_tests::fake::Script;
use serde_json::{json, Value};

async fn ask(gw: &anthropic_common::Gw, anthropic: bool, stream: bool) -> (u16, String) {
    let (path, body) = if anthropic {
        (
            "/v1/messages",
            json!({"model": "claude-sonnet-4-5", "max_tokens": 100, "stream": stream,
                   "messages": [{"role": "user", "content": "hi"}]}),
        )
    } else {
        (
            "/v1/chat/completions",
            json!({"model": "claude-sonnet-4.5", "stream": stream,
                   "messages": [{"role": "user", "content": "hi"}]}),
        )
    };
    let response = reqwest::Client::new()
        .post(format!("{}{path}", gw.base))
        .header("x-api-key", KEY)
        .header("anthropic-version", "2023-06-01")
        .json(&body)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_empty_answer_is_resent_and_two_are_an_error() {
    let gw = start().await;
    for anthropic in [false, true] {
        for stream in [false, true] {
            let before = gw.fake.chat_calls();
            gw.fake.push_script(Script::new());
            gw.fake
                .push_script(Script::new().text("second try").trailers());
            let (status, raw) = ask(&gw, anthropic, stream).await;
            assert_eq!(status, 200, "{raw}");
            assert!(raw.contains("second try"), "{raw}");
            assert_eq!(gw.fake.chat_calls() - before, 2);

            let before = gw.fake.chat_calls();
            gw.fake.push_script(Script::new());
            gw.fake.push_script(Script::new().trailers());
            let (status, raw) = ask(&gw, anthropic, stream).await;
            assert_eq!(status, 502, "a second empty answer is an error: {raw}");
            let body: Value = serde_json::from_str(&raw).unwrap();
            if anthropic {
                assert_eq!(body["type"], "error");
                assert_eq!(body["error"]["type"], "api_error");
            } else {
                assert_eq!(body["error"]["code"], "empty_answer");
            }
            assert_eq!(gw.fake.chat_calls() - before, 2, "resent once, not more");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_answer_kiro_explains_is_not_resent() {
    let gw = start().await;
    gw.fake.push_script(
        Script::new()
            .metadata(0, 0, "CONTENT_FILTERED")
            .context_usage(30.0)
            .metering(0.0),
    );
    let (status, raw) = ask(&gw, false, false).await;
    assert_eq!(status, 200, "{raw}");
    let body: Value = serde_json::from_str(&raw).unwrap();
    assert_eq!(body["choices"][0]["finish_reason"], "content_filter");
    assert_eq!(gw.fake.chat_calls(), 1);
}
