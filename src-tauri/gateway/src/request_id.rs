//! Request ids: every response carries `x-request-id` — the client's own when it sent a
//! sane one ([`RequestId::from_client`]), else a new `req_<32 hex>`. The id is a request
//! extension (handlers and the request log read it) and a field of the `request` span that
//! every log line of the request is emitted in, including those emitted while a streamed
//! body is being sent.
//!
//! [`assign_request_ids`] is the outermost middleware, so the guard's refusals, the key
//! check's 401s and the 404 fallback carry the header too.

use std::pin::Pin;
use std::task::{Context, Poll};

use axum::body::{Body, Bytes, HttpBody};
use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use hyper::body::{Frame, SizeHint};
use tracing::Instrument;

/// The header read from the client and set on every response.
pub const HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// The longest client id that is kept.
pub const MAX_CLIENT_ID_LEN: usize = 128;

/// One request's id. Cheap to clone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId(HeaderValue);

impl RequestId {
    /// A new unique id, `req_` and 32 hex digits.
    pub fn generate() -> Self {
        let id = format!("req_{}", uuid::Uuid::new_v4().simple());
        RequestId(HeaderValue::from_str(&id).expect("ASCII id"))
    }

    /// The client's id when it is 1 to [`MAX_CLIENT_ID_LEN`] characters of
    /// `A–Z a–z 0–9 . _ : -`; anything else (it would be logged and echoed) is not used.
    pub fn from_client(value: &HeaderValue) -> Option<Self> {
        let bytes = value.as_bytes();
        let sane = (1..=MAX_CLIENT_ID_LEN).contains(&bytes.len())
            && bytes
                .iter()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b':' | b'-'));
        sane.then(|| RequestId(value.clone()))
    }

    /// The client's sane id from `headers`, else a new one.
    pub fn for_request(headers: &axum::http::HeaderMap) -> Self {
        headers
            .get(&HEADER)
            .and_then(Self::from_client)
            .unwrap_or_else(Self::generate)
    }

    pub fn as_str(&self) -> &str {
        // Only ever built from checked ASCII.
        self.0.to_str().unwrap_or_default()
    }

    pub fn header_value(&self) -> HeaderValue {
        self.0.clone()
    }
}

impl std::fmt::Display for RequestId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Middleware: pick the id, put it in the request's extensions, run the rest of the
/// request inside a `request` span carrying it (the response body too), and set the
/// response header.
pub async fn assign_request_ids(mut request: Request, next: Next) -> Response {
    let id = RequestId::for_request(request.headers());
    // ERROR level, so the span (and the id on each line) exists whatever the log filter
    // lets through; the span itself prints nothing.
    let span = tracing::error_span!("request", request_id = %id);
    request.extensions_mut().insert(id.clone());
    let response = next.run(request).instrument(span.clone()).await;
    let (mut parts, body) = response.into_parts();
    parts.headers.insert(HEADER, id.header_value());
    let body = if span.is_disabled() {
        body
    } else {
        Body::new(InSpan { inner: body, span })
    };
    Response::from_parts(parts, body)
}

/// A body whose every poll happens inside the request's span: the log lines of a stream
/// (upstream errors, the final `request` line) carry the id. Size hints pass through, so
/// a complete body keeps its `content-length`.
struct InSpan {
    inner: Body,
    span: tracing::Span,
}

impl HttpBody for InSpan {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let this = &mut *self;
        let _entered = this.span.enter();
        Pin::new(&mut this.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(id: &str) -> Option<RequestId> {
        RequestId::from_client(&HeaderValue::from_str(id).unwrap())
    }

    #[test]
    fn sane_client_ids_are_kept() {
        for id in [
            "a",
            "abc-123",
            "trace:01.x_y",
            &"x".repeat(MAX_CLIENT_ID_LEN),
        ] {
            assert_eq!(client(id).unwrap().as_str(), id);
        }
    }

    #[test]
    fn other_client_ids_are_not() {
        for id in [
            "",
            "has space",
            "semi;colon",
            "slash/",
            "quote\"",
            "ünïcode",
            &"x".repeat(MAX_CLIENT_ID_LEN + 1),
        ] {
            let value = HeaderValue::from_bytes(id.as_bytes()).unwrap();
            assert!(RequestId::from_client(&value).is_none(), "{id:?}");
        }
    }

    #[test]
    fn generated_ids_are_unique_and_themselves_sane() {
        let a = RequestId::generate();
        let b = RequestId::generate();
        assert_ne!(a, b);
        assert!(
            a.as_str().starts_with("req_") && a.as_str().len() == 36,
            "{a}"
        );
        assert_eq!(client(a.as_str()), Some(a));
    }
}
