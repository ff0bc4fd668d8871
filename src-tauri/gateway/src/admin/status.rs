//! What the control plane reports: `GET /admin/status` (and the desktop's status command),
//! the base URLs tools use,

use chrono::Utc;

use super::endpoints::endpoints;
use super::views::{CredentialsView, DumpsView, Fix, RestartState, StatusView};
use super::ControlPlane;
use crate::server::{GatewayStatus, StartCode};

/// What the UI can offer to fix an error status.
fn fix_for(code: StartCode, suggested_port: Option<u16>) -> Fix {
    match code {
        StartCode::PortInUse => match suggested_port {
            Some(port) => Fix::UsePort { port },
            None => Fix::Settings,
        },
        StartCode::Credentials => Fix::SignIn {
            text: "Sign in with the Kiro IDE (or run `kiro-cli login`), then start again. Settings → Credential source can point at a token file.",
        },
        _ => Fix::Settings,
    }
}

/// `GET /admin/status` body (also for the desktop shell).
pub fn status_view(plane: &ControlPlane) -> StatusView {
    let state = &plane.state;
    let admin = plane.handle_if_any();
    let gateway = admin
        .map(|a| a.controller().status())
        .unwrap_or(GatewayStatus::Running {
            addr: (state.config.host, state.config.port).into(),
        });
    let fix = match &gateway {
        GatewayStatus::Error {
            code,
            suggested_port,
            ..
        } => Some(fix_for(*code, *suggested_port)),
        _ => None,
    };
    let (host, port) = match &gateway {
        GatewayStatus::Running { addr } => (addr.ip(), addr.port()),
        _ => (state.config.host, state.config.port),
    };
    let credentials = state.kiro.credentials().status();
    let expires_in = credentials
        .expires_at
        .map(|at| (at - Utc::now()).num_seconds());
    let restart = admin.map(|a| a.restart_state()).unwrap_or(RestartState {
        pending: false,
        last_error: None,
    });
    // Older than the refresh interval (or never fetched): refresh in the background; this
    // answer carries the last known value.
    state.usage.spawn_refresh_if_stale();
    let credit_caps = state.credit_caps.get().status_of(&state.credits);
    StatusView {
        gateway,
        fix,
        version: env!("CARGO_PKG_VERSION"),
        uptime_seconds: state.started_at.elapsed().as_secs(),
        credentials: CredentialsView {
            source: credentials.source,
            auth_kind: credentials.auth_kind,
            expires_at: credentials.expires_at,
            expires_in_seconds: expires_in,
            api_region: credentials.api_region,
            last_refresh_error: credentials.last_refresh_error,
            read_only: credentials.read_only,
            refresh_count: credentials.refresh_count,
        },
        metrics: state.metrics.snapshot(),
        endpoints: endpoints(host, port),
        auth_required: !state.api_key.is_none(),
        restart,
        desktop: admin.is_some_and(|a| a.is_desktop()),
        usage: state.usage.cached(),
        credits_spent: state.credits.summary(),
        credit_caps,
        upstream_hold: state.kiro.hold(),
        drift: state.drift.summary(),
        debug_dumps: DumpsView {
            mode: state.dumps.mode(),
            dir: state.dumps.dir().map(std::path::Path::to_path_buf),
        },
    }
}
