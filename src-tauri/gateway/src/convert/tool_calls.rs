//! Assembling Kiro `toolUseEvent` fragments into tool calls (protocol doc §6.6).
//! Dialect-neutral: it reports what happened; the dialect converters render it.
//!
//! * A new `toolUseId` opens a call (index = order of first appearance).
//! * Every non-empty `input` fragment is appended, and reported, as it arrives.
//! * A lone leading `{}` fragment ("fragments follow" marker some upstreams send) is held
//!   back: dropped if real fragments follow, released at `stop` otherwise.
//! * `stop: true` completes the call; fragments arriving later for the same id are still
//!   appended (nothing is ever dropped).
//! * Names are mapped back through the request's `upstream → client` name map.

use std::collections::HashMap;

use serde_json::Value;

/// One assembled (or in-progress) tool call.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolCall {
    /// Position among the calls of this answer.
    pub index: usize,
    /// Kiro's `toolUseId`.
    pub upstream_id: String,
    /// The client's tool name (after reverse mapping).
    pub name: String,
    /// Arguments JSON text, concatenated fragments.
    pub arguments: String,
    /// `stop: true` was seen.
    pub complete: bool,
    /// A `{}` fragment held back.
    pending_empty_object: bool,
}

impl ToolCall {
    /// The arguments parsed as JSON; empty arguments = `{}`. `None` = not valid JSON (the
    /// call was most likely truncated upstream, §5.10).
    pub fn parsed_arguments(&self) -> Option<Value> {
        if self.arguments.trim().is_empty() {
            return Some(Value::Object(Default::default()));
        }
        serde_json::from_str(&self.arguments).ok()
    }
}

/// What a fragment changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ToolCallUpdate {
    Started {
        index: usize,
        upstream_id: String,
        name: String,
    },
    Arguments {
        index: usize,
        fragment: String,
    },
    Completed {
        index: usize,
    },
}

/// See the module documentation.
#[derive(Debug, Clone, Default)]
pub struct ToolCallAssembler {
    names: HashMap<String, String>,
    calls: Vec<ToolCall>,
    by_id: HashMap<String, usize>,
}

impl ToolCallAssembler {
    /// `names`: upstream (possibly shortened) tool name → the client's original name.
    pub fn new(names: HashMap<String, String>) -> Self {
        ToolCallAssembler {
            names,
            ..Default::default()
        }
    }

    pub fn calls(&self) -> &[ToolCall] {
        &self.calls
    }

    pub fn into_calls(self) -> Vec<ToolCall> {
        self.calls
    }

    pub fn is_empty(&self) -> bool {
        self.calls.is_empty()
    }

    /// Feed one `toolUseEvent`.
    pub fn push(
        &mut self,
        tool_use_id: &str,
        name: &str,
        input: Option<&str>,
        stop: bool,
    ) -> Vec<ToolCallUpdate> {
        let mut out = Vec::new();
        let index = match self.by_id.get(tool_use_id) {
            Some(&i) => i,
            None => {
                let index = self.calls.len();
                let client_name = self
                    .names
                    .get(name)
                    .cloned()
                    .unwrap_or_else(|| name.to_string());
                self.calls.push(ToolCall {
                    index,
                    upstream_id: tool_use_id.to_string(),
                    name: client_name.clone(),
                    arguments: String::new(),
                    complete: false,
                    pending_empty_object: false,
                });
                self.by_id.insert(tool_use_id.to_string(), index);
                out.push(ToolCallUpdate::Started {
                    index,
                    upstream_id: tool_use_id.to_string(),
                    name: client_name,
                });
                index
            }
        };
        let call = &mut self.calls[index];
        if let Some(fragment) = input.filter(|f| !f.is_empty()) {
            if call.arguments.is_empty() && fragment.trim() == "{}" && !call.pending_empty_object {
                call.pending_empty_object = true;
            } else {
                call.pending_empty_object = false;
                call.arguments.push_str(fragment);
                out.push(ToolCallUpdate::Arguments {
                    index,
                    fragment: fragment.to_string(),
                });
            }
        }
        if stop {
            out.extend(Self::complete(call));
        }
        out
    }

    fn complete(call: &mut ToolCall) -> Vec<ToolCallUpdate> {
        let mut out = Vec::new();
        if call.pending_empty_object {
            call.pending_empty_object = false;
            call.arguments.push_str("{}");
            out.push(ToolCallUpdate::Arguments {
                index: call.index,
                fragment: "{}".into(),
            });
        }
        if !call.complete {
            call.complete = true;
            out.push(ToolCallUpdate::Completed { index: call.index });
        }
        out
    }

    /// End of stream: complete every open call.
    pub fn finish(&mut self) -> Vec<ToolCallUpdate> {
        let mut out = Vec::new();
        for call in &mut self.calls {
            out.extend(Self::complete(call));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fragments_concatenate_and_names_map_back() {
        let mut names = HashMap::new();
        names.insert(
            "short_abc".to_string(),
            "a_very_long_original_name".to_string(),
        );
        let mut a = ToolCallAssembler::new(names);
        let u = a.push("t1", "short_abc", Some(""), false);
        assert_eq!(
            u,
            vec![ToolCallUpdate::Started {
                index: 0,
                upstream_id: "t1".into(),
                name: "a_very_long_original_name".into()
            }]
        );
        a.push("t1", "short_abc", Some("{\"a\":\"x\\"), false);
        a.push("t1", "short_abc", Some("\"y\"}"), false);
        let u = a.push("t1", "short_abc", None, true);
        assert_eq!(u, vec![ToolCallUpdate::Completed { index: 0 }]);
        assert_eq!(
            a.calls()[0].parsed_arguments(),
            Some(serde_json::json!({"a": "x\"y"}))
        );
    }

    #[test]
    fn empty_object_marker_is_dropped_when_fragments_follow() {
        let mut a = ToolCallAssembler::new(HashMap::new());
        a.push("t1", "f", Some("{}"), false);
        a.push("t1", "f", Some("{\"k\":1}"), true);
        assert_eq!(a.calls()[0].arguments, "{\"k\":1}");
        let mut b = ToolCallAssembler::new(HashMap::new());
        b.push("t2", "f", Some("{}"), false);
        let u = b.push("t2", "f", None, true);
        assert_eq!(
            u[0],
            ToolCallUpdate::Arguments {
                index: 0,
                fragment: "{}".into()
            }
        );
        assert_eq!(b.calls()[0].arguments, "{}");
    }

    #[test]
    fn unfinished_calls_complete_at_the_end_and_bad_json_is_reported() {
        let mut a = ToolCallAssembler::new(HashMap::new());
        a.push("t1", "f", Some("{\"k\":"), false);
        a.push("t2", "g", None, false);
        let u = a.finish();
        assert_eq!(
            u,
            vec![
                ToolCallUpdate::Completed { index: 0 },
                ToolCallUpdate::Completed { index: 1 }
            ]
        );
        assert_eq!(a.calls()[0].parsed_arguments(), None);
        assert_eq!(a.calls()[1].parsed_arguments(), Some(serde_json::json!({})));
    }
}
