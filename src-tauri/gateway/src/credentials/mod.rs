//! Kiro credentials: discovery of every source, refresh (desktop + OIDC), adoption of tokens
//! the IDE or kiro-cli wrote, atomic write-back (docs/kiro-protocol.md#credentials,
//! #token-refresh).
//!
//! CONTRACT (used by `kiro::client`, `server`, `api::health`, `main`): the public items below
//! keep their names and signatures; everything else in this module is free to change.
//!
//! Modules: `source` (which source, discovery order, write-back dispatch), `ide_file`
//! (IDE token file + IdC registration), `cli_db` (kiro-cli / Amazon Q SQLite), `refresh`
//! (social, OIDC, external IdP calls and error classes), `profile` (profile.json,
//! ListAvailableProfiles, regions), `write_back` (atomic JSON), `watch` (notify), `token`
//! (shared parsing), `error` ([`CredentialError`]). The [`Credentials`] manager is here, its
//! parts beside it: `single_flight` (the refresh flow), `adopt` (taking in what the source
//! holds), `profile_choice` (the profile ARN and regions a token goes out with), `persist`
//! (background write-back), `state` (the token state it swaps).
//!
//! Decisions:
//! * Explicit settings win, in the order `creds_file` > `cli_db_file` > `refresh_token`; then
//!   the IDE token file, then `kiro-cli` / `amazon-q` databases (JW's key order). A `ksk_`
//!   value given as `REFRESH_TOKEN` is used as an API key.
//! * `profileArn`: an explicit `PROFILE_ARN` wins over everything (the operator asked for it);
//!   then the token's own, then the refresh response (only fills a gap: the stored one is
//!   kept, like the IDE), then kiro-cli `state`, then the IDE `profile.json` (IDE-file
//!   sources), then ListAvailableProfiles (cached; retried at most every 5 min), then — social
//!   logins only — the shared social profile.
//! * Memory uses a 5-minute safety margin (at most half the lifetime of a token we obtained);
//!   disk keeps the real expiry. A failed proactive refresh keeps serving a still-valid token.
//! * Adoption compares with what the source held when we last read / wrote it, so a
//!   read-only source's stale copy is never re-adopted over a newer in-memory token.
//! * Write-back goes to the source the token came from (a rotated refresh token must reach
//!   the IDE / kiro-cli, or they are signed out). A vanished or unparsable file is not
//!   rewritten; a read-only one leaves the token in memory (`read_only`, one warning).
//! * kiro-cli's database may be locked while kiro-cli writes it. On the request path the
//!   gateway waits for that lock only briefly: a token already in memory is used as it is
//!   (even one due for refresh, while it has not expired), an expired one gives
//!   [`CredentialError::SourceBusy`] ("kiro-cli is busy", retryable), and a refreshed token
//!   whose write-back met the lock is written in the background (`persist`), unless kiro-cli
//!   wrote newer tokens meanwhile.
//! * A refresh token the endpoint rejected for good (`invalid_grant`) is not sent again; a
//!   new login (a different refresh token in the source) is.
//! * The machine id is `sha256(home + source identity)`: stable per credential, never derived
//!   from the rotating refresh token.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock, Weak};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

mod adopt;
mod cli_db;
mod error;
mod ide_file;
mod persist;
mod profile;
mod profile_choice;
mod refresh;
mod single_flight;
mod source;
mod state;
mod token;
mod watch;
mod write_back;

pub use error::CredentialError;
pub use ide_file::client_id_hash;
pub use profile::{PROBE_REGIONS, SOCIAL_SHARED_PROFILE_ARN};
pub use refresh::KIRO_IDE_VERSION;
pub use write_back::write_json_atomically;

use source::{Loaded, Source};
use state::State;

use crate::logs::Redactor;
use crate::secrets::Secret;

/// How a credential is refreshed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthKind {
    /// Google / GitHub login: desktop refresh endpoint.
    Social,
    /// Builder ID / IAM Identity Center: AWS SSO OIDC CreateToken.
    Oidc,
    /// External IdP (Entra ID, Okta …): the IdP's own token endpoint.
    ExternalIdp,
    /// `ksk_…` Kiro API key: no refresh.
    ApiKey,
}

/// What the gateway was told or found; explicit settings win over discovery.
#[derive(Debug, Clone, Default)]
pub struct CredentialSettings {
    /// `KIRO_CREDS_FILE`: an IDE-style JSON token file.
    pub creds_file: Option<PathBuf>,
    /// `KIRO_CLI_DB_FILE`: a kiro-cli / Amazon Q SQLite database.
    pub cli_db_file: Option<PathBuf>,
    /// `REFRESH_TOKEN`: a bare (social) refresh token.
    pub refresh_token: Option<Secret<String>>,
    /// `PROFILE_ARN`.
    pub profile_arn: Option<String>,
    /// `KIRO_REGION`: fallback auth/API region (default `us-east-1`).
    pub region: Option<String>,
    /// `KIRO_API_REGION`: the API region, pinned over everything the credentials say.
    pub api_region: Option<String>,
    /// `KIRO_REFRESH_URL`: full social refresh URL; default from the auth region.
    pub refresh_url: Option<String>,
    /// `KIRO_OIDC_URL`: full OIDC token URL; default from the SSO region.
    pub oidc_url: Option<String>,
    /// `KIRO_MANAGEMENT_URL`: management base URL (ListAvailableProfiles); default from the API region.
    pub management_url: Option<String>,
    /// The login chosen in the app (a [`LoginInfo::id`]), used while it is still found and no
    /// source above was given explicitly.
    pub login: Option<String>,
    /// Home directory used for discovery (tests point it at a temp dir). `None` = the real one.
    pub home_dir: Option<PathBuf>,
    /// `data_local_dir` used to find kiro-cli databases. `None` = the platform's.
    pub data_local_dir: Option<PathBuf>,
}

/// A usable access token and what goes with it on a Kiro request.
#[derive(Debug, Clone)]
pub struct AccessToken {
    pub token: Secret<String>,
    pub auth_kind: AuthKind,
    pub profile_arn: Option<String>,
    /// Region of the runtime / management hosts for this credential.
    pub api_region: String,
    /// Stable 64-hex machine id for this credential (docs/kiro-protocol.md#machine-id).
    pub machine_id: String,
    /// Increases every time the token changes (refresh or adoption); lets a caller that saw
    /// a 403 tell whether someone already replaced the token it used.
    pub generation: u64,
}

/// What the UI, `/health` and `doctor` may show. Never contains a token.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CredentialStatus {
    /// Human description of the source, e.g. `Kiro IDE token file ~/.aws/sso/cache/kiro-auth-token.json`.
    pub source: String,
    pub auth_kind: AuthKind,
    pub expires_at: Option<DateTime<Utc>>,
    pub profile_arn: Option<String>,
    pub api_region: String,
    pub last_refresh_error: Option<String>,
    /// Refresh calls this process made.
    pub refresh_count: u64,
    /// Tokens adopted from the source after the IDE / kiro-cli rewrote it.
    pub adopted_count: u64,
    /// Write-back is impossible (read-only source); the token lives in memory only.
    pub read_only: bool,
    /// A refreshed token waits to be written back (kiro-cli's database was locked).
    pub write_back_pending: bool,
}

/// One login found on this machine, as the UI lists it. Never contains a token.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct LoginInfo {
    /// Stable identity: the source's file (and database key), never a token.
    pub id: String,
    /// Human description of the source.
    pub source: String,
    /// Which program's store it is.
    pub store: LoginStore,
    pub auth_kind: AuthKind,
    /// The token issuer's region, when the source says.
    pub region: Option<String>,
    /// When the stored access token expires (a refresh renews it).
    pub expires_at: Option<DateTime<Utc>>,
    /// Given by a setting (`KIRO_CREDS_FILE`, `KIRO_CLI_DB_FILE`, `REFRESH_TOKEN`).
    pub explicit: bool,
}

/// Where a login is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LoginStore {
    /// The Kiro IDE's token file.
    KiroIde,
    /// A token file named by `KIRO_CREDS_FILE`.
    TokenFile,
    KiroCli,
    AmazonQ,
    /// The `REFRESH_TOKEN` setting.
    RefreshToken,
}

/// Every login on this machine (explicit settings, the Kiro IDE's token file, kiro-cli and
/// Amazon Q databases with each of their logins), in discovery order. Reads files only.
pub fn list_logins(settings: &CredentialSettings) -> Vec<LoginInfo> {
    source::all_logins(settings)
        .into_iter()
        .map(|(source, loaded)| LoginInfo {
            id: source.identity(),
            explicit: source.is_explicit(),
            source: source.describe(),
            store: source.store(),
            auth_kind: loaded.tokens.auth_kind,
            region: loaded.tokens.region.clone(),
            expires_at: loaded.tokens.expires_at,
        })
        .collect()
}

/// Proactive refresh window: a token this close to its expiry is refreshed first.
pub const REFRESH_MARGIN: chrono::TimeDelta = chrono::TimeDelta::minutes(5);
/// After a failed refresh a token still valid for this long is used rather than failing.
const GRACE: chrono::TimeDelta = chrono::TimeDelta::seconds(30);
/// ListAvailableProfiles is retried at most this often after a failure.
const PROFILE_RETRY: std::time::Duration = std::time::Duration::from_secs(300);
/// How long a request waits for kiro-cli's database lock when re-reading the source.
const SOURCE_BUSY_WAIT: Duration = Duration::from_millis(500);
/// After the source was found locked, requests do not wait for it again for this long.
const SOURCE_BUSY_BACKOFF: Duration = Duration::from_secs(1);

/// The credential manager: one per gateway.
pub struct Credentials {
    settings: CredentialSettings,
    http: reqwest::Client,
    redactor: Redactor,
    source: Source,
    machine_id: String,
    /// Fast path: a read lock held only to clone the `Arc`.
    state: RwLock<Arc<State>>,
    /// Single-flight refresh (held across the HTTP call).
    refresh_lock: tokio::sync::Mutex<()>,
    profile_lock: tokio::sync::Mutex<()>,
    listed_profile: Mutex<Option<String>>,
    list_attempt: Mutex<Option<Instant>>,
    refresh_count: AtomicU64,
    /// Refresh calls that failed (the endpoint was asked and said no, or could not be reached).
    refresh_failures: AtomicU64,
    adopted_count: AtomicU64,
    read_only: AtomicBool,
    read_only_warned: AtomicBool,
    last_error: Mutex<Option<String>>,
    /// The refresh token the endpoint rejected for good, and what it said.
    rejected_refresh: Mutex<Option<(Secret<String>, String)>>,
    /// Until when the source counts as locked (see [`SOURCE_BUSY_BACKOFF`]).
    source_busy_until: Mutex<Option<Instant>>,
    write_back: persist::WriteBack,
    /// This manager, for the background write-back task.
    me: Weak<Credentials>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Credentials {
    /// Find the credential source (explicit settings first, then discovery) and load it.
    pub async fn discover(
        settings: CredentialSettings,
        http: reqwest::Client,
        redactor: Redactor,
    ) -> Result<Arc<Self>, CredentialError> {
        if let Some(rt) = &settings.refresh_token {
            redactor.add(rt.expose());
        }
        let (source, loaded) = source::discover(&settings)?;
        Ok(Arc::new_cyclic(|me| {
            Self::from_loaded(settings, http, redactor, source, loaded, me.clone())
        }))
    }

    fn from_loaded(
        settings: CredentialSettings,
        http: reqwest::Client,
        redactor: Redactor,
        source: Source,
        loaded: Loaded,
        me: Weak<Credentials>,
    ) -> Self {
        loaded.tokens.register(&redactor);
        let home = source::home_dir(&settings)
            .map(|h| h.display().to_string())
            .unwrap_or_default();
        let machine_id = hex::encode(Sha256::digest(
            format!("kiro-gateway machine id v1\n{home}\n{}", source.identity()).as_bytes(),
        ));
        let read_only = matches!(source, Source::RefreshTokenSetting)
            || source.file().is_some_and(write_back::file_is_read_only);
        tracing::info!(
            source = %source.describe(),
            auth = ?loaded.tokens.auth_kind,
            "using Kiro credentials"
        );
        let state = State {
            disk_access: loaded.tokens.access_token.clone(),
            disk_refresh: loaded.tokens.refresh_token.clone(),
            tokens: loaded.tokens,
            generation: 1,
            obtained_at: None,
            side_profile: loaded.side_profile,
        };
        Credentials {
            settings,
            http,
            redactor,
            source,
            machine_id,
            state: RwLock::new(Arc::new(state)),
            refresh_lock: tokio::sync::Mutex::new(()),
            profile_lock: tokio::sync::Mutex::new(()),
            listed_profile: Mutex::new(None),
            list_attempt: Mutex::new(None),
            refresh_count: AtomicU64::new(0),
            refresh_failures: AtomicU64::new(0),
            adopted_count: AtomicU64::new(0),
            read_only: AtomicBool::new(read_only),
            read_only_warned: AtomicBool::new(false),
            last_error: Mutex::new(None),
            rejected_refresh: Mutex::new(None),
            source_busy_until: Mutex::new(None),
            write_back: persist::WriteBack::default(),
            me,
        }
    }

    /// A token valid for at least a short while. Refreshes (single-flight) when the token is
    /// expired or about to expire, after first re-reading the source in case the IDE or
    /// kiro-cli already refreshed it.
    pub async fn access_token(&self) -> Result<AccessToken, CredentialError> {
        self.resume_write_back();
        let st = self.snapshot();
        let now = Utc::now();
        let st = if st.is_fresh(now) || (self.source_busy() && st.is_unexpired(now, GRACE)) {
            st
        } else {
            self.refresh_single_flight(None).await?
        };
        self.ensure_profile(&st).await;
        self.to_access_token(&st)
    }

    /// Upstream answered the bearer-token 403 for `rejected`. Refresh once (single-flight) unless
    /// the token already changed since, and return the new token.
    pub async fn on_rejected(
        &self,
        rejected: &AccessToken,
    ) -> Result<AccessToken, CredentialError> {
        let st = self.snapshot();
        let st = if st.generation != rejected.generation && st.is_fresh(Utc::now()) {
            st
        } else {
            self.refresh_single_flight(Some(rejected)).await?
        };
        self.ensure_profile(&st).await;
        self.to_access_token(&st)
    }

    pub fn status(&self) -> CredentialStatus {
        let st = self.snapshot();
        let profile_arn = self.effective_profile(&st);
        CredentialStatus {
            source: self.source.describe(),
            auth_kind: st.tokens.auth_kind,
            expires_at: st.tokens.expires_at,
            api_region: self.api_region(&st, profile_arn.as_deref()),
            profile_arn,
            last_refresh_error: lock(&self.last_error).clone(),
            refresh_count: self.refresh_count.load(Ordering::SeqCst),
            adopted_count: self.adopted_count.load(Ordering::SeqCst),
            read_only: self.read_only.load(Ordering::SeqCst),
            write_back_pending: self.write_back.is_pending(),
        }
    }

    /// Refresh calls this process made so far: `(succeeded, failed)` (`GET /metrics`).
    pub fn refresh_outcomes(&self) -> (u64, u64) {
        (
            self.refresh_count.load(Ordering::Relaxed),
            self.refresh_failures.load(Ordering::Relaxed),
        )
    }

    /// Open the login `id` (a [`LoginInfo::id`] from [`list_logins`]).
    pub async fn open_login(
        settings: CredentialSettings,
        http: reqwest::Client,
        redactor: Redactor,
        id: &str,
    ) -> Result<Arc<Self>, CredentialError> {
        let wanted = id.to_owned();
        let lookup = settings.clone();
        let found = tokio::task::spawn_blocking(move || {
            source::all_logins(&lookup)
                .into_iter()
                .find(|(source, _)| source.identity() == wanted)
        })
        .await
        .map_err(|e| CredentialError::Invalid(format!("listing the logins failed: {e}")))?;
        let Some((source, loaded)) = found else {
            return Err(CredentialError::NotFound(format!(
                "the login {id} is no longer on this machine"
            )));
        };
        if let Some(rt) = &settings.refresh_token {
            redactor.add(rt.expose());
        }
        Ok(Arc::new_cyclic(|me| {
            Self::from_loaded(settings, http, redactor, source, loaded, me.clone())
        }))
    }

    /// Which login this is ([`LoginInfo::id`]).
    pub fn login_id(&self) -> String {
        self.source.identity()
    }

    /// Where this login is kept.
    pub fn login_store(&self) -> LoginStore {
        self.source.store()
    }

    /// Start watching the source's parent directory (debounced). The watch ends when the
    /// returned guard is dropped.
    pub fn watch(self: &Arc<Self>) -> Result<WatchGuard, CredentialError> {
        Ok(WatchGuard {
            _handle: watch::start(self)?,
        })
    }

    /// Re-read the source now and adopt its token if another program replaced it (what the
    /// watcher does on a change). Returns whether a new token was adopted.
    pub fn reload_from_source(&self) -> bool {
        match source::load(&self.source, &self.settings, SOURCE_BUSY_WAIT) {
            Ok(loaded) => self.absorb(loaded, None, false),
            Err(e) => {
                // Often a file caught mid-replacement; the next event re-reads it.
                tracing::debug!("re-reading the credential source: {e}");
                false
            }
        }
    }

    /// The stable 64-hex machine id of this credential (docs/kiro-protocol.md#machine-id).
    pub fn machine_id(&self) -> &str {
        &self.machine_id
    }

    /// The current generation (increases on every refresh or adoption).
    pub fn generation(&self) -> u64 {
        self.snapshot().generation
    }

    fn source_file(&self) -> Option<&Path> {
        self.source.file()
    }

    /// The source was found locked a moment ago.
    fn source_busy(&self) -> bool {
        lock(&self.source_busy_until).is_some_and(|until| Instant::now() < until)
    }

    fn snapshot(&self) -> Arc<State> {
        self.state.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn to_access_token(&self, st: &State) -> Result<AccessToken, CredentialError> {
        let token = st.tokens.access_token.clone().ok_or_else(|| {
            CredentialError::RefreshFailed("no access token after refresh".into())
        })?;
        let profile_arn = self.effective_profile(st);
        Ok(AccessToken {
            token,
            auth_kind: st.tokens.auth_kind,
            api_region: self.api_region(st, profile_arn.as_deref()),
            profile_arn,
            machine_id: self.machine_id.clone(),
            generation: st.generation,
        })
    }
}

/// Keeps the file watcher alive.
pub struct WatchGuard {
    _handle: Option<watch::Handle>,
}

impl WatchGuard {
    /// Whether a watcher is running (`false` for sources that are not files).
    pub fn is_active(&self) -> bool {
        self._handle.is_some()
    }
}
