//! The Kiro login requests go out with, switchable while the gateway runs. A request takes
//! the login once, when it starts, and keeps it to its end: a stream open during a switch
//! finishes on the login it began with. Each login keeps its own hold ([`Cooldown`]), so a
//! rate limit on one account does not stop another, and switching back to a held account
//! still waits. Logins are switched by the user, never pooled or rotated by the gateway.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};

use super::cooldown::Cooldown;
use super::usage_summary::UsageSummary;
use crate::credentials::{Credentials, WatchGuard};

/// One login and what belongs to it.
pub struct Login {
    pub credentials: Arc<Credentials>,
    /// Waits Kiro asked for on this account.
    pub cooldown: Arc<Cooldown>,
    /// Keeps the source watched for tokens the IDE or kiro-cli write.
    _watch: Option<WatchGuard>,
}

impl Login {
    fn new(credentials: Arc<Credentials>, watch: bool) -> Arc<Self> {
        let watch = watch
            .then(|| match credentials.watch() {
                Ok(guard) => Some(guard),
                Err(err) => {
                    tracing::warn!("not watching the credential source for changes: {err}");
                    None
                }
            })
            .flatten();
        Arc::new(Login {
            credentials,
            cooldown: Arc::default(),
            _watch: watch,
        })
    }
}

/// The login in use, shared by the Kiro client, the model catalogue and the usage limits.
pub struct ActiveLogin {
    current: RwLock<Arc<Login>>,
    /// Logins used before in this run, by id: switching back keeps their token and holds.
    used: Mutex<HashMap<String, Arc<Login>>>,
    /// Plan and credits last seen per login id (only the login in use talks to Kiro).
    usage_seen: Mutex<HashMap<String, UsageSummary>>,
    /// Watch each login's source (the gateway does; one-off tools do not).
    watch: bool,
}

impl ActiveLogin {
    /// `credentials` in use, its source not watched.
    pub fn new(credentials: Arc<Credentials>) -> Arc<Self> {
        Self::build(credentials, false)
    }

    /// `credentials` in use, and each login's source watched for tokens other programs write.
    pub fn watched(credentials: Arc<Credentials>) -> Arc<Self> {
        Self::build(credentials, true)
    }

    fn build(credentials: Arc<Credentials>, watch: bool) -> Arc<Self> {
        let login = Login::new(credentials, watch);
        let used = HashMap::from([(login.credentials.login_id(), login.clone())]);
        Arc::new(ActiveLogin {
            current: RwLock::new(login),
            used: Mutex::new(used),
            usage_seen: Mutex::default(),
            watch,
        })
    }

    /// The login in use now (a read lock held only to clone the `Arc`).
    pub fn get(&self) -> Arc<Login> {
        self.current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    pub fn credentials(&self) -> Arc<Credentials> {
        self.get().credentials.clone()
    }

    /// A login used earlier in this run, by id.
    pub fn used_before(&self, id: &str) -> Option<Arc<Credentials>> {
        self.used
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(id)
            .map(|login| login.credentials.clone())
    }

    /// Note the plan and credits of login `id`, as Kiro said while it was in use.
    pub fn remember_usage(&self, id: &str, usage: UsageSummary) {
        self.usage_seen
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(id.to_owned(), usage);
    }

    /// The plan and credits last seen for login `id`.
    pub fn usage_seen(&self, id: &str) -> Option<UsageSummary> {
        self.usage_seen
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(id)
            .cloned()
    }

    /// Use `credentials` from now on (with the holds it had, if it was used before).
    pub fn switch_to(&self, credentials: Arc<Credentials>) {
        let id = credentials.login_id();
        let login = self
            .used
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(id)
            .or_insert_with(|| Login::new(credentials, self.watch))
            .clone();
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = login;
    }
}
