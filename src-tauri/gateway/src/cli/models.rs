//! `kiro-gateway models`: the models this account can use, with their context windows and
//! output limits (tokens).

use std::process::ExitCode;

use crate::config::Config;
use crate::gateway::Gateway;
use crate::kiro::catalog::CatalogSource;
use crate::logs::Redactor;

pub async fn run(config: Config) -> ExitCode {
    let gateway = match Gateway::assemble(config, None, Redactor::new()).await {
        Ok(gateway) => gateway,
        Err(err) => {
            eprintln!("error: {}\n  fix: {}", err.message, err.hint);
            return ExitCode::FAILURE;
        }
    };
    let catalog = gateway.state.models.refresh().await;
    if catalog.source == CatalogSource::Fallback {
        eprintln!("note: Kiro's model list could not be fetched; showing the built-in list");
    }
    for model in catalog.models.iter() {
        let capabilities = catalog.capabilities(&model.id);
        println!(
            "{:<28} {:>9} {:>7}  {}",
            crate::kiro::models::names::client_model_id(&model.id),
            capabilities.context_window,
            capabilities.max_output_tokens,
            model.name
        );
    }
    ExitCode::SUCCESS
}
