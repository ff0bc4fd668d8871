//! HTTP routes: OpenAI, Anthropic, health, `/` (where things are), `/metrics` (Prometheus),
//! `/admin` (UI API), `/ui` (web UI); the request id (outermost), guard (Host, Origin, content
//! type) and auth middleware; errors in the caller's dialect. `HEAD` is answered wherever `GET` is.

pub mod admin;
mod anthropic;
mod auth;
mod body;
mod guard;
mod health;
mod home;
mod metrics;
mod models;
pub(crate) mod openai;
pub mod openapi;
mod pipeline;
mod request_log;
mod responses;
mod sse;
mod stream_pump;
mod ui;
mod usage;

use std::sync::Arc;

use axum::extract::Request;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{middleware, Router};

pub use guard::HostPolicy;

use crate::admin::ControlPlane;
use crate::app::AppState;
use crate::error::{ApiError, Dialect, ErrorKind};

/// The whole HTTP surface of the gateway: `plane`'s state serves every route, its admin
/// handle answers `/admin`.
pub fn router(plane: ControlPlane) -> Router {
    let state = plane.state.clone();
    let v1 = Router::new()
        .route("/chat/completions", post(openai::chat_completions))
        .route("/messages", post(anthropic::messages))
        .route("/messages/count_tokens", post(anthropic::count_tokens))
        .route("/responses", post(responses::create_response))
        .route(
            "/responses/{id}",
            get(responses::get_response).delete(responses::delete_response),
        )
        .route(
            "/responses/{id}/input_items",
            get(responses::list_input_items),
        )
        .route("/models", get(models::list_models))
        .route("/models/{id}", get(models::get_model))
        .route("/usage", get(usage::usage))
        .route_layer(middleware::from_fn_with_state(
            state.dumps.clone(),
            crate::debug_dump::capture_dumps,
        ))
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            auth::require_api_key,
        ))
        .route_layer(middleware::from_fn_with_state(
            state.logs.clone(),
            request_log::log_requests,
        ));
    Router::new()
        .route("/", get(home::home))
        .route("/health", get(health::health))
        .route("/metrics", get(metrics::metrics))
        .route("/openapi.json", get(openapi::openapi_json))
        .route("/docs", get(ui::docs_page))
        .nest("/v1", v1)
        .nest("/admin", admin::router(plane))
        .merge(ui::router())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(state.clone())
        .layer(middleware::from_fn_with_state(
            (state.clone(), Arc::new(guard_policy(&state))),
            guard::guard,
        ))
        .layer(middleware::from_fn(crate::request_id::assign_request_ids))
}

fn guard_policy(state: &AppState) -> HostPolicy {
    HostPolicy::new(state.config.host, &state.config.allowed_hosts)
}

/// Anthropic routes answer in Anthropic's shape, and so does `/v1/models` when the caller
/// is an Anthropic client (it sends `anthropic-version`); everything else in OpenAI's.
/// Middleware inside the `/v1` nest sees the path without the prefix (`/messages`).
pub(crate) fn dialect_of(path: &str, headers: &axum::http::HeaderMap) -> Dialect {
    let path = path.strip_prefix("/v1").unwrap_or(path);
    if path.starts_with("/messages")
        || (path.starts_with("/models") && headers.contains_key("anthropic-version"))
    {
        Dialect::Anthropic
    } else {
        Dialect::OpenAi
    }
}

async fn not_found(request: Request) -> Response {
    let path = request.uri().path().to_owned();
    ApiError::not_found(format!("Unknown route {} {path}", request.method()))
        .into_response_for(dialect_of(&path, request.headers()))
}

async fn method_not_allowed(request: Request) -> Response {
    let path = request.uri().path().to_owned();
    let mut err = ApiError::new(
        ErrorKind::InvalidRequest,
        format!("Method {} is not allowed on {path}", request.method()),
    );
    err.status = Some(axum::http::StatusCode::METHOD_NOT_ALLOWED);
    err.into_response_for(dialect_of(&path, request.headers()))
}
