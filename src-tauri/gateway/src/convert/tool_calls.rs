//! Assembling Kiro `toolUseEvent` fragments into tool calls
//! (docs/kiro-protocol.md#tool-call-assembly). Dialect-neutral: it reports what happened; the
//! dialect converters render it.
//!
//! * Each call is **held back until it is complete**: its `stop: true` frame arrived and its
//!   arguments parse as JSON. Only then is it reported, all at once (start, the fragments as
//!   they came, completion), so a call cut off upstream never reaches a client half-formed —
//!   a client parses a closed tool block before it reads the stop reason (protocol notes,
//!   "The completion trailer").
//! * At the end of a stream that completed (trailer seen), a call without its `stop` frame
//!   but with valid arguments is released too; anything else stays withheld
//!   ([`ToolCallAssembler::has_withheld`]) and the answer counts as truncated.
//! * Released calls are numbered in release order (the clients' `index`).
//! * A lone leading `{}` fragment ("fragments follow" marker some upstreams send) is
//!   dropped if real fragments follow, kept otherwise.
//! * Fragments arriving after a call was released are still appended and reported
//!   (nothing is ever dropped).
//! * Names are mapped back through the request's `upstream → client` name map.

use std::collections::HashMap;

use serde_json::Value;

/// One released tool call.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolCall {
    /// Position among the released calls of this answer.
    pub index: usize,
    /// Kiro's `toolUseId`.
    pub upstream_id: String,
    /// The client's tool name (after reverse mapping).
    pub name: String,
    /// Arguments JSON text, concatenated fragments.
    pub arguments: String,
    /// Always true for a released call (kept for the converters' checks).
    pub complete: bool,
}

impl ToolCall {
    /// The arguments parsed as JSON; empty arguments = `{}`. `None` = not valid JSON.
    pub fn parsed_arguments(&self) -> Option<Value> {
        parse_arguments(&self.arguments)
    }
}

fn parse_arguments(arguments: &str) -> Option<Value> {
    if arguments.trim().is_empty() {
        return Some(Value::Object(Default::default()));
    }
    serde_json::from_str(arguments).ok()
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

/// A call still being received.
#[derive(Debug, Clone)]
struct Pending {
    upstream_id: String,
    name: String,
    fragments: Vec<String>,
    /// A `{}` fragment held back.
    empty_object: bool,
    /// `stop` came but the arguments are not JSON: withheld for good.
    invalid: bool,
}

#[derive(Debug, Clone, Copy)]
enum Slot {
    Pending(usize),
    Released(usize),
}

/// See the module documentation.
#[derive(Debug, Clone, Default)]
pub struct ToolCallAssembler {
    names: HashMap<String, String>,
    pending: Vec<Option<Pending>>,
    released: Vec<ToolCall>,
    by_id: HashMap<String, Slot>,
}

impl ToolCallAssembler {
    /// `names`: upstream (possibly shortened) tool name → the client's original name.
    pub fn new(names: HashMap<String, String>) -> Self {
        ToolCallAssembler {
            names,
            ..Default::default()
        }
    }

    /// The released calls, in release order.
    pub fn calls(&self) -> &[ToolCall] {
        &self.released
    }

    /// A call was seen but not released (cut off, or its arguments are not JSON).
    pub fn has_withheld(&self) -> bool {
        self.pending.iter().any(Option::is_some)
    }

    /// Feed one `toolUseEvent`.
    pub fn push(
        &mut self,
        tool_use_id: &str,
        name: &str,
        input: Option<&str>,
        stop: bool,
    ) -> Vec<ToolCallUpdate> {
        let fragment = input.filter(|f| !f.is_empty());
        let slot = match self.by_id.get(tool_use_id) {
            Some(&slot) => slot,
            None => {
                let client_name = self
                    .names
                    .get(name)
                    .cloned()
                    .unwrap_or_else(|| name.to_string());
                self.pending.push(Some(Pending {
                    upstream_id: tool_use_id.to_string(),
                    name: client_name,
                    fragments: Vec::new(),
                    empty_object: false,
                    invalid: false,
                }));
                let slot = Slot::Pending(self.pending.len() - 1);
                self.by_id.insert(tool_use_id.to_string(), slot);
                slot
            }
        };
        match slot {
            Slot::Released(index) => {
                let Some(fragment) = fragment else {
                    return Vec::new();
                };
                self.released[index].arguments.push_str(fragment);
                vec![ToolCallUpdate::Arguments {
                    index,
                    fragment: fragment.to_string(),
                }]
            }
            Slot::Pending(p) => {
                let Some(call) = self.pending[p].as_mut() else {
                    return Vec::new();
                };
                if let Some(fragment) = fragment {
                    if call.fragments.is_empty() && fragment.trim() == "{}" && !call.empty_object {
                        call.empty_object = true;
                    } else {
                        call.empty_object = false;
                        call.fragments.push(fragment.to_string());
                    }
                }
                if stop {
                    self.release(p)
                } else {
                    Vec::new()
                }
            }
        }
    }

    /// Report pending call `p` if its arguments are JSON; otherwise keep it withheld.
    fn release(&mut self, p: usize) -> Vec<ToolCallUpdate> {
        let Some(call) = self.pending[p].as_mut() else {
            return Vec::new();
        };
        if call.empty_object && call.fragments.is_empty() {
            call.fragments.push("{}".into());
        }
        call.empty_object = false;
        let arguments = call.fragments.concat();
        if parse_arguments(&arguments).is_none() {
            call.invalid = true;
            return Vec::new();
        }
        let Some(call) = self.pending[p].take() else {
            return Vec::new();
        };
        let index = self.released.len();
        let mut out = vec![ToolCallUpdate::Started {
            index,
            upstream_id: call.upstream_id.clone(),
            name: call.name.clone(),
        }];
        out.extend(
            call.fragments
                .into_iter()
                .map(|fragment| ToolCallUpdate::Arguments { index, fragment }),
        );
        out.push(ToolCallUpdate::Completed { index });
        self.by_id
            .insert(call.upstream_id.clone(), Slot::Released(index));
        self.released.push(ToolCall {
            index,
            upstream_id: call.upstream_id,
            name: call.name,
            arguments,
            complete: true,
        });
        out
    }

    /// End of stream. `completed`: the stream ended with Kiro's trailer, so a call that
    /// lacks only its `stop` frame is whole; without the trailer every open call stays
    /// withheld.
    pub fn finish(&mut self, completed: bool) -> Vec<ToolCallUpdate> {
        let mut out = Vec::new();
        if completed {
            for p in 0..self.pending.len() {
                if self.pending[p].as_ref().is_some_and(|c| !c.invalid) {
                    out.extend(self.release(p));
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_call_is_reported_whole_at_its_stop_with_its_name_mapped_back() {
        let mut names = HashMap::new();
        names.insert(
            "short_abc".to_string(),
            "a_very_long_original_name".to_string(),
        );
        let mut a = ToolCallAssembler::new(names);
        assert!(a.push("t1", "short_abc", Some(""), false).is_empty());
        assert!(a
            .push("t1", "short_abc", Some("{\"a\":\"x\\"), false)
            .is_empty());
        assert!(a.push("t1", "short_abc", Some("\"y\"}"), false).is_empty());
        assert!(a.has_withheld());
        let u = a.push("t1", "short_abc", None, true);
        assert_eq!(
            u,
            vec![
                ToolCallUpdate::Started {
                    index: 0,
                    upstream_id: "t1".into(),
                    name: "a_very_long_original_name".into()
                },
                ToolCallUpdate::Arguments {
                    index: 0,
                    fragment: "{\"a\":\"x\\".into()
                },
                ToolCallUpdate::Arguments {
                    index: 0,
                    fragment: "\"y\"}".into()
                },
                ToolCallUpdate::Completed { index: 0 },
            ]
        );
        assert!(!a.has_withheld());
        assert_eq!(a.calls()[0].parsed_arguments(), Some(json!({"a": "x\"y"})));
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
            u[1],
            ToolCallUpdate::Arguments {
                index: 0,
                fragment: "{}".into()
            }
        );
        assert_eq!(b.calls()[0].arguments, "{}");
    }

    #[test]
    fn a_cut_call_is_never_reported() {
        let mut a = ToolCallAssembler::new(HashMap::new());
        a.push("t1", "f", Some("{\"k\":1}"), true);
        a.push("t2", "g", Some("{\"path\": \"src/ma"), false);
        // No trailer: the stream was cut; t2 stays withheld.
        assert!(a.finish(false).is_empty());
        assert_eq!(a.calls().len(), 1);
        assert!(a.has_withheld());
    }

    #[test]
    fn invalid_json_is_withheld_even_after_its_stop() {
        let mut a = ToolCallAssembler::new(HashMap::new());
        assert!(a.push("t1", "f", Some("{\"k\":"), true).is_empty());
        assert!(a.finish(true).is_empty());
        assert!(a.calls().is_empty());
        assert!(a.has_withheld());
    }

    #[test]
    fn a_whole_call_missing_only_its_stop_is_released_when_the_stream_completed() {
        let mut a = ToolCallAssembler::new(HashMap::new());
        a.push("t1", "f", Some("{\"k\":1}"), false);
        a.push("t2", "g", None, false);
        let u = a.finish(true);
        assert_eq!(u.len(), 5, "{u:?}");
        assert_eq!(a.calls()[0].parsed_arguments(), Some(json!({"k": 1})));
        assert_eq!(a.calls()[1].parsed_arguments(), Some(json!({})));
        assert!(!a.has_withheld());
    }

    #[test]
    fn calls_are_numbered_in_release_order() {
        let mut a = ToolCallAssembler::new(HashMap::new());
        a.push("first", "f", Some("{\"a\":"), false);
        let u = a.push("second", "g", Some("{}"), true);
        assert_eq!(
            u[0],
            ToolCallUpdate::Started {
                index: 0,
                upstream_id: "second".into(),
                name: "g".into()
            }
        );
        let u = a.push("first", "f", Some("1}"), true);
        assert_eq!(
            u[0],
            ToolCallUpdate::Started {
                index: 1,
                upstream_id: "first".into(),
                name: "f".into()
            }
        );
        // A late fragment for a released call is still passed on.
        let u = a.push("second", "g", Some(" "), false);
        assert_eq!(
            u,
            vec![ToolCallUpdate::Arguments {
                index: 0,
                fragment: " ".into()
            }]
        );
    }
}
