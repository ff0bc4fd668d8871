//! "Is there a newer Kiro Gateway?": a release feed (a manifest in the Tauri updater's
//! `latest.json` shape, with a detached minisign signature beside it at `<feed>.sig`) checked
//! at start and once a day, the manifest trusted only when the signature verifies with the
//! release public key. The result is what the UI, the tray and `GET /admin/update` show.
//!
//! Nothing is downloaded or installed here. The desktop app, when it runs from an installed
//! package, installs the offered release itself (`installer` says whether it can); otherwise
//! the user is pointed at the package (docs/updates.md).

mod manifest;
mod signature;

use std::sync::{Arc, RwLock, Weak};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;

pub use manifest::{platform_key, ReleaseManifest};

/// Whether `text` is a release public key this checker can use.
pub fn check_public_key(text: &str) -> Result<(), UpdateFailure> {
    signature::public_key(text).map(|_| ())
}

pub use signature::tauri_public_key;

/// Who installs an offered release.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Installer {
    /// The user downloads the package and installs it as the first one: the headless
    /// binary, and a desktop app that was not installed from a package (built from source).
    #[default]
    Manual,
    /// The desktop app downloads the package, checks its signature, installs it (asking
    /// for the administrator password where the package is system-wide) and restarts.
    App,
}

/// How often a running gateway asks the feed again.
const CHECK_EVERY: Duration = Duration::from_secs(24 * 60 * 60);
/// A manifest or signature larger than this is not a release manifest.
const MAX_BODY_BYTES: usize = 1024 * 1024;
const FETCH_TIMEOUT: Duration = Duration::from_secs(20);

/// Where and whether to look (`check_updates`, `update_feed`, `update_public_key`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UpdateSettings {
    pub enabled: bool,
    pub feed: Option<String>,
    pub public_key: Option<String>,
}

/// Why a check found nothing it could trust. Serialised as its `code`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UpdateFailure {
    NoPublicKey,
    PublicKeyInvalid,
    FeedUnreachable { detail: String },
    FeedStatus { status: u16 },
    TooLarge,
    SignatureMissing,
    SignatureInvalid,
    ManifestInvalid { detail: String },
}

impl UpdateFailure {
    pub fn code(&self) -> &'static str {
        match self {
            UpdateFailure::NoPublicKey => "no_public_key",
            UpdateFailure::PublicKeyInvalid => "public_key_invalid",
            UpdateFailure::FeedUnreachable { .. } => "feed_unreachable",
            UpdateFailure::FeedStatus { .. } => "feed_status",
            UpdateFailure::TooLarge => "feed_too_large",
            UpdateFailure::SignatureMissing => "signature_missing",
            UpdateFailure::SignatureInvalid => "signature_invalid",
            UpdateFailure::ManifestInvalid { .. } => "manifest_invalid",
        }
    }

    pub fn message(&self) -> String {
        match self {
            UpdateFailure::NoPublicKey => {
                "A release feed is set, but no public key to check its signature with.".into()
            }
            UpdateFailure::PublicKeyInvalid => {
                "The release public key is not a minisign public key.".into()
            }
            UpdateFailure::FeedUnreachable { detail } => {
                format!("The release feed could not be reached: {detail}")
            }
            UpdateFailure::FeedStatus { status } => {
                format!("The release feed answered HTTP {status}.")
            }
            UpdateFailure::TooLarge => "The release feed sent more than 1 MiB.".into(),
            UpdateFailure::SignatureMissing => {
                "The release manifest has no signature beside it (<feed>.sig).".into()
            }
            UpdateFailure::SignatureInvalid => {
                "The release manifest's signature does not verify with the release public key; \
                 it was ignored."
                    .into()
            }
            UpdateFailure::ManifestInvalid { detail } => {
                format!("The release manifest is signed but not readable: {detail}")
            }
        }
    }

    pub fn hint(&self) -> &'static str {
        match self {
            UpdateFailure::NoPublicKey | UpdateFailure::PublicKeyInvalid => {
                "Set update_public_key (KIRO_GATEWAY_UPDATE_PUBLIC_KEY) to the feed's minisign public key."
            }
            UpdateFailure::FeedUnreachable { .. } | UpdateFailure::FeedStatus { .. } => {
                "Check the feed address in Settings → Updates, or try again later."
            }
            UpdateFailure::SignatureInvalid | UpdateFailure::SignatureMissing => {
                "Someone other than the publisher may have changed the feed; do not install from it."
            }
            UpdateFailure::TooLarge | UpdateFailure::ManifestInvalid { .. } => {
                "Tell the feed's publisher; the gateway keeps working."
            }
        }
    }
}

/// The state of the last check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum UpdateState {
    /// `check_updates` is off: the feed is never asked.
    Off,
    /// No feed is set (builds from source have none).
    NotConfigured,
    /// Not asked yet.
    NotChecked,
    UpToDate,
    Available,
    Failed,
}

/// A newer release, as its verified manifest describes it.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ReleaseView {
    pub version: String,
    pub notes: String,
    pub pub_date: Option<String>,
    /// The package for this platform, or the release page.
    pub download_url: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct UpdateErrorView {
    pub code: String,
    pub message: String,
    pub hint: String,
}

/// What `GET /admin/update` answers and the desktop shows.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct UpdateView {
    pub current_version: String,
    pub check_updates: bool,
    pub feed: Option<String>,
    pub state: UpdateState,
    /// Set when `state` is `available`.
    pub latest: Option<ReleaseView>,
    pub checked_at: Option<DateTime<Utc>>,
    /// Set when `state` is `failed`.
    pub error: Option<UpdateErrorView>,
    /// Whether the app can install the offered release itself.
    pub installer: Installer,
}

#[derive(Debug, Clone)]
enum Outcome {
    NotChecked,
    UpToDate,
    Available(ReleaseView),
    Failed(UpdateFailure),
}

struct Last {
    outcome: Outcome,
    checked_at: Option<DateTime<Utc>>,
    /// The settings the outcome belongs to; a change makes it "not checked".
    asked: UpdateSettings,
}

/// Checks the feed; shared by every state of one gateway (restarts keep it).
pub struct UpdateChecker {
    http: reqwest::Client,
    current: semver::Version,
    platform: String,
    settings: RwLock<UpdateSettings>,
    last: RwLock<Last>,
    /// One check at a time.
    checking: tokio::sync::Mutex<()>,
    /// Wakes the daily loop when the settings change.
    changed: Arc<tokio::sync::Notify>,
    /// Set once by the program that boots (the desktop app, when installed from a package).
    installer: std::sync::OnceLock<Installer>,
}

fn read<T>(lock: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(|e| e.into_inner())
}

fn write<T>(lock: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(|e| e.into_inner())
}

impl UpdateChecker {
    /// A checker for this build (`CARGO_PKG_VERSION`) on this platform.
    pub fn new(http: reqwest::Client, settings: UpdateSettings) -> Arc<Self> {
        let current =
            semver::Version::parse(env!("CARGO_PKG_VERSION")).expect("the crate version is semver");
        Self::for_version(http, settings, current, platform_key())
    }

    fn for_version(
        http: reqwest::Client,
        settings: UpdateSettings,
        current: semver::Version,
        platform: String,
    ) -> Arc<Self> {
        Arc::new(UpdateChecker {
            http,
            current,
            platform,
            last: RwLock::new(Last {
                outcome: Outcome::NotChecked,
                checked_at: None,
                asked: settings.clone(),
            }),
            settings: RwLock::new(settings),
            checking: tokio::sync::Mutex::new(()),
            changed: Arc::default(),
            installer: std::sync::OnceLock::new(),
        })
    }

    /// Say who installs an offered release (at boot, once; later calls change nothing).
    pub fn set_installer(&self, installer: Installer) {
        let _ = self.installer.set(installer);
    }

    pub fn settings(&self) -> UpdateSettings {
        read(&self.settings).clone()
    }

    /// Apply edited settings; the daily loop checks again at once.
    pub fn set(&self, enabled: bool, feed: Option<String>) {
        let mut settings = write(&self.settings);
        if settings.enabled == enabled && settings.feed == feed {
            return;
        }
        settings.enabled = enabled;
        settings.feed = feed;
        drop(settings);
        self.changed.notify_one();
    }

    /// What the UI shows; never does I/O.
    pub fn view(&self) -> UpdateView {
        let settings = self.settings();
        let last = read(&self.last);
        let current = last.asked == settings;
        let (state, latest, error) = if !settings.enabled {
            (UpdateState::Off, None, None)
        } else if settings.feed.is_none() {
            (UpdateState::NotConfigured, None, None)
        } else if !current {
            (UpdateState::NotChecked, None, None)
        } else {
            match &last.outcome {
                Outcome::NotChecked => (UpdateState::NotChecked, None, None),
                Outcome::UpToDate => (UpdateState::UpToDate, None, None),
                Outcome::Available(release) => {
                    (UpdateState::Available, Some(release.clone()), None)
                }
                Outcome::Failed(failure) => (
                    UpdateState::Failed,
                    None,
                    Some(UpdateErrorView {
                        code: failure.code().into(),
                        message: failure.message(),
                        hint: failure.hint().into(),
                    }),
                ),
            }
        };
        UpdateView {
            current_version: self.current.to_string(),
            check_updates: settings.enabled,
            feed: settings.feed.clone(),
            state,
            latest,
            checked_at: if current { last.checked_at } else { None },
            error,
            installer: self.installer.get().copied().unwrap_or_default(),
        }
    }

    /// Ask the feed now (when on and configured) and answer the new view.
    pub async fn check_now(&self) -> UpdateView {
        let _one = self.checking.lock().await;
        let settings = self.settings();
        if !settings.enabled || settings.feed.is_none() {
            return self.view();
        }
        let outcome = match self.fetch(&settings).await {
            Ok(manifest) if manifest.version > self.current => Outcome::Available(ReleaseView {
                version: manifest.version.to_string(),
                notes: manifest.notes,
                pub_date: manifest.pub_date,
                download_url: manifest.download_url,
            }),
            Ok(_) => Outcome::UpToDate,
            Err(failure) => Outcome::Failed(failure),
        };
        match &outcome {
            Outcome::Available(release) => tracing::info!(
                version = %release.version,
                "Kiro Gateway {} is available (this is {})",
                release.version,
                self.current
            ),
            Outcome::Failed(failure) => tracing::warn!(
                code = failure.code(),
                "update check failed: {}",
                failure.message()
            ),
            _ => tracing::debug!("Kiro Gateway {} is the latest release", self.current),
        }
        *write(&self.last) = Last {
            outcome,
            checked_at: Some(Utc::now()),
            asked: settings,
        };
        self.view()
    }

    async fn fetch(&self, settings: &UpdateSettings) -> Result<ReleaseManifest, UpdateFailure> {
        let feed = settings.feed.as_deref().unwrap_or_default();
        let key = signature::public_key(
            settings
                .public_key
                .as_deref()
                .ok_or(UpdateFailure::NoPublicKey)?,
        )?;
        let body = self
            .get(feed)
            .await?
            .ok_or(UpdateFailure::FeedStatus { status: 404 })?;
        let sig = self
            .get(&format!("{feed}.sig"))
            .await?
            .ok_or(UpdateFailure::SignatureMissing)?;
        signature::verify(&key, &body, &String::from_utf8_lossy(&sig))?;
        manifest::parse(&body, &self.platform)
    }

    /// The body, `None` on 404.
    async fn get(&self, url: &str) -> Result<Option<Vec<u8>>, UpdateFailure> {
        let unreachable = |e: reqwest::Error| UpdateFailure::FeedUnreachable {
            detail: if e.is_timeout() {
                "timed out".into()
            } else if e.is_connect() {
                "connection failed".into()
            } else {
                "request failed".into()
            },
        };
        let mut response = self
            .http
            .get(url)
            .timeout(FETCH_TIMEOUT)
            .send()
            .await
            .map_err(unreachable)?;
        match response.status().as_u16() {
            200 => {}
            404 => return Ok(None),
            status => return Err(UpdateFailure::FeedStatus { status }),
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(unreachable)? {
            if body.len() + chunk.len() > MAX_BODY_BYTES {
                return Err(UpdateFailure::TooLarge);
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Some(body))
    }

    /// Check now and then once a day (and again when the settings change) for as long as
    /// the checker lives.
    pub fn spawn_checks(self: &Arc<Self>) {
        let weak: Weak<Self> = Arc::downgrade(self);
        tokio::spawn(async move {
            loop {
                let Some(checker) = weak.upgrade() else {
                    return;
                };
                checker.check_now().await;
                // Holding only the `Notify` while waiting lets the checker go with its gateway.
                let changed = checker.changed.clone();
                drop(checker);
                tokio::select! {
                    () = tokio::time::sleep(CHECK_EVERY) => {}
                    () = changed.notified() => {}
                }
            }
        });
    }
}
