//! A bound on how long a write to a client may wait.
//!
//! A client that stops reading fills its socket; hyper then stops polling the response body,
//! so a streaming response (and the upstream request feeding it) would wait forever. A
//! body-level timeout cannot see this — the body is simply not polled — so the bound sits on
//! the socket: a write that stays pending for the whole bound fails with `TimedOut`, hyper
//! closes the connection and drops the body, and with it the upstream request.

use std::future::Future;
use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::Sleep;

/// `io`, whose writes fail once one has stayed pending for `limit`.
pub(crate) struct WriteStallGuard<T> {
    io: T,
    limit: Duration,
    /// Running while writes are pending; cleared by any write that completes.
    stalled: Option<Pin<Box<Sleep>>>,
}

impl<T> WriteStallGuard<T> {
    pub(crate) fn new(io: T, limit: Duration) -> Self {
        WriteStallGuard {
            io,
            limit,
            stalled: None,
        }
    }

    fn bound<R>(
        &mut self,
        cx: &mut Context<'_>,
        written: Poll<io::Result<R>>,
    ) -> Poll<io::Result<R>> {
        if written.is_ready() {
            self.stalled = None;
            return written;
        }
        let limit = self.limit;
        let stalled = self
            .stalled
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(limit)));
        if stalled.as_mut().poll(cx).is_ready() {
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!("the client read nothing for {}s", limit.as_secs()),
            )));
        }
        Poll::Pending
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for WriteStallGuard<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for WriteStallGuard<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let written = Pin::new(&mut self.io).poll_write(cx, buf);
        self.bound(cx, written)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let written = Pin::new(&mut self.io).poll_write_vectored(cx, bufs);
        self.bound(cx, written)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let flushed = Pin::new(&mut self.io).poll_flush(cx);
        self.bound(cx, flushed)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let shut = Pin::new(&mut self.io).poll_shutdown(cx);
        self.bound(cx, shut)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::{TcpListener, TcpStream};

    use super::*;

    async fn loopback_pair() -> (TcpStream, TcpStream) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let (server, _) = listener.accept().await.unwrap();
        (server, client)
    }

    #[tokio::test]
    async fn a_write_pending_for_the_limit_fails_and_a_reading_peer_never_trips_it() {
        let limit = Duration::from_millis(300);
        let (server, mut client) = loopback_pair().await;
        let mut guarded = WriteStallGuard::new(server, limit);
        let chunk = vec![b'x'; 64 * 1024];

        // A peer that reads: many limits' worth of writes go through.
        let reader = tokio::spawn(async move {
            let mut buf = vec![0; 64 * 1024];
            let mut total = 0;
            while total < 8 * 1024 * 1024 {
                tokio::time::sleep(Duration::from_millis(1)).await;
                total += client.read(&mut buf).await.unwrap();
            }
            client
        });
        let mut sent = 0;
        while sent < 8 * 1024 * 1024 {
            guarded.write_all(&chunk).await.expect("the peer reads");
            sent += chunk.len();
        }
        let _idle_client = reader.await.unwrap();

        // A peer that stops reading: the buffers fill, then the write fails after the limit.
        let started = Instant::now();
        let err = loop {
            match guarded.write_all(&chunk).await {
                Ok(()) => assert!(started.elapsed() < Duration::from_secs(20)),
                Err(err) => break err,
            }
        };
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
        assert!(started.elapsed() >= limit);
    }
}
