//! The accept loop: one task per connection up to the cap, a quick 503 beyond it, a pause
//! when the process runs out of descriptors, and a drain on shutdown.

use std::io;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::connection::{self, ConnectionTimeouts};
use super::refusal::Refusals;

/// Pause after an accept error that is not about one connection (e.g. EMFILE): retrying at
/// once would spin while nothing has changed.
const ACCEPT_ERROR_PAUSE: Duration = Duration::from_millis(100);

#[derive(Debug, Clone, Copy)]
pub(crate) struct ServeLimits {
    pub max_connections: usize,
    pub connection: ConnectionTimeouts,
}

/// Serve `listener` until `shutdown`, then stop accepting and wait for the open
/// connections to drain. Dropping the future cuts them all.
pub(crate) async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ServeLimits,
    shutdown: CancellationToken,
) {
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let mut refusals = Refusals::new(limits.max_connections);
    let mut connections = JoinSet::new();
    let mut failing = AcceptFailures::default();
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => break,
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            accepted = listener.accept() => {
                let stream = match accepted {
                    Ok((stream, _peer)) => stream,
                    Err(err) => {
                        if let Some(pause) = failing.record(&err) {
                            tokio::time::sleep(pause).await;
                        }
                        continue;
                    }
                };
                failing.recovered();
                // Without TCP_NODELAY the last small SSE writes of a stream wait on the
                // client's delayed ACK (~40 ms per response, measured with the loadgen tool).
                let _ = stream.set_nodelay(true);
                match slots.clone().try_acquire_owned() {
                    Ok(slot) => {
                        connections.spawn(connection::serve(
                            stream,
                            router.clone(),
                            limits.connection,
                            shutdown.clone(),
                            slot,
                        ));
                    }
                    Err(_) => refusals.refuse(stream),
                }
            }
        }
    }
    drop(listener);
    while connections.join_next().await.is_some() {}
}

/// Accept errors in a row, logged once per run.
#[derive(Default)]
struct AcceptFailures {
    in_a_row: u64,
}

impl AcceptFailures {
    /// How long to pause after `err`; `None` when it concerned one connection only.
    fn record(&mut self, err: &io::Error) -> Option<Duration> {
        if matches!(
            err.kind(),
            io::ErrorKind::ConnectionAborted
                | io::ErrorKind::ConnectionReset
                | io::ErrorKind::ConnectionRefused
                | io::ErrorKind::Interrupted
        ) {
            return None;
        }
        if self.in_a_row == 0 {
            tracing::warn!(
                "cannot accept connections: {err}; retrying every {} ms",
                ACCEPT_ERROR_PAUSE.as_millis()
            );
        }
        self.in_a_row += 1;
        Some(ACCEPT_ERROR_PAUSE)
    }

    fn recovered(&mut self) {
        if self.in_a_row > 0 {
            tracing::info!("accepting connections again after {} errors", self.in_a_row);
            self.in_a_row = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resource_errors_pause_and_are_counted_per_run() {
        let mut failing = AcceptFailures::default();
        let emfile = io::Error::from_raw_os_error(24);
        assert_eq!(failing.record(&emfile), Some(ACCEPT_ERROR_PAUSE));
        assert_eq!(failing.record(&emfile), Some(ACCEPT_ERROR_PAUSE));
        assert_eq!(failing.in_a_row, 2);
        let aborted = io::Error::from(io::ErrorKind::ConnectionAborted);
        assert_eq!(failing.record(&aborted), None);
        failing.recovered();
        assert_eq!(failing.in_a_row, 0);
    }
}
