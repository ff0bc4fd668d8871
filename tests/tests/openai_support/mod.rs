//! Shared helpers of the OpenAI-dialect end-to-end tests: the real gateway binary in front of
//! the fake (through [`Harness`]), an `async-openai` client, SSE and error parsing.
#![allow(dead_code)]

use std::time::Duration;

use async_openai::config::OpenAIConfig;
use kiro_gateway_tests::harness::Harness;
pub use kiro_gateway_tests::harness::Running;
use kiro_gateway_tests::sse;
use serde_json::Value;

/// The fake, a valid token file, and the gateway process with `extra_env`.
pub async fn start(extra_env: &[(&str, &str)]) -> Running {
    Harness::process().env(extra_env).start().await
}

/// An official-SDK client pointed at the gateway.
pub fn sdk_client(r: &Running) -> async_openai::Client<OpenAIConfig> {
    async_openai::Client::with_config(
        OpenAIConfig::new()
            .with_api_base(r.url("/v1"))
            .with_api_key(r.key.clone()),
    )
}

/// Every `data:` payload of an SSE body, in order (including `[DONE]`).
pub async fn sse_data(response: reqwest::Response) -> Vec<String> {
    let text = sse_text(response).await;
    parse_sse(&text)
}

/// The raw SSE body.
pub async fn sse_text(response: reqwest::Response) -> String {
    sse::body_text(response).await
}

/// Every event's `data:` payload; each event is exactly one data line.
pub fn parse_sse(text: &str) -> Vec<String> {
    sse::frames(text)
        .iter()
        .map(|frame| match frame.lines.as_slice() {
            [line] => line
                .strip_prefix("data: ")
                .unwrap_or_else(|| panic!("every event is a data line: {frame:?}"))
                .to_owned(),
            _ => panic!("every event is a data line: {frame:?}"),
        })
        .collect()
}

/// The JSON chunks of an SSE body (without `[DONE]`).
pub fn json_chunks(data: &[String]) -> Vec<Value> {
    data.iter()
        .filter(|d| d.as_str() != "[DONE]")
        .map(|d| serde_json::from_str(d).expect("each chunk is JSON"))
        .collect()
}

/// Concatenated `delta.<field>` of every chunk.
pub fn joined_delta(chunks: &[Value], field: &str) -> String {
    chunks
        .iter()
        .filter_map(|c| c["choices"][0]["delta"][field].as_str())
        .collect()
}

/// The body of an error response parsed by async-openai's own error type, plus the raw
/// JSON; asserts the four OpenAI fields are present.
pub async fn openai_error(
    response: reqwest::Response,
) -> (u16, async_openai::error::ApiError, Value) {
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let text = response.text().await.expect("error body");
    assert!(
        content_type.starts_with("application/json"),
        "error {status} is JSON, got {content_type:?}: {text}"
    );
    let wrapped: async_openai::error::WrappedError = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("async-openai cannot parse the {status} body {text}: {e}"));
    let raw: Value = serde_json::from_str(&text).unwrap();
    for key in ["message", "type", "param", "code"] {
        assert!(
            raw["error"].get(key).is_some(),
            "the {status} error lacks `{key}`: {text}"
        );
    }
    assert!(!wrapped.error.message.is_empty(), "empty message: {text}");
    assert!(wrapped.error.r#type.is_some(), "null type: {text}");
    (status, wrapped.error, raw)
}

/// Wait until `check` holds, polling, at most `within`.
pub async fn eventually(within: Duration, mut check: impl FnMut() -> bool) -> bool {
    let deadline = tokio::time::Instant::now() + within;
    while tokio::time::Instant::now() < deadline {
        if check() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    check()
}
