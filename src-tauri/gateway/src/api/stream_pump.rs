//! Driving a dialect's output state machine from the Kiro event stream: collected into
//! one answer ([`collect`]) or streamed as server-sent events ([`stream`]).
//!
//! The streamed upstream lives inside the response body, so a client disconnect drops it
//! at once; once the output is finished (stop sequence, max tokens, error) the upstream is
//! dropped without waiting for Kiro to end. A ping, when the dialect has one, follows every
//! interval of upstream silence: a timeout around the upstream read, whose pending read
//! survives the timeout (Kiro's own idle timeout still counts the whole silence). Events that
//! give the client nothing (a tool call is held until complete) also get a ping once the
//! client has heard nothing for the interval.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::response::Response;

use super::request_log::RequestLog;
use super::sse;
use crate::app::{AppState, StreamGuard};
use crate::error::ApiError;
use crate::kiro::events::KiroEvent;
use crate::kiro::{EventStream, UpstreamError};

/// One dialect's output state machine, fed upstream events until it is finished.
pub trait Output: Send + 'static {
    type Item;
    fn on_event(&mut self, event: KiroEvent) -> Vec<Self::Item>;
    fn on_failure(&mut self, error: ApiError) -> Vec<Self::Item>;
    /// The last items once the upstream ended or the output finished.
    fn finish(&mut self) -> Vec<Self::Item>;
    fn is_finished(&self) -> bool;
}

/// Implements [`Output`] for a state machine with inherent methods of the same names.
macro_rules! impl_output {
    ($machine:ty => $item:ty) => {
        impl $crate::api::stream_pump::Output for $machine {
            type Item = $item;
            fn on_event(&mut self, event: $crate::kiro::events::KiroEvent) -> Vec<$item> {
                <$machine>::on_event(self, event)
            }
            fn on_failure(&mut self, error: $crate::error::ApiError) -> Vec<$item> {
                <$machine>::on_failure(self, error)
            }
            fn finish(&mut self) -> Vec<$item> {
                <$machine>::finish(self)
            }
            fn is_finished(&self) -> bool {
                <$machine>::is_finished(self)
            }
        }
    };
}
pub(crate) use impl_output;

/// Credits of a metering event go on the request's log (metrics).
fn note(log: &mut RequestLog, event: &KiroEvent) {
    log.observe(event);
    if let KiroEvent::Metering { usage, .. } = event {
        log.add_credits(*usage);
    }
}

/// Non-streaming: feed `output` until it is finished or the upstream ends; the upstream
/// is dropped on return.
pub async fn collect<O: Output>(output: &mut O, mut upstream: EventStream, log: &mut RequestLog) {
    while !output.is_finished() {
        match upstream.next().await {
            Some(Ok(event)) => {
                note(log, &event);
                output.on_event(event);
            }
            Some(Err(err)) => {
                output.on_failure(err.to_api_error());
            }
            None => {
                log.upstream_ended();
                break;
            }
        }
    }
}

/// What the request log line says about a finished stream.
pub struct Outcome {
    pub status: u16,
    pub usage: Option<(u64, u64)>,
    pub error: Option<String>,
}

/// How one dialect streams its [`Output`].
pub trait Wire<O: Output>: Send + 'static {
    /// Items as they go on the wire; may note what the log line needs.
    fn encode(&mut self, items: Vec<O::Item>) -> Vec<Bytes>;
    /// Sent after the last items (OpenAI's `data: [DONE]`).
    fn terminator(&self) -> Option<Bytes> {
        None
    }
    /// Runs once the output finished, before the log line.
    fn on_end(&mut self, _output: &O, _state: &Arc<AppState>) {}
    fn outcome(&self, output: &O) -> Outcome;
    /// The keep-alive event and the upstream silence after which it is sent.
    fn ping(&self) -> Option<(Duration, Bytes)> {
        None
    }
}

type Read = (EventStream, Option<Result<KiroEvent, UpstreamError>>);
type PendingRead = Pin<Box<dyn Future<Output = Read> + Send>>;

/// One upstream read that owns the stream, so it can outlive a ping timeout.
fn read_next(mut upstream: EventStream) -> PendingRead {
    Box::pin(async move {
        let next = upstream.next().await;
        (upstream, next)
    })
}

struct Pump<O, W> {
    state: Arc<AppState>,
    output: O,
    wire: W,
    /// Idle upstream between reads.
    upstream: Option<EventStream>,
    /// A read in progress (owns the upstream meanwhile).
    reading: Option<PendingRead>,
    done: bool,
    queue: VecDeque<Bytes>,
    log: RequestLog,
    ping: Option<(Duration, Bytes)>,
    /// When bytes last went to the client: events that produce nothing for the client (a
    /// tool call's fragments, held until the call is complete) still leave it waiting.
    last_sent: std::time::Instant,
    _guard: StreamGuard,
}

impl<O: Output, W: Wire<O>> Pump<O, W> {
    fn push(&mut self, items: Vec<O::Item>) {
        let bytes = self.wire.encode(items);
        self.queue.extend(bytes);
    }

    fn end(&mut self) {
        self.upstream = None;
        self.reading = None;
        self.done = true;
        let items = self.output.finish();
        self.push(items);
        self.queue.extend(self.wire.terminator());
        self.wire.on_end(&self.output, &self.state);
        let outcome = self.wire.outcome(&self.output);
        self.log
            .finish(outcome.status, outcome.usage, outcome.error.as_deref());
    }

    /// The next upstream read, or `None` after a ping went into the queue.
    async fn read(&mut self) -> Option<Option<Result<KiroEvent, UpstreamError>>> {
        let reading = self.reading.as_mut()?;
        let read = match &self.ping {
            None => reading.await,
            Some((interval, ping)) => match tokio::time::timeout(*interval, reading).await {
                Ok(read) => read,
                Err(_) => {
                    self.queue.push_back(ping.clone());
                    return None;
                }
            },
        };
        let (upstream, next) = read;
        self.reading = None;
        self.upstream = Some(upstream);
        Some(next)
    }
}

/// Streaming: `first` goes out at once, then each upstream event becomes wire events as
/// soon as it is decoded. The stream counts as open (metrics) until the body is dropped;
/// `log` is finished exactly once, when the output ends.
pub fn stream<O: Output, W: Wire<O>>(
    state: Arc<AppState>,
    output: O,
    wire: W,
    first: Vec<O::Item>,
    upstream: EventStream,
    log: RequestLog,
) -> Response {
    let guard = state.metrics.stream_guard();
    let ping = wire.ping();
    let mut pump = Pump {
        state,
        output,
        wire,
        upstream: Some(upstream),
        reading: None,
        done: false,
        queue: VecDeque::new(),
        log,
        ping,
        last_sent: std::time::Instant::now(),
        _guard: guard,
    };
    pump.push(first);
    let body = futures::stream::unfold(pump, |mut pump| async move {
        loop {
            if let Some(bytes) = pump.queue.pop_front() {
                pump.last_sent = std::time::Instant::now();
                return Some((Ok::<_, Infallible>(bytes), pump));
            }
            if pump.done {
                return None;
            }
            if pump.output.is_finished() {
                pump.end();
                continue;
            }
            if pump.reading.is_none() {
                match pump.upstream.take() {
                    Some(upstream) => pump.reading = Some(read_next(upstream)),
                    None => {
                        pump.end();
                        continue;
                    }
                }
            }
            match pump.read().await {
                None => continue,
                Some(Some(Ok(event))) => {
                    note(&mut pump.log, &event);
                    let items = pump.output.on_event(event);
                    if items.is_empty() {
                        if let Some((interval, ping)) = &pump.ping {
                            if pump.last_sent.elapsed() >= *interval {
                                let ping = ping.clone();
                                pump.queue.push_back(ping);
                            }
                        }
                    }
                    pump.push(items);
                }
                Some(Some(Err(err))) => {
                    let items = pump.output.on_failure(err.to_api_error());
                    pump.push(items);
                }
                Some(None) => {
                    pump.log.upstream_ended();
                    pump.end()
                }
            }
        }
    });
    sse::response(body)
}
