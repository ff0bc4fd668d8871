//! The five files of a dump, rendered from a finished [`Capture`] and redacted:
//!
//! | File | Holds |
//! |---|---|
//! | `client-request.http` | request line, headers (keys blanked), body as received |
//! | `kiro-request.http` | the last attempt's URL, headers (token blanked), body (pretty JSON) |
//! | `upstream-frames.jsonl` | one line per frame (headers, payload, ms since arrival), error bodies, resends |
//! | `client-response.http` | status line, headers, body as sent (the SSE text of a stream) |
//! | `error.json` | request id, time, route, status, error (null when none), sizes, what was cut |

use serde_json::{json, Value};

use super::capture::{Bounded, Capture};
use super::redact::redact;
use crate::logs::Redactor;

pub const CLIENT_REQUEST: &str = "client-request.http";
pub const KIRO_REQUEST: &str = "kiro-request.http";
pub const UPSTREAM_FRAMES: &str = "upstream-frames.jsonl";
pub const CLIENT_RESPONSE: &str = "client-response.http";
pub const SUMMARY: &str = "error.json";

/// Every file of a dump, in the order a reader wants them.
pub const ALL: [&str; 5] = [
    SUMMARY,
    CLIENT_REQUEST,
    KIRO_REQUEST,
    UPSTREAM_FRAMES,
    CLIENT_RESPONSE,
];

fn body_text(body: &Bounded) -> String {
    let mut text = String::from_utf8_lossy(&body.bytes).into_owned();
    if body.truncated() {
        text.push_str(&format!(
            "\n… [{} more bytes not kept: the dump's size limit]",
            body.dropped
        ));
    }
    text
}

/// `(file name, redacted contents)` of every file.
pub(crate) fn render(capture: &Capture, redactor: &Redactor) -> Vec<(&'static str, String)> {
    let request = format!(
        "{}\n{}",
        capture.request_head,
        body_text(&capture.request_body)
    );
    let kiro = match &capture.kiro {
        Some(kiro) => {
            let body = match serde_json::from_slice::<Value>(&kiro.body.bytes) {
                Ok(json) if !kiro.body.truncated() => {
                    serde_json::to_string_pretty(&json).unwrap_or_default()
                }
                _ => body_text(&kiro.body),
            };
            format!(
                "POST {}\n# attempt {}\n{}\n{body}\n",
                kiro.url, kiro.attempt, kiro.headers
            )
        }
        None => {
            "# Nothing was sent to Kiro: the request ended before (see error.json).\n".to_owned()
        }
    };
    let frames = String::from_utf8_lossy(&capture.frames.bytes).into_owned();
    let response = match &capture.response_head {
        Some(head) => format!("{head}\n{}", body_text(&capture.response_body)),
        None => "# No response was sent (the client went away first).\n".to_owned(),
    };
    let summary = summary(capture);
    [
        (
            SUMMARY,
            serde_json::to_string_pretty(&summary).unwrap_or_default(),
        ),
        (CLIENT_REQUEST, request),
        (KIRO_REQUEST, kiro),
        (UPSTREAM_FRAMES, frames),
        (CLIENT_RESPONSE, response),
    ]
    .into_iter()
    .map(|(name, text)| (name, redact(&text, redactor)))
    .collect()
}

fn summary(capture: &Capture) -> Value {
    let (status, error) = match &capture.outcome {
        Some((status, error)) => (Some(*status), error.clone()),
        None => (capture.response_status, None),
    };
    let error = match (error, status) {
        (Some(message), _) => json!({ "message": message }),
        (None, Some(status)) if status >= 400 => json!({ "message": format!("HTTP {status}") }),
        _ => Value::Null,
    };
    json!({
        "request_id": capture.request_id,
        "time": capture.time,
        "method": capture.method,
        "route": capture.path,
        "mode": capture.mode,
        "status": status,
        "response_status": capture.response_status,
        "error": error,
        "duration_ms": capture.started.elapsed().as_millis() as u64,
        "kiro_attempts": capture.kiro.as_ref().map_or(0, |k| k.attempt),
        "upstream_frames": capture.frame_count,
        "truncated": {
            "client_request": capture.request_body.truncated(),
            "kiro_request": capture.kiro.as_ref().is_some_and(|k| k.body.truncated()),
            "upstream_frames": capture.frames.truncated(),
            "client_response": capture.response_body.truncated(),
        },
        "gateway_version": env!("CARGO_PKG_VERSION"),
    })
}

/// What a `client-request.http` file says: method, path, headers and body.
#[derive(Debug, PartialEq)]
pub struct StoredRequest {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

/// Parse a `client-request.http` file back.
pub fn parse_request(text: &str) -> Option<StoredRequest> {
    let (head, body) = text.split_once("\n\n")?;
    let mut lines = head.lines();
    let mut first = lines.next()?.split(' ');
    let method = first.next()?.to_owned();
    let path = first.next()?.to_owned();
    let headers = lines
        .filter_map(|l| l.split_once(": "))
        .map(|(n, v)| (n.to_owned(), v.to_owned()))
        .collect();
    Some(StoredRequest {
        method,
        path,
        headers,
        body: body.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::super::capture::DumpCapture;
    use super::super::mode::DumpMode;
    use super::*;
    use crate::kiro::tap::UpstreamTap;
    use axum::http::{HeaderMap, HeaderValue, StatusCode};

    #[test]
    fn five_redacted_files_and_the_request_parses_back() {
        let redactor = Redactor::new();
        redactor.add("kgw_the_api_key_0123");
        let mut headers = HeaderMap::new();
        headers.insert(
            "x-api-key",
            HeaderValue::from_static("kgw_the_api_key_0123"),
        );
        headers.insert("content-type", HeaderValue::from_static("application/json"));
        let body =
            r#"{"model":"m","messages":[{"role":"user","content":"key kgw_the_api_key_0123"}]}"#;
        let c = DumpCapture::new(
            DumpMode::All,
            "req_1",
            "POST",
            "/v1/messages",
            &headers,
            1 << 20,
        );
        c.request_chunk(body.as_bytes());
        let mut kiro_headers = reqwest::header::HeaderMap::new();
        kiro_headers.insert("authorization", "Bearer aoa-token".parse().unwrap());
        c.request(
            1,
            "http://kiro/generateAssistantResponse",
            &kiro_headers,
            r#"{"a":1}"#,
        );
        c.http_error(500, br#"{"message":"busy"}"#);
        c.response_head(StatusCode::BAD_GATEWAY, &HeaderMap::new());
        c.response_chunk(b"{\"error\":{}}");
        c.outcome(502, Some("Kiro failed"));
        let files = render(&c.lock(), &redactor);
        let names: Vec<&str> = files.iter().map(|(n, _)| *n).collect();
        assert_eq!(names, ALL);
        for (name, text) in &files {
            assert!(!text.contains("kgw_the_api_key_0123"), "{name}: {text}");
            assert!(!text.contains("aoa-token"), "{name}: {text}");
        }
        let summary: Value = serde_json::from_str(&files[0].1).unwrap();
        assert_eq!(summary["status"], 502);
        assert_eq!(summary["error"]["message"], "Kiro failed");
        assert_eq!(summary["kiro_attempts"], 1);
        let frames = &files[3].1;
        assert!(frames.contains(r#""http_status":500"#), "{frames}");
        let parsed = parse_request(&files[1].1).unwrap();
        assert_eq!(parsed.method, "POST");
        assert_eq!(parsed.path, "/v1/messages");
        assert_eq!(parsed.body, body.replace("kgw_the_api_key_0123", "***"));
        assert!(parsed
            .headers
            .contains(&("content-type".into(), "application/json".into())));
    }
}
