//! The shell's managed state: the gateway's controller and what was assembled at boot, read
//! by the tray, the window, the notifications and the commands; and Quit.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use kiro_gateway::admin::{AdminHandle, AdminSlot, ControlPlane};
use kiro_gateway::app::AppState;
use kiro_gateway::boot::Booted;
use kiro_gateway::loopback_chat::ChatClient;
use kiro_gateway::server::{Controller, GatewayStatus, StartCode, StartError};
use tauri::{AppHandle, Manager, Runtime};

/// How long open requests may take to finish on Stop / Quit.
pub const DRAIN_GRACE: Duration = Duration::from_secs(5);
/// Quit exits even if the drain overruns by this much.
const QUIT_BOUND: Duration = Duration::from_secs(8);

/// The shell's managed state.
pub struct DesktopGateway {
    pub controller: Arc<Controller>,
    /// The admin handle, once boot made it (the controller's `/admin` routes read it too).
    pub admin: AdminSlot,
    /// What boot assembled (it keeps the credential watcher alive); the controller's current
    /// state supersedes its state once an `/admin` restart moved the server (its config holds
    /// the new address).
    pub(crate) booted: Mutex<Option<Booted>>,
    pub(crate) close_to_tray: Mutex<bool>,
    /// Why assembling failed (shown instead of "Stopped" until a start succeeds).
    pub(crate) boot_error: Mutex<Option<GatewayStatus>>,
    chat: ChatClient,
}

impl Default for DesktopGateway {
    fn default() -> Self {
        let admin = AdminSlot::default();
        DesktopGateway {
            controller: Controller::new(kiro_gateway::routes(admin.clone())),
            admin,
            booted: Mutex::new(None),
            close_to_tray: Mutex::new(true),
            boot_error: Mutex::new(None),
            chat: ChatClient::new(),
        }
    }
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl DesktopGateway {
    /// The gateway state in force (`None` until boot assembled it).
    pub fn state(&self) -> Option<Arc<AppState>> {
        self.controller
            .current_state()
            .or_else(|| lock(&self.booted).as_ref().map(|b| b.gateway.state.clone()))
    }

    /// The admin handle (`None` until boot made it).
    pub fn admin(&self) -> Option<Arc<AdminHandle>> {
        self.admin.get().cloned()
    }

    /// The state in force with the admin handle, for the control plane's operations.
    pub fn plane(&self) -> Option<ControlPlane> {
        Some(ControlPlane::new(self.state()?, Some(self.admin()?)))
    }

    /// The controller's status, or the boot error while nothing is assembled.
    pub fn status(&self) -> GatewayStatus {
        match (self.state(), lock(&self.boot_error).clone()) {
            (None, Some(error)) => error,
            _ => self.controller.status(),
        }
    }

    /// The test chat's loopback client (one pool for every chat).
    pub fn chat_client(&self) -> &ChatClient {
        &self.chat
    }

    pub fn close_to_tray(&self) -> bool {
        *lock(&self.close_to_tray)
    }

    pub fn set_close_to_tray(&self, on: bool) {
        *lock(&self.close_to_tray) = on;
    }

    /// Streams open right now (0 before boot).
    pub fn active_streams(&self) -> u64 {
        self.state()
            .map(|s: Arc<AppState>| s.metrics.snapshot().active_streams)
            .unwrap_or(0)
    }

    /// "587 credits left · 12.5 today · daily cap 80 %" (what is left once GetUsageLimits
    /// answered; what this gateway spent today; a credit cap once half used).
    /// A hold Kiro asked for comes first: "Kiro asked to wait · 4 min left · …".
    pub fn credits_label(&self) -> Option<String> {
        let state = self.state()?;
        state.usage.spawn_refresh_if_stale();
        let hold = state
            .kiro
            .hold()
            .map(|hold| kiro_gateway::status_view::hold_label(&hold));
        let credits = kiro_gateway::status_view::credits_label(
            state.usage.cached().as_ref(),
            state.credits.spent().0,
        );
        let caps = state.credit_caps.get().status_of(&state.credits);
        let credits = match (credits, kiro_gateway::status_view::cap_label(&caps)) {
            (Some(credits), Some(cap)) => Some(format!("{credits} · {cap}")),
            (credits, cap) => credits.or(cap),
        };
        match (hold, credits) {
            (Some(hold), Some(credits)) => Some(format!("{hold} · {credits}")),
            (hold, credits) => hold.or(credits),
        }
    }

    /// Start with the state in force (after Stop, or after a failed boot bind).
    pub async fn start(&self) -> Result<std::net::SocketAddr, StartError> {
        let state = self.state().ok_or_else(|| StartError {
            code: StartCode::NotReady,
            message: "The gateway is not assembled yet.".into(),
            hint: "Wait a moment; if it persists, see the error in the window.".into(),
            suggested_port: None,
        })?;
        self.controller.start(state).await
    }

    pub async fn stop(&self) {
        self.controller.stop(DRAIN_GRACE).await;
    }
}

/// Stop the gateway (bounded), then exit. Log lines are written as they happen, so there
/// is nothing left to flush.
pub fn quit<R: Runtime>(app: AppHandle<R>) {
    tauri::async_runtime::spawn(async move {
        tracing::info!("quitting: stopping the gateway");
        stop_bounded(&app).await;
        tracing::info!("gateway stopped; exiting");
        app.exit(0);
    });
}

/// Stop the gateway (bounded) as Quit does, then start the app again: after an update was
/// installed, the new binary takes over the port once the old one let go of it.
pub fn restart<R: Runtime>(app: AppHandle<R>) {
    tauri::async_runtime::spawn(async move {
        tracing::info!("restarting: stopping the gateway");
        stop_bounded(&app).await;
        tracing::info!("gateway stopped; restarting");
        app.request_restart();
    });
}

/// Open requests get [`DRAIN_GRACE`]; the whole stop at most [`QUIT_BOUND`].
async fn stop_bounded<R: Runtime>(app: &AppHandle<R>) {
    let gw = app.state::<DesktopGateway>();
    let _ = tokio::time::timeout(QUIT_BOUND, gw.stop()).await;
}
