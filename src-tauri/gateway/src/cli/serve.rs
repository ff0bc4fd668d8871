//! `kiro-gateway serve`: run until Ctrl-C, then drain.

use std::process::ExitCode;
use std::time::Duration;

use crate::config::Config;
use crate::gateway::Gateway;
use crate::logs::{self, Redactor};
use crate::server::Controller;

/// How long open requests may take to finish after Ctrl-C.
const DRAIN_GRACE: Duration = Duration::from_secs(10);

pub async fn run(config: Config) -> ExitCode {
    let redactor = Redactor::new();
    if let Err(err) = logs::init(&config.log_level, redactor.clone()) {
        eprintln!("error: {err}");
        return ExitCode::from(2);
    }
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
    let controller = Controller::new();
    let addr = match controller.start(gateway.state.clone()).await {
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
    println!("Kiro Gateway {} is running", env!("CARGO_PKG_VERSION"));
    println!("  OpenAI base URL:    http://{addr}/v1");
    println!("  Anthropic base URL: http://{addr}");
    println!("  Health:             http://{addr}/health");
    println!(
        "  Credentials:        {} ({:?}{expiry})",
        credentials.source, credentials.auth_kind
    );
    if state.api_key.is_none() {
        println!("  API key:            none (--no-auth; loopback only)");
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
