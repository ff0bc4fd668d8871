//! The answer to a connection over the cap: `503` with `Retry-After`, then close.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::Semaphore;

/// The whole response.
const REFUSAL: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\n\
content-type: text/plain; charset=utf-8\r\n\
retry-after: 1\r\n\
connection: close\r\n\
content-length: 41\r\n\
\r\n\
The gateway has too many open connections";

/// Refusals in progress at once; beyond this, connections are dropped unanswered.
const REFUSING_AT_ONCE: usize = 64;
/// How long a refused client may take to send its request head, and then to close.
const WAIT_FOR_CLIENT: Duration = Duration::from_secs(1);
/// Reading stops here even without the end of the head.
const HEAD_BYTES_READ: usize = 8 * 1024;

/// While refusing, a warning at most this often.
const REPORT_EVERY: Duration = Duration::from_secs(60);

/// Refuses connections, each within about two [`WAIT_FOR_CLIENT`]s.
pub(crate) struct Refusals {
    cap: usize,
    refusing: Arc<Semaphore>,
    unreported: u64,
    last_report: Option<Instant>,
}

impl Refusals {
    pub(crate) fn new(cap: usize) -> Self {
        Refusals {
            cap,
            refusing: Arc::new(Semaphore::new(REFUSING_AT_ONCE)),
            unreported: 0,
            last_report: None,
        }
    }

    pub(crate) fn refuse(&mut self, stream: TcpStream) {
        self.report();
        let Ok(slot) = self.refusing.clone().try_acquire_owned() else {
            return;
        };
        tokio::spawn(async move {
            answer_503(stream).await;
            drop(slot);
        });
    }

    fn report(&mut self) {
        self.unreported += 1;
        if self
            .last_report
            .is_none_or(|at| at.elapsed() >= REPORT_EVERY)
        {
            tracing::warn!(
                "refused {} connection(s) with 503: {} are open, the most allowed (max_connections)",
                self.unreported,
                self.cap
            );
            self.unreported = 0;
            self.last_report = Some(Instant::now());
        }
    }
}

/// A response that comes before the request was sent confuses clients (hyper reports an
/// unexpected message), so the request head is read first. Closing with unread request
/// bytes sends a reset, which can make the client lose the 503, so after our FIN the rest
/// is read until the client closes.
async fn answer_503(mut stream: TcpStream) {
    let mut head = Vec::new();
    let _ = tokio::time::timeout(WAIT_FOR_CLIENT, read_head(&mut stream, &mut head)).await;
    if tokio::time::timeout(WAIT_FOR_CLIENT, stream.write_all(REFUSAL))
        .await
        .is_err()
    {
        return;
    }
    let _ = stream.shutdown().await;
    let _ = tokio::time::timeout(WAIT_FOR_CLIENT, async {
        let mut sink = [0u8; 1024];
        while matches!(stream.read(&mut sink).await, Ok(n) if n > 0) {}
    })
    .await;
}

async fn read_head(stream: &mut TcpStream, head: &mut Vec<u8>) {
    let mut buf = [0u8; 1024];
    while head.len() < HEAD_BYTES_READ && !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buf).await {
            Ok(n) if n > 0 => head.extend_from_slice(&buf[..n]),
            _ => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_refusal_is_a_complete_response() {
        let text = std::str::from_utf8(REFUSAL).unwrap();
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        assert!(head.starts_with("HTTP/1.1 503 "));
        let length: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length: "))
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(body.len(), length);
    }
}
