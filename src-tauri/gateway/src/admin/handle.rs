//! [`AdminHandle`]: what `/admin` needs beyond the request state — the controller (for
//! restarts), the settings and where they are saved, the key stores, the log filter.
//!
//! # Restarts
//!
//! A request cannot restart the server that is serving it synchronously: `Controller::stop`
//! waits for open requests, including that one. So [`AdminHandle::restart`]:
//!
//! 1. is only called after the new address was checked by binding it once (the caller
//!    answers 409 with a free port otherwise);
//! 2. spawns a task and returns, so the handler can answer `{restarting, endpoints}`;
//! 3. the task waits a moment for that answer to leave, bumps the *closing* epoch (live log
//!    streams end, so they do not hold the drain open), stops the controller (bounded grace)
//!    and starts it with the new state;
//! 4. if the new address fails after all, it starts the old state again and keeps the error
//!    for `/admin/status` (`restart.last_error`).
//!
//! The controller stays the only thing that binds or stops the server.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::StatusCode;
use serde_json::Value;
use tokio::sync::watch;

use super::endpoints::endpoints;
use super::views::RestartState;
use super::{AdminCode, AdminError, SettingsUpdate, SettingsView};
use crate::app::AppState;
use crate::connect::ConnectEnv;
use crate::credit_caps::CreditCaps;
use crate::logs::LogControl;
use crate::secrets::{FileStore, SecretStore};
use crate::server::StartCode;
use crate::server::{Controller, StartError};
use crate::settings::Settings;

/// Grace for open requests when the UI moves the server to a new address.
const RESTART_GRACE: Duration = Duration::from_secs(3);
/// Lets the admin answer reach the client before its server stops.
const RESTART_DELAY: Duration = Duration::from_millis(200);

/// Settings that take effect by restarting the server on the new address.
const RESTART_FIELDS: &[&str] = &["port", "host", "allow_lan"];
/// Settings that take effect at the next launch (they rebuild the upstream client).
const NEXT_START_FIELDS: &[&str] = &["proxy_url", "creds_file", "cli_db_file"];
/// Settings only the desktop app acts on.
const DESKTOP_FIELDS: &[&str] = &["launch_at_login", "close_to_tray", "desktop_notifications"];

pub struct AdminHandle {
    controller: Arc<Controller>,
    settings: Mutex<Settings>,
    /// One settings edit at a time, from reading the settings to applying them: two edits
    /// at once would each patch the same old settings and the last save would drop the
    /// other's change.
    editing: tokio::sync::Mutex<()>,
    shadowed: Vec<&'static str>,
    settings_path: Option<PathBuf>,
    key_stores: Mutex<Vec<Arc<dyn SecretStore>>>,
    key_source: Mutex<String>,
    /// The 0600 file the user can opt into when no OS keyring is available.
    key_file: Option<FileStore>,
    log_control: Option<LogControl>,
    log_dir: Option<PathBuf>,
    /// Where "Connect a tool" finds the clients' files (`None`: not offered).
    connect: Option<ConnectEnv>,
    desktop: bool,
    closing: watch::Sender<u64>,
    restarting: AtomicBool,
    last_restart_error: Mutex<Option<StartError>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl AdminHandle {
    /// `settings` are the ones in force; they are saved to `settings_path` on change (no
    /// path: kept in memory only).
    pub fn new(
        controller: Arc<Controller>,
        settings: Settings,
        settings_path: Option<PathBuf>,
    ) -> Self {
        AdminHandle {
            controller,
            settings: Mutex::new(settings),
            editing: tokio::sync::Mutex::new(()),
            shadowed: Vec::new(),
            settings_path,
            key_stores: Mutex::new(Vec::new()),
            key_source: Mutex::new("configured".into()),
            key_file: None,
            log_control: None,
            log_dir: None,
            connect: None,
            desktop: false,
            closing: watch::Sender::new(0),
            restarting: AtomicBool::new(false),
            last_restart_error: Mutex::new(None),
        }
    }

    /// Where "Regenerate" stores a new key (first that accepts it).
    pub fn with_key_stores(self, stores: Vec<Arc<dyn SecretStore>>) -> Self {
        *lock(&self.key_stores) = stores;
        self
    }

    /// The file "Save the key to a file" writes (`api-key` in the config folder).
    pub fn with_key_file(mut self, file: Option<FileStore>) -> Self {
        self.key_file = file;
        self
    }

    /// A description of where the current key came from (never the key).
    pub fn with_key_source(self, source: impl Into<String>) -> Self {
        *lock(&self.key_source) = source.into();
        self
    }

    pub fn with_log_control(mut self, control: LogControl) -> Self {
        self.log_control = Some(control);
        self
    }

    /// The user's folders for "Connect a tool" ([`ConnectEnv::from_process`]).
    pub fn with_connect(mut self, env: Option<ConnectEnv>) -> Self {
        self.connect = env;
        self
    }

    pub fn connect_env(&self) -> Option<&ConnectEnv> {
        self.connect.as_ref()
    }

    /// The folder holding log files (desktop app); `None` for stderr only.
    pub fn with_log_dir(mut self, dir: Option<PathBuf>) -> Self {
        self.log_dir = dir;
        self
    }

    /// Set by the desktop shell: desktop-only settings become editable.
    pub fn desktop(mut self, desktop: bool) -> Self {
        self.desktop = desktop;
        self
    }

    pub fn controller(&self) -> &Arc<Controller> {
        &self.controller
    }

    pub fn is_desktop(&self) -> bool {
        self.desktop
    }

    pub fn key_stores(&self) -> Vec<Arc<dyn SecretStore>> {
        lock(&self.key_stores).clone()
    }

    pub fn key_file(&self) -> Option<&FileStore> {
        self.key_file.as_ref()
    }

    /// From now on "Regenerate" also writes `store` (after the user opted into it).
    pub(super) fn add_key_store(&self, store: Arc<dyn SecretStore>) {
        let mut stores = lock(&self.key_stores);
        if !stores.iter().any(|s| s.describe() == store.describe()) {
            stores.push(store);
        }
    }

    pub fn key_source(&self) -> String {
        lock(&self.key_source).clone()
    }

    pub(super) fn set_key_source(&self, source: &str) {
        *lock(&self.key_source) = source.to_owned();
    }

    pub fn log_dir(&self) -> Option<&PathBuf> {
        self.log_dir.as_ref()
    }

    pub fn log_level(&self) -> String {
        match &self.log_control {
            Some(c) => c.current(),
            None => lock(&self.settings).log_level.clone(),
        }
    }

    pub fn settings(&self) -> Settings {
        lock(&self.settings).clone()
    }

    /// A receiver that changes when the server is about to stop for a restart.
    pub fn closing(&self) -> watch::Receiver<u64> {
        self.closing.subscribe()
    }

    pub(super) fn restart_state(&self) -> RestartState {
        RestartState {
            pending: self.restarting.load(Ordering::Relaxed),
            last_error: lock(&self.last_restart_error).clone(),
        }
    }

    /// Saved settings this run does not use because a start option gave another value.
    pub fn with_shadowed(mut self, fields: Vec<&'static str>) -> Self {
        self.shadowed = fields;
        self
    }

    /// `GET /admin/settings` body.
    pub fn settings_view(&self) -> SettingsView {
        SettingsView {
            settings: self.settings(),
            shadowed: self.shadowed.clone(),
            path: self.settings_path.clone(),
            desktop: self.desktop,
            restart_fields: RESTART_FIELDS,
            next_start_fields: NEXT_START_FIELDS,
            desktop_fields: DESKTOP_FIELDS,
        }
    }

    /// Validate `patch`, save, apply. A new address is checked by binding it, then the
    /// server restarts there (after this returns).
    pub async fn update_settings(
        self: &Arc<Self>,
        state: &Arc<AppState>,
        patch: &Value,
    ) -> Result<SettingsUpdate, AdminError> {
        let _one_editor = self.editing.lock().await;
        let (cur_host, cur_port) = match self.controller.status() {
            crate::server::GatewayStatus::Running { addr } => (addr.ip(), addr.port()),
            _ => (state.config.host, state.config.port),
        };
        let mut old = self.settings();
        if old.port == 0 {
            // Started on "any free port" (tests): the port in force is the bound one.
            old.port = cur_port;
        }
        let new = old.patched(patch)?;
        if state.api_key.get().is_none() && !new.host.is_loopback() {
            return Err(AdminError {
                field: Some("host".into()),
                ..AdminError::new(
                    StatusCode::FORBIDDEN,
                    AdminCode::NoAuthLoopbackOnly,
                    format!(
                        "The gateway runs without a key (--no-auth), so it cannot listen on {}.",
                        new.host
                    ),
                    "Restart without --no-auth to allow LAN access.",
                )
            });
        }
        if !self.desktop {
            for field in DESKTOP_FIELDS {
                if patch.get(field).is_some()
                    && serde_json::to_value(&new)?[field] != serde_json::to_value(&old)?[field]
                {
                    return Err(AdminError {
                        field: Some((*field).to_owned()),
                        ..AdminError::new(
                            StatusCode::BAD_REQUEST,
                            AdminCode::DesktopOnly,
                            format!("`{field}` is a desktop app setting."),
                            "Use the Kiro Gateway desktop app to change it.",
                        )
                    });
                }
            }
        }
        let moves = new.host != cur_host || new.port != cur_port;
        // Only a new port can be tried while the old one is held: the same port on another
        // address would clash with our own listener. A host-only move that fails falls back
        // to the old address (see `restart`).
        if moves && new.port != cur_port {
            check_bindable(&new).await?;
        }
        self.save(&new)?;
        let mut applied = Vec::new();
        if new.log_level != old.log_level {
            if let Some(control) = &self.log_control {
                control.set(&new.log_level).map_err(|e| AdminError {
                    field: Some("log_level".into()),
                    ..AdminError::new(
                        StatusCode::BAD_REQUEST,
                        AdminCode::InvalidSetting,
                        e,
                        "Use error, warn, info, debug or trace.",
                    )
                })?;
                applied.push("log_level");
            }
        }
        let next_start: Vec<&str> = NEXT_START_FIELDS
            .iter()
            .copied()
            .filter(|f| {
                serde_json::to_value(&new).ok().map(|v| v[f].clone())
                    != serde_json::to_value(&old).ok().map(|v| v[f].clone())
            })
            .collect();
        let caps = CreditCaps {
            daily: new.daily_credit_cap,
            monthly: new.monthly_credit_cap,
            pause: new.pause_at_cap,
        };
        if caps != state.credit_caps.get() {
            state.credit_caps.set(caps);
            applied.extend(["daily_credit_cap", "monthly_credit_cap", "pause_at_cap"]);
        }
        let update_feed = new
            .update_feed
            .clone()
            .or_else(crate::config::build_release_feed);
        let updates = state.updates.settings();
        if updates.enabled != new.check_updates || updates.feed != update_feed {
            state.updates.set(new.check_updates, update_feed);
            applied.extend(["check_updates", "update_feed"]);
        }
        *lock(&self.settings) = new.clone();
        let mut config = state.config.clone();
        config.host = new.host;
        config.port = new.port;
        config.log_level = new.log_level.clone();
        if moves {
            applied.extend(["port", "host"]);
            tracing::info!("moving the server to {}:{}", new.host, new.port);
            self.restart(state.clone(), state.with_config(config));
        }
        Ok(SettingsUpdate {
            restarting: moves,
            endpoints: endpoints(new.host, new.port),
            applied,
            next_start,
            saved_to: self.settings_path.clone(),
            settings: new,
        })
    }

    /// Save `id` as the Kiro login to use at the next start (one settings writer at a time).
    pub async fn remember_login(&self, id: &str) -> Result<(), AdminError> {
        let _one_editor = self.editing.lock().await;
        let mut settings = self.settings();
        if settings.kiro_login.as_deref() == Some(id) {
            return Ok(());
        }
        settings.kiro_login = Some(id.to_owned());
        self.save(&settings)?;
        *lock(&self.settings) = settings;
        Ok(())
    }

    /// Write `settings` to the settings file (none: kept in memory only).
    fn save(&self, settings: &Settings) -> Result<(), AdminError> {
        let Some(path) = &self.settings_path else {
            return Ok(());
        };
        settings.save(path).map_err(|e| {
            AdminError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                AdminCode::SettingsWrite,
                format!("Cannot save {}: {e}", path.display()),
                "Check that the config folder is writable.",
            )
        })
    }

    /// Stop the server and start it with `next` (see the module docs). Returns at once.
    pub fn restart(self: &Arc<Self>, current: Arc<AppState>, next: Arc<AppState>) {
        let this = self.clone();
        this.restarting.store(true, Ordering::Relaxed);
        tokio::spawn(async move {
            tokio::time::sleep(RESTART_DELAY).await;
            this.closing.send_modify(|epoch| *epoch += 1);
            this.controller.stop(RESTART_GRACE).await;
            match this.controller.start(next).await {
                Ok(addr) => {
                    tracing::info!("restarted on http://{addr}");
                    *lock(&this.last_restart_error) = None;
                }
                Err(err) => {
                    tracing::error!("cannot restart on the new address: {}", err.message);
                    *lock(&this.last_restart_error) = Some(err);
                    if let Err(err) = this.controller.start(current).await {
                        tracing::error!(
                            "cannot restart on the old address either: {}",
                            err.message
                        );
                    }
                }
            }
            this.restarting.store(false, Ordering::Relaxed);
        });
    }
}

impl From<serde_json::Error> for AdminError {
    fn from(e: serde_json::Error) -> Self {
        AdminError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            AdminCode::Internal,
            e.to_string(),
            "This is a bug; please report it.",
        )
    }
}

/// Bind `host:port` once to prove the restart can succeed; 409 with a free port otherwise.
async fn check_bindable(settings: &Settings) -> Result<(), AdminError> {
    match crate::server::bind(settings.host, settings.port).await {
        Ok(listener) => {
            drop(listener);
            Ok(())
        }
        Err(err) => {
            let field = if err.code == StartCode::AddressUnavailable {
                "host"
            } else {
                "port"
            };
            Err(AdminError {
                field: Some(field.into()),
                suggested_port: err.suggested_port,
                ..AdminError::new(
                    StatusCode::CONFLICT,
                    AdminCode::Start(err.code),
                    err.message,
                    err.hint,
                )
            })
        }
    }
}
