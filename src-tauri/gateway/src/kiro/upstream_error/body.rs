//! Reading a Kiro error body: `message`, `reason`, `__type` ([`Exception`]) and
//! `retryAfterMilliseconds`.

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

/// What a Kiro error body says.
#[derive(Debug, Default, PartialEq)]
pub(super) struct ErrorBody {
    pub(super) message: String,
    pub(super) reason: Option<String>,
    /// What `__type` names.
    pub(super) exception: Option<Exception>,
    pub(super) retry_after_ms: Option<u64>,
}

/// `message`, `reason`, `__type` and `retryAfterMilliseconds` from a Kiro error body,
/// tolerating the shapes seen in the wild: `{"__type","message","reason"}`, `{"Message"}`,
/// `{"error":{"reason"}}`, `{"Output":{"message"}}`.
pub(super) fn parse_error_body(body: &[u8]) -> ErrorBody {
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
    use super::super::tests::QUOTA_402;
    use super::*;

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
