//! Runs the gateway's `Controller` on Tauri's async runtime: assembles the gateway the same
//! way `kiro-gateway serve` does (config, UI settings, API key from the keyring), starts it,
//! and forwards every status change to the tray and the window (`gateway-status` event).

use std::sync::Arc;
use std::time::Duration;

use kiro_gateway::admin::AdminHandle;
use kiro_gateway::config::{CliOverrides, Config, ConfigSources};
use kiro_gateway::connect::ConnectEnv;
use kiro_gateway::gateway::Gateway;
use kiro_gateway::logs::{self, LogBuffer, Redactor};
use kiro_gateway::secrets::{desktop_api_key_stores, resolve_api_key, ApiKeySource, FileStore};
use kiro_gateway::server::{GatewayStatus, StartCode, StartError};
use kiro_gateway::settings::SavedSettings;
use tauri::{AppHandle, Emitter, Manager, Runtime};

use crate::desktop_gateway::{lock, quit, DesktopGateway};

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
