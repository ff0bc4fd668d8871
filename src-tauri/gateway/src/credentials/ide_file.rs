//! The Kiro IDE token file (`kiro-auth-token.json`, docs/kiro-protocol.md#credentials-ide-file),
//! its IdC client registration (`{clientIdHash}.json`,
//! docs/kiro-protocol.md#credentials-idc-registration) and the read-merge-write write-back.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value};
use sha1::{Digest, Sha1};

use super::token::{self, get_secret, get_str, TokenSet};
use super::write_back::write_json_atomically;
use super::{AuthKind, CredentialError};

pub(crate) const BUILDER_ID_START_URL: &str = "https://view.awsapps.com/start";
pub(crate) const INTERNAL_START_URL: &str = "https://amzn.awsapps.com/start";

/// Lowercase hex SHA-1 of `{"startUrl":"<url>"}` (no spaces), as the IDE names the file.
pub fn client_id_hash(start_url: &str) -> String {
    let text = serde_json::json!({ "startUrl": start_url }).to_string();
    hex::encode(Sha1::digest(text.as_bytes()))
}

/// Read a JSON object from `path`; errors name the file, never its content.
pub(crate) fn read_object(path: &Path) -> Result<Map<String, Value>, CredentialError> {
    let bytes = std::fs::read(path).map_err(|e| {
        CredentialError::Invalid(format!("cannot read {}: {}", path.display(), e.kind()))
    })?;
    let value: Value = serde_json::from_slice(&bytes).map_err(|e| {
        CredentialError::Invalid(format!(
            "{} is not valid JSON (line {}, column {})",
            path.display(),
            e.line(),
            e.column()
        ))
    })?;
    match value {
        Value::Object(map) => Ok(map),
        _ => Err(CredentialError::Invalid(format!(
            "{} does not hold a JSON object",
            path.display()
        ))),
    }
}

/// Load an IDE-style token file. `cache_dirs` are the directories searched for the IdC
/// registration file (the token file's own directory is always tried first).
pub(crate) fn load(path: &Path, cache_dirs: &[PathBuf]) -> Result<TokenSet, CredentialError> {
    let obj = read_object(path)?;
    let api_key = get_secret(&obj, &["kiroApiKey", "kiro_api_key", "apiKey", "api_key"]);
    let mut client_id = get_str(&obj, &["clientId", "client_id"]).map(str::to_owned);
    let mut client_secret = get_secret(&obj, &["clientSecret", "client_secret"]);

    let method = get_str(&obj, &["authMethod", "auth_method"])
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    let wants_registration = client_id.is_none() || client_secret.is_none();
    let is_idc_like = obj.contains_key("clientIdHash")
        || matches!(
            method.as_str(),
            "idc" | "builder-id" | "builder_id" | "builderid" | "iam"
        );
    if wants_registration && is_idc_like {
        if let Some(reg) = find_registration(path, &obj, cache_dirs) {
            client_id = client_id.or(reg.0);
            client_secret = client_secret.or(reg.1);
        } else {
            tracing::warn!(
                file = %path.display(),
                "IdC login without a readable client registration file; refresh will not be possible"
            );
        }
    }
    let has_client = client_id.is_some() && client_secret.is_some();
    let kind = detect_kind_for_file(&obj, has_client);

    let access_token = if kind == AuthKind::ApiKey {
        api_key.or_else(|| get_secret(&obj, &["accessToken", "access_token"]))
    } else {
        get_secret(&obj, &["accessToken", "access_token"])
    };
    let refresh_token = get_secret(&obj, &["refreshToken", "refresh_token"]);
    if access_token.is_none() && refresh_token.is_none() {
        return Err(CredentialError::Invalid(format!(
            "{} holds neither an access token nor a refresh token",
            path.display()
        )));
    }
    let expires_at = token::parse_expiry(obj.get("expiresAt").or_else(|| obj.get("expires_at")))
        .map_err(|e| CredentialError::Invalid(format!("{}: {e}", path.display())))?;
    let profile_arn = get_str(&obj, &["profileArn", "profile_arn"])
        .filter(|a| crate::aws_ids::is_profile_arn(a))
        .map(str::to_owned);
    Ok(TokenSet {
        access_token,
        refresh_token,
        expires_at,
        auth_kind: kind,
        client_id,
        client_secret,
        region: get_str(&obj, &["authRegion", "auth_region", "region"]).map(str::to_owned),
        profile_arn,
        token_endpoint: get_str(&obj, &["tokenEndpoint", "token_endpoint"]).map(str::to_owned),
        issuer_url: get_str(&obj, &["issuerUrl", "issuer_url"]).map(str::to_owned),
        scopes: token::get_scopes(&obj),
    })
}

fn detect_kind_for_file(obj: &Map<String, Value>, has_client: bool) -> AuthKind {
    token::detect_kind(obj, has_client, None)
}

/// `(clientId, clientSecret)` from the registration file the token points at.
fn find_registration(
    token_path: &Path,
    obj: &Map<String, Value>,
    cache_dirs: &[PathBuf],
) -> Option<(Option<String>, Option<crate::secrets::Secret<String>>)> {
    let hash = match get_str(obj, &["clientIdHash", "client_id_hash"]) {
        Some(h) => h.to_owned(),
        None => {
            // Older files: derive the hash from the start URL the IDE would have used.
            let provider = get_str(obj, &["provider"]).unwrap_or_default();
            let start_url = get_str(obj, &["startUrl", "start_url"]).unwrap_or(
                if provider.eq_ignore_ascii_case("BuilderId") {
                    BUILDER_ID_START_URL
                } else {
                    INTERNAL_START_URL
                },
            );
            client_id_hash(start_url)
        }
    };
    // A hash is hex; refuse anything that could walk out of the directory.
    if hash.is_empty() || !hash.chars().all(|c| c.is_ascii_alphanumeric()) {
        return None;
    }
    let mut dirs: Vec<PathBuf> = token_path
        .parent()
        .map(Path::to_path_buf)
        .into_iter()
        .collect();
    dirs.extend(cache_dirs.iter().cloned());
    for dir in dirs {
        let reg_path = dir.join(format!("{hash}.json"));
        if !reg_path.is_file() {
            continue;
        }
        match read_object(&reg_path) {
            Ok(reg) => {
                if let Ok(Some(exp)) = token::parse_expiry(
                    reg.get("expiresAt")
                        .or_else(|| reg.get("clientSecretExpiresAt")),
                ) {
                    if exp < chrono::Utc::now() {
                        tracing::warn!(
                            file = %reg_path.display(),
                            "the IdC client registration has expired; sign in again in the Kiro IDE if refresh fails"
                        );
                    }
                }
                return Some((
                    get_str(&reg, &["clientId", "client_id"]).map(str::to_owned),
                    get_secret(&reg, &["clientSecret", "client_secret"]),
                ));
            }
            Err(e) => tracing::warn!("{e}"),
        }
    }
    None
}

/// Write `tokens` into the file: read the current object, update the token fields (keeping
/// the spelling the file already uses), keep every other field, replace atomically.
pub(crate) fn write_back(path: &Path, tokens: &TokenSet) -> std::io::Result<()> {
    // A file that vanished (logout) is not recreated; one that does not parse (another
    // writer mid-way, or damage) is not overwritten: the token stays in memory.
    if !path.exists() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            "the token file is gone (signed out?); not recreating it",
        ));
    }
    let mut obj = read_object(path)
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e.to_string()))?;
    if let Some(a) = tokens.access() {
        let key = if tokens.auth_kind == AuthKind::ApiKey && obj.contains_key("kiroApiKey") {
            "kiroApiKey"
        } else {
            pick_key(&obj, "accessToken", "access_token")
        };
        obj.insert(key.into(), Value::String(a.to_owned()));
    }
    if let Some(r) = tokens.refresh() {
        let key = pick_key(&obj, "refreshToken", "refresh_token");
        obj.insert(key.into(), Value::String(r.to_owned()));
    }
    if let Some(exp) = tokens.expires_at {
        let key = pick_key(&obj, "expiresAt", "expires_at");
        obj.insert(key.into(), Value::String(token::format_iso_millis(exp)));
    }
    if let Some(arn) = &tokens.profile_arn {
        let key = pick_key(&obj, "profileArn", "profile_arn");
        if tokens.auth_kind == AuthKind::Social || obj.contains_key(key) {
            obj.insert(key.into(), Value::String(arn.clone()));
        }
    }
    write_json_atomically(path, &Value::Object(obj))
}

fn pick_key(obj: &Map<String, Value>, camel: &'static str, snake: &'static str) -> &'static str {
    if !obj.contains_key(camel) && obj.contains_key(snake) {
        snake
    } else {
        camel
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_id_hash_matches_the_documented_values() {
        assert_eq!(
            client_id_hash(BUILDER_ID_START_URL),
            "e909a0580879b06ece1202964fbe9dda95ea4ce3"
        );
        assert_eq!(
            client_id_hash(INTERNAL_START_URL),
            "06df7ec90decadd0c5dd4ed2f245b2a59d1d8826"
        );
    }

    #[test]
    fn malformed_files_are_invalid_and_name_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("kiro-auth-token.json");
        for content in ["{not json", "[1,2]", "{}", r#"{"accessToken": 5}"#] {
            std::fs::write(&p, content).unwrap();
            match load(&p, &[]) {
                Err(CredentialError::Invalid(msg)) => assert!(msg.contains("kiro-auth-token.json")),
                other => panic!("expected Invalid, got {other:?}"),
            }
        }
        std::fs::write(
            &p,
            r#"{"accessToken":"SECRETACCESS123","expiresAt":"garbage-date"}"#,
        )
        .unwrap();
        let err = load(&p, &[]).unwrap_err().to_string();
        assert!(!err.contains("SECRETACCESS123"));
        assert!(!err.contains("garbage-date"));
    }
}
