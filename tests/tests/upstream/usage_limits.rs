//! Remaining Kiro credits (`GetUsageLimits`, docs/kiro-protocol.md#usage-limits) against the fake
//! upstream: the cache in-process (request shape, caching, failures, token refresh), then the real
//! `kiro-gateway` binary reporting `usage` in `/admin/status` after chats the fake charged.

use std::sync::Arc;
use std::time::{Duration, Instant};

use kiro_gateway::kiro::usage_limits::UsageLimits;
use kiro_gateway_tests::fake::fixtures::TempHome;
use kiro_gateway_tests::fake::{AccountSpec, Endpoint, FakeConfig, FakeKiro, HttpReply, Script};
use kiro_gateway_tests::gateway_process::GatewayProcess;
use kiro_gateway_tests::harness::Harness;
use kiro_gateway_tests::upstream::social_credentials;
use serde_json::{json, Value};

/// The fake with one social account `default` that has used `used` of `limit` credits.
async fn fake_with_credits(limit: f64, used: f64) -> FakeKiro {
    FakeKiro::start(FakeConfig {
        accounts: vec![AccountSpec {
            credit_limit: limit,
            credits_used: used,
            ..AccountSpec::social("default")
        }],
        ..FakeConfig::default()
    })
    .await
}

async fn usage_limits(fake: &FakeKiro, home: &TempHome, every: Duration) -> Arc<UsageLimits> {
    let (http, credentials) = social_credentials(fake, home).await;
    UsageLimits::new(
        http,
        kiro_gateway::kiro::login::ActiveLogin::new(credentials),
        Some(fake.management_url()),
        every,
    )
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-6
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fetched_with_the_catalogue_headers_and_cached_for_the_interval() {
    let fake = fake_with_credits(1000.0, 412.5).await;
    let home = TempHome::new();
    let usage = usage_limits(&fake, &home, Duration::from_millis(800)).await;
    assert_eq!(
        usage.cached(),
        None,
        "nothing is fetched before it is asked for"
    );
    assert_eq!(fake.count(Endpoint::UsageLimits), 0);

    let first = usage.get().await.expect("summary");
    assert!(close(first.remaining, 587.5), "{first:?}");
    assert!(close(first.limit, 1000.0) && close(first.used, 412.5));
    assert_eq!(first.subscription.as_deref(), Some("KIRO PRO"));
    assert_eq!(first.unit_plural, "Credits");
    assert_eq!(first.short_label(), "587 credits left");
    let days = (first.resets_at.expect("reset time") - chrono::Utc::now()).num_hours();
    assert!(
        (8 * 24..=9 * 24).contains(&days),
        "resets in ~9 days: {days} h"
    );
    assert_eq!(usage.cached(), Some(first.clone()));

    // The request: management REST style, the catalogue's headers, the credential's ARN.
    let request = &fake.requests_to(Endpoint::UsageLimits)[0];
    assert_eq!(request.status, 200, "{:?}", request.rejected_by);
    assert_eq!(
        (request.method.as_str(), request.path.as_str()),
        ("GET", "/Get-Usage-Limits")
    );
    assert_eq!(request.query_param("origin").as_deref(), Some("AI_EDITOR"));
    assert_eq!(
        request.query_param("resourceType").as_deref(),
        Some("CREDIT")
    );
    assert_eq!(
        request.query_param("isEmailRequired").as_deref(),
        Some("false")
    );
    assert_eq!(
        request.query_param("profileArn"),
        Some(fake.account("default").profile_arn)
    );
    assert!(request.bearer().is_some_and(|b| !b.is_empty()));
    assert!(request
        .header("user-agent")
        .is_some_and(|ua| ua.contains("KiroIDE")));
    assert_eq!(request.header("accept"), Some("application/json"));

    // Within the interval: served from the cache, no call.
    for _ in 0..5 {
        assert_eq!(usage.get().await, Some(first.clone()));
        usage.spawn_refresh_if_stale();
    }
    assert_eq!(
        fake.count(Endpoint::UsageLimits),
        1,
        "cached within the interval"
    );

    // After it, a background refresh (one, however often it is asked for) picks up the
    // credits spent meanwhile, while `cached()` keeps answering without I/O.
    fake.set_credits_used("default", 500.25);
    tokio::time::sleep(Duration::from_millis(900)).await;
    assert!(usage.is_stale());
    for _ in 0..5 {
        usage.spawn_refresh_if_stale();
        assert!(usage.cached().is_some());
    }
    fake.wait_for(Endpoint::UsageLimits, 2, Duration::from_secs(5))
        .await;
    let deadline = Instant::now() + Duration::from_secs(5);
    while usage.is_stale() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let second = usage.cached().unwrap();
    assert!(close(second.remaining, 499.75), "{second:?}");
    assert_eq!(
        fake.count(Endpoint::UsageLimits),
        2,
        "one background refresh"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failure_keeps_the_last_value_and_a_rejected_token_is_refreshed_once() {
    let fake = fake_with_credits(50.0, 10.0).await;
    let home = TempHome::new();
    let usage = usage_limits(&fake, &home, Duration::from_millis(300)).await;

    // Nothing known and upstream fails: unknown (None), no panic.
    fake.inject(
        Endpoint::UsageLimits,
        HttpReply::json(500, json!({"message": "Encountered an unexpected error"})),
    );
    assert_eq!(usage.get().await, None);
    assert_eq!(usage.cached(), None);

    // Retried once due: known.
    tokio::time::sleep(Duration::from_millis(350)).await;
    let known = usage.get().await.expect("known after the retry");
    assert!(close(known.remaining, 40.0), "{known:?}");

    // A later failure (or an answer without limits) keeps the last known value.
    tokio::time::sleep(Duration::from_millis(350)).await;
    fake.inject(
        Endpoint::UsageLimits,
        HttpReply::json(503, json!({"message": "Service unavailable"})),
    );
    assert_eq!(usage.get().await, Some(known.clone()));
    tokio::time::sleep(Duration::from_millis(350)).await;
    fake.inject(
        Endpoint::UsageLimits,
        HttpReply::json(
            200,
            json!({"subscriptionInfo": {"subscriptionTitle": "KIRO PRO"}}),
        ),
    );
    assert_eq!(usage.get().await, Some(known));

    // The bearer-token 403: the token is refreshed once and the call repeated.
    tokio::time::sleep(Duration::from_millis(350)).await;
    fake.set_credits_used("default", 49.5);
    let refreshes = fake.refresh_calls();
    fake.revoke_next(1);
    let after = usage.get().await.expect("known after the refresh");
    assert!(close(after.remaining, 0.5), "{after:?}");
    assert_eq!(after.short_label(), "0 credits left");
    assert_eq!(fake.refresh_calls(), refreshes + 1);
    let calls = fake.requests_to(Endpoint::UsageLimits);
    let last_two: Vec<u16> = calls[calls.len() - 2..].iter().map(|r| r.status).collect();
    assert_eq!(last_two, vec![403, 200]);
}

/// `GET /admin/status` of a running gateway.
async fn admin_status(gateway: &GatewayProcess) -> Value {
    let response = reqwest::Client::new()
        .get(format!("{}/admin/status", gateway.base_url))
        .bearer_auth(&gateway.api_key)
        .send()
        .await
        .expect("gateway answers");
    assert_eq!(response.status(), 200);
    response.json().await.expect("JSON status")
}

/// Poll `/admin/status` until `done(usage)` holds; returns that `usage`.
async fn poll_usage(gateway: &GatewayProcess, what: &str, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let usage = admin_status(gateway).await["usage"].clone();
        if done(&usage) {
            return usage;
        }
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {what}; last usage: {usage}\nstderr:\n{}",
            gateway.stderr()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn admin_status_reports_the_credits_left_after_charged_chats() {
    let running = Harness::process()
        .fake(fake_with_credits(50.0, 12.25).await)
        .env(&[
            ("KIRO_GATEWAY_LOG_LEVEL", "debug"),
            // The 5-minute interval, shortened so that the test sees a refresh.
            ("KIRO_GATEWAY_USAGE_REFRESH_MS", "300"),
        ])
        .start()
        .await;
    let (fake, gateway, issued) = (&running.fake, running.process(), &running.issued);

    // Fetched at start, before anyone asked for the status.
    let at_start = fake
        .wait_for(Endpoint::UsageLimits, 1, Duration::from_secs(10))
        .await;
    assert_eq!(at_start[0].status, 200);

    let usage = poll_usage(gateway, "the usage fetched at start", |u| !u.is_null()).await;
    assert_eq!(usage["subscription"], "KIRO PRO");
    assert_eq!(usage["unit_plural"], "Credits");
    assert!(close(usage["limit"].as_f64().unwrap(), 50.0), "{usage}");
    assert!(close(usage["used"].as_f64().unwrap(), 12.25), "{usage}");
    assert!(
        close(usage["remaining"].as_f64().unwrap(), 37.75),
        "{usage}"
    );
    let resets_at = usage["resets_at"].as_str().expect("RFC 3339 reset time");
    assert!(
        chrono::DateTime::parse_from_rfc3339(resets_at).is_ok(),
        "{resets_at}"
    );

    // Three chats the fake charges 2.5 credits each.
    let client = reqwest::Client::new();
    for i in 0..3 {
        fake.push_script(Script::new().text(&format!("answer {i}")).metering(2.5));
        let response = client
            .post(format!("{}/v1/chat/completions", gateway.base_url))
            .bearer_auth(&gateway.api_key)
            .json(&json!({
                "model": "claude-sonnet-4.5",
                "messages": [{"role": "user", "content": format!("question {i}")}],
            }))
            .send()
            .await
            .expect("chat answers");
        assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    }
    let used = fake.credits_used("default");
    assert!(close(used, 19.75), "the fake charged the chats: {used}");

    // `/admin/status` refreshes the stale value in the background; soon it matches the fake.
    let usage = poll_usage(gateway, "the usage after the chats", |u| {
        u["used"].as_f64().is_some_and(|u| close(u, used))
    })
    .await;
    let limit = fake.account("default").credit_limit;
    let remaining = usage["remaining"].as_f64().unwrap();
    assert!(
        close(remaining, limit - used),
        "{remaining} != {limit} - {used}"
    );
    assert!(close(usage["limit"].as_f64().unwrap(), limit));

    // No token in the log, however detailed.
    let logs = format!("{}{}", gateway.stdout(), gateway.stderr());
    assert!(
        !logs.contains(&issued.access_token),
        "the access token was logged"
    );
}
