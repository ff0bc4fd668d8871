//! A spent Kiro allowance (402 `ServiceQuotaExceededException`, or a 429 declaring
//! `DAILY_REQUEST_COUNT` / `MONTHLY_REQUEST_COUNT`) is never retried, by the gateway or by
//! the client (docs/kiro-protocol.md#error-mapping, "Allowance spent"): exactly one upstream
//! attempt, then Anthropic's 402 `billing_error` or OpenAI's 429 `insufficient_quota` (chat
//! completions and Responses), both with `x-should-retry: false` — for streamed requests too, since
//! the status is decided before any byte of the stream.

use crate::anthropic_common;

use std::time::Duration;

use anthropic_common::*;
use kiro_gateway::kiro::{ClientSettings, KiroClient};
use kiro_gateway_tests::fake::fixtures::TempHome;
use kiro_gateway_tests::fake::{chat_body, Endpoint, FakeConfig, FakeKiro, Script, Step};
use kiro_gateway_tests::upstream::social_credentials;
use serde_json::Value;

const QUOTA_402: &str = r#"{"__type":"com.amazon.kiro.runtimeservice#ServiceQuotaExceededException","message":"You have reached the limit.","reason":"MONTHLY_REQUEST_COUNT"}"#;
const OVERAGE_402: &str = r#"{"__type":"com.amazon.kiro.runtimeservice#ServiceQuotaExceededException","message":"You have reached the overage limit.","reason":"OVERAGE_REQUEST_LIMIT_EXCEEDED"}"#;
const DAILY_429: &str = r#"{"__type":"com.amazon.kiro.runtimeservice#ThrottlingException","message":"Too many requests, please wait before trying again.","reason":"DAILY_REQUEST_COUNT"}"#;
const CREDIT_RATE_429: &str = r#"{"__type":"com.amazon.kiro.runtimeservice#ThrottlingException","message":"Too many requests, please wait before trying again.","reason":"CREDIT_CONSUMPTION_RATE_EXCEEDED","retryAfterMilliseconds":300000}"#;

/// What a client got: status, `x-should-retry`, `retry-after`, body.
struct Answer {
    status: u16,
    should_retry: Option<String>,
    retry_after: Option<String>,
    body: Value,
    raw: String,
}

async fn call(gw: &Gw, route: Route, stream: bool) -> Answer {
    let request = route.post(&gw.base, KEY, stream);
    let response = request.send().await.expect("gateway answers");
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
    };
    let should_retry = header("x-should-retry");
    let retry_after = header("retry-after");
    let status = response.status().as_u16();
    let raw = response.text().await.unwrap();
    let body = serde_json::from_str(&raw).unwrap_or(Value::Null);
    Answer {
        status,
        should_retry,
        retry_after,
        body,
        raw,
    }
}

/// The dialect's "allowance spent" answer, with the message naming `limit`.
fn assert_quota_answer(answer: &Answer, route: Route, stream: bool, limit: &str) {
    let what = format!("{route:?} stream={stream}: {}", answer.raw);
    assert_eq!(answer.should_retry.as_deref(), Some("false"), "{what}");
    let message = match route {
        Route::Messages => {
            assert_eq!(answer.status, 402, "{what}");
            assert_eq!(error_type(&answer.body), "billing_error", "{what}");
            &answer.body["error"]["message"]
        }
        Route::ChatCompletions | Route::Responses => {
            assert_eq!(answer.status, 429, "{what}");
            assert_eq!(answer.body["error"]["type"], "insufficient_quota", "{what}");
            assert_eq!(answer.body["error"]["code"], "insufficient_quota", "{what}");
            &answer.body["error"]["message"]
        }
    };
    let message = message.as_str().unwrap_or_default();
    assert!(message.contains("quota is used up"), "{what}");
    assert!(message.contains(limit), "names the limit: {what}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_fakes_own_402_is_answered_once_per_request_in_every_dialect() {
    // Default retry settings (3 attempts, 2 throttle retries): none is spent on a quota.
    let gw = start().await;
    gw.fake.set_credits_used("default", 1000.0);
    for route in ROUTES {
        for stream in [false, true] {
            let before = gw.fake.chat_calls();
            let answer = call(&gw, route, stream).await;
            assert_quota_answer(&answer, route, stream, "monthly limit reached");
            assert_eq!(
                gw.fake.chat_calls() - before,
                1,
                "{route:?} stream={stream}: exactly one upstream attempt"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_allowance_429_and_an_overage_402_are_quota_errors_too() {
    let gw = start().await;
    for route in ROUTES {
        for stream in [false, true] {
            for (status, body, limit) in [
                (429, DAILY_429, "daily limit reached"),
                (402, OVERAGE_402, "overage limit reached"),
            ] {
                let before = gw.fake.chat_calls();
                gw.fake.push_script(Script::http_error(status, body));
                let answer = call(&gw, route, stream).await;
                assert_quota_answer(&answer, route, stream, limit);
                assert_eq!(
                    gw.fake.chat_calls() - before,
                    1,
                    "{route:?} stream={stream} {status}: exactly one upstream attempt"
                );
            }
        }
    }
    assert_eq!(gw.fake.pending_scripts(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reset_date_is_named_once_the_usage_limits_are_known() {
    let gw = start().await;
    gw.fake.set_credits_used("default", 1000.0);
    // The first answer starts a background fetch of GetUsageLimits (it never waits for one).
    let first = call(&gw, Route::Messages, false).await;
    assert_quota_answer(&first, Route::Messages, false, "monthly limit reached");
    gw.fake
        .wait_for(Endpoint::UsageLimits, 1, Duration::from_secs(5))
        .await;
    let usage = wait_for_usage(&gw).await;
    let date = usage
        .resets_at
        .expect("the fake sends nextDateReset")
        .format("%Y-%m-%d %H:%M UTC")
        .to_string();
    for route in ROUTES {
        let answer = call(&gw, route, false).await;
        assert_quota_answer(&answer, route, false, "monthly limit reached");
        assert!(
            answer.raw.contains(&format!("resets on {date}")),
            "{route:?}: {}",
            answer.raw
        );
    }
}

async fn wait_for_usage(gw: &Gw) -> kiro_gateway::kiro::usage_limits::UsageSummary {
    for _ in 0..100 {
        if let Some(usage) = gw.state().usage.cached() {
            return usage;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("usage limits never cached");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_quota_exception_mid_stream_is_a_billing_error_event() {
    let gw = start().await;
    gw.fake.push_script(Script::new().text("partial").exception(
        "ServiceQuotaExceededException",
        "You have reached the limit.",
    ));
    let (path, body) = Route::Messages.request(true);
    let response = gw.post_anthropic(path, &body).await;
    let (events, raw) = read_sse(response).await;
    let error = events
        .iter()
        .find(|e| e.name == "error")
        .unwrap_or_else(|| panic!("an error event: {raw}"));
    assert_eq!(error.data["error"]["type"], "billing_error", "{raw}");

    // Not streamed: the whole answer is the error, with the header.
    gw.fake.push_script(Script::new().text("partial").exception(
        "ServiceQuotaExceededException",
        "You have reached the limit.",
    ));
    let answer = call(&gw, Route::Messages, false).await;
    assert_eq!(answer.status, 402, "{}", answer.raw);
    assert_eq!(answer.should_retry.as_deref(), Some("false"));
    assert_eq!(error_type(&answer.body), "billing_error");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_credit_burn_rate_limit_is_not_retried_and_says_how_long() {
    let gw = start().await;
    for route in [Route::Messages, Route::ChatCompletions] {
        let before = gw.fake.chat_calls();
        gw.fake
            .push_script(Script::http_error(429, CREDIT_RATE_429));
        let answer = call(&gw, route, false).await;
        assert_eq!(answer.status, 429, "{}", answer.raw);
        assert_eq!(
            answer.should_retry.as_deref(),
            Some("false"),
            "{}",
            answer.raw
        );
        assert_eq!(answer.retry_after.as_deref(), Some("300"), "{}", answer.raw);
        // The first route's answer started the 300 s hold: the second is answered locally.
        let expected = if route == Route::Messages { 1 } else { 0 };
        assert_eq!(
            gw.fake.chat_calls() - before,
            expected,
            "{route:?}: one attempt, then none during the wait"
        );
    }
}

// ------------------------------------------------- the upstream client on its own

async fn client(fake: &FakeKiro, home: &TempHome) -> KiroClient {
    let (http, credentials) = social_credentials(fake, home).await;
    KiroClient::new(
        http,
        credentials,
        ClientSettings {
            api_url: Some(fake.runtime_url()),
            headers_timeout: Duration::from_secs(5),
            first_token_timeout: Duration::from_secs(5),
            first_token_retries: 2,
            idle_timeout: Duration::from_secs(5),
            max_attempts: 3,
            max_429_retries: 2,
            max_retry_wait: Duration::from_secs(30),
            backoff_base: Duration::from_millis(10),
        },
    )
}

#[tokio::test]
async fn the_upstream_client_makes_exactly_one_attempt_on_a_spent_allowance() {
    let fake = FakeKiro::start(FakeConfig::default()).await;
    let home = TempHome::new();
    let client = client(&fake, &home).await;
    let mut body = chat_body("placeholder", "hello", "claude-sonnet-4.5");
    body.as_object_mut().unwrap().remove("profileArn");
    let cases = [
        (402, QUOTA_402, None),
        (402, OVERAGE_402, None),
        (429, DAILY_429, Some("1")),
        (
            429,
            r#"{"message":"Too many requests","reason":"MONTHLY_REQUEST_COUNT"}"#,
            None,
        ),
        (429, CREDIT_RATE_429, None),
    ];
    for (status, error_body, retry_after) in cases {
        let before = fake.chat_calls();
        fake.push_script(
            Script::new().step(Step::HttpError {
                status,
                body: error_body.into(),
                headers: retry_after
                    .map(|s| vec![("Retry-After".to_string(), s.to_string())])
                    .unwrap_or_default(),
            }),
        );
        // Without a script the fake answers normally: a retry would succeed.
        let err = match client.generate(body.clone()).await {
            Ok(_) => panic!("{status} {error_body}: retried into a success"),
            Err(err) => err,
        };
        assert!(!err.is_throttled(), "{err}");
        assert_eq!(
            fake.chat_calls() - before,
            1,
            "{status} {error_body}: exactly one attempt"
        );
    }
}
