//! The update check against a local release feed, with the real headless binary: a newer
//! version is found with its notes and this platform's package; a manifest whose signature
//! does not verify (changed after signing, signed by another key, or unsigned) is refused and
//! nothing is offered; the off switch means the feed is never asked; Settings point the
//! gateway at a feed and turn checks off while it runs, and the choice is kept.

use std::time::Duration;

use kiro_gateway_tests::fake::fixtures::{write_social_token_file, TempHome};
use kiro_gateway_tests::fake::{FakeConfig, FakeKiro};
use kiro_gateway_tests::gateway_process::{run_to_exit, GatewayProcess};
use kiro_gateway_tests::release_feed::ReleaseFeed;
use serde_json::{json, Value};

const NOTES: &str = "Faster streams and a new model list.";

fn env(
    fake: &FakeKiro,
    home: &TempHome,
    extra: &[(&'static str, String)],
) -> Vec<(&'static str, String)> {
    let (creds, _) = write_social_token_file(fake, home, "default", chrono::Duration::hours(1));
    let mut env = fake.gateway_env(&creds);
    env.extend(extra.iter().cloned());
    env
}

async fn start(home: &TempHome, env: Vec<(&'static str, String)>) -> GatewayProcess {
    let path = home.path().to_path_buf();
    tokio::task::spawn_blocking(move || GatewayProcess::start(&path, &env, &[]))
        .await
        .unwrap()
}

async fn call(
    gateway: &GatewayProcess,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> Value {
    let mut request = reqwest::Client::new()
        .request(method, format!("{}{path}", gateway.base_url))
        .bearer_auth(&gateway.api_key);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap();
    assert_eq!(status, 200, "{path}: {body}");
    body
}

/// The update view once the check that runs at start (or after a settings change) is done.
async fn settled(gateway: &GatewayProcess) -> Value {
    let mut last = Value::Null;
    for _ in 0..100 {
        last = call(gateway, reqwest::Method::GET, "/admin/update", None).await;
        if last["state"] != "not_checked" {
            return last;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the update check did not finish: {last}");
}

fn feed_env(url: String, feed: &ReleaseFeed) -> [(&'static str, String); 2] {
    [
        ("KIRO_GATEWAY_UPDATE_FEED", url),
        (
            "KIRO_GATEWAY_UPDATE_PUBLIC_KEY",
            feed.public_key().to_owned(),
        ),
    ]
}

#[tokio::test]
async fn a_newer_release_on_the_feed_is_offered_with_its_notes_and_package() {
    let fake = FakeKiro::start(FakeConfig::default()).await;
    let feed = ReleaseFeed::start("99.0.0", NOTES).await;
    let home = TempHome::new();
    let gateway = start(&home, env(&fake, &home, &feed_env(feed.url(), &feed))).await;

    let view = settled(&gateway).await;
    assert_eq!(view["state"], "available", "{view}");
    assert_eq!(view["current_version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(view["latest"]["version"], "99.0.0");
    assert_eq!(view["latest"]["notes"], NOTES);
    assert_eq!(view["latest"]["pub_date"], "2026-12-01T10:00:00Z");
    let download = view["latest"]["download_url"].as_str().unwrap();
    assert!(
        download.ends_with("/download/kiro-gateway_99.0.0_amd64.deb"),
        "this platform's package: {download}"
    );
    assert!(view["checked_at"].is_string(), "{view}");
    assert!(view["error"].is_null(), "{view}");
    assert_eq!(
        view["installer"], "manual",
        "the headless binary never installs: the user updates it the way they installed it"
    );
    assert!(
        gateway
            .stderr()
            .contains("Kiro Gateway 99.0.0 is available"),
        "the log says so once: {}",
        gateway.stderr()
    );

    // "Check now" asks again (the manifest and its signature).
    let before = feed.requests();
    let again = call(&gateway, reqwest::Method::POST, "/admin/update/check", None).await;
    assert_eq!(again["state"], "available");
    assert_eq!(feed.requests(), before + 2);
}

#[tokio::test]
async fn a_manifest_whose_signature_does_not_verify_is_refused_and_nothing_is_offered() {
    let fake = FakeKiro::start(FakeConfig::default()).await;
    let feed = ReleaseFeed::start("99.0.0", NOTES).await;
    for (url, code) in [
        (feed.tampered_url(), "signature_invalid"),
        (feed.other_key_url(), "signature_invalid"),
        (feed.unsigned_url(), "signature_missing"),
    ] {
        let home = TempHome::new();
        let gateway = start(&home, env(&fake, &home, &feed_env(url.clone(), &feed))).await;
        let view = settled(&gateway).await;
        assert_eq!(view["state"], "failed", "{url}: {view}");
        assert_eq!(view["error"]["code"], code, "{url}: {view}");
        assert!(view["latest"].is_null(), "{url}: nothing offered: {view}");
        assert!(
            view["error"]["hint"]
                .as_str()
                .unwrap()
                .contains("do not install"),
            "{view}"
        );
        assert!(
            !gateway.stderr().contains("is available"),
            "{url}: {}",
            gateway.stderr()
        );
    }
}

#[tokio::test]
async fn the_version_already_running_is_up_to_date() {
    let fake = FakeKiro::start(FakeConfig::default()).await;
    let feed = ReleaseFeed::start(env!("CARGO_PKG_VERSION"), NOTES).await;
    let home = TempHome::new();
    let gateway = start(&home, env(&fake, &home, &feed_env(feed.url(), &feed))).await;
    let view = settled(&gateway).await;
    assert_eq!(view["state"], "up_to_date", "{view}");
    assert!(view["latest"].is_null());
}

#[tokio::test]
async fn with_checks_off_the_feed_is_never_asked() {
    let fake = FakeKiro::start(FakeConfig::default()).await;
    let feed = ReleaseFeed::start("99.0.0", NOTES).await;
    let home = TempHome::new();
    let mut extra = feed_env(feed.url(), &feed).to_vec();
    extra.push(("KIRO_GATEWAY_CHECK_UPDATES", "off".into()));
    let gateway = start(&home, env(&fake, &home, &extra)).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let view = call(&gateway, reqwest::Method::GET, "/admin/update", None).await;
    assert_eq!(view["state"], "off", "{view}");
    let view = call(&gateway, reqwest::Method::POST, "/admin/update/check", None).await;
    assert_eq!(view["state"], "off", "{view}");
    assert_eq!(feed.requests(), 0, "the feed was asked with checks off");
}

#[tokio::test]
async fn settings_point_at_a_feed_and_switch_checks_off_while_running_and_are_kept() {
    let fake = FakeKiro::start(FakeConfig::default()).await;
    let feed = ReleaseFeed::start("99.0.0", NOTES).await;
    let home = TempHome::new();
    let key = [(
        "KIRO_GATEWAY_UPDATE_PUBLIC_KEY",
        feed.public_key().to_owned(),
    )];
    let gateway = start(&home, env(&fake, &home, &key)).await;
    let view = call(&gateway, reqwest::Method::GET, "/admin/update", None).await;
    assert_eq!(
        view["state"], "not_configured",
        "a build from source has no feed: {view}"
    );

    let put = call(
        &gateway,
        reqwest::Method::PUT,
        "/admin/settings",
        Some(json!({"update_feed": feed.url()})),
    )
    .await;
    assert!(
        put["applied"]
            .as_array()
            .unwrap()
            .contains(&json!("update_feed")),
        "{put}"
    );
    let view = settled(&gateway).await;
    assert_eq!(view["state"], "available", "{view}");
    assert_eq!(view["feed"], feed.url());

    let put = call(
        &gateway,
        reqwest::Method::PUT,
        "/admin/settings",
        Some(json!({"check_updates": false})),
    )
    .await;
    assert_eq!(put["settings"]["check_updates"], false);
    let view = call(&gateway, reqwest::Method::GET, "/admin/update", None).await;
    assert_eq!(view["state"], "off", "{view}");
    assert!(view["latest"].is_null(), "{view}");
    drop(gateway);

    // Both are in the settings file: after a restart the feed is kept and checks stay off.
    let asked = feed.requests();
    let gateway = start(&home, env(&fake, &home, &key)).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let view = call(&gateway, reqwest::Method::GET, "/admin/update", None).await;
    assert_eq!(view["state"], "off", "{view}");
    assert_eq!(view["feed"], feed.url());
    assert_eq!(
        feed.requests(),
        asked,
        "asked with checks off after a restart"
    );

    // A feed that is not a URL is refused, naming the field.
    let response = reqwest::Client::new()
        .put(format!("{}/admin/settings", gateway.base_url))
        .bearer_auth(&gateway.api_key)
        .json(&json!({"update_feed": "ftp://example.test/latest.json"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["field"], "update_feed", "{body}");
}

#[test]
fn a_public_key_that_is_not_one_stops_the_start_with_a_clear_error() {
    let home = TempHome::new();
    let out = run_to_exit(
        home.path(),
        &[
            ("KIRO_GATEWAY_UPDATE_PUBLIC_KEY", "not-a-key".into()),
            ("REFRESH_TOKEN", "x".into()),
        ],
        &[],
        Duration::from_secs(10),
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("KIRO_GATEWAY_UPDATE_PUBLIC_KEY") && stderr.contains("minisign public key"),
        "{stderr}"
    );
}
