//! Kiro credentials: discovery of every source, refresh (desktop + OIDC), adoption of tokens
//! the IDE or kiro-cli wrote, atomic write-back (protocol doc §2–3, ARCHITECTURE.md §3).
//!
//! CONTRACT (used by `kiro::client`, `server`, `api::health`, `main`): the public items below
//! keep their names and signatures; everything else in this module is free to change.

use std::path::PathBuf;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::logs::Redactor;
use crate::secrets::Secret;

/// How a credential is refreshed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthKind {
    /// Google / GitHub login: desktop refresh endpoint.
    Social,
    /// Builder ID / IAM Identity Center: AWS SSO OIDC CreateToken.
    Oidc,
    /// External IdP (Entra ID, Okta …): the IdP's own token endpoint.
    ExternalIdp,
    /// `ksk_…` Kiro API key: no refresh.
    ApiKey,
}

/// What the gateway was told or found; explicit settings win over discovery.
#[derive(Debug, Clone, Default)]
pub struct CredentialSettings {
    /// `KIRO_CREDS_FILE`: an IDE-style JSON token file.
    pub creds_file: Option<PathBuf>,
    /// `KIRO_CLI_DB_FILE`: a kiro-cli / Amazon Q SQLite database.
    pub cli_db_file: Option<PathBuf>,
    /// `REFRESH_TOKEN`: a bare (social) refresh token.
    pub refresh_token: Option<Secret<String>>,
    /// `PROFILE_ARN`.
    pub profile_arn: Option<String>,
    /// `KIRO_REGION`: fallback auth/API region (default `us-east-1`).
    pub region: Option<String>,
    /// `KIRO_REFRESH_URL`: full social refresh URL; default from the auth region.
    pub refresh_url: Option<String>,
    /// `KIRO_OIDC_URL`: full OIDC token URL; default from the SSO region.
    pub oidc_url: Option<String>,
    /// `KIRO_MANAGEMENT_URL`: management base URL (ListAvailableProfiles); default from the API region.
    pub management_url: Option<String>,
    /// Home directory used for discovery (tests point it at a temp dir). `None` = the real one.
    pub home_dir: Option<PathBuf>,
    /// `data_local_dir` used to find kiro-cli databases. `None` = the platform's.
    pub data_local_dir: Option<PathBuf>,
}

/// A usable access token and what goes with it on a Kiro request.
#[derive(Debug, Clone)]
pub struct AccessToken {
    pub token: Secret<String>,
    pub auth_kind: AuthKind,
    pub profile_arn: Option<String>,
    /// Region of the runtime / management hosts for this credential.
    pub api_region: String,
    /// Stable 64-hex machine id for this credential (protocol doc §4.3).
    pub machine_id: String,
    /// Increases every time the token changes (refresh or adoption); lets a caller that saw
    /// a 403 tell whether someone already replaced the token it used.
    pub generation: u64,
}

/// What the UI, `/health` and `doctor` may show. Never contains a token.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CredentialStatus {
    /// Human description of the source, e.g. `Kiro IDE token file ~/.aws/sso/cache/kiro-auth-token.json`.
    pub source: String,
    pub auth_kind: AuthKind,
    pub expires_at: Option<DateTime<Utc>>,
    pub profile_arn: Option<String>,
    pub api_region: String,
    pub last_refresh_error: Option<String>,
    /// Refresh calls this process made.
    pub refresh_count: u64,
    /// Tokens adopted from the source after the IDE / kiro-cli rewrote it.
    pub adopted_count: u64,
    /// Write-back is impossible (read-only source); the token lives in memory only.
    pub read_only: bool,
}

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
}

impl CredentialError {
    /// A one-line fix for the user.
    pub fn hint(&self) -> &'static str {
        match self {
            CredentialError::NotFound(_) => "Sign in to the Kiro IDE or run `kiro-cli login`, or set KIRO_CREDS_FILE / KIRO_CLI_DB_FILE / REFRESH_TOKEN.",
            CredentialError::Invalid(_) => "Check the file named above, or sign in again in the Kiro IDE / kiro-cli.",
            CredentialError::RefreshRejected(_) => "Your Kiro login expired: sign in again in the Kiro IDE or run `kiro-cli login`.",
            CredentialError::RefreshFailed(_) => "Check your network or proxy (VPN_PROXY_URL / HTTPS_PROXY) and try again.",
        }
    }
}

/// The credential manager: one per gateway.
pub struct Credentials {
    _private: (),
}

impl Credentials {
    /// Find the credential source (explicit settings first, then discovery) and load it.
    pub async fn discover(
        settings: CredentialSettings,
        http: reqwest::Client,
        redactor: Redactor,
    ) -> Result<Arc<Self>, CredentialError> {
        let _ = (settings, http, redactor);
        Err(CredentialError::NotFound("not implemented".into()))
    }

    /// A token valid for at least a short while. Refreshes (single-flight) when the token is
    /// expired or about to expire, after first re-reading the source in case the IDE or
    /// kiro-cli already refreshed it.
    pub async fn access_token(&self) -> Result<AccessToken, CredentialError> {
        Err(CredentialError::NotFound("not implemented".into()))
    }

    /// Upstream answered the bearer-token 403 for `rejected`. Refresh once (single-flight) unless
    /// the token already changed since, and return the new token.
    pub async fn on_rejected(&self, rejected: &AccessToken) -> Result<AccessToken, CredentialError> {
        let _ = rejected;
        Err(CredentialError::NotFound("not implemented".into()))
    }

    pub fn status(&self) -> CredentialStatus {
        unimplemented!()
    }

    /// Start watching the source's parent directory (debounced). The watch ends when the
    /// returned guard is dropped.
    pub fn watch(self: &Arc<Self>) -> Result<WatchGuard, CredentialError> {
        Ok(WatchGuard { _private: () })
    }
}

/// Keeps the file watcher alive.
pub struct WatchGuard {
    _private: (),
}
