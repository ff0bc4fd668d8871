//! Native reasoning controls for models whose catalogue entry publishes an
//! `additionalModelRequestFieldsSchema` (docs/kiro-protocol-notes.md, "Reasoning"): the
//! body's top-level `additionalModelRequestFields`, built only from values the model's own
//! schema allows, so Kiro never sees an invalid one.
//!
//! * `thinking.type`: `adaptive` when the schema allows it (else its first type other than
//!   `disabled`). A client that turned thinking off gets no field at all: never `disabled`,
//!   which two models refuse, and the model's own default applies.
//! * The effort: the client's (`output_config.effort`, `reasoning_effort`), else one read off
//!   an Anthropic `budget_tokens` (our mapping: ≤ 4 096 low, ≤ 16 384 medium, ≤ 32 768 high,
//!   above that max — `budget_tokens` has no wire equivalent), else the schema's default;
//!   then clamped to the schema's levels (the highest allowed level not above the one asked
//!   for, else the lowest allowed).
//! * `max_tokens` is never sent (the schema lists it, but a small value cuts the answer off
//!   while the model is still thinking).

use serde_json::{Map, Value};

use crate::convert::conversation::{Effort, Thinking};
use crate::kiro::models::ReasoningCapabilities;

/// `additionalModelRequestFields` for `thinking` on a model with `caps`; `None` for a model
/// without native reasoning (tags are used instead) or nothing to send.
pub fn request_fields(thinking: &Thinking, caps: &ReasoningCapabilities) -> Option<Value> {
    if !caps.native {
        return None;
    }
    let mut fields = Map::new();
    if let Some(kind) = thinking_type(caps) {
        fields.insert("thinking".into(), serde_json::json!({"type": kind}));
    }
    if let Some(effort) = effort_for(thinking, caps) {
        insert_at(&mut fields, &caps.effort_path, Value::String(effort));
    }
    (!fields.is_empty()).then_some(Value::Object(fields))
}

fn thinking_type(caps: &ReasoningCapabilities) -> Option<&str> {
    if caps.thinking_types.iter().any(|t| t == "adaptive") {
        return Some("adaptive");
    }
    caps.thinking_types
        .iter()
        .map(String::as_str)
        .find(|t| *t != "disabled")
}

/// The effort a budget stands for (see the module docs).
fn effort_of_budget(budget: u32) -> Effort {
    match budget {
        0..=4_096 => Effort::Low,
        4_097..=16_384 => Effort::Medium,
        16_385..=32_768 => Effort::High,
        _ => Effort::Max,
    }
}

fn effort_for(thinking: &Thinking, caps: &ReasoningCapabilities) -> Option<String> {
    if caps.effort_path.is_empty() || caps.efforts.is_empty() {
        return None;
    }
    let wanted = thinking
        .effort
        .or_else(|| thinking.budget_tokens.map(effort_of_budget));
    let Some(wanted) = wanted else {
        return caps
            .default_effort
            .clone()
            .filter(|d| caps.efforts.contains(d));
    };
    clamp(wanted, &caps.efforts)
}

/// The highest allowed level not above `wanted`, else the lowest allowed level. Levels the
/// scale does not know are never picked.
fn clamp(wanted: Effort, allowed: &[String]) -> Option<String> {
    let mut known: Vec<Effort> = allowed.iter().filter_map(|e| Effort::parse(e)).collect();
    known.sort();
    known
        .iter()
        .rev()
        .find(|level| **level <= wanted)
        .or(known.first())
        .map(|level| level.as_str().to_owned())
}

fn insert_at(fields: &mut Map<String, Value>, path: &[String], value: Value) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut node = fields;
    for key in parents {
        let entry = node
            .entry(key.clone())
            .or_insert_with(|| Value::Object(Map::new()));
        if !entry.is_object() {
            *entry = Value::Object(Map::new());
        }
        node = entry.as_object_mut().expect("just made an object");
    }
    node.insert(last.clone(), value);
}

/// Whether a built body replays reasoning in its history.
pub fn replays_reasoning(body: &Value) -> bool {
    body.pointer("/conversationState/history")
        .and_then(Value::as_array)
        .is_some_and(|history| {
            history.iter().any(|entry| {
                entry
                    .pointer("/assistantResponseMessage/reasoningContent")
                    .is_some()
            })
        })
}

/// Remove every `reasoningContent` from a built body's history; `true` if there was one.
/// Used once after Kiro refused a replayed signature (`THINKING_SIGNATURE_INVALID`).
pub fn strip_replayed_reasoning(body: &mut Value) -> bool {
    let Some(history) = body
        .pointer_mut("/conversationState/history")
        .and_then(Value::as_array_mut)
    else {
        return false;
    };
    let mut stripped = false;
    for entry in history {
        if let Some(message) = entry
            .get_mut("assistantResponseMessage")
            .and_then(Value::as_object_mut)
        {
            stripped |= message.remove("reasoningContent").is_some();
        }
    }
    stripped
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn claude(efforts: &[&str], types: &[&str]) -> ReasoningCapabilities {
        ReasoningCapabilities {
            native: true,
            effort_path: vec!["output_config".into(), "effort".into()],
            efforts: efforts.iter().map(|e| (*e).to_owned()).collect(),
            default_effort: Some("high".into()),
            thinking_types: types.iter().map(|t| (*t).to_owned()).collect(),
            disable_allowed: types.contains(&"disabled"),
            displays: vec![],
        }
    }

    fn asked(effort: Option<Effort>, budget: Option<u32>) -> Thinking {
        Thinking {
            budget_tokens: budget,
            effort,
        }
    }

    #[test]
    fn an_asked_effort_is_sent_where_the_schema_puts_it_with_adaptive_thinking() {
        let caps = claude(
            &["low", "medium", "high", "xhigh", "max"],
            &["adaptive", "disabled"],
        );
        assert_eq!(
            request_fields(&asked(Some(Effort::XHigh), None), &caps),
            Some(json!({"thinking": {"type": "adaptive"}, "output_config": {"effort": "xhigh"}}))
        );
    }

    #[test]
    fn an_effort_the_model_lacks_is_clamped_never_sent_as_is() {
        // Sonnet 4.6: no xhigh.
        let caps = claude(&["low", "medium", "high", "max"], &["adaptive", "disabled"]);
        let fields = request_fields(&asked(Some(Effort::XHigh), None), &caps).unwrap();
        assert_eq!(fields["output_config"]["effort"], "high");
        // Below the lowest level: the lowest.
        let fields = request_fields(&asked(Some(Effort::Minimal), None), &caps).unwrap();
        assert_eq!(fields["output_config"]["effort"], "low");
    }

    #[test]
    fn a_budget_stands_for_an_effort_and_nothing_asked_takes_the_default() {
        let caps = claude(&["low", "medium", "high", "max"], &["adaptive"]);
        let effort = |budget| {
            request_fields(&asked(None, budget), &caps).unwrap()["output_config"]["effort"].clone()
        };
        assert_eq!(effort(Some(2_048)), "low");
        assert_eq!(effort(Some(10_000)), "medium");
        assert_eq!(effort(Some(20_000)), "high");
        assert_eq!(effort(Some(64_000)), "max");
        assert_eq!(effort(None), "high", "the schema's default");
    }

    #[test]
    fn gpt_takes_only_the_effort_and_old_models_take_nothing() {
        let gpt = ReasoningCapabilities {
            native: true,
            effort_path: vec!["reasoning".into(), "effort".into()],
            efforts: ["none", "low", "medium", "high", "xhigh", "max"]
                .map(String::from)
                .to_vec(),
            ..ReasoningCapabilities::default()
        };
        assert_eq!(
            request_fields(&asked(Some(Effort::Medium), None), &gpt),
            Some(json!({"reasoning": {"effort": "medium"}}))
        );
        assert_eq!(
            request_fields(
                &asked(Some(Effort::High), None),
                &ReasoningCapabilities::default()
            ),
            None
        );
    }

    #[test]
    fn replayed_reasoning_is_stripped_from_every_turn_and_only_there() {
        let mut body = json!({"conversationState": {"history": [
            {"userInputMessage": {"content": "q"}},
            {"assistantResponseMessage": {"content": "a", "reasoningContent": {"reasoningText": {"text": "t", "signature": "s"}}}},
            {"userInputMessage": {"content": "q2"}},
            {"assistantResponseMessage": {"content": "b", "reasoningContent": {"redactedContent": "x"}}},
        ], "currentMessage": {"userInputMessage": {"content": "now"}}}});
        assert!(replays_reasoning(&body));
        assert!(strip_replayed_reasoning(&mut body));
        assert!(!replays_reasoning(&body));
        assert!(!body.to_string().contains("reasoningContent"));
        assert_eq!(
            body["conversationState"]["history"][1]["assistantResponseMessage"]["content"],
            "a"
        );
        assert!(
            !strip_replayed_reasoning(&mut body),
            "nothing left to strip"
        );
    }

    #[test]
    fn a_model_without_disabled_never_gets_it() {
        let caps = claude(
            &["low", "medium", "high", "max"],
            &["disabled", "between_tools"],
        );
        let fields = request_fields(&asked(None, Some(1_000)), &caps).unwrap();
        assert_eq!(fields["thinking"]["type"], "between_tools");
    }
}
