//! Running the real client programs of `tests/tests/clients/real_clients*.rs`: the pinned binaries
//! under `tests/clients/` (npm CLIs in `node_modules`, Python CLIs in their own venvs, all
//! installed by `scripts/test.sh`), the docs/clients.md snippets they are configured from,
//! and what the fake Kiro saw of them.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::fake::FakeKiro;
use crate::tool_loop::tool_results;

/// How long a client may run before the test gives up on it (a client that retries an
/// error for minutes is a failure, not a slow pass).
pub const CLIENT_DEADLINE: Duration = Duration::from_secs(120);

/// The gateway's defaults as docs/clients.md writes them, and the key placeholder.
pub const GUIDE_BASE: &str = "http://127.0.0.1:8000";
pub const GUIDE_KEY: &str = "<your gateway key>";

/// `tests/clients/`, where the pinned clients live.
pub fn clients_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("clients")
}

/// A pinned npm client binary (`tests/clients/package.json`); a missing one fails the test
/// with the command that installs it.
pub fn npm_client(name: &str) -> PathBuf {
    let path = clients_dir().join("node_modules/.bin").join(name);
    assert!(
        path.exists(),
        "{} is missing: install the pinned clients with `npm ci --prefix tests/clients` \
         (scripts/test.sh and CI do this)",
        path.display()
    );
    path
}

/// A pinned Python client binary from its own venv `tests/clients/venv-<venv>`, installed
/// from `tests/clients/<venv>-requirements.txt`; a missing one fails the test with the
/// commands that install it.
pub fn venv_client(venv: &str, name: &str) -> PathBuf {
    let path = clients_dir()
        .join(format!("venv-{venv}"))
        .join("bin")
        .join(name);
    assert!(
        path.exists(),
        "{} is missing: run scripts/test.sh, which installs it (or by hand: \
         `python3 -m venv tests/clients/venv-{venv} && tests/clients/venv-{venv}/bin/pip \
         install -r tests/clients/{venv}-requirements.txt`)",
        path.display()
    );
    path
}

/// Run a client to completion with exactly HOME, PATH, `TERM=dumb` and `env`, in `cwd`,
/// with no standard input, killing it after [`CLIENT_DEADLINE`].
pub fn run_client(
    bin: &Path,
    args: &[&str],
    home: &Path,
    cwd: &Path,
    env: &[(&str, String)],
) -> Output {
    run_client_with_input(bin, args, home, cwd, env, None)
}

/// [`run_client`] with `input` written to the client's standard input (then closed).
pub fn run_client_with_input(
    bin: &Path,
    args: &[&str],
    home: &Path,
    cwd: &Path,
    env: &[(&str, String)],
    input: Option<&str>,
) -> Output {
    let mut cmd = Command::new(bin);
    cmd.args(args)
        .env_clear()
        .env("HOME", home)
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("TERM", "dumb")
        .current_dir(cwd)
        .stdin(if input.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("spawn {}: {e}", bin.display()));
    if let Some(input) = input {
        let mut stdin = child.stdin.take().expect("piped stdin");
        stdin.write_all(input.as_bytes()).expect("write stdin");
    }
    let started = Instant::now();
    loop {
        if child.try_wait().expect("wait").is_some() {
            break;
        }
        if started.elapsed() > CLIENT_DEADLINE {
            let _ = child.kill();
            let out = child.wait_with_output().expect("output");
            panic!(
                "{} ran longer than {CLIENT_DEADLINE:?}\nstdout:\n{}\nstderr:\n{}",
                bin.display(),
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.wait_with_output().expect("output")
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Run a blocking client from an async test.
pub async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(f).await.expect("client thread")
}

/// The first fenced ```` ```lang ```` block after the docs/clients.md line that starts with
/// `marker`, with the guide's base URL and key placeholder replaced by `base` and `key`.
pub fn readme_snippet(marker: &str, lang: &str, base: &str, key: &str) -> String {
    let readme = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs/clients.md"),
    )
    .expect("docs/clients.md");
    let after = &readme[readme
        .find(&format!("\n{marker}"))
        .unwrap_or_else(|| panic!("docs/clients.md has no line starting with {marker:?}"))..];
    let fence = format!("```{lang}\n");
    let start = after.find(&fence).expect("a fenced block after the marker") + fence.len();
    let block = &after[start..];
    let block = &block[..block.find("```").expect("closing fence")];
    block.replace(GUIDE_BASE, base).replace(GUIDE_KEY, key)
}

/// The Kiro request bodies the fake received for chat calls.
pub fn chat_bodies(fake: &FakeKiro) -> Vec<Value> {
    fake.requests()
        .into_iter()
        .filter(|r| r.conversation_state().is_some())
        .filter_map(|r| r.json.clone())
        .collect()
}

/// Every tool result text the fake saw, over all chat calls.
pub fn all_tool_result_texts(fake: &FakeKiro) -> Vec<String> {
    chat_bodies(fake)
        .iter()
        .flat_map(tool_results)
        .filter_map(|r| r["text"].as_str().map(str::to_owned))
        .collect()
}

/// The Kiro model id of a chat request body.
pub fn model_id(body: &Value) -> Option<&str> {
    body.pointer("/conversationState/currentMessage/userInputMessage/modelId")
        .and_then(Value::as_str)
}
