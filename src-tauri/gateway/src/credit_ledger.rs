//! Kiro credits spent through this gateway, per local calendar day, from each request's
//! `meteringEvent`s: today's and this month's totals for the Overview, the tray and
//! `/v1/usage`.
//!
//! The totals live in memory and, when the ledger has a file, are saved to it as JSON
//! (temp file + fsync + rename, at most every [`SAVE_EVERY`]), so they survive restarts.
//! A request only adds to an in-memory map under a mutex held for that addition; the file is
//! written by a background task from a copy, and once more when the ledger is dropped.
//! [`KEEP_DAYS`] days are kept.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{Datelike, Local, NaiveDate};
use serde::{Deserialize, Serialize};
use tokio::sync::Notify;

/// Days of history kept in the file (older days are dropped when a new day is added).
pub const KEEP_DAYS: usize = 400;
/// The shortest time between two saves of the file.
pub const SAVE_EVERY: Duration = Duration::from_millis(250);
/// Days shown in the Overview's chart.
pub const CHART_DAYS: u32 = 30;

/// One day's spend.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DayTotals {
    pub credits: f64,
    /// Requests Kiro charged for.
    pub requests: u64,
    /// Credits by Kiro model id.
    #[serde(default)]
    pub by_model: BTreeMap<String, f64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
struct LedgerFile {
    version: u32,
    /// Local calendar day (`YYYY-MM-DD`) → totals.
    days: BTreeMap<NaiveDate, DayTotals>,
}

/// What the Overview, the tray and `/v1/usage` show.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct CreditSummary {
    pub today: DayTotals,
    pub month_credits: f64,
    pub month_requests: u64,
    /// The last [`CHART_DAYS`] days, oldest first, days without spend included as 0.
    pub days: Vec<DaySpend>,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct DaySpend {
    pub date: NaiveDate,
    pub credits: f64,
}

#[derive(Default)]
struct Shared {
    days: Mutex<BTreeMap<NaiveDate, DayTotals>>,
    /// Shared with the saver task, which must not keep the days alive.
    changed: Arc<Notify>,
    /// Where the days are saved; `None` = memory only.
    path: Option<PathBuf>,
    /// Recorded since the last save.
    unsaved: AtomicBool,
}

impl Drop for Shared {
    /// The last save, so nothing recorded since the saver's last write is lost when the
    /// gateway is dropped (shut down, or rebuilt after new credentials).
    fn drop(&mut self) {
        if let (Some(path), true) = (&self.path, *self.unsaved.get_mut()) {
            let file = LedgerFile {
                version: 1,
                days: std::mem::take(self.days.get_mut().unwrap_or_else(|e| e.into_inner())),
            };
            if let Err(err) = write_file(path, &file) {
                tracing::warn!("could not save the credits file {}: {err}", path.display());
            }
        }
    }
}

/// The gateway's ledger; cheap to clone.
#[derive(Clone, Default)]
pub struct CreditLedger {
    shared: Arc<Shared>,
}

impl CreditLedger {
    /// A ledger kept in memory only (tests, and when no data directory is known).
    pub fn in_memory() -> Self {
        Self::default()
    }

    /// A ledger saved to `path`, starting from what the file holds. An unreadable or
    /// malformed file is set aside as `<path>.bad` (said once in the log) and the ledger
    /// starts empty; nothing is lost silently. Must be called inside a Tokio runtime.
    pub fn open(path: PathBuf) -> Self {
        let days = match read_file(&path) {
            Ok(file) => file.days,
            Err(problem) => {
                if path.exists() {
                    let aside = path.with_extension("json.bad");
                    tracing::warn!(
                        "the credits file {} could not be read ({problem}); kept it as {} and started a new one",
                        path.display(),
                        aside.display()
                    );
                    let _ = std::fs::rename(&path, aside);
                }
                BTreeMap::new()
            }
        };
        let ledger = CreditLedger {
            shared: Arc::new(Shared {
                days: Mutex::new(days),
                changed: Arc::default(),
                path: Some(path.clone()),
                unsaved: AtomicBool::new(false),
            }),
        };
        tokio::spawn(save_on_change(
            Arc::downgrade(&ledger.shared),
            ledger.shared.changed.clone(),
            path,
        ));
        ledger
    }

    /// Adds one charged request of `model` on the local day of now.
    pub fn record(&self, model: &str, credits: f64) {
        self.record_on(Local::now().date_naive(), model, credits);
    }

    fn record_on(&self, day: NaiveDate, model: &str, credits: f64) {
        if !credits.is_finite() || credits <= 0.0 {
            return;
        }
        {
            let mut days = self.lock();
            let totals = days.entry(day).or_default();
            totals.credits += credits;
            totals.requests += 1;
            *totals.by_model.entry(model.to_owned()).or_default() += credits;
            while days.len() > KEEP_DAYS {
                days.pop_first();
            }
            self.shared.unsaved.store(true, Ordering::Relaxed);
        }
        self.shared.changed.notify_one();
    }

    /// Credits spent today and this month (local time).
    pub fn spent(&self) -> (f64, f64) {
        let today = Local::now().date_naive();
        let days = self.lock();
        let (month, _) = month_totals(&days, today);
        (days.get(&today).map_or(0.0, |t| t.credits), month)
    }

    /// Today's and this month's totals (local time) and the chart's days.
    pub fn summary(&self) -> CreditSummary {
        summarise(&self.lock(), Local::now().date_naive())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<NaiveDate, DayTotals>> {
        self.shared.days.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Credits and requests from the first of `today`'s month through `today`.
fn month_totals(days: &BTreeMap<NaiveDate, DayTotals>, today: NaiveDate) -> (f64, u64) {
    let month_start = today.with_day(1).unwrap_or(today);
    days.range(month_start..=today)
        .fold((0.0, 0), |(c, r), (_, t)| (c + t.credits, r + t.requests))
}

fn summarise(days: &BTreeMap<NaiveDate, DayTotals>, today: NaiveDate) -> CreditSummary {
    let (month_credits, month_requests) = month_totals(days, today);
    let chart = (0..CHART_DAYS)
        .rev()
        .filter_map(|back| today.checked_sub_days(chrono::Days::new(back.into())))
        .map(|date| DaySpend {
            date,
            credits: days.get(&date).map_or(0.0, |t| t.credits),
        })
        .collect();
    CreditSummary {
        today: days.get(&today).cloned().unwrap_or_default(),
        month_credits,
        month_requests,
        days: chart,
    }
}

async fn save_on_change(shared: std::sync::Weak<Shared>, changed: Arc<Notify>, path: PathBuf) {
    loop {
        if shared.strong_count() == 0 {
            return;
        }
        let changed = changed.notified();
        // Wakes on a change, and every few seconds to notice that the ledger is gone.
        if tokio::time::timeout(Duration::from_secs(5), changed)
            .await
            .is_err()
        {
            continue;
        }
        let Some(strong) = shared.upgrade() else {
            return;
        };
        let file = {
            let days = strong.days.lock().unwrap_or_else(|e| e.into_inner());
            strong.unsaved.store(false, Ordering::Relaxed);
            LedgerFile {
                version: 1,
                days: days.clone(),
            }
        };
        drop(strong);
        let target = path.clone();
        let saved = tokio::task::spawn_blocking(move || write_file(&target, &file)).await;
        if let Ok(Err(err)) = saved {
            tracing::warn!("could not save the credits file {}: {err}", path.display());
        }
        tokio::time::sleep(SAVE_EVERY).await;
    }
}

fn read_file(path: &Path) -> Result<LedgerFile, String> {
    let bytes = std::fs::read(path).map_err(|e| e.to_string())?;
    serde_json::from_slice(&bytes).map_err(|e| e.to_string())
}

fn write_file(path: &Path, file: &LedgerFile) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let mut temp = tempfile::NamedTempFile::new_in(dir)?;
    serde_json::to_writer_pretty(&mut temp, file)?;
    temp.write_all(b"\n")?;
    temp.as_file().sync_all()?;
    temp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn today_and_this_month_add_up_per_local_day() {
        let ledger = CreditLedger::in_memory();
        ledger.record_on(day("2026-11-30"), "claude-sonnet-4.5", 5.0);
        ledger.record_on(day("2026-12-01"), "claude-sonnet-4.5", 0.5);
        ledger.record_on(day("2026-12-05"), "claude-sonnet-4.5", 0.25);
        ledger.record_on(day("2026-12-05"), "claude-opus-4.8", 1.0);
        ledger.record_on(day("2026-12-05"), "claude-opus-4.8", 0.0);
        ledger.record_on(day("2026-12-05"), "claude-opus-4.8", f64::NAN);
        let summary = summarise(&ledger.lock(), day("2026-12-05"));
        assert_eq!(summary.today.credits, 1.25);
        assert_eq!(
            summary.today.requests, 2,
            "free and unknown charges are not counted"
        );
        assert_eq!(summary.today.by_model["claude-opus-4.8"], 1.0);
        assert_eq!(summary.month_credits, 1.75, "November is not this month");
        assert_eq!(summary.month_requests, 3);
        assert_eq!(summary.days.len(), CHART_DAYS as usize);
        assert_eq!(summary.days.last().unwrap().date, day("2026-12-05"));
        assert_eq!(summary.days.last().unwrap().credits, 1.25);
        assert_eq!(summary.days[CHART_DAYS as usize - 6].credits, 5.0);
    }

    #[test]
    fn only_the_last_days_are_kept() {
        let ledger = CreditLedger::in_memory();
        let first = day("2025-01-01");
        for n in 0..(KEEP_DAYS as u64 + 10) {
            ledger.record_on(first + chrono::Days::new(n), "m", 1.0);
        }
        let days = ledger.lock();
        assert_eq!(days.len(), KEEP_DAYS);
        assert_eq!(*days.keys().next().unwrap(), first + chrono::Days::new(10));
    }

    #[tokio::test]
    async fn the_file_survives_a_restart_and_a_bad_file_is_set_aside() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("credits.json");
        let ledger = CreditLedger::open(path.clone());
        ledger.record("claude-sonnet-4.5", 0.75);
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        while read_file(&path).is_err() && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        drop(ledger);
        let reopened = CreditLedger::open(path.clone());
        assert_eq!(reopened.summary().today.credits, 0.75);

        std::fs::write(&path, b"{not json").unwrap();
        let fresh = CreditLedger::open(path.clone());
        assert_eq!(fresh.summary().today.credits, 0.0);
        assert_eq!(
            std::fs::read(path.with_extension("json.bad")).unwrap(),
            b"{not json"
        );
    }
}
