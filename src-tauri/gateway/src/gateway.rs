//! Assembling a gateway from a [`Config`]: HTTP client, credentials (with their watcher),
//! Kiro client, model catalogue, usage limits, shared state.

use std::sync::Arc;
use std::time::Duration;

use crate::app::{AppState, Records};
use crate::config::Config;
use crate::credentials::{CredentialSettings, Credentials};
use crate::debug_dump::{DebugDumps, DumpSettings};
use crate::drift::Drift;
use crate::exposure::check_exposure;
use crate::kiro::catalog::ModelCatalog;
use crate::kiro::login::ActiveLogin;
use crate::kiro::usage_limits::{refresh_interval_from_env, UsageLimits};
use crate::kiro::wire::build_http_client;
use crate::kiro::{ClientSettings, KiroClient};
use crate::logs::{LogBuffer, Redactor};
use crate::secrets::Secret;
use crate::server::{StartCode, StartError};

/// How long a fetched model list is served from cache.
const MODEL_LIST_TTL: Duration = Duration::from_secs(15 * 60);

/// A ready gateway: the shared state (the login in use watches its own source).
pub struct Gateway {
    pub state: Arc<AppState>,
}

impl Gateway {
    /// Discover credentials and build everything the routes need. Nothing is bound yet.
    pub async fn assemble(
        config: Config,
        api_key: Option<Secret<String>>,
        redactor: Redactor,
    ) -> Result<Gateway, StartError> {
        Self::assemble_logging_to(config, api_key, redactor, LogBuffer::default()).await
    }

    /// [`Gateway::assemble`], keeping log lines and request rows in `logs` (the buffer the
    /// program's logging writes to).
    pub async fn assemble_logging_to(
        config: Config,
        api_key: Option<Secret<String>>,
        redactor: Redactor,
        logs: LogBuffer,
    ) -> Result<Gateway, StartError> {
        check_exposure(&config, api_key.as_ref())?;
        // Dumps and drift samples are redacted with the same redactor as the logs, which
        // must know the key too.
        if let Some(key) = &api_key {
            redactor.add(key.expose());
        }
        let dumps = Arc::new(DebugDumps::new(dump_settings(&config), redactor.clone()));
        let drift = Arc::new(Drift::new(redactor.clone(), dumps.drift_file()));
        let http = build_http_client(config.proxy_url.as_deref(), config.connect_timeout).map_err(
            |message| StartError {
                code: StartCode::HttpClient,
                message,
                hint: "Check VPN_PROXY_URL / HTTPS_PROXY.".into(),
                suggested_port: None,
            },
        )?;
        let credentials =
            Credentials::discover(credential_settings(&config), http.clone(), redactor)
                .await
                .map_err(|err| StartError {
                    code: StartCode::Credentials,
                    message: err.to_string(),
                    hint: err.hint().into(),
                    suggested_port: None,
                })?;
        let login = ActiveLogin::watched(credentials);
        let catalogue_drift = drift.clone();
        let models = ModelCatalog::observed(
            http.clone(),
            login.clone(),
            config.management_url.clone(),
            MODEL_LIST_TTL,
            Some(Arc::new(move |models| catalogue_drift.catalogue(models))),
        );
        let usage = UsageLimits::new(
            http.clone(),
            login.clone(),
            config.management_url.clone(),
            refresh_interval_from_env(),
        );
        let kiro = KiroClient::with_login(http, login, ClientSettings::from_config(&config))
            .with_tap(drift.clone());
        let api_key = if config.no_auth { None } else { api_key };
        Ok(Gateway {
            state: AppState::new(
                config,
                kiro,
                models,
                usage,
                api_key,
                Records { logs, dumps, drift },
            ),
        })
    }
}

pub fn dump_settings(config: &Config) -> DumpSettings {
    DumpSettings {
        mode: config.debug_mode,
        dir: config.debug_dump_dir.clone(),
        max_count: config.debug_dump_max_count,
        max_bytes: config.debug_dump_max_bytes,
    }
}

pub fn credential_settings(config: &Config) -> CredentialSettings {
    CredentialSettings {
        creds_file: config.creds_file.clone(),
        cli_db_file: config.cli_db_file.clone(),
        refresh_token: config.refresh_token.clone(),
        profile_arn: config.profile_arn.clone(),
        region: config.region.clone(),
        api_region: config.api_region.clone(),
        refresh_url: config.refresh_url.clone(),
        oidc_url: config.oidc_url.clone(),
        management_url: config.management_url.clone(),
        login: config.kiro_login.clone(),
        home_dir: None,
        data_local_dir: None,
    }
}
