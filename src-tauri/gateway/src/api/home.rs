//! `GET /` (and `HEAD /`, which Claude Code sends at start): where things are — the web UI
//! and the base URLs to give OpenAI and Anthropic clients. JSON, or a small page when the
//! client asks for HTML (a browser). No key needed: it says nothing the address does not.

use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{Html, IntoResponse, Response};
use axum::Json;
use serde_json::json;

/// The page runs nothing and loads nothing.
const CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

pub async fn home(headers: HeaderMap) -> Response {
    // The guard has already checked that Host is one of ours.
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("127.0.0.1");
    let links = Links::new(host);
    if wants_html(&headers) {
        let mut response = Html(links.html()).into_response();
        response.headers_mut().insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CSP),
        );
        return response;
    }
    Json(json!({
        "name": "kiro-gateway",
        "version": env!("CARGO_PKG_VERSION"),
        "ui": links.ui,
        "openai_base_url": links.openai,
        "anthropic_base_url": links.anthropic,
        "health": links.health,
    }))
    .into_response()
}

fn wants_html(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.to_ascii_lowercase().contains("text/html"))
}

struct Links {
    ui: String,
    openai: String,
    anthropic: String,
    health: String,
}

impl Links {
    fn new(host: &str) -> Self {
        let base = format!("http://{host}");
        Links {
            ui: format!("{base}/ui/"),
            openai: format!("{base}/v1"),
            health: format!("{base}/health"),
            anthropic: base,
        }
    }

    fn html(&self) -> String {
        let e = |s: &str| {
            s.replace('&', "&amp;")
                .replace('<', "&lt;")
                .replace('>', "&gt;")
                .replace('"', "&quot;")
        };
        format!(
            r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Kiro Gateway</title>
<style>body{{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem}}code{{font-size:.95em}}</style></head>
<body><h1>Kiro Gateway</h1>
<p><a href="{ui}">Open the web UI</a></p>
<ul>
<li>OpenAI base URL: <code>{openai}</code></li>
<li>Anthropic base URL: <code>{anthropic}</code></li>
<li>Health: <a href="{health}"><code>{health}</code></a></li>
</ul></body></html>
"#,
            ui = e(&self.ui),
            openai = e(&self.openai),
            anthropic = e(&self.anthropic),
            health = e(&self.health),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_follow_the_host_and_html_is_escaped() {
        let links = Links::new("localhost:8000");
        assert_eq!(links.openai, "http://localhost:8000/v1");
        assert_eq!(links.anthropic, "http://localhost:8000");
        assert_eq!(links.ui, "http://localhost:8000/ui/");
        let page = Links::new("a<b>").html();
        assert!(page.contains("http://a&lt;b&gt;/ui/") && !page.contains("a<b>"));
    }

    #[test]
    fn browsers_get_html() {
        let mut headers = HeaderMap::new();
        assert!(!wants_html(&headers));
        headers.insert(header::ACCEPT, HeaderValue::from_static("*/*"));
        assert!(!wants_html(&headers));
        headers.insert(
            header::ACCEPT,
            HeaderValue::from_static("text/html,application/xhtml+xml,*/*;q=0.8"),
        );
        assert!(wants_html(&headers));
    }
}
