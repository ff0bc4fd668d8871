//! `kiro-gateway api-key`: print the key the gateway expects, and nothing else, for the
//! clients "Connect" sets up to ask for it (Claude Code's `apiKeyHelper`, Codex's provider
//! `auth.command`). It reads what `serve` reads (the configured key, else the OS keyring,
//! else the key file) and never makes a new key: a key that no gateway uses would only turn
//! into a 401 later.

use std::io::Write;
use std::process::ExitCode;

use crate::config::Config;
use crate::secrets::{default_api_key_stores, resolve_api_key};

pub async fn run(config: Config) -> ExitCode {
    if config.no_auth {
        eprintln!("error: the gateway is configured with --no-auth: there is no key");
        return ExitCode::FAILURE;
    }
    let stores = default_api_key_stores();
    let found = match resolve_api_key(config.api_key.clone(), &stores, &[]).await {
        Ok(resolution) if resolution.source.is_stored_or_configured() => resolution.key,
        Ok(_) => {
            eprintln!(
                "error: no API key is stored yet: start the gateway once (it creates one), or set KIRO_GATEWAY_API_KEY"
            );
            return ExitCode::FAILURE;
        }
        Err(err) => {
            eprintln!("error: cannot read the API key: {err}");
            return ExitCode::FAILURE;
        }
    };
    let mut out = std::io::stdout().lock();
    if writeln!(out, "{}", found.expose())
        .and_then(|()| out.flush())
        .is_err()
    {
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

/// For the desktop app's binary, which has no async runtime of its own at that point:
/// `kiro-gateway-desktop api-key` behaves like `kiro-gateway api-key`.
pub fn run_blocking() -> ExitCode {
    let config = match super::load_config(&crate::config::CliOverrides::default()) {
        Ok((config, _saved)) => config,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::from(2);
        }
    };
    match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime.block_on(run(config)),
        Err(err) => {
            eprintln!("error: cannot start the async runtime: {err}");
            ExitCode::FAILURE
        }
    }
}
