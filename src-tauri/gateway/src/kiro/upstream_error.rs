//! Upstream failures and how they reach the client (docs/kiro-protocol.md#error-catalogue,
//! #error-mapping).

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::cooldown::{ActiveHold, CooldownCause};
use crate::credentials::CredentialError;
use crate::error::{ApiError, ErrorKind};

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

/// The exception of a Kiro error body's `__type` (`<namespace>#<ExceptionName>`, protocol doc
/// docs/kiro-protocol.md#error-body), told apart by the name after `#`: the namespace follows the
/// service addressed and means nothing here. Kept as a small enum so that [`UpstreamError`] stays
/// small.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exception {
    /// The only exception Kiro answers with 402: an allowance is spent
    /// (docs/kiro-protocol.md#error-catalogue).
    ServiceQuotaExceeded,
    Throttling,
    Validation,
    AccessDenied,
    Conflict,
    InternalServer,
    ServiceUnavailable,
    /// Any other name.
    Other,
}

impl Exception {
    /// From a `__type` value, with or without its namespace; `None` when no name is left.
    pub fn from_type(value: &str) -> Option<Self> {
        let name = value.rsplit('#').next().unwrap_or_default().trim();
        Some(match name {
            "" => return None,
            "ServiceQuotaExceededException" => Exception::ServiceQuotaExceeded,
            "ThrottlingException" => Exception::Throttling,
            "ValidationException" => Exception::Validation,
            "AccessDeniedException" => Exception::AccessDenied,
            "ConflictException" => Exception::Conflict,
            "InternalServerException" => Exception::InternalServer,
            "ServiceUnavailableException" => Exception::ServiceUnavailable,
            _ => Exception::Other,
        })
    }
}

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

/// What the request path knows that Kiro's error body does not say, for the client-facing
/// error ([`UpstreamError::to_api_error_in`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ErrorContext {
    /// When a spent allowance resets (from `GetUsageLimits`).
    pub resets_at: Option<DateTime<Utc>>,
    /// The model's context window in tokens, named when the conversation is too long.
    pub context_window: Option<u64>,
    /// Other models of the account (as clients spell them), named when the model is short
    /// of capacity.
    pub alternatives: Vec<String>,
    /// The Kiro request body's size in bytes: Kiro refuses a body over its (unpublished,
    /// changing) limit with a 400 that gives no reason.
    pub request_bytes: Option<usize>,
}

/// The smallest body size Kiro has been reported to refuse without a reason
/// (docs/kiro-protocol.md#payload-size: about 615 KB; 1.25 MB was also measured to pass).
const REASONLESS_400_SIZE: usize = 600_000;

/// Which allowance of the Kiro plan is spent (docs/kiro-protocol.md#error-catalogue, the 402 row
/// and the allowance reasons of the 429 row).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuotaReason {
    /// `MONTHLY_REQUEST_COUNT`
    Monthly,
    /// `DAILY_REQUEST_COUNT`
    Daily,
    /// `OVERAGE_REQUEST_LIMIT_EXCEEDED`: the overage cap on top of the plan is reached too.
    Overage,
    /// `CONVERSATION_LIMIT_EXCEEDED` (meaning not documented).
    Conversation,
    /// A 402 / `ServiceQuotaExceededException` without a known reason.
    Unspecified,
}

/// The `reason` values that name an allowance, as Kiro spells them.
const QUOTA_REASONS: &[(&str, QuotaReason)] = &[
    ("MONTHLY_REQUEST_COUNT", QuotaReason::Monthly),
    ("DAILY_REQUEST_COUNT", QuotaReason::Daily),
    ("OVERAGE_REQUEST_LIMIT_EXCEEDED", QuotaReason::Overage),
    ("CONVERSATION_LIMIT_EXCEEDED", QuotaReason::Conversation),
];

impl QuotaReason {
    /// The allowance a declared `reason` names, if it names one.
    pub fn from_reason(reason: &str) -> Option<Self> {
        QUOTA_REASONS
            .iter()
            .find(|(name, _)| *name == reason)
            .map(|(_, q)| *q)
    }

    /// For bodies without `__type` and `reason`: an allowance reason quoted in the text.
    fn in_text(text: &str) -> Option<Self> {
        QUOTA_REASONS
            .iter()
            .find(|(name, _)| text.contains(name))
            .map(|(_, q)| *q)
    }

    /// What the user reads in the error message.
    fn describe(self) -> &'static str {
        match self {
            QuotaReason::Monthly => "monthly limit reached",
            QuotaReason::Daily => "daily limit reached",
            QuotaReason::Overage => "overage limit reached",
            QuotaReason::Conversation => "conversation limit reached",
            QuotaReason::Unspecified => "no credits left",
        }
    }

    /// Whether it comes back when the plan's period resets (`nextDateReset` of
    /// `GetUsageLimits`); a daily limit resets sooner, the conversation limit is unknown.
    fn resets_with_the_period(self) -> bool {
        matches!(
            self,
            QuotaReason::Monthly | QuotaReason::Overage | QuotaReason::Unspecified
        )
    }
}

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

    /// The client-facing error, per the mapping of docs/kiro-protocol.md#error-mapping.
    pub fn to_api_error(&self) -> ApiError {
        self.to_api_error_with_reset(None)
    }

    /// [`UpstreamError::to_api_error`], naming when a spent allowance resets when the
    /// caller knows it (Kiro's 402 body does not say; `GetUsageLimits` does). A time in the
    /// past is ignored.
    pub fn to_api_error_with_reset(&self, resets_at: Option<DateTime<Utc>>) -> ApiError {
        self.to_api_error_in(&ErrorContext {
            resets_at,
            ..ErrorContext::default()
        })
    }

    /// The client-facing error, with what the request path knows ([`ErrorContext`]): the
    /// reset time of a spent allowance, the model's window in a context-length error, other
    /// models when this one is short of capacity.
    pub fn to_api_error_in(&self, context: &ErrorContext) -> ApiError {
        let text = self.text();
        if let Some(quota) = self.quota_reason() {
            let resets_at = context.resets_at.filter(|at| *at > Utc::now());
            return quota_error(quota, resets_at, text.trim());
        }
        let upstream = |kind: ErrorKind, what: &str| {
            ApiError::new(kind, format!("{what} (Kiro said: {})", text.trim()))
        };
        match self {
            UpstreamError::Held(hold) => held_error(hold),
            _ if self.is_suspension() => suspended_error(text.trim()),
            _ if text.contains("Input is too long") || text.contains("CONTENT_LENGTH_EXCEEDS_THRESHOLD") => {
                let window = context
                    .context_window
                    .map(|tokens| format!(" ({tokens} tokens)"))
                    .unwrap_or_default();
                ApiError::invalid_request(format!(
                    "The conversation is longer than the model's context window{window}; shorten or compact it. (Kiro said: {})",
                    text.trim()
                ))
                .with_param("messages")
                .with_code("context_length_exceeded")
            }
            _ if self.is_capacity_shortage() => {
                let others = match context.alternatives.as_slice() {
                    [] => String::new(),
                    names => format!(
                        ", or switch to another model of your account: {}",
                        names.join(", ")
                    ),
                };
                upstream(
                    ErrorKind::Overloaded,
                    &format!("The model is overloaded upstream; try again shortly{others}"),
                )
            }
            UpstreamError::Status { status: 400, .. } if text.contains("INVALID_MODEL_ID") => upstream(
                ErrorKind::NotFound,
                "Kiro does not offer this model to your account (or had a model incident)",
            )
            .with_param("model")
            .with_code("model_not_found"),
            UpstreamError::Status { status: 400, .. } if text.contains("profileArn is required") => upstream(
                ErrorKind::Upstream,
                "Kiro needs a profile ARN for this account and the gateway could not find one; set PROFILE_ARN",
            ),
            UpstreamError::Status { status: 400, reason: None, .. }
                if context.request_bytes.is_some_and(|b| b > REASONLESS_400_SIZE) =>
            {
                ApiError::invalid_request(format!(
                    "Kiro rejected the request without a reason (Kiro said: {}). It is {} KB as Kiro receives it, and Kiro has refused requests above about 600 KB: shorten the conversation (compact it, or drop large tool results and images) and try again.",
                    text.trim(),
                    context.request_bytes.unwrap_or_default() / 1000
                ))
                .with_code("kiro_request_too_large")
                .with_no_retry()
            }
            UpstreamError::Status { status: 400, .. } => ApiError::invalid_request(format!(
                "Kiro rejected the request as invalid (Kiro said: {}). If your request is valid for the OpenAI/Anthropic API, the gateway built a request Kiro does not accept: please report it with a debug log.",
                text.trim()
            ))
            .with_no_retry(),
            UpstreamError::Status { status: 429, retry_after, .. } if self.is_credit_rate_limited() => {
                let err = upstream(
                    ErrorKind::RateLimit,
                    "Kiro limits how fast this account may spend credits; wait until the window ends",
                )
                .with_no_retry();
                match retry_after {
                    Some(seconds) => err.with_retry_after(*seconds),
                    None => err,
                }
            }
            UpstreamError::Status { status: 429, retry_after, .. } => {
                let err = upstream(ErrorKind::RateLimit, "Kiro is throttling requests; slow down");
                err.with_retry_after(retry_after.unwrap_or(5))
            }
            _ if self.is_bearer_rejected() => upstream(
                ErrorKind::Upstream,
                "Kiro rejected the access token even after a refresh; sign in again in the Kiro IDE or run `kiro-cli login`",
            ),
            UpstreamError::Status { status: 401 | 403, .. } => upstream(
                ErrorKind::Permission,
                "Kiro refused access for this account (subscription, profile or region)",
            ),
            UpstreamError::Status { status: 503, .. } => {
                upstream(ErrorKind::Overloaded, "Kiro is temporarily unavailable")
            }
            UpstreamError::Status { .. } => upstream(ErrorKind::Upstream, "Kiro failed"),
            UpstreamError::Network(detail) => ApiError::new(
                ErrorKind::Upstream,
                format!("Could not reach Kiro: {detail}. Check your network or proxy (VPN_PROXY_URL / HTTPS_PROXY)."),
            ),
            UpstreamError::ConnectTimeout(_) => ApiError::new(
                ErrorKind::Timeout,
                format!("{self}. Check your network or proxy (VPN_PROXY_URL / HTTPS_PROXY)."),
            ),
            UpstreamError::HeadersTimeout { .. } => ApiError::new(
                ErrorKind::Timeout,
                format!("{self}; raise KIRO_HEADERS_TIMEOUT if your network is slow."),
            ),
            UpstreamError::FirstTokenTimeout { .. } | UpstreamError::IdleTimeout(_) => {
                ApiError::new(ErrorKind::Timeout, self.to_string())
            }
            UpstreamError::Decode(_) | UpstreamError::InStream { .. } => {
                ApiError::new(ErrorKind::Upstream, self.to_string())
            }
            UpstreamError::EmptyStream => ApiError::new(
                ErrorKind::Upstream,
                "Kiro ended its answer twice without any content; try again, or try another model.",
            )
            .with_code("empty_answer"),
            UpstreamError::Credentials(err) => credential_error(err),
        }
    }
}

/// The answer while requests are held back (see [`super::cooldown`]).
fn held_error(hold: &ActiveHold) -> ApiError {
    let seconds = hold.remaining.as_secs_f64().ceil().max(1.0) as u64;
    match hold.cause {
        CooldownCause::RateLimited => {
            let err = ApiError::new(
                ErrorKind::RateLimit,
                format!(
                    "Kiro asked to slow down; the gateway sends nothing to Kiro for {seconds} s more. (Kiro said: {})",
                    hold.message
                ),
            )
            .with_code("kiro_rate_limited")
            .with_retry_after(seconds);
            // Clients retry 429s within a minute; a longer wait is better reported than
            // retried against.
            if seconds > 60 {
                err.with_no_retry()
            } else {
                err
            }
        }
        CooldownCause::Suspended => suspended_error(&hold.message),
    }
}

/// Kiro suspended the account: a permission error no client should retry.
fn suspended_error(kiro_said: &str) -> ApiError {
    ApiError::new(
        ErrorKind::Permission,
        format!(
            "Kiro has suspended this account. Contact Kiro support to restore it; the gateway \
             sends nothing to Kiro for a while so the account is not locked longer. (Kiro said: {kiro_said})"
        ),
    )
    .with_code("kiro_account_suspended")
    .with_no_retry()
}

/// No usable Kiro token. A login rejected for good is a 403 that clients must not retry
/// (it is not their API key that is wrong, and no retry brings the login back); a kiro-cli
/// database locked mid-write is a 503 worth retrying in a second.
fn credential_error(err: &CredentialError) -> ApiError {
    match err {
        CredentialError::RefreshRejected(detail) => ApiError::new(
            ErrorKind::Permission,
            format!(
                "Kiro sign-in expired: sign in again in the Kiro IDE or run `kiro-cli login`; \
                 the gateway picks up the new login without a restart. Retrying will not \
                 help until then. (The refresh token was rejected: {detail})"
            ),
        )
        .with_code("kiro_login_expired")
        .with_no_retry(),
        CredentialError::SourceBusy(detail) => ApiError::new(
            ErrorKind::Overloaded,
            format!(
                "kiro-cli is busy writing its login database ({detail}); try again in a moment."
            ),
        )
        .with_code("kiro_cli_busy")
        .with_retry_after(1),
        CredentialError::NotFound(_)
        | CredentialError::Invalid(_)
        | CredentialError::RefreshFailed(_) => {
            ApiError::new(ErrorKind::Upstream, format!("{err}. {}", err.hint()))
        }
    }
}

/// The 402 / allowance answer: never retryable (the kind says so), with what is spent and,
/// when known and fitting, when it resets.
fn quota_error(reason: QuotaReason, resets_at: Option<DateTime<Utc>>, said: &str) -> ApiError {
    let when = match resets_at {
        Some(at) if reason.resets_with_the_period() => {
            format!(" on {}", at.format("%Y-%m-%d %H:%M UTC"))
        }
        _ => String::new(),
    };
    ApiError::new(
        ErrorKind::InsufficientQuota,
        format!(
            "Your Kiro plan's quota is used up ({}): Kiro refuses requests until it resets{when}, \
             so retrying will not help. Wait for the reset, or add credits or enable overage \
             for your Kiro account. (Kiro said: {said})",
            reason.describe()
        ),
    )
    .with_code("insufficient_quota")
}

/// What a Kiro error body says.
#[derive(Debug, Default, PartialEq)]
struct ErrorBody {
    message: String,
    reason: Option<String>,
    /// What `__type` names.
    exception: Option<Exception>,
    retry_after_ms: Option<u64>,
}

/// `message`, `reason`, `__type` and `retryAfterMilliseconds` from a Kiro error body,
/// tolerating the shapes seen in the wild: `{"__type","message","reason"}`, `{"Message"}`,
/// `{"error":{"reason"}}`, `{"Output":{"message"}}`.
fn parse_error_body(body: &[u8]) -> ErrorBody {
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(body) else {
        let text = String::from_utf8_lossy(body)
            .trim()
            .chars()
            .take(500)
            .collect::<String>();
        return ErrorBody {
            message: if text.is_empty() {
                "(empty body)".into()
            } else {
                text
            },
            ..ErrorBody::default()
        };
    };
    let str_at = |v: &serde_json::Value, keys: &[&str]| {
        keys.iter()
            .find_map(|k| v.get(*k).and_then(|s| s.as_str()).map(str::to_owned))
    };
    let message = str_at(&value, &["message", "Message", "detail"])
        .or_else(|| {
            value
                .get("Output")
                .and_then(|o| str_at(o, &["message", "Message"]))
        })
        .or_else(|| value.get("error").and_then(|o| str_at(o, &["message"])))
        .unwrap_or_else(|| value.to_string());
    let reason = str_at(&value, &["reason"])
        .or_else(|| value.get("error").and_then(|o| str_at(o, &["reason"])));
    let exception = str_at(&value, &["__type"]).and_then(|t| Exception::from_type(&t));
    let retry_after_ms = value
        .get("retryAfterMilliseconds")
        .and_then(serde_json::Value::as_u64);
    ErrorBody {
        message,
        reason,
        exception,
        retry_after_ms,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Dialect;
    use axum::http::StatusCode;

    fn status(code: u16, body: &str) -> UpstreamError {
        UpstreamError::from_response(code, None, body.as_bytes())
    }

    #[test]
    fn bearer_403_is_recognised() {
        let err = status(
            403,
            r#"{"message":"The bearer token included in the request is invalid.","reason":null}"#,
        );
        assert!(err.is_bearer_rejected());
        assert!(!status(
            403,
            r#"{"message":"nope","reason":"FEATURE_NOT_SUPPORTED"}"#
        )
        .is_bearer_rejected());
    }

    #[test]
    fn context_overflow_is_a_400_context_length_error() {
        let api = status(
            400,
            r#"{"message":"Input is too long.","reason":"CONTENT_LENGTH_EXCEEDS_THRESHOLD"}"#,
        )
        .to_api_error();
        assert_eq!(api.status(), StatusCode::BAD_REQUEST);
        assert_eq!(api.code.as_deref(), Some("context_length_exceeded"));
    }

    #[test]
    fn improperly_formed_is_not_mistaken_for_context_overflow() {
        let api = status(
            400,
            r#"{"message":"Improperly formed request.","reason":null}"#,
        )
        .to_api_error();
        assert_eq!(api.status(), StatusCode::BAD_REQUEST);
        assert_eq!(api.code, None);
        assert!(api.message.contains("Improperly formed request."));
        assert_eq!(
            api.should_retry(),
            Some(false),
            "a gateway bug: retrying repeats it"
        );
    }

    #[test]
    fn a_reasonless_400_on_a_large_body_says_the_body_may_be_too_large() {
        let generic = status(
            400,
            r#"{"message":"Improperly formed request.","reason":null}"#,
        );
        let large = generic.to_api_error_in(&ErrorContext {
            request_bytes: Some(700_000),
            ..ErrorContext::default()
        });
        assert_eq!(large.status(), StatusCode::BAD_REQUEST);
        assert_eq!(large.code.as_deref(), Some("kiro_request_too_large"));
        assert!(large.message.contains("700 KB"), "{}", large.message);
        assert!(large.message.contains("shorten the conversation"));
        assert_eq!(large.should_retry(), Some(false));

        let small = generic.to_api_error_in(&ErrorContext {
            request_bytes: Some(50_000),
            ..ErrorContext::default()
        });
        assert_eq!(small.code, None, "a small body: the gateway's own fault");
        // A declared reason is Kiro's own account of the refusal, whatever the size.
        let declared = status(
            400,
            r#"{"message":"Input is too long.","reason":"CONTENT_LENGTH_EXCEEDS_THRESHOLD"}"#,
        )
        .to_api_error_in(&ErrorContext {
            request_bytes: Some(700_000),
            ..ErrorContext::default()
        });
        assert_eq!(declared.code.as_deref(), Some("context_length_exceeded"));
    }

    const QUOTA_402: &str = r#"{"__type":"com.amazon.kiro.runtimeservice#ServiceQuotaExceededException","message":"You have reached the limit.","reason":"MONTHLY_REQUEST_COUNT"}"#;

    #[test]
    fn every_spent_allowance_is_a_quota_error_that_is_never_retried() {
        let cases: &[(u16, &str, QuotaReason)] = &[
            (402, QUOTA_402, QuotaReason::Monthly),
            // The namespace of the legacy target does not matter.
            (
                402,
                r#"{"__type":"com.amazon.aws.codewhisperer#ServiceQuotaExceededException","message":"x","reason":"OVERAGE_REQUEST_LIMIT_EXCEEDED"}"#,
                QuotaReason::Overage,
            ),
            (
                402,
                r#"{"message":"x","reason":"CONVERSATION_LIMIT_EXCEEDED"}"#,
                QuotaReason::Conversation,
            ),
            // Any 402 is an allowance, even without a body (YK).
            (402, "", QuotaReason::Unspecified),
            (
                402,
                r#"{"message":"Payment required","reason":null}"#,
                QuotaReason::Unspecified,
            ),
            // A 429 that declares an allowance reason is not a throttle.
            (
                429,
                r#"{"__type":"com.amazon.kiro.runtimeservice#ThrottlingException","message":"Too many requests, please wait before trying again.","reason":"DAILY_REQUEST_COUNT"}"#,
                QuotaReason::Daily,
            ),
            (
                429,
                r#"{"message":"slow","reason":"MONTHLY_REQUEST_COUNT"}"#,
                QuotaReason::Monthly,
            ),
            // Typed exception on another status.
            (
                400,
                r#"{"__type":"x#ServiceQuotaExceededException","message":"limit"}"#,
                QuotaReason::Unspecified,
            ),
            // Bodies without `__type` and `reason`: the reason quoted in the text (KR).
            (
                400,
                r#"{"error":{"message":"MONTHLY_REQUEST_COUNT exceeded"}}"#,
                QuotaReason::Monthly,
            ),
            (
                402,
                r#"{"message":"OVERAGE_REQUEST_LIMIT_EXCEEDED"}"#,
                QuotaReason::Overage,
            ),
        ];
        for (code, body, want) in cases {
            let err = status(*code, body);
            assert_eq!(err.quota_reason(), Some(*want), "{code} {body}");
            assert!(!err.is_throttled(), "{code} {body}: never retried upstream");
            assert!(!err.is_transient(), "{code} {body}");
            let api = err.to_api_error();
            assert_eq!(api.kind, ErrorKind::InsufficientQuota, "{code} {body}");
            assert_eq!(api.code.as_deref(), Some("insufficient_quota"));
            assert_eq!(api.should_retry(), Some(false));
            assert_eq!(
                api.status_in(Dialect::Anthropic),
                StatusCode::PAYMENT_REQUIRED
            );
            assert_eq!(
                api.status_in(Dialect::OpenAi),
                StatusCode::TOO_MANY_REQUESTS
            );
            assert!(api.message.contains("quota is used up"), "{}", api.message);
        }
    }

    #[test]
    fn a_declared_throttle_reason_is_not_read_as_an_allowance() {
        // The reason is typed: an allowance word in the prose does not make a quota error.
        let throttled = UpstreamError::from_response(
            429,
            Some("3"),
            br#"{"message":"MONTHLY_REQUEST_COUNT is near","reason":"USER_REQUEST_RATE_EXCEEDED"}"#,
        );
        assert_eq!(throttled.quota_reason(), None);
        assert!(throttled.is_throttled());
        let api = throttled.to_api_error();
        assert_eq!(api.kind, ErrorKind::RateLimit);
        assert_eq!(api.retry_after, Some(3));
        assert_eq!(api.should_retry(), None, "a plain throttle may be retried");

        let no_reason = status(429, r#"{"message":"Rate exceeded","reason":null}"#);
        assert_eq!(no_reason.quota_reason(), None);
        assert!(no_reason.is_throttled());
    }

    #[test]
    fn the_quota_message_names_the_limit_and_the_reset_when_it_fits() {
        let at = DateTime::parse_from_rfc3339("2030-10-01T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let monthly = status(402, QUOTA_402).to_api_error_with_reset(Some(at));
        assert!(
            monthly.message.contains("monthly limit reached"),
            "{}",
            monthly.message
        );
        assert!(
            monthly.message.contains("resets on 2030-10-01 00:00 UTC"),
            "{}",
            monthly.message
        );
        assert!(monthly.message.contains("You have reached the limit."));

        let overage = status(
            402,
            r#"{"message":"x","reason":"OVERAGE_REQUEST_LIMIT_EXCEEDED"}"#,
        )
        .to_api_error_with_reset(Some(at));
        assert!(overage.message.contains("overage limit reached"));
        assert!(overage.message.contains("resets on 2030-10-01"));

        // A daily limit resets sooner than the plan's period: no date.
        let daily = status(429, r#"{"message":"x","reason":"DAILY_REQUEST_COUNT"}"#)
            .to_api_error_with_reset(Some(at));
        assert!(daily.message.contains("daily limit reached"));
        assert!(!daily.message.contains("resets on"), "{}", daily.message);

        // Unknown or past reset: no date.
        let unknown = status(402, QUOTA_402).to_api_error();
        assert!(unknown.message.contains("until it resets, so retrying"));
        let past = Utc::now() - chrono::Duration::days(1);
        let stale = status(402, QUOTA_402).to_api_error_with_reset(Some(past));
        assert!(!stale.message.contains("resets on"), "{}", stale.message);
    }

    #[test]
    fn the_credit_burn_rate_limit_is_not_retried_and_says_how_long() {
        let err = UpstreamError::from_response(
            429,
            None,
            br#"{"__type":"com.amazon.kiro.runtimeservice#ThrottlingException","message":"Too many requests, please wait before trying again.","reason":"CREDIT_CONSUMPTION_RATE_EXCEEDED","retryAfterMilliseconds":300000}"#,
        );
        assert!(!err.is_throttled(), "never retried upstream");
        assert_eq!(err.quota_reason(), None);
        assert_eq!(err.retry_after(), Some(300));
        let api = err.to_api_error();
        assert_eq!(api.kind, ErrorKind::RateLimit);
        assert_eq!(api.retry_after, Some(300));
        assert_eq!(api.should_retry(), Some(false));
    }

    #[test]
    fn retry_after_is_the_larger_of_header_and_body() {
        let body = br#"{"message":"x","reason":"USER_REQUEST_RATE_EXCEEDED","retryAfterMilliseconds":1500}"#;
        assert_eq!(
            UpstreamError::from_response(429, Some("1"), body).retry_after(),
            Some(2)
        );
        assert_eq!(
            UpstreamError::from_response(429, Some("9"), body).retry_after(),
            Some(9)
        );
        assert_eq!(
            UpstreamError::from_response(429, None, b"{}").retry_after(),
            None
        );
    }

    #[test]
    fn capacity_and_model_map_to_their_statuses() {
        let capacity = status(
            429,
            r#"{"message":"busy","reason":"INSUFFICIENT_MODEL_CAPACITY"}"#,
        );
        assert_eq!(
            capacity.to_api_error().status(),
            StatusCode::SERVICE_UNAVAILABLE
        );

        let model = status(
            400,
            r#"{"message":"Invalid model. Please select a different model to continue.","reason":"INVALID_MODEL_ID"}"#,
        );
        assert_eq!(model.to_api_error().status(), StatusCode::NOT_FOUND);
        assert_eq!(
            model.to_api_error().code.as_deref(),
            Some("model_not_found")
        );
    }

    #[test]
    fn a_capacity_shortage_names_other_models_and_a_long_conversation_the_window() {
        let context = ErrorContext {
            context_window: Some(1_000_000),
            alternatives: vec!["claude-opus-4.7".into(), "auto-kiro".into()],
            ..ErrorContext::default()
        };
        for body in [
            r#"{"__type":"com.amazon.kiro.runtimeservice#ThrottlingException","message":"Too many requests, please wait before trying again.","reason":"INSUFFICIENT_MODEL_CAPACITY"}"#,
            r#"{"message":"Encountered unexpectedly high load when processing the request, please try again.","reason":"MODEL_TEMPORARILY_UNAVAILABLE"}"#,
            r#"{"message":"Encountered unexpectedly high load when processing the request, please try again."}"#,
        ] {
            let err = status(
                if body.contains("Throttling") {
                    429
                } else {
                    500
                },
                body,
            );
            assert!(err.is_capacity_shortage(), "{body}");
            let api = err.to_api_error_in(&context);
            assert_eq!(api.kind, ErrorKind::Overloaded, "{body}");
            assert!(
                api.message
                    .contains("another model of your account: claude-opus-4.7, auto-kiro"),
                "{}",
                api.message
            );
            assert!(!err.to_api_error().message.contains("another model"));
        }
        // Decided on the declared reason: a rate reason quoting "high load" is no shortage.
        let rate = status(
            429,
            r#"{"message":"unexpectedly high load","reason":"USER_REQUEST_RATE_EXCEEDED"}"#,
        );
        assert!(!rate.is_capacity_shortage());

        let long = status(
            400,
            r#"{"message":"Input is too long.","reason":"CONTENT_LENGTH_EXCEEDS_THRESHOLD"}"#,
        );
        let api = long.to_api_error_in(&context);
        assert!(
            api.message.contains("context window (1000000 tokens)"),
            "{}",
            api.message
        );
        assert!(!long.to_api_error().message.contains("tokens)"));
    }

    #[test]
    fn server_errors_are_transient_and_map_to_5xx() {
        let err = status(500, "oops");
        assert!(err.is_transient());
        assert_eq!(err.to_api_error().status(), StatusCode::BAD_GATEWAY);
        assert!(UpstreamError::Network("refused".into()).is_transient());
        assert!(!status(400, "{}").is_transient());
    }

    #[test]
    fn a_rejected_login_is_a_403_nobody_retries_and_a_busy_kiro_cli_a_retryable_503() {
        let rejected = UpstreamError::Credentials(CredentialError::RefreshRejected(
            "HTTP 400 invalid_grant: Invalid refresh token provided".into(),
        ))
        .to_api_error();
        for dialect in [Dialect::OpenAi, Dialect::Anthropic] {
            assert_eq!(rejected.status_in(dialect), StatusCode::FORBIDDEN);
        }
        assert_eq!(rejected.should_retry(), Some(false));
        assert_eq!(rejected.code.as_deref(), Some("kiro_login_expired"));
        assert!(rejected
            .message
            .starts_with("Kiro sign-in expired: sign in again"));
        assert_eq!(
            rejected.body(Dialect::Anthropic)["error"]["type"],
            "permission_error"
        );
        assert_eq!(
            rejected.body(Dialect::OpenAi)["error"]["type"],
            "permission_error"
        );

        let busy = UpstreamError::Credentials(CredentialError::SourceBusy(
            "data.sqlite3 is locked".into(),
        ))
        .to_api_error();
        assert_eq!(busy.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(busy.should_retry(), None);
        assert_eq!(busy.retry_after, Some(1));
        assert_eq!(busy.code.as_deref(), Some("kiro_cli_busy"));
        assert!(busy.message.starts_with("kiro-cli is busy"));
        assert!(!busy.message.contains("sign in"), "{}", busy.message);
    }

    #[test]
    fn every_timeout_is_a_504_and_only_no_answer_is_resent() {
        let headers = UpstreamError::HeadersTimeout {
            timeout: Duration::from_secs(30),
            attempts: 1,
        };
        assert!(headers.is_no_answer());
        let headers = headers.after_attempts(3);
        assert!(
            headers.to_string().contains("after 3 attempts"),
            "{headers}"
        );
        let connect = UpstreamError::ConnectTimeout("timed out".into());
        assert!(connect.is_transient() && !connect.is_no_answer());
        let idle = UpstreamError::IdleTimeout(Duration::from_secs(300));
        assert!(!idle.is_transient() && !idle.is_no_answer());
        for err in [headers, connect, idle] {
            let api = err.to_api_error();
            assert_eq!(api.status(), StatusCode::GATEWAY_TIMEOUT, "{err}");
            assert_eq!(
                api.body(Dialect::Anthropic)["error"]["type"],
                "timeout_error"
            );
        }
    }

    #[test]
    fn odd_error_shapes_still_give_a_message() {
        assert_eq!(
            parse_error_body(br#"{"Output":{"message":"wrapped"}}"#).message,
            "wrapped"
        );
        assert_eq!(
            parse_error_body(br#"{"error":{"reason":"X"}}"#)
                .reason
                .as_deref(),
            Some("X")
        );
        assert_eq!(parse_error_body(b"").message, "(empty body)");
    }

    #[test]
    fn the_exception_is_the_part_of_type_after_the_hash() {
        let parsed = parse_error_body(QUOTA_402.as_bytes());
        assert_eq!(
            parsed,
            ErrorBody {
                message: "You have reached the limit.".into(),
                reason: Some("MONTHLY_REQUEST_COUNT".into()),
                exception: Some(Exception::ServiceQuotaExceeded),
                retry_after_ms: None,
            }
        );
        assert_eq!(
            parse_error_body(br#"{"__type":"ThrottlingException"}"#).exception,
            Some(Exception::Throttling)
        );
        assert_eq!(
            parse_error_body(br#"{"__type":"com.amazon.aws.codewhisperer#NewException"}"#)
                .exception,
            Some(Exception::Other)
        );
        assert_eq!(parse_error_body(br#"{"__type":"ns#"}"#).exception, None);
    }
}
