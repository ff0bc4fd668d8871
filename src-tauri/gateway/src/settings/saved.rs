//! The settings file as the lowest configuration layer: what a program reads at start
//! ([`load_config`]), which saved values a start option overrides, and the settings in force.

use std::path::PathBuf;

use super::{settings_file, Settings, SettingsError};
use crate::config::keys::Setting;
use crate::config::{CliOverrides, Config, ConfigError, ConfigSources, SavedLayer};

/// Flags, environment, `.env`, `config.toml` and the saved settings, layered and validated:
/// what every command of the binary and the desktop app start from.
pub fn load_config(cli: &CliOverrides) -> Result<(Config, SavedSettings), ConfigError> {
    let saved = SavedSettings::load();
    let config = Config::load(&ConfigSources::from_process(cli, saved.layer()))?;
    Ok((config, saved))
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
    pub(super) fn of(settings: Settings) -> Self {
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
}
