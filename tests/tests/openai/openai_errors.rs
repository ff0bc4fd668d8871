//! Issue 3: malformed requests get a 4xx in OpenAI's shape (never a 5xx), and every error
//! body the OpenAI routes produce parses with async-openai's error type and has `message`,
//! `type`, `param` and `code` — raw HTTP against the real binary.

use crate::openai_support;

use std::time::Duration;

use kiro_gateway_tests::fake::Script;
use openai_support::*;
use serde_json::{json, Value};

const PNG: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==";

fn user(text: &str) -> Value {
    json!([{"role": "user", "content": text}])
}

fn with(extra: Value) -> Vec<u8> {
    let mut body = json!({"model": "claude-sonnet-4-5", "messages": user("hi")});
    for (k, v) in extra.as_object().unwrap() {
        if v.is_null() {
            body.as_object_mut().unwrap().remove(k);
        } else {
            body[k] = v.clone();
        }
    }
    body.to_string().into_bytes()
}

struct Case {
    name: &'static str,
    body: Vec<u8>,
    status: u16,
    /// Expected `param`, when the gateway can name it.
    param: Option<&'static str>,
    code: Option<&'static str>,
}

fn case(name: &'static str, body: Vec<u8>, status: u16, param: Option<&'static str>) -> Case {
    Case {
        name,
        body,
        status,
        param,
        code: None,
    }
}

fn table() -> Vec<Case> {
    let image = |url: &str| {
        json!([{"role": "user", "content": [
            {"type": "text", "text": "look"},
            {"type": "image_url", "image_url": {"url": url}}
        ]}])
    };
    let five_mb = "x".repeat(5 * 1024 * 1024);
    vec![
        case("bad JSON", b"{\"model\": \"claude".to_vec(), 400, None),
        case("empty body", Vec::new(), 400, None),
        case(
            "invalid UTF-8",
            b"{\"model\": \"\xff\xfe\", \"messages\": []}".to_vec(),
            400,
            None,
        ),
        case(
            "nested 100 000 deep",
            {
                let mut deep = b"{\"model\": \"claude-sonnet-4-5\", \"messages\": ".to_vec();
                deep.extend(std::iter::repeat_n(b'[', 100_000));
                deep.extend(std::iter::repeat_n(b']', 100_000));
                deep.push(b'}');
                deep
            },
            400,
            None,
        ),
        case("body is an array", b"[1,2]".to_vec(), 400, None),
        case(
            "missing model",
            with(json!({"model": null})),
            400,
            Some("model"),
        ),
        case(
            "model is a number",
            with(json!({"model": 4.5})),
            400,
            Some("model"),
        ),
        case(
            "empty model",
            with(json!({"model": " "})),
            400,
            Some("model"),
        ),
        case(
            "missing messages",
            with(json!({"messages": null})),
            400,
            Some("messages"),
        ),
        case(
            "messages is a string",
            with(json!({"messages": "hi"})),
            400,
            Some("messages"),
        ),
        case(
            "empty messages",
            with(json!({"messages": []})),
            400,
            Some("messages"),
        ),
        case(
            "message is a number",
            with(json!({"messages": [1]})),
            400,
            Some("messages[0]"),
        ),
        case(
            "missing role",
            with(json!({"messages": [{"content": "hi"}]})),
            400,
            Some("messages[0].role"),
        ),
        case(
            "unknown role",
            with(json!({"messages": [{"role": "wizard", "content": "hi"}]})),
            400,
            Some("messages[0].role"),
        ),
        case(
            "user content is a number",
            with(json!({"messages": [{"role": "user", "content": 42}]})),
            400,
            Some("messages[0].content"),
        ),
        case(
            "user content missing",
            with(json!({"messages": [{"role": "user"}]})),
            400,
            Some("messages[0].content"),
        ),
        case(
            "unknown content part",
            with(
                json!({"messages": [{"role": "user", "content": [{"type": "input_audio", "input_audio": {}}]}]}),
            ),
            400,
            Some("messages[0].content[0].type"),
        ),
        case(
            "tool result without a call",
            with(json!({"messages": [
                {"role": "user", "content": "hi"},
                {"role": "tool", "tool_call_id": "call_nowhere", "content": "42"}
            ]})),
            400,
            Some("messages[1].tool_call_id"),
        ),
        case(
            "tool message without id",
            with(json!({"messages": [
                {"role": "user", "content": "hi"},
                {"role": "tool", "content": "42"}
            ]})),
            400,
            Some("messages[1].tool_call_id"),
        ),
        case(
            "tool_calls is an object",
            with(json!({"messages": [
                {"role": "user", "content": "hi"},
                {"role": "assistant", "tool_calls": {"id": "x"}}
            ]})),
            400,
            Some("messages[1].tool_calls"),
        ),
        case(
            "tool call arguments are an object",
            with(json!({"messages": [
                {"role": "user", "content": "hi"},
                {"role": "assistant", "tool_calls": [{"id": "call_1", "type": "function",
                    "function": {"name": "f", "arguments": {"city": "Paris"}}}]},
                {"role": "tool", "tool_call_id": "call_1", "content": "sunny"}
            ]})),
            400,
            Some("messages[1].tool_calls[0].function.arguments"),
        ),
        case(
            "temperature is a string",
            with(json!({"temperature": "hot"})),
            400,
            Some("temperature"),
        ),
        case(
            "temperature above 2",
            with(json!({"temperature": 2.5})),
            400,
            Some("temperature"),
        ),
        case(
            "top_p is a string",
            with(json!({"top_p": "0.9"})),
            400,
            Some("top_p"),
        ),
        case(
            "seed is a string",
            with(json!({"seed": "7"})),
            400,
            Some("seed"),
        ),
        case("n = 2", with(json!({"n": 2})), 400, Some("n")),
        case("n is a string", with(json!({"n": "1"})), 400, Some("n")),
        case(
            "stream is a string",
            with(json!({"stream": "yes"})),
            400,
            Some("stream"),
        ),
        case(
            "stream_options is a list",
            with(json!({"stream": true, "stream_options": [true]})),
            400,
            Some("stream_options"),
        ),
        case(
            "max_tokens 0",
            with(json!({"max_tokens": 0})),
            400,
            Some("max_tokens"),
        ),
        case(
            "max_completion_tokens negative",
            with(json!({"max_completion_tokens": -5})),
            400,
            Some("max_completion_tokens"),
        ),
        case(
            "max_tokens is text",
            with(json!({"max_tokens": "ten"})),
            400,
            Some("max_tokens"),
        ),
        case(
            "stop is a number",
            with(json!({"stop": 42})),
            400,
            Some("stop"),
        ),
        case(
            "five stop sequences",
            with(json!({"stop": ["a", "b", "c", "d", "e"]})),
            400,
            Some("stop"),
        ),
        case(
            "stop list holds a number",
            with(json!({"stop": ["a", 1]})),
            400,
            Some("stop[1]"),
        ),
        case(
            "tools is an object",
            with(json!({"tools": {"type": "function"}})),
            400,
            Some("tools"),
        ),
        case(
            "tool without a name",
            with(json!({"tools": [{"type": "function", "function": {"description": "x"}}]})),
            400,
            Some("tools[0].function.name"),
        ),
        case(
            "non-function tool",
            with(json!({"tools": [{"type": "web_search"}]})),
            400,
            Some("tools[0].type"),
        ),
        case(
            "duplicate tools",
            with(json!({"tools": [
                {"type": "function", "function": {"name": "f"}},
                {"type": "function", "function": {"name": "f"}}
            ]})),
            400,
            Some("tools[1].function.name"),
        ),
        case(
            "tool_choice required without tools",
            with(json!({"tool_choice": "required"})),
            400,
            Some("tool_choice"),
        ),
        case(
            "tool_choice names an undeclared tool",
            with(json!({
                "tools": [{"type": "function", "function": {"name": "f"}}],
                "tool_choice": {"type": "function", "function": {"name": "g"}}
            })),
            400,
            Some("tool_choice.function.name"),
        ),
        case(
            "tool_choice unknown word",
            with(json!({"tool_choice": "always"})),
            400,
            Some("tool_choice"),
        ),
        case(
            "response_format xml",
            with(json!({"response_format": {"type": "xml"}})),
            400,
            Some("response_format.type"),
        ),
        case(
            "json_schema without schema object",
            with(json!({"response_format": {"type": "json_schema"}})),
            400,
            Some("response_format.json_schema"),
        ),
        case(
            "reasoning_effort extreme",
            with(json!({"reasoning_effort": "extreme"})),
            400,
            Some("reasoning_effort"),
        ),
        case(
            "remote image URL",
            with(json!({"messages": image("https://example.com/cat.png")})),
            400,
            Some("messages[0].content[1].image_url"),
        ),
        case(
            "BMP image",
            with(json!({"messages": image(&format!("data:image/bmp;base64,{PNG}"))})),
            400,
            Some("messages[0].content[1].image_url"),
        ),
        case(
            "data URL without base64",
            with(json!({"messages": image("data:image/png,rawbytes")})),
            400,
            Some("messages[0].content[1].image_url"),
        ),
        case(
            "empty image data",
            with(json!({"messages": image("data:image/png;base64,")})),
            400,
            Some("messages[0].content[1].image_url"),
        ),
        Case {
            name: "unknown model",
            body: with(json!({"model": "claude-sonet-4.5"})),
            status: 404,
            param: Some("model"),
            code: Some("model_not_found"),
        },
        Case {
            // Read (below the 20 MiB default), parsed, then refused before going upstream:
            // the Kiro request would exceed the payload limit of a 200k-window model
            // (1 250 000 bytes).
            name: "5 MB message with the 20 MiB default",
            body: with(json!({"messages": user(&five_mb)})),
            status: 400,
            param: Some("messages"),
            code: Some("payload_size"),
        },
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn malformed_requests_get_openai_shaped_4xx() {
    let r = start(&[]).await;
    let cases = table();
    assert!(cases.len() >= 20);
    let mut failures = Vec::new();
    for c in cases {
        let response = r.post_raw("/v1/chat/completions", c.body).await;
        let (status, err, raw) = openai_error(response).await;
        assert!(status < 500, "{}: a 5xx: {raw}", c.name);
        if status != c.status {
            failures.push(format!(
                "{}: status {status}, expected {}: {raw}",
                c.name, c.status
            ));
            continue;
        }
        if let Some(param) = c.param {
            if err.param.as_deref() != Some(param) {
                failures.push(format!(
                    "{}: param {:?}, expected {param}: {raw}",
                    c.name, err.param
                ));
            }
        }
        if let Some(code) = c.code {
            if err.code.as_deref() != Some(code) {
                failures.push(format!(
                    "{}: code {:?}, expected {code}: {raw}",
                    c.name, err.code
                ));
            }
        }
        if c.name == "unknown model" {
            assert!(
                err.message.contains("claude-sonnet-4.5"),
                "close matches listed: {raw}"
            );
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
    assert_eq!(r.fake.chat_calls(), 0, "nothing malformed went upstream");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn body_above_the_configured_limit_is_413() {
    let r = start(&[("KIRO_GATEWAY_MAX_BODY_BYTES", "1048576")]).await;
    let body = with(json!({"messages": user(&"x".repeat(5 * 1024 * 1024))}));
    let (status, err, raw) = openai_error(r.post_raw("/v1/chat/completions", body).await).await;
    assert_eq!(status, 413, "{raw}");
    assert_eq!(err.r#type.as_deref(), Some("invalid_request_error"));
    assert!(err.message.contains("KIRO_GATEWAY_MAX_BODY_BYTES"), "{raw}");
    // Just below the limit is read.
    let small = with(json!({"messages": user(&"x".repeat(1000))}));
    assert_eq!(
        r.post_raw("/v1/chat/completions", small).await.status(),
        200
    );
}

/// The client is still sending when the gateway knows the answer: the rest of the body is read
/// and dropped, so the client reads the 413 instead of a broken pipe (it did, now and then).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_oversized_body_always_gets_its_413_not_a_broken_connection() {
    let r = start(&[("KIRO_GATEWAY_MAX_BODY_BYTES", "65536")]).await;
    let body = with(json!({"messages": user(&"x".repeat(32 * 1024 * 1024))}));
    for round in 0..20 {
        let (status, err, raw) =
            openai_error(r.post_raw("/v1/chat/completions", body.clone()).await).await;
        assert_eq!(status, 413, "round {round}: {raw}");
        assert!(err.message.contains("KIRO_GATEWAY_MAX_BODY_BYTES"), "{raw}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_gateway_error_parses_as_an_openai_error() {
    let r = start(&[
        ("KIRO_MAX_429_RETRIES", "0"),
        ("KIRO_MAX_ATTEMPTS", "1"),
        ("FIRST_TOKEN_TIMEOUT", "1"),
        ("FIRST_TOKEN_MAX_RETRIES", "0"),
        ("STREAMING_READ_TIMEOUT", "1"),
    ])
    .await;
    let http = reqwest::Client::new();
    let chat_url = r.url("/v1/chat/completions");
    let body = json!({"model": "claude-sonnet-4-5", "messages": user("hi")});

    // 401: missing key, wrong key in either header.
    let (status, err, _) =
        openai_error(http.post(&chat_url).json(&body).send().await.unwrap()).await;
    assert_eq!(
        (status, err.code.as_deref()),
        (401, Some("invalid_api_key"))
    );
    assert_eq!(err.r#type.as_deref(), Some("authentication_error"));
    let wrong_bearer = http
        .post(&chat_url)
        .bearer_auth("kgw_wrong")
        .json(&body)
        .send()
        .await
        .unwrap();
    let (status, err, _) = openai_error(wrong_bearer).await;
    assert_eq!(
        (status, err.code.as_deref()),
        (401, Some("invalid_api_key"))
    );
    let wrong_x = http
        .post(&chat_url)
        .header("x-api-key", "kgw_wrong")
        .json(&body)
        .send()
        .await
        .unwrap();
    let (status, _, _) = openai_error(wrong_x).await;
    assert_eq!(status, 401);
    let models_no_key = http.get(r.url("/v1/models")).send().await.unwrap();
    assert_eq!(openai_error(models_no_key).await.0, 401);
    // The right key in x-api-key works.
    let ok = http
        .post(&chat_url)
        .header("x-api-key", &r.key)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);

    // 404 route, 405 method.
    let (status, _, _) = openai_error(r.get("/v1/embeddings").await).await;
    assert_eq!(status, 404);
    let (status, _, _) = openai_error(r.get("/nothing/here").await).await;
    assert_eq!(status, 404);
    let (status, _, raw) = openai_error(r.get("/v1/chat/completions").await).await;
    assert_eq!(status, 405, "{raw}");
    let delete = http
        .delete(r.url("/v1/models"))
        .bearer_auth(&r.key)
        .send()
        .await
        .unwrap();
    assert_eq!(openai_error(delete).await.0, 405);

    // Upstream failures before the stream starts: the same HTTP error for streaming and
    // non-streaming requests (no SSE is started).
    type MakeScript = fn() -> Script;
    let upstream_cases: Vec<(&str, MakeScript, u16, &str, Option<&str>)> = vec![
        (
            "context too long",
            || {
                Script::http_error(
                    400,
                    r#"{"message":"Input is too long for requested model.","reason":"CONTENT_LENGTH_EXCEEDS_THRESHOLD"}"#,
                )
            },
            400,
            "invalid_request_error",
            Some("context_length_exceeded"),
        ),
        (
            "quota 402",
            || {
                Script::http_error(
                    402,
                    r#"{"__type":"com.amazon.kiro.runtimeservice#ServiceQuotaExceededException","message":"You have reached the limit.","reason":"MONTHLY_REQUEST_COUNT"}"#,
                )
            },
            429,
            "insufficient_quota",
            Some("insufficient_quota"),
        ),
        (
            "500 high load",
            Script::overloaded,
            503,
            "server_error",
            None,
        ),
        (
            "500",
            || Script::http_error(500, r#"{"message":"Internal failure","reason":null}"#),
            502,
            "server_error",
            None,
        ),
        (
            "503",
            || Script::http_error(503, r#"{"message":"Service Unavailable","reason":null}"#),
            503,
            "server_error",
            None,
        ),
        (
            "invalid model upstream",
            || {
                Script::http_error(
                    400,
                    r#"{"message":"Invalid model. Please select a different model to continue.","reason":"INVALID_MODEL_ID"}"#,
                )
            },
            404,
            "invalid_request_error",
            Some("model_not_found"),
        ),
        (
            "first-token timeout",
            || {
                Script::new()
                    .text("late")
                    .trailers()
                    .first_byte_delay(Duration::from_secs(3))
            },
            504,
            "timeout",
            None,
        ),
        // Last: a wait Kiro names holds back every request after it for that long (the
        // second, streamed request is answered by the gateway itself).
        (
            "429",
            || Script::throttled(Some(1)),
            429,
            "rate_limit_error",
            None,
        ),
    ];
    for (name, script, want_status, want_type, want_code) in upstream_cases {
        for stream in [false, true] {
            let held = name == "429" && stream;
            if !held {
                r.fake.push_script(script());
            }
            let mut b = body.clone();
            b["stream"] = json!(stream);
            let response = r.post_chat(&b).await;
            let header = |name: &str| {
                response
                    .headers()
                    .get(name)
                    .map(|v| v.to_str().unwrap().to_owned())
            };
            let retry_after = header("retry-after");
            let should_retry = header("x-should-retry");
            let (status, err, raw) = openai_error(response).await;
            assert_eq!(status, want_status, "{name} (stream {stream}): {raw}");
            assert_eq!(err.r#type.as_deref(), Some(want_type), "{name}: {raw}");
            if want_code.is_some() {
                assert_eq!(err.code.as_deref(), want_code, "{name}: {raw}");
            }
            if name == "429" {
                assert_eq!(
                    retry_after.as_deref(),
                    Some("1"),
                    "Retry-After is passed on"
                );
                assert_eq!(should_retry, None, "a throttle may be retried");
            }
            if name == "quota 402" {
                assert_eq!(
                    should_retry.as_deref(),
                    Some("false"),
                    "a spent quota is never retried"
                );
            }
        }
    }
    assert_eq!(r.fake.pending_scripts(), 0);
    // Let the 1 s hold of the 429 case end.
    tokio::time::sleep(Duration::from_millis(1100)).await;

    // Failures after Kiro started answering: a non-streaming request gets an error status
    // (not a partial completion); a stream gets an error event, then [DONE].
    let after_first_byte: Vec<(&str, MakeScript, u16, &str)> = vec![
        (
            "exception",
            || {
                Script::new()
                    .text("partial")
                    .exception("InternalServerException", "boom")
            },
            502,
            "server_error",
        ),
        (
            "throttled",
            || {
                Script::new()
                    .text("partial")
                    .exception("ThrottlingException", "slow")
            },
            429,
            "rate_limit_error",
        ),
        (
            "abrupt close",
            || Script::new().text("partial").close_mid_frame("cut"),
            502,
            "server_error",
        ),
        (
            "idle timeout",
            || Script::new().text("partial").stall(),
            504,
            "timeout",
        ),
    ];
    for (name, script, want_status, want_type) in after_first_byte {
        r.fake.push_script(script());
        let (status, err, raw) = openai_error(r.post_chat(&body).await).await;
        assert_eq!(status, want_status, "{name}: {raw}");
        assert_eq!(err.r#type.as_deref(), Some(want_type), "{name}: {raw}");

        r.fake.push_script(script());
        let mut b = body.clone();
        b["stream"] = json!(true);
        let response = r.post_chat(&b).await;
        assert_eq!(response.status(), 200);
        let data = sse_data(response).await;
        assert_eq!(data.last().map(String::as_str), Some("[DONE]"), "{name}");
        let error: Value = serde_json::from_str(&data[data.len() - 2]).unwrap();
        let parsed: async_openai::error::WrappedError = serde_json::from_value(error.clone())
            .unwrap_or_else(|e| panic!("{name}: {error}: {e}"));
        assert_eq!(
            parsed.error.r#type.as_deref(),
            Some(want_type),
            "{name}: {error}"
        );
        for key in ["message", "type", "param", "code"] {
            assert!(
                error["error"].get(key).is_some(),
                "{name}: {key} in {error}"
            );
        }
    }
}

/// Unusual requests real agents send: each is answered (200) or refused with a 4xx in
/// OpenAI's shape, never a 5xx, and never reaches Kiro in a form Kiro rejects.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn odd_but_valid_requests_are_answered() {
    let r = start(&[]).await;
    let tool = |name: &str| json!({"type": "function", "function": {"name": name, "parameters": {"type": "object", "properties": {"q": {"type": "string", "description": null}}, "required": []}}});
    let long_name = "t".repeat(100);
    let cases: Vec<(&str, Value)> = vec![
        (
            "only a system message",
            json!({"messages": [{"role": "system", "content": "You are terse."}]}),
        ),
        (
            "ends with an assistant message",
            json!({"messages": [
            {"role": "user", "content": "hi"}, {"role": "assistant", "content": "Hel"}]}),
        ),
        (
            "empty user content",
            json!({"messages": [{"role": "user", "content": ""}]}),
        ),
        (
            "empty parts list",
            json!({"messages": [{"role": "user", "content": []}]}),
        ),
        (
            "assistant with null content",
            json!({"messages": [
            {"role": "user", "content": "a"}, {"role": "assistant", "content": null},
            {"role": "user", "content": "b"}]}),
        ),
        (
            "consecutive user messages",
            json!({"messages": [
            {"role": "user", "content": "a"}, {"role": "user", "content": "b"}]}),
        ),
        (
            "consecutive assistant messages",
            json!({"messages": [
            {"role": "user", "content": "a"}, {"role": "assistant", "content": "b"},
            {"role": "assistant", "content": "c"}, {"role": "user", "content": "d"}]}),
        ),
        (
            "truncated tool arguments",
            json!({"messages": [
            {"role": "user", "content": "a"},
            {"role": "assistant", "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "f", "arguments": "{\"q\": \"unterminated"}}]},
            {"role": "tool", "tool_call_id": "call_1", "content": "ok"}], "tools": [tool("f")]}),
        ),
        (
            "tool result with an image",
            json!({"messages": [
            {"role": "user", "content": "a"},
            {"role": "assistant", "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "f", "arguments": "{}"}}]},
            {"role": "tool", "tool_call_id": "call_1", "content": [
                {"type": "text", "text": "screenshot"},
                {"type": "image_url", "image_url": {"url": format!("data:image/png;base64,{PNG}")}}]}],
            "tools": [tool("f")]}),
        ),
        (
            "empty tool result",
            json!({"messages": [
            {"role": "user", "content": "a"},
            {"role": "assistant", "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "f", "arguments": ""}}]},
            {"role": "tool", "tool_call_id": "call_1", "content": ""}], "tools": [tool("f")]}),
        ),
        (
            "tool calls in history without tools declared",
            json!({"messages": [
            {"role": "user", "content": "a"},
            {"role": "assistant", "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "f", "arguments": "{}"}}]},
            {"role": "tool", "tool_call_id": "call_1", "content": "r"},
            {"role": "user", "content": "thanks"}]}),
        ),
        (
            "a 100-character tool name",
            json!({"messages": [{"role": "user", "content": "a"}], "tools": [tool(&long_name)]}),
        ),
        (
            "legacy functions",
            json!({"messages": [
            {"role": "user", "content": "a"},
            {"role": "assistant", "content": null, "function_call": {"name": "f", "arguments": "{}"}},
            {"role": "function", "name": "f", "content": "r"}],
            "functions": [{"name": "f", "parameters": {"type": "object"}}], "function_call": "auto"}),
        ),
        (
            "late system message",
            json!({"messages": [
            {"role": "user", "content": "a"}, {"role": "assistant", "content": "b"},
            {"role": "system", "content": "reminder"}, {"role": "user", "content": "c"}]}),
        ),
        (
            "ignored sampling parameters",
            json!({"messages": [{"role": "user", "content": "a"}],
            "temperature": 0.2, "top_p": 0.9, "seed": 1, "presence_penalty": 0, "frequency_penalty": 0,
            "logit_bias": {"50256": -100}, "user": "u1", "metadata": {"k": "v"}, "store": false,
            "service_tier": "auto", "logprobs": false, "parallel_tool_calls": true, "n": 1,
            "stop": ["\n\nHuman:"], "max_completion_tokens": 100, "modalities": ["text"],
            "prompt_cache_key": "abc", "safety_identifier": "x", "verbosity": "low"}),
        ),
        (
            "nulls everywhere",
            json!({"messages": [{"role": "user", "content": "a", "name": null}],
            "tools": null, "tool_choice": null, "stop": null, "max_tokens": null, "stream": null,
            "stream_options": null, "response_format": null, "reasoning_effort": null}),
        ),
        (
            "empty tool_calls list",
            json!({"messages": [
            {"role": "user", "content": "a"}, {"role": "assistant", "content": "b", "tool_calls": []},
            {"role": "user", "content": "c"}]}),
        ),
        (
            "tool result with null content",
            json!({"messages": [
            {"role": "user", "content": "a"},
            {"role": "assistant", "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "f", "arguments": "{}"}}]},
            {"role": "tool", "tool_call_id": "call_1", "content": null}], "tools": [tool("f")]}),
        ),
        (
            "a tool-call id reused in a later turn",
            json!({"messages": [
            {"role": "user", "content": "a"},
            {"role": "assistant", "tool_calls": [{"id": "call_0", "type": "function", "function": {"name": "f", "arguments": "{\"q\":\"1\"}"}}]},
            {"role": "tool", "tool_call_id": "call_0", "content": "one"},
            {"role": "assistant", "tool_calls": [{"id": "call_0", "type": "function", "function": {"name": "f", "arguments": "{\"q\":\"2\"}"}}]},
            {"role": "tool", "tool_call_id": "call_0", "content": "two"}], "tools": [tool("f")]}),
        ),
        (
            "tool calls with odd ids",
            json!({"messages": [
            {"role": "user", "content": "a"},
            {"role": "assistant", "tool_calls": [{"id": "toolu_01A/B+C=", "type": "function", "function": {"name": "f", "arguments": "{}"}}]},
            {"role": "tool", "tool_call_id": "toolu_01A/B+C=", "content": "r"}], "tools": [tool("f")]}),
        ),
        (
            "image_url as a plain string",
            json!({"messages": [{"role": "user", "content": [
            {"type": "image_url", "image_url": format!("data:image/jpeg;base64,{PNG}")}]}]}),
        ),
        (
            "message names",
            json!({"messages": [{"role": "user", "name": "alice", "content": "a"}]}),
        ),
        (
            "model auto-kiro",
            json!({"model": "auto-kiro", "messages": [{"role": "user", "content": "a"}]}),
        ),
        (
            "model with a context marker",
            json!({"model": "claude-sonnet-4-5[1m]", "messages": [{"role": "user", "content": "a"}]}),
        ),
    ];
    let mut failures = Vec::new();
    for (name, mut body) in cases {
        if body.get("model").is_none() {
            body["model"] = json!("claude-sonnet-4-5");
        }
        for stream in [false, true] {
            body["stream"] = json!(stream);
            let response = r.post_chat(&body).await;
            let status = response.status().as_u16();
            if status == 200 {
                let text = response.text().await.unwrap();
                if stream {
                    let data = parse_sse(&text);
                    let chunks = json_chunks(&data);
                    if data.last().map(String::as_str) != Some("[DONE]")
                        || chunks.iter().any(|c| c.get("error").is_some())
                    {
                        failures.push(format!("{name} (stream): {text}"));
                    }
                } else {
                    let parsed: Result<async_openai::types::CreateChatCompletionResponse, _> =
                        serde_json::from_str(&text);
                    if parsed.is_err() {
                        failures.push(format!("{name}: unparsable completion {text}"));
                    }
                }
            } else {
                let (status, _, raw) = openai_error(response).await;
                failures.push(format!("{name} (stream {stream}): {status} {raw}"));
            }
        }
    }
    let rejected: Vec<String> = r
        .fake
        .requests_to(kiro_gateway_tests::fake::Endpoint::Chat)
        .iter()
        .filter(|rec| rec.status != 200)
        .map(|rec| {
            format!(
                "{:?}: {}",
                rec.rejected_by,
                String::from_utf8_lossy(&rec.body)
            )
        })
        .collect();
    assert!(
        failures.is_empty(),
        "\n{}\nupstream rejections: {rejected:#?}",
        failures.join("\n")
    );
    assert!(rejected.is_empty(), "{rejected:#?}");
}
