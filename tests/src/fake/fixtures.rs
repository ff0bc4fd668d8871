//! Credential fixtures (docs/kiro-protocol.md#fake-credentials): IDE token files, IdC registration
//! files and a kiro-cli SQLite database, written into a temporary home directory with tokens issued
//! by the fake.

use std::path::{Path, PathBuf};

use serde_json::{json, Value};
use sha1::{Digest, Sha1};

use super::auth::{AuthKind, IssuedToken};
use super::FakeKiro;

/// A temporary home directory (deleted on drop).
pub struct TempHome {
    pub dir: tempfile::TempDir,
}

impl Default for TempHome {
    fn default() -> Self {
        Self::new()
    }
}

impl TempHome {
    pub fn new() -> TempHome {
        TempHome {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// `<home>/.aws/sso/cache`
    pub fn sso_cache(&self) -> PathBuf {
        self.path().join(".aws").join("sso").join("cache")
    }

    /// `<home>/.aws/sso/cache/kiro-auth-token.json`
    pub fn token_file(&self) -> PathBuf {
        self.sso_cache().join("kiro-auth-token.json")
    }

    /// `<home>/.local/share/kiro-cli/data.sqlite3` (Linux layout).
    pub fn kiro_cli_db(&self) -> PathBuf {
        self.path()
            .join(".local")
            .join("share")
            .join("kiro-cli")
            .join("data.sqlite3")
    }
}

/// Lowercase hex SHA-1 of `{"startUrl":"<url>"}`
/// (docs/kiro-protocol.md#credentials-idc-registration).
pub fn client_id_hash(start_url: &str) -> String {
    let text = json!({ "startUrl": start_url }).to_string();
    hex::encode(Sha1::digest(text.as_bytes()))
}

fn iso_millis(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Write JSON 2-space indented (as the IDE does), creating parent directories.
pub fn write_json(path: &Path, value: &Value) {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("create dirs");
    }
    let text = serde_json::to_string_pretty(value).expect("json");
    std::fs::write(path, text).expect("write json");
}

/// The IDE token-file object for a social account, with an access token issued by the fake
/// valid for `ttl` (negative = already expired).
pub fn social_token_json(
    fake: &FakeKiro,
    account: &str,
    ttl: chrono::Duration,
) -> (Value, IssuedToken) {
    let spec = fake.account(account);
    let issued = fake.issue_access_token(account, ttl);
    let v = json!({
        "accessToken": issued.access_token,
        "refreshToken": fake.current_refresh_token(account),
        "profileArn": spec.profile_arn,
        "expiresAt": iso_millis(issued.expires_at),
        "authMethod": "social",
        "provider": "Google"
    });
    (v, issued)
}

/// The IDE token-file object for an IdC (Builder ID) account.
pub fn idc_token_json(
    fake: &FakeKiro,
    account: &str,
    ttl: chrono::Duration,
) -> (Value, IssuedToken) {
    let spec = fake.account(account);
    let AuthKind::Oidc {
        start_url, region, ..
    } = &spec.kind
    else {
        panic!("account {account} is not an OIDC account");
    };
    let issued = fake.issue_access_token(account, ttl);
    let v = json!({
        "accessToken": issued.access_token,
        "refreshToken": fake.current_refresh_token(account),
        "expiresAt": iso_millis(issued.expires_at),
        "clientIdHash": client_id_hash(start_url),
        "authMethod": "IdC",
        "provider": "BuilderId",
        "region": region
    });
    (v, issued)
}

/// Write `<home>/.aws/sso/cache/kiro-auth-token.json` for a social account.
pub fn write_social_token_file(
    fake: &FakeKiro,
    home: &TempHome,
    account: &str,
    ttl: chrono::Duration,
) -> (PathBuf, IssuedToken) {
    let (v, issued) = social_token_json(fake, account, ttl);
    let path = home.token_file();
    write_json(&path, &v);
    (path, issued)
}

/// Write the IdC token file **and** its client-registration file. Returns the token path.
pub fn write_idc_token_file(
    fake: &FakeKiro,
    home: &TempHome,
    account: &str,
    ttl: chrono::Duration,
) -> (PathBuf, IssuedToken) {
    write_idc_token_file_in(fake, &home.sso_cache(), account, ttl)
}

/// Like [`write_idc_token_file`] but into any directory (`kiro-auth-token.json` and
/// `<clientIdHash>.json` side by side, as in `~/.aws/sso/cache`).
pub fn write_idc_token_file_in(
    fake: &FakeKiro,
    dir: &Path,
    account: &str,
    ttl: chrono::Duration,
) -> (PathBuf, IssuedToken) {
    let (v, issued) = idc_token_json(fake, account, ttl);
    write_registration_file_in(fake, dir, account);
    let path = dir.join("kiro-auth-token.json");
    write_json(&path, &v);
    (path, issued)
}

/// Write `<home>/.aws/sso/cache/<sha1 of {"startUrl":...}>.json` with
/// `clientId`/`clientSecret`/`expiresAt`.
pub fn write_registration_file(fake: &FakeKiro, home: &TempHome, account: &str) -> PathBuf {
    write_registration_file_in(fake, &home.sso_cache(), account)
}

/// [`write_registration_file`] into any directory.
pub fn write_registration_file_in(fake: &FakeKiro, dir: &Path, account: &str) -> PathBuf {
    let spec = fake.account(account);
    let AuthKind::Oidc {
        client_id,
        client_secret,
        client_secret_expires_at,
        start_url,
        ..
    } = &spec.kind
    else {
        panic!("account {account} is not an OIDC account");
    };
    let path = dir.join(format!("{}.json", client_id_hash(start_url)));
    write_json(
        &path,
        &json!({
            "clientId": client_id,
            "clientSecret": client_secret,
            "expiresAt": iso_millis(*client_secret_expires_at)
        }),
    );
    path
}

/// Create a kiro-cli `data.sqlite3` holding `kirocli:odic:token`,
/// `kirocli:odic:device-registration` (for an OIDC account) and `api.codewhisperer.profile`.
/// `expires_at` is written with a 9-digit fraction, as kiro-cli does
/// (docs/kiro-protocol.md#credentials-cli-db).
pub fn write_kiro_cli_db(
    fake: &FakeKiro,
    home: &TempHome,
    account: &str,
    ttl: chrono::Duration,
) -> (PathBuf, IssuedToken) {
    let spec = fake.account(account);
    let AuthKind::Oidc {
        client_id,
        client_secret,
        client_secret_expires_at,
        start_url,
        region,
    } = &spec.kind
    else {
        panic!("account {account} is not an OIDC account");
    };
    let issued = fake.issue_access_token(account, ttl);
    let path = home.kiro_cli_db();
    std::fs::create_dir_all(path.parent().expect("parent")).expect("create dirs");
    let conn = rusqlite::Connection::open(&path).expect("open sqlite");
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS auth_kv (key TEXT PRIMARY KEY, value TEXT);
         CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, value BLOB);",
    )
    .expect("schema");
    let scopes = json!([
        "codewhisperer:completions",
        "codewhisperer:analysis",
        "codewhisperer:conversations"
    ]);
    let token = json!({
        "access_token": issued.access_token,
        "refresh_token": fake.current_refresh_token(account),
        "expires_at": issued.expires_at.to_rfc3339_opts(chrono::SecondsFormat::Nanos, true),
        "region": region,
        "start_url": start_url,
        "oauth_flow": "DeviceCode",
        "scopes": scopes
    });
    let registration = json!({
        "client_id": client_id,
        "client_secret": client_secret,
        "client_secret_expires_at": client_secret_expires_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "region": region,
        "oauth_flow": "DeviceCode",
        "scopes": scopes
    });
    let profile = json!({ "arn": spec.profile_arn, "profile_name": format!("{account}-profile") });
    conn.execute(
        "INSERT OR REPLACE INTO auth_kv (key, value) VALUES (?1, ?2)",
        ("kirocli:odic:token", token.to_string()),
    )
    .expect("insert token");
    conn.execute(
        "INSERT OR REPLACE INTO auth_kv (key, value) VALUES (?1, ?2)",
        ("kirocli:odic:device-registration", registration.to_string()),
    )
    .expect("insert registration");
    conn.execute(
        "INSERT OR REPLACE INTO state (key, value) VALUES (?1, ?2)",
        (
            "api.codewhisperer.profile",
            profile.to_string().into_bytes(),
        ),
    )
    .expect("insert profile");
    (path, issued)
}

/// Read a JSON value from `auth_kv`.
pub fn read_kiro_cli_auth(db: &Path, key: &str) -> Option<Value> {
    let conn = rusqlite::Connection::open(db).ok()?;
    let text: String = conn
        .query_row("SELECT value FROM auth_kv WHERE key = ?1", [key], |r| {
            r.get(0)
        })
        .ok()?;
    serde_json::from_str(&text).ok()
}

/// Play the IDE: refresh the token in `token_file` against the fake (social `/refreshToken`
/// or OIDC `/token` with the registration file found through `clientIdHash`), then rewrite
/// the file the way an editor does — write a temp file in the same directory and rename it
/// over the original. Unknown fields are preserved. Returns the new content.
pub async fn ide_rewrite_token_file(fake: &FakeKiro, token_file: &Path) -> Value {
    let text = std::fs::read_to_string(token_file).expect("read token file");
    let mut v: Value = serde_json::from_str(&text).expect("token file json");
    let rt = v["refreshToken"]
        .as_str()
        .expect("refreshToken")
        .to_string();
    let client = reqwest::Client::new();
    let is_idc = v
        .get("authMethod")
        .and_then(Value::as_str)
        .is_some_and(|m| m.eq_ignore_ascii_case("idc"));
    let resp: Value = if is_idc {
        let hash = v["clientIdHash"].as_str().expect("clientIdHash");
        let reg_path = token_file
            .parent()
            .expect("dir")
            .join(format!("{hash}.json"));
        let reg: Value =
            serde_json::from_str(&std::fs::read_to_string(reg_path).expect("registration"))
                .expect("registration json");
        client
            .post(fake.oidc_url())
            .json(&json!({
                "clientId": reg["clientId"],
                "clientSecret": reg["clientSecret"],
                "refreshToken": rt,
                "grantType": "refresh_token"
            }))
            .send()
            .await
            .expect("oidc call")
            .error_for_status()
            .expect("oidc ok")
            .json()
            .await
            .expect("oidc json")
    } else {
        client
            .post(fake.refresh_url())
            .json(&json!({ "refreshToken": rt }))
            .send()
            .await
            .expect("refresh call")
            .error_for_status()
            .expect("refresh ok")
            .json()
            .await
            .expect("refresh json")
    };
    let secs = resp["expiresIn"].as_i64().unwrap_or(3600);
    v["accessToken"] = resp["accessToken"].clone();
    if let Some(new_rt) = resp.get("refreshToken").filter(|r| r.is_string()) {
        v["refreshToken"] = new_rt.clone();
    }
    v["expiresAt"] = iso_millis(chrono::Utc::now() + chrono::Duration::seconds(secs)).into();
    let dir = token_file.parent().expect("dir");
    let tmp = dir.join(format!(
        ".{}.tmp-{}",
        token_file
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("token"),
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::write(&tmp, serde_json::to_string_pretty(&v).expect("json")).expect("write tmp");
    std::fs::rename(&tmp, token_file).expect("rename over token file");
    v
}
