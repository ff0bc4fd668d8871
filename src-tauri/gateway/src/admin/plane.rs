//! A running gateway as the control plane sees it: the state its routes serve and the admin
//! handle the program gave it (settings, key stores, restarts). `AppState` does not hold the
//! handle, so the request path knows nothing of the control plane.

use std::sync::{Arc, OnceLock};

use axum::http::StatusCode;

use super::{AdminCode, AdminError, AdminHandle};
use crate::app::AppState;

/// Where a program keeps its admin handle once boot made it. The server's routes read it
/// for each start; the handle is made after the controller it restarts, so it cannot be
/// handed over when the routes are.
pub type AdminSlot = Arc<OnceLock<Arc<AdminHandle>>>;

#[derive(Clone)]
pub struct ControlPlane {
    pub state: Arc<AppState>,
    handle: Option<Arc<AdminHandle>>,
}

impl ControlPlane {
    /// `handle` is `None` where the program runs without the admin API (in-process tests):
    /// the operations that need it answer 503.
    pub fn new(state: Arc<AppState>, handle: Option<Arc<AdminHandle>>) -> Self {
        ControlPlane { state, handle }
    }

    pub fn handle(&self) -> Result<&Arc<AdminHandle>, AdminError> {
        self.handle.as_ref().ok_or_else(|| {
            AdminError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                AdminCode::AdminUnavailable,
                "This gateway was started without the admin API.",
                "Start it with `kiro-gateway serve`.",
            )
        })
    }

    /// The handle, for answers that only read it when there is one.
    pub fn handle_if_any(&self) -> Option<&Arc<AdminHandle>> {
        self.handle.as_ref()
    }
}
