//! The official `anthropic` Python SDK against the gateway (optional: skipped, with a
//! message, when `python3` or the `anthropic` package is missing).

mod anthropic_common;

use std::path::PathBuf;
use std::process::Command;

use anthropic_common::*;
use kiro_gateway_tests::fake::Script;

fn sdk_available() -> bool {
    Command::new("python3")
        .args(["-c", "import anthropic"])
        .output()
        .is_ok_and(|o| o.status.success())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_sdk_round_trip() {
    if !sdk_available() {
        eprintln!("skipped: python3 with the `anthropic` package is not installed");
        return;
    }
    let gw = start().await;
    gw.fake
        .push_script(Script::new().texts(&["Hello ", "from Kiro"]).trailers());
    gw.fake.push_script(
        Script::new()
            .texts(&["<thinking>", "Paris weather needed.", "</thinking>\n\n"])
            .text("Checking.")
            .tool_call("get_weather", "tooluse_sdk1", r#"{"city":"Paris"}"#, 2)
            .trailers(),
    );
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("sdk/anthropic_sdk_check.py");
    let base = gw.base.clone();
    let output = tokio::task::spawn_blocking(move || {
        Command::new("python3")
            .arg(script)
            .arg(base)
            .arg(KEY)
            .output()
            .expect("run python3")
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success() && stdout.contains("SDK OK"),
        "stdout:\n{stdout}\nstderr:\n{stderr}"
    );
    assert_eq!(gw.fake.chat_calls(), 2);
}
