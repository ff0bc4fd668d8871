//! Turning raw layered strings into a validated [`Config`].

use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;
use std::time::Duration;

use super::keys::{spec_of, Setting};
use super::layers::{Layer, RawMap, RawValue};
use super::{expand_tilde, Config, ConfigError};
use crate::aws_ids::{is_profile_arn, is_region};
use crate::secrets::Secret;

/// Upper bound for timeouts, in seconds.
pub const MAX_TIMEOUT_SECS: u64 = 3600;
/// Upper bound for retry counts.
pub const MAX_RETRIES: u64 = 10;
/// Bounds for `max_payload_bytes` (upstream body).
pub const PAYLOAD_BYTES_RANGE: (u64, u64) = (1024, 100 * 1024 * 1024);
/// Bounds for `max_body_bytes` (client request body).
pub const BODY_BYTES_RANGE: (u64, u64) = (1024, 1024 * 1024 * 1024);
/// Bounds for `max_connections`.
pub const CONNECTIONS_RANGE: (u64, u64) = (1, 100_000);
/// Allowed `debug_dump_max_count`.
pub const DUMP_COUNT_RANGE: (u64, u64) = (1, 10_000);
/// Allowed `debug_dump_max_bytes` (64 KiB to 10 GiB).
pub const DUMP_BYTES_RANGE: (u64, u64) = (64 * 1024, 10 * 1024 * 1024 * 1024);

const LEVELS: &[&str] = &["trace", "debug", "info", "warn", "error", "off"];

fn error(raw: &RawValue, key: Setting, allowed: impl Into<String>) -> ConfigError {
    let spec = spec_of(key);
    let value = if spec.secret {
        "***".to_owned()
    } else if key == Setting::ProxyUrl {
        redact_url_password(&raw.text)
    } else {
        raw.text.clone()
    };
    ConfigError {
        key: raw.origin.clone(),
        value,
        allowed: allowed.into(),
    }
}

/// `http://user:pass@host` → `http://user:***@host` (proxy URLs may carry credentials).
pub(crate) fn redact_url_password(text: &str) -> String {
    let Some(scheme_end) = text.find("://") else {
        return text.to_owned();
    };
    let rest = &text[scheme_end + 3..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    let Some(at) = authority.rfind('@') else {
        return text.to_owned();
    };
    let userinfo = &authority[..at];
    let user = userinfo.split(':').next().unwrap_or("");
    let masked = if userinfo.contains(':') {
        format!("{user}:***")
    } else {
        "***".to_owned()
    };
    format!(
        "{}://{}{}",
        &text[..scheme_end],
        masked,
        &rest[at..] // from '@' onwards
    )
}

pub(crate) fn parse_host(text: &str) -> Option<IpAddr> {
    if text.eq_ignore_ascii_case("localhost") {
        return Some(IpAddr::V4(Ipv4Addr::LOCALHOST));
    }
    let t = text
        .strip_prefix('[')
        .and_then(|t| t.strip_suffix(']'))
        .unwrap_or(text);
    t.parse().ok()
}

/// `a.lan, *.corp.internal` → lower-case names; `*.` only as a whole leading label.
fn parse_host_names(text: &str) -> Option<Vec<String>> {
    let mut names = Vec::new();
    for raw in text.split(',') {
        let name = raw.trim().trim_end_matches('.').to_ascii_lowercase();
        if name.is_empty() {
            continue;
        }
        let labels = name.strip_prefix("*.").unwrap_or(&name);
        let valid = labels.len() <= 253
            && labels.split('.').all(|l| {
                !l.is_empty()
                    && l.len() <= 63
                    && !l.starts_with('-')
                    && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            });
        if !valid {
            return None;
        }
        names.push(name);
    }
    Some(names)
}

fn parse_uint(text: &str, min: u64, max: u64) -> Option<u64> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse::<u64>().ok().filter(|n| (min..=max).contains(n))
}

pub(crate) fn parse_bool(text: &str) -> Option<bool> {
    match text.to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Some(true),
        "0" | "false" | "no" | "off" => Some(false),
        _ => None,
    }
}

fn is_url(text: &str, schemes: &[&str]) -> bool {
    if text.chars().any(char::is_whitespace) {
        return false;
    }
    match reqwest::Url::parse(text) {
        Ok(url) => schemes.contains(&url.scheme()) && url.host_str().is_some_and(|h| !h.is_empty()),
        Err(_) => false,
    }
}

/// A tracing `EnvFilter` directive. Stricter than `EnvFilter` in one way: a bare word must
/// be a level (`debgu` is a typo, not "everything from target `debgu`"); write targets as
/// `target=level`.
pub(crate) fn check_log_filter(text: &str) -> Result<(), String> {
    for directive in text.split(',').map(str::trim).filter(|d| !d.is_empty()) {
        if !directive.contains('=')
            && !directive.contains('[')
            && !LEVELS.contains(&directive.to_ascii_lowercase().as_str())
        {
            return Err(format!(
                "`{directive}` is not a level; use one of {} or target=level",
                LEVELS.join(", ")
            ));
        }
    }
    tracing_subscriber::EnvFilter::try_new(text)
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// Header-safe secret text: visible ASCII, no spaces.
fn is_token(text: &str, max_len: usize) -> bool {
    !text.is_empty() && text.len() <= max_len && text.bytes().all(|b| b.is_ascii_graphic())
}

fn path_of(raw: &RawValue) -> PathBuf {
    let p = raw.path.clone().unwrap_or_else(|| PathBuf::from(&raw.text));
    let p = expand_tilde(&p);
    if p.is_absolute() {
        return p;
    }
    match &raw.layer {
        Layer::File { dir } | Layer::DotEnv { dir } if !dir.as_os_str().is_empty() => dir.join(p),
        _ => p,
    }
}

/// `--no-auth` never leaves loopback: a saved non-loopback address is dropped then (an
/// explicit one stays, and validation refuses it).
pub(crate) fn keep_keyless_on_loopback(map: &mut RawMap) {
    let no_auth = map
        .get(&Setting::NoAuth)
        .and_then(|raw| parse_bool(&raw.text))
        .unwrap_or(false);
    let saved_lan = map.get(&Setting::Host).is_some_and(|raw| {
        raw.layer == Layer::Saved
            && raw
                .text
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| !ip.is_loopback())
    });
    if no_auth && saved_lan {
        map.remove(&Setting::Host);
    }
}

pub(crate) fn build(raw: &RawMap, config_file: Option<PathBuf>) -> Result<Config, ConfigError> {
    let mut c = Config {
        config_file,
        explicit: super::ExplicitSettings(
            raw.iter()
                .filter(|(_, value)| value.layer != Layer::Saved)
                .map(|(&key, _)| key)
                .collect(),
        ),
        ..Config::default()
    };
    let allowed_secs = format!("a whole number of seconds, 1-{MAX_TIMEOUT_SECS}");
    let allowed_retries = format!("a whole number 0-{MAX_RETRIES}");

    for (&key, r) in raw {
        let t = r.text.as_str();
        match key {
            Setting::Host => {
                c.host = parse_host(t).ok_or_else(|| {
                    error(
                        r,
                        key,
                        "an IP address such as 127.0.0.1, 0.0.0.0 or ::1 (or localhost)",
                    )
                })?
            }
            Setting::Port => {
                c.port = parse_uint(t, 0, 65535)
                    .ok_or_else(|| error(r, key, "a whole number 1-65535 (0 = any free port)"))?
                    as u16
            }
            Setting::ApiKey => {
                if !is_token(t, 512) {
                    return Err(error(
                        r,
                        key,
                        "1-512 visible ASCII characters without spaces",
                    ));
                }
                c.api_key = Some(Secret::new(t.to_owned()));
            }
            Setting::NoAuth
            | Setting::MetricsOpen
            | Setting::CutOffRecovery
            | Setting::IdentitySanitising
            | Setting::CheckUpdates
            | Setting::PauseAtCap => {
                let on = parse_bool(t)
                    .ok_or_else(|| error(r, key, "a boolean: true/false, 1/0, yes/no, on/off"))?;
                match key {
                    Setting::NoAuth => c.no_auth = on,
                    Setting::MetricsOpen => c.metrics_open = on,
                    Setting::PauseAtCap => c.credit_caps.pause = on,
                    Setting::IdentitySanitising => c.identity_sanitising = on,
                    Setting::CheckUpdates => c.check_updates = on,
                    _ => c.cut_off_recovery = on,
                }
            }
            Setting::DailyCreditCap | Setting::MonthlyCreditCap => {
                let cap = t
                    .parse::<f64>()
                    .ok()
                    .filter(|v| v.is_finite() && *v > 0.0)
                    .ok_or_else(|| error(r, key, "a number of credits above 0, e.g. 25 or 12.5"))?;
                if key == Setting::DailyCreditCap {
                    c.credit_caps.daily = Some(cap);
                } else {
                    c.credit_caps.monthly = Some(cap);
                }
            }
            Setting::CredsFile => c.creds_file = Some(path_of(r)),
            Setting::CliDbFile => c.cli_db_file = Some(path_of(r)),
            Setting::CreditsFile => c.credits_file = Some(path_of(r)),
            Setting::DebugDumpDir => c.debug_dump_dir = Some(path_of(r)),
            Setting::DebugMode => {
                c.debug_mode = t
                    .parse()
                    .map_err(|()| error(r, key, crate::debug_dump::DumpMode::ALLOWED))?
            }
            Setting::DebugDumpMaxCount => {
                let (min, max) = DUMP_COUNT_RANGE;
                let n = parse_uint(t, min, max)
                    .ok_or_else(|| error(r, key, format!("a whole number {min}-{max}")))?;
                c.debug_dump_max_count = usize::try_from(n)
                    .map_err(|_| error(r, key, "a number that fits this platform"))?;
            }
            Setting::DebugDumpMaxBytes => {
                let (min, max) = DUMP_BYTES_RANGE;
                c.debug_dump_max_bytes = parse_uint(t, min, max).ok_or_else(|| {
                    error(r, key, format!("a whole number of bytes, {min}-{max}"))
                })?;
            }
            Setting::RefreshToken => {
                if !is_token(t, 16 * 1024) {
                    return Err(error(r, key, "visible ASCII characters without spaces"));
                }
                c.refresh_token = Some(Secret::new(t.to_owned()));
            }
            Setting::ProfileArn => {
                if !is_profile_arn(t) {
                    return Err(error(
                        r,
                        key,
                        "arn:aws:codewhisperer:<region>:<account>:profile/<id>",
                    ));
                }
                c.profile_arn = Some(t.to_owned());
            }
            Setting::CompletionRule => {
                c.completion_rule = crate::convert::trailer::CompletionRule::parse(t)
                    .ok_or_else(|| error(r, key, "strict or tolerant"))?;
            }
            Setting::Region => {
                if !is_region(t) {
                    return Err(error(r, key, "an AWS region such as us-east-1"));
                }
                c.region = Some(t.to_owned());
            }
            Setting::ApiRegion => {
                if !is_region(t) {
                    return Err(error(r, key, "an AWS region such as us-gov-west-1"));
                }
                c.api_region = Some(t.to_owned());
            }
            Setting::UpdateFeed => {
                if !is_url(t, &["http", "https"]) {
                    return Err(error(
                        r,
                        key,
                        "the http:// or https:// URL of a release manifest (latest.json)",
                    ));
                }
                c.update_feed = Some(t.to_owned());
            }
            Setting::UpdatePublicKey => {
                if crate::updates::check_public_key(t).is_err() {
                    return Err(error(
                        r,
                        key,
                        "a minisign public key (the base64 line of the .pub file, or the file's text)",
                    ));
                }
                c.update_public_key = Some(t.to_owned());
            }
            Setting::ApiUrl | Setting::ManagementUrl | Setting::RefreshUrl | Setting::OidcUrl => {
                if !is_url(t, &["http", "https"]) {
                    return Err(error(r, key, "an http:// or https:// URL"));
                }
                let v = Some(t.to_owned());
                match key {
                    // Base URLs: drop a trailing slash so callers can append `/path`.
                    Setting::ApiUrl => c.api_url = Some(t.trim_end_matches('/').to_owned()),
                    Setting::ManagementUrl => {
                        c.management_url = Some(t.trim_end_matches('/').to_owned())
                    }
                    Setting::RefreshUrl => c.refresh_url = v,
                    _ => c.oidc_url = v,
                }
            }
            Setting::ProxyUrl => {
                if !is_url(t, &["http", "https", "socks5", "socks5h"]) {
                    return Err(error(
                        r,
                        key,
                        "an http://, https://, socks5:// or socks5h:// URL",
                    ));
                }
                c.proxy_url = Some(t.to_owned());
            }
            Setting::ConnectTimeout
            | Setting::HeadersTimeout
            | Setting::FirstTokenTimeout
            | Setting::StreamingReadTimeout
            | Setting::HeaderReadTimeout
            | Setting::IdleTimeout
            | Setting::ClientWriteTimeout => {
                let secs = parse_uint(t, 1, MAX_TIMEOUT_SECS)
                    .ok_or_else(|| error(r, key, allowed_secs.clone()))?;
                let d = Duration::from_secs(secs);
                match key {
                    Setting::ConnectTimeout => c.connect_timeout = d,
                    Setting::HeadersTimeout => c.headers_timeout = d,
                    Setting::FirstTokenTimeout => c.first_token_timeout = d,
                    Setting::StreamingReadTimeout => c.streaming_read_timeout = d,
                    Setting::HeaderReadTimeout => c.header_read_timeout = d,
                    Setting::IdleTimeout => c.idle_timeout = d,
                    _ => c.client_write_timeout = d,
                }
            }
            Setting::FirstTokenRetries | Setting::Max429Retries => {
                let n = parse_uint(t, 0, MAX_RETRIES)
                    .ok_or_else(|| error(r, key, allowed_retries.clone()))?
                    as u32;
                if key == Setting::FirstTokenRetries {
                    c.first_token_retries = n;
                } else {
                    c.max_429_retries = n;
                }
            }
            Setting::MaxAttempts => {
                c.max_attempts = parse_uint(t, 1, MAX_RETRIES)
                    .ok_or_else(|| error(r, key, format!("a whole number 1-{MAX_RETRIES}")))?
                    as u32
            }
            Setting::MaxPayloadBytes | Setting::MaxBodyBytes => {
                let (min, max) = if key == Setting::MaxPayloadBytes {
                    PAYLOAD_BYTES_RANGE
                } else {
                    BODY_BYTES_RANGE
                };
                let n = parse_uint(t, min, max).ok_or_else(|| {
                    error(r, key, format!("a whole number of bytes, {min}-{max}"))
                })?;
                let n = usize::try_from(n)
                    .map_err(|_| error(r, key, "a number that fits this platform"))?;
                if key == Setting::MaxPayloadBytes {
                    c.max_payload_bytes = Some(n);
                } else {
                    c.max_request_body_bytes = n;
                }
            }
            Setting::AllowedHosts => {
                c.allowed_hosts = parse_host_names(t).ok_or_else(|| {
                    error(
                        r,
                        key,
                        "comma-separated host names such as gateway.lan or *.example.internal",
                    )
                })?
            }
            Setting::MaxConnections => {
                let (min, max) = CONNECTIONS_RANGE;
                let n = parse_uint(t, min, max)
                    .ok_or_else(|| error(r, key, format!("a whole number {min}-{max}")))?;
                c.max_connections = usize::try_from(n)
                    .map_err(|_| error(r, key, "a number that fits this platform"))?;
            }
            Setting::LogLevel => {
                check_log_filter(t).map_err(|why| {
                    error(
                        r,
                        key,
                        format!(
                            "a tracing filter such as info, debug or kiro_gateway=trace ({why})"
                        ),
                    )
                })?;
                c.log_level = t.to_owned();
            }
        }
    }

    let host_origin = raw
        .get(&Setting::Host)
        .map_or("host", |r| r.origin.as_str());
    if c.no_auth && !c.host.is_loopback() {
        let origin = raw
            .get(&Setting::NoAuth)
            .map_or("--no-auth", |r| r.origin.as_str());
        return Err(ConfigError {
            key: origin.to_owned(),
            value: "true".into(),
            allowed: format!(
                "--no-auth is only allowed on a loopback address (127.0.0.1, ::1, localhost); \
                 {host_origin} is {}",
                c.host
            ),
        });
    }
    if c.metrics_open && !c.host.is_loopback() {
        let origin = raw
            .get(&Setting::MetricsOpen)
            .map_or("metrics_open", |r| r.origin.as_str());
        return Err(ConfigError {
            key: origin.to_owned(),
            value: "true".into(),
            allowed: format!(
                "an open /metrics is only allowed on a loopback address (127.0.0.1, ::1, \
                 localhost); {host_origin} is {}. Scrape with the API key instead \
                 (Authorization: Bearer <key>)",
                c.host
            ),
        });
    }
    if c.credits_file.is_none() {
        c.credits_file = crate::paths::default_credits_file();
    }
    if c.debug_dump_dir.is_none() {
        c.debug_dump_dir = crate::paths::default_debug_dump_dir();
    }
    Ok(c)
}
