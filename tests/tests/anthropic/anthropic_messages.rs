//! `/v1/messages` and `/v1/messages/count_tokens` against the fake Kiro, over raw HTTP:
//! text, tools, images, system blocks, thinking, stop sequences, max_tokens, usage, the
//! exact SSE transcript, mid-stream failures and client disconnects.

use crate::anthropic_common;

use std::time::Duration;

use anthropic_common::*;
use kiro_gateway::kiro::models::{context_window, resolve_model};
use kiro_gateway_tests::fake::{Endpoint, Script, Step};
use serde_json::{json, Value};

fn request(stream: bool, text: &str) -> Value {
    json!({
        "model": MODEL,
        "max_tokens": 1024,
        "stream": stream,
        "messages": [{"role": "user", "content": text}],
    })
}

fn window() -> u64 {
    context_window(&resolve_model(MODEL).upstream_id)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn non_streaming_text_has_the_exact_message_shape_and_upstream_usage() {
    let gw = start().await;
    gw.fake
        .push_script(Script::new().texts(&["Hello", ", ", "world"]).trailers());
    let (status, message) = gw.message_json(&request(false, "hi")).await;
    assert_eq!(status, 200, "{message}");
    assert!(message["id"].as_str().unwrap().starts_with("msg_"));
    assert_eq!(message["type"], "message");
    assert_eq!(message["role"], "assistant");
    assert_eq!(message["model"], MODEL);
    assert_eq!(
        message["content"],
        json!([{"type": "text", "text": "Hello, world"}])
    );
    assert_eq!(message["stop_reason"], "end_turn");
    assert_eq!(message["stop_sequence"], Value::Null);
    // 12.5 % of the window (contextUsageEvent) minus the output estimate (12 chars → 3).
    let total = (12.5 * window() as f64 / 100.0).floor() as u64;
    assert_eq!(
        message["usage"],
        json!({"input_tokens": total - 3, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0, "output_tokens": 3,
            "kiro_credits": 0.0148})
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metadata_event_token_counts_and_cache_counters_are_passed_through() {
    let gw = start().await;
    let payload = json!({"tokenUsage": {"uncachedInputTokens": 321, "outputTokens": 9,
        "totalTokens": 5330, "cacheReadInputTokens": 5000, "cacheWriteInputTokens": 0},
        "stopReason": "END_TURN"});
    gw.fake.push_script(
        Script::new()
            .text("cached")
            .step(Step::Event {
                event_type: "metadataEvent".into(),
                payload: payload.to_string(),
            })
            .trailers(),
    );
    let (events, _) = read_sse(gw.messages(&request(true, "hi")).await).await;
    let message = assemble(&events);
    assert_eq!(
        message["usage"],
        json!({"input_tokens": 321, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 5000, "output_tokens": 9,
            "kiro_credits": 0.0148})
    );
}

/// Replace the per-response random parts so the transcript is comparable.
fn normalise(raw: &str, id: &str, signature: &str) -> String {
    raw.replace(id, "msg_NORMALISED")
        .replace(signature, "sig_NORMALISED")
        .split("\n\n")
        .filter(|e| !e.starts_with("event: ping"))
        .collect::<Vec<_>>()
        .join("\n\n")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thinking_text_and_tool_use_stream_matches_the_snapshot() {
    let gw = start().await;
    gw.fake.push_script(
        Script::new()
            .texts(&[
                "<thin",
                "king>",
                "The user wants ",
                "the weather.</thi",
                "nking>\n\n",
            ])
            .texts(&["Let me ", "check."])
            .tool_call(
                "get_weather",
                "tooluse_snap01",
                r#"{"city":"Paris","units":"metric"}"#,
                3,
            )
            .trailers(),
    );
    let mut body = request(true, "Weather in Paris?");
    body["thinking"] = json!({"type": "enabled", "budget_tokens": 2048});
    body["tools"] = json!([{"name": "get_weather", "description": "Current weather",
        "input_schema": {"type": "object", "properties": {"city": {"type": "string"}, "units": {"type": "string"}}, "required": ["city"]}}]);
    let (events, raw) = read_sse(gw.messages(&body).await).await;
    let message = assemble(&events);
    let id = message["id"].as_str().unwrap().to_owned();
    let signature = message["content"][0]["signature"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        signature.starts_with("sig_") && signature.len() == 36,
        "{signature}"
    );
    let got = normalise(&raw, &id, &signature);
    let path = fixture_path("stream_thinking_text_tool_use.sse");
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&path, &got).unwrap();
    }
    let expected = std::fs::read_to_string(&path).expect("snapshot file");
    assert_eq!(
        got,
        expected,
        "SSE transcript differs from {}",
        path.display()
    );
    // The same facts, independent of the file.
    assert_eq!(
        message["content"][0]["thinking"],
        "The user wants the weather."
    );
    assert_eq!(
        message["content"][1],
        json!({"type": "text", "text": "Let me check."})
    );
    assert_eq!(
        message["content"][2],
        json!({"type": "tool_use", "id": "tooluse_snap01", "name": "get_weather", "input": {"city": "Paris", "units": "metric"}})
    );
    assert_eq!(message["stop_reason"], "tool_use");
    // Thinking was requested from Kiro in the system text.
    let sent = gw.fake.last_chat().unwrap().body;
    assert!(
        String::from_utf8_lossy(&sent).contains("<max_thinking_length>2048</max_thinking_length>")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tool_input_is_reassembled_exactly_streaming_and_not() {
    let gw = start().await;
    let args = r#"{"path":"/tmp/a b/\"q\".txt","content":"line1\nline2 \u00e9 你好 😀","n":[1,2.5,null,true],"nested":{"k":{}}}"#;
    for stream in [true, false] {
        gw.fake.push_script(
            Script::new()
                .tool_call_random("write_file", "tooluse_exact", args, 9, 7)
                .trailers(),
        );
        let mut body = request(stream, "write it");
        body["tools"] = json!([{"name": "write_file", "input_schema": {"type": "object"}}]);
        let message = if stream {
            let (events, _) = read_sse(gw.messages(&body).await).await;
            let fragments: String = events
                .iter()
                .filter_map(|e| e.data["delta"]["partial_json"].as_str())
                .collect();
            assert_eq!(
                fragments, args,
                "fragments concatenate to the exact arguments"
            );
            assemble(&events)
        } else {
            let (status, message) = gw.message_json(&body).await;
            assert_eq!(status, 200);
            message
        };
        let expected: Value = serde_json::from_str(args).unwrap();
        assert_eq!(message["content"][0]["input"], expected, "stream={stream}");
        assert_eq!(message["content"][0]["id"], "tooluse_exact");
        assert_eq!(message["stop_reason"], "tool_use");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn images_and_system_blocks_reach_kiro() {
    let gw = start().await;
    gw.fake
        .push_script(Script::new().text("A red dot.").trailers());
    // 1×1 PNG.
    let png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";
    let body = json!({
        "model": MODEL, "max_tokens": 100,
        "system": [
            {"type": "text", "text": "You describe images.", "cache_control": {"type": "ephemeral"}},
            {"type": "text", "text": "Answer in one sentence."}
        ],
        "messages": [{"role": "user", "content": [
            {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": png}},
            {"type": "text", "text": "What is this?", "cache_control": {"type": "ephemeral"}}
        ]}]
    });
    let (status, message) = gw.message_json(&body).await;
    assert_eq!(status, 200, "{message}");
    assert_eq!(message["content"][0]["text"], "A red dot.");
    let chat = gw.fake.last_chat().unwrap();
    let current = chat.current_user_message().unwrap().clone();
    let images = current["images"].as_array().expect("images sent");
    assert_eq!(images.len(), 1);
    assert_eq!(images[0]["format"], "png");
    assert_eq!(images[0]["source"]["bytes"], png);
    let sent = String::from_utf8_lossy(&chat.body).to_string();
    assert!(
        sent.contains("You describe images.\\n\\nAnswer in one sentence."),
        "{sent}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stop_sequences_and_max_tokens_are_enforced() {
    let gw = start().await;
    gw.fake.push_script(
        Script::new()
            .texts(&["one two ", "ST", "OP three"])
            .trailers(),
    );
    let mut body = request(true, "count");
    body["stop_sequences"] = json!(["STOP"]);
    let (events, _) = read_sse(gw.messages(&body).await).await;
    let message = assemble(&events);
    assert_eq!(message["content"][0]["text"], "one two ");
    assert_eq!(message["stop_reason"], "stop_sequence");
    assert_eq!(message["stop_sequence"], "STOP");

    gw.fake.push_script(
        Script::new()
            .texts(&["abcdefgh", "ijklmnop", "qrstuvwx"])
            .trailers(),
    );
    let mut body = request(false, "letters");
    body["max_tokens"] = json!(3);
    let (status, message) = gw.message_json(&body).await;
    assert_eq!(status, 200);
    assert_eq!(
        message["content"][0]["text"], "abcdefghijkl",
        "3 tokens ≈ 12 ASCII chars"
    );
    assert_eq!(message["stop_reason"], "max_tokens");
    assert_eq!(message["usage"]["output_tokens"], 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn native_reasoning_events_become_thinking_blocks() {
    let gw = start().await;
    gw.fake.push_script(
        Script::new()
            .step(Step::Reasoning {
                text: "Native ".into(),
                signature: None,
            })
            .step(Step::Reasoning {
                text: "thought.".into(),
                signature: Some("EqQBCkYIBxgCKkDnative".into()),
            })
            .text("Answer.")
            .trailers(),
    );
    let mut body = request(true, "think");
    body["thinking"] = json!({"type": "adaptive"});
    let (events, _) = read_sse(gw.messages(&body).await).await;
    let message = assemble(&events);
    assert_eq!(
        message["content"],
        json!([
            {"type": "thinking", "thinking": "Native thought.", "signature": "EqQBCkYIBxgCKkDnative"},
            {"type": "text", "text": "Answer."}
        ])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn count_tokens_agrees_with_message_start() {
    let gw = start().await;
    let mut body = serde_json::from_str::<Value>(
        &std::fs::read_to_string(fixture_path("request_turn1.json")).unwrap(),
    )
    .unwrap();
    body["model"] = json!(MODEL);
    gw.fake.push_script(Script::new().text("ok").trailers());
    let (events, _) = read_sse(gw.messages(&body).await).await;
    let started = events[0].data["message"]["usage"]["input_tokens"]
        .as_u64()
        .unwrap();

    let mut count_body = body.clone();
    let obj = count_body.as_object_mut().unwrap();
    obj.remove("max_tokens");
    obj.remove("stream");
    let response = gw
        .post_anthropic("/v1/messages/count_tokens?beta=true", &count_body)
        .await;
    assert_eq!(response.status(), 200);
    let counted: Value = response.json().await.unwrap();
    assert_eq!(counted, json!({"input_tokens": started}));
    assert!(started > 5_000, "a Claude Code sized prompt: {started}");
    assert_eq!(gw.fake.chat_calls(), 1, "count_tokens does not call Kiro");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upstream_failure_after_the_first_byte_ends_with_an_error_event() {
    let gw = start().await;
    gw.fake.push_script(
        Script::new()
            .text("partial ")
            .exception("InternalServerException", "boom"),
    );
    let (events, _) = read_sse(gw.messages(&request(true, "x")).await).await;
    let names: Vec<&str> = events.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(
        names,
        vec![
            "message_start",
            "content_block_start",
            "content_block_delta",
            "content_block_stop",
            "error"
        ]
    );
    let error = &events[4].data;
    assert_eq!(error_type(error), "api_error");
    assert!(error["error"]["message"].as_str().unwrap().contains("boom"));

    gw.fake
        .push_script(Script::new().text("cut ").close_mid_frame("off"));
    let (events, _) = read_sse(gw.messages(&request(true, "y")).await).await;
    assert_eq!(events.last().unwrap().name, "error");
    assert!(!events.iter().any(|e| e.name == "message_stop"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn non_streaming_upstream_failure_is_an_anthropic_error() {
    let gw = start().await;
    gw.fake.push_script(
        Script::new()
            .text("partial")
            .exception("ThrottlingException", "slow"),
    );
    let (status, body) = gw.message_json(&request(false, "x")).await;
    assert_eq!(status, 429);
    assert_eq!(error_type(&body), "rate_limit_error");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_disconnect_drops_the_upstream_at_once() {
    use futures::StreamExt;
    let gw = start().await;
    gw.fake.push_script(Script::new().text("open").stall());
    let response = gw.messages(&request(true, "x")).await;
    let mut body = response.bytes_stream();
    let first = body.next().await.unwrap().unwrap();
    assert!(String::from_utf8_lossy(&first).starts_with("event: message_start"));
    let metrics = &gw.state().metrics;
    assert_eq!(metrics.snapshot().active_streams, 1);
    drop(body);
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while metrics.snapshot().active_streams != 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "the stream (and its upstream) was not dropped"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(gw.fake.count(Endpoint::Chat), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chaotic_upstream_writes_never_leak_tags_or_change_the_answer() {
    let gw = start().await;
    let args = r#"{"query":"état des lieux 你好","limit":10}"#;
    for seed in 1..=6u64 {
        gw.fake.push_script(
            Script::new()
                .texts(&[
                    "<thinking>",
                    "Plan: search ",
                    "first.",
                    "</thinking>",
                    "\n\n",
                ])
                .texts(&["Searching ", "now 😀."])
                .tool_call_random("search", &format!("tooluse_chaos{seed}"), args, 5, seed)
                .trailers()
                .chaos(seed),
        );
        let mut body = request(true, "search");
        body["thinking"] = json!({"type": "enabled", "budget_tokens": 1024});
        body["tools"] = json!([{"name": "search", "input_schema": {"type": "object"}}]);
        let (events, _) = read_sse(gw.messages(&body).await).await;
        let message = assemble(&events);
        assert_eq!(
            message["content"][0]["thinking"], "Plan: search first.",
            "seed {seed}"
        );
        assert_eq!(
            message["content"][1]["text"], "Searching now 😀.",
            "seed {seed}"
        );
        let expected: Value = serde_json::from_str(args).unwrap();
        assert_eq!(message["content"][2]["input"], expected, "seed {seed}");
        assert_eq!(message["stop_reason"], "tool_use");
    }
}
