//! Checks every request passes before routing, so that a web page the user visits can never
//! drive the gateway:
//!
//! - **Host allow-list** (DNS rebinding): `localhost`, `*.localhost`, IP addresses that are
//!   loopback or the bound address (any IP address when listening on all interfaces, since a
//!   rebinding attack needs a name), and the names in `allowed_hosts`. Anything else is a 421.
//! - **Origin**: a browser sends `Origin` on cross-site requests. `/admin/*` only accepts its
//!   own origin (the web UI); `/v1/*` does the same when no key is required (`--no-auth`),
//!   because then nothing else stands between a page and the user's credits. 403.
//! - **JSON only**: a body sent to `/v1/*` or `/admin/*` must be `application/json` (or
//!   `…+json`). Forms and `text/plain` are what a page can send without a CORS preflight. 415.

use std::net::IpAddr;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::dialect_of;
use crate::admin::{AdminCode, AdminError};
use crate::app::AppState;
use crate::error::{ApiError, ErrorCode, ErrorKind};

/// The host names and addresses a request may be addressed to.
#[derive(Debug, Clone, PartialEq)]
pub struct HostPolicy {
    bound: IpAddr,
    /// Lower-case names; `*.x` matches any subdomain of `x`.
    names: Vec<String>,
}

impl HostPolicy {
    pub fn new(bound: IpAddr, names: &[String]) -> Self {
        HostPolicy {
            bound,
            names: names.iter().map(|n| n.to_ascii_lowercase()).collect(),
        }
    }

    /// Whether `authority` (a `Host` header value: name or address, optional port) is ours.
    pub fn allows(&self, authority: &str) -> bool {
        let Some(host) = host_of(authority) else {
            return false;
        };
        if let Some(ip) = parse_ip(&host) {
            return ip.is_loopback() || ip == self.bound || self.bound.is_unspecified();
        }
        if host == "localhost" || host.ends_with(".localhost") {
            return true;
        }
        self.names.iter().any(|name| match name.strip_prefix("*.") {
            Some(parent) => host
                .strip_suffix(parent)
                .is_some_and(|sub| sub.len() > 1 && sub.ends_with('.')),
            None => *name == host,
        })
    }
}

/// An authority (`Host` value or the part of an `Origin` after the scheme) split into its
/// lower-case host (no brackets, no trailing dot) and port; `None` when malformed.
fn split_authority(authority: &str) -> Option<(String, Option<u16>)> {
    let authority = authority.trim();
    let (host, port) = if let Some(rest) = authority.strip_prefix('[') {
        let (inside, after) = rest.split_once(']')?;
        match after {
            "" => (inside, None),
            _ => (inside, Some(after.strip_prefix(':')?)),
        }
    } else {
        match authority.rsplit_once(':') {
            Some((h, _)) if h.contains(':') => return None,
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    };
    let port = port.map(|p| p.parse::<u16>()).transpose().ok()?;
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    (!host.is_empty()).then_some((host, port))
}

fn host_of(authority: &str) -> Option<String> {
    split_authority(authority).map(|(host, _)| host)
}

fn parse_ip(host: &str) -> Option<IpAddr> {
    host.parse().ok()
}

/// `scheme://authority` of an `Origin` value, split; `None` for `null` or anything else.
fn origin_parts(origin: &str) -> Option<(&str, &str)> {
    let (scheme, rest) = origin.split_once("://")?;
    let authority = rest.strip_suffix('/').unwrap_or(rest);
    (!authority.is_empty() && !authority.contains('/')).then_some((scheme, authority))
}

/// `Origin` names the same host and port the request was sent to (the web UI calling home).
fn same_origin(origin: &str, host_header: &str) -> bool {
    let Some((scheme, authority)) = origin_parts(origin) else {
        return false;
    };
    let default_port = match scheme.to_ascii_lowercase().as_str() {
        "http" => 80,
        "https" => 443,
        _ => return false,
    };
    match (split_authority(authority), split_authority(host_header)) {
        (Some((a, a_port)), Some((b, b_port))) => {
            a == b && a_port.unwrap_or(default_port) == b_port.unwrap_or(default_port)
        }
        _ => false,
    }
}

fn is_json(content_type: &str) -> bool {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || essence
            .strip_prefix("application/")
            .is_some_and(|sub| sub.ends_with("+json"))
}

fn has_body(headers: &HeaderMap) -> bool {
    let length = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    match length {
        Some(n) => n > 0,
        None => headers.contains_key(header::TRANSFER_ENCODING),
    }
}

/// Which part of the surface a path belongs to: it decides the checks and the error shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Surface {
    Api,
    Admin,
    Other,
}

fn surface_of(path: &str) -> Surface {
    if path == "/v1" || path.starts_with("/v1/") {
        Surface::Api
    } else if path == "/admin" || path.starts_with("/admin/") {
        Surface::Admin
    } else {
        Surface::Other
    }
}

/// Why a request was refused before routing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Refusal {
    Host,
    Origin,
    ContentType,
}

impl Refusal {
    fn status(self) -> StatusCode {
        match self {
            Refusal::Host => StatusCode::MISDIRECTED_REQUEST,
            Refusal::Origin => StatusCode::FORBIDDEN,
            Refusal::ContentType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        }
    }

    fn code(self) -> AdminCode {
        match self {
            Refusal::Host => AdminCode::HostNotAllowed,
            Refusal::Origin => AdminCode::OriginNotAllowed,
            Refusal::ContentType => AdminCode::UnsupportedMediaType,
        }
    }

    /// The same refusal's code in a `/v1` error body.
    fn error_code(self) -> ErrorCode {
        match self {
            Refusal::Host => ErrorCode::HostNotAllowed,
            Refusal::Origin => ErrorCode::OriginNotAllowed,
            Refusal::ContentType => ErrorCode::UnsupportedMediaType,
        }
    }

    fn message(self) -> &'static str {
        match self {
            Refusal::Host => "This gateway does not answer for that host name.",
            Refusal::Origin => "Requests from other web sites are not accepted.",
            Refusal::ContentType => "The request body must be JSON.",
        }
    }

    fn hint(self) -> &'static str {
        match self {
            Refusal::Host => "Use http://127.0.0.1:<port> or http://localhost:<port>; to reach the gateway under another name, add it to allowed_hosts (KIRO_GATEWAY_ALLOWED_HOSTS).",
            Refusal::Origin => "Call the gateway from a program, or from its own web UI.",
            Refusal::ContentType => "Send `Content-Type: application/json`.",
        }
    }

    fn into_response(self, surface: Surface, path: &str, headers: &HeaderMap) -> Response {
        if surface == Surface::Admin {
            return AdminError::new(self.status(), self.code(), self.message(), self.hint())
                .into_response();
        }
        let kind = match self {
            Refusal::Origin => ErrorKind::Permission,
            Refusal::Host | Refusal::ContentType => ErrorKind::InvalidRequest,
        };
        let mut err = ApiError::new(kind, format!("{} {}", self.message(), self.hint()))
            .with_code(self.error_code());
        err.status = Some(self.status());
        err.into_response_for(dialect_of(path, headers))
    }
}

fn check(request: &Request, policy: &HostPolicy, keyless: bool) -> Result<(), Refusal> {
    let headers = request.headers();
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .or_else(|| request.uri().authority().map(|a| a.as_str().to_owned()));
    let Some(host) = host.filter(|h| policy.allows(h)) else {
        return Err(Refusal::Host);
    };
    let surface = surface_of(request.uri().path());
    let origin_checked = surface == Surface::Admin || (surface == Surface::Api && keyless);
    if origin_checked {
        if let Some(origin) = headers.get(header::ORIGIN) {
            let ok = origin.to_str().is_ok_and(|o| same_origin(o, &host));
            if !ok {
                return Err(Refusal::Origin);
            }
        }
    }
    let sends_body = matches!(
        *request.method(),
        Method::POST | Method::PUT | Method::PATCH | Method::DELETE
    );
    if surface != Surface::Other && sends_body {
        match headers.get(header::CONTENT_TYPE) {
            Some(ct) if !ct.to_str().is_ok_and(is_json) => return Err(Refusal::ContentType),
            None if has_body(headers) => return Err(Refusal::ContentType),
            _ => {}
        }
    }
    Ok(())
}

/// The middleware: refuse before any handler (or the key check) runs.
pub async fn guard(
    State((state, policy)): State<(Arc<AppState>, Arc<HostPolicy>)>,
    request: Request,
    next: Next,
) -> Response {
    let keyless = state.api_key.get().is_none();
    match check(&request, &policy, keyless) {
        Ok(()) => next.run(request).await,
        Err(refusal) => {
            let path = request.uri().path().to_owned();
            tracing::warn!(
                "refused {} {path}: {:?} (host {:?}, origin {:?})",
                request.method(),
                refusal,
                request.headers().get(header::HOST),
                request.headers().get(header::ORIGIN),
            );
            refusal.into_response(surface_of(&path), &path, request.headers())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;

    fn loopback() -> HostPolicy {
        HostPolicy::new(
            [127, 0, 0, 1].into(),
            &["gw.lan".into(), "*.corp.example".into()],
        )
    }

    #[test]
    fn hosts() {
        let p = loopback();
        for ok in [
            "127.0.0.1:8000",
            "127.0.0.1",
            "localhost:8000",
            "LOCALHOST.",
            "app.localhost:1",
            "[::1]:8000",
            "[::1]",
            "127.5.5.5:80",
            "gw.lan:8000",
            "a.corp.example",
            "x.y.corp.example:9",
        ] {
            assert!(p.allows(ok), "{ok}");
        }
        for bad in [
            "rebind.evil.example",
            "rebind.evil.example:8000",
            "localhost.evil.example",
            "corp.example",
            "evilcorp.example",
            "192.168.1.10:8000",
            "",
            ":8000",
            "localhost:80000",
            "localhost:x",
            "[::1",
            "::1",
            "gw.lan.evil",
        ] {
            assert!(!p.allows(bad), "{bad}");
        }
    }

    #[test]
    fn lan_binding_accepts_addresses_but_not_names() {
        let all = HostPolicy::new([0, 0, 0, 0].into(), &[]);
        assert!(all.allows("192.168.1.10:8000"));
        assert!(all.allows("[fe80::1]:8000"));
        assert!(!all.allows("rebind.evil.example:8000"));
        let one = HostPolicy::new([192, 168, 1, 10].into(), &[]);
        assert!(one.allows("192.168.1.10:8000"));
        assert!(!one.allows("192.168.1.11:8000"));
    }

    #[test]
    fn origins() {
        assert!(same_origin("http://127.0.0.1:8000", "127.0.0.1:8000"));
        assert!(same_origin("http://localhost", "localhost:80"));
        assert!(same_origin("http://[::1]:8000", "[::1]:8000"));
        assert!(!same_origin("http://127.0.0.1:8001", "127.0.0.1:8000"));
        assert!(!same_origin("http://localhost:8000", "127.0.0.1:8000"));
        assert!(!same_origin("https://evil.example", "127.0.0.1:8000"));
        assert!(!same_origin("null", "127.0.0.1:8000"));
        assert!(!same_origin("file://", "127.0.0.1:8000"));
    }

    #[test]
    fn json_content_types() {
        assert!(is_json("application/json"));
        assert!(is_json("Application/JSON; charset=utf-8"));
        assert!(is_json("application/vnd.api+json"));
        assert!(!is_json("text/plain"));
        assert!(!is_json("application/x-www-form-urlencoded"));
        assert!(!is_json("multipart/form-data; boundary=x"));
    }

    fn request(method: &str, path: &str, headers: &[(&str, &str)]) -> Request {
        let mut b = Request::builder().method(method).uri(path);
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        b.body(Body::empty()).unwrap()
    }

    #[test]
    fn a_refusal_has_the_same_code_on_both_surfaces() {
        for refusal in [Refusal::Host, Refusal::Origin, Refusal::ContentType] {
            assert_eq!(refusal.error_code().as_str(), refusal.code().as_str());
        }
    }

    #[test]
    fn the_rules_by_surface() {
        let p = loopback();
        let host = ("host", "127.0.0.1:8000");
        let json = ("content-type", "application/json");
        let foreign = ("origin", "https://evil.example");
        let own = ("origin", "http://127.0.0.1:8000");
        type Case<'a> = (
            &'a str,
            &'a str,
            &'a [(&'a str, &'a str)],
            bool,
            Result<(), Refusal>,
        );
        let cases: &[Case] = &[
            (
                "GET",
                "/health",
                &[("host", "evil.example")],
                false,
                Err(Refusal::Host),
            ),
            ("GET", "/health", &[], false, Err(Refusal::Host)),
            ("POST", "/v1/chat/completions", &[host, json], false, Ok(())),
            (
                "POST",
                "/v1/chat/completions",
                &[host, json, foreign],
                false,
                Ok(()),
            ),
            (
                "POST",
                "/v1/chat/completions",
                &[host, json, foreign],
                true,
                Err(Refusal::Origin),
            ),
            (
                "POST",
                "/v1/chat/completions",
                &[host, json, own],
                true,
                Ok(()),
            ),
            (
                "POST",
                "/v1/messages",
                &[host, ("content-type", "text/plain")],
                false,
                Err(Refusal::ContentType),
            ),
            (
                "POST",
                "/v1/messages",
                &[host, ("content-length", "5")],
                false,
                Err(Refusal::ContentType),
            ),
            ("POST", "/admin/restart", &[host], false, Ok(())),
            (
                "POST",
                "/admin/restart",
                &[host, foreign],
                false,
                Err(Refusal::Origin),
            ),
            (
                "PUT",
                "/admin/settings",
                &[
                    host,
                    own,
                    ("content-type", "application/x-www-form-urlencoded"),
                ],
                false,
                Err(Refusal::ContentType),
            ),
            ("GET", "/admin/status", &[host, own], false, Ok(())),
            ("GET", "/ui/", &[host, foreign], false, Ok(())),
        ];
        for (method, path, headers, keyless, want) in cases {
            let got = check(&request(method, path, headers), &p, *keyless);
            assert_eq!(&got, want, "{method} {path} {headers:?} keyless={keyless}");
        }
    }
}
