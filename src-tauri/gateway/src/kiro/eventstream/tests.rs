use super::test_vectors::{self as tv, bytes};
use super::*;

fn decode_one(hex_text: &str) -> Frame {
    let mut decoder = Decoder::new();
    decoder.feed(&bytes(hex_text));
    let frame = decoder
        .next_frame()
        .expect("valid vector")
        .expect("complete");
    assert_eq!(decoder.next_frame(), Ok(None));
    assert_eq!(decoder.finish(), Ok(()));
    frame
}

fn event_headers(event_type: &str) -> Vec<Header> {
    vec![
        Header::string(EVENT_TYPE, event_type),
        Header::string(CONTENT_TYPE, "application/json"),
        Header::string(MESSAGE_TYPE, "event"),
    ]
}

fn assert_event(hex_text: &str, event_type: &str, payload: &[u8]) {
    let frame = decode_one(hex_text);
    assert_eq!(frame.headers, event_headers(event_type));
    assert_eq!(&frame.payload[..], payload);
    assert_eq!(frame.header_str(EVENT_TYPE), Some(event_type));
}

/// Feeds `input` in `chunk`-byte pieces, draining frames after each piece.
fn decode_chunked(input: &[u8], chunk: usize) -> (Vec<Frame>, Decoder) {
    let mut decoder = Decoder::new();
    let mut frames = Vec::new();
    for piece in input.chunks(chunk) {
        decoder.feed(piece);
        while let Some(frame) = decoder.next_frame().expect("valid stream") {
            frames.push(frame);
        }
    }
    (frames, decoder)
}

/// A frame with correct CRCs around an arbitrary header block.
fn raw_frame(header_block: &[u8], payload: &[u8]) -> Vec<u8> {
    let total = (MIN_FRAME_LEN + header_block.len() + payload.len()) as u32;
    let mut out = total.to_be_bytes().to_vec();
    out.extend_from_slice(&(header_block.len() as u32).to_be_bytes());
    out.extend_from_slice(&crc32fast::hash(&out).to_be_bytes());
    out.extend_from_slice(header_block);
    out.extend_from_slice(payload);
    out.extend_from_slice(&crc32fast::hash(&out).to_be_bytes());
    out
}

/// A bare prelude with a correct CRC.
fn prelude(total: u32, headers: u32) -> Vec<u8> {
    let mut out = total.to_be_bytes().to_vec();
    out.extend_from_slice(&headers.to_be_bytes());
    out.extend_from_slice(&crc32fast::hash(&out).to_be_bytes());
    out
}

fn first_error(input: &[u8]) -> DecodeError {
    let mut decoder = Decoder::new();
    decoder.feed(input);
    decoder.next_frame().expect_err("input is invalid")
}

#[test]
fn crc_is_crc32_iso_hdlc() {
    assert_eq!(crc32(b"123456789"), 0xcbf4_3926);
}

#[test]
fn v0_minimal_frame_has_no_headers_and_no_payload() {
    assert_eq!(decode_one(tv::V0), Frame::default());
}

#[test]
fn v1_to_v6_and_v9_decode_to_exact_headers_and_payload() {
    assert_event(tv::V1, "assistantResponseEvent", br#"{"content":"Hello"}"#);
    assert_event(
        tv::V2,
        "toolUseEvent",
        br#"{"name":"get_weather","toolUseId":"tooluse_7f3Yc1","input":""}"#,
    );
    assert_event(
        tv::V3,
        "toolUseEvent",
        br#"{"name":"get_weather","toolUseId":"tooluse_7f3Yc1","input":"{\"city\":\"Paris\"}"}"#,
    );
    assert_event(
        tv::V4,
        "toolUseEvent",
        br#"{"name":"get_weather","toolUseId":"tooluse_7f3Yc1","stop":true}"#,
    );
    assert_event(
        tv::V5,
        "meteringEvent",
        br#"{"unit":"credit","unitPlural":"credits","usage":0.0148}"#,
    );
    assert_event(
        tv::V6,
        "contextUsageEvent",
        br#"{"contextUsagePercentage":12.5}"#,
    );
    assert_event(
        tv::V9,
        "assistantResponseEvent",
        "{\"content\":\"héllo 你好\"}".as_bytes(),
    );
}

#[test]
fn v7_exception_frame() {
    let frame = decode_one(tv::V7);
    assert_eq!(
        frame.headers,
        vec![
            Header::string(EXCEPTION_TYPE, "ThrottlingException"),
            Header::string(CONTENT_TYPE, "application/json"),
            Header::string(MESSAGE_TYPE, "exception"),
        ]
    );
    assert_eq!(&frame.payload[..], br#"{"message":"Rate exceeded"}"#);
}

#[test]
fn v8_error_frame() {
    let frame = decode_one(tv::V8);
    assert_eq!(
        frame.headers,
        vec![
            Header::string(MESSAGE_TYPE, "error"),
            Header::string(ERROR_CODE, "InternalFailure"),
            Header::string(ERROR_MESSAGE, "An internal error occurred"),
        ]
    );
    assert!(frame.payload.is_empty());
}

fn v10_headers() -> Vec<Header> {
    vec![
        Header::new("b1", HeaderValue::Bool(true)),
        Header::new("b0", HeaderValue::Bool(false)),
        Header::new("i8", HeaderValue::Byte(-5)),
        Header::new("i16", HeaderValue::Short(513)),
        Header::new("i32", HeaderValue::Int(70_000)),
        Header::new("i64", HeaderValue::Long((1 << 40) + 7)),
        Header::new("bin", HeaderValue::Bytes(vec![0x00, 0x01, 0xfe])),
        Header::new("str", HeaderValue::String("ok".into())),
        Header::new("ts", HeaderValue::Timestamp(1_700_000_000_000)),
        Header::new(
            "uid",
            HeaderValue::Uuid([
                0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab,
                0xcd, 0xef,
            ]),
        ),
    ]
}

#[test]
fn v10_every_header_value_type() {
    let frame = decode_one(tv::V10);
    assert_eq!(frame.headers, v10_headers());
    assert_eq!(&frame.payload[..], b"{}");
    assert_eq!(frame.header_str("str"), Some("ok"));
    assert_eq!(frame.header_str("i8"), None, "not a string");
    assert_eq!(
        frame.header("ts"),
        Some(&HeaderValue::Timestamp(1_700_000_000_000))
    );
    assert_eq!(frame.header("missing"), None);
}

#[test]
fn encoder_reproduces_vectors_byte_for_byte() {
    assert_eq!(
        encode_event_frame("assistantResponseEvent", br#"{"content":"Hello"}"#),
        bytes(tv::V1)
    );
    assert_eq!(
        encode_exception_frame("ThrottlingException", br#"{"message":"Rate exceeded"}"#),
        bytes(tv::V7)
    );
    assert_eq!(
        encode_error_frame("InternalFailure", "An internal error occurred"),
        bytes(tv::V8)
    );
    assert_eq!(encode_frame(&v10_headers(), b"{}"), bytes(tv::V10));
    assert_eq!(encode_frame(&[], &[]), bytes(tv::V0));
}

#[test]
fn turn1_in_any_chunking_gives_six_frames_and_no_residue() {
    let stream = tv::turn1();
    assert_eq!(stream.len(), 916);
    let expected: Vec<Frame> = [tv::V1, tv::V2, tv::V3, tv::V4, tv::V5, tv::V6]
        .iter()
        .map(|v| decode_one(v))
        .collect();
    for chunk in [1, 7, stream.len()] {
        let (frames, decoder) = decode_chunked(&stream, chunk);
        assert_eq!(frames, expected, "chunk size {chunk}");
        assert_eq!(decoder.buffered_len(), 0);
        assert_eq!(decoder.finish(), Ok(()), "chunk size {chunk}");
    }
}

#[test]
fn corrupted_payload_is_a_message_crc_error() {
    assert_eq!(
        first_error(&bytes(tv::V1_CORRUPT_PAYLOAD)),
        DecodeError::MessageCrc {
            stored: 0x9b5d_0635,
            computed: 0x8246_3774
        }
    );
}

#[test]
fn any_bit_flip_in_the_prelude_is_caught_from_the_prelude_alone() {
    let v1 = bytes(tv::V1);
    for bit in 0..64 {
        let mut prelude = v1[..PRELUDE_LEN].to_vec();
        prelude[bit / 8] ^= 1 << (bit % 8);
        let error = first_error(&prelude);
        assert!(
            matches!(
                error,
                DecodeError::PreludeCrc {
                    stored: 0x7c7d_b5a8,
                    ..
                }
            ),
            "bit {bit}: {error:?}"
        );
    }
}

#[test]
fn truncated_stream_leaves_fifty_bytes_at_eof() {
    let mut stream: Vec<u8> = [tv::V1, tv::V2, tv::V3, tv::V4, tv::V5]
        .iter()
        .flat_map(|v| bytes(v))
        .collect();
    stream.extend_from_slice(&bytes(tv::V6)[..50]);
    let (frames, decoder) = decode_chunked(&stream, 7);
    assert_eq!(frames.len(), 5);
    assert_eq!(frames[4].header_str(EVENT_TYPE), Some("meteringEvent"));
    assert_eq!(
        decoder.finish(),
        Err(DecodeError::Incomplete { remaining: 50 })
    );
}

#[test]
fn huge_declared_length_is_rejected_from_the_prelude_alone() {
    assert_eq!(
        first_error(&bytes(tv::HUGE_PRELUDE)),
        DecodeError::FrameTooLarge {
            total_length: 0x7fff_ffff,
            max: DEFAULT_MAX_FRAME_SIZE
        }
    );
}

#[test]
fn max_frame_size_is_inclusive() {
    let frame = bytes(tv::V1);
    let mut exact = Decoder::with_max_frame_size(frame.len());
    exact.feed(&frame);
    assert!(exact.next_frame().expect("fits").is_some());

    let mut small = Decoder::with_max_frame_size(frame.len() - 1);
    small.feed(&frame[..PRELUDE_LEN]);
    assert_eq!(
        small.next_frame(),
        Err(DecodeError::FrameTooLarge {
            total_length: 127,
            max: 126
        })
    );
}

#[test]
fn impossible_lengths_are_rejected() {
    assert_eq!(
        first_error(&prelude(15, 0)),
        DecodeError::FrameTooShort { total_length: 15 }
    );
    assert_eq!(
        first_error(&prelude(20, 5)),
        DecodeError::HeadersTooLong {
            headers_length: 5,
            total_length: 20
        }
    );
}

#[test]
fn malformed_header_blocks_are_errors() {
    let cases: [(&[u8], &str); 6] = [
        (&[0, 7, 0, 0], "empty header name"),
        (&[3, b'a', b'b'], "truncated header name"),
        (&[1, b'a'], "missing header value type"),
        (&[1, b'a', 10], "unknown header value type"),
        (&[1, b'a', 7, 0, 5, b'x'], "truncated header value"),
        (&[1, b'a', 7, 0, 1, 0xff], "string header is not UTF-8"),
    ];
    for (block, reason) in cases {
        assert_eq!(
            first_error(&raw_frame(block, b"")),
            DecodeError::BadHeader { offset: 0, reason },
            "block {block:?}"
        );
    }
    let second = [1, b'a', 0, 1, 0x80, 0];
    assert_eq!(
        first_error(&raw_frame(&second, b"")),
        DecodeError::BadHeader {
            offset: 3,
            reason: "header name is not UTF-8"
        }
    );
}

#[test]
fn errors_are_sticky_and_further_input_is_ignored() {
    let mut decoder = Decoder::new();
    let mut input = bytes(tv::V1_CORRUPT_PAYLOAD);
    input.extend_from_slice(&bytes(tv::V1));
    decoder.feed(&input);
    let error = decoder.next_frame().expect_err("bad CRC");
    assert_eq!(decoder.next_frame(), Err(error.clone()));
    decoder.feed(&bytes(tv::V1));
    assert_eq!(decoder.buffered_len(), 0);
    assert_eq!(decoder.next_frame(), Err(error.clone()));
    assert_eq!(decoder.finish(), Err(error));
}

#[test]
fn incomplete_input_waits_without_error() {
    let v1 = bytes(tv::V1);
    let mut decoder = Decoder::new();
    decoder.feed(&v1[..v1.len() - 1]);
    assert_eq!(decoder.next_frame(), Ok(None));
    assert_eq!(
        decoder.finish(),
        Err(DecodeError::Incomplete { remaining: 126 })
    );
    decoder.feed(&v1[v1.len() - 1..]);
    assert!(decoder.next_frame().expect("valid").is_some());
    assert_eq!(decoder.finish(), Ok(()));
}

#[test]
fn encoder_rejects_unrepresentable_values() {
    let long_name = "n".repeat(256);
    assert_eq!(
        try_encode_frame(&[Header::new("", HeaderValue::Bool(true))], b""),
        Err(EncodeError::HeaderName(String::new()))
    );
    assert_eq!(
        try_encode_frame(
            &[Header::new(long_name.clone(), HeaderValue::Bool(true))],
            b""
        ),
        Err(EncodeError::HeaderName(long_name))
    );
    assert_eq!(
        try_encode_frame(&[Header::string("s", "x".repeat(65_536))], b""),
        Err(EncodeError::HeaderValueTooLong("s".into()))
    );
    let longest = [Header::new("b", HeaderValue::Bytes(vec![7; 65_535]))];
    let frame = try_encode_frame(&longest, b"").expect("65535 bytes fit");
    let mut decoder = Decoder::new();
    decoder.feed(&frame);
    assert_eq!(
        decoder
            .next_frame()
            .expect("valid")
            .expect("complete")
            .headers,
        longest
    );
}

#[test]
fn every_single_byte_corruption_is_an_immediate_error() {
    for hex_text in [tv::V0, tv::V1, tv::V7, tv::V8, tv::V10] {
        let frame = bytes(hex_text);
        for at in 0..frame.len() {
            for mask in 1..=u8::MAX {
                let mut corrupt = frame.clone();
                corrupt[at] ^= mask;
                let mut decoder = Decoder::new();
                decoder.feed(&corrupt);
                let result = decoder.next_frame();
                assert!(result.is_err(), "byte {at} ^ {mask:#04x}: {result:?}");
            }
        }
    }
}

mod properties {
    use proptest::prelude::*;

    use super::super::*;

    fn header_value() -> impl Strategy<Value = HeaderValue> {
        prop_oneof![
            any::<bool>().prop_map(HeaderValue::Bool),
            any::<i8>().prop_map(HeaderValue::Byte),
            any::<i16>().prop_map(HeaderValue::Short),
            any::<i32>().prop_map(HeaderValue::Int),
            any::<i64>().prop_map(HeaderValue::Long),
            proptest::collection::vec(any::<u8>(), 0..40).prop_map(HeaderValue::Bytes),
            any::<String>().prop_map(HeaderValue::String),
            any::<i64>().prop_map(HeaderValue::Timestamp),
            any::<[u8; 16]>().prop_map(HeaderValue::Uuid),
        ]
    }

    fn frame() -> impl Strategy<Value = Frame> {
        let header = ("[:a-zA-Z0-9-]{1,20}", header_value())
            .prop_map(|(name, value)| Header::new(name, value));
        (
            proptest::collection::vec(header, 0..6),
            proptest::collection::vec(any::<u8>(), 0..200),
        )
            .prop_map(|(headers, payload)| Frame {
                headers,
                payload: payload.into(),
            })
    }

    proptest! {
        #[test]
        fn frames_round_trip_through_any_chunking(
            frames in proptest::collection::vec(frame(), 0..8),
            chunk in 1usize..300,
        ) {
            let stream: Vec<u8> = frames
                .iter()
                .flat_map(|f| encode_frame(&f.headers, &f.payload))
                .collect();
            let mut decoder = Decoder::new();
            let mut decoded = Vec::new();
            for piece in stream.chunks(chunk) {
                decoder.feed(piece);
                while let Some(frame) = decoder.next_frame().map_err(|e| TestCaseError::fail(e.to_string()))? {
                    decoded.push(frame);
                }
            }
            prop_assert_eq!(decoder.finish(), Ok(()));
            prop_assert_eq!(decoded, frames);
        }
    }
}
