//! Atomic JSON writes (temp file in the same directory, fsync, rename) and read-only detection.

use std::io::{self, Write};
use std::path::Path;

/// Replace `path` with `value` (2-space indented, like the Kiro IDE) so that a reader, or a
/// crash at any instant, sees either the old complete file or the new complete file.
///
/// The temporary file lives in the same directory (rename is only atomic within one file
/// system), is fsynced before the rename, and gets the permissions of the file it replaces
/// (0600 for a new file on Unix). The directory is fsynced after the rename on Unix.
pub fn write_json_atomically(path: &Path, value: &serde_json::Value) -> io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "credentials".into());
    let mut bytes = serde_json::to_vec_pretty(value).map_err(io::Error::other)?;
    bytes.push(b'\n');

    let existing_perms = std::fs::metadata(path).ok().map(|m| m.permissions());
    let mut tmp = tempfile::Builder::new()
        .prefix(&format!(".{file_name}."))
        .suffix(".tmp")
        .tempfile_in(dir)?;
    tmp.as_file_mut().write_all(&bytes)?;
    tmp.as_file_mut().flush()?;
    tmp.as_file().sync_all()?;
    match existing_perms {
        Some(perms) => std::fs::set_permissions(tmp.path(), perms)?,
        None => set_private(tmp.path())?,
    }
    tmp.persist(path).map_err(|e| e.error)?;
    sync_dir(dir);
    remove_stale_temps(dir, &file_name);
    Ok(())
}

/// Temp files of writers killed mid-write (older than a minute, so never a live writer's).
fn remove_stale_temps(dir: &Path, file_name: &str) {
    let prefix = format!(".{file_name}.");
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if !(name.starts_with(&prefix) && name.ends_with(".tmp")) {
            continue;
        }
        let stale = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age > std::time::Duration::from_secs(60));
        if stale {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

#[cfg(unix)]
fn set_private(path: &Path) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
}

#[cfg(not(unix))]
fn set_private(_path: &Path) -> io::Result<()> {
    Ok(())
}

#[cfg(unix)]
fn sync_dir(dir: &Path) {
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
}

#[cfg(not(unix))]
fn sync_dir(_dir: &Path) {}

/// The error means "this place cannot be written", not "something went wrong".
pub(crate) fn is_read_only_error(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::PermissionDenied | io::ErrorKind::ReadOnlyFilesystem
    )
}

/// The file is marked read-only (checked explicitly so that the answer is the same when the
/// gateway runs as root, which ignores permission bits).
pub(crate) fn file_is_read_only(path: &Path) -> bool {
    std::fs::metadata(path)
        .map(|m| m.permissions().readonly())
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_and_replaces() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("t.json");
        write_json_atomically(&p, &serde_json::json!({"a": 1})).unwrap();
        write_json_atomically(&p, &serde_json::json!({"a": 2})).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&p).unwrap()).unwrap();
        assert_eq!(v["a"], 2);
        let leftovers = std::fs::read_dir(dir.path()).unwrap().count();
        assert_eq!(leftovers, 1, "no temp file left behind");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
    }
}
