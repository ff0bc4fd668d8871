//! The token set every source loads into, plus the small parsing helpers the sources share
//! (field spellings, expiry formats, auth-type detection, profile ARNs).

use chrono::{DateTime, NaiveDateTime, SecondsFormat, TimeZone, Utc};
use serde_json::{Map, Value};

use super::AuthKind;
use crate::logs::Redactor;
use crate::secrets::Secret;

/// Everything known about one login, whatever the source.
#[derive(Clone, Debug)]
pub(crate) struct TokenSet {
    pub access_token: Option<Secret<String>>,
    pub refresh_token: Option<Secret<String>>,
    /// Real expiry as the issuer stated it (no safety margin).
    pub expires_at: Option<DateTime<Utc>>,
    pub auth_kind: AuthKind,
    pub client_id: Option<String>,
    pub client_secret: Option<Secret<String>>,
    /// Auth (token issuer) region: token `region`/`authRegion` or the registration's region.
    pub region: Option<String>,
    pub profile_arn: Option<String>,
    /// External IdP only.
    pub token_endpoint: Option<String>,
    pub issuer_url: Option<String>,
    pub scopes: Option<String>,
}

impl TokenSet {
    pub fn empty(kind: AuthKind) -> Self {
        TokenSet {
            access_token: None,
            refresh_token: None,
            expires_at: None,
            auth_kind: kind,
            client_id: None,
            client_secret: None,
            region: None,
            profile_arn: None,
            token_endpoint: None,
            issuer_url: None,
            scopes: None,
        }
    }

    /// Register every secret of this set with the log redactor.
    pub fn register(&self, redactor: &Redactor) {
        for s in [&self.access_token, &self.refresh_token, &self.client_secret]
            .into_iter()
            .flatten()
        {
            redactor.add(s.expose());
        }
    }

    pub fn access(&self) -> Option<&str> {
        self.access_token.as_ref().map(|s| s.expose().as_str())
    }

    pub fn refresh(&self) -> Option<&str> {
        self.refresh_token.as_ref().map(|s| s.expose().as_str())
    }
}

/// First non-empty string among `keys` (camelCase and snake_case spellings).
pub(crate) fn get_str<'a>(obj: &'a Map<String, Value>, keys: &[&str]) -> Option<&'a str> {
    keys.iter()
        .filter_map(|k| obj.get(*k))
        .filter_map(Value::as_str)
        .map(str::trim)
        .find(|s| !s.is_empty())
}

pub(crate) fn get_secret(obj: &Map<String, Value>, keys: &[&str]) -> Option<Secret<String>> {
    get_str(obj, keys).map(|s| Secret::new(s.to_owned()))
}

/// `scopes` as one space-separated string (accepts a string or a list of strings).
pub(crate) fn get_scopes(obj: &Map<String, Value>) -> Option<String> {
    match obj.get("scopes").or_else(|| obj.get("scope"))? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Value::Array(items) => {
            let v: Vec<&str> = items.iter().filter_map(Value::as_str).collect();
            (!v.is_empty()).then(|| v.join(" "))
        }
        _ => None,
    }
}

/// Parse an expiry: RFC 3339 with any fraction (up to 9 digits), an offset-less ISO string
/// (taken as UTC), or epoch seconds / milliseconds. `Err` carries a description without the value.
pub(crate) fn parse_expiry(value: Option<&Value>) -> Result<Option<DateTime<Utc>>, String> {
    let Some(value) = value else { return Ok(None) };
    match value {
        Value::Null => Ok(None),
        Value::String(s) => parse_expiry_str(s).map(Some),
        Value::Number(n) => {
            let Some(n) = n.as_f64() else {
                return Err("expiry is not a number".into());
            };
            // Heuristic: values above 10^11 are milliseconds.
            let millis = if n > 1e11 { n } else { n * 1000.0 };
            Utc.timestamp_millis_opt(millis as i64)
                .single()
                .map(Some)
                .ok_or_else(|| "expiry timestamp out of range".into())
        }
        _ => Err("expiry is neither a string nor a number".into()),
    }
}

pub(crate) fn parse_expiry_str(s: &str) -> Result<DateTime<Utc>, String> {
    let s = s.trim();
    if let Ok(dt) = DateTime::parse_from_rfc3339(s) {
        return Ok(dt.with_timezone(&Utc));
    }
    // Some writers use a space instead of `T`, or no offset at all.
    if let Ok(dt) = DateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f%:z") {
        return Ok(dt.with_timezone(&Utc));
    }
    for fmt in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"] {
        if let Ok(naive) = NaiveDateTime::parse_from_str(s, fmt) {
            return Ok(Utc.from_utc_datetime(&naive));
        }
    }
    Err("expiry is not an ISO-8601 / RFC 3339 date".into())
}

/// How the Kiro IDE writes dates (JS `toISOString`).
pub(crate) fn format_iso_millis(dt: DateTime<Utc>) -> String {
    dt.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Auth type per docs/kiro-protocol.md#credentials-auth-type. `key_hint` is the kind implied by
/// where the token was stored (kiro-cli key name), used when the token itself does not say.
pub(crate) fn detect_kind(
    obj: &Map<String, Value>,
    has_client_credentials: bool,
    key_hint: Option<AuthKind>,
) -> AuthKind {
    let method = get_str(obj, &["authMethod", "auth_method"])
        .map(|m| m.to_ascii_lowercase().replace('-', "_"))
        .unwrap_or_default();
    let provider = get_str(obj, &["provider"])
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    let access = get_str(obj, &["accessToken", "access_token"]).unwrap_or_default();
    if method == "external_idp" || method == "externalidp" || provider == "externalidp" {
        return AuthKind::ExternalIdp;
    }
    if get_str(obj, &["kiroApiKey", "kiro_api_key", "apiKey", "api_key"]).is_some()
        || method == "api_key"
        || method == "apikey"
        || access.starts_with("ksk_")
    {
        return AuthKind::ApiKey;
    }
    if matches!(
        method.as_str(),
        "idc" | "builder_id" | "builderid" | "iam" | "oidc"
    ) {
        return AuthKind::Oidc;
    }
    if method == "social" {
        return AuthKind::Social;
    }
    if let Some(hint) = key_hint {
        return hint;
    }
    if has_client_credentials {
        AuthKind::Oidc
    } else {
        AuthKind::Social
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Timelike;

    #[test]
    fn nine_digit_fractions_parse() {
        let dt = parse_expiry_str("2026-01-02T10:11:12.123456789Z").unwrap();
        assert_eq!(dt.nanosecond(), 123_456_789);
        let dt = parse_expiry_str("2026-01-02T10:11:12.123456789+00:00").unwrap();
        assert_eq!(dt.second(), 12);
        assert!(parse_expiry_str("2025-12-31T02:32:45.144Z").is_ok());
        assert!(parse_expiry_str("2025-12-31T02:32:45.144").is_ok());
        assert!(parse_expiry_str("tomorrow").is_err());
    }

    #[test]
    fn numeric_expiry_seconds_and_millis() {
        let s = parse_expiry(Some(&Value::from(1_800_000_000)))
            .unwrap()
            .unwrap();
        let ms = parse_expiry(Some(&Value::from(1_800_000_000_000i64)))
            .unwrap()
            .unwrap();
        assert_eq!(s, ms);
    }

    #[test]
    fn kind_detection_is_case_insensitive() {
        let obj = |v: Value| v.as_object().unwrap().clone();
        let o = obj(serde_json::json!({"authMethod": "IdC"}));
        assert_eq!(detect_kind(&o, false, None), AuthKind::Oidc);
        let o = obj(serde_json::json!({"authMethod": "SOCIAL", "clientId": "x"}));
        assert_eq!(detect_kind(&o, true, None), AuthKind::Social);
        let o = obj(serde_json::json!({"provider": "ExternalIdp"}));
        assert_eq!(detect_kind(&o, false, None), AuthKind::ExternalIdp);
        let o = obj(serde_json::json!({"accessToken": "ksk_abc"}));
        assert_eq!(detect_kind(&o, false, None), AuthKind::ApiKey);
        let o = obj(serde_json::json!({"authMethod": "builder-id"}));
        assert_eq!(detect_kind(&o, false, None), AuthKind::Oidc);
        let o = obj(serde_json::json!({}));
        assert_eq!(detect_kind(&o, true, None), AuthKind::Oidc);
        assert_eq!(detect_kind(&o, false, None), AuthKind::Social);
    }
}
