//! The real llm, aider, OpenCode and Continue CLIs against an in-process gateway and the
//! fake Kiro, like `real_clients.rs` does for Claude Code and Codex. The npm CLIs
//! (OpenCode, Continue's `cn`) are pinned in `tests/clients/package.json`; the Python ones
//! (llm, aider) in `tests/clients/<name>-requirements.txt`, each installed in its own venv
//! `tests/clients/venv-<name>` (aider pins its own openai and pydantic); `scripts/test.sh`
//! installs them all. Each client runs with a throwaway HOME and only the configuration its
//! docs/clients.md snippet gives (read from that file, with the test gateway's URL and key
//! put in), so a snippet that stops working fails here. The fake plays the model: a scripted
//! tool loop ([`ToolLoop`]) or a scripted answer, so a pass means the client got the answer
//! through the gateway, ran its tool and sent the result back.

use crate::anthropic_common;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anthropic_common::{start, Gw, KEY};
use kiro_gateway_tests::fake::fixtures::TempHome;
use kiro_gateway_tests::fake::Script;
use kiro_gateway_tests::real_client::{
    all_tool_result_texts, blocking, chat_bodies, model_id, npm_client, readme_snippet, run_client,
    run_client_with_input, text, venv_client,
};
use kiro_gateway_tests::tool_loop::{declared_tools, Call, ToolLoop};
use serde_json::{json, Value};

/// The Kiro model every snippet names.
const KIRO_MODEL: &str = "claude-sonnet-4.5";

fn snippet(marker: &str, lang: &str, gw: &Gw) -> String {
    readme_snippet(marker, lang, &gw.base, KEY)
}

fn record_responder(gw: &Gw, tool_loop: ToolLoop) {
    gw.fake
        .set_responder(move |body| Some(tool_loop.reply(body)));
}

/// Every chat request that reached the fake asked for the snippet's model.
fn assert_all_went_to_the_snippets_model(gw: &Gw) {
    let bodies = chat_bodies(&gw.fake);
    assert!(!bodies.is_empty(), "no chat request reached the fake");
    let models: Vec<Option<&str>> = bodies.iter().map(model_id).collect();
    assert!(
        models.iter().all(|m| *m == Some(KIRO_MODEL)),
        "every request went to {KIRO_MODEL}: {models:?}"
    );
}

fn assert_success(name: &str, out: &std::process::Output) -> (String, String) {
    let stdout = text(&out.stdout);
    let stderr = text(&out.stderr);
    assert!(
        out.status.success(),
        "{name} failed ({})\nstdout:\n{stdout}\nstderr:\n{stderr}",
        out.status
    );
    (stdout, stderr)
}

// ---------------------------------------------------------------- llm

/// Set llm up as the guide says: the snippet into `extra-openai-models.yaml` in llm's
/// config folder (`dirname "$(llm logs path)"`), then `llm keys set kiro` with the key
/// typed on its prompt.
fn llm_setup(gw: &Gw, home: &Path) {
    let llm = venv_client("llm", "llm");
    let out = run_client(&llm, &["logs", "path"], home, home, &[]);
    let (stdout, _) = assert_success("llm logs path", &out);
    let folder = Path::new(stdout.trim())
        .parent()
        .expect("llm's logs path has a folder")
        .to_owned();
    assert!(
        folder.starts_with(home),
        "llm's folder is inside HOME: {}",
        folder.display()
    );
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(
        folder.join("extra-openai-models.yaml"),
        snippet("**llm**", "yaml", gw),
    )
    .unwrap();
    let out = run_client_with_input(
        &llm,
        &["keys", "set", "kiro"],
        home,
        home,
        &[],
        Some(&format!("{KEY}\n")),
    );
    assert_success("llm keys set kiro", &out);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn llm_prints_the_models_answer() {
    let gw = Arc::new(start().await);
    gw.fake.set_responder(|_| {
        Some(
            Script::new()
                .text("Hello from ")
                .text("Kiro through llm.")
                .trailers(),
        )
    });
    let home = TempHome::new();
    let home_path = home.path().to_owned();
    let g = gw.clone();
    let out = blocking(move || {
        llm_setup(&g, &home_path);
        let llm = venv_client("llm", "llm");
        run_client(
            &llm,
            &["-m", "kiro-sonnet", "Hello"],
            &home_path,
            &home_path,
            &[],
        )
    })
    .await;
    let (stdout, stderr) = assert_success("llm", &out);
    assert_eq!(
        stdout.trim(),
        "Hello from Kiro through llm.",
        "the answer is printed\nstderr:\n{stderr}"
    );
    assert_all_went_to_the_snippets_model(&gw);
    let bodies = chat_bodies(&gw.fake);
    assert_eq!(bodies.len(), 1, "one request: {bodies:?}");
    let content = bodies[0]
        .pointer("/conversationState/currentMessage/userInputMessage/content")
        .and_then(Value::as_str)
        .unwrap_or_default();
    assert!(
        content.contains("Hello"),
        "the prompt reached Kiro: {content}"
    );
}

/// llm's tool support (`--functions`): the model calls a Python function llm defines, llm
/// runs it and sends the result back, and prints the final answer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn llm_runs_a_function_tool_loop() {
    let gw = Arc::new(start().await);
    record_responder(
        &gw,
        ToolLoop::new(
            vec![Call::new("multiply", json!({"x": 34, "y": 87}))],
            "34 times 87 is 2958.",
        ),
    );
    let home = TempHome::new();
    let home_path = home.path().to_owned();
    let g = gw.clone();
    let out = blocking(move || {
        llm_setup(&g, &home_path);
        let llm = venv_client("llm", "llm");
        run_client(
            &llm,
            &[
                "-m",
                "kiro-sonnet",
                "--functions",
                "def multiply(x: int, y: int) -> int:\n    return x * y\n",
                "What is 34 times 87?",
            ],
            &home_path,
            &home_path,
            &[],
        )
    })
    .await;
    let (stdout, stderr) = assert_success("llm --functions", &out);
    assert!(
        stdout.contains("34 times 87 is 2958."),
        "final answer printed\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    let results = all_tool_result_texts(&gw.fake);
    assert!(
        results.iter().any(|t| t.trim() == "2958"),
        "llm ran multiply and sent its result back: {results:?}"
    );
    assert_all_went_to_the_snippets_model(&gw);
}

// ---------------------------------------------------------------- aider

/// The guide's aider snippet: its `export` lines and the arguments of its `aider` line.
fn aider_snippet(gw: &Gw) -> (Vec<(String, String)>, Vec<String>) {
    let snippet = snippet("**aider**", "sh", gw);
    let env: Vec<(String, String)> = snippet
        .lines()
        .filter_map(|l| l.strip_prefix("export "))
        .map(|l| {
            let (k, v) = l.split_once('=').expect("NAME=value");
            (k.to_owned(), v.to_owned())
        })
        .collect();
    let command = snippet.lines().last().expect("a command line");
    let mut words = command.split_whitespace().map(str::to_owned);
    assert_eq!(words.next().as_deref(), Some("aider"), "{snippet}");
    (env, words.collect())
}

/// `model_prices_and_context_window_backup.json` of the litellm in aider's venv.
fn litellm_model_list() -> PathBuf {
    let lib = venv_client("aider", "aider")
        .parent()
        .and_then(Path::parent)
        .expect("the venv")
        .join("lib");
    std::fs::read_dir(&lib)
        .expect("the venv's lib folder")
        .filter_map(Result::ok)
        .map(|python| {
            python
                .path()
                .join("site-packages/litellm/model_prices_and_context_window_backup.json")
        })
        .find(|p| p.exists())
        .unwrap_or_else(|| panic!("litellm's model list under {}", lib.display()))
}

const AIDER_TASK: &str = "In app.py, change the greeting to 'goodbye from kiro'.";

/// The scripted model's answer to aider's edit request, in the edit format aider's system
/// prompt asks for (as a real model does): a SEARCH/REPLACE block for the diff formats, the
/// whole file for "whole".
fn aider_edit(body: &Value) -> Script {
    let request = body.to_string();
    if !request.contains("goodbye from kiro") {
        return Script::new().text("ok").trailers();
    }
    let answer = if request.contains("SEARCH/REPLACE") {
        "I will change the greeting.\n\napp.py\n```python\n<<<<<<< SEARCH\ngreeting = \"hello\"\n=======\ngreeting = \"goodbye from kiro\"\n>>>>>>> REPLACE\n```\n"
    } else if request.contains("*file listing*") {
        "I will change the greeting.\n\napp.py\n```\ngreeting = \"goodbye from kiro\"\n```\n"
    } else {
        "I cannot tell which edit format aider wants."
    };
    // Streamed in two deltas, as a model's answer comes.
    let (a, b) = answer.split_at(answer.len() / 2);
    Script::new().text(a).text(b).trailers()
}

/// Run aider as the snippet says, plus `extra` and the flags of a non-interactive run, on a
/// one-line `app.py`, and check the model's edit landed in it; returns the gateway and aider's
/// stdout and stderr.
async fn aider_edit_run(extra: &'static [&'static str]) -> (Arc<Gw>, String, String) {
    let gw = Arc::new(start().await);
    gw.fake.set_responder(|body| Some(aider_edit(body)));
    let home = TempHome::new();
    let home_path = home.path().to_owned();
    let work = home.path().join("work");
    std::fs::create_dir_all(&work).unwrap();
    std::fs::write(work.join("app.py"), "greeting = \"hello\"\n").unwrap();
    // aider downloads litellm's model list from GitHub (unreachable here) unless its cache
    // has one: the copy litellm ships.
    let caches = home.path().join(".aider/caches");
    std::fs::create_dir_all(&caches).unwrap();
    std::fs::copy(
        litellm_model_list(),
        caches.join("model_prices_and_context_window.json"),
    )
    .unwrap();
    let g = gw.clone();
    let w = work.clone();
    let out = blocking(move || {
        let (snippet_env, snippet_args) = aider_snippet(&g);
        let mut env: Vec<(&str, String)> = snippet_env
            .iter()
            .map(|(k, v)| (k.as_str(), v.clone()))
            .collect();
        // litellm's model price list comes from GitHub unless told to use its own copy.
        env.push(("LITELLM_LOCAL_MODEL_COST_MAP", "True".to_owned()));
        let mut args: Vec<&str> = snippet_args.iter().map(String::as_str).collect();
        args.extend_from_slice(extra);
        args.extend([
            "--message",
            AIDER_TASK,
            "--yes-always",
            "--no-git",
            "--no-check-update",
            "--analytics-disable",
            "--no-show-release-notes",
            "app.py",
        ]);
        run_client(&venv_client("aider", "aider"), &args, &home_path, &w, &env)
    })
    .await;
    let (stdout, stderr) = assert_success("aider", &out);
    let edited = std::fs::read_to_string(work.join("app.py")).unwrap();
    assert_eq!(
        edited, "greeting = \"goodbye from kiro\"\n",
        "aider applied the model's edit\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    assert!(
        stdout.contains("Applied edit to app.py"),
        "aider reports the edit\nstdout:\n{stdout}"
    );
    assert_all_went_to_the_snippets_model(&gw);
    (gw, stdout, stderr)
}

/// The snippet as written: aider does not know `openai/claude-sonnet-4.5`, so it asks for
/// whole files ("whole" edit format).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aider_applies_the_models_edit_to_the_file() {
    aider_edit_run(&[]).await;
}

/// With `--edit-format diff` (what aider uses for the Claude models it knows) the model
/// answers with a SEARCH/REPLACE block.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aider_applies_a_search_replace_edit() {
    let (gw, stdout, _) = aider_edit_run(&["--edit-format", "diff"]).await;
    assert!(
        stdout.contains("with diff edit format"),
        "aider used the diff format\nstdout:\n{stdout}"
    );
    assert!(
        chat_bodies(&gw.fake)
            .iter()
            .any(|b| b.to_string().contains("SEARCH/REPLACE")),
        "aider asked the model for SEARCH/REPLACE blocks"
    );
}

// ---------------------------------------------------------------- OpenCode

/// Keep OpenCode off the network beyond the gateway: no models.dev catalogue (unreachable
/// here; OpenCode logs the failure and goes on), no update check, no npm install of its
/// plugin SDK into the config folder.
fn opencode_env() -> Vec<(&'static str, String)> {
    vec![
        ("OPENCODE_DISABLE_MODELS_FETCH", "1".to_owned()),
        ("OPENCODE_DISABLE_AUTOUPDATE", "1".to_owned()),
        ("OPENCODE_PURE", "1".to_owned()),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn opencode_runs_a_write_and_a_bash_tool_loop() {
    let gw = Arc::new(start().await);
    let home = TempHome::new();
    let work = home.path().join("work");
    std::fs::create_dir_all(&work).unwrap();
    let note = work.join("note.txt");
    record_responder(
        &gw,
        ToolLoop::new(
            vec![
                Call::new(
                    "write",
                    json!({"filePath": note.display().to_string(), "content": "written by opencode\n"}),
                ),
                Call::new(
                    "bash",
                    json!({"command": "echo opencode-bash-$((40+2))", "description": "Print a marker"}),
                ),
            ],
            "The file is written and the command ran. All done.",
        ),
    );
    std::fs::write(
        work.join("opencode.json"),
        snippet("**OpenCode**", "json", &gw),
    )
    .unwrap();
    let home_path = home.path().to_owned();
    let w = work.clone();
    let out = blocking(move || {
        run_client(
            &npm_client("opencode"),
            &[
                "run",
                "Write note.txt, then run `echo opencode-bash-42` with the bash tool.",
            ],
            &home_path,
            &w,
            &opencode_env(),
        )
    })
    .await;
    let (stdout, stderr) = assert_success("opencode", &out);
    assert!(
        stdout.contains("All done."),
        "final answer printed\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    assert_eq!(
        std::fs::read_to_string(&note).ok().as_deref(),
        Some("written by opencode\n"),
        "OpenCode's write tool wrote the file\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    let results = all_tool_result_texts(&gw.fake);
    assert!(
        results.iter().any(|t| t.contains("opencode-bash-42")),
        "OpenCode ran bash and sent its output back: {results:?}"
    );
    assert_all_went_to_the_snippets_model(&gw);
}

// ---------------------------------------------------------------- Continue

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn continue_cli_runs_a_bash_tool_loop() {
    let gw = Arc::new(start().await);
    record_responder(
        &gw,
        ToolLoop::new(
            vec![Call::new(
                "Bash",
                json!({"command": "echo continue-bash-$((40+2))"}),
            )],
            "The command printed the marker. All done.",
        ),
    );
    let home = TempHome::new();
    let work = home.path().join("work");
    std::fs::create_dir_all(&work).unwrap();
    std::fs::create_dir_all(home.path().join(".continue")).unwrap();
    std::fs::write(
        home.path().join(".continue/config.yaml"),
        snippet("**Continue**", "yaml", &gw),
    )
    .unwrap();
    let home_path = home.path().to_owned();
    let w = work.clone();
    let out = blocking(move || {
        run_client(
            &npm_client("cn"),
            &[
                "-p",
                "Run `echo continue-bash-42` with the Bash tool.",
                "--allow",
                "Bash",
            ],
            &home_path,
            &w,
            &[("CONTINUE_CLI_ENABLE_TELEMETRY", "0".to_owned())],
        )
    })
    .await;
    let (stdout, stderr) = assert_success("cn", &out);
    assert!(
        stdout.contains("All done."),
        "final answer printed\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    let results = all_tool_result_texts(&gw.fake);
    assert!(
        results.iter().any(|t| t.contains("continue-bash-42")),
        "cn ran Bash and sent its output back: {results:?}\nstdout:\n{stdout}\nstderr:\n{stderr}\ntools: {:?}",
        chat_bodies(&gw.fake).first().map(declared_tools)
    );
    assert_all_went_to_the_snippets_model(&gw);
}
