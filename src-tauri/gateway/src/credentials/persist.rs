//! Writing refreshed tokens back to their source without holding a request for the owner's
//! lock: one short attempt right after the refresh, then — while kiro-cli keeps its database
//! locked — a few background attempts with growing pauses, and after those, more at the next
//! token request. Only the newest tokens are pending; a database that meanwhile holds other
//! tokens than the ones the gateway last saw there (kiro-cli wrote its own) is left alone.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::source::{self, Expected, WriteOutcome};
use super::token::TokenSet;
use super::{lock, Credentials};

/// How long the attempt made during the request waits for the owner's lock.
const REQUEST_WAIT: Duration = Duration::from_millis(200);
/// How long each background attempt waits for the lock.
const BACKGROUND_WAIT: Duration = Duration::from_secs(1);
/// Pauses before the background attempts (about 15 s in all, then the next request).
const RETRY_PAUSES: [Duration; 5] = [
    Duration::from_millis(500),
    Duration::from_secs(1),
    Duration::from_secs(2),
    Duration::from_secs(4),
    Duration::from_secs(8),
];

/// Tokens waiting to be written, and who writes them.
#[derive(Default)]
pub(super) struct WriteBack {
    /// The newest tokens not written yet, with a sequence number.
    pending: Mutex<Option<(u64, TokenSet)>>,
    seq: AtomicU64,
    /// One writer at a time.
    writing: tokio::sync::Mutex<()>,
    /// A background task is retrying.
    retrying: AtomicBool,
}

impl WriteBack {
    pub fn is_pending(&self) -> bool {
        lock(&self.pending).is_some()
    }
}

impl Credentials {
    /// Write refreshed tokens back to the source. Memory was updated first, so the watcher
    /// reading our own write sees nothing new. Waits at most [`REQUEST_WAIT`] for a lock.
    pub(super) async fn persist(&self, tokens: &TokenSet) {
        let seq = self.write_back.seq.fetch_add(1, Ordering::SeqCst) + 1;
        *lock(&self.write_back.pending) = Some((seq, tokens.clone()));
        // Someone is writing already; it takes these tokens next.
        let Ok(guard) = self.write_back.writing.try_lock() else {
            return;
        };
        let busy = self.write_pending(REQUEST_WAIT).await;
        drop(guard);
        if busy {
            self.retry_in_background();
        }
    }

    /// Tokens still pending after the background attempts gave up: try again now.
    pub(super) fn resume_write_back(&self) {
        if self.write_back.is_pending() {
            self.retry_in_background();
        }
    }

    fn retry_in_background(&self) {
        if self.write_back.retrying.swap(true, Ordering::SeqCst) {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            self.write_back.retrying.store(false, Ordering::SeqCst);
            return;
        };
        let me = self.me.clone();
        runtime.spawn(async move {
            for pause in RETRY_PAUSES {
                tokio::time::sleep(pause).await;
                let Some(creds) = me.upgrade() else { return };
                let _guard = creds.write_back.writing.lock().await;
                if !creds.write_pending(BACKGROUND_WAIT).await {
                    break;
                }
            }
            if let Some(creds) = me.upgrade() {
                creds.write_back.retrying.store(false, Ordering::SeqCst);
                if creds.write_back.is_pending() {
                    tracing::warn!(
                        source = %creds.source.describe(),
                        "the Kiro login database is still locked; the refreshed token is \
                         written back at a later request"
                    );
                }
            }
        });
    }

    /// Write the pending tokens (the caller holds `writing`), and any newer ones that arrive
    /// meanwhile. `true` when the source was busy and tokens are still pending.
    async fn write_pending(&self, wait: Duration) -> bool {
        loop {
            let Some((seq, tokens)) = lock(&self.write_back.pending).clone() else {
                return false;
            };
            let st = self.snapshot();
            let (source, written) = (self.source.clone(), tokens.clone());
            let (disk_access, disk_refresh) = (st.disk_access.clone(), st.disk_refresh.clone());
            let outcome = tokio::task::spawn_blocking(move || {
                let expected = Expected {
                    access: disk_access.as_ref(),
                    refresh: disk_refresh.as_ref(),
                };
                source::write_back(&source, &written, &expected, wait)
            })
            .await
            .unwrap_or_else(|e| WriteOutcome::Failed(format!("write-back task failed: {e}")));
            if let WriteOutcome::Busy(msg) = &outcome {
                tracing::info!("could not write the refreshed Kiro token back yet: {msg}");
                return true;
            }
            {
                let mut pending = lock(&self.write_back.pending);
                if pending.as_ref().is_some_and(|(s, _)| *s == seq) {
                    *pending = None;
                }
            }
            self.settle(&tokens, outcome);
        }
    }

    /// Record what a finished write-back attempt did.
    fn settle(&self, tokens: &TokenSet, outcome: WriteOutcome) {
        match outcome {
            WriteOutcome::Written => {
                let mut guard = self.state.write().unwrap_or_else(|e| e.into_inner());
                let mut next = (**guard).clone();
                next.disk_access = tokens.access_token.clone();
                next.disk_refresh = tokens.refresh_token.clone();
                *guard = Arc::new(next);
            }
            WriteOutcome::NotApplicable | WriteOutcome::Busy(_) => {}
            WriteOutcome::ReadOnly(msg) => {
                self.read_only.store(true, Ordering::SeqCst);
                if !self.read_only_warned.swap(true, Ordering::SeqCst) {
                    tracing::warn!(
                        "{msg}: keeping the refreshed Kiro token in memory only (it is not written back)"
                    );
                }
            }
            WriteOutcome::Superseded(msg) => {
                tracing::info!("not writing the refreshed Kiro token back: {msg}");
            }
            WriteOutcome::Failed(msg) => {
                tracing::warn!("could not write the refreshed Kiro token back: {msg}");
            }
        }
    }
}
