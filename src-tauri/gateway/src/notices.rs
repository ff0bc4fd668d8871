//! What the desktop app announces as notifications: a credit cap half used, 80 % used and
//! reached, Kiro holding requests back (rate limit or suspension) with the time it ends, and
//! a newer Kiro Gateway on the release feed.
//! Each is said once: [`NoticeTracker`] remembers what it announced and is fed the status
//! every few seconds by the shell. Pure (the caller passes the status and the clock), except
//! [`NoticeTracker::load`] and [`NoticeTracker::save_if_changed`]: the cap thresholds
//! announced are kept in a file, so a restart (or an update's) does not say them again.

use std::path::Path;

use chrono::{DateTime, Local};
use serde::{Deserialize, Serialize};

use crate::credit_caps::{CapPeriod, CapUse, CapsStatus};
use crate::kiro::cooldown::{ActiveHold, CooldownCause};
use crate::status_view::format_credits;
use crate::updates::{Installer, UpdateState, UpdateView};

/// A local wall-clock time (what notices are worded in).
pub type LocalTime = DateTime<Local>;

/// The local time now.
pub fn now() -> LocalTime {
    Local::now()
}

/// One notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub title: String,
    pub body: String,
}

/// What was announced so far. Only the caps are saved: a hold is announced again by the
/// next run if it still holds, and a newer release once per run (a reminder).
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct NoticeTracker {
    /// Per cap: the period it was counted in (its reset time) and the threshold reached then.
    caps: Vec<(CapPeriod, String, u8)>,
    /// The hold in force that was announced.
    #[serde(skip)]
    hold: Option<CooldownCause>,
    /// The newer version that was announced.
    #[serde(skip)]
    release: Option<String>,
    /// What the last load or save found in the file.
    #[serde(skip)]
    saved: String,
}

impl NoticeTracker {
    /// The tracker kept in `path`, or a fresh one (no file, or one this version cannot read).
    pub fn load(path: &Path) -> NoticeTracker {
        let Ok(text) = std::fs::read_to_string(path) else {
            return NoticeTracker::default();
        };
        match serde_json::from_str::<NoticeTracker>(&text) {
            Ok(tracker) => NoticeTracker {
                saved: text,
                ..tracker
            },
            Err(err) => {
                tracing::warn!("ignoring {} ({err})", path.display());
                NoticeTracker::default()
            }
        }
    }

    /// Write what must survive a restart to `path` when it changed (whole or not at all).
    pub fn save_if_changed(&mut self, path: &Path) {
        let Ok(text) = serde_json::to_string(self) else {
            return;
        };
        if text == self.saved {
            return;
        }
        if let Some(dir) = path.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        match crate::debug_dump::store::write_atomically(path, text.as_bytes()) {
            Ok(()) => self.saved = text,
            Err(err) => tracing::warn!("cannot save {}: {err}", path.display()),
        }
    }
}

impl NoticeTracker {
    /// The notices due for this status: thresholds newly reached (the highest one only, when
    /// several were crossed at once) and a hold that began. A threshold that falls back (the
    /// cap was raised, or a new day began) is announced again when reached again.
    pub fn observe(
        &mut self,
        caps: &CapsStatus,
        hold: Option<&ActiveHold>,
        now: DateTime<Local>,
    ) -> Vec<Notice> {
        let mut notices = Vec::new();
        for cap in &caps.caps {
            let reached = cap.threshold.unwrap_or(0);
            let before = self
                .caps
                .iter()
                .position(|(period, _, _)| *period == cap.period);
            let announced = match before {
                Some(i) if self.caps[i].1 == cap.resets_at => self.caps[i].2,
                _ => 0,
            };
            if reached > announced {
                notices.push(cap_notice(cap, caps.pause_at_cap));
            }
            let entry = (cap.period, cap.resets_at.clone(), reached);
            match before {
                Some(i) => self.caps[i] = entry,
                None => self.caps.push(entry),
            }
        }
        self.caps
            .retain(|(period, _, _)| caps.caps.iter().any(|c| c.period == *period));

        match hold {
            Some(hold) if self.hold != Some(hold.cause) => {
                notices.push(hold_notice(hold, now));
                self.hold = Some(hold.cause);
            }
            Some(_) => {}
            None => self.hold = None,
        }
        notices
    }
}

impl NoticeTracker {
    /// A notice when the release feed names a newer version not announced yet (once per
    /// version for as long as the app runs).
    pub fn observe_update(&mut self, update: &UpdateView) -> Option<Notice> {
        let latest = update
            .latest
            .as_ref()
            .filter(|_| update.state == UpdateState::Available)?;
        if self.release.as_deref() == Some(latest.version.as_str()) {
            return None;
        }
        self.release = Some(latest.version.clone());
        let notes: String = latest.notes.chars().take(200).collect();
        let install = match update.installer {
            Installer::App => "Install it from the Overview or the tray (Install and restart).",
            Installer::Manual => {
                "Download it from Settings → Updates or the tray, and install it with your package manager."
            }
        };
        Some(Notice {
            title: format!("Kiro Gateway {} is available", latest.version),
            body: if notes.trim().is_empty() {
                format!("You have {}. {install}", update.current_version)
            } else {
                format!(
                    "{} (You have {}.) {install}",
                    notes.trim(),
                    update.current_version
                )
            },
        })
    }
}

fn cap_notice(cap: &CapUse, pause_at_cap: bool) -> Notice {
    let (name, spent_in, starts_over) = match cap.period {
        CapPeriod::Daily => ("Daily", "today", "midnight"),
        CapPeriod::Monthly => ("Monthly", "this month", "the 1st of next month"),
    };
    let spent = format!(
        "{} of {} credits spent {spent_in} through Kiro Gateway.",
        format_credits(cap.spent),
        format_credits(cap.cap)
    );
    match cap.threshold {
        Some(100) if pause_at_cap => Notice {
            title: format!("{name} credit cap reached: requests paused"),
            body: format!(
                "{spent} Requests are refused until {starts_over}, or until you raise the cap \
                 or turn off \"Pause at cap\" in Settings."
            ),
        },
        Some(100) => Notice {
            title: format!("{name} credit cap reached"),
            body: format!("{spent} Requests go on: \"Pause at cap\" is off."),
        },
        threshold => {
            let then = if pause_at_cap {
                format!(" At the cap, requests pause until {starts_over}.")
            } else {
                String::new()
            };
            Notice {
                title: format!("{name} credit cap {} % used", threshold.unwrap_or(0)),
                body: format!("{spent}{then}"),
            }
        }
    }
}

fn hold_notice(hold: &ActiveHold, now: DateTime<Local>) -> Notice {
    let until = hold.until.with_timezone(&Local);
    let at = until.format("%H:%M");
    let minutes = ((until - now).num_seconds().max(0) as u64).div_ceil(60);
    match hold.cause {
        CooldownCause::RateLimited => Notice {
            title: format!("Kiro asked to wait until {at}"),
            body: format!(
                "Kiro rate-limited this account. Requests are held back for {minutes} min \
                 (until {at}); nothing is sent to Kiro meanwhile."
            ),
        },
        CooldownCause::Suspended => {
            let said: String = hold.message.chars().take(200).collect();
            Notice {
                title: format!("Kiro suspended the account; waiting until {at}"),
                body: format!(
                    "Kiro says: \"{said}\". The gateway sends nothing to Kiro until {at}, then \
                     tries again. If it persists, check your account in the Kiro IDE."
                ),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credit_caps::CreditCaps;
    use chrono::TimeZone;
    use std::time::Duration;

    fn noon() -> DateTime<Local> {
        Local
            .with_ymd_and_hms(2026, 12, 6, 12, 0, 0)
            .earliest()
            .unwrap()
    }

    fn daily(cap: f64, pause: bool) -> CreditCaps {
        CreditCaps {
            daily: Some(cap),
            monthly: None,
            pause,
        }
    }

    fn update(state: UpdateState, version: &str) -> UpdateView {
        UpdateView {
            current_version: "0.1.0".into(),
            check_updates: true,
            feed: Some("https://example.test/latest.json".into()),
            state,
            latest: (state == UpdateState::Available).then(|| crate::updates::ReleaseView {
                version: version.into(),
                notes: "Faster streams.".into(),
                pub_date: None,
                download_url: None,
            }),
            checked_at: None,
            error: None,
            installer: Installer::Manual,
        }
    }

    #[test]
    fn a_newer_release_is_announced_once_per_version() {
        let mut tracker = NoticeTracker::default();
        assert_eq!(
            tracker.observe_update(&update(UpdateState::UpToDate, "")),
            None
        );
        let first = tracker
            .observe_update(&update(UpdateState::Available, "0.2.0"))
            .expect("announced");
        assert_eq!(first.title, "Kiro Gateway 0.2.0 is available");
        assert!(
            first.body.starts_with("Faster streams. (You have 0.1.0.)"),
            "{}",
            first.body
        );
        assert_eq!(
            tracker.observe_update(&update(UpdateState::Available, "0.2.0")),
            None
        );
        assert!(tracker
            .observe_update(&update(UpdateState::Available, "0.3.0"))
            .is_some());
        assert_eq!(tracker.observe_update(&update(UpdateState::Off, "")), None);
    }

    #[test]
    fn a_threshold_announced_before_a_restart_is_not_said_again_in_the_same_period() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("desktop").join("notices.json");
        let caps = daily(10.0, false);
        let mut first_run = NoticeTracker::default();
        assert_eq!(
            titles(&first_run.observe(&caps.status(8.0, 8.0, noon()), None, noon())),
            ["Daily credit cap 80 % used"]
        );
        first_run.save_if_changed(&path);

        let mut second_run = NoticeTracker::load(&path);
        assert!(
            second_run
                .observe(&caps.status(8.5, 8.5, noon()), None, noon())
                .is_empty(),
            "80 % was said before the restart"
        );
        assert_eq!(
            titles(&second_run.observe(&caps.status(10.0, 10.0, noon()), None, noon())),
            ["Daily credit cap reached"],
            "the next threshold still is"
        );
        let tomorrow = noon() + chrono::Duration::days(1);
        let mut next_day = NoticeTracker::load(&path);
        assert_eq!(
            titles(&next_day.observe(&caps.status(8.0, 8.0, tomorrow), None, tomorrow)),
            ["Daily credit cap 80 % used"],
            "a new day starts over"
        );
    }

    #[test]
    fn an_unreadable_notices_file_starts_afresh() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("notices.json");
        std::fs::write(&path, "{not json").unwrap();
        let mut tracker = NoticeTracker::load(&path);
        let caps = daily(10.0, false);
        assert_eq!(
            titles(&tracker.observe(&caps.status(5.0, 5.0, noon()), None, noon())),
            ["Daily credit cap 50 % used"]
        );
    }

    #[test]
    fn the_release_notice_says_how_this_copy_installs() {
        let manual = NoticeTracker::default()
            .observe_update(&update(UpdateState::Available, "0.2.0"))
            .unwrap();
        assert!(
            manual
                .body
                .ends_with("install it with your package manager."),
            "{}",
            manual.body
        );
        let installed_from_a_package = UpdateView {
            installer: Installer::App,
            ..update(UpdateState::Available, "0.2.0")
        };
        let app = NoticeTracker::default()
            .observe_update(&installed_from_a_package)
            .unwrap();
        assert!(
            app.body.ends_with("the tray (Install and restart)."),
            "{}",
            app.body
        );
    }

    fn titles(notices: &[Notice]) -> Vec<&str> {
        notices.iter().map(|n| n.title.as_str()).collect()
    }

    #[test]
    fn each_threshold_is_announced_once_and_only_the_highest_of_a_jump() {
        let caps = daily(10.0, false);
        let mut tracker = NoticeTracker::default();
        let mut see =
            |spent: f64| tracker.observe(&caps.status(spent, spent, noon()), None, noon());
        assert!(see(1.0).is_empty());
        let half = see(5.0);
        assert_eq!(titles(&half), ["Daily credit cap 50 % used"]);
        assert_eq!(
            half[0].body,
            "5 of 10 credits spent today through Kiro Gateway."
        );
        assert!(see(6.0).is_empty(), "50 % is not said twice");
        let jump = see(10.5);
        assert_eq!(
            titles(&jump),
            ["Daily credit cap reached"],
            "80 % is skipped"
        );
        assert!(jump[0].body.contains("Requests go on"), "{}", jump[0].body);
        assert!(see(12.0).is_empty());
    }

    #[test]
    fn a_paused_cap_says_requests_are_refused_and_how_to_lift_it() {
        let caps = CreditCaps {
            daily: None,
            monthly: Some(100.0),
            pause: true,
        };
        let mut tracker = NoticeTracker::default();
        let eighty = tracker.observe(&caps.status(0.0, 81.0, noon()), None, noon());
        assert_eq!(titles(&eighty), ["Monthly credit cap 80 % used"]);
        assert!(eighty[0]
            .body
            .ends_with("At the cap, requests pause until the 1st of next month."));
        let full = tracker.observe(&caps.status(0.0, 100.0, noon()), None, noon());
        assert_eq!(
            titles(&full),
            ["Monthly credit cap reached: requests paused"]
        );
        assert!(
            full[0].body.contains("turn off \"Pause at cap\""),
            "{}",
            full[0].body
        );
    }

    #[test]
    fn a_raised_cap_or_a_new_day_announces_again() {
        let mut tracker = NoticeTracker::default();
        assert_eq!(
            tracker
                .observe(&daily(10.0, false).status(9.0, 9.0, noon()), None, noon())
                .len(),
            1
        );
        // Raised to 20: 45 %, nothing; 80 % of the new cap is news.
        assert!(tracker
            .observe(&daily(20.0, false).status(9.0, 9.0, noon()), None, noon())
            .is_empty());
        let again = tracker.observe(&daily(20.0, false).status(16.0, 16.0, noon()), None, noon());
        assert_eq!(titles(&again), ["Daily credit cap 80 % used"]);
        // The next day counts from zero, so 80 % is announced again.
        let tomorrow = noon() + chrono::Duration::days(1);
        let next_day = tracker.observe(
            &daily(20.0, false).status(16.0, 16.0, tomorrow),
            None,
            tomorrow,
        );
        assert_eq!(titles(&next_day), ["Daily credit cap 80 % used"]);
    }

    fn hold(cause: CooldownCause, minutes: i64) -> ActiveHold {
        ActiveHold {
            cause,
            until: (noon() + chrono::Duration::minutes(minutes)).with_timezone(&chrono::Utc),
            remaining: Duration::from_secs(minutes as u64 * 60),
            message: "Your account temporarily is suspended.".into(),
        }
    }

    #[test]
    fn a_hold_is_announced_when_it_begins_with_the_time_it_ends() {
        let none = CreditCaps::default().status(0.0, 0.0, noon());
        let mut tracker = NoticeTracker::default();
        let limited = hold(CooldownCause::RateLimited, 12);
        let at = (noon() + chrono::Duration::minutes(12))
            .format("%H:%M")
            .to_string();
        let first = tracker.observe(&none, Some(&limited), noon());
        assert_eq!(
            titles(&first),
            [format!("Kiro asked to wait until {at}").as_str()]
        );
        assert!(
            first[0].body.contains("held back for 12 min"),
            "{}",
            first[0].body
        );
        assert!(tracker.observe(&none, Some(&limited), noon()).is_empty());
        let suspended = tracker.observe(&none, Some(&hold(CooldownCause::Suspended, 30)), noon());
        assert!(suspended[0].title.starts_with("Kiro suspended the account"));
        assert!(suspended[0].body.contains("temporarily is suspended"));
        assert!(
            tracker.observe(&none, None, noon()).is_empty(),
            "the end is not announced"
        );
        assert_eq!(
            tracker.observe(&none, Some(&limited), noon()).len(),
            1,
            "a new hold is"
        );
    }
}
