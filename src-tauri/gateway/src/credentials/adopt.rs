//! Adoption: taking in a token the IDE or kiro-cli wrote to the source.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use chrono::Utc;

use super::source::Loaded;
use super::state::State;
use super::{lock, Credentials};

impl Credentials {
    /// Take in what the source holds now. Adopts its access token when it is new, valid
    /// (`require_fresh`: outside the refresh margin) and not the one upstream just rejected;
    /// otherwise still takes a refresh token the other program rotated.
    pub(super) fn absorb(
        &self,
        loaded: Loaded,
        rejected: Option<&str>,
        require_fresh: bool,
    ) -> bool {
        loaded.tokens.register(&self.redactor);
        let now = Utc::now();
        let mut guard = self.state.write().unwrap_or_else(|e| e.into_inner());
        let cur = guard.clone();
        let mut next = (*cur).clone();
        next.side_profile = loaded.side_profile;
        let disk_changed = loaded.tokens.access_token != cur.disk_access
            || loaded.tokens.refresh_token != cur.disk_refresh;
        if !disk_changed {
            *guard = Arc::new(next);
            return false;
        }
        next.disk_access = loaded.tokens.access_token.clone();
        next.disk_refresh = loaded.tokens.refresh_token.clone();

        let candidate = State {
            tokens: loaded.tokens,
            obtained_at: None,
            ..(*cur).clone()
        };
        let new_access = candidate.tokens.access();
        let differs = new_access.is_some() && new_access != cur.tokens.access();
        let not_rejected = rejected.is_none_or(|r| Some(r) != new_access);
        let valid = if require_fresh {
            candidate.is_fresh(now)
        } else {
            candidate.is_unexpired(now, chrono::TimeDelta::zero())
        };
        let newer = !cur.is_fresh(now)
            || match (candidate.tokens.expires_at, cur.tokens.expires_at) {
                (Some(a), Some(b)) => a >= b,
                _ => true,
            };
        let adopted = differs && not_rejected && valid && newer;
        if adopted {
            let keep_profile = next.tokens.profile_arn.take();
            next.tokens = candidate.tokens;
            if next.tokens.profile_arn.is_none() {
                next.tokens.profile_arn = keep_profile;
            }
            next.generation = cur.generation + 1;
            // Issue time unknown: the full safety margin applies.
            next.obtained_at = None;
            self.adopted_count.fetch_add(1, Ordering::SeqCst);
            tracing::info!(
                source = %self.source.describe(),
                "adopted the token another Kiro program wrote"
            );
        } else if candidate.tokens.auth_kind != cur.tokens.auth_kind {
            // Signed in again with another method: the old login is gone. Take the new one
            // whole (its access token may need a refresh right away).
            next.tokens = candidate.tokens;
            next.generation = cur.generation + 1;
            next.obtained_at = None;
            *lock(&self.listed_profile) = None;
            *lock(&self.list_attempt) = None;
        } else if candidate.tokens.refresh_token.is_some()
            && candidate.tokens.refresh_token != cur.tokens.refresh_token
        {
            // The other program rotated the refresh token (ours is probably dead now) but
            // its access token is not better than ours: take everything except that.
            let mut tokens = candidate.tokens;
            tokens.access_token = cur.tokens.access_token.clone();
            tokens.expires_at = cur.tokens.expires_at;
            if tokens.profile_arn.is_none() {
                tokens.profile_arn = cur.tokens.profile_arn.clone();
            }
            next.tokens = tokens;
        }
        *guard = Arc::new(next);
        adopted
    }
}
