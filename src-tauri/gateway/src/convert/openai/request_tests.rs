//! Tests of [`super::request`].

use serde_json::{json, Value};

use super::request::reasoning::{reasoning_budget, REASONING_BUDGET_CAP};
use super::request::*;
use crate::convert::conversation::{
    Effort, Image, Part, Role, Thinking, ToolChoice, LATE_SYSTEM_PREFIX,
};
use crate::error::ErrorKind;

fn body(v: Value) -> Vec<u8> {
    serde_json::to_vec(&v).unwrap()
}

fn parse(v: Value) -> Result<ChatRequest, crate::error::ApiError> {
    parse_chat_request(&body(v))
}

fn with(mut base: Value, key: &str, value: Value) -> Value {
    base[key] = value;
    base
}

fn minimal() -> Value {
    json!({"model": "claude-sonnet-4.5", "messages": [{"role": "user", "content": "hi"}]})
}

const PNG: &str = "data:image/png;base64,iVBORw0KGgo=";

/// (case name, body, expected param (None = no param), a fragment of the message)
fn malformed_cases() -> Vec<(&'static str, Value, Option<&'static str>, &'static str)> {
    let m = minimal();
    let asst_call = json!({"role": "assistant", "content": null, "tool_calls": [
        {"id": "call_1", "type": "function", "function": {"name": "f", "arguments": "{}"}}]});
    vec![
        (
            "missing model",
            json!({"messages": [{"role": "user", "content": "hi"}]}),
            Some("model"),
            "model",
        ),
        (
            "empty model",
            with(m.clone(), "model", json!("  ")),
            Some("model"),
            "empty",
        ),
        (
            "model not a string",
            with(m.clone(), "model", json!(5)),
            Some("model"),
            "expected a string",
        ),
        (
            "missing messages",
            json!({"model": "m"}),
            Some("messages"),
            "messages",
        ),
        (
            "empty messages",
            with(m.clone(), "messages", json!([])),
            Some("messages"),
            "at least one",
        ),
        (
            "messages not array",
            with(m.clone(), "messages", json!({})),
            Some("messages"),
            "expected an array",
        ),
        (
            "message not object",
            with(m.clone(), "messages", json!(["hi"])),
            Some("messages[0]"),
            "an object",
        ),
        (
            "missing role",
            with(m.clone(), "messages", json!([{"content": "x"}])),
            Some("messages[0].role"),
            "role",
        ),
        (
            "unknown role",
            with(
                m.clone(),
                "messages",
                json!([{"role": "robot", "content": "x"}]),
            ),
            Some("messages[0].role"),
            "robot",
        ),
        (
            "role not string",
            with(m.clone(), "messages", json!([{"role": 1, "content": "x"}])),
            Some("messages[0].role"),
            "expected a string",
        ),
        (
            "user content number",
            with(
                m.clone(),
                "messages",
                json!([{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}, {"role": "user", "content": 42}]),
            ),
            Some("messages[2].content"),
            "an integer",
        ),
        (
            "user content missing",
            with(m.clone(), "messages", json!([{"role": "user"}])),
            Some("messages[0].content"),
            "Missing",
        ),
        (
            "part without type",
            with(
                m.clone(),
                "messages",
                json!([{"role": "user", "content": [{"text": "x"}]}]),
            ),
            Some("messages[0].content[0].type"),
            "Missing",
        ),
        (
            "unknown part type",
            with(
                m.clone(),
                "messages",
                json!([{"role": "user", "content": [{"type": "input_audio"}]}]),
            ),
            Some("messages[0].content[0].type"),
            "input_audio",
        ),
        (
            "text part text not string",
            with(
                m.clone(),
                "messages",
                json!([{"role": "user", "content": [{"type": "text", "text": 1}]}]),
            ),
            Some("messages[0].content[0].text"),
            "expected a string",
        ),
        (
            "remote image url",
            with(
                m.clone(),
                "messages",
                json!([{"role": "user", "content": [{"type": "text", "text": "x"}, {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}}]}]),
            ),
            Some("messages[0].content[1].image_url"),
            "not fetched",
        ),
        (
            "bad image media type",
            with(
                m.clone(),
                "messages",
                json!([{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "data:image/bmp;base64,AAAA"}}]}]),
            ),
            Some("messages[0].content[0].image_url"),
            "image/bmp",
        ),
        (
            "non-base64 data url",
            with(
                m.clone(),
                "messages",
                json!([{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "data:image/png,AAAA"}}]}]),
            ),
            Some("messages[0].content[0].image_url"),
            "base64",
        ),
        (
            "image_url missing url",
            with(
                m.clone(),
                "messages",
                json!([{"role": "user", "content": [{"type": "image_url", "image_url": {}}]}]),
            ),
            Some("messages[0].content[0].image_url.url"),
            "Missing",
        ),
        (
            "system content image",
            with(
                m.clone(),
                "messages",
                json!([{"role": "system", "content": [{"type": "image_url", "image_url": {"url": PNG}}]}, {"role": "user", "content": "x"}]),
            ),
            Some("messages[0].content[0].type"),
            "only text",
        ),
        (
            "tool result unknown id",
            with(
                m.clone(),
                "messages",
                json!([{"role": "user", "content": "x"}, asst_call.clone(), {"role": "tool", "tool_call_id": "call_2", "content": "r"}]),
            ),
            Some("messages[2].tool_call_id"),
            "call_2",
        ),
        (
            "tool result before call",
            with(
                m.clone(),
                "messages",
                json!([{"role": "tool", "tool_call_id": "call_1", "content": "r"}, {"role": "user", "content": "x"}, asst_call.clone()]),
            ),
            Some("messages[0].tool_call_id"),
            "earlier assistant",
        ),
        (
            "tool missing id",
            with(
                m.clone(),
                "messages",
                json!([{"role": "user", "content": "x"}, asst_call.clone(), {"role": "tool", "content": "r"}]),
            ),
            Some("messages[2].tool_call_id"),
            "Missing",
        ),
        (
            "function result unknown name",
            with(
                m.clone(),
                "messages",
                json!([{"role": "user", "content": "x"}, {"role": "function", "name": "g", "content": "r"}]),
            ),
            Some("messages[1].name"),
            "'g'",
        ),
        (
            "tool_calls not array",
            with(
                m.clone(),
                "messages",
                json!([{"role": "user", "content": "x"}, {"role": "assistant", "tool_calls": {}}]),
            ),
            Some("messages[1].tool_calls"),
            "an array",
        ),
        (
            "tool call missing id",
            with(
                m.clone(),
                "messages",
                json!([{"role": "user", "content": "x"}, {"role": "assistant", "tool_calls": [{"type": "function", "function": {"name": "f", "arguments": "{}"}}]}]),
            ),
            Some("messages[1].tool_calls[0].id"),
            "Missing",
        ),
        (
            "tool call missing name",
            with(
                m.clone(),
                "messages",
                json!([{"role": "user", "content": "x"}, {"role": "assistant", "tool_calls": [{"id": "c", "function": {"arguments": "{}"}}]}]),
            ),
            Some("messages[1].tool_calls[0].function.name"),
            "Missing",
        ),
        (
            "tool call arguments number",
            with(
                m.clone(),
                "messages",
                json!([{"role": "user", "content": "x"}, {"role": "assistant", "tool_calls": [{"id": "c", "function": {"name": "f", "arguments": 3}}]}]),
            ),
            Some("messages[1].tool_calls[0].function.arguments"),
            "expected a string",
        ),
        (
            "tool call arguments object",
            with(
                m.clone(),
                "messages",
                json!([{"role": "user", "content": "x"}, {"role": "assistant", "tool_calls": [{"id": "a", "function": {"name": "f", "arguments": "{}"}}, {"id": "c", "function": {"name": "f", "arguments": {"k": 1}}}]}]),
            ),
            Some("messages[1].tool_calls[1].function.arguments"),
            "Invalid type for 'messages[1].tool_calls[1].function.arguments': expected a string, but got an object instead.",
        ),
        (
            "temperature string",
            with(m.clone(), "temperature", json!("hot")),
            Some("temperature"),
            "Invalid type for 'temperature': expected a decimal, but got a string instead.",
        ),
        (
            "temperature too high",
            with(m.clone(), "temperature", json!(3)),
            Some("temperature"),
            "Invalid 'temperature': decimal above maximum value. Expected a value <= 2, but got 3 instead.",
        ),
        (
            "top_p string",
            with(m.clone(), "top_p", json!("1")),
            Some("top_p"),
            "expected a decimal, but got a string",
        ),
        (
            "top_p negative",
            with(m.clone(), "top_p", json!(-0.5)),
            Some("top_p"),
            "Expected a value >= 0, but got -0.5 instead",
        ),
        (
            "presence_penalty bool",
            with(m.clone(), "presence_penalty", json!(true)),
            Some("presence_penalty"),
            "expected a decimal",
        ),
        (
            "seed decimal",
            with(m.clone(), "seed", json!(1.5)),
            Some("seed"),
            "expected an integer",
        ),
        (
            "user number",
            with(m.clone(), "user", json!(5)),
            Some("user"),
            "expected a string",
        ),
        (
            "metadata string",
            with(m.clone(), "metadata", json!("x")),
            Some("metadata"),
            "expected an object",
        ),
        (
            "n = 2",
            with(m.clone(), "n", json!(2)),
            Some("n"),
            "Only n=1",
        ),
        (
            "n not integer",
            with(m.clone(), "n", json!("1")),
            Some("n"),
            "an integer",
        ),
        (
            "stop too many",
            with(m.clone(), "stop", json!(["a", "b", "c", "d", "e"])),
            Some("stop"),
            "at most 4",
        ),
        (
            "stop wrong type",
            with(m.clone(), "stop", json!(7)),
            Some("stop"),
            "a string or an array",
        ),
        (
            "stop item wrong type",
            with(m.clone(), "stop", json!(["a", 1])),
            Some("stop[1]"),
            "expected a string",
        ),
        (
            "max_tokens zero",
            with(m.clone(), "max_tokens", json!(0)),
            Some("max_tokens"),
            "at least 1",
        ),
        (
            "max_tokens negative",
            with(m.clone(), "max_tokens", json!(-5)),
            Some("max_tokens"),
            "at least 1",
        ),
        (
            "max_tokens float",
            with(m.clone(), "max_tokens", json!(1.5)),
            Some("max_tokens"),
            "a number",
        ),
        (
            "max_completion_tokens string",
            with(m.clone(), "max_completion_tokens", json!("100")),
            Some("max_completion_tokens"),
            "a string",
        ),
        (
            "max_tokens too large",
            with(m.clone(), "max_tokens", json!(5_000_000_000u64)),
            Some("max_tokens"),
            "too large",
        ),
        (
            "stream not bool",
            with(m.clone(), "stream", json!("yes")),
            Some("stream"),
            "a boolean",
        ),
        (
            "stream_options not object",
            with(m.clone(), "stream_options", json!(true)),
            Some("stream_options"),
            "an object",
        ),
        (
            "include_usage not bool",
            with(m.clone(), "stream_options", json!({"include_usage": 1})),
            Some("stream_options.include_usage"),
            "a boolean",
        ),
        (
            "tools not array",
            with(m.clone(), "tools", json!({})),
            Some("tools"),
            "an array",
        ),
        (
            "tool wrong type",
            with(m.clone(), "tools", json!([{"type": "code_interpreter"}])),
            Some("tools[0].type"),
            "Only function",
        ),
        (
            "tool missing function",
            with(m.clone(), "tools", json!([{"type": "function"}])),
            Some("tools[0].function"),
            "Missing",
        ),
        (
            "tool missing name",
            with(
                m.clone(),
                "tools",
                json!([{"type": "function", "function": {"description": "d"}}]),
            ),
            Some("tools[0].function.name"),
            "Missing",
        ),
        (
            "tool parameters not object",
            with(
                m.clone(),
                "tools",
                json!([{"type": "function", "function": {"name": "f", "parameters": "x"}}]),
            ),
            Some("tools[0].function.parameters"),
            "an object",
        ),
        (
            "duplicate tool names",
            with(
                m.clone(),
                "tools",
                json!([{"type": "function", "function": {"name": "f"}}, {"type": "function", "function": {"name": "f"}}]),
            ),
            Some("tools[1].function.name"),
            "Duplicate",
        ),
        (
            "legacy functions missing name",
            with(m.clone(), "functions", json!([{"description": "d"}])),
            Some("functions[0].name"),
            "Missing",
        ),
        (
            "tool_choice unknown string",
            with(m.clone(), "tool_choice", json!("always")),
            Some("tool_choice"),
            "always",
        ),
        (
            "tool_choice required without tools",
            with(m.clone(), "tool_choice", json!("required")),
            Some("tool_choice"),
            "no tools",
        ),
        (
            "tool_choice unknown function",
            with(
                with(
                    m.clone(),
                    "tools",
                    json!([{"type": "function", "function": {"name": "f"}}]),
                ),
                "tool_choice",
                json!({"type": "function", "function": {"name": "g"}}),
            ),
            Some("tool_choice.function.name"),
            "'g'",
        ),
        (
            "tool_choice number",
            with(m.clone(), "tool_choice", json!(1)),
            Some("tool_choice"),
            "a string or an object",
        ),
        (
            "function_call unknown name",
            with(m.clone(), "function_call", json!({"name": "nope"})),
            Some("function_call.name"),
            "nope",
        ),
        (
            "response_format unknown type",
            with(m.clone(), "response_format", json!({"type": "xml"})),
            Some("response_format.type"),
            "xml",
        ),
        (
            "response_format json_schema missing",
            with(m.clone(), "response_format", json!({"type": "json_schema"})),
            Some("response_format.json_schema"),
            "Missing",
        ),
        (
            "response_format schema not object",
            with(
                m.clone(),
                "response_format",
                json!({"type": "json_schema", "json_schema": {"name": "x", "schema": []}}),
            ),
            Some("response_format.json_schema.schema"),
            "an object",
        ),
        (
            "reasoning_effort unknown",
            with(m.clone(), "reasoning_effort", json!("extreme")),
            Some("reasoning_effort"),
            "extreme",
        ),
        (
            "reasoning_effort number",
            with(m.clone(), "reasoning_effort", json!(3)),
            Some("reasoning_effort"),
            "a string",
        ),
        (
            "parallel_tool_calls not bool",
            with(m.clone(), "parallel_tool_calls", json!("yes")),
            Some("parallel_tool_calls"),
            "a boolean",
        ),
    ]
}

#[test]
fn malformed_requests_are_400_naming_the_field() {
    let cases = malformed_cases();
    assert!(cases.len() >= 25);
    for (name, value, param, fragment) in cases {
        let err = parse(value).expect_err(name);
        assert_eq!(err.kind, ErrorKind::InvalidRequest, "{name}");
        assert_eq!(err.status().as_u16(), 400, "{name}");
        assert_eq!(err.param.as_deref(), param, "{name}: {}", err.message);
        assert!(
            err.message.contains(fragment),
            "{name}: message {:?} lacks {fragment:?}",
            err.message
        );
    }
}

#[test]
fn not_json_and_not_object_are_400() {
    for raw in [&b"{not json"[..], b"", b"[1,2]", b"\"x\"", b"null"] {
        let err = parse_chat_request(raw).unwrap_err();
        assert_eq!(err.status().as_u16(), 400);
        assert!(err.param.is_none());
    }
}

#[test]
fn minimal_request_and_defaults() {
    let req = parse(minimal()).unwrap();
    assert_eq!(req.model, "claude-sonnet-4.5");
    assert!(!req.stream);
    assert!(!req.include_usage);
    assert_eq!(req.tool_choice, ToolChoice::Auto);
    let conv = to_conversation(&req).unwrap();
    assert_eq!(conv.system, None);
    assert_eq!(conv.messages.len(), 1);
    assert_eq!(conv.messages[0].role, Role::User);
    assert_eq!(conv.messages[0].parts, vec![Part::Text("hi".into())]);
    assert_eq!(conv.thinking, None);
}

#[test]
fn ignored_and_unknown_fields_are_accepted() {
    let mut v = minimal();
    for (k, val) in [
        ("temperature", json!(0.2)),
        ("top_p", json!(1)),
        ("seed", json!(7)),
        ("presence_penalty", json!(0)),
        ("frequency_penalty", json!(0)),
        ("logit_bias", json!({"50256": -100})),
        ("user", json!("u")),
        ("metadata", json!({"a": "b"})),
        ("store", json!(false)),
        ("service_tier", json!("auto")),
        ("n", json!(1)),
        ("parallel_tool_calls", json!(false)),
        ("some_future_field", json!({"x": [1]})),
        ("stop", Value::Null),
        ("temperature", Value::Null),
        ("top_logprobs", json!(0)),
        ("logprobs", json!(false)),
        ("max_tokens", Value::Null),
    ] {
        v[k] = val;
    }
    let req = parse(v).unwrap();
    assert_eq!(req.parallel_tool_calls, Some(false));
    assert!(req.stop.is_empty());
}

#[test]
fn system_and_developer_before_the_conversation_join_into_system() {
    let v = with(
        minimal(),
        "messages",
        json!([
            {"role": "system", "content": "A"},
            {"role": "developer", "content": [{"type": "text", "text": "B"}, {"type": "text", "text": "C"}]},
            {"role": "user", "content": "hi"},
            {"role": "developer", "content": "late"},
            {"role": "assistant", "content": "ok"},
        ]),
    );
    let conv = to_conversation(&parse(v).unwrap()).unwrap();
    assert_eq!(conv.system.as_deref(), Some("A\n\nBC"));
    assert_eq!(conv.messages.len(), 3);
    assert_eq!(conv.messages[1].role, Role::User);
    assert_eq!(
        conv.messages[1].parts,
        vec![Part::Text(format!("{LATE_SYSTEM_PREFIX}late"))]
    );
    assert_eq!(conv.messages[2].role, Role::Assistant);
}

#[test]
fn system_messages_only_become_the_user_turn() {
    let v = with(
        minimal(),
        "messages",
        json!([
            {"role": "system", "content": "A"},
            {"role": "developer", "content": "B"},
        ]),
    );
    let conv = to_conversation(&parse(v.clone()).unwrap()).unwrap();
    assert_eq!(conv.system, None);
    assert_eq!(conv.messages.len(), 1);
    assert_eq!(conv.messages[0].role, Role::User);
    assert_eq!(conv.messages[0].parts, vec![Part::Text("A\n\nB".into())]);
    // response_format still adds its instruction as the system text.
    let v = with(v, "response_format", json!({"type": "json_object"}));
    let conv = to_conversation(&parse(v).unwrap()).unwrap();
    assert!(conv.system.unwrap().contains("JSON object"));
    assert_eq!(conv.messages[0].parts, vec![Part::Text("A\n\nB".into())]);
}

#[test]
fn user_parts_and_data_url_images() {
    let v = with(
        minimal(),
        "messages",
        json!([{"role": "user", "content": [
            {"type": "text", "text": "look"},
            {"type": "image_url", "image_url": {"url": "data:image/jpg;base64,/9j/AAA=", "detail": "high"}},
            {"type": "image_url", "image_url": PNG},
        ]}]),
    );
    let conv = to_conversation(&parse(v).unwrap()).unwrap();
    assert_eq!(
        conv.messages[0].parts,
        vec![
            Part::Text("look".into()),
            Part::Image(Image {
                media_type: "image/jpeg".into(),
                data_base64: "/9j/AAA=".into()
            }),
            Part::Image(Image {
                media_type: "image/png".into(),
                data_base64: "iVBORw0KGgo=".into()
            }),
        ]
    );
}

#[test]
fn assistant_tool_calls_and_tool_results() {
    let v = json!({
        "model": "m",
        "tools": [{"type": "function", "function": {"name": "get_weather", "description": "d",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}},
            {"type": "function", "function": {"name": "noop"}}],
        "messages": [
            {"role": "user", "content": "weather?"},
            {"role": "assistant", "content": "Let me check.", "reasoning_content": "need tool", "tool_calls": [
                {"id": "call_a", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}},
                {"id": "call_b", "type": "function", "function": {"name": "noop", "arguments": ""}},
                {"id": "call_c", "type": "function", "function": {"name": "noop", "arguments": "{\"trunc"}},
            ]},
            {"role": "tool", "tool_call_id": "call_a", "content": "sunny"},
            {"role": "tool", "tool_call_id": "call_b", "content": [{"type": "text", "text": "l1"}, {"type": "text", "text": "l2"}]},
            {"role": "tool", "tool_call_id": "call_c", "content": null},
            {"role": "user", "content": "thanks"},
        ]
    });
    let req = parse(v).unwrap();
    let conv = to_conversation(&req).unwrap();
    assert_eq!(conv.tools.len(), 2);
    assert_eq!(
        conv.tools[1].input_schema,
        json!({"type": "object", "properties": {}})
    );
    assert_eq!(conv.messages.len(), 4);
    let asst = &conv.messages[1];
    assert_eq!(asst.role, Role::Assistant);
    assert_eq!(
        asst.parts[0],
        Part::Thinking {
            text: "need tool".into(),
            signature: None
        }
    );
    assert_eq!(asst.parts[1], Part::Text("Let me check.".into()));
    assert_eq!(
        asst.parts[2],
        Part::ToolUse {
            id: "call_a".into(),
            name: "get_weather".into(),
            input: json!({"city": "Paris"})
        }
    );
    let inputs: Vec<&Value> = asst.parts[3..]
        .iter()
        .map(|p| match p {
            Part::ToolUse { input, .. } => input,
            _ => panic!("not a tool use"),
        })
        .collect();
    assert_eq!(inputs, vec![&json!({}), &json!({"_raw": "{\"trunc"})]);
    let results = &conv.messages[2];
    assert_eq!(results.role, Role::User);
    assert_eq!(results.parts.len(), 3);
    assert_eq!(
        results.parts[1],
        Part::ToolResult {
            tool_use_id: "call_b".into(),
            content: "l1\nl2".into(),
            images: vec![],
            is_error: false
        }
    );
    assert_eq!(conv.messages[3].parts, vec![Part::Text("thanks".into())]);
}

#[test]
fn wrong_types_the_real_api_refuses_are_refused_naming_the_field() {
    let base = |extra: Value| {
        let mut v = json!({"model": "m", "messages": [{"role": "user", "content": "x"}]});
        for (k, val) in extra.as_object().unwrap() {
            v[k] = val.clone();
        }
        v
    };
    let err = parse(base(json!({"temperature": "hot"}))).unwrap_err();
    assert_eq!(err.param.as_deref(), Some("temperature"));
    assert!(parse(base(json!({"temperature": null, "top_p": 0.5}))).is_ok());
    let err = parse(base(json!({"messages": [
        {"role": "user", "content": "x"},
        {"role": "assistant", "tool_calls": [{"id": "c", "type": "function",
            "function": {"name": "f", "arguments": {"already": "object"}}}]},
    ]})))
    .unwrap_err();
    assert_eq!(
        err.param.as_deref(),
        Some("messages[1].tool_calls[0].function.arguments")
    );
}

#[test]
fn legacy_functions_function_call_and_function_role() {
    let v = json!({
        "model": "m",
        "functions": [{"name": "lookup", "parameters": {"type": "object"}}],
        "function_call": {"name": "lookup"},
        "messages": [
            {"role": "user", "content": "q"},
            {"role": "assistant", "content": null, "function_call": {"name": "lookup", "arguments": "{\"k\":1}"}},
            {"role": "function", "name": "lookup", "content": "v"},
        ]
    });
    let req = parse(v).unwrap();
    assert_eq!(req.tool_choice, ToolChoice::Named("lookup".into()));
    let conv = to_conversation(&req).unwrap();
    assert_eq!(conv.tools[0].name, "lookup");
    assert_eq!(
        conv.messages[1].parts,
        vec![Part::ToolUse {
            id: "call_fn_1".into(),
            name: "lookup".into(),
            input: json!({"k": 1})
        }]
    );
    assert_eq!(
        conv.messages[2].parts,
        vec![Part::ToolResult {
            tool_use_id: "call_fn_1".into(),
            content: "v".into(),
            images: vec![],
            is_error: false
        }]
    );
}

#[test]
fn tool_choice_variants() {
    let tools = json!([{"type": "function", "function": {"name": "f"}}]);
    let base = with(minimal(), "tools", tools);
    let cases = [
        (json!("none"), ToolChoice::None),
        (json!("auto"), ToolChoice::Auto),
        (json!("required"), ToolChoice::Required),
        (
            json!({"type": "function", "function": {"name": "f"}}),
            ToolChoice::Named("f".into()),
        ),
    ];
    for (choice, expected) in cases {
        let req = parse(with(base.clone(), "tool_choice", choice)).unwrap();
        assert_eq!(to_conversation(&req).unwrap().tool_choice, expected);
    }
    // tool_choice wins over function_call.
    let v = with(
        with(base, "tool_choice", json!("none")),
        "function_call",
        json!("auto"),
    );
    assert_eq!(parse(v).unwrap().tool_choice, ToolChoice::None);
}

#[test]
fn max_tokens_stop_and_stream_options() {
    let mut v = minimal();
    v["max_tokens"] = json!(100);
    v["max_completion_tokens"] = json!(50);
    v["stop"] = json!(["END", ""]);
    v["stream"] = json!(true);
    v["stream_options"] = json!({"include_usage": true});
    let req = parse(v).unwrap();
    assert_eq!(req.max_tokens, Some(50));
    assert_eq!(req.stop, vec!["END".to_string()]);
    assert!(req.stream && req.include_usage);
    let conv = to_conversation(&req).unwrap();
    assert_eq!(conv.max_output_tokens, Some(50));
    assert_eq!(conv.stop_sequences, vec!["END".to_string()]);
    let req = parse(with(minimal(), "stop", json!("\n\n"))).unwrap();
    assert_eq!(req.stop, vec!["\n\n".to_string()]);
}

#[test]
fn response_format_appends_instruction_and_exposes_schema() {
    let schema =
        json!({"type": "object", "properties": {"a": {"type": "integer"}}, "required": ["a"]});
    let mut v = minimal();
    v["messages"] =
        json!([{"role": "system", "content": "Be terse."}, {"role": "user", "content": "x"}]);
    v["response_format"] = json!({"type": "json_schema", "json_schema": {"name": "thing", "schema": schema, "strict": true}});
    let req = parse(v).unwrap();
    assert_eq!(req.response_format.schema(), Some(&schema));
    assert!(req.response_format.wants_json());
    let conv = to_conversation(&req).unwrap();
    let system = conv.system.unwrap();
    assert!(system.starts_with("Be terse.\n\nRespond with a single valid JSON value"));
    assert!(system.contains("\"thing\""));
    assert!(system.contains(&schema.to_string()));

    let req = parse(with(
        minimal(),
        "response_format",
        json!({"type": "json_object"}),
    ))
    .unwrap();
    assert_eq!(req.response_format, ResponseFormat::JsonObject);
    assert_eq!(req.response_format.schema(), None);
    let conv = to_conversation(&req).unwrap();
    assert!(conv.system.unwrap().contains("JSON object"));

    let req = parse(with(minimal(), "response_format", json!({"type": "text"}))).unwrap();
    assert_eq!(to_conversation(&req).unwrap().system, None);
}

#[test]
fn reasoning_effort_budgets() {
    let table = [
        ("none", None),
        ("minimal", Some(1_000)),
        ("low", Some(2_000)),
        ("medium", Some(5_000)),
        ("high", Some(8_000)),
        ("xhigh", Some(9_500)),
    ];
    for (effort, budget) in table {
        let req = parse(with(minimal(), "reasoning_effort", json!(effort))).unwrap();
        let conv = to_conversation(&req).unwrap();
        assert_eq!(
            conv.thinking,
            budget.map(|b| Thinking {
                budget_tokens: Some(b),
                effort: Effort::parse(effort),
            }),
            "{effort}"
        );
    }
    // Based on max_tokens, capped.
    assert_eq!(
        reasoning_budget(ReasoningEffort::Medium, Some(4_000)),
        Some(2_000)
    );
    assert_eq!(
        reasoning_budget(ReasoningEffort::High, Some(100_000)),
        Some(REASONING_BUDGET_CAP)
    );
    assert_eq!(reasoning_budget(ReasoningEffort::Minimal, Some(1)), Some(1));
}

#[test]
fn model_thinking_suffix_enables_thinking_unless_effort_none() {
    let with_suffix = |req: &ChatRequest| {
        let mut conversation = to_conversation(req).unwrap();
        conversation.apply_model_name_thinking(true);
        conversation.thinking
    };
    let req = parse(minimal()).unwrap();
    assert_eq!(to_conversation(&req).unwrap().thinking, None);
    assert_eq!(
        with_suffix(&req),
        Some(Thinking {
            budget_tokens: Some(REASONING_BUDGET_CAP),
            effort: None,
        })
    );
    let req = parse(with(minimal(), "reasoning_effort", json!("none"))).unwrap();
    assert!(to_conversation(&req).unwrap().reasoning_off);
    assert_eq!(with_suffix(&req), None);
    let req = parse(with(minimal(), "reasoning_effort", json!("low"))).unwrap();
    assert_eq!(
        with_suffix(&req),
        Some(Thinking {
            budget_tokens: Some(2_000),
            effort: Some(Effort::Low),
        })
    );
}

#[test]
fn tool_message_with_image_parts_keeps_images() {
    let v = json!({"model": "m", "messages": [
        {"role": "user", "content": "x"},
        {"role": "assistant", "tool_calls": [{"id": "c1", "function": {"name": "shot", "arguments": "{}"}}]},
        {"role": "tool", "tool_call_id": "c1", "content": [{"type": "text", "text": "here"}, {"type": "image_url", "image_url": {"url": PNG}}]},
    ]});
    let conv = to_conversation(&parse(v).unwrap()).unwrap();
    match &conv.messages[2].parts[0] {
        Part::ToolResult {
            content, images, ..
        } => {
            assert_eq!(content, "here");
            assert_eq!(images.len(), 1);
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn arbitrary_bytes_never_panic() {
    let inputs: Vec<Vec<u8>> = vec![
        vec![0xff, 0xfe],
        b"{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\",\"image_url\":{\"url\":\"data:\"}}]}]}".to_vec(),
        b"{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\",\"image_url\":{\"url\":\"\xc3\xa9\"}}]}]}".to_vec(),
        b"{\"model\":\"m\",\"messages\":[{\"role\":\"assistant\"}]}".to_vec(),
    ];
    for input in inputs {
        let _ = parse_chat_request(&input).map(|r| to_conversation(&r));
    }
}

#[test]
fn check_answer_against_response_format() {
    assert!(ResponseFormat::Text.check_answer("anything").is_ok());
    let obj = ResponseFormat::JsonObject;
    assert_eq!(obj.check_answer(" {\"a\":1} ").unwrap(), json!({"a": 1}));
    assert_eq!(
        obj.check_answer("```json\n{\"a\":1}\n```").unwrap(),
        json!({"a": 1})
    );
    assert_eq!(
        obj.check_answer("```{\"a\":1}```").unwrap(),
        json!({"a": 1})
    );
    assert!(obj.check_answer("[1]").is_err());
    assert!(obj.check_answer("Sure! {\"a\":1}").is_err());
    let schema = ResponseFormat::JsonSchema {
        name: "s".into(),
        schema: json!({"type": "object", "required": ["a", "b"]}),
        strict: true,
    };
    assert!(schema.check_answer("{\"a\":1,\"b\":2}").is_ok());
    let err = schema.check_answer("{\"a\":1}").unwrap_err();
    assert!(err.contains("'b'"));
    assert!(schema.check_answer("3").is_err());
    assert_eq!(strip_code_fence("```\n[1]\n```"), "[1]");
}

#[test]
fn signed_reasoning_details_go_back_as_signed_thinking() {
    use crate::convert::conversation::Part;
    let v = json!({"model": "m", "messages": [
        {"role": "user", "content": "q"},
        {"role": "assistant", "content": "a", "reasoning_content": "all of it",
         "reasoning_details": [
            {"type": "reasoning.text", "text": "", "signature": "s1", "format": "kiro", "index": 0},
            {"type": "reasoning.summary", "summary": "ignored"},
            {"type": "reasoning.encrypted", "data": "other provider"},
            {"type": "reasoning.text", "text": "unsigned"},
            {"type": "reasoning.text", "text": "own text", "signature": "s2"},
         ]},
        {"role": "assistant", "content": "b", "reasoning_content": "no signature"},
        {"role": "assistant", "content": "c", "reasoning_details": "not a list"},
        {"role": "user", "content": "next"},
    ]});
    let conv = to_conversation(&parse(v).unwrap()).unwrap();
    let thinking: Vec<(String, Option<String>)> = conv
        .messages
        .iter()
        .flat_map(|m| &m.parts)
        .filter_map(|p| match p {
            Part::Thinking { text, signature } => Some((text.clone(), signature.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(
        thinking,
        [
            // An item without text takes the message's reasoning_content.
            ("all of it".to_owned(), Some("s1".to_owned())),
            ("own text".to_owned(), Some("s2".to_owned())),
            ("no signature".to_owned(), None),
        ]
    );
}
