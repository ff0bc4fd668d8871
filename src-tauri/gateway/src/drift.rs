//! The upstream drift detector: Kiro changes without notice, so everything it sends that
//! this version of the gateway has no rule for is noticed — unknown event types, unknown
//! fields of known events, unknown stop reasons, exception names and error reasons, unknown
//! error-body fields, and catalogue model ids missing from the gateway's table.
//!
//! Each kind + name is counted, logged once (a warning), and one sample is kept: the shape of
//! the payload without its text ([`sample`]), redacted. The findings are bounded
//! ([`MAX_FINDINGS`]; later ones are only counted), shown on `/health` and `/admin/status`,
//! in the UI with a copyable report ([`Drift::report`]), and written to `drift.json` in the
//! debug-dump folder when a new one appears.
//!
//! Known frames cost one pass over their payload's keys and take no lock.

mod known;
pub mod sample;
pub mod scan;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::kiro::catalog::ModelInfo;
use crate::kiro::eventstream::Frame;
use crate::kiro::tap::UpstreamTap;
use crate::logs::Redactor;

/// Distinct kind + name pairs kept; more are only counted in `overflow`.
pub const MAX_FINDINGS: usize = 100;

/// What kind of thing the gateway did not know.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DriftKind {
    /// An `:event-type` nobody documented.
    EventType,
    /// A payload field of an event the gateway reads (`context` = the event type).
    EventField,
    /// A `metadataEvent.stopReason` value.
    StopReason,
    /// A `:message-type` other than event, exception, error.
    MessageType,
    /// An `:exception-type` of an exception frame.
    ExceptionType,
    /// The exception named by an error body's `__type`.
    ErrorType,
    /// An error body's (or `invalidStateEvent`'s) `reason`.
    ErrorReason,
    /// A top-level field of an error body.
    ErrorField,
    /// A model id of the account's catalogue without an entry in the gateway's table.
    CatalogModel,
}

impl DriftKind {
    fn describe(self) -> &'static str {
        match self {
            DriftKind::EventType => "unknown event type",
            DriftKind::EventField => "unknown event field",
            DriftKind::StopReason => "unknown stop reason",
            DriftKind::MessageType => "unknown message type",
            DriftKind::ExceptionType => "unknown stream exception",
            DriftKind::ErrorType => "unknown error type",
            DriftKind::ErrorReason => "unknown error reason",
            DriftKind::ErrorField => "unknown error field",
            DriftKind::CatalogModel => "model without rules",
        }
    }
}

/// One kind + name the gateway did not know.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub kind: DriftKind,
    pub name: String,
    /// Where it was seen (the event type of a field), if that matters.
    pub context: Option<String>,
    pub count: u64,
    pub first_seen: DateTime<Utc>,
    pub last_seen: DateTime<Utc>,
    /// The payload's shape, redacted ([`sample`]).
    pub sample: String,
}

/// A finding without its sample.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FindingCount {
    pub kind: DriftKind,
    pub name: String,
    pub context: Option<String>,
    pub count: u64,
    pub first_seen: DateTime<Utc>,
    pub last_seen: DateTime<Utc>,
}

/// `/health` and `/admin/status`: totals and each finding without its sample.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DriftSummary {
    /// Distinct findings kept.
    pub unknown: usize,
    /// Every sighting, the overflow's included.
    pub sightings: u64,
    pub overflow: u64,
    pub findings: Vec<FindingCount>,
}

/// The full report: `drift.json` and `GET /admin/drift`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DriftReport {
    pub version: &'static str,
    pub findings: Vec<Finding>,
    /// [`Drift::report`].
    pub report: String,
}

#[derive(Default)]
struct Findings {
    by_key: BTreeMap<(DriftKind, String, Option<String>), Finding>,
    /// Sightings of pairs beyond [`MAX_FINDINGS`].
    overflow: u64,
}

/// The drift detector of one gateway. Shared (`Arc`); a tap of the Kiro client.
pub struct Drift {
    redactor: Redactor,
    /// `drift.json`, rewritten when a new finding appears.
    file: Option<PathBuf>,
    findings: Mutex<Findings>,
}

impl Default for Drift {
    fn default() -> Self {
        Drift::new(Redactor::new(), None)
    }
}

impl Drift {
    pub fn new(redactor: Redactor, file: Option<PathBuf>) -> Self {
        Drift {
            redactor,
            file,
            findings: Mutex::default(),
        }
    }

    /// Count one sighting; the first of its kind + name is logged and sampled (`payload`).
    pub fn note(&self, kind: DriftKind, name: &str, context: Option<&str>, payload: &[u8]) {
        let now = Utc::now();
        let key = (kind, name.to_owned(), context.map(str::to_owned));
        let new = {
            let mut findings = self.findings.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(finding) = findings.by_key.get_mut(&key) {
                finding.count += 1;
                finding.last_seen = now;
                return;
            }
            if findings.by_key.len() >= MAX_FINDINGS {
                findings.overflow += 1;
                return;
            }
            let finding = Finding {
                kind,
                name: self.redactor.redact(name),
                context: key.2.clone(),
                count: 1,
                first_seen: now,
                last_seen: now,
                sample: sample::sample(payload, &self.redactor),
            };
            findings.by_key.insert(key, finding.clone());
            finding
        };
        tracing::warn!(
            kind = ?new.kind,
            name = %new.name,
            context = new.context.as_deref().unwrap_or(""),
            sample = %new.sample,
            "Kiro sent something this version of the gateway does not know ({}); \
             it is ignored. Shown once; see the UI or /health for the count",
            new.kind.describe()
        );
        self.save();
    }

    /// Every finding, oldest first.
    pub fn findings(&self) -> Vec<Finding> {
        let findings = self.findings.lock().unwrap_or_else(|e| e.into_inner());
        let mut all: Vec<Finding> = findings.by_key.values().cloned().collect();
        all.sort_by_key(|f| f.first_seen);
        all
    }

    /// For `/health` and `/admin/status`: totals and each finding without its sample.
    pub fn summary(&self) -> DriftSummary {
        let findings = self.findings();
        let overflow = self
            .findings
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .overflow;
        DriftSummary {
            unknown: findings.len(),
            sightings: findings.iter().map(|f| f.count).sum::<u64>() + overflow,
            overflow,
            findings: findings
                .into_iter()
                .map(|f| FindingCount {
                    kind: f.kind,
                    name: f.name,
                    context: f.context,
                    count: f.count,
                    first_seen: f.first_seen,
                    last_seen: f.last_seen,
                })
                .collect(),
        }
    }

    /// A plain-text report to paste into an issue: version, then one block per finding.
    pub fn report(&self) -> String {
        let findings = self.findings();
        let mut out = format!(
            "Kiro Gateway {} — upstream drift report ({})\n",
            env!("CARGO_PKG_VERSION"),
            Utc::now().format("%Y-%m-%d %H:%M UTC")
        );
        if findings.is_empty() {
            out.push_str("Nothing unknown seen.\n");
        }
        for f in &findings {
            let context = f
                .context
                .as_deref()
                .map(|c| format!(" in {c}"))
                .unwrap_or_default();
            out.push_str(&format!(
                "\n- {}: {}{context} — seen {} time(s), first {}, last {}\n  sample: {}\n",
                f.kind.describe(),
                f.name,
                f.count,
                f.first_seen.format("%Y-%m-%d %H:%M:%S UTC"),
                f.last_seen.format("%Y-%m-%d %H:%M:%S UTC"),
                f.sample
            ));
        }
        out
    }

    /// The full report (`drift.json`, `GET /admin/drift`).
    pub fn full_report(&self) -> DriftReport {
        DriftReport {
            version: env!("CARGO_PKG_VERSION"),
            findings: self.findings(),
            report: self.report(),
        }
    }

    /// Every model id of a freshly fetched catalogue that the table lacks.
    pub fn catalogue(&self, models: &[ModelInfo]) {
        scan::catalogue(models, |kind, name, context| {
            let model = models.iter().find(|m| m.id == name);
            let payload = model
                .map(|m| serde_json::to_vec(m).unwrap_or_default())
                .unwrap_or_default();
            self.note(kind, name, context, &payload);
        });
    }

    fn save(&self) {
        let Some(path) = self.file.clone() else {
            return;
        };
        let text = serde_json::to_string_pretty(&self.full_report()).unwrap_or_default();
        let write = move || {
            if let Some(dir) = path.parent() {
                let _ = std::fs::create_dir_all(dir);
            }
            if let Err(err) = crate::debug_dump::store::write_atomically(&path, text.as_bytes()) {
                tracing::debug!("could not write {}: {err}", path.display());
            }
        };
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                runtime.spawn_blocking(write);
            }
            Err(_) => write(),
        }
    }
}

impl UpstreamTap for Drift {
    fn http_error(&self, _status: u16, body: &[u8]) {
        scan::error_body(body, |kind, name, context| {
            self.note(kind, name, context, body)
        });
    }

    fn frame(&self, frame: &Frame) {
        scan::frame(frame, |kind, name, context| {
            self.note(kind, name, context, &frame.payload)
        });
    }
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::*;

    #[test]
    fn counts_each_pair_keeps_one_sample_and_is_bounded() {
        let drift = Drift::default();
        for _ in 0..3 {
            drift.note(
                DriftKind::EventType,
                "newEvent",
                None,
                br#"{"a":"long text here"}"#,
            );
        }
        drift.note(DriftKind::ErrorReason, "NEW", None, b"{}");
        let findings = drift.findings();
        assert_eq!(findings.len(), 2);
        assert_eq!(findings[0].count, 3);
        assert_eq!(findings[0].sample, r#"{"a":"<text, 14 chars>"}"#);
        for i in 0..(MAX_FINDINGS + 10) {
            drift.note(DriftKind::EventField, &format!("f{i}"), Some("x"), b"{}");
        }
        assert_eq!(drift.findings().len(), MAX_FINDINGS);
        let summary = serde_json::to_value(drift.summary()).unwrap();
        assert_eq!(summary["overflow"], 12);
        assert_eq!(summary["unknown"], MAX_FINDINGS);
        assert_eq!(summary["sightings"], 4 + 110);
        let first = summary["findings"][0].as_object().unwrap();
        let fields: Vec<&str> = first.keys().map(String::as_str).collect();
        assert_eq!(
            fields,
            [
                "context",
                "count",
                "first_seen",
                "kind",
                "last_seen",
                "name"
            ]
        );
        assert_eq!(first["context"], Value::Null);
        assert!(drift.report().contains("unknown event type: newEvent"));
    }

    #[test]
    fn the_file_is_written_on_a_new_finding() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("drift.json");
        let drift = Drift::new(Redactor::new(), Some(file.clone()));
        drift.note(DriftKind::StopReason, "NAP", Some("metadataEvent"), b"{}");
        let saved: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
        assert_eq!(saved["findings"][0]["name"], "NAP");
    }
}
