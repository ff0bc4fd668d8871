//! `settings.toml` on disk: read (version checked, then validated) and written atomically.

use std::io::Write;
use std::path::Path;

use super::{Settings, SettingsError, SETTINGS_VERSION};

impl Settings {
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
}
