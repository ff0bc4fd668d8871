//! The desktop window's test chat (`kiro_gateway::loopback_chat`) against a real gateway on
//! loopback and the fake Kiro: the same key and pipeline a tool uses.

use crate::anthropic_common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use anthropic_common::{start, KEY, MODEL};
use kiro_gateway::loopback_chat::{stream_chat, CancellationToken, ChatEnd};
use kiro_gateway_tests::fake::Script;
use serde_json::{json, Value};

fn body(text: &str) -> Value {
    json!({ "model": MODEL, "messages": [{ "role": "user", "content": text }] })
}

#[tokio::test]
async fn a_streamed_answer_arrives_whole_with_usage_and_done() {
    let gw = start().await;
    let parts = ["Hel", "lo ", "wörld", " ", "6", "6", "6", "6"];
    gw.fake.push_script(Script::new().texts(&parts).trailers());
    let mut data = Vec::new();
    let end = stream_chat(
        &reqwest::Client::new(),
        &gw.base,
        Some(KEY),
        body("hi"),
        CancellationToken::new(),
        |d| data.push(d.to_owned()),
    )
    .await
    .expect("chat streams");
    assert_eq!(end, ChatEnd::Done);
    assert_eq!(data.last().map(String::as_str), Some("[DONE]"));
    let chunks: Vec<Value> = data[..data.len() - 1]
        .iter()
        .map(|d| serde_json::from_str(d).expect("each data is a JSON chunk"))
        .collect();
    let text: String = chunks
        .iter()
        .filter_map(|c| c["choices"][0]["delta"]["content"].as_str())
        .collect();
    assert_eq!(text, parts.concat());
    let usage = chunks
        .iter()
        .find(|c| c["usage"].is_object())
        .expect("usage chunk (include_usage is forced)");
    assert!(usage["usage"]["completion_tokens"].as_u64().unwrap() > 0);
    let sent = gw.fake.last_chat().expect("the request reached Kiro");
    assert_eq!(
        sent.current_user_message().unwrap()["content"],
        "hi",
        "the prompt went upstream unchanged"
    );
}

#[tokio::test]
async fn a_wrong_key_and_an_unknown_model_come_back_as_typed_errors() {
    let gw = start().await;
    let err = stream_chat(
        &reqwest::Client::new(),
        &gw.base,
        Some("kgw_wrong"),
        body("hi"),
        CancellationToken::new(),
        |_| {},
    )
    .await
    .unwrap_err();
    assert_eq!(err.status, 401);
    assert!(!err.message.is_empty() && !err.message.contains("kgw_wrong"));

    let mut model = body("hi");
    model["model"] = json!("claude-nonexistent-9");
    let err = stream_chat(
        &reqwest::Client::new(),
        &gw.base,
        Some(KEY),
        model,
        CancellationToken::new(),
        |_| {},
    )
    .await
    .unwrap_err();
    assert_eq!(err.status, 404, "{err:?}");
    assert_eq!(err.code.as_str(), "model_not_found");
    assert_eq!(gw.fake.chat_calls(), 0, "nothing went upstream");
}

#[tokio::test]
async fn nobody_listening_is_unreachable_not_a_panic() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let err = stream_chat(
        &reqwest::Client::new(),
        &format!("http://127.0.0.1:{port}"),
        Some(KEY),
        body("hi"),
        CancellationToken::new(),
        |_| {},
    )
    .await
    .unwrap_err();
    assert_eq!((err.status, err.code.as_str()), (0, "unreachable"));
}

#[tokio::test]
async fn stop_cancels_the_stream_and_the_upstream_call() {
    let gw = start().await;
    gw.fake.push_script(Script::new().text("first").stall());
    let cancel = CancellationToken::new();
    let seen = Arc::new(Mutex::new(Vec::<String>::new()));
    let task = {
        let (cancel, seen, base) = (cancel.clone(), seen.clone(), gw.base.clone());
        tokio::spawn(async move {
            stream_chat(
                &reqwest::Client::new(),
                &base,
                Some(KEY),
                body("hi"),
                cancel,
                |d| seen.lock().unwrap().push(d.to_owned()),
            )
            .await
        })
    };
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !seen.lock().unwrap().iter().any(|d| d.contains("first")) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "first delta never came"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    cancel.cancel();
    let end = tokio::time::timeout(Duration::from_secs(2), task)
        .await
        .expect("cancel returns at once")
        .unwrap()
        .unwrap();
    assert_eq!(end, ChatEnd::Cancelled);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while gw.state().metrics.snapshot().active_streams != 0
        || gw.fake.chat_streams_closed_by_client() == 0
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the gateway kept the stream (and Kiro's) open"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
