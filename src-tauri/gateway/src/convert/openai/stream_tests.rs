//! Transcript tests of [`super::stream::ChatOutput`]: event sequences in, exact chunks out.

use std::collections::HashMap;

use serde_json::{json, Value};

use super::stream::*;
use crate::convert::output::CONTENT_LENGTH_EXCEEDED;
use crate::convert::trailer::CompletionRule;
use crate::error::ErrorKind;
use crate::kiro::events::{KiroEvent, TokenUsage};

const ID: &str = "chatcmpl-test";
const MODEL: &str = "claude-sonnet-4.5";
const CREATED: i64 = 1_700_000_000;

fn opts() -> ChatOutputOptions {
    ChatOutputOptions {
        id: ID.into(),
        model: MODEL.into(),
        created: CREATED,
        include_usage: false,
        tool_names: HashMap::new(),
        stop: vec![],
        max_tokens: None,
        reasoning_tags: false,
        // The transcripts end with the older trailer (metering, context usage): complete
        // under the tolerant rule. The strict rule has its own tests.
        completion: CompletionRule::Tolerant,
        prompt_tokens_estimate: 42,
        context_window: 200_000,
        identity: None,
    }
}

fn chunk(delta: Value, finish: Option<&str>) -> Value {
    json!({
        "id": ID, "object": "chat.completion.chunk", "created": CREATED, "model": MODEL,
        "choices": [{"index": 0, "delta": delta, "logprobs": null, "finish_reason": finish}],
    })
}

fn chunk_u(delta: Value, finish: Option<&str>) -> Value {
    let mut c = chunk(delta, finish);
    c["usage"] = Value::Null;
    c
}

fn usage_chunk(usage: Value) -> Value {
    json!({"id": ID, "object": "chat.completion.chunk", "created": CREATED, "model": MODEL,
        "choices": [], "usage": usage})
}

fn text(s: &str) -> KiroEvent {
    KiroEvent::Text(s.into())
}

fn tool(id: &str, name: &str, input: Option<&str>, stop: bool) -> KiroEvent {
    KiroEvent::ToolUse {
        tool_use_id: id.into(),
        name: name.into(),
        input: input.map(str::to_string),
        stop,
    }
}

fn metering() -> KiroEvent {
    KiroEvent::Metering {
        usage: 0.0148,
        unit: Some("credit".into()),
    }
}

/// `usage` with the credits of [`metering`] (the `kiro_credits` extension field).
fn metered(mut usage: Value) -> Value {
    usage["kiro_credits"] = json!(0.0148);
    usage
}

fn ctx(percentage: f64) -> KiroEvent {
    KiroEvent::ContextUsage { percentage }
}

/// Feed every event, then `finish`; returns all chunks.
fn stream(o: ChatOutputOptions, events: &[KiroEvent]) -> Vec<Value> {
    let mut out = ChatOutput::new(o);
    let mut chunks = Vec::new();
    for e in events {
        chunks.extend(out.on_event(e.clone()));
    }
    chunks.extend(out.finish());
    assert!(out.is_finished());
    assert!(out.finish().is_empty(), "finish twice must not repeat");
    chunks
}

fn completion(o: ChatOutputOptions, events: &[KiroEvent]) -> Result<Value, crate::error::ApiError> {
    let mut out = ChatOutput::new(o);
    for e in events {
        out.on_event(e.clone());
    }
    out.into_completion()
}

fn completion_of(message: Value, finish: &str, usage: Value) -> Value {
    json!({
        "id": ID, "object": "chat.completion", "created": CREATED, "model": MODEL,
        "choices": [{"index": 0, "message": message, "logprobs": null, "finish_reason": finish}],
        "usage": usage,
    })
}

fn usage(prompt: u64, completion: u64) -> Value {
    json!({"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion})
}

#[test]
fn text_in_many_chunks_keeps_repeated_identical_chunks() {
    let events = [
        text("Echo: "),
        text("6"),
        text("6"),
        text("6"),
        text("6"),
        text(""),
        metering(),
        ctx(1.0),
    ];
    assert_eq!(
        stream(opts(), &events),
        vec![
            chunk(json!({"role": "assistant", "content": "Echo: "}), None),
            chunk(json!({"content": "6"}), None),
            chunk(json!({"content": "6"}), None),
            chunk(json!({"content": "6"}), None),
            chunk(json!({"content": "6"}), None),
            chunk(json!({}), Some("stop")),
        ]
    );
    // 1 % of 200 000 = 2 000 total; completion "Echo: 6666" = 10 chars = 3 tokens.
    assert_eq!(
        completion(opts(), &events).unwrap(),
        completion_of(
            json!({"role": "assistant", "content": "Echo: 6666", "refusal": null}),
            "stop",
            metered(usage(1_997, 3))
        )
    );
}

/// Arguments JSON split in the middle of escapes (`\\`, `\"`, `\u00e9`).
const ARGS: &str = r#"{"path":"C:\\dir\\\"q\"","s":"\u00e9"}"#;
const ARG_FRAGMENTS: [&str; 4] = [
    r#"{"path":"C:\"#,
    r#"\dir\\\"#,
    r#""q\"","s":"\u00"#,
    r#"e9"}"#,
];

#[test]
fn text_then_tool_call_with_json_split_mid_escape() {
    assert_eq!(ARG_FRAGMENTS.concat(), ARGS);
    let mut o = opts();
    o.tool_names.insert(
        "get_weather_ab12".into(),
        "get_weather_with_a_long_name".into(),
    );
    let mut events = vec![
        text("Hello"),
        tool("tooluse_7f3Yc1", "get_weather_ab12", Some(""), false),
    ];
    for f in ARG_FRAGMENTS {
        events.push(tool("tooluse_7f3Yc1", "get_weather_ab12", Some(f), false));
    }
    events.extend([
        tool("tooluse_7f3Yc1", "get_weather_ab12", None, true),
        metering(),
        ctx(12.5),
    ]);
    let chunks = stream(o.clone(), &events);
    let mut expected = vec![
        chunk(json!({"role": "assistant", "content": "Hello"}), None),
        chunk(
            json!({"tool_calls": [{"index": 0, "id": "call_7f3Yc1", "type": "function",
                "function": {"name": "get_weather_with_a_long_name", "arguments": ""}}]}),
            None,
        ),
    ];
    for f in ARG_FRAGMENTS {
        expected.push(chunk(
            json!({"tool_calls": [{"index": 0, "function": {"arguments": f}}]}),
            None,
        ));
    }
    expected.push(chunk(json!({}), Some("tool_calls")));
    assert_eq!(chunks, expected);

    // The streamed fragments reassemble to the JSON that was sent.
    let reassembled: String = chunks
        .iter()
        .filter_map(|c| c["choices"][0]["delta"]["tool_calls"][0]["function"]["arguments"].as_str())
        .collect();
    assert_eq!(reassembled, ARGS);
    let parsed: Value = serde_json::from_str(&reassembled).unwrap();
    assert_eq!(parsed, json!({"path": "C:\\dir\\\"q\"", "s": "é"}));

    let done = completion(o, &events).unwrap();
    let message = &done["choices"][0]["message"];
    assert_eq!(message["content"], "Hello");
    assert_eq!(
        message["tool_calls"],
        json!([{"id": "call_7f3Yc1", "type": "function",
            "function": {"name": "get_weather_with_a_long_name", "arguments": ARGS}}])
    );
    assert_eq!(done["choices"][0]["finish_reason"], "tool_calls");
    let u = &done["usage"];
    assert_eq!(
        u["prompt_tokens"].as_u64().unwrap() + u["completion_tokens"].as_u64().unwrap(),
        25_000
    );
}

#[test]
fn two_tool_calls_without_text() {
    let events = [
        tool("tooluse_A", "read", Some("{\"f\":"), false),
        tool("tooluse_A", "read", Some("\"a.rs\"}"), true),
        tool("call_B", "list", Some("{}"), false),
        tool("call_B", "list", Some("{\"dir\":\".\"}"), false),
        tool("call_B", "list", None, true),
        ctx(3.0),
    ];
    assert_eq!(
        stream(opts(), &events),
        vec![
            chunk(
                json!({"role": "assistant", "tool_calls": [{"index": 0, "id": "call_A", "type": "function",
                    "function": {"name": "read", "arguments": ""}}]}),
                None
            ),
            chunk(
                json!({"tool_calls": [{"index": 0, "function": {"arguments": "{\"f\":"}}]}),
                None
            ),
            chunk(
                json!({"tool_calls": [{"index": 0, "function": {"arguments": "\"a.rs\"}"}}]}),
                None
            ),
            chunk(
                json!({"tool_calls": [{"index": 1, "id": "call_B", "type": "function",
                    "function": {"name": "list", "arguments": ""}}]}),
                None
            ),
            chunk(
                json!({"tool_calls": [{"index": 1, "function": {"arguments": "{\"dir\":\".\"}"}}]}),
                None
            ),
            chunk(json!({}), Some("tool_calls")),
        ]
    );
    let done = completion(opts(), &events).unwrap();
    assert_eq!(
        done["choices"][0]["message"],
        json!({"role": "assistant", "content": null, "refusal": null, "tool_calls": [
            {"id": "call_A", "type": "function", "function": {"name": "read", "arguments": "{\"f\":\"a.rs\"}"}},
            {"id": "call_B", "type": "function", "function": {"name": "list", "arguments": "{\"dir\":\".\"}"}},
        ]})
    );
}

#[test]
fn native_reasoning_becomes_reasoning_content() {
    let events = [
        KiroEvent::Reasoning {
            text: Some("Let me think".into()),
            signature: None,
            redacted_content: None,
        },
        KiroEvent::Reasoning {
            text: Some(" more".into()),
            signature: Some("sig".into()),
            redacted_content: None,
        },
        text("Answer"),
        metering(),
    ];
    // Kiro's signature goes out once the reasoning ends, with the whole stretch's text.
    let signed = json!({"type": "reasoning.text", "text": "Let me think more",
                        "signature": "sig", "format": "kiro", "index": 0});
    assert_eq!(
        stream(opts(), &events),
        vec![
            chunk(
                json!({"role": "assistant", "reasoning_content": "Let me think"}),
                None
            ),
            chunk(json!({"reasoning_content": " more"}), None),
            chunk(json!({"reasoning_details": [signed.clone()]}), None),
            chunk(json!({"content": "Answer"}), None),
            chunk(json!({}), Some("stop")),
        ]
    );
    let done = completion(opts(), &events).unwrap();
    // "Let me think more" = 17 chars → 5 tokens; + "Answer" → 23 chars → 6 tokens.
    assert_eq!(
        done,
        completion_of(
            json!({"role": "assistant", "content": "Answer", "refusal": null,
                "reasoning_content": "Let me think more",
                "reasoning_details": [signed]}),
            "stop",
            metered(
                json!({"prompt_tokens": 42, "completion_tokens": 6, "total_tokens": 48,
                "completion_tokens_details": {"reasoning_tokens": 5}})
            )
        )
    );
}

#[test]
fn reasoning_tags_split_one_char_at_a_time() {
    let mut o = opts();
    o.reasoning_tags = true;
    let mut events: Vec<KiroEvent> = "<thinking>\nab</thinking>\n\nHi"
        .chars()
        .map(|c| text(&c.to_string()))
        .collect();
    events.push(metering());
    assert_eq!(
        stream(o.clone(), &events),
        vec![
            chunk(json!({"role": "assistant", "reasoning_content": "a"}), None),
            chunk(json!({"reasoning_content": "b"}), None),
            chunk(json!({"content": "H"}), None),
            chunk(json!({"content": "i"}), None),
            chunk(json!({}), Some("stop")),
        ]
    );
    let done = completion(o.clone(), &events).unwrap();
    assert_eq!(done["choices"][0]["message"]["content"], "Hi");
    assert_eq!(done["choices"][0]["message"]["reasoning_content"], "ab");

    // Every tag, with '<' inside the reasoning: nothing of a tag ever leaks.
    for tag in ["think", "reasoning", "thought"] {
        let src = format!("<{tag}>x<y</{tag}>Z");
        let events: Vec<KiroEvent> = src.chars().map(|c| text(&c.to_string())).collect();
        let done = completion(o.clone(), &events).unwrap();
        assert_eq!(
            done["choices"][0]["message"]["reasoning_content"], "x<y",
            "{tag}"
        );
        assert_eq!(done["choices"][0]["message"]["content"], "Z", "{tag}");
    }

    // With tags off the text is content, unchanged.
    let events = [text("<thinking>a</thinking>b"), metering()];
    let done = completion(opts(), &events).unwrap();
    assert_eq!(
        done["choices"][0]["message"]["content"],
        "<thinking>a</thinking>b"
    );
}

#[test]
fn stop_sequence_split_across_chunks() {
    let mut o = opts();
    o.stop = vec!["STOP".into()];
    let events = [
        text("Hello ST"),
        text("ART "),
        text("ST"),
        text("O"),
        text("P and more"),
    ];
    let mut out = ChatOutput::new(o.clone());
    let mut chunks = Vec::new();
    for e in &events {
        chunks.extend(out.on_event(e.clone()));
    }
    assert!(out.is_finished());
    assert!(out.on_event(text("after")).is_empty());
    chunks.extend(out.finish());
    assert_eq!(
        chunks,
        vec![
            chunk(json!({"role": "assistant", "content": "Hello "}), None),
            chunk(json!({"content": "START "}), None),
            chunk(json!({}), Some("stop")),
        ]
    );
    let done = completion(o, &events).unwrap();
    assert_eq!(done["choices"][0]["message"]["content"], "Hello START ");
    assert_eq!(done["choices"][0]["finish_reason"], "stop");
}

#[test]
fn held_back_stop_prefix_is_released_at_the_end() {
    let mut o = opts();
    o.stop = vec!["</answer>".into()];
    let events = [text("x </ans"), metering()];
    assert_eq!(
        stream(o, &events),
        vec![
            chunk(json!({"role": "assistant", "content": "x "}), None),
            chunk(json!({"content": "</ans"}), None),
            chunk(json!({}), Some("stop")),
        ]
    );
}

#[test]
fn max_tokens_cuts_the_text() {
    let mut o = opts();
    o.max_tokens = Some(3); // 12 ASCII characters
    let events = [text("Hello "), text("world, this is long"), text("never")];
    let mut out = ChatOutput::new(o.clone());
    let mut chunks = Vec::new();
    for e in &events {
        chunks.extend(out.on_event(e.clone()));
    }
    assert!(out.is_finished());
    chunks.extend(out.finish());
    assert_eq!(
        chunks,
        vec![
            chunk(json!({"role": "assistant", "content": "Hello "}), None),
            chunk(json!({"content": "world,"}), None),
            chunk(json!({}), Some("length")),
        ]
    );
    assert_eq!(
        completion(o, &events).unwrap(),
        completion_of(
            json!({"role": "assistant", "content": "Hello world,", "refusal": null}),
            "length",
            usage(42, 3)
        )
    );
}

#[test]
fn include_usage_adds_null_usage_and_a_final_usage_chunk() {
    let mut o = opts();
    o.include_usage = true;
    let events = [text("Hi"), ctx(12.5), metering()];
    assert_eq!(
        stream(o.clone(), &events),
        vec![
            chunk_u(json!({"role": "assistant", "content": "Hi"}), None),
            chunk_u(json!({}), Some("stop")),
            usage_chunk(metered(usage(24_999, 1))),
        ]
    );
    // Without a context-usage event the prompt estimate is used.
    assert_eq!(
        stream(o, &[text("Hi"), metering()]),
        vec![
            chunk_u(json!({"role": "assistant", "content": "Hi"}), None),
            chunk_u(json!({}), Some("stop")),
            usage_chunk(metered(usage(42, 1))),
        ]
    );
}

#[test]
fn upstream_token_usage_and_stop_reason_win() {
    let events = [
        text("blocked"),
        KiroEvent::Metadata {
            token_usage: Some(TokenUsage {
                uncached_input_tokens: Some(100),
                output_tokens: Some(7),
                total_tokens: Some(117),
                cache_read_input_tokens: Some(10),
                cache_write_input_tokens: None,
            }),
            stop_reason: Some("CONTENT_FILTERED".into()),
        },
    ];
    let done = completion(opts(), &events).unwrap();
    assert_eq!(done["choices"][0]["finish_reason"], "content_filter");
    let mut expected = usage(110, 7);
    expected["prompt_tokens_details"] = json!({"cached_tokens": 10});
    assert_eq!(done["usage"], expected);
}

#[test]
fn exception_mid_stream_releases_held_text_then_errors() {
    let mut o = opts();
    o.stop = vec!["STOP".into()];
    let mut out = ChatOutput::new(o.clone());
    assert_eq!(
        out.on_event(text("Hello S")),
        vec![chunk(
            json!({"role": "assistant", "content": "Hello "}),
            None
        )]
    );
    let chunks = out.on_event(KiroEvent::Exception {
        exception_type: "ThrottlingException".into(),
        message: "Too many requests".into(),
    });
    assert_eq!(chunks.len(), 2);
    assert_eq!(chunks[0], chunk(json!({"content": "S"}), None));
    assert_eq!(
        chunks[1],
        json!({"error": {
            "message": "Upstream error during the response (ThrottlingException): Too many requests",
            "type": "rate_limit_error", "param": null, "code": "ThrottlingException"}})
    );
    assert!(out.is_finished());
    assert!(out.on_event(text("more")).is_empty());
    assert!(out.finish().is_empty());
    let err = out.into_completion().unwrap_err();
    assert_eq!(err.kind, ErrorKind::RateLimit);

    // A generic error frame.
    let mut out = ChatOutput::new(opts());
    let chunks = out.on_event(KiroEvent::Error {
        code: "InternalServerException".into(),
        message: String::new(),
    });
    assert_eq!(chunks.len(), 1);
    assert_eq!(chunks[0]["error"]["type"], "server_error");
    assert!(out.is_finished());

    // A failure outside the event stream.
    let mut out = ChatOutput::new(opts());
    out.on_event(text("x"));
    let chunks = out.on_failure(crate::error::ApiError::new(ErrorKind::Timeout, "idle"));
    assert_eq!(
        chunks,
        vec![json!({"error": {"message": "idle", "type": "timeout", "param": null, "code": null}})]
    );
}

#[test]
fn content_length_exceeded_finishes_with_length() {
    let events = [
        text("Long"),
        KiroEvent::Exception {
            exception_type: CONTENT_LENGTH_EXCEEDED.into(),
            message: "too long".into(),
        },
    ];
    assert_eq!(
        stream(opts(), &events),
        vec![
            chunk(json!({"role": "assistant", "content": "Long"}), None),
            chunk(json!({}), Some("length")),
        ]
    );
}

#[test]
fn truncation_without_trailers_is_length() {
    let events = [text("Partial ans")];
    assert_eq!(
        stream(opts(), &events),
        vec![
            chunk(json!({"role": "assistant", "content": "Partial ans"}), None),
            chunk(json!({}), Some("length")),
        ]
    );
    let done = completion(opts(), &events).unwrap();
    assert_eq!(done["choices"][0]["finish_reason"], "length");
    // The same text with a trailer is a normal stop.
    let done = completion(opts(), &[text("Partial ans"), ctx(1.0)]).unwrap();
    assert_eq!(done["choices"][0]["finish_reason"], "stop");
}

#[test]
fn under_the_strict_rule_only_metadata_completes_an_answer() {
    let strict = ChatOutputOptions {
        completion: CompletionRule::Strict,
        ..opts()
    };
    let older = [text("Partial ans"), ctx(1.0), metering()];
    let done = completion(strict.clone(), &older).unwrap();
    assert_eq!(done["choices"][0]["finish_reason"], "length");
    let december = [
        text("Partial ans"),
        KiroEvent::Metadata {
            token_usage: None,
            stop_reason: None,
        },
        ctx(1.0),
        metering(),
    ];
    let done = completion(strict, &december).unwrap();
    assert_eq!(done["choices"][0]["finish_reason"], "stop");
}

#[test]
fn a_cut_tool_call_never_reaches_the_client_and_the_answer_is_length() {
    let events = [
        text("Writing the file."),
        tool("tooluse_X", "write", Some("{\"content\":\"abc"), false),
    ];
    let chunks = stream(opts(), &events);
    assert_eq!(chunks.last().unwrap(), &chunk(json!({}), Some("length")));
    assert!(
        chunks
            .iter()
            .all(|c| c["choices"][0]["delta"].get("tool_calls").is_none()),
        "no half-formed call in the stream: {chunks:?}"
    );
    let done = completion(opts(), &events).unwrap();
    assert_eq!(done["choices"][0]["finish_reason"], "length");
    assert!(
        done["choices"][0]["message"].get("tool_calls").is_none(),
        "{done}"
    );
    assert_eq!(
        done["choices"][0]["message"]["content"],
        "Writing the file."
    );
}

#[test]
fn empty_answer_still_sends_role_and_finish() {
    assert_eq!(
        stream(opts(), &[metering(), ctx(0.5)]),
        vec![
            chunk(json!({"role": "assistant", "content": ""}), None),
            chunk(json!({}), Some("stop")),
        ]
    );
    let done = completion(opts(), &[]).unwrap();
    assert_eq!(done["choices"][0]["message"]["content"], "");
}

#[test]
fn context_window_exceeded_and_max_tokens_stop_reasons() {
    let done = completion(opts(), &[text("a"), ctx(100.0)]).unwrap();
    assert_eq!(done["choices"][0]["finish_reason"], "length");
    let done = completion(
        opts(),
        &[
            text("a"),
            KiroEvent::Metadata {
                token_usage: None,
                stop_reason: Some("MAX_TOKENS".into()),
            },
        ],
    )
    .unwrap();
    assert_eq!(done["choices"][0]["finish_reason"], "length");
}

#[test]
fn call_ids_and_error_chunk_shape() {
    assert_eq!(openai_call_id("tooluse_abc"), "call_abc");
    assert_eq!(openai_call_id("call_x"), "call_x");
    assert_eq!(openai_call_id("xyz"), "call_xyz");
    let e = error_chunk(&crate::error::ApiError::invalid_request("bad"));
    assert_eq!(e["error"]["type"], "invalid_request_error");
}

#[test]
fn arbitrary_event_soup_never_panics() {
    let mut o = opts();
    o.reasoning_tags = true;
    o.stop = vec!["é!".into(), "<".into()];
    o.max_tokens = Some(5);
    o.include_usage = true;
    let pieces = [
        "<thi", "nk>", "é", "!", "", "漢字", "</think>", "\u{0}", "<",
    ];
    for seed in 0..200u32 {
        let mut out = ChatOutput::new(o.clone());
        let mut s = seed;
        for _ in 0..20 {
            s = s.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            let p = pieces[(s >> 16) as usize % pieces.len()];
            let event = match (s >> 8) % 5 {
                0 => tool("t", "n", Some(p), s % 3 == 0),
                1 => KiroEvent::Reasoning {
                    text: Some(p.into()),
                    signature: None,
                    redacted_content: None,
                },
                2 => ctx(f64::from(s % 300)),
                _ => text(p),
            };
            out.on_event(event);
        }
        out.finish();
        let _ = out.into_completion();
    }
}

fn split_at(text: &str, cuts: &[usize]) -> Vec<String> {
    let mut bounds: Vec<usize> = cuts
        .iter()
        .map(|c| c % (text.len() + 1))
        .filter(|c| text.is_char_boundary(*c))
        .collect();
    bounds.sort_unstable();
    bounds.push(text.len());
    let mut pieces = Vec::new();
    let mut last = 0;
    for b in bounds {
        if b >= last {
            pieces.push(text[last..b].to_string());
            last = b;
        }
    }
    pieces
}

/// (streamed content, streamed reasoning, finish_reason, completion)
fn run_split(o: &ChatOutputOptions, pieces: &[String]) -> (String, String, Value, Value) {
    let mut events: Vec<KiroEvent> = pieces.iter().map(|p| text(p)).collect();
    events.push(metering());
    let chunks = stream(o.clone(), &events);
    let mut content = String::new();
    let mut reasoning = String::new();
    let mut finish = Value::Null;
    for c in &chunks {
        let delta = &c["choices"][0]["delta"];
        content.push_str(delta["content"].as_str().unwrap_or(""));
        reasoning.push_str(delta["reasoning_content"].as_str().unwrap_or(""));
        if !c["choices"][0]["finish_reason"].is_null() {
            finish = c["choices"][0]["finish_reason"].clone();
        }
    }
    let done = completion(o.clone(), &events).unwrap();
    (content, reasoning, finish, done)
}

proptest::proptest! {
    #[test]
    fn streamed_chunks_match_the_completion_for_any_chunking(
        body in "(<thinking>)?[ab<>/é漢 \\n]{0,30}(</thinking>)?[ab<>/é \\nS]{0,30}",
        cuts in proptest::collection::vec(0usize..128, 0..16),
        max_tokens in proptest::option::of(1u32..12),
        tags in proptest::bool::ANY,
    ) {
        let mut o = opts();
        o.reasoning_tags = tags;
        o.stop = vec!["S".into(), "</x".into()];
        o.max_tokens = max_tokens;
        let whole = run_split(&o, std::slice::from_ref(&body));
        let split = run_split(&o, &split_at(&body, &cuts));
        for (content, reasoning, finish, done) in [&whole, &split] {
            let message = &done["choices"][0]["message"];
            proptest::prop_assert_eq!(message["content"].as_str().unwrap_or(""), content.as_str());
            proptest::prop_assert_eq!(
                message["reasoning_content"].as_str().unwrap_or(""),
                reasoning.as_str()
            );
            proptest::prop_assert_eq!(&done["choices"][0]["finish_reason"], finish);
            proptest::prop_assert!(!content.contains('S'));
            if let Some(m) = max_tokens {
                let used = done["usage"]["completion_tokens"].as_u64().unwrap();
                proptest::prop_assert!(used <= u64::from(m));
            }
        }
        proptest::prop_assert_eq!(&whole.0, &split.0);
        proptest::prop_assert_eq!(&whole.1, &split.1);
        proptest::prop_assert_eq!(&whole.2, &split.2);
    }
}

#[test]
fn a_signature_before_a_tool_call_or_the_end_still_goes_out() {
    let reasoning = |text: &str, signature: Option<&str>| KiroEvent::Reasoning {
        text: Some(text.into()),
        signature: signature.map(str::to_owned),
        redacted_content: None,
    };
    let signed = |text: &str, sig: &str, index: usize| {
        json!({"type": "reasoning.text", "text": text, "signature": sig,
               "format": "kiro", "index": index})
    };
    // Reasoning, a tool call, reasoning again, the end: two stretches, two items.
    let events = [
        reasoning("first", Some("s1")),
        tool("tooluse_1", "a", Some("{}"), true),
        reasoning("second", Some("s2")),
        metering(),
    ];
    let chunks = stream(opts(), &events);
    let details: Vec<&Value> = chunks
        .iter()
        .filter_map(|c| c["choices"][0]["delta"]["reasoning_details"].get(0))
        .collect();
    assert_eq!(
        details,
        [&signed("first", "s1", 0), &signed("second", "s2", 1)]
    );
    let detail_at = chunks
        .iter()
        .position(|c| c["choices"][0]["delta"].get("reasoning_details").is_some())
        .unwrap();
    let call_at = chunks
        .iter()
        .position(|c| c["choices"][0]["delta"].get("tool_calls").is_some())
        .unwrap();
    assert!(detail_at < call_at, "the stretch ends before the call");
    let done = completion(opts(), &events).unwrap();
    assert_eq!(
        done["choices"][0]["message"]["reasoning_details"],
        json!([signed("first", "s1", 0), signed("second", "s2", 1)])
    );

    // Unsigned reasoning has nothing to replay: no item.
    let chunks = stream(opts(), &[reasoning("plain", None), text("x"), metering()]);
    assert!(chunks
        .iter()
        .all(|c| c["choices"][0]["delta"].get("reasoning_details").is_none()));
}
