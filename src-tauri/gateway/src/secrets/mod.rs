//! Typed secrets and the store that keeps the proxy API key.

use std::fmt;

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

/// Where the proxy API key lives between runs.
pub trait SecretStore: Send + Sync {
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
