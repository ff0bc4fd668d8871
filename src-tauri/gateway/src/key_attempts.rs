//! Slowing down key guessing from other machines: after [`MAX_FAILURES`] wrong keys within
//! [`WINDOW`] from one address, that address is refused for [`BLOCK`] without its key being
//! compared. This machine's own address (127.0.0.1 / ::1, also IPv4-mapped) is exempt: every
//! local tool connects from it, and one misconfigured tool must not lock out the others (a
//! local process can read the key anyway).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub const MAX_FAILURES: u32 = 10;
pub const WINDOW: Duration = Duration::from_secs(60);
pub const BLOCK: Duration = Duration::from_secs(60);
/// Addresses remembered at most; the oldest windows are dropped beyond it.
const MAX_TRACKED: usize = 4096;

/// The address every local tool connects from.
fn is_this_machine(peer: IpAddr) -> bool {
    match peer.to_canonical() {
        IpAddr::V4(v4) => v4 == std::net::Ipv4Addr::LOCALHOST,
        IpAddr::V6(v6) => v6 == std::net::Ipv6Addr::LOCALHOST,
    }
}

#[derive(Debug, Clone, Copy)]
struct Record {
    window_start: Instant,
    failures: u32,
    blocked_until: Option<Instant>,
}

#[derive(Debug, Default)]
pub struct KeyAttempts {
    /// Set once any failure was recorded, so the request path takes no lock before that.
    any: AtomicBool,
    by_peer: Mutex<HashMap<IpAddr, Record>>,
}

impl KeyAttempts {
    /// How long `peer` must still wait, if it is blocked.
    pub fn blocked_for(&self, peer: IpAddr, now: Instant) -> Option<Duration> {
        if is_this_machine(peer) || !self.any.load(Ordering::Relaxed) {
            return None;
        }
        let map = self.by_peer.lock().unwrap_or_else(|e| e.into_inner());
        let until = map.get(&peer)?.blocked_until?;
        (until > now).then(|| until - now)
    }

    pub fn record_failure(&self, peer: IpAddr, now: Instant) {
        if is_this_machine(peer) {
            return;
        }
        self.any.store(true, Ordering::Relaxed);
        let mut map = self.by_peer.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= MAX_TRACKED && !map.contains_key(&peer) {
            map.retain(|_, r| {
                now.duration_since(r.window_start) < WINDOW
                    || r.blocked_until.is_some_and(|u| u > now)
            });
            if map.len() >= MAX_TRACKED {
                if let Some(oldest) = map
                    .iter()
                    .min_by_key(|(_, r)| r.window_start)
                    .map(|(ip, _)| *ip)
                {
                    map.remove(&oldest);
                }
            }
        }
        let record = map.entry(peer).or_insert(Record {
            window_start: now,
            failures: 0,
            blocked_until: None,
        });
        if now.duration_since(record.window_start) >= WINDOW {
            *record = Record {
                window_start: now,
                failures: 0,
                blocked_until: None,
            };
        }
        record.failures += 1;
        if record.failures >= MAX_FAILURES {
            record.blocked_until = Some(now + BLOCK);
            tracing::warn!(
                "{peer}: {} wrong API keys within {}s; refusing it for {}s",
                record.failures,
                WINDOW.as_secs(),
                BLOCK.as_secs()
            );
        }
    }

    pub fn record_success(&self, peer: IpAddr) {
        if is_this_machine(peer) || !self.any.load(Ordering::Relaxed) {
            return;
        }
        self.by_peer
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&peer);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_guessing_peer_is_blocked_then_released() {
        let attempts = KeyAttempts::default();
        let lan: IpAddr = [192, 168, 1, 50].into();
        let other: IpAddr = [192, 168, 1, 51].into();
        let t0 = Instant::now();
        for i in 0..MAX_FAILURES - 1 {
            attempts.record_failure(lan, t0 + Duration::from_millis(i.into()));
        }
        assert_eq!(attempts.blocked_for(lan, t0), None);
        attempts.record_failure(lan, t0);
        assert_eq!(attempts.blocked_for(lan, t0), Some(BLOCK));
        assert_eq!(attempts.blocked_for(other, t0), None);
        assert_eq!(attempts.blocked_for(lan, t0 + BLOCK), None);
    }

    #[test]
    fn failures_spread_beyond_the_window_do_not_add_up() {
        let attempts = KeyAttempts::default();
        let lan: IpAddr = [10, 0, 0, 2].into();
        let t0 = Instant::now();
        for i in 0..MAX_FAILURES * 3 {
            attempts.record_failure(lan, t0 + WINDOW / 5 * i);
        }
        assert_eq!(attempts.blocked_for(lan, t0 + WINDOW * 6), None);
    }

    #[test]
    fn loopback_is_never_blocked_and_success_forgets() {
        let attempts = KeyAttempts::default();
        let t0 = Instant::now();
        let local: IpAddr = [127, 0, 0, 1].into();
        let mapped: IpAddr = "::ffff:127.0.0.1".parse().unwrap();
        for _ in 0..MAX_FAILURES * 2 {
            attempts.record_failure(mapped, t0);
        }
        assert_eq!(attempts.blocked_for(mapped, t0), None);
        let lan: IpAddr = [10, 0, 0, 3].into();
        for _ in 0..MAX_FAILURES * 2 {
            attempts.record_failure(local, t0);
        }
        assert_eq!(attempts.blocked_for(local, t0), None);
        for _ in 0..MAX_FAILURES - 1 {
            attempts.record_failure(lan, t0);
        }
        attempts.record_success(lan);
        attempts.record_failure(lan, t0);
        assert_eq!(attempts.blocked_for(lan, t0), None);
    }

    #[test]
    fn memory_is_bounded() {
        let attempts = KeyAttempts::default();
        let t0 = Instant::now();
        for i in 0..(MAX_TRACKED as u32 + 100) {
            attempts.record_failure(IpAddr::from((0x0a00_0000u32 + i).to_be_bytes()), t0);
        }
        assert!(attempts.by_peer.lock().unwrap().len() <= MAX_TRACKED);
    }
}
