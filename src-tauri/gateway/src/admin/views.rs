//! The control plane's answers as typed structs: the `/admin` routes send them as JSON and
//! the desktop commands hand the same structs to the window, so the two cannot drift.

use std::path::PathBuf;

use serde::Serialize;

use crate::logs::{LogRecord, RequestRecord};
use crate::settings::Settings;

/// `GET /admin/settings`.
#[derive(Debug, Clone, Serialize)]
pub struct SettingsView {
    pub settings: Settings,
    /// Saved values a start option overrides for this run.
    pub shadowed: Vec<&'static str>,
    /// Where the settings are saved (`None`: memory only).
    pub path: Option<PathBuf>,
    pub desktop: bool,
    /// Fields whose change moves the server.
    pub restart_fields: &'static [&'static str],
    /// Fields that apply at the next start.
    pub next_start_fields: &'static [&'static str],
    /// Fields only the desktop app uses.
    pub desktop_fields: &'static [&'static str],
}

/// `GET /admin/api-key`.
#[derive(Debug, Clone, Serialize)]
pub struct KeyView {
    /// `None` with `--no-auth`.
    pub key: Option<String>,
    pub source: String,
}

/// `POST /admin/api-key/regenerate`.
#[derive(Debug, Clone, Serialize)]
pub struct NewKey {
    pub key: String,
    pub source: String,
    pub message: String,
}

/// `POST /admin/api-key/save-to-file`.
#[derive(Debug, Clone, Serialize)]
pub struct KeyFileView {
    pub source: String,
    pub path: PathBuf,
}

/// `GET /admin/logs`.
#[derive(Debug, Clone, Serialize)]
pub struct LogsView {
    pub logs: Vec<LogRecord>,
    pub requests: Vec<RequestRecord>,
    pub log_dir: Option<PathBuf>,
    pub level: String,
}

/// `GET /admin/models`.
#[derive(Debug, Clone, Serialize)]
pub struct ModelsView {
    pub models: Vec<ModelRow>,
    /// Where the list came from (`live`, `cached`, `builtin`, …).
    pub source: String,
}

/// One model as clients name it.
#[derive(Debug, Clone, Serialize)]
pub struct ModelRow {
    pub id: String,
    pub name: String,
    pub description: String,
    pub context_length: u64,
    pub max_output_tokens: u64,
}
