//! The gateway reuses its upstream connections: a stream of requests, in every dialect,
//! streamed or not, does not open a new connection to Kiro per request (connection setup was
//! the largest CPU cost per request before).

use crate::anthropic_common;

use anthropic_common::{start, KEY};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sequential_requests_share_upstream_connections() {
    let gw = start().await;
    let client = reqwest::Client::new();
    let call = |path: &'static str, stream: bool| {
        let body = if path == "/v1/messages" {
            json!({"model": "claude-sonnet-4-5", "max_tokens": 100, "stream": stream,
                   "messages": [{"role": "user", "content": "hi"}]})
        } else {
            json!({"model": "claude-sonnet-4.5", "stream": stream,
                   "messages": [{"role": "user", "content": "hi"}]})
        };
        let request = client
            .post(format!("{}{path}", gw.base))
            .header("x-api-key", KEY)
            .header("anthropic-version", "2023-06-01")
            .json(&body);
        async move {
            let response = request.send().await.expect("answer");
            assert_eq!(response.status(), 200);
            response.bytes().await.expect("whole body");
        }
    };
    call("/v1/chat/completions", false).await;
    let before = gw.fake.connections_accepted();
    for _ in 0..5 {
        for path in ["/v1/chat/completions", "/v1/messages"] {
            for stream in [false, true] {
                call(path, stream).await;
            }
        }
    }
    assert_eq!(gw.fake.chat_calls(), 21);
    let opened = gw.fake.connections_accepted() - before;
    assert!(
        opened <= 1,
        "20 sequential requests opened {opened} new upstream connections"
    );
}
