//! `/admin/*`: the HTTP adapter of the control plane ([`crate::admin`]), the JSON API the web
//! UI uses (the desktop shell's commands call the same functions). Every route needs the proxy
//! API key; errors are `{code, message, hint}` (plus `field` for a bad setting) with a fitting
//! status.
//!
//! | Route | Answer |
//! |---|---|
//! | `GET /admin/status` | controller status + fix, credentials (no token), metrics, endpoints |
//! | `GET /admin/settings` | `{settings, path, desktop, ...}` |
//! | `PUT /admin/settings` | JSON object of changed fields → saved, applied; a new address restarts |
//! | `GET /admin/api-key` | `{key, source}` |
//! | `POST /admin/api-key/regenerate` | `{key, message}`; the old key stops working at once |
//! | `POST /admin/api-key/save-to-file` | `{source, path}`: keep the key in the 0600 file (no keyring) |
//! | `GET /admin/logs?since=SEQ` | `{logs, requests, log_dir, level}` |
//! | `DELETE /admin/logs` | empties the buffer |
//! | `GET /admin/logs/stream` | SSE: `log`, `request`, `cleared` events |
//! | `GET /admin/requests` | `{requests}` |
//! | `GET /admin/models` | `{models, source}` |
//! | `POST /admin/restart` | rebinds on the current address |
//! | `GET /admin/connect?model=ID` | clients: installed?, connected?, the diff a connect makes ([`crate::admin::connect`]) |
//! | `POST /admin/connect/{client}` | `{model}` → writes the client's config (backed up), `{files, backup_dir, key}` |
//! | `POST /admin/connect/{client}/undo` | restores the client's files byte for byte |
//! | `GET /admin/logins` | the Kiro logins found, the one in use marked ([`crate::admin::logins`]) |
//! | `POST /admin/logins/switch` | `{id}` → the requests that start from now use that login; remembered |
//! | `GET /admin/update` | the last release-feed check ([`crate::updates::UpdateView`]) |
//! | `POST /admin/update/check` | asks the release feed now, answers the new view |
//! | `/admin/dumps…`, `GET /admin/drift` | debug dumps and the drift report (see [`dumps`]) |

mod dumps;

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, Query, Request, State};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::Value;
use tokio::sync::broadcast::error::RecvError;

use super::auth::{check_key, throttled, KeyCheck};
use crate::admin::{self, connect, logins, ops, status_view, AdminCode, AdminError, ControlPlane};
use crate::app::AppState;
use crate::logs::LogEvent;

impl IntoResponse for AdminError {
    fn into_response(self) -> Response {
        (self.status, Json(&self)).into_response()
    }
}

type AdminResult<T> = Result<Json<T>, AdminError>;

impl axum::extract::FromRef<ControlPlane> for Arc<AppState> {
    fn from_ref(plane: &ControlPlane) -> Self {
        plane.state.clone()
    }
}

/// The `/admin` routes, key-protected. Nest under `/admin`.
pub fn router<S>(plane: ControlPlane) -> Router<S> {
    Router::new()
        .route("/status", get(status))
        .route("/settings", get(get_settings).put(put_settings))
        .route("/api-key", get(reveal_key))
        .route("/api-key/regenerate", post(regenerate_key))
        .route("/api-key/save-to-file", post(save_key_to_file))
        .route("/logs", get(logs).delete(clear_logs))
        .route("/logs/stream", get(log_stream))
        .route("/requests", get(requests))
        .route("/models", get(models))
        .route("/restart", post(restart))
        .route("/connect", get(connect_overview))
        .route("/connect/{client}", post(connect_client))
        .route("/connect/{client}/undo", post(undo_connect))
        .route("/logins", get(list_logins))
        .route("/logins/switch", post(switch_login))
        .route("/update", get(update_view))
        .route("/update/check", post(check_update))
        .route("/dumps", get(dumps::list_handler))
        .route("/dumps/mode", axum::routing::put(dumps::mode_handler))
        .route("/dumps/{id}", get(dumps::show_handler))
        .route("/dumps/{id}/replay", post(dumps::replay_handler))
        .route("/dumps/{id}/bundle", get(dumps::bundle_handler))
        .route("/drift", get(dumps::drift_handler))
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(
            plane.state.clone(),
            require_admin_key,
        ))
        .with_state(plane)
}

async fn not_found(request: Request) -> AdminError {
    AdminError::new(
        StatusCode::NOT_FOUND,
        AdminCode::NotFound,
        format!(
            "Unknown admin route {} {}",
            request.method(),
            request.uri().path()
        ),
        "See the route list in api/admin/mod.rs.",
    )
}

/// The same key as `/v1`, answered in the admin error shape.
async fn require_admin_key(
    State(state): State<Arc<AppState>>,
    request: Request,
    next: Next,
) -> Response {
    let check = check_key(&state, &request);
    let message = match check {
        KeyCheck::Open | KeyCheck::Accepted => return next.run(request).await,
        KeyCheck::Throttled(wait) => {
            let err = throttled(wait);
            let mut response = AdminError::new(
                StatusCode::TOO_MANY_REQUESTS,
                AdminCode::TooManyWrongKeys,
                err.message,
                "Check the key, then wait before trying again.",
            )
            .into_response();
            if let Some(seconds) = err.retry_after {
                response
                    .headers_mut()
                    .insert(axum::http::header::RETRY_AFTER, seconds.into());
            }
            return response;
        }
        KeyCheck::Wrong => "Incorrect API key.",
        KeyCheck::Missing => "Missing API key.",
    };
    AdminError::new(
        StatusCode::UNAUTHORIZED,
        AdminCode::InvalidApiKey,
        message,
        "Paste the key printed by `kiro-gateway` at start-up (or run `kiro-gateway` with --api-key).",
    )
    .into_response()
}

async fn status(State(plane): State<ControlPlane>) -> Json<admin::StatusView> {
    Json(status_view(&plane))
}

async fn get_settings(State(plane): State<ControlPlane>) -> AdminResult<admin::SettingsView> {
    ops::settings(&plane).map(Json)
}

async fn put_settings(
    State(plane): State<ControlPlane>,
    body: Bytes,
) -> AdminResult<admin::SettingsUpdate> {
    let patch: Value = serde_json::from_slice(&body).map_err(|e| {
        AdminError::new(
            StatusCode::BAD_REQUEST,
            AdminCode::InvalidJson,
            format!("The body is not JSON: {e}"),
            "Send a JSON object such as {\"port\": 8001}.",
        )
    })?;
    ops::update_settings(&plane, &patch).await.map(Json)
}

async fn reveal_key(State(plane): State<ControlPlane>) -> AdminResult<admin::KeyView> {
    ops::reveal_key(&plane).map(Json)
}

async fn regenerate_key(State(plane): State<ControlPlane>) -> AdminResult<admin::NewKey> {
    ops::regenerate_key(&plane).await.map(Json)
}

async fn save_key_to_file(State(plane): State<ControlPlane>) -> AdminResult<admin::KeyFileView> {
    ops::save_key_to_file(&plane).await.map(Json)
}

#[derive(serde::Deserialize)]
struct Since {
    since: Option<u64>,
}

async fn logs(
    State(plane): State<ControlPlane>,
    Query(q): Query<Since>,
) -> AdminResult<admin::LogsView> {
    ops::logs(&plane, q.since).map(Json)
}

async fn clear_logs(State(state): State<Arc<AppState>>) -> StatusCode {
    state.logs.clear();
    StatusCode::NO_CONTENT
}

async fn requests(State(state): State<Arc<AppState>>) -> Json<admin::RequestsView> {
    Json(ops::requests(&state))
}

async fn models(State(state): State<Arc<AppState>>) -> Json<admin::ModelsView> {
    Json(ops::models(&state).await)
}

async fn restart(State(plane): State<ControlPlane>) -> AdminResult<admin::RestartView> {
    ops::restart(&plane).map(Json)
}

async fn list_logins(State(state): State<Arc<AppState>>) -> AdminResult<logins::LoginsView> {
    logins::view(&state).await.map(Json)
}

async fn update_view(State(state): State<Arc<AppState>>) -> Json<crate::updates::UpdateView> {
    Json(state.updates.view())
}

async fn check_update(State(state): State<Arc<AppState>>) -> Json<crate::updates::UpdateView> {
    Json(state.updates.check_now().await)
}

async fn switch_login(
    State(plane): State<ControlPlane>,
    body: Bytes,
) -> AdminResult<logins::LoginsView> {
    let id = serde_json::from_slice::<Value>(&body)
        .ok()
        .and_then(|v| v.get("id").and_then(Value::as_str).map(str::to_owned))
        .ok_or_else(|| AdminError {
            field: Some("id".into()),
            ..AdminError::new(
                StatusCode::BAD_REQUEST,
                AdminCode::InvalidField,
                "Send the login's id: {\"id\": \"…\"} (from GET /admin/logins).",
                "Pick a login from the list.",
            )
        })?;
    logins::switch(&plane, &id).await.map(Json)
}

#[derive(serde::Deserialize)]
struct ModelQuery {
    model: Option<String>,
}

async fn connect_overview(
    State(plane): State<ControlPlane>,
    Query(q): Query<ModelQuery>,
) -> AdminResult<admin::ConnectOverview> {
    connect::overview(&plane, q.model.as_deref())
        .await
        .map(Json)
}

async fn connect_client(
    State(plane): State<ControlPlane>,
    Path(client): Path<String>,
    body: Bytes,
) -> AdminResult<crate::connect::Connected> {
    let model = if body.iter().all(u8::is_ascii_whitespace) {
        None
    } else {
        let body: Value = serde_json::from_slice(&body).map_err(|e| {
            AdminError::new(
                StatusCode::BAD_REQUEST,
                AdminCode::InvalidJson,
                format!("The body is not JSON: {e}"),
                "Send {\"model\": \"claude-sonnet-4.5\"} or no body.",
            )
        })?;
        match body.get("model") {
            None | Some(Value::Null) => None,
            Some(Value::String(m)) => Some(m.clone()),
            Some(_) => {
                let mut err = AdminError::new(
                    StatusCode::BAD_REQUEST,
                    AdminCode::InvalidField,
                    "`model` must be a string.",
                    "Send {\"model\": \"claude-sonnet-4.5\"}.",
                );
                err.field = Some("model".into());
                return Err(err);
            }
        }
    };
    connect::connect(&plane, &client, model.as_deref())
        .await
        .map(Json)
}

async fn undo_connect(
    State(plane): State<ControlPlane>,
    Path(client): Path<String>,
) -> AdminResult<crate::connect::Undone> {
    connect::undo(&plane, &client).await.map(Json)
}

/// Live log lines and request records as server-sent events. Ends when the server restarts
/// (the UI reconnects to the new address).
async fn log_stream(State(plane): State<ControlPlane>) -> Result<Response, AdminError> {
    let handle = plane.handle()?;
    let events = plane.state.logs.subscribe();
    let closing = handle.closing();
    let stream = futures::stream::unfold(
        (events, closing),
        |(mut events, mut closing)| async move {
            let chunk = tokio::select! {
                _ = closing.changed() => return None,
                _ = tokio::time::sleep(Duration::from_secs(15)) => Bytes::from_static(b": keep-alive\n\n"),
                event = events.recv() => match event {
                    Ok(event) => {
                        let name = match &event {
                            LogEvent::Log(_) => "log",
                            LogEvent::Request(_) => "request",
                            LogEvent::Cleared => "cleared",
                        };
                        let data = serde_json::to_string(&event).unwrap_or_default();
                        Bytes::from(format!("event: {name}\ndata: {data}\n\n"))
                    }
                    Err(RecvError::Lagged(n)) => Bytes::from(format!("event: lagged\ndata: {n}\n\n")),
                    Err(RecvError::Closed) => return None,
                },
            };
            Some((Ok::<_, Infallible>(chunk), (events, closing)))
        },
    );
    Ok(super::sse::response(futures::StreamExt::chain(
        futures::stream::once(async { Ok(Bytes::from_static(b": connected\n\n")) }),
        stream,
    )))
}

#[cfg(test)]
mod tests;
