//! The single-flight refresh: re-read the source first, then refresh, and keep serving a
//! still-valid token when the refresh fails or kiro-cli is busy.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant;

use chrono::Utc;

use super::source::{self, Loaded};
use super::state::State;
use super::{
    lock, refresh, AccessToken, CredentialError, Credentials, GRACE, SOURCE_BUSY_BACKOFF,
    SOURCE_BUSY_WAIT,
};
use crate::secrets::Secret;

impl Credentials {
    /// Re-read the source off the async runtime (file / SQLite I/O, a short busy timeout).
    async fn load_blocking(&self) -> Result<Loaded, CredentialError> {
        let (source, settings) = (self.source.clone(), self.settings.clone());
        tokio::task::spawn_blocking(move || source::load(&source, &settings, SOURCE_BUSY_WAIT))
            .await
            .unwrap_or_else(|e| {
                Err(CredentialError::Invalid(format!(
                    "re-reading the source failed: {e}"
                )))
            })
    }

    pub(super) async fn refresh_single_flight(
        &self,
        rejected: Option<&AccessToken>,
    ) -> Result<Arc<State>, CredentialError> {
        let _guard = self.refresh_lock.lock().await;
        let now = Utc::now();
        let cur = self.snapshot();
        // Re-check after acquiring the lock: someone may have refreshed meanwhile.
        let rejected = match rejected {
            Some(r) if r.generation == cur.generation => Some(r.token.expose().clone()),
            _ if cur.is_fresh(now) => return Ok(cur),
            _ => None,
        };
        // Usable while it lasts, when kiro-cli may be writing a newer one right now.
        let keep_current = rejected.is_none() && cur.is_unexpired(now, GRACE);

        // Adopt before refresh: the IDE / kiro-cli may already have a new token. A locked
        // database is not waited out: kiro-cli is probably writing a token it just refreshed,
        // and refreshing meanwhile could race its rotation of the refresh token.
        let loaded = if self.source_busy() {
            Err(CredentialError::SourceBusy(
                "its database was locked a moment ago".into(),
            ))
        } else {
            let loaded = self.load_blocking().await;
            if matches!(loaded, Err(CredentialError::SourceBusy(_))) {
                *lock(&self.source_busy_until) = Some(Instant::now() + SOURCE_BUSY_BACKOFF);
            }
            loaded
        };
        match loaded {
            Ok(loaded) => {
                if self.absorb(loaded, rejected.as_deref(), true) {
                    return Ok(self.snapshot());
                }
            }
            Err(CredentialError::SourceBusy(why)) => {
                if keep_current {
                    tracing::info!("kiro-cli is busy ({why}); using the current Kiro token until the next request");
                    return Ok(cur);
                }
                return Err(CredentialError::SourceBusy(why));
            }
            Err(e) => tracing::warn!("re-reading the credential source before refresh: {e}"),
        }

        let cur = self.snapshot();
        let auth_region = self.auth_region(&cur);
        let ctx = refresh::RefreshCtx {
            http: &self.http,
            refresh_url: self.settings.refresh_url.as_deref(),
            oidc_url: self.settings.oidc_url.as_deref(),
            auth_region: &auth_region,
            machine_id: &self.machine_id,
            redactor: &self.redactor,
        };
        let known_rejected = lock(&self.rejected_refresh)
            .as_ref()
            .filter(|(token, _)| cur.tokens.refresh_token.as_ref() == Some(token))
            .map(|(_, said)| said.clone());
        let result = match known_rejected {
            // Sending it again only gets the same answer (and looks like a retry storm).
            Some(said) => Err(CredentialError::RefreshRejected(said)),
            None => {
                let result = refresh::refresh(&ctx, &cur.tokens).await;
                if result.is_err() {
                    self.refresh_failures.fetch_add(1, Ordering::SeqCst);
                }
                result
            }
        };
        match result {
            Ok(r) => {
                self.redactor.add(&r.access_token);
                if let Some(rt) = &r.refresh_token {
                    self.redactor.add(rt);
                }
                let now = Utc::now();
                let mut tokens = cur.tokens.clone();
                tokens.access_token = Some(Secret::new(r.access_token));
                if let Some(rt) = r.refresh_token {
                    tokens.refresh_token = Some(Secret::new(rt));
                }
                tokens.expires_at = Some(now + chrono::TimeDelta::seconds(r.expires_in));
                if tokens.profile_arn.is_none() {
                    tokens.profile_arn = r.profile_arn;
                }
                let new_state = {
                    let mut guard = self.state.write().unwrap_or_else(|e| e.into_inner());
                    let mut next = (**guard).clone();
                    next.tokens = tokens;
                    next.generation = guard.generation + 1;
                    next.obtained_at = Some(now);
                    let next = Arc::new(next);
                    *guard = next.clone();
                    next
                };
                self.refresh_count.fetch_add(1, Ordering::SeqCst);
                *lock(&self.last_error) = None;
                tracing::info!(
                    auth = ?new_state.tokens.auth_kind,
                    expires_at = ?new_state.tokens.expires_at,
                    "Kiro access token refreshed"
                );
                self.persist(&new_state.tokens).await;
                Ok(self.snapshot())
            }
            Err(e) => {
                if let (CredentialError::RefreshRejected(said), Some(token)) =
                    (&e, &cur.tokens.refresh_token)
                {
                    *lock(&self.rejected_refresh) = Some((token.clone(), said.clone()));
                }
                let msg = self.redactor.redact(&e.to_string());
                *lock(&self.last_error) = Some(msg.clone());
                tracing::warn!("{msg}");
                if rejected.is_none() && cur.is_unexpired(Utc::now(), GRACE) {
                    // The current token still works for a while: keep serving with it.
                    return Ok(cur);
                }
                Err(e)
            }
        }
    }
}
