//! The official `anthropic` Python SDK against the gateway: messages, streaming, token
//! counting, typed errors, the model listing (`client.models.list()`) and a spent quota.
//! Needs `python3` with the pinned SDK (`python3 -m pip install -r tests/sdk/requirements.txt`,
//! which `scripts/test.sh` does); without it the test fails and says so.

use crate::anthropic_common;

use std::path::PathBuf;
use std::process::Command;

use anthropic_common::*;
use kiro_gateway_tests::fake::Script;

/// Fails the test, with the fix, when `python3` or the `anthropic` package is missing.
fn require_sdk() {
    const FIX: &str = "install Python 3 and the pinned SDKs: python3 -m pip install -r tests/sdk/requirements.txt (scripts/test.sh does it)";
    match Command::new("python3")
        .args(["-c", "import anthropic"])
        .output()
    {
        Err(err) => panic!("python3 cannot be run ({err}): {FIX}"),
        Ok(out) if !out.status.success() => panic!(
            "the `anthropic` Python package is missing: {FIX}\n{}",
            String::from_utf8_lossy(&out.stderr)
        ),
        Ok(_) => {}
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_sdk_round_trip() {
    require_sdk();
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
    // The third chat call meets a spent allowance.
    gw.fake.push_script(Script::http_error(
        402,
        r#"{"__type":"com.amazon.kiro.runtimeservice#ServiceQuotaExceededException","message":"You have reached the limit.","reason":"MONTHLY_REQUEST_COUNT"}"#,
    ));
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
    // Two answers and one quota error, which the SDK (default retries) did not retry.
    assert_eq!(
        gw.fake.chat_calls(),
        3,
        "stdout:\n{stdout}\nstderr:\n{stderr}"
    );
    assert_eq!(gw.fake.pending_scripts(), 0);
}
