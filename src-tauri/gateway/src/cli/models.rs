//! `kiro-gateway models`: the models this account can use.

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
        println!(
            "{:<28} {}",
            crate::api::client_model_id(&model.id),
            model.name
        );
    }
    ExitCode::SUCCESS
}
