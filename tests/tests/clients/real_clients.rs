//! The real Claude Code and Codex CLIs (pinned in `tests/clients/package.json`, installed
//! by `npm ci --prefix tests/clients`) against an in-process gateway and the fake Kiro.
//! Each client runs with a throwaway HOME and only the configuration the "Connect your tool"
//! snippets of docs/clients.md give (read from that file, so a snippet that stops working fails here);
//! the fake plays the model with a scripted tool loop ([`ToolLoop`]), so a pass means the
//! client really called its tool, got the result back through the gateway and finished.

use crate::anthropic_common;

use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::Arc;

use anthropic_common::{start, Gw, KEY};
use kiro_gateway_tests::fake::fixtures::TempHome;
use kiro_gateway_tests::fake::Script;
use kiro_gateway_tests::real_client::{self, blocking, clients_dir, npm_client, run_client, text};
use kiro_gateway_tests::tool_loop::{Call, ToolLoop};
use serde_json::{json, Value};

/// A pinned npm client binary; a missing one fails the test with the command that installs it.
fn client_bin(name: &str) -> PathBuf {
    npm_client(name)
}

/// The docs/clients.md snippet after `marker`, for the test gateway.
fn readme_snippet(marker: &str, lang: &str, gw: &Gw) -> String {
    real_client::readme_snippet(marker, lang, &gw.base, KEY)
}

fn chat_bodies(gw: &Gw) -> Vec<Value> {
    real_client::chat_bodies(&gw.fake)
}

fn all_tool_result_texts(gw: &Gw) -> Vec<String> {
    real_client::all_tool_result_texts(&gw.fake)
}

fn record_responder(gw: &Gw, tool_loop: ToolLoop) {
    gw.fake
        .set_responder(move |body| Some(tool_loop.reply(body)));
}

/// The fake answers every chat call with Kiro's 402 "allowance spent".
fn exhaust_quota(gw: &Gw) {
    gw.fake.set_responder(|_| {
        Some(Script::http_error(
            402,
            r#"{"__type":"com.amazon.kiro.runtimeservice#ServiceQuotaExceededException","message":"You have reached the limit.","reason":"MONTHLY_REQUEST_COUNT"}"#,
        ))
    });
}

// ---------------------------------------------------------------- Claude Code

/// The environment of the guide's Claude Code snippet (its `export` lines).
fn claude_env(gw: &Gw) -> Vec<(String, String)> {
    let snippet = readme_snippet("**Claude Code**", "sh", gw);
    assert_eq!(snippet.lines().last(), Some("claude"), "{snippet}");
    let env: Vec<(String, String)> = snippet
        .lines()
        .filter_map(|l| l.strip_prefix("export "))
        .map(|l| {
            let (k, v) = l.split_once('=').expect("NAME=value");
            (k.to_owned(), v.trim_matches('\'').to_owned())
        })
        .collect();
    assert!(env.iter().any(|(k, _)| k == "ANTHROPIC_MODEL"), "{snippet}");
    env
}

fn run_claude(gw: &Gw, home: &Path, prompt: &str, extra: &[&str]) -> Output {
    run_claude_with_model(gw, home, None, prompt, extra)
}

/// `model`: replaces the snippet's `ANTHROPIC_MODEL`, as the guide tells 1 M-window users to.
fn run_claude_with_model(
    gw: &Gw,
    home: &Path,
    model: Option<&str>,
    prompt: &str,
    extra: &[&str],
) -> Output {
    let bin = client_bin("claude");
    let mut env: Vec<(&str, String)> = vec![
        // No telemetry or update checks from the test machine.
        ("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1".to_owned()),
        ("DISABLE_AUTOUPDATER", "1".to_owned()),
    ];
    let snippet_env = claude_env(gw);
    env.extend(snippet_env.iter().map(|(k, v)| {
        let v = match (k.as_str(), model) {
            ("ANTHROPIC_MODEL", Some(m)) => m.to_owned(),
            _ => v.clone(),
        };
        (k.as_str(), v)
    }));
    let mut args = vec!["-p", prompt, "--output-format", "text"];
    args.extend_from_slice(extra);
    run_client(&bin, &args, home, home, &env)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn claude_code_runs_a_bash_tool_loop() {
    claude_bash_tool_loop(None).await;
}

/// Claude Code 2.1.197 talks differently to newer models: `role: "system"` items inside
/// `messages`, adaptive thinking, `output_config.effort`, `context_management`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn claude_code_runs_a_bash_tool_loop_on_a_1m_opus() {
    let gw = claude_bash_tool_loop(Some("claude-opus-4-8[1m]")).await;
    let bodies = chat_bodies(&gw);
    assert!(
        bodies.iter().all(|b| {
            b.pointer("/conversationState/currentMessage/userInputMessage/modelId")
                .and_then(Value::as_str)
                == Some("claude-opus-4.8")
        }),
        "every request went to Opus 4.8: {bodies:?}"
    );
}

async fn claude_bash_tool_loop(model: Option<&'static str>) -> Arc<Gw> {
    let gw = start().await;
    record_responder(
        &gw,
        ToolLoop::new(
            vec![Call::new(
                "Bash",
                json!({"command": "echo claude-bash-$((40+2))", "description": "Print a marker"}),
            )],
            "The command printed the marker. All done.",
        ),
    );
    let home = TempHome::new();
    let home_path = home.path().to_owned();
    let gw = Arc::new(gw);
    let g = gw.clone();
    let out = blocking(move || {
        run_claude_with_model(
            &g,
            &home_path,
            model,
            "Run `echo claude-bash-42` with the Bash tool.",
            &["--allowedTools", "Bash"],
        )
    })
    .await;
    let stdout = text(&out.stdout);
    let stderr = text(&out.stderr);
    assert!(
        out.status.success(),
        "claude failed\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    assert!(
        stdout.contains("All done."),
        "final answer printed\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    let results = all_tool_result_texts(&gw);
    assert!(
        results.iter().any(|t| t.contains("claude-bash-42")),
        "Claude Code ran Bash and sent its output back: {results:?}"
    );
    assert!(
        !format!("{stdout}{stderr}")
            .to_lowercase()
            .contains("retired"),
        "no model warning: {stdout}{stderr}"
    );
    gw
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn claude_code_stops_after_one_request_when_the_quota_is_used_up() {
    let gw = start().await;
    exhaust_quota(&gw);
    let home = TempHome::new();
    let home_path = home.path().to_owned();
    let gw = Arc::new(gw);
    let g = gw.clone();
    let out = blocking(move || run_claude(&g, &home_path, "Say hi.", &[])).await;
    let stdout = text(&out.stdout);
    let stderr = text(&out.stderr);
    assert!(
        !out.status.success(),
        "claude must fail\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    let shown = format!("{stdout}{stderr}");
    assert!(
        shown.to_lowercase().contains("quota") || shown.to_lowercase().contains("credits"),
        "the user is told the quota is used up: {shown}"
    );
    assert_eq!(
        chat_bodies(&gw).len(),
        1,
        "exactly one request reached Kiro (no retries)\n{shown}"
    );
}

// ---------------------------------------------------------------- Codex

/// `~/.codex/config.toml` as the guide's Codex snippet writes it, plus the echo MCP server.
fn codex_config(gw: &Gw, mcp_log: &Path) -> String {
    let snippet = readme_snippet("**Codex**", "toml", gw);
    format!(
        r#"{snippet}
[mcp_servers.echo]
command = "python3"
args = ["{server}"]
env = {{ ECHO_MCP_LOG = "{log}" }}
"#,
        server = clients_dir().join("echo_mcp.py").display(),
        log = mcp_log.display(),
    )
}

fn run_codex(gw: &Gw, home: &Path, work: &Path, prompt: &str) -> Output {
    let bin = client_bin("codex");
    let mcp_log = home.join("mcp-calls.jsonl");
    std::fs::create_dir_all(home.join(".codex")).unwrap();
    std::fs::write(home.join(".codex/config.toml"), codex_config(gw, &mcp_log)).unwrap();
    let env = vec![("KIRO_GATEWAY_API_KEY", KEY.to_owned())];
    run_client(
        &bin,
        &[
            "exec",
            "--skip-git-repo-check",
            "--sandbox",
            "danger-full-access",
            prompt,
        ],
        home,
        work,
        &env,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn codex_runs_an_mcp_tool_and_a_shell_tool_loop() {
    let gw = start().await;
    record_responder(
        &gw,
        ToolLoop::new(
            vec![
                Call::new("mcp__echo__echo", json!({"text": "hello from kiro"})),
                Call::new("exec_command", json!({"cmd": "echo codex-shell-$((40+2))"})),
            ],
            "Both tools ran. All done.",
        ),
    );
    let home = TempHome::new();
    let home_path = home.path().to_owned();
    let work = home.path().join("work");
    std::fs::create_dir_all(&work).unwrap();
    let gw = Arc::new(gw);
    let g = gw.clone();
    let out = blocking(move || {
        run_codex(
            &g,
            &home_path,
            &work,
            "Echo 'hello from kiro' with the echo MCP tool, then run `echo codex-shell-42`.",
        )
    })
    .await;
    let stdout = text(&out.stdout);
    let stderr = text(&out.stderr);
    assert!(
        out.status.success(),
        "codex failed\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    assert!(
        stdout.contains("All done."),
        "final answer printed\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    let mcp_calls =
        std::fs::read_to_string(home.path().join("mcp-calls.jsonl")).unwrap_or_default();
    assert!(
        mcp_calls.contains("hello from kiro"),
        "Codex called the MCP server's echo tool: {mcp_calls:?}\nstderr:\n{stderr}"
    );
    let results = all_tool_result_texts(&gw);
    assert!(
        results.iter().any(|t| t.contains("echo: hello from kiro")),
        "the MCP result went back to Kiro: {results:?}"
    );
    assert!(
        results.iter().any(|t| t.contains("codex-shell-42")),
        "Codex ran the shell command and sent its output back: {results:?}"
    );
    // The namespaced MCP tool reached Kiro flat, and only once.
    let bodies = chat_bodies(&gw);
    let declared = kiro_gateway_tests::tool_loop::declared_tools(bodies.last().unwrap());
    assert_eq!(
        declared.iter().filter(|t| *t == "mcp__echo__echo").count(),
        1,
        "{declared:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn codex_stops_after_one_request_when_the_quota_is_used_up() {
    let gw = start().await;
    exhaust_quota(&gw);
    let home = TempHome::new();
    let home_path = home.path().to_owned();
    let work = home.path().join("work");
    std::fs::create_dir_all(&work).unwrap();
    let gw = Arc::new(gw);
    let g = gw.clone();
    let out = blocking(move || run_codex(&g, &home_path, &work, "Say hi.")).await;
    let stdout = text(&out.stdout);
    let stderr = text(&out.stderr);
    let shown = format!("{stdout}{stderr}");
    assert!(!out.status.success(), "codex must fail\n{shown}");
    assert!(
        shown.to_lowercase().contains("quota"),
        "the user is told the quota is used up: {shown}"
    );
    assert_eq!(
        chat_bodies(&gw).len(),
        1,
        "exactly one request reached Kiro (no retries)\n{shown}"
    );
}
