//! The `kiro-gateway` command line as a user meets it: start-up errors that say what to fix,
//! `doctor`, `models`, `/health`, the API key on first run.

use std::time::Duration;

use kiro_gateway_tests::fake::fixtures::{write_social_token_file, TempHome};
use kiro_gateway_tests::fake::{FakeConfig, FakeKiro};
use kiro_gateway_tests::gateway_process::{free_port, run_to_exit, GatewayProcess};
use serde_json::Value;

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn an_invalid_setting_stops_start_up_naming_key_value_and_what_is_allowed() {
    let home = TempHome::new();
    let out = run_to_exit(
        home.path(),
        &[("KIRO_GATEWAY_PORT", "eighty".into())],
        &[],
        Duration::from_secs(10),
    );
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("KIRO_GATEWAY_PORT"), "{stderr}");
    assert!(stderr.contains("eighty"), "{stderr}");
    assert!(stderr.contains("65535"), "says what is allowed: {stderr}");
}

#[test]
fn no_auth_is_refused_on_a_lan_address() {
    let home = TempHome::new();
    let out = run_to_exit(
        home.path(),
        &[("KIRO_GATEWAY_HOST", "0.0.0.0".into())],
        &["--no-auth"],
        Duration::from_secs(10),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("loopback"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn missing_credentials_say_where_to_sign_in() {
    let home = TempHome::new();
    let out = run_to_exit(
        home.path(),
        &[("KIRO_GATEWAY_API_KEY", "kgw_x_0123456789".into())],
        &[],
        Duration::from_secs(15),
    );
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("no Kiro credentials found"), "{stderr}");
    assert!(
        stderr.contains("kiro-auth-token.json"),
        "lists where it looked: {stderr}"
    );
    assert!(
        stderr.contains("kiro-cli login"),
        "says how to fix it: {stderr}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_port_in_use_names_a_free_port() {
    let fake = FakeKiro::start(FakeConfig::default()).await;
    let home = TempHome::new();
    let (token_file, _) =
        write_social_token_file(&fake, &home, "default", chrono::Duration::hours(1));
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let mut env = fake.gateway_env(&token_file);
    env.push(("KIRO_GATEWAY_PORT", port.to_string()));
    env.push(("KIRO_GATEWAY_API_KEY", "kgw_x_0123456789".into()));
    let home_path = home.path().to_path_buf();
    let out = tokio::task::spawn_blocking(move || {
        run_to_exit(&home_path, &env, &[], Duration::from_secs(15))
    })
    .await
    .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains(&format!("Port {port}")) && stderr.contains("in use"),
        "{stderr}"
    );
    let suggested: u16 = stderr
        .split("Use port ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("suggests a port: {stderr}"));
    assert!(
        std::net::TcpListener::bind(("127.0.0.1", suggested)).is_ok(),
        "the suggested port is free"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn doctor_passes_against_a_working_setup_and_fails_without_credentials() {
    let fake = FakeKiro::start(FakeConfig::default()).await;
    let home = TempHome::new();
    let (token_file, _) =
        write_social_token_file(&fake, &home, "default", chrono::Duration::minutes(-1));
    let mut env = fake.gateway_env(&token_file);
    env.push(("KIRO_GATEWAY_PORT", free_port().to_string()));
    let home_path = home.path().to_path_buf();
    let out = tokio::task::spawn_blocking(move || {
        run_to_exit(&home_path, &env, &["doctor"], Duration::from_secs(20))
    })
    .await
    .unwrap();
    let stdout = text(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}\n{}",
        text(&out.stderr)
    );
    assert!(stdout.contains("ok    credentials"), "{stdout}");
    assert!(
        stdout.contains("1 refresh(es) made"),
        "the expired token was refreshed: {stdout}"
    );
    assert!(stdout.contains("ok    Kiro API: reachable"), "{stdout}");
    assert_eq!(fake.refresh_calls(), 1);

    let empty = TempHome::new();
    let out = run_to_exit(empty.path(), &[], &["doctor"], Duration::from_secs(20));
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("FAIL  credentials") && stdout.contains("fix:"),
        "{stdout}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn models_lists_the_account_catalogue_with_client_ids() {
    let fake = FakeKiro::start(FakeConfig::default()).await;
    let home = TempHome::new();
    let (token_file, _) =
        write_social_token_file(&fake, &home, "default", chrono::Duration::hours(1));
    let env = fake.gateway_env(&token_file);
    let home_path = home.path().to_path_buf();
    let out = tokio::task::spawn_blocking(move || {
        run_to_exit(&home_path, &env, &["models"], Duration::from_secs(20))
    })
    .await
    .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let ids: Vec<&str> = stdout
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert!(ids.contains(&"claude-sonnet-4.5"), "{stdout}");
    assert!(
        ids.contains(&"auto-kiro"),
        "Kiro's auto is listed as auto-kiro: {stdout}"
    );
    assert!(!ids.contains(&"auto"), "{stdout}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_needs_no_key_and_shows_no_token_while_v1_needs_the_key() {
    let fake = FakeKiro::start(FakeConfig::default()).await;
    let home = TempHome::new();
    let (token_file, issued) =
        write_social_token_file(&fake, &home, "default", chrono::Duration::hours(1));
    let env = fake.gateway_env(&token_file);
    let home_path = home.path().to_path_buf();
    let gateway = tokio::task::spawn_blocking(move || GatewayProcess::start(&home_path, &env, &[]))
        .await
        .unwrap();
    let client = reqwest::Client::new();
    // Without the key: the status and nothing else (no paths, no counters).
    let anonymous = client
        .get(format!("{}/health", gateway.base_url))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 200);
    let anonymous: Value = anonymous.json().await.unwrap();
    assert_eq!(anonymous, serde_json::json!({"status": "ok"}));
    let wrong_key = client
        .get(format!("{}/health", gateway.base_url))
        .bearer_auth("kgw_wrong")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_key.json::<Value>().await.unwrap(), anonymous);

    let health = client
        .get(format!("{}/health", gateway.base_url))
        .bearer_auth(&gateway.api_key)
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    let raw = health.text().await.unwrap();
    assert!(!raw.contains(&issued.access_token));
    let health: Value = serde_json::from_str(&raw).unwrap();
    assert_eq!(health["status"], "ok");
    assert_eq!(health["version"], env!("CARGO_PKG_VERSION"));
    assert!(health["credentials"]["source"]
        .as_str()
        .unwrap()
        .contains("kiro-auth-token.json"));
    let expires_in = health["credentials"]["expires_in_seconds"]
        .as_i64()
        .unwrap();
    assert!((3000..=3600).contains(&expires_in), "{expires_in}");
    assert!(health["uptime_seconds"].is_u64());

    let unauthorized = client
        .get(format!("{}/v1/models", gateway.base_url))
        .send()
        .await
        .unwrap();
    assert_eq!(unauthorized.status(), 401);
    let body: Value = unauthorized.json().await.unwrap();
    assert_eq!(body["error"]["code"], "invalid_api_key");
    let stdout = gateway.stdout();
    assert!(
        stdout.contains(&format!("OpenAI base URL:    {}/v1", gateway.base_url)),
        "{stdout}"
    );
    assert!(
        stdout.contains("kiro-auth-token.json"),
        "prints the credential source: {stdout}"
    );
    assert!(!stdout.contains(&issued.access_token), "never a token");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_is_generated_on_first_run_kept_in_a_private_file_and_reused() {
    let fake = FakeKiro::start(FakeConfig::default()).await;
    let home = TempHome::new();
    let (token_file, _) =
        write_social_token_file(&fake, &home, "default", chrono::Duration::hours(1));
    let mut env = fake.gateway_env(&token_file);
    env.push(("KIRO_GATEWAY_API_KEY", String::new()));
    let home_path = home.path().to_path_buf();
    let first_env = env.clone();
    let first =
        tokio::task::spawn_blocking(move || GatewayProcess::start(&home_path, &first_env, &[]))
            .await
            .unwrap();
    let stdout = first.stdout();
    let key = stdout
        .lines()
        .find_map(|l| l.trim().strip_prefix("API key: "))
        .unwrap_or_else(|| panic!("the new key is printed once: {stdout}"))
        .to_owned();
    assert!(key.starts_with("kgw_"), "{key}");
    let file = home.path().join(".config/kiro-gateway/api-key");
    assert_eq!(std::fs::read_to_string(&file).unwrap().trim(), key);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
    let models = reqwest::Client::new()
        .get(format!("{}/v1/models", first.base_url))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(models.status(), 200);
    drop(first);

    let home_path = home.path().to_path_buf();
    let second = tokio::task::spawn_blocking(move || GatewayProcess::start(&home_path, &env, &[]))
        .await
        .unwrap();
    assert!(
        !second.stdout().contains(&key),
        "the key is printed only when it is new"
    );
    let models = reqwest::Client::new()
        .get(format!("{}/v1/models", second.base_url))
        .header("x-api-key", &key)
        .send()
        .await
        .unwrap();
    assert_eq!(models.status(), 200, "the same key works after a restart");
}
