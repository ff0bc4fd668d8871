//! Why a connect, preview or undo failed, as a typed code the UI decides on.

use std::path::Path;

/// What went wrong; serialised as the snake-case string the UI matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ConnectErrorCode {
    /// No such client id.
    UnknownClient,
    /// The client keeps its settings where we should not edit them (Cursor, Cline).
    ManualOnly,
    /// The model is not in the catalogue.
    UnknownModel,
    /// The client's config file exists but is not what we can edit (bad JSON/TOML, not
    /// UTF-8, an unexpected layout).
    UnreadableConfig,
    /// Undo without an earlier connect.
    NotConnected,
    /// Reading or writing a file failed.
    Io,
    /// No home folder: nothing to connect.
    NoHome,
}

impl ConnectErrorCode {
    /// The code as it appears on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            ConnectErrorCode::UnknownClient => "unknown_client",
            ConnectErrorCode::ManualOnly => "manual_only",
            ConnectErrorCode::UnknownModel => "unknown_model",
            ConnectErrorCode::UnreadableConfig => "unreadable_config",
            ConnectErrorCode::NotConnected => "not_connected",
            ConnectErrorCode::Io => "io",
            ConnectErrorCode::NoHome => "no_home",
        }
    }

    pub fn status(self) -> u16 {
        match self {
            ConnectErrorCode::UnknownClient => 404,
            ConnectErrorCode::ManualOnly => 409,
            ConnectErrorCode::UnknownModel => 400,
            ConnectErrorCode::UnreadableConfig => 409,
            ConnectErrorCode::NotConnected => 409,
            ConnectErrorCode::Io => 500,
            ConnectErrorCode::NoHome => 503,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectError {
    pub code: ConnectErrorCode,
    pub message: String,
    pub hint: String,
}

impl ConnectError {
    pub fn new(
        code: ConnectErrorCode,
        message: impl Into<String>,
        hint: impl Into<String>,
    ) -> Self {
        ConnectError {
            code,
            message: message.into(),
            hint: hint.into(),
        }
    }

    /// A config file we cannot edit safely.
    pub fn unreadable(path: &Path, why: impl std::fmt::Display) -> Self {
        ConnectError::new(
            ConnectErrorCode::UnreadableConfig,
            format!("{} cannot be edited safely: {why}", path.display()),
            "Fix the file (or move it away) and try again, or copy the settings from docs/clients.md (\"Connect your tool\").",
        )
    }

    pub fn io(path: &Path, action: &str, err: std::io::Error) -> Self {
        ConnectError::new(
            ConnectErrorCode::Io,
            format!("Cannot {action} {}: {err}", path.display()),
            "Check that the folder exists and is writable.",
        )
    }
}

impl std::fmt::Display for ConnectError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}
