//! `kiro-gateway doctor`: check each link of the chain and say how to fix what is broken.

use std::process::ExitCode;

use crate::config::Config;
use crate::credentials::Credentials;
use crate::gateway::credential_settings;
use crate::kiro::catalog::{CatalogSource, ModelCatalog};
use crate::kiro::wire::build_http_client;
use crate::logs::Redactor;

struct Report {
    failures: usize,
}

impl Report {
    fn ok(&self, what: &str, detail: impl AsRef<str>) {
        println!("  ok    {what}: {}", detail.as_ref());
    }
    fn fail(&mut self, what: &str, detail: impl AsRef<str>, fix: impl AsRef<str>) {
        self.failures += 1;
        println!(
            "  FAIL  {what}: {}\n        fix: {}",
            detail.as_ref(),
            fix.as_ref()
        );
    }
}

pub async fn run(config: Config) -> ExitCode {
    let mut report = Report { failures: 0 };
    println!("Kiro Gateway {} doctor", env!("CARGO_PKG_VERSION"));
    let file = config
        .config_file
        .as_ref()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| "no config file (defaults, .env and environment)".into());
    report.ok("configuration", file);

    match tokio::net::TcpListener::bind((config.host, config.port)).await {
        Ok(_) => report.ok("port", format!("{}:{} is free", config.host, config.port)),
        Err(err) => report.fail(
            "port",
            format!("{}:{} cannot be bound ({err})", config.host, config.port),
            "another program (maybe a running kiro-gateway) uses it; choose another with --port",
        ),
    }

    let http = match build_http_client(config.proxy_url.as_deref(), config.connect_timeout) {
        Ok(http) => http,
        Err(err) => {
            report.fail("http client", err, "check VPN_PROXY_URL / HTTPS_PROXY");
            return finish(report);
        }
    };
    let credentials =
        match Credentials::discover(credential_settings(&config), http.clone(), Redactor::new())
            .await
        {
            Ok(credentials) => credentials,
            Err(err) => {
                report.fail("credentials", err.to_string(), err.hint());
                return finish(report);
            }
        };
    let status = credentials.status();
    report.ok(
        "credentials",
        format!("{} ({:?})", status.source, status.auth_kind),
    );

    match credentials.access_token().await {
        Ok(token) => {
            let status = credentials.status();
            let until = status
                .expires_at
                .map(|at| format!("valid until {at}"))
                .unwrap_or_else(|| "valid".into());
            report.ok(
                "access token",
                format!("{until}, {} refresh(es) made", status.refresh_count),
            );
            match &token.profile_arn {
                Some(arn) => report.ok(
                    "profile",
                    format!("{arn} (API region {})", token.api_region),
                ),
                None => report.fail(
                    "profile",
                    "no profile ARN known for this login",
                    "set PROFILE_ARN (see the Kiro IDE's profile) — the runtime API requires one",
                ),
            }
        }
        Err(err) => report.fail("access token", err.to_string(), err.hint()),
    }

    let catalog = ModelCatalog::new(
        http,
        crate::kiro::login::ActiveLogin::new(credentials),
        config.management_url.clone(),
        std::time::Duration::from_secs(1),
    );
    let models = catalog.refresh().await;
    match models.source {
        CatalogSource::Upstream => report.ok(
            "Kiro API",
            format!("reachable, {} models", models.models.len()),
        ),
        CatalogSource::Fallback => report.fail(
            "Kiro API",
            "the model list could not be fetched (see the warning above)",
            "check your network / proxy and that your Kiro subscription is active",
        ),
    }
    finish(report)
}

fn finish(report: Report) -> ExitCode {
    if report.failures == 0 {
        println!("All checks passed.");
        ExitCode::SUCCESS
    } else {
        println!("{} check(s) failed.", report.failures);
        ExitCode::FAILURE
    }
}
