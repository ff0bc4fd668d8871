//! Stored Responses (`store: true`), for `previous_response_id` and
//! `GET/DELETE /v1/responses/{id}`.
//!
//! In memory only, bounded three ways: at most [`DEFAULT_CAPACITY`] responses, about
//! [`DEFAULT_MAX_BYTES`] of JSON in total (least recently used evicted first), and each
//! response expires [`DEFAULT_TTL`] after it was stored. Nothing survives a restart: a
//! `previous_response_id` from before a restart is a 404 and the client must resend the
//! history (Codex with `store: false` always does).
//!
//! Each entry keeps the response object and the **whole conversation** up to and including
//! that response's output (earlier history + its input + its output), so a follow-up only
//! needs the one entry.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::convert::responses::Item;

pub const DEFAULT_CAPACITY: usize = 1024;
pub const DEFAULT_MAX_BYTES: usize = 128 * 1024 * 1024;
pub const DEFAULT_TTL: Duration = Duration::from_secs(24 * 60 * 60);

/// One stored response.
#[derive(Debug, Clone)]
pub struct StoredResponse {
    /// The final `response` object.
    pub response: Value,
    /// The conversation up to and including this response's output.
    pub conversation: Vec<Item>,
    /// The items of this request's own input (for `/input_items`).
    pub input: Vec<Item>,
    /// The Kiro conversation id used, reused by follow-ups.
    pub session_id: String,
}

impl StoredResponse {
    fn approximate_bytes(&self) -> usize {
        let items: usize = self
            .conversation
            .iter()
            .chain(self.input.iter())
            .map(|i| i.to_json().to_string().len())
            .sum();
        self.response.to_string().len() + items
    }
}

struct Entry {
    stored: Arc<StoredResponse>,
    stored_at: Instant,
    last_used: u64,
    bytes: usize,
}

struct Inner {
    map: HashMap<String, Entry>,
    tick: u64,
    bytes: usize,
}

/// See the module documentation.
pub struct ResponseStore {
    inner: Mutex<Inner>,
    capacity: usize,
    max_bytes: usize,
    ttl: Duration,
}

impl Default for ResponseStore {
    fn default() -> Self {
        Self::new(DEFAULT_CAPACITY, DEFAULT_MAX_BYTES, DEFAULT_TTL)
    }
}

impl ResponseStore {
    pub fn new(capacity: usize, max_bytes: usize, ttl: Duration) -> Self {
        ResponseStore {
            inner: Mutex::new(Inner {
                map: HashMap::new(),
                tick: 0,
                bytes: 0,
            }),
            capacity: capacity.max(1),
            max_bytes,
            ttl,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Store (or replace) a response. One larger than the whole byte budget is not kept.
    pub fn insert(&self, id: &str, stored: StoredResponse) {
        let bytes = stored.approximate_bytes();
        if bytes > self.max_bytes {
            tracing::warn!(id, bytes, "response too large to store");
            return;
        }
        let mut inner = self.lock();
        inner.tick += 1;
        let tick = inner.tick;
        if let Some(old) = inner.map.remove(id) {
            inner.bytes -= old.bytes;
        }
        inner.bytes += bytes;
        inner.map.insert(
            id.to_owned(),
            Entry {
                stored: Arc::new(stored),
                stored_at: Instant::now(),
                last_used: tick,
                bytes,
            },
        );
        self.evict(&mut inner);
    }

    fn evict(&self, inner: &mut Inner) {
        let ttl = self.ttl;
        let expired: Vec<String> = inner
            .map
            .iter()
            .filter(|(_, e)| e.stored_at.elapsed() >= ttl)
            .map(|(k, _)| k.clone())
            .collect();
        for key in expired {
            if let Some(e) = inner.map.remove(&key) {
                inner.bytes -= e.bytes;
            }
        }
        while inner.map.len() > self.capacity || inner.bytes > self.max_bytes {
            let Some(oldest) = inner
                .map
                .iter()
                .min_by_key(|(_, e)| e.last_used)
                .map(|(k, _)| k.clone())
            else {
                break;
            };
            if let Some(e) = inner.map.remove(&oldest) {
                inner.bytes -= e.bytes;
            }
        }
    }

    /// A stored, unexpired response (marks it recently used).
    pub fn get(&self, id: &str) -> Option<Arc<StoredResponse>> {
        let mut inner = self.lock();
        inner.tick += 1;
        let tick = inner.tick;
        let expired = match inner.map.get_mut(id) {
            None => return None,
            Some(e) if e.stored_at.elapsed() >= self.ttl => true,
            Some(e) => {
                e.last_used = tick;
                return Some(e.stored.clone());
            }
        };
        if expired {
            if let Some(e) = inner.map.remove(id) {
                inner.bytes -= e.bytes;
            }
        }
        None
    }

    /// Remove a response; false when it was not there.
    pub fn delete(&self, id: &str) -> bool {
        let mut inner = self.lock();
        match inner.map.remove(id) {
            Some(e) => {
                inner.bytes -= e.bytes;
                e.stored_at.elapsed() < self.ttl
            }
            None => false,
        }
    }

    pub fn len(&self) -> usize {
        self.lock().map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn entry(n: usize) -> StoredResponse {
        StoredResponse {
            response: json!({"id": format!("resp_{n}"), "pad": "x".repeat(100)}),
            conversation: Vec::new(),
            input: Vec::new(),
            session_id: String::new(),
        }
    }

    #[test]
    fn least_recently_used_is_evicted_first() {
        let store = ResponseStore::new(2, usize::MAX, DEFAULT_TTL);
        store.insert("a", entry(1));
        store.insert("b", entry(2));
        assert!(store.get("a").is_some());
        store.insert("c", entry(3));
        assert!(store.get("a").is_some());
        assert!(store.get("b").is_none(), "b was the least recently used");
        assert!(store.get("c").is_some());
        assert_eq!(store.len(), 2);
    }

    #[test]
    fn byte_budget_and_ttl_bound_the_store() {
        let store = ResponseStore::new(100, 300, DEFAULT_TTL);
        for i in 0..10 {
            store.insert(&format!("r{i}"), entry(i));
        }
        assert!(store.len() <= 2, "{} entries kept", store.len());
        assert!(store.get("r9").is_some());

        let store = ResponseStore::new(10, usize::MAX, Duration::ZERO);
        store.insert("a", entry(1));
        assert!(store.get("a").is_none(), "expired at once");
        assert!(!store.delete("a"));
    }

    #[test]
    fn delete_removes() {
        let store = ResponseStore::default();
        store.insert("a", entry(1));
        assert!(store.delete("a"));
        assert!(!store.delete("a"));
        assert!(store.get("a").is_none());
    }
}
