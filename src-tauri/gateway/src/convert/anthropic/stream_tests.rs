//! Transcript tests of [`super::stream::MessageOutput`]: event sequences in, exact
//! Anthropic events out.

use std::collections::HashMap;

use serde_json::{json, Value};

use super::stream::*;
use crate::convert::trailer::CompletionRule;
use crate::error::ErrorKind;
use crate::kiro::events::{KiroEvent, TokenUsage};

const SIG: &str = "sig_0123456789abcdef0123456789abcdef";

fn opts() -> MessageOutputOptions {
    MessageOutputOptions {
        id: "msg_test".into(),
        model: "claude-sonnet-4-5".into(),
        tool_names: HashMap::new(),
        stop_sequences: vec![],
        max_tokens: None,
        reasoning_tags: false,
        // The transcripts end with the older trailer (metering, context usage): complete
        // under the tolerant rule. The strict rule has its own tests.
        completion: CompletionRule::Tolerant,
        prompt_tokens_estimate: 42,
        context_window: 200_000,
        placeholder_signature: SIG.into(),
        identity: None,
    }
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

fn trailers() -> Vec<KiroEvent> {
    vec![
        KiroEvent::ContextUsage { percentage: 1.0 },
        KiroEvent::Metering {
            usage: 0.01,
            unit: Some("credit".into()),
        },
    ]
}

/// Run events through a machine; returns `(name, data)` pairs, message_start excluded.
fn run(
    opts: MessageOutputOptions,
    events: Vec<KiroEvent>,
) -> (Vec<(String, Value)>, MessageOutput) {
    let mut out = MessageOutput::new(opts);
    let mut all = Vec::new();
    for event in events {
        if out.is_finished() {
            break;
        }
        all.extend(out.on_event(event));
    }
    all.extend(out.finish());
    (
        all.into_iter()
            .map(|e| (e.name.to_string(), e.data))
            .collect(),
        out,
    )
}

fn start(i: usize, block: Value) -> (String, Value) {
    (
        "content_block_start".into(),
        json!({"type": "content_block_start", "index": i, "content_block": block}),
    )
}
fn delta(i: usize, d: Value) -> (String, Value) {
    (
        "content_block_delta".into(),
        json!({"type": "content_block_delta", "index": i, "delta": d}),
    )
}
fn stop(i: usize) -> (String, Value) {
    (
        "content_block_stop".into(),
        json!({"type": "content_block_stop", "index": i}),
    )
}

#[test]
fn message_start_carries_the_prompt_estimate() {
    let out = MessageOutput::new(opts());
    let start = out.message_start();
    assert_eq!(start.name, "message_start");
    assert_eq!(start.data["message"]["usage"]["input_tokens"], 42);
    assert_eq!(start.data["message"]["usage"]["output_tokens"], 0);
    assert_eq!(start.data["message"]["content"], json!([]));
    assert!(start.to_wire().starts_with("event: message_start\ndata: {"));
    assert!(start.to_wire().ends_with("}\n\n"));
}

#[test]
fn text_then_tool_use_exact_transcript() {
    let mut events = vec![
        text("Hel"),
        text("lo"),
        text(""),
        tool("tooluse_1", "get_weather", Some("{\"ci"), false),
        tool("tooluse_1", "get_weather", Some("ty\":\"Paris\"}"), false),
        tool("tooluse_1", "get_weather", None, true),
    ];
    events.extend(trailers());
    let (got, out) = run(opts(), events);
    assert_eq!(
        got[..8].to_vec(),
        vec![
            start(0, json!({"type": "text", "text": ""})),
            delta(0, json!({"type": "text_delta", "text": "Hel"})),
            delta(0, json!({"type": "text_delta", "text": "lo"})),
            stop(0),
            start(
                1,
                json!({"type": "tool_use", "id": "tooluse_1", "name": "get_weather", "input": {}})
            ),
            delta(
                1,
                json!({"type": "input_json_delta", "partial_json": "{\"ci"})
            ),
            delta(
                1,
                json!({"type": "input_json_delta", "partial_json": "ty\":\"Paris\"}"})
            ),
            stop(1),
        ]
    );
    assert_eq!(got[8].0, "message_delta");
    assert_eq!(
        got[8].1["delta"],
        json!({"stop_reason": "tool_use", "stop_sequence": null})
    );
    assert_eq!(
        got[9],
        ("message_stop".into(), json!({"type": "message_stop"}))
    );
    assert_eq!(got.len(), 10);
    let message = out.into_message().unwrap();
    assert_eq!(
        message["content"],
        json!([
            {"type": "text", "text": "Hello"},
            {"type": "tool_use", "id": "tooluse_1", "name": "get_weather", "input": {"city": "Paris"}}
        ])
    );
    assert_eq!(message["stop_reason"], "tool_use");
}

#[test]
fn tagged_thinking_becomes_a_signed_thinking_block_without_leaking_tags() {
    let mut o = opts();
    o.reasoning_tags = true;
    let mut events = vec![
        text("<thin"),
        text("king>\nLet me "),
        text("think.</thi"),
        text("nking>\n\nAnswer"),
    ];
    events.extend(trailers());
    let (got, out) = run(o, events);
    assert_eq!(
        got[..7].to_vec(),
        vec![
            start(
                0,
                json!({"type": "thinking", "thinking": "", "signature": ""})
            ),
            delta(0, json!({"type": "thinking_delta", "thinking": "Let me "})),
            delta(0, json!({"type": "thinking_delta", "thinking": "think."})),
            delta(0, json!({"type": "signature_delta", "signature": SIG})),
            stop(0),
            start(1, json!({"type": "text", "text": ""})),
            delta(1, json!({"type": "text_delta", "text": "Answer"})),
        ]
    );
    let message = out.into_message().unwrap();
    assert_eq!(
        message["content"],
        json!([
            {"type": "thinking", "thinking": "Let me think.", "signature": SIG},
            {"type": "text", "text": "Answer"}
        ])
    );
    assert_eq!(message["stop_reason"], "end_turn");
}

#[test]
fn native_reasoning_keeps_its_signature_and_redacted_content() {
    let events = vec![
        KiroEvent::Reasoning {
            text: Some("deep".into()),
            signature: None,
            redacted_content: None,
        },
        KiroEvent::Reasoning {
            text: None,
            signature: Some("native-sig".into()),
            redacted_content: None,
        },
        KiroEvent::Reasoning {
            text: None,
            signature: None,
            redacted_content: Some("b64data".into()),
        },
        text("ok"),
        KiroEvent::ContextUsage { percentage: 1.0 },
    ];
    let (got, out) = run(opts(), events);
    assert_eq!(
        got[..6].to_vec(),
        vec![
            start(
                0,
                json!({"type": "thinking", "thinking": "", "signature": ""})
            ),
            delta(0, json!({"type": "thinking_delta", "thinking": "deep"})),
            delta(
                0,
                json!({"type": "signature_delta", "signature": "native-sig"})
            ),
            stop(0),
            start(1, json!({"type": "redacted_thinking", "data": "b64data"})),
            stop(1),
        ]
    );
    let message = out.into_message().unwrap();
    assert_eq!(message["content"][0]["signature"], "native-sig");
    assert_eq!(message["content"][1]["type"], "redacted_thinking");
    assert_eq!(message["content"][2]["text"], "ok");
}

#[test]
fn stop_sequence_split_across_chunks_is_cut_and_reported() {
    let mut o = opts();
    o.stop_sequences = vec!["STOP".into()];
    let mut events = vec![text("one two ST"), text("OP three")];
    events.extend(trailers());
    let (got, out) = run(o, events);
    let texts: String = got
        .iter()
        .filter_map(|(_, d)| d["delta"]["text"].as_str())
        .collect();
    assert_eq!(texts, "one two ");
    let message = out.into_message().unwrap();
    assert_eq!(message["stop_reason"], "stop_sequence");
    assert_eq!(message["stop_sequence"], "STOP");
    assert_eq!(message["content"][0]["text"], "one two ");
}

#[test]
fn max_tokens_cuts_text_and_thinking_with_the_usage_estimate() {
    let mut o = opts();
    o.max_tokens = Some(2);
    // 4 ASCII characters per token: 8 characters fit.
    let (_, out) = run(
        o,
        vec![
            text("abcdefghijkl"),
            KiroEvent::ContextUsage { percentage: 1.0 },
        ],
    );
    assert!(out.is_finished());
    let message = out.into_message().unwrap();
    assert_eq!(message["content"][0]["text"], "abcdefgh");
    assert_eq!(message["stop_reason"], "max_tokens");
    assert_eq!(message["usage"]["output_tokens"], 2);
}

#[test]
fn stop_reasons_from_upstream_signals() {
    let cases: Vec<(Vec<KiroEvent>, &str)> = vec![
        (vec![text("a")], "max_tokens"), // no trailer: truncated
        (
            vec![text("a"), KiroEvent::ContextUsage { percentage: 3.0 }],
            "end_turn",
        ),
        (
            vec![
                text("a"),
                KiroEvent::Exception {
                    exception_type: "ContentLengthExceededException".into(),
                    message: "long".into(),
                },
            ],
            "max_tokens",
        ),
        (
            vec![text("a"), KiroEvent::ContextUsage { percentage: 100.0 }],
            "model_context_window_exceeded",
        ),
        (
            vec![
                text("a"),
                KiroEvent::Metadata {
                    token_usage: None,
                    stop_reason: Some("CONTENT_FILTERED".into()),
                },
            ],
            "refusal",
        ),
        (
            vec![
                tool("t1", "f", Some("{\"a\":"), true),
                KiroEvent::ContextUsage { percentage: 1.0 },
            ],
            "max_tokens",
        ),
        (
            vec![KiroEvent::ContextUsage { percentage: 1.0 }],
            "end_turn",
        ),
    ];
    for (events, expected) in cases {
        let (_, out) = run(opts(), events.clone());
        assert_eq!(out.stop_reason(), Some(expected), "{events:?}");
    }
}

#[test]
fn under_the_strict_rule_only_metadata_completes_an_answer() {
    let strict = MessageOutputOptions {
        completion: CompletionRule::Strict,
        ..opts()
    };
    let older_trailer = vec![
        text("a"),
        KiroEvent::ContextUsage { percentage: 3.0 },
        KiroEvent::Metering {
            usage: 0.1,
            unit: None,
        },
    ];
    let (_, out) = run(strict.clone(), older_trailer.clone());
    assert_eq!(out.stop_reason(), Some("max_tokens"), "cut short");
    let (_, out) = run(opts(), older_trailer);
    assert_eq!(out.stop_reason(), Some("end_turn"), "tolerant");
    let december = vec![
        text("a"),
        KiroEvent::Metadata {
            token_usage: None,
            stop_reason: Some("END_TURN".into()),
        },
        KiroEvent::ContextUsage { percentage: 3.0 },
    ];
    let (_, out) = run(strict, december);
    assert_eq!(out.stop_reason(), Some("end_turn"));
}

#[test]
fn usage_prefers_metadata_then_context_percentage_then_estimate() {
    let (_, out) = run(
        opts(),
        vec![
            text("Hello"),
            KiroEvent::Metadata {
                token_usage: Some(TokenUsage {
                    uncached_input_tokens: Some(100),
                    output_tokens: Some(7),
                    total_tokens: Some(1107),
                    cache_read_input_tokens: Some(1000),
                    cache_write_input_tokens: Some(5),
                }),
                stop_reason: Some("END_TURN".into()),
            },
        ],
    );
    assert_eq!(
        out.usage(),
        json!({"input_tokens": 100, "cache_creation_input_tokens": 5, "cache_read_input_tokens": 1000, "output_tokens": 7})
    );
    let (_, out) = run(
        opts(),
        vec![text("Hello"), KiroEvent::ContextUsage { percentage: 1.0 }],
    );
    // 1 % of 200 000 = 2 000 tokens in total, minus 2 output tokens.
    assert_eq!(
        out.usage(),
        json!({"input_tokens": 1998, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0, "output_tokens": 2})
    );
    let (_, out) = run(
        opts(),
        vec![
            text("Hello"),
            KiroEvent::Metering {
                usage: 0.1,
                unit: None,
            },
        ],
    );
    assert_eq!(out.usage()["input_tokens"], 42);
}

#[test]
fn an_error_frame_closes_the_block_then_sends_an_error_event() {
    let (got, out) = run(
        opts(),
        vec![
            text("partial"),
            KiroEvent::Exception {
                exception_type: "ThrottlingException".into(),
                message: "slow down".into(),
            },
            text("never"),
        ],
    );
    let names: Vec<&str> = got.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        vec![
            "content_block_start",
            "content_block_delta",
            "content_block_stop",
            "error"
        ]
    );
    assert_eq!(got[3].1["type"], "error");
    assert_eq!(got[3].1["error"]["type"], "rate_limit_error");
    assert!(got[3].1["error"]["message"]
        .as_str()
        .unwrap()
        .contains("slow down"));
    let err = out.into_message().unwrap_err();
    assert_eq!(err.kind, ErrorKind::RateLimit);
}

#[test]
fn failure_outside_the_stream_is_an_api_error_event() {
    let mut out = MessageOutput::new(opts());
    out.on_event(text("x"));
    let events = out.on_failure(crate::error::ApiError::new(ErrorKind::Timeout, "idle"));
    assert_eq!(events.last().unwrap().name, "error");
    assert!(out.finish().is_empty());
}

#[test]
fn tool_names_are_mapped_back_and_second_call_gets_next_index() {
    let mut o = opts();
    o.tool_names = HashMap::from([(
        "short_name".to_string(),
        "a_very_long_original_name".to_string(),
    )]);
    let mut events = vec![
        tool("t1", "short_name", Some("{}"), true),
        tool("t2", "other", Some("{\"x\":1}"), true),
    ];
    events.extend(trailers());
    let (got, out) = run(o, events);
    assert_eq!(
        got[0],
        start(
            0,
            json!({"type": "tool_use", "id": "t1", "name": "a_very_long_original_name", "input": {}})
        )
    );
    let message = out.into_message().unwrap();
    assert_eq!(message["content"][0]["input"], json!({}));
    assert_eq!(message["content"][1]["input"], json!({"x": 1}));
    assert_eq!(message["content"][1]["name"], "other");
}

#[test]
fn ping_and_error_wire_forms() {
    assert_eq!(
        SseEvent::ping().to_wire(),
        "event: ping\ndata: {\"type\":\"ping\"}\n\n"
    );
    let sig = placeholder_signature();
    assert_eq!(sig.len(), 36);
    assert!(sig.starts_with("sig_") && sig[4..].chars().all(|c| c.is_ascii_hexdigit()));
}
