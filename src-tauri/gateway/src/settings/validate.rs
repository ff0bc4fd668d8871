//! Checking every field of [`Settings`]; the error names the first bad one.

use super::{Settings, SettingsError, SETTINGS_VERSION};

impl Settings {
    /// Check every field; the error names the first bad one.
    pub fn validate(&self) -> Result<(), SettingsError> {
        if self.version != SETTINGS_VERSION {
            return Err(SettingsError::new(
                "version",
                format!(
                    "settings version {} is not supported (this build reads version {SETTINGS_VERSION})",
                    self.version
                ),
                "Update Kiro Gateway, or delete settings.toml to start from defaults.",
            ));
        }
        if self.port == 0 {
            return Err(SettingsError::new(
                "port",
                "port 0 is not allowed here",
                "Choose a port between 1024 and 65535, e.g. 8000.",
            ));
        }
        if !self.host.is_loopback() && !self.allow_lan {
            return Err(SettingsError::new(
                "host",
                format!("{} is reachable from other machines", self.host),
                "Turn on \"Allow LAN access\" to bind a non-loopback address, or use 127.0.0.1.",
            ));
        }
        if self.log_level.trim().is_empty() {
            return Err(SettingsError::new(
                "log_level",
                "the log level is empty",
                "Use error, warn, info, debug or trace.",
            ));
        }
        if let Err(e) = tracing_subscriber::EnvFilter::try_new(&self.log_level) {
            return Err(SettingsError::new(
                "log_level",
                format!("{:?} is not a log filter: {e}", self.log_level),
                "Use error, warn, info, debug or trace (or a directive like kiro_gateway=debug).",
            ));
        }
        if let Some(proxy) = &self.proxy_url {
            if !is_url(proxy, &["http", "https", "socks5", "socks5h"]) {
                return Err(SettingsError::new(
                    "proxy_url",
                    "the upstream proxy must be an http, https, socks5 or socks5h URL",
                    "For example http://127.0.0.1:3128 or socks5://127.0.0.1:1080; leave empty for none.",
                ));
            }
        }
        for (field, cap) in [
            ("daily_credit_cap", self.daily_credit_cap),
            ("monthly_credit_cap", self.monthly_credit_cap),
        ] {
            if cap.is_some_and(|c| !c.is_finite() || c <= 0.0) {
                return Err(SettingsError::new(
                    field,
                    "a credit cap must be a number of credits above 0",
                    "For example 25 or 12.5; leave empty for no cap.",
                ));
            }
        }
        if let Some(feed) = &self.update_feed {
            if !is_url(feed, &["http", "https"]) {
                return Err(SettingsError::new(
                    "update_feed",
                    "the release feed must be an http:// or https:// URL",
                    "For example https://example.com/kiro-gateway/latest.json; leave empty for the build's own feed.",
                ));
            }
        }
        for (field, path) in [
            ("creds_file", &self.creds_file),
            ("cli_db_file", &self.cli_db_file),
        ] {
            if let Some(path) = path {
                let path = crate::paths::expand_tilde(path);
                if !path.is_file() {
                    return Err(SettingsError::new(
                        field,
                        format!("{} does not exist", path.display()),
                        "Pick an existing file, or leave empty to find credentials automatically.",
                    ));
                }
            }
        }
        Ok(())
    }
}

/// `value` is `<scheme>://<host>…` with one of `schemes` and no whitespace.
fn is_url(value: &str, schemes: &[&str]) -> bool {
    value.split_once("://").is_some_and(|(scheme, rest)| {
        schemes.iter().any(|s| scheme.eq_ignore_ascii_case(s))
            && !rest.is_empty()
            && !rest.starts_with('/')
            && !rest.contains(char::is_whitespace)
    })
}
