//! A Claude Code session end to end against the fake Kiro (which validates Kiro's rules and
//! answers invalid requests with exact 400s): a Claude Code shaped first request
//! (`tests/fixtures/claude_code/request_turn1.json`: system blocks with `cache_control` and
//! the billing line, 22 tools including one with a 12 000 character description and one
//! with a name over Kiro's 64 characters, `metadata.user_id` with a session id, thinking on),
//! sent with `?beta=true` and `anthropic-beta`, then a tool loop over three turns in which
//! each request carries the gateway's own previous answer (signed thinking, text, tool_use)
//! back as history.

use crate::anthropic_common;

use anthropic_common::*;
use kiro_gateway_tests::fake::{RecordedRequest, Script};
use serde_json::{json, Value};

const SESSION: &str = "8a1c2e4f-3b5d-4c6e-9f70-1a2b3c4d5e6f";
const LONG_TOOL: &str =
    "mcp__plugin_repository_insights_server__summarize_repository_structure_for_agents";
const PNG: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";

async fn turn(gw: &Gw, body: &Value) -> Value {
    let response = reqwest::Client::new()
        .post(format!("{}/v1/messages?beta=true", gw.base))
        .header("x-api-key", KEY)
        .header("anthropic-version", "2023-06-01")
        .header(
            "anthropic-beta",
            "claude-code-20250219,interleaved-thinking-2025-05-14,fine-grained-tool-streaming-2025-05-14",
        )
        .header("user-agent", "claude-cli/2.0.14 (external, cli)")
        .json(body)
        .send()
        .await
        .unwrap();
    let (events, _) = read_sse(response).await;
    assemble(&events)
}

fn accepted(chat: &RecordedRequest) {
    assert_eq!(
        chat.status,
        200,
        "the fake rejected the Kiro request ({:?}): {}",
        chat.rejected_by,
        String::from_utf8_lossy(&chat.body)
    );
}

fn kiro_tools(chat: &RecordedRequest) -> Vec<Value> {
    chat.current_user_message().unwrap()["userInputMessageContext"]["tools"]
        .as_array()
        .expect("tools declared")
        .iter()
        .map(|t| t["toolSpecification"].clone())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn claude_code_session_with_a_three_turn_tool_loop() {
    let gw = start().await;
    let mut body: Value =
        serde_json::from_str(&std::fs::read_to_string(fixture_path("request_turn1.json")).unwrap())
            .unwrap();
    assert!(body["tools"].as_array().unwrap().len() >= 20);

    // Turn 1: thinking, text, one Bash call.
    gw.fake.push_script(
        Script::new()
            .texts(&[
                "<thinking>",
                "I should list ",
                "the files first.",
                "</thinking>\n\n",
            ])
            .texts(&["I'll list ", "the files."])
            .tool_call(
                "Bash",
                "tooluse_cc_0001",
                r#"{"command":"ls -la","description":"List files in the working directory"}"#,
                4,
            )
            .trailers(),
    );
    let first = turn(&gw, &body).await;
    let chat = gw.fake.last_chat().unwrap();
    accepted(&chat);
    assert_eq!(first["stop_reason"], "tool_use");
    let kinds: Vec<&str> = first["content"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["type"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, vec!["thinking", "text", "tool_use"]);
    assert_eq!(
        first["content"][0]["thinking"],
        "I should list the files first."
    );
    assert!(first["content"][0]["signature"]
        .as_str()
        .unwrap()
        .starts_with("sig_"));
    assert_eq!(
        first["content"][2]["input"],
        json!({"command": "ls -la", "description": "List files in the working directory"})
    );

    // What Kiro received: session id as conversation id, the billing line gone, thinking
    // requested, 22 tools with the long description moved into the system text and the
    // long name shortened.
    let state = chat.conversation_state().unwrap();
    assert_eq!(state["conversationId"], SESSION);
    let sent = String::from_utf8_lossy(&chat.body).to_string();
    assert!(!sent.contains("x-anthropic-billing-header"));
    assert!(sent.contains("<max_thinking_length>31999</max_thinking_length>"));
    assert!(
        sent.contains("Rule 1: Executes a shell command"),
        "long description kept in the system text"
    );
    let tools = kiro_tools(&chat);
    assert_eq!(tools.len(), 22);
    let bash = tools.iter().find(|t| t["name"] == "Bash").unwrap();
    assert!(bash["description"].as_str().unwrap().chars().count() <= 10_000);
    assert!(tools
        .iter()
        .all(|t| t["name"].as_str().unwrap().len() <= 64));
    let short_name = tools
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_owned())
        .find(|n| n.starts_with("mcp__plugin_repository_insights"))
        .unwrap();
    assert_ne!(short_name, LONG_TOOL);

    // Turn 2: the tool result goes back; the model calls two tools at once, one of them
    // by its shortened upstream name.
    let messages = body["messages"].as_array_mut().unwrap();
    messages.push(json!({"role": "assistant", "content": first["content"]}));
    messages.push(json!({"role": "user", "content": [
        {"type": "tool_result", "tool_use_id": "tooluse_cc_0001",
         "content": "total 3\nREADME.md\nCargo.toml\nsrc", "cache_control": {"type": "ephemeral"}}
    ]}));
    gw.fake.push_script(
        Script::new()
            .texts(&[
                "<thinking>",
                "Read the README and get the layout.",
                "</thinking>\n\n",
            ])
            .tool_call(
                "Read",
                "tooluse_cc_0002",
                r#"{"file_path":"/home/dev/project/README.md"}"#,
                2,
            )
            .tool_call(&short_name, "tooluse_cc_0003", r#"{"depth":2}"#, 1)
            .trailers(),
    );
    let second = turn(&gw, &body).await;
    let chat = gw.fake.last_chat().unwrap();
    accepted(&chat);
    assert_eq!(second["stop_reason"], "tool_use");
    let uses: Vec<&Value> = second["content"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b["type"] == "tool_use")
        .collect();
    assert_eq!(uses.len(), 2);
    assert_eq!(uses[0]["name"], "Read");
    assert_eq!(uses[1]["name"], LONG_TOOL, "shortened name mapped back");
    assert_eq!(uses[1]["input"], json!({"depth": 2}));
    // History carries turn 1 with its reasoning re-encoded and its tool use paired.
    let state = chat.conversation_state().unwrap();
    let history = state["history"].as_array().unwrap();
    let sent = String::from_utf8_lossy(&chat.body).to_string();
    assert!(
        sent.contains("I should list the files first."),
        "earlier thinking kept"
    );
    assert!(history
        .iter()
        .any(|h| h["assistantResponseMessage"]["toolUses"][0]["toolUseId"] == "tooluse_cc_0001"));
    let results = &chat.current_user_message().unwrap()["userInputMessageContext"]["toolResults"];
    assert_eq!(results[0]["toolUseId"], "tooluse_cc_0001");

    // Turn 3: one failed result, one with an image; the model answers in text.
    let messages = body["messages"].as_array_mut().unwrap();
    messages.push(json!({"role": "assistant", "content": second["content"]}));
    messages.push(json!({"role": "user", "content": [
        {"type": "tool_result", "tool_use_id": "tooluse_cc_0002", "is_error": true,
         "content": [{"type": "text", "text": "File does not exist."}]},
        {"type": "tool_result", "tool_use_id": "tooluse_cc_0003",
         "content": [{"type": "text", "text": "src/ (12 files)"},
                     {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": PNG}}]},
        {"type": "text", "text": "<system-reminder>Todo list is empty.</system-reminder>"}
    ]}));
    gw.fake.push_script(
        Script::new()
            .texts(&["There is no README; ", "the code lives in src/."])
            .trailers(),
    );
    let third = turn(&gw, &body).await;
    let chat = gw.fake.last_chat().unwrap();
    accepted(&chat);
    assert_eq!(third["stop_reason"], "end_turn");
    assert_eq!(
        third["content"],
        json!([{"type": "text", "text": "There is no README; the code lives in src/."}])
    );
    let current = chat.current_user_message().unwrap();
    let results = current["userInputMessageContext"]["toolResults"]
        .as_array()
        .unwrap();
    assert_eq!(results.len(), 2);
    assert_eq!(results[0]["status"], "error");
    assert_eq!(
        current["images"].as_array().map(Vec::len),
        Some(1),
        "tool-result image sent"
    );
    assert_eq!(
        results[1]["content"][0]["text"], "src/ (12 files)\n\n[See images data supplied: image 1]",
        "the result names the image it lost to the message"
    );
    assert!(
        results
            .iter()
            .all(|r| !r.to_string().contains("\"image\"") && !r.to_string().contains(PNG)),
        "no image left inside toolResults (Kiro drops those silently)"
    );
    assert_eq!(
        chat.conversation_state().unwrap()["conversationId"],
        SESSION
    );
    assert!(third["usage"]["input_tokens"].as_u64().unwrap() > 0);
    assert_eq!(gw.fake.chat_calls(), 3);
}
