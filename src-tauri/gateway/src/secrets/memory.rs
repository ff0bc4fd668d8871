//! An in-memory store: tests, and the session-only fallback when nothing persistent works.

use std::sync::Mutex;

use super::{Secret, SecretStore, SecretStoreError, StoreKind};

/// Keeps the secret in memory only. [`MemoryStore::unavailable`] builds one that fails every
/// call, to stand in for a missing keyring in tests.
#[derive(Debug, Default)]
pub struct MemoryStore {
    value: Mutex<Option<Secret<String>>>,
    failure: Option<String>,
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn with_value(value: Secret<String>) -> Self {
        MemoryStore {
            value: Mutex::new(Some(value)),
            failure: None,
        }
    }

    /// A store whose every call returns [`SecretStoreError::Unavailable`] with `reason`.
    pub fn unavailable(reason: impl Into<String>) -> Self {
        MemoryStore {
            value: Mutex::new(None),
            failure: Some(reason.into()),
        }
    }

    fn check(&self) -> Result<(), SecretStoreError> {
        match &self.failure {
            Some(reason) => Err(SecretStoreError::Unavailable(reason.clone())),
            None => Ok(()),
        }
    }

    fn slot(&self) -> std::sync::MutexGuard<'_, Option<Secret<String>>> {
        // A poisoned lock only means a panic elsewhere; the value itself is still whole.
        self.value.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl SecretStore for MemoryStore {
    fn kind(&self) -> StoreKind {
        StoreKind::Memory
    }
    fn describe(&self) -> String {
        "memory (this session only)".into()
    }
    fn get(&self) -> Result<Option<Secret<String>>, SecretStoreError> {
        self.check()?;
        Ok(self.slot().clone())
    }
    fn set(&self, value: &Secret<String>) -> Result<(), SecretStoreError> {
        self.check()?;
        *self.slot() = Some(value.clone());
        Ok(())
    }
    fn delete(&self) -> Result<(), SecretStoreError> {
        self.check()?;
        *self.slot() = None;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_delete() {
        let s = MemoryStore::new();
        assert!(s.get().unwrap().is_none());
        s.set(&Secret::new("a".into())).unwrap();
        assert_eq!(s.get().unwrap().unwrap().expose(), "a");
        s.set(&Secret::new("b".into())).unwrap();
        assert_eq!(s.get().unwrap().unwrap().expose(), "b");
        s.delete().unwrap();
        assert!(s.get().unwrap().is_none());
        s.delete().unwrap();
        assert_eq!(s.kind(), StoreKind::Memory);
        let s = MemoryStore::with_value(Secret::new("c".into()));
        assert_eq!(s.get().unwrap().unwrap().expose(), "c");
        assert!(!format!("{s:?}").contains('c') || !format!("{s:?}").contains("\"c\""));
    }

    #[test]
    fn unavailable_fails_every_call() {
        let s = MemoryStore::unavailable("no keyring");
        assert!(matches!(s.get(), Err(SecretStoreError::Unavailable(ref r)) if r == "no keyring"));
        assert!(s.set(&Secret::new("x".into())).is_err());
        assert!(s.delete().is_err());
    }
}
