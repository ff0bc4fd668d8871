use proptest::prelude::*;

use super::super::eventstream::test_vectors::{self as tv, bytes};
use super::super::eventstream::{encode_event_frame, encode_frame, Header, CONTENT_TYPE};
use super::*;

fn parse_hex(hex_text: &str) -> Result<KiroEvent, EventError> {
    let mut decoder = Decoder::new();
    decoder.feed(&bytes(hex_text));
    let frame = decoder
        .next_frame()
        .expect("valid vector")
        .expect("complete");
    parse_frame(&frame)
}

fn event_of(hex_text: &str) -> KiroEvent {
    parse_hex(hex_text).expect("known event")
}

/// Decodes an event frame built from `event_type` and a JSON payload.
fn parse_event_json(event_type: &str, payload: &str) -> Result<KiroEvent, EventError> {
    parse_bytes(&encode_event_frame(event_type, payload.as_bytes()))
}

fn parse_bytes(frame: &[u8]) -> Result<KiroEvent, EventError> {
    let mut decoder = Decoder::new();
    decoder.feed(frame);
    let frame = decoder
        .next_frame()
        .expect("valid frame")
        .expect("complete");
    parse_frame(&frame)
}

/// Everything `stream` yields when fed in `chunk`-byte pieces, then `finish`.
fn collect(stream: &[u8], chunk: usize) -> (Vec<KiroEvent>, Result<(), EventError>) {
    let mut decoder = EventDecoder::new();
    let mut events = Vec::new();
    for piece in stream.chunks(chunk) {
        decoder.feed(piece);
        while let Some(event) = decoder.next_event().expect("valid stream") {
            events.push(event);
        }
    }
    (events, decoder.finish())
}

fn tool(input: Option<&str>, stop: bool) -> KiroEvent {
    KiroEvent::ToolUse {
        tool_use_id: "tooluse_7f3Yc1".into(),
        name: "get_weather".into(),
        input: input.map(str::to_owned),
        stop,
    }
}

fn turn1_events() -> Vec<KiroEvent> {
    vec![
        KiroEvent::Text("Hello".into()),
        tool(Some(""), false),
        tool(Some(r#"{"city":"Paris"}"#), false),
        tool(None, true),
        KiroEvent::Metering {
            usage: 0.0148,
            unit: Some("credit".into()),
        },
        KiroEvent::ContextUsage { percentage: 12.5 },
    ]
}

#[test]
fn vectors_map_to_typed_events() {
    let expected = turn1_events();
    for (hex_text, event) in [tv::V1, tv::V2, tv::V3, tv::V4, tv::V5, tv::V6]
        .iter()
        .zip(expected)
    {
        assert_eq!(event_of(hex_text), event);
    }
    assert_eq!(
        event_of(tv::V7),
        KiroEvent::Exception {
            exception_type: "ThrottlingException".into(),
            message: "Rate exceeded".into()
        }
    );
    assert_eq!(
        event_of(tv::V8),
        KiroEvent::Error {
            code: "InternalFailure".into(),
            message: "An internal error occurred".into()
        }
    );
    assert_eq!(event_of(tv::V9), KiroEvent::Text("héllo 你好".into()));
}

#[test]
fn frames_without_event_type_are_rejected() {
    assert!(matches!(
        parse_hex(tv::V0),
        Err(EventError::MissingEventType)
    ));
    assert!(matches!(
        parse_hex(tv::V10),
        Err(EventError::MissingEventType)
    ));
}

#[test]
fn turn1_stream_in_any_chunking() {
    let stream = tv::turn1();
    for chunk in [1, 7, stream.len()] {
        let (events, end) = collect(&stream, chunk);
        assert_eq!(events, turn1_events(), "chunk size {chunk}");
        assert!(end.is_ok(), "chunk size {chunk}");
    }
}

#[test]
fn text_then_mid_stream_exception() {
    let mut stream = bytes(tv::V1);
    stream.extend(bytes(tv::V7));
    let (events, end) = collect(&stream, 5);
    assert_eq!(
        events,
        vec![
            KiroEvent::Text("Hello".into()),
            KiroEvent::Exception {
                exception_type: "ThrottlingException".into(),
                message: "Rate exceeded".into()
            }
        ]
    );
    assert!(end.is_ok());
}

#[test]
fn truncated_stream_fails_at_finish() {
    let mut stream: Vec<u8> = [tv::V1, tv::V2, tv::V3, tv::V4, tv::V5]
        .iter()
        .flat_map(|v| bytes(v))
        .collect();
    stream.extend_from_slice(&bytes(tv::V6)[..50]);
    let (events, end) = collect(&stream, 13);
    assert_eq!(events, turn1_events()[..5]);
    let error = end.expect_err("truncated");
    assert!(error.is_fatal());
    assert!(matches!(
        error,
        EventError::Decode(DecodeError::Incomplete { remaining: 50 })
    ));
}

#[test]
fn multibyte_text_split_at_every_byte_comes_out_intact() {
    let v9 = bytes(tv::V9);
    for split in 1..v9.len() {
        let mut decoder = EventDecoder::new();
        decoder.feed(&v9[..split]);
        assert!(decoder.next_event().expect("valid prefix").is_none());
        decoder.feed(&v9[split..]);
        assert_eq!(
            decoder.next_event().expect("valid"),
            Some(KiroEvent::Text("héllo 你好".into())),
            "split at {split}"
        );
        assert!(decoder.finish().is_ok());
    }
}

#[test]
fn identical_text_chunks_are_kept_and_empty_ones_dropped() {
    let texts = ["6", "6", "", "6", "183", "3", ""];
    let stream: Vec<u8> = texts
        .iter()
        .flat_map(|t| encode_kiro_event(&KiroEvent::Text((*t).into())))
        .collect();
    let (events, end) = collect(&stream, stream.len());
    let expected: Vec<KiroEvent> = ["6", "6", "6", "183", "3"]
        .iter()
        .map(|t| KiroEvent::Text((*t).into()))
        .collect();
    assert_eq!(events, expected);
    assert!(end.is_ok());
}

#[test]
fn parse_frame_keeps_zero_length_text() {
    assert_eq!(
        parse_event_json("assistantResponseEvent", r#"{"content":""}"#).expect("valid"),
        KiroEvent::Text(String::new())
    );
}

#[test]
fn text_tolerates_unknown_keys_in_any_order_and_is_not_pattern_scanned() {
    let payload = r#"{"messageStatus":"COMPLETED","followupPrompt":{"content":"x"},"content":"{\"usage\":1} \"quoted\"","modelId":"m"}"#;
    assert_eq!(
        parse_event_json("assistantResponseEvent", payload).expect("valid"),
        KiroEvent::Text(r#"{"usage":1} "quoted""#.into())
    );
}

#[test]
fn tool_input_shapes() {
    let cases = [
        (r#","input":"""#, Some("")),
        (r##","input":"{\"a\":""##, Some(r#"{"a":"#)),
        (
            r#","input":{"city":"Paris","n":[1,2]}"#,
            Some(r#"{"city":"Paris","n":[1,2]}"#),
        ),
        (r#","input":{}"#, None),
        (r#","input":null"#, None),
        ("", None),
    ];
    for (input, expected) in cases {
        let payload = format!(r#"{{"toolUseId":"t1","name":"f"{input}}}"#);
        assert_eq!(
            parse_event_json("toolUseEvent", &payload).expect("valid"),
            KiroEvent::ToolUse {
                tool_use_id: "t1".into(),
                name: "f".into(),
                input: expected.map(str::to_owned),
                stop: false
            },
            "payload {payload}"
        );
    }
}

#[test]
fn tool_stop_with_keys_reversed_and_unknown_keys() {
    let payload = r#"{"stop":true,"extra":[1],"name":"f","toolUseId":"t1"}"#;
    assert_eq!(
        parse_event_json("toolUseEvent", payload).expect("valid"),
        KiroEvent::ToolUse {
            tool_use_id: "t1".into(),
            name: "f".into(),
            input: None,
            stop: true
        }
    );
}

#[test]
fn tool_without_id_is_a_payload_error() {
    let error = parse_event_json("toolUseEvent", r#"{"name":"f"}"#).expect_err("no id");
    assert!(
        matches!(&error, EventError::Payload { event_type, .. } if event_type == "toolUseEvent")
    );
    assert!(!error.is_fatal());
}

#[test]
fn reasoning_fields() {
    assert_eq!(
        parse_event_json(
            "reasoningContentEvent",
            r#"{"signature":"sig","text":"think","redactedContent":"AAE="}"#
        )
        .expect("valid"),
        KiroEvent::Reasoning {
            text: Some("think".into()),
            signature: Some("sig".into()),
            redacted_content: Some("AAE=".into())
        }
    );
    assert_eq!(
        parse_event_json("reasoningContentEvent", r#"{"text":"t"}"#).expect("valid"),
        KiroEvent::Reasoning {
            text: Some("t".into()),
            signature: None,
            redacted_content: None
        }
    );
}

#[test]
fn metering_variants() {
    assert_eq!(
        parse_event_json(
            "meteringEvent",
            r#"{"usedTools":["grep_search"],"usage":2}"#
        )
        .expect("valid"),
        KiroEvent::Metering {
            usage: 2.0,
            unit: None
        }
    );
    assert!(parse_event_json("meteringEvent", r#"{"unit":"credit"}"#).is_err());
}

#[test]
fn context_usage() {
    assert_eq!(
        parse_event_json("contextUsageEvent", r#"{"contextUsagePercentage":100}"#).expect("valid"),
        KiroEvent::ContextUsage { percentage: 100.0 }
    );
}

#[test]
fn metadata_with_and_without_usage() {
    let payload = r#"{"stopDetails":{"refusal":{}},"stopReason":"END_TURN","tokenUsage":{"outputTokens":5,"uncachedInputTokens":10,"totalTokens":15,"future":1}}"#;
    assert_eq!(
        parse_event_json("metadataEvent", payload).expect("valid"),
        KiroEvent::Metadata {
            token_usage: Some(TokenUsage {
                uncached_input_tokens: Some(10),
                output_tokens: Some(5),
                total_tokens: Some(15),
                cache_read_input_tokens: None,
                cache_write_input_tokens: None
            }),
            stop_reason: Some("END_TURN".into())
        }
    );
    assert_eq!(
        parse_event_json("metadataEvent", "{}").expect("valid"),
        KiroEvent::Metadata {
            token_usage: None,
            stop_reason: None
        }
    );
}

#[test]
fn invalid_state_is_an_exception() {
    assert_eq!(
        parse_event_json(
            "invalidStateEvent",
            r#"{"reason":"INVALID_TASK_ASSIST_PLAN","message":"bad plan"}"#
        )
        .expect("valid"),
        KiroEvent::Exception {
            exception_type: "invalidStateEvent".into(),
            message: "INVALID_TASK_ASSIST_PLAN: bad plan".into()
        }
    );
}

#[test]
fn unknown_events_are_other_whatever_their_payload() {
    for event_type in ["messageMetadataEvent", "followupPromptEvent", "codeEvent"] {
        assert_eq!(
            parse_event_json(event_type, "not json").expect("ignored payload"),
            KiroEvent::Other {
                event_type: event_type.into()
            }
        );
    }
}

#[test]
fn missing_message_type_means_event() {
    let frame = encode_frame(
        &[Header::string(EVENT_TYPE, "assistantResponseEvent")],
        br#"{"content":"hi"}"#,
    );
    assert_eq!(
        parse_bytes(&frame).expect("valid"),
        KiroEvent::Text("hi".into())
    );
}

#[test]
fn bad_message_type_headers() {
    let unknown = encode_frame(&[Header::string(MESSAGE_TYPE, "bogus")], b"");
    assert!(matches!(
        parse_bytes(&unknown),
        Err(EventError::UnknownMessageType(t)) if t == "bogus"
    ));
    let not_string = encode_frame(&[Header::new(MESSAGE_TYPE, HeaderValue::Int(1))], b"");
    assert!(matches!(
        parse_bytes(&not_string),
        Err(EventError::HeaderNotString(MESSAGE_TYPE))
    ));
}

#[test]
fn exception_and_error_fallbacks() {
    let bare_exception = encode_frame(
        &[
            Header::string(CONTENT_TYPE, "text/plain"),
            Header::string(MESSAGE_TYPE, "exception"),
        ],
        b"plain text",
    );
    assert_eq!(
        parse_bytes(&bare_exception).expect("valid"),
        KiroEvent::Exception {
            exception_type: UNKNOWN.into(),
            message: "plain text".into()
        }
    );
    let payload_error = encode_frame(
        &[
            Header::string(MESSAGE_TYPE, "error"),
            Header::string(ERROR_CODE, "Boom"),
        ],
        br#"{"message":"from payload"}"#,
    );
    assert_eq!(
        parse_bytes(&payload_error).expect("valid"),
        KiroEvent::Error {
            code: "Boom".into(),
            message: "from payload".into()
        }
    );
}

#[test]
fn malformed_payload_skips_one_frame_only() {
    let mut stream = encode_event_frame("assistantResponseEvent", b"{\"content\":");
    stream.extend(bytes(tv::V1));
    let mut decoder = EventDecoder::new();
    decoder.feed(&stream);
    let error = decoder.next_event().expect_err("malformed JSON");
    assert!(!error.is_fatal());
    assert_eq!(
        decoder.next_event().expect("valid"),
        Some(KiroEvent::Text("Hello".into()))
    );
    assert!(decoder.finish().is_ok());
}

#[test]
fn framing_errors_are_fatal_and_sticky() {
    let mut stream = bytes(tv::V1_CORRUPT_PAYLOAD);
    stream.extend(bytes(tv::V1));
    let mut decoder = EventDecoder::new();
    decoder.feed(&stream);
    assert!(decoder.next_event().expect_err("bad CRC").is_fatal());
    assert!(decoder.next_event().expect_err("still bad").is_fatal());
    assert!(decoder.finish().is_err());
}

#[test]
fn huge_prelude_rejected_by_event_decoder() {
    let mut decoder = EventDecoder::new();
    decoder.feed(&bytes(tv::HUGE_PRELUDE));
    assert!(matches!(
        decoder.next_event(),
        Err(EventError::Decode(DecodeError::FrameTooLarge { .. }))
    ));
}

#[test]
fn encoder_reproduces_vectors() {
    for hex_text in [tv::V1, tv::V2, tv::V3, tv::V4, tv::V6, tv::V9] {
        assert_eq!(encode_kiro_event(&event_of(hex_text)), bytes(hex_text));
    }
    assert_eq!(encode_kiro_event(&event_of(tv::V7)), bytes(tv::V7));
    assert_eq!(encode_kiro_event(&event_of(tv::V8)), bytes(tv::V8));
}

/// Numbers with a short exact decimal form, so JSON round trips them bit for bit.
fn dyadic() -> impl Strategy<Value = f64> {
    (0u32..10_000_000).prop_map(|n| f64::from(n) / 1024.0)
}

fn token_usage() -> impl Strategy<Value = TokenUsage> {
    let count = || proptest::option::of(any::<u64>());
    (count(), count(), count(), count(), count()).prop_map(|(a, b, c, d, e)| TokenUsage {
        uncached_input_tokens: a,
        output_tokens: b,
        total_tokens: c,
        cache_read_input_tokens: d,
        cache_write_input_tokens: e,
    })
}

fn single_event() -> impl Strategy<Value = KiroEvent> {
    let text = || any::<String>();
    let opt = || proptest::option::of(any::<String>());
    prop_oneof![
        text()
            .prop_filter("empty text is dropped", |t| !t.is_empty())
            .prop_map(KiroEvent::Text),
        (text(), text(), opt(), any::<bool>()).prop_map(|(tool_use_id, name, input, stop)| {
            KiroEvent::ToolUse {
                tool_use_id,
                name,
                input,
                stop,
            }
        }),
        (opt(), opt(), opt()).prop_map(|(text, signature, redacted_content)| {
            KiroEvent::Reasoning {
                text,
                signature,
                redacted_content,
            }
        }),
        (dyadic(), opt()).prop_map(|(usage, unit)| KiroEvent::Metering { usage, unit }),
        dyadic().prop_map(|percentage| KiroEvent::ContextUsage { percentage }),
        (proptest::option::of(token_usage()), opt()).prop_map(|(token_usage, stop_reason)| {
            KiroEvent::Metadata {
                token_usage,
                stop_reason,
            }
        }),
        (text(), text()).prop_map(|(exception_type, message)| KiroEvent::Exception {
            exception_type,
            message
        }),
        (text(), text()).prop_map(|(code, message)| KiroEvent::Error { code, message }),
        "[a-z]{1,12}Event".prop_map(|event_type| KiroEvent::Other { event_type }),
    ]
    .prop_filter("known event names are not Other", |event| {
        !matches!(event, KiroEvent::Other { event_type } if KNOWN_EVENTS.contains(&event_type.as_str()))
    })
}

const KNOWN_EVENTS: [&str; 7] = [
    "assistantResponseEvent",
    "toolUseEvent",
    "reasoningContentEvent",
    "meteringEvent",
    "contextUsageEvent",
    "metadataEvent",
    "invalidStateEvent",
];

/// A tool call as Kiro streams it: opening frame, argument fragments, closing frame.
fn tool_call() -> impl Strategy<Value = Vec<KiroEvent>> {
    (
        "tooluse_[A-Za-z0-9]{6}",
        "[a-z_]{1,10}",
        proptest::collection::vec(any::<String>(), 0..5),
    )
        .prop_map(|(id, name, fragments)| {
            let call = |input: Option<String>, stop| KiroEvent::ToolUse {
                tool_use_id: id.clone(),
                name: name.clone(),
                input,
                stop,
            };
            let mut events = vec![call(Some(String::new()), false)];
            events.extend(fragments.into_iter().map(|f| call(Some(f), false)));
            events.push(call(None, true));
            events
        })
}

fn event_sequence() -> impl Strategy<Value = Vec<KiroEvent>> {
    let item = prop_oneof![
        3 => (single_event(), 1usize..4).prop_map(|(event, times)| vec![event; times]),
        1 => tool_call(),
    ];
    proptest::collection::vec(item, 0..12).prop_map(|items| items.concat())
}

proptest! {
    #[test]
    fn encode_split_decode_round_trips(
        events in event_sequence(),
        cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..10),
    ) {
        let stream: Vec<u8> = events.iter().flat_map(encode_kiro_event).collect();
        let mut cuts: Vec<usize> = cuts.iter().map(|c| c.index(stream.len() + 1)).collect();
        cuts.push(0);
        cuts.push(stream.len());
        cuts.sort_unstable();

        let mut decoder = EventDecoder::new();
        let mut decoded = Vec::new();
        for piece in cuts.windows(2) {
            decoder.feed(&stream[piece[0]..piece[1]]);
            while let Some(event) = decoder.next_event().map_err(|e| TestCaseError::fail(e.to_string()))? {
                decoded.push(event);
            }
        }
        prop_assert!(decoder.finish().is_ok());
        prop_assert_eq!(decoded, events);
    }
}
