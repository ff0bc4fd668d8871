//! Shared fixtures for the credentials integration tests: temp homes, token files, kiro-cli
//! databases, and a loopback fake of the refresh / OIDC / management endpoints that behaves
//! as docs/kiro-protocol.md#token-refresh and #fake-endpoints describe.
#![allow(dead_code)]

use std::collections::HashSet;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use kiro_gateway::credentials::{CredentialSettings, Credentials};
use kiro_gateway::logs::Redactor;
use serde_json::{json, Value};

pub const CLIENT_ID: &str = "client-id-kirocli";
pub const CLIENT_SECRET: &str = "client-secret-kirocli-0123456789";

#[derive(Clone, Debug)]
pub struct Recorded {
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Recorded {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).expect("request body is JSON")
    }
}

#[derive(Default)]
pub struct FakeState {
    pub valid_refresh: HashSet<String>,
    pub issued_access: HashSet<String>,
    pub requests: Vec<Recorded>,
    pub refresh_calls: usize,
    pub counter: u64,
    pub rotate: bool,
    pub delay: Duration,
    /// `None` → ListAvailableProfiles answers 403.
    pub profiles: Option<Vec<String>>,
    pub client_id: String,
    pub client_secret: String,
    pub fail_status: Option<u16>,
    pub expires_in: i64,
}

#[derive(Clone)]
pub struct Fake {
    pub addr: SocketAddr,
    pub state: Arc<Mutex<FakeState>>,
}

impl Fake {
    pub async fn start() -> Fake {
        let state = Arc::new(Mutex::new(FakeState {
            rotate: true,
            client_id: CLIENT_ID.into(),
            client_secret: CLIENT_SECRET.into(),
            expires_in: 3600,
            ..Default::default()
        }));
        let app = Router::new()
            .route("/refreshToken", post(social))
            .route("/token", post(oidc))
            .route("/List-Available-Profiles", post(profiles))
            .route("/oauth2/token", post(external_idp))
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Fake { addr, state }
    }
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
    pub fn allow_refresh(&self, token: &str) {
        self.state
            .lock()
            .unwrap()
            .valid_refresh
            .insert(token.into());
    }
    pub fn refresh_calls(&self) -> usize {
        self.state.lock().unwrap().refresh_calls
    }
    pub fn requests(&self, path: &str) -> Vec<Recorded> {
        self.state
            .lock()
            .unwrap()
            .requests
            .iter()
            .filter(|r| r.path == path)
            .cloned()
            .collect()
    }
    pub fn set<F: FnOnce(&mut FakeState)>(&self, f: F) {
        f(&mut self.state.lock().unwrap())
    }
}

fn record(state: &Mutex<FakeState>, path: &str, headers: &HeaderMap, body: &Bytes) {
    let headers = headers
        .iter()
        .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or("").to_owned()))
        .collect();
    state.lock().unwrap().requests.push(Recorded {
        path: path.into(),
        headers,
        body: String::from_utf8_lossy(body).into_owned(),
    });
}

fn json_response(status: u16, v: Value) -> Response {
    (
        StatusCode::from_u16(status).unwrap(),
        [("content-type", "application/json")],
        v.to_string(),
    )
        .into_response()
}

/// Issue new tokens for `refresh` (rotating it when configured). `None` = unknown token.
fn issue(st: &mut FakeState, refresh: &str) -> Option<(String, String, i64)> {
    if !st.valid_refresh.contains(refresh) {
        return None;
    }
    st.counter += 1;
    let n = st.counter;
    let access = format!("aoa-fresh-access-{n:04}");
    let new_refresh = if st.rotate {
        st.valid_refresh.remove(refresh);
        let r = format!("aor-rotated-refresh-{n:04}");
        st.valid_refresh.insert(r.clone());
        r
    } else {
        refresh.to_owned()
    };
    st.issued_access.insert(access.clone());
    Some((access, new_refresh, st.expires_in))
}

async fn social(
    State(state): State<Arc<Mutex<FakeState>>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    record(&state, "/refreshToken", &headers, &body);
    let delay = {
        let mut st = state.lock().unwrap();
        st.refresh_calls += 1;
        st.delay
    };
    tokio::time::sleep(delay).await;
    let mut st = state.lock().unwrap();
    if let Some(code) = st.fail_status {
        return json_response(code, json!({"message": "service trouble"}));
    }
    let Ok(v) = serde_json::from_slice::<Value>(&body) else {
        return json_response(400, json!({"message": "Improperly formed request."}));
    };
    let rt = v.get("refreshToken").and_then(Value::as_str).unwrap_or("");
    match issue(&mut st, rt) {
        Some((access, refresh, exp)) => json_response(
            200,
            json!({
                "accessToken": access,
                "refreshToken": refresh,
                "profileArn": "arn:aws:codewhisperer:us-east-1:699475941385:profile/EHGA3GRVQMUK",
                "expiresIn": exp,
            }),
        ),
        None => json_response(
            400,
            json!({"error": "invalid_grant", "message": "Invalid refresh token provided"}),
        ),
    }
}

async fn oidc(
    State(state): State<Arc<Mutex<FakeState>>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    record(&state, "/token", &headers, &body);
    let delay = {
        let mut st = state.lock().unwrap();
        st.refresh_calls += 1;
        st.delay
    };
    tokio::time::sleep(delay).await;
    let mut st = state.lock().unwrap();
    if let Some(code) = st.fail_status {
        return json_response(code, json!({"error": "server_error"}));
    }
    let json_ct = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    let Some(v) = serde_json::from_slice::<Value>(&body)
        .ok()
        .filter(|_| json_ct)
    else {
        return json_response(
            400,
            json!({"error": "invalid_request", "error_description": "form body"}),
        );
    };
    if v.get("scope").is_some() || v.get("scopes").is_some() {
        return json_response(
            400,
            json!({"error": "invalid_request", "error_description": "scope not allowed"}),
        );
    }
    if v.get("grantType").and_then(Value::as_str) != Some("refresh_token") {
        return json_response(400, json!({"error": "unsupported_grant_type"}));
    }
    let id = v.get("clientId").and_then(Value::as_str).unwrap_or("");
    let secret = v.get("clientSecret").and_then(Value::as_str).unwrap_or("");
    if id != st.client_id || secret != st.client_secret {
        return json_response(
            401,
            json!({"error": "invalid_client", "error_description": "Invalid client"}),
        );
    }
    let rt = v.get("refreshToken").and_then(Value::as_str).unwrap_or("");
    match issue(&mut st, rt) {
        Some((access, refresh, exp)) => json_response(
            200,
            json!({"accessToken": access, "tokenType": "Bearer", "expiresIn": exp, "refreshToken": refresh}),
        ),
        None => json_response(
            400,
            json!({"error": "invalid_grant", "error_description": "Invalid refresh token provided"}),
        ),
    }
}

/// External IdP (docs/kiro-protocol.md#credentials-external-idp): form-encoded OAuth, snake_case
/// response.
async fn external_idp(
    State(state): State<Arc<Mutex<FakeState>>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    record(&state, "/oauth2/token", &headers, &body);
    let mut st = state.lock().unwrap();
    st.refresh_calls += 1;
    let form_ct = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    let text = String::from_utf8_lossy(&body).into_owned();
    let field = |name: &str| {
        text.split('&')
            .filter_map(|kv| kv.split_once('='))
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.to_owned())
    };
    if !form_ct || field("grant_type").as_deref() != Some("refresh_token") {
        return json_response(400, json!({"error": "invalid_request"}));
    }
    let rt = field("refresh_token").unwrap_or_default();
    match issue(&mut st, &rt) {
        Some((access, refresh, exp)) => json_response(
            200,
            json!({"access_token": access, "refresh_token": refresh, "expires_in": exp, "token_type": "Bearer"}),
        ),
        None => json_response(400, json!({"error": "invalid_grant"})),
    }
}

async fn profiles(
    State(state): State<Arc<Mutex<FakeState>>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    record(&state, "/List-Available-Profiles", &headers, &body);
    let st = state.lock().unwrap();
    let bearer = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    if !st.issued_access.contains(bearer) {
        return json_response(
            403,
            json!({"message": "The bearer token included in the request is invalid.", "reason": null}),
        );
    }
    match &st.profiles {
        Some(list) => json_response(
            200,
            json!({"profiles": list.iter().map(|a| json!({"arn": a, "profileName": "p"})).collect::<Vec<_>>()}),
        ),
        None => json_response(
            403,
            json!({"message": "User is not authorized to access this feature", "reason": null}),
        ),
    }
}

/// A temp home + data dir; settings point discovery only there.
pub struct Env {
    pub dir: tempfile::TempDir,
}

impl Env {
    pub fn new() -> Env {
        Env {
            dir: tempfile::tempdir().unwrap(),
        }
    }
    pub fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }
    pub fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }
    pub fn cache_dir(&self) -> PathBuf {
        self.home().join(".aws").join("sso").join("cache")
    }
    pub fn token_file(&self) -> PathBuf {
        self.cache_dir().join("kiro-auth-token.json")
    }
    pub fn config_dir(&self) -> PathBuf {
        if cfg!(target_os = "macos") {
            self.home().join("Library").join("Application Support")
        } else if cfg!(windows) {
            self.home().join("AppData").join("Roaming")
        } else {
            self.home().join(".config")
        }
    }
    pub fn ide_profile_file(&self) -> PathBuf {
        self.config_dir()
            .join("Kiro/User/globalStorage/kiro.kiroagent/profile.json")
    }
    pub fn cli_db(&self, program: &str) -> PathBuf {
        self.data().join(program).join("data.sqlite3")
    }
    pub fn settings(&self, fake: Option<&Fake>) -> CredentialSettings {
        std::fs::create_dir_all(self.home()).unwrap();
        std::fs::create_dir_all(self.data()).unwrap();
        CredentialSettings {
            home_dir: Some(self.home()),
            data_local_dir: Some(self.data()),
            refresh_url: fake.map(|f| f.url("/refreshToken")),
            oidc_url: fake.map(|f| f.url("/token")),
            management_url: fake.map(|f| f.url("")),
            ..Default::default()
        }
    }
}

pub fn write_json(path: &Path, v: &Value) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, serde_json::to_vec_pretty(v).unwrap()).unwrap();
}

pub fn read_json(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

pub fn iso_in(secs: i64) -> String {
    (chrono::Utc::now() + chrono::TimeDelta::seconds(secs))
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

pub async fn discover(settings: CredentialSettings) -> Arc<Credentials> {
    Credentials::discover(settings, reqwest::Client::new(), Redactor::new())
        .await
        .unwrap_or_else(|e| panic!("discover failed: {e}"))
}

/// A kiro-cli style database with `auth_kv` (TEXT) and `state` (BLOB) tables.
pub fn make_db(path: &Path, auth: &[(&str, Value)], state: &[(&str, Value, bool)]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.execute_batch(
        "CREATE TABLE auth_kv (key TEXT PRIMARY KEY, value TEXT);
         CREATE TABLE state (key TEXT PRIMARY KEY, value BLOB);",
    )
    .unwrap();
    for (k, v) in auth {
        conn.execute(
            "INSERT INTO auth_kv (key, value) VALUES (?1, ?2)",
            rusqlite::params![k, v.to_string()],
        )
        .unwrap();
    }
    for (k, v, as_blob) in state {
        if *as_blob {
            conn.execute(
                "INSERT INTO state (key, value) VALUES (?1, ?2)",
                rusqlite::params![k, v.to_string().into_bytes()],
            )
            .unwrap();
        } else {
            conn.execute(
                "INSERT INTO state (key, value) VALUES (?1, ?2)",
                rusqlite::params![k, v.to_string()],
            )
            .unwrap();
        }
    }
}

pub fn db_get(path: &Path, table: &str, key: &str) -> Option<(Value, String)> {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.query_row(
        &format!("SELECT value, typeof(value) FROM {table} WHERE key = ?1"),
        [key],
        |row| {
            let raw = row.get_ref(0)?;
            let bytes = match raw {
                rusqlite::types::ValueRef::Text(b) | rusqlite::types::ValueRef::Blob(b) => {
                    b.to_vec()
                }
                _ => Vec::new(),
            };
            Ok((
                serde_json::from_slice(&bytes).unwrap(),
                row.get::<_, String>(1)?,
            ))
        },
    )
    .ok()
}

/// Poll `cond` until true or `timeout`.
pub async fn wait_until<F: FnMut() -> bool>(timeout: Duration, mut cond: F) -> bool {
    let deadline = tokio::time::Instant::now() + timeout;
    while tokio::time::Instant::now() < deadline {
        if cond() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    cond()
}
