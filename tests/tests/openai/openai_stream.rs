//! Issue 3: streaming behaviour of `/v1/chat/completions` against the real binary: 50
//! concurrent streams, an exact SSE transcript (snapshot), failures after the first byte,
//! and a client disconnect that drops the upstream request at once.

use crate::openai_support;

use std::path::PathBuf;
use std::time::Duration;

use async_openai::types::CreateChatCompletionRequest;
use futures::StreamExt;
use kiro_gateway_tests::fake::{FakeConfig, Script, Transport};
use kiro_gateway_tests::harness::Harness;
use openai_support::*;
use serde_json::{json, Value};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_streams_get_exactly_their_own_content() {
    // Random TCP write sizes upstream, so frames are split everywhere.
    let cfg = FakeConfig {
        default_transport: Transport::chaos(7),
        ..FakeConfig::default()
    };
    let r = Harness::process().fake_config(cfg).start().await;
    let client = sdk_client(&r);
    let expected = |i: usize| {
        format!(
            "stream {i:02}: {} — ünïcödé {i} 😀 end {i}",
            (0..20)
                .map(|k| format!("w{i}_{k}"))
                .collect::<Vec<_>>()
                .join(" ")
        )
    };
    let tasks = (0..50).map(|i| {
        let client = client.clone();
        let text = expected(i);
        async move {
            let request: CreateChatCompletionRequest = serde_json::from_value(json!({
                "model": "claude-sonnet-4-5",
                "messages": [{"role": "user", "content": text}],
                "stream": true,
                "stream_options": {"include_usage": true}
            }))
            .unwrap();
            let mut stream = client.chat().create_stream(request).await.unwrap();
            let mut got = String::new();
            let mut usage = None;
            while let Some(chunk) = stream.next().await {
                let chunk = chunk.unwrap_or_else(|e| panic!("stream {i}: {e}"));
                for choice in &chunk.choices {
                    got.push_str(choice.delta.content.as_deref().unwrap_or(""));
                }
                if chunk.usage.is_some() {
                    usage = chunk.usage;
                }
            }
            (i, got, usage)
        }
    });
    let results = futures::future::join_all(tasks).await;
    for (i, got, usage) in results {
        assert_eq!(got, expected(i), "stream {i} got someone else's content");
        assert!(usage.is_some(), "stream {i} has its usage chunk");
    }
    assert_eq!(r.fake.chat_calls(), 50);

    // 50 distinct scripts (FIFO, so which request gets which is up to the scheduler): every
    // stream must carry exactly one whole script, and every script must be seen once.
    let scripted = |k: usize| -> Vec<String> { (0..8).map(|c| format!("[s{k:02}c{c}]")).collect() };
    for k in 0..50 {
        let parts = scripted(k);
        let refs: Vec<&str> = parts.iter().map(String::as_str).collect();
        r.fake.push_script(Script::new().texts(&refs).trailers());
    }
    let tasks = (0..50).map(|_| {
        let client = client.clone();
        async move {
            let request: CreateChatCompletionRequest = serde_json::from_value(json!({
                "model": "claude-sonnet-4-5",
                "messages": [{"role": "user", "content": "scripted"}],
                "stream": true
            }))
            .unwrap();
            let mut stream = client.chat().create_stream(request).await.unwrap();
            let mut got = String::new();
            while let Some(chunk) = stream.next().await {
                for choice in &chunk.unwrap().choices {
                    got.push_str(choice.delta.content.as_deref().unwrap_or(""));
                }
            }
            got
        }
    });
    let mut seen: Vec<String> = futures::future::join_all(tasks).await;
    seen.sort();
    let mut all: Vec<String> = (0..50).map(|k| scripted(k).concat()).collect();
    all.sort();
    assert_eq!(seen, all, "each stream carries one whole script");
}

fn snapshot_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("snapshots")
        .join(name)
}

/// The transcript byte for byte, with the volatile parts (the `chatcmpl-…` id, `created`)
/// replaced; each chunk is checked to carry the same id and time.
fn normalise(transcript: &str) -> String {
    let events = parse_sse(transcript);
    let first: Value = serde_json::from_str(&events[0]).unwrap();
    let id = first["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("chatcmpl-") && id.len() > 20, "{id}");
    let created = first["created"].as_u64().unwrap();
    assert!(created > 1_600_000_000);
    for event in events.iter().filter(|e| e.as_str() != "[DONE]") {
        let chunk: Value = serde_json::from_str(event).unwrap();
        assert_eq!(chunk["id"], id.as_str(), "one id per stream");
        assert_eq!(chunk["created"], created, "one timestamp per stream");
    }
    transcript
        .replace(&id, "chatcmpl-<id>")
        .replace(&format!("\"created\":{created}"), "\"created\":0")
}

/// Compare with the committed snapshot; `UPDATE_SNAPSHOTS=1` writes it instead.
fn assert_snapshot(name: &str, actual: &str) {
    let path = snapshot_path(name);
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (run with UPDATE_SNAPSHOTS=1 to create it)",
            path.display()
        )
    });
    assert!(
        expected == actual,
        "SSE transcript differs from {} (rerun with UPDATE_SNAPSHOTS=1 to accept)\n--- expected\n{expected}\n--- actual\n{actual}",
        path.display()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn tool_call_stream_transcript_matches_the_snapshot() {
    let r = start(&[]).await;
    r.fake.push_script(
        Script::new()
            .text("Checking")
            .text(" the weather.")
            .tool_call(
                "get_weather",
                "tooluse_snap01",
                r#"{"city":"Paris","days":2}"#,
                3,
            )
            .metadata(120, 30, "TOOL_USE"),
    );
    let response = r
        .post_chat(&json!({
            "model": "claude-sonnet-4-5",
            "stream": true,
            "stream_options": {"include_usage": true},
            "messages": [{"role": "user", "content": "weather?"}],
            "tools": [{"type": "function", "function": {
                "name": "get_weather",
                "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}
            }}]
        }))
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    let transcript = sse_text(response).await;
    assert_snapshot("openai_tool_call_stream.sse", &normalise(&transcript));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn failure_after_the_first_byte_is_an_error_event_then_done() {
    let r = start(&[]).await;
    let body = json!({"model": "claude-sonnet-4-5", "stream": true,
                      "messages": [{"role": "user", "content": "go"}]});
    let cases = [
        (
            "exception",
            Script::new()
                .text("partial ")
                .text("answer")
                .exception("InternalServerException", "boom"),
        ),
        (
            "abrupt close",
            Script::new().text("partial answer").close_mid_frame("cut"),
        ),
        (
            "throttled mid-stream",
            Script::new()
                .text("partial answer")
                .exception("ThrottlingException", "slow down"),
        ),
    ];
    for (name, script) in cases {
        r.fake.push_script(script);
        let response = r.post_chat(&body).await;
        assert_eq!(response.status(), 200, "{name}: the 200 was already sent");
        let data = sse_data(response).await;
        assert_eq!(
            data.last().map(String::as_str),
            Some("[DONE]"),
            "{name}: {data:?}"
        );
        let chunks = json_chunks(&data);
        let error = chunks.last().unwrap();
        let parsed: async_openai::error::WrappedError = serde_json::from_value(error.clone())
            .unwrap_or_else(|e| {
                panic!("{name}: the error event is an OpenAI error: {error} ({e})")
            });
        assert!(!parsed.error.message.is_empty());
        for key in ["message", "type", "param", "code"] {
            assert!(
                error["error"].get(key).is_some(),
                "{name}: {key} in {error}"
            );
        }
        assert!(
            chunks[..chunks.len() - 1]
                .iter()
                .all(|c| c.get("error").is_none()),
            "{name}: one error event"
        );
        assert_eq!(
            joined_delta(&chunks, "content"),
            "partial answer",
            "{name}: text before the failure is delivered"
        );
        assert!(
            chunks
                .iter()
                .all(|c| c["choices"][0]["finish_reason"].is_null()),
            "{name}: no finish_reason after a failure"
        );
    }

    // async-openai surfaces the error event as an error item, not a silent end.
    r.fake.push_script(
        Script::new()
            .text("partial")
            .exception("InternalServerException", "boom"),
    );
    let request: CreateChatCompletionRequest = serde_json::from_value(body.clone()).unwrap();
    let mut stream = sdk_client(&r).chat().create_stream(request).await.unwrap();
    let mut saw_error = false;
    while let Some(item) = stream.next().await {
        if item.is_err() {
            saw_error = true;
        }
    }
    assert!(saw_error);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn client_disconnect_drops_the_upstream_request_at_once() {
    let r = start(&[]).await;
    r.fake
        .push_script(Script::new().text("first words").stall());
    let response = r
        .post_chat(&json!({"model": "claude-sonnet-4-5", "stream": true,
                           "messages": [{"role": "user", "content": "long task"}]}))
        .await;
    assert_eq!(response.status(), 200);
    let mut body = response.bytes_stream();
    let first = body.next().await.unwrap().unwrap();
    assert!(String::from_utf8_lossy(&first).contains("first words"));
    assert_eq!(r.fake.chat_streams_closed_by_client(), 0, "still streaming");
    drop(body);
    assert!(
        eventually(Duration::from_secs(2), || r
            .fake
            .chat_streams_closed_by_client()
            == 1)
        .await,
        "the gateway closed its upstream connection when the client left"
    );

    // A non-streaming client that gives up while Kiro is still answering.
    r.fake.push_script(Script::new().text("slow").stall());
    let gave_up = reqwest::Client::new()
        .post(r.url("/v1/chat/completions"))
        .bearer_auth(&r.key)
        .timeout(Duration::from_millis(500))
        .json(&json!({"model": "claude-sonnet-4-5",
                      "messages": [{"role": "user", "content": "long task"}]}))
        .send()
        .await;
    assert!(gave_up.is_err(), "the client timed out");
    assert!(
        eventually(Duration::from_secs(2), || r
            .fake
            .chat_streams_closed_by_client()
            == 2)
        .await,
        "the upstream request of an abandoned non-streaming request is dropped too"
    );

    // The gateway keeps serving afterwards.
    let response = r
        .post_chat(&json!({"model": "claude-sonnet-4-5",
                           "messages": [{"role": "user", "content": "still there?"}]}))
        .await;
    assert_eq!(response.status(), 200);
}
