//! Debounced watcher on the source's parent directory. Watching the directory (not the file)
//! keeps working when the IDE or kiro-cli replaces the file by rename, any number of times.

use std::ffi::OsString;
use std::path::Path;
use std::sync::{Arc, Weak};
use std::time::Duration;

use notify_debouncer_full::notify::{RecommendedWatcher, RecursiveMode};
use notify_debouncer_full::{new_debouncer, DebounceEventResult, Debouncer, RecommendedCache};

use super::{CredentialError, Credentials};

/// How long the directory must be quiet before the source is re-read.
pub(crate) const DEBOUNCE: Duration = Duration::from_millis(300);

/// The running watcher; dropping it stops the watch.
pub(crate) struct Handle {
    _debouncer: Debouncer<RecommendedWatcher, RecommendedCache>,
}

/// Start watching `creds`' source. `Ok(None)` when the source is not a file.
pub(crate) fn start(creds: &Arc<Credentials>) -> Result<Option<Handle>, CredentialError> {
    let Some(file) = creds.source_file() else {
        return Ok(None);
    };
    let dir = match file.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => Path::new(".").to_path_buf(),
    };
    let Some(name) = file.file_name().map(|n| n.to_os_string()) else {
        return Ok(None);
    };
    // SQLite writes may land in the journal / WAL first.
    let names: Vec<OsString> = ["", "-wal", "-journal"]
        .iter()
        .map(|suffix| {
            let mut n = name.clone();
            n.push(suffix);
            n
        })
        .collect();
    let weak: Weak<Credentials> = Arc::downgrade(creds);
    let mut debouncer = new_debouncer(DEBOUNCE, None, move |result: DebounceEventResult| {
        let Ok(events) = result else { return };
        let relevant = events.iter().any(|ev| {
            ev.event
                .paths
                .iter()
                .any(|p| p.file_name().is_some_and(|n| names.iter().any(|x| x == n)))
        });
        if !relevant {
            return;
        }
        if let Some(creds) = weak.upgrade() {
            creds.reload_from_source();
        }
    })
    .map_err(|e| CredentialError::Invalid(format!("cannot watch {}: {e}", dir.display())))?;
    debouncer
        .watch(&dir, RecursiveMode::NonRecursive)
        .map_err(|e| CredentialError::Invalid(format!("cannot watch {}: {e}", dir.display())))?;
    tracing::debug!(dir = %dir.display(), "watching the credential source");
    Ok(Some(Handle {
        _debouncer: debouncer,
    }))
}
