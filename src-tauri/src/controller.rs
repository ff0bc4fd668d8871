//! Runs the gateway's `Controller` on Tauri's async runtime: boots it the way `kiro-gateway
//! serve` does ([`kiro_gateway::boot`]) with the desktop's own parts (log folder, autostart,
//! close to tray), and forwards every status change to the tray and the window
//! (`gateway-status` event).

use std::time::Duration;

use kiro_gateway::boot::{self, Program};
use kiro_gateway::config::CliOverrides;
use kiro_gateway::server::{GatewayStatus, StartCode, StartError};
use kiro_gateway::settings::load_config;
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
    let (config, saved) = load_config(&CliOverrides::default()).map_err(|e| StartError {
        code: StartCode::Config,
        message: e.to_string(),
        hint: "Fix config.toml, settings.toml or the environment.".into(),
        suggested_port: None,
    })?;
    let program = Program::Desktop {
        log_dir: app.path().app_log_dir().ok(),
        launch_at_login: crate::autostart::reconcile(app),
        installer: crate::update_install::installer(),
    };
    let gw = app.state::<DesktopGateway>();
    let booted = boot::assemble(
        config,
        saved,
        program,
        gw.controller.clone(),
        gw.admin.clone(),
    )
    .await?;
    if let Some(message) = booted
        .key
        .as_ref()
        .and_then(|k| k.message_for_user.as_ref())
    {
        tracing::info!("{message}");
    }
    gw.set_close_to_tray(booted.admin.settings().close_to_tray);
    // Stored before the start, so a failed bind still leaves the state to start again.
    let start = booted.start();
    *lock(&gw.booted) = Some(booted);
    let started = start.await;
    started?;
    crate::tray::refresh_logins(app);
    Ok(())
}

/// Every status change (and the stream count, every few seconds while running) goes to the
/// tray and to the window as a `gateway-status` event; due notifications go out on the same
/// beat.
fn forward_status<R: Runtime>(app: AppHandle<R>) {
    let mut rx = app.state::<DesktopGateway>().controller.subscribe();
    tauri::async_runtime::spawn(async move {
        // What was announced survives a restart (a cap's threshold is said once per period).
        let notices_file = app
            .path()
            .app_data_dir()
            .ok()
            .map(|dir| dir.join("notices.json"));
        let mut announced = notices_file
            .as_deref()
            .map(kiro_gateway::notices::NoticeTracker::load)
            .unwrap_or_default();
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
            if let Some(path) = &notices_file {
                announced.save_if_changed(path);
            }
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
