//! Cut-off recovery: when Kiro ended an answer before it was finished (the stream ended
//! without its completion trailer, docs/kiro-protocol-notes.md "The completion trailer"), the
//! next request of the same conversation carries a short notice to the model, so it splits
//! the work instead of trying the same oversized output again (a whole file in one tool call
//! is the usual case). Peers do the same (the research reference's
//! docs/kiro-protocol.md#truncation); the wording and the one-notice-per-cut-off rule are ours.
//!
//! [`CutOffWatch`] follows one answer's events; [`CutOffs`] remembers, per conversation id,
//! an answer that was cut off until the conversation's next request takes it (bounded in
//! count and age).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::kiro::events::KiroEvent;

/// Conversations remembered at most (the oldest is forgotten first).
const MAX_REMEMBERED: usize = 1024;
/// A cut-off older than this is not mentioned any more.
const REMEMBER_FOR: Duration = Duration::from_secs(60 * 60);

/// What was cut off.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CutOff {
    /// The tool whose call was being written when the answer ended, if one was.
    pub tool: Option<String>,
}

/// The text added to the conversation's next request.
pub fn notice(cut: &CutOff) -> String {
    let what = match &cut.tool {
        Some(tool) => format!(
            "while you were writing a call to the tool `{tool}`, so that call was never made"
        ),
        None => "before you finished".to_owned(),
    };
    format!(
        "[Gateway notice] Your previous answer was cut off by the service {what}. Output that \
         large cannot be sent in one piece: split the work into smaller steps (for example, \
         write a large file in several smaller edits) and continue."
    )
}

/// Follows one answer's upstream events.
#[derive(Debug, Default)]
pub struct CutOffWatch {
    content: bool,
    trailer: bool,
    ended: bool,
    /// The tool call being written (started, not yet stopped).
    open_tool: Option<String>,
}

impl CutOffWatch {
    pub fn observe(&mut self, event: &KiroEvent) {
        match event {
            KiroEvent::Text(text) if !text.is_empty() => self.content = true,
            KiroEvent::ToolUse { name, stop, .. } => {
                self.content = true;
                self.open_tool = (!*stop).then(|| name.clone());
            }
            KiroEvent::Metering { .. }
            | KiroEvent::ContextUsage { .. }
            | KiroEvent::Metadata { .. } => self.trailer = true,
            _ => {}
        }
    }

    /// Kiro ended the stream itself (not the gateway stopping early for a client limit, not
    /// an error, not the client going away).
    pub fn upstream_ended(&mut self) {
        self.ended = true;
    }

    /// The cut-off, if Kiro ended an answer that had content but no trailer.
    pub fn cut_off(&self) -> Option<CutOff> {
        (self.ended && self.content && !self.trailer).then(|| CutOff {
            tool: self.open_tool.clone(),
        })
    }
}

/// Cut-offs waiting for their conversation's next request.
#[derive(Default)]
pub struct CutOffs {
    pending: Mutex<HashMap<String, (CutOff, Instant)>>,
    /// Set while anything is pending, so a request takes no lock otherwise.
    armed: AtomicBool,
}

impl CutOffs {
    pub fn record(&self, conversation_id: &str, cut: CutOff) {
        let mut pending = self.lock();
        let now = Instant::now();
        pending.retain(|_, (_, at)| now.duration_since(*at) < REMEMBER_FOR);
        if pending.len() >= MAX_REMEMBERED {
            if let Some(oldest) = pending
                .iter()
                .min_by_key(|(_, (_, at))| *at)
                .map(|(id, _)| id.clone())
            {
                pending.remove(&oldest);
            }
        }
        pending.insert(conversation_id.to_owned(), (cut, now));
        self.armed.store(true, Ordering::Release);
    }

    /// The conversation's cut-off, once (it is forgotten when taken).
    pub fn take(&self, conversation_id: &str) -> Option<CutOff> {
        if !self.armed.load(Ordering::Acquire) {
            return None;
        }
        let mut pending = self.lock();
        let cut = pending
            .remove(conversation_id)
            .filter(|(_, at)| at.elapsed() < REMEMBER_FOR)
            .map(|(cut, _)| cut);
        if pending.is_empty() {
            self.armed.store(false, Ordering::Release);
        }
        cut
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (CutOff, Instant)>> {
        self.pending.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(t: &str) -> KiroEvent {
        KiroEvent::Text(t.into())
    }

    fn tool(stop: bool) -> KiroEvent {
        KiroEvent::ToolUse {
            tool_use_id: "t1".into(),
            name: "Write".into(),
            input: Some("{\"content\": \"".into()),
            stop,
        }
    }

    fn watch(events: &[KiroEvent], ended: bool) -> Option<CutOff> {
        let mut w = CutOffWatch::default();
        for e in events {
            w.observe(e);
        }
        if ended {
            w.upstream_ended();
        }
        w.cut_off()
    }

    #[test]
    fn only_an_answer_kiro_ended_without_its_trailer_is_a_cut_off() {
        let metering = KiroEvent::Metering {
            usage: 0.1,
            unit: None,
        };
        assert_eq!(watch(&[text("part")], true), Some(CutOff { tool: None }));
        assert_eq!(watch(&[text("all"), metering], true), None, "complete");
        assert_eq!(
            watch(&[text("part")], false),
            None,
            "stopped by the gateway or the client"
        );
        assert_eq!(watch(&[], true), None, "an empty answer is another matter");
        assert_eq!(
            watch(&[text("I'll write it."), tool(false)], true),
            Some(CutOff {
                tool: Some("Write".into())
            })
        );
        assert_eq!(
            watch(&[tool(false), tool(true)], true),
            Some(CutOff { tool: None }),
            "the call was complete; the answer after it was not"
        );
    }

    #[test]
    fn a_cut_off_is_told_once_and_only_to_its_conversation() {
        let cuts = CutOffs::default();
        cuts.record("conv-a", CutOff { tool: None });
        assert_eq!(cuts.take("conv-b"), None);
        assert!(cuts.take("conv-a").is_some());
        assert_eq!(cuts.take("conv-a"), None);
    }

    #[test]
    fn the_store_stays_bounded() {
        let cuts = CutOffs::default();
        for i in 0..(MAX_REMEMBERED + 10) {
            cuts.record(&format!("c{i}"), CutOff { tool: None });
        }
        assert_eq!(cuts.lock().len(), MAX_REMEMBERED);
    }

    #[test]
    fn the_notice_names_the_tool_when_a_call_was_cut() {
        assert!(notice(&CutOff {
            tool: Some("Write".into())
        })
        .contains("`Write`"));
        assert!(notice(&CutOff { tool: None }).contains("smaller steps"));
    }
}
