//! The Prometheus view of one gateway (`GET /metrics`): a registry owned by the gateway's
//! state (no global recorder), fed when a request ends ([`Prometheus::record`]), plus the
//! upstream counters read at scrape time ([`upstream`]).
//!
//! Metric names (README, "Metrics"):
//!
//! | Name | Type | Labels |
//! |---|---|---|
//! | `kiro_gateway_requests_total` | counter | `route`, `status`, `model` |
//! | `kiro_gateway_request_duration_seconds` | histogram | `route` |
//! | `kiro_gateway_time_to_first_token_seconds` | histogram | `route` |
//! | `kiro_gateway_active_streams` | gauge | |
//! | `kiro_gateway_tokens_total` | counter | `model`, `direction` (`input`/`output`) |
//! | `kiro_gateway_credits_total` | counter | `model` |
//! | `kiro_gateway_upstream_retries_total` | counter | `cause` |
//! | `kiro_gateway_token_refreshes_total` | counter | `outcome` (`ok`/`failed`) |
//!
//! Recording goes through the crate's atomics and per-family maps; there is no lock of the
//! gateway's own on the request path.

mod labels;
mod upstream;

use std::sync::atomic::AtomicU64;
use std::time::Duration;

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

pub use labels::OTHER_MODEL;
use labels::{ModelLabels, RequestLabels, RouteLabels, TokenLabels};

use crate::kiro::KiroClient;

/// `Content-Type` of the exposition: the Prometheus text format, version 0.0.4.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Upper bounds (seconds) of the request-duration buckets: a request can stream for minutes.
const DURATION_BUCKETS: [f64; 12] = [
    0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0,
];
/// Upper bounds (seconds) of the time-to-first-token buckets.
const TTFT_BUCKETS: [f64; 11] = [0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 15.0, 30.0, 60.0, 120.0];

type Histograms = Family<RouteLabels, Histogram, fn() -> Histogram>;

fn duration_histogram() -> Histogram {
    Histogram::new(DURATION_BUCKETS.iter().copied())
}

fn ttft_histogram() -> Histogram {
    Histogram::new(TTFT_BUCKETS.iter().copied())
}

/// One finished client request, as [`Prometheus::record`] counts it.
#[derive(Debug, Clone)]
pub struct Finished<'a> {
    /// The route as the router declares it (a fixed set).
    pub route: &'a str,
    pub status: u16,
    /// The resolved Kiro model id when the catalogue lists it, else [`OTHER_MODEL`].
    pub model: &'a str,
    pub duration: Duration,
    /// Until upstream's first event, when the request got that far.
    pub ttft: Option<Duration>,
    /// `(input, output)` tokens, when known.
    pub tokens: Option<(u64, u64)>,
    /// Kiro credits charged (metering events).
    pub credits: f64,
}

pub struct Prometheus {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    duration: Histograms,
    ttft: Histograms,
    active_streams: Gauge,
    tokens: Family<TokenLabels, Counter>,
    credits: Family<ModelLabels, Counter<f64, AtomicU64>>,
}

impl Default for Prometheus {
    fn default() -> Self {
        let mut registry = Registry::default();
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "kiro_gateway_requests",
            "Client requests to the generation routes, by route, status and model, counted when they end",
            requests.clone(),
        );
        let duration = Histograms::new_with_constructor(duration_histogram);
        registry.register(
            "kiro_gateway_request_duration_seconds",
            "From a request's arrival to its last byte (for a stream, the end of the stream)",
            duration.clone(),
        );
        let ttft = Histograms::new_with_constructor(ttft_histogram);
        registry.register(
            "kiro_gateway_time_to_first_token_seconds",
            "From a request's arrival to upstream's first event (retries included)",
            ttft.clone(),
        );
        let active_streams = Gauge::default();
        registry.register(
            "kiro_gateway_active_streams",
            "Streamed responses being sent right now",
            active_streams.clone(),
        );
        let tokens = Family::<TokenLabels, Counter>::default();
        registry.register(
            "kiro_gateway_tokens",
            "Tokens reported to clients, by model and direction (input or output)",
            tokens.clone(),
        );
        let credits = Family::<ModelLabels, Counter<f64, AtomicU64>>::default();
        registry.register(
            "kiro_gateway_credits",
            "Kiro credits charged (metering events), by model",
            credits.clone(),
        );
        Prometheus {
            registry,
            requests,
            duration,
            ttft,
            active_streams,
            tokens,
            credits,
        }
    }
}

impl Prometheus {
    /// The gateway's metrics plus the retries and refreshes of `kiro` and its credentials.
    pub fn watching(kiro: &KiroClient) -> Self {
        let mut metrics = Prometheus::default();
        metrics
            .registry
            .register_collector(Box::new(upstream::UpstreamCollector::new(
                kiro.retries().clone(),
                kiro.login().clone(),
            )));
        metrics
    }

    /// Count one finished request.
    pub fn record(&self, done: &Finished<'_>) {
        let model = done.model.to_owned();
        self.requests
            .get_or_create(&RequestLabels {
                route: done.route.to_owned(),
                status: done.status,
                model: model.clone(),
            })
            .inc();
        let route = RouteLabels {
            route: done.route.to_owned(),
        };
        self.duration
            .get_or_create(&route)
            .observe(done.duration.as_secs_f64());
        if let Some(ttft) = done.ttft {
            self.ttft.get_or_create(&route).observe(ttft.as_secs_f64());
        }
        if let Some((input, output)) = done.tokens {
            for (direction, n) in [("input", input), ("output", output)] {
                self.tokens
                    .get_or_create(&TokenLabels {
                        model: model.clone(),
                        direction,
                    })
                    .inc_by(n);
            }
        }
        if done.credits > 0.0 && done.credits.is_finite() {
            self.credits
                .get_or_create(&ModelLabels { model })
                .inc_by(done.credits);
        }
    }

    pub fn stream_opened(&self) {
        self.active_streams.inc();
    }

    pub fn stream_closed(&self) {
        self.active_streams.dec();
    }

    /// The exposition in the Prometheus text format ([`CONTENT_TYPE`]).
    pub fn encode(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::prometheus_text::encode(&mut out, &self.registry);
        out
    }
}

#[cfg(test)]
mod tests;
