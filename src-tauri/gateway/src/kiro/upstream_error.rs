//! Upstream failures and how they reach the client (docs/kiro-protocol.md#error-catalogue,
//! #error-mapping).
//!
//! [`UpstreamError`] and its classification (what is retried, held back, a spent allowance)
//! are here; [`body`] reads Kiro's error body, [`quota`] names the spent allowance, and
//! [`client_error`] turns a failure into the client-facing error.

use std::time::Duration;

use super::cooldown::{ActiveHold, CooldownCause};
use crate::credentials::CredentialError;

mod body;
mod client_error;
mod quota;

pub use body::Exception;
pub use client_error::ErrorContext;
pub use quota::QuotaReason;

use body::parse_error_body;

/// Something the Kiro service (or the way to it) did wrong.
#[derive(Debug, Clone, thiserror::Error)]
pub enum UpstreamError {
    /// A non-2xx answer before the stream started.
    #[error("Kiro answered HTTP {status}: {message}")]
    Status {
        status: u16,
        message: String,
        reason: Option<String>,
        /// The exception the body's `__type` names (docs/kiro-protocol.md#error-body).
        exception: Option<Exception>,
        /// Seconds to wait: the larger of the `Retry-After` header and the body's
        /// `retryAfterMilliseconds` (rounded up).
        retry_after: Option<u64>,
        /// The body carried `retryAfterMilliseconds`.
        wait_in_body: bool,
    },
    /// Connecting or reading failed.
    #[error("could not reach Kiro: {0}")]
    Network(String),
    /// No connection to Kiro (or the proxy) within `KIRO_CONNECT_TIMEOUT`.
    #[error("could not connect to Kiro within KIRO_CONNECT_TIMEOUT: {0}")]
    ConnectTimeout(String),
    /// Connected, but no response headers within `KIRO_HEADERS_TIMEOUT`, after every resend.
    #[error("Kiro sent no response within {}s after {attempts} attempts", .timeout.as_secs())]
    HeadersTimeout { timeout: Duration, attempts: u32 },
    /// No first event within the first-token timeout, after every resend.
    #[error("Kiro did not start answering within {}s after {attempts} attempts", .timeout.as_secs())]
    FirstTokenTimeout { timeout: Duration, attempts: u32 },
    /// The stream went silent for longer than the idle timeout.
    #[error("Kiro stopped sending for {}s in the middle of the answer", .0.as_secs())]
    IdleTimeout(Duration),
    /// The event stream could not be decoded.
    #[error("Kiro sent an undecodable stream: {0}")]
    Decode(String),
    /// An exception or error frame in the stream.
    #[error("Kiro reported {kind} mid-stream: {message}")]
    InStream { kind: String, message: String },
    /// No usable credentials.
    #[error("{0}")]
    Credentials(#[from] CredentialError),
    /// Kiro answered 200 and ended the stream without any content or reason (seen on the
    /// live service; the request is resent once before anything reached the client).
    #[error("Kiro ended its answer without any content")]
    EmptyStream,
    /// Not sent: Kiro asked the gateway to wait, and the wait is not over.
    #[error("held back for {}s more: {}", .0.remaining.as_secs(), .0.message)]
    Held(ActiveHold),
}

/// The bearer-token 403 body text (matched as a substring, without the final period).
const BEARER_INVALID: &str = "The bearer token included in the request is invalid";

/// The 400 `reason` of a replayed reasoning signature Kiro does not accept.
pub const THINKING_SIGNATURE_INVALID: &str = "THINKING_SIGNATURE_INVALID";

/// The 429 `reason` of the credit burn-rate limit (docs/kiro-protocol.md#error-mapping): a window
/// of minutes to an hour.
const CREDIT_RATE_EXCEEDED: &str = "CREDIT_CONSUMPTION_RATE_EXCEEDED";

/// The `reason`s of one model being short of capacity (429 and 500,
/// docs/kiro-protocol.md#error-mapping "Model capacity").
const CAPACITY_REASONS: &[&str] = &[
    "INSUFFICIENT_MODEL_CAPACITY",
    "MODEL_TEMPORARILY_UNAVAILABLE",
];

/// The legacy high-load text, for bodies without a `reason`.
const HIGH_LOAD: &str = "unexpectedly high load";

impl UpstreamError {
    /// A failed `send()`: a connect timeout is told apart from other network failures.
    pub fn from_reqwest(err: &reqwest::Error) -> Self {
        let detail = super::wire::describe_reqwest_error(err);
        if err.is_connect() && err.is_timeout() {
            UpstreamError::ConnectTimeout(detail)
        } else {
            UpstreamError::Network(detail)
        }
    }

    /// Kiro did not answer in time (no headers, or no first event): resent at most
    /// `FIRST_TOKEN_MAX_RETRIES` times in all.
    pub fn is_no_answer(&self) -> bool {
        matches!(
            self,
            UpstreamError::HeadersTimeout { .. } | UpstreamError::FirstTokenTimeout { .. }
        )
    }

    /// This "no answer" error, counting `attempts` in all.
    pub fn after_attempts(self, attempts: u32) -> Self {
        match self {
            UpstreamError::HeadersTimeout { timeout, .. } => {
                UpstreamError::HeadersTimeout { timeout, attempts }
            }
            UpstreamError::FirstTokenTimeout { timeout, .. } => {
                UpstreamError::FirstTokenTimeout { timeout, attempts }
            }
            other => other,
        }
    }

    /// Build from a non-2xx response's status, `Retry-After` header and body.
    pub fn from_response(status: u16, retry_after: Option<&str>, body: &[u8]) -> Self {
        let parsed = parse_error_body(body);
        let header = retry_after.and_then(|v| v.trim().parse::<u64>().ok());
        let from_body = parsed.retry_after_ms.map(|ms| ms.div_ceil(1000));
        UpstreamError::Status {
            status,
            message: parsed.message,
            reason: parsed.reason,
            exception: parsed.exception,
            retry_after: header.max(from_body),
            wait_in_body: from_body.is_some(),
        }
    }

    /// The spent allowance, if this is one (never retryable, docs/kiro-protocol.md#error-mapping).
    /// Decided on the declared `reason` and `__type` first: an allowance `reason` on any status,
    /// then any 402 or `ServiceQuotaExceededException`. Only a body without both falls back to
    /// allowance reasons quoted in its text.
    pub fn quota_reason(&self) -> Option<QuotaReason> {
        let UpstreamError::Status {
            status,
            message,
            reason,
            exception,
            ..
        } = self
        else {
            return None;
        };
        if let Some(quota) = reason.as_deref().and_then(QuotaReason::from_reason) {
            return Some(quota);
        }
        let untyped = reason.is_none() && exception.is_none();
        if *status == 402 || *exception == Some(Exception::ServiceQuotaExceeded) {
            let quoted = untyped.then(|| QuotaReason::in_text(message)).flatten();
            return Some(quoted.unwrap_or(QuotaReason::Unspecified));
        }
        untyped.then(|| QuotaReason::in_text(message)).flatten()
    }

    /// The credit burn-rate limit (429 `CREDIT_CONSUMPTION_RATE_EXCEEDED`): its window is
    /// minutes to an hour, so it is never retried (docs/kiro-protocol.md#error-mapping).
    fn is_credit_rate_limited(&self) -> bool {
        matches!(self, UpstreamError::Status { reason: Some(r), .. } if r == CREDIT_RATE_EXCEEDED)
    }

    /// Kiro refused a replayed reasoning signature (`THINKING_SIGNATURE_INVALID`): resent
    /// once with every `reasoningContent` stripped.
    pub fn is_signature_invalid(&self) -> bool {
        matches!(self, UpstreamError::Status { reason: Some(r), .. } if r == THINKING_SIGNATURE_INVALID)
    }

    /// The model asked for is short of capacity (429 `INSUFFICIENT_MODEL_CAPACITY`, 500
    /// `MODEL_TEMPORARILY_UNAVAILABLE`): decided on the declared `reason`; only a body
    /// without one is read for the reason's name or the high-load text.
    pub fn is_capacity_shortage(&self) -> bool {
        let UpstreamError::Status {
            message, reason, ..
        } = self
        else {
            return false;
        };
        match reason.as_deref() {
            Some(reason) => CAPACITY_REASONS.contains(&reason),
            None => {
                message.contains(HIGH_LOAD) || CAPACITY_REASONS.iter().any(|r| message.contains(r))
            }
        }
    }

    /// Kiro suspended the account (protocol notes, "Error bodies"): the declared reason, or
    /// its texts ("temporarily is suspended", "locked … security precaution").
    pub fn is_suspension(&self) -> bool {
        let UpstreamError::Status {
            status,
            message,
            reason,
            ..
        } = self
        else {
            return false;
        };
        let lower = message.to_ascii_lowercase();
        reason.as_deref() == Some("TEMPORARILY_SUSPENDED")
            || (matches!(status, 401 | 403)
                && (lower.contains("temporarily is suspended")
                    || (lower.contains("locked") && lower.contains("security precaution"))))
    }

    /// How long every request must be held back after this error, and why: a rate limit
    /// (not a spent allowance, not a capacity shortage of one model) that names its wait,
    /// or a suspension.
    pub fn hold(&self) -> Option<(CooldownCause, Duration)> {
        if self.is_suspension() {
            return Some((CooldownCause::Suspended, super::cooldown::SUSPENSION_HOLD));
        }
        let UpstreamError::Status {
            status: 429,
            reason,
            retry_after: Some(seconds),
            ..
        } = self
        else {
            return None;
        };
        let capacity = reason.as_deref() == Some("INSUFFICIENT_MODEL_CAPACITY");
        (self.quota_reason().is_none() && !capacity)
            .then(|| (CooldownCause::RateLimited, Duration::from_secs(*seconds)))
    }

    /// What Kiro said, kept with a hold for the local answers.
    pub fn message_for_hold(&self) -> &str {
        match self {
            UpstreamError::Status { message, .. } => message,
            _ => "",
        }
    }

    /// The wait came from the body's `retryAfterMilliseconds`: Kiro's own word on how long
    /// the window is, so the gateway does not retry within the request.
    pub fn wait_declared_in_body(&self) -> bool {
        matches!(
            self,
            UpstreamError::Status {
                wait_in_body: true,
                ..
            }
        )
    }

    /// The 403 that means "refresh the access token and try again".
    pub fn is_bearer_rejected(&self) -> bool {
        matches!(self, UpstreamError::Status { status: 401 | 403, message, .. } if message.contains(BEARER_INVALID))
    }

    /// Throttling that may pass soon, worth a retry: a 429 that is neither a spent allowance
    /// nor the credit burn-rate limit.
    pub fn is_throttled(&self) -> bool {
        matches!(self, UpstreamError::Status { status: 429, .. })
            && self.quota_reason().is_none()
            && !self.is_credit_rate_limited()
    }

    /// Server trouble worth another attempt.
    pub fn is_transient(&self) -> bool {
        match self {
            UpstreamError::Status { status, .. } => (500..=599).contains(status),
            UpstreamError::Network(_) | UpstreamError::ConnectTimeout(_) => true,
            _ => false,
        }
    }

    fn text(&self) -> String {
        match self {
            UpstreamError::Status {
                message, reason, ..
            } => format!("{message} {}", reason.as_deref().unwrap_or("")),
            other => other.to_string(),
        }
    }

    pub fn retry_after(&self) -> Option<u64> {
        match self {
            UpstreamError::Status { retry_after, .. } => *retry_after,
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests;
