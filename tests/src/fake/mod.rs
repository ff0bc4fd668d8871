//! A fake Kiro upstream that follows docs/kiro-protocol.md#fake-server.
//!
//! One listener on `127.0.0.1:0` serves every host personality (social auth, OIDC, runtime,
//! management); requests are routed by path and, for the AWS JSON RPC style, by
//! `X-Amz-Target`. Every request is recorded for assertions.
//!
//! ```no_run
//! # async fn demo() {
//! use kiro_gateway_tests::fake::{FakeConfig, FakeKiro, Script};
//! let fake = FakeKiro::start(FakeConfig::default()).await;
//! fake.push_script(Script::new().text("Hel").text("lo").trailers());
//! let _env = fake.env_lines();
//! # }
//! ```

pub mod auth;
pub mod catalog;
pub mod chat;
pub mod eventstream;
pub mod fixtures;
pub mod reasoning;
pub mod script;
pub mod validate;

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::Response;
use chrono::{DateTime, Utc};
use serde_json::Value;
use tokio::sync::Notify;

pub use auth::{AccountSpec, AuthKind, IssuedToken};
pub use catalog::ModelInfo;
pub use eventstream::{HeaderValue, Message};
pub use script::{Chunking, CrcPart, FragmentSplit, Script, Step, Transport};
pub use validate::Validation;

/// Which operation a request addressed (after routing both styles).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Endpoint {
    /// `POST /refreshToken` (social auth host).
    SocialRefresh,
    /// `POST /token` (AWS SSO OIDC CreateToken).
    OidcToken,
    /// GenerateAssistantResponse, REST, RPC or hybrid style.
    Chat,
    ListModels,
    ListProfiles,
    GetProfile,
    UsageLimits,
    /// `POST /mcp` (JSON-RPC web_search).
    Mcp,
    /// Anything else (answered 404).
    Unknown,
}

/// How the chat call was addressed (docs/kiro-protocol.md#addressing).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestStyle {
    /// `POST /generateAssistantResponse` without `X-Amz-Target`.
    Rest,
    /// `POST /` with `X-Amz-Target`.
    Rpc,
    /// Path and `X-Amz-Target` both present.
    Hybrid,
}

/// Trailer events appended by the default (unscripted) reply and by [`Script::trailers`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trailers {
    /// No trailer at all (looks like a truncated response).
    None,
    MeteringOnly,
    ContextOnly,
    /// `contextUsageEvent` then `meteringEvent` (KR test order). Default.
    ContextThenMetering,
    /// `meteringEvent` then `contextUsageEvent`.
    MeteringThenContext,
    /// `metadataEvent`, `contextUsageEvent`, `meteringEvent` (9router capture order), the
    /// metadata carrying real-looking token counts.
    WithMetadata,
    /// The trailer of a completed stream as of 2026-12: `metadataEvent` (token counts all
    /// zero, as measured; `stopReason` `END_TURN` whatever happened), `contextUsageEvent`,
    /// `meteringEvent`. Default.
    December,
}

/// Token-bucket throttling per account (switch `throttle`, off by default).
#[derive(Debug, Clone)]
pub struct ThrottleConfig {
    /// Bucket size (requests).
    pub capacity: u32,
    /// Refill rate, requests per second.
    pub refill_per_sec: f64,
    /// `reason` in the 429 body: `DAILY_REQUEST_COUNT` or `INSUFFICIENT_MODEL_CAPACITY`.
    pub reason: String,
    /// Optional `Retry-After` header (seconds).
    pub retry_after: Option<u64>,
}

/// Picks the reply to a chat call from its Kiro request body ([`FakeKiro::set_responder`]).
pub type Responder = Arc<dyn Fn(&Value) -> Option<Script> + Send + Sync>;

/// Everything that can be switched per test. Change it at run time with [`FakeKiro::update`].
#[derive(Debug, Clone)]
pub struct FakeConfig {
    /// Validation switches of docs/kiro-protocol.md#fake-validation.
    pub validation: Validation,
    /// Accounts known to the fake. Default: one social account named `default`.
    pub accounts: Vec<AccountSpec>,
    /// Lifetime of access tokens issued by the refresh endpoints (`expiresIn`). Default 3600 s.
    pub access_token_lifetime: Duration,
    /// Rotate the refresh token on every refresh (the old one stops working). Default off.
    pub rotate_refresh_tokens: bool,
    /// Runtime-host rule: chat without `profileArn` → 400 (docs/kiro-protocol.md#profile-arn).
    /// Default on.
    pub require_profile_arn: bool,
    /// Check that the `profileArn` belongs to the caller's account (else 403). Default on.
    pub check_profile_owner: bool,
    /// "Runtime personality": ListAvailableModels answers 404, as JW observed on
    /// `runtime.{region}.kiro.dev` (docs/kiro-protocol.md#model-catalogue). Default off (the single
    /// listener acts as both).
    pub runtime_personality: bool,
    /// The model catalog (ids accepted by the `model_id` switch).
    pub catalog: Vec<ModelInfo>,
    /// Default model id for `defaultModel`.
    pub default_model: String,
    /// Trailers of the default reply.
    pub default_trailers: Trailers,
    /// Transport used when a script does not set its own.
    pub default_transport: Transport,
    /// Per-account throttling; `None` = off.
    pub throttle: Option<ThrottleConfig>,
    /// Model ids short of capacity: a chat call for one of them answers 429
    /// `INSUFFICIENT_MODEL_CAPACITY` (docs/kiro-protocol.md#error-catalogue), other models answer
    /// normally. Default empty.
    pub short_of_capacity: Vec<String>,
    /// Legacy `q.{region}.amazonaws.com` personality: `profileArn` optional, and an OIDC
    /// (Builder ID) token sent **with** a `profileArn` gets the bearer 403 (JW 5cb5abd).
    /// Default off.
    pub legacy_q_personality: bool,
    /// How a region prefix (`{base}/{region}/...`, see [`FakeKiro::region_url`]) that is not
    /// the account's profile region answers ListAvailableProfiles.
    pub wrong_region_profiles: WrongRegion,
    /// Delay before the refresh endpoints answer (single-flight tests).
    pub refresh_delay: Duration,
    /// Delay before the chat call's response headers (time-to-headers tests).
    pub chat_header_delay: Duration,
    /// How GPT models' reasoning comes back (after the text, docs/kiro-protocol.md#reasoning):
    /// Reported both ways, depending on the service target.
    pub gpt_reasoning: GptReasoning,
}

/// The two reported shapes of GPT reasoning frames.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum GptReasoning {
    /// `{"redactedContent": <base64>}` (the older target). Default.
    #[default]
    Redacted,
    /// Placeholder text with a signature (the V3 target).
    Placeholder,
}

/// Answer of ListAvailableProfiles in a region where the account has no profile (PI: 403 or
/// an empty list).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WrongRegion {
    Forbidden,
    EmptyList,
}

impl Default for FakeConfig {
    fn default() -> Self {
        FakeConfig {
            validation: Validation::default(),
            accounts: vec![AccountSpec::social("default")],
            access_token_lifetime: Duration::from_secs(3600),
            rotate_refresh_tokens: false,
            require_profile_arn: true,
            check_profile_owner: true,
            runtime_personality: false,
            catalog: catalog::default_catalog(),
            default_model: "auto".into(),
            default_trailers: Trailers::December,
            default_transport: Transport::default(),
            throttle: None,
            short_of_capacity: Vec::new(),
            legacy_q_personality: false,
            wrong_region_profiles: WrongRegion::Forbidden,
            refresh_delay: Duration::ZERO,
            chat_header_delay: Duration::ZERO,
            gpt_reasoning: GptReasoning::Redacted,
        }
    }
}

/// One recorded request.
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    /// Sequence number over all endpoints, from 0.
    pub seq: usize,
    pub at: DateTime<Utc>,
    pub endpoint: Endpoint,
    /// Only for [`Endpoint::Chat`].
    pub style: Option<RequestStyle>,
    pub method: String,
    /// Path without the region prefix.
    pub path: String,
    /// Region prefix of the path (`/eu-central-1/...`), if any.
    pub region: Option<String>,
    pub query: Option<String>,
    /// Header names lower-cased, in arrival order.
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
    /// Body parsed as JSON, if it is JSON.
    pub json: Option<Value>,
    /// HTTP status the fake answered with.
    pub status: u16,
    /// Why the fake rejected it (validation switch name, `auth`, `profile_arn`, `script`,
    /// `injected` …), `None` when it succeeded.
    pub rejected_by: Option<String>,
    /// Account the bearer token / refresh token belonged to, when known.
    pub account: Option<String>,
}

impl RecordedRequest {
    /// First header value with this (case-insensitive) name.
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The bearer token from `Authorization`.
    pub fn bearer(&self) -> Option<&str> {
        self.header("authorization")
            .and_then(|v| v.strip_prefix("Bearer "))
    }

    /// A query parameter (percent-decoded).
    pub fn query_param(&self, key: &str) -> Option<String> {
        query_param(self.query.as_deref(), key)
    }

    /// `conversationState` of a chat request.
    pub fn conversation_state(&self) -> Option<&Value> {
        self.json.as_ref()?.get("conversationState")
    }

    /// The current user message (`conversationState.currentMessage.userInputMessage`).
    pub fn current_user_message(&self) -> Option<&Value> {
        self.conversation_state()?
            .get("currentMessage")?
            .get("userInputMessage")
    }
}

/// A canned HTTP answer injected for the next request(s) to an endpoint.
#[derive(Debug, Clone)]
pub struct HttpReply {
    pub status: u16,
    pub body: String,
    pub headers: Vec<(String, String)>,
}

impl HttpReply {
    pub fn json(status: u16, body: Value) -> HttpReply {
        HttpReply {
            status,
            body: body.to_string(),
            headers: vec![],
        }
    }
}

pub(crate) struct AccountState {
    pub spec: AccountSpec,
    /// Current valid refresh token (changes when rotated).
    pub refresh_token: String,
    pub credits_used: f64,
    pub bucket: Option<(f64, std::time::Instant)>,
}

pub(crate) struct Issued {
    pub account: usize,
    pub expires_at: DateTime<Utc>,
}

pub(crate) struct Inner {
    pub cfg: FakeConfig,
    pub accounts: Vec<AccountState>,
    pub access_tokens: HashMap<String, Issued>,
    pub revoke_next: u32,
    pub scripts: VecDeque<Script>,
    pub responder: Option<Responder>,
    pub injected: HashMap<Endpoint, VecDeque<HttpReply>>,
    pub records: Vec<RecordedRequest>,
}

pub(crate) struct Shared {
    pub inner: Mutex<Inner>,
    pub notify: Notify,
    /// Chat streams whose client (the gateway) went away before the script ended.
    pub chat_streams_closed_by_client: Arc<std::sync::atomic::AtomicUsize>,
    /// TCP connections accepted so far.
    pub connections_accepted: Arc<std::sync::atomic::AtomicUsize>,
}

impl Shared {
    pub fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A running fake Kiro server. Dropping it stops accepting connections.
pub struct FakeKiro {
    addr: SocketAddr,
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FakeKiro {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FakeKiro {
    /// Start on `127.0.0.1:0`.
    pub async fn start(cfg: FakeConfig) -> FakeKiro {
        Self::start_on(cfg, 0).await.expect("bind 127.0.0.1:0")
    }

    /// Start on `127.0.0.1:port` (0 = any).
    pub async fn start_on(cfg: FakeConfig, port: u16) -> std::io::Result<FakeKiro> {
        let accounts = cfg
            .accounts
            .iter()
            .map(|spec| AccountState {
                refresh_token: spec.refresh_token.clone(),
                spec: spec.clone(),
                credits_used: spec.credits_used,
                bucket: None,
            })
            .collect();
        let shared = Arc::new(Shared {
            inner: Mutex::new(Inner {
                cfg,
                accounts,
                access_tokens: HashMap::new(),
                revoke_next: 0,
                scripts: VecDeque::new(),
                responder: None,
                injected: HashMap::new(),
                records: Vec::new(),
            }),
            notify: Notify::new(),
            chat_streams_closed_by_client: Arc::default(),
            connections_accepted: Arc::default(),
        });
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
        let addr = listener.local_addr()?;
        let state = shared.clone();
        let app = axum::Router::new().fallback(
            move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
                let state = state.clone();
                async move { dispatch(state, method, uri, headers, body).await }
            },
        );
        use axum::serve::ListenerExt;
        let accepted = shared.connections_accepted.clone();
        let listener = listener.tap_io(move |tcp| {
            accepted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            // Chaos writes must reach the wire as separate segments.
            let _ = tcp.set_nodelay(true);
        });
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(FakeKiro { addr, shared, task })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:{port}`
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Social refresh URL (`KIRO_REFRESH_URL`).
    pub fn refresh_url(&self) -> String {
        format!("{}/refreshToken", self.base_url())
    }

    /// OIDC CreateToken URL (`KIRO_OIDC_URL`).
    pub fn oidc_url(&self) -> String {
        format!("{}/token", self.base_url())
    }

    /// Runtime base (`KIRO_API_URL`): chat and MCP.
    pub fn runtime_url(&self) -> String {
        self.base_url()
    }

    /// Management base (`KIRO_MANAGEMENT_URL`): models, profiles, usage.
    pub fn management_url(&self) -> String {
        self.base_url()
    }

    /// Base URL of a "regional host": `{base}/{region}`. Requests through it are recorded
    /// with that region; profiles and chat check it against the profile ARN's region.
    pub fn region_url(&self, region: &str) -> String {
        format!("{}/{region}", self.base_url())
    }

    /// `KEY=value` lines that point a gateway at this fake.
    pub fn env_lines(&self) -> Vec<(String, String)> {
        vec![
            ("KIRO_API_URL".into(), self.runtime_url()),
            ("KIRO_MANAGEMENT_URL".into(), self.management_url()),
            ("KIRO_REFRESH_URL".into(), self.refresh_url()),
            ("KIRO_OIDC_URL".into(), self.oidc_url()),
        ]
    }

    /// The environment a gateway process needs to use this fake with the login in
    /// `creds_file`.
    pub fn gateway_env(&self, creds_file: &std::path::Path) -> Vec<(&'static str, String)> {
        vec![
            ("KIRO_CREDS_FILE", creds_file.display().to_string()),
            ("KIRO_API_URL", self.runtime_url()),
            ("KIRO_MANAGEMENT_URL", self.management_url()),
            ("KIRO_REFRESH_URL", self.refresh_url()),
            ("KIRO_OIDC_URL", self.oidc_url()),
        ]
    }

    /// Change switches while running.
    pub fn update(&self, f: impl FnOnce(&mut FakeConfig)) {
        f(&mut self.shared.lock().cfg);
    }

    /// A copy of the current configuration.
    pub fn config(&self) -> FakeConfig {
        self.shared.lock().cfg.clone()
    }

    // ---- scripts ----

    /// Queue a reply script; each chat call that passes auth and validation pops one.
    pub fn push_script(&self, script: Script) {
        self.shared.lock().scripts.push_back(script);
    }

    /// Drop the scripts no call has taken.
    pub fn clear_scripts(&self) {
        self.shared.lock().scripts.clear();
    }

    /// Answer chat calls that find no queued script with `responder(kiro_request_body)`
    /// (when it returns `None`, the default echo reply). Real clients make side requests
    /// (titles, summaries) in no fixed order; a responder looks at each request instead.
    pub fn set_responder(
        &self,
        responder: impl Fn(&Value) -> Option<Script> + Send + Sync + 'static,
    ) {
        self.shared.lock().responder = Some(Arc::new(responder));
    }

    /// TCP connections accepted so far (Kiro keeps connections alive unless the client asks
    /// for `Connection: close`, and so does the fake).
    pub fn connections_accepted(&self) -> usize {
        self.shared
            .connections_accepted
            .load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Back to the default answers when no script is queued.
    pub fn clear_responder(&self) {
        self.shared.lock().responder = None;
    }

    /// Scripts still queued.
    pub fn pending_scripts(&self) -> usize {
        self.shared.lock().scripts.len()
    }

    /// The next request to `endpoint` gets this canned answer (after recording, before auth).
    pub fn inject(&self, endpoint: Endpoint, reply: HttpReply) {
        self.shared
            .lock()
            .injected
            .entry(endpoint)
            .or_default()
            .push_back(reply);
    }

    /// The next `n` authenticated calls fail with the bearer-token 403 even with fresh tokens.
    pub fn revoke_next(&self, n: u32) {
        self.shared.lock().revoke_next = n;
    }

    // ---- observation ----

    /// All recorded requests so far.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.lock().records.clone()
    }

    /// Recorded requests for one endpoint.
    pub fn requests_to(&self, endpoint: Endpoint) -> Vec<RecordedRequest> {
        self.shared
            .lock()
            .records
            .iter()
            .filter(|r| r.endpoint == endpoint)
            .cloned()
            .collect()
    }

    /// The last recorded chat request.
    pub fn last_chat(&self) -> Option<RecordedRequest> {
        self.requests_to(Endpoint::Chat).pop()
    }

    pub fn count(&self, endpoint: Endpoint) -> usize {
        self.shared
            .lock()
            .records
            .iter()
            .filter(|r| r.endpoint == endpoint)
            .count()
    }

    pub fn refresh_calls(&self) -> usize {
        self.count(Endpoint::SocialRefresh)
    }

    pub fn oidc_calls(&self) -> usize {
        self.count(Endpoint::OidcToken)
    }

    pub fn chat_calls(&self) -> usize {
        self.count(Endpoint::Chat)
    }

    /// How many chat event streams were closed by the client (the gateway dropped the
    /// connection) before their script ended: a `stall()` that saw its client leave, or a
    /// write that found nobody reading.
    pub fn chat_streams_closed_by_client(&self) -> usize {
        self.shared
            .chat_streams_closed_by_client
            .load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Forget recorded requests (counters restart from 0).
    pub fn clear_requests(&self) {
        self.shared.lock().records.clear();
    }

    /// Wait until at least `n` requests to `endpoint` were recorded; returns them.
    /// Panics after `timeout`.
    pub async fn wait_for(
        &self,
        endpoint: Endpoint,
        n: usize,
        timeout: Duration,
    ) -> Vec<RecordedRequest> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let notified = self.shared.notify.notified();
            let got = self.requests_to(endpoint);
            if got.len() >= n {
                return got;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                panic!(
                    "timed out waiting for {n} {endpoint:?} requests (got {})",
                    self.count(endpoint)
                );
            }
        }
    }

    // ---- accounts and tokens ----

    /// Add an account at run time; returns its spec (with generated tokens).
    pub fn add_account(&self, spec: AccountSpec) -> AccountSpec {
        let mut g = self.shared.lock();
        g.accounts.push(AccountState {
            refresh_token: spec.refresh_token.clone(),
            spec: spec.clone(),
            credits_used: spec.credits_used,
            bucket: None,
        });
        g.cfg.accounts.push(spec.clone());
        spec
    }

    /// The account's spec (initial tokens) by name.
    pub fn account(&self, name: &str) -> AccountSpec {
        let g = self.shared.lock();
        g.accounts
            .iter()
            .find(|a| a.spec.name == name)
            .unwrap_or_else(|| panic!("no account {name}"))
            .spec
            .clone()
    }

    /// The refresh token currently valid for an account (after rotations).
    pub fn current_refresh_token(&self, name: &str) -> String {
        let g = self.shared.lock();
        g.accounts
            .iter()
            .find(|a| a.spec.name == name)
            .unwrap_or_else(|| panic!("no account {name}"))
            .refresh_token
            .clone()
    }

    /// Issue an access token for `account` valid for `ttl` (negative = already expired).
    pub fn issue_access_token(&self, account: &str, ttl: chrono::Duration) -> IssuedToken {
        let mut g = self.shared.lock();
        let idx = g
            .accounts
            .iter()
            .position(|a| a.spec.name == account)
            .unwrap_or_else(|| panic!("no account {account}"));
        auth::issue(&mut g, idx, ttl)
    }

    /// Expire every access token issued so far (they then get the 403).
    pub fn expire_all_access_tokens(&self) {
        let mut g = self.shared.lock();
        let past = Utc::now() - chrono::Duration::seconds(1);
        for t in g.access_tokens.values_mut() {
            t.expires_at = past;
        }
    }

    /// Credits used so far by an account (sum of metering events sent).
    pub fn credits_used(&self, account: &str) -> f64 {
        let g = self.shared.lock();
        g.accounts
            .iter()
            .find(|a| a.spec.name == account)
            .map(|a| a.credits_used)
            .unwrap_or(0.0)
    }

    /// Set the credits used by an account (e.g. to the limit to trigger the 402).
    pub fn set_credits_used(&self, account: &str, used: f64) {
        let mut g = self.shared.lock();
        if let Some(a) = g.accounts.iter_mut().find(|a| a.spec.name == account) {
            a.credits_used = used;
        }
    }
}

// ---- routing ----

pub(crate) const GENERIC_400: &str = r#"{"message":"Improperly formed request.","reason":null}"#;
pub(crate) const BODY_INVALID_400: &str =
    r#"{"message":"Improperly formed request.","reason":"REQUEST_BODY_INVALID"}"#;
pub(crate) const BEARER_403: &str =
    r#"{"message":"The bearer token included in the request is invalid.","reason":null}"#;

/// What a handler produced: the response and what to record.
pub(crate) struct Outcome {
    pub response: Box<Response>,
    pub rejected_by: Option<String>,
    pub account: Option<String>,
    /// Sleep this long before answering (the request is recorded before the sleep).
    pub delay: Duration,
}

impl Outcome {
    pub fn ok(response: Response, account: Option<String>) -> Outcome {
        Outcome {
            response: Box::new(response),
            rejected_by: None,
            account,
            delay: Duration::ZERO,
        }
    }

    pub fn reject(status: u16, body: &str, error_type: &str, why: &str) -> Outcome {
        Outcome {
            response: Box::new(json_response(
                status,
                body,
                &[("x-amzn-ErrorType", error_type)],
            )),
            rejected_by: Some(why.to_string()),
            account: None,
            delay: Duration::ZERO,
        }
    }

    pub fn delayed(mut self, d: Duration) -> Outcome {
        self.delay = d;
        self
    }

    pub fn with_account(mut self, account: Option<String>) -> Outcome {
        if self.account.is_none() {
            self.account = account;
        }
        self
    }
}

pub(crate) fn json_response(status: u16, body: &str, headers: &[(&str, &str)]) -> Response {
    let mut b = Response::builder()
        .status(StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR))
        .header("content-type", "application/json")
        .header("x-amzn-RequestId", uuid::Uuid::new_v4().to_string());
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    b.body(Body::from(body.to_string()))
        .expect("valid response")
}

pub(crate) fn query_param(query: Option<&str>, key: &str) -> Option<String> {
    let q = query?;
    for pair in q.split('&') {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        if k == key {
            return Some(percent_decode(v));
        }
    }
    None
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' if i + 2 < b.len() => match u8::from_str_radix(&s[i + 1..i + 3], 16) {
                Ok(v) => {
                    out.push(v);
                    i += 3;
                }
                Err(_) => {
                    out.push(b'%');
                    i += 1;
                }
            },
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `/eu-central-1/rest` → (`Some("eu-central-1")`, `/rest`).
fn split_region(path: &str) -> (Option<String>, String) {
    let trimmed = path.strip_prefix('/').unwrap_or(path);
    if let Some((first, rest)) = trimmed.split_once('/') {
        let parts: Vec<&str> = first.split('-').collect();
        let is_region = parts.len() == 3
            && parts[..2]
                .iter()
                .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
            && !parts[2].is_empty()
            && parts[2].bytes().all(|b| b.is_ascii_digit());
        if is_region {
            return (Some(first.to_string()), format!("/{rest}"));
        }
    }
    (None, path.to_string())
}

fn classify(method: &Method, path: &str, target: Option<&str>) -> (Endpoint, Option<RequestStyle>) {
    const CHAT_TARGET: &str = "AmazonCodeWhispererStreamingService.GenerateAssistantResponse";
    let rpc = |t: &str| -> Endpoint {
        match t {
            CHAT_TARGET => Endpoint::Chat,
            "AmazonCodeWhispererService.ListAvailableModels" => Endpoint::ListModels,
            "AmazonCodeWhispererService.ListAvailableProfiles" => Endpoint::ListProfiles,
            "AmazonCodeWhispererService.GetProfile" => Endpoint::GetProfile,
            "AmazonCodeWhispererService.GetUsageLimits" => Endpoint::UsageLimits,
            _ => Endpoint::Unknown,
        }
    };
    let post = method == Method::POST;
    let get = method == Method::GET;
    match path {
        "/" if post => match target {
            Some(t) => {
                let e = rpc(t);
                let style = (e == Endpoint::Chat).then_some(RequestStyle::Rpc);
                (e, style)
            }
            None => (Endpoint::Unknown, None),
        },
        "/generateAssistantResponse" if post => match target {
            None => (Endpoint::Chat, Some(RequestStyle::Rest)),
            Some(CHAT_TARGET) => (Endpoint::Chat, Some(RequestStyle::Hybrid)),
            Some(_) => (Endpoint::Unknown, None),
        },
        "/refreshToken" if post => (Endpoint::SocialRefresh, None),
        "/token" if post => (Endpoint::OidcToken, None),
        "/ListAvailableModels" | "/List-Available-Models" if get => (Endpoint::ListModels, None),
        "/ListAvailableProfiles" | "/List-Available-Profiles" if post => {
            (Endpoint::ListProfiles, None)
        }
        "/GetProfile" if post => (Endpoint::GetProfile, None),
        "/getUsageLimits" | "/Get-Usage-Limits" if get => (Endpoint::UsageLimits, None),
        "/mcp" if post => (Endpoint::Mcp, None),
        _ => (Endpoint::Unknown, None),
    }
}

/// The parts of a request handlers need.
pub(crate) struct Req {
    pub headers: HeaderMap,
    pub query: Option<String>,
    pub body: Bytes,
    pub json: Option<Value>,
    pub region: Option<String>,
}

impl Req {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

async fn dispatch(
    shared: Arc<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (region, path) = split_region(uri.path());
    let target = headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let (endpoint, style) = classify(&method, &path, target.as_deref());
    let json: Option<Value> = serde_json::from_slice(&body).ok();
    let req = Req {
        headers: headers.clone(),
        query: uri.query().map(str::to_string),
        body: body.clone(),
        json: json.clone(),
        region: region.clone(),
    };

    let injected = shared
        .lock()
        .injected
        .get_mut(&endpoint)
        .and_then(VecDeque::pop_front);
    let outcome = if let Some(reply) = injected {
        let hdrs: Vec<(&str, &str)> = reply
            .headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        Outcome {
            response: Box::new(json_response(reply.status, &reply.body, &hdrs)),
            rejected_by: Some("injected".into()),
            account: None,
            delay: Duration::ZERO,
        }
    } else {
        match endpoint {
            Endpoint::SocialRefresh => auth::social_refresh(&shared, &req),
            Endpoint::OidcToken => auth::oidc_token(&shared, &req),
            Endpoint::Chat => chat::handle(&shared, &req),
            Endpoint::ListModels => catalog::list_models(&shared, &req),
            Endpoint::ListProfiles => catalog::list_profiles(&shared, &req),
            Endpoint::GetProfile => catalog::get_profile(&shared, &req),
            Endpoint::UsageLimits => catalog::usage_limits(&shared, &req),
            Endpoint::Mcp => catalog::mcp(&shared, &req),
            Endpoint::Unknown => Outcome::reject(
                404,
                r#"{"message":"Not Found","reason":null}"#,
                "UnknownOperationException",
                "unknown_endpoint",
            ),
        }
    };

    let status = outcome.response.status().as_u16();
    {
        let mut g = shared.lock();
        let seq = g.records.len();
        g.records.push(RecordedRequest {
            seq,
            at: Utc::now(),
            endpoint,
            style,
            method: method.to_string(),
            path,
            region,
            query: uri.query().map(str::to_string),
            headers: headers
                .iter()
                .map(|(k, v)| {
                    (
                        k.as_str().to_ascii_lowercase(),
                        String::from_utf8_lossy(v.as_bytes()).into_owned(),
                    )
                })
                .collect(),
            body,
            json,
            status,
            rejected_by: outcome.rejected_by,
            account: outcome.account,
        });
    }
    shared.notify.notify_waiters();
    if !outcome.delay.is_zero() {
        tokio::time::sleep(outcome.delay).await;
    }
    *outcome.response
}

// ---- helpers for tests that talk to the fake directly ----

impl FakeKiro {
    /// A fresh access token (1 h) for an account.
    pub fn bearer(&self, account: &str) -> String {
        self.issue_access_token(account, chrono::Duration::hours(1))
            .access_token
    }
}

/// A minimal valid chat body (docs/kiro-protocol.md#request-body) for `profile_arn` with one user
/// message.
pub fn chat_body(profile_arn: &str, content: &str, model: &str) -> Value {
    serde_json::json!({
        "profileArn": profile_arn,
        "conversationState": {
            "conversationId": uuid::Uuid::new_v4().to_string(),
            "chatTriggerType": "MANUAL",
            "agentTaskType": "vibe",
            "currentMessage": {
                "userInputMessage": {
                    "content": content,
                    "modelId": model,
                    "origin": "AI_EDITOR"
                }
            }
        }
    })
}

/// Decode a whole event-stream body; panics on a framing error or trailing bytes.
pub fn decode_body(bytes: &[u8]) -> Vec<Message> {
    let (msgs, used) = eventstream::decode_all(bytes).expect("valid event stream");
    assert_eq!(used, bytes.len(), "trailing bytes after the last frame");
    msgs
}

/// Collapse decoded frames into `(kind, json)` pairs: the event type (or
/// `exception:<type>` / `error:<code>`) and the payload.
pub fn summarize(msgs: &[Message]) -> Vec<(String, Value)> {
    msgs.iter()
        .map(|m| {
            let kind = match m.message_type() {
                "exception" => format!(
                    "exception:{}",
                    m.header_str(":exception-type").unwrap_or("")
                ),
                "error" => format!("error:{}", m.header_str(":error-code").unwrap_or("")),
                _ => m.event_type().unwrap_or("").to_string(),
            };
            (kind, m.json().unwrap_or(Value::Null))
        })
        .collect()
}
