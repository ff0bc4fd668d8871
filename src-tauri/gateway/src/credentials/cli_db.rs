//! kiro-cli / Amazon Q CLI SQLite databases (docs/kiro-protocol.md#credentials-cli-db): `auth_kv`
//! token and device-registration keys, the `state` profile, and write-back in one transaction.
//!
//! Every access waits at most the busy timeout its caller gives for kiro-cli's lock; a
//! database still locked after it is [`CredentialError::SourceBusy`] /
//! [`DbWriteError::Busy`], never "invalid".

use std::path::Path;
use std::time::Duration;

use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags, OptionalExtension, TransactionBehavior};
use serde_json::{Map, Value};

use super::token::{self, get_secret, get_str, TokenSet};
use super::{AuthKind, CredentialError};
use crate::secrets::Secret;

/// Token keys in JW's priority order.
pub(crate) const TOKEN_KEYS: [&str; 4] = [
    "kirocli:external-idp:token",
    "kirocli:social:token",
    "kirocli:odic:token",
    "codewhisperer:odic:token",
];
const KIROCLI_REGISTRATION: &str = "kirocli:odic:device-registration";
const Q_REGISTRATION: &str = "codewhisperer:odic:device-registration";
const STATE_PROFILE_KEY: &str = "api.codewhisperer.profile";
const STATE_IDC_REGION_KEY: &str = "auth.idc.region";

/// What one database yields.
pub(crate) struct CliLoaded {
    pub key: String,
    pub tokens: TokenSet,
    /// `state` → `api.codewhisperer.profile` → `arn`.
    pub state_profile: Option<String>,
}

fn invalid(path: &Path, what: impl std::fmt::Display) -> CredentialError {
    CredentialError::Invalid(format!("{}: {what}", path.display()))
}

/// Another connection (kiro-cli) holds a lock that did not go within the busy timeout.
fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
    )
}

/// A read error: busy, or the database is unusable.
fn read_error(path: &Path, what: &str, e: rusqlite::Error) -> CredentialError {
    if is_busy(&e) {
        CredentialError::SourceBusy(format!("{} is locked ({what})", path.display()))
    } else {
        invalid(path, format!("{what}: {e}"))
    }
}

fn open_read_only(path: &Path, busy: Duration) -> Result<Connection, CredentialError> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| read_error(path, "cannot open database", e))?;
    conn.busy_timeout(busy).map_err(|e| invalid(path, e))?;
    Ok(conn)
}

/// A TEXT or BLOB column holding JSON (state values became BLOB in QCLI migration 006).
fn json_value(raw: ValueRef<'_>) -> Option<Value> {
    let bytes = match raw {
        ValueRef::Text(b) | ValueRef::Blob(b) => b,
        _ => return None,
    };
    serde_json::from_slice(bytes).ok()
}

fn read_kv(conn: &Connection, table: &str, key: &str) -> rusqlite::Result<Option<Value>> {
    let sql = format!("SELECT value FROM {table} WHERE key = ?1");
    conn.query_row(&sql, [key], |row| Ok(json_value(row.get_ref(0)?)))
        .optional()
        .map(Option::flatten)
}

/// Load the first token key that holds a usable token (or exactly `only_key`), waiting at
/// most `busy` for a lock kiro-cli holds.
pub(crate) fn load(
    path: &Path,
    only_key: Option<&str>,
    busy: Duration,
) -> Result<CliLoaded, CredentialError> {
    if !path.is_file() {
        return Err(CredentialError::NotFound(format!(
            "{} does not exist",
            path.display()
        )));
    }
    let conn = open_read_only(path, busy)?;
    let keys: Vec<&str> = match only_key {
        Some(k) => vec![k],
        None => TOKEN_KEYS.to_vec(),
    };
    let mut found = None;
    for key in keys {
        let value = read_kv(&conn, "auth_kv", key)
            .map_err(|e| read_error(path, "cannot read auth_kv", e))?;
        if let Some(Value::Object(obj)) = value {
            let has_token = get_str(&obj, &["access_token", "accessToken"]).is_some()
                || get_str(&obj, &["refresh_token", "refreshToken"]).is_some();
            if has_token {
                found = Some((key.to_owned(), obj));
                break;
            }
        }
    }
    let Some((key, obj)) = found else {
        return Err(CredentialError::NotFound(format!(
            "{} has no Kiro token in auth_kv",
            path.display()
        )));
    };

    let key_kind = if key.contains(":external-idp:") {
        AuthKind::ExternalIdp
    } else if key.contains(":social:") {
        AuthKind::Social
    } else {
        AuthKind::Oidc
    };

    let mut client_id = get_str(&obj, &["client_id", "clientId"]).map(str::to_owned);
    let mut client_secret = get_secret(&obj, &["client_secret", "clientSecret"]);
    let mut reg_region = None;
    if key_kind == AuthKind::Oidc && (client_id.is_none() || client_secret.is_none()) {
        // Prefer the registration written by the same program (same key prefix).
        let order = if key.starts_with("codewhisperer:") {
            [Q_REGISTRATION, KIROCLI_REGISTRATION]
        } else {
            [KIROCLI_REGISTRATION, Q_REGISTRATION]
        };
        for reg_key in order {
            if let Ok(Some(Value::Object(reg))) = read_kv(&conn, "auth_kv", reg_key) {
                let id = get_str(&reg, &["client_id", "clientId"]);
                let secret = get_secret(&reg, &["client_secret", "clientSecret"]);
                if id.is_some() && secret.is_some() {
                    client_id = client_id.or(id.map(str::to_owned));
                    client_secret = client_secret.or(secret);
                    reg_region = get_str(&reg, &["region"]).map(str::to_owned);
                    break;
                }
            }
        }
    }

    // `state` is optional (older databases); a failure there never hides the token.
    let state_profile = read_kv(&conn, "state", STATE_PROFILE_KEY)
        .ok()
        .flatten()
        .and_then(|v| v.get("arn").and_then(Value::as_str).map(str::to_owned))
        .filter(|a| crate::aws_ids::is_profile_arn(a));
    let state_region = read_kv(&conn, "state", STATE_IDC_REGION_KEY)
        .ok()
        .flatten()
        .and_then(|v| v.as_str().map(str::to_owned));

    let has_client = client_id.is_some() && client_secret.is_some();
    let kind = token::detect_kind(&obj, has_client, Some(key_kind));
    let expires_at = token::parse_expiry(obj.get("expires_at").or_else(|| obj.get("expiresAt")))
        .map_err(|e| invalid(path, format!("{key}: {e}")))?;
    let tokens = TokenSet {
        access_token: get_secret(&obj, &["access_token", "accessToken"]),
        refresh_token: get_secret(&obj, &["refresh_token", "refreshToken"]),
        expires_at,
        auth_kind: kind,
        client_id,
        client_secret,
        region: get_str(&obj, &["region"])
            .map(str::to_owned)
            .or(reg_region)
            .or(state_region),
        profile_arn: get_str(&obj, &["profile_arn", "profileArn"])
            .filter(|a| crate::aws_ids::is_profile_arn(a))
            .map(str::to_owned),
        token_endpoint: get_str(&obj, &["token_endpoint", "tokenEndpoint"]).map(str::to_owned),
        issuer_url: get_str(&obj, &["issuer_url", "issuerUrl"]).map(str::to_owned),
        scopes: token::get_scopes(&obj),
    };
    Ok(CliLoaded {
        key,
        tokens,
        state_profile,
    })
}

/// Why a write-back did not happen.
#[derive(Debug)]
pub(crate) enum DbWriteError {
    ReadOnly(String),
    /// kiro-cli held its lock for longer than the busy timeout: try again later.
    Busy(String),
    /// The tokens under the key are no longer the ones expected: another program wrote
    /// newer ones, which must not be overwritten.
    Superseded(String),
    Other(String),
}

/// The access and refresh token a write-back expects to replace.
pub(crate) struct Expected<'a> {
    pub access: Option<&'a Secret<String>>,
    pub refresh: Option<&'a Secret<String>>,
}

/// Read-merge-write of the token JSON under `key` in one IMMEDIATE transaction, waiting at
/// most `busy` for kiro-cli's lock. Other keys, and unknown fields of this key's JSON, are
/// preserved. With `expected`, nothing is written unless the key still holds those tokens.
pub(crate) fn write_back(
    path: &Path,
    key: &str,
    tokens: &TokenSet,
    expected: Option<&Expected<'_>>,
    busy: Duration,
) -> Result<(), DbWriteError> {
    if super::write_back::file_is_read_only(path) {
        return Err(DbWriteError::ReadOnly(format!(
            "{} is read-only",
            path.display()
        )));
    }
    let classify = |e: rusqlite::Error| {
        let read_only = matches!(
            e.sqlite_error_code(),
            Some(
                rusqlite::ErrorCode::ReadOnly
                    | rusqlite::ErrorCode::PermissionDenied
                    | rusqlite::ErrorCode::CannotOpen
            )
        );
        let msg = format!("{}: {e}", path.display());
        if read_only {
            DbWriteError::ReadOnly(msg)
        } else if is_busy(&e) {
            DbWriteError::Busy(msg)
        } else {
            DbWriteError::Other(msg)
        }
    };
    let mut conn =
        Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_WRITE).map_err(classify)?;
    conn.busy_timeout(busy).map_err(classify)?;
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(classify)?;
    let current = read_kv(&tx, "auth_kv", key).map_err(classify)?;
    let mut obj = match current {
        Some(Value::Object(obj)) => obj,
        Some(_) => Map::new(),
        None => {
            // The user logged out (or in with another method) meanwhile: do not resurrect it.
            return Err(DbWriteError::Other(format!(
                "{}: key {key} is gone; not writing",
                path.display()
            )));
        }
    };
    if let Some(expected) = expected {
        let holds = |keys: &[&str], want: Option<&Secret<String>>| {
            get_str(&obj, keys) == want.map(|s| s.expose().as_str())
        };
        if !holds(&["access_token", "accessToken"], expected.access)
            || !holds(&["refresh_token", "refreshToken"], expected.refresh)
        {
            return Err(DbWriteError::Superseded(format!(
                "{}: another program wrote newer tokens under {key}",
                path.display()
            )));
        }
    }
    if let Some(a) = tokens.access() {
        obj.insert("access_token".into(), Value::String(a.to_owned()));
    }
    if let Some(r) = tokens.refresh() {
        obj.insert("refresh_token".into(), Value::String(r.to_owned()));
    }
    if let Some(exp) = tokens.expires_at {
        obj.insert(
            "expires_at".into(),
            Value::String(exp.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)),
        );
    }
    if let Some(arn) = &tokens.profile_arn {
        if tokens.auth_kind == AuthKind::Social || obj.contains_key("profile_arn") {
            obj.insert("profile_arn".into(), Value::String(arn.clone()));
        }
    }
    let text = Value::Object(obj).to_string();
    tx.execute(
        "UPDATE auth_kv SET value = ?1 WHERE key = ?2",
        rusqlite::params![text, key],
    )
    .map_err(classify)?;
    tx.commit().map_err(classify)?;
    Ok(())
}
