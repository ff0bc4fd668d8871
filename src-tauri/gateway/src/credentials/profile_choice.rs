//! Which profile ARN and regions a token goes out with (the order of the module doc).

use std::time::Instant;

use super::state::State;
use super::{lock, profile, AuthKind, Credentials, PROFILE_RETRY, SOCIAL_SHARED_PROFILE_ARN};

impl Credentials {
    pub(super) fn auth_region(&self, st: &State) -> String {
        st.tokens
            .region
            .clone()
            .or_else(|| self.settings.region.clone())
            .unwrap_or_else(|| "us-east-1".into())
    }

    pub(super) fn api_region(&self, st: &State, profile_arn: Option<&str>) -> String {
        profile::api_region(
            self.settings.api_region.as_deref(),
            profile_arn,
            st.tokens.region.as_deref(),
            self.settings.region.as_deref(),
        )
    }

    /// `PROFILE_ARN` (explicit wins) → token / refresh response → kiro-cli `state` or IDE
    /// `profile.json` → ListAvailableProfiles → shared social profile (social only).
    pub(super) fn effective_profile(&self, st: &State) -> Option<String> {
        let explicit = self
            .settings
            .profile_arn
            .as_deref()
            .map(str::trim)
            .filter(|a| !a.is_empty())
            .map(str::to_owned);
        explicit
            .or_else(|| st.tokens.profile_arn.clone())
            .or_else(|| st.side_profile.clone())
            .or_else(|| lock(&self.listed_profile).clone())
            .or_else(|| {
                (st.tokens.auth_kind == AuthKind::Social && lock(&self.list_attempt).is_some())
                    .then(|| SOCIAL_SHARED_PROFILE_ARN.to_owned())
            })
    }

    /// Resolve the profile through ListAvailableProfiles when nothing local names one.
    pub(super) async fn ensure_profile(&self, st: &State) {
        if st.tokens.auth_kind == AuthKind::ApiKey || self.effective_profile(st).is_some() {
            return;
        }
        let Some(access) = st.tokens.access() else {
            return;
        };
        let recently_tried = |a: &Option<Instant>| a.is_some_and(|t| t.elapsed() < PROFILE_RETRY);
        if recently_tried(&lock(&self.list_attempt)) {
            return;
        }
        let _guard = self.profile_lock.lock().await;
        if self.effective_profile(st).is_some() {
            return;
        }
        {
            let mut attempt = lock(&self.list_attempt);
            if recently_tried(&attempt) {
                return;
            }
            *attempt = Some(Instant::now());
        }
        let urls = profile::list_urls(self.settings.management_url.as_deref());
        match profile::list_available_profiles(&self.http, &urls, access, st.tokens.auth_kind).await
        {
            Ok(Some(arn)) => {
                tracing::info!(profile_arn = %arn, "profile found with ListAvailableProfiles");
                *lock(&self.listed_profile) = Some(arn);
            }
            Ok(None) => tracing::warn!("ListAvailableProfiles returned no profile"),
            Err(e) => tracing::warn!("{}", self.redactor.redact(&e)),
        }
    }
}
