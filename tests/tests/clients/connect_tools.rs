//! "Connect a tool" as a user meets it: the real `kiro-gateway serve` in a fresh HOME (its
//! key generated and kept in the key file), one admin call per client, then the pinned real
//! Claude Code and Codex CLIs (`npm ci --prefix tests/clients`) with nothing but HOME and
//! PATH, so only the files the gateway wrote can send them to it; undo puts the files back
//! byte for byte.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use kiro_gateway_tests::fake::fixtures::{write_social_token_file, TempHome};
use kiro_gateway_tests::fake::{FakeConfig, FakeKiro, Script};
use kiro_gateway_tests::gateway_process::GatewayProcess;
use kiro_gateway_tests::harness::Harness;
use serde_json::{json, Value};

const ANSWER: &str = "Connected through the gateway.";
const CLIENT_DEADLINE: Duration = Duration::from_secs(120);
/// A Codex config the user had before: it must survive the connect and come back exactly.
const CODEX_BEFORE: &str = "# my Codex settings\n[history]\npersistence = \"none\"\n";

fn clients_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("clients/node_modules/.bin")
}

fn client_bin(name: &str) -> PathBuf {
    let path = clients_bin().join(name);
    assert!(
        path.exists(),
        "{} is missing: install the pinned clients with `npm ci --prefix tests/clients`",
        path.display()
    );
    path
}

/// Run a client with exactly HOME and PATH, killing it after [`CLIENT_DEADLINE`].
fn run_client(bin: &Path, args: &[&str], home: &Path) -> Output {
    let mut child = Command::new(bin)
        .args(args)
        .env_clear()
        .env("HOME", home)
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .current_dir(home)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn client");
    let started = Instant::now();
    while child.try_wait().expect("wait").is_none() {
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

struct Admin {
    base: String,
    key: String,
    http: reqwest::Client,
}

impl Admin {
    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.key);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("gateway answers");
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        let json = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
        (status, json)
    }
}

fn client<'a>(overview: &'a Value, id: &str) -> &'a Value {
    overview["clients"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("{id} listed: {overview}"))
}

fn chat_requests(fake: &FakeKiro) -> usize {
    fake.requests()
        .iter()
        .filter(|r| r.conversation_state().is_some())
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_click_connects_claude_code_and_codex_and_undo_restores_their_files() {
    let claude = client_bin("claude");
    let codex = client_bin("codex");
    let fake = FakeKiro::start(FakeConfig::default()).await;
    fake.set_responder(|_| Some(Script::new().text(ANSWER).trailers()));
    let home = TempHome::new();
    let (token_file, _) =
        write_social_token_file(&fake, &home, "default", chrono::Duration::hours(1));
    let codex_config = home.path().join(".codex/config.toml");
    std::fs::create_dir_all(codex_config.parent().unwrap()).unwrap();
    std::fs::write(&codex_config, CODEX_BEFORE).unwrap();
    let claude_settings = home.path().join(".claude/settings.json");

    let path = std::env::join_paths(std::iter::once(clients_bin()).chain(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    )))
    .unwrap();
    let env = vec![
        ("KIRO_CREDS_FILE", token_file.display().to_string()),
        ("KIRO_API_URL", fake.runtime_url()),
        ("KIRO_MANAGEMENT_URL", fake.management_url()),
        ("KIRO_REFRESH_URL", fake.refresh_url()),
        ("KIRO_OIDC_URL", fake.oidc_url()),
        // No configured key: the gateway makes one and keeps it in its key file, where
        // `kiro-gateway api-key` finds it again.
        ("KIRO_GATEWAY_API_KEY", String::new()),
        ("PATH", path.to_string_lossy().into_owned()),
    ];
    let home_path = home.path().to_path_buf();
    let gateway = tokio::task::spawn_blocking(move || GatewayProcess::start(&home_path, &env, &[]))
        .await
        .unwrap();
    let key = std::fs::read_to_string(home.path().join(".config/kiro-gateway/api-key"))
        .expect("the generated key is in the key file")
        .trim()
        .to_owned();
    let admin = Admin {
        base: gateway.base_url.clone(),
        key,
        http: reqwest::Client::new(),
    };

    // What the Connect view shows before anything is written.
    let (status, overview) = admin
        .call(
            reqwest::Method::GET,
            "/admin/connect?model=claude-sonnet-4.5",
            None,
        )
        .await;
    assert_eq!(status, 200, "{overview}");
    assert_eq!(overview["key"], "helper", "{overview}");
    for id in ["claude-code", "codex"] {
        let c = client(&overview, id);
        assert_eq!(c["installed"], true, "{c}");
        assert_eq!(c["connected"], false, "{c}");
        assert!(
            c["command"]
                .as_str()
                .unwrap()
                .starts_with(clients_bin().to_str().unwrap()),
            "{c}"
        );
    }
    let codex_preview = client(&overview, "codex")["preview"][0]["diff"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        codex_preview.contains("+model_provider = \"kiro\""),
        "{codex_preview}"
    );
    assert!(
        codex_preview.contains(" [history]"),
        "the user's table stays: {codex_preview}"
    );
    assert!(
        !claude_settings.exists()
            && std::fs::read_to_string(&codex_config).unwrap() == CODEX_BEFORE
    );

    // One click each.
    for id in ["claude-code", "codex"] {
        let (status, done) = admin
            .call(
                reqwest::Method::POST,
                &format!("/admin/connect/{id}"),
                Some(json!({"model": "claude-sonnet-4.5"})),
            )
            .await;
        assert_eq!(status, 200, "{done}");
        assert_eq!(done["key"], "helper", "{done}");
        assert!(
            !done["files"][0]["diff"].as_str().unwrap().is_empty(),
            "{done}"
        );
    }
    let settings = std::fs::read_to_string(&claude_settings).unwrap();
    assert!(settings.contains("\"apiKeyHelper\""), "{settings}");
    assert!(
        !settings.contains(&admin.key),
        "no key in the file: {settings}"
    );
    let toml = std::fs::read_to_string(&codex_config).unwrap();
    assert!(!toml.contains(&admin.key), "no key in the file: {toml}");

    // The real CLIs, with nothing but HOME and PATH.
    let home_path = home.path().to_path_buf();
    let out = tokio::task::spawn_blocking(move || {
        run_client(
            &claude,
            &["-p", "Say hi.", "--output-format", "text"],
            &home_path,
        )
    })
    .await
    .unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(
        out.status.success(),
        "claude failed\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    assert!(
        stdout.contains(ANSWER),
        "claude printed the answer\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    let after_claude = chat_requests(&fake);
    assert!(
        after_claude >= 1,
        "Claude Code reached Kiro through the gateway"
    );

    let home_path = home.path().to_path_buf();
    let out = tokio::task::spawn_blocking(move || {
        run_client(
            &codex,
            &["exec", "--skip-git-repo-check", "Say hi."],
            &home_path,
        )
    })
    .await
    .unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(
        out.status.success(),
        "codex failed\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    assert!(
        stdout.contains(ANSWER),
        "codex printed the answer\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    assert!(
        chat_requests(&fake) > after_claude,
        "Codex reached Kiro through the gateway"
    );

    let (_, overview) = admin
        .call(reqwest::Method::GET, "/admin/connect", None)
        .await;
    for id in ["claude-code", "codex"] {
        let c = client(&overview, id);
        assert_eq!(c["connected"], true, "{c}");
        assert_eq!(c["undo_available"], true, "{c}");
    }

    // Undo: Claude Code's file did not exist, Codex's comes back byte for byte.
    for id in ["claude-code", "codex"] {
        let (status, undone) = admin
            .call(
                reqwest::Method::POST,
                &format!("/admin/connect/{id}/undo"),
                None,
            )
            .await;
        assert_eq!(status, 200, "{undone}");
    }
    assert!(
        !claude_settings.exists(),
        "undo removes the file it created"
    );
    assert_eq!(
        std::fs::read(&codex_config).unwrap(),
        CODEX_BEFORE.as_bytes()
    );
    let (status, again) = admin
        .call(reqwest::Method::POST, "/admin/connect/codex/undo", None)
        .await;
    assert_eq!(status, 409, "{again}");
    assert_eq!(again["code"], "not_connected", "{again}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_get_typed_errors() {
    let gateway = Harness::process().start().await;
    let admin = Admin {
        base: gateway.base.clone(),
        key: gateway.key.clone(),
        http: reqwest::Client::new(),
    };
    let cases = [
        ("/admin/connect/vim", json!({}), 404, "unknown_client"),
        ("/admin/connect/cursor", json!({}), 409, "manual_only"),
        (
            "/admin/connect/codex",
            json!({"model": "claude-opus-9"}),
            400,
            "unknown_model",
        ),
        (
            "/admin/connect/codex",
            json!({"model": 7}),
            400,
            "invalid_field",
        ),
    ];
    for (path, body, status, code) in cases {
        let (got, answer) = admin.call(reqwest::Method::POST, path, Some(body)).await;
        assert_eq!(
            (got, answer["code"].as_str()),
            (status, Some(code)),
            "{path}: {answer}"
        );
    }
    // A key given with KIRO_GATEWAY_API_KEY is not what `kiro-gateway api-key` reads in
    // the client's environment, so the key is written into the file instead.
    let (_, overview) = admin
        .call(reqwest::Method::GET, "/admin/connect", None)
        .await;
    assert_eq!(overview["key"], "in_file", "{overview}");
    assert!(
        !gateway.home.path().join(".codex").exists(),
        "nothing written by errors"
    );
}
