//! API-key check on every `/v1` route: `Authorization: Bearer <key>` or `x-api-key: <key>`,
//! compared in constant time.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::Response;

use super::dialect_of;
use crate::app::AppState;
use crate::error::{ApiError, ErrorKind};
use crate::secrets::keys_match;

pub async fn require_api_key(
    State(state): State<Arc<AppState>>,
    request: Request,
    next: Next,
) -> Response {
    let Some(expected) = state.api_key.get() else {
        return next.run(request).await;
    };
    let dialect = dialect_of(request.uri().path());
    match presented_key(request.headers()) {
        Some(key) if keys_match(&expected, key) => next.run(request).await,
        Some(_) => unauthorized("Incorrect API key provided. Use the key shown by `kiro-gateway` at start-up (or in the app's Settings).")
            .into_response_for(dialect),
        None => unauthorized("Missing API key. Send it as `Authorization: Bearer <key>` or `x-api-key: <key>`.")
            .into_response_for(dialect),
    }
}

fn unauthorized(message: &str) -> ApiError {
    ApiError::new(ErrorKind::Authentication, message).with_code("invalid_api_key")
}

/// The key a client sent, from `x-api-key` or `Authorization: Bearer`. An empty `x-api-key`
/// (some SDKs send one next to a Bearer token) counts as absent.
pub(crate) fn presented_key(headers: &HeaderMap) -> Option<&str> {
    let x_api_key = headers
        .get("x-api-key")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|k| !k.is_empty());
    if let Some(key) = x_api_key {
        return Some(key);
    }
    let auth = headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, key) = auth.trim().split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| key.trim())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn both_header_styles_are_read() {
        let mut headers = HeaderMap::new();
        headers.insert("authorization", HeaderValue::from_static("Bearer kgw_abc"));
        assert_eq!(presented_key(&headers), Some("kgw_abc"));
        headers.insert("x-api-key", HeaderValue::from_static("kgw_xyz"));
        assert_eq!(presented_key(&headers), Some("kgw_xyz"));
        let mut empty_x = HeaderMap::new();
        empty_x.insert("x-api-key", HeaderValue::from_static(""));
        empty_x.insert("authorization", HeaderValue::from_static("Bearer kgw_abc"));
        assert_eq!(presented_key(&empty_x), Some("kgw_abc"));
        empty_x.remove("authorization");
        assert_eq!(presented_key(&empty_x), None);
        let mut basic = HeaderMap::new();
        basic.insert("authorization", HeaderValue::from_static("Basic kgw_abc"));
        assert_eq!(presented_key(&basic), None);
    }
}
