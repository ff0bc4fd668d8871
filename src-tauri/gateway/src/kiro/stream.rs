//! A Kiro response body as a sequence of typed events, decoded frame by frame as bytes
//! arrive, with deadlines counted in events, not bytes: the first event must come within the
//! first-token timeout, and each next one within the idle timeout of the caller taking the
//! previous one. Bytes that do not complete an event (an upstream dripping a frame byte by
//! byte) do not move a deadline.

use std::collections::VecDeque;
use std::pin::Pin;
use std::time::Duration;

use bytes::Bytes;
use futures::{Stream, StreamExt};
use tokio::time::Instant;

use super::events::EventDecoder;
use super::events::KiroEvent;
use super::tap::Taps;
use super::upstream_error::UpstreamError;
use super::wire::describe_reqwest_error;

type ByteStream = Pin<Box<dyn Stream<Item = reqwest::Result<Bytes>> + Send>>;

/// The events of one upstream answer. Dropping it drops the upstream connection.
pub struct EventStream {
    body: ByteStream,
    decoder: EventDecoder,
    pending: VecDeque<KiroEvent>,
    idle_timeout: Duration,
    finished: bool,
    /// An error met while reading; delivered after the events decoded before it.
    deferred_error: Option<UpstreamError>,
    /// `x-amzn-RequestId` of the response, for logs.
    pub request_id: Option<String>,
    /// Shown every frame (debug dumps, drift detection).
    taps: Taps,
}

impl EventStream {
    pub fn new(response: reqwest::Response, idle_timeout: Duration, taps: Taps) -> Self {
        let request_id = response
            .headers()
            .get("x-amzn-requestid")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        EventStream {
            body: Box::pin(response.bytes_stream()),
            decoder: EventDecoder::new(),
            pending: VecDeque::new(),
            idle_timeout,
            finished: false,
            deferred_error: None,
            request_id,
            taps,
        }
    }

    /// Read until the answer has begun — an event with content (text, a tool call,
    /// reasoning) or an error — or the body ended, for at most `within`. Events before it
    /// (a trailer arriving first) are kept. A body that ends with no content at all is an
    /// empty answer ([`UpstreamError::EmptyStream`]) unless Kiro said why it is empty: content
    /// filtered or the context window full (protocol notes, "The completion trailer").
    pub(crate) async fn wait_first_event(&mut self, within: Duration) -> Result<(), UpstreamError> {
        let deadline = Instant::now() + within;
        while !self.pending.iter().any(begins_answer) && !self.finished {
            if !self.read_more(deadline).await {
                return Err(UpstreamError::FirstTokenTimeout {
                    timeout: within,
                    attempts: 1,
                });
            }
        }
        if self.pending.iter().any(begins_answer) {
            return Ok(());
        }
        if let Some(err) = self.deferred_error.take() {
            return Err(err);
        }
        if self.pending.iter().any(explains_emptiness) {
            return Ok(());
        }
        Err(UpstreamError::EmptyStream)
    }

    /// The next event; `None` at the end of the answer. After an error, `None` follows. When
    /// no event is decoded within the idle timeout of this call, the stream ends with
    /// [`UpstreamError::IdleTimeout`], however many bytes arrived meanwhile.
    pub async fn next(&mut self) -> Option<Result<KiroEvent, UpstreamError>> {
        let deadline = Instant::now() + self.idle_timeout;
        loop {
            if let Some(event) = self.pending.pop_front() {
                return Some(Ok(event));
            }
            if self.finished {
                return self.deferred_error.take().map(Err);
            }
            if !self.read_more(deadline).await {
                self.finished = true;
                return Some(Err(UpstreamError::IdleTimeout(self.idle_timeout)));
            }
        }
    }

    /// One network read before `deadline`, decoded into `pending`; a failure ends the
    /// stream. `false` when the deadline passed first.
    async fn read_more(&mut self, deadline: Instant) -> bool {
        match self.try_read_more(deadline).await {
            Ok(()) => true,
            Err(None) => false,
            Err(Some(err)) => {
                self.finished = true;
                self.deferred_error = Some(err);
                true
            }
        }
    }

    /// `Err(None)`: the deadline passed before a chunk arrived.
    async fn try_read_more(&mut self, deadline: Instant) -> Result<(), Option<UpstreamError>> {
        let chunk = match tokio::time::timeout_at(deadline, self.body.next()).await {
            Err(_) => return Err(None),
            Ok(None) => {
                self.finished = true;
                return self.decoder.finish().map_err(|e| {
                    Some(UpstreamError::Network(format!(
                        "Kiro closed the connection mid-frame ({e})"
                    )))
                });
            }
            Ok(Some(Err(e))) => {
                return Err(Some(UpstreamError::Network(describe_reqwest_error(&e))))
            }
            Ok(Some(Ok(chunk))) => chunk,
        };
        self.decoder.feed(&chunk);
        loop {
            let taps = &self.taps;
            match self.decoder.next_event_observed(|frame| taps.frame(frame)) {
                Ok(Some(event)) => self.pending.push_back(event),
                Ok(None) => return Ok(()),
                Err(e) if e.is_fatal() => return Err(Some(UpstreamError::Decode(e.to_string()))),
                // One frame with an unreadable payload; the framing is intact, so go on.
                Err(e) => tracing::warn!("skipping an unreadable Kiro event: {e}"),
            }
        }
    }
}

/// An event that shows the answer has begun (or failed).
fn begins_answer(event: &KiroEvent) -> bool {
    matches!(
        event,
        KiroEvent::Text(_)
            | KiroEvent::ToolUse { .. }
            | KiroEvent::Reasoning { .. }
            | KiroEvent::Exception { .. }
            | KiroEvent::Error { .. }
    )
}

/// A trailer event that explains an answer without content: filtered, or no room left.
fn explains_emptiness(event: &KiroEvent) -> bool {
    match event {
        KiroEvent::Metadata { stop_reason, .. } => matches!(
            stop_reason.as_deref(),
            Some("CONTENT_FILTERED" | "MODEL_CONTEXT_WINDOW_EXCEEDED")
        ),
        KiroEvent::ContextUsage { percentage } => *percentage >= 100.0,
        _ => false,
    }
}
