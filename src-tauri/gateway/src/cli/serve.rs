//! `kiro-gateway serve`: run until Ctrl-C, then drain.

use std::process::ExitCode;
use std::time::Duration;

use std::sync::Arc;

use crate::admin::AdminHandle;
use crate::config::Config;
use crate::connect::ConnectEnv;
use crate::exposure;
use crate::gateway::Gateway;
use crate::logs::{self, LogBuffer, Redactor};
use crate::secrets::{default_api_key_stores, FileStore};
use crate::server::Controller;
use crate::settings::SavedSettings;

/// How long open requests may take to finish after Ctrl-C.
const DRAIN_GRACE: Duration = Duration::from_secs(10);

pub async fn run(mut config: Config) -> ExitCode {
    // Settings saved by the UI fill in whatever flags, environment and config.toml left at
    // the built-in defaults.
    let saved = SavedSettings::load();
    if let Some(err) = &saved.ignored {
        eprintln!("warning: ignoring the UI settings: {err} ({})", err.hint);
    }
    saved.fill_defaults(&mut config);
    if config.no_auth
        && saved
            .settings
            .as_ref()
            .is_some_and(|s| !s.host.is_loopback())
    {
        eprintln!(
            "warning: the saved address is not loopback; --no-auth listens on {} only",
            config.host
        );
    }
    let redactor = Redactor::new();
    let buffer = LogBuffer::new(
        logs::DEFAULT_LOG_CAPACITY,
        logs::DEFAULT_REQUEST_CAPACITY,
        redactor.clone(),
    );
    let log_control =
        match logs::init_with_buffer(&config.log_level, redactor.clone(), &buffer, None) {
            Ok(control) => control,
            Err(err) => {
                eprintln!("error: {err}");
                return ExitCode::from(2);
            }
        };
    let key_source = if config.api_key.is_some() {
        "configured (--api-key, KIRO_GATEWAY_API_KEY or config.toml)"
    } else {
        "OS keyring or key file"
    };
    let api_key = match super::api_key::resolve(&config).await {
        Ok(key) => key,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::FAILURE;
        }
    };
    if let Some(key) = &api_key {
        redactor.add(key.expose());
    }
    let gateway = match Gateway::assemble(config, api_key, redactor).await {
        Ok(gateway) => gateway,
        Err(err) => {
            eprintln!("error: {}\n  fix: {}", err.message, err.hint);
            return ExitCode::FAILURE;
        }
    };
    let controller = Controller::new(Arc::new(crate::api::router));
    let settings = saved.in_force(&gateway.state.config);
    let admin = AdminHandle::new(controller.clone(), settings, saved.path.clone())
        .with_shadowed(saved.shadowed_by(&gateway.state.config))
        .with_key_stores(default_api_key_stores())
        .with_key_file(FileStore::in_config_dir())
        .with_key_source(key_source)
        .with_log_control(log_control)
        .with_connect(ConnectEnv::from_process());
    let state = gateway.state.with_admin(buffer, Some(Arc::new(admin)));
    let addr = match controller.start(state).await {
        Ok(addr) => addr,
        Err(err) => {
            eprintln!("error: {}\n  fix: {}", err.message, err.hint);
            return ExitCode::FAILURE;
        }
    };
    print_banner(&gateway, addr);
    // Warm the model catalogue so the first request does not wait for it.
    let models = gateway.state.models.clone();
    tokio::spawn(async move { models.get().await });
    // And learn the remaining credits soon after start (the tray and `/admin/status` read
    // the cached value).
    gateway.state.usage.spawn_refresh_if_stale();
    // Ask the release feed (when one is set and checks are on) now and once a day.
    gateway.state.updates.spawn_checks();
    wait_for_shutdown_signal().await;
    eprintln!(
        "shutting down: letting open requests finish (up to {}s)…",
        DRAIN_GRACE.as_secs()
    );
    controller.stop(DRAIN_GRACE).await;
    ExitCode::SUCCESS
}

fn print_banner(gateway: &Gateway, addr: std::net::SocketAddr) {
    let state = &gateway.state;
    let credentials = state.kiro.credentials().status();
    let expiry = credentials
        .expires_at
        .map(|at| {
            let minutes = (at - chrono::Utc::now()).num_minutes();
            if minutes >= 0 {
                format!(", token valid for {minutes} min")
            } else {
                ", token expired: it is refreshed on the first request".to_owned()
            }
        })
        .unwrap_or_default();
    let lan_warning = exposure::lan_warning(addr);
    let addr = exposure::reachable_addr(addr);
    println!("Kiro Gateway {} is running", env!("CARGO_PKG_VERSION"));
    println!("  OpenAI base URL:    http://{addr}/v1");
    println!("  Anthropic base URL: http://{addr}");
    println!("  Health:             http://{addr}/health");
    println!("  Web UI:             http://{addr}/ui/");
    println!(
        "  Credentials:        {} ({:?}{expiry})",
        credentials.source, credentials.auth_kind
    );
    if state.api_key.is_none() {
        println!("  API key:            none (--no-auth; loopback only)");
    }
    if let Some(warning) = lan_warning {
        println!("WARNING: {warning}");
    }
    println!("Press Ctrl-C to stop.");
}

async fn wait_for_shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}
