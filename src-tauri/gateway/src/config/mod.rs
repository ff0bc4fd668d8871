//! Gateway configuration: defaults < TOML file < `.env` in the working directory <
//! environment < CLI flags, validated with errors that name the key, the value and what is
//! allowed.
//!
//! CONTRACT: the fields of [`Config`] and the signature of [`Config::load`] are used by the
//! rest of the crate.
//!
//! # Keys
//!
//! | Config field | TOML key | Environment (also read from `.env`) | CLI flag | Default | Allowed |
//! |---|---|---|---|---|---|
//! | `host` | `host` | `KIRO_GATEWAY_HOST` | `--host` | `127.0.0.1` | IP address, or `localhost` (= 127.0.0.1) |
//! | `port` | `port` | `KIRO_GATEWAY_PORT` | `--port`, `-p` | `8000` | 0-65535; 0 = any free port |
//! | `api_key` | `api_key` | `KIRO_GATEWAY_API_KEY`, alias `PROXY_API_KEY` | `--api-key` | keyring / file / generated | 1-512 visible ASCII chars (secret) |
//! | `no_auth` | `no_auth` | `KIRO_GATEWAY_NO_AUTH` | `--no-auth` | `false` | bool (`true/false/1/0/yes/no/on/off`); loopback host only |
//! | `creds_file` | `creds_file` | `KIRO_CREDS_FILE` | `--creds-file` | discovery | path (`~` expanded) |
//! | `cli_db_file` | `cli_db_file` | `KIRO_CLI_DB_FILE` | `--cli-db-file` | discovery | path (`~` expanded) |
//! | `cut_off_recovery` | `cut_off_recovery` | `KIRO_GATEWAY_CUT_OFF_RECOVERY` | — | `true` | bool |
//! | `completion_rule` | `completion_rule` | `KIRO_COMPLETION_RULE` | — | `strict` | `strict` / `tolerant` |
//! | `identity_sanitising` | `identity_sanitising` | `KIRO_GATEWAY_IDENTITY_SANITISING` | — | `true` | bool (`on` / `off`) |
//! | `daily_credit_cap` | `daily_credit_cap` | `KIRO_GATEWAY_DAILY_CREDIT_CAP` | — | none | credits > 0 |
//! | `monthly_credit_cap` | `monthly_credit_cap` | `KIRO_GATEWAY_MONTHLY_CREDIT_CAP` | — | none | credits > 0 |
//! | `pause_at_cap` | `pause_at_cap` | `KIRO_GATEWAY_PAUSE_AT_CAP` | — | `false` | bool |
//! | `credits_file` | `credits_file` | `KIRO_GATEWAY_CREDITS_FILE` | — | `<data dir>/kiro-gateway/credits.json` (`Config::default()`: none, kept in memory) | path (`~` expanded) |
//! | `refresh_token` | `refresh_token` | `REFRESH_TOKEN` | — | none | visible ASCII (secret) |
//! | `profile_arn` | `profile_arn` | `PROFILE_ARN` | — | none | `arn:aws:codewhisperer:<region>:<account>:profile/<id>` |
//! | `region` | `region` | `KIRO_REGION` | — | none | `^[a-z]{2}(-[a-z]+)+-\d+$` |
//! | `api_region` | `api_region` | `KIRO_API_REGION` | — | none | as `region`; pins the Kiro API region |
//! | `api_url` | `api_url` | `KIRO_API_URL` | — | derived | `http(s)://` URL, trailing `/` dropped |
//! | `management_url` | `management_url` | `KIRO_MANAGEMENT_URL` | — | derived | `http(s)://` URL, trailing `/` dropped |
//! | `refresh_url` | `refresh_url` | `KIRO_REFRESH_URL` | — | derived | `http(s)://` URL |
//! | `oidc_url` | `oidc_url` | `KIRO_OIDC_URL` | — | derived | `http(s)://` URL |
//! | `proxy_url` | `proxy_url` | `VPN_PROXY_URL`; fallback `HTTPS_PROXY`, `https_proxy`, `ALL_PROXY`, `all_proxy` | — | none | `http`, `https`, `socks5`, `socks5h` URL |
//! | `connect_timeout` | `connect_timeout` | `KIRO_CONNECT_TIMEOUT` | — | `10` | seconds 1-3600 |
//! | `headers_timeout` | `headers_timeout` | `KIRO_HEADERS_TIMEOUT` | — | `30` | seconds 1-3600 |
//! | `first_token_timeout` | `first_token_timeout` | `FIRST_TOKEN_TIMEOUT` | — | `15` | seconds 1-3600 |
//! | `first_token_retries` | `first_token_retries` | `FIRST_TOKEN_MAX_RETRIES` | — | `2` | 0-10 |
//! | `streaming_read_timeout` | `streaming_read_timeout` | `STREAMING_READ_TIMEOUT` | — | `300` | seconds 1-3600 |
//! | `max_attempts` | `max_attempts` | `KIRO_MAX_ATTEMPTS` | — | `3` | 1-10 |
//! | `max_429_retries` | `max_429_retries` | `KIRO_MAX_429_RETRIES` | — | `2` | 0-10 |
//! | `max_payload_bytes` | `max_payload_bytes` | `KIRO_MAX_PAYLOAD_BYTES` | — | per model: 1 250 000 per 200 000 tokens of window, at least 1 250 000 | 1024-104857600 |
//! | `max_request_body_bytes` | `max_body_bytes` | `KIRO_GATEWAY_MAX_BODY_BYTES` | — | `20971520` | 1024-1073741824 |
//! | `max_connections` | `max_connections` | `KIRO_GATEWAY_MAX_CONNECTIONS` | — | `2048` | 1-100000; also kept below half the open-file limit |
//! | `header_read_timeout` | `header_read_timeout` | `KIRO_GATEWAY_HEADER_READ_TIMEOUT` | — | `10` | seconds 1-3600 |
//! | `idle_timeout` | `idle_timeout` | `KIRO_GATEWAY_IDLE_TIMEOUT` | — | `75` | seconds 1-3600 |
//! | `client_write_timeout` | `client_write_timeout` | `KIRO_GATEWAY_CLIENT_WRITE_TIMEOUT` | — | `60` | seconds 1-3600 |
//! | `log_level` | `log_level` | `KIRO_GATEWAY_LOG_LEVEL` | `--log-level` | `info` | `EnvFilter` directives; bare words must be levels |
//! | `allowed_hosts` | `allowed_hosts` | `KIRO_GATEWAY_ALLOWED_HOSTS` | — | none | comma-separated host names (`*.` prefix for subdomains) accepted in `Host` besides loopback and IP addresses |
//! | `metrics_open` | `metrics_open` | `KIRO_GATEWAY_METRICS_OPEN` | — | `false` | bool; `GET /metrics` without the API key; loopback host only |
//! | `debug_mode` | `debug_mode` | `KIRO_GATEWAY_DEBUG_MODE`, alias `DEBUG_MODE` | — | `off` | `off`, `errors`, `all` |
//! | `debug_dump_dir` | `debug_dump_dir` | `KIRO_GATEWAY_DEBUG_DUMP_DIR` | — | `<data dir>/kiro-gateway/debug-dumps` (`Config::default()`: none, no dumps) | path (`~` expanded) |
//! | `debug_dump_max_count` | `debug_dump_max_count` | `KIRO_GATEWAY_DEBUG_DUMP_MAX_COUNT` | — | `50` | 1-10000 |
//! | `debug_dump_max_bytes` | `debug_dump_max_bytes` | `KIRO_GATEWAY_DEBUG_DUMP_MAX_BYTES` | — | `104857600` | 65536-10737418240 |
//! | `check_updates` | `check_updates` | `KIRO_GATEWAY_CHECK_UPDATES` | — | `true` | bool; asks `update_feed` at start and daily |
//! | `update_feed` | `update_feed` | `KIRO_GATEWAY_UPDATE_FEED` | — | the build's (`KIRO_GATEWAY_RELEASE_FEED` at build time; none from source) | `http(s)://` URL of a release manifest |
//! | `update_public_key` | `update_public_key` | `KIRO_GATEWAY_UPDATE_PUBLIC_KEY` | — | the build's (`KIRO_GATEWAY_RELEASE_PUBLIC_KEY` at build time) | minisign public key |
//! | `config_file` | — | — | `--config` | OS config dir `kiro-gateway/config.toml` | existing file if named explicitly |
//!
//! # Rules
//!
//! - Precedence, lowest to highest: defaults < the conventional proxy variables
//!   (`HTTPS_PROXY`, `ALL_PROXY`, ...; a value without a scheme gets `http://`) < TOML file <
//!   `.env` < environment < CLI flags.
//! - Within `.env` + environment, a more specific name beats an alias in either of them
//!   (`KIRO_GATEWAY_API_KEY` in `.env` beats `PROXY_API_KEY` in the environment); for the
//!   same name the environment beats `.env`.
//! - An empty value (`KEY=`) means "not set" in every layer.
//! - A missing `.env` or default TOML file is fine; a missing `--config` file is an error.
//!   Unknown TOML keys are errors (with the list of known keys); tables/arrays are errors.
//! - Paths: a leading `~` is the home directory; relative paths in the TOML file are relative
//!   to the file's directory, in `.env` to the `.env` directory, otherwise to the working
//!   directory.
//! - Errors name the key as spelled where it came from (`PROXY_API_KEY`, `api_key`,
//!   `--api-key`); secret values are shown as `***`, proxy passwords as `user:***@`.

pub(crate) mod keys;
mod layers;
#[cfg(test)]
mod tests;
mod validate;

use std::fmt;
use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

pub use validate::{
    BODY_BYTES_RANGE, CONNECTIONS_RANGE, MAX_RETRIES, MAX_TIMEOUT_SECS, PAYLOAD_BYTES_RANGE,
};

use crate::debug_dump::DumpMode;
use crate::secrets::Secret;

/// The validated configuration. `Debug` shows secrets as `***` and masks a proxy password.
#[derive(Clone)]
pub struct Config {
    /// `KIRO_GATEWAY_HOST` (default 127.0.0.1).
    pub host: IpAddr,
    /// `KIRO_GATEWAY_PORT` (default 8000; 0 = let the OS pick a free port, for tests).
    pub port: u16,
    /// `KIRO_GATEWAY_API_KEY` (alias `PROXY_API_KEY`). `None` = resolve from the secret store.
    pub api_key: Option<Secret<String>>,
    /// `--no-auth` (only allowed on loopback binds).
    pub no_auth: bool,

    /// `KIRO_CREDS_FILE`
    pub creds_file: Option<PathBuf>,
    /// `KIRO_CLI_DB_FILE`
    pub cli_db_file: Option<PathBuf>,
    /// The Kiro login chosen in the app (`settings.toml` only; explicit sources win).
    pub kiro_login: Option<String>,
    /// Credits spent per day (`crate::credit_ledger`); `None` keeps them in memory only.
    pub credits_file: Option<PathBuf>,
    /// `KIRO_GATEWAY_CUT_OFF_RECOVERY` (default true): after Kiro cut an answer off, the
    /// conversation's next request tells the model so (`crate::cut_offs`).
    pub cut_off_recovery: bool,
    /// `KIRO_COMPLETION_RULE`: which trailer events mark an answer as complete.
    pub completion_rule: crate::convert::trailer::CompletionRule,
    /// `KIRO_GATEWAY_IDENTITY_SANITISING` (default true): answers do not introduce the model
    /// as the Kiro IDE nor list the IDE's tools, and a client system prompt is said to take
    /// precedence (`crate::convert::identity`, docs/identity.md).
    pub identity_sanitising: bool,
    /// `daily_credit_cap`, `monthly_credit_cap`, `pause_at_cap`.
    pub credit_caps: crate::credit_caps::CreditCaps,
    /// `REFRESH_TOKEN`
    pub refresh_token: Option<Secret<String>>,
    /// `PROFILE_ARN`
    pub profile_arn: Option<String>,
    /// `KIRO_REGION`
    pub region: Option<String>,
    /// `KIRO_API_REGION`: the region of the runtime and management hosts, whatever the
    /// credentials say (e.g. GovCloud, or a stored region without Kiro hosts).
    pub api_region: Option<String>,

    /// `KIRO_API_URL`: runtime base URL; `None` = `https://runtime.{apiRegion}.kiro.dev`.
    pub api_url: Option<String>,
    /// `KIRO_MANAGEMENT_URL`: `None` = `https://management.{apiRegion}.kiro.dev`.
    pub management_url: Option<String>,
    /// `KIRO_REFRESH_URL`: full URL; `None` = `https://prod.{authRegion}.auth.desktop.kiro.dev/refreshToken`.
    pub refresh_url: Option<String>,
    /// `KIRO_OIDC_URL`: full URL; `None` = `https://oidc.{ssoRegion}.amazonaws.com/token`.
    pub oidc_url: Option<String>,

    /// `VPN_PROXY_URL`, else `HTTPS_PROXY` / `https_proxy` (http://, https://, socks5://, socks5h://).
    pub proxy_url: Option<String>,
    /// `KIRO_CONNECT_TIMEOUT` seconds (default 10): TCP + TLS (+ proxy) connect to Kiro.
    pub connect_timeout: Duration,
    /// `KIRO_HEADERS_TIMEOUT` seconds (default 30): from sending a chat request until Kiro's
    /// response headers arrive.
    pub headers_timeout: Duration,
    /// `FIRST_TOKEN_TIMEOUT` seconds (default 15): from the response headers until the
    /// first event.
    pub first_token_timeout: Duration,
    /// `FIRST_TOKEN_MAX_RETRIES` (default 2): resends after a headers or first-token timeout.
    pub first_token_retries: u32,
    /// `STREAMING_READ_TIMEOUT` seconds (default 300): silence allowed between upstream
    /// events (bytes that do not complete an event do not count).
    pub streaming_read_timeout: Duration,
    /// `KIRO_MAX_ATTEMPTS` (default 3): attempts for 5xx / connect errors.
    pub max_attempts: u32,
    /// `KIRO_MAX_429_RETRIES` (default 2).
    pub max_429_retries: u32,
    /// `KIRO_MAX_PAYLOAD_BYTES`: upstream body size refused before sending. `None` (the
    /// default): per model, from its context window (`kiro::models::payload_limit`).
    pub max_payload_bytes: Option<usize>,
    /// `KIRO_GATEWAY_MAX_BODY_BYTES` (default 20 MiB): client request body limit (413 above).
    pub max_request_body_bytes: usize,
    /// `KIRO_GATEWAY_MAX_CONNECTIONS` (default 2048): open client connections at once; the
    /// next one is answered 503 and closed.
    pub max_connections: usize,
    /// `KIRO_GATEWAY_HEADER_READ_TIMEOUT` seconds (default 10): a new connection must send
    /// its request headers within this; so must a kept-alive one from its next first byte.
    /// Also the longest pause allowed inside a request body.
    pub header_read_timeout: Duration,
    /// `KIRO_GATEWAY_IDLE_TIMEOUT` seconds (default 75): a kept-alive connection with no
    /// request for this long is closed.
    pub idle_timeout: Duration,
    /// `KIRO_GATEWAY_CLIENT_WRITE_TIMEOUT` seconds (default 60): a client that reads nothing
    /// of its response for this long is disconnected (and its upstream request dropped).
    pub client_write_timeout: Duration,
    /// `KIRO_GATEWAY_LOG_LEVEL` (default `info`): a tracing filter directive.
    pub log_level: String,
    /// `KIRO_GATEWAY_ALLOWED_HOSTS`: host names accepted in `Host` besides loopback names and
    /// IP addresses (lower-case; `*.x` = any subdomain of x).
    pub allowed_hosts: Vec<String>,
    /// `KIRO_GATEWAY_METRICS_OPEN` (default false): `GET /metrics` answers without the API
    /// key. Only allowed (and only honoured) on loopback binds.
    pub metrics_open: bool,
    /// `DEBUG_MODE` (default off): which model requests leave a debug dump.
    pub debug_mode: DumpMode,
    /// Where debug dumps (and the drift report) are written; `None`: no dumps.
    pub debug_dump_dir: Option<PathBuf>,
    /// Dumps kept at most (the oldest are deleted).
    pub debug_dump_max_count: usize,
    /// Bytes all dumps may hold together (the oldest are deleted).
    pub debug_dump_max_bytes: u64,
    /// `KIRO_GATEWAY_CHECK_UPDATES` (default true): ask the release feed for a newer version.
    pub check_updates: bool,
    /// `KIRO_GATEWAY_UPDATE_FEED`: the release manifest's URL (`crate::updates`).
    pub update_feed: Option<String>,
    /// `KIRO_GATEWAY_UPDATE_PUBLIC_KEY`: the minisign key the manifest must be signed with.
    pub update_public_key: Option<String>,
    /// Where the TOML file was read from, if one was.
    pub config_file: Option<PathBuf>,
    /// Settings given explicitly (flag, environment, `.env` or `config.toml`), whatever their
    /// value: the UI's saved settings never override these, even when the value given equals
    /// the built-in default (`--port 8000`).
    pub explicit: ExplicitSettings,
}

/// The release feed a packager built in (`KIRO_GATEWAY_RELEASE_FEED`; none from source).
pub fn build_release_feed() -> Option<String> {
    option_env!("KIRO_GATEWAY_RELEASE_FEED")
        .filter(|feed| !feed.is_empty())
        .map(str::to_owned)
}

/// The release public key a packager built in (`KIRO_GATEWAY_RELEASE_PUBLIC_KEY`).
fn build_release_public_key() -> Option<String> {
    option_env!("KIRO_GATEWAY_RELEASE_PUBLIC_KEY")
        .filter(|key| !key.is_empty())
        .map(str::to_owned)
}

impl Default for Config {
    fn default() -> Self {
        Config {
            host: IpAddr::from([127, 0, 0, 1]),
            port: 8000,
            api_key: None,
            no_auth: false,
            creds_file: None,
            kiro_login: None,
            cli_db_file: None,
            credits_file: None,
            cut_off_recovery: true,
            completion_rule: crate::convert::trailer::CompletionRule::Strict,
            identity_sanitising: true,
            credit_caps: crate::credit_caps::CreditCaps::default(),
            refresh_token: None,
            profile_arn: None,
            region: None,
            api_region: None,
            api_url: None,
            management_url: None,
            refresh_url: None,
            oidc_url: None,
            proxy_url: None,
            connect_timeout: Duration::from_secs(10),
            headers_timeout: Duration::from_secs(30),
            first_token_timeout: Duration::from_secs(15),
            first_token_retries: 2,
            streaming_read_timeout: Duration::from_secs(300),
            max_attempts: 3,
            max_429_retries: 2,
            max_payload_bytes: None,
            max_request_body_bytes: 20 * 1024 * 1024,
            max_connections: 2048,
            header_read_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(75),
            client_write_timeout: Duration::from_secs(60),
            log_level: "info".into(),
            allowed_hosts: Vec::new(),
            metrics_open: false,
            debug_mode: DumpMode::Off,
            debug_dump_dir: None,
            debug_dump_max_count: crate::debug_dump::DEFAULT_MAX_COUNT,
            debug_dump_max_bytes: crate::debug_dump::DEFAULT_MAX_BYTES,
            check_updates: true,
            update_feed: build_release_feed(),
            update_public_key: build_release_public_key(),
            config_file: None,
            explicit: Default::default(),
        }
    }
}

/// Values given as command-line flags (highest precedence). `main.rs` fills this from clap.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct CliOverrides {
    /// TOML config file (default: the OS config dir, e.g. ~/.config/kiro-gateway/config.toml).
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Address to bind (default 127.0.0.1).
    #[arg(long, global = true)]
    pub host: Option<String>,
    /// Port to listen on (default 8000).
    #[arg(long, short, global = true)]
    pub port: Option<String>,
    /// Proxy API key clients must send.
    #[arg(long, global = true, value_name = "KEY")]
    pub api_key: Option<String>,
    /// Serve without an API key (only on a loopback address).
    #[arg(long, global = true)]
    pub no_auth: bool,
    /// IDE-style token file to use.
    #[arg(long, global = true, value_name = "PATH")]
    pub creds_file: Option<PathBuf>,
    /// kiro-cli SQLite database to use.
    #[arg(long, global = true, value_name = "PATH")]
    pub cli_db_file: Option<PathBuf>,
    /// Log filter (e.g. info, debug, kiro_gateway=trace).
    #[arg(long, global = true, value_name = "FILTER")]
    pub log_level: Option<String>,
}

/// A configuration value that is not allowed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("invalid configuration: {key} = {value:?}: {allowed}")]
pub struct ConfigError {
    pub key: String,
    pub value: String,
    /// What is allowed instead.
    pub allowed: String,
}

/// Where configuration comes from; tests substitute every part.
pub struct ConfigSources<'a> {
    pub cli: &'a CliOverrides,
    /// Process environment lookup.
    pub env: &'a dyn Fn(&str) -> Option<String>,
    /// Directory holding the `.env` file (normally the working directory).
    pub dotenv_dir: Option<PathBuf>,
    /// Default TOML path when `--config` is not given (normally the OS config dir).
    pub default_config_file: Option<PathBuf>,
    /// The settings the UI saved: the lowest layer (see [`SavedLayer`]).
    pub saved: SavedLayer,
}

/// The settings file (`settings.toml`, written by the UI) as the lowest configuration layer:
/// its values are validated like every other layer's, fill in whatever no flag, variable,
/// `.env` or `config.toml` gave, and never count as given explicitly.
#[derive(Debug, Clone, Default)]
pub struct SavedLayer {
    /// `(TOML key, value)` pairs.
    pub values: Vec<(&'static str, String)>,
    /// The Kiro login chosen in the app (the settings file is its only source).
    pub kiro_login: Option<String>,
}

impl Config {
    /// Layer every source and validate the result.
    pub fn load(sources: &ConfigSources<'_>) -> Result<Config, ConfigError> {
        let mut raw = layers::RawMap::new();
        layers::apply_saved(&mut raw, &sources.saved.values);
        let dotenv = layers::read_dotenv(sources.dotenv_dir.as_deref())?;
        layers::apply_fallback_env(&mut raw, sources.env, &dotenv);
        let config_file = layers::apply_toml_file(
            &mut raw,
            sources.cli.config.as_deref(),
            sources.default_config_file.as_deref(),
        )?;
        layers::apply_env(
            &mut raw,
            sources.env,
            &dotenv,
            sources.dotenv_dir.as_deref(),
        );
        layers::apply_cli(&mut raw, sources.cli);
        validate::keep_keyless_on_loopback(&mut raw);
        let mut config = validate::build(&raw, config_file)?;
        config.kiro_login = sources.saved.kiro_login.clone();
        Ok(config)
    }
}

fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

impl<'a> ConfigSources<'a> {
    /// The real process: `std::env::var`, `.env` in the working directory,
    /// [`default_config_file`], and `saved` (the settings file, read by the caller).
    pub fn from_process(cli: &'a CliOverrides, saved: SavedLayer) -> Self {
        ConfigSources {
            cli,
            env: &process_env,
            dotenv_dir: std::env::current_dir().ok(),
            default_config_file: default_config_file(),
            saved,
        }
    }
}

/// `<OS config dir>/kiro-gateway/config.toml` (e.g. `~/.config/kiro-gateway/config.toml`).
pub fn default_config_file() -> Option<PathBuf> {
    config_dir().map(|d| d.join("config.toml"))
}

/// The settings a [`Config`] was given explicitly (see [`Config::explicit`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExplicitSettings(pub(crate) std::collections::BTreeSet<keys::Setting>);

impl Config {
    pub(crate) fn is_explicit(&self, setting: keys::Setting) -> bool {
        self.explicit.0.contains(&setting)
    }
}

pub use crate::paths::{config_dir, expand_tilde};

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("api_key", &self.api_key)
            .field("no_auth", &self.no_auth)
            .field("creds_file", &self.creds_file)
            .field("kiro_login", &self.kiro_login)
            .field("cli_db_file", &self.cli_db_file)
            .field("credits_file", &self.credits_file)
            .field("cut_off_recovery", &self.cut_off_recovery)
            .field("completion_rule", &self.completion_rule)
            .field("identity_sanitising", &self.identity_sanitising)
            .field("credit_caps", &self.credit_caps)
            .field("refresh_token", &self.refresh_token)
            .field("profile_arn", &self.profile_arn)
            .field("region", &self.region)
            .field("api_region", &self.api_region)
            .field("api_url", &self.api_url)
            .field("management_url", &self.management_url)
            .field("refresh_url", &self.refresh_url)
            .field("oidc_url", &self.oidc_url)
            .field(
                "proxy_url",
                &self.proxy_url.as_deref().map(validate::redact_url_password),
            )
            .field("connect_timeout", &self.connect_timeout)
            .field("headers_timeout", &self.headers_timeout)
            .field("first_token_timeout", &self.first_token_timeout)
            .field("first_token_retries", &self.first_token_retries)
            .field("streaming_read_timeout", &self.streaming_read_timeout)
            .field("max_attempts", &self.max_attempts)
            .field("max_429_retries", &self.max_429_retries)
            .field("max_payload_bytes", &self.max_payload_bytes)
            .field("max_request_body_bytes", &self.max_request_body_bytes)
            .field("max_connections", &self.max_connections)
            .field("header_read_timeout", &self.header_read_timeout)
            .field("idle_timeout", &self.idle_timeout)
            .field("client_write_timeout", &self.client_write_timeout)
            .field("log_level", &self.log_level)
            .field("allowed_hosts", &self.allowed_hosts)
            .field("metrics_open", &self.metrics_open)
            .field("debug_mode", &self.debug_mode)
            .field("debug_dump_dir", &self.debug_dump_dir)
            .field("debug_dump_max_count", &self.debug_dump_max_count)
            .field("debug_dump_max_bytes", &self.debug_dump_max_bytes)
            .field("config_file", &self.config_file)
            .finish()
    }
}
