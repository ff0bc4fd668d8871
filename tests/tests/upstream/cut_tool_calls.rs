//! A tool call cut off upstream (no `stop` frame, no trailer: the stream just ends) never
//! reaches a client as a call, in any API, streamed or not; the answer says it was
//! truncated instead. A client runs a closed tool block before it reads the stop reason, so
//! handing over half the arguments would run a tool with the wrong input.

use crate::anthropic_common;

use anthropic_common::{parse_sse, start};
use kiro_gateway_tests::fake::{Script, Step};
use serde_json::{json, Value};

fn cut_call() -> Script {
    Script::new().text("I will write the file.").step(Step::Event {
        event_type: "toolUseEvent".into(),
        payload: json!({"toolUseId": "tooluse_cut", "name": "write_file", "input": "{\"path\": \"src/ma"})
            .to_string(),
    })
}

fn tools_openai() -> Value {
    json!([{"type": "function", "function": {"name": "write_file", "parameters": {"type": "object", "properties": {"path": {"type": "string"}}}}}])
}

async fn post(gw: &anthropic_common::Gw, path: &str, body: Value) -> String {
    let response = gw.post_anthropic(path, &body).await;
    assert_eq!(response.status(), 200);
    response.text().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cut_tool_call_never_reaches_a_client() {
    let gw = start().await;
    for stream in [false, true] {
        // OpenAI chat.
        gw.fake.push_script(cut_call());
        let raw = post(
            &gw,
            "/v1/chat/completions",
            json!({"model": "claude-sonnet-4.5", "stream": stream, "tools": tools_openai(),
                   "messages": [{"role": "user", "content": "write it"}]}),
        )
        .await;
        assert!(!raw.contains("tool_calls\":[{"), "stream={stream}: {raw}");
        assert!(!raw.contains("tooluse_cut"), "stream={stream}: {raw}");
        assert!(
            raw.contains("\"finish_reason\":\"length\""),
            "stream={stream}: {raw}"
        );

        // Anthropic messages.
        gw.fake.push_script(cut_call());
        let raw = post(
            &gw,
            "/v1/messages",
            json!({"model": "claude-sonnet-4-5", "max_tokens": 1000, "stream": stream,
                   "tools": [{"name": "write_file", "input_schema": {"type": "object"}}],
                   "messages": [{"role": "user", "content": "write it"}]}),
        )
        .await;
        assert!(!raw.contains("tool_use\""), "stream={stream}: {raw}");
        assert!(
            raw.contains("\"stop_reason\":\"max_tokens\""),
            "stream={stream}: {raw}"
        );
        if stream {
            let events = parse_sse(&raw);
            assert_eq!(events.last().unwrap().name, "message_stop");
        }

        // Responses.
        gw.fake.push_script(cut_call());
        let raw = post(
            &gw,
            "/v1/responses",
            json!({"model": "claude-sonnet-4.5", "stream": stream, "input": "write it",
                   "tools": [{"type": "function", "name": "write_file", "parameters": {"type": "object"}}]}),
        )
        .await;
        assert!(!raw.contains("function_call"), "stream={stream}: {raw}");
        assert!(raw.contains("incomplete"), "stream={stream}: {raw}");
    }
    assert_eq!(gw.fake.pending_scripts(), 0);
}
