//! The file work of a connect: read, back up the originals, write atomically, restore.
//!
//! Backups live in `<backups dir>/<client>/`: each original file's bytes (`<n>.orig`) and a
//! `manifest.json` naming the path, whether the file existed and its mode. The manifest is
//! written after the copies and only on the first connect, so a second connect (another
//! model) keeps the state from before the gateway ever touched the file, and undo always
//! returns to it: the original bytes, or no file when there was none.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use super::{ConnectError, ConnectErrorCode};

const MANIFEST: &str = "manifest.json";

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct BackupEntry {
    pub path: PathBuf,
    pub existed: bool,
    /// File name of the copy inside the backup folder (when the file existed).
    pub copy: Option<String>,
    /// Unix permission bits of the original.
    pub mode: Option<u32>,
    /// Whether the file's folder existed (undo removes a folder the connect made, if empty).
    #[serde(default = "existed_by_default")]
    pub dir_existed: bool,
}

fn existed_by_default() -> bool {
    true
}

#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Manifest {
    pub files: Vec<BackupEntry>,
}

/// The bytes of `path`, `None` when there is no such file.
pub fn read(path: &Path) -> Result<Option<Vec<u8>>, ConnectError> {
    match fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(ConnectError::io(path, "read", e)),
    }
}

/// The manifest of `dir`, if a connect left one.
pub fn manifest(dir: &Path) -> Result<Option<Manifest>, ConnectError> {
    let path = dir.join(MANIFEST);
    let Some(bytes) = read(&path)? else {
        return Ok(None);
    };
    serde_json::from_slice(&bytes)
        .map(Some)
        .map_err(|e| ConnectError::unreadable(&path, e))
}

/// Keep the originals of `paths` in `dir` (those it does not hold yet). `originals[i]` is
/// the current content of `paths[i]`.
pub fn back_up(
    dir: &Path,
    paths: &[PathBuf],
    originals: &[Option<Vec<u8>>],
) -> Result<(), ConnectError> {
    let mut manifest = manifest(dir)?.unwrap_or_default();
    let mut added = false;
    for (path, original) in paths.iter().zip(originals) {
        if manifest.files.iter().any(|f| &f.path == path) {
            continue;
        }
        let n = manifest.files.len();
        let copy = match original {
            Some(bytes) => {
                let name = format!("{n}.orig");
                write_atomically(&dir.join(&name), bytes, Some(0o600))
                    .map_err(|e| ConnectError::io(&dir.join(&name), "write the backup", e))?;
                Some(name)
            }
            None => None,
        };
        manifest.files.push(BackupEntry {
            path: path.clone(),
            existed: original.is_some(),
            copy,
            mode: mode_of(path),
            dir_existed: path.parent().is_none_or(Path::is_dir),
        });
        added = true;
    }
    if added {
        let bytes = serde_json::to_vec_pretty(&manifest).expect("a manifest serialises");
        write_atomically(&dir.join(MANIFEST), &bytes, Some(0o600))
            .map_err(|e| ConnectError::io(&dir.join(MANIFEST), "write the backup list", e))?;
    }
    Ok(())
}

/// One file as undo leaves it: `restored` is `None` when the file is removed.
pub struct Restored {
    pub path: PathBuf,
    pub current: Option<Vec<u8>>,
    pub restored: Option<Vec<u8>>,
}

/// Put every file of `dir`'s manifest back as it was, then drop the backups.
pub fn restore(dir: &Path) -> Result<Vec<Restored>, ConnectError> {
    let manifest = manifest(dir)?.ok_or_else(|| {
        ConnectError::new(
            ConnectErrorCode::NotConnected,
            "There is nothing to undo: this client was not connected from here.",
            "Connect it first; undo restores the files as they were before.",
        )
    })?;
    let mut done = Vec::new();
    for entry in &manifest.files {
        let current = read(&entry.path)?;
        let restored = match &entry.copy {
            Some(name) if entry.existed => {
                let bytes = read(&dir.join(name))?.ok_or_else(|| {
                    ConnectError::new(
                        ConnectErrorCode::Io,
                        format!("The backup of {} is missing.", entry.path.display()),
                        "Restore the file by hand.",
                    )
                })?;
                write_atomically(&entry.path, &bytes, entry.mode)
                    .map_err(|e| ConnectError::io(&entry.path, "restore", e))?;
                Some(bytes)
            }
            _ => {
                match fs::remove_file(&entry.path) {
                    Ok(()) => {}
                    Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                    Err(e) => return Err(ConnectError::io(&entry.path, "remove", e)),
                }
                if !entry.dir_existed {
                    if let Some(parent) = entry.path.parent() {
                        // Fails, as it should, when something else was put there since.
                        let _ = fs::remove_dir(parent);
                    }
                }
                None
            }
        };
        done.push(Restored {
            path: entry.path.clone(),
            current,
            restored,
        });
    }
    fs::remove_dir_all(dir).map_err(|e| ConnectError::io(dir, "remove the backups in", e))?;
    Ok(done)
}

#[cfg(unix)]
fn mode_of(path: &Path) -> Option<u32> {
    use std::os::unix::fs::PermissionsExt;
    fs::metadata(path)
        .ok()
        .map(|m| m.permissions().mode() & 0o7777)
}

#[cfg(not(unix))]
fn mode_of(_path: &Path) -> Option<u32> {
    None
}

/// Write through a temp file in the same folder (fsynced, then renamed over `path`), so a
/// crash leaves the old file or the new one, never half of one. The file keeps its
/// permissions; a new one gets `new_mode` (Unix). A symlink is followed: its target is
/// written and the link stays.
pub fn write_atomically(path: &Path, bytes: &[u8], new_mode: Option<u32>) -> io::Result<()> {
    let path = match fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => fs::canonicalize(path)?,
        _ => path.to_path_buf(),
    };
    let dir = path.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(dir)?;
    let keep = fs::metadata(&path).ok().map(|m| m.permissions());
    let mut tmp = tempfile::Builder::new()
        .prefix(".kiro-gateway-connect.")
        .tempfile_in(dir)?;
    tmp.as_file_mut().write_all(bytes)?;
    tmp.as_file().sync_all()?;
    match keep {
        Some(permissions) => fs::set_permissions(tmp.path(), permissions)?,
        None => set_mode(tmp.path(), new_mode)?,
    }
    tmp.persist(&path).map_err(|e| e.error)?;
    #[cfg(unix)]
    if let Ok(d) = fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: Option<u32>) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(mode.unwrap_or(0o644)))
}

#[cfg(not(unix))]
fn set_mode(_path: &Path, _mode: Option<u32>) -> io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn undo_restores_bytes_and_removes_files_that_did_not_exist() {
        let dir = tempfile::tempdir().unwrap();
        let backups = dir.path().join("backups/codex");
        let kept = dir.path().join("kept.toml");
        let fresh = dir.path().join("sub/fresh.json");
        let original = b"# odd bytes \xff\r\nno newline".to_vec();
        fs::write(&kept, &original).unwrap();
        let paths = vec![kept.clone(), fresh.clone()];
        back_up(&backups, &paths, &[Some(original.clone()), None]).unwrap();
        write_atomically(&kept, b"new", None).unwrap();
        write_atomically(&fresh, b"{}", Some(0o600)).unwrap();
        // A second connect does not replace the originals.
        back_up(
            &backups,
            &paths,
            &[Some(b"new".to_vec()), Some(b"{}".to_vec())],
        )
        .unwrap();
        let done = restore(&backups).unwrap();
        assert_eq!(fs::read(&kept).unwrap(), original);
        assert!(!fresh.exists());
        assert!(
            !fresh.parent().unwrap().exists(),
            "the folder the connect made goes too"
        );
        assert_eq!(done[0].current.as_deref(), Some(&b"new"[..]));
        assert_eq!(done[1].restored, None);
        assert!(!backups.exists(), "backups are dropped after undo");
        let again = restore(&backups).err().unwrap();
        assert_eq!(again.code, ConnectErrorCode::NotConnected);
    }

    #[cfg(unix)]
    #[test]
    fn a_rewrite_keeps_the_mode_and_follows_a_symlink() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("dotfiles/settings.json");
        fs::create_dir_all(real.parent().unwrap()).unwrap();
        fs::write(&real, "old").unwrap();
        fs::set_permissions(&real, fs::Permissions::from_mode(0o640)).unwrap();
        let link = dir.path().join("settings.json");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        write_atomically(&link, b"new", Some(0o600)).unwrap();
        assert!(fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(fs::read(&real).unwrap(), b"new");
        let mode = fs::metadata(&real).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o640);
        let created = dir.path().join("new/keys.json");
        write_atomically(&created, b"{}", Some(0o600)).unwrap();
        let mode = fs::metadata(&created).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
}
