//! [`LogBuffer`]: the last N log lines and request records, kept in memory for the UI, plus a
//! broadcast channel for live subscribers. Everything is redacted before it is stored.

use std::collections::VecDeque;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use tokio::sync::broadcast;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id};
use tracing::{Event, Subscriber};
use tracing_subscriber::layer::Context;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::Layer;

use super::record::RequestRecord;
use super::Redactor;

/// Default number of log lines kept.
pub const DEFAULT_LOG_CAPACITY: usize = 5_000;
/// Default number of request records kept.
pub const DEFAULT_REQUEST_CAPACITY: usize = 1_000;
/// Live events a slow subscriber may lag behind before it skips ahead.
const BROADCAST_CAPACITY: usize = 1_024;

/// One log line as the UI shows it. `message` holds the message followed by the event's
/// fields (`key=value`), already redacted.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct LogRecord {
    /// Increases by one per record (log lines and requests share the counter).
    pub seq: u64,
    pub time: DateTime<Utc>,
    /// `ERROR`, `WARN`, `INFO`, `DEBUG` or `TRACE`.
    pub level: String,
    pub target: String,
    pub message: String,
    /// The id of the HTTP request the line was logged for (`x-request-id`), if any.
    pub request_id: Option<String>,
}

/// What live subscribers receive.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LogEvent {
    Log(LogRecord),
    Request(RequestRecord),
    /// Both rings were emptied.
    Cleared,
}

struct Ring<T> {
    items: VecDeque<T>,
    capacity: usize,
}

impl<T: Clone> Ring<T> {
    fn new(capacity: usize) -> Self {
        Ring {
            items: VecDeque::with_capacity(capacity.min(1024)),
            capacity: capacity.max(1),
        }
    }

    fn push(&mut self, item: T) {
        if self.items.len() == self.capacity {
            self.items.pop_front();
        }
        self.items.push_back(item);
    }
}

struct Inner {
    logs: Mutex<Ring<LogRecord>>,
    requests: Mutex<Ring<RequestRecord>>,
    seq: AtomicU64,
    live: broadcast::Sender<LogEvent>,
    redactor: Redactor,
}

/// Bounded in-memory log for the UI. Cloning shares the same buffer.
#[derive(Clone)]
pub struct LogBuffer {
    inner: Arc<Inner>,
}

impl Default for LogBuffer {
    fn default() -> Self {
        LogBuffer::new(
            DEFAULT_LOG_CAPACITY,
            DEFAULT_REQUEST_CAPACITY,
            Redactor::new(),
        )
    }
}

impl LogBuffer {
    /// Keep at most `log_capacity` lines and `request_capacity` request records; every text
    /// goes through `redactor` first.
    pub fn new(log_capacity: usize, request_capacity: usize, redactor: Redactor) -> Self {
        let (live, _) = broadcast::channel(BROADCAST_CAPACITY);
        LogBuffer {
            inner: Arc::new(Inner {
                logs: Mutex::new(Ring::new(log_capacity)),
                requests: Mutex::new(Ring::new(request_capacity)),
                seq: AtomicU64::new(0),
                live,
                redactor,
            }),
        }
    }

    pub fn redactor(&self) -> &Redactor {
        &self.inner.redactor
    }

    fn next_seq(&self) -> u64 {
        self.inner.seq.fetch_add(1, Ordering::Relaxed) + 1
    }

    /// Store a log line (redacted) and send it to live subscribers.
    pub fn push_log(&self, level: &str, target: &str, message: &str) -> LogRecord {
        self.push_request_log(level, target, message, None)
    }

    /// [`push_log`](Self::push_log) for a line logged while serving request `request_id`.
    pub fn push_request_log(
        &self,
        level: &str,
        target: &str,
        message: &str,
        request_id: Option<&str>,
    ) -> LogRecord {
        let record = LogRecord {
            seq: self.next_seq(),
            time: Utc::now(),
            level: level.to_owned(),
            target: target.to_owned(),
            message: self.inner.redactor.redact(message),
            request_id: request_id.map(str::to_owned),
        };
        lock(&self.inner.logs).push(record.clone());
        let _ = self.inner.live.send(LogEvent::Log(record.clone()));
        record
    }

    /// Store a finished request (its error text redacted) and send it to live subscribers.
    /// The HTTP layer calls this once per request; `seq` is assigned here.
    pub fn record_request(&self, mut record: RequestRecord) -> RequestRecord {
        record.seq = self.next_seq();
        record.error = record.error.map(|e| self.inner.redactor.redact(&e));
        record.route = self.inner.redactor.redact(&record.route);
        lock(&self.inner.requests).push(record.clone());
        let _ = self.inner.live.send(LogEvent::Request(record.clone()));
        record
    }

    /// Log lines with `seq > since` (all with `None`), oldest first.
    pub fn logs(&self, since: Option<u64>) -> Vec<LogRecord> {
        let since = since.unwrap_or(0);
        lock(&self.inner.logs)
            .items
            .iter()
            .filter(|r| r.seq > since)
            .cloned()
            .collect()
    }

    /// Request records, oldest first.
    pub fn requests(&self) -> Vec<RequestRecord> {
        lock(&self.inner.requests).items.iter().cloned().collect()
    }

    /// Empty both rings (sequence numbers keep increasing).
    pub fn clear(&self) {
        lock(&self.inner.logs).items.clear();
        lock(&self.inner.requests).items.clear();
        let _ = self.inner.live.send(LogEvent::Cleared);
    }

    /// Live events from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<LogEvent> {
        self.inner.live.subscribe()
    }

    /// A tracing layer that feeds this buffer.
    pub fn layer(&self) -> LogBufferLayer {
        LogBufferLayer {
            buffer: self.clone(),
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// `tracing_subscriber` layer writing each event into a [`LogBuffer`]. Level filtering is
/// left to the subscriber's filter. An event inside a span with a `request_id` field (the
/// `request` span of `crate::request_id`) is stored with that id.
pub struct LogBufferLayer {
    buffer: LogBuffer,
}

/// A span's `request_id` field, kept in the span's extensions.
struct SpanRequestId(String);

#[derive(Default)]
struct RequestIdField(Option<String>);

impl Visit for RequestIdField {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "request_id" {
            self.0 = Some(value.to_owned());
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "request_id" {
            self.0 = Some(format!("{value:?}"));
        }
    }
}

impl<S> Layer<S> for LogBufferLayer
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        if !attrs
            .metadata()
            .fields()
            .iter()
            .any(|f| f.name() == "request_id")
        {
            return;
        }
        let mut field = RequestIdField::default();
        attrs.record(&mut field);
        if let (Some(value), Some(span)) = (field.0, ctx.span(id)) {
            span.extensions_mut().insert(SpanRequestId(value));
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let request_id = ctx.event_scope(event).and_then(|scope| {
            scope.into_iter().find_map(|span| {
                span.extensions()
                    .get::<SpanRequestId>()
                    .map(|r| r.0.clone())
            })
        });
        let mut text = EventText::default();
        event.record(&mut text);
        let meta = event.metadata();
        let mut message = text.message;
        if !text.fields.is_empty() {
            if !message.is_empty() {
                message.push(' ');
            }
            message.push_str(&text.fields);
        }
        self.buffer.push_request_log(
            meta.level().as_str(),
            meta.target(),
            &message,
            request_id.as_deref(),
        );
    }
}

#[derive(Default)]
struct EventText {
    message: String,
    fields: String,
}

impl Visit for EventText {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message.push_str(value);
        } else {
            self.push_field(field, format_args!("{value:?}"));
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.message, "{value:?}");
        } else {
            self.push_field(field, format_args!("{value:?}"));
        }
    }
}

impl EventText {
    fn push_field(&mut self, field: &Field, value: std::fmt::Arguments<'_>) {
        if field.name().starts_with("log.") {
            return;
        }
        if !self.fields.is_empty() {
            self.fields.push(' ');
        }
        let _ = write!(self.fields, "{}={}", field.name(), value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracing_subscriber::layer::SubscriberExt;

    #[test]
    fn keeps_the_newest_n_in_order() {
        let buffer = LogBuffer::new(3, 2, Redactor::new());
        for i in 0..5 {
            buffer.push_log("INFO", "t", &format!("line {i}"));
        }
        let lines: Vec<String> = buffer.logs(None).into_iter().map(|r| r.message).collect();
        assert_eq!(lines, ["line 2", "line 3", "line 4"]);
        let seqs: Vec<u64> = buffer.logs(None).iter().map(|r| r.seq).collect();
        assert!(seqs.windows(2).all(|w| w[0] < w[1]));
        let since = seqs[1];
        assert_eq!(buffer.logs(Some(since)).len(), 1);

        for i in 0..3 {
            buffer.record_request(RequestRecord {
                route: format!("/v1/r{i}"),
                ..RequestRecord::default()
            });
        }
        let routes: Vec<String> = buffer.requests().into_iter().map(|r| r.route).collect();
        assert_eq!(routes, ["/v1/r1", "/v1/r2"]);
    }

    #[tokio::test]
    async fn live_subscribers_get_every_event() {
        let buffer = LogBuffer::new(10, 10, Redactor::new());
        let mut rx = buffer.subscribe();
        buffer.push_log("WARN", "kiro", "first");
        buffer.record_request(RequestRecord {
            status: 200,
            ..RequestRecord::default()
        });
        buffer.clear();
        match rx.recv().await.unwrap() {
            LogEvent::Log(r) => assert_eq!(r.message, "first"),
            other => panic!("{other:?}"),
        }
        match rx.recv().await.unwrap() {
            LogEvent::Request(r) => assert_eq!(r.status, 200),
            other => panic!("{other:?}"),
        }
        assert!(matches!(rx.recv().await.unwrap(), LogEvent::Cleared));
        assert!(buffer.logs(None).is_empty());
        assert!(buffer.requests().is_empty());
    }

    #[test]
    fn the_layer_records_message_fields_and_redacts_secrets() {
        let redactor = Redactor::new();
        redactor.add("kgw_registered_secret_123");
        let buffer = LogBuffer::new(10, 10, redactor);
        let subscriber = tracing_subscriber::registry().with(buffer.layer());
        tracing::subscriber::with_default(subscriber, || {
            tracing::warn!(
                key = "kgw_registered_secret_123",
                attempt = 2,
                "upstream said Authorization: Bearer abcdef123456"
            );
        });
        let logs = buffer.logs(None);
        assert_eq!(logs.len(), 1);
        let line = &logs[0];
        assert_eq!(line.level, "WARN");
        assert!(line.target.contains("buffer"), "{}", line.target);
        assert!(
            line.message.starts_with("upstream said"),
            "{}",
            line.message
        );
        assert!(line.message.contains("attempt=2"), "{}", line.message);
        assert!(!line.message.contains("kgw_registered_secret_123"));
        assert!(!line.message.contains("abcdef123456"));
    }

    #[test]
    fn lines_inside_a_request_span_carry_its_id() {
        let buffer = LogBuffer::new(10, 10, Redactor::new());
        let subscriber = tracing_subscriber::registry().with(buffer.layer());
        tracing::subscriber::with_default(subscriber, || {
            tracing::info!("outside");
            let span = tracing::error_span!("request", request_id = %"req_abc");
            let _in = span.enter();
            tracing::info_span!("inner").in_scope(|| tracing::warn!("nested"));
        });
        let logs = buffer.logs(None);
        assert_eq!(logs[0].request_id, None);
        assert_eq!(logs[1].request_id.as_deref(), Some("req_abc"));
        assert_eq!(logs[1].message, "nested");
    }

    #[test]
    fn request_errors_are_redacted() {
        let redactor = Redactor::new();
        redactor.add("aoa-access-token-xyz");
        let buffer = LogBuffer::new(10, 10, redactor);
        let stored = buffer.record_request(RequestRecord {
            error: Some("rejected token aoa-access-token-xyz".into()),
            ..RequestRecord::default()
        });
        assert_eq!(stored.error.as_deref(), Some("rejected token ***"));
        assert!(stored.seq > 0);
    }
}
