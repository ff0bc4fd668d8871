//! Starting a gateway, one way for the headless binary and the desktop shell: the saved
//! settings under what was given explicitly, logging, the API key, assembly, the admin
//! handle, then the start and the warm-ups. Each program keeps only what is its own: the
//! banner, the new key on stdout and the signals (`cli/serve.rs`); the tray, the window and
//! autostart (the shell).

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use crate::admin::{AdminHandle, AdminSlot};
use crate::config::Config;
use crate::connect::ConnectEnv;
use crate::gateway::Gateway;
use crate::logs::{self, LogBuffer, Redactor};
use crate::secrets::{
    default_api_key_stores, desktop_api_key_stores, resolve_api_key, ApiKeyResolution, FileStore,
    KeyStores,
};
use crate::server::{Controller, StartCode, StartError};
use crate::settings::SavedSettings;

/// Which program boots: what differs between them.
pub enum Program {
    /// `kiro-gateway serve`: keys in the keyring or the key file, logs on stderr.
    Headless,
    /// The desktop app: a new key goes to the keyring (the key file only once the user opted
    /// in), logs also go to `log_dir`, and the settings carry the desktop switches.
    Desktop {
        log_dir: Option<PathBuf>,
        /// Whether the OS starts the app at login (the OS entry is the truth, not the file).
        launch_at_login: bool,
        /// Whether the app can install an offered release (it runs from an installed package).
        installer: crate::updates::Installer,
    },
}

/// A gateway assembled and ready to start.
pub struct Booted {
    /// Keeps the credential watcher alive.
    pub gateway: Gateway,
    pub admin: Arc<AdminHandle>,
    /// How the API key was found (`None` with `--no-auth`); a new key is for the program to
    /// show the user once.
    pub key: Option<ApiKeyResolution>,
    controller: Arc<Controller>,
}

/// Assemble the gateway `config` describes (loaded with `saved` as its lowest layer:
/// [`crate::settings::load_config`]). Puts the admin handle in `admin` (the slot
/// `controller`'s routes read). Nothing is bound yet.
pub async fn assemble(
    config: Config,
    saved: SavedSettings,
    program: Program,
    controller: Arc<Controller>,
    admin: AdminSlot,
) -> Result<Booted, StartError> {
    let redactor = Redactor::new();
    let buffer = LogBuffer::new(
        logs::DEFAULT_LOG_CAPACITY,
        logs::DEFAULT_REQUEST_CAPACITY,
        redactor.clone(),
    );
    let log_dir = match &program {
        Program::Headless => None,
        Program::Desktop { log_dir, .. } => log_dir.clone(),
    };
    let log_control = logs::init_with_buffer(
        &config.log_level,
        redactor.clone(),
        &buffer,
        log_dir.as_deref(),
    )
    .map_err(|e| fail(StartCode::LogLevel, e, "Use a level such as info or debug."))?;
    if let Some(err) = &saved.ignored {
        tracing::warn!("ignoring the UI settings: {err} ({})", err.hint);
    }
    let saved_lan = saved
        .settings
        .as_ref()
        .is_some_and(|s| !s.host.is_loopback());
    if config.no_auth && saved_lan {
        tracing::warn!(
            "the saved address is not loopback; --no-auth listens on {} only",
            config.host
        );
    }
    let (read_stores, write_stores) = match &program {
        Program::Headless => {
            let stores = default_api_key_stores();
            (stores.clone(), stores)
        }
        Program::Desktop { .. } => desktop_api_key_stores(),
    };
    let key = resolve_key(&config, &read_stores, &write_stores).await?;
    let api_key = key.as_ref().map(|resolution| {
        redactor.add(resolution.key.expose());
        resolution.key.clone()
    });
    let key_source = match &key {
        Some(resolution) => resolution.source.describe(),
        None => "none (--no-auth)".to_owned(),
    };
    let gateway = Gateway::assemble_logging_to(config, api_key, redactor, buffer).await?;
    if let Program::Desktop { installer, .. } = &program {
        gateway.state.updates.set_installer(*installer);
    }
    let config = &gateway.state.config;
    let mut settings = saved.in_force(config);
    if let Program::Desktop {
        launch_at_login, ..
    } = &program
    {
        settings.launch_at_login = *launch_at_login;
    }
    let handle = AdminHandle::new(controller.clone(), settings, saved.path.clone())
        .with_shadowed(saved.shadowed_by(config))
        .with_key_stores(write_stores)
        .with_key_file(FileStore::in_config_dir())
        .with_key_source(key_source)
        .with_log_control(log_control)
        .with_log_dir(log_dir)
        .with_connect(ConnectEnv::from_process())
        .desktop(matches!(program, Program::Desktop { .. }));
    let admin_handle = Arc::new(handle);
    admin.set(admin_handle.clone()).map_err(|_| {
        fail(
            StartCode::NotReady,
            "the gateway was already booted".into(),
            "",
        )
    })?;
    Ok(Booted {
        gateway,
        admin: admin_handle,
        key,
        controller,
    })
}

impl Booted {
    /// Bind and serve, then warm up what the first requests and the status would otherwise
    /// wait for: the model catalogue, the remaining credits, the release feed (when set).
    /// The future owns what it needs, so `self` can be stored away before it is awaited.
    pub fn start(&self) -> impl Future<Output = Result<SocketAddr, StartError>> + Send + 'static {
        let controller = self.controller.clone();
        let state = self.gateway.state.clone();
        async move {
            let addr = controller.start(state.clone()).await?;
            let models = state.models.clone();
            tokio::spawn(async move { models.get().await });
            state.usage.spawn_refresh_if_stale();
            state.updates.spawn_checks();
            Ok(addr)
        }
    }
}

async fn resolve_key(
    config: &Config,
    read_stores: &KeyStores,
    write_stores: &KeyStores,
) -> Result<Option<ApiKeyResolution>, StartError> {
    if config.no_auth {
        return Ok(None);
    }
    let resolution = resolve_api_key(config.api_key.clone(), read_stores, write_stores)
        .await
        .map_err(|e| {
            fail(
                StartCode::ApiKey,
                format!("cannot obtain an API key: {e}"),
                "Unlock the OS keyring, or set KIRO_GATEWAY_API_KEY.",
            )
        })?;
    Ok(Some(resolution))
}

fn fail(code: StartCode, message: String, hint: &str) -> StartError {
    StartError {
        code,
        message,
        hint: hint.into(),
        suggested_port: None,
    }
}
