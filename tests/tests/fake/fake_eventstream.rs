//! The fake's event-stream encoder against the test vectors of docs/kiro-protocol.md#test-vectors,
//! byte for byte.

use kiro_gateway_tests::fake::eventstream::{
    self as es, decode_all, DecodeError, HeaderValue, Message,
};
use kiro_gateway_tests::fake::script::{FragmentSplit, Script, Step};

const V1: &str = "0000007f0000005c7c7db5a80b3a6576656e742d74797065070016617373697374616e74526573706f6e73654576656e740d3a636f6e74656e742d747970650700106170706c69636174696f6e2f6a736f6e0d3a6d6573736167652d747970650700056576656e747b22636f6e74656e74223a2248656c6c6f227d9b5d0635";
const V2: &str = "000000a000000052906070270b3a6576656e742d7479706507000c746f6f6c5573654576656e740d3a636f6e74656e742d747970650700106170706c69636174696f6e2f6a736f6e0d3a6d6573736167652d747970650700056576656e747b226e616d65223a226765745f77656174686572222c22746f6f6c5573654964223a22746f6f6c7573655f376633596331222c22696e707574223a22227d8eed9d38";
const V3: &str = "000000b400000052050041650b3a6576656e742d7479706507000c746f6f6c5573654576656e740d3a636f6e74656e742d747970650700106170706c69636174696f6e2f6a736f6e0d3a6d6573736167652d747970650700056576656e747b226e616d65223a226765745f77656174686572222c22746f6f6c5573654964223a22746f6f6c7573655f376633596331222c22696e707574223a227b5c22636974795c223a5c2250617269735c227d227d486e2d28";
const V4: &str = "000000a100000052ad0059970b3a6576656e742d7479706507000c746f6f6c5573654576656e740d3a636f6e74656e742d747970650700106170706c69636174696f6e2f6a736f6e0d3a6d6573736167652d747970650700056576656e747b226e616d65223a226765745f77656174686572222c22746f6f6c5573654964223a22746f6f6c7573655f376633596331222c2273746f70223a747275657df9b76596";
const V5: &str = "0000009a000000530cf6e0960b3a6576656e742d7479706507000d6d65746572696e674576656e740d3a636f6e74656e742d747970650700106170706c69636174696f6e2f6a736f6e0d3a6d6573736167652d747970650700056576656e747b22756e6974223a22637265646974222c22756e6974506c7572616c223a2263726564697473222c227573616765223a302e303134387dfa7e5544";
const V6: &str = "0000008600000057ae8b5e0c0b3a6576656e742d74797065070011636f6e7465787455736167654576656e740d3a636f6e74656e742d747970650700106170706c69636174696f6e2f6a736f6e0d3a6d6573736167652d747970650700056576656e747b22636f6e74657874557361676550657263656e74616765223a31322e357d775490df";
const V7: &str = "0000008c000000612b81d3340f3a657863657074696f6e2d747970650700135468726f74746c696e67457863657074696f6e0d3a636f6e74656e742d747970650700106170706c69636174696f6e2f6a736f6e0d3a6d6573736167652d74797065070009657863657074696f6e7b226d657373616765223a2252617465206578636565646564227d6e1bac2b";
const V8: &str = "0000007000000060d1425efe0d3a6d6573736167652d747970650700056572726f720b3a6572726f722d636f646507000f496e7465726e616c4661696c7572650e3a6572726f722d6d65737361676507001a416e20696e7465726e616c206572726f72206f636375727265643db20b91";
const V9: &str = "000000870000005c0439ae340b3a6576656e742d74797065070016617373697374616e74526573706f6e73654576656e740d3a636f6e74656e742d747970650700106170706c69636174696f6e2f6a736f6e0d3a6d6573736167652d747970650700056576656e747b22636f6e74656e74223a2268c3a96c6c6f20e4bda0e5a5bd227d86ae53dd";
const V10: &str = "000000700000005e10234355026231000262300102693802fb03693136030201036933320400011170036936340500000100000000070362696e0600030001fe037374720700026f6b027473080000018bcfe5680003756964090123456789abcdef0123456789abcdef7b7df7e77d87";
const V0: &str = "000000100000000005c248eb7d98c8ff";

fn h(s: &str) -> Vec<u8> {
    hex::decode(s).expect("hex")
}

#[test]
fn crc_check_value() {
    assert_eq!(crc32fast::hash(b"123456789"), 0xcbf4_3926);
}

#[test]
fn v1_text_event_byte_for_byte() {
    assert_eq!(es::text_event("Hello").encode(), h(V1));
}

#[test]
fn v7_exception_frame_byte_for_byte() {
    let m = Message::exception_with_message("ThrottlingException", "Rate exceeded");
    assert_eq!(m.encode(), h(V7));
}

#[test]
fn v8_error_frame_byte_for_byte() {
    let m = Message::error("InternalFailure", "An internal error occurred");
    assert_eq!(m.encode(), h(V8));
}

#[test]
fn v2_to_v6_and_v9_byte_for_byte() {
    assert_eq!(
        es::tool_use_fragment("get_weather", "tooluse_7f3Yc1", "").encode(),
        h(V2)
    );
    assert_eq!(
        es::tool_use_fragment("get_weather", "tooluse_7f3Yc1", r#"{"city":"Paris"}"#).encode(),
        h(V3)
    );
    assert_eq!(
        es::tool_use_stop("get_weather", "tooluse_7f3Yc1").encode(),
        h(V4)
    );
    assert_eq!(es::metering_event(0.0148).encode(), h(V5));
    assert_eq!(es::context_usage_event(12.5).encode(), h(V6));
    assert_eq!(es::text_event("héllo 你好").encode(), h(V9));
}

#[test]
fn v0_and_v10_byte_for_byte() {
    let v0 = Message {
        headers: vec![],
        payload: vec![],
    };
    assert_eq!(v0.encode(), h(V0));
    let uuid: [u8; 16] = h("0123456789abcdef0123456789abcdef").try_into().unwrap();
    let v10 = Message {
        headers: vec![
            ("b1".into(), HeaderValue::Bool(true)),
            ("b0".into(), HeaderValue::Bool(false)),
            ("i8".into(), HeaderValue::Byte(-5)),
            ("i16".into(), HeaderValue::Short(513)),
            ("i32".into(), HeaderValue::Int(70_000)),
            ("i64".into(), HeaderValue::Long((1 << 40) + 7)),
            ("bin".into(), HeaderValue::Bytes(vec![0, 1, 0xfe])),
            ("str".into(), HeaderValue::String("ok".into())),
            ("ts".into(), HeaderValue::Timestamp(1_700_000_000_000)),
            ("uid".into(), HeaderValue::Uuid(uuid)),
        ],
        payload: b"{}".to_vec(),
    };
    assert_eq!(v10.encode(), h(V10));
    // and the reader gets every typed header back
    let (msgs, used) = decode_all(&h(V10)).unwrap();
    assert_eq!(used, 112);
    assert_eq!(msgs[0], v10);
}

#[test]
fn worked_example_script_is_v1_to_v6() {
    // The response body of docs/kiro-protocol.md#worked-example-response is the plain concatenation
    // of V1..V6 (916 bytes).
    let expected: Vec<u8> = [V1, V2, V3, V4, V5, V6].iter().flat_map(|v| h(v)).collect();
    assert_eq!(expected.len(), 916);
    let script = Script::worked_example();
    let mut got = Vec::new();
    for step in &script.steps {
        match step {
            Step::Text(t) => got.extend(es::text_event(t).encode()),
            Step::ToolCall {
                name,
                id,
                arguments,
                split,
                leading_empty,
            } => {
                assert_eq!(split, &FragmentSplit::Count(1));
                assert!(*leading_empty);
                got.extend(es::tool_use_fragment(name, id, "").encode());
                got.extend(es::tool_use_fragment(name, id, arguments).encode());
                got.extend(es::tool_use_stop(name, id).encode());
            }
            Step::Metering(c) => got.extend(es::metering_event(*c).encode()),
            Step::ContextUsage(p) => got.extend(es::context_usage_event(*p).encode()),
            other => panic!("unexpected step {other:?}"),
        }
    }
    assert_eq!(got, expected);
}

#[test]
fn reader_handles_chunks_truncation_and_corruption() {
    let all: Vec<u8> = [V1, V2, V3, V4, V5, V6].iter().flat_map(|v| h(v)).collect();
    let (msgs, used) = decode_all(&all).unwrap();
    assert_eq!((msgs.len(), used), (6, 916));
    // truncated: V1..V5 + 50 bytes of V6
    let cut = all.len() - h(V6).len() + 50;
    let (msgs, used) = decode_all(&all[..cut]).unwrap();
    assert_eq!(msgs.len(), 5);
    assert_eq!(cut - used, 50);
    // corrupted payload byte 121
    let mut bad = h(V1);
    bad[121] = 0x23;
    assert_eq!(decode_all(&bad), Err(DecodeError::MessageCrc { offset: 0 }));
    // corrupted prelude
    let mut bad = h(V1);
    bad[3] ^= 1;
    assert_eq!(decode_all(&bad), Err(DecodeError::PreludeCrc { offset: 0 }));
    // absurd length with a valid prelude CRC
    assert_eq!(
        decode_all(&h("7fffffff00000010b1736a41")),
        Err(DecodeError::BadLength { offset: 0 })
    );
}
