//! The control plane's answers as typed structs: the `/admin` routes send them as JSON and
//! the desktop commands hand the same structs to the window, so the two cannot drift.

use std::path::PathBuf;

use serde::Serialize;

use chrono::{DateTime, Utc};

use crate::app::MetricsSnapshot;
use crate::credentials::AuthKind;
use crate::credit_caps::CapsStatus;
use crate::credit_ledger::CreditSummary;
use crate::debug_dump::DumpMode;
use crate::kiro::cooldown::ActiveHold;
use crate::kiro::usage_summary::UsageSummary;
use crate::logs::{LogRecord, RequestRecord};
use crate::server::{GatewayStatus, StartError};
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

/// `GET /admin/status` (and the desktop's status command).
#[derive(Debug, Clone, Serialize)]
pub struct StatusView {
    pub gateway: GatewayStatus,
    /// What the UI can offer to fix an error status (`None` unless there is one).
    pub fix: Option<Fix>,
    pub version: &'static str,
    pub uptime_seconds: u64,
    pub credentials: CredentialsView,
    pub metrics: MetricsSnapshot,
    pub endpoints: Endpoints,
    pub auth_required: bool,
    pub restart: RestartState,
    pub desktop: bool,
    pub usage: Option<UsageSummary>,
    pub credits_spent: CreditSummary,
    pub credit_caps: CapsStatus,
    pub upstream_hold: Option<ActiveHold>,
    pub drift: serde_json::Value,
    pub debug_dumps: DumpsView,
}

/// The Kiro login in use, without any token.
#[derive(Debug, Clone, Serialize)]
pub struct CredentialsView {
    pub source: String,
    pub auth_kind: AuthKind,
    pub expires_at: Option<DateTime<Utc>>,
    pub expires_in_seconds: Option<i64>,
    pub api_region: String,
    pub last_refresh_error: Option<String>,
    pub read_only: bool,
    pub refresh_count: u64,
}

/// What the UI offers for an error status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Fix {
    /// Another port is free: use it.
    UsePort { port: u16 },
    /// Sign in again (the text says how).
    SignIn { text: &'static str },
    /// Open Settings.
    Settings,
}

/// Whether a restart is under way and why the last one failed.
#[derive(Debug, Clone, Serialize)]
pub struct RestartState {
    pub pending: bool,
    pub last_error: Option<StartError>,
}

/// The debug dumps' mode and folder.
#[derive(Debug, Clone, Serialize)]
pub struct DumpsView {
    pub mode: DumpMode,
    pub dir: Option<PathBuf>,
}

/// The base URLs a tool on this machine (or the LAN) uses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Endpoints {
    pub host: String,
    pub port: u16,
    pub base: String,
    pub openai: String,
    pub anthropic: String,
    pub lan: bool,
    pub lan_base: Option<String>,
    pub lan_warning: Option<String>,
}
