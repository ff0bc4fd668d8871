//! The headless command line: `serve` (default), `doctor`, `models`, `healthcheck`,
//! `api-key`.

mod doctor;
mod healthcheck;
mod models;
pub mod print_key;
mod serve;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::config::CliOverrides;
pub(crate) use crate::settings::load_config;

#[derive(Debug, Parser)]
#[command(
    name = "kiro-gateway",
    version,
    about = "OpenAI- and Anthropic-compatible local gateway for your Kiro subscription"
)]
pub struct Cli {
    #[command(flatten)]
    pub overrides: CliOverrides,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Clone, Copy, Subcommand)]
pub enum Command {
    /// Run the gateway (the default).
    Serve,
    /// Check configuration, credentials, token refresh and upstream reachability.
    Doctor,
    /// List the models your Kiro account offers.
    Models,
    /// Exit 0 if the gateway configured here answers `/health` (for containers and services).
    Healthcheck,
    /// Print the API key clients must send (for Claude Code's `apiKeyHelper` and Codex's
    /// provider `auth.command`); never creates one.
    ApiKey,
}

pub async fn run(cli: Cli) -> ExitCode {
    let (config, saved) = match load_config(&cli.overrides) {
        Ok(loaded) => loaded,
        Err(err) => {
            eprintln!("error: {err}");
            return ExitCode::from(2);
        }
    };
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve::run(config, saved).await,
        Command::Doctor => doctor::run(config).await,
        Command::Models => models::run(config).await,
        Command::Healthcheck => healthcheck::run(config).await,
        Command::ApiKey => print_key::run(config).await,
    }
}
