//! Resolving, generating and comparing the proxy API key.

use std::sync::Arc;
use std::time::Duration;

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::{get_async, set_async, Secret, SecretStore, StoreKind, STORE_TIMEOUT};

/// Prefix of generated keys (recognisable in configs and by secret scanners).
pub const API_KEY_PREFIX: &str = "kgw_";
/// Random characters after the prefix (6 bits each: 240 bits).
pub const API_KEY_RANDOM_LEN: usize = 40;

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Where the key in use came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiKeySource {
    /// `--api-key`, `KIRO_GATEWAY_API_KEY` / `PROXY_API_KEY`, or `api_key` in the TOML file.
    Configured,
    /// Read from the OS keyring.
    Keyring,
    /// Read from the key file.
    File,
    /// Read from another kind of store (its description).
    Store(String),
    /// Generated now and stored in the described store.
    Generated { stored_in: String },
    /// Generated now, but no store accepted it: valid until the gateway stops.
    SessionOnly,
}

/// What the UI shows for a key that no store kept (matched by the Settings view).
pub const SESSION_ONLY_SOURCE: &str = "this session only (no store accepted it)";

impl ApiKeySource {
    /// Whether the key was found (configured or in a store), not made up just now.
    pub fn is_stored_or_configured(&self) -> bool {
        matches!(
            self,
            ApiKeySource::Configured
                | ApiKeySource::Keyring
                | ApiKeySource::File
                | ApiKeySource::Store(_)
        )
    }

    /// Where the key lives, for people (never the key).
    pub fn describe(&self) -> String {
        match self {
            ApiKeySource::Configured => {
                "configured (--api-key, KIRO_GATEWAY_API_KEY or config.toml)".into()
            }
            ApiKeySource::Keyring => "OS keyring".into(),
            ApiKeySource::File => "key file".into(),
            ApiKeySource::Store(name) => name.clone(),
            ApiKeySource::Generated { stored_in } => stored_in.clone(),
            ApiKeySource::SessionOnly => SESSION_ONLY_SOURCE.into(),
        }
    }
}

/// The outcome of [`resolve_api_key`].
#[derive(Debug, Clone)]
pub struct ApiKeyResolution {
    pub key: Secret<String>,
    pub source: ApiKeySource,
    /// A one-time note for the terminal / UI (never contains the key): where a generated
    /// key lives, or that a store was unavailable and another one was used.
    pub message_for_user: Option<String>,
    /// `"<store>: <error>"` for every store that failed along the way (for logs/doctor).
    pub store_errors: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ApiKeyError {
    #[error("cannot generate an API key: the OS random number generator failed: {0}")]
    Random(String),
}

/// `kgw_` + 40 characters of `[A-Za-z0-9_-]` from the OS CSPRNG.
pub fn generate_api_key() -> Result<Secret<String>, ApiKeyError> {
    use rand::TryRngCore;
    let mut bytes = [0u8; API_KEY_RANDOM_LEN];
    rand::rngs::OsRng
        .try_fill_bytes(&mut bytes)
        .map_err(|e| ApiKeyError::Random(e.to_string()))?;
    let mut key = String::with_capacity(API_KEY_PREFIX.len() + API_KEY_RANDOM_LEN);
    key.push_str(API_KEY_PREFIX);
    // 256 is a multiple of 64, so `b & 63` is uniform over the alphabet.
    key.extend(bytes.iter().map(|b| ALPHABET[usize::from(b & 63)] as char));
    bytes.fill(0);
    Ok(Secret::new(key))
}

/// Constant-time comparison of the configured key with the one a client presented.
/// Both sides are hashed first, so neither a length difference nor the position of the
/// first differing byte changes the work done on the expected key. An empty expected key
/// never matches.
pub fn keys_match(expected: &Secret<String>, presented: &str) -> bool {
    let expected = expected.expose().as_bytes();
    let a = Sha256::digest(expected);
    let b = Sha256::digest(presented.as_bytes());
    let same: bool = a.as_slice().ct_eq(b.as_slice()).into();
    same & !expected.is_empty()
}

fn same_store(a: &Arc<dyn SecretStore>, b: &Arc<dyn SecretStore>) -> bool {
    std::ptr::eq(Arc::as_ptr(a) as *const (), Arc::as_ptr(b) as *const ())
}

const HOW_TO_SEND: &str =
    "Clients send it as a bearer token in the `Authorization` header, or in `x-api-key`.";

/// The proxy API key: the configured one; else the first store holding one (keyring, then
/// file — pass them in that order); else a new key stored in the first of `generate_into`
/// that accepts it (keyring, else the 0600 file); else a session-only key.
///
/// A store that errors or does not answer within [`STORE_TIMEOUT`] counts as unavailable
/// and the next one is tried; stores that failed on read are not written to. The key is
/// never logged; the caller shows a generated key once.
pub async fn resolve_api_key(
    configured: Option<Secret<String>>,
    stores: &[Arc<dyn SecretStore>],
    generate_into: &[Arc<dyn SecretStore>],
) -> Result<ApiKeyResolution, ApiKeyError> {
    resolve_api_key_with_timeout(configured, stores, generate_into, STORE_TIMEOUT).await
}

/// [`resolve_api_key`] with a custom per-call store timeout.
pub async fn resolve_api_key_with_timeout(
    configured: Option<Secret<String>>,
    stores: &[Arc<dyn SecretStore>],
    generate_into: &[Arc<dyn SecretStore>],
    timeout: Duration,
) -> Result<ApiKeyResolution, ApiKeyError> {
    if let Some(key) = configured {
        return Ok(ApiKeyResolution {
            key,
            source: ApiKeySource::Configured,
            message_for_user: None,
            store_errors: Vec::new(),
        });
    }

    let mut errors = Vec::new();
    let mut failed: Vec<&Arc<dyn SecretStore>> = Vec::new();
    for store in stores {
        match get_async(store, timeout).await {
            Ok(Some(key)) => {
                let source = match store.kind() {
                    StoreKind::Keyring => ApiKeySource::Keyring,
                    StoreKind::File => ApiKeySource::File,
                    _ => ApiKeySource::Store(store.describe()),
                };
                let message_for_user = (!errors.is_empty()).then(|| {
                    format!(
                        "Using the API key from {} ({}).",
                        store.describe(),
                        errors.join("; ")
                    )
                });
                return Ok(ApiKeyResolution {
                    key,
                    source,
                    message_for_user,
                    store_errors: errors,
                });
            }
            Ok(None) => {}
            Err(e) => {
                tracing::warn!(store = %store.describe(), error = %e, "API key store failed");
                errors.push(format!("{}: {e}", store.describe()));
                failed.push(store);
            }
        }
    }

    let usable: Vec<Arc<dyn SecretStore>> = generate_into
        .iter()
        .filter(|s| !failed.iter().any(|f| same_store(f, s)))
        .cloned()
        .collect();
    store_new_key(&usable, errors, timeout).await
}

/// Generate a new key and store it in the first of `generate_into` that accepts it (the
/// UI's "Regenerate"). Falls back to a session-only key when none does.
pub async fn regenerate_api_key(
    generate_into: &[Arc<dyn SecretStore>],
) -> Result<ApiKeyResolution, ApiKeyError> {
    store_new_key(generate_into, Vec::new(), STORE_TIMEOUT).await
}

async fn store_new_key(
    generate_into: &[Arc<dyn SecretStore>],
    mut errors: Vec<String>,
    timeout: Duration,
) -> Result<ApiKeyResolution, ApiKeyError> {
    let key = generate_api_key()?;
    for store in generate_into {
        match set_async(store, &key, timeout).await {
            Ok(()) => {
                let stored_in = store.describe();
                let mut msg = format!("Generated a new API key and stored it in {stored_in}.");
                if !errors.is_empty() {
                    msg.push_str(&format!(" (Not stored in: {}.)", errors.join("; ")));
                }
                msg.push(' ');
                msg.push_str(HOW_TO_SEND);
                tracing::info!(store = %stored_in, "generated a new API key");
                return Ok(ApiKeyResolution {
                    key,
                    source: ApiKeySource::Generated { stored_in },
                    message_for_user: Some(msg),
                    store_errors: errors,
                });
            }
            Err(e) => {
                tracing::warn!(store = %store.describe(), error = %e, "cannot store the API key");
                errors.push(format!("{}: {e}", store.describe()));
            }
        }
    }
    let why = if errors.is_empty() {
        "no store was configured".to_owned()
    } else {
        errors.join("; ")
    };
    tracing::warn!("the generated API key is valid for this session only");
    Ok(ApiKeyResolution {
        key,
        source: ApiKeySource::SessionOnly,
        message_for_user: Some(format!(
            "Generated a new API key for this session only: it could not be stored ({why}). \
             It changes at the next start unless you set KIRO_GATEWAY_API_KEY or --api-key. \
             {HOW_TO_SEND}"
        )),
        store_errors: errors,
    })
}

#[cfg(test)]
mod tests {
    use super::super::{FileStore, MemoryStore, SecretStoreError};
    use super::*;

    /// A memory store that reports itself as a keyring.
    struct FakeKeyring(MemoryStore);
    impl SecretStore for FakeKeyring {
        fn kind(&self) -> StoreKind {
            StoreKind::Keyring
        }
        fn describe(&self) -> String {
            "fake keyring".into()
        }
        fn get(&self) -> Result<Option<Secret<String>>, SecretStoreError> {
            self.0.get()
        }
        fn set(&self, v: &Secret<String>) -> Result<(), SecretStoreError> {
            self.0.set(v)
        }
        fn delete(&self) -> Result<(), SecretStoreError> {
            self.0.delete()
        }
    }

    fn keyring(inner: MemoryStore) -> Arc<dyn SecretStore> {
        Arc::new(FakeKeyring(inner))
    }

    fn secret(s: &str) -> Secret<String> {
        Secret::new(s.to_owned())
    }

    fn assert_generated_format(k: &str) {
        assert_eq!(k.len(), 44, "{k}");
        assert!(k.starts_with("kgw_"));
        assert!(k[4..]
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
    }

    #[test]
    fn generated_key_format_and_uniqueness() {
        let mut seen = std::collections::HashSet::new();
        for _ in 0..200 {
            let k = generate_api_key().unwrap().into_inner();
            assert_generated_format(&k);
            assert!(seen.insert(k));
        }
        // all 64 symbols show up over enough samples (no biased/truncated alphabet)
        let all: std::collections::HashSet<char> = seen
            .iter()
            .flat_map(|k| k[4..].chars().collect::<Vec<_>>())
            .collect();
        assert_eq!(all.len(), 64);
    }

    #[test]
    fn keys_match_cases() {
        let k = secret("kgw_abcdef");
        assert!(keys_match(&k, "kgw_abcdef"));
        assert!(!keys_match(&k, "kgw_abcdeg"));
        assert!(!keys_match(&k, "kgw_abcde"), "prefix");
        assert!(!keys_match(&k, "kgw_abcdefg"), "longer");
        assert!(!keys_match(&k, ""));
        assert!(!keys_match(&k, "KGW_ABCDEF"), "case-sensitive");
        assert!(!keys_match(&secret(""), ""), "empty expected never matches");
        assert!(!keys_match(&secret(""), "x"));
    }

    #[tokio::test]
    async fn configured_key_wins_and_stores_are_not_touched() {
        let kr = keyring(MemoryStore::with_value(secret("from-keyring")));
        let r = resolve_api_key(
            Some(secret("configured")),
            std::slice::from_ref(&kr),
            std::slice::from_ref(&kr),
        )
        .await
        .unwrap();
        assert_eq!(r.key.expose(), "configured");
        assert_eq!(r.source, ApiKeySource::Configured);
        assert!(r.message_for_user.is_none());
    }

    #[tokio::test]
    async fn keyring_before_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = FileStore::new(dir.path().join("api-key"));
        file.set(&secret("from-file")).unwrap();
        let file: Arc<dyn SecretStore> = Arc::new(file);
        let kr = keyring(MemoryStore::with_value(secret("from-keyring")));
        let stores = [kr, file];
        let r = resolve_api_key(None, &stores, &stores).await.unwrap();
        assert_eq!(
            (r.key.expose().as_str(), &r.source),
            ("from-keyring", &ApiKeySource::Keyring)
        );
        assert!(r.message_for_user.is_none());
    }

    #[tokio::test]
    async fn empty_keyring_then_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = FileStore::new(dir.path().join("api-key"));
        file.set(&secret("from-file")).unwrap();
        let stores: [Arc<dyn SecretStore>; 2] = [keyring(MemoryStore::new()), Arc::new(file)];
        let r = resolve_api_key(None, &stores, &stores).await.unwrap();
        assert_eq!(
            (r.key.expose().as_str(), &r.source),
            ("from-file", &ApiKeySource::File)
        );
        assert!(
            r.message_for_user.is_none(),
            "keyring worked, it was just empty"
        );
    }

    #[tokio::test]
    async fn unavailable_keyring_falls_through_to_file_and_says_so() {
        let dir = tempfile::tempdir().unwrap();
        let file = FileStore::new(dir.path().join("api-key"));
        file.set(&secret("from-file")).unwrap();
        let stores: [Arc<dyn SecretStore>; 2] = [
            keyring(MemoryStore::unavailable("no secret service")),
            Arc::new(file),
        ];
        let r = resolve_api_key(None, &stores, &stores).await.unwrap();
        assert_eq!(r.key.expose(), "from-file");
        assert_eq!(r.source, ApiKeySource::File);
        let msg = r.message_for_user.unwrap();
        assert!(
            msg.contains("no secret service") && msg.contains("file "),
            "{msg}"
        );
        assert_eq!(r.store_errors.len(), 1);
    }

    #[tokio::test]
    async fn generates_into_keyring_when_nothing_stored() {
        let dir = tempfile::tempdir().unwrap();
        let file_path = dir.path().join("api-key");
        let kr = keyring(MemoryStore::new());
        let stores: [Arc<dyn SecretStore>; 2] = [kr.clone(), Arc::new(FileStore::new(&file_path))];
        let r = resolve_api_key(None, &stores, &stores).await.unwrap();
        assert_generated_format(r.key.expose());
        assert_eq!(
            r.source,
            ApiKeySource::Generated {
                stored_in: "fake keyring".into()
            }
        );
        let msg = r.message_for_user.unwrap();
        assert!(
            msg.contains("fake keyring") && !msg.contains(r.key.expose().as_str()),
            "{msg}"
        );
        assert_eq!(kr.get().unwrap().unwrap().expose(), r.key.expose());
        assert!(!file_path.exists(), "the file is only the fallback");
        // next start: the same key comes back from the keyring
        let again = resolve_api_key(None, &stores, &stores).await.unwrap();
        assert_eq!(again.key.expose(), r.key.expose());
        assert_eq!(again.source, ApiKeySource::Keyring);
    }

    #[tokio::test]
    async fn generates_into_file_when_keyring_unavailable() {
        let dir = tempfile::tempdir().unwrap();
        let file_path = dir.path().join("cfg/api-key");
        let stores: [Arc<dyn SecretStore>; 2] = [
            keyring(MemoryStore::unavailable("locked collection")),
            Arc::new(FileStore::new(&file_path)),
        ];
        let r = resolve_api_key(None, &stores, &stores).await.unwrap();
        let ApiKeySource::Generated { stored_in } = &r.source else {
            panic!("{:?}", r.source)
        };
        assert!(stored_in.contains("api-key"));
        let msg = r.message_for_user.clone().unwrap();
        assert!(msg.contains("locked collection"), "{msg}");
        assert!(!msg.contains(r.key.expose().as_str()));
        assert_eq!(
            std::fs::read_to_string(&file_path).unwrap().trim(),
            r.key.expose()
        );
        let again = resolve_api_key(None, &stores, &stores).await.unwrap();
        assert_eq!(
            (again.key.expose(), &again.source),
            (r.key.expose(), &ApiKeySource::File)
        );
    }

    #[tokio::test]
    async fn session_only_when_no_store_accepts() {
        let stores: [Arc<dyn SecretStore>; 1] = [keyring(MemoryStore::unavailable("nope"))];
        let r = resolve_api_key(None, &stores, &stores).await.unwrap();
        assert_eq!(r.source, ApiKeySource::SessionOnly);
        assert_generated_format(r.key.expose());
        let msg = r.message_for_user.unwrap();
        assert!(
            msg.contains("session only") && msg.contains("nope"),
            "{msg}"
        );

        let r = resolve_api_key(None, &[], &[]).await.unwrap();
        assert_eq!(r.source, ApiKeySource::SessionOnly);
    }

    #[tokio::test]
    async fn write_only_failure_moves_on_to_next_store() {
        /// Reads fine (empty) but refuses writes, like a read-only keyring.
        struct ReadOnly;
        impl SecretStore for ReadOnly {
            fn describe(&self) -> String {
                "read-only".into()
            }
            fn get(&self) -> Result<Option<Secret<String>>, SecretStoreError> {
                Ok(None)
            }
            fn set(&self, _: &Secret<String>) -> Result<(), SecretStoreError> {
                Err(SecretStoreError::Unavailable("cannot write".into()))
            }
            fn delete(&self) -> Result<(), SecretStoreError> {
                Ok(())
            }
        }
        let mem: Arc<dyn SecretStore> = Arc::new(MemoryStore::new());
        let stores: [Arc<dyn SecretStore>; 2] = [Arc::new(ReadOnly), mem.clone()];
        let r = resolve_api_key(None, &stores, &stores).await.unwrap();
        assert_eq!(
            r.source,
            ApiKeySource::Generated {
                stored_in: mem.describe()
            }
        );
        assert!(r.message_for_user.unwrap().contains("read-only: "));
        // a key found in a store of another kind
        let again = resolve_api_key(None, &stores, &stores).await.unwrap();
        assert_eq!(again.source, ApiKeySource::Store(mem.describe()));
    }

    #[tokio::test]
    async fn regenerate_replaces_the_stored_key() {
        let kr = keyring(MemoryStore::with_value(secret("old")));
        let r = regenerate_api_key(std::slice::from_ref(&kr)).await.unwrap();
        assert_ne!(r.key.expose(), "old");
        assert_eq!(kr.get().unwrap().unwrap().expose(), r.key.expose());
    }

    #[test]
    fn resolution_debug_hides_key() {
        let r = ApiKeyResolution {
            key: secret("kgw_hidden"),
            source: ApiKeySource::Keyring,
            message_for_user: None,
            store_errors: vec![],
        };
        assert!(!format!("{r:?}").contains("kgw_hidden"));
    }
}
