//! A credential write killed at any moment leaves the old file or the new one, never a torn
//! one: `credential-writer` rewrites a 64 KiB token file in a tight loop through the gateway's
//! `write_json_atomically`, and is SIGKILLed at varied moments.

use std::time::Duration;

use serde_json::Value;

#[test]
fn a_writer_killed_mid_write_never_leaves_a_broken_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kiro-auth-token.json");
    std::fs::write(
        &path,
        r#"{"accessToken":"access-0","refreshToken":"refresh-0"}"#,
    )
    .unwrap();
    let mut last_generation = 0u64;
    for round in 0..20u64 {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_credential-writer"))
            .arg(&path)
            .spawn()
            .expect("spawn credential-writer");
        std::thread::sleep(Duration::from_millis(40 + (round * 53) % 170));
        child.kill().expect("SIGKILL");
        child.wait().unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let value: Value = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("round {round}: torn file ({} bytes): {e}", text.len()));
        let access = value["accessToken"].as_str().expect("accessToken");
        let refresh = value["refreshToken"].as_str().expect("refreshToken");
        let generation: u64 = access.trim_start_matches("access-").parse().unwrap();
        assert_eq!(
            refresh,
            format!("refresh-{generation}"),
            "fields of one version, never mixed"
        );
        last_generation = last_generation.max(generation);
    }
    assert!(last_generation > 0, "the writer did write");
}
