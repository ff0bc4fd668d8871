//! Reading a request body with the configured size limit, failing in the caller's dialect.

use axum::body::{to_bytes, Body, Bytes};

use crate::error::{ApiError, ErrorKind};

/// The whole body, or 413 when it is larger than `limit` bytes.
pub async fn read_body(body: Body, limit: usize) -> Result<Bytes, ApiError> {
    to_bytes(body, limit).await.map_err(|err| {
        let too_large = std::error::Error::source(&err)
            .is_some_and(|s| s.is::<http_body_util::LengthLimitError>())
            || err.to_string().contains("length limit");
        if too_large {
            ApiError::new(
                ErrorKind::RequestTooLarge,
                format!("Request body is larger than the gateway's limit of {limit} bytes (KIRO_GATEWAY_MAX_BODY_BYTES)."),
            )
        } else {
            ApiError::invalid_request(format!("Could not read the request body: {err}"))
        }
    })
}
