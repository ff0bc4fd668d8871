//! The one error type of the HTTP surface. Each error knows its status and renders itself in
//! the dialect of the route that failed (OpenAI or Anthropic).

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

/// The header the official OpenAI and Anthropic SDKs (and Claude Code) read before their own
/// retry rules: `false` means "do not retry this".
pub const X_SHOULD_RETRY: &str = "x-should-retry";

/// Which client API a route speaks; decides the error body shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    OpenAi,
    Anthropic,
}

/// What went wrong, independent of dialect. Each kind has a default HTTP status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    InvalidRequest,
    Authentication,
    Permission,
    NotFound,
    RequestTooLarge,
    RateLimit,
    /// The Kiro plan's allowance is spent (credits, monthly or overage limit): retrying does
    /// not help until it resets, so it is never retryable (docs/kiro-protocol.md#error-mapping,
    /// "Allowance spent"). 402 `billing_error` on Anthropic, 429 `insufficient_quota` on OpenAI.
    InsufficientQuota,
    /// Upstream fault or gateway fault that is not the caller's doing.
    Upstream,
    Overloaded,
    Timeout,
    /// A bug or misconfiguration inside the gateway.
    Internal,
}

impl ErrorKind {
    /// The status in the OpenAI dialect (and the default); see [`ErrorKind::status_in`].
    pub fn status(self) -> StatusCode {
        match self {
            ErrorKind::InvalidRequest => StatusCode::BAD_REQUEST,
            ErrorKind::Authentication => StatusCode::UNAUTHORIZED,
            ErrorKind::Permission => StatusCode::FORBIDDEN,
            ErrorKind::NotFound => StatusCode::NOT_FOUND,
            ErrorKind::RequestTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ErrorKind::RateLimit | ErrorKind::InsufficientQuota => StatusCode::TOO_MANY_REQUESTS,
            ErrorKind::Upstream => StatusCode::BAD_GATEWAY,
            ErrorKind::Overloaded => StatusCode::SERVICE_UNAVAILABLE,
            ErrorKind::Timeout => StatusCode::GATEWAY_TIMEOUT,
            ErrorKind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The status in a dialect: a spent allowance is Anthropic's 402 (`billing_error`) but
    /// OpenAI's 429 (`insufficient_quota`); every other kind has one status.
    pub fn status_in(self, dialect: Dialect) -> StatusCode {
        match (self, dialect) {
            (ErrorKind::InsufficientQuota, Dialect::Anthropic) => StatusCode::PAYMENT_REQUIRED,
            _ => self.status(),
        }
    }

    /// Whether clients must be told not to retry (`x-should-retry: false`) whatever else the
    /// error says: a spent allowance only comes back when the plan's period resets.
    fn never_retryable(self) -> bool {
        self == ErrorKind::InsufficientQuota
    }

    fn openai_type(self) -> &'static str {
        match self {
            ErrorKind::InvalidRequest | ErrorKind::NotFound | ErrorKind::RequestTooLarge => {
                "invalid_request_error"
            }
            ErrorKind::Authentication => "authentication_error",
            ErrorKind::Permission => "permission_error",
            ErrorKind::RateLimit => "rate_limit_error",
            ErrorKind::InsufficientQuota => "insufficient_quota",
            ErrorKind::Upstream | ErrorKind::Overloaded | ErrorKind::Internal => "server_error",
            ErrorKind::Timeout => "timeout",
        }
    }

    fn anthropic_type(self) -> &'static str {
        match self {
            ErrorKind::InvalidRequest => "invalid_request_error",
            ErrorKind::Authentication => "authentication_error",
            ErrorKind::Permission => "permission_error",
            ErrorKind::NotFound => "not_found_error",
            ErrorKind::RequestTooLarge => "request_too_large",
            ErrorKind::RateLimit => "rate_limit_error",
            ErrorKind::InsufficientQuota => "billing_error",
            ErrorKind::Upstream | ErrorKind::Internal => "api_error",
            ErrorKind::Overloaded => "overloaded_error",
            ErrorKind::Timeout => "timeout_error",
        }
    }
}

/// The OpenAI `code` of an error (`error.code`): what a client can decide on. Serialised as
/// the snake_case names of [`ErrorCode::as_str`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorCode {
    /// The proxy API key is missing or wrong.
    InvalidApiKey,
    /// Too many wrong keys from this client: wait before trying again.
    TooManyWrongKeys,
    ModelNotFound,
    /// A credit cap of the gateway's settings is reached and pauses requests.
    CreditCapReached,
    /// The Kiro plan's allowance is spent.
    InsufficientQuota,
    ContextLengthExceeded,
    /// Kiro refused a large body without a reason.
    KiroRequestTooLarge,
    /// Kiro ended its answer without any content.
    EmptyAnswer,
    KiroRateLimited,
    KiroAccountSuspended,
    /// The Kiro login's refresh token was rejected: sign in again.
    KiroLoginExpired,
    /// kiro-cli is writing its login database.
    KiroCliBusy,
    /// Refusals of the guard (`api/guard`): the same codes as the `/admin` routes use.
    HostNotAllowed,
    OriginNotAllowed,
    UnsupportedMediaType,
    /// One of Kiro's rules the request would break (refused before anything is sent).
    Preflight(PreflightRule),
    /// An exception Kiro sent after the `200`, under Kiro's own name (`ThrottlingException`).
    KiroException(String),
}

impl ErrorCode {
    pub fn as_str(&self) -> &str {
        match self {
            ErrorCode::InvalidApiKey => "invalid_api_key",
            ErrorCode::TooManyWrongKeys => "too_many_wrong_keys",
            ErrorCode::ModelNotFound => "model_not_found",
            ErrorCode::CreditCapReached => "credit_cap_reached",
            ErrorCode::InsufficientQuota => "insufficient_quota",
            ErrorCode::ContextLengthExceeded => "context_length_exceeded",
            ErrorCode::KiroRequestTooLarge => "kiro_request_too_large",
            ErrorCode::EmptyAnswer => "empty_answer",
            ErrorCode::KiroRateLimited => "kiro_rate_limited",
            ErrorCode::KiroAccountSuspended => "kiro_account_suspended",
            ErrorCode::KiroLoginExpired => "kiro_login_expired",
            ErrorCode::KiroCliBusy => "kiro_cli_busy",
            ErrorCode::HostNotAllowed => "host_not_allowed",
            ErrorCode::OriginNotAllowed => "origin_not_allowed",
            ErrorCode::UnsupportedMediaType => "unsupported_media_type",
            ErrorCode::Preflight(rule) => rule.as_str(),
            ErrorCode::KiroException(name) => name,
        }
    }
}

impl From<PreflightRule> for ErrorCode {
    fn from(rule: PreflightRule) -> Self {
        ErrorCode::Preflight(rule)
    }
}

/// Which of Kiro's rules a request would break; the request converter
/// (`convert::kiro_request`) finds it, the caller decides on it, and the client sees it as
/// the error's `code` (its snake_case name).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PreflightRule {
    /// Nothing for Kiro to answer (no user turn).
    NoMessages,
    /// The body is over the model's payload limit.
    PayloadSize,
    ToolName,
    ToolChoice,
    ImageCount,
    ImageFormat,
    ImageBase64,
    ImageSize,
}

impl PreflightRule {
    pub fn as_str(self) -> &'static str {
        match self {
            PreflightRule::NoMessages => "no_messages",
            PreflightRule::PayloadSize => "payload_size",
            PreflightRule::ToolName => "tool_name",
            PreflightRule::ToolChoice => "tool_choice",
            PreflightRule::ImageCount => "image_count",
            PreflightRule::ImageFormat => "image_format",
            PreflightRule::ImageBase64 => "image_base64",
            PreflightRule::ImageSize => "image_size",
        }
    }
}

impl serde::Serialize for ErrorCode {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// An error as the client sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub kind: ErrorKind,
    pub message: String,
    /// OpenAI `param`: the request field at fault, when known.
    pub param: Option<String>,
    /// OpenAI `code`: a machine-readable code (`invalid_api_key`, `model_not_found`, …).
    pub code: Option<ErrorCode>,
    /// Seconds for a `Retry-After` header.
    pub retry_after: Option<u64>,
    /// Overrides the kind's default status (e.g. 404 for an unknown route).
    pub status: Option<StatusCode>,
    /// Tells clients not to retry (`x-should-retry: false`; the OpenAI and Anthropic SDKs
    /// and Claude Code obey it). Always on for [`ErrorKind::InsufficientQuota`].
    pub no_retry: bool,
}

impl ApiError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        ApiError {
            kind,
            message: message.into(),
            param: None,
            code: None,
            retry_after: None,
            status: None,
            no_retry: false,
        }
    }

    pub fn invalid_request(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidRequest, message)
    }

    /// A 400 that names the request field at fault.
    pub fn invalid_field(param: impl Into<String>, message: impl Into<String>) -> Self {
        Self::invalid_request(message).with_param(param)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::NotFound, message)
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Internal, message)
    }

    pub fn with_param(mut self, param: impl Into<String>) -> Self {
        self.param = Some(param.into());
        self
    }

    pub fn with_code(mut self, code: ErrorCode) -> Self {
        self.code = Some(code);
        self
    }

    pub fn with_retry_after(mut self, seconds: u64) -> Self {
        self.retry_after = Some(seconds);
        self
    }

    /// Ask clients not to retry: the response carries `x-should-retry: false`.
    pub fn with_no_retry(mut self) -> Self {
        self.no_retry = true;
        self
    }

    /// The status in the OpenAI dialect (the default); [`ApiError::status_in`] for a dialect.
    pub fn status(&self) -> StatusCode {
        self.status.unwrap_or_else(|| self.kind.status())
    }

    /// The status the response has in `dialect`.
    pub fn status_in(&self, dialect: Dialect) -> StatusCode {
        self.status.unwrap_or_else(|| self.kind.status_in(dialect))
    }

    /// `Some(false)` when the response must carry `x-should-retry: false`.
    pub fn should_retry(&self) -> Option<bool> {
        (self.no_retry || self.kind.never_retryable()).then_some(false)
    }

    /// The JSON body in the given dialect.
    pub fn body(&self, dialect: Dialect) -> Value {
        match dialect {
            Dialect::OpenAi => json!({
                "error": {
                    "message": self.message,
                    "type": self.kind.openai_type(),
                    "param": self.param,
                    "code": self.code,
                }
            }),
            Dialect::Anthropic => json!({
                "type": "error",
                "error": {
                    "type": self.kind.anthropic_type(),
                    "message": self.message,
                }
            }),
        }
    }

    /// A full HTTP response in the given dialect. The message rides along in the response's
    /// extensions ([`ErrorNote`]) for the request logger.
    pub fn into_response_for(self, dialect: Dialect) -> Response {
        let status = self.status_in(dialect);
        let body = self.body(dialect).to_string();
        let mut response = (
            status,
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            )],
            body,
        )
            .into_response();
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        if let Some(retry) = self.should_retry() {
            response.headers_mut().insert(
                X_SHOULD_RETRY,
                HeaderValue::from_static(if retry { "true" } else { "false" }),
            );
        }
        response.extensions_mut().insert(ErrorNote(self.message));
        response
    }
}

/// The message of the error a response carries, for the request log line and row.
#[derive(Debug, Clone)]
pub struct ErrorNote(pub String);

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ApiError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn openai_shape_has_all_four_fields() {
        let err = ApiError::invalid_field("messages", "messages must not be empty");
        let body = err.body(Dialect::OpenAi);
        assert_eq!(body["error"]["type"], "invalid_request_error");
        assert_eq!(body["error"]["param"], "messages");
        assert!(body["error"].get("code").is_some());
        assert_eq!(err.status(), StatusCode::BAD_REQUEST);
    }

    #[test]
    fn anthropic_shape_has_top_level_type() {
        let body = ApiError::new(ErrorKind::Overloaded, "busy").body(Dialect::Anthropic);
        assert_eq!(body["type"], "error");
        assert_eq!(body["error"]["type"], "overloaded_error");
        assert_eq!(body["error"]["message"], "busy");
    }

    #[test]
    fn retry_after_becomes_a_header() {
        let response = ApiError::new(ErrorKind::RateLimit, "slow down")
            .with_retry_after(7)
            .into_response_for(Dialect::OpenAi);
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(response.headers()[header::RETRY_AFTER], "7");
        assert!(response.headers().get(X_SHOULD_RETRY).is_none());
    }

    #[test]
    fn spent_quota_is_402_billing_error_on_anthropic_and_429_insufficient_quota_on_openai() {
        let err = ApiError::new(ErrorKind::InsufficientQuota, "used up")
            .with_code(ErrorCode::InsufficientQuota);
        let anthropic = err.clone().into_response_for(Dialect::Anthropic);
        assert_eq!(anthropic.status(), StatusCode::PAYMENT_REQUIRED);
        assert_eq!(anthropic.headers()[X_SHOULD_RETRY], "false");
        assert_eq!(
            err.body(Dialect::Anthropic)["error"]["type"],
            "billing_error"
        );

        let openai = err.clone().into_response_for(Dialect::OpenAi);
        assert_eq!(openai.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(openai.headers()[X_SHOULD_RETRY], "false");
        let body = err.body(Dialect::OpenAi);
        assert_eq!(body["error"]["type"], "insufficient_quota");
        assert_eq!(body["error"]["code"], "insufficient_quota");
        assert_eq!(
            err.status_in(Dialect::Anthropic),
            StatusCode::PAYMENT_REQUIRED
        );
        assert_eq!(err.status(), StatusCode::TOO_MANY_REQUESTS);
    }

    #[test]
    fn no_retry_is_opt_in_for_other_kinds() {
        let plain = ApiError::invalid_request("bad");
        assert_eq!(plain.should_retry(), None);
        let response = plain.with_no_retry().into_response_for(Dialect::Anthropic);
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        assert_eq!(response.headers()[X_SHOULD_RETRY], "false");
    }

    #[test]
    fn every_code_has_its_documented_name() {
        let names = [
            (ErrorCode::InvalidApiKey, "invalid_api_key"),
            (ErrorCode::TooManyWrongKeys, "too_many_wrong_keys"),
            (ErrorCode::ModelNotFound, "model_not_found"),
            (ErrorCode::CreditCapReached, "credit_cap_reached"),
            (ErrorCode::InsufficientQuota, "insufficient_quota"),
            (ErrorCode::ContextLengthExceeded, "context_length_exceeded"),
            (ErrorCode::KiroRequestTooLarge, "kiro_request_too_large"),
            (ErrorCode::EmptyAnswer, "empty_answer"),
            (ErrorCode::KiroRateLimited, "kiro_rate_limited"),
            (ErrorCode::KiroAccountSuspended, "kiro_account_suspended"),
            (ErrorCode::KiroLoginExpired, "kiro_login_expired"),
            (ErrorCode::KiroCliBusy, "kiro_cli_busy"),
            (ErrorCode::HostNotAllowed, "host_not_allowed"),
            (ErrorCode::OriginNotAllowed, "origin_not_allowed"),
            (ErrorCode::UnsupportedMediaType, "unsupported_media_type"),
            (
                ErrorCode::Preflight(PreflightRule::NoMessages),
                "no_messages",
            ),
            (
                ErrorCode::Preflight(PreflightRule::PayloadSize),
                "payload_size",
            ),
            (ErrorCode::Preflight(PreflightRule::ToolName), "tool_name"),
            (
                ErrorCode::Preflight(PreflightRule::ToolChoice),
                "tool_choice",
            ),
            (
                ErrorCode::Preflight(PreflightRule::ImageCount),
                "image_count",
            ),
            (
                ErrorCode::Preflight(PreflightRule::ImageFormat),
                "image_format",
            ),
            (
                ErrorCode::Preflight(PreflightRule::ImageBase64),
                "image_base64",
            ),
            (ErrorCode::Preflight(PreflightRule::ImageSize), "image_size"),
            (
                ErrorCode::KiroException("ThrottlingException".into()),
                "ThrottlingException",
            ),
        ];
        // A new variant does not compile here until it is listed above too.
        for (code, _) in &names {
            match code {
                ErrorCode::InvalidApiKey
                | ErrorCode::TooManyWrongKeys
                | ErrorCode::ModelNotFound
                | ErrorCode::CreditCapReached
                | ErrorCode::InsufficientQuota
                | ErrorCode::ContextLengthExceeded
                | ErrorCode::KiroRequestTooLarge
                | ErrorCode::EmptyAnswer
                | ErrorCode::KiroRateLimited
                | ErrorCode::KiroAccountSuspended
                | ErrorCode::KiroLoginExpired
                | ErrorCode::KiroCliBusy
                | ErrorCode::HostNotAllowed
                | ErrorCode::OriginNotAllowed
                | ErrorCode::UnsupportedMediaType
                | ErrorCode::Preflight(_)
                | ErrorCode::KiroException(_) => {}
            }
        }
        for (code, name) in names {
            assert_eq!(serde_json::to_value(&code).unwrap(), json!(name));
            let body = ApiError::internal("x")
                .with_code(code)
                .body(Dialect::OpenAi);
            assert_eq!(body["error"]["code"], name);
        }
        assert_eq!(
            ApiError::internal("x").body(Dialect::OpenAi)["error"]["code"],
            Value::Null
        );
    }

    #[test]
    fn an_explicit_status_wins_in_both_dialects() {
        let mut err = ApiError::new(ErrorKind::InsufficientQuota, "x");
        err.status = Some(StatusCode::FORBIDDEN);
        assert_eq!(err.status_in(Dialect::Anthropic), StatusCode::FORBIDDEN);
        assert_eq!(err.status_in(Dialect::OpenAi), StatusCode::FORBIDDEN);
    }
}
