//! The settings the UI edits, persisted as a versioned TOML file (`settings.toml` in
//! [`config_dir`]). Written atomically; never holds the API key (that lives in the
//! [`SecretStore`](crate::secrets::SecretStore)).
//!
//! How they meet [`Config`]: the file is the lowest layer of [`Config::load`]
//! ([`SavedSettings::layer`]), validated like every other layer, so a flag, variable, `.env`
//! or `config.toml` value always wins, even one equal to the built-in default (`--port
//! 8000`). Every program starts from [`load_config`].

use std::net::IpAddr;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

mod file;
mod patch;
mod saved;
mod validate;

pub use saved::{load_config, SavedSettings};

use crate::config::Config;
use crate::paths::config_dir;

/// The file format version written by this build.
pub const SETTINGS_VERSION: u32 = 1;
/// File name inside the config dir.
pub const SETTINGS_FILE_NAME: &str = "settings.toml";

/// User-editable settings. Unknown keys are refused so a typo is not silently ignored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// Always [`SETTINGS_VERSION`] when written.
    pub version: u32,
    /// Port to listen on (1-65535).
    pub port: u16,
    /// Bind address; anything other than loopback needs `allow_lan`.
    pub host: IpAddr,
    /// Explicit opt-in to listen on a non-loopback address.
    pub allow_lan: bool,
    /// Tracing filter: `error`, `warn`, `info`, `debug`, `trace` or directives.
    pub log_level: String,
    /// Upstream proxy (`http`, `https`, `socks5`, `socks5h` URL).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proxy_url: Option<String>,
    /// Use this Kiro IDE token file instead of discovery.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub creds_file: Option<PathBuf>,
    /// Use this kiro-cli SQLite database instead of discovery.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cli_db_file: Option<PathBuf>,
    /// Desktop app only: start with the session (hidden).
    pub launch_at_login: bool,
    /// Desktop app only: closing the window hides it to the tray.
    pub close_to_tray: bool,
    /// Kiro credits this gateway may spend per local day before it warns (and, with
    /// `pause_at_cap`, refuses requests). `None`: no daily cap.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub daily_credit_cap: Option<f64>,
    /// The same per calendar month.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub monthly_credit_cap: Option<f64>,
    /// Refuse requests (429 `credit_cap_reached`) while a cap is reached.
    pub pause_at_cap: bool,
    /// Desktop app only: notifications when a credit cap is half used, 80 % used and reached,
    /// and when Kiro holds requests back.
    pub desktop_notifications: bool,
    /// The Kiro login chosen in the app (an id from `GET /admin/logins`); changed by switching
    /// logins, not by a settings edit. Explicit credential settings win over it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kiro_login: Option<String>,
    /// Ask the release feed for a newer version at start and once a day.
    pub check_updates: bool,
    /// The release manifest's URL; `None`: the build's own feed (none in a build from source).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub update_feed: Option<String>,
}

/// Settings that may be absent (no value), cleared with `null` or an empty string.
const OPTIONAL_FIELDS: &[&str] = &[
    "proxy_url",
    "creds_file",
    "cli_db_file",
    "daily_credit_cap",
    "monthly_credit_cap",
    "update_feed",
];

impl Default for Settings {
    fn default() -> Self {
        let config = Config::default();
        Settings {
            version: SETTINGS_VERSION,
            port: config.port,
            host: config.host,
            allow_lan: false,
            log_level: config.log_level,
            proxy_url: None,
            creds_file: None,
            cli_db_file: None,
            launch_at_login: false,
            close_to_tray: true,
            daily_credit_cap: config.credit_caps.daily,
            monthly_credit_cap: config.credit_caps.monthly,
            pause_at_cap: config.credit_caps.pause,
            desktop_notifications: true,
            kiro_login: None,
            check_updates: config.check_updates,
            update_feed: None,
        }
    }
}

/// A rejected setting: which field, what is wrong, how to fix it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[error("{field}: {message}")]
pub struct SettingsError {
    pub field: String,
    pub message: String,
    pub hint: String,
}

impl SettingsError {
    fn new(field: &str, message: impl Into<String>, hint: impl Into<String>) -> Self {
        SettingsError {
            field: field.to_owned(),
            message: message.into(),
            hint: hint.into(),
        }
    }
}

/// `<config dir>/settings.toml`.
pub fn settings_file() -> Option<PathBuf> {
    config_dir().map(|d| d.join(SETTINGS_FILE_NAME))
}

impl Settings {
    /// The settings a running gateway with `config` is using (for a first start without a
    /// settings file). Desktop-only switches keep their defaults.
    pub fn from_config(config: &Config) -> Self {
        Settings {
            port: config.port,
            host: config.host,
            allow_lan: !config.host.is_loopback(),
            log_level: config.log_level.clone(),
            proxy_url: config.proxy_url.clone(),
            creds_file: config.creds_file.clone(),
            cli_db_file: config.cli_db_file.clone(),
            daily_credit_cap: config.credit_caps.daily,
            monthly_credit_cap: config.credit_caps.monthly,
            pause_at_cap: config.credit_caps.pause,
            check_updates: config.check_updates,
            update_feed: config
                .update_feed
                .clone()
                .filter(|feed| Some(feed) != crate::config::build_release_feed().as_ref()),
            ..Settings::default()
        }
    }
}

#[cfg(test)]
mod tests;
