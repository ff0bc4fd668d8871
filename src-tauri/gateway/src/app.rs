//! The state every request handler shares, passed explicitly (no globals).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use crate::config::Config;
use crate::kiro::catalog::ModelCatalog;
use crate::kiro::KiroClient;
use crate::secrets::Secret;

pub struct AppState {
    pub config: Config,
    pub kiro: KiroClient,
    pub models: Arc<ModelCatalog>,
    /// The key clients must present; `None` only with `--no-auth` on loopback.
    pub api_key: Option<Secret<String>>,
    pub started_at: Instant,
    pub metrics: Arc<Metrics>,
    /// Stored `/v1/responses` results (memory, LRU + TTL).
    pub responses: crate::responses_store::ResponseStore,
}

impl AppState {
    pub fn new(
        config: Config,
        kiro: KiroClient,
        models: Arc<ModelCatalog>,
        api_key: Option<Secret<String>>,
    ) -> Arc<Self> {
        Arc::new(AppState {
            config,
            kiro,
            models,
            api_key,
            started_at: Instant::now(),
            metrics: Arc::new(Metrics::default()),
            responses: Default::default(),
        })
    }
}

/// Request counters for `/health` and the UI. Relaxed atomics: no lock on the request path.
#[derive(Default)]
pub struct Metrics {
    pub requests: AtomicU64,
    pub errors: AtomicU64,
    pub active_streams: AtomicU64,
}

impl Metrics {
    pub fn snapshot(&self) -> MetricsSnapshot {
        MetricsSnapshot {
            requests: self.requests.load(Ordering::Relaxed),
            errors: self.errors.load(Ordering::Relaxed),
            active_streams: self.active_streams.load(Ordering::Relaxed),
        }
    }

    /// Counts an open stream until the guard is dropped.
    pub fn stream_guard(self: &Arc<Self>) -> StreamGuard {
        self.active_streams.fetch_add(1, Ordering::Relaxed);
        StreamGuard(self.clone())
    }
}

#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct MetricsSnapshot {
    pub requests: u64,
    pub errors: u64,
    pub active_streams: u64,
}

pub struct StreamGuard(Arc<Metrics>);

impl Drop for StreamGuard {
    fn drop(&mut self) {
        self.0.active_streams.fetch_sub(1, Ordering::Relaxed);
    }
}
