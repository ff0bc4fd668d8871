//! Whole-request tests: the golden bodies of docs/kiro-protocol.md#worked-example, one test per
//! rule of docs/kiro-protocol.md#conversion-rules at `build` level, and a property test with an
//! independent checker of every rule of docs/kiro-protocol.md#conversion-rules.

use std::collections::HashSet;

use proptest::prelude::*;
use serde_json::{json, Value};

use super::super::conversation::{
    Conversation, Image, Message, Part, Role, Thinking, ToolChoice, ToolSpec,
};
use super::*;
use crate::error::ErrorCode;

const ARN: &str = "arn:aws:codewhisperer:us-east-1:123456789012:profile/EXAMPLEPROF01";
const PNG_B64: &str = "iVBORw0KGgo=";

fn options(conversation_id: &str) -> KiroRequestOptions {
    KiroRequestOptions {
        model_id: "claude-sonnet-4.5".into(),
        profile_arn: Some(ARN.into()),
        conversation_id: conversation_id.into(),
        max_payload_bytes: 600_000,
        reasoning: Default::default(),
        reasoning_fields: None,
        identity_precedence: false,
    }
}

fn opts() -> KiroRequestOptions {
    options("00000000-0000-4000-8000-000000000000")
}

fn text(role: Role, t: &str) -> Message {
    Message {
        role,
        parts: vec![Part::Text(t.into())],
    }
}

fn tool_use(id: &str, name: &str, input: Value) -> Part {
    Part::ToolUse {
        id: id.into(),
        name: name.into(),
        input,
    }
}

fn tool_result(id: &str, content: &str) -> Part {
    Part::ToolResult {
        tool_use_id: id.into(),
        content: content.into(),
        images: vec![],
        is_error: false,
    }
}

fn tool(name: &str) -> ToolSpec {
    ToolSpec {
        name: name.into(),
        description: format!("{name} tool"),
        input_schema: json!({"type": "object", "properties": {"x": {"type": "string"}}}),
    }
}

fn weather_tool() -> ToolSpec {
    ToolSpec {
        name: "get_weather".into(),
        description: "Get the current weather for a city.".into(),
        input_schema: json!({
            "type": "object",
            "properties": {"city": {"type": "string", "description": "City name"}},
            "required": ["city"]
        }),
    }
}

fn weather_turn1() -> Conversation {
    Conversation {
        model: "claude-sonnet-4-5-20250929".into(),
        system: Some("You are a concise assistant.".into()),
        messages: vec![text(Role::User, "What is the weather in Paris?")],
        tools: vec![weather_tool()],
        ..Conversation::default()
    }
}

fn current(req: &KiroRequest) -> &Value {
    &req.body["conversationState"]["currentMessage"]["userInputMessage"]
}

fn history(req: &KiroRequest) -> Vec<Value> {
    req.body["conversationState"]["history"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn tool_names_sent(req: &KiroRequest) -> Vec<String> {
    current(req)["userInputMessageContext"]["tools"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|t| {
                    t["toolSpecification"]["name"]
                        .as_str()
                        .unwrap_or("")
                        .to_string()
                })
                .collect()
        })
        .unwrap_or_default()
}

// --------------------------------------------------- golden (docs/kiro-protocol.md#worked-example)

#[test]
fn golden_turn1_matches_doc_11_1() {
    let id = "0b8f6a52-2d4e-4f7c-9a51-3c2e8d1f7a90";
    let req = build(&weather_turn1(), &options(id)).unwrap();
    let want = json!({
      "profileArn": ARN,
      "conversationState": {
        "conversationId": id,
        "chatTriggerType": "MANUAL",
        "agentTaskType": "vibe",
        "currentMessage": {
          "userInputMessage": {
            "content": "You are a concise assistant.\n\nWhat is the weather in Paris?",
            "modelId": "claude-sonnet-4.5",
            "origin": "AI_EDITOR",
            "userInputMessageContext": {
              "tools": [{"toolSpecification": {
                "name": "get_weather",
                "description": "Get the current weather for a city.",
                "inputSchema": {"json": {
                  "type": "object",
                  "properties": {"city": {"type": "string", "description": "City name"}},
                  "required": ["city"]
                }}
              }}]
            }
          }
        }
      }
    });
    assert_eq!(req.body, want);
    // The doc gives the compact size; key order does not change the length.
    assert_eq!(serde_json::to_vec(&req.body).unwrap().len(), 638);
    assert!(req.tool_names.is_empty());
}

#[test]
fn golden_turn2_matches_doc_11_4() {
    let id = "5d2c9e41-7a0b-4f38-b6d2-91e4c0a7f356";
    let mut conv = weather_turn1();
    conv.messages.push(Message {
        role: Role::Assistant,
        parts: vec![
            Part::Text("Hello".into()),
            tool_use("tooluse_7f3Yc1", "get_weather", json!({"city": "Paris"})),
        ],
    });
    conv.messages.push(Message {
        role: Role::User,
        parts: vec![tool_result("tooluse_7f3Yc1", "18 C, sunny")],
    });
    let req = build(&conv, &options(id)).unwrap();
    let want = json!({
      "profileArn": ARN,
      "conversationState": {
        "conversationId": id,
        "chatTriggerType": "MANUAL",
        "agentTaskType": "vibe",
        "history": [
          {"userInputMessage": {
            "content": "You are a concise assistant.\n\nWhat is the weather in Paris?",
            "modelId": "claude-sonnet-4.5",
            "origin": "AI_EDITOR"
          }},
          {"assistantResponseMessage": {
            "content": "Hello",
            "toolUses": [{"toolUseId": "tooluse_7f3Yc1", "name": "get_weather", "input": {"city": "Paris"}}]
          }}
        ],
        "currentMessage": {
          "userInputMessage": {
            "content": " ",
            "modelId": "claude-sonnet-4.5",
            "origin": "AI_EDITOR",
            "userInputMessageContext": {
              "toolResults": [{"toolUseId": "tooluse_7f3Yc1", "content": [{"text": "18 C, sunny"}], "status": "success"}],
              "tools": [{"toolSpecification": {
                "name": "get_weather",
                "description": "Get the current weather for a city.",
                "inputSchema": {"json": {
                  "type": "object",
                  "properties": {"city": {"type": "string", "description": "City name"}},
                  "required": ["city"]
                }}
              }}]
            }
          }
        }
      }
    });
    assert_eq!(req.body, want);
    assert_eq!(serde_json::to_vec(&req.body).unwrap().len(), 978);
    check_body(&req.body).unwrap();
}

// ---------------------------------------------------------------- rules at build level

#[test]
fn no_messages_refused() {
    let e = build(&Conversation::default(), &opts()).unwrap_err();
    assert_eq!(e.rule.as_str(), "no_messages");
}

#[test]
fn no_profile_arn_no_key() {
    let mut o = opts();
    o.profile_arn = None;
    let req = build(&weather_turn1(), &o).unwrap();
    assert!(req.body.get("profileArn").is_none());
}

#[test]
fn leading_assistant_gets_placeholder_and_system_replaces_it() {
    let conv = Conversation {
        system: Some("SYS".into()),
        messages: vec![text(Role::Assistant, "Hi!"), text(Role::User, "q")],
        ..Conversation::default()
    };
    let req = build(&conv, &opts()).unwrap();
    let h = history(&req);
    assert_eq!(h[0]["userInputMessage"]["content"], "SYS");
    assert_eq!(h[1]["assistantResponseMessage"]["content"], "Hi!");
    assert_eq!(current(&req)["content"], "q");
    let conv = Conversation {
        messages: conv.messages.clone(),
        ..Conversation::default()
    };
    let req = build(&conv, &opts()).unwrap();
    assert_eq!(history(&req)[0]["userInputMessage"]["content"], " ");
}

#[test]
fn identity_precedence_follows_a_client_system_prompt_only() {
    let on = KiroRequestOptions {
        identity_precedence: true,
        ..opts()
    };
    // With tools: after the system prompt, before the user's text.
    let req = build(&weather_turn1(), &on).unwrap();
    assert_eq!(
        current(&req)["content"],
        format!(
            "You are a concise assistant.\n\n{}\n\nWhat is the weather in Paris?",
            identity::precedence_note(true)
        )
    );
    // Without tools the sentence says so.
    let conv = Conversation {
        tools: vec![],
        ..weather_turn1()
    };
    let req = build(&conv, &on).unwrap();
    assert!(current(&req)["content"]
        .as_str()
        .unwrap()
        .contains(identity::precedence_note(false)));
    // No client system prompt: nothing added.
    let conv = Conversation {
        system: None,
        ..weather_turn1()
    };
    let req = build(&conv, &on).unwrap();
    assert_eq!(current(&req)["content"], "What is the weather in Paris?");
    // Off: the body is as before.
    let off = build(&weather_turn1(), &opts()).unwrap();
    assert_eq!(
        current(&off)["content"],
        "You are a concise assistant.\n\nWhat is the weather in Paris?"
    );
}

#[test]
fn same_role_neighbours_merged() {
    let conv = Conversation {
        messages: vec![
            text(Role::User, "a"),
            text(Role::User, "b"),
            text(Role::Assistant, "c"),
            text(Role::Assistant, "d"),
            text(Role::User, "e"),
        ],
        ..Conversation::default()
    };
    let req = build(&conv, &opts()).unwrap();
    let h = history(&req);
    assert_eq!(h.len(), 2);
    assert_eq!(h[0]["userInputMessage"]["content"], "a\nb");
    assert_eq!(h[1]["assistantResponseMessage"]["content"], "c\nd");
    assert_eq!(current(&req)["content"], "e");
    assert_eq!(h[0]["userInputMessage"]["modelId"], "claude-sonnet-4.5");
}

#[test]
fn trailing_prefill_stays_in_history() {
    let conv = Conversation {
        messages: vec![text(Role::User, "q"), text(Role::Assistant, "{")],
        ..Conversation::default()
    };
    let req = build(&conv, &opts()).unwrap();
    let h = history(&req);
    assert_eq!(h[1]["assistantResponseMessage"]["content"], "{");
    assert_eq!(current(&req)["content"], " ");
}

#[test]
fn long_tool_names_shortened_everywhere_with_reverse_map() {
    let long = format!("mcp__{}", "a_really_long_server_name__".repeat(3));
    assert!(long.len() > 64);
    let conv = Conversation {
        messages: vec![
            text(Role::User, "go"),
            Message {
                role: Role::Assistant,
                parts: vec![tool_use("t1", &long, json!({}))],
            },
            Message {
                role: Role::User,
                parts: vec![tool_result("t1", "done")],
            },
        ],
        tools: vec![tool(&long)],
        ..Conversation::default()
    };
    let req = build(&conv, &opts()).unwrap();
    let short = tools::shorten_tool_name(&long);
    assert_eq!(tool_names_sent(&req), vec![short.clone()]);
    assert_eq!(
        history(&req)[1]["assistantResponseMessage"]["toolUses"][0]["name"],
        short.as_str()
    );
    assert_eq!(req.original_tool_name(&short), long);
    assert_eq!(req.original_tool_name("other"), "other");
}

#[test]
fn tool_ids_sanitised_and_still_paired() {
    let weird = "call_abc\nfc_def";
    let conv = Conversation {
        messages: vec![
            text(Role::User, "go"),
            Message {
                role: Role::Assistant,
                parts: vec![tool_use(weird, "f", json!("{\"x\":\"1\"}"))],
            },
            Message {
                role: Role::User,
                parts: vec![tool_result(weird, "")],
            },
        ],
        tools: vec![tool("f")],
        ..Conversation::default()
    };
    let req = build(&conv, &opts()).unwrap();
    let u = &history(&req)[1]["assistantResponseMessage"]["toolUses"][0];
    assert_eq!(u["toolUseId"], "call_abcfc_def");
    assert_eq!(u["input"], json!({"x": "1"}));
    let r = &current(&req)["userInputMessageContext"]["toolResults"][0];
    assert_eq!(r["toolUseId"], "call_abcfc_def");
    assert_eq!(r["content"][0]["text"], "(empty result)");
}

#[test]
fn undeclared_history_tool_gets_placeholder() {
    let conv = Conversation {
        messages: vec![
            text(Role::User, "go"),
            Message {
                role: Role::Assistant,
                parts: vec![tool_use("t1", "old_tool", json!({}))],
            },
            Message {
                role: Role::User,
                parts: vec![tool_result("t1", "ok"), Part::Text("next".into())],
            },
        ],
        tools: vec![tool("f")],
        ..Conversation::default()
    };
    let req = build(&conv, &opts()).unwrap();
    assert_eq!(tool_names_sent(&req), vec!["f", "old_tool"]);
    check_body(&req.body).unwrap();
}

#[test]
fn no_tools_declared_downgrades_history_to_text() {
    let conv = Conversation {
        messages: vec![
            text(Role::User, "go"),
            Message {
                role: Role::Assistant,
                parts: vec![
                    Part::Text("calling".into()),
                    tool_use("t1", "f", json!({"a": 1})),
                ],
            },
            Message {
                role: Role::User,
                parts: vec![tool_result("t1", "ok")],
            },
        ],
        ..Conversation::default()
    };
    let req = build(&conv, &opts()).unwrap();
    let h = history(&req);
    assert_eq!(
        h[1]["assistantResponseMessage"],
        json!({"content": "calling\n[Tool: f (t1)]\n{\"a\":1}"})
    );
    assert_eq!(current(&req)["content"], "[Tool Result (t1)]\nok");
    assert!(current(&req).get("userInputMessageContext").is_none());
}

#[test]
fn orphan_and_duplicate_results_and_unanswered_uses() {
    let conv = Conversation {
        messages: vec![
            Message {
                role: Role::User,
                parts: vec![tool_result("ghost", "boo"), Part::Text("hi".into())],
            },
            Message {
                role: Role::Assistant,
                parts: vec![tool_use("a", "f", json!({})), tool_use("b", "f", json!({}))],
            },
            Message {
                role: Role::User,
                parts: vec![tool_result("a", "1"), tool_result("a", "2")],
            },
        ],
        tools: vec![tool("f")],
        ..Conversation::default()
    };
    let req = build(&conv, &opts()).unwrap();
    let h = history(&req);
    assert_eq!(
        h[0]["userInputMessage"]["content"],
        "hi\n[Tool Result (ghost)]\nboo"
    );
    let uses = h[1]["assistantResponseMessage"]["toolUses"]
        .as_array()
        .unwrap();
    assert_eq!(uses.len(), 1);
    let results = current(&req)["userInputMessageContext"]["toolResults"]
        .as_array()
        .unwrap();
    assert_eq!(results.len(), 1);
    assert_eq!(results[0]["content"][0]["text"], "1");
}

#[test]
fn tool_choice_emulation() {
    let mut conv = weather_turn1();
    conv.tool_choice = ToolChoice::Required;
    let req = build(&conv, &opts()).unwrap();
    assert!(current(&req)["content"]
        .as_str()
        .unwrap()
        .ends_with(&format!("\n\n{}", tool_choice::REQUIRED)));

    conv.tool_choice = ToolChoice::Named("get_weather".into());
    let req = build(&conv, &opts()).unwrap();
    assert!(current(&req)["content"]
        .as_str()
        .unwrap()
        .ends_with("calling the tool `get_weather`."));

    // None without tool history: tools simply not declared.
    conv.tool_choice = ToolChoice::None;
    let req = build(&conv, &opts()).unwrap();
    assert!(current(&req).get("userInputMessageContext").is_none());
    assert_eq!(
        current(&req)["content"],
        "You are a concise assistant.\n\nWhat is the weather in Paris?"
    );

    // None with tool history: declared + instruction (content was blank → replaced).
    conv.messages.push(Message {
        role: Role::Assistant,
        parts: vec![tool_use("t", "get_weather", json!({"city": "Paris"}))],
    });
    conv.messages.push(Message {
        role: Role::User,
        parts: vec![tool_result("t", "sunny")],
    });
    let req = build(&conv, &opts()).unwrap();
    assert_eq!(tool_names_sent(&req), vec!["get_weather"]);
    assert_eq!(current(&req)["content"], tool_choice::NONE);

    conv.tool_choice = ToolChoice::Named("nope".into());
    assert_eq!(
        build(&conv, &opts()).unwrap_err().rule.as_str(),
        "tool_choice"
    );
}

#[test]
fn thinking_prefix_and_reasoning_reencoding() {
    let conv = Conversation {
        system: Some("SYS".into()),
        messages: vec![
            text(Role::User, "q1"),
            Message {
                role: Role::Assistant,
                parts: vec![
                    Part::Thinking {
                        text: "pondering".into(),
                        signature: Some("sig".into()),
                    },
                    Part::Text("a1".into()),
                ],
            },
            text(Role::User, "q2"),
        ],
        thinking: Some(Thinking {
            budget_tokens: Some(16_000),
            effort: None,
        }),
        ..Conversation::default()
    };
    let req = build(&conv, &opts()).unwrap();
    let h = history(&req);
    assert_eq!(
        h[0]["userInputMessage"]["content"],
        "<thinking_mode>enabled</thinking_mode><max_thinking_length>16000</max_thinking_length>\nSYS\n\nq1"
    );
    assert_eq!(
        h[1]["assistantResponseMessage"]["content"],
        "<thinking>pondering</thinking>\n\na1"
    );
    // Without thinking the reasoning is dropped and no prefix is added.
    let off = Conversation {
        thinking: None,
        ..conv.clone()
    };
    let req = build(&off, &opts()).unwrap();
    assert_eq!(history(&req)[0]["userInputMessage"]["content"], "SYS\n\nq1");
    assert_eq!(
        history(&req)[1]["assistantResponseMessage"]["content"],
        "a1"
    );
    // Already present: skipped.
    let present = Conversation {
        system: Some("<thinking_mode>enabled</thinking_mode> custom".into()),
        ..conv
    };
    let req = build(&present, &opts()).unwrap();
    assert_eq!(
        history(&req)[0]["userInputMessage"]["content"],
        "<thinking_mode>enabled</thinking_mode> custom\n\nq1"
    );
}

#[test]
fn long_description_moves_to_system_text() {
    let mut big = tool("big");
    big.description = "x".repeat(tools::MAX_DESCRIPTION_CHARS + 5);
    let conv = Conversation {
        system: Some("SYS".into()),
        messages: vec![text(Role::User, "q")],
        tools: vec![big],
        ..Conversation::default()
    };
    let req = build(&conv, &opts()).unwrap();
    let content = current(&req)["content"].as_str().unwrap();
    assert!(content.starts_with("SYS\n\n# Tool Documentation\n\n## Tool: big\nxxx"));
    assert!(content.ends_with("\n\nq"));
}

#[test]
fn images_placed_and_limited() {
    let png = Image {
        media_type: "image/png".into(),
        data_base64: PNG_B64.into(),
    };
    let conv = Conversation {
        messages: vec![
            text(Role::User, "go"),
            Message {
                role: Role::Assistant,
                parts: vec![tool_use("t", "shot", json!({}))],
            },
            Message {
                role: Role::User,
                parts: vec![Part::ToolResult {
                    tool_use_id: "t".into(),
                    content: "see image".into(),
                    images: vec![png.clone()],
                    is_error: true,
                }],
            },
        ],
        tools: vec![tool("shot")],
        ..Conversation::default()
    };
    let req = build(&conv, &opts()).unwrap();
    assert_eq!(
        current(&req)["images"],
        json!([{"format": "png", "source": {"bytes": PNG_B64}}])
    );
    assert_eq!(
        current(&req)["userInputMessageContext"]["toolResults"][0]["status"],
        "error"
    );
    assert_eq!(
        current(&req)["userInputMessageContext"]["toolResults"][0]["content"][0]["text"],
        "see image\n\n[See images data supplied: image 1]",
        "the result says where its image went"
    );

    let many = Conversation {
        messages: vec![
            Message {
                role: Role::User,
                parts: vec![Part::Image(png.clone()); 6],
            },
            text(Role::Assistant, "ok"),
            Message {
                role: Role::User,
                parts: vec![Part::Image(png.clone()); 5],
            },
        ],
        ..Conversation::default()
    };
    let e = build(&many, &opts()).unwrap_err();
    assert_eq!((e.rule.as_str(), e.message_index), ("image_count", Some(2)));

    let tiff = Conversation {
        messages: vec![
            text(Role::User, "a"),
            text(Role::Assistant, "b"),
            Message {
                role: Role::User,
                parts: vec![Part::Image(Image {
                    media_type: "image/tiff".into(),
                    data_base64: PNG_B64.into(),
                })],
            },
        ],
        ..Conversation::default()
    };
    let e = build(&tiff, &opts()).unwrap_err();
    assert_eq!(
        (e.rule.as_str(), e.message_index),
        ("image_format", Some(2))
    );
    assert!(e.to_string().contains("rule: image_format, message 2"));
}

#[test]
fn payload_size_refused_with_size_and_limit() {
    let mut o = opts();
    o.max_payload_bytes = 500;
    let e = build(&weather_turn1(), &o).unwrap_err();
    assert_eq!(e.rule.as_str(), "payload_size");
    assert!(
        e.detail.contains("638") && e.detail.contains("500"),
        "{}",
        e.detail
    );
    o.max_payload_bytes = 638;
    assert!(build(&weather_turn1(), &o).is_ok());
}

#[test]
fn schema_sanitised_in_declaration() {
    let mut t = tool("mcp");
    t.input_schema = json!({"type": "object", "properties": null, "required": null, "additionalProperties": false});
    let conv = Conversation {
        messages: vec![text(Role::User, "q")],
        tools: vec![t],
        ..Conversation::default()
    };
    let req = build(&conv, &opts()).unwrap();
    assert_eq!(
        current(&req)["userInputMessageContext"]["tools"][0]["toolSpecification"]["inputSchema"],
        json!({"json": {"type": "object", "properties": {}}})
    );
}

// ---------------------------------------------------------------- checker + property test

fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

fn check_schema(v: &Value, path: &str) -> Result<(), String> {
    match v {
        Value::Object(m) => {
            for (k, sub) in m {
                if sub.is_null() {
                    return Err(format!("null keyword {path}/{k}"));
                }
                if k == "additionalProperties" && path != "/properties" {
                    return Err(format!("additionalProperties at {path}"));
                }
                if k == "required" && sub.as_array().is_some_and(|a| a.is_empty()) {
                    return Err(format!("empty required at {path}"));
                }
                check_schema(sub, &format!("{path}/{k}"))?;
            }
            Ok(())
        }
        Value::Array(a) => a.iter().try_for_each(|s| check_schema(s, path)),
        _ => Ok(()),
    }
}

/// Independent validator of the rules of docs/kiro-protocol.md#conversion-rules on a finished body.
fn check_body(body: &Value) -> Result<(), String> {
    let st = &body["conversationState"];
    if st["chatTriggerType"] != "MANUAL" || st["agentTaskType"] != "vibe" {
        return Err("trigger/task type".into());
    }
    if !st["conversationId"].is_string() {
        return Err("conversationId".into());
    }
    let cur = &st["currentMessage"]["userInputMessage"];
    if !cur.is_object() {
        return Err("currentMessage is not a user message".into());
    }
    // declared tools
    let tools = cur["userInputMessageContext"]["tools"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let mut declared = HashSet::new();
    for t in &tools {
        let spec = &t["toolSpecification"];
        let name = spec["name"].as_str().ok_or("tool name")?;
        if name.is_empty() || name.len() > 64 {
            return Err(format!("tool name length {name:?}"));
        }
        if declared.iter().any(|d: &String| d == name) {
            return Err(format!("tool declared twice {name}"));
        }
        declared.insert(name.to_string());
        let d = spec["description"].as_str().ok_or("description")?;
        let n = d.chars().count();
        if d.trim().is_empty() || n > 10_000 {
            return Err(format!("description length {n}"));
        }
        let schema = &spec["inputSchema"]["json"];
        if !schema.is_object() {
            return Err("schema not object".into());
        }
        check_schema(schema, "")?;
    }
    // sequence
    let mut msgs: Vec<Value> = match st.get("history") {
        None => vec![],
        Some(Value::Array(h)) if !h.is_empty() => h.clone(),
        Some(_) => return Err("history present but empty or not an array".into()),
    };
    if !msgs.len().is_multiple_of(2) {
        return Err("history does not end with assistant".into());
    }
    msgs.push(st["currentMessage"].clone());
    let mut images = 0;
    let mut prev_uses: Option<HashSet<String>> = None;
    for (i, m) in msgs.iter().enumerate() {
        let is_current = i + 1 == msgs.len();
        if i % 2 == 0 {
            let u = m
                .get("userInputMessage")
                .ok_or(format!("entry {i} should be user"))?;
            let c = u["content"].as_str().ok_or("user content")?;
            if c.is_empty() {
                return Err(format!("empty user content at {i}"));
            }
            if u["modelId"] != "claude-sonnet-4.5" || u["origin"] != "AI_EDITOR" {
                return Err(format!("modelId/origin at {i}"));
            }
            if let Some(imgs) = u.get("images") {
                let imgs = imgs.as_array().ok_or("images")?;
                images += imgs.len();
                for img in imgs {
                    let f = img["format"].as_str().unwrap_or("");
                    if !["png", "jpeg", "gif", "webp"].contains(&f) {
                        return Err("image format".into());
                    }
                }
            }
            let ctx = u.get("userInputMessageContext");
            if let Some(ctx) = ctx {
                if ctx.as_object().is_none_or(|o| o.is_empty()) {
                    return Err("empty context".into());
                }
                if !is_current && ctx.get("tools").is_some() {
                    return Err("tools on a history message".into());
                }
            }
            let results = ctx
                .and_then(|c| c.get("toolResults"))
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            let expected = prev_uses.take().unwrap_or_default();
            let mut answered = HashSet::new();
            for r in &results {
                let id = r["toolUseId"].as_str().ok_or("result id")?;
                if !valid_id(id) {
                    return Err(format!("bad result id {id:?}"));
                }
                if !answered.insert(id.to_string()) {
                    return Err(format!("duplicate result {id}"));
                }
                if !expected.contains(id) {
                    return Err(format!("orphan result {id} at {i}"));
                }
                let t = r["content"][0]["text"].as_str().ok_or("result text")?;
                if t.is_empty() || !(r["status"] == "success" || r["status"] == "error") {
                    return Err("result content/status".into());
                }
            }
            if answered != expected {
                return Err(format!("unanswered tool uses before {i}"));
            }
        } else {
            let a = m
                .get("assistantResponseMessage")
                .ok_or(format!("entry {i} should be assistant"))?;
            let c = a["content"].as_str().ok_or("assistant content")?;
            if c.is_empty() {
                return Err(format!("empty assistant content at {i}"));
            }
            let mut ids = HashSet::new();
            if let Some(uses) = a.get("toolUses") {
                let uses = uses.as_array().ok_or("toolUses")?;
                if uses.is_empty() {
                    return Err("empty toolUses".into());
                }
                for u in uses {
                    let id = u["toolUseId"].as_str().ok_or("use id")?;
                    let name = u["name"].as_str().ok_or("use name")?;
                    if !valid_id(id) || !ids.insert(id.to_string()) {
                        return Err(format!("bad/duplicate use id {id:?}"));
                    }
                    if name.len() > 64 || !declared.iter().any(|d| d.eq_ignore_ascii_case(name)) {
                        return Err(format!("undeclared or long tool {name}"));
                    }
                    if !u["input"].is_object() {
                        return Err("input not object".into());
                    }
                }
            }
            prev_uses = Some(ids);
        }
    }
    if images > 10 {
        return Err("too many images".into());
    }
    Ok(())
}

#[test]
fn a_rule_is_the_error_code_of_its_name() {
    for rule in [
        PreflightRule::NoMessages,
        PreflightRule::PayloadSize,
        PreflightRule::ToolName,
        PreflightRule::ToolChoice,
        PreflightRule::ImageCount,
        PreflightRule::ImageFormat,
        PreflightRule::ImageBase64,
        PreflightRule::ImageSize,
    ] {
        assert_eq!(ErrorCode::from(rule).as_str(), rule.as_str());
    }
}

const KNOWN_RULES: &[&str] = &[
    "no_messages",
    "tool_name",
    "tool_choice",
    "image_format",
    "image_base64",
    "image_size",
    "image_count",
    "payload_size",
];

fn long_name() -> String {
    format!("mcp__{}", "long_tool_name_".repeat(5))
}

fn name_strategy() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("get_weather".to_string()),
        Just("Read".to_string()),
        Just("read".to_string()),
        Just("history_only".to_string()),
        Just(long_name()),
        Just("é".repeat(40)),
    ]
}

fn id_strategy() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("a".to_string()),
        Just("tooluse_1".to_string()),
        Just("call 1\nfc_2".to_string()),
        Just("x".repeat(70)),
        Just(String::new()),
        Just("id.with.dots".to_string()),
    ]
}

fn part_strategy() -> impl Strategy<Value = Part> {
    prop_oneof![
        prop_oneof![Just(""), Just(" "), Just("hello"), Just("<thinking_mode>x")]
            .prop_map(|t| Part::Text(t.to_string())),
        (
            id_strategy(),
            name_strategy(),
            prop_oneof![
                Just(json!({})),
                Just(Value::Null),
                Just(json!("not json")),
                Just(json!({"a": 1}))
            ]
        )
            .prop_map(|(id, name, input)| Part::ToolUse { id, name, input }),
        (
            id_strategy(),
            prop_oneof![Just(""), Just("ok")],
            any::<bool>(),
            any::<bool>()
        )
            .prop_map(|(id, c, err, img)| Part::ToolResult {
                tool_use_id: id,
                content: c.to_string(),
                images: if img {
                    vec![Image {
                        media_type: "image/png".into(),
                        data_base64: PNG_B64.into(),
                    }]
                } else {
                    vec![]
                },
                is_error: err,
            }),
        prop_oneof![Just(""), Just("thought")].prop_map(|t| Part::Thinking {
            text: t.to_string(),
            signature: None
        }),
        prop_oneof![Just("image/png"), Just("image/webp"), Just("image/bmp")].prop_map(|m| {
            Part::Image(Image {
                media_type: m.to_string(),
                data_base64: PNG_B64.into(),
            })
        }),
    ]
}

fn message_strategy() -> impl Strategy<Value = Message> {
    (any::<bool>(), prop::collection::vec(part_strategy(), 0..4)).prop_map(|(user, parts)| {
        Message {
            role: if user { Role::User } else { Role::Assistant },
            parts,
        }
    })
}

fn tool_spec_strategy() -> impl Strategy<Value = ToolSpec> {
    (
        name_strategy(),
        prop_oneof![
            Just(String::new()),
            Just("d".to_string()),
            Just("x".repeat(10_001))
        ],
        prop_oneof![
            Just(Value::Null),
            Just(json!({"type": "object", "required": null, "properties": null})),
            Just(
                json!({"type": "object", "properties": {"a": {"type": "object",
                "additionalProperties": false, "required": []}}, "required": []})
            ),
        ],
    )
        .prop_map(|(name, description, input_schema)| ToolSpec {
            name,
            description,
            input_schema,
        })
}

/// An assistant tool call followed by a user message answering it (ids and names random,
/// so sanitising, shortening and declaration are exercised on paired traffic).
fn exchange_strategy() -> impl Strategy<Value = Vec<Message>> {
    (id_strategy(), name_strategy(), any::<bool>(), any::<bool>()).prop_map(
        |(id, name, with_text, answer_twice)| {
            let mut call = vec![tool_use(&id, &name, json!({"q": 1}))];
            if with_text {
                call.insert(0, Part::Text("let me check".into()));
            }
            let mut answer = vec![tool_result(&id, "result")];
            if answer_twice {
                answer.push(tool_result(&id, "again"));
            }
            vec![
                Message {
                    role: Role::Assistant,
                    parts: call,
                },
                Message {
                    role: Role::User,
                    parts: answer,
                },
            ]
        },
    )
}

fn segment_strategy() -> impl Strategy<Value = Vec<Message>> {
    prop_oneof![
        2 => message_strategy().prop_map(|m| vec![m]),
        1 => exchange_strategy(),
    ]
}

fn conversation_strategy() -> impl Strategy<Value = Conversation> {
    (
        prop::collection::vec(segment_strategy(), 0..6)
            .prop_map(|segments| segments.into_iter().flatten().collect::<Vec<_>>()),
        prop::collection::vec(tool_spec_strategy(), 0..3),
        prop_oneof![
            4 => Just(ToolChoice::Auto),
            2 => Just(ToolChoice::None),
            1 => Just(ToolChoice::Required),
            1 => name_strategy().prop_map(ToolChoice::Named),
        ],
        prop_oneof![
            Just(None),
            Just(Some(Thinking {
                budget_tokens: Some(1000),
                effort: None,
            })),
            Just(Some(Thinking {
                budget_tokens: None,
                effort: None,
            })),
        ],
        prop_oneof![
            Just(None),
            Just(Some("sys".to_string())),
            Just(Some(String::new()))
        ],
    )
        .prop_map(
            |(messages, tools, tool_choice, thinking, system)| Conversation {
                model: "claude-sonnet-4-5".into(),
                system,
                messages,
                tools,
                tool_choice,
                thinking,
                ..Conversation::default()
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn build_is_valid_or_names_a_rule(conv in conversation_strategy()) {
        let mut o = opts();
        o.max_payload_bytes = 200_000;
        match build(&conv, &o) {
            Ok(req) => {
                let again = build(&conv, &o).map(|r| r.body);
                prop_assert_eq!(Ok(&req.body), again.as_ref(), "build is not deterministic");
                if let Err(why) = check_body(&req.body) {
                    return Err(TestCaseError::fail(format!("{why}\n{:#}", req.body)));
                }
                for (short, original) in &req.tool_names {
                    prop_assert!(short.len() <= 64 && short != original);
                }
            }
            Err(e) => {
                prop_assert!(KNOWN_RULES.contains(&e.rule.as_str()), "unknown rule {}", e.rule);
                if let Some(i) = e.message_index {
                    prop_assert!(i < conv.messages.len());
                }
            }
        }
    }
}

/// Guards the property test's usefulness: the generator must produce many accepted
/// requests, including ones that keep structured tool traffic.
#[test]
fn property_generator_covers_accepted_tool_traffic() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let strategy = conversation_strategy();
    let (mut ok, mut with_tools, mut errors) = (0, 0, std::collections::BTreeMap::new());
    for _ in 0..1000 {
        let conv = strategy.new_tree(&mut runner).unwrap().current();
        match build(&conv, &opts()) {
            Ok(req) => {
                check_body(&req.body).unwrap();
                ok += 1;
                if req.body.to_string().contains("toolResults") {
                    with_tools += 1;
                }
            }
            Err(e) => *errors.entry(e.rule.as_str()).or_insert(0) += 1,
        }
    }
    eprintln!("ok {ok}, with tool results {with_tools}, errors {errors:?}");
    assert!(ok >= 300, "only {ok} accepted: {errors:?}");
    assert!(with_tools >= 30, "only {with_tools} with tool results");
}
