//! Tests of [`super`]: classification and the client-facing errors.

use chrono::{DateTime, Utc};

use super::*;
use crate::error::{Dialect, ErrorCode, ErrorKind};
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
    assert_eq!(api.code, Some(ErrorCode::ContextLengthExceeded));
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
    assert_eq!(large.code, Some(ErrorCode::KiroRequestTooLarge));
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
    assert_eq!(declared.code, Some(ErrorCode::ContextLengthExceeded));
}

pub(super) const QUOTA_402: &str = r#"{"__type":"com.amazon.kiro.runtimeservice#ServiceQuotaExceededException","message":"You have reached the limit.","reason":"MONTHLY_REQUEST_COUNT"}"#;

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
        assert_eq!(api.code, Some(ErrorCode::InsufficientQuota));
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
    let body =
        br#"{"message":"x","reason":"USER_REQUEST_RATE_EXCEEDED","retryAfterMilliseconds":1500}"#;
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
    assert_eq!(model.to_api_error().code, Some(ErrorCode::ModelNotFound));
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
    assert_eq!(rejected.code, Some(ErrorCode::KiroLoginExpired));
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

    let busy =
        UpstreamError::Credentials(CredentialError::SourceBusy("data.sqlite3 is locked".into()))
            .to_api_error();
    assert_eq!(busy.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(busy.should_retry(), None);
    assert_eq!(busy.retry_after, Some(1));
    assert_eq!(busy.code, Some(ErrorCode::KiroCliBusy));
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
