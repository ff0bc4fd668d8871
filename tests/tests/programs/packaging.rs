//! The files in `packaging/` and the `Dockerfile`, checked as far as this machine allows:
//! the systemd user unit passes `systemd-analyze verify`; the launchd agent parses as a
//! property list and its command line, run as launchd would run it, starts the gateway with
//! the key from the env file; the container's own settings (its `ENV`, its health check) are
//! run with the real binary. No container engine runs here, so the image itself is not built
//! by the tests (the README says so).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use kiro_gateway_tests::fake::fixtures::{write_social_token_file, TempHome};
use kiro_gateway_tests::fake::{FakeConfig, FakeKiro};
use kiro_gateway_tests::gateway_process::{free_port, gateway_binary, run_to_exit};
use serde_json::Value;

const KEY: &str = "kgw_packaging_key_0123456789abcdef";

fn repo_file(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(path)
}

fn read(path: &str) -> String {
    std::fs::read_to_string(repo_file(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// A child process killed on drop.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Waits until `GET /health` on `port` answers 200, or the child exits.
fn wait_serving(child: &mut Child, port: u16) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if let Ok(Some(status)) = child.try_wait() {
            panic!("the gateway exited with {status}");
        }
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("the gateway did not start listening on {port}");
}

async fn models_status(port: u16, key: Option<&str>) -> u16 {
    let mut request = reqwest::Client::new().get(format!("http://127.0.0.1:{port}/v1/models"));
    if let Some(key) = key {
        request = request.bearer_auth(key);
    }
    request.send().await.unwrap().status().as_u16()
}

// ---- systemd ----

fn systemd_verify(unit: &str, dir: &Path) -> (bool, String) {
    let path = dir.join("kiro-gateway.service");
    std::fs::write(&path, unit).unwrap();
    let out = Command::new("systemd-analyze")
        .arg("verify")
        .arg(&path)
        .output()
        .expect("systemd-analyze (Debian package systemd) is installed");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), said)
}

#[test]
fn the_systemd_user_unit_passes_systemd_analyze_verify() {
    let unit = read("packaging/systemd/kiro-gateway.service");
    assert!(unit.contains("ExecStart=%h/.local/bin/kiro-gateway serve"));
    assert!(
        unit.contains("EnvironmentFile=%h/.config/kiro-gateway/kiro-gateway.env"),
        "the key comes from a private env file, so it is never printed to the journal"
    );
    // The verifier checks that the program exists: point it at the binary built here.
    let here = unit.replace(
        "%h/.local/bin/kiro-gateway",
        &gateway_binary().display().to_string(),
    );
    let dir = tempfile::tempdir().unwrap();
    let (ok, said) = systemd_verify(&here, dir.path());
    assert!(
        ok && said.trim().is_empty(),
        "systemd-analyze verify: {said}"
    );

    // The same check does complain about a broken unit (it is not a check that cannot fail).
    let broken = here.replace("Restart=on-failure", "Restart=sometimes");
    let (_, said) = systemd_verify(&broken, dir.path());
    assert!(said.contains("sometimes"), "{said}");
}

// ---- launchd ----

/// The property list as JSON, read by Python's `plistlib` (the reference parser on hand).
fn plist_as_json(path: &Path) -> Value {
    let out = Command::new("python3")
        .arg("-c")
        .arg(
            "import json, plistlib, sys; print(json.dumps(plistlib.load(open(sys.argv[1], 'rb'))))",
        )
        .arg(path)
        .output()
        .expect("python3");
    assert!(
        out.status.success(),
        "not a property list: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_launchd_agent_starts_the_gateway_with_the_key_from_its_env_file() {
    let plist = plist_as_json(&repo_file("packaging/launchd/dev.kiro-gateway.plist"));
    assert_eq!(plist["Label"], "dev.kiro-gateway");
    assert_eq!(plist["RunAtLoad"], true);
    assert_eq!(
        plist["KeepAlive"]["SuccessfulExit"], false,
        "restarted after a crash only"
    );
    assert!(plist["ThrottleInterval"].as_u64().unwrap() >= 10);
    assert!(
        plist.get("EnvironmentVariables").is_none(),
        "no key in the plist"
    );
    let args: Vec<&str> = plist["ProgramArguments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    assert_eq!(&args[..2], ["/bin/sh", "-c"]);
    let script = args[2].replace(
        "/usr/local/bin/kiro-gateway",
        &gateway_binary().display().to_string(),
    );

    // A user who followed the install comment: settings and key in the env file.
    let fake = FakeKiro::start(FakeConfig::default()).await;
    let home = TempHome::new();
    let (token_file, _) =
        write_social_token_file(&fake, &home, "default", chrono::Duration::hours(1));
    let port = free_port();
    let mut env_file = format!("KIRO_GATEWAY_API_KEY={KEY}\nKIRO_GATEWAY_PORT={port}\n");
    for (name, value) in fake.gateway_env(&token_file) {
        env_file.push_str(&format!("{name}={value}\n"));
    }
    let config_dir = home.path().join(".config/kiro-gateway");
    std::fs::create_dir_all(&config_dir).unwrap();
    std::fs::write(config_dir.join("kiro-gateway.env"), env_file).unwrap();

    // launchd runs the agent with HOME set and little else.
    let log = home.path().join("agent.log");
    let mut child = Running(
        Command::new(args[0])
            .args([args[1], script.as_str()])
            .env_clear()
            .env("HOME", home.path())
            .env("PATH", "/usr/bin:/bin:/usr/sbin:/sbin")
            .env("XDG_CONFIG_HOME", home.path().join(".config"))
            .env("XDG_DATA_HOME", home.path().join(".local/share"))
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&log).unwrap())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    wait_serving(&mut child.0, port);
    assert_eq!(models_status(port, Some(KEY)).await, 200);
    assert_eq!(models_status(port, None).await, 401);
    drop(child);
    let printed = std::fs::read_to_string(&log).unwrap();
    assert!(!printed.contains(KEY), "the key reached the agent's output");
}

#[test]
fn the_launchd_agent_without_its_env_file_exits_with_a_configuration_error() {
    let plist = plist_as_json(&repo_file("packaging/launchd/dev.kiro-gateway.plist"));
    let script = plist["ProgramArguments"][2].as_str().unwrap();
    let home = TempHome::new();
    let out = Command::new("/bin/sh")
        .args(["-c", script])
        .env_clear()
        .env("HOME", home.path())
        .env("PATH", "/usr/bin:/bin")
        .output()
        .unwrap();
    // EX_CONFIG: launchd logs it; KeepAlive restarts it at most every ThrottleInterval.
    assert_eq!(out.status.code(), Some(78));
}

// ---- the container image ----

/// One instruction of the Dockerfile's last stage: keyword and its text (continuations joined).
fn final_stage(dockerfile: &str) -> Vec<(String, String)> {
    let mut instructions = Vec::new();
    let mut current = String::new();
    for line in dockerfile.lines() {
        let line = line.trim();
        if current.is_empty() && (line.is_empty() || line.starts_with('#')) {
            continue;
        }
        match line.strip_suffix('\\') {
            Some(part) => current.push_str(&format!("{} ", part.trim())),
            None => {
                current.push_str(line);
                let (keyword, rest) = current.split_once(' ').unwrap_or((&current, ""));
                instructions.push((keyword.to_ascii_uppercase(), rest.trim().to_owned()));
                current.clear();
            }
        }
    }
    let last_from = instructions.iter().rposition(|(k, _)| k == "FROM").unwrap();
    instructions.split_off(last_from)
}

/// `ENV A=1 B=2` pairs of a stage.
fn stage_env(stage: &[(String, String)]) -> Vec<(String, String)> {
    stage
        .iter()
        .filter(|(k, _)| k == "ENV")
        .flat_map(|(_, rest)| rest.split_whitespace())
        .map(|pair| {
            let (k, v) = pair.split_once('=').expect("ENV key=value");
            (k.to_owned(), v.to_owned())
        })
        .collect()
}

fn instruction<'a>(stage: &'a [(String, String)], keyword: &str) -> &'a str {
    stage
        .iter()
        .find(|(k, _)| k == keyword)
        .map(|(_, rest)| rest.as_str())
        .unwrap_or_else(|| panic!("the final stage has no {keyword}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_container_settings_serve_with_a_key_and_its_health_check_tells_up_from_down() {
    let dockerfile = read("Dockerfile");
    let stages = dockerfile
        .lines()
        .filter(|l| l.trim_start().starts_with("FROM "))
        .count();
    assert!(
        stages >= 2,
        "multi-stage: the toolchain stays out of the image"
    );
    let stage = final_stage(&dockerfile);
    let user = instruction(&stage, "USER");
    assert!(
        !user.starts_with('0') && !user.starts_with("root"),
        "runs as an unprivileged user: {user}"
    );
    assert!(instruction(&stage, "HEALTHCHECK").ends_with(r#"CMD ["kiro-gateway", "healthcheck"]"#));
    assert_eq!(instruction(&stage, "ENTRYPOINT"), r#"["kiro-gateway"]"#);
    assert_eq!(instruction(&stage, "CMD"), r#"["serve"]"#);
    let env = stage_env(&stage);
    assert!(
        env.iter()
            .all(|(k, _)| !k.contains("KEY") && !k.contains("TOKEN")),
        "no secret baked into the image: {env:?}"
    );
    assert!(env.contains(&("KIRO_GATEWAY_HOST".into(), "0.0.0.0".into())));

    // The image's settings, on a free port, with a key given at `docker run`.
    let fake = FakeKiro::start(FakeConfig::default()).await;
    let home = TempHome::new();
    let (token_file, _) =
        write_social_token_file(&fake, &home, "default", chrono::Duration::hours(1));
    let port = free_port();
    let mut vars: Vec<(String, String)> = env
        .into_iter()
        .filter(|(k, _)| k != "HOME" && k != "KIRO_GATEWAY_PORT")
        .collect();
    vars.push(("KIRO_GATEWAY_PORT".into(), port.to_string()));
    vars.push(("KIRO_GATEWAY_API_KEY".into(), KEY.into()));
    for (name, value) in fake.gateway_env(&token_file) {
        vars.push((name.into(), value));
    }
    let command = |args: &[&str]| {
        let mut command = Command::new(gateway_binary());
        command
            .args(args)
            .env_clear()
            .env("HOME", home.path())
            .env("XDG_CONFIG_HOME", home.path().join(".config"))
            .env("XDG_DATA_HOME", home.path().join(".local/share"))
            .envs(vars.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        command
    };
    let healthy = |command: &mut Command| command.status().unwrap().success();

    assert!(
        !healthy(&mut command(&["healthcheck"])),
        "nothing is serving yet"
    );
    let mut server = Running(command(&["serve"]).spawn().unwrap());
    wait_serving(&mut server.0, port);
    assert!(healthy(&mut command(&["healthcheck"])));
    assert_eq!(models_status(port, Some(KEY)).await, 200);
    assert_eq!(models_status(port, None).await, 401);
    drop(server);
    assert!(
        !healthy(&mut command(&["healthcheck"])),
        "a stopped gateway is unhealthy"
    );
}

#[test]
fn the_container_settings_refuse_a_short_key() {
    let home = TempHome::new();
    let out = run_to_exit(
        home.path(),
        &[
            ("KIRO_GATEWAY_HOST", "0.0.0.0".into()),
            ("KIRO_GATEWAY_API_KEY", "short".into()),
        ],
        &["serve"],
        Duration::from_secs(10),
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("at least 24 characters"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
