//! The commands `ui/api.js` invokes (see its `TAURI_COMMANDS`). Each calls the same
//! `kiro_gateway::admin::ops` function as the matching `/admin` route and fails with
//! `{code, message, hint}`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use kiro_gateway::admin::connect::{Connected, Undone};
use kiro_gateway::admin::dumps::DriftReport;
use kiro_gateway::admin::logins::{self, LoginsView};
use kiro_gateway::admin::{
    connect, dumps, ops, status_view, AdminCode, AdminError, ConnectOverview, ControlPlane,
    DumpList, DumpModeView, DumpView, KeyFileView, KeyView, LogsView, ModelsView, NewKey, Replayed,
    RestartView, SettingsUpdate, SettingsView,
};
use kiro_gateway::app::AppState;
use kiro_gateway::loopback_chat::{CancellationToken, ChatCode, ChatError};
use kiro_gateway::server::StartError;
use kiro_gateway::status_view::endpoints;
use kiro_gateway::updates::UpdateView;
use serde::Serialize;
use serde_json::{json, Value};
use tauri::ipc::Channel;
use tauri::{AppHandle, Manager, Runtime, State};
use tauri_plugin_opener::OpenerExt;

use crate::desktop_gateway::DesktopGateway;
use crate::update_install::{InstallCode, InstallError, Progress};

/// A command error as the UI expects it: the `/admin` error shape (`{code, message, hint,
/// field?, suggested_port?}`) plus the HTTP status the same failure has there (0: none).
#[derive(Debug, Clone, Serialize)]
pub struct CommandError {
    code: CommandCode,
    message: String,
    hint: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    suggested_port: Option<u16>,
    status: u16,
}

/// The code of a failed command: the control plane's, or the test chat's.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
enum CommandCode {
    Admin(AdminCode),
    Chat(ChatCode),
    Install(InstallCode),
}

impl CommandError {
    fn new(code: AdminCode, message: impl Into<String>, hint: impl Into<String>) -> Self {
        CommandError {
            code: CommandCode::Admin(code),
            message: message.into(),
            hint: hint.into(),
            field: None,
            suggested_port: None,
            status: 0,
        }
    }
}

impl From<AdminError> for CommandError {
    fn from(error: AdminError) -> Self {
        CommandError {
            code: CommandCode::Admin(error.code),
            message: error.message,
            hint: error.hint,
            field: error.field,
            suggested_port: error.suggested_port,
            status: error.status.as_u16(),
        }
    }
}

impl From<StartError> for CommandError {
    fn from(e: StartError) -> Self {
        CommandError {
            suggested_port: e.suggested_port,
            ..CommandError::new(AdminCode::Start(e.code), e.message, e.hint)
        }
    }
}

impl From<ChatError> for CommandError {
    fn from(e: ChatError) -> Self {
        CommandError {
            code: CommandCode::Chat(e.code),
            message: e.message,
            hint: e.hint,
            field: None,
            suggested_port: None,
            status: e.status,
        }
    }
}

impl From<InstallError> for CommandError {
    fn from(e: InstallError) -> Self {
        CommandError {
            code: CommandCode::Install(e.code),
            message: e.message,
            hint: e.hint,
            field: None,
            suggested_port: None,
            status: 0,
        }
    }
}

type CmdResult<T = Value> = Result<T, CommandError>;

/// Chat streams the window can stop, by the id the UI gave them.
#[derive(Default)]
pub struct ChatStreams(Mutex<HashMap<String, CancellationToken>>);

impl ChatStreams {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, CancellationToken>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

pub fn handler<R: Runtime>() -> impl Fn(tauri::ipc::Invoke<R>) -> bool + Send + Sync + 'static {
    tauri::generate_handler![
        admin_status,
        admin_get_settings,
        admin_put_settings,
        admin_reveal_key,
        admin_regenerate_key,
        admin_save_key_to_file,
        admin_logs,
        admin_clear_logs,
        admin_stream_logs,
        admin_models,
        admin_restart,
        admin_connect_overview,
        admin_connect,
        admin_connect_undo,
        admin_logins,
        admin_switch_login,
        gateway_start,
        gateway_stop,
        chat_stream,
        chat_cancel,
        open_log_folder,
        admin_dumps,
        admin_dump,
        admin_set_dump_mode,
        admin_replay_dump,
        admin_save_dump_bundle,
        admin_drift,
        admin_update,
        admin_check_update,
        install_update,
    ]
}

fn not_ready() -> CommandError {
    CommandError::new(
        AdminCode::NotReady,
        "The gateway is still starting or failed to start.",
        "See the status; fix the error it shows and press Start.",
    )
}

fn state(gw: &DesktopGateway) -> CmdResult<Arc<AppState>> {
    gw.state().ok_or_else(not_ready)
}

fn plane(gw: &DesktopGateway) -> CmdResult<ControlPlane> {
    gw.plane().ok_or_else(not_ready)
}

#[tauri::command]
async fn admin_status<R: Runtime>(app: AppHandle<R>, gw: State<'_, DesktopGateway>) -> CmdResult {
    let mut status = match gw.plane() {
        Some(plane) => serde_json::to_value(status_view(&plane)).map_err(AdminError::from)?,
        None => json!({ "gateway": gw.status(), "desktop": true }),
    };
    status["tray"] = json!(crate::tray::available(&app));
    Ok(status)
}

#[tauri::command]
async fn admin_get_settings(gw: State<'_, DesktopGateway>) -> CmdResult<SettingsView> {
    let plane = plane(&gw)?;
    Ok(ops::settings(&plane)?)
}

#[tauri::command]
async fn admin_put_settings<R: Runtime>(
    app: AppHandle<R>,
    gw: State<'_, DesktopGateway>,
    patch: Value,
) -> CmdResult<SettingsUpdate> {
    let plane = plane(&gw)?;
    // The OS entry first: if it cannot be written the setting must not claim it was.
    if let Some(enabled) = patch.get("launch_at_login").and_then(Value::as_bool) {
        crate::autostart::set_enabled(&app, enabled).map_err(|e| {
            let mut error = CommandError::new(
                AdminCode::Autostart,
                format!("Could not change launch at login: {e}"),
                "Check that your desktop supports autostart entries.",
            );
            error.field = Some("launch_at_login".into());
            error
        })?;
        crate::tray::set_launch_at_login(&app, enabled);
    }
    let result = ops::update_settings(&plane, &patch).await?;
    if let Some(on) = patch.get("close_to_tray").and_then(Value::as_bool) {
        gw.set_close_to_tray(on);
    }
    Ok(result)
}

#[tauri::command]
async fn admin_reveal_key(gw: State<'_, DesktopGateway>) -> CmdResult<KeyView> {
    let plane = plane(&gw)?;
    Ok(ops::reveal_key(&plane)?)
}

#[tauri::command]
async fn admin_regenerate_key(gw: State<'_, DesktopGateway>) -> CmdResult<NewKey> {
    let plane = plane(&gw)?;
    Ok(ops::regenerate_key(&plane).await?)
}

#[tauri::command]
async fn admin_save_key_to_file(gw: State<'_, DesktopGateway>) -> CmdResult<KeyFileView> {
    let plane = plane(&gw)?;
    Ok(ops::save_key_to_file(&plane).await?)
}

#[tauri::command]
async fn admin_logs(gw: State<'_, DesktopGateway>, since: Option<u64>) -> CmdResult<LogsView> {
    let plane = plane(&gw)?;
    Ok(ops::logs(&plane, since)?)
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
async fn admin_models(gw: State<'_, DesktopGateway>) -> CmdResult<ModelsView> {
    let state = state(&gw)?;
    Ok(ops::models(&state).await)
}

#[tauri::command]
async fn admin_restart(gw: State<'_, DesktopGateway>) -> CmdResult<RestartView> {
    let plane = plane(&gw)?;
    Ok(ops::restart(&plane)?)
}

#[tauri::command]
async fn admin_connect_overview(
    gw: State<'_, DesktopGateway>,
    model: Option<String>,
) -> CmdResult<ConnectOverview> {
    let plane = plane(&gw)?;
    Ok(connect::overview(&plane, model.as_deref()).await?)
}

#[tauri::command]
async fn admin_connect(
    gw: State<'_, DesktopGateway>,
    client: String,
    model: Option<String>,
) -> CmdResult<Connected> {
    let plane = plane(&gw)?;
    Ok(connect::connect(&plane, &client, model.as_deref()).await?)
}

#[tauri::command]
async fn admin_connect_undo(gw: State<'_, DesktopGateway>, client: String) -> CmdResult<Undone> {
    let plane = plane(&gw)?;
    Ok(connect::undo(&plane, &client).await?)
}

#[tauri::command]
async fn admin_logins(gw: State<'_, DesktopGateway>) -> CmdResult<LoginsView> {
    let state = state(&gw)?;
    Ok(logins::view(&state).await?)
}

#[tauri::command]
async fn admin_switch_login<R: Runtime>(
    app: AppHandle<R>,
    gw: State<'_, DesktopGateway>,
    id: String,
) -> CmdResult<LoginsView> {
    let plane = plane(&gw)?;
    let view = logins::switch(&plane, &id).await?;
    crate::tray::show_logins(&app, &view);
    Ok(view)
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

/// A streaming chat completion through the running gateway over loopback, with the key a
/// tool presents. Each SSE item goes to `channel` as `{data}`; resolves with how it ended
/// (`done`, `cancelled`, `closed`).
#[tauri::command]
async fn chat_stream(
    gw: State<'_, DesktopGateway>,
    chats: State<'_, ChatStreams>,
    id: String,
    body: Value,
    channel: Channel<Value>,
) -> CmdResult {
    let state = state(&gw)?;
    let Some((_, base)) = endpoints(&gw.status()) else {
        return Err(CommandError::new(
            AdminCode::NotRunning,
            "The gateway is not running.",
            "Press Start, then send again.",
        ));
    };
    let key = state.api_key.get();
    let cancel = CancellationToken::new();
    chats.lock().insert(id.clone(), cancel.clone());
    // A window that went away stops reading: stop the stream (and the upstream call) too.
    let gone = cancel.clone();
    let ended = gw
        .chat_client()
        .stream(
            &base,
            key.as_ref().map(|k| k.expose().as_str()),
            body,
            cancel,
            |data| {
                if channel.send(json!({ "data": data })).is_err() {
                    gone.cancel();
                }
            },
        )
        .await;
    chats.lock().remove(&id);
    Ok(json!({ "end": ended? }))
}

/// Stop the chat stream `id` (Esc / the Stop button).
#[tauri::command]
async fn chat_cancel(chats: State<'_, ChatStreams>, id: String) -> CmdResult<()> {
    if let Some(cancel) = chats.lock().remove(&id) {
        cancel.cancel();
    }
    Ok(())
}

#[tauri::command]
async fn open_log_folder<R: Runtime>(
    app: AppHandle<R>,
    gw: State<'_, DesktopGateway>,
) -> CmdResult<()> {
    let dir = gw
        .admin()
        .and_then(|admin| admin.log_dir().cloned())
        .ok_or_else(|| {
            CommandError::new(
                AdminCode::NoLogFolder,
                "Logs are kept in memory only.",
                "Use the Logs view.",
            )
        })?;
    app.opener()
        .open_path(dir.to_string_lossy(), None::<&str>)
        .map_err(|e| {
            CommandError::new(
                AdminCode::OpenFailed,
                e.to_string(),
                "Open the folder yourself.",
            )
        })
}

#[tauri::command]
async fn admin_dumps(gw: State<'_, DesktopGateway>) -> CmdResult<DumpList> {
    let state = state(&gw)?;
    Ok(dumps::list(&state)?)
}

#[tauri::command]
async fn admin_dump(gw: State<'_, DesktopGateway>, id: String) -> CmdResult<DumpView> {
    let state = state(&gw)?;
    Ok(dumps::show(&state, &id)?)
}

#[tauri::command]
async fn admin_set_dump_mode(
    gw: State<'_, DesktopGateway>,
    mode: String,
) -> CmdResult<DumpModeView> {
    let state = state(&gw)?;
    Ok(dumps::set_mode(&state, &json!({ "mode": mode }))?)
}

#[tauri::command]
async fn admin_replay_dump(gw: State<'_, DesktopGateway>, id: String) -> CmdResult<Replayed> {
    let state = state(&gw)?;
    let routes = kiro_gateway::routes(gw.admin.clone())(state.clone());
    Ok(dumps::replay(&state, routes, &id).await?)
}

/// The dump's debug bundle, saved to the Downloads folder (else beside the dumps).
#[tauri::command]
async fn admin_save_dump_bundle<R: Runtime>(
    app: AppHandle<R>,
    gw: State<'_, DesktopGateway>,
    id: String,
) -> CmdResult {
    let state = state(&gw)?;
    let (name, zip) = dumps::bundle(&state, &id)?;
    let dir = app
        .path()
        .download_dir()
        .ok()
        .or_else(|| state.dumps.dir().map(|d| d.to_path_buf()))
        .ok_or_else(|| {
            CommandError::new(
                AdminCode::NoFolder,
                "No folder to save the bundle in.",
                "Use the browser UI.",
            )
        })?;
    let path = dir.join(name);
    std::fs::write(&path, zip).map_err(|e| {
        CommandError::new(
            AdminCode::SaveFailed,
            format!("Could not save {}: {e}", path.display()),
            "Check the folder's permissions.",
        )
    })?;
    Ok(json!({ "path": path }))
}

#[tauri::command]
async fn admin_update(gw: State<'_, DesktopGateway>) -> CmdResult<UpdateView> {
    Ok(state(&gw)?.updates.view())
}

#[tauri::command]
async fn admin_check_update<R: Runtime>(
    app: AppHandle<R>,
    gw: State<'_, DesktopGateway>,
) -> CmdResult<UpdateView> {
    let view = state(&gw)?.updates.check_now().await;
    crate::tray::show_update(&app, &view);
    Ok(view)
}

/// Install the offered release; the app restarts shortly after this answers.
#[tauri::command]
async fn install_update<R: Runtime>(
    app: AppHandle<R>,
    channel: Channel<Progress>,
) -> CmdResult<InstalledView> {
    let version = crate::update_install::install(&app, move |progress| {
        let _ = channel.send(progress);
    })
    .await?;
    Ok(InstalledView { version })
}

/// What `install_update` answers.
#[derive(Debug, Serialize)]
struct InstalledView {
    /// The version installed (the app restarts into it).
    version: String,
}

#[tauri::command]
async fn admin_drift(gw: State<'_, DesktopGateway>) -> CmdResult<DriftReport> {
    Ok(state(&gw)?.drift.full_report())
}
