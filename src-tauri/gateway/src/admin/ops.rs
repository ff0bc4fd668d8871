//! What the `/admin` routes do, as functions of the gateway state: the HTTP handlers and the
//! desktop shell's commands both call these, so the two transports cannot drift.

use std::sync::Arc;

use axum::http::StatusCode;
use serde_json::Value;

use super::views::{
    KeyFileView, KeyView, LogsView, ModelRow, ModelsView, NewKey, RequestsView, RestartView,
    SettingsUpdate, SettingsView,
};
use super::{endpoints, AdminCode, AdminError, ControlPlane};
use crate::secrets::{regenerate_api_key, SecretStore};

pub fn settings(plane: &ControlPlane) -> Result<SettingsView, AdminError> {
    Ok(plane.handle()?.settings_view())
}

/// Validate, save and apply a partial settings object; a new address restarts the server.
pub async fn update_settings(
    plane: &ControlPlane,
    patch: &Value,
) -> Result<SettingsUpdate, AdminError> {
    plane.handle()?.update_settings(&plane.state, patch).await
}

pub fn reveal_key(plane: &ControlPlane) -> Result<KeyView, AdminError> {
    let (state, handle) = (&plane.state, plane.handle()?);
    Ok(KeyView {
        key: state.api_key.get().map(|k| k.expose().clone()),
        source: handle.key_source(),
    })
}

/// A new key, stored like the first one; the old key stops working at once.
pub async fn regenerate_key(plane: &ControlPlane) -> Result<NewKey, AdminError> {
    let (state, handle) = (&plane.state, plane.handle()?);
    if state.api_key.is_none() {
        return Err(AdminError::new(
            StatusCode::CONFLICT,
            AdminCode::NoAuth,
            "The gateway runs without an API key (--no-auth).",
            "Restart it without --no-auth to use a key.",
        ));
    }
    let was_configured = handle.key_source().starts_with("configured");
    let resolution = regenerate_api_key(&handle.key_stores())
        .await
        .map_err(|e| {
            AdminError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                AdminCode::KeyGeneration,
                e.to_string(),
                "Try again; if it keeps failing the OS random source is broken.",
            )
        })?;
    state.logs.redactor().add(resolution.key.expose());
    state.api_key.set(resolution.key.clone());
    let stored = resolution.source.describe();
    handle.set_key_source(&stored);
    tracing::info!("the API key was regenerated; the old key no longer works");
    let mut message = resolution.message_for_user.unwrap_or_default();
    if was_configured {
        message.push_str(
            " The key set with --api-key / KIRO_GATEWAY_API_KEY / config.toml still wins at the next start; remove it there to keep this one.",
        );
    }
    Ok(NewKey {
        key: resolution.key.expose().clone(),
        source: stored,
        message: message.trim().to_owned(),
    })
}

/// Opt-in when no OS keyring keeps the key: write the current key to the 0600 key file, and
/// keep it there when regenerated, so it survives a restart.
pub async fn save_key_to_file(plane: &ControlPlane) -> Result<KeyFileView, AdminError> {
    let (state, handle) = (&plane.state, plane.handle()?);
    let key = state.api_key.get().ok_or_else(|| {
        AdminError::new(
            StatusCode::CONFLICT,
            AdminCode::NoAuth,
            "The gateway runs without an API key (--no-auth).",
            "Restart it without --no-auth to use a key.",
        )
    })?;
    let file = handle.key_file().cloned().ok_or_else(|| {
        AdminError::new(
            StatusCode::CONFLICT,
            AdminCode::NoConfigDir,
            "There is no config folder to keep the key file in.",
            "Set KIRO_GATEWAY_API_KEY instead.",
        )
    })?;
    let path = file.path().to_path_buf();
    let written = tokio::task::spawn_blocking(move || file.set(&key).map(|()| file))
        .await?
        .map_err(|e| {
            AdminError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                AdminCode::KeyFileWrite,
                format!("Cannot write {}: {e}", path.display()),
                "Check that the config folder is writable.",
            )
        })?;
    let source = written.describe();
    handle.add_key_store(Arc::new(written));
    handle.set_key_source(&source);
    tracing::info!("the API key is now kept in {source}");
    Ok(KeyFileView { source, path })
}

/// Log lines after `since` and the request rows.
pub fn logs(plane: &ControlPlane, since: Option<u64>) -> Result<LogsView, AdminError> {
    let (state, handle) = (&plane.state, plane.handle()?);
    Ok(LogsView {
        logs: state.logs.logs(since),
        requests: state.logs.requests(),
        log_dir: handle.log_dir().cloned(),
        level: handle.log_level(),
    })
}

/// The request rows.
pub fn requests(state: &crate::app::AppState) -> RequestsView {
    RequestsView {
        requests: state.logs.requests(),
    }
}

/// The account's models with the ids clients send.
pub async fn models(state: &crate::app::AppState) -> ModelsView {
    let catalog = state.models.get().await;
    let models = catalog
        .models
        .iter()
        .map(|m| {
            let capabilities = catalog.capabilities(&m.id);
            ModelRow {
                id: crate::kiro::models::names::client_model_id(&m.id),
                name: m.name.clone(),
                description: m.description.clone(),
                context_length: capabilities.context_window,
                max_output_tokens: capabilities.max_output_tokens,
            }
        })
        .collect();
    ModelsView {
        models,
        source: format!("{:?}", catalog.source).to_lowercase(),
    }
}

/// Rebind on the current address (returns at once; see [`super::AdminHandle::restart`]).
pub fn restart(plane: &ControlPlane) -> Result<RestartView, AdminError> {
    let (state, handle) = (&plane.state, plane.handle()?);
    let next = state.with_config(state.config.clone());
    handle.restart(state.clone(), next);
    Ok(RestartView {
        restarting: true,
        endpoints: endpoints(state.config.host, state.config.port),
    })
}
