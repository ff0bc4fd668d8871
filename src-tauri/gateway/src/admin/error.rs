//! [`AdminError`]: how a control-plane operation fails, the same for the `/admin` HTTP routes
//! and the desktop shell's commands: `{code, message, hint[, field][, suggested_port]}` and
//! the HTTP status the route answers with.

use axum::http::StatusCode;

use crate::connect::ConnectErrorCode;
use crate::server::StartCode;
use crate::settings::SettingsError;

/// What kind of control-plane failure: the UI decides on this, never on the message.
/// Serialised as the snake_case string the UI and scripts know.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdminCode {
    /// The program runs without the admin API.
    AdminUnavailable,
    /// A desktop-only setting sent to the headless gateway.
    DesktopOnly,
    NotFound,
    InvalidJson,
    InvalidField,
    InvalidSetting,
    InvalidApiKey,
    TooManyWrongKeys,
    /// The request guard refused the call (Host, Origin, content type).
    HostNotAllowed,
    OriginNotAllowed,
    UnsupportedMediaType,
    /// The gateway runs with `--no-auth`: there is no key to show or change.
    NoAuth,
    NoAuthLoopbackOnly,
    NoConfigDir,
    KeyGeneration,
    KeyFileWrite,
    SettingsWrite,
    LoginNotFound,
    LoginUnusable,
    DumpsUnavailable,
    DumpNotFound,
    DumpUnreadable,
    DumpTruncated,
    DumpIo,
    Internal,
    /// Desktop commands: nothing assembled yet, the server is stopped, the OS refused.
    NotReady,
    NotRunning,
    Autostart,
    NoLogFolder,
    NoFolder,
    OpenFailed,
    SaveFailed,
    /// A start or rebind failed (a new address in the settings).
    Start(StartCode),
    /// "Connect a tool" failed.
    Connect(ConnectErrorCode),
}

impl AdminCode {
    /// The code as it appears on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            AdminCode::AdminUnavailable => "admin_unavailable",
            AdminCode::DesktopOnly => "desktop_only",
            AdminCode::NotFound => "not_found",
            AdminCode::InvalidJson => "invalid_json",
            AdminCode::InvalidField => "invalid_field",
            AdminCode::InvalidSetting => "invalid_setting",
            AdminCode::InvalidApiKey => "invalid_api_key",
            AdminCode::TooManyWrongKeys => "too_many_wrong_keys",
            AdminCode::HostNotAllowed => "host_not_allowed",
            AdminCode::OriginNotAllowed => "origin_not_allowed",
            AdminCode::UnsupportedMediaType => "unsupported_media_type",
            AdminCode::NoAuth => "no_auth",
            AdminCode::NoAuthLoopbackOnly => "no_auth_loopback_only",
            AdminCode::NoConfigDir => "no_config_dir",
            AdminCode::KeyGeneration => "key_generation",
            AdminCode::KeyFileWrite => "key_file_write",
            AdminCode::SettingsWrite => "settings_write",
            AdminCode::LoginNotFound => "login_not_found",
            AdminCode::LoginUnusable => "login_unusable",
            AdminCode::DumpsUnavailable => "dumps_unavailable",
            AdminCode::DumpNotFound => "dump_not_found",
            AdminCode::DumpUnreadable => "dump_unreadable",
            AdminCode::DumpTruncated => "dump_truncated",
            AdminCode::DumpIo => "dump_io",
            AdminCode::Internal => "internal",
            AdminCode::NotReady => "not_ready",
            AdminCode::NotRunning => "not_running",
            AdminCode::Autostart => "autostart",
            AdminCode::NoLogFolder => "no_log_folder",
            AdminCode::NoFolder => "no_folder",
            AdminCode::OpenFailed => "open_failed",
            AdminCode::SaveFailed => "save_failed",
            AdminCode::Start(code) => code.as_str(),
            AdminCode::Connect(code) => code.as_str(),
        }
    }
}

impl serde::Serialize for AdminCode {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl std::fmt::Display for AdminCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An `/admin` failure: `{code, message, hint[, field][, suggested_port]}` with `status`.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct AdminError {
    #[serde(skip)]
    pub status: StatusCode,
    pub code: AdminCode,
    pub message: String,
    pub hint: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suggested_port: Option<u16>,
}

/// A blocking admin task that panicked or was cancelled.
impl From<tokio::task::JoinError> for AdminError {
    fn from(e: tokio::task::JoinError) -> Self {
        AdminError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            AdminCode::Internal,
            e.to_string(),
            "Try again.",
        )
    }
}

impl AdminError {
    pub fn new(
        status: StatusCode,
        code: AdminCode,
        message: impl Into<String>,
        hint: impl Into<String>,
    ) -> Self {
        AdminError {
            status,
            code,
            message: message.into(),
            hint: hint.into(),
            field: None,
            suggested_port: None,
        }
    }
}

impl From<SettingsError> for AdminError {
    fn from(e: SettingsError) -> Self {
        AdminError {
            field: Some(e.field.clone()),
            ..AdminError::new(
                StatusCode::BAD_REQUEST,
                AdminCode::InvalidSetting,
                e.to_string(),
                e.hint,
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The typed codes go out as the strings the UI, scripts and the serde derives of the
    /// wrapped enums already use.
    #[test]
    fn codes_serialise_as_their_wire_strings() {
        let wire = |code: AdminCode| serde_json::to_value(code).unwrap();
        assert_eq!(wire(AdminCode::InvalidSetting), "invalid_setting");
        assert_eq!(wire(AdminCode::TooManyWrongKeys), "too_many_wrong_keys");
        for code in [
            StartCode::PortInUse,
            StartCode::AddressUnavailable,
            StartCode::Credentials,
            StartCode::NoKeyBeyondLoopback,
        ] {
            assert_eq!(
                wire(AdminCode::Start(code)),
                serde_json::to_value(code).unwrap()
            );
        }
        for code in [
            ConnectErrorCode::UnknownClient,
            ConnectErrorCode::ManualOnly,
            ConnectErrorCode::UnknownModel,
            ConnectErrorCode::UnreadableConfig,
            ConnectErrorCode::NotConnected,
            ConnectErrorCode::Io,
            ConnectErrorCode::NoHome,
        ] {
            assert_eq!(
                wire(AdminCode::Connect(code)),
                serde_json::to_value(code).unwrap()
            );
        }
        let err = AdminError {
            suggested_port: Some(8001),
            ..AdminError::new(
                StatusCode::CONFLICT,
                AdminCode::Start(StartCode::PortInUse),
                "Port 8000 is in use.",
                "Use 8001.",
            )
        };
        assert_eq!(
            serde_json::to_value(&err).unwrap(),
            serde_json::json!({
                "code": "port_in_use",
                "message": "Port 8000 is in use.",
                "hint": "Use 8001.",
                "suggested_port": 8001,
            })
        );
    }
}
