//! The proxy API key in a file only the user can read (`0600` on Unix), written atomically.
//!
//! Decision on loose permissions: a key file that is group/world-accessible is still read
//! (refusing would make start-up generate a new key and silently break every configured
//! client), but a warning is logged and the mode is tightened to `0600` on the spot.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use super::{is_valid_key_text, Secret, SecretStore, SecretStoreError, StoreKind};

/// File name of the key inside the config dir.
pub const API_KEY_FILE_NAME: &str = "api-key";

/// A single-line key file.
#[derive(Debug, Clone)]
pub struct FileStore {
    path: PathBuf,
}

impl FileStore {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        FileStore { path: path.into() }
    }

    /// `<OS config dir>/kiro-gateway/api-key`, e.g. `~/.config/kiro-gateway/api-key`.
    pub fn in_config_dir() -> Option<Self> {
        crate::paths::config_dir().map(|d| FileStore::new(d.join(API_KEY_FILE_NAME)))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn io_error(&self, what: &str, e: io::Error) -> SecretStoreError {
        SecretStoreError::Io(format!("{what} {}: {e}", self.path.display()))
    }
}

#[cfg(unix)]
fn tighten_if_loose(path: &Path, meta: &fs::Metadata) {
    use std::os::unix::fs::PermissionsExt;
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 == 0 {
        return;
    }
    match fs::set_permissions(path, fs::Permissions::from_mode(0o600)) {
        Ok(()) => tracing::warn!(
            path = %path.display(),
            "API key file was readable by other users (mode {mode:o}); changed it to 600. \
             Consider regenerating the key"
        ),
        Err(e) => tracing::warn!(
            path = %path.display(),
            "API key file is readable by other users (mode {mode:o}) and could not be \
             changed to 600: {e}"
        ),
    }
}

#[cfg(not(unix))]
fn tighten_if_loose(_path: &Path, _meta: &fs::Metadata) {}

#[cfg(unix)]
fn create_private_dir(dir: &Path) -> io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

#[cfg(not(unix))]
fn create_private_dir(dir: &Path) -> io::Result<()> {
    fs::create_dir_all(dir)
}

impl SecretStore for FileStore {
    fn kind(&self) -> StoreKind {
        StoreKind::File
    }

    fn describe(&self) -> String {
        format!("file {}", self.path.display())
    }

    fn get(&self) -> Result<Option<Secret<String>>, SecretStoreError> {
        let meta = match fs::metadata(&self.path) {
            Ok(m) => m,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(self.io_error("cannot read", e)),
        };
        if !meta.is_file() {
            return Err(SecretStoreError::Io(format!(
                "{} is not a regular file",
                self.path.display()
            )));
        }
        tighten_if_loose(&self.path, &meta);
        let text = fs::read_to_string(&self.path).map_err(|e| self.io_error("cannot read", e))?;
        let text = text.trim();
        if text.is_empty() {
            return Ok(None);
        }
        if !is_valid_key_text(text) {
            return Err(SecretStoreError::Io(format!(
                "{} does not hold a valid API key (one line of visible ASCII)",
                self.path.display()
            )));
        }
        Ok(Some(Secret::new(text.to_owned())))
    }

    /// Temp file (0600) in the same directory, fsync, rename over the target: readers see
    /// the old key or the new one, never a partial file.
    fn set(&self, value: &Secret<String>) -> Result<(), SecretStoreError> {
        let dir = match self.path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        create_private_dir(&dir).map_err(|e| self.io_error("cannot create the directory of", e))?;
        let mut tmp = tempfile::Builder::new()
            .prefix(".api-key.")
            .suffix(".tmp")
            .tempfile_in(&dir)
            .map_err(|e| self.io_error("cannot create a temp file next to", e))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            tmp.as_file()
                .set_permissions(fs::Permissions::from_mode(0o600))
                .map_err(|e| self.io_error("cannot restrict permissions for", e))?;
        }
        tmp.write_all(value.expose().as_bytes())
            .and_then(|()| tmp.write_all(b"\n"))
            .and_then(|()| tmp.as_file().sync_all())
            .map_err(|e| self.io_error("cannot write", e))?;
        tmp.persist(&self.path)
            .map_err(|e| self.io_error("cannot replace", e.error))?;
        #[cfg(unix)]
        if let Ok(d) = fs::File::open(&dir) {
            let _ = d.sync_all();
        }
        Ok(())
    }

    fn delete(&self) -> Result<(), SecretStoreError> {
        match fs::remove_file(&self.path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(self.io_error("cannot delete", e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_creates_dir_and_file() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileStore::new(
            dir.path()
                .join("nested/kiro-gateway")
                .join(API_KEY_FILE_NAME),
        );
        assert_eq!(store.kind(), StoreKind::File);
        assert!(store.describe().contains("api-key"));
        assert!(store.get().unwrap().is_none(), "missing file = no key");
        store.set(&Secret::new("kgw_first".into())).unwrap();
        assert_eq!(store.get().unwrap().unwrap().expose(), "kgw_first");
        assert_eq!(fs::read_to_string(store.path()).unwrap(), "kgw_first\n");
        store.set(&Secret::new("kgw_second".into())).unwrap();
        assert_eq!(store.get().unwrap().unwrap().expose(), "kgw_second");
        store.delete().unwrap();
        assert!(store.get().unwrap().is_none());
        store.delete().unwrap();
    }

    #[test]
    fn atomic_write_leaves_no_temp_files_and_replaces_by_rename() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(API_KEY_FILE_NAME);
        let store = FileStore::new(&path);
        store.set(&Secret::new("kgw_old".into())).unwrap();
        // A reader holding the old file keeps seeing the old content: the write replaced
        // the directory entry instead of truncating the file in place.
        let old = fs::File::open(&path).unwrap();
        store.set(&Secret::new("kgw_new".into())).unwrap();
        let mut seen = String::new();
        io::Read::read_to_string(&mut &old, &mut seen).unwrap();
        assert_eq!(seen, "kgw_old\n");
        assert_eq!(fs::read_to_string(&path).unwrap(), "kgw_new\n");
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(names, vec![API_KEY_FILE_NAME.to_owned()]);
    }

    #[cfg(unix)]
    #[test]
    fn file_is_0600_and_dir_0700() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join("kiro-gateway");
        let store = FileStore::new(sub.join(API_KEY_FILE_NAME));
        store.set(&Secret::new("kgw_x".into())).unwrap();
        let mode = fs::metadata(store.path()).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let dmode = fs::metadata(&sub).unwrap().permissions().mode() & 0o777;
        assert_eq!(dmode, 0o700);
    }

    #[cfg(unix)]
    #[test]
    fn loose_permissions_are_tightened_and_key_still_read() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(API_KEY_FILE_NAME);
        fs::write(&path, "kgw_loose\n").unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        let store = FileStore::new(&path);
        assert_eq!(store.get().unwrap().unwrap().expose(), "kgw_loose");
        let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }

    #[test]
    fn garbage_and_empty_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(API_KEY_FILE_NAME);
        let store = FileStore::new(&path);
        fs::write(&path, "  \n").unwrap();
        assert!(store.get().unwrap().is_none());
        fs::write(&path, "two words\n").unwrap();
        let e = store.get().unwrap_err();
        assert!(matches!(e, SecretStoreError::Io(_)));
        assert!(
            !e.to_string().contains("words"),
            "content never echoed: {e}"
        );
        let dir_store = FileStore::new(dir.path());
        assert!(dir_store.get().is_err(), "a directory is not a key file");
    }
}
