use std::collections::HashMap;
use std::fs;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::*;

/// A test fixture: a temp dir holding an optional `config.toml` and `.env`, a fake env.
struct Fixture {
    dir: tempfile::TempDir,
    env: HashMap<String, String>,
    cli: CliOverrides,
}

impl Fixture {
    fn new() -> Self {
        Fixture {
            dir: tempfile::tempdir().unwrap(),
            env: HashMap::new(),
            cli: CliOverrides::default(),
        }
    }
    fn toml(self, text: &str) -> Self {
        fs::write(self.dir.path().join("config.toml"), text).unwrap();
        self
    }
    fn dotenv(self, text: &str) -> Self {
        fs::write(self.dir.path().join(".env"), text).unwrap();
        self
    }
    fn env(mut self, k: &str, v: &str) -> Self {
        self.env.insert(k.into(), v.into());
        self
    }
    fn cli(mut self, f: impl FnOnce(&mut CliOverrides)) -> Self {
        f(&mut self.cli);
        self
    }
    fn load(&self) -> Result<Config, ConfigError> {
        let env = |k: &str| self.env.get(k).cloned();
        Config::load(&ConfigSources {
            cli: &self.cli,
            env: &env,
            dotenv_dir: Some(self.dir.path().to_path_buf()),
            default_config_file: Some(self.dir.path().join("config.toml")),
            saved: Default::default(),
        })
    }
    fn path(&self) -> &Path {
        self.dir.path()
    }
}

#[test]
fn defaults_when_nothing_is_set() {
    let c = Fixture::new().load().unwrap();
    let d = Config::default();
    assert_eq!(c.host, d.host);
    assert_eq!(c.port, 8000);
    assert!(c.api_key.is_none());
    assert_eq!(c.first_token_timeout, Duration::from_secs(15));
    assert_eq!(c.max_connections, 2048);
    assert_eq!(c.header_read_timeout, Duration::from_secs(10));
    assert_eq!(c.idle_timeout, Duration::from_secs(75));
    assert_eq!(c.client_write_timeout, Duration::from_secs(60));
    assert_eq!(c.connect_timeout, Duration::from_secs(10));
    assert_eq!(c.headers_timeout, Duration::from_secs(30));
    assert_eq!(c.log_level, "info");
    assert_eq!(c.max_payload_bytes, None, "per model unless set");
    assert!(c.config_file.is_none());
}

#[test]
fn each_layer_overrides_the_one_below() {
    // TOML over defaults
    let f = Fixture::new().toml("port = 8101\nlog_level = \"debug\"\n");
    let c = f.load().unwrap();
    assert_eq!(c.port, 8101);
    assert_eq!(c.log_level, "debug");
    assert_eq!(
        c.config_file.as_deref(),
        Some(f.path().join("config.toml").as_path())
    );
    // .env over TOML
    let f = f.dotenv("KIRO_GATEWAY_PORT=8102\n");
    assert_eq!(f.load().unwrap().port, 8102);
    assert_eq!(f.load().unwrap().log_level, "debug");
    // env over .env
    let f = f.env("KIRO_GATEWAY_PORT", "8103");
    assert_eq!(f.load().unwrap().port, 8103);
    // CLI over env
    let f = f.cli(|c| c.port = Some("8104".into()));
    assert_eq!(f.load().unwrap().port, 8104);
}

#[test]
fn dotenv_is_below_env_and_does_not_touch_process_env() {
    let f = Fixture::new()
        .dotenv("KIRO_GATEWAY_LOG_LEVEL=warn\nKIRO_REGION=eu-central-1\nKGW_TEST_ONLY_VAR=x\n")
        .env("KIRO_GATEWAY_LOG_LEVEL", "error");
    let c = f.load().unwrap();
    assert_eq!(c.log_level, "error");
    assert_eq!(c.region.as_deref(), Some("eu-central-1"));
    assert!(std::env::var("KGW_TEST_ONLY_VAR").is_err());
    assert!(std::env::var("KIRO_REGION").map_or(true, |v| v != "eu-central-1"));
}

#[test]
fn proxy_api_key_alias_and_specific_name_wins() {
    let f = Fixture::new().env("PROXY_API_KEY", "alias-key");
    assert_eq!(f.load().unwrap().api_key.unwrap().expose(), "alias-key");
    let f = f.env("KIRO_GATEWAY_API_KEY", "specific-key");
    assert_eq!(f.load().unwrap().api_key.unwrap().expose(), "specific-key");
    // specific name in .env beats alias in env
    let f = Fixture::new()
        .dotenv("KIRO_GATEWAY_API_KEY=dotenv-specific\n")
        .env("PROXY_API_KEY", "env-alias");
    assert_eq!(
        f.load().unwrap().api_key.unwrap().expose(),
        "dotenv-specific"
    );
    // the alias in env still beats TOML
    let f = Fixture::new()
        .toml("api_key = \"toml-key\"\n")
        .env("PROXY_API_KEY", "env-alias");
    assert_eq!(f.load().unwrap().api_key.unwrap().expose(), "env-alias");
    // CLI beats all
    let f = f.cli(|c| c.api_key = Some("cli-key".into()));
    assert_eq!(f.load().unwrap().api_key.unwrap().expose(), "cli-key");
}

#[test]
fn proxy_fallback_variables() {
    let f = Fixture::new().env("ALL_PROXY", "socks5://127.0.0.1:1080");
    assert_eq!(
        f.load().unwrap().proxy_url.as_deref(),
        Some("socks5://127.0.0.1:1080")
    );
    let f = f.env("https_proxy", "proxy.corp:3128");
    assert_eq!(
        f.load().unwrap().proxy_url.as_deref(),
        Some("http://proxy.corp:3128")
    );
    let f = f.env("HTTPS_PROXY", "http://upper:3128");
    assert_eq!(
        f.load().unwrap().proxy_url.as_deref(),
        Some("http://upper:3128")
    );
    // TOML beats the conventional variables...
    let f = f.toml("proxy_url = \"http://from-toml:1\"\n");
    assert_eq!(
        f.load().unwrap().proxy_url.as_deref(),
        Some("http://from-toml:1")
    );
    // ... and VPN_PROXY_URL beats TOML.
    let f = f.env("VPN_PROXY_URL", "socks5h://vpn:1080");
    assert_eq!(
        f.load().unwrap().proxy_url.as_deref(),
        Some("socks5h://vpn:1080")
    );
}

#[test]
fn empty_values_mean_unset() {
    let f = Fixture::new()
        .toml("port = 8200\n")
        .dotenv("KIRO_GATEWAY_PORT=\nREFRESH_TOKEN=\n")
        .env("KIRO_GATEWAY_API_KEY", "");
    let c = f.load().unwrap();
    assert_eq!(c.port, 8200);
    assert!(c.refresh_token.is_none());
    assert!(c.api_key.is_none());
}

#[test]
fn all_keys_parse_from_toml() {
    let c = Fixture::new()
        .toml(
            r#"
host = "0.0.0.0"
port = 0
api_key = "k-123"
no_auth = false
creds_file = "/abs/creds.json"
cli_db_file = "rel/data.sqlite3"
refresh_token = "aorAAAA:tok"
profile_arn = "arn:aws:codewhisperer:us-east-1:699475941385:profile/EHGA3GRVQMUK"
region = "us-gov-west-1"
api_region = "us-gov-east-1"
api_url = "http://127.0.0.1:9000/"
management_url = "https://m.example/"
refresh_url = "https://r.example/refreshToken"
oidc_url = "http://localhost:9/token"
proxy_url = "socks5h://u:p@127.0.0.1:1080"
connect_timeout = 7
headers_timeout = 45
first_token_timeout = 30
first_token_retries = 0
streaming_read_timeout = 3600
max_attempts = 10
max_429_retries = 10
max_payload_bytes = 1024
max_body_bytes = 2048
max_connections = 100000
header_read_timeout = 1
idle_timeout = 3600
client_write_timeout = 7
log_level = "warn,kiro_gateway=trace"
"#,
        )
        .load()
        .unwrap();
    assert_eq!(c.host, "0.0.0.0".parse::<IpAddr>().unwrap());
    assert_eq!(c.port, 0);
    assert_eq!(c.creds_file.as_deref(), Some(Path::new("/abs/creds.json")));
    assert!(
        c.cli_db_file.as_ref().unwrap().is_absolute(),
        "relative to the TOML dir"
    );
    assert!(c
        .cli_db_file
        .as_ref()
        .unwrap()
        .ends_with("rel/data.sqlite3"));
    assert_eq!(c.api_url.as_deref(), Some("http://127.0.0.1:9000"));
    assert_eq!(c.management_url.as_deref(), Some("https://m.example"));
    assert_eq!(c.first_token_timeout, Duration::from_secs(30));
    assert_eq!(c.connect_timeout, Duration::from_secs(7));
    assert_eq!(c.headers_timeout, Duration::from_secs(45));
    assert_eq!(c.streaming_read_timeout, Duration::from_secs(3600));
    assert_eq!(
        (c.first_token_retries, c.max_attempts, c.max_429_retries),
        (0, 10, 10)
    );
    assert_eq!(
        (c.max_payload_bytes, c.max_request_body_bytes),
        (Some(1024), 2048)
    );
    assert_eq!(c.region.as_deref(), Some("us-gov-west-1"));
    assert_eq!(c.api_region.as_deref(), Some("us-gov-east-1"));
    assert_eq!(c.max_connections, 100_000);
    assert_eq!(
        (
            c.header_read_timeout,
            c.idle_timeout,
            c.client_write_timeout
        ),
        (
            Duration::from_secs(1),
            Duration::from_secs(3600),
            Duration::from_secs(7)
        )
    );
}

#[test]
fn localhost_and_bracketed_ipv6_hosts() {
    let c = Fixture::new()
        .env("KIRO_GATEWAY_HOST", "localhost")
        .load()
        .unwrap();
    assert_eq!(c.host, IpAddr::from([127, 0, 0, 1]));
    let c = Fixture::new()
        .env("KIRO_GATEWAY_HOST", "[::1]")
        .load()
        .unwrap();
    assert!(c.host.is_loopback());
}

#[test]
fn no_auth_on_loopback_is_fine() {
    let c = Fixture::new().cli(|c| c.no_auth = true).load().unwrap();
    assert!(c.no_auth);
    let c = Fixture::new()
        .env("KIRO_GATEWAY_NO_AUTH", "yes")
        .env("KIRO_GATEWAY_HOST", "::1")
        .load()
        .unwrap();
    assert!(c.no_auth);
}

#[test]
fn metrics_open_is_off_by_default_and_loopback_only() {
    assert!(!Fixture::new().load().unwrap().metrics_open);
    let c = Fixture::new()
        .env("KIRO_GATEWAY_METRICS_OPEN", "yes")
        .load()
        .unwrap();
    assert!(c.metrics_open);
    let c = Fixture::new()
        .toml("metrics_open = true\nhost = \"::1\"\n")
        .load()
        .unwrap();
    assert!(c.metrics_open);
    let c = Fixture::new()
        .toml("metrics_open = false\nhost = \"0.0.0.0\"\n")
        .load()
        .unwrap();
    assert!(!c.metrics_open, "a closed /metrics is fine anywhere");
}

#[test]
fn tilde_expansion() {
    let home = Path::new("/home/u");
    assert_eq!(
        crate::paths::expand_tilde_with(Path::new("~"), Some(home)),
        PathBuf::from("/home/u")
    );
    assert_eq!(
        crate::paths::expand_tilde_with(Path::new("~/a/b.json"), Some(home)),
        PathBuf::from("/home/u/a/b.json")
    );
    assert_eq!(
        crate::paths::expand_tilde_with(Path::new("~bob/x"), Some(home)),
        PathBuf::from("~bob/x")
    );
    assert_eq!(
        crate::paths::expand_tilde_with(Path::new("/a/~/b"), Some(home)),
        PathBuf::from("/a/~/b")
    );
    assert_eq!(
        crate::paths::expand_tilde_with(Path::new("~/x"), None),
        PathBuf::from("~/x")
    );

    if let Some(real_home) = dirs::home_dir() {
        let c = Fixture::new()
            .env("KIRO_CREDS_FILE", "~/.aws/sso/cache/kiro-auth-token.json")
            .cli(|c| c.cli_db_file = Some(PathBuf::from("~/db.sqlite3")))
            .load()
            .unwrap();
        assert_eq!(
            c.creds_file.unwrap(),
            real_home.join(".aws/sso/cache/kiro-auth-token.json")
        );
        assert_eq!(c.cli_db_file.unwrap(), real_home.join("db.sqlite3"));
        // also in TOML (not made relative to the file's dir)
        let c = Fixture::new()
            .toml("creds_file = \"~/t.json\"\n")
            .load()
            .unwrap();
        assert_eq!(c.creds_file.unwrap(), real_home.join("t.json"));
    }
}

#[test]
fn explicit_config_file_must_exist_default_may_be_missing() {
    let f = Fixture::new();
    assert!(f.load().is_ok(), "missing default config + .env are fine");
    let missing = f.path().join("nope.toml");
    let f = f.cli(|c| c.config = Some(missing.clone()));
    let e = f.load().unwrap_err();
    assert_eq!(e.key, "--config");
    assert_eq!(e.value, missing.display().to_string());
    assert!(e.allowed.contains("not found"), "{e}");
}

#[test]
fn explicit_config_file_replaces_default() {
    let f = Fixture::new().toml("port = 1111\n");
    let other = f.path().join("other.toml");
    fs::write(&other, "port = 2222\n").unwrap();
    let f = f.cli(|c| c.config = Some(other.clone()));
    let c = f.load().unwrap();
    assert_eq!(c.port, 2222);
    assert_eq!(c.config_file, Some(other));
}

#[test]
fn toml_unknown_key_lists_known_keys() {
    let e = Fixture::new()
        .toml("port = 1\napi-key = \"s3cret\"\n")
        .load()
        .unwrap_err();
    assert_eq!(e.key, "api-key");
    assert_eq!(
        e.value, "<string>",
        "value of an unknown key is never echoed"
    );
    assert!(e.allowed.contains("did you mean `api_key`?"), "{e}");
    assert!(e.allowed.contains("known keys: host, port, api_key"), "{e}");
    assert!(e.allowed.contains("log_level"), "{e}");
    assert!(!e.to_string().contains("s3cret"));

    let e = Fixture::new()
        .toml("[server]\nport = 1\n")
        .load()
        .unwrap_err();
    assert_eq!((e.key.as_str(), e.value.as_str()), ("server", "<table>"));
}

#[test]
fn toml_syntax_error_has_line_and_no_secret() {
    let e = Fixture::new()
        .toml("port = 8000\n\napi_key = \"s3cret\nhost = \"x\"\n")
        .load()
        .unwrap_err();
    assert_eq!(e.key, "config file");
    assert!(e.value.ends_with("config.toml"));
    assert!(e.allowed.starts_with("valid TOML"), "{e}");
    assert!(e.allowed.contains("line 3"), "{e}");
    assert!(!e.to_string().contains("s3cret"), "{e}");
}

#[test]
fn toml_wrong_type() {
    let e = Fixture::new().toml("port = [1, 2]\n").load().unwrap_err();
    assert_eq!(
        (e.key.as_str(), e.value.as_str(), e.allowed.as_str()),
        ("port", "<array>", "a string, integer or boolean")
    );
}

#[test]
fn dotenv_parse_error_does_not_echo_line() {
    let e = Fixture::new()
        .dotenv("KIRO_GATEWAY_API_KEY='s3cret\n")
        .load()
        .unwrap_err();
    assert_eq!(e.key, ".env");
    assert!(!e.to_string().contains("s3cret"), "{e}");
}

#[test]
fn secrets_never_in_debug_or_errors() {
    let c = Fixture::new()
        .env("KIRO_GATEWAY_API_KEY", "kgw_supersecret")
        .env("REFRESH_TOKEN", "refresh-supersecret")
        .env("VPN_PROXY_URL", "http://user:proxypass@127.0.0.1:3128")
        .load()
        .unwrap();
    let dbg = format!("{c:?}");
    for s in ["kgw_supersecret", "refresh-supersecret", "proxypass"] {
        assert!(!dbg.contains(s), "{s} leaked in {dbg}");
    }
    assert!(dbg.contains("user:***@127.0.0.1:3128"), "{dbg}");

    let e = Fixture::new()
        .env("KIRO_GATEWAY_API_KEY", "has space secret")
        .load()
        .unwrap_err();
    assert_eq!(e.value, "***");
    assert!(!e.to_string().contains("secret\""));
    assert!(!format!("{e:?}").contains("has space"));

    let e = Fixture::new()
        .env("VPN_PROXY_URL", "ftp://user:proxypass@h:1")
        .load()
        .unwrap_err();
    assert_eq!(e.value, "ftp://user:***@h:1");
}

/// (layer setter, expected key, expected value, substring of allowed)
type Case = (
    &'static str,
    fn(Fixture) -> Fixture,
    &'static str,
    &'static str,
    &'static str,
);

#[test]
fn validation_errors_table() {
    let cases: Vec<Case> = vec![
        (
            "host not an ip",
            |f| f.env("KIRO_GATEWAY_HOST", "example.com"),
            "KIRO_GATEWAY_HOST",
            "example.com",
            "an IP address",
        ),
        (
            "host via flag",
            |f| f.cli(|c| c.host = Some("1.2.3".into())),
            "--host",
            "1.2.3",
            "or localhost",
        ),
        (
            "host via toml",
            |f| f.toml("host = \"nope\"\n"),
            "host",
            "nope",
            "IP address",
        ),
        (
            "port too big",
            |f| f.env("KIRO_GATEWAY_PORT", "65536"),
            "KIRO_GATEWAY_PORT",
            "65536",
            "1-65535 (0 = any free port)",
        ),
        (
            "port negative toml",
            |f| f.toml("port = -1\n"),
            "port",
            "-1",
            "1-65535",
        ),
        (
            "port not a number flag",
            |f| f.cli(|c| c.port = Some("80a".into())),
            "--port",
            "80a",
            "whole number",
        ),
        (
            "api key with space",
            |f| f.cli(|c| c.api_key = Some("a b".into())),
            "--api-key",
            "***",
            "visible ASCII",
        ),
        (
            "api key alias",
            |f| f.env("PROXY_API_KEY", "tab\tkey"),
            "PROXY_API_KEY",
            "***",
            "without spaces",
        ),
        (
            "no_auth bad bool",
            |f| f.env("KIRO_GATEWAY_NO_AUTH", "maybe"),
            "KIRO_GATEWAY_NO_AUTH",
            "maybe",
            "a boolean",
        ),
        (
            "no-auth non-loopback",
            |f| {
                f.cli(|c| {
                    c.no_auth = true;
                    c.host = Some("0.0.0.0".into())
                })
            },
            "--no-auth",
            "true",
            "--no-auth is only allowed on a loopback address",
        ),
        (
            "no_auth toml non-loopback",
            |f| f.toml("no_auth = true\nhost = \"192.168.1.5\"\n"),
            "no_auth",
            "true",
            "host is 192.168.1.5",
        ),
        (
            "metrics_open bad bool",
            |f| f.env("KIRO_GATEWAY_METRICS_OPEN", "sometimes"),
            "KIRO_GATEWAY_METRICS_OPEN",
            "sometimes",
            "a boolean",
        ),
        (
            "metrics_open non-loopback",
            |f| {
                f.env("KIRO_GATEWAY_METRICS_OPEN", "true")
                    .env("KIRO_GATEWAY_HOST", "0.0.0.0")
            },
            "KIRO_GATEWAY_METRICS_OPEN",
            "true",
            "only allowed on a loopback address",
        ),
        (
            "refresh token space",
            |f| f.toml("refresh_token = \"a b\"\n"),
            "refresh_token",
            "***",
            "visible ASCII",
        ),
        (
            "arn wrong service",
            |f| f.env("PROFILE_ARN", "arn:aws:s3:::bucket"),
            "PROFILE_ARN",
            "arn:aws:s3:::bucket",
            "arn:aws:codewhisperer:<region>:<account>:profile/<id>",
        ),
        (
            "arn bad account",
            |f| {
                f.env(
                    "PROFILE_ARN",
                    "arn:aws:codewhisperer:us-east-1:12a:profile/X",
                )
            },
            "PROFILE_ARN",
            "arn:aws:codewhisperer:us-east-1:12a:profile/X",
            "profile/<id>",
        ),
        (
            "arn bad id char",
            |f| f.toml("profile_arn = \"arn:aws:codewhisperer:us-east-1:1:profile/a b\"\n"),
            "profile_arn",
            "arn:aws:codewhisperer:us-east-1:1:profile/a b",
            "profile/<id>",
        ),
        (
            "region uppercase",
            |f| f.env("KIRO_REGION", "US-EAST-1"),
            "KIRO_REGION",
            "US-EAST-1",
            "us-east-1",
        ),
        (
            "api region not a region",
            |f| f.env("KIRO_API_REGION", "govcloud"),
            "KIRO_API_REGION",
            "govcloud",
            "AWS region",
        ),
        (
            "region no number",
            |f| f.env("KIRO_REGION", "us-east"),
            "KIRO_REGION",
            "us-east",
            "AWS region",
        ),
        (
            "region 3-letter prefix",
            |f| f.toml("region = \"usa-east-1\"\n"),
            "region",
            "usa-east-1",
            "AWS region",
        ),
        (
            "api url scheme",
            |f| f.env("KIRO_API_URL", "ftp://x"),
            "KIRO_API_URL",
            "ftp://x",
            "an http:// or https:// URL",
        ),
        (
            "api url no scheme",
            |f| f.env("KIRO_API_URL", "runtime.example"),
            "KIRO_API_URL",
            "runtime.example",
            "http://",
        ),
        (
            "management url",
            |f| f.toml("management_url = \"https://\"\n"),
            "management_url",
            "https://",
            "https:// URL",
        ),
        (
            "refresh url",
            |f| f.env("KIRO_REFRESH_URL", "http://a b"),
            "KIRO_REFRESH_URL",
            "http://a b",
            "URL",
        ),
        (
            "oidc url",
            |f| f.env("KIRO_OIDC_URL", "file:///etc/passwd"),
            "KIRO_OIDC_URL",
            "file:///etc/passwd",
            "URL",
        ),
        (
            "proxy scheme",
            |f| f.env("VPN_PROXY_URL", "socks4://h:1"),
            "VPN_PROXY_URL",
            "socks4://h:1",
            "socks5h://",
        ),
        (
            "proxy fallback",
            |f| f.env("HTTPS_PROXY", "ftp://h:1"),
            "HTTPS_PROXY",
            "ftp://h:1",
            "socks5://",
        ),
        (
            "first token timeout 0",
            |f| f.env("FIRST_TOKEN_TIMEOUT", "0"),
            "FIRST_TOKEN_TIMEOUT",
            "0",
            "seconds, 1-3600",
        ),
        (
            "first token timeout float",
            |f| f.toml("first_token_timeout = 1.5\n"),
            "first_token_timeout",
            "1.5",
            "whole number of seconds",
        ),
        (
            "connect timeout 0",
            |f| f.env("KIRO_CONNECT_TIMEOUT", "0"),
            "KIRO_CONNECT_TIMEOUT",
            "0",
            "seconds, 1-3600",
        ),
        (
            "headers timeout too big",
            |f| f.toml("headers_timeout = 3601\n"),
            "headers_timeout",
            "3601",
            "1-3600",
        ),
        (
            "streaming timeout too big",
            |f| f.env("STREAMING_READ_TIMEOUT", "3601"),
            "STREAMING_READ_TIMEOUT",
            "3601",
            "1-3600",
        ),
        (
            "first token retries",
            |f| f.env("FIRST_TOKEN_MAX_RETRIES", "11"),
            "FIRST_TOKEN_MAX_RETRIES",
            "11",
            "0-10",
        ),
        (
            "429 retries",
            |f| f.toml("max_429_retries = -2\n"),
            "max_429_retries",
            "-2",
            "0-10",
        ),
        (
            "max attempts 0",
            |f| f.env("KIRO_MAX_ATTEMPTS", "0"),
            "KIRO_MAX_ATTEMPTS",
            "0",
            "1-10",
        ),
        (
            "payload too small",
            |f| f.env("KIRO_MAX_PAYLOAD_BYTES", "10"),
            "KIRO_MAX_PAYLOAD_BYTES",
            "10",
            "1024-104857600",
        ),
        (
            "body bytes text",
            |f| f.env("KIRO_GATEWAY_MAX_BODY_BYTES", "20MB"),
            "KIRO_GATEWAY_MAX_BODY_BYTES",
            "20MB",
            "bytes",
        ),
        (
            "max connections 0",
            |f| f.env("KIRO_GATEWAY_MAX_CONNECTIONS", "0"),
            "KIRO_GATEWAY_MAX_CONNECTIONS",
            "0",
            "1-100000",
        ),
        (
            "header read timeout 0",
            |f| f.env("KIRO_GATEWAY_HEADER_READ_TIMEOUT", "0"),
            "KIRO_GATEWAY_HEADER_READ_TIMEOUT",
            "0",
            "seconds, 1-3600",
        ),
        (
            "idle timeout too big",
            |f| f.toml("idle_timeout = 3601\n"),
            "idle_timeout",
            "3601",
            "1-3600",
        ),
        (
            "client write timeout text",
            |f| f.env("KIRO_GATEWAY_CLIENT_WRITE_TIMEOUT", "1m"),
            "KIRO_GATEWAY_CLIENT_WRITE_TIMEOUT",
            "1m",
            "whole number of seconds",
        ),
        (
            "log level typo",
            |f| f.env("KIRO_GATEWAY_LOG_LEVEL", "debgu"),
            "KIRO_GATEWAY_LOG_LEVEL",
            "debgu",
            "not a level",
        ),
        (
            "log level bad directive",
            |f| f.cli(|c| c.log_level = Some("kiro_gateway=loud".into())),
            "--log-level",
            "kiro_gateway=loud",
            "tracing filter",
        ),
    ];
    assert!(cases.len() >= 15);
    for (name, setup, key, value, allowed) in cases {
        let e = setup(Fixture::new())
            .load()
            .expect_err(&format!("case `{name}` should fail"));
        assert_eq!(e.key, key, "case `{name}`: {e}");
        assert_eq!(e.value, value, "case `{name}`: {e}");
        assert!(
            e.allowed.contains(allowed),
            "case `{name}`: allowed {:?} lacks {allowed:?}",
            e.allowed
        );
        let shown = e.to_string();
        assert!(
            shown.contains(key) && shown.contains(&e.allowed),
            "case `{name}`: {shown}"
        );
    }
}

#[test]
fn debug_dumps_are_off_by_default_and_configurable() {
    let c = Fixture::new().load().unwrap();
    assert_eq!(c.debug_mode, DumpMode::Off);
    assert_eq!(c.debug_dump_max_count, 50);
    assert_eq!(c.debug_dump_max_bytes, 100 * 1024 * 1024);

    let f = Fixture::new()
        .env("DEBUG_MODE", "all")
        .env("KIRO_GATEWAY_DEBUG_MODE", "errors")
        .toml("debug_dump_dir = \"dumps\"\ndebug_dump_max_count = 7\n")
        .env("KIRO_GATEWAY_DEBUG_DUMP_MAX_BYTES", "65536");
    let c = f.load().unwrap();
    assert_eq!(c.debug_mode, DumpMode::Errors, "the specific name wins");
    assert_eq!(c.debug_dump_dir, Some(f.path().join("dumps")));
    assert_eq!(c.debug_dump_max_count, 7);
    assert_eq!(c.debug_dump_max_bytes, 65536);

    let err = Fixture::new().env("DEBUG_MODE", "loud").load().unwrap_err();
    assert_eq!(err.key, "DEBUG_MODE");
    assert!(err.allowed.contains("off, errors or all"), "{err}");
    let err = Fixture::new()
        .env("KIRO_GATEWAY_DEBUG_DUMP_MAX_BYTES", "1000")
        .load()
        .unwrap_err();
    assert_eq!(err.key, "KIRO_GATEWAY_DEBUG_DUMP_MAX_BYTES");
}
