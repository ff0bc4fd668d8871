//! The OS keyring (Secret Service on Linux, Keychain on macOS, Credential Manager on Windows)
//! through the `keyring` crate. Every call blocks; use the async helpers in the parent module.

use keyring::Entry;

use super::{is_valid_key_text, Secret, SecretStore, SecretStoreError, StoreKind};

/// Keyring service name of the proxy API key.
pub const KEYRING_SERVICE: &str = "kiro-gateway";
/// Keyring user name of the proxy API key.
pub const KEYRING_USER: &str = "api-key";

/// The proxy API key in the OS keyring.
pub struct KeyringStore {
    entry: Entry,
    service: String,
    user: String,
}

impl KeyringStore {
    /// Service `kiro-gateway`, user `api-key`. Creating the entry does not talk to the
    /// keyring yet; failures show up on the first call.
    pub fn new() -> Result<Self, SecretStoreError> {
        Self::with_names(KEYRING_SERVICE, KEYRING_USER)
    }

    /// Another service/user pair (tests use their own so they never touch the real key).
    pub fn with_names(service: &str, user: &str) -> Result<Self, SecretStoreError> {
        let entry = Entry::new(service, user).map_err(map_error)?;
        Ok(KeyringStore {
            entry,
            service: service.into(),
            user: user.into(),
        })
    }

    /// Wrap a ready-made entry, e.g. one over `keyring::mock::MockCredential`.
    pub fn with_entry(entry: Entry) -> Self {
        KeyringStore {
            entry,
            service: KEYRING_SERVICE.into(),
            user: KEYRING_USER.into(),
        }
    }
}

/// Keyring failures that mean "no usable keyring here" become `Unavailable`; the rest `Io`.
pub(crate) fn map_error(e: keyring::Error) -> SecretStoreError {
    match e {
        keyring::Error::NoStorageAccess(_) | keyring::Error::PlatformFailure(_) => {
            SecretStoreError::Unavailable(e.to_string())
        }
        keyring::Error::BadEncoding(_) => {
            SecretStoreError::Io("the keyring item is not valid UTF-8".into())
        }
        keyring::Error::Ambiguous(items) => SecretStoreError::Io(format!(
            "{} keyring items match; remove the duplicates",
            items.len()
        )),
        other => SecretStoreError::Io(other.to_string()),
    }
}

impl SecretStore for KeyringStore {
    fn kind(&self) -> StoreKind {
        StoreKind::Keyring
    }

    fn describe(&self) -> String {
        format!("OS keyring (service {}, user {})", self.service, self.user)
    }

    fn get(&self) -> Result<Option<Secret<String>>, SecretStoreError> {
        match self.entry.get_password() {
            Ok(value) => {
                let value = value.trim();
                if value.is_empty() {
                    Ok(None)
                } else if is_valid_key_text(value) {
                    Ok(Some(Secret::new(value.to_owned())))
                } else {
                    Err(SecretStoreError::Io(
                        "the keyring item does not hold a valid API key".into(),
                    ))
                }
            }
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(map_error(e)),
        }
    }

    fn set(&self, value: &Secret<String>) -> Result<(), SecretStoreError> {
        self.entry.set_password(value.expose()).map_err(map_error)
    }

    fn delete(&self) -> Result<(), SecretStoreError> {
        match self.entry.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(map_error(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use keyring::mock::MockCredential;

    use super::super::{delete_async, get_async, set_async, STORE_TIMEOUT};
    use super::*;

    fn mock_store() -> KeyringStore {
        KeyringStore::with_entry(Entry::new_with_credential(Box::new(
            MockCredential::default(),
        )))
    }

    fn inject(store: &KeyringStore, err: keyring::Error) {
        store
            .entry
            .get_credential()
            .downcast_ref::<MockCredential>()
            .expect("a mock credential")
            .set_error(err);
    }

    #[test]
    fn mock_round_trip() {
        let s = mock_store();
        assert_eq!(s.kind(), StoreKind::Keyring);
        assert!(s.describe().contains("kiro-gateway"));
        assert!(s.get().unwrap().is_none(), "NoEntry is None");
        s.set(&Secret::new("kgw_abc".into())).unwrap();
        assert_eq!(s.get().unwrap().unwrap().expose(), "kgw_abc");
        s.delete().unwrap();
        assert!(s.get().unwrap().is_none());
        s.delete().unwrap();
    }

    #[test]
    fn error_mapping() {
        let s = mock_store();
        inject(&s, keyring::Error::NoStorageAccess("locked".into()));
        assert!(matches!(s.get(), Err(SecretStoreError::Unavailable(_))));
        inject(&s, keyring::Error::PlatformFailure("no dbus".into()));
        assert!(matches!(
            s.set(&Secret::new("k".into())),
            Err(SecretStoreError::Unavailable(_))
        ));
        inject(&s, keyring::Error::BadEncoding(vec![0xff]));
        assert!(matches!(s.get(), Err(SecretStoreError::Io(_))));
    }

    /// Without any session bus the real keyring must fail fast as `Unavailable`, not hang
    /// or panic. Runs only where that is the case (Linux, no `DBUS_SESSION_BUS_ADDRESS`).
    #[tokio::test(flavor = "multi_thread", worker_threads = 1)]
    async fn real_keyring_without_session_bus_is_unavailable() {
        if !cfg!(target_os = "linux") || std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some() {
            eprintln!("note: skipped (a session bus may exist here)");
            return;
        }
        let store: Arc<dyn SecretStore> =
            match KeyringStore::with_names("kiro-gateway-test", "api-key") {
                Ok(s) => Arc::new(s),
                Err(e) => {
                    assert!(matches!(e, SecretStoreError::Unavailable(_)), "{e}");
                    return;
                }
            };
        let e = get_async(&store, Duration::from_secs(5)).await.unwrap_err();
        assert!(matches!(e, SecretStoreError::Unavailable(_)), "{e}");
    }

    /// The real keyring, under service `kiro-gateway-test`. `.ci/run` runs it in a
    /// `dbus-run-session` with an unlocked gnome-keyring.
    #[tokio::test(flavor = "multi_thread", worker_threads = 1)]
    #[ignore = "needs an unlocked Secret Service; .ci/run provides one"]
    async fn keyring_real_round_trip() {
        let store: Arc<dyn SecretStore> =
            Arc::new(KeyringStore::with_names("kiro-gateway-test", "api-key").unwrap());
        let key = Secret::new("kgw_test_value_for_keyring_round_trip".to_owned());
        set_async(&store, &key, STORE_TIMEOUT).await.unwrap();
        let got = get_async(&store, STORE_TIMEOUT).await.unwrap().unwrap();
        assert_eq!(got.expose(), key.expose());
        delete_async(&store, STORE_TIMEOUT).await.unwrap();
        assert!(get_async(&store, STORE_TIMEOUT).await.unwrap().is_none());
    }
}
