//! The settings the UI edits, persisted as a versioned TOML file (`settings.toml` in
//! [`config_dir`]). Written atomically; never holds the API key (that lives in the
//! [`SecretStore`](crate::secrets::SecretStore)).
//!
//! How they meet [`Config`]: the file is the lowest layer of [`Config::load`]
//! ([`SavedSettings::layer`]), validated like every other layer, so a flag, variable, `.env`
//! or `config.toml` value always wins, even one equal to the built-in default (`--port
//! 8000`). Every program starts from [`load_config`].

use std::io::Write;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::config::keys::Setting;
use crate::config::{CliOverrides, Config, ConfigError, ConfigSources, SavedLayer};
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

/// Flags, environment, `.env`, `config.toml` and the saved settings, layered and validated:
/// what every command of the binary and the desktop app start from.
pub fn load_config(cli: &CliOverrides) -> Result<(Config, SavedSettings), ConfigError> {
    let saved = SavedSettings::load();
    let config = Config::load(&ConfigSources::from_process(cli, saved.layer()))?;
    Ok((config, saved))
}

/// `<config dir>/settings.toml`.
pub fn settings_file() -> Option<PathBuf> {
    config_dir().map(|d| d.join(SETTINGS_FILE_NAME))
}

/// The settings file as read at start-up, by the headless server and the desktop app alike.
pub struct SavedSettings {
    /// Where changes are saved (`None`: no config folder, kept in memory).
    pub path: Option<PathBuf>,
    pub settings: Option<Settings>,
    /// Why an existing file was ignored; the caller reports it once logging is set up.
    pub ignored: Option<SettingsError>,
}

impl SavedSettings {
    /// Read `settings.toml` from the config folder.
    pub fn load() -> Self {
        let path = settings_file();
        let (settings, ignored) = match path.as_deref().map(Settings::load) {
            Some(Ok(settings)) => (settings, None),
            Some(Err(err)) => (None, Some(err)),
            None => (None, None),
        };
        SavedSettings {
            path,
            settings,
            ignored,
        }
    }

    #[cfg(test)]
    fn of(settings: Settings) -> Self {
        SavedSettings {
            path: None,
            settings: Some(settings),
            ignored: None,
        }
    }

    /// The file as the lowest layer of [`Config::load`] (empty without a file).
    pub fn layer(&self) -> SavedLayer {
        self.settings
            .as_ref()
            .map(Settings::layer)
            .unwrap_or_default()
    }

    /// Saved settings that `config` overrides with an explicit, different value.
    pub fn shadowed_by(&self, config: &Config) -> Vec<&'static str> {
        self.settings
            .as_ref()
            .map(|saved| saved.shadowed_by(config))
            .unwrap_or_default()
    }

    /// The settings in force for a gateway started with `config`, keeping the saved
    /// desktop-only switches.
    pub fn in_force(&self, config: &Config) -> Settings {
        let mut settings = Settings::from_config(config);
        if let Some(saved) = &self.settings {
            settings.launch_at_login = saved.launch_at_login;
            settings.close_to_tray = saved.close_to_tray;
            settings.desktop_notifications = saved.desktop_notifications;
            settings.kiro_login = saved.kiro_login.clone();
        }
        settings
    }
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

    /// These settings as a configuration layer: `(TOML key, value)` pairs, the way
    /// `config.toml` would spell them.
    pub fn layer(&self) -> SavedLayer {
        let mut values = vec![
            ("port", self.port.to_string()),
            ("host", self.host.to_string()),
            ("log_level", self.log_level.clone()),
            ("pause_at_cap", self.pause_at_cap.to_string()),
            ("check_updates", self.check_updates.to_string()),
        ];
        let path = |p: &Option<PathBuf>| p.as_ref().map(|p| p.to_string_lossy().into_owned());
        let optional = [
            ("proxy_url", self.proxy_url.clone()),
            ("creds_file", path(&self.creds_file)),
            ("cli_db_file", path(&self.cli_db_file)),
            (
                "daily_credit_cap",
                self.daily_credit_cap.map(|c| c.to_string()),
            ),
            (
                "monthly_credit_cap",
                self.monthly_credit_cap.map(|c| c.to_string()),
            ),
            // No saved feed means the build's own, which is the default.
            ("update_feed", self.update_feed.clone()),
        ];
        values.extend(optional.into_iter().filter_map(|(key, v)| Some((key, v?))));
        SavedLayer {
            values,
            kiro_login: self.kiro_login.clone(),
        }
    }

    /// The saved settings a running gateway does not use because `config` was given another
    /// value explicitly (for the UI: "set by --port / the environment").
    pub fn shadowed_by(&self, config: &Config) -> Vec<&'static str> {
        let mut shadowed = Vec::new();
        let mut check = |setting, name, differs: bool| {
            if config.is_explicit(setting) && differs {
                shadowed.push(name);
            }
        };
        check(Setting::Port, "port", config.port != self.port);
        check(Setting::Host, "host", config.host != self.host);
        check(
            Setting::LogLevel,
            "log_level",
            config.log_level != self.log_level,
        );
        check(
            Setting::ProxyUrl,
            "proxy_url",
            config.proxy_url != self.proxy_url,
        );
        check(
            Setting::CredsFile,
            "creds_file",
            config.creds_file != self.creds_file,
        );
        check(
            Setting::CliDbFile,
            "cli_db_file",
            config.cli_db_file != self.cli_db_file,
        );
        check(
            Setting::DailyCreditCap,
            "daily_credit_cap",
            config.credit_caps.daily != self.daily_credit_cap,
        );
        check(
            Setting::MonthlyCreditCap,
            "monthly_credit_cap",
            config.credit_caps.monthly != self.monthly_credit_cap,
        );
        check(
            Setting::PauseAtCap,
            "pause_at_cap",
            config.credit_caps.pause != self.pause_at_cap,
        );
        check(
            Setting::CheckUpdates,
            "check_updates",
            config.check_updates != self.check_updates,
        );
        check(
            Setting::UpdateFeed,
            "update_feed",
            self.update_feed.is_some() && config.update_feed != self.update_feed,
        );
        shadowed
    }

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

    /// Read `path`. A missing file is `Ok(None)`; a malformed or invalid one is an error
    /// naming the field.
    pub fn load(path: &Path) -> Result<Option<Settings>, SettingsError> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => {
                return Err(SettingsError::new(
                    "file",
                    format!("cannot read {}: {e}", path.display()),
                    "Check the file's permissions.",
                ))
            }
        };
        let raw: toml::Table = toml::from_str(&text).map_err(|e| {
            SettingsError::new(
                "file",
                format!("{} is not valid TOML: {}", path.display(), e.message()),
                "Fix the file or delete it to start from defaults.",
            )
        })?;
        match raw.get("version").and_then(|v| v.as_integer()) {
            Some(v) if v == SETTINGS_VERSION as i64 => {}
            Some(v) => {
                return Err(SettingsError::new(
                    "version",
                    format!(
                        "{} has settings version {v}; this build reads version {SETTINGS_VERSION}",
                        path.display()
                    ),
                    "Update Kiro Gateway, or delete the file to start from defaults.",
                ))
            }
            None => {
                return Err(SettingsError::new(
                    "version",
                    format!("{} has no `version` field", path.display()),
                    "Add `version = 1` at the top, or delete the file.",
                ))
            }
        }
        let settings: Settings =
            toml::Value::Table(raw)
                .try_into()
                .map_err(|e: toml::de::Error| {
                    SettingsError::new(
                        "file",
                        format!("{}: {}", path.display(), e.message()),
                        "Fix the file or delete it to start from defaults.",
                    )
                })?;
        settings.validate()?;
        Ok(Some(settings))
    }

    /// Write to `path` atomically: a temporary file in the same directory, flushed to disk,
    /// then renamed over the old one. The directory is created if needed.
    pub fn save(&self, path: &Path) -> std::io::Result<()> {
        let dir = path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir)?;
        let mut to_write = self.clone();
        to_write.version = SETTINGS_VERSION;
        let body = toml::to_string(&to_write).map_err(std::io::Error::other)?;
        let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
        tmp.write_all(
            b"# Kiro Gateway settings (edited by the app). The API key is not stored here.\n",
        )?;
        tmp.write_all(body.as_bytes())?;
        tmp.as_file().sync_all()?;
        tmp.persist(path).map_err(|e| e.error)?;
        #[cfg(unix)]
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(())
    }

    /// `self` with the fields present in `patch` (a JSON object) replaced. Unknown fields
    /// and values of the wrong type are errors naming the field; the result is validated.
    pub fn patched(&self, patch: &serde_json::Value) -> Result<Settings, SettingsError> {
        let serde_json::Value::Object(patch) = patch else {
            return Err(SettingsError::new(
                "body",
                "expected a JSON object of settings",
                "Send e.g. {\"port\": 8001}.",
            ));
        };
        let mut merged = serde_json::to_value(self).map_err(|e| {
            SettingsError::new("body", e.to_string(), "This is a bug; please report it.")
        })?;
        let known = merged.as_object().cloned().unwrap_or_default();
        for (key, value) in patch {
            if key == "version" {
                continue;
            }
            if key == "kiro_login" {
                return Err(SettingsError::new(
                    key,
                    "the Kiro login is switched, not edited",
                    "Use POST /admin/logins/switch with the login's id (the Overview's Kiro logins list).",
                ));
            }
            let known_key = known.contains_key(key) || OPTIONAL_FIELDS.contains(&key.as_str());
            if !known_key {
                return Err(SettingsError::new(
                    key,
                    format!("unknown setting `{key}`"),
                    format!("Known settings: {}.", Settings::FIELDS.join(", ")),
                ));
            }
            // Empty strings clear optional paths and URLs.
            let value = match value {
                serde_json::Value::String(s)
                    if s.trim().is_empty() && OPTIONAL_FIELDS.contains(&key.as_str()) =>
                {
                    serde_json::Value::Null
                }
                serde_json::Value::String(s)
                    if matches!(key.as_str(), "daily_credit_cap" | "monthly_credit_cap") =>
                {
                    s.trim()
                        .parse::<f64>()
                        .ok()
                        .and_then(|v| {
                            serde_json::Number::from_f64(v).map(serde_json::Value::Number)
                        })
                        .unwrap_or_else(|| value.clone())
                }
                serde_json::Value::String(s) if key == "port" => s
                    .trim()
                    .parse::<u64>()
                    .map(serde_json::Value::from)
                    .unwrap_or_else(|_| value.clone()),
                other => other.clone(),
            };
            let mut single = serde_json::to_value(Settings::default()).unwrap_or_default();
            single[key.as_str()] = value.clone();
            if let Err(e) = serde_json::from_value::<Settings>(single) {
                return Err(SettingsError::new(
                    key,
                    field_type_message(key, &e.to_string()),
                    field_hint(key),
                ));
            }
            merged[key.as_str()] = value;
        }
        let settings: Settings = serde_json::from_value(merged)
            .map_err(|e| SettingsError::new("body", e.to_string(), "Check the values you sent."))?;
        settings.validate()?;
        Ok(settings)
    }

    /// Names of every setting, in file order.
    pub const FIELDS: &'static [&'static str] = &[
        "port",
        "host",
        "allow_lan",
        "log_level",
        "proxy_url",
        "creds_file",
        "cli_db_file",
        "launch_at_login",
        "close_to_tray",
        "daily_credit_cap",
        "monthly_credit_cap",
        "pause_at_cap",
        "desktop_notifications",
        "check_updates",
        "update_feed",
    ];
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

fn field_type_message(key: &str, serde_message: &str) -> String {
    match key {
        "port" => "the port must be a number between 1 and 65535".into(),
        "host" => "the bind address must be an IP address such as 127.0.0.1 or 0.0.0.0".into(),
        "daily_credit_cap" | "monthly_credit_cap" => {
            "a credit cap must be a number of credits above 0".into()
        }
        _ => format!("invalid value: {serde_message}"),
    }
}

fn field_hint(key: &str) -> String {
    match key {
        "port" => "Choose a port between 1024 and 65535, e.g. 8000.".into(),
        "host" => {
            "Use 127.0.0.1 (this machine only) or 0.0.0.0 (every interface, with LAN access on)."
                .into()
        }
        "allow_lan"
        | "launch_at_login"
        | "close_to_tray"
        | "pause_at_cap"
        | "check_updates"
        | "desktop_notifications" => "Use true or false.".into(),
        "daily_credit_cap" | "monthly_credit_cap" => {
            "For example 25 or 12.5; leave empty for no cap.".into()
        }
        _ => "Check the value.".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_in_force_follow_the_config_and_keep_saved_desktop_switches() {
        let config = Config {
            port: 8123,
            ..Config::default()
        };
        let saved = SavedSettings {
            path: None,
            settings: Some(Settings {
                port: 9000,
                launch_at_login: true,
                close_to_tray: false,
                ..Settings::default()
            }),
            ignored: None,
        };
        let settings = saved.in_force(&config);
        assert_eq!(
            settings.port, 8123,
            "the address in force, not the saved one"
        );
        assert!(settings.launch_at_login);
        assert!(!settings.close_to_tray);
        let none = SavedSettings {
            path: None,
            settings: None,
            ignored: None,
        };
        assert_eq!(none.in_force(&config), Settings::from_config(&config));
    }
    use serde_json::json;

    #[test]
    fn round_trip_with_version_and_no_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested").join(SETTINGS_FILE_NAME);
        let settings = Settings {
            port: 8123,
            proxy_url: Some("socks5://127.0.0.1:1080".into()),
            launch_at_login: true,
            ..Settings::default()
        };
        settings.save(&path).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("version = 1"), "{text}");
        assert!(!text.contains("api_key"), "{text}");
        assert_eq!(Settings::load(&path).unwrap(), Some(settings));
        assert_eq!(Settings::load(&dir.path().join("none.toml")).unwrap(), None);
    }

    #[test]
    fn save_replaces_atomically_and_leaves_no_temp_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(SETTINGS_FILE_NAME);
        for port in [8001, 8002, 8003] {
            Settings {
                port,
                ..Settings::default()
            }
            .save(&path)
            .unwrap();
        }
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, [std::ffi::OsString::from(SETTINGS_FILE_NAME)]);
        assert_eq!(Settings::load(&path).unwrap().unwrap().port, 8003);
    }

    #[test]
    fn version_is_required_and_checked() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(SETTINGS_FILE_NAME);
        std::fs::write(&path, "port = 8001\n").unwrap();
        assert_eq!(Settings::load(&path).unwrap_err().field, "version");
        std::fs::write(&path, "version = 2\nport = 8001\n").unwrap();
        assert_eq!(Settings::load(&path).unwrap_err().field, "version");
        std::fs::write(&path, "version = 1\nprot = 8001\n").unwrap();
        assert_eq!(Settings::load(&path).unwrap_err().field, "file");
        std::fs::write(&path, "version = 1\nport = 8001\n").unwrap();
        assert_eq!(Settings::load(&path).unwrap().unwrap().port, 8001);
    }

    #[test]
    fn validation_names_the_field() {
        let base = Settings::default();
        let err = |patch| base.patched(&patch).unwrap_err().field;
        assert_eq!(err(json!({"port": 0})), "port");
        assert_eq!(err(json!({"port": 70000})), "port");
        assert_eq!(err(json!({"port": "abc"})), "port");
        assert_eq!(err(json!({"host": "not-an-ip"})), "host");
        assert_eq!(err(json!({"host": "0.0.0.0"})), "host");
        assert_eq!(err(json!({"log_level": "loud=="})), "log_level");
        assert_eq!(err(json!({"proxy_url": "ftp://x"})), "proxy_url");
        assert_eq!(
            err(json!({"creds_file": "/definitely/missing.json"})),
            "creds_file"
        );
        assert_eq!(err(json!({"colour": "blue"})), "colour");
        let ok = base
            .patched(
                &json!({"host": "0.0.0.0", "allow_lan": true, "port": "8005", "proxy_url": ""}),
            )
            .unwrap();
        assert_eq!(ok.port, 8005);
        assert!(ok.allow_lan);
        assert_eq!(ok.proxy_url, None);
    }

    #[test]
    fn credit_caps_are_numbers_above_zero_and_clear_when_empty() {
        let base = Settings::default();
        let set = base
            .patched(&json!({"daily_credit_cap": "12.5", "monthly_credit_cap": 300, "pause_at_cap": true}))
            .unwrap();
        assert_eq!(set.daily_credit_cap, Some(12.5));
        assert_eq!(set.monthly_credit_cap, Some(300.0));
        assert!(set.pause_at_cap);
        let cleared = set
            .patched(&json!({"daily_credit_cap": "", "monthly_credit_cap": null}))
            .unwrap();
        assert_eq!(cleared.daily_credit_cap, None);
        assert_eq!(cleared.monthly_credit_cap, None);
        for bad in [json!(0), json!(-3), json!("lots"), json!("0")] {
            let err = base.patched(&json!({"daily_credit_cap": bad})).unwrap_err();
            assert_eq!(err.field, "daily_credit_cap", "{bad}");
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(SETTINGS_FILE_NAME);
        set.save(&path).unwrap();
        assert_eq!(Settings::load(&path).unwrap(), Some(set));
    }

    /// `Config::load` with `saved` as its settings layer, `cli` flags and `env` variables
    /// (no `.env`, no `config.toml`).
    fn load_with(saved: &Settings, cli: CliOverrides, env: &[(&str, &str)]) -> Config {
        let env: std::collections::HashMap<String, String> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let lookup = move |k: &str| env.get(k).cloned();
        Config::load(&ConfigSources {
            cli: &cli,
            env: &lookup,
            dotenv_dir: None,
            default_config_file: None,
            saved: saved.layer(),
        })
        .expect("valid configuration")
    }

    #[test]
    fn saved_caps_fill_the_config_unless_given_at_start() {
        let saved = Settings {
            daily_credit_cap: Some(5.0),
            pause_at_cap: true,
            ..Settings::default()
        };
        let config = load_with(&saved, CliOverrides::default(), &[]);
        assert_eq!(config.credit_caps.daily, Some(5.0));
        assert!(config.credit_caps.pause);
        assert!(!config.is_explicit(Setting::DailyCreditCap));
        let from_env = load_with(
            &saved,
            CliOverrides::default(),
            &[("KIRO_GATEWAY_DAILY_CREDIT_CAP", "9")],
        );
        assert_eq!(from_env.credit_caps.daily, Some(9.0));
        assert_eq!(
            SavedSettings::of(saved.clone()).shadowed_by(&from_env),
            ["daily_credit_cap"]
        );
        assert_eq!(Settings::from_config(&from_env).daily_credit_cap, Some(9.0));
    }

    #[test]
    fn defaults_yield_to_explicit_config() {
        let settings = Settings {
            port: 9100,
            log_level: "debug".into(),
            ..Settings::default()
        };
        let config = load_with(&settings, CliOverrides::default(), &[]);
        assert_eq!(config.port, 9100);
        assert_eq!(config.log_level, "debug");
        let explicit = load_with(
            &settings,
            CliOverrides {
                port: Some("7000".into()),
                ..CliOverrides::default()
            },
            &[],
        );
        assert_eq!(explicit.port, 7000);
        assert_eq!(
            explicit.log_level, "debug",
            "what was not given still comes from the file"
        );
        assert_eq!(SavedSettings::of(settings).shadowed_by(&explicit), ["port"]);
    }

    #[test]
    fn an_explicit_value_equal_to_the_default_still_wins() {
        let settings = Settings {
            port: 9100,
            log_level: "debug".into(),
            ..Settings::default()
        };
        // `--port 8000 --log-level info`: both are the built-in defaults.
        let config = load_with(
            &settings,
            CliOverrides {
                port: Some("8000".into()),
                log_level: Some("info".into()),
                ..CliOverrides::default()
            },
            &[],
        );
        assert_eq!(config.port, 8000);
        assert_eq!(config.log_level, "info");
        assert_eq!(
            SavedSettings::of(settings).shadowed_by(&config),
            ["port", "log_level"]
        );
    }

    #[test]
    fn a_saved_lan_address_never_applies_to_a_keyless_start() {
        let lan = Settings {
            host: [0, 0, 0, 0].into(),
            allow_lan: true,
            ..Settings::default()
        };
        let keyless = load_with(
            &lan,
            CliOverrides {
                no_auth: true,
                ..CliOverrides::default()
            },
            &[],
        );
        assert!(keyless.host.is_loopback());
        let keyed = load_with(&lan, CliOverrides::default(), &[]);
        assert_eq!(keyed.host, lan.host);
    }

    #[test]
    fn a_saved_value_is_validated_like_any_other_layer_and_named_as_such() {
        let mut layer = Settings::default().layer();
        layer.values.retain(|(key, _)| *key != "port");
        layer.values.push(("port", "eighty".into()));
        let cli = CliOverrides::default();
        let err = Config::load(&ConfigSources {
            cli: &cli,
            env: &|_: &str| None,
            dotenv_dir: None,
            default_config_file: None,
            saved: layer,
        })
        .unwrap_err();
        assert_eq!(err.key, "port in settings.toml");
        assert_eq!(err.value, "eighty");
    }

    #[test]
    fn the_saved_login_comes_only_from_the_file() {
        let saved = Settings {
            kiro_login: Some("kiro-cli:default".into()),
            ..Settings::default()
        };
        let config = load_with(&saved, CliOverrides::default(), &[]);
        assert_eq!(config.kiro_login.as_deref(), Some("kiro-cli:default"));
    }
}
