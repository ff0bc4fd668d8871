//! One request's capture while it runs: the client request, what went to Kiro, the frames
//! that came back, the client response and how it ended. Every part is bounded
//! (`part_cap`); what does not fit is counted, not kept. Sensitive headers are blanked as
//! they are captured; the texts are redacted when the files are written.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use axum::http::{HeaderMap, StatusCode};
use chrono::{DateTime, Utc};
use serde_json::{json, Map, Value};

use super::mode::DumpMode;
use super::redact::header_lines;
use crate::kiro::eventstream::{Frame, HeaderValue};
use crate::kiro::tap::UpstreamTap;

/// Bytes kept up to a cap; the rest only counted.
#[derive(Debug, Default)]
pub(crate) struct Bounded {
    pub bytes: Vec<u8>,
    pub cap: usize,
    /// Bytes that did not fit.
    pub dropped: u64,
}

impl Bounded {
    fn new(cap: usize) -> Self {
        Bounded {
            bytes: Vec::new(),
            cap,
            dropped: 0,
        }
    }

    fn push(&mut self, data: &[u8]) {
        let room = self.cap.saturating_sub(self.bytes.len());
        let kept = data.len().min(room);
        self.bytes.extend_from_slice(&data[..kept]);
        self.dropped += (data.len() - kept) as u64;
    }

    /// A whole line, or nothing (a JSONL file never ends in half a line).
    fn push_line(&mut self, line: &str) {
        if self.bytes.len() + line.len() < self.cap {
            self.bytes.extend_from_slice(line.as_bytes());
            self.bytes.push(b'\n');
        } else {
            self.dropped += line.len() as u64 + 1;
        }
    }

    pub fn truncated(&self) -> bool {
        self.dropped > 0
    }
}

/// The last Kiro request sent.
#[derive(Debug)]
pub(crate) struct KiroRequest {
    pub attempt: u32,
    pub url: String,
    pub headers: String,
    pub body: Bounded,
}

#[derive(Debug)]
pub(crate) struct Capture {
    pub mode: DumpMode,
    pub request_id: String,
    pub time: DateTime<Utc>,
    pub started: Instant,
    pub method: String,
    pub path: String,
    pub request_head: String,
    pub request_body: Bounded,
    pub kiro: Option<KiroRequest>,
    pub frames: Bounded,
    pub frame_count: u64,
    pub response_head: Option<String>,
    pub response_status: Option<u16>,
    pub response_body: Bounded,
    /// Status and error of the request's log line (a stream that failed half-way has a 200
    /// response and an error status here).
    pub outcome: Option<(u16, Option<String>)>,
    part_cap: usize,
}

impl Capture {
    /// Whether the request failed: an error status on the response or in the log line.
    pub fn failed(&self) -> bool {
        self.response_status.is_some_and(|s| s >= 400)
            || self
                .outcome
                .as_ref()
                .is_some_and(|(status, error)| *status >= 400 || error.is_some())
    }
}

/// A request being captured; clones share it.
#[derive(Clone)]
pub struct DumpCapture(Arc<Mutex<Capture>>);

impl DumpCapture {
    pub(crate) fn new(
        mode: DumpMode,
        request_id: &str,
        method: &str,
        path: &str,
        headers: &HeaderMap,
        part_cap: usize,
    ) -> Self {
        DumpCapture(Arc::new(Mutex::new(Capture {
            mode,
            request_id: request_id.to_owned(),
            time: Utc::now(),
            started: Instant::now(),
            method: method.to_owned(),
            path: path.to_owned(),
            request_head: format!("{method} {path} HTTP/1.1\n{}", header_lines(headers)),
            request_body: Bounded::new(part_cap),
            kiro: None,
            frames: Bounded::new(part_cap),
            frame_count: 0,
            response_head: None,
            response_status: None,
            response_body: Bounded::new(part_cap),
            outcome: None,
            part_cap,
        })))
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, Capture> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn request_chunk(&self, data: &[u8]) {
        self.lock().request_body.push(data);
    }

    pub(crate) fn response_head(&self, status: StatusCode, headers: &HeaderMap) {
        let mut capture = self.lock();
        capture.response_status = Some(status.as_u16());
        capture.response_head = Some(format!(
            "HTTP/1.1 {} {}\n{}",
            status.as_u16(),
            status.canonical_reason().unwrap_or(""),
            header_lines(headers)
        ));
    }

    pub(crate) fn response_chunk(&self, data: &[u8]) {
        self.lock().response_body.push(data);
    }

    /// How the request ended, as its log line says; the first report wins.
    pub fn outcome(&self, status: u16, error: Option<&str>) {
        let mut capture = self.lock();
        if capture.outcome.is_none() {
            capture.outcome = Some((status, error.map(str::to_owned)));
        }
    }

    fn frame_line(&self, line: Value) {
        let mut capture = self.lock();
        let mut line = line;
        line["ms"] = json!(capture.started.elapsed().as_millis() as u64);
        capture.frame_count += 1;
        capture.frames.push_line(&line.to_string());
    }
}

/// A payload as JSON when it is JSON, else as text.
fn payload_value(payload: &[u8]) -> Value {
    serde_json::from_slice(payload)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(payload).into_owned()))
}

fn header_value(value: &HeaderValue) -> Value {
    match value {
        HeaderValue::Bool(b) => json!(b),
        HeaderValue::Byte(n) => json!(n),
        HeaderValue::Short(n) => json!(n),
        HeaderValue::Int(n) => json!(n),
        HeaderValue::Long(n) | HeaderValue::Timestamp(n) => json!(n),
        HeaderValue::String(s) => json!(s),
        HeaderValue::Bytes(b) => json!(format!("<{} bytes>", b.len())),
        HeaderValue::Uuid(u) => json!(hex::encode(u)),
    }
}

impl UpstreamTap for DumpCapture {
    fn request(&self, attempt: u32, url: &str, headers: &reqwest::header::HeaderMap, body: &str) {
        let mut capture = self.lock();
        let mut kept = Bounded::new(capture.part_cap);
        kept.push(body.as_bytes());
        capture.kiro = Some(KiroRequest {
            attempt,
            url: url.to_owned(),
            headers: header_lines(headers),
            body: kept,
        });
        drop(capture);
        if attempt > 1 {
            self.frame_line(json!({ "attempt": attempt }));
        }
    }

    fn http_error(&self, status: u16, body: &[u8]) {
        self.frame_line(json!({ "http_status": status, "body": payload_value(body) }));
    }

    fn frame(&self, frame: &Frame) {
        let headers: Map<String, Value> = frame
            .headers
            .iter()
            .map(|h| (h.name.clone(), header_value(&h.value)))
            .collect();
        self.frame_line(json!({ "headers": headers, "payload": payload_value(&frame.payload) }));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_are_bounded_and_lines_stay_whole() {
        let mut b = Bounded::new(10);
        b.push(b"0123456789abc");
        assert_eq!(b.bytes, b"0123456789");
        assert_eq!(b.dropped, 3);
        let mut lines = Bounded::new(10);
        lines.push_line("abcd");
        lines.push_line("efghij");
        assert_eq!(lines.bytes, b"abcd\n");
        assert!(lines.truncated());
    }

    #[test]
    fn failure_comes_from_the_response_or_the_log_line() {
        let c = DumpCapture::new(
            DumpMode::Errors,
            "r",
            "POST",
            "/v1/messages",
            &HeaderMap::new(),
            100,
        );
        c.response_head(StatusCode::OK, &HeaderMap::new());
        assert!(!c.lock().failed());
        c.outcome(502, Some("Kiro failed mid-stream"));
        assert!(c.lock().failed());
        c.outcome(200, None);
        assert_eq!(
            c.lock().outcome.as_ref().unwrap().0,
            502,
            "first report wins"
        );
    }
}
