use serde_json::{json, Value};

use super::request::conversation::to_chat_messages;
use super::request::{parse_input, ResponsesRequest};
use super::*;
use crate::convert::conversation::{Part, Role};
use crate::convert::json_at::At;
use crate::convert::openai::{ChatMessage, ChatOutputOptions, UserPart};
use crate::kiro::events::KiroEvent;

fn request(body: Value) -> ResponsesRequest {
    parse_responses_request(body.to_string().as_bytes()).expect("valid request")
}

fn items(input: Value) -> Vec<Item> {
    parse_input(&At::root(&input)).expect("valid input")
}

#[test]
fn a_string_input_is_one_user_message() {
    let req = request(json!({"model": "m", "input": "hi"}));
    assert_eq!(
        req.input,
        vec![Item::Message {
            role: "user".into(),
            parts: vec![UserPart::Text("hi".into())]
        }]
    );
    assert!(req.store, "store defaults to true");
    assert!(!req.stream);
    assert!(req.parallel_tool_calls);
}

#[test]
fn reasoning_message_and_calls_form_one_assistant_turn() {
    let list = items(json!([
        {"role": "user", "content": "go"},
        {"type": "reasoning", "summary": [{"type": "summary_text", "text": "plan"}]},
        {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "ok"}]},
        {"type": "function_call", "call_id": "c1", "name": "a", "arguments": "{\"x\":1}"},
        {"type": "function_call", "call_id": "c2", "name": "b", "arguments": "not json"},
        {"type": "function_call_output", "call_id": "c1", "output": "1"},
        {"type": "function_call_output", "call_id": "c2", "output": [{"type": "input_text", "text": "2"}]},
    ]));
    let messages = to_chat_messages(&list);
    assert_eq!(messages.len(), 4, "{messages:#?}");
    match &messages[1] {
        ChatMessage::Assistant {
            text,
            reasoning,
            tool_calls,
            ..
        } => {
            assert_eq!(text.as_deref(), Some("ok"));
            assert_eq!(reasoning.as_deref(), Some("plan"));
            assert_eq!(tool_calls.len(), 2);
            assert_eq!(tool_calls[0].arguments, json!({"x": 1}));
            assert_eq!(tool_calls[1].arguments, json!({"_raw": "not json"}));
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(&messages[3], ChatMessage::Tool { content, .. } if content == "2"));
}

#[test]
fn conversation_puts_instructions_first_and_groups_tool_results() {
    let history = items(json!([
        {"role": "user", "content": "go"},
        {"type": "function_call", "call_id": "c1", "name": "a", "arguments": "{}"},
        {"type": "function_call", "call_id": "c2", "name": "a", "arguments": "{}"},
    ]));
    let req = request(json!({
        "model": "m", "instructions": "Be terse.",
        "input": [
            {"role": "developer", "content": "late note"},
            {"type": "function_call_output", "call_id": "c1", "output": "1"},
            {"type": "function_call_output", "call_id": "c2", "output": "2"},
        ],
        "tools": [{"type": "function", "name": "a", "parameters": {"type": "object"}}],
    }));
    let conv = to_conversation_from(&req, &history).unwrap();
    assert_eq!(conv.system.as_deref(), Some("Be terse."));
    let last = conv.messages.last().unwrap();
    assert_eq!(last.role, Role::User);
    assert_eq!(last.parts.len(), 2, "consecutive results form one message");
    assert!(matches!(&last.parts[0], Part::ToolResult { tool_use_id, .. } if tool_use_id == "c1"));
    assert!(conv.messages.iter().any(|m| m
        .parts
        .iter()
        .any(|p| matches!(p, Part::Text(t) if t.contains("late note")))));
}

#[test]
fn an_unanswerable_call_id_is_a_400() {
    let req = request(json!({"model": "m", "input": [
        {"role": "user", "content": "x"},
        {"type": "function_call_output", "call_id": "c9", "output": "1"},
    ]}));
    let err = to_conversation_from(&req, &[]).unwrap_err();
    assert_eq!(err.param.as_deref(), Some("input[1].call_id"));
}

#[test]
fn items_round_trip_through_json() {
    let list = items(json!([
        {"role": "user", "content": [
            {"type": "input_text", "text": "look"},
            {"type": "input_image", "image_url": "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="},
        ]},
        {"type": "reasoning", "summary": [{"type": "summary_text", "text": "hm"}]},
        {"type": "function_call", "call_id": "c1", "name": "a", "arguments": "{}"},
        {"type": "function_call_output", "call_id": "c1", "output": "done"},
    ]));
    let json: Vec<Value> = list.iter().map(Item::to_json).collect();
    assert_eq!(items(Value::Array(json)), list);
}

#[test]
fn effort_and_format_reuse_the_chat_rules() {
    let req = request(json!({
        "model": "m", "input": "x", "max_output_tokens": 1000,
        "reasoning": {"effort": "low"},
        "text": {"format": {"type": "json_schema", "name": "r", "schema": {"type": "object"}}},
    }));
    let conv = to_conversation_from(&req, &[]).unwrap();
    assert_eq!(conv.thinking.unwrap().budget_tokens, Some(200));
    assert!(conv.system.unwrap().contains("JSON Schema"));
    assert_eq!(conv.max_output_tokens, Some(1000));
}

fn output() -> ResponsesOutput {
    ResponsesOutput::new(
        "resp_test".into(),
        1,
        ResponseEcho::default(),
        ChatOutputOptions {
            model: "m".into(),
            reasoning_tags: true,
            context_window: 200_000,
            prompt_tokens_estimate: 10,
            ..Default::default()
        },
    )
}

fn kinds(events: &[Value]) -> Vec<String> {
    events
        .iter()
        .map(|e| e["type"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn text_then_tool_call_closes_the_message_first() {
    let mut out = output();
    let mut events = out.on_event(KiroEvent::Text("<thinking>why</thinking>\n\nHi".into()));
    events.extend(out.on_event(KiroEvent::ToolUse {
        tool_use_id: "tooluse_1".into(),
        name: "a".into(),
        input: Some("{\"k\":".into()),
        stop: false,
    }));
    events.extend(out.on_event(KiroEvent::ToolUse {
        tool_use_id: "tooluse_1".into(),
        name: "a".into(),
        input: Some("1}".into()),
        stop: true,
    }));
    events.extend(out.on_event(KiroEvent::ContextUsage { percentage: 1.0 }));
    events.extend(out.finish());
    let k = kinds(&events);
    let pos = |name: &str| k.iter().position(|x| x == name).unwrap();
    assert_eq!(k[0], "response.created");
    assert!(pos("response.reasoning_summary_part.done") < pos("response.content_part.added"));
    assert!(
        pos("response.output_text.done") < pos("response.function_call_arguments.delta"),
        "{k:?}"
    );
    assert_eq!(k.last().unwrap(), "response.completed");
    let seqs: Vec<u64> = events
        .iter()
        .map(|e| e["sequence_number"].as_u64().unwrap())
        .collect();
    assert!(seqs.windows(2).all(|w| w[1] == w[0] + 1));
    let response = out.response();
    assert_eq!(response["status"], "completed");
    let output = response["output"].as_array().unwrap();
    assert_eq!(output.len(), 3);
    assert_eq!(output[0]["summary"][0]["text"], "why");
    assert_eq!(output[1]["content"][0]["text"], "Hi");
    assert_eq!(output[2]["arguments"], "{\"k\":1}");
    assert_eq!(output[2]["call_id"], "call_1");
    assert!(response["usage"]["output_tokens_details"]["reasoning_tokens"].as_u64() > Some(0));
    assert_eq!(out.output_items().len(), 3);
    assert!(out.finish().is_empty(), "nothing after the terminal event");
}

#[test]
fn an_upstream_exception_fails_the_response() {
    let mut out = output();
    let mut events = out.on_event(KiroEvent::Text("partial".into()));
    events.extend(out.on_event(KiroEvent::Exception {
        exception_type: "ThrottlingException".into(),
        message: "slow".into(),
    }));
    assert!(out.is_finished());
    events.extend(out.finish());
    let k = kinds(&events);
    assert_eq!(k.last().unwrap(), "response.failed");
    assert_eq!(
        k.iter()
            .filter(|x| x.starts_with("response.failed"))
            .count(),
        1
    );
    assert!(k.contains(&"response.output_item.done".to_owned()));
    assert_eq!(out.status(), Status::Failed);
    assert!(out.error().is_some());
    assert_eq!(out.response()["error"]["code"], "ThrottlingException");
}

#[test]
fn an_empty_answer_completes_with_no_items() {
    let mut out = output();
    let mut events = out.on_event(KiroEvent::ContextUsage { percentage: 1.0 });
    events.extend(out.finish());
    assert_eq!(
        kinds(&events),
        [
            "response.created",
            "response.in_progress",
            "response.completed"
        ]
    );
    assert_eq!(out.response()["output"], json!([]));
}

/// The tools Codex 0.171 sends with its defaults plus one MCP server (shapes as captured).
fn codex_request(input: Value) -> ResponsesRequest {
    request(json!({
        "model": "claude-sonnet-4.5", "stream": true, "store": false,
        "parallel_tool_calls": true, "include": ["reasoning.encrypted_content"],
        "prompt_cache_key": "01a2468c-284f-7072-be4d-f8bb9fb61bc8",
        "client_metadata": {"turn_id": "t"},
        "tools": [
            {"type": "function", "name": "exec_command", "strict": false,
             "parameters": {"type": "object", "properties": {"cmd": {"type": "string"}}}},
            {"type": "namespace", "name": "mcp__echo",
             "description": "Tools in the mcp__echo namespace.",
             "tools": [{"type": "function", "name": "echo", "description": "Echo text back.",
                        "strict": false, "parameters": {"type": "object",
                        "properties": {"text": {"type": "string"}}, "required": ["text"]}}]},
            {"type": "web_search", "external_web_access": false},
        ],
        "input": input,
    }))
}

fn tool_call(out: &mut ResponsesOutput, name: &str, fragments: &[&str]) -> Vec<Value> {
    let mut events = Vec::new();
    for (i, f) in fragments.iter().enumerate() {
        events.extend(out.on_event(KiroEvent::ToolUse {
            tool_use_id: "tooluse_ns".into(),
            name: name.into(),
            input: Some((*f).into()),
            stop: i + 1 == fragments.len(),
        }));
    }
    events.extend(out.on_event(KiroEvent::ContextUsage { percentage: 1.0 }));
    events.extend(out.finish());
    events
}

#[test]
fn a_namespaced_tool_is_flat_for_kiro_and_namespaced_for_the_client() {
    let req = codex_request(json!("hi"));
    let names: Vec<&str> = req.tools.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["exec_command", "mcp__echo__echo"]);
    assert_eq!(
        req.session_id.as_deref(),
        Some("01a2468c-284f-7072-be4d-f8bb9fb61bc8")
    );

    let mut out = output().with_tool_names(req.tool_names.clone());
    let events = tool_call(&mut out, "mcp__echo__echo", &["{\"text\":", "\"hi\"}"]);
    let added = events
        .iter()
        .find(|e| e["type"] == "response.output_item.added")
        .unwrap();
    assert_eq!(added["item"]["namespace"], "mcp__echo");
    assert_eq!(added["item"]["name"], "echo");
    let done = events
        .iter()
        .find(|e| e["type"] == "response.output_item.done")
        .unwrap();
    assert_eq!(done["item"]["type"], "function_call");
    assert_eq!(done["item"]["namespace"], "mcp__echo");
    assert_eq!(done["item"]["name"], "echo");
    assert_eq!(done["item"]["arguments"], "{\"text\":\"hi\"}");
    let item = &out.response()["output"][0];
    assert_eq!(item["namespace"], "mcp__echo");
    assert_eq!(item["name"], "echo");
    // What the store keeps replays to the same flat tool.
    let stored = out.output_items();
    assert!(
        matches!(&stored[0], Item::FunctionCall { namespace: Some(ns), name, .. }
        if ns == "mcp__echo" && name == "echo")
    );
    assert_eq!(stored[0].to_json()["namespace"], "mcp__echo");
}

#[test]
fn a_plain_function_call_carries_no_namespace() {
    let req = codex_request(json!("hi"));
    let mut out = output().with_tool_names(req.tool_names.clone());
    let events = tool_call(&mut out, "exec_command", &["{\"cmd\":\"ls\"}"]);
    let done = events
        .iter()
        .find(|e| e["type"] == "response.output_item.done")
        .unwrap();
    assert_eq!(done["item"]["name"], "exec_command");
    assert!(done["item"].get("namespace").is_none());
}

#[test]
fn replayed_namespaced_calls_map_back_to_the_flat_kiro_tool() {
    let req = codex_request(json!([
        {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "echo hi"}]},
        {"type": "reasoning", "id": "rs_1", "summary": [], "content": null,
         "encrypted_content": null},
        {"type": "function_call", "id": "fc_1", "namespace": "mcp__echo", "name": "echo",
         "arguments": "{\"text\":\"hi\"}", "call_id": "call_1"},
        {"type": "function_call_output", "call_id": "call_1",
         "output": [{"type": "input_text", "text": "echo: hi"}]},
    ]));
    let conv = to_conversation_from(&req, &[]).unwrap();
    let calls: Vec<&str> = conv
        .messages
        .iter()
        .flat_map(|m| m.parts.iter())
        .filter_map(|p| match p {
            Part::ToolUse { name, .. } => Some(name.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(calls, ["mcp__echo__echo"]);
}

#[test]
fn custom_tools_round_trip_as_custom_tool_calls() {
    let req = request(json!({
        "model": "gpt-5.6-sol",
        "input": [
            {"type": "additional_tools", "role": "developer", "tools": [
                {"type": "namespace", "name": "functions", "description": "", "tools": [
                    {"type": "custom", "name": "exec", "description": "Run JavaScript.",
                     "format": {"type": "grammar", "syntax": "lark", "definition": "start: /.+/"}},
                    {"type": "function", "name": "wait", "parameters": {"type": "object"}}]}]},
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "go"}]},
            {"type": "custom_tool_call", "call_id": "c0", "namespace": "functions",
             "name": "exec", "input": "text(1)"},
            {"type": "custom_tool_call_output", "call_id": "c0", "output": "1"},
        ],
    }));
    let names: Vec<&str> = req.tools.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["functions__exec", "functions__wait"]);
    let conv = to_conversation_from(&req, &[]).unwrap();
    let replayed = conv
        .messages
        .iter()
        .flat_map(|m| m.parts.iter())
        .find_map(|p| match p {
            Part::ToolUse { name, input, .. } => Some((name.clone(), input.clone())),
            _ => None,
        })
        .unwrap();
    assert_eq!(
        replayed,
        ("functions__exec".into(), json!({"input": "text(1)"}))
    );
    assert_eq!(
        req.input[3].to_json()["type"],
        "custom_tool_call_output",
        "outputs keep their kind in the store"
    );

    let mut out = output().with_tool_names(req.tool_names.clone());
    let events = tool_call(
        &mut out,
        "functions__exec",
        &["{\"input\":\"text(", "'a\\\\nb')\"}"],
    );
    let k = kinds(&events);
    assert!(!k
        .iter()
        .any(|x| x == "response.function_call_arguments.delta"));
    let done = events
        .iter()
        .find(|e| e["type"] == "response.custom_tool_call_input.done")
        .unwrap();
    assert_eq!(done["input"], "text('a\\nb')");
    let item = &out.response()["output"][0];
    assert_eq!(item["type"], "custom_tool_call");
    assert_eq!(item["namespace"], "functions");
    assert_eq!(item["name"], "exec");
    assert_eq!(item["input"], "text('a\\nb')");
    assert!(item["id"].as_str().unwrap().starts_with("ctc_"));
}

#[test]
fn signed_reasoning_is_sealed_into_the_item_and_opens_on_the_next_turn() {
    use crate::convert::openai::ChatMessage;
    let mut out = output();
    let mut events = out.on_event(KiroEvent::Reasoning {
        text: Some("think".into()),
        signature: Some("sig".into()),
        redacted_content: None,
    });
    events.extend(out.on_event(KiroEvent::Text("Hi".into())));
    events.extend(out.finish());
    let done: Vec<&Value> = events
        .iter()
        .filter(|e| e["type"] == "response.output_item.done")
        .collect();
    let reasoning = &done[0]["item"];
    assert_eq!(reasoning["type"], "reasoning");
    let sealed = reasoning["encrypted_content"].as_str().unwrap();
    assert_eq!(
        crate::convert::responses::sealed::Sealed::open(sealed),
        Some(crate::convert::responses::sealed::Sealed::Signed {
            text: "think".into(),
            signature: "sig".into()
        })
    );
    assert_eq!(out.response()["output"][0], *reasoning);

    // The client returns the item: the assistant turn carries the signed reasoning.
    let list = items(json!([
        {"role": "user", "content": "q"},
        reasoning.clone(),
        {"type": "reasoning", "summary": [], "encrypted_content": "gAAAA-openai-blob"},
        {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "Hi"}]},
        {"role": "user", "content": "next"},
    ]));
    let messages = to_chat_messages(&list);
    match &messages[1] {
        ChatMessage::Assistant {
            reasoning,
            signed_reasoning,
            ..
        } => {
            assert_eq!(reasoning.as_deref(), Some("think"));
            assert_eq!(signed_reasoning, &[("think".to_owned(), "sig".to_owned())]);
        }
        other => panic!("{other:?}"),
    }
    // And the item survives a store round trip (previous_response_id chains).
    let json: Vec<Value> = list.iter().map(Item::to_json).collect();
    assert_eq!(items(Value::Array(json)), list);
}
