//! The real `kiro-gateway` binary as a child process, for end-to-end tests.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The API key a gateway process gets unless its env names another.
pub const API_KEY: &str = "kgw_test_key_0123456789abcdef";

/// A running `kiro-gateway serve`, killed on drop. Its stdout and stderr are captured.
pub struct GatewayProcess {
    child: Child,
    pub base_url: String,
    pub api_key: String,
    stdout: Arc<Mutex<String>>,
    stderr: Arc<Mutex<String>>,
}

/// Path of the `kiro-gateway` binary built alongside the test binaries.
pub fn gateway_binary() -> PathBuf {
    let exe = std::env::current_exe().expect("current exe");
    let name = format!("kiro-gateway{}", std::env::consts::EXE_SUFFIX);
    // A test binary lives in target/<profile>/deps, a tool binary in target/<profile>.
    let dir = exe.parent().expect("exe dir");
    let binary = match dir.file_name().and_then(|n| n.to_str()) {
        Some("deps") => dir.parent().expect("target profile dir").join(&name),
        _ => dir.join(&name),
    };
    assert!(
        binary.exists(),
        "{} is missing: run the tests with `cargo test --workspace` (or build it with `cargo build -p kiro-gateway`)",
        binary.display()
    );
    binary
}

/// A port that was free a moment ago.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// The environment every test run gets: HOME and the XDG dirs inside `home`, PATH, and
/// `env` on top (an empty value unsets a key for the gateway's configuration).
fn base_env(home: &Path, env: &[(&str, String)]) -> HashMap<String, String> {
    let mut vars: HashMap<String, String> = HashMap::new();
    vars.insert("HOME".into(), home.display().to_string());
    vars.insert(
        "XDG_CONFIG_HOME".into(),
        home.join(".config").display().to_string(),
    );
    vars.insert(
        "XDG_DATA_HOME".into(),
        home.join(".local/share").display().to_string(),
    );
    vars.insert("PATH".into(), std::env::var("PATH").unwrap_or_default());
    for (k, v) in env {
        vars.insert((*k).to_owned(), v.clone());
    }
    vars
}

/// Run `kiro-gateway <args>` to completion (for `doctor`, `models`, start-up failures),
/// killing it after `timeout`.
pub fn run_to_exit(
    home: &Path,
    env: &[(&str, String)],
    args: &[&str],
    timeout: Duration,
) -> std::process::Output {
    let mut child = Command::new(gateway_binary())
        .args(args)
        .env_clear()
        .envs(base_env(home, env))
        .current_dir(home)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn kiro-gateway");
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    child.wait_with_output().expect("output")
}

impl GatewayProcess {
    /// Start the gateway with exactly `env` (plus PATH), on a free port, and wait until
    /// `/health` answers. `home` becomes HOME and the XDG dirs, so nothing of the real
    /// user's Kiro login or config is seen.
    pub fn start(home: &Path, env: &[(&str, String)], args: &[&str]) -> GatewayProcess {
        Self::start_command(Command::new(gateway_binary()), home, env, args)
    }

    /// Start the gateway without giving it a port (it takes the one its saved settings
    /// name) and wait until `/health` answers on `port`.
    pub fn start_on(
        home: &Path,
        env: &[(&str, String)],
        args: &[&str],
        port: u16,
    ) -> GatewayProcess {
        Self::spawn(Command::new(gateway_binary()), home, env, args, port, false)
    }

    /// [`GatewayProcess::start`] under an open-file limit (soft and hard) of `open_files`.
    #[cfg(unix)]
    pub fn start_with_open_file_limit(
        home: &Path,
        env: &[(&str, String)],
        args: &[&str],
        open_files: u64,
    ) -> GatewayProcess {
        let mut command = Command::new("sh");
        command
            .arg("-c")
            .arg(format!("ulimit -n {open_files} && exec \"$0\" \"$@\""))
            .arg(gateway_binary());
        Self::start_command(command, home, env, args)
    }

    fn start_command(
        command: Command,
        home: &Path,
        env: &[(&str, String)],
        args: &[&str],
    ) -> GatewayProcess {
        Self::spawn(command, home, env, args, free_port(), true)
    }

    fn spawn(
        mut command: Command,
        home: &Path,
        env: &[(&str, String)],
        args: &[&str],
        port: u16,
        give_port: bool,
    ) -> GatewayProcess {
        let api_key = env
            .iter()
            .rev()
            .find(|(k, v)| *k == "KIRO_GATEWAY_API_KEY" && !v.is_empty())
            .map_or_else(|| API_KEY.to_owned(), |(_, v)| v.clone());
        let mut defaults = vec![("KIRO_GATEWAY_API_KEY", api_key.clone())];
        if give_port {
            defaults.push(("KIRO_GATEWAY_PORT", port.to_string()));
        }
        defaults.extend(env.iter().cloned());
        let vars = base_env(home, &defaults);
        let mut child = command
            .args(args)
            .env_clear()
            .envs(&vars)
            .current_dir(home)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn kiro-gateway");
        let stdout = capture(child.stdout.take().expect("stdout"));
        let stderr = capture(child.stderr.take().expect("stderr"));
        let mut process = GatewayProcess {
            child,
            base_url: format!("http://127.0.0.1:{port}"),
            api_key,
            stdout,
            stderr,
        };
        process.wait_healthy(Duration::from_secs(20));
        process
    }

    fn wait_healthy(&mut self, within: Duration) {
        let deadline = Instant::now() + within;
        let url = format!("{}/health", self.base_url);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "kiro-gateway exited with {status}\nstdout:\n{}\nstderr:\n{}",
                    self.stdout(),
                    self.stderr()
                );
            }
            if probe::http_ok(&url).unwrap_or(false) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!(
            "kiro-gateway did not become healthy\nstderr:\n{}",
            self.stderr()
        );
    }

    /// The gateway's process id (for CPU and memory readings).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn stdout(&self) -> String {
        self.stdout.lock().unwrap().clone()
    }

    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// Send SIGTERM (graceful) and wait for the exit, at most `within`.
    #[cfg(unix)]
    pub fn terminate(&mut self, within: Duration) -> Option<std::process::ExitStatus> {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + within;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }
}

impl Drop for GatewayProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn capture(pipe: impl std::io::Read + Send + 'static) -> Arc<Mutex<String>> {
    let out = Arc::new(Mutex::new(String::new()));
    let sink = out.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(pipe).lines().map_while(Result::ok) {
            let mut s = sink.lock().unwrap();
            s.push_str(&line);
            s.push('\n');
        }
    });
    out
}

mod probe {
    /// A tiny blocking GET over std TCP (the tests crate's reqwest is async-only); `Ok(true)`
    /// when the answer is 200.
    pub fn http_ok(url: &str) -> std::io::Result<bool> {
        use std::io::{Read, Write};
        let rest = url.trim_start_matches("http://");
        let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
        let mut stream = std::net::TcpStream::connect(host)?;
        stream.set_read_timeout(Some(std::time::Duration::from_secs(2)))?;
        write!(
            stream,
            "GET /{path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
        )?;
        let mut buf = [0u8; 32];
        let n = stream.read(&mut buf)?;
        Ok(buf[..n].starts_with(b"HTTP/1.1 200"))
    }
}
