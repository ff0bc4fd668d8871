//! When Kiro names a wait (a rate limit with `retryAfterMilliseconds`) or suspends the
//! account, nothing more reaches Kiro until the wait is over, however many requests come in:
//! each is answered locally with the time left, in its caller's dialect.

use crate::anthropic_common;

use std::time::{Duration, Instant};

use anthropic_common::{start_with, KEY};
use kiro_gateway_tests::fake::Script;
use serde_json::{json, Value};

const RATE_LIMITED: &str = r#"{"__type":"com.amazon.kiro.runtimeservice#ThrottlingException","message":"Too many requests, please wait before trying again.","reason":"USER_REQUEST_RATE_EXCEEDED","retryAfterMilliseconds":3000}"#;
const SUSPENDED: &str = r#"{"__type":"com.amazon.kiro.runtimeservice#AccessDeniedException","message":"Your User ID (u-123) temporarily is suspended. We've locked your account as a security precaution. To restore access, please contact our support team.","reason":null}"#;

async fn call(base: &str, anthropic: bool) -> reqwest::Response {
    let (path, body) = if anthropic {
        (
            "/v1/messages",
            json!({"model": "claude-sonnet-4-5", "max_tokens": 50, "messages": [{"role": "user", "content": "hi"}]}),
        )
    } else {
        (
            "/v1/chat/completions",
            json!({"model": "claude-sonnet-4.5", "messages": [{"role": "user", "content": "hi"}]}),
        )
    };
    reqwest::Client::new()
        .post(format!("{base}{path}"))
        .header("x-api-key", KEY)
        .header("anthropic-version", "2023-06-01")
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn health(base: &str) -> Value {
    reqwest::Client::new()
        .get(format!("{base}/health"))
        .bearer_auth(KEY)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_declared_wait_holds_back_fifty_concurrent_requests() {
    let gw = start_with(|c| c.max_429_retries = 2).await;
    gw.fake.push_script(Script::http_error(429, RATE_LIMITED));
    let started = Instant::now();
    let first = call(&gw.base, false).await;
    assert_eq!(first.status(), 429);
    assert_eq!(first.headers()["retry-after"], "3");
    assert_eq!(
        gw.fake.chat_calls(),
        1,
        "a wait Kiro declared is not retried upstream"
    );

    let held: Vec<reqwest::Response> =
        futures::future::join_all((0..50).map(|i| call(&gw.base, i % 2 == 0))).await;
    for (i, response) in held.into_iter().enumerate() {
        assert_eq!(response.status(), 429, "request {i}");
        let wait: u64 = response.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((1..=3).contains(&wait), "request {i}: {wait}");
        let body: Value = response.json().await.unwrap();
        if i % 2 == 0 {
            assert_eq!(body["type"], "error");
            assert_eq!(body["error"]["type"], "rate_limit_error", "{body}");
        } else {
            assert_eq!(body["error"]["code"], "kiro_rate_limited", "{body}");
        }
    }
    assert_eq!(
        gw.fake.chat_calls(),
        1,
        "nothing reached Kiro during the wait"
    );
    assert_eq!(
        health(&gw.base).await["upstream_hold"]["cause"],
        "rate_limited"
    );

    let over = Duration::from_millis(3100).saturating_sub(started.elapsed());
    tokio::time::sleep(over).await;
    let after = call(&gw.base, false).await;
    assert_eq!(after.status(), 200);
    assert_eq!(gw.fake.chat_calls(), 2);
    assert!(health(&gw.base).await["upstream_hold"].is_null());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_suspended_account_gets_no_more_requests_and_no_client_retries() {
    let gw = start_with(|_| {}).await;
    gw.fake.push_script(Script::http_error(403, SUSPENDED));
    for (attempt, anthropic) in [(0, false), (1, true), (2, false)] {
        let response = call(&gw.base, anthropic).await;
        assert_eq!(response.status(), 403, "attempt {attempt}");
        assert_eq!(response.headers()["x-should-retry"], "false");
        let body: Value = response.json().await.unwrap();
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.contains("suspended"), "{message}");
        assert!(message.contains("Kiro support"), "{message}");
        if anthropic {
            assert_eq!(body["error"]["type"], "permission_error");
        } else {
            assert_eq!(body["error"]["code"], "kiro_account_suspended");
        }
    }
    assert_eq!(gw.fake.chat_calls(), 1, "no refresh loop, no resend");
    assert_eq!(gw.fake.refresh_calls(), 0);
    assert_eq!(
        health(&gw.base).await["upstream_hold"]["cause"],
        "suspended"
    );
}
