//! A model's `additionalModelRequestFieldsSchema` (the catalogue's JSON Schema of
//! `additionalModelRequestFields`) → what native reasoning the model takes
//! ([`ReasoningCapabilities`]). Pure and total: an odd schema yields fewer facts, never an
//! error.
//!
//! Shapes read (see `docs/kiro-protocol-notes.md`, "Models and the catalogue"):
//!
//! * Claude: `properties.thinking.properties.type.enum` (`adaptive`, `disabled`,
//!   `between_tools`), `properties.thinking.properties.display.enum`, and the effort at
//!   `properties.output_config.properties.effort` (`enum`, `default`).
//! * GPT: the effort at `properties.reasoning.properties.effort` (`none` … `max`).
//!
//! Any top-level property holding an `effort` is taken as the effort's place, so a renamed
//! parent still works. A schema sent as a JSON string is parsed first.

use serde::Serialize;
use serde_json::Value;

/// Native reasoning as the catalogue describes it for one model. Plain data for the request
/// builder; `Default` is a model without native reasoning (tag emulation).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ReasoningCapabilities {
    /// The catalogue publishes a schema: reasoning goes in `additionalModelRequestFields`.
    pub native: bool,
    /// Where the effort goes inside `additionalModelRequestFields`, e.g.
    /// `["output_config", "effort"]` or `["reasoning", "effort"]`; empty without an effort.
    pub effort_path: Vec<String>,
    /// Allowed effort values, lowest first when every value is a known level (`none`,
    /// `minimal`, `low`, `medium`, `high`, `xhigh`, `max`), else in the schema's order.
    pub efforts: Vec<String>,
    /// The schema's `default` effort, when it gives one.
    pub default_effort: Option<String>,
    /// Allowed `thinking.type` values, in the schema's order; empty when there is none.
    pub thinking_types: Vec<String>,
    /// `thinking.type: "disabled"` is allowed (not on Opus 5.5 / Sonnet 5.5).
    pub disable_allowed: bool,
    /// Allowed `thinking.display` values (`summarized`, `omitted`).
    pub displays: Vec<String>,
}

/// Effort levels from lowest to highest, as the Claude and GPT schemas spell them.
const EFFORT_SCALE: &[&str] = &["none", "minimal", "low", "medium", "high", "xhigh", "max"];

/// Read a catalogue schema; `null`, absent or unreadable → no native reasoning.
pub fn parse(schema: Option<&Value>) -> ReasoningCapabilities {
    let owned;
    let schema = match schema {
        Some(Value::String(text)) => match serde_json::from_str::<Value>(text) {
            Ok(parsed) => {
                owned = parsed;
                &owned
            }
            Err(_) => return ReasoningCapabilities::default(),
        },
        Some(value @ Value::Object(_)) => value,
        _ => return ReasoningCapabilities::default(),
    };
    let properties = schema.get("properties").and_then(Value::as_object);
    let property = |path: &[&str]| -> Option<&Value> {
        let mut node = schema;
        for key in path {
            node = node.get("properties")?.get(*key)?;
        }
        Some(node)
    };

    let effort = properties.and_then(|props| {
        props.iter().find_map(|(parent, node)| {
            let effort = node.get("properties")?.get("effort")?;
            Some((parent.clone(), effort))
        })
    });
    let (effort_path, efforts, default_effort) = match effort {
        Some((parent, node)) => (
            vec![parent, "effort".to_owned()],
            effort_order(allowed_values(node)),
            node.get("default")
                .and_then(Value::as_str)
                .map(str::to_owned),
        ),
        None => (Vec::new(), Vec::new(), None),
    };
    let thinking_types = property(&["thinking", "type"])
        .map(allowed_values)
        .unwrap_or_default();
    let displays = property(&["thinking", "display"])
        .map(allowed_values)
        .unwrap_or_default();
    ReasoningCapabilities {
        native: true,
        disable_allowed: thinking_types.iter().any(|t| t == "disabled"),
        effort_path,
        efforts,
        default_effort,
        thinking_types,
        displays,
    }
}

/// The string values a schema node allows: its `enum`, its `const`, or the `const`s of its
/// `oneOf` / `anyOf` branches.
fn allowed_values(node: &Value) -> Vec<String> {
    let strings = |items: &[Value]| -> Vec<String> {
        items
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect()
    };
    if let Some(items) = node.get("enum").and_then(Value::as_array) {
        return strings(items);
    }
    if let Some(value) = node.get("const").and_then(Value::as_str) {
        return vec![value.to_owned()];
    }
    ["oneOf", "anyOf"]
        .iter()
        .filter_map(|key| node.get(*key).and_then(Value::as_array))
        .flatten()
        .flat_map(allowed_values)
        .collect()
}

/// Lowest first when every value is on [`EFFORT_SCALE`]; otherwise the schema's order is
/// the only order known.
fn effort_order(mut efforts: Vec<String>) -> Vec<String> {
    let rank = |e: &String| EFFORT_SCALE.iter().position(|level| level == e);
    if efforts.iter().all(|e| rank(e).is_some()) {
        efforts.sort_by_key(rank);
    }
    efforts
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn strings(values: &[&str]) -> Vec<String> {
        values.iter().map(|v| (*v).to_owned()).collect()
    }

    /// The Opus 4.6 schema as the protocol notes describe it.
    fn opus_4_6() -> Value {
        json!({
            "type": "object",
            "properties": {
                "thinking": {
                    "type": "object",
                    "properties": {
                        "type": {"type": "string", "enum": ["adaptive", "disabled"]},
                        "display": {"type": "string", "enum": ["summarized", "omitted"]}
                    }
                },
                "output_config": {
                    "type": "object",
                    "properties": {
                        "effort": {
                            "type": "string",
                            "enum": ["low", "medium", "high", "max"],
                            "default": "high"
                        }
                    }
                },
                "max_tokens": {"type": "integer", "minimum": 1024, "maximum": 64000}
            },
            "additionalProperties": false
        })
    }

    #[test]
    fn a_claude_schema_gives_types_displays_and_efforts() {
        let caps = parse(Some(&opus_4_6()));
        assert_eq!(
            caps,
            ReasoningCapabilities {
                native: true,
                effort_path: strings(&["output_config", "effort"]),
                efforts: strings(&["low", "medium", "high", "max"]),
                default_effort: Some("high".into()),
                thinking_types: strings(&["adaptive", "disabled"]),
                disable_allowed: true,
                displays: strings(&["summarized", "omitted"]),
            }
        );
    }

    #[test]
    fn a_gpt_schema_gives_the_reasoning_effort() {
        let schema = json!({
            "type": "object",
            "properties": {"reasoning": {"type": "object", "properties": {"effort": {
                "type": "string",
                "enum": ["none", "low", "medium", "high", "xhigh", "max"],
                "default": "high"
            }}}}
        });
        let caps = parse(Some(&schema));
        assert!(caps.native);
        assert_eq!(caps.effort_path, strings(&["reasoning", "effort"]));
        assert_eq!(
            caps.efforts,
            strings(&["none", "low", "medium", "high", "xhigh", "max"])
        );
        assert_eq!(caps.default_effort.as_deref(), Some("high"));
        assert!(caps.thinking_types.is_empty());
        assert!(!caps.disable_allowed);
    }

    #[test]
    fn thinking_that_cannot_be_disabled() {
        // Sonnet 5.5: `adaptive` and `between_tools` only.
        let mut schema = opus_4_6();
        schema["properties"]["thinking"]["properties"]["type"]["enum"] =
            json!(["adaptive", "between_tools"]);
        let caps = parse(Some(&schema));
        assert_eq!(caps.thinking_types, strings(&["adaptive", "between_tools"]));
        assert!(!caps.disable_allowed);
    }

    #[test]
    fn efforts_are_put_lowest_first_when_all_levels_are_known() {
        let mut schema = opus_4_6();
        let effort = &mut schema["properties"]["output_config"]["properties"]["effort"];
        effort["enum"] = json!(["max", "xhigh", "low", "high", "medium"]);
        effort["default"] = json!("xhigh");
        let caps = parse(Some(&schema));
        assert_eq!(
            caps.efforts,
            strings(&["low", "medium", "high", "xhigh", "max"])
        );
        assert_eq!(caps.default_effort.as_deref(), Some("xhigh"));
        // An unknown level: the schema's own order is kept.
        schema["properties"]["output_config"]["properties"]["effort"]["enum"] =
            json!(["high", "turbo", "low"]);
        assert_eq!(
            parse(Some(&schema)).efforts,
            strings(&["high", "turbo", "low"])
        );
    }

    #[test]
    fn const_and_one_of_are_read_like_enum() {
        let schema = json!({"properties": {
            "thinking": {"properties": {"type": {"oneOf": [{"const": "adaptive"}, {"const": "disabled"}]}}},
            "output_config": {"properties": {"effort": {"anyOf": [{"enum": ["low", "high"]}]}}}
        }});
        let caps = parse(Some(&schema));
        assert_eq!(caps.thinking_types, strings(&["adaptive", "disabled"]));
        assert!(caps.disable_allowed);
        assert_eq!(caps.efforts, strings(&["low", "high"]));
    }

    #[test]
    fn a_schema_sent_as_a_string_is_parsed() {
        let text = Value::String(opus_4_6().to_string());
        assert_eq!(parse(Some(&text)), parse(Some(&opus_4_6())));
    }

    #[test]
    fn no_schema_means_no_native_reasoning() {
        for schema in [
            None,
            Some(json!(null)),
            Some(json!("not json")),
            Some(json!(3)),
            Some(json!([])),
        ] {
            assert_eq!(
                parse(schema.as_ref()),
                ReasoningCapabilities::default(),
                "{schema:?}"
            );
        }
        // A schema with nothing recognisable still says "native".
        let bare = parse(Some(&json!({"type": "object"})));
        assert!(bare.native);
        assert!(bare.efforts.is_empty() && bare.effort_path.is_empty());
    }
}
