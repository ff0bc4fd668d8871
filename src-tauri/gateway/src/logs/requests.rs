//! Per-request records for the Logs view: the [`RequestTrace`] handle a handler fills in
//! (model, first token, usage, error) and the [`RecordHead`] the request logger
//! (`api::request_log`) adds when the response ends.
//!
//! The record carries the request's id when `crate::request_id`'s middleware ran first.
//!
//! Handlers take `Extension(trace): Extension<RequestTrace>` and call its setters; nothing
//! else is needed. Code outside a request (or a test) can call
//! [`LogBuffer::record_request`](super::LogBuffer::record_request) directly.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use chrono::{DateTime, Utc};

use super::record::RequestRecord;

#[derive(Default)]
struct TraceState {
    model: Option<String>,
    ttft_ms: Option<u64>,
    input_tokens: Option<u64>,
    output_tokens: Option<u64>,
    credits: Option<f64>,
    error: Option<String>,
}

/// What a handler knows about its request; cheap to clone, shared with the middleware.
#[derive(Clone)]
pub struct RequestTrace {
    started: Instant,
    state: Arc<Mutex<TraceState>>,
}

impl RequestTrace {
    pub fn new() -> Self {
        RequestTrace {
            started: Instant::now(),
            state: Arc::default(),
        }
    }

    fn with<R>(&self, f: impl FnOnce(&mut TraceState) -> R) -> R {
        f(&mut self.state.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// The model the client asked for (client-facing id).
    pub fn set_model(&self, model: impl Into<String>) {
        let model = model.into();
        self.with(|s| s.model = Some(model));
    }

    /// Call when the first content token is sent; later calls are ignored.
    pub fn first_token(&self) {
        let ms = self.started.elapsed().as_millis() as u64;
        self.with(|s| {
            s.ttft_ms.get_or_insert(ms);
        });
    }

    /// Token usage (either may be unknown).
    pub fn set_usage(&self, input_tokens: Option<u64>, output_tokens: Option<u64>) {
        self.with(|s| {
            if input_tokens.is_some() {
                s.input_tokens = input_tokens;
            }
            if output_tokens.is_some() {
                s.output_tokens = output_tokens;
            }
        });
    }

    /// Kiro credits charged for the request (nothing when 0: Kiro did not say).
    pub fn set_credits(&self, credits: f64) {
        if credits.is_finite() && credits > 0.0 {
            self.with(|s| s.credits = Some(credits));
        }
    }

    /// A short, user-facing error text (it is redacted before it is stored).
    pub fn set_error(&self, message: impl Into<String>) {
        let message = message.into();
        self.with(|s| s.error = Some(message));
    }

    /// When the request arrived (the request logger's clock).
    pub fn started(&self) -> Instant {
        self.started
    }

    /// The error text, unless the handler already gave one.
    pub fn set_error_if_none(&self, message: String) {
        self.with(|s| {
            s.error.get_or_insert(message);
        });
    }

    /// The row for the Logs view, now that the response (or its stream) ended.
    pub fn record(&self, head: &RecordHead) -> RequestRecord {
        let latency_ms = self.started.elapsed().as_millis() as u64;
        self.with(|s| RequestRecord {
            seq: 0,
            request_id: head.request_id.clone(),
            time: head.time,
            method: head.method.clone(),
            route: head.route.clone(),
            model: s.model.clone(),
            status: head.status,
            stream: head.stream,
            latency_ms,
            ttft_ms: s.ttft_ms,
            input_tokens: s.input_tokens,
            output_tokens: s.output_tokens,
            credits: s.credits,
            error: s.error.clone(),
        })
    }
}

impl Default for RequestTrace {
    fn default() -> Self {
        Self::new()
    }
}

/// What the request logger knows of a request for its row: when, which, and how it ended.
pub struct RecordHead {
    pub time: DateTime<Utc>,
    pub request_id: Option<String>,
    pub method: String,
    pub route: String,
    pub status: u16,
    pub stream: bool,
}
