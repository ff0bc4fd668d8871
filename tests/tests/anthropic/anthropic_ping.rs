//! `ping` keep-alives during upstream silence. Its own test binary: it shortens the ping
//! interval through `KIRO_GATEWAY_PING_INTERVAL_MS`, read per request.

use crate::anthropic_common;

use std::time::Duration;

use anthropic_common::*;
use kiro_gateway_tests::fake::Script;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pings_fill_upstream_silence_and_the_answer_is_intact() {
    // Set before the gateway starts and before any request thread reads it.
    std::env::set_var("KIRO_GATEWAY_PING_INTERVAL_MS", "100");
    let gw = start().await;
    gw.fake.push_script(
        Script::new()
            .text("before ")
            .sleep(Duration::from_millis(550))
            .text("after")
            .trailers(),
    );
    let body = json!({"model": MODEL, "max_tokens": 100, "stream": true,
        "messages": [{"role": "user", "content": "slow"}]});
    let (events, _) = read_sse(gw.messages(&body).await).await;
    let names: Vec<&str> = events.iter().map(|e| e.name.as_str()).collect();
    let pings = names.iter().filter(|n| **n == "ping").count();
    // About one per 100 ms of the 550 ms silence; loose bounds for a loaded machine.
    assert!(
        (2..=20).contains(&pings),
        "pings during the silence: {names:?}"
    );
    let first_ping = names.iter().position(|n| *n == "ping").unwrap();
    assert_eq!(
        &names[..first_ping],
        &[
            "message_start",
            "content_block_start",
            "content_block_delta"
        ],
        "pings come while waiting, after what was already sent"
    );
    let message = assemble(&events);
    assert_eq!(message["content"][0]["text"], "before after");
    assert_eq!(message["stop_reason"], "end_turn");
}

/// A tool call is held back until it is complete; while its fragments arrive the client hears
/// nothing from Kiro, so pings keep it company even though Kiro is not silent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pings_also_fill_the_wait_for_a_held_tool_call() {
    std::env::set_var("KIRO_GATEWAY_PING_INTERVAL_MS", "100");
    let gw = start().await;
    let fragment = |input: &str, stop: bool| kiro_gateway_tests::fake::Step::Event {
        event_type: "toolUseEvent".into(),
        payload:
            json!({"toolUseId": "tooluse_slow", "name": "write_file", "input": input, "stop": stop})
                .to_string(),
    };
    let mut script = Script::new().step(fragment("{\"text\": \"", false));
    for _ in 0..12 {
        script = script
            .sleep(Duration::from_millis(50))
            .step(fragment("aaaa", false));
    }
    script = script.step(fragment("\"}", true)).trailers();
    gw.fake.push_script(script);
    let body = json!({"model": MODEL, "max_tokens": 100, "stream": true,
        "tools": [{"name": "write_file", "input_schema": {"type": "object"}}],
        "messages": [{"role": "user", "content": "write"}]});
    let (events, _) = read_sse(gw.messages(&body).await).await;
    let names: Vec<&str> = events.iter().map(|e| e.name.as_str()).collect();
    let tool_start = names
        .iter()
        .position(|n| *n == "content_block_start")
        .expect("the tool block");
    let pings_before = names[..tool_start].iter().filter(|n| **n == "ping").count();
    assert!(
        pings_before >= 2,
        "pings while the call was held: {names:?}"
    );
    let message = assemble(&events);
    assert_eq!(message["stop_reason"], "tool_use");
    assert_eq!(message["content"][0]["input"]["text"], "a".repeat(48));
}
