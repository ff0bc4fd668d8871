//! The middleware that captures a model request (`POST /v1/chat/completions`,
//! `/v1/messages`, `/v1/responses`) while dumps are on: it copies the request body as the
//! handler reads it and the response body as it is sent, and writes the dump when the
//! response is complete — before the last byte of a stream is released, so a client that
//! saw the end of its answer finds the dump on disk. With dumps off it only reads the mode.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};

use axum::body::{Body, Bytes, HttpBody};
use axum::extract::{OriginalUri, Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;
use hyper::body::{Frame, SizeHint};

use super::{DebugDumps, DumpCapture, DumpMode};
use crate::error::ErrorNote;
use crate::request_id::RequestId;

/// The routes whose requests are dumped.
const ROUTES: &[&str] = &["/v1/chat/completions", "/v1/messages", "/v1/responses"];

pub async fn capture_dumps(
    State(dumps): State<Arc<DebugDumps>>,
    request: Request,
    next: Next,
) -> Response {
    let mode = dumps.mode();
    if mode == DumpMode::Off || request.method() != Method::POST {
        return next.run(request).await;
    }
    let path = request
        .extensions()
        .get::<OriginalUri>()
        .map(|u| u.0.path().to_owned())
        .unwrap_or_else(|| request.uri().path().to_owned());
    if !ROUTES.contains(&path.as_str()) {
        return next.run(request).await;
    }
    let id = request
        .extensions()
        .get::<RequestId>()
        .map(|id| id.as_str().to_owned())
        .unwrap_or_else(|| RequestId::generate().as_str().to_owned());
    let capture = DumpCapture::new(
        mode,
        &id,
        request.method().as_str(),
        &path,
        request.headers(),
        dumps.part_cap(),
    );
    let (mut parts, body) = request.into_parts();
    parts.extensions.insert(capture.clone());
    let body = Body::new(RequestTee {
        inner: body,
        capture: capture.clone(),
    });
    let response = next.run(Request::from_parts(parts, body)).await;
    capture.response_head(response.status(), response.headers());
    let stream = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/event-stream"));
    if !stream {
        // A complete answer carries its error (if any) with it; a stream's outcome comes
        // from the request log when the stream ends.
        let error = response
            .extensions()
            .get::<ErrorNote>()
            .map(|e| e.0.clone());
        capture.outcome(response.status().as_u16(), error.as_deref());
    }
    let (parts, body) = response.into_parts();
    if stream {
        let body = Body::new(StreamTee {
            inner: body,
            capture,
            dumps,
            state: TeeState::Streaming,
        });
        return Response::from_parts(parts, body);
    }
    // A complete answer is in memory already; keep it, write the dump, then answer.
    let bytes = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(bytes) => bytes,
        Err(err) => {
            tracing::warn!("could not read a response for its debug dump: {err}");
            Bytes::new()
        }
    };
    capture.response_chunk(&bytes);
    dumps.finish(capture).await;
    Response::from_parts(parts, Body::from(bytes))
}

/// A request body that copies what the handler reads.
struct RequestTee {
    inner: Body,
    capture: DumpCapture,
}

impl HttpBody for RequestTee {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let this = &mut *self;
        let frame = ready!(Pin::new(&mut this.inner).poll_frame(cx));
        if let Some(Ok(frame)) = &frame {
            if let Some(data) = frame.data_ref() {
                this.capture.request_chunk(data);
            }
        }
        Poll::Ready(frame)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

enum TeeState {
    Streaming,
    Writing(Pin<Box<dyn Future<Output = ()> + Send>>),
    Done,
}

/// A streamed response that copies what is sent and writes the dump before it ends. A
/// client that goes away first still leaves its dump (written in the background).
struct StreamTee {
    inner: Body,
    capture: DumpCapture,
    dumps: Arc<DebugDumps>,
    state: TeeState,
}

impl HttpBody for StreamTee {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let this = &mut *self;
        loop {
            match &mut this.state {
                TeeState::Streaming => match ready!(Pin::new(&mut this.inner).poll_frame(cx)) {
                    Some(Ok(frame)) => {
                        if let Some(data) = frame.data_ref() {
                            this.capture.response_chunk(data);
                        }
                        return Poll::Ready(Some(Ok(frame)));
                    }
                    Some(Err(err)) => return Poll::Ready(Some(Err(err))),
                    None => {
                        let dumps = this.dumps.clone();
                        let capture = this.capture.clone();
                        this.state =
                            TeeState::Writing(Box::pin(async move { dumps.finish(capture).await }));
                    }
                },
                TeeState::Writing(write) => {
                    ready!(write.as_mut().poll(cx));
                    this.state = TeeState::Done;
                }
                TeeState::Done => return Poll::Ready(None),
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        matches!(self.state, TeeState::Done)
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::default()
    }
}

impl Drop for StreamTee {
    fn drop(&mut self) {
        if !matches!(self.state, TeeState::Streaming) {
            return;
        }
        let (dumps, capture) = (self.dumps.clone(), self.capture.clone());
        capture.outcome(499, Some("the client went away before the answer ended"));
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move { dumps.finish(capture).await });
        }
    }
}
