//! `GET /health`: no key needed for `{"status": "ok"}`; with the key (or with `--no-auth`)
//! also version, credential source, token expiry, uptime, counters, what Kiro sent that this
//! version does not know (`drift`) and the debug-dump mode. Without the key it
//! says nothing about the machine (no paths, no counters).

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::Json;
use chrono::Utc;
use serde_json::{json, Value};

use super::auth::check_key;
use crate::app::AppState;

pub async fn health(State(state): State<Arc<AppState>>, request: Request) -> Json<Value> {
    if !check_key(&state, &request).passes() {
        return Json(json!({"status": "ok"}));
    }
    let credentials = state.kiro.credentials().status();
    let expires_in = credentials
        .expires_at
        .map(|at| (at - Utc::now()).num_seconds());
    Json(json!({
        "status": "ok",
        "version": env!("CARGO_PKG_VERSION"),
        "uptime_seconds": state.started_at.elapsed().as_secs(),
        "credentials": {
            "source": credentials.source,
            "auth_kind": credentials.auth_kind,
            "expires_in_seconds": expires_in,
            "api_region": credentials.api_region,
            "last_refresh_error": credentials.last_refresh_error,
            "read_only": credentials.read_only,
        },
        "metrics": state.metrics.snapshot(),
        "upstream_hold": state.kiro.hold(),
        "drift": state.drift.summary(),
        "debug_dumps": state.dumps.mode(),
    }))
}
