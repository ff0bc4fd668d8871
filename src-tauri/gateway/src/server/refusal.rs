//! The answer to a connection over the cap: `503` with `Retry-After`, then close.

use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::Semaphore;

/// The whole response, written without reading the request.
const REFUSAL: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\n\
content-type: text/plain; charset=utf-8\r\n\
retry-after: 1\r\n\
connection: close\r\n\
content-length: 41\r\n\
\r\n\
The gateway has too many open connections";

/// Refused connections closed gracefully at once; beyond this they are dropped.
const LINGERING_AT_ONCE: usize = 64;
/// How long a refused client may take to close its end.
const LINGER: Duration = Duration::from_secs(2);

/// Refuses connections; a few at a time linger so the client reads the 503.
pub(crate) struct Refusals {
    lingering: Arc<Semaphore>,
}

impl Refusals {
    pub(crate) fn new() -> Self {
        Refusals {
            lingering: Arc::new(Semaphore::new(LINGERING_AT_ONCE)),
        }
    }

    pub(crate) fn refuse(&self, stream: TcpStream) {
        // A fresh socket's send buffer is empty: one non-blocking write takes it all.
        let _ = stream.try_write(REFUSAL);
        if let Ok(slot) = self.lingering.clone().try_acquire_owned() {
            tokio::spawn(async move {
                close_after_client(stream).await;
                drop(slot);
            });
        }
    }
}

/// Closing a socket with unread request bytes sends a reset, which can make the client
/// discard the 503 before reading it. So: send our FIN, then read until the client closes
/// (or [`LINGER`] passes).
async fn close_after_client(mut stream: TcpStream) {
    let _ = stream.shutdown().await;
    let _ = tokio::time::timeout(LINGER, async {
        let mut sink = [0u8; 1024];
        while matches!(stream.read(&mut sink).await, Ok(n) if n > 0) {}
    })
    .await;
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
