//! "Stop sending for a while", shared by every request of one gateway. When Kiro names a wait
//! (a rate limit's `Retry-After` / `retryAfterMilliseconds`) or suspends the account, no
//! request reaches Kiro until the wait is over, however many clients are asking: each gets
//! the same answer locally, with the time left. Sending anyway is what makes an account look
//! abusive (and a suspended one stays locked longer).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

/// Why requests are held back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CooldownCause {
    /// A rate limit with a declared wait.
    RateLimited,
    /// Kiro suspended the account ("temporarily is suspended … security precaution").
    Suspended,
}

/// How long a suspension holds requests back locally: Kiro says nothing about its length,
/// and every request sent meanwhile is a failed request on a locked account.
pub const SUSPENSION_HOLD: Duration = Duration::from_secs(30 * 60);

/// The longest wait taken from a rate limit (the credit-rate window was seen at one hour).
pub const MAX_RATE_HOLD: Duration = Duration::from_secs(60 * 60);

#[derive(Debug, Clone, PartialEq)]
struct Hold {
    cause: CooldownCause,
    until: Instant,
    until_wall: DateTime<Utc>,
    /// What Kiro said, for the local answers.
    message: String,
}

/// A hold in force, as the caller needs it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ActiveHold {
    pub cause: CooldownCause,
    pub until: DateTime<Utc>,
    #[serde(skip)]
    pub remaining: Duration,
    pub message: String,
}

#[derive(Debug, Default)]
pub struct Cooldown {
    /// Set while a hold may be in force, so the request path takes no lock otherwise.
    armed: AtomicBool,
    hold: Mutex<Option<Hold>>,
}

impl Cooldown {
    /// The hold in force at `now`, if any.
    pub fn active(&self, now: Instant) -> Option<ActiveHold> {
        if !self.armed.load(Ordering::Acquire) {
            return None;
        }
        let mut hold = self.hold.lock().unwrap_or_else(|e| e.into_inner());
        match hold.as_ref() {
            Some(h) if h.until > now => Some(ActiveHold {
                cause: h.cause,
                until: h.until_wall,
                remaining: h.until - now,
                message: h.message.clone(),
            }),
            _ => {
                *hold = None;
                self.armed.store(false, Ordering::Release);
                None
            }
        }
    }

    /// Hold requests back for `wait` from `now` (capped), unless a longer hold is in force.
    pub fn hold(&self, cause: CooldownCause, wait: Duration, message: &str, now: Instant) {
        let cap = match cause {
            CooldownCause::RateLimited => MAX_RATE_HOLD,
            CooldownCause::Suspended => SUSPENSION_HOLD,
        };
        let wait = wait.min(cap);
        let until = now + wait;
        let mut hold = self.hold.lock().unwrap_or_else(|e| e.into_inner());
        if hold.as_ref().is_some_and(|h| h.until >= until) {
            return;
        }
        tracing::warn!(
            cause = ?cause,
            seconds = wait.as_secs(),
            "Kiro asked to wait; no request is sent upstream until then"
        );
        *hold = Some(Hold {
            cause,
            until,
            until_wall: Utc::now()
                + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::zero()),
            message: message.to_owned(),
        });
        self.armed.store(true, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hold_lasts_its_wait_and_a_shorter_one_does_not_shorten_it() {
        let cooldown = Cooldown::default();
        let t0 = Instant::now();
        assert_eq!(cooldown.active(t0), None);
        cooldown.hold(
            CooldownCause::RateLimited,
            Duration::from_secs(10),
            "slow down",
            t0,
        );
        cooldown.hold(
            CooldownCause::RateLimited,
            Duration::from_secs(2),
            "again",
            t0,
        );
        let active = cooldown.active(t0 + Duration::from_secs(5)).unwrap();
        assert_eq!(active.cause, CooldownCause::RateLimited);
        assert_eq!(active.remaining, Duration::from_secs(5));
        assert_eq!(active.message, "slow down");
        assert_eq!(cooldown.active(t0 + Duration::from_secs(10)), None);
        assert_eq!(cooldown.active(t0 + Duration::from_secs(11)), None);
    }

    #[test]
    fn waits_are_capped_and_a_suspension_outlasts_a_rate_limit() {
        let cooldown = Cooldown::default();
        let t0 = Instant::now();
        cooldown.hold(
            CooldownCause::RateLimited,
            Duration::from_secs(86_400),
            "x",
            t0,
        );
        assert_eq!(cooldown.active(t0).unwrap().remaining, MAX_RATE_HOLD);
        let cooldown = Cooldown::default();
        cooldown.hold(CooldownCause::RateLimited, Duration::from_secs(5), "x", t0);
        cooldown.hold(
            CooldownCause::Suspended,
            Duration::from_secs(86_400),
            "locked",
            t0,
        );
        let active = cooldown.active(t0 + Duration::from_secs(60)).unwrap();
        assert_eq!(active.cause, CooldownCause::Suspended);
        assert_eq!(active.remaining, SUSPENSION_HOLD - Duration::from_secs(60));
    }
}
