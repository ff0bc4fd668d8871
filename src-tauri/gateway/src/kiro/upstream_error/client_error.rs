//! The client-facing error for an upstream failure (docs/kiro-protocol.md#error-mapping): its
//! kind, wording, code and retry advice.

use chrono::{DateTime, Utc};

use super::quota::QuotaReason;
use super::UpstreamError;
use crate::credentials::CredentialError;
use crate::error::{ApiError, ErrorCode, ErrorKind};
use crate::kiro::cooldown::{ActiveHold, CooldownCause};

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

impl UpstreamError {
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
                .with_code(ErrorCode::ContextLengthExceeded)
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
            .with_code(ErrorCode::ModelNotFound),
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
                .with_code(ErrorCode::KiroRequestTooLarge)
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
            .with_code(ErrorCode::EmptyAnswer),
            UpstreamError::Credentials(err) => credential_error(err),
        }
    }
}

/// The answer while requests are held back (see [`crate::kiro::cooldown`]).
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
            .with_code(ErrorCode::KiroRateLimited)
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
    .with_code(ErrorCode::KiroAccountSuspended)
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
        .with_code(ErrorCode::KiroLoginExpired)
        .with_no_retry(),
        CredentialError::SourceBusy(detail) => ApiError::new(
            ErrorKind::Overloaded,
            format!(
                "kiro-cli is busy writing its login database ({detail}); try again in a moment."
            ),
        )
        .with_code(ErrorCode::KiroCliBusy)
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
    .with_code(ErrorCode::InsufficientQuota)
}
