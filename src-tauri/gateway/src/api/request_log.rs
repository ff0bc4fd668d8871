//! The request logger: one middleware around every `/v1` request that keeps the Logs view's
//! request row ([`RequestTrace`] → [`RequestRecord`](crate::logs::RequestRecord), stored when
//! the response ends — for a stream, when its last byte is sent or the client goes away),
//! and ends a model request's [`RequestLog`] (log line, metrics, credits) with the status and
//! the error its response carries. A model route's handler takes its [`RequestLog`] as an
//! argument (the request counts from then on) and only adds what it knows: the model, the
//! first byte, credits, usage.

use std::convert::Infallible;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::body::Body;
use axum::extract::{FromRequestParts, MatchedPath, Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::Response;
use chrono::Utc;
use futures::StreamExt;

use crate::app::{AppState, Metrics};
use crate::credit_ledger::CreditLedger;
use crate::cut_offs::{CutOffWatch, CutOffs};
use crate::debug_dump::DumpCapture;
use crate::error::ErrorNote;
use crate::kiro::tap::UpstreamTap;
use crate::logs::{LogBuffer, RecordHead, RequestTrace};
use crate::metrics::{Finished, OTHER_MODEL};
use crate::request_id::RequestId;

/// A model request's log handed back with its response (see [`RequestLog::attach`]).
#[derive(Clone)]
struct LogOnResponse(Arc<Mutex<Option<RequestLog>>>);

/// Middleware: the request's [`RequestTrace`] in, its row out when the response ends; a
/// model request's [`RequestLog`] handed back with a complete response is ended here.
pub async fn log_requests(
    State(logs): State<LogBuffer>,
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
    let mut response = next.run(request).await;
    let status = response.status();
    let error = response
        .extensions()
        .get::<ErrorNote>()
        .map(|e| e.0.clone());
    if let Some(LogOnResponse(log)) = response.extensions_mut().remove::<LogOnResponse>() {
        let log = log.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(log) = log {
            log.finish(status.as_u16(), log.usage, error.as_deref());
        }
    }
    if !status.is_success() {
        trace.set_error_if_none(
            status
                .canonical_reason()
                .unwrap_or("request failed")
                .to_owned(),
        );
    }
    let stream = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/event-stream"));
    let row = Row {
        logs,
        trace: trace.clone(),
        head: RecordHead {
            time,
            request_id,
            method,
            route,
            status: status.as_u16(),
            stream,
        },
    };
    if !stream {
        drop(row);
        return response;
    }
    // A stream: the row is stored when the body is done (or dropped by a disconnect).
    // Without a handler-reported first token, the first body chunk stands in for it.
    let (parts, body) = response.into_parts();
    let mut first = true;
    let body = body.into_data_stream().map(move |chunk| {
        if first {
            first = false;
            row.trace.first_token();
        }
        chunk
    });
    Response::from_parts(parts, Body::from_stream(body))
}

/// Stores the request's row when dropped: at the end of a streamed body, or right away.
struct Row {
    logs: LogBuffer,
    trace: RequestTrace,
    head: RecordHead,
}

impl Drop for Row {
    fn drop(&mut self) {
        self.logs.record_request(self.trace.record(&self.head));
    }
}

/// The outcome of one model request (chat, messages, responses): the log line and the
/// metrics (`/metrics`, `/health`), and what goes into the request's [`RequestTrace`]. The
/// handler takes it as an argument (that counts the request, on the clock [`log_requests`]
/// started), adds the model, the first byte, credits and usage, and hands it back:
/// with its response ([`RequestLog::attach`], the middleware ends it with the response's
/// status and error), or to the stream pump, which ends it when the stream ends. A request
/// dropped before it ended (the client went away) is counted with status 499.
#[derive(Default)]
pub struct RequestLog {
    /// The route as the router declares it.
    route: String,
    model: String,
    started: Option<Instant>,
    /// `(input, output)` tokens, once the answer is known.
    usage: Option<(u64, u64)>,
    first_byte: Option<Instant>,
    trace: Option<RequestTrace>,
    /// The `model` label ([`Prepared::metrics_model`]); [`OTHER_MODEL`] until resolved.
    metrics_model: Option<String>,
    /// Kiro credits charged so far (metering events).
    credits: f64,
    /// Where the request is counted; `None` for a log that was moved out (`mem::take`).
    metrics: Option<Arc<Metrics>>,
    /// Where its credits are added up per day.
    ledger: Option<CreditLedger>,
    /// Whether Kiro cut the answer off, and where to remember it (the conversation's id).
    cut_watch: CutOffWatch,
    cut_off_target: Option<(Arc<CutOffs>, String)>,
    finished: AtomicBool,
    /// The request's debug dump, when dumps are on.
    dump: Option<DumpCapture>,
}

/// Status counted for a request that ended because the client went away (nginx's code).
const CLIENT_CLOSED: u16 = 499;

impl FromRequestParts<Arc<AppState>> for RequestLog {
    type Rejection = Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Infallible> {
        let route = parts
            .extensions
            .get::<MatchedPath>()
            .map_or_else(|| parts.uri.path(), MatchedPath::as_str)
            .to_owned();
        Ok(RequestLog::start(state, route, &parts.extensions))
    }
}

impl RequestLog {
    /// Counts the request; its clock is the middleware's (it started when it arrived).
    fn start(state: &AppState, route: String, extensions: &axum::http::Extensions) -> Self {
        state.metrics.requests.fetch_add(1, Ordering::Relaxed);
        let trace = extensions.get::<RequestTrace>().cloned();
        RequestLog {
            route,
            model: String::new(),
            started: Some(
                trace
                    .as_ref()
                    .map_or_else(Instant::now, RequestTrace::started),
            ),
            usage: None,
            first_byte: None,
            trace,
            metrics_model: None,
            credits: 0.0,
            metrics: Some(state.metrics.clone()),
            ledger: Some(state.credits.clone()),
            cut_watch: CutOffWatch::default(),
            cut_off_target: None,
            finished: AtomicBool::new(false),
            dump: extensions.get::<DumpCapture>().cloned(),
        }
    }

    /// What shows the upstream call to this request's debug dump.
    pub fn upstream_tap(&self) -> Option<Arc<dyn UpstreamTap>> {
        self.dump
            .clone()
            .map(|dump| Arc::new(dump) as Arc<dyn UpstreamTap>)
    }

    /// The model as the metrics name it (see [`Prepared::metrics_model`]).
    pub fn set_metrics_model(&mut self, model: &str) {
        self.metrics_model = Some(model.to_owned());
    }

    /// Remember a cut-off answer of this request for the conversation's next request.
    pub fn watch_cut_off(&mut self, state: &AppState, conversation_id: &str) {
        if state.config.cut_off_recovery {
            self.cut_off_target = Some((state.cut_offs.clone(), conversation_id.to_owned()));
        }
    }

    /// Every upstream event of the answer (for cut-off detection).
    pub fn observe(&mut self, event: &crate::kiro::events::KiroEvent) {
        self.cut_watch.observe(event);
    }

    /// Kiro ended the stream itself.
    pub fn upstream_ended(&mut self) {
        self.cut_watch.upstream_ended();
    }

    /// Credits of one metering event.
    pub fn add_credits(&mut self, credits: f64) {
        if credits.is_finite() && credits > 0.0 {
            self.credits += credits;
        }
    }

    fn count(&self, status: u16, tokens: Option<(u64, u64)>) {
        if self.finished.swap(true, Ordering::Relaxed) {
            return;
        }
        let (Some(metrics), Some(started)) = (&self.metrics, self.started) else {
            return;
        };
        let model = self.metrics_model.as_deref().unwrap_or(OTHER_MODEL);
        if let Some(ledger) = &self.ledger {
            ledger.record(model, self.credits);
        }
        if let Some(trace) = &self.trace {
            trace.set_credits(self.credits);
        }
        metrics.prometheus.record(&Finished {
            route: &self.route,
            status,
            model,
            duration: started.elapsed(),
            ttft: self.first_byte.map(|t| t - started),
            tokens,
            credits: self.credits,
        });
    }

    pub fn set_model(&mut self, model: &str) {
        self.model = model.to_owned();
        if let Some(trace) = &self.trace {
            trace.set_model(model);
        }
    }

    /// Token usage of a complete answer (the middleware logs it with the response).
    pub fn set_usage(&mut self, usage: Option<(u64, u64)>) {
        self.usage = usage;
    }

    /// Hand the log to the middleware with `response`: it ends the log with the response's
    /// status, the usage set here and the error the response carries.
    pub fn attach(self, mut response: Response) -> Response {
        response
            .extensions_mut()
            .insert(LogOnResponse(Arc::new(Mutex::new(Some(self)))));
        response
    }

    pub fn mark_first_byte(&mut self) {
        self.first_byte.get_or_insert_with(Instant::now);
        if let Some(trace) = &self.trace {
            trace.first_token();
        }
    }

    /// One info line per request: route, model, status, latency, time to first byte, tokens.
    pub fn finish(&self, status: u16, usage: Option<(u64, u64)>, error: Option<&str>) {
        if status >= 400 {
            if let Some(metrics) = &self.metrics {
                metrics.errors.fetch_add(1, Ordering::Relaxed);
            }
        }
        if let (200, Some(cut), Some((cut_offs, conversation))) =
            (status, self.cut_watch.cut_off(), &self.cut_off_target)
        {
            tracing::info!(
                conversation = %conversation,
                "Kiro cut the answer off; the conversation's next request will say so"
            );
            cut_offs.record(conversation, cut);
        }
        self.count(status, usage);
        let started = self.started.unwrap_or_else(Instant::now);
        let latency_ms = started.elapsed().as_millis() as u64;
        let ttft_ms = self.first_byte.map(|t| (t - started).as_millis() as u64);
        let (input_tokens, output_tokens) = usage.unzip();
        if let Some(trace) = &self.trace {
            trace.set_usage(input_tokens, output_tokens);
            if let Some(error) = error {
                trace.set_error(error);
            }
        }
        if let Some(dump) = &self.dump {
            dump.outcome(status, error);
        }
        tracing::info!(
            route = self.route.as_str(),
            model = %self.model,
            status,
            latency_ms,
            ttft_ms,
            input_tokens,
            output_tokens,
            error,
            "request"
        );
    }
}

impl Drop for RequestLog {
    fn drop(&mut self) {
        if self.metrics.is_some() && !self.finished.load(Ordering::Relaxed) {
            tracing::debug!(route = self.route.as_str(), model = %self.model, "request dropped before it ended");
            if let Some(dump) = &self.dump {
                dump.outcome(
                    CLIENT_CLOSED,
                    Some("the client went away before the answer ended"),
                );
            }
            self.count(CLIENT_CLOSED, None);
        }
    }
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
            .route_layer(middleware::from_fn_with_state(buffer.clone(), log_requests))
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
            .route_layer(middleware::from_fn_with_state(buffer.clone(), log_requests));
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
