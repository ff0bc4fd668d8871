//! A bound on pauses in a request body: headers that arrive on time followed by a body that
//! never does would hold a connection (and its slot under the cap) for good.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Bytes;
use axum::BoxError;
use hyper::body::{Body, Frame, SizeHint};
use tokio::time::Sleep;

/// `body`, failing once a read of it has stayed pending for `limit`.
pub(crate) struct BodyStallGuard<B> {
    body: B,
    limit: Duration,
    /// Running while a read is pending; cleared by any frame.
    stalled: Option<Pin<Box<Sleep>>>,
}

impl<B> BodyStallGuard<B> {
    pub(crate) fn new(body: B, limit: Duration) -> Self {
        BodyStallGuard {
            body,
            limit,
            stalled: None,
        }
    }
}

impl<B> Body for BodyStallGuard<B>
where
    B: Body<Data = Bytes> + Unpin,
    B::Error: Into<BoxError>,
{
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        if let Poll::Ready(frame) = Pin::new(&mut self.body).poll_frame(cx) {
            self.stalled = None;
            return Poll::Ready(frame.map(|f| f.map_err(Into::into)));
        }
        let limit = self.limit;
        let stalled = self
            .stalled
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(limit)));
        if stalled.as_mut().poll(cx).is_ready() {
            return Poll::Ready(Some(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!("the client sent no request body for {}s", limit.as_secs()),
            )
            .into())));
        }
        Poll::Pending
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use std::convert::Infallible;
    use std::time::Instant;

    use http_body_util::{BodyExt, StreamBody};

    use super::*;

    #[tokio::test]
    async fn a_body_that_stops_arriving_fails_after_the_limit() {
        let limit = Duration::from_millis(300);
        let (tx, rx) = tokio::sync::mpsc::channel::<Result<Frame<Bytes>, Infallible>>(1);
        let frames = futures::stream::unfold(rx, |mut rx| async move {
            rx.recv().await.map(|frame| (frame, rx))
        });
        let mut body = BodyStallGuard::new(StreamBody::new(Box::pin(frames)), limit);

        // Pauses shorter than the limit are fine, however many.
        let sender = tokio::spawn(async move {
            for _ in 0..4 {
                tokio::time::sleep(limit / 2).await;
                tx.send(Ok(Frame::data(Bytes::from_static(b"part"))))
                    .await
                    .unwrap();
            }
            tx // kept open, silent
        });
        for _ in 0..4 {
            let frame = body.frame().await.unwrap().unwrap();
            assert_eq!(frame.into_data().unwrap(), "part");
        }
        let _silent = sender.await.unwrap();

        let started = Instant::now();
        let err = body.frame().await.unwrap().unwrap_err();
        assert!(err.to_string().contains("no request body"), "{err}");
        assert!(started.elapsed() >= limit);
    }
}
