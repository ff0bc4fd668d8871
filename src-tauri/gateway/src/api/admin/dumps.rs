//! `/admin/dumps…` and `/admin/drift`: the HTTP adapter over [`crate::admin::dumps`].

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::Value;

use crate::admin::dumps::{bundle, list, replay, set_mode, show};
use crate::admin::{AdminCode, AdminError, DumpList, DumpModeView, DumpView, Replayed};
use crate::app::AppState;
use crate::drift::DriftReport;

type AdminResult<T> = Result<Json<T>, AdminError>;

pub(super) async fn list_handler(State(state): State<Arc<AppState>>) -> AdminResult<DumpList> {
    list(&state).map(Json)
}

pub(super) async fn mode_handler(
    State(state): State<Arc<AppState>>,
    body: axum::body::Bytes,
) -> AdminResult<DumpModeView> {
    let body: Value = serde_json::from_slice(&body).map_err(|e| {
        AdminError::new(
            StatusCode::BAD_REQUEST,
            AdminCode::InvalidJson,
            format!("The body is not JSON: {e}"),
            "Send {\"mode\": \"errors\"}.",
        )
    })?;
    set_mode(&state, &body).map(Json)
}

pub(super) async fn show_handler(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> AdminResult<DumpView> {
    show(&state, &id).map(Json)
}

pub(super) async fn replay_handler(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> AdminResult<Replayed> {
    let routes = crate::api::router(crate::admin::ControlPlane::new(state.clone(), None));
    replay(&state, routes, &id).await.map(Json)
}

pub(super) async fn bundle_handler(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> Result<Response, AdminError> {
    let (name, zip) = bundle(&state, &id)?;
    let disposition = HeaderValue::from_str(&format!("attachment; filename=\"{name}\""))
        .unwrap_or(HeaderValue::from_static("attachment"));
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/zip"),
            ),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        zip,
    )
        .into_response())
}

pub(super) async fn drift_handler(State(state): State<Arc<AppState>>) -> Json<DriftReport> {
    Json(state.drift.full_report())
}
