//! `kiro-gateway`: the headless gateway. Parsing and dispatch only; the commands live in
//! `kiro_gateway::cli`.

use clap::Parser;
use kiro_gateway::cli::{self, Cli};

fn main() -> std::process::ExitCode {
    let args = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("error: cannot start the async runtime: {err}");
            return std::process::ExitCode::FAILURE;
        }
    };
    runtime.block_on(cli::run(args))
}
