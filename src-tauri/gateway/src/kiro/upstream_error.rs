//! Upstream failures and how they reach the client (protocol doc §9.2, §9.6).

use std::time::Duration;

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
        retry_after: Option<u64>,
    },
    /// Connecting or reading failed.
    #[error("could not reach Kiro: {0}")]
    Network(String),
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
}

/// The bearer-token 403 body text (matched as a substring, without the final period).
const BEARER_INVALID: &str = "The bearer token included in the request is invalid";

impl UpstreamError {
    /// Build from a non-2xx response's status, `Retry-After` header and body.
    pub fn from_response(status: u16, retry_after: Option<&str>, body: &[u8]) -> Self {
        let (message, reason) = parse_error_body(body);
        UpstreamError::Status {
            status,
            message,
            reason,
            retry_after: retry_after.and_then(|v| v.trim().parse::<u64>().ok()),
        }
    }

    /// The 403 that means "refresh the access token and try again".
    pub fn is_bearer_rejected(&self) -> bool {
        matches!(self, UpstreamError::Status { status: 401 | 403, message, .. } if message.contains(BEARER_INVALID))
    }

    /// Throttling that may pass (not a quota that is used up).
    pub fn is_throttled(&self) -> bool {
        matches!(self, UpstreamError::Status { status: 429, .. }) && !self.is_quota_exhausted()
    }

    /// Server trouble worth another attempt.
    pub fn is_transient(&self) -> bool {
        match self {
            UpstreamError::Status { status, .. } => (500..=599).contains(status),
            UpstreamError::Network(_) => true,
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

    fn is_quota_exhausted(&self) -> bool {
        let text = self.text();
        matches!(self, UpstreamError::Status { status: 402, .. })
            || [
                "MONTHLY_REQUEST_COUNT",
                "OVERAGE_REQUEST_LIMIT_EXCEEDED",
                "CONVERSATION_LIMIT_EXCEEDED",
            ]
            .iter()
            .any(|r| text.contains(r))
    }

    pub fn retry_after(&self) -> Option<u64> {
        match self {
            UpstreamError::Status { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// The client-facing error, per the mapping of protocol doc §9.6.
    pub fn to_api_error(&self) -> ApiError {
        let text = self.text();
        let upstream = |kind: ErrorKind, what: &str| {
            ApiError::new(kind, format!("{what} (Kiro said: {})", text.trim()))
        };
        match self {
            _ if text.contains("Input is too long") || text.contains("CONTENT_LENGTH_EXCEEDS_THRESHOLD") => {
                ApiError::invalid_request(format!(
                    "The conversation is longer than the model's context window; shorten or compact it. (Kiro said: {})",
                    text.trim()
                ))
                .with_param("messages")
                .with_code("context_length_exceeded")
            }
            _ if self.is_quota_exhausted() => upstream(
                ErrorKind::InsufficientQuota,
                "Your Kiro credits or monthly quota are used up",
            )
            .with_code("insufficient_quota"),
            _ if text.contains("INSUFFICIENT_MODEL_CAPACITY")
                || text.contains("MODEL_TEMPORARILY_UNAVAILABLE")
                || text.contains("unexpectedly high load") =>
            {
                upstream(ErrorKind::Overloaded, "The model is overloaded upstream; try again shortly")
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
            UpstreamError::Status { status: 400, .. } => ApiError::invalid_request(format!(
                "Kiro rejected the request as invalid (Kiro said: {}). If your request is valid for the OpenAI/Anthropic API, the gateway built a request Kiro does not accept: please report it with a debug log.",
                text.trim()
            )),
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
            UpstreamError::FirstTokenTimeout { .. } | UpstreamError::IdleTimeout(_) => {
                ApiError::new(ErrorKind::Timeout, self.to_string())
            }
            UpstreamError::Decode(_) | UpstreamError::InStream { .. } => {
                ApiError::new(ErrorKind::Upstream, self.to_string())
            }
            UpstreamError::Credentials(err) => ApiError::new(
                ErrorKind::Upstream,
                format!("{err}. {}", err.hint()),
            ),
        }
    }
}

/// `message` and `reason` from a Kiro error body, tolerating the shapes seen in the wild:
/// `{"message","reason"}`, `{"Message"}`, `{"error":{"reason"}}`, `{"Output":{"message"}}`.
fn parse_error_body(body: &[u8]) -> (String, Option<String>) {
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(body) else {
        let text = String::from_utf8_lossy(body)
            .trim()
            .chars()
            .take(500)
            .collect::<String>();
        return (
            if text.is_empty() {
                "(empty body)".into()
            } else {
                text
            },
            None,
        );
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
    (message, reason)
}

#[cfg(test)]
mod tests {
    use super::*;
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
    }

    #[test]
    fn quota_throttle_capacity_and_model_map_to_their_statuses() {
        let quota = status(
            402,
            r#"{"message":"You have reached the limit.","reason":"MONTHLY_REQUEST_COUNT"}"#,
        );
        assert_eq!(quota.to_api_error().status(), StatusCode::TOO_MANY_REQUESTS);
        assert!(!quota.is_throttled());

        let throttled = UpstreamError::from_response(
            429,
            Some("3"),
            br#"{"message":"slow","reason":"DAILY_REQUEST_COUNT"}"#,
        );
        assert!(throttled.is_throttled());
        assert_eq!(throttled.to_api_error().retry_after, Some(3));

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
    fn server_errors_are_transient_and_map_to_5xx() {
        let err = status(500, "oops");
        assert!(err.is_transient());
        assert_eq!(err.to_api_error().status(), StatusCode::BAD_GATEWAY);
        assert!(UpstreamError::Network("refused".into()).is_transient());
        assert!(!status(400, "{}").is_transient());
    }

    #[test]
    fn odd_error_shapes_still_give_a_message() {
        assert_eq!(
            parse_error_body(br#"{"Output":{"message":"wrapped"}}"#).0,
            "wrapped"
        );
        assert_eq!(
            parse_error_body(br#"{"error":{"reason":"X"}}"#)
                .1
                .as_deref(),
            Some("X")
        );
        assert_eq!(parse_error_body(b"").0, "(empty body)");
    }
}
