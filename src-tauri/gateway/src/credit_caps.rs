//! Budget caps on the Kiro credits this gateway spends (per local day and month, from the
//! credit ledger): how far each cap is used, the thresholds crossed (50 %, 80 %, 100 %) for
//! the UI and tray to announce, and — only with `pause_at_cap` — a refusal before anything
//! reaches Kiro once a cap is reached. Pure: the caller passes what was spent and the time.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use chrono::{DateTime, Datelike, Days, Local, Months, NaiveDate, TimeZone};
use serde::Serialize;

use crate::error::{ApiError, ErrorCode, ErrorKind};

/// The thresholds announced, in percent of a cap.
pub const THRESHOLDS: [u8; 3] = [50, 80, 100];

/// The caps in force (`daily_credit_cap`, `monthly_credit_cap`, `pause_at_cap`).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct CreditCaps {
    pub daily: Option<f64>,
    pub monthly: Option<f64>,
    /// Refuse requests while a cap is reached.
    pub pause: bool,
}

/// Which cap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CapPeriod {
    Daily,
    Monthly,
}

/// One cap and how far it is used (`GET /admin/status` → `credit_caps`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CapUse {
    pub period: CapPeriod,
    pub cap: f64,
    pub spent: f64,
    /// The highest of [`THRESHOLDS`] reached, if any.
    pub threshold: Option<u8>,
    /// When the period ends (the cap starts over), RFC 3339 in local time.
    pub resets_at: String,
}

/// What `GET /admin/status` reports.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CapsStatus {
    pub pause_at_cap: bool,
    /// True while requests are refused.
    pub paused: bool,
    pub caps: Vec<CapUse>,
}

impl CreditCaps {
    pub fn is_set(&self) -> bool {
        self.daily.is_some() || self.monthly.is_some()
    }

    /// Each cap's use, given today's and this month's spending at `now`.
    pub fn uses(&self, today: f64, month: f64, now: DateTime<Local>) -> Vec<CapUse> {
        [
            (CapPeriod::Daily, self.daily, today),
            (CapPeriod::Monthly, self.monthly, month),
        ]
        .into_iter()
        .filter_map(|(period, cap, spent)| {
            let cap = cap?;
            Some(CapUse {
                period,
                cap,
                spent,
                threshold: THRESHOLDS
                    .iter()
                    .rev()
                    .find(|t| spent >= cap * f64::from(**t) / 100.0)
                    .copied(),
                resets_at: period.resets_at(now).to_rfc3339(),
            })
        })
        .collect()
    }

    /// The status block for what `ledger` counted, now.
    pub fn status_of(&self, ledger: &crate::credit_ledger::CreditLedger) -> CapsStatus {
        let (today, month) = ledger.spent();
        self.status(today, month, Local::now())
    }

    /// The status block.
    pub fn status(&self, today: f64, month: f64, now: DateTime<Local>) -> CapsStatus {
        let caps = self.uses(today, month, now);
        CapsStatus {
            pause_at_cap: self.pause,
            paused: self.pause && caps.iter().any(|u| u.threshold == Some(100)),
            caps,
        }
    }

    /// `Err` with the client's 429 when `pause_at_cap` is on and a cap is reached.
    pub fn check(&self, today: f64, month: f64, now: DateTime<Local>) -> Result<(), ApiError> {
        if !self.pause {
            return Ok(());
        }
        let Some(reached) = self
            .uses(today, month, now)
            .into_iter()
            .find(|u| u.threshold == Some(100))
        else {
            return Ok(());
        };
        let (which, until) = match reached.period {
            CapPeriod::Daily => ("daily", "the day ends"),
            CapPeriod::Monthly => ("monthly", "the month ends"),
        };
        let wait = (reached.period.resets_at(now).timestamp() - now.timestamp()).max(1) as u64;
        Err(ApiError::new(
            ErrorKind::RateLimit,
            format!(
                "The {which} credit cap you set is reached ({:.2} of {} credits spent through this gateway). \
                 Requests are paused until {until} ({}), or until you raise the cap \
                 (`{which}_credit_cap`) or turn `pause_at_cap` off.",
                reached.spent, reached.cap, reached.resets_at
            ),
        )
        .with_code(ErrorCode::CreditCapReached)
        .with_retry_after(wait)
        .with_no_retry())
    }
}

/// The caps in force, changed by the Settings view while requests read them: three atomics
/// (an absent cap is stored as NaN), so the request path takes no lock. An edit that lands
/// between two of a request's reads gives that one request a mix of old and new caps.
#[derive(Debug)]
pub struct LiveCaps {
    daily: AtomicU64,
    monthly: AtomicU64,
    pause: AtomicBool,
}

impl LiveCaps {
    pub fn new(caps: CreditCaps) -> Self {
        let live = LiveCaps {
            daily: AtomicU64::new(0),
            monthly: AtomicU64::new(0),
            pause: AtomicBool::new(false),
        };
        live.set(caps);
        live
    }

    pub fn get(&self) -> CreditCaps {
        let cap = |bits: &AtomicU64| {
            Some(f64::from_bits(bits.load(Ordering::Relaxed))).filter(|v| !v.is_nan())
        };
        CreditCaps {
            daily: cap(&self.daily),
            monthly: cap(&self.monthly),
            pause: self.pause.load(Ordering::Relaxed),
        }
    }

    pub fn set(&self, caps: CreditCaps) {
        let bits = |cap: Option<f64>| cap.unwrap_or(f64::NAN).to_bits();
        self.daily.store(bits(caps.daily), Ordering::Relaxed);
        self.monthly.store(bits(caps.monthly), Ordering::Relaxed);
        self.pause.store(caps.pause, Ordering::Relaxed);
    }
}

impl CapPeriod {
    /// When the period that holds `now` ends.
    fn resets_at(self, now: DateTime<Local>) -> DateTime<Local> {
        let date = now.date_naive();
        local_midnight(match self {
            CapPeriod::Daily => next_day(date),
            CapPeriod::Monthly => next_month(date),
        })
    }
}

fn next_day(date: NaiveDate) -> NaiveDate {
    date.checked_add_days(Days::new(1)).unwrap_or(date)
}

fn next_month(date: NaiveDate) -> NaiveDate {
    date.with_day(1)
        .and_then(|first| first.checked_add_months(Months::new(1)))
        .unwrap_or(date)
}

/// The local start of `date` (the earliest valid time when a clock change skips midnight).
fn local_midnight(date: NaiveDate) -> DateTime<Local> {
    let naive = date.and_hms_opt(0, 0, 0).unwrap_or_default();
    Local
        .from_local_datetime(&naive)
        .earliest()
        .unwrap_or_else(|| Local.from_utc_datetime(&naive))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn live_caps_give_back_what_was_set_including_no_cap() {
        let caps = CreditCaps {
            daily: Some(12.5),
            monthly: None,
            pause: true,
        };
        let live = LiveCaps::new(caps);
        assert_eq!(live.get(), caps);
        let lifted = CreditCaps {
            daily: None,
            monthly: Some(300.0),
            pause: false,
        };
        live.set(lifted);
        assert_eq!(live.get(), lifted);
    }

    fn noon() -> DateTime<Local> {
        local_midnight(NaiveDate::from_ymd_opt(2026, 12, 6).unwrap()) + chrono::Duration::hours(12)
    }

    #[test]
    fn thresholds_are_the_highest_crossed_per_cap() {
        let caps = CreditCaps {
            daily: Some(10.0),
            monthly: Some(100.0),
            pause: false,
        };
        let uses = caps.uses(8.5, 49.9, noon());
        assert_eq!(uses[0].threshold, Some(80));
        assert_eq!(uses[1].threshold, None);
        assert!(uses[0].resets_at.starts_with("2026-12-07T00:00:00"));
        assert!(uses[1].resets_at.starts_with("2027-01-01T00:00:00"));
        assert_eq!(caps.uses(10.0, 50.0, noon())[0].threshold, Some(100));
        assert_eq!(caps.uses(10.0, 50.0, noon())[1].threshold, Some(50));
        assert!(CreditCaps::default().uses(1e9, 1e9, noon()).is_empty());
    }

    #[test]
    fn only_pause_at_cap_refuses_and_says_until_when() {
        let report_only = CreditCaps {
            daily: Some(1.0),
            monthly: None,
            pause: false,
        };
        assert!(
            report_only.check(5.0, 5.0, noon()).is_ok(),
            "reported, not enforced"
        );
        let pausing = CreditCaps {
            pause: true,
            ..report_only
        };
        assert!(pausing.check(0.99, 0.99, noon()).is_ok());
        let err = pausing.check(1.0, 1.0, noon()).unwrap_err();
        assert_eq!(err.status().as_u16(), 429);
        assert_eq!(err.code, Some(ErrorCode::CreditCapReached));
        assert_eq!(err.retry_after, Some(12 * 3600));
        assert_eq!(err.should_retry(), Some(false));
        assert!(err.message.contains("daily credit cap"), "{}", err.message);
        assert!(pausing.status(1.0, 1.0, noon()).paused);

        let monthly = CreditCaps {
            daily: Some(10.0),
            monthly: Some(20.0),
            pause: true,
        };
        let err = monthly.check(2.0, 20.0, noon()).unwrap_err();
        assert!(
            err.message.contains("monthly credit cap"),
            "{}",
            err.message
        );
    }
}
