//! `/admin/logins`: the Kiro logins on this machine and which one the gateway uses (and,
//! through the same functions, the desktop shell's commands and tray).
//!
//! | Route | Answer |
//! |---|---|
//! | `GET /admin/logins` | [`LoginsView`] |
//! | `POST /admin/logins/switch` `{id}` | switches, remembers the choice, answers the new [`LoginsView`] |
//!
//! Only the login in use talks to Kiro: the others are read from their files (source, sign-in
//! kind, region, expiry); their plan and credits are the ones last seen while they were in use
//! in this run. Switching is the user's act, for the requests that start afterwards; the
//! gateway never pools logins or rotates between them.

use axum::http::StatusCode;
use serde::Serialize;

use super::{AdminCode, AdminError, ControlPlane};
use crate::app::AppState;
use crate::credentials::{list_logins, Credentials, LoginInfo};
use crate::kiro::usage_limits::UsageSummary;

/// What the UI and the tray show.
#[derive(Debug, Clone, Serialize)]
pub struct LoginsView {
    /// The id of the login in use.
    pub active: String,
    pub logins: Vec<LoginRow>,
}

#[derive(Debug, Clone, Serialize)]
pub struct LoginRow {
    #[serde(flatten)]
    pub info: LoginInfo,
    pub active: bool,
    /// Plan and credits: the live ones for the login in use, else as last seen in this run.
    pub usage: Option<UsageSummary>,
}

/// Every login found, the one in use marked (listed first if discovery no longer finds it,
/// e.g. its file was removed after it was loaded).
pub async fn view(state: &AppState) -> Result<LoginsView, AdminError> {
    let settings = crate::gateway::credential_settings(&state.config);
    let found = tokio::task::spawn_blocking(move || list_logins(&settings)).await?;
    let login = state.kiro.login();
    let active = login.credentials().login_id();
    let current_usage = state.usage.cached();
    if let Some(usage) = &current_usage {
        login.remember_usage(&active, usage.clone());
    }
    let mut logins: Vec<LoginRow> = found
        .into_iter()
        .map(|info| LoginRow {
            active: info.id == active,
            usage: login.usage_seen(&info.id),
            info,
        })
        .collect();
    if !logins.iter().any(|row| row.active) {
        let credentials = login.credentials();
        let status = credentials.status();
        logins.insert(
            0,
            LoginRow {
                info: LoginInfo {
                    id: active.clone(),
                    source: status.source,
                    store: credentials.login_store(),
                    auth_kind: status.auth_kind,
                    region: Some(status.api_region),
                    expires_at: status.expires_at,
                    explicit: false,
                },
                active: true,
                usage: current_usage,
            },
        );
    }
    Ok(LoginsView { active, logins })
}

/// Use the login `id` for the requests that start from now on (open streams finish on the
/// old one), and remember it for the next start. The login must give a token first: a
/// login that cannot (signed out, refresh rejected) is not switched to.
pub async fn switch(plane: &ControlPlane, id: &str) -> Result<LoginsView, AdminError> {
    let (state, handle) = (&plane.state, plane.handle()?);
    let login = state.kiro.login();
    let previous = login.credentials().login_id();
    if id != previous {
        let credentials = match login.used_before(id) {
            Some(credentials) => credentials,
            None => Credentials::open_login(
                crate::gateway::credential_settings(&state.config),
                state.kiro.http().clone(),
                state.logs.redactor().clone(),
                id,
            )
            .await
            .map_err(|e| {
                AdminError::new(
                    StatusCode::NOT_FOUND,
                    AdminCode::LoginNotFound,
                    e.to_string(),
                    "Refresh the list: the login may have been signed out.",
                )
            })?,
        };
        credentials.access_token().await.map_err(|e| {
            AdminError::new(
                StatusCode::CONFLICT,
                AdminCode::LoginUnusable,
                format!("That login cannot be used now: {e}"),
                e.hint(),
            )
        })?;
        if let Some(usage) = state.usage.cached() {
            login.remember_usage(&previous, usage);
        }
        login.switch_to(credentials);
        state.models.forget();
        state.usage.forget();
        state.usage.spawn_refresh_if_stale();
        let models = state.models.clone();
        tokio::spawn(async move { models.refresh().await });
        tracing::info!(
            source = %login.credentials().status().source,
            "switched the Kiro login; requests already running finish on the previous one"
        );
    }
    handle.remember_login(id).await?;
    view(state).await
}
