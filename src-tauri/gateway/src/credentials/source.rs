//! Which credential source to use (explicit settings first, then discovery), loading it, and
//! writing refreshed tokens back to it.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::token::TokenSet;
use super::{cli_db, ide_file, profile, AuthKind, CredentialError, CredentialSettings};
use crate::secrets::Secret;

pub(crate) use super::cli_db::Expected;

/// How long discovery (start-up, off the request path) waits for kiro-cli's lock.
const DISCOVERY_BUSY_WAIT: Duration = Duration::from_secs(5);

/// Where the credential lives.
#[derive(Clone, Debug)]
pub(crate) enum Source {
    /// An IDE-style JSON token file (the IDE's own, or `KIRO_CREDS_FILE`).
    TokenFile { path: PathBuf, explicit: bool },
    /// A kiro-cli / Amazon Q database and the `auth_kv` key the token was loaded from.
    CliDb {
        path: PathBuf,
        key: String,
        explicit: bool,
    },
    /// `REFRESH_TOKEN` from the settings (kept in memory only).
    RefreshTokenSetting,
}

/// A source's content.
pub(crate) struct Loaded {
    pub tokens: TokenSet,
    /// A profile ARN found next to the token (kiro-cli `state`, IDE `profile.json`).
    pub side_profile: Option<String>,
}

/// Outcome of a write-back.
pub(crate) enum WriteOutcome {
    Written,
    /// Nothing to write to (settings source).
    NotApplicable,
    ReadOnly(String),
    /// The source is locked by its owner (kiro-cli mid-write): worth another try.
    Busy(String),
    /// The source holds newer tokens than the ones to be replaced: not written.
    Superseded(String),
    Failed(String),
}

impl Source {
    pub fn describe(&self) -> String {
        match self {
            Source::TokenFile { path, explicit } => {
                if *explicit {
                    format!("KIRO_CREDS_FILE {}", path.display())
                } else {
                    format!("Kiro IDE token file {}", path.display())
                }
            }
            Source::CliDb {
                path,
                key,
                explicit,
            } => {
                let program = if key.starts_with("codewhisperer:") {
                    "Amazon Q CLI"
                } else {
                    "kiro-cli"
                };
                let prefix = if *explicit { "KIRO_CLI_DB_FILE " } else { "" };
                format!("{prefix}{program} database {} (key {key})", path.display())
            }
            Source::RefreshTokenSetting => "REFRESH_TOKEN setting (kept in memory)".into(),
        }
    }

    /// A stable identity for the machine id: never the rotating refresh token.
    pub fn identity(&self) -> String {
        match self {
            Source::TokenFile { path, .. } => format!("file:{}", absolute(path).display()),
            Source::CliDb { path, key, .. } => {
                format!("sqlite:{}#{key}", absolute(path).display())
            }
            Source::RefreshTokenSetting => "setting:REFRESH_TOKEN".into(),
        }
    }

    /// Which program's store this is.
    pub fn store(&self) -> super::LoginStore {
        use super::LoginStore;
        match self {
            Source::TokenFile {
                explicit: false, ..
            } => LoginStore::KiroIde,
            Source::TokenFile { explicit: true, .. } => LoginStore::TokenFile,
            Source::CliDb { key, .. } if key.starts_with("codewhisperer:") => LoginStore::AmazonQ,
            Source::CliDb { .. } => LoginStore::KiroCli,
            Source::RefreshTokenSetting => LoginStore::RefreshToken,
        }
    }

    /// Given by a setting rather than found.
    pub fn is_explicit(&self) -> bool {
        match self {
            Source::TokenFile { explicit, .. } | Source::CliDb { explicit, .. } => *explicit,
            Source::RefreshTokenSetting => true,
        }
    }

    /// The file whose directory is watched.
    pub fn file(&self) -> Option<&Path> {
        match self {
            Source::TokenFile { path, .. } | Source::CliDb { path, .. } => Some(path),
            Source::RefreshTokenSetting => None,
        }
    }
}

fn absolute(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

pub(crate) fn home_dir(settings: &CredentialSettings) -> Option<PathBuf> {
    settings.home_dir.clone().or_else(dirs::home_dir)
}

fn sso_cache_dir(settings: &CredentialSettings) -> Option<PathBuf> {
    home_dir(settings).map(|h| h.join(".aws").join("sso").join("cache"))
}

/// The user config directory that holds `Kiro/User/...`. With a home override (tests), the
/// platform's layout under that home.
pub(crate) fn config_dir(settings: &CredentialSettings) -> Option<PathBuf> {
    match &settings.home_dir {
        Some(home) => Some(if cfg!(target_os = "macos") {
            home.join("Library").join("Application Support")
        } else if cfg!(windows) {
            home.join("AppData").join("Roaming")
        } else {
            home.join(".config")
        }),
        None => dirs::config_dir(),
    }
}

/// Directories probed for `kiro-cli/` and `amazon-q/` databases, in order.
fn cli_data_dirs(settings: &CredentialSettings) -> Vec<PathBuf> {
    let mut out = Vec::new();
    match &settings.data_local_dir {
        Some(d) => out.push(d.clone()),
        None => {
            out.extend(dirs::data_local_dir());
            // Windows: some tools use Roaming (%APPDATA%) instead of Local.
            if cfg!(windows) {
                out.extend(dirs::data_dir());
            }
            // macOS: one peer documents ~/.local/share there too.
            if cfg!(target_os = "macos") {
                out.extend(dirs::home_dir().map(|h| h.join(".local").join("share")));
            }
        }
    }
    out.dedup();
    out
}

/// The `<dir>/<program>/data.sqlite3` files that exist, the most recently written first. A
/// write lands in the `-wal` file before the main file (WAL mode), so the newer of the two
/// counts. On Windows, kiro-cli writes under Local while a legacy copy under Roaming may
/// hold a stale token.
fn freshest_first(dirs: &[PathBuf], program: &str) -> Vec<PathBuf> {
    let written = |path: &PathBuf| {
        let mut wal = path.clone().into_os_string();
        wal.push("-wal");
        [path.clone(), PathBuf::from(wal)]
            .iter()
            .filter_map(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok())
            .max()
    };
    let mut found: Vec<(PathBuf, Option<std::time::SystemTime>)> = dirs
        .iter()
        .map(|dir| dir.join(program).join("data.sqlite3"))
        .filter(|path| path.is_file())
        .map(|path| {
            let at = written(&path);
            (path, at)
        })
        .collect();
    // Stable: equally fresh files keep the probing order.
    found.sort_by_key(|(_, written)| std::cmp::Reverse(*written));
    found.into_iter().map(|(path, _)| path).collect()
}

/// Every login this machine holds, in discovery order: the explicit settings, the IDE token
/// file, then each kiro-cli / Amazon Q database and each of its token keys. One identity is
/// listed once; sources that cannot be read are left out (with a warning).
pub(crate) fn all_logins(settings: &CredentialSettings) -> Vec<(Source, Loaded)> {
    let mut sources = Vec::new();
    if let Some(path) = &settings.creds_file {
        sources.push(Source::TokenFile {
            path: path.clone(),
            explicit: true,
        });
    }
    if let Some(path) = &settings.cli_db_file {
        sources.extend(cli_db_sources(path, true));
    }
    if settings.refresh_token.is_some() {
        sources.push(Source::RefreshTokenSetting);
    }
    if let Some(cache) = sso_cache_dir(settings) {
        let path = cache.join("kiro-auth-token.json");
        if path.is_file() {
            sources.push(Source::TokenFile {
                path,
                explicit: false,
            });
        }
    }
    let data_dirs = cli_data_dirs(settings);
    for program in ["kiro-cli", "amazon-q"] {
        for path in freshest_first(&data_dirs, program) {
            sources.extend(cli_db_sources(&path, false));
        }
    }
    let mut seen = std::collections::HashSet::new();
    sources
        .into_iter()
        .filter(|source| seen.insert(source.identity()))
        .filter_map(
            |source| match load(&source, settings, DISCOVERY_BUSY_WAIT) {
                Ok(loaded) => Some((source, loaded)),
                Err(CredentialError::NotFound(_)) => None,
                Err(e) => {
                    tracing::warn!("leaving out a login that cannot be read: {e}");
                    None
                }
            },
        )
        .collect()
}

/// One source per token key a database holds.
fn cli_db_sources(path: &Path, explicit: bool) -> Vec<Source> {
    cli_db::TOKEN_KEYS
        .iter()
        .filter(|key| cli_db::load(path, Some(key), DISCOVERY_BUSY_WAIT).is_ok())
        .map(|key| Source::CliDb {
            path: path.to_path_buf(),
            key: (*key).to_owned(),
            explicit,
        })
        .collect()
}

/// The explicit source, else the saved choice ([`CredentialSettings::login`]) while it is
/// still found, else the first discovered one, loaded.
pub(crate) fn discover(settings: &CredentialSettings) -> Result<(Source, Loaded), CredentialError> {
    let explicit = settings.creds_file.is_some()
        || settings.cli_db_file.is_some()
        || settings.refresh_token.is_some();
    if let (Some(wanted), false) = (&settings.login, explicit) {
        match all_logins(settings)
            .into_iter()
            .find(|(source, _)| source.identity() == *wanted)
        {
            Some(found) => return Ok(found),
            None => tracing::warn!(
                "the Kiro login chosen earlier ({wanted}) is no longer found; using the first one found"
            ),
        }
    }
    discover_first(settings)
}

/// The explicit source, else the first discovered one, loaded.
fn discover_first(settings: &CredentialSettings) -> Result<(Source, Loaded), CredentialError> {
    if let Some(path) = &settings.creds_file {
        if !path.exists() {
            return Err(CredentialError::NotFound(format!(
                "KIRO_CREDS_FILE {} does not exist",
                path.display()
            )));
        }
        let source = Source::TokenFile {
            path: path.clone(),
            explicit: true,
        };
        let loaded = load(&source, settings, DISCOVERY_BUSY_WAIT)?;
        return Ok((source, loaded));
    }
    if let Some(path) = &settings.cli_db_file {
        let cli = cli_db::load(path, None, DISCOVERY_BUSY_WAIT).map_err(|e| match e {
            CredentialError::NotFound(m) => {
                CredentialError::NotFound(format!("KIRO_CLI_DB_FILE: {m}"))
            }
            other => other,
        })?;
        let source = Source::CliDb {
            path: path.clone(),
            key: cli.key.clone(),
            explicit: true,
        };
        return Ok((source, from_cli(cli)));
    }
    if let Some(rt) = &settings.refresh_token {
        let source = Source::RefreshTokenSetting;
        return Ok((source, refresh_token_setting(rt)));
    }

    let mut looked = Vec::new();
    let mut first_invalid: Option<CredentialError> = None;

    if let Some(cache) = sso_cache_dir(settings) {
        let path = cache.join("kiro-auth-token.json");
        looked.push(path.display().to_string());
        if path.is_file() {
            let source = Source::TokenFile {
                path,
                explicit: false,
            };
            match load(&source, settings, DISCOVERY_BUSY_WAIT) {
                Ok(loaded) => return Ok((source, loaded)),
                Err(e) => {
                    tracing::warn!("{e}");
                    first_invalid.get_or_insert(e);
                }
            }
        }
    }
    let data_dirs = cli_data_dirs(settings);
    for program in ["kiro-cli", "amazon-q"] {
        for dir in &data_dirs {
            looked.push(format!(
                "{} (auth_kv keys {})",
                dir.join(program).join("data.sqlite3").display(),
                cli_db::TOKEN_KEYS.join(", ")
            ));
        }
        for path in freshest_first(&data_dirs, program) {
            match cli_db::load(&path, None, DISCOVERY_BUSY_WAIT) {
                Ok(cli) => {
                    let source = Source::CliDb {
                        path,
                        key: cli.key.clone(),
                        explicit: false,
                    };
                    return Ok((source, from_cli(cli)));
                }
                Err(CredentialError::NotFound(_)) => {}
                Err(e) => {
                    tracing::warn!("{e}");
                    first_invalid.get_or_insert(e);
                }
            }
        }
    }
    looked.push("the REFRESH_TOKEN setting (not set)".into());
    if let Some(e) = first_invalid {
        return Err(e);
    }
    Err(CredentialError::NotFound(format!(
        "looked at: {}",
        looked.join("; ")
    )))
}

fn refresh_token_setting(rt: &Secret<String>) -> Loaded {
    let value = rt.expose().trim().to_owned();
    // A `ksk_` key given as REFRESH_TOKEN is an API key: use it as is, never refresh it.
    let tokens = if value.starts_with("ksk_") {
        TokenSet {
            access_token: Some(Secret::new(value)),
            ..TokenSet::empty(AuthKind::ApiKey)
        }
    } else {
        TokenSet {
            refresh_token: Some(Secret::new(value)),
            ..TokenSet::empty(AuthKind::Social)
        }
    };
    Loaded {
        tokens,
        side_profile: None,
    }
}

fn from_cli(cli: cli_db::CliLoaded) -> Loaded {
    Loaded {
        tokens: cli.tokens,
        side_profile: cli.state_profile,
    }
}

/// (Re-)read the source, waiting at most `busy` for a database lock.
pub(crate) fn load(
    source: &Source,
    settings: &CredentialSettings,
    busy: Duration,
) -> Result<Loaded, CredentialError> {
    match source {
        Source::TokenFile { path, .. } => {
            let cache: Vec<PathBuf> = sso_cache_dir(settings).into_iter().collect();
            let tokens = ide_file::load(path, &cache)?;
            let side_profile = config_dir(settings)
                .map(|c| profile::ide_profile_path(&c))
                .and_then(|p| profile::read_ide_profile(&p));
            Ok(Loaded {
                tokens,
                side_profile,
            })
        }
        Source::CliDb { path, key, .. } => cli_db::load(path, Some(key), busy).map(from_cli),
        Source::RefreshTokenSetting => match &settings.refresh_token {
            Some(rt) => Ok(refresh_token_setting(rt)),
            None => Err(CredentialError::NotFound("REFRESH_TOKEN is not set".into())),
        },
    }
}

/// Persist `tokens` to the source, waiting at most `busy` for a database lock. A database is
/// only written while it still holds `expected`.
pub(crate) fn write_back(
    source: &Source,
    tokens: &TokenSet,
    expected: &Expected<'_>,
    busy: Duration,
) -> WriteOutcome {
    match source {
        Source::RefreshTokenSetting => WriteOutcome::NotApplicable,
        Source::TokenFile { path, .. } => {
            if super::write_back::file_is_read_only(path) {
                return WriteOutcome::ReadOnly(format!("{} is read-only", path.display()));
            }
            match ide_file::write_back(path, tokens) {
                Ok(()) => WriteOutcome::Written,
                Err(e) if super::write_back::is_read_only_error(&e) => {
                    WriteOutcome::ReadOnly(format!("{}: {}", path.display(), e.kind()))
                }
                Err(e) => WriteOutcome::Failed(format!("{}: {e}", path.display())),
            }
        }
        Source::CliDb { path, key, .. } => {
            match cli_db::write_back(path, key, tokens, Some(expected), busy) {
                Ok(()) => WriteOutcome::Written,
                Err(cli_db::DbWriteError::ReadOnly(m)) => WriteOutcome::ReadOnly(m),
                Err(cli_db::DbWriteError::Busy(m)) => WriteOutcome::Busy(m),
                Err(cli_db::DbWriteError::Superseded(m)) => WriteOutcome::Superseded(m),
                Err(cli_db::DbWriteError::Other(m)) => WriteOutcome::Failed(m),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, SystemTime};

    fn database(
        dir: &std::path::Path,
        program: &str,
        main_age: u64,
        wal_age: Option<u64>,
    ) -> PathBuf {
        let folder = dir.join(program);
        std::fs::create_dir_all(&folder).unwrap();
        let path = folder.join("data.sqlite3");
        let now = SystemTime::now();
        let file = std::fs::File::create(&path).unwrap();
        file.set_modified(now - Duration::from_secs(main_age))
            .unwrap();
        if let Some(age) = wal_age {
            let wal = std::fs::File::create(folder.join("data.sqlite3-wal")).unwrap();
            wal.set_modified(now - Duration::from_secs(age)).unwrap();
        }
        path
    }

    /// The Windows case: kiro-cli writes under Local (`%LOCALAPPDATA%`), a legacy copy sits
    /// under Roaming (`%APPDATA%`); the one written last wins, its `-wal` file included.
    #[test]
    fn the_most_recently_written_database_is_tried_first() {
        let local = tempfile::tempdir().unwrap();
        let roaming = tempfile::tempdir().unwrap();
        let dirs = [local.path().to_owned(), roaming.path().to_owned()];
        // Local's main file is old, but its WAL was written a minute ago.
        let live = database(local.path(), "kiro-cli", 86_400, Some(60));
        let stale = database(roaming.path(), "kiro-cli", 3_600, None);
        assert_eq!(
            freshest_first(&dirs, "kiro-cli"),
            vec![live.clone(), stale.clone()]
        );
        // Without the WAL, Roaming's main file is the newer one.
        std::fs::remove_file(local.path().join("kiro-cli/data.sqlite3-wal")).unwrap();
        assert_eq!(freshest_first(&dirs, "kiro-cli"), vec![stale, live]);
        assert!(freshest_first(&dirs, "amazon-q").is_empty());
    }
}
