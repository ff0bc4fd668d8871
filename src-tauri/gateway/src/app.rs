//! The state every request handler shares, passed explicitly (no globals).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Instant;

use crate::config::Config;
use crate::credit_ledger::CreditLedger;
use crate::debug_dump::DebugDumps;
use crate::drift::Drift;
use crate::key_attempts::KeyAttempts;
use crate::kiro::catalog::ModelCatalog;
use crate::kiro::usage_limits::UsageLimits;
use crate::kiro::KiroClient;
use crate::logs::LogBuffer;
use crate::secrets::Secret;

pub struct AppState {
    pub config: Config,
    pub kiro: KiroClient,
    pub models: Arc<ModelCatalog>,
    /// The account's remaining credits (GetUsageLimits), cached; `cached()` never does I/O.
    pub usage: Arc<UsageLimits>,
    /// The key clients must present; `None` only with `--no-auth` on loopback. Shared and
    /// replaceable (the UI's "Regenerate").
    pub api_key: ApiKey,
    pub started_at: Instant,
    pub metrics: Arc<Metrics>,
    /// Stored `/v1/responses` results (memory, LRU + TTL); shared across restarts.
    pub responses: Arc<crate::responses_store::ResponseStore>,
    /// Recent log lines and request records for the UI.
    pub logs: LogBuffer,
    /// Wrong keys per peer address (slows down guessing from the LAN).
    pub key_attempts: Arc<KeyAttempts>,
    /// Kiro credits spent per day (from each request's metering).
    pub credits: CreditLedger,
    /// The credit caps in force: `config`'s at start, then as the Settings view edits them.
    pub credit_caps: Arc<crate::credit_caps::LiveCaps>,
    /// Answers Kiro cut off, waiting for their conversation's next request.
    pub cut_offs: Arc<crate::cut_offs::CutOffs>,
    /// Per-request debug dumps (`DEBUG_MODE`).
    pub dumps: Arc<DebugDumps>,
    /// What Kiro sent that this version does not know.
    pub drift: Arc<Drift>,
    /// Whether a newer Kiro Gateway was published (the release feed).
    pub updates: Arc<crate::updates::UpdateChecker>,
}

/// What a gateway records: log lines and request rows, debug dumps, what Kiro sent that
/// this version does not know.
pub struct Records {
    pub logs: LogBuffer,
    pub dumps: Arc<DebugDumps>,
    pub drift: Arc<Drift>,
}

impl AppState {
    pub fn new(
        config: Config,
        kiro: KiroClient,
        models: Arc<ModelCatalog>,
        usage: Arc<UsageLimits>,
        api_key: Option<Secret<String>>,
        records: Records,
    ) -> Arc<Self> {
        let Records { logs, dumps, drift } = records;
        let metrics = Arc::new(Metrics::watching(&kiro));
        // Opening the file needs the runtime (its saver task); without one, memory only.
        let credits = match (&config.credits_file, tokio::runtime::Handle::try_current()) {
            (Some(path), Ok(_)) => CreditLedger::open(path.clone()),
            _ => CreditLedger::in_memory(),
        };
        let credit_caps = Arc::new(crate::credit_caps::LiveCaps::new(config.credit_caps));
        let updates = crate::updates::UpdateChecker::new(
            kiro.http().clone(),
            crate::updates::UpdateSettings {
                enabled: config.check_updates,
                feed: config.update_feed.clone(),
                public_key: config.update_public_key.clone(),
            },
        );
        Arc::new(AppState {
            config,
            kiro,
            models,
            usage,
            api_key: ApiKey::new(api_key),
            started_at: Instant::now(),
            metrics,
            responses: Default::default(),
            logs,
            key_attempts: Arc::default(),
            credits,
            credit_caps,
            cut_offs: Arc::default(),
            dumps,
            drift,
            updates,
        })
    }

    /// The same gateway (client, catalogue, usage, key, counters, logs) with another
    /// `config`: what a restart on a new address serves.
    pub fn with_config(&self, config: Config) -> Arc<Self> {
        Arc::new(AppState {
            config,
            kiro: self.kiro.clone(),
            models: self.models.clone(),
            usage: self.usage.clone(),
            api_key: self.api_key.clone(),
            started_at: self.started_at,
            metrics: self.metrics.clone(),
            responses: self.responses.clone(),
            logs: self.logs.clone(),
            key_attempts: self.key_attempts.clone(),
            credits: self.credits.clone(),
            credit_caps: self.credit_caps.clone(),
            cut_offs: self.cut_offs.clone(),
            dumps: self.dumps.clone(),
            drift: self.drift.clone(),
            updates: self.updates.clone(),
        })
    }
}

/// The proxy API key, shared by every state built from the same gateway and replaceable
/// while running.
#[derive(Clone, Default)]
pub struct ApiKey(Arc<RwLock<Option<Secret<String>>>>);

impl ApiKey {
    pub fn new(key: Option<Secret<String>>) -> Self {
        ApiKey(Arc::new(RwLock::new(key)))
    }

    /// The key in force (`None` = no auth).
    pub fn get(&self) -> Option<Secret<String>> {
        self.0.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub fn is_none(&self) -> bool {
        self.0.read().unwrap_or_else(|e| e.into_inner()).is_none()
    }

    /// Replace the key; requests with the old one fail from now on.
    pub fn set(&self, key: Secret<String>) {
        *self.0.write().unwrap_or_else(|e| e.into_inner()) = Some(key);
    }
}

/// Request counters for `/health` and the UI, and the Prometheus view for `/metrics`.
/// Relaxed atomics: no lock on the request path.
#[derive(Default)]
pub struct Metrics {
    pub requests: AtomicU64,
    pub errors: AtomicU64,
    pub active_streams: AtomicU64,
    pub prometheus: crate::metrics::Prometheus,
}

impl Metrics {
    /// Counters that also show `kiro`'s retries and token refreshes on `/metrics`.
    pub fn watching(kiro: &KiroClient) -> Self {
        Metrics {
            prometheus: crate::metrics::Prometheus::watching(kiro),
            ..Metrics::default()
        }
    }

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
        self.prometheus.stream_opened();
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
        self.0.prometheus.stream_closed();
    }
}
