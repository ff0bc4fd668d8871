//! How long a connection may go without a request, kept per connection.
//!
//! hyper's own `header_read_timeout` starts whenever a connection is ready for a request, so
//! it would close idle kept-alive connections as early as slow ones. This clock tells the
//! two apart, as Go's `net/http` does:
//!
//! - a new connection must deliver its first request's headers within the header timeout;
//! - a kept-alive connection may then wait the idle timeout for its next request, and once
//!   that request's first byte arrives, its headers are due within the header timeout;
//! - a connection serving a request has no deadline here (the write-stall bound and the
//!   upstream timeouts cover it);
//! - on HTTP/2 bytes arrive without requests (pings, settings), so after the first request
//!   only the idle rule applies.

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::http::Version;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::Notify;
use tokio::time::Instant;

/// Why a connection's wait ran out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Expiry {
    /// A request's headers did not arrive in time: close at once.
    SlowHeaders,
    /// No request came within the idle timeout: close gracefully.
    Idle,
}

#[derive(Debug)]
struct State {
    in_flight: usize,
    requests: u64,
    http2: bool,
    /// When the connection last had no request in flight (its accept, at first).
    free_since: Instant,
    /// When the first byte of the next request arrived, if it has.
    next_request_from: Option<Instant>,
}

#[derive(Debug)]
pub(crate) struct RequestClock {
    header_read_timeout: Duration,
    idle_timeout: Duration,
    state: Mutex<State>,
    changed: Notify,
}

impl RequestClock {
    pub(crate) fn new(header_read_timeout: Duration, idle_timeout: Duration) -> Arc<Self> {
        Arc::new(RequestClock {
            header_read_timeout,
            idle_timeout,
            state: Mutex::new(State {
                in_flight: 0,
                requests: 0,
                http2: false,
                free_since: Instant::now(),
                next_request_from: None,
            }),
            changed: Notify::new(),
        })
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Bytes arrived from the client.
    fn bytes_read(&self) {
        let mut state = self.state();
        if state.in_flight == 0 && state.next_request_from.is_none() && !state.http2 {
            state.next_request_from = Some(Instant::now());
            drop(state);
            self.changed.notify_waiters();
        }
    }

    /// A request's headers arrived; it counts as in flight until the guard is dropped
    /// (when its response body is sent or abandoned).
    pub(crate) fn request_started(self: &Arc<Self>, version: Version) -> InFlight {
        let mut state = self.state();
        state.in_flight += 1;
        state.requests += 1;
        state.http2 |= version == Version::HTTP_2;
        state.next_request_from = None;
        drop(state);
        self.changed.notify_waiters();
        InFlight {
            clock: self.clone(),
        }
    }

    fn request_finished(&self) {
        let mut state = self.state();
        state.in_flight -= 1;
        if state.in_flight == 0 {
            state.free_since = Instant::now();
        }
        drop(state);
        self.changed.notify_waiters();
    }

    /// The current deadline and what running out of it means; `None` while serving.
    fn deadline(&self) -> Option<(Instant, Expiry)> {
        let state = self.state();
        if state.in_flight > 0 {
            return None;
        }
        if state.requests == 0 {
            return Some((
                state.free_since + self.header_read_timeout,
                Expiry::SlowHeaders,
            ));
        }
        match state.next_request_from {
            Some(from) => Some((from + self.header_read_timeout, Expiry::SlowHeaders)),
            None => Some((state.free_since + self.idle_timeout, Expiry::Idle)),
        }
    }

    /// Resolves once a deadline passes.
    pub(crate) async fn expired(&self) -> Expiry {
        loop {
            let changed = self.changed.notified();
            match self.deadline() {
                Some((at, expiry)) if at <= Instant::now() => return expiry,
                Some((at, _)) => {
                    tokio::select! {
                        _ = tokio::time::sleep_until(at) => {}
                        _ = changed => {}
                    }
                }
                None => changed.await,
            }
        }
    }
}

/// A request being served; see [`RequestClock::request_started`].
pub(crate) struct InFlight {
    clock: Arc<RequestClock>,
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.clock.request_finished();
    }
}

/// `io`, telling `clock` when bytes arrive.
pub(crate) struct ObservedReads<T> {
    io: T,
    clock: Arc<RequestClock>,
}

impl<T> ObservedReads<T> {
    pub(crate) fn new(io: T, clock: Arc<RequestClock>) -> Self {
        ObservedReads { io, clock }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for ObservedReads<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let read = Pin::new(&mut self.io).poll_read(cx, buf);
        if matches!(read, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.clock.bytes_read();
        }
        read
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for ObservedReads<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADERS: Duration = Duration::from_secs(10);
    const IDLE: Duration = Duration::from_secs(75);
    const STEP: Duration = Duration::from_millis(200);
    /// Scheduling noise allowed between an event and the check that follows it.
    const NOISE: Duration = Duration::from_millis(100);

    fn remaining(clock: &RequestClock) -> Option<(Duration, Expiry)> {
        let now = Instant::now();
        clock
            .deadline()
            .map(|(at, why)| (at.saturating_duration_since(now), why))
    }

    /// About `expected` left (measured right after the event that set it), for `why`.
    fn assert_fresh(clock: &RequestClock, expected: Duration, why: Expiry) {
        let (left, got) = remaining(clock).expect("a deadline");
        assert_eq!(got, why);
        assert!(
            left <= expected && left + NOISE >= expected,
            "{left:?} left, expected {expected:?}"
        );
    }

    #[tokio::test]
    async fn header_timeout_from_the_accept_then_idle_then_header_from_the_first_byte() {
        let clock = RequestClock::new(HEADERS, IDLE);
        assert_fresh(&clock, HEADERS, Expiry::SlowHeaders);
        tokio::time::sleep(STEP).await;
        clock.bytes_read();
        let (left, why) = remaining(&clock).unwrap();
        assert_eq!(why, Expiry::SlowHeaders);
        assert!(
            left <= HEADERS - STEP,
            "the first request counts from the accept"
        );

        let request = clock.request_started(Version::HTTP_11);
        assert_eq!(remaining(&clock), None, "no deadline while serving");
        drop(request);
        assert_fresh(&clock, IDLE, Expiry::Idle);

        tokio::time::sleep(STEP).await;
        clock.bytes_read();
        assert_fresh(&clock, HEADERS, Expiry::SlowHeaders);
        tokio::time::sleep(STEP).await;
        clock.bytes_read();
        let (left, _) = remaining(&clock).unwrap();
        assert!(left <= HEADERS - STEP, "more bytes do not extend it");
    }

    #[tokio::test]
    async fn http2_bytes_between_requests_do_not_start_the_header_timeout() {
        let clock = RequestClock::new(HEADERS, IDLE);
        drop(clock.request_started(Version::HTTP_2));
        clock.bytes_read();
        assert_fresh(&clock, IDLE, Expiry::Idle);
    }

    #[tokio::test]
    async fn expired_waits_for_the_deadline_and_follows_changes() {
        let idle = Duration::from_millis(300);
        let clock = RequestClock::new(Duration::from_millis(100), idle);
        let request = clock.request_started(Version::HTTP_11);
        let waiter = tokio::spawn({
            let clock = clock.clone();
            async move { clock.expired().await }
        });
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert!(!waiter.is_finished(), "serving: no deadline");
        let freed_at = Instant::now();
        drop(request);
        assert_eq!(waiter.await.unwrap(), Expiry::Idle);
        let waited = freed_at.elapsed();
        assert!(
            waited >= idle && waited < idle + Duration::from_secs(5),
            "{waited:?}"
        );
    }
}
