//! December's request rules for reasoning and the system prompt (kiro-protocol
//! docs/kiro-protocol.md#request-body, #generation-controls, docs/kiro-protocol.md#reasoning,
//! #error-catalogue): a top-level `systemPrompt` is refused; `additionalModelRequestFields` must
//! fit the model's catalogue schema (a model without one takes none; `thinking.type` and the effort
//! must be in its enums, so `disabled` is refused where the schema lacks it); replayed
//! `reasoningContent` of a Claude model must carry a signature this fake issued (GPT signatures go
//! unchecked, as Kiro's). Native models asked to think answer with a signed reasoning frame first
//! ([`reasoning_preamble`]).

use base64::Engine;
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::catalog::ModelInfo;
use super::{Outcome, BODY_INVALID_400};

const SIGNING_SECRET: &[u8] = b"fake-kiro reasoning signatures";

pub(crate) const SIGNATURE_INVALID_400: &str =
    r#"{"message":"Invalid signature in thinking block.","reason":"THINKING_SIGNATURE_INVALID"}"#;
pub(crate) const REQUEST_FIELDS_400: &str =
    r#"{"message":"Invalid additionalModelRequestFields for this model."}"#;

/// The signature this fake gives a reasoning text (and accepts back).
pub fn sign(text: &str) -> String {
    let digest = Sha256::new()
        .chain_update(SIGNING_SECRET)
        .chain_update(text.as_bytes())
        .finalize();
    base64::engine::general_purpose::STANDARD.encode(digest)
}

fn rejected(body: &str, rule: &str) -> Outcome {
    Outcome::reject(400, body, "ValidationException", rule)
}

/// Check the body against the rules above.
pub(crate) fn check(
    root: &Value,
    catalog: &[ModelInfo],
    model_id: Option<&str>,
) -> Result<(), Outcome> {
    if root.get("systemPrompt").is_some() {
        return Err(rejected(BODY_INVALID_400, "system_prompt"));
    }
    let model = model_id.and_then(|id| catalog.iter().find(|m| m.model_id == id));
    if let Some(fields) = root.get("additionalModelRequestFields") {
        let schema = model.and_then(|m| m.request_fields_schema.as_ref());
        let Some(schema) = schema else {
            return Err(rejected(
                REQUEST_FIELDS_400,
                "request_fields_without_schema",
            ));
        };
        if !fits(fields, schema) {
            return Err(rejected(REQUEST_FIELDS_400, "request_fields_schema"));
        }
    }
    let claude = model_id.is_some_and(|id| id.starts_with("claude"));
    if claude {
        for entry in history(root) {
            let Some(reasoning) = entry.pointer("/assistantResponseMessage/reasoningContent")
            else {
                continue;
            };
            let text = reasoning
                .pointer("/reasoningText/text")
                .and_then(Value::as_str);
            let signature = reasoning
                .pointer("/reasoningText/signature")
                .and_then(Value::as_str);
            match (text, signature) {
                (Some(text), Some(signature)) if sign(text) == signature => {}
                _ => {
                    return Err(rejected(SIGNATURE_INVALID_400, "thinking_signature"));
                }
            }
        }
    }
    Ok(())
}

fn history(root: &Value) -> &[Value] {
    root.pointer("/conversationState/history")
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

/// Whether `value` fits a (small) JSON Schema: objects with known properties only
/// (`additionalProperties: false` is the service's behaviour), enums, and types.
fn fits(value: &Value, schema: &Value) -> bool {
    if let Some(allowed) = schema.get("enum").and_then(Value::as_array) {
        if !allowed.contains(value) {
            return false;
        }
    }
    match value {
        Value::Object(map) => {
            let properties = schema.get("properties").and_then(Value::as_object);
            map.iter().all(|(key, inner)| {
                properties
                    .and_then(|p| p.get(key))
                    .is_some_and(|sub| fits(inner, sub))
            })
        }
        _ => true,
    }
}

/// Whether the request asks a native model to think (it sent a `thinking` control or an
/// effort other than `none`).
pub(crate) fn asks_to_think(root: &Value) -> bool {
    let Some(fields) = root.get("additionalModelRequestFields") else {
        return false;
    };
    let thinking = fields
        .pointer("/thinking/type")
        .and_then(Value::as_str)
        .is_some_and(|t| t != "disabled");
    let effort = fields
        .pointer("/reasoning/effort")
        .and_then(Value::as_str)
        .is_some_and(|e| e != "none");
    thinking || effort
}

/// The encrypted reasoning a GPT model sends (older target): opaque, replayed as it came.
pub const GPT_REDACTED: &str = "R1BULTUuNiByZWFzb25pbmcsIGVuY3J5cHRlZA==";

/// The placeholder reasoning text a GPT model sends (V3 target), and its signature.
pub fn gpt_placeholder() -> (&'static str, String) {
    let text = "Reasoning is hidden.";
    (text, sign(text))
}

/// The reasoning the fake "thinks" before answering, and its signature.
pub fn reasoning_preamble() -> (&'static str, String) {
    let text = "Let me think about this.";
    (text, sign(text))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schema() -> Value {
        json!({"type": "object", "properties": {
            "thinking": {"type": "object", "properties": {"type": {"enum": ["adaptive"]}}},
            "output_config": {"type": "object", "properties": {"effort": {"enum": ["low", "high"]}}}
        }})
    }

    #[test]
    fn fields_must_fit_the_schema() {
        assert!(fits(
            &json!({"thinking": {"type": "adaptive"}, "output_config": {"effort": "low"}}),
            &schema()
        ));
        assert!(!fits(&json!({"thinking": {"type": "disabled"}}), &schema()));
        assert!(!fits(
            &json!({"output_config": {"effort": "xhigh"}}),
            &schema()
        ));
        assert!(!fits(&json!({"reasoning": {"effort": "low"}}), &schema()));
    }

    #[test]
    fn signatures_verify_only_for_the_text_they_were_issued_for() {
        assert_eq!(sign("a"), sign("a"));
        assert_ne!(sign("a"), sign("b"));
    }
}
