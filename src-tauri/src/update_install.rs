//! Installing the release the gateway's update check offered (`kiro_gateway::updates`, which
//! trusts a manifest only when its signature verifies). The Tauri updater fetches the same
//! feed, downloads this platform's package, checks the package's own signature with the same
//! release key, installs it and the app restarts. On Linux a `.deb` or `.rpm` is handed to the
//! package manager through `pkexec` (the desktop's password prompt), a zenity or kdialog
//! password prompt for `sudo`, or plain `sudo`; an AppImage is replaced in place.

use std::time::Duration;

use kiro_gateway::updates::{tauri_public_key, Installer, UpdateState};
use serde::Serialize;
use tauri::{AppHandle, Manager, Runtime};
use tauri_plugin_updater::UpdaterExt;

use crate::desktop_gateway::DesktopGateway;

/// How long the download of a package may take before it counts as failed.
const DOWNLOAD_TIMEOUT: Duration = Duration::from_secs(15 * 60);

/// Why a release was not installed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum InstallCode {
    /// The app does not run from an installed package (built from source).
    NotInstallable,
    /// No newer release is offered (check first, or the gateway is not assembled).
    NothingOffered,
    /// The feed now offers another version than the one the check verified.
    OfferChanged,
    /// An install is already under way.
    Busy,
    /// The feed or the package could not be fetched.
    DownloadFailed,
    /// The package's signature does not verify with the release public key.
    PackageSignatureInvalid,
    /// The feed is plain HTTP (only HTTPS feeds are installed from in release builds).
    InsecureFeed,
    /// The package manager failed, or the password prompt was cancelled.
    InstallFailed,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstallError {
    pub code: InstallCode,
    pub message: String,
    pub hint: String,
}

impl InstallError {
    fn new(code: InstallCode, message: impl Into<String>, hint: impl Into<String>) -> Self {
        InstallError {
            code,
            message: message.into(),
            hint: hint.into(),
        }
    }
}

/// Bytes of the package received so far, and its size when the server said.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Progress {
    pub received: u64,
    pub total: Option<u64>,
}

/// One install at a time, and none once one succeeded (the app is restarting); kept in
/// Tauri's state.
#[derive(Default)]
pub struct InstallGuard {
    running: tokio::sync::Mutex<()>,
    installed: std::sync::atomic::AtomicBool,
}

/// Download, verify and install the offered release, reporting the download's progress. On
/// success the app restarts after this returns, once open requests finished (a few seconds
/// at most, as for Quit).
pub async fn install<R: Runtime>(
    app: &AppHandle<R>,
    progress: impl Fn(Progress) + Send + 'static,
) -> Result<String, InstallError> {
    use std::sync::atomic::Ordering;
    let guard = app.state::<InstallGuard>();
    let one = guard.running.try_lock();
    if one.is_err() || guard.installed.load(Ordering::SeqCst) {
        return Err(InstallError::new(
            InstallCode::Busy,
            "An update is already being installed.",
            "Wait for it to finish; the app restarts when it is done.",
        ));
    }
    let Some(state) = app.state::<DesktopGateway>().state() else {
        return Err(nothing_offered());
    };
    let view = state.updates.view();
    if view.installer != Installer::App {
        return Err(InstallError::new(
            InstallCode::NotInstallable,
            "This copy of the app was not installed from a package, so it cannot replace itself.",
            "Download the package and install it with your package manager.",
        ));
    }
    let (UpdateState::Available, Some(offered)) = (view.state, view.latest) else {
        return Err(nothing_offered());
    };
    let settings = state.updates.settings();
    let (Some(feed), Some(key)) = (settings.feed, settings.public_key) else {
        return Err(nothing_offered());
    };
    let key = tauri_public_key(&key).map_err(|failure| {
        InstallError::new(
            InstallCode::NothingOffered,
            failure.message(),
            failure.hint(),
        )
    })?;
    let feed = feed.parse().map_err(|_| nothing_offered())?;
    let updater = app
        .updater_builder()
        .pubkey(key)
        .endpoints(vec![feed])
        .map_err(from_updater)?
        .timeout(DOWNLOAD_TIMEOUT)
        .build()
        .map_err(from_updater)?;
    let update = updater
        .check()
        .await
        .map_err(from_updater)?
        .ok_or_else(nothing_offered)?;
    if update.version.trim_start_matches('v') != offered.version {
        return Err(InstallError::new(
            InstallCode::OfferChanged,
            format!(
                "The feed now offers {} instead of {}.",
                update.version, offered.version
            ),
            "Check for updates again, then install.",
        ));
    }
    tracing::info!(
        "installing Kiro Gateway {} from {}",
        update.version,
        update.download_url
    );
    let mut received = 0u64;
    update
        .download_and_install(
            move |chunk, total| {
                received += chunk as u64;
                progress(Progress { received, total });
            },
            || {},
        )
        .await
        .map_err(from_updater)?;
    tracing::info!(
        "Kiro Gateway {} is installed; restarting into it",
        update.version
    );
    guard.installed.store(true, Ordering::SeqCst);
    // In the background, so the window hears that the install succeeded first.
    crate::desktop_gateway::restart(app.clone());
    Ok(update.version)
}

fn nothing_offered() -> InstallError {
    InstallError::new(
        InstallCode::NothingOffered,
        "No newer release is offered.",
        "Check for updates first.",
    )
}

fn from_updater(error: tauri_plugin_updater::Error) -> InstallError {
    use tauri_plugin_updater::Error as E;
    let detail = error.to_string();
    let (code, message, hint) = match &error {
        E::Minisign(_)
        | E::Base64(_)
        | E::SignatureUtf8(_)
        | E::SignedVersionMismatch { .. }
        | E::MissingSignedVersion => (
            InstallCode::PackageSignatureInvalid,
            "The downloaded package's signature does not verify with the release public key; \
             it was not installed.",
            "Someone other than the publisher may have changed the package; do not install it.",
        ),
        E::InsecureTransportProtocol => (
            InstallCode::InsecureFeed,
            "The release feed is plain HTTP; updates are installed only from HTTPS feeds.",
            "Use the feed's https:// address in Settings → Updates.",
        ),
        E::Reqwest(_) | E::Network(_) | E::ReleaseNotFound | E::TargetNotFound(_) => (
            InstallCode::DownloadFailed,
            "The release package could not be downloaded.",
            "Check the connection and try again, or download the package by hand.",
        ),
        E::TargetsNotFound(_) => (
            InstallCode::DownloadFailed,
            "The release offers no package for this platform.",
            "Download the package from the release page.",
        ),
        _ => (
            InstallCode::InstallFailed,
            "The package was not installed (the password prompt was cancelled, or the package \
             manager failed).",
            "Try again, or install the downloaded package with your package manager.",
        ),
    };
    tracing::warn!("update install failed: {detail}");
    InstallError::new(code, format!("{message} ({detail})"), hint)
}

/// Whether this copy can install an update: it runs from a package the updater can replace.
/// The bundler marks the binaries it packages; on macOS every binary reads as an app bundle,
/// so there it must also sit inside one.
pub fn installer() -> Installer {
    use tauri::utils::{config::BundleType, platform::bundle_type};
    match bundle_type() {
        Some(BundleType::App) => {
            let in_bundle = std::env::current_exe()
                .map(|exe| exe.to_string_lossy().contains(".app/Contents/MacOS/"))
                .unwrap_or(false);
            if in_bundle {
                Installer::App
            } else {
                Installer::Manual
            }
        }
        Some(_) => Installer::App,
        None => Installer::Manual,
    }
}
