//! `GET /metrics`: the Prometheus text exposition ([`crate::metrics`]).
//!
//! It needs the API key like `/v1` (same check, so wrong keys count towards the per-address
//! throttle), unless `metrics_open` is set *and* the gateway listens on a loopback address:
//! then a local scraper needs no key. On any other address the key is required whatever the
//! setting says (the configuration refuses the combination; a restart onto the LAN from the
//! app ends the open access here).

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::HeaderValue;
use axum::response::{IntoResponse, Response};

use super::auth::{check_key, refusal};
use crate::app::AppState;
use crate::error::Dialect;
use crate::metrics::CONTENT_TYPE as EXPOSITION;

pub async fn metrics(State(state): State<Arc<AppState>>, request: Request) -> Response {
    if !is_open(&state) {
        if let Some(err) = refusal(check_key(&state, &request)) {
            return err.into_response_for(Dialect::OpenAi);
        }
    }
    let mut response = state.metrics.prometheus.encode().into_response();
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(EXPOSITION));
    response
}

/// `metrics_open`, honoured on loopback binds only.
fn is_open(state: &AppState) -> bool {
    state.config.metrics_open && state.config.host.is_loopback()
}
