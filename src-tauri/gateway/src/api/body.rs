//! Reading a request body with the configured size limit, failing in the caller's dialect.
//!
//! A body over the limit is still read to its end (and dropped), up to [`DRAIN_BYTES`] and
//! [`DRAIN_TIME`]: a server that answers 413 and closes while the client is still sending makes
//! the client see a broken pipe instead of the 413 and its message.

use std::time::Duration;

use axum::body::{Body, Bytes};
use futures::StreamExt;

use crate::error::{ApiError, ErrorKind};

/// The most of an oversized body read (and dropped) so the client can read its 413.
const DRAIN_BYTES: usize = 64 * 1024 * 1024;
/// How long an oversized body may take to be drained.
const DRAIN_TIME: Duration = Duration::from_secs(5);

/// The whole body, or 413 when it is larger than `limit` bytes.
pub async fn read_body(body: Body, limit: usize) -> Result<Bytes, ApiError> {
    let mut stream = body.into_data_stream();
    let mut collected: Vec<u8> = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|err| {
            ApiError::invalid_request(format!("Could not read the request body: {err}"))
        })?;
        if collected.len() + chunk.len() > limit {
            let seen = collected.len() + chunk.len();
            drop(collected);
            drain(stream, seen).await;
            return Err(ApiError::new(
                ErrorKind::RequestTooLarge,
                format!("Request body is larger than the gateway's limit of {limit} bytes (KIRO_GATEWAY_MAX_BODY_BYTES)."),
            ));
        }
        collected.extend_from_slice(&chunk);
    }
    Ok(Bytes::from(collected))
}

/// Read and drop the rest of a body, within the drain bounds.
async fn drain(mut stream: axum::body::BodyDataStream, mut seen: usize) {
    let _ = tokio::time::timeout(DRAIN_TIME, async {
        while seen < DRAIN_BYTES {
            match stream.next().await {
                Some(Ok(chunk)) => seen += chunk.len(),
                _ => break,
            }
        }
    })
    .await;
}
