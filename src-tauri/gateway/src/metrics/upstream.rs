//! Counters kept by the upstream side (the Kiro client's retries, the credential manager's
//! refreshes), read when `/metrics` is scraped: those parts stay free of the metrics crate
//! and nothing is counted twice.

use std::sync::Arc;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::MetricType;

use crate::kiro::login::ActiveLogin;
use crate::kiro::retries::{RetryCause, RetryCounts};

pub const RETRIES: &str = "kiro_gateway_upstream_retries";
pub const REFRESHES: &str = "kiro_gateway_token_refreshes";

pub struct UpstreamCollector {
    retries: Arc<RetryCounts>,
    /// The login in use: its refresh counts start from 0 after a switch (a counter reset).
    login: Arc<ActiveLogin>,
}

impl UpstreamCollector {
    pub fn new(retries: Arc<RetryCounts>, login: Arc<ActiveLogin>) -> Self {
        UpstreamCollector { retries, login }
    }
}

impl std::fmt::Debug for UpstreamCollector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("UpstreamCollector")
    }
}

impl Collector for UpstreamCollector {
    // Unlike a registered metric's, a collector's help text is written as given (no `.`
    // added), hence the full stops.
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let mut family = encoder.encode_descriptor(
            RETRIES,
            "Upstream calls sent again before answering the client, by cause.",
            None,
            MetricType::Counter,
        )?;
        for cause in RetryCause::ALL {
            let labels = [("cause", cause.label())];
            ConstCounter::new(self.retries.get(cause)).encode(family.encode_family(&labels)?)?;
        }
        let (ok, failed) = self.login.credentials().refresh_outcomes();
        let mut family = encoder.encode_descriptor(
            REFRESHES,
            "Kiro access-token refresh calls, by outcome.",
            None,
            MetricType::Counter,
        )?;
        for (outcome, n) in [("ok", ok), ("failed", failed)] {
            let labels = [("outcome", outcome)];
            ConstCounter::new(n).encode(family.encode_family(&labels)?)?;
        }
        Ok(())
    }
}
