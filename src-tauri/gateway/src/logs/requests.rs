//! Per-request records for the Logs view: [`RequestRecord`], the [`RequestTrace`] handle a
//! handler fills in (model, first token, usage, error), and the [`trace_requests`]
//! middleware that stores one record when the response ends — for a stream, when its last
//! byte is sent or the client goes away.
//!
//! The record carries the request's id when `crate::request_id`'s middleware ran first.
//!
//! Handlers take `Extension(trace): Extension<RequestTrace>` and call its setters; nothing
//! else is needed. Code outside a request (or a test) can call
//! [`LogBuffer::record_request`](super::LogBuffer::record_request) directly.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::middleware::Next;
use axum::response::Response;
use chrono::{DateTime, Utc};
use futures::StreamExt;

use super::record::RequestRecord;
use super::LogBuffer;
use crate::request_id::RequestId;

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

    fn finish(&self, time: DateTime<Utc>, head: &Head) -> RequestRecord {
        let latency_ms = self.started.elapsed().as_millis() as u64;
        self.with(|s| RequestRecord {
            seq: 0,
            request_id: head.request_id.clone(),
            time,
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

struct Head {
    request_id: Option<String>,
    method: String,
    route: String,
    status: u16,
    stream: bool,
}

/// Stores the record when dropped: at the end of a streamed body, or right away.
struct Finisher {
    buffer: LogBuffer,
    trace: RequestTrace,
    time: DateTime<Utc>,
    head: Head,
}

impl Drop for Finisher {
    fn drop(&mut self) {
        let record = self.trace.finish(self.time, &self.head);
        self.buffer.record_request(record);
    }
}

/// Middleware: put a [`RequestTrace`] into the request's extensions and store a
/// [`RequestRecord`] in `buffer` when the response is finished.
pub async fn trace_requests(
    State(buffer): State<LogBuffer>,
    mut request: Request,
    next: Next,
) -> Response {
    let time = Utc::now();
    let trace = RequestTrace::new();
    let method = request.method().to_string();
    let request_id = request
        .extensions()
        .get::<RequestId>()
        .map(|id| id.as_str().to_owned());
    // Inside a nested router the URI is relative; the original one has the full path.
    let route = request
        .extensions()
        .get::<axum::extract::OriginalUri>()
        .map(|u| u.0.path().to_owned())
        .unwrap_or_else(|| request.uri().path().to_owned());
    request.extensions_mut().insert(trace.clone());
    let response = next.run(request).await;
    let status = response.status();
    let stream = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/event-stream"));
    if !status.is_success() {
        trace.with(|s| {
            if s.error.is_none() {
                s.error = Some(
                    status
                        .canonical_reason()
                        .unwrap_or("request failed")
                        .to_owned(),
                );
            }
        });
    }
    let finisher = Finisher {
        buffer,
        trace: trace.clone(),
        time,
        head: Head {
            request_id,
            method,
            route,
            status: status.as_u16(),
            stream,
        },
    };
    if !stream {
        drop(finisher);
        return response;
    }
    // A stream: the record is stored when the body is done (or dropped by a disconnect).
    // Without a handler-reported first token, the first body chunk stands in for it.
    let (parts, body) = response.into_parts();
    let mut first = true;
    let body = body.into_data_stream().map(move |chunk| {
        if first {
            first = false;
            finisher.trace.first_token();
        }
        chunk
    });
    Response::from_parts(parts, Body::from_stream(body))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::routing::get;
    use axum::{middleware, Extension, Router};
    use tower::ServiceExt;

    #[tokio::test]
    async fn records_what_the_handler_reports() {
        let buffer = LogBuffer::default();
        let app = Router::new()
            .route(
                "/v1/x",
                get(|Extension(trace): Extension<RequestTrace>| async move {
                    trace.set_model("claude-sonnet-4.5");
                    trace.first_token();
                    trace.set_usage(Some(12), Some(34));
                    "ok"
                }),
            )
            .route_layer(middleware::from_fn_with_state(
                buffer.clone(),
                trace_requests,
            ))
            .layer(middleware::from_fn(crate::request_id::assign_request_ids));
        let response = app
            .oneshot(
                Request::get("/v1/x")
                    .header("x-request-id", "client-id-1")
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["x-request-id"], "client-id-1");
        let records = buffer.requests();
        assert_eq!(records.len(), 1);
        let r = &records[0];
        assert_eq!(r.request_id.as_deref(), Some("client-id-1"));
        assert_eq!(r.method, "GET");
        assert_eq!(r.route, "/v1/x");
        assert_eq!(r.model.as_deref(), Some("claude-sonnet-4.5"));
        assert_eq!((r.input_tokens, r.output_tokens), (Some(12), Some(34)));
        assert!(r.ttft_ms.is_some());
        assert!(!r.stream);
        assert_eq!(r.error, None);
    }

    #[tokio::test]
    async fn a_stream_is_recorded_when_its_body_ends() {
        let buffer = LogBuffer::default();
        let app = Router::new()
            .route(
                "/v1/s",
                get(|| async {
                    let chunks = futures::stream::iter(vec![
                        Ok::<_, std::convert::Infallible>(axum::body::Bytes::from("data: 1\n\n")),
                        Ok(axum::body::Bytes::from("data: 2\n\n")),
                    ]);
                    let mut response = Response::new(Body::from_stream(chunks));
                    response.headers_mut().insert(
                        CONTENT_TYPE,
                        axum::http::HeaderValue::from_static("text/event-stream"),
                    );
                    response
                }),
            )
            .route_layer(middleware::from_fn_with_state(
                buffer.clone(),
                trace_requests,
            ));
        let response = app
            .oneshot(Request::get("/v1/s").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert!(buffer.requests().is_empty(), "not before the body is read");
        let body = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .unwrap();
        assert_eq!(&body[..], b"data: 1\n\ndata: 2\n\n");
        let records = buffer.requests();
        assert_eq!(records.len(), 1);
        assert!(records[0].stream);
        assert!(records[0].ttft_ms.is_some());
    }
}
