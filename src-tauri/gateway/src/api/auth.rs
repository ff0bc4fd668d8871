//! API-key check on every `/v1` route: `Authorization: Bearer <key>` or `x-api-key: <key>`,
//! compared in constant time.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, Request, State};
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::Response;

use super::dialect_of;
use crate::app::AppState;
use crate::error::{ApiError, ErrorCode, ErrorKind};
use crate::secrets::keys_match;

/// The outcome of checking a request's key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeyCheck {
    /// No key is required (`--no-auth`).
    Open,
    Accepted,
    Missing,
    Wrong,
    /// Too many wrong keys from this address (see [`crate::key_attempts`]); not compared.
    Throttled(Duration),
}

impl KeyCheck {
    pub fn passes(self) -> bool {
        matches!(self, KeyCheck::Open | KeyCheck::Accepted)
    }
}

/// Check the key of `request`, counting wrong keys per peer address.
pub(crate) fn check_key(state: &AppState, request: &Request) -> KeyCheck {
    let Some(expected) = state.api_key.get() else {
        return KeyCheck::Open;
    };
    let peer = peer_ip(request);
    let now = Instant::now();
    if let Some(wait) = peer.and_then(|ip| state.key_attempts.blocked_for(ip, now)) {
        return KeyCheck::Throttled(wait);
    }
    match presented_key(request.headers()) {
        Some(key) if keys_match(&expected, key) => {
            if let Some(ip) = peer {
                state.key_attempts.record_success(ip);
            }
            KeyCheck::Accepted
        }
        Some(_) => {
            if let Some(ip) = peer {
                state.key_attempts.record_failure(ip, now);
            }
            KeyCheck::Wrong
        }
        None => KeyCheck::Missing,
    }
}

fn peer_ip(request: &Request) -> Option<IpAddr> {
    request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|info| info.0.ip())
}

pub async fn require_api_key(
    State(state): State<Arc<AppState>>,
    request: Request,
    next: Next,
) -> Response {
    let dialect = dialect_of(request.uri().path(), request.headers());
    match refusal(check_key(&state, &request)) {
        None => next.run(request).await,
        Some(err) => err.into_response_for(dialect),
    }
}

/// The error for a key check that did not pass (401 or 429); `None` when it passed.
pub(crate) fn refusal(check: KeyCheck) -> Option<ApiError> {
    match check {
        KeyCheck::Open | KeyCheck::Accepted => None,
        KeyCheck::Wrong => Some(unauthorized("Incorrect API key provided. Use the key shown by `kiro-gateway` at start-up (or in the app's Settings).")),
        KeyCheck::Missing => Some(unauthorized("Missing API key. Send it as `Authorization: Bearer <key>` or `x-api-key: <key>`.")),
        KeyCheck::Throttled(wait) => Some(throttled(wait)),
    }
}

fn unauthorized(message: &str) -> ApiError {
    ApiError::new(ErrorKind::Authentication, message).with_code(ErrorCode::InvalidApiKey)
}

pub(crate) fn throttled(wait: Duration) -> ApiError {
    let seconds = wait.as_secs().max(1);
    ApiError::new(
        ErrorKind::RateLimit,
        format!("Too many wrong API keys from this address; try again in {seconds} s."),
    )
    .with_code(ErrorCode::TooManyWrongKeys)
    .with_retry_after(seconds)
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
