//! Which API key clients must present: resolved once at start, announced once.

use crate::config::Config;
use crate::secrets::{default_api_key_stores, resolve_api_key, ApiKeySource, Secret};

/// The key, or `None` with `--no-auth`. A newly generated key is printed once to stdout
/// (never to the log) together with where it is kept.
pub async fn resolve(config: &Config) -> Result<Option<Secret<String>>, String> {
    if config.no_auth {
        return Ok(None);
    }
    let stores = default_api_key_stores();
    let resolution = resolve_api_key(config.api_key.clone(), &stores, &stores)
        .await
        .map_err(|e| format!("cannot obtain an API key: {e}"))?;
    if let Some(message) = &resolution.message_for_user {
        println!("{message}");
    }
    if matches!(
        resolution.source,
        ApiKeySource::Generated { .. } | ApiKeySource::SessionOnly
    ) {
        println!("  API key: {}", resolution.key.expose());
    }
    Ok(Some(resolution.key))
}
