//! `ping` keep-alives during upstream silence. Its own test binary: it shortens the ping
//! interval through `KIRO_GATEWAY_PING_INTERVAL_MS`, read per request.

mod anthropic_common;

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
