//! [`CredentialError`]: what can go wrong with credentials, and the fix to show the user.

#[derive(Debug, Clone, thiserror::Error)]
pub enum CredentialError {
    #[error("no Kiro credentials found: {0}")]
    NotFound(String),
    #[error("credential source is unreadable: {0}")]
    Invalid(String),
    /// The refresh token was rejected for good (`invalid_grant`): the user must sign in again.
    #[error("refresh token rejected: {0}")]
    RefreshRejected(String),
    /// The refresh endpoint failed for a reason that may pass (network, 5xx, 429).
    #[error("token refresh failed: {0}")]
    RefreshFailed(String),
    /// kiro-cli holds a lock on its database (it is writing it): passes in a moment.
    #[error("kiro-cli is busy: {0}")]
    SourceBusy(String),
}

impl CredentialError {
    /// A one-line fix for the user.
    pub fn hint(&self) -> &'static str {
        match self {
            CredentialError::NotFound(_) => "Sign in to the Kiro IDE or run `kiro-cli login`, or set KIRO_CREDS_FILE / KIRO_CLI_DB_FILE / REFRESH_TOKEN.",
            CredentialError::Invalid(_) => "Check the file named above, or sign in again in the Kiro IDE / kiro-cli.",
            CredentialError::RefreshRejected(_) => "Your Kiro login expired: sign in again in the Kiro IDE or run `kiro-cli login`.",
            CredentialError::RefreshFailed(_) => "Check your network or proxy (VPN_PROXY_URL / HTTPS_PROXY) and try again.",
            CredentialError::SourceBusy(_) => "kiro-cli is writing its login database; try again in a moment.",
        }
    }
}
