//! Which API key clients must present (resolved once at start).

use crate::config::Config;
use crate::secrets::Secret;

pub async fn resolve(config: &Config) -> Result<Option<Secret<String>>, String> {
    if config.no_auth {
        return Ok(None);
    }
    Ok(config.api_key.clone())
}
