//! Scripted replies decode back to the scripted events; both request styles; transport chaos;
//! recording.

use std::time::{Duration, Instant};

use futures::StreamExt;
use kiro_gateway_tests::fake::eventstream::{decode_all, DecodeError};
use kiro_gateway_tests::fake::{
    chat_body, decode_body, summarize, CrcPart, Endpoint, FakeConfig, FakeKiro, RequestStyle,
    Script, Trailers,
};
use serde_json::Value;

struct Ctx {
    fake: FakeKiro,
    token: String,
    arn: String,
}

async fn ctx() -> Ctx {
    let fake = FakeKiro::start(FakeConfig::default()).await;
    let token = fake.bearer("default");
    let arn = fake.account("default").profile_arn;
    Ctx { fake, token, arn }
}

impl Ctx {
    fn req(&self, content: &str) -> reqwest::RequestBuilder {
        reqwest::Client::new()
            .post(format!(
                "{}/generateAssistantResponse",
                self.fake.runtime_url()
            ))
            .bearer_auth(&self.token)
            .json(&chat_body(&self.arn, content, "claude-sonnet-4.5"))
    }
    /// Body as a list of network chunks.
    async fn chunks(&self, content: &str) -> (u16, Vec<Vec<u8>>) {
        let r = self.req(content).send().await.unwrap();
        let status = r.status().as_u16();
        assert_eq!(
            r.headers()["content-type"],
            "application/vnd.amazon.eventstream"
        );
        assert!(r.headers().contains_key("x-amzn-requestid"));
        let mut s = r.bytes_stream();
        let mut out = Vec::new();
        while let Some(c) = s.next().await {
            out.push(c.unwrap().to_vec());
        }
        (status, out)
    }
    async fn events(&self, content: &str) -> Vec<(String, Value)> {
        let (status, chunks) = self.chunks(content).await;
        assert_eq!(status, 200);
        summarize(&decode_body(&chunks.concat()))
    }
}

fn text_of(ev: &[(String, Value)]) -> String {
    ev.iter()
        .filter(|(k, _)| k == "assistantResponseEvent")
        .map(|(_, v)| v["content"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn default_reply_echoes_in_all_three_styles() {
    let c = ctx().await;
    let body = chat_body(&c.arn, "hello world", "auto");
    let target = "AmazonCodeWhispererStreamingService.GenerateAssistantResponse";
    let client = reqwest::Client::new();
    let reqs = [
        client
            .post(format!("{}/generateAssistantResponse", c.fake.base_url()))
            .json(&body),
        client
            .post(format!("{}/", c.fake.base_url()))
            .header("content-type", "application/x-amz-json-1.0")
            .header("x-amz-target", target)
            .body(body.to_string()),
        client
            .post(format!("{}/generateAssistantResponse", c.fake.base_url()))
            .header("content-type", "application/x-amz-json-1.0")
            .header("x-amz-target", target)
            .body(body.to_string()),
    ];
    for r in reqs {
        let r = r.bearer_auth(&c.token).send().await.unwrap();
        assert_eq!(r.status(), 200);
        let ev = summarize(&decode_body(&r.bytes().await.unwrap()));
        assert_eq!(text_of(&ev), "hello world");
        assert!(ev.len() >= 3, "echo in several chunks");
        // The December trailer (kiro-protocol notes): metadata with all-zero counts first.
        let kinds: Vec<&str> = ev.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            &kinds[kinds.len() - 3..],
            ["metadataEvent", "contextUsageEvent", "meteringEvent"]
        );
        let metadata = &ev[ev.len() - 3].1;
        assert_eq!(metadata["tokenUsage"]["uncachedInputTokens"], 0);
        assert_eq!(metadata["tokenUsage"]["outputTokens"], 0);
    }
    let styles: Vec<_> = c
        .fake
        .requests_to(Endpoint::Chat)
        .iter()
        .map(|r| r.style)
        .collect();
    assert_eq!(
        styles,
        [
            Some(RequestStyle::Rest),
            Some(RequestStyle::Rpc),
            Some(RequestStyle::Hybrid)
        ]
    );
    // unknown RPC target → 404
    let r = client
        .post(format!("{}/", c.fake.base_url()))
        .header(
            "x-amz-target",
            "AmazonCodeWhispererService.SendTelemetryEvent",
        )
        .bearer_auth(&c.token)
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
}

#[tokio::test]
async fn worked_example_is_the_916_bytes_of_v1_to_v6() {
    let c = ctx().await;
    c.fake.push_script(Script::worked_example());
    let (_, chunks) = c.chunks("What is the weather in Paris?").await;
    let body = chunks.concat();
    assert_eq!(body.len(), 916);
    assert_eq!(&body[..4], &[0, 0, 0, 0x7f]);
    assert_eq!(&body[123..127], &[0x9b, 0x5d, 0x06, 0x35]);
    assert_eq!(c.fake.pending_scripts(), 0);
}

#[tokio::test]
async fn tool_call_fragments_reassemble() {
    let c = ctx().await;
    let args = r#"{"path":"a\\b\n\"q\"","text":"你好 😀 é","n":[1,2,3]}"#;
    assert!(serde_json::from_str::<Value>(args).is_ok());
    c.fake.push_script(
        Script::new()
            .text("Let me write.")
            .tool_call_random("write_file", "tooluse_AbC123", args, 7, 42)
            .tool_call("noop", "tooluse_2", "{}", 3)
            .trailers(),
    );
    let ev = c.events("go").await;
    let frags: Vec<&Value> = ev
        .iter()
        .filter(|(k, v)| k == "toolUseEvent" && v["toolUseId"] == "tooluse_AbC123")
        .map(|(_, v)| v)
        .collect();
    assert!(frags.len() >= 4, "several fragments + stop");
    let last = frags.last().unwrap();
    assert_eq!(last["stop"], true);
    assert!(last.get("input").is_none());
    let joined: String = frags.iter().filter_map(|v| v["input"].as_str()).collect();
    assert_eq!(joined, args);
    assert!(frags.iter().all(|v| v["name"] == "write_file"));
}

#[tokio::test]
async fn reasoning_metadata_exception_and_error_frames() {
    let c = ctx().await;
    c.fake.push_script(
        Script::new()
            .reasoning("thinking natively")
            .text("Hello")
            .metadata(100, 5, "END_TURN")
            .exception("ContentLengthExceededException", "Output too long")
            .error_frame("InternalFailure", "An internal error occurred"),
    );
    let ev = c.events("x").await;
    let kinds: Vec<&str> = ev.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "reasoningContentEvent",
            "assistantResponseEvent",
            "metadataEvent",
            "exception:ContentLengthExceededException",
            "error:InternalFailure"
        ]
    );
    assert_eq!(ev[0].1["text"], "thinking natively");
    assert_eq!(ev[2].1["stopReason"], "END_TURN");
    assert_eq!(ev[2].1["tokenUsage"]["totalTokens"], 105);
    assert_eq!(ev[3].1["message"], "Output too long");
}

#[tokio::test]
async fn chaos_chunking_has_one_byte_writes_and_multi_frame_writes() {
    let c = ctx().await;
    let mut script = Script::new();
    for i in 0..40 {
        script = script.text(&format!("chunk {i} "));
    }
    let script = script.trailers().chaos(7);
    c.fake.push_script(script);
    let (_, chunks) = c.chunks("x").await;
    let sizes: Vec<usize> = chunks.iter().map(Vec::len).collect();
    assert!(sizes.contains(&1), "{sizes:?}");
    assert!(sizes.iter().any(|&s| s > 200), "{sizes:?}");
    let ev = summarize(&decode_body(&chunks.concat()));
    let expected: String = (0..40).map(|i| format!("chunk {i} ")).collect();
    assert_eq!(text_of(&ev), expected);
}

#[tokio::test]
async fn repeated_identical_deltas_are_sent() {
    let c = ctx().await;
    c.fake.push_script(Script::repeated_sixes());
    let ev = c.events("x").await;
    let texts: Vec<&str> = ev
        .iter()
        .filter(|(k, _)| k == "assistantResponseEvent")
        .map(|(_, v)| v["content"].as_str().unwrap())
        .collect();
    assert_eq!(texts, ["6", "6", "6", "6"]);
}

#[tokio::test]
async fn multibyte_char_split_across_network_writes() {
    let c = ctx().await;
    c.fake.push_script(Script::split_multibyte());
    let (_, chunks) = c.chunks("x").await;
    let body = chunks.concat();
    let ni = "你".as_bytes();
    let pos = body.windows(3).position(|w| w == ni).unwrap();
    let mut boundaries = Vec::new();
    let mut acc = 0;
    for ch in &chunks {
        acc += ch.len();
        boundaries.push(acc);
    }
    assert!(
        boundaries.iter().any(|&b| b > pos && b < pos + 3),
        "a network chunk must end inside 你: {boundaries:?}, 你 at {pos}"
    );
    let ev = summarize(&decode_body(&body));
    assert_eq!(text_of(&ev), "Hi 你好 😀");

    // whole characters per delta
    c.fake.push_script(Script::whole_char_deltas());
    let ev = c.events("x").await;
    let texts: Vec<String> = ev
        .iter()
        .filter(|(k, _)| k == "assistantResponseEvent")
        .map(|(_, v)| v["content"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(texts, ["你", "好", "😀", "é"]);
}

#[tokio::test]
async fn thinking_mode_request_gets_split_thinking_tags() {
    let c = ctx().await;
    let content = "<thinking_mode>enabled</thinking_mode>\n<max_thinking_length>4000</max_thinking_length>\n<thinking_instruction>Think.</thinking_instruction>\n\nWhat is 2+2?";
    let ev = c.events(content).await;
    let deltas: Vec<&str> = ev
        .iter()
        .filter(|(k, _)| k == "assistantResponseEvent")
        .map(|(_, v)| v["content"].as_str().unwrap())
        .collect();
    assert_eq!(deltas[0], "<thin", "opening tag split across deltas");
    let text = text_of(&ev);
    assert!(text.starts_with("<thinking>"));
    assert!(text.contains("</thinking>\n\nWhat is 2+2?"), "{text}");
    assert!(
        !deltas.iter().any(|d| d.contains("</thinking>")),
        "closing tag split too"
    );

    c.fake
        .push_script(Script::thinking("step one, step two", "4"));
    let text = text_of(&c.events("x").await);
    assert_eq!(text, "<thinking>step one, step two</thinking>\n\n4");
}

#[tokio::test]
async fn corrupt_crc_frames() {
    let c = ctx().await;
    c.fake.push_script(
        Script::new()
            .text("ok")
            .corrupt_text("bad", CrcPart::Message),
    );
    let (_, chunks) = c.chunks("x").await;
    let body = chunks.concat();
    assert!(matches!(
        decode_all(&body),
        Err(DecodeError::MessageCrc { .. })
    ));
    c.fake
        .push_script(Script::new().corrupt_text("bad", CrcPart::Prelude));
    let (_, chunks) = c.chunks("x").await;
    assert!(matches!(
        decode_all(&chunks.concat()),
        Err(DecodeError::PreludeCrc { offset: 0 })
    ));
}

#[tokio::test]
async fn abrupt_close_mid_frame() {
    let c = ctx().await;
    c.fake.push_script(
        Script::new()
            .text("Hello")
            .close_mid_frame("never complete"),
    );
    let r = c.req("x").send().await.unwrap();
    assert_eq!(r.status(), 200);
    let mut s = r.bytes_stream();
    let mut got = Vec::new();
    let mut errored = false;
    while let Some(c) = s.next().await {
        match c {
            Ok(b) => got.extend_from_slice(&b),
            Err(_) => {
                errored = true;
                break;
            }
        }
    }
    assert!(errored, "body must end with an error, not a clean EOF");
    let (msgs, used) = decode_all(&got).unwrap();
    assert_eq!(msgs.len(), 1);
    assert!(got.len() > used, "a partial frame was received");
}

#[tokio::test]
async fn no_trailers_and_trailer_orders() {
    let c = ctx().await;
    c.fake.update(|cfg| cfg.default_trailers = Trailers::None);
    let ev = c.events("abc").await;
    assert!(ev.iter().all(|(k, _)| k == "assistantResponseEvent"));
    c.fake
        .update(|cfg| cfg.default_trailers = Trailers::WithMetadata);
    let ev = c.events("abc").await;
    let kinds: Vec<&str> = ev.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        &kinds[kinds.len() - 3..],
        ["metadataEvent", "contextUsageEvent", "meteringEvent"]
    );
}

#[tokio::test]
async fn pre_stream_http_errors_then_success() {
    let c = ctx().await;
    c.fake.push_script(Script::server_error());
    c.fake.push_script(Script::throttled(Some(2)));
    c.fake.push_script(Script::forbidden());
    c.fake.push_script(Script::http_error(
        400,
        r#"{"message":"Improperly formed request.","reason":null}"#,
    ));
    let expect = [500, 429, 403, 400, 200];
    for (i, want) in expect.iter().enumerate() {
        let r = c.req("x").send().await.unwrap();
        assert_eq!(r.status().as_u16(), *want, "call {i}");
        if *want == 429 {
            assert_eq!(r.headers()["retry-after"], "2");
        }
        if *want == 403 {
            assert_eq!(
                r.text().await.unwrap(),
                r#"{"message":"The bearer token included in the request is invalid.","reason":null}"#
            );
        }
    }
    assert_eq!(c.fake.chat_calls(), 5);
}

#[tokio::test]
async fn slow_first_byte_and_stall() {
    let c = ctx().await;
    c.fake.push_script(
        Script::new()
            .text("late")
            .trailers()
            .first_byte_delay(Duration::from_millis(300)),
    );
    let t0 = Instant::now();
    let r = c.req("x").send().await.unwrap();
    assert_eq!(r.status(), 200, "headers come immediately");
    let mut s = r.bytes_stream();
    s.next().await.unwrap().unwrap();
    assert!(t0.elapsed() >= Duration::from_millis(290));

    c.fake.push_script(Script::new().text("partial").stall());
    let r = c.req("x").send().await.unwrap();
    let mut s = r.bytes_stream();
    let first = s.next().await.unwrap().unwrap();
    assert!(!first.is_empty());
    let next = tokio::time::timeout(Duration::from_millis(300), s.next()).await;
    assert!(next.is_err(), "stream must stall");
}

#[tokio::test]
async fn recording_and_waiting() {
    let c = ctx().await;
    let fake = std::sync::Arc::new(c.fake);
    let waiter = {
        let fake = fake.clone();
        tokio::spawn(async move {
            fake.wait_for(Endpoint::Chat, 3, Duration::from_secs(5))
                .await
        })
    };
    for i in 0..3 {
        reqwest::Client::new()
            .post(format!("{}/generateAssistantResponse", fake.base_url()))
            .bearer_auth(&c.token)
            .header("x-amzn-kiro-agent-mode", "vibe")
            .header("amz-sdk-invocation-id", uuid::Uuid::new_v4().to_string())
            .json(&chat_body(&c.arn, &format!("msg {i}"), "auto"))
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
    }
    let got = waiter.await.unwrap();
    assert_eq!(got.len(), 3);
    let r = &got[2];
    assert_eq!(r.method, "POST");
    assert_eq!(r.path, "/generateAssistantResponse");
    assert_eq!(r.header("X-Amzn-Kiro-Agent-Mode"), Some("vibe"));
    assert!(uuid::Uuid::parse_str(r.header("amz-sdk-invocation-id").unwrap()).is_ok());
    assert_eq!(r.bearer(), Some(c.token.as_str()));
    assert_eq!(r.current_user_message().unwrap()["content"], "msg 2");
    let raw: Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(Some(&raw), r.json.as_ref());
    assert_eq!(r.status, 200);
    assert_eq!(r.account.as_deref(), Some("default"));
    assert_eq!(fake.chat_calls(), 3);
    // metering was charged to the account
    assert!(fake.credits_used("default") > 0.0);
}
