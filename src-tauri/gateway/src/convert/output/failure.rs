//! Errors that arrive after the stream started (`200` already sent).

use crate::error::{ApiError, ErrorCode, ErrorKind};

/// The exception Kiro sends when the output hit its length limit (finishes normally).
pub const CONTENT_LENGTH_EXCEEDED: &str = "ContentLengthExceededException";

/// An [`ApiError`] for an exception or error frame received after the `200`.
pub fn stream_error(name: &str, message: &str) -> ApiError {
    let kind = if name.contains("Throttling") || name.contains("TooManyRequests") {
        ErrorKind::RateLimit
    } else if name.contains("Quota") {
        ErrorKind::InsufficientQuota
    } else if name.contains("Validation") {
        ErrorKind::InvalidRequest
    } else if name.contains("AccessDenied") {
        ErrorKind::Permission
    } else if name.contains("ServiceUnavailable") || name.contains("Overloaded") {
        ErrorKind::Overloaded
    } else {
        ErrorKind::Upstream
    };
    let message = if message.is_empty() {
        format!("Upstream error during the response ({name}).")
    } else {
        format!("Upstream error during the response ({name}): {message}")
    };
    ApiError::new(kind, message).with_code(ErrorCode::KiroException(name.to_owned()))
}
