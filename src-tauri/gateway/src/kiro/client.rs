//! The upstream client: headers (docs/kiro-protocol.md#request-headers), retries before the first
//! byte reaches the client, and a bound on every phase of a call: connect (`KIRO_CONNECT_TIMEOUT`,
//! on the HTTP client), response headers (`KIRO_HEADERS_TIMEOUT`), first event
//! (`FIRST_TOKEN_TIMEOUT`) and silence between events (`STREAMING_READ_TIMEOUT`, in
//! [`EventStream`]). A headers or first-event timeout is resent at most
//! `FIRST_TOKEN_MAX_RETRIES` times in all; a connect timeout counts as a network error.

use std::sync::Arc;
use std::time::{Duration, Instant};

use rand::Rng;
use reqwest::header::{HeaderMap, HeaderValue, AUTHORIZATION, CONTENT_TYPE, USER_AGENT};
use serde_json::Value;

use super::cooldown::{ActiveHold, CooldownCause};
use super::login::ActiveLogin;
use super::retries::{RetryCause, RetryCounts};
use super::stream::EventStream;
use super::tap::{Taps, UpstreamTap};
use super::upstream_error::UpstreamError;
use crate::config::Config;
use crate::credentials::{AccessToken, AuthKind, Credentials, KIRO_IDE_VERSION};

/// Versions sent in the IDE-style User-Agent. Kiro gates some accounts on `KiroIDE` in it.
const SDK_VERSION: &str = "1.0.34";
const NODE_VERSION: &str = "22.22.0";
/// Longest upstream error body we read.
const MAX_ERROR_BODY: usize = 64 * 1024;

/// Retry and timeout policy.
#[derive(Debug, Clone)]
pub struct ClientSettings {
    /// Runtime base URL; `None` = `https://runtime.{apiRegion}.kiro.dev`.
    pub api_url: Option<String>,
    /// From sending the request until the response headers (connect included).
    pub headers_timeout: Duration,
    /// From the response headers until the first event.
    pub first_token_timeout: Duration,
    /// Resends after a headers or first-token timeout, shared by both.
    pub first_token_retries: u32,
    pub idle_timeout: Duration,
    /// Attempts in all for 5xx / connect errors.
    pub max_attempts: u32,
    pub max_429_retries: u32,
    /// A `Retry-After` longer than this is not waited out; the 429 goes to the client.
    pub max_retry_wait: Duration,
    /// Base of the exponential backoff between attempts.
    pub backoff_base: Duration,
}

impl ClientSettings {
    pub fn from_config(config: &Config) -> Self {
        ClientSettings {
            api_url: config.api_url.clone(),
            headers_timeout: config.headers_timeout,
            first_token_timeout: config.first_token_timeout,
            first_token_retries: config.first_token_retries,
            idle_timeout: config.streaming_read_timeout,
            max_attempts: config.max_attempts.max(1),
            max_429_retries: config.max_429_retries,
            max_retry_wait: Duration::from_secs(30),
            backoff_base: Duration::from_millis(250),
        }
    }
}

/// The shared HTTP client: rustls, pooled keep-alive connections, optional proxy, and
/// `connect_timeout` for TCP + TLS (+ proxy) set-up.
pub fn build_http_client(
    proxy_url: Option<&str>,
    connect_timeout: Duration,
) -> Result<reqwest::Client, String> {
    let mut builder = reqwest::Client::builder()
        .use_rustls_tls()
        .connect_timeout(connect_timeout)
        .pool_idle_timeout(Duration::from_secs(90))
        .pool_max_idle_per_host(64)
        .tcp_keepalive(Duration::from_secs(60))
        .tcp_nodelay(true);
    builder = match proxy_url {
        Some(url) => builder.proxy(
            reqwest::Proxy::all(url)
                .map_err(|e| format!("invalid proxy URL: {e}"))?
                .no_proxy(reqwest::NoProxy::from_env()),
        ),
        None => builder.no_proxy(),
    };
    builder
        .build()
        .map_err(|e| format!("cannot build the HTTP client: {e}"))
}

/// Talks to the Kiro runtime for one gateway.
#[derive(Clone)]
pub struct KiroClient {
    http: reqwest::Client,
    /// The login in use (switchable); its hold, shared by every clone, holds back all of
    /// its requests.
    login: Arc<ActiveLogin>,
    settings: ClientSettings,
    retries: Arc<RetryCounts>,
    /// Shown every call (the drift detector).
    taps: Taps,
}

impl KiroClient {
    pub fn new(
        http: reqwest::Client,
        credentials: Arc<Credentials>,
        settings: ClientSettings,
    ) -> Self {
        Self::with_login(http, ActiveLogin::new(credentials), settings)
    }

    /// A client sending with whichever login `login` holds.
    pub fn with_login(
        http: reqwest::Client,
        login: Arc<ActiveLogin>,
        settings: ClientSettings,
    ) -> Self {
        KiroClient {
            http,
            login,
            settings,
            retries: Arc::default(),
            taps: Taps::default(),
        }
    }

    /// This client, showing `tap` every call it makes.
    pub fn with_tap(mut self, tap: Arc<dyn UpstreamTap>) -> Self {
        self.taps.push(tap);
        self
    }

    /// The hold in force, if Kiro asked the gateway to wait (for `/health` and the UI).
    pub fn hold(&self) -> Option<ActiveHold> {
        self.login.get().cooldown.active(Instant::now())
    }

    /// Calls sent again so far, by cause (`GET /metrics`).
    pub fn retries(&self) -> &Arc<RetryCounts> {
        &self.retries
    }

    /// The credentials of the login in use now.
    pub fn credentials(&self) -> Arc<Credentials> {
        self.login.credentials()
    }

    /// The switchable login (shared with the model catalogue and the usage limits).
    pub fn login(&self) -> &Arc<ActiveLogin> {
        &self.login
    }

    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// The runtime base URL for a credential's API region.
    pub fn runtime_base(&self, api_region: &str) -> String {
        match &self.settings.api_url {
            Some(url) => url.trim_end_matches('/').to_owned(),
            None => format!("https://runtime.{api_region}.kiro.dev"),
        }
    }

    /// Send a `generateAssistantResponse` body and return the event stream once its first
    /// event arrived. Every retry happens here, before anything reached the client.
    /// `profileArn` is set from the credential used for each attempt.
    pub async fn generate(&self, body: Value) -> Result<EventStream, UpstreamError> {
        self.generate_tapped(body, None).await
    }

    /// [`KiroClient::generate`], also showing `tap` this call's attempts and frames.
    pub async fn generate_tapped(
        &self,
        mut body: Value,
        tap: Option<Arc<dyn UpstreamTap>>,
    ) -> Result<EventStream, UpstreamError> {
        let taps = self.taps.with(tap);
        let mut attempt = 0u32;
        let mut refreshed = false;
        let mut failed_attempts = 0u32;
        let mut throttled = 0u32;
        let mut resends = 0u32;
        let mut empty_resent = false;
        let mut capacity_retried = false;
        // One login for the whole call, retries included, even if the user switches meanwhile.
        let login = self.login.get();
        loop {
            if let Some(hold) = login.cooldown.active(Instant::now()) {
                return Err(UpstreamError::Held(hold));
            }
            let token = login.credentials.access_token().await?;
            set_profile_arn(&mut body, token.profile_arn.as_deref());
            attempt += 1;
            let outcome = self.attempt(&token, &body, &taps, attempt).await;
            let err = match outcome {
                Ok(stream) => return Ok(stream),
                Err(err) => err,
            };
            if let Some((cause, wait)) = err.hold() {
                login
                    .cooldown
                    .hold(cause, wait, err.message_for_hold(), Instant::now());
                if cause == CooldownCause::Suspended || err.wait_declared_in_body() {
                    return Err(err);
                }
            }
            if err.is_bearer_rejected() && !refreshed {
                refreshed = true;
                tracing::info!("Kiro rejected the access token; refreshing once");
                login.credentials.on_rejected(&token).await?;
                self.retries.record(RetryCause::BearerRejected);
                continue;
            }
            // A model short of capacity stays short for minutes; another model helps more
            // than retries, so one more attempt at most, whatever the status (429 or 500).
            if err.is_capacity_shortage() {
                let wait = match err.retry_after() {
                    Some(seconds) => Duration::from_secs(seconds),
                    None => self.settings.backoff_base * 4,
                };
                if capacity_retried
                    || self.settings.max_attempts < 2
                    || wait > self.settings.max_retry_wait
                {
                    return Err(err);
                }
                capacity_retried = true;
                self.retries.record(RetryCause::Capacity);
                tracing::warn!(
                    wait_ms = wait.as_millis() as u64,
                    "Kiro has no capacity for the model; trying once more"
                );
                tokio::time::sleep(wait).await;
                continue;
            }
            if err.is_throttled() && throttled < self.settings.max_429_retries {
                let wait = match err.retry_after() {
                    Some(seconds) => Duration::from_secs(seconds),
                    None => self.settings.backoff_base * 4 * 2u32.pow(throttled),
                };
                if wait <= self.settings.max_retry_wait {
                    throttled += 1;
                    self.retries.record(RetryCause::Throttled);
                    tracing::warn!(
                        wait_ms = wait.as_millis() as u64,
                        "Kiro throttled the request; waiting before retry {throttled}"
                    );
                    tokio::time::sleep(wait).await;
                    continue;
                }
            }
            if err.is_transient() && failed_attempts + 1 < self.settings.max_attempts {
                failed_attempts += 1;
                self.retries.record(RetryCause::Transient);
                let wait = jittered_backoff(self.settings.backoff_base, failed_attempts);
                tracing::warn!(error = %err, wait_ms = wait.as_millis() as u64, "Kiro request failed; retrying");
                tokio::time::sleep(wait).await;
                continue;
            }
            if matches!(err, UpstreamError::EmptyStream) && !empty_resent {
                empty_resent = true;
                tracing::warn!("Kiro sent an empty answer; resending once");
                continue;
            }
            if err.is_no_answer() {
                if resends < self.settings.first_token_retries {
                    resends += 1;
                    self.retries.record(RetryCause::of_no_answer(&err));
                    tracing::warn!(error = %err, "no answer from Kiro in time; resending");
                    continue;
                }
                return Err(err.after_attempts(resends + 1));
            }
            return Err(err);
        }
    }

    async fn attempt(
        &self,
        token: &AccessToken,
        body: &Value,
        taps: &Taps,
        attempt: u32,
    ) -> Result<EventStream, UpstreamError> {
        let url = format!(
            "{}/generateAssistantResponse",
            self.runtime_base(&token.api_region)
        );
        let headers = kiro_headers(token);
        let body = body.to_string();
        taps.request(attempt, &url, &headers, &body);
        let send = self.http.post(&url).headers(headers).body(body).send();
        let response = tokio::time::timeout(self.settings.headers_timeout, send)
            .await
            .map_err(|_| UpstreamError::HeadersTimeout {
                timeout: self.settings.headers_timeout,
                attempts: 1,
            })?
            .map_err(|e| UpstreamError::from_reqwest(&e))?;
        let status = response.status();
        if !status.is_success() {
            let retry_after = response
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            let body = read_limited(response, MAX_ERROR_BODY).await;
            taps.http_error(status.as_u16(), &body);
            let err = UpstreamError::from_response(status.as_u16(), retry_after.as_deref(), &body);
            tracing::debug!(status = status.as_u16(), error = %err, "Kiro error response");
            return Err(err);
        }
        let mut stream = EventStream::new(response, self.settings.idle_timeout, taps.clone());
        stream
            .wait_first_event(self.settings.first_token_timeout)
            .await?;
        Ok(stream)
    }
}

fn set_profile_arn(body: &mut Value, arn: Option<&str>) {
    if let Some(obj) = body.as_object_mut() {
        match arn {
            Some(arn) => {
                obj.insert("profileArn".into(), Value::String(arn.to_owned()));
            }
            None => {
                obj.remove("profileArn");
            }
        }
    }
}

/// The IDE-style headers of docs/kiro-protocol.md#request-headers. `Connection: close` is
/// deliberately not sent: keep-alive reuse is what makes the gateway fast.
pub fn kiro_headers(token: &AccessToken) -> HeaderMap {
    let mut headers = HeaderMap::new();
    let ide = format!("KiroIDE-{KIRO_IDE_VERSION}-{}", token.machine_id);
    let user_agent = format!(
        "aws-sdk-js/{SDK_VERSION} ua/2.1 os/{} lang/js md/nodejs#{NODE_VERSION} api/codewhispererstreaming#{SDK_VERSION} m/E {ide}",
        node_os()
    );
    let mut insert = |name: &'static str, value: String| {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(name, value);
        }
    };
    insert(
        AUTHORIZATION.as_str(),
        format!("Bearer {}", token.token.expose()),
    );
    insert(CONTENT_TYPE.as_str(), "application/json".into());
    insert(USER_AGENT.as_str(), user_agent);
    insert(
        "x-amz-user-agent",
        format!("aws-sdk-js/{SDK_VERSION} {ide}"),
    );
    insert("x-amzn-codewhisperer-optout", "true".into());
    insert("x-amzn-kiro-agent-mode", "vibe".into());
    insert("amz-sdk-invocation-id", uuid::Uuid::new_v4().to_string());
    insert("amz-sdk-request", "attempt=1; max=3".into());
    match token.auth_kind {
        AuthKind::ApiKey => insert("tokentype", "API_KEY".into()),
        AuthKind::ExternalIdp => insert("TokenType", "EXTERNAL_IDP".into()),
        AuthKind::Social | AuthKind::Oidc => {}
    }
    if let Some(value) = headers.get_mut(AUTHORIZATION) {
        value.set_sensitive(true);
    }
    headers
}

/// The OS token Node.js would report (`process.platform#release`).
fn node_os() -> &'static str {
    match std::env::consts::OS {
        "macos" => "darwin#24.6.0",
        "windows" => "win32#10.0.22631",
        _ => "linux#6.1.0",
    }
}

/// `base × 2^(attempt−1)`, capped at 2 s, plus up to 25 % random jitter.
fn jittered_backoff(base: Duration, attempt: u32) -> Duration {
    let exp = base.saturating_mul(2u32.saturating_pow(attempt.saturating_sub(1)));
    let capped = exp.min(Duration::from_secs(2));
    let jitter = rand::rng().random_range(0.0..0.25);
    capped + capped.mul_f64(jitter)
}

async fn read_limited(mut response: reqwest::Response, limit: usize) -> Vec<u8> {
    let mut out = Vec::new();
    while let Ok(Some(chunk)) = response.chunk().await {
        let room = limit.saturating_sub(out.len());
        out.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if out.len() >= limit {
            break;
        }
    }
    out
}

/// A reqwest error in words, without the URL's query (never holds secrets, but stays short).
pub fn describe_reqwest_error(err: &reqwest::Error) -> String {
    let kind = if err.is_connect() {
        "connection failed"
    } else if err.is_timeout() {
        "timed out"
    } else if err.is_body() || err.is_decode() {
        "response body failed"
    } else {
        "request failed"
    };
    let mut detail = String::new();
    let mut source = std::error::Error::source(err);
    while let Some(s) = source {
        detail = s.to_string();
        source = s.source();
    }
    if detail.is_empty() {
        kind.to_owned()
    } else {
        format!("{kind}: {detail}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secrets::Secret;

    fn token() -> AccessToken {
        AccessToken {
            token: Secret::new("aoaTESTTOKEN".into()),
            auth_kind: AuthKind::Social,
            profile_arn: Some("arn:aws:codewhisperer:us-east-1:123456789012:profile/ABC".into()),
            api_region: "us-east-1".into(),
            machine_id: "a".repeat(64),
            generation: 1,
        }
    }

    #[test]
    fn headers_follow_the_ide() {
        let headers = kiro_headers(&token());
        assert_eq!(headers[AUTHORIZATION], "Bearer aoaTESTTOKEN");
        assert!(headers[AUTHORIZATION].is_sensitive());
        let ua = headers[USER_AGENT].to_str().unwrap();
        assert!(ua.contains(&format!("KiroIDE-{KIRO_IDE_VERSION}-{}", "a".repeat(64))));
        assert!(headers["x-amz-user-agent"]
            .to_str()
            .unwrap()
            .contains("KiroIDE"));
        assert_eq!(headers["x-amzn-kiro-agent-mode"], "vibe");
        assert!(uuid::Uuid::parse_str(headers["amz-sdk-invocation-id"].to_str().unwrap()).is_ok());
        assert!(headers.get("tokentype").is_none());
        assert!(headers.get("connection").is_none());
    }

    #[test]
    fn api_keys_carry_tokentype() {
        let mut t = token();
        t.auth_kind = AuthKind::ApiKey;
        assert_eq!(kiro_headers(&t)["tokentype"], "API_KEY");
    }

    #[test]
    fn profile_arn_follows_the_token() {
        let mut body = serde_json::json!({"conversationState": {}});
        set_profile_arn(&mut body, Some("arn:x"));
        assert_eq!(body["profileArn"], "arn:x");
        set_profile_arn(&mut body, None);
        assert!(body.get("profileArn").is_none());
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let base = Duration::from_millis(200);
        let first = jittered_backoff(base, 1);
        assert!(first >= base && first <= base.mul_f64(1.25));
        let late = jittered_backoff(base, 10);
        assert!(late >= Duration::from_secs(2) && late <= Duration::from_millis(2500));
    }
}
