//! Shared helpers of the `openai_*` end-to-end tests: the fake upstream, the real gateway
//! binary pointed at it, an `async-openai` client, raw HTTP and SSE parsing.
#![allow(dead_code)]

use std::path::PathBuf;
use std::time::Duration;

use async_openai::config::OpenAIConfig;
use kiro_gateway_tests::fake::fixtures::{write_social_token_file, TempHome};
use kiro_gateway_tests::fake::{FakeConfig, FakeKiro};
use kiro_gateway_tests::gateway_process::GatewayProcess;
use kiro_gateway_tests::sse;
use serde_json::Value;

pub struct Running {
    pub fake: FakeKiro,
    pub gateway: GatewayProcess,
    pub home: TempHome,
    pub token_file: PathBuf,
}

/// The fake (with `cfg`), a valid token file, and the gateway with `extra_env`.
pub async fn start_with(cfg: FakeConfig, extra_env: &[(&str, &str)]) -> Running {
    start_on(FakeKiro::start(cfg).await, extra_env).await
}

/// A valid token file for `fake` (already prepared by the caller, e.g. with injected
/// replies for the gateway's start-up calls) and the gateway with `extra_env`.
pub async fn start_on(fake: FakeKiro, extra_env: &[(&str, &str)]) -> Running {
    start_on_using(fake, extra_env, |home, env| {
        GatewayProcess::start(home, env, &[])
    })
    .await
}

/// [`start`] with the gateway under an open-file limit (soft and hard) of `open_files`.
#[cfg(unix)]
pub async fn start_with_open_file_limit(extra_env: &[(&str, &str)], open_files: u64) -> Running {
    let fake = FakeKiro::start(FakeConfig::default()).await;
    start_on_using(fake, extra_env, move |home, env| {
        GatewayProcess::start_with_open_file_limit(home, env, &[], open_files)
    })
    .await
}

async fn start_on_using(
    fake: FakeKiro,
    extra_env: &[(&str, &str)],
    launch: impl FnOnce(&std::path::Path, &[(&str, String)]) -> GatewayProcess + Send + 'static,
) -> Running {
    let home = TempHome::new();
    let (token_file, _) =
        write_social_token_file(&fake, &home, "default", chrono::Duration::hours(1));
    let mut env: Vec<(String, String)> = vec![
        ("KIRO_CREDS_FILE".into(), token_file.display().to_string()),
        ("KIRO_API_URL".into(), fake.runtime_url()),
        ("KIRO_MANAGEMENT_URL".into(), fake.management_url()),
        ("KIRO_REFRESH_URL".into(), fake.refresh_url()),
        ("KIRO_OIDC_URL".into(), fake.oidc_url()),
    ];
    env.extend(
        extra_env
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
    );
    let home_path = home.path().to_path_buf();
    let gateway = tokio::task::spawn_blocking(move || {
        let env: Vec<(&str, String)> = env.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
        launch(&home_path, &env)
    })
    .await
    .expect("gateway start");
    Running {
        fake,
        gateway,
        home,
        token_file,
    }
}

pub async fn start(extra_env: &[(&str, &str)]) -> Running {
    start_with(FakeConfig::default(), extra_env).await
}

impl Running {
    /// An official-SDK client pointed at the gateway.
    pub fn client(&self) -> async_openai::Client<OpenAIConfig> {
        async_openai::Client::with_config(
            OpenAIConfig::new()
                .with_api_base(format!("{}/v1", self.gateway.base_url))
                .with_api_key(self.gateway.api_key.clone()),
        )
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.gateway.base_url)
    }

    /// `POST /v1/chat/completions` with a JSON body, authenticated.
    pub async fn post_chat(&self, body: &Value) -> reqwest::Response {
        self.post_raw("/v1/chat/completions", body.to_string().into_bytes())
            .await
    }

    /// `POST path` with raw bytes as `application/json`, authenticated.
    pub async fn post_raw(&self, path: &str, body: Vec<u8>) -> reqwest::Response {
        reqwest::Client::new()
            .post(self.url(path))
            .bearer_auth(&self.gateway.api_key)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .expect("gateway answers")
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        reqwest::Client::new()
            .get(self.url(path))
            .bearer_auth(&self.gateway.api_key)
            .send()
            .await
            .expect("gateway answers")
    }
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
