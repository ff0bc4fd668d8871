//! The upstream client: headers (docs/kiro-protocol.md#request-headers), retries before the first
//! byte reaches the client, and a bound on every phase of a call: connect (`KIRO_CONNECT_TIMEOUT`,
//! on the HTTP client), response headers (`KIRO_HEADERS_TIMEOUT`), first event
//! (`FIRST_TOKEN_TIMEOUT`) and silence between events (`STREAMING_READ_TIMEOUT`, in
//! [`EventStream`]). A headers or first-event timeout is resent at most
//! `FIRST_TOKEN_MAX_RETRIES` times in all; a connect timeout counts as a network error.

use std::sync::Arc;
use std::time::{Duration, Instant};

use rand::Rng;
use serde_json::Value;

use super::cooldown::{ActiveHold, CooldownCause};
use super::login::ActiveLogin;
use super::retries::{RetryCause, RetryCounts};
use super::stream::EventStream;
use super::tap::{Taps, UpstreamTap};
use super::upstream_error::UpstreamError;
use super::wire::kiro_headers;
use crate::config::Config;
use crate::credentials::{AccessToken, Credentials};

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

#[cfg(test)]
mod tests {
    use super::*;

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
