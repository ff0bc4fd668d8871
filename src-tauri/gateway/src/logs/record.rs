//! [`RequestRecord`]: one finished HTTP request, as the Logs view lists it.

use chrono::{DateTime, Utc};

/// One finished HTTP request.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct RequestRecord {
    /// Assigned by the buffer (shared counter with log lines).
    pub seq: u64,
    /// The request's `x-request-id` (see `crate::request_id`), when it went through the
    /// router.
    pub request_id: Option<String>,
    /// When the request arrived.
    pub time: DateTime<Utc>,
    pub method: String,
    /// The path, e.g. `/v1/chat/completions`.
    pub route: String,
    pub model: Option<String>,
    pub status: u16,
    pub stream: bool,
    /// Arrival to last byte sent.
    pub latency_ms: u64,
    /// Arrival to first content token (streams), if known.
    pub ttft_ms: Option<u64>,
    pub input_tokens: Option<u64>,
    pub output_tokens: Option<u64>,
    /// Kiro credits charged (its metering), when it said.
    pub credits: Option<f64>,
    /// Short error text for failed requests (redacted).
    pub error: Option<String>,
}
