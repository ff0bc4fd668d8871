//! The table of configuration keys: one row per setting, with its spelling in every layer.

/// One setting of [`super::Config`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Setting {
    Host,
    Port,
    ApiKey,
    NoAuth,
    CredsFile,
    CliDbFile,
    RefreshToken,
    ProfileArn,
    Region,
    ApiRegion,
    ApiUrl,
    ManagementUrl,
    RefreshUrl,
    OidcUrl,
    ProxyUrl,
    ConnectTimeout,
    HeadersTimeout,
    FirstTokenTimeout,
    FirstTokenRetries,
    StreamingReadTimeout,
    MaxAttempts,
    Max429Retries,
    MaxPayloadBytes,
    MaxBodyBytes,
    MaxConnections,
    HeaderReadTimeout,
    IdleTimeout,
    ClientWriteTimeout,
    LogLevel,
    AllowedHosts,
    MetricsOpen,
    CreditsFile,
    CutOffRecovery,
    CompletionRule,
    IdentitySanitising,
    DailyCreditCap,
    MonthlyCreditCap,
    PauseAtCap,
    DebugMode,
    DebugDumpDir,
    DebugDumpMaxCount,
    DebugDumpMaxBytes,
    CheckUpdates,
    UpdateFeed,
    UpdatePublicKey,
}

/// How a key is spelled in each layer.
#[derive(Debug)]
pub(crate) struct KeySpec {
    pub key: Setting,
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

const fn spec(key: Setting, toml: &'static str, env: &'static [&'static str]) -> KeySpec {
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
    flag(
        spec(Setting::Host, "host", &["KIRO_GATEWAY_HOST"]),
        "--host",
    ),
    flag(
        spec(Setting::Port, "port", &["KIRO_GATEWAY_PORT"]),
        "--port",
    ),
    secret(flag(
        spec(
            Setting::ApiKey,
            "api_key",
            &["KIRO_GATEWAY_API_KEY", "PROXY_API_KEY"],
        ),
        "--api-key",
    )),
    flag(
        spec(Setting::NoAuth, "no_auth", &["KIRO_GATEWAY_NO_AUTH"]),
        "--no-auth",
    ),
    flag(
        spec(Setting::CredsFile, "creds_file", &["KIRO_CREDS_FILE"]),
        "--creds-file",
    ),
    flag(
        spec(Setting::CliDbFile, "cli_db_file", &["KIRO_CLI_DB_FILE"]),
        "--cli-db-file",
    ),
    spec(
        Setting::CutOffRecovery,
        "cut_off_recovery",
        &["KIRO_GATEWAY_CUT_OFF_RECOVERY"],
    ),
    spec(
        Setting::CompletionRule,
        "completion_rule",
        &["KIRO_COMPLETION_RULE"],
    ),
    spec(
        Setting::IdentitySanitising,
        "identity_sanitising",
        &["KIRO_GATEWAY_IDENTITY_SANITISING"],
    ),
    spec(
        Setting::DailyCreditCap,
        "daily_credit_cap",
        &["KIRO_GATEWAY_DAILY_CREDIT_CAP"],
    ),
    spec(
        Setting::MonthlyCreditCap,
        "monthly_credit_cap",
        &["KIRO_GATEWAY_MONTHLY_CREDIT_CAP"],
    ),
    spec(
        Setting::PauseAtCap,
        "pause_at_cap",
        &["KIRO_GATEWAY_PAUSE_AT_CAP"],
    ),
    spec(
        Setting::CreditsFile,
        "credits_file",
        &["KIRO_GATEWAY_CREDITS_FILE"],
    ),
    secret(spec(
        Setting::RefreshToken,
        "refresh_token",
        &["REFRESH_TOKEN"],
    )),
    spec(Setting::ProfileArn, "profile_arn", &["PROFILE_ARN"]),
    spec(Setting::Region, "region", &["KIRO_REGION"]),
    spec(Setting::ApiRegion, "api_region", &["KIRO_API_REGION"]),
    spec(Setting::ApiUrl, "api_url", &["KIRO_API_URL"]),
    spec(
        Setting::ManagementUrl,
        "management_url",
        &["KIRO_MANAGEMENT_URL"],
    ),
    spec(Setting::RefreshUrl, "refresh_url", &["KIRO_REFRESH_URL"]),
    spec(Setting::OidcUrl, "oidc_url", &["KIRO_OIDC_URL"]),
    KeySpec {
        key: Setting::ProxyUrl,
        toml: "proxy_url",
        env: &["VPN_PROXY_URL"],
        fallback_env: &["HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"],
        flag: None,
        secret: false,
    },
    spec(
        Setting::ConnectTimeout,
        "connect_timeout",
        &["KIRO_CONNECT_TIMEOUT"],
    ),
    spec(
        Setting::HeadersTimeout,
        "headers_timeout",
        &["KIRO_HEADERS_TIMEOUT"],
    ),
    spec(
        Setting::FirstTokenTimeout,
        "first_token_timeout",
        &["FIRST_TOKEN_TIMEOUT"],
    ),
    spec(
        Setting::FirstTokenRetries,
        "first_token_retries",
        &["FIRST_TOKEN_MAX_RETRIES"],
    ),
    spec(
        Setting::StreamingReadTimeout,
        "streaming_read_timeout",
        &["STREAMING_READ_TIMEOUT"],
    ),
    spec(Setting::MaxAttempts, "max_attempts", &["KIRO_MAX_ATTEMPTS"]),
    spec(
        Setting::Max429Retries,
        "max_429_retries",
        &["KIRO_MAX_429_RETRIES"],
    ),
    spec(
        Setting::MaxPayloadBytes,
        "max_payload_bytes",
        &["KIRO_MAX_PAYLOAD_BYTES"],
    ),
    spec(
        Setting::MaxBodyBytes,
        "max_body_bytes",
        &["KIRO_GATEWAY_MAX_BODY_BYTES"],
    ),
    spec(
        Setting::MaxConnections,
        "max_connections",
        &["KIRO_GATEWAY_MAX_CONNECTIONS"],
    ),
    spec(
        Setting::HeaderReadTimeout,
        "header_read_timeout",
        &["KIRO_GATEWAY_HEADER_READ_TIMEOUT"],
    ),
    spec(
        Setting::IdleTimeout,
        "idle_timeout",
        &["KIRO_GATEWAY_IDLE_TIMEOUT"],
    ),
    spec(
        Setting::ClientWriteTimeout,
        "client_write_timeout",
        &["KIRO_GATEWAY_CLIENT_WRITE_TIMEOUT"],
    ),
    flag(
        spec(Setting::LogLevel, "log_level", &["KIRO_GATEWAY_LOG_LEVEL"]),
        "--log-level",
    ),
    spec(
        Setting::AllowedHosts,
        "allowed_hosts",
        &["KIRO_GATEWAY_ALLOWED_HOSTS"],
    ),
    spec(
        Setting::MetricsOpen,
        "metrics_open",
        &["KIRO_GATEWAY_METRICS_OPEN"],
    ),
    spec(
        Setting::DebugMode,
        "debug_mode",
        &["KIRO_GATEWAY_DEBUG_MODE", "DEBUG_MODE"],
    ),
    spec(
        Setting::DebugDumpDir,
        "debug_dump_dir",
        &["KIRO_GATEWAY_DEBUG_DUMP_DIR"],
    ),
    spec(
        Setting::DebugDumpMaxCount,
        "debug_dump_max_count",
        &["KIRO_GATEWAY_DEBUG_DUMP_MAX_COUNT"],
    ),
    spec(
        Setting::DebugDumpMaxBytes,
        "debug_dump_max_bytes",
        &["KIRO_GATEWAY_DEBUG_DUMP_MAX_BYTES"],
    ),
    spec(
        Setting::CheckUpdates,
        "check_updates",
        &["KIRO_GATEWAY_CHECK_UPDATES"],
    ),
    spec(
        Setting::UpdateFeed,
        "update_feed",
        &["KIRO_GATEWAY_UPDATE_FEED"],
    ),
    spec(
        Setting::UpdatePublicKey,
        "update_public_key",
        &["KIRO_GATEWAY_UPDATE_PUBLIC_KEY"],
    ),
];

pub(crate) fn spec_of(key: Setting) -> &'static KeySpec {
    KEYS.iter()
        .find(|s| s.key == key)
        .expect("every key has a row in KEYS")
}

/// The TOML keys, for "unknown key" errors.
pub(crate) fn known_toml_keys() -> Vec<&'static str> {
    KEYS.iter().map(|s| s.toml).collect()
}

#[cfg(test)]
mod docs_tests {
    use super::KEYS;

    /// docs/configuration.md is the user's reference: every key has a row there, under its TOML
    /// name and its environment variable.
    #[test]
    fn every_key_is_documented_in_the_configuration_reference() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/configuration.md");
        let doc = std::fs::read_to_string(path).expect("docs/configuration.md");
        let missing: Vec<String> = KEYS
            .iter()
            .flat_map(|spec| {
                let env = spec.env.first().copied().unwrap_or_default();
                [format!("`{}`", spec.toml), format!("`{env}`")]
            })
            .filter(|needle| !doc.contains(needle.as_str()))
            .collect();
        assert!(
            missing.is_empty(),
            "not in docs/configuration.md: {missing:?}"
        );
    }
}
