//! What the server reports: [`GatewayStatus`], and why a start failed ([`StartError`] with
//! its [`StartCode`]).

use std::net::SocketAddr;

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum GatewayStatus {
    Stopped,
    Starting,
    Running {
        addr: SocketAddr,
    },
    Error {
        code: StartCode,
        message: String,
        hint: String,
        /// A free port to use instead (`port_in_use`), when one was found.
        suggested_port: Option<u16>,
    },
}

/// What kind of start-up failure: decisions (the UI's fix, the admin status) are taken on
/// this, never on the message text. Serialised as the snake_case strings clients know.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StartCode {
    PortInUse,
    PermissionDenied,
    AddressUnavailable,
    BindFailed,
    NotReady,
    NoAuthBeyondLoopback,
    NoKeyBeyondLoopback,
    WeakKeyBeyondLoopback,
    HttpClient,
    Credentials,
    Config,
    ApiKey,
    LogLevel,
}

impl StartCode {
    /// The code as it appears on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            StartCode::PortInUse => "port_in_use",
            StartCode::PermissionDenied => "permission_denied",
            StartCode::AddressUnavailable => "address_unavailable",
            StartCode::BindFailed => "bind_failed",
            StartCode::NotReady => "not_ready",
            StartCode::NoAuthBeyondLoopback => "no_auth_beyond_loopback",
            StartCode::NoKeyBeyondLoopback => "no_key_beyond_loopback",
            StartCode::WeakKeyBeyondLoopback => "weak_key_beyond_loopback",
            StartCode::HttpClient => "http_client",
            StartCode::Credentials => "credentials",
            StartCode::Config => "config",
            StartCode::ApiKey => "api_key",
            StartCode::LogLevel => "log_level",
        }
    }
}

/// Why the server could not start, with a fix for the user.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize)]
#[error("{message}")]
pub struct StartError {
    pub code: StartCode,
    pub message: String,
    pub hint: String,
    /// A free port to use instead (`port_in_use`), when one was found.
    pub suggested_port: Option<u16>,
}
