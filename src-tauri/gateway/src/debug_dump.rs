//! Debug dumps: with `DEBUG_MODE` `errors` (failed requests only) or `all`, each model
//! request leaves a folder named by its request id under the dump directory with five files
//! ([`files`]): the client request, the Kiro request, the decoded upstream frames, the client
//! response and a summary of the error. Secrets are redacted ([`redact`]); the folder keeps at
//! most `max_count` dumps and `max_bytes` together, the oldest deleted first ([`store`]).
//!
//! `off` is the default: a dump holds whole prompts and answers. The mode can be changed
//! while running (`PUT /admin/dumps/mode`, the Logs view); that change lasts until the
//! gateway stops.
//!
//! With the mode off nothing is captured: the middleware reads the mode and passes the
//! request on, and the Kiro client has no tap to copy frames into.

pub mod bundle;
mod capture;
pub mod files;
mod middleware;
mod mode;
pub mod redact;
pub mod store;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;

pub use capture::DumpCapture;
pub use middleware::capture_dumps;
pub use mode::DumpMode;
pub use store::{DumpEntry, DumpStore};

use crate::logs::Redactor;

/// Default bounds of the dump folder.
pub const DEFAULT_MAX_COUNT: usize = 50;
pub const DEFAULT_MAX_BYTES: u64 = 100 * 1024 * 1024;
/// No part of one dump (request body, frames, …) keeps more than this.
const MAX_PART_BYTES: usize = 8 * 1024 * 1024;
/// The drift detector's file, beside the request folders.
pub const DRIFT_FILE: &str = "drift.json";

/// How dumps are configured (from `Config`).
#[derive(Debug, Clone, PartialEq)]
pub struct DumpSettings {
    pub mode: DumpMode,
    /// `None`: nowhere to write, dumps stay off.
    pub dir: Option<PathBuf>,
    pub max_count: usize,
    pub max_bytes: u64,
}

impl Default for DumpSettings {
    fn default() -> Self {
        DumpSettings {
            mode: DumpMode::Off,
            dir: None,
            max_count: DEFAULT_MAX_COUNT,
            max_bytes: DEFAULT_MAX_BYTES,
        }
    }
}

/// Why the mode cannot be changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("debug dumps have no folder to write to")]
pub struct NoDumpFolder;

/// The dumps of one gateway (shared).
pub struct DebugDumps {
    mode: AtomicU8,
    store: Option<Arc<DumpStore>>,
    redactor: Redactor,
}

impl Default for DebugDumps {
    fn default() -> Self {
        DebugDumps::new(DumpSettings::default(), Redactor::new())
    }
}

impl DebugDumps {
    pub fn new(settings: DumpSettings, redactor: Redactor) -> Self {
        let store = settings
            .dir
            .map(|dir| Arc::new(DumpStore::new(dir, settings.max_count, settings.max_bytes)));
        let mode = if store.is_some() {
            settings.mode
        } else {
            DumpMode::Off
        };
        DebugDumps {
            mode: AtomicU8::new(mode.to_u8()),
            store,
            redactor,
        }
    }

    pub fn mode(&self) -> DumpMode {
        DumpMode::from_u8(self.mode.load(Ordering::Relaxed))
    }

    /// Change the mode until the gateway stops.
    pub fn set_mode(&self, mode: DumpMode) -> Result<(), NoDumpFolder> {
        if self.store.is_none() && mode != DumpMode::Off {
            return Err(NoDumpFolder);
        }
        self.mode.store(mode.to_u8(), Ordering::Relaxed);
        tracing::info!(mode = %mode, "debug dumps: {mode}");
        Ok(())
    }

    pub fn store(&self) -> Option<&DumpStore> {
        self.store.as_deref()
    }

    pub fn dir(&self) -> Option<&Path> {
        self.store().map(DumpStore::dir)
    }

    /// Where the drift detector keeps its report.
    pub fn drift_file(&self) -> Option<PathBuf> {
        self.dir().map(|d| d.join(DRIFT_FILE))
    }

    pub fn redactor(&self) -> &Redactor {
        &self.redactor
    }

    /// Bytes any one part of a dump may keep: an eighth of the folder's bound, so one dump
    /// never outgrows it.
    pub(crate) fn part_cap(&self) -> usize {
        let bound = self.store.as_ref().map_or(0, |s| s.max_bytes) / 8;
        usize::try_from(bound)
            .unwrap_or(MAX_PART_BYTES)
            .min(MAX_PART_BYTES)
    }

    /// The request ended: write its dump if the mode it started under asks for one.
    pub async fn finish(&self, capture: DumpCapture) {
        let Some(store) = &self.store else {
            return;
        };
        let (request_id, files) = {
            let data = capture.lock();
            if data.mode == DumpMode::Errors && !data.failed() {
                return;
            }
            (
                data.request_id.clone(),
                files::render(&data, &self.redactor),
            )
        };
        let store = store.clone();
        let written = tokio::task::spawn_blocking(move || store.write(&request_id, &files)).await;
        match written {
            Ok(Ok(path)) => tracing::debug!("debug dump written to {}", path.display()),
            Ok(Err(err)) => tracing::warn!("could not write a debug dump: {err}"),
            Err(err) => tracing::warn!("could not write a debug dump: {err}"),
        }
    }
}
