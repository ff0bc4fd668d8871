//! The commands `ui/api.js` invokes (see its `TAURI_COMMANDS`). Each calls the same gateway
//! functions as the matching `/admin` route and fails with `{code, message, hint}`.

use std::sync::Arc;

use kiro_gateway::api::admin::{status_json, AdminHandle};
use kiro_gateway::app::AppState;
use kiro_gateway::secrets::regenerate_api_key;
use serde::Serialize;
use serde_json::{json, Value};
use tauri::ipc::Channel;
use tauri::{AppHandle, Runtime, State};
use tauri_plugin_opener::OpenerExt;

use crate::controller::DesktopGateway;

/// A command error as the UI expects it.
#[derive(Debug, Clone, Serialize)]
pub struct CommandError {
    pub code: String,
    pub message: String,
    pub hint: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suggested_port: Option<u16>,
}

impl CommandError {
    fn new(code: &str, message: impl Into<String>, hint: impl Into<String>) -> Self {
        CommandError {
            code: code.into(),
            message: message.into(),
            hint: hint.into(),
            field: None,
            suggested_port: None,
        }
    }
}

impl From<kiro_gateway::api::admin::AdminError> for CommandError {
    fn from(e: kiro_gateway::api::admin::AdminError) -> Self {
        CommandError {
            code: e.code,
            message: e.message,
            hint: e.hint,
            field: e.field,
            suggested_port: e.suggested_port,
        }
    }
}

impl From<kiro_gateway::server::StartError> for CommandError {
    fn from(e: kiro_gateway::server::StartError) -> Self {
        CommandError::new(&e.code, e.message, e.hint)
    }
}

type CmdResult<T = Value> = Result<T, CommandError>;

pub fn handler<R: Runtime>() -> impl Fn(tauri::ipc::Invoke<R>) -> bool + Send + Sync + 'static {
    tauri::generate_handler![
        admin_status,
        admin_get_settings,
        admin_put_settings,
        admin_reveal_key,
        admin_regenerate_key,
        admin_logs,
        admin_clear_logs,
        admin_stream_logs,
        admin_models,
        admin_restart,
        gateway_start,
        gateway_stop,
        chat_stream,
        open_log_folder,
    ]
}

fn state(gw: &DesktopGateway) -> CmdResult<Arc<AppState>> {
    gw.state().ok_or_else(|| {
        CommandError::new(
            "not_ready",
            "The gateway is still starting or failed to start.",
            "See the status; fix the error it shows and press Start.",
        )
    })
}

fn admin(state: &AppState) -> CmdResult<Arc<AdminHandle>> {
    state.admin.clone().ok_or_else(|| {
        CommandError::new(
            "admin_unavailable",
            "The admin API is not available.",
            "Restart the app.",
        )
    })
}

#[tauri::command]
async fn admin_status(gw: State<'_, DesktopGateway>) -> CmdResult {
    match gw.state() {
        Some(state) => Ok(status_json(&state)),
        None => Ok(json!({ "status": gw.status() })),
    }
}

#[tauri::command]
async fn admin_get_settings(gw: State<'_, DesktopGateway>) -> CmdResult {
    let state = state(&gw)?;
    Ok(admin(&state)?.settings_json())
}

#[tauri::command]
async fn admin_put_settings<R: Runtime>(
    app: AppHandle<R>,
    gw: State<'_, DesktopGateway>,
    patch: Value,
) -> CmdResult {
    let state = state(&gw)?;
    let handle = admin(&state)?;
    let result = handle.update_settings(&state, &patch).await?;
    if let Some(enabled) = patch.get("launch_at_login").and_then(Value::as_bool) {
        crate::autostart::set_enabled(&app, enabled).map_err(|e| {
            CommandError::new(
                "autostart",
                format!("Could not change launch at login: {e}"),
                "Check that your desktop supports autostart entries.",
            )
        })?;
    }
    if let Some(on) = patch.get("close_to_tray").and_then(Value::as_bool) {
        gw.set_close_to_tray(on);
    }
    Ok(result)
}

#[tauri::command]
async fn admin_reveal_key(gw: State<'_, DesktopGateway>) -> CmdResult {
    let state = state(&gw)?;
    let handle = admin(&state)?;
    Ok(json!({
        "key": state.api_key.get().map(|k| k.expose().clone()),
        "source": handle.key_source(),
    }))
}

#[tauri::command]
async fn admin_regenerate_key(gw: State<'_, DesktopGateway>) -> CmdResult {
    let state = state(&gw)?;
    let handle = admin(&state)?;
    if state.api_key.is_none() {
        return Err(CommandError::new(
            "no_auth",
            "The gateway runs without an API key (--no-auth).",
            "Restart it without --no-auth to use a key.",
        ));
    }
    let resolution = regenerate_api_key(handle.key_stores()).await.map_err(|e| {
        CommandError::new(
            "key_generation",
            e.to_string(),
            "Try again; if it keeps failing the OS random source is broken.",
        )
    })?;
    state.logs.redactor().add(resolution.key.expose());
    state.api_key.set(resolution.key.clone());
    let stored = match &resolution.source {
        kiro_gateway::secrets::ApiKeySource::Generated { stored_in } => stored_in.clone(),
        _ => "this session only (no store accepted it)".to_owned(),
    };
    Ok(json!({
        "key": resolution.key.expose(),
        "source": stored,
        "message": resolution.message_for_user.unwrap_or_default(),
    }))
}

#[tauri::command]
async fn admin_logs(gw: State<'_, DesktopGateway>, since: Option<u64>) -> CmdResult {
    let state = state(&gw)?;
    let handle = admin(&state)?;
    Ok(json!({
        "logs": state.logs.logs(since),
        "requests": state.logs.requests(),
        "log_dir": handle.log_dir(),
        "level": handle.log_level(),
    }))
}

#[tauri::command]
async fn admin_clear_logs(gw: State<'_, DesktopGateway>) -> CmdResult<()> {
    state(&gw)?.logs.clear();
    Ok(())
}

#[tauri::command]
async fn admin_stream_logs(
    gw: State<'_, DesktopGateway>,
    channel: Channel<Value>,
) -> CmdResult<()> {
    let state = state(&gw)?;
    let mut events = state.logs.subscribe();
    tauri::async_runtime::spawn(async move {
        while let Ok(event) = events.recv().await {
            let Ok(value) = serde_json::to_value(&event) else {
                continue;
            };
            if channel.send(value).is_err() {
                break;
            }
        }
    });
    Ok(())
}

#[tauri::command]
async fn admin_models(gw: State<'_, DesktopGateway>) -> CmdResult {
    let state = state(&gw)?;
    let catalog = state.models.get().await;
    let models: Vec<Value> = catalog
        .models
        .iter()
        .map(|m| {
            json!({
                "id": m.id,
                "name": m.name,
                "description": m.description,
                "context_length": m.max_input_tokens,
                "max_output_tokens": m.max_output_tokens,
            })
        })
        .collect();
    Ok(json!({
        "models": models,
        "source": format!("{:?}", catalog.source).to_lowercase(),
    }))
}

#[tauri::command]
async fn admin_restart(gw: State<'_, DesktopGateway>) -> CmdResult {
    let state = state(&gw)?;
    let handle = admin(&state)?;
    let next = state.with_config(state.config.clone());
    handle.restart(state.clone(), next);
    Ok(json!({
        "restarting": true,
        "endpoints": kiro_gateway::api::admin::endpoints(state.config.host, state.config.port),
    }))
}

#[tauri::command]
async fn gateway_start(gw: State<'_, DesktopGateway>) -> CmdResult {
    let addr = gw.start().await?;
    Ok(json!({ "addr": addr.to_string() }))
}

#[tauri::command]
async fn gateway_stop(gw: State<'_, DesktopGateway>) -> CmdResult<()> {
    gw.stop().await;
    Ok(())
}

#[tauri::command]
async fn chat_stream(_body: Value, _channel: Channel<Value>) -> CmdResult<()> {
    Err(CommandError::new(
        "not_implemented",
        "Chat from the desktop window is not wired yet.",
        "Use the OpenAI or Anthropic endpoint from a client for now.",
    ))
}

#[tauri::command]
async fn open_log_folder<R: Runtime>(
    app: AppHandle<R>,
    gw: State<'_, DesktopGateway>,
) -> CmdResult<()> {
    let state = state(&gw)?;
    let handle = admin(&state)?;
    let dir = handle.log_dir().cloned().ok_or_else(|| {
        CommandError::new(
            "no_log_folder",
            "Logs are kept in memory only.",
            "Use the Logs view, or run with a log folder configured.",
        )
    })?;
    app.opener()
        .open_path(dir.to_string_lossy(), None::<&str>)
        .map_err(|e| CommandError::new("open_failed", e.to_string(), "Open the folder yourself."))
}
