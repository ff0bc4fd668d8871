//! What a web page (DNS rebinding, cross-site requests) or another machine can do to the
//! gateway: the probes of the hardening review, replayed against the real binary and an
//! in-process gateway. Raw HTTP over TCP, so every header is exactly what an attacker sends.

use crate::anthropic_common;

use std::time::Duration;

use anthropic_common::{start_with, KEY};
use kiro_gateway_tests::fake::fixtures::{write_social_token_file, TempHome};
use kiro_gateway_tests::fake::{FakeConfig, FakeKiro};
use kiro_gateway_tests::gateway_process::GatewayProcess;
use kiro_gateway_tests::harness::{Harness, Running};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A response read off the socket: status, lower-case headers, body.
struct Raw {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Raw {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

/// Send one request with exactly these headers (plus `Content-Length` and
/// `Connection: close`) to `addr`.
async fn send(addr: &str, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> Raw {
    send_from(None, addr, method, path, headers, body).await
}

/// [`send`] from a chosen local address (e.g. 127.0.0.2, which stands for another machine).
async fn send_from(
    source: Option<std::net::IpAddr>,
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Raw {
    let target: std::net::SocketAddr = addr.parse().expect("ip:port");
    let mut stream = match source {
        None => TcpStream::connect(target).await.expect("connect"),
        Some(ip) => {
            let socket = tokio::net::TcpSocket::new_v4().unwrap();
            socket
                .bind((ip, 0).into())
                .expect("bind the source address");
            socket.connect(target).await.expect("connect")
        }
    };
    let mut head = format!("{method} {path} HTTP/1.1\r\n");
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    ));
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(body.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut raw))
        .await
        .expect("answer within 10 s")
        .unwrap();
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status line: {text}"));
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    Raw {
        status,
        headers,
        body: body.to_owned(),
    }
}

const CHAT: &str =
    r#"{"model":"claude-sonnet-4.5","messages":[{"role":"user","content":"spend my credits"}]}"#;
const MESSAGES: &str = r#"{"model":"claude-sonnet-4-5","max_tokens":10,"messages":[{"role":"user","content":"spend my credits"}]}"#;

/// The gateway process with `--no-auth`, started on `settings` (saved settings) when given.
async fn keyless_gateway(settings: Option<&str>) -> Running {
    let mut harness = Harness::process().args(&["--no-auth"]);
    if let Some(settings) = settings {
        harness = harness.settings_toml(settings);
    }
    harness.start().await
}

fn addr(gw: &Running) -> String {
    gw.base.trim_start_matches("http://").to_owned()
}

fn settings_file(gw: &Running) -> std::path::PathBuf {
    gw.home.path().join(".config/kiro-gateway/settings.toml")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rebinding_page_cannot_move_a_keyless_gateway_onto_the_lan() {
    let gw = keyless_gateway(None).await;
    let addr = addr(&gw);
    let lan = r#"{"host":"0.0.0.0","allow_lan":true}"#;
    let json_ct = ("Content-Type", "application/json");

    // The review's exact probe: a page on rebind.evil.example whose name now points at 127.0.0.1.
    let rebound = send(
        &addr,
        "PUT",
        "/admin/settings",
        &[("Host", "rebind.evil.example:8000"), json_ct],
        lan,
    )
    .await;
    assert_eq!(rebound.status, 421, "{}", rebound.body);
    assert_eq!(rebound.json()["code"], "host_not_allowed");

    // The same from a page on another origin that reached the right Host.
    let cross_site = send(
        &addr,
        "PUT",
        "/admin/settings",
        &[("Host", &addr), ("Origin", "https://evil.example"), json_ct],
        lan,
    )
    .await;
    assert_eq!(cross_site.status, 403, "{}", cross_site.body);
    assert_eq!(cross_site.json()["code"], "origin_not_allowed");

    // Even a same-origin, well-formed request cannot take a keyless gateway off loopback.
    let direct = send(
        &addr,
        "PUT",
        "/admin/settings",
        &[("Host", &addr), json_ct],
        lan,
    )
    .await;
    assert_eq!(direct.status, 403, "{}", direct.body);
    assert_eq!(direct.json()["code"], "no_auth_loopback_only");
    assert_eq!(direct.json()["field"], "host");

    assert!(
        !settings_file(&gw).exists()
            || !std::fs::read_to_string(settings_file(&gw))
                .unwrap()
                .contains("0.0.0.0"),
        "nothing was saved"
    );
    let health = send(&addr, "GET", "/health", &[("Host", &addr)], "").await;
    assert_eq!(health.status, 200, "still serving on {addr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn simple_cross_site_requests_never_reach_a_handler() {
    let gw = keyless_gateway(None).await;
    let addr = addr(&gw);
    let host = ("Host", addr.as_str());
    let foreign = ("Origin", "https://evil.example");
    for (path, body) in [("/v1/chat/completions", CHAT), ("/v1/messages", MESSAGES)] {
        let anthropic = path == "/v1/messages";
        for (content_type, origin) in [
            ("text/plain", Some(foreign)),
            ("text/plain", None),
            ("application/x-www-form-urlencoded", Some(foreign)),
            ("multipart/form-data; boundary=x", None),
            ("application/json", Some(foreign)),
        ] {
            let mut headers = vec![host, ("Content-Type", content_type)];
            headers.extend(origin);
            let r = send(&addr, "POST", path, &headers, body).await;
            let want = if origin.is_some() { 403 } else { 415 };
            assert_eq!(
                r.status, want,
                "{path} {content_type} {origin:?}: {}",
                r.body
            );
            let body = r.json();
            if anthropic {
                assert_eq!(body["type"], "error", "Anthropic shape: {body}");
                assert!(body["error"]["type"].is_string(), "{body}");
            } else {
                assert!(body["error"]["code"].is_string(), "OpenAI shape: {body}");
            }
        }
    }
    let restart = send(
        &addr,
        "POST",
        "/admin/restart",
        &[
            host,
            foreign,
            ("Content-Type", "application/x-www-form-urlencoded"),
        ],
        "a=b",
    )
    .await;
    assert_eq!(restart.status, 403, "{}", restart.body);
    assert_eq!(gw.fake.chat_calls(), 0, "no credits were spent");

    // The legitimate callers still work: a program (no Origin) and the web UI (own origin).
    let own_origin = format!("http://{addr}");
    let program = send(
        &addr,
        "POST",
        "/v1/chat/completions",
        &[host, ("Content-Type", "application/json")],
        CHAT,
    )
    .await;
    assert_eq!(program.status, 200, "{}", program.body);
    let ui = send(
        &addr,
        "GET",
        "/admin/status",
        &[host, ("Origin", &own_origin)],
        "",
    )
    .await;
    assert_eq!(ui.status, 200, "{}", ui.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_saved_lan_address_does_not_apply_to_a_keyless_start() {
    let gw = keyless_gateway(Some(
        "version = 1\nport = 8000\nhost = \"0.0.0.0\"\nallow_lan = true\nlog_level = \"info\"\nlaunch_at_login = false\nclose_to_tray = true\n",
    ))
    .await;
    let stdout = gw.stdout();
    assert!(
        stdout.contains("http://127.0.0.1:"),
        "keyless start stays on loopback: {stdout}"
    );
    assert!(!stdout.contains("0.0.0.0"), "{stdout}");
    assert!(
        gw.stderr().contains("--no-auth listens on 127.0.0.1 only"),
        "{}",
        gw.stderr()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_without_the_key_shows_no_path_and_a_foreign_host_is_refused_with_a_key_too() {
    let gw = start_with(|_| {}).await;
    let addr = gw.base.trim_start_matches("http://").to_owned();
    let anonymous = send(&addr, "GET", "/health", &[("Host", &addr)], "").await;
    assert_eq!(anonymous.status, 200);
    assert_eq!(anonymous.json(), json!({"status": "ok"}));
    let auth = format!("Bearer {KEY}");
    let detailed = send(
        &addr,
        "GET",
        "/health",
        &[("Host", &addr), ("Authorization", &auth)],
        "",
    )
    .await;
    assert!(detailed.json()["credentials"]["source"].is_string());

    for (path, anthropic) in [("/v1/chat/completions", false), ("/v1/messages", true)] {
        let r = send(
            &addr,
            "POST",
            path,
            &[
                ("Host", "attacker.example"),
                ("Authorization", &auth),
                ("Content-Type", "application/json"),
            ],
            if anthropic { MESSAGES } else { CHAT },
        )
        .await;
        assert_eq!(r.status, 421, "{}", r.body);
        let body = r.json();
        if anthropic {
            assert_eq!(body["type"], "error");
        } else {
            assert_eq!(body["error"]["code"], "host_not_allowed");
        }
    }
    assert_eq!(gw.fake.chat_calls(), 0);
}

/// A machine on the network guessing keys is slowed down; this machine's tools are not.
/// 127.0.0.2 stands for the other machine: only 127.0.0.1 (every local tool's address) is
/// exempt, so this needs no network interface.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_keys_from_another_machine_are_throttled() {
    let gw = start_with(|_| {}).await;
    let addr = gw.base.trim_start_matches("http://").to_owned();
    let other: std::net::IpAddr = [127, 0, 0, 2].into();
    let models = |source: Option<std::net::IpAddr>, key: &str| {
        let addr = addr.clone();
        let auth = format!("Bearer {key}");
        async move {
            send_from(
                source,
                &addr,
                "GET",
                "/v1/models",
                &[("Host", &addr), ("Authorization", &auth)],
                "",
            )
            .await
        }
    };
    for attempt in 0..10 {
        let r = models(Some(other), "kgw_guess").await;
        assert_eq!(r.status, 401, "attempt {attempt}: {}", r.body);
    }
    let blocked = models(Some(other), KEY).await;
    assert_eq!(
        blocked.status, 429,
        "even the right key waits: {}",
        blocked.body
    );
    assert_eq!(blocked.json()["error"]["code"], "too_many_wrong_keys");
    let wait: u64 = blocked.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=60).contains(&wait), "{wait}");

    for _ in 0..20 {
        assert_eq!(models(None, "kgw_wrong").await.status, 401);
    }
    assert_eq!(
        models(None, KEY).await.status,
        200,
        "this machine is never throttled"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lan_mode_warns_names_the_reachable_url_and_refuses_a_short_key() {
    let home = TempHome::new();
    let short = kiro_gateway_tests::gateway_process::run_to_exit(
        home.path(),
        &[
            ("KIRO_GATEWAY_HOST", "0.0.0.0".into()),
            ("KIRO_GATEWAY_API_KEY", "kgw_short".into()),
        ],
        &[],
        Duration::from_secs(10),
    );
    let stderr = String::from_utf8_lossy(&short.stderr);
    assert!(!short.status.success(), "{stderr}");
    assert!(stderr.contains("too short"), "{stderr}");
    assert!(
        !stderr.contains("kgw_short"),
        "the key is never printed: {stderr}"
    );

    let fake = FakeKiro::start(FakeConfig::default()).await;
    let (token_file, _) =
        write_social_token_file(&fake, &home, "default", chrono::Duration::hours(1));
    let env = vec![
        ("KIRO_GATEWAY_HOST", "0.0.0.0".to_owned()),
        ("KIRO_CREDS_FILE", token_file.display().to_string()),
        ("KIRO_API_URL", fake.runtime_url()),
        ("KIRO_MANAGEMENT_URL", fake.management_url()),
        ("KIRO_REFRESH_URL", fake.refresh_url()),
    ];
    let home_path = home.path().to_path_buf();
    let process = tokio::task::spawn_blocking(move || GatewayProcess::start(&home_path, &env, &[]))
        .await
        .unwrap();
    let stdout = process.stdout();
    assert!(
        stdout.contains("WARNING: Listening on 0.0.0.0:"),
        "{stdout}"
    );
    assert!(
        !stdout.contains("base URL:    http://0.0.0.0"),
        "the banner names an address other machines can use: {stdout}"
    );
}
