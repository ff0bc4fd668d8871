//! Typed secrets and the stores that keep the proxy API key between runs.
//!
//! - [`KeyringStore`]: the OS keyring (service `kiro-gateway`, user `api-key`).
//! - [`FileStore`]: a 0600 file in the config dir, written atomically.
//! - [`MemoryStore`]: tests and the session-only fallback.
//! - [`resolve_api_key`]: configured key, else keyring, else file, else generate and store.
//!
//! Store calls can block (a locked keyring waits for a GUI prompt, possibly forever), so the
//! async helpers ([`get_async`], [`set_async`], [`delete_async`]) run them on a dedicated
//! thread with a timeout. They deliberately do not use `spawn_blocking`: the tokio runtime
//! waits for blocking-pool tasks when it shuts down, so a hung keyring call would hang
//! quitting the app; a detached thread does not.

mod api_key;
mod file;
mod keyring;
mod memory;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

pub use self::api_key::{
    generate_api_key, keys_match, regenerate_api_key, resolve_api_key,
    resolve_api_key_with_timeout, ApiKeyError, ApiKeyResolution, ApiKeySource, API_KEY_PREFIX,
    API_KEY_RANDOM_LEN, SESSION_ONLY_SOURCE,
};
pub use self::file::{FileStore, API_KEY_FILE_NAME};
pub use self::keyring::{KeyringStore, KEYRING_SERVICE, KEYRING_USER};
pub use self::memory::MemoryStore;

/// How long a store call may take before the store counts as unavailable.
pub const STORE_TIMEOUT: Duration = Duration::from_secs(3);

/// A value that never prints: `Debug` and `Display` show `***`, and it is not `Serialize`.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Secret<T>(T);

impl<T> Secret<T> {
    pub fn new(value: T) -> Self {
        Secret(value)
    }
    /// The raw value. Call sites are few and greppable: building an upstream header,
    /// writing a credential file, comparing an API key.
    pub fn expose(&self) -> &T {
        &self.0
    }
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl<T> fmt::Display for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl From<String> for Secret<String> {
    fn from(s: String) -> Self {
        Secret(s)
    }
}

/// What kind of place a [`SecretStore`] is (for [`ApiKeySource`] and messages).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreKind {
    Keyring,
    File,
    Memory,
    Other,
}

/// Where the proxy API key lives between runs. Calls may block: from async code use
/// [`get_async`] / [`set_async`] / [`delete_async`].
pub trait SecretStore: Send + Sync {
    /// What kind of store this is. Defaults to [`StoreKind::Other`].
    fn kind(&self) -> StoreKind {
        StoreKind::Other
    }
    /// A short human name for messages ("OS keyring", "file ~/.config/kiro-gateway/api-key").
    fn describe(&self) -> String;
    fn get(&self) -> Result<Option<Secret<String>>, SecretStoreError>;
    fn set(&self, value: &Secret<String>) -> Result<(), SecretStoreError>;
    fn delete(&self) -> Result<(), SecretStoreError>;
}

#[derive(Debug, thiserror::Error)]
pub enum SecretStoreError {
    #[error("secret store unavailable: {0}")]
    Unavailable(String),
    #[error("secret store I/O error: {0}")]
    Io(String),
}

/// The stores for the proxy API key, in resolution order: the OS keyring (if the `keyring`
/// crate can build an entry here), then `<config dir>/kiro-gateway/api-key`. Nothing is read
/// yet. The headless binary passes this list as both `stores` and `generate_into` to
/// [`resolve_api_key`]; the desktop app may pass only the keyring as `generate_into` and
/// offer the file as an explicit opt-in.
pub fn default_api_key_stores() -> Vec<Arc<dyn SecretStore>> {
    let mut stores: Vec<Arc<dyn SecretStore>> = Vec::new();
    match KeyringStore::new() {
        Ok(k) => stores.push(Arc::new(k)),
        Err(e) => tracing::warn!(error = %e, "OS keyring unavailable"),
    }
    if let Some(f) = FileStore::in_config_dir() {
        stores.push(Arc::new(f));
    }
    stores
}

/// Secret stores in the order they are tried.
pub type KeyStores = Vec<Arc<dyn SecretStore>>;

/// The desktop app's key stores: `(read, write)`. The key is read from the OS keyring, else
/// from the key file; a new key is written to the keyring only, and to the file only when
/// the user opted into it before (the file exists). Without a keyring the key then lasts for
/// the session and the UI offers the file ("Save to a file").
pub fn desktop_api_key_stores() -> (KeyStores, KeyStores) {
    let mut read = KeyStores::new();
    let mut write = KeyStores::new();
    match KeyringStore::new() {
        Ok(k) => {
            let k: Arc<dyn SecretStore> = Arc::new(k);
            read.push(k.clone());
            write.push(k);
        }
        Err(e) => tracing::warn!(error = %e, "OS keyring unavailable"),
    }
    if let Some(f) = FileStore::in_config_dir() {
        let opted_in = f.path().exists();
        let f: Arc<dyn SecretStore> = Arc::new(f);
        read.push(f.clone());
        if opted_in {
            write.push(f);
        }
    }
    (read, write)
}

/// Run a store call on its own thread, giving up after `timeout` with
/// [`SecretStoreError::Unavailable`] (the thread is left to finish on its own).
async fn off_thread<T, F>(
    store: &Arc<dyn SecretStore>,
    timeout: Duration,
    what: &'static str,
    op: F,
) -> Result<T, SecretStoreError>
where
    T: Send + 'static,
    F: FnOnce(&dyn SecretStore) -> Result<T, SecretStoreError> + Send + 'static,
{
    let (tx, rx) = tokio::sync::oneshot::channel();
    let name = store.describe();
    let store = Arc::clone(store);
    std::thread::Builder::new()
        .name("kgw-secret-store".into())
        .spawn(move || {
            let _ = tx.send(op(&*store));
        })
        .map_err(|e| SecretStoreError::Unavailable(format!("cannot start a thread: {e}")))?;
    match tokio::time::timeout(timeout, rx).await {
        Ok(Ok(result)) => result,
        Ok(Err(_)) => Err(SecretStoreError::Unavailable(format!(
            "{name}: the {what} call failed unexpectedly"
        ))),
        Err(_) => Err(SecretStoreError::Unavailable(format!(
            "{name} did not answer the {what} call within {} ms (locked or hung?)",
            timeout.as_millis()
        ))),
    }
}

/// [`SecretStore::get`] off the async runtime, with a timeout.
pub async fn get_async(
    store: &Arc<dyn SecretStore>,
    timeout: Duration,
) -> Result<Option<Secret<String>>, SecretStoreError> {
    off_thread(store, timeout, "read", |s| s.get()).await
}

/// [`SecretStore::set`] off the async runtime, with a timeout.
pub async fn set_async(
    store: &Arc<dyn SecretStore>,
    value: &Secret<String>,
    timeout: Duration,
) -> Result<(), SecretStoreError> {
    let value = value.clone();
    off_thread(store, timeout, "write", move |s| s.set(&value)).await
}

/// [`SecretStore::delete`] off the async runtime, with a timeout.
pub async fn delete_async(
    store: &Arc<dyn SecretStore>,
    timeout: Duration,
) -> Result<(), SecretStoreError> {
    off_thread(store, timeout, "delete", |s| s.delete()).await
}

/// A stored key must be header-safe: 1-512 visible ASCII characters.
pub(crate) fn is_valid_key_text(text: &str) -> bool {
    !text.is_empty() && text.len() <= 512 && text.bytes().all(|b| b.is_ascii_graphic())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_never_prints() {
        let s = Secret::new("hunter2".to_owned());
        assert_eq!(format!("{s:?} {s}"), "*** ***");
        assert_eq!(s.expose(), "hunter2");
        assert_eq!(s.into_inner(), "hunter2");
    }

    struct Hang;
    impl SecretStore for Hang {
        fn describe(&self) -> String {
            "hanging store".into()
        }
        fn get(&self) -> Result<Option<Secret<String>>, SecretStoreError> {
            std::thread::sleep(Duration::from_secs(5));
            Ok(None)
        }
        fn set(&self, _: &Secret<String>) -> Result<(), SecretStoreError> {
            std::thread::sleep(Duration::from_secs(5));
            Ok(())
        }
        fn delete(&self) -> Result<(), SecretStoreError> {
            Ok(())
        }
    }

    #[tokio::test]
    async fn hung_store_times_out_as_unavailable() {
        let store: Arc<dyn SecretStore> = Arc::new(Hang);
        let t0 = std::time::Instant::now();
        let e = get_async(&store, Duration::from_millis(100))
            .await
            .unwrap_err();
        assert!(t0.elapsed() < Duration::from_secs(2));
        assert!(
            matches!(e, SecretStoreError::Unavailable(ref m) if m.contains("hanging store")),
            "{e}"
        );
        let e = set_async(&store, &Secret::new("k".into()), Duration::from_millis(50))
            .await
            .unwrap_err();
        assert!(matches!(e, SecretStoreError::Unavailable(_)));
    }

    #[test]
    fn default_stores_are_keyring_then_file() {
        let stores = default_api_key_stores();
        let kinds: Vec<StoreKind> = stores.iter().map(|s| s.kind()).collect();
        assert!(kinds.ends_with(&[StoreKind::File]) || dirs::config_dir().is_none());
        if kinds.len() == 2 {
            assert_eq!(kinds[0], StoreKind::Keyring);
        }
    }

    #[tokio::test(flavor = "current_thread")]
    async fn async_helpers_work_on_a_current_thread_runtime() {
        let store: Arc<dyn SecretStore> = Arc::new(MemoryStore::new());
        set_async(&store, &Secret::new("abc".into()), STORE_TIMEOUT)
            .await
            .unwrap();
        let got = get_async(&store, STORE_TIMEOUT).await.unwrap().unwrap();
        assert_eq!(got.expose(), "abc");
        delete_async(&store, STORE_TIMEOUT).await.unwrap();
        assert!(get_async(&store, STORE_TIMEOUT).await.unwrap().is_none());
    }
}
