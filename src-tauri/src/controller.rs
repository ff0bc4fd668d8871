//! Runs the gateway's `Controller` on Tauri's async runtime: assembles the gateway the same
//! way `kiro-gateway serve` does (config, UI settings, API key from the keyring), starts it,
//! and forwards every status change to the tray and the window (`gateway-status` event).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use kiro_gateway::api::admin::AdminHandle;
use kiro_gateway::app::AppState;
use kiro_gateway::config::{CliOverrides, Config, ConfigSources};
use kiro_gateway::connect::ConnectEnv;
use kiro_gateway::gateway::Gateway;
use kiro_gateway::logs::{self, LogBuffer, Redactor};
use kiro_gateway::loopback_chat::ChatClient;
use kiro_gateway::secrets::{desktop_api_key_stores, resolve_api_key, ApiKeySource, FileStore};
use kiro_gateway::server::{Controller, GatewayStatus, StartCode, StartError};
use kiro_gateway::settings::SavedSettings;
use tauri::{AppHandle, Emitter, Manager, Runtime};

/// How long open requests may take to finish on Stop / Quit.
pub const DRAIN_GRACE: Duration = Duration::from_secs(5);
/// Quit exits even if the drain overruns by this much.
const QUIT_BOUND: Duration = Duration::from_secs(8);

/// The shell's managed state.
pub struct DesktopGateway {
    pub controller: Arc<Controller>,
    /// The state assembled at boot; the controller's current state supersedes it once an
    /// `/admin` restart moved the server (its config holds the new address).
    assembled: Mutex<Option<Arc<AppState>>>,
    /// Keeps the credential watcher alive.
    gateway: Mutex<Option<Gateway>>,
    close_to_tray: Mutex<bool>,
    /// Why assembling failed (shown instead of "Stopped" until a start succeeds).
    boot_error: Mutex<Option<GatewayStatus>>,
    chat: ChatClient,
}

impl Default for DesktopGateway {
    fn default() -> Self {
        DesktopGateway {
            controller: Controller::new(),
            assembled: Mutex::new(None),
            gateway: Mutex::new(None),
            close_to_tray: Mutex::new(true),
            boot_error: Mutex::new(None),
            chat: ChatClient::new(),
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl DesktopGateway {
    /// The gateway state in force (`None` until boot assembled it).
    pub fn state(&self) -> Option<Arc<AppState>> {
        self.controller
            .current_state()
            .or_else(|| lock(&self.assembled).clone())
    }

    /// The controller's status, or the boot error while nothing is assembled.
    pub fn status(&self) -> GatewayStatus {
        match (self.state(), lock(&self.boot_error).clone()) {
            (None, Some(error)) => error,
            _ => self.controller.status(),
        }
    }

    /// The test chat's loopback client (one pool for every chat).
    pub fn chat_client(&self) -> &ChatClient {
        &self.chat
    }

    pub fn close_to_tray(&self) -> bool {
        *lock(&self.close_to_tray)
    }

    pub fn set_close_to_tray(&self, on: bool) {
        *lock(&self.close_to_tray) = on;
    }

    /// Streams open right now (0 before boot).
    pub fn active_streams(&self) -> u64 {
        self.state()
            .map(|s: Arc<AppState>| s.metrics.snapshot().active_streams)
            .unwrap_or(0)
    }

    /// "587 credits left · 12.5 today · daily cap 80 %" (what is left once GetUsageLimits
    /// answered; what this gateway spent today; a credit cap once half used).
    /// A hold Kiro asked for comes first: "Kiro asked to wait · 4 min left · …".
    pub fn credits_label(&self) -> Option<String> {
        let state = self.state()?;
        state.usage.spawn_refresh_if_stale();
        let hold = state
            .kiro
            .hold()
            .map(|hold| kiro_gateway::status_view::hold_label(&hold));
        let credits = kiro_gateway::status_view::credits_label(
            state.usage.cached().as_ref(),
            state.credits.spent().0,
        );
        let caps = state.credit_caps.get().status_of(&state.credits);
        let credits = match (credits, kiro_gateway::status_view::cap_label(&caps)) {
            (Some(credits), Some(cap)) => Some(format!("{credits} · {cap}")),
            (credits, cap) => credits.or(cap),
        };
        match (hold, credits) {
            (Some(hold), Some(credits)) => Some(format!("{hold} · {credits}")),
            (hold, credits) => hold.or(credits),
        }
    }

    /// Start with the state in force (after Stop, or after a failed boot bind).
    pub async fn start(&self) -> Result<std::net::SocketAddr, StartError> {
        let state = self.state().ok_or_else(|| StartError {
            code: StartCode::NotReady,
            message: "The gateway is not assembled yet.".into(),
            hint: "Wait a moment; if it persists, see the error in the window.".into(),
            suggested_port: None,
        })?;
        self.controller.start(state).await
    }

    pub async fn stop(&self) {
        self.controller.stop(DRAIN_GRACE).await;
    }
}

/// Assemble and start the gateway in the background; failures end up in the status.
pub fn boot<R: Runtime>(app: AppHandle<R>) {
    forward_status(app.clone());
    tauri::async_runtime::spawn(async move {
        if let Err(err) = assemble_and_start(&app).await {
            tracing::error!("the gateway did not start: {} ({})", err.message, err.hint);
            let status = GatewayStatus::Error {
                code: err.code,
                message: err.message,
                hint: err.hint,
                suggested_port: err.suggested_port,
            };
            *lock(&app.state::<DesktopGateway>().boot_error) = Some(status.clone());
            crate::tray::update(&app, &status, 0, None);
            let _ = app.emit("gateway-status", &status);
        }
    });
}

async fn assemble_and_start<R: Runtime>(app: &AppHandle<R>) -> Result<(), StartError> {
    let fail = |code: StartCode, message: String, hint: &str| StartError {
        code,
        message,
        hint: hint.into(),
        suggested_port: None,
    };
    let mut config =
        Config::load(&ConfigSources::from_process(&CliOverrides::default())).map_err(|e| {
            fail(
                StartCode::Config,
                e.to_string(),
                "Fix config.toml or the environment.",
            )
        })?;
    let saved = SavedSettings::load();
    saved.fill_defaults(&mut config);
    let redactor = Redactor::new();
    let buffer = LogBuffer::new(
        logs::DEFAULT_LOG_CAPACITY,
        logs::DEFAULT_REQUEST_CAPACITY,
        redactor.clone(),
    );
    let log_dir = app.path().app_log_dir().ok();
    let log_control = logs::init_with_buffer(
        &config.log_level,
        redactor.clone(),
        &buffer,
        log_dir.as_deref(),
    )
    .map_err(|e| fail(StartCode::LogLevel, e, "Use a level such as info or debug."))?;
    if let Some(err) = &saved.ignored {
        tracing::warn!("ignoring the UI settings: {err} ({})", err.hint);
    }
    let (read_stores, write_stores) = desktop_api_key_stores();
    let mut key_source = ApiKeySource::Configured.describe();
    let api_key = if config.no_auth {
        None
    } else {
        let resolution = resolve_api_key(config.api_key.clone(), &read_stores, &write_stores)
            .await
            .map_err(|e| {
                fail(
                    StartCode::ApiKey,
                    format!("cannot obtain an API key: {e}"),
                    "Unlock the OS keyring, or set KIRO_GATEWAY_API_KEY.",
                )
            })?;
        if let Some(message) = &resolution.message_for_user {
            tracing::info!("{message}");
        }
        key_source = resolution.source.describe();
        redactor.add(resolution.key.expose());
        Some(resolution.key)
    };
    let gateway = Gateway::assemble(config, api_key, redactor).await?;
    let gw = app.state::<DesktopGateway>();
    let mut settings = saved.in_force(&gateway.state.config);
    settings.launch_at_login = crate::autostart::reconcile(app);
    *lock(&gw.close_to_tray) = settings.close_to_tray;
    let admin = AdminHandle::new(gw.controller.clone(), settings, saved.path.clone())
        .with_shadowed(saved.shadowed_by(&gateway.state.config))
        .with_key_stores(write_stores)
        .with_key_file(FileStore::in_config_dir())
        .with_key_source(key_source)
        .with_log_control(log_control)
        .with_log_dir(log_dir)
        .with_connect(ConnectEnv::from_process())
        .desktop(true);
    let state = gateway.state.with_admin(buffer, Some(Arc::new(admin)));
    *lock(&gw.assembled) = Some(state.clone());
    *lock(&gw.gateway) = Some(gateway);
    let models = state.models.clone();
    state.usage.spawn_refresh_if_stale();
    let updates = state.updates.clone();
    gw.controller.start(state).await?;
    updates.spawn_checks();
    crate::tray::refresh_logins(app);
    tauri::async_runtime::spawn(async move { models.get().await });
    Ok(())
}

/// Every status change (and the stream count, every few seconds while running) goes to the
/// tray and to the window as a `gateway-status` event; due notifications go out on the same
/// beat.
fn forward_status<R: Runtime>(app: AppHandle<R>) {
    let mut rx = app.state::<DesktopGateway>().controller.subscribe();
    tauri::async_runtime::spawn(async move {
        let mut announced = kiro_gateway::notices::NoticeTracker::default();
        loop {
            let status = rx.borrow_and_update().clone();
            let gw = app.state::<DesktopGateway>();
            let streams = gw.active_streams();
            let credits = gw.credits_label();
            crate::tray::update(&app, &status, streams, credits.as_deref());
            if let Some(state) = gw.state() {
                crate::tray::show_update(&app, &state.updates.view());
            }
            crate::notify::announce_due(&app, &gw, &mut announced);
            let _ = app.emit("gateway-status", &status);
            let tick = tokio::time::sleep(Duration::from_secs(3));
            tokio::select! {
                changed = rx.changed() => if changed.is_err() { break },
                _ = tick => {}
            }
        }
    });
}

/// Stop the gateway (bounded), then exit. Log lines are written as they happen, so there
/// is nothing left to flush.
pub fn quit<R: Runtime>(app: AppHandle<R>) {
    tauri::async_runtime::spawn(async move {
        tracing::info!("quitting: stopping the gateway");
        let gw = app.state::<DesktopGateway>();
        let _ = tokio::time::timeout(QUIT_BOUND, gw.stop()).await;
        tracing::info!("gateway stopped; exiting");
        app.exit(0);
    });
}

/// SIGTERM (logout, `kill`), SIGINT (Ctrl+C in a terminal) and SIGHUP quit like the tray's
/// Quit: the gateway drains first.
#[cfg(unix)]
pub fn quit_on_signals<R: Runtime>(app: AppHandle<R>) {
    use tokio::signal::unix::{signal, SignalKind};
    tauri::async_runtime::spawn(async move {
        let (Ok(mut term), Ok(mut int), Ok(mut hup)) = (
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
            signal(SignalKind::hangup()),
        ) else {
            tracing::warn!("cannot listen for quit signals; SIGTERM will not drain");
            return;
        };
        tokio::select! {
            _ = term.recv() => {}
            _ = int.recv() => {}
            _ = hup.recv() => {}
        }
        tracing::info!("quit signal received");
        quit(app);
    });
}

#[cfg(not(unix))]
pub fn quit_on_signals<R: Runtime>(_app: AppHandle<R>) {}
