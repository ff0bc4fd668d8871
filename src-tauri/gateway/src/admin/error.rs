//! [`AdminError`]: how a control-plane operation fails, the same for the `/admin` HTTP routes
//! and the desktop shell's commands: `{code, message, hint[, field][, suggested_port]}` and
//! the HTTP status the route answers with.

use axum::http::StatusCode;

use crate::settings::SettingsError;

/// An `/admin` failure: `{code, message, hint[, field]}` with `status`.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct AdminError {
    #[serde(skip)]
    pub status: StatusCode,
    pub code: String,
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
            "internal",
            e.to_string(),
            "Try again.",
        )
    }
}

impl AdminError {
    pub fn new(
        status: StatusCode,
        code: &str,
        message: impl Into<String>,
        hint: impl Into<String>,
    ) -> Self {
        AdminError {
            status,
            code: code.into(),
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
                "invalid_setting",
                e.to_string(),
                e.hint,
            )
        }
    }
}
