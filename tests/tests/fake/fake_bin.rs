//! The `fake-kiro` binary prints usable env lines and serves until stopped.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

#[tokio::test]
async fn binary_prints_env_and_serves() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_fake-kiro"))
        .args(["--port", "0", "--token-dir"])
        .arg(dir.path())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut env = std::collections::HashMap::new();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    while let Some(Ok(line)) = lines.next() {
        if let Some((k, v)) = line.split_once('=') {
            env.insert(k.to_string(), v.to_string());
            if k == "KIRO_CREDS_FILE" {
                break;
            }
        }
    }
    for k in [
        "KIRO_API_URL",
        "KIRO_MANAGEMENT_URL",
        "KIRO_REFRESH_URL",
        "KIRO_OIDC_URL",
        "PROFILE_ARN",
    ] {
        assert!(env.contains_key(k), "{k} missing: {env:?}");
    }
    let creds: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&env["KIRO_CREDS_FILE"]).unwrap()).unwrap();
    let r = reqwest::Client::new()
        .post(&env["KIRO_REFRESH_URL"])
        .json(&serde_json::json!({"refreshToken": creds["refreshToken"]}))
        .send()
        .await
        .unwrap();
    let status = r.status();
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(status, 200);
}
