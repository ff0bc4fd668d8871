//! Counts of the upstream calls [`KiroClient::generate`](super::KiroClient::generate) sent
//! again, by cause. Relaxed atomics; read by `GET /metrics`.

use std::sync::atomic::{AtomicU64, Ordering};

use super::UpstreamError;

/// Why an upstream call was sent again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryCause {
    /// A 429 that passes (request-rate throttling), waited out.
    Throttled,
    /// The model was short of capacity (retried once at most).
    Capacity,
    /// A 5xx or a network / connect failure.
    Transient,
    /// No response headers within `KIRO_HEADERS_TIMEOUT`.
    HeadersTimeout,
    /// No first event within `FIRST_TOKEN_TIMEOUT`.
    FirstTokenTimeout,
    /// The bearer-token 403: the access token was refreshed and the call sent again.
    BearerRejected,
}

impl RetryCause {
    pub const ALL: [RetryCause; 6] = [
        RetryCause::Throttled,
        RetryCause::Capacity,
        RetryCause::Transient,
        RetryCause::HeadersTimeout,
        RetryCause::FirstTokenTimeout,
        RetryCause::BearerRejected,
    ];

    /// The `cause` label value.
    pub fn label(self) -> &'static str {
        match self {
            RetryCause::Throttled => "throttled",
            RetryCause::Capacity => "capacity",
            RetryCause::Transient => "transient",
            RetryCause::HeadersTimeout => "headers_timeout",
            RetryCause::FirstTokenTimeout => "first_token_timeout",
            RetryCause::BearerRejected => "bearer_rejected",
        }
    }

    /// The cause of a resend after a headers or first-token timeout.
    pub fn of_no_answer(err: &UpstreamError) -> RetryCause {
        match err {
            UpstreamError::HeadersTimeout { .. } => RetryCause::HeadersTimeout,
            _ => RetryCause::FirstTokenTimeout,
        }
    }
}

/// Retries so far, one counter per [`RetryCause`]; shared by every clone of the client.
#[derive(Debug, Default)]
pub struct RetryCounts([AtomicU64; 6]);

impl RetryCounts {
    pub fn record(&self, cause: RetryCause) {
        self.0[cause as usize].fetch_add(1, Ordering::Relaxed);
    }

    pub fn get(&self, cause: RetryCause) -> u64 {
        self.0[cause as usize].load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_cause_has_its_own_counter_and_label() {
        let counts = RetryCounts::default();
        counts.record(RetryCause::Throttled);
        counts.record(RetryCause::Throttled);
        counts.record(RetryCause::BearerRejected);
        let got: Vec<_> = RetryCause::ALL
            .iter()
            .map(|c| (c.label(), counts.get(*c)))
            .collect();
        assert_eq!(
            got,
            [
                ("throttled", 2),
                ("capacity", 0),
                ("transient", 0),
                ("headers_timeout", 0),
                ("first_token_timeout", 0),
                ("bearer_rejected", 1)
            ]
        );
    }
}
