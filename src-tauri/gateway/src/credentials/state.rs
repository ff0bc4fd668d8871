//! The in-memory credential state and its freshness rules.

use chrono::{DateTime, Utc};

use super::token::TokenSet;
use super::{AuthKind, REFRESH_MARGIN};
use crate::secrets::Secret;

/// The current token and what the gateway knows about the source's copy of it.
#[derive(Clone)]
pub(crate) struct State {
    pub tokens: TokenSet,
    pub generation: u64,
    /// When this process obtained the token by refreshing; `None` when loaded or adopted.
    pub obtained_at: Option<DateTime<Utc>>,
    /// Profile ARN found next to the token (kiro-cli `state`, IDE `profile.json`).
    pub side_profile: Option<String>,
    /// The access / refresh token the source held when last read or written by us: a change
    /// means another program (the IDE, kiro-cli) rewrote it.
    pub disk_access: Option<Secret<String>>,
    pub disk_refresh: Option<Secret<String>>,
}

impl State {
    /// Fresh = usable without a refresh first. API keys never expire; a token without an
    /// expiry is fresh only when nothing could refresh it anyway.
    pub fn is_fresh(&self, now: DateTime<Utc>) -> bool {
        if self.tokens.access_token.is_none() {
            return false;
        }
        if self.tokens.auth_kind == AuthKind::ApiKey {
            return true;
        }
        match self.tokens.expires_at {
            Some(exp) => {
                // A short-lived token (tests, odd issuers) gets at most half its lifetime
                // as margin, so that it is not refreshed on every call.
                let margin = match self.obtained_at {
                    Some(obtained) if exp > obtained => REFRESH_MARGIN.min((exp - obtained) / 2),
                    _ => REFRESH_MARGIN,
                };
                exp - margin > now
            }
            None => self.tokens.refresh_token.is_none(),
        }
    }

    /// Not past its real expiry (plus `slack`).
    pub fn is_unexpired(&self, now: DateTime<Utc>, slack: chrono::TimeDelta) -> bool {
        self.tokens.access_token.is_some()
            && self.tokens.expires_at.is_none_or(|exp| exp > now + slack)
    }
}
