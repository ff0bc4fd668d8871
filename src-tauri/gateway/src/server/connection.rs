//! Serving one client connection (HTTP/1.1 or HTTP/2) under its time limits.

use std::convert::Infallible;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, Response};
use axum::Router;
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use tokio::net::TcpStream;
use tokio::sync::OwnedSemaphorePermit;
use tokio_util::sync::CancellationToken;
use tower::ServiceExt;

use super::body_stall::BodyStallGuard;
use super::request_clock::{Expiry, InFlight, ObservedReads, RequestClock};
use super::write_stall::WriteStallGuard;

/// HTTP/2 pings: how often, and how long an answer may take before the connection is
/// considered dead.
const H2_PING_INTERVAL: Duration = Duration::from_secs(30);
const H2_PING_TIMEOUT: Duration = Duration::from_secs(20);

#[derive(Debug, Clone, Copy)]
pub(crate) struct ConnectionTimeouts {
    pub header_read: Duration,
    pub idle: Duration,
    pub client_write: Duration,
}

/// Serve `stream` until the client or a time limit closes it, or `shutdown` drains it.
/// `_slot` is this connection's place under the connection cap.
pub(crate) async fn serve(
    stream: TcpStream,
    router: Router,
    timeouts: ConnectionTimeouts,
    shutdown: CancellationToken,
    _slot: OwnedSemaphorePermit,
) {
    // Handlers see the peer as axum's `ConnectInfo` (the key check counts wrong keys by it).
    let peer = stream.peer_addr().ok().map(axum::extract::ConnectInfo);
    let clock = RequestClock::new(timeouts.header_read, timeouts.idle);
    let io = WriteStallGuard::new(
        ObservedReads::new(stream, clock.clone()),
        timeouts.client_write,
    );
    let service = hyper::service::service_fn({
        let clock = clock.clone();
        move |mut request: Request<Incoming>| {
            if let Some(peer) = peer {
                request.extensions_mut().insert(peer);
            }
            let in_flight = clock.request_started(request.version());
            let request = request.map(|body| BodyStallGuard::new(body, timeouts.header_read));
            let response = router.clone().oneshot(request);
            async move {
                let Ok(response) = response.await;
                Ok::<_, Infallible>(hold_until_sent(response, in_flight))
            }
        }
    });

    let mut builder = auto::Builder::new(TokioExecutor::new());
    // The request clock does this job, with a separate idle timeout.
    builder.http1().header_read_timeout(None);
    builder
        .http2()
        .timer(TokioTimer::new())
        .keep_alive_interval(H2_PING_INTERVAL)
        .keep_alive_timeout(H2_PING_TIMEOUT);
    let connection = builder.serve_connection_with_upgrades(TokioIo::new(io), service);
    tokio::pin!(connection);

    let mut draining = false;
    loop {
        tokio::select! {
            served = connection.as_mut() => {
                if let Err(err) = served {
                    tracing::debug!("connection closed: {err}");
                }
                return;
            }
            _ = shutdown.cancelled(), if !draining => {
                connection.as_mut().graceful_shutdown();
                draining = true;
            }
            expiry = clock.expired(), if !draining => match expiry {
                Expiry::Idle => {
                    connection.as_mut().graceful_shutdown();
                    draining = true;
                }
                Expiry::SlowHeaders => {
                    tracing::debug!(
                        "closing a connection that sent no complete request headers within {}s",
                        timeouts.header_read.as_secs()
                    );
                    return;
                }
            },
        }
    }
}

/// The request stays in flight until hyper drops its response body: sent, or abandoned.
fn hold_until_sent(response: Response<Body>, in_flight: InFlight) -> Response<Body> {
    response.map(|body| {
        Body::new(body.map_frame(move |frame| {
            let _ = &in_flight;
            frame
        }))
    })
}
