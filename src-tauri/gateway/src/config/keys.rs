//! The table of configuration keys: one row per setting, with its spelling in every layer.

/// One setting of [`super::Config`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Key {
    Host,
    Port,
    ApiKey,
    NoAuth,
    CredsFile,
    CliDbFile,
    RefreshToken,
    ProfileArn,
    Region,
    ApiUrl,
    ManagementUrl,
    RefreshUrl,
    OidcUrl,
    ProxyUrl,
    FirstTokenTimeout,
    FirstTokenRetries,
    StreamingReadTimeout,
    MaxAttempts,
    Max429Retries,
    MaxPayloadBytes,
    MaxBodyBytes,
    LogLevel,
}

/// How a key is spelled in each layer.
#[derive(Debug)]
pub(crate) struct KeySpec {
    pub key: Key,
    /// Key in the TOML file.
    pub toml: &'static str,
    /// Environment / `.env` names, most specific first (the first one set wins).
    pub env: &'static [&'static str],
    /// Conventional, system-wide variables consulted only below the TOML file
    /// (e.g. `HTTPS_PROXY`), so an explicit setting anywhere beats them.
    pub fallback_env: &'static [&'static str],
    /// Command-line flag, if there is one.
    pub flag: Option<&'static str>,
    /// The value is a secret: never shown in errors or `Debug`.
    pub secret: bool,
}

const fn spec(key: Key, toml: &'static str, env: &'static [&'static str]) -> KeySpec {
    KeySpec {
        key,
        toml,
        env,
        fallback_env: &[],
        flag: None,
        secret: false,
    }
}

const fn flag(mut s: KeySpec, flag: &'static str) -> KeySpec {
    s.flag = Some(flag);
    s
}

const fn secret(mut s: KeySpec) -> KeySpec {
    s.secret = true;
    s
}

/// Every key, in the order errors are reported.
pub(crate) const KEYS: &[KeySpec] = &[
    flag(spec(Key::Host, "host", &["KIRO_GATEWAY_HOST"]), "--host"),
    flag(spec(Key::Port, "port", &["KIRO_GATEWAY_PORT"]), "--port"),
    secret(flag(
        spec(
            Key::ApiKey,
            "api_key",
            &["KIRO_GATEWAY_API_KEY", "PROXY_API_KEY"],
        ),
        "--api-key",
    )),
    flag(
        spec(Key::NoAuth, "no_auth", &["KIRO_GATEWAY_NO_AUTH"]),
        "--no-auth",
    ),
    flag(
        spec(Key::CredsFile, "creds_file", &["KIRO_CREDS_FILE"]),
        "--creds-file",
    ),
    flag(
        spec(Key::CliDbFile, "cli_db_file", &["KIRO_CLI_DB_FILE"]),
        "--cli-db-file",
    ),
    secret(spec(Key::RefreshToken, "refresh_token", &["REFRESH_TOKEN"])),
    spec(Key::ProfileArn, "profile_arn", &["PROFILE_ARN"]),
    spec(Key::Region, "region", &["KIRO_REGION"]),
    spec(Key::ApiUrl, "api_url", &["KIRO_API_URL"]),
    spec(
        Key::ManagementUrl,
        "management_url",
        &["KIRO_MANAGEMENT_URL"],
    ),
    spec(Key::RefreshUrl, "refresh_url", &["KIRO_REFRESH_URL"]),
    spec(Key::OidcUrl, "oidc_url", &["KIRO_OIDC_URL"]),
    KeySpec {
        key: Key::ProxyUrl,
        toml: "proxy_url",
        env: &["VPN_PROXY_URL"],
        fallback_env: &["HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"],
        flag: None,
        secret: false,
    },
    spec(
        Key::FirstTokenTimeout,
        "first_token_timeout",
        &["FIRST_TOKEN_TIMEOUT"],
    ),
    spec(
        Key::FirstTokenRetries,
        "first_token_retries",
        &["FIRST_TOKEN_MAX_RETRIES"],
    ),
    spec(
        Key::StreamingReadTimeout,
        "streaming_read_timeout",
        &["STREAMING_READ_TIMEOUT"],
    ),
    spec(Key::MaxAttempts, "max_attempts", &["KIRO_MAX_ATTEMPTS"]),
    spec(
        Key::Max429Retries,
        "max_429_retries",
        &["KIRO_MAX_429_RETRIES"],
    ),
    spec(
        Key::MaxPayloadBytes,
        "max_payload_bytes",
        &["KIRO_MAX_PAYLOAD_BYTES"],
    ),
    spec(
        Key::MaxBodyBytes,
        "max_body_bytes",
        &["KIRO_GATEWAY_MAX_BODY_BYTES"],
    ),
    flag(
        spec(Key::LogLevel, "log_level", &["KIRO_GATEWAY_LOG_LEVEL"]),
        "--log-level",
    ),
];

pub(crate) fn spec_of(key: Key) -> &'static KeySpec {
    KEYS.iter()
        .find(|s| s.key == key)
        .expect("every key has a row in KEYS")
}

/// The TOML keys, for "unknown key" errors.
pub(crate) fn known_toml_keys() -> Vec<&'static str> {
    KEYS.iter().map(|s| s.toml).collect()
}
