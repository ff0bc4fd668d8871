//! Settings edited through `/admin/settings` by the real headless binary: parallel edits of
//! different fields never lose one (what was acknowledged is both in the file and in force),
//! and a start option always beats a saved setting — even one equal to the built-in default —
//! while the saved setting still applies where nothing was given.

use std::path::Path;
use std::time::Duration;

use kiro_gateway_tests::fake::fixtures::{write_social_token_file, TempHome};
use kiro_gateway_tests::fake::{FakeConfig, FakeKiro};
use kiro_gateway_tests::gateway_process::{free_port, run_to_exit, GatewayProcess};
use serde_json::{json, Value};

fn settings_file(home: &Path) -> std::path::PathBuf {
    home.join(".config/kiro-gateway/settings.toml")
}

async fn admin_settings(gateway: &GatewayProcess) -> Value {
    reqwest::Client::new()
        .get(format!("{}/admin/settings", gateway.base_url))
        .bearer_auth(&gateway.api_key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

async fn put(gateway: &GatewayProcess, patch: Value) -> (u16, Value) {
    let response = reqwest::Client::new()
        .put(format!("{}/admin/settings", gateway.base_url))
        .bearer_auth(&gateway.api_key)
        .json(&patch)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

async fn start(
    home: &TempHome,
    fake: &FakeKiro,
    extra: &[(&'static str, String)],
    args: &[&str],
) -> GatewayProcess {
    let (token_file, _) =
        write_social_token_file(fake, home, "default", chrono::Duration::hours(1));
    let mut env = fake.gateway_env(&token_file);
    env.extend(extra.iter().cloned());
    let path = home.path().to_path_buf();
    let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        GatewayProcess::start(&path, &env, &args)
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_edits_of_different_fields_all_land_in_the_file_and_in_force() {
    let fake = FakeKiro::start(FakeConfig::default()).await;
    let home = TempHome::new();
    let gateway = start(&home, &fake, &[], &[]).await;
    let levels = ["warn", "debug", "error", "info", "trace"];
    for round in 0..100 {
        let level = levels[round % levels.len()];
        let proxy = format!("http://proxy-{round}.example:3128");
        let (a, b) = tokio::join!(
            put(&gateway, json!({"log_level": level})),
            put(&gateway, json!({"proxy_url": proxy})),
        );
        assert_eq!(a.0, 200, "round {round}: {}", a.1);
        assert_eq!(b.0, 200, "round {round}: {}", b.1);
        let in_force = admin_settings(&gateway).await;
        assert_eq!(
            in_force["settings"]["log_level"], level,
            "round {round}: {in_force}"
        );
        assert_eq!(
            in_force["settings"]["proxy_url"], proxy,
            "round {round}: {in_force}"
        );
        let file = std::fs::read_to_string(settings_file(home.path())).unwrap();
        let saved: toml::Value = toml::from_str(&file).unwrap();
        assert_eq!(
            saved["log_level"].as_str(),
            Some(level),
            "round {round}: {file}"
        );
        assert_eq!(
            saved["proxy_url"].as_str(),
            Some(proxy.as_str()),
            "round {round}: {file}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_start_option_beats_a_saved_setting_even_when_it_equals_the_default() {
    let fake = FakeKiro::start(FakeConfig::default()).await;
    let home = TempHome::new();
    // Saved by the UI earlier: debug logging and a port.
    let saved_port = free_port();
    let first = start(&home, &fake, &[], &[]).await;
    let (status, answer) = put(&first, json!({"log_level": "debug"})).await;
    assert_eq!(status, 200, "{answer}");
    drop(first);
    let file = std::fs::read_to_string(settings_file(home.path())).unwrap();
    let mut saved: toml::Table = toml::from_str(&file).unwrap();
    saved.insert("port".into(), toml::Value::Integer(saved_port.into()));
    std::fs::write(settings_file(home.path()), toml::to_string(&saved).unwrap()).unwrap();

    // Nothing given: the saved settings apply (port and log level).
    let home_path = home.path().to_path_buf();
    let (token_file, _) =
        write_social_token_file(&fake, &home, "default", chrono::Duration::hours(1));
    let env = fake.gateway_env(&token_file);
    let plain = {
        let env = env.clone();
        let home_path = home_path.clone();
        tokio::task::spawn_blocking(move || {
            GatewayProcess::start_on(&home_path, &env, &[], saved_port)
        })
        .await
        .unwrap()
    };
    let in_force = admin_settings(&plain).await;
    assert_eq!(in_force["settings"]["port"], saved_port, "{in_force}");
    assert_eq!(in_force["settings"]["log_level"], "debug", "{in_force}");
    assert_eq!(in_force["shadowed"], json!([]));
    // The other commands read the saved settings too: `healthcheck` finds the gateway on
    // the saved port, not on the built-in 8000.
    let checked = {
        let env = env.clone();
        let home_path = home_path.clone();
        tokio::task::spawn_blocking(move || {
            run_to_exit(&home_path, &env, &["healthcheck"], Duration::from_secs(10))
        })
        .await
        .unwrap()
    };
    assert!(
        checked.status.success(),
        "healthcheck on the saved port: {}",
        String::from_utf8_lossy(&checked.stderr)
    );
    drop(plain);
    let stopped = run_to_exit(&home_path, &env, &["healthcheck"], Duration::from_secs(10));
    assert!(
        !stopped.status.success(),
        "nothing serves on the saved port now"
    );

    // `--log-level info` is the built-in default, and still beats the saved `debug`; the
    // environment's port beats the saved one. The admin API says which saved values are
    // shadowed, and the file keeps them.
    let explicit = start(&home, &fake, &[], &["--log-level", "info"]).await;
    let in_force = admin_settings(&explicit).await;
    assert_eq!(in_force["settings"]["log_level"], "info", "{in_force}");
    assert_ne!(in_force["settings"]["port"], saved_port);
    let shadowed: Vec<&str> = in_force["shadowed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(
        shadowed.contains(&"log_level") && shadowed.contains(&"port"),
        "{in_force}"
    );
    let file = std::fs::read_to_string(settings_file(home.path())).unwrap();
    assert!(
        file.contains("\"debug\""),
        "the saved value is kept: {file}"
    );
}

async fn chat(gateway: &GatewayProcess) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(format!("{}/v1/chat/completions", gateway.base_url))
        .bearer_auth(&gateway.api_key)
        .json(
            &json!({"model": "claude-sonnet-4.5", "messages": [{"role": "user", "content": "hi"}]}),
        )
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credit_caps_edited_in_settings_apply_at_once_and_after_a_restart() {
    let fake = FakeKiro::start(FakeConfig::default()).await;
    let home = TempHome::new();
    let gateway = start(&home, &fake, &[], &[]).await;
    assert_eq!(chat(&gateway).await.0, 200, "no cap yet");

    // A cap below what one answer costs, with pause: the next request is refused at once.
    let (status, answer) = put(
        &gateway,
        json!({"daily_credit_cap": "0.001", "pause_at_cap": true}),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["settings"]["daily_credit_cap"], 0.001, "{answer}");
    assert!(
        answer["applied"]
            .as_array()
            .unwrap()
            .contains(&json!("daily_credit_cap")),
        "{answer}"
    );
    let calls = fake.chat_calls();
    let (status, body) = chat(&gateway).await;
    assert_eq!(status, 429, "{body}");
    assert_eq!(body["error"]["code"], "credit_cap_reached", "{body}");
    assert_eq!(fake.chat_calls(), calls, "nothing reached Kiro");

    // Lifting the pause lets requests through again, still reporting the cap.
    let (status, answer) = put(&gateway, json!({"pause_at_cap": false})).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(chat(&gateway).await.0, 200);
    let (status, answer) = put(&gateway, json!({"daily_credit_cap": "none"})).await;
    assert_eq!(status, 400, "{answer}");
    assert_eq!(answer["field"], "daily_credit_cap", "{answer}");

    // The file keeps the cap, and the next start has it in force.
    drop(gateway);
    let file = std::fs::read_to_string(settings_file(home.path())).unwrap();
    let saved: toml::Value = toml::from_str(&file).unwrap();
    assert_eq!(saved["daily_credit_cap"].as_float(), Some(0.001), "{file}");
    let again = start(&home, &fake, &[], &[]).await;
    let in_force = admin_settings(&again).await;
    assert_eq!(
        in_force["settings"]["daily_credit_cap"], 0.001,
        "{in_force}"
    );
    assert_eq!(in_force["settings"]["pause_at_cap"], false, "{in_force}");
}
