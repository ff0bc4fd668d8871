//! Observers of the upstream conversation: what each attempt sends and every frame that
//! comes back, before it is turned into an event. The debug dumps (one request) and the drift
//! detector (the whole gateway) are taps; with none attached nothing is copied.

use std::sync::Arc;

use reqwest::header::HeaderMap;

use super::eventstream::Frame;

/// Sees one upstream call. Every method has an empty default; implementors redact what they
/// keep (the headers carry the access token).
pub trait UpstreamTap: Send + Sync {
    /// Attempt `attempt` (from 1) is about to be sent.
    fn request(&self, _attempt: u32, _url: &str, _headers: &HeaderMap, _body: &str) {}
    /// The attempt was answered with a non-2xx status before any stream.
    fn http_error(&self, _status: u16, _body: &[u8]) {}
    /// One frame of the answer, as decoded from the byte stream.
    fn frame(&self, _frame: &Frame) {}
}

/// The taps of one call: the gateway's, plus the request's own. One pointer wide: it rides
/// in every event stream.
#[derive(Clone, Default)]
pub struct Taps(Arc<Vec<Arc<dyn UpstreamTap>>>);

impl Taps {
    pub fn new(taps: Vec<Arc<dyn UpstreamTap>>) -> Self {
        Taps(Arc::new(taps))
    }

    /// These taps and `extra`.
    pub fn with(&self, extra: Option<Arc<dyn UpstreamTap>>) -> Taps {
        match extra {
            None => self.clone(),
            Some(extra) => {
                let mut taps = self.0.as_ref().clone();
                taps.push(extra);
                Taps::new(taps)
            }
        }
    }

    pub fn push(&mut self, tap: Arc<dyn UpstreamTap>) {
        Arc::make_mut(&mut self.0).push(tap);
    }

    pub fn request(&self, attempt: u32, url: &str, headers: &HeaderMap, body: &str) {
        for tap in self.0.iter() {
            tap.request(attempt, url, headers, body);
        }
    }

    pub fn http_error(&self, status: u16, body: &[u8]) {
        for tap in self.0.iter() {
            tap.http_error(status, body);
        }
    }

    pub fn frame(&self, frame: &Frame) {
        for tap in self.0.iter() {
            tap.frame(frame);
        }
    }
}
