//! `response_format`: parsing, the system-text instruction, and the shallow check of an answer.

use serde_json::{Map, Value};

use crate::convert::json_at::At;
use crate::error::ApiError;

#[derive(Debug, Clone, Default, PartialEq)]
pub enum ResponseFormat {
    #[default]
    Text,
    JsonObject,
    JsonSchema {
        name: String,
        schema: Value,
        strict: bool,
    },
}

impl ResponseFormat {
    #[cfg(test)]
    /// The JSON schema the answer must follow, for `json_schema`.
    pub fn schema(&self) -> Option<&Value> {
        match self {
            ResponseFormat::JsonSchema { schema, .. } => Some(schema),
            _ => None,
        }
    }

    /// True for `json_object` and `json_schema`: the answer must be JSON.
    pub fn wants_json(&self) -> bool {
        !matches!(self, ResponseFormat::Text)
    }

    /// A shallow check of a finished (non-streaming) answer against the requested format:
    /// the text, with an optional surrounding Markdown code fence removed, must parse as
    /// JSON; for `json_object` it must be an object; for `json_schema` the schema's
    /// top-level `type` (if a string) must match and every top-level `required` key must be
    /// present. Full JSON-Schema validation is out of scope. Returns the parsed value, or a
    /// human-readable reason. `text` accepts anything (`Ok(Value::String)`).
    pub fn check_answer(&self, text: &str) -> Result<Value, String> {
        if !self.wants_json() {
            return Ok(Value::String(text.to_string()));
        }
        let value: Value = serde_json::from_str(strip_code_fence(text))
            .map_err(|e| format!("the answer is not valid JSON: {e}"))?;
        match self {
            ResponseFormat::JsonObject if !value.is_object() => {
                Err("the answer is JSON but not an object".to_string())
            }
            ResponseFormat::JsonSchema { schema, .. } => {
                let type_ok = match schema.get("type").and_then(Value::as_str) {
                    Some("object") => value.is_object(),
                    Some("array") => value.is_array(),
                    Some("string") => value.is_string(),
                    Some("number") => value.is_number(),
                    Some("integer") => value.is_i64() || value.is_u64(),
                    Some("boolean") => value.is_boolean(),
                    Some("null") => value.is_null(),
                    _ => true,
                };
                if !type_ok {
                    return Err("the answer does not have the schema's top-level type".into());
                }
                if let (Some(required), Some(obj)) = (
                    schema.get("required").and_then(Value::as_array),
                    value.as_object(),
                ) {
                    for key in required.iter().filter_map(Value::as_str) {
                        if !obj.contains_key(key) {
                            return Err(format!("the answer lacks the required key '{key}'"));
                        }
                    }
                }
                Ok(value)
            }
            _ => Ok(value),
        }
    }

    /// The instruction appended to the system text, if any.
    pub fn instruction(&self) -> Option<String> {
        match self {
            ResponseFormat::Text => None,
            ResponseFormat::JsonObject => Some(
                "Respond with a single valid JSON object and nothing else: no prose before or \
                 after it, no Markdown code fences."
                    .to_string(),
            ),
            ResponseFormat::JsonSchema { name, schema, .. } => Some(format!(
                "Respond with a single valid JSON value that conforms to the JSON Schema named \
                 \"{name}\" below, and nothing else: no prose before or after it, no Markdown \
                 code fences.\nJSON Schema:\n{schema}"
            )),
        }
    }
}

/// `text` without a surrounding Markdown code fence (```` ```json … ``` ````), trimmed.
pub fn strip_code_fence(text: &str) -> &str {
    let t = text.trim();
    if let Some(rest) = t.strip_prefix("```") {
        if let Some(inner) = rest.strip_suffix("```") {
            // Drop the info string (e.g. `json`) on the opening line.
            let inner = match inner.find('\n') {
                Some(nl) if !inner[..nl].contains(['{', '[', '"']) => &inner[nl + 1..],
                _ => inner,
            };
            return inner.trim();
        }
    }
    t
}

pub(super) fn parse_response_format(v: &At<'_>) -> Result<ResponseFormat, ApiError> {
    v.object()?;
    let kind_at = v.require("type")?;
    match kind_at.str()? {
        "text" => Ok(ResponseFormat::Text),
        "json_object" => Ok(ResponseFormat::JsonObject),
        "json_schema" => {
            let js = v.require("json_schema")?;
            js.object()?;
            let name = js.opt_str("name")?.unwrap_or("response").to_string();
            let schema = match js.get("schema") {
                None => Value::Object(Map::new()),
                Some(s) => s.object().map(|_| s.value.clone())?,
            };
            let strict = js.opt_bool("strict")?.unwrap_or(false);
            Ok(ResponseFormat::JsonSchema {
                name,
                schema,
                strict,
            })
        }
        other => Err(kind_at.invalid(format!(
            "'{other}'. Expected text, json_object or json_schema"
        ))),
    }
}
