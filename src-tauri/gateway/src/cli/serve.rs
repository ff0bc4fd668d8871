//! `kiro-gateway serve`: run until Ctrl-C, then drain.

use std::process::ExitCode;
use std::time::Duration;

use crate::admin::AdminSlot;
use crate::boot::{self, Program};
use crate::config::Config;
use crate::exposure;
use crate::gateway::Gateway;
use crate::secrets::{ApiKeyResolution, ApiKeySource};
use crate::server::{Controller, StartCode, StartError};
use crate::settings::SavedSettings;

/// How long open requests may take to finish after Ctrl-C.
const DRAIN_GRACE: Duration = Duration::from_secs(10);

pub async fn run(config: Config, saved: SavedSettings) -> ExitCode {
    let admin = AdminSlot::default();
    let controller = Controller::new(crate::routes(admin.clone()));
    let booted =
        match boot::assemble(config, saved, Program::Headless, controller.clone(), admin).await {
            Ok(booted) => booted,
            Err(err) => return fail(&err),
        };
    if let Some(key) = &booted.key {
        announce_key(key);
    }
    let addr = match booted.start().await {
        Ok(addr) => addr,
        Err(err) => return fail(&err),
    };
    print_banner(&booted.gateway, addr);
    wait_for_shutdown_signal().await;
    eprintln!(
        "shutting down: letting open requests finish (up to {}s)…",
        DRAIN_GRACE.as_secs()
    );
    controller.stop(DRAIN_GRACE).await;
    ExitCode::SUCCESS
}

/// A bad log level is a usage error (2), like a bad setting; anything else is 1.
fn fail(err: &StartError) -> ExitCode {
    eprintln!("error: {}\n  fix: {}", err.message, err.hint);
    match err.code {
        StartCode::LogLevel => ExitCode::from(2),
        _ => ExitCode::FAILURE,
    }
}

/// A newly generated key is printed once to stdout (never to the log), with where it is kept.
fn announce_key(key: &ApiKeyResolution) {
    if let Some(message) = &key.message_for_user {
        println!("{message}");
    }
    if matches!(
        key.source,
        ApiKeySource::Generated { .. } | ApiKeySource::SessionOnly
    ) {
        println!("  API key: {}", key.key.expose());
    }
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
