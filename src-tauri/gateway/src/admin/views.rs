//! The control plane's answers as typed structs: the `/admin` routes send them as JSON and
//! the desktop commands hand the same structs to the window, so the two cannot drift.

use std::path::PathBuf;

use serde::Serialize;

use chrono::{DateTime, Utc};

use crate::app::MetricsSnapshot;
use crate::connect::{ClientReport, KeyDelivery, ModelChoice};
use crate::credentials::AuthKind;
use crate::credit_caps::CapsStatus;
use crate::credit_ledger::CreditSummary;
use crate::debug_dump::store::DumpEntry;
use crate::debug_dump::DumpMode;
use crate::drift::DriftSummary;
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

/// `PUT /admin/settings`: what was saved and what took effect.
#[derive(Debug, Clone, Serialize)]
pub struct SettingsUpdate {
    pub settings: Settings,
    /// The new address needs a restart, which is under way.
    pub restarting: bool,
    pub endpoints: Endpoints,
    /// Fields applied to the running gateway.
    pub applied: Vec<&'static str>,
    /// Changed fields that apply at the next start.
    pub next_start: Vec<&'static str>,
    /// Where the settings were saved (`None`: memory only).
    pub saved_to: Option<PathBuf>,
}

/// `POST /admin/restart`.
#[derive(Debug, Clone, Serialize)]
pub struct RestartView {
    pub restarting: bool,
    pub endpoints: Endpoints,
}

/// `GET /admin/requests`.
#[derive(Debug, Clone, Serialize)]
pub struct RequestsView {
    pub requests: Vec<RequestRecord>,
}

/// `GET /admin/connect`: every client with what a connect would change.
#[derive(Debug, Clone, Serialize)]
pub struct ConnectOverview {
    pub model: ModelChoice,
    pub models: Vec<ModelChoice>,
    pub base_url: String,
    /// How a client that can run the key helper would get the key.
    pub key: KeyDelivery,
    pub clients: Vec<ClientReport>,
}

/// `GET /admin/dumps`: newest first.
#[derive(Debug, Clone, Serialize)]
pub struct DumpList {
    pub mode: DumpMode,
    pub dir: Option<PathBuf>,
    pub max_count: Option<usize>,
    pub max_bytes: Option<u64>,
    pub total_bytes: u64,
    pub dumps: Vec<DumpEntry>,
}

/// `PUT /admin/dumps/mode`.
#[derive(Debug, Clone, Serialize)]
pub struct DumpModeView {
    pub mode: DumpMode,
}

/// `GET /admin/dumps/{id}`.
#[derive(Debug, Clone, Serialize)]
pub struct DumpView {
    pub id: String,
    pub files: Vec<DumpFile>,
}

/// One file of a dump, cut to what the view shows.
#[derive(Debug, Clone, Serialize)]
pub struct DumpFile {
    pub name: &'static str,
    /// The whole file's size.
    pub bytes: usize,
    pub text: String,
    /// Whether `text` is only the file's beginning.
    pub cut: bool,
}

/// `POST /admin/dumps/{id}/replay`.
#[derive(Debug, Clone, Serialize)]
pub struct Replayed {
    /// The new request's id (`None` if the answer had none).
    pub request_id: Option<String>,
    pub replay_of: String,
    pub status: u16,
    /// Whether the replay left a dump of its own.
    pub dump: bool,
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
    pub drift: DriftSummary,
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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn endpoints() -> Endpoints {
        crate::admin::endpoints(std::net::Ipv4Addr::LOCALHOST.into(), 8000)
    }

    #[test]
    fn answers_that_were_json_objects_keep_their_fields_and_nulls() {
        let restart = serde_json::to_value(RestartView {
            restarting: true,
            endpoints: endpoints(),
        })
        .unwrap();
        assert_eq!(
            restart,
            json!({"restarting": true, "endpoints": endpoints()})
        );

        let update = serde_json::to_value(SettingsUpdate {
            settings: Settings::default(),
            restarting: false,
            endpoints: endpoints(),
            applied: vec!["log_level"],
            next_start: Vec::new(),
            saved_to: None,
        })
        .unwrap();
        assert_eq!(
            update,
            json!({
                "settings": Settings::default(),
                "restarting": false,
                "endpoints": endpoints(),
                "applied": ["log_level"],
                "next_start": [],
                "saved_to": null,
            })
        );

        let list = serde_json::to_value(DumpList {
            mode: DumpMode::Off,
            dir: None,
            max_count: None,
            max_bytes: None,
            total_bytes: 0,
            dumps: Vec::new(),
        })
        .unwrap();
        assert_eq!(
            list,
            json!({"mode": "off", "dir": null, "max_count": null, "max_bytes": null, "total_bytes": 0, "dumps": []})
        );

        let shown = serde_json::to_value(DumpView {
            id: "r1".into(),
            files: vec![DumpFile {
                name: "summary.json",
                bytes: 2,
                text: "{}".into(),
                cut: false,
            }],
        })
        .unwrap();
        assert_eq!(
            shown,
            json!({"id": "r1", "files": [{"name": "summary.json", "bytes": 2, "text": "{}", "cut": false}]})
        );

        let replayed = serde_json::to_value(Replayed {
            request_id: None,
            replay_of: "r1".into(),
            status: 200,
            dump: false,
        })
        .unwrap();
        assert_eq!(
            replayed,
            json!({"request_id": null, "replay_of": "r1", "status": 200, "dump": false})
        );
        assert_eq!(
            serde_json::to_value(DumpModeView {
                mode: DumpMode::Errors
            })
            .unwrap(),
            json!({"mode": "errors"})
        );
    }
}
