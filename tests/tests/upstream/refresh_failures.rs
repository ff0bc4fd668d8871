//! When the gateway cannot get a Kiro token, clients are told what to do in their dialect:
//! a login rejected for good (`invalid_grant`) is a 403 that SDKs do not retry
//! (`x-should-retry: false`, "sign in again"); kiro-cli holding its database locked is a
//! retryable 503 "kiro-cli is busy", answered without holding the request for the lock.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use kiro_gateway::config::Config;
use kiro_gateway::gateway::Gateway;
use kiro_gateway::logs::Redactor;
use kiro_gateway::secrets::Secret;
use kiro_gateway::server::Controller;
use kiro_gateway_tests::fake::fixtures::{
    social_token_json, write_json, write_kiro_cli_db, TempHome,
};
use kiro_gateway_tests::fake::{AccountSpec, Endpoint, FakeConfig, FakeKiro};
use serde_json::{json, Value};

use crate::anthropic_common::{Route, ROUTES};

const KEY: &str = "kgw_test_key_refresh_failures_0123";

struct Gw {
    fake: FakeKiro,
    base: String,
    _gateway: Gateway,
    _controller: Arc<Controller>,
    _home: TempHome,
}

/// A gateway on the fake, with the credential source `credentials` writes into the home.
async fn start(
    fake_config: FakeConfig,
    credentials: impl FnOnce(&FakeKiro, &TempHome, &mut Config),
) -> Gw {
    let fake = FakeKiro::start(fake_config).await;
    let home = TempHome::new();
    let mut config = Config {
        port: 0,
        api_url: Some(fake.runtime_url()),
        management_url: Some(fake.management_url()),
        refresh_url: Some(fake.refresh_url()),
        oidc_url: Some(fake.oidc_url()),
        ..Config::default()
    };
    credentials(&fake, &home, &mut config);
    let gateway = Gateway::assemble(config, Some(Secret::new(KEY.to_owned())), Redactor::new())
        .await
        .expect("gateway assembles");
    let controller = Controller::new(kiro_gateway::routes(Default::default()));
    let addr = controller
        .start(gateway.state.clone())
        .await
        .expect("gateway binds");
    Gw {
        fake,
        base: format!("http://{addr}"),
        _gateway: gateway,
        _controller: controller,
        _home: home,
    }
}

struct Answer {
    status: u16,
    should_retry: Option<String>,
    retry_after: Option<String>,
    body: Value,
    raw: String,
    elapsed: Duration,
}

async fn call(gw: &Gw, route: Route, stream: bool) -> Answer {
    let request = route.post(&gw.base, KEY, stream);
    let started = Instant::now();
    let response = request.send().await.expect("gateway answers");
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
    };
    let (should_retry, retry_after) = (header("x-should-retry"), header("retry-after"));
    let status = response.status().as_u16();
    let raw = response.text().await.unwrap();
    Answer {
        status,
        should_retry,
        retry_after,
        body: serde_json::from_str(&raw).unwrap_or(Value::Null),
        raw,
        elapsed: started.elapsed(),
    }
}

/// The dialect's error type and message.
fn error_of(answer: &Answer, route: Route) -> (String, String) {
    let error = &answer.body["error"];
    if let Route::Messages = route {
        assert_eq!(answer.body["type"], "error", "{}", answer.raw);
    }
    (
        error["type"].as_str().unwrap_or_default().to_owned(),
        error["message"].as_str().unwrap_or_default().to_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rejected_login_is_a_403_no_sdk_retries_saying_to_sign_in_again() {
    let gw = start(FakeConfig::default(), |fake, home, config| {
        // An expired access token and a refresh token the auth service no longer knows.
        let (mut token, _) = social_token_json(fake, "default", chrono::Duration::hours(-1));
        token["refreshToken"] = json!("aorREVOKEDREVOKEDREVOKEDREVOKED0001");
        write_json(&home.token_file(), &token);
        config.creds_file = Some(home.token_file());
    })
    .await;

    for route in ROUTES {
        for stream in [false, true] {
            let answer = call(&gw, route, stream).await;
            let what = format!("{route:?} stream={stream}: {}", answer.raw);
            assert_eq!(answer.status, 403, "{what}");
            assert_eq!(answer.should_retry.as_deref(), Some("false"), "{what}");
            let (kind, message) = error_of(&answer, route);
            assert_eq!(kind, "permission_error", "{what}");
            assert!(
                message.starts_with("Kiro sign-in expired: sign in again in the Kiro IDE"),
                "{what}"
            );
            assert!(message.contains("kiro-cli login"), "{what}");
            assert!(
                !message.contains("aorREVOKED"),
                "no token in the message: {what}"
            );
            if !matches!(route, Route::Messages) {
                assert_eq!(answer.body["error"]["code"], "kiro_login_expired", "{what}");
            }
        }
    }
    assert_eq!(
        gw.fake.chat_calls(),
        0,
        "nothing reached Kiro without a token"
    );
    assert_eq!(
        gw.fake.refresh_calls(),
        1,
        "the rejected refresh token was sent once, not once per request"
    );
}

/// A kiro-cli database (OIDC login) with an expired access token.
fn kiro_cli_login(fake: &FakeKiro, home: &TempHome, config: &mut Config) -> PathBuf {
    let (db, _) = write_kiro_cli_db(fake, home, "cli", chrono::Duration::hours(-1));
    config.cli_db_file = Some(db.clone());
    db
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kiro_cli_holding_its_database_is_a_quick_retryable_503_saying_it_is_busy() {
    let mut fake_config = FakeConfig::default();
    fake_config.accounts.push(AccountSpec::oidc("cli"));
    let db = std::sync::Mutex::new(None);
    let gw = start(fake_config, |fake, home, config| {
        *db.lock().unwrap() = Some(kiro_cli_login(fake, home, config));
    })
    .await;
    let db = db.into_inner().unwrap().expect("database written");

    // kiro-cli writes: an exclusive lock keeps readers out until it commits.
    let kiro_cli = rusqlite::Connection::open(&db).unwrap();
    kiro_cli.execute_batch("BEGIN EXCLUSIVE").unwrap();
    for route in ROUTES {
        let answer = call(&gw, route, false).await;
        let what = format!("{route:?}: {}", answer.raw);
        assert_eq!(answer.status, 503, "{what}");
        assert_eq!(answer.should_retry, None, "SDKs may retry: {what}");
        assert_eq!(answer.retry_after.as_deref(), Some("1"), "{what}");
        let (_, message) = error_of(&answer, route);
        assert!(message.starts_with("kiro-cli is busy"), "{what}");
        assert!(!message.contains("sign in"), "{what}");
        if !matches!(route, Route::Messages) {
            assert_eq!(answer.body["error"]["code"], "kiro_cli_busy", "{what}");
        }
        assert!(
            answer.elapsed < Duration::from_secs(3),
            "not held by the lock: {:?}",
            answer.elapsed
        );
    }
    assert_eq!(gw.fake.oidc_calls(), 0, "no refresh while kiro-cli writes");

    // kiro-cli is done: the next requests refresh and are answered.
    kiro_cli.execute_batch("COMMIT").unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let answer = call(&gw, Route::Messages, false).await;
        if answer.status == 200 {
            break;
        }
        assert_eq!(answer.status, 503, "{}", answer.raw);
        assert!(Instant::now() < deadline, "still busy: {}", answer.raw);
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(gw.fake.oidc_calls(), 1);
    assert_eq!(gw.fake.count(Endpoint::Chat), 1);
}
