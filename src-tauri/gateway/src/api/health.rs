//! `GET /health`: no auth; status, version, credential source, token expiry, uptime.

use std::sync::Arc;

use axum::extract::State;
use axum::Json;
use chrono::Utc;
use serde_json::{json, Value};

use crate::app::AppState;

pub async fn health(State(state): State<Arc<AppState>>) -> Json<Value> {
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
    }))
}
