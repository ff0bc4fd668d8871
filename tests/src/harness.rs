//! A gateway in front of the fake Kiro, for the end-to-end tests: the fake, a temp home
//! with a social token file, and the gateway, either assembled in this process or the real
//! `kiro-gateway` binary as a child process.
//!
//! ```ignore
//! let gw = Harness::in_process().config(|c| c.cut_off_recovery = false).start().await;
//! let r = Harness::process().env(&[("KIRO_GATEWAY_LOG_LEVEL", "debug")]).start().await;
//! r.post_chat(&body).await;
//! ```

use std::path::PathBuf;
use std::sync::Arc;

use kiro_gateway::app::AppState;
use kiro_gateway::config::Config;
use kiro_gateway::gateway::Gateway;
use kiro_gateway::logs::Redactor;
use kiro_gateway::secrets::Secret;
use kiro_gateway::server::Controller;
use serde_json::Value;

use crate::fake::fixtures::{write_social_token_file, TempHome};
use crate::fake::{FakeConfig, FakeKiro, IssuedToken};
use crate::gateway_process::GatewayProcess;

/// The API key a gateway gets unless [`Harness::key`] names another.
pub const KEY: &str = crate::gateway_process::API_KEY;

enum Mode {
    InProcess,
    Process,
}

type ConfigAdjust = Box<dyn FnOnce(&mut Config) + Send>;

/// How to start a gateway; [`Harness::start`] starts it.
pub struct Harness {
    mode: Mode,
    fake: Option<FakeKiro>,
    fake_config: FakeConfig,
    key: String,
    token_ttl: chrono::Duration,
    settings_toml: Option<String>,
    config: Option<ConfigAdjust>,
    env: Vec<(String, String)>,
    args: Vec<String>,
    open_files: Option<u64>,
}

impl Harness {
    /// `Gateway::assemble` and a `Controller` on a random port, in this process.
    pub fn in_process() -> Harness {
        Harness::new(Mode::InProcess)
    }

    /// The real `kiro-gateway` binary (`cargo build --bins` first) on a free port.
    pub fn process() -> Harness {
        Harness::new(Mode::Process)
    }

    fn new(mode: Mode) -> Harness {
        Harness {
            mode,
            fake: None,
            fake_config: FakeConfig::default(),
            key: KEY.to_owned(),
            token_ttl: chrono::Duration::hours(1),
            settings_toml: None,
            config: None,
            env: Vec::new(),
            args: Vec::new(),
            open_files: None,
        }
    }

    /// Start the fake with `config` (default: `FakeConfig::default()`).
    pub fn fake_config(mut self, config: FakeConfig) -> Harness {
        self.fake_config = config;
        self
    }

    /// Use a fake the caller already started (and prepared, e.g. with injected replies for
    /// the gateway's start-up calls).
    pub fn fake(mut self, fake: FakeKiro) -> Harness {
        self.fake = Some(fake);
        self
    }

    pub fn key(mut self, key: &str) -> Harness {
        self.key = key.to_owned();
        self
    }

    /// How long the access token in the token file lives (negative: already expired).
    pub fn token_ttl(mut self, ttl: chrono::Duration) -> Harness {
        self.token_ttl = ttl;
        self
    }

    /// Saved settings (`~/.config/kiro-gateway/settings.toml`) written before the start.
    pub fn settings_toml(mut self, toml: &str) -> Harness {
        self.settings_toml = Some(toml.to_owned());
        self
    }

    /// Change the `Config` before assembly (in process only).
    pub fn config(mut self, adjust: impl FnOnce(&mut Config) + Send + 'static) -> Harness {
        self.config = Some(Box::new(adjust));
        self
    }

    /// Extra environment for the binary, after the fake's URLs (process only).
    pub fn env(mut self, env: &[(&str, &str)]) -> Harness {
        self.env
            .extend(env.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
        self
    }

    /// Command-line arguments for the binary (process only).
    pub fn args(mut self, args: &[&str]) -> Harness {
        self.args.extend(args.iter().map(|a| (*a).to_owned()));
        self
    }

    /// Run the binary under this open-file limit, soft and hard (process only, unix).
    pub fn open_file_limit(mut self, open_files: u64) -> Harness {
        self.open_files = Some(open_files);
        self
    }

    /// Start the fake (unless given), write the token file, start the gateway and wait
    /// until it answers.
    pub async fn start(self) -> Running {
        let fake = match self.fake {
            Some(fake) => fake,
            None => FakeKiro::start(self.fake_config).await,
        };
        let home = TempHome::new();
        if let Some(toml) = &self.settings_toml {
            let dir = home.path().join(".config/kiro-gateway");
            std::fs::create_dir_all(&dir).expect("config dir");
            std::fs::write(dir.join("settings.toml"), toml).expect("settings.toml");
        }
        let (token_file, issued) = write_social_token_file(&fake, &home, "default", self.token_ttl);
        let (base, gateway) = match self.mode {
            Mode::InProcess => {
                assert!(
                    self.env.is_empty() && self.args.is_empty() && self.open_files.is_none(),
                    "env, args and the open-file limit are for a gateway process"
                );
                let mut config = Config {
                    port: 0,
                    creds_file: Some(token_file.clone()),
                    api_url: Some(fake.runtime_url()),
                    management_url: Some(fake.management_url()),
                    refresh_url: Some(fake.refresh_url()),
                    oidc_url: Some(fake.oidc_url()),
                    ..Config::default()
                };
                if let Some(adjust) = self.config {
                    adjust(&mut config);
                }
                let gateway =
                    Gateway::assemble(config, Some(Secret::new(self.key.clone())), Redactor::new())
                        .await
                        .expect("gateway assembles");
                let controller = Controller::new(kiro_gateway::routes(Default::default()));
                let addr = controller
                    .start(gateway.state.clone())
                    .await
                    .expect("gateway binds");
                (
                    format!("http://{addr}"),
                    Started::InProcess {
                        gateway,
                        controller,
                    },
                )
            }
            Mode::Process => {
                assert!(
                    self.config.is_none(),
                    "a gateway process is configured with env"
                );
                let mut env = vec![("KIRO_GATEWAY_API_KEY".to_owned(), self.key.clone())];
                env.extend(
                    fake.gateway_env(&token_file)
                        .into_iter()
                        .map(|(k, v)| (k.to_owned(), v)),
                );
                env.extend(self.env);
                let (args, open_files) = (self.args, self.open_files);
                let home_path = home.path().to_path_buf();
                let process = tokio::task::spawn_blocking(move || {
                    let env: Vec<(&str, String)> =
                        env.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
                    let args: Vec<&str> = args.iter().map(String::as_str).collect();
                    match open_files {
                        #[cfg(unix)]
                        Some(n) => {
                            GatewayProcess::start_with_open_file_limit(&home_path, &env, &args, n)
                        }
                        #[cfg(not(unix))]
                        Some(_) => panic!("open-file limits need unix"),
                        None => GatewayProcess::start(&home_path, &env, &args),
                    }
                })
                .await
                .expect("gateway start");
                (process.base_url.clone(), Started::Process(process))
            }
        };
        Running {
            fake,
            base,
            key: self.key,
            gateway,
            home,
            token_file,
            issued,
        }
    }
}

enum Started {
    InProcess {
        gateway: Gateway,
        controller: Arc<Controller>,
    },
    Process(GatewayProcess),
}

/// A started gateway, the fake it talks to and its home; all dropped together (the process
/// is killed).
pub struct Running {
    pub fake: FakeKiro,
    /// `http://127.0.0.1:<port>`
    pub base: String,
    pub key: String,
    gateway: Started,
    pub home: TempHome,
    pub token_file: PathBuf,
    /// The access token written into the token file.
    pub issued: IssuedToken,
}

impl Running {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// `GET path` with the key as a bearer token.
    pub async fn get(&self, path: &str) -> reqwest::Response {
        reqwest::Client::new()
            .get(self.url(path))
            .bearer_auth(&self.key)
            .send()
            .await
            .expect("gateway answers")
    }

    /// `POST path` with a JSON body and the key as a bearer token.
    pub async fn post(&self, path: &str, body: &Value) -> reqwest::Response {
        reqwest::Client::new()
            .post(self.url(path))
            .bearer_auth(&self.key)
            .json(body)
            .send()
            .await
            .expect("gateway answers")
    }

    /// `POST path` with raw bytes as `application/json` and the key as a bearer token.
    pub async fn post_raw(&self, path: &str, body: Vec<u8>) -> reqwest::Response {
        reqwest::Client::new()
            .post(self.url(path))
            .bearer_auth(&self.key)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .expect("gateway answers")
    }

    /// `POST /v1/chat/completions`, authenticated.
    pub async fn post_chat(&self, body: &Value) -> reqwest::Response {
        self.post_raw("/v1/chat/completions", body.to_string().into_bytes())
            .await
    }

    /// `POST path` the way Anthropic's clients send it: `x-api-key` and `anthropic-version`.
    pub async fn post_anthropic(&self, path: &str, body: &Value) -> reqwest::Response {
        reqwest::Client::new()
            .post(self.url(path))
            .header("x-api-key", &self.key)
            .header("anthropic-version", "2023-06-01")
            .json(body)
            .send()
            .await
            .expect("gateway answers")
    }

    /// `POST /v1/messages`, the Anthropic way.
    pub async fn messages(&self, body: &Value) -> reqwest::Response {
        self.post_anthropic("/v1/messages", body).await
    }

    /// A non-streaming `/v1/messages` call: status and JSON body.
    pub async fn message_json(&self, body: &Value) -> (u16, Value) {
        let response = self.messages(body).await;
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        let json = serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"));
        (status, json)
    }

    /// The assembled gateway (in process only).
    pub fn gateway(&self) -> &Gateway {
        match &self.gateway {
            Started::InProcess { gateway, .. } => gateway,
            Started::Process(_) => panic!("a gateway process has no state here"),
        }
    }

    /// The running gateway's state (in process only).
    pub fn state(&self) -> &Arc<AppState> {
        &self.gateway().state
    }

    /// The controller serving it (in process only).
    pub fn controller(&self) -> &Arc<Controller> {
        match &self.gateway {
            Started::InProcess { controller, .. } => controller,
            Started::Process(_) => panic!("a gateway process has no controller here"),
        }
    }

    /// The child process (process only).
    pub fn process(&self) -> &GatewayProcess {
        match &self.gateway {
            Started::Process(process) => process,
            Started::InProcess { .. } => panic!("an in-process gateway has no process"),
        }
    }

    pub fn process_mut(&mut self) -> &mut GatewayProcess {
        match &mut self.gateway {
            Started::Process(process) => process,
            Started::InProcess { .. } => panic!("an in-process gateway has no process"),
        }
    }

    /// What the process printed so far.
    pub fn stdout(&self) -> String {
        self.process().stdout()
    }

    pub fn stderr(&self) -> String {
        self.process().stderr()
    }

    pub fn pid(&self) -> u32 {
        self.process().pid()
    }

    /// SIGTERM the process and wait for its exit, at most `within`.
    #[cfg(unix)]
    pub fn terminate(&mut self, within: std::time::Duration) -> Option<std::process::ExitStatus> {
        self.process_mut().terminate(within)
    }
}
