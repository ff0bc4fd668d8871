//! "Connect a tool": point a coding client's own config file at this gateway, show exactly
//! what changes first, keep the original, and undo byte for byte.
//!
//! # Steps of a connect ([`connect`])
//!
//! 1. The client's files ([`ClientId::files`]) are read; a file that is not UTF-8 or not
//!    parsable is refused (`unreadable_config`), never overwritten.
//! 2. Each file's new text comes from a pure edit ([`clients`], one module per client) that
//!    changes only the keys it owns and keeps the rest (order, comments).
//! 3. The originals are copied to the backups folder ([`files::back_up`]) before anything is
//!    written; a later connect keeps the first copies.
//! 4. Each file is written atomically with its permissions ([`files::write_atomically`]).
//!
//! [`undo`] puts the originals back (or removes files that did not exist) and drops the
//! backups. Diffs never show the key ([`diff::KEY_PLACEHOLDER`]).
//!
//! | Client | File | Key |
//! |---|---|---|
//! | Claude Code | `~/.claude/settings.json` (`env`, `apiKeyHelper`) | `kiro-gateway api-key` |
//! | Codex | `~/.codex/config.toml` (`[model_providers.kiro]`) | `auth.command` |
//! | OpenCode | `~/.config/opencode/opencode.json` (`provider.kiro`) | in the file |
//! | Continue | `~/.continue/config.yaml` (one `models:` item) | in the file |
//! | aider | `~/.aider.conf.yml` | in the file |
//! | llm | `extra-openai-models.yaml`, `keys.json`, `default_model.txt` | llm's `keys.json` |
//! | Cline, Cursor | none: settings to copy | |

mod clients;
pub mod diff;
mod env;
mod error;
pub mod files;
pub mod ordered_json;
mod target;

use std::path::PathBuf;

pub use clients::{ClientId, ConfigFile};
pub use env::ConnectEnv;
pub use error::{ConnectError, ConnectErrorCode};
pub use target::{KeyDelivery, KeyHelper, KeyMode, ModelChoice, Target};

/// One file of a preview, a connect or an undo.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FileReport {
    pub path: PathBuf,
    /// Whether the file exists before this change.
    pub exists: bool,
    /// Unified diff (empty: no change).
    pub diff: String,
}

/// Where a client stands on this machine.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ClientReport {
    pub id: ClientId,
    pub name: &'static str,
    /// Settings to copy by hand only (no file is edited).
    pub manual: bool,
    pub installed: bool,
    /// The command found on PATH.
    pub command: Option<PathBuf>,
    /// The client's settings folder, when it exists.
    pub config_dir: Option<PathBuf>,
    /// Its files point at this gateway now.
    pub connected: bool,
    /// A connect from here left backups to undo.
    pub undo_available: bool,
    /// What a connect with the chosen model would change.
    pub preview: Vec<FileReport>,
    /// Why a connect would fail (e.g. the file cannot be parsed).
    pub error: Option<ConnectFailure>,
    pub instructions: String,
}

/// A [`ConnectError`] in an answer.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ConnectFailure {
    pub code: ConnectErrorCode,
    pub message: String,
    pub hint: String,
}

impl From<ConnectError> for ConnectFailure {
    fn from(e: ConnectError) -> Self {
        ConnectFailure {
            code: e.code,
            message: e.message,
            hint: e.hint,
        }
    }
}

/// What a connect did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Connected {
    pub client: ClientId,
    pub files: Vec<FileReport>,
    /// Where the originals are kept until undo.
    pub backup_dir: PathBuf,
    /// `helper`: the client runs `kiro-gateway api-key`; `in_file`: the key is in the file.
    pub key: KeyDelivery,
}

/// What an undo did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Undone {
    pub client: ClientId,
    pub files: Vec<FileReport>,
}

struct Planned {
    file: ConfigFile,
    before: Option<Vec<u8>>,
    after: String,
}

fn masked_key(target: &Target) -> Option<String> {
    match &target.key {
        KeyMode::Inline(k) => Some(k.expose().clone()),
        _ => target.raw_key.as_ref().map(|k| k.expose().clone()),
    }
}

fn editable(client: ClientId, target: &Target) -> Result<(), ConnectError> {
    if client.is_manual() {
        return Err(ConnectError::new(
            ConnectErrorCode::ManualOnly,
            format!(
                "{} keeps these settings inside the editor: copy them there.",
                client.name()
            ),
            client.instructions(target),
        ));
    }
    Ok(())
}

fn plan(client: ClientId, env: &ConnectEnv, target: &Target) -> Result<Vec<Planned>, ConnectError> {
    editable(client, target)?;
    client
        .files(env)
        .into_iter()
        .map(|file| {
            let before = files::read(&file.path)?;
            let text =
                match &before {
                    Some(bytes) => Some(std::str::from_utf8(bytes).map_err(|_| {
                        ConnectError::unreadable(&file.path, "it is not UTF-8 text")
                    })?),
                    None => None,
                };
            let after = file.edit(text, target)?;
            Ok(Planned {
                file,
                before,
                after,
            })
        })
        .collect()
}

fn report(p: &Planned, key: Option<&str>) -> FileReport {
    let before = p.before.as_deref().map(String::from_utf8_lossy);
    FileReport {
        path: p.file.path.clone(),
        exists: p.before.is_some(),
        diff: diff::unified(&p.file.path, before.as_deref(), Some(&p.after), key),
    }
}

/// What a connect would change, without writing anything.
pub fn preview(
    client: ClientId,
    env: &ConnectEnv,
    target: &Target,
) -> Result<Vec<FileReport>, ConnectError> {
    let key = masked_key(target);
    Ok(plan(client, env, target)?
        .iter()
        .map(|p| report(p, key.as_deref()))
        .collect())
}

/// Back up and rewrite the client's files.
pub fn connect(
    client: ClientId,
    env: &ConnectEnv,
    target: &Target,
) -> Result<Connected, ConnectError> {
    let planned = plan(client, env, target)?;
    let backup_dir = env.backups_dir.join(client.slug());
    let paths: Vec<PathBuf> = planned.iter().map(|p| p.file.path.clone()).collect();
    let originals: Vec<Option<Vec<u8>>> = planned.iter().map(|p| p.before.clone()).collect();
    files::back_up(&backup_dir, &paths, &originals)?;
    let key = masked_key(target);
    let mut reports = Vec::new();
    for p in &planned {
        reports.push(report(p, key.as_deref()));
        if p.before.as_deref() == Some(p.after.as_bytes()) {
            continue;
        }
        let mode = if p.file.holds_key(target) {
            0o600
        } else {
            0o644
        };
        files::write_atomically(&p.file.path, p.after.as_bytes(), Some(mode))
            .map_err(|e| ConnectError::io(&p.file.path, "write", e))?;
    }
    tracing::info!(client = client.slug(), "connected a client to the gateway");
    Ok(Connected {
        client,
        files: reports,
        backup_dir,
        key: match target.key {
            KeyMode::Helper(_) if matches!(client, ClientId::ClaudeCode | ClientId::Codex) => {
                KeyDelivery::Helper
            }
            KeyMode::NoAuth => KeyDelivery::NoKey,
            _ => KeyDelivery::InFile,
        },
    })
}

/// Restore the client's files as they were before the first connect.
pub fn undo(client: ClientId, env: &ConnectEnv, key: Option<&str>) -> Result<Undone, ConnectError> {
    let restored = files::restore(&env.backups_dir.join(client.slug()))?;
    let files = restored
        .iter()
        .map(|r| {
            let current = r.current.as_deref().map(String::from_utf8_lossy);
            let restored = r.restored.as_deref().map(String::from_utf8_lossy);
            FileReport {
                path: r.path.clone(),
                exists: r.current.is_some(),
                diff: diff::unified(&r.path, current.as_deref(), restored.as_deref(), key),
            }
        })
        .collect();
    tracing::info!(client = client.slug(), "restored a client's files");
    Ok(Undone { client, files })
}

/// Every client: installed, connected, what a connect with `target` would change.
pub fn overview(env: &ConnectEnv, target: &Target) -> Vec<ClientReport> {
    ClientId::ALL
        .into_iter()
        .map(|client| {
            let command = client
                .commands()
                .iter()
                .find_map(|name| env.find_on_path(name));
            let config_dir = client.config_dir(env).filter(|d| d.is_dir());
            let contents: Vec<Option<String>> = client
                .files(env)
                .iter()
                .map(|f| std::fs::read_to_string(&f.path).ok())
                .collect();
            let has_file = contents.iter().any(Option::is_some);
            let (preview, error) = if client.is_manual() {
                (Vec::new(), None)
            } else {
                match preview(client, env, target) {
                    Ok(files) => (files, None),
                    Err(e) => (Vec::new(), Some(e.into())),
                }
            };
            ClientReport {
                id: client,
                name: client.name(),
                manual: client.is_manual(),
                installed: command.is_some() || config_dir.is_some() || has_file,
                command,
                config_dir,
                connected: client.points_at(&contents, &target.base_url),
                undo_available: env
                    .backups_dir
                    .join(client.slug())
                    .join("manifest.json")
                    .is_file(),
                preview,
                error,
                instructions: client.instructions(target),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests;
