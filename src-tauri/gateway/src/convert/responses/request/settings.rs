//! `reasoning` and `text`: parsed, and echoed in the response object.

use serde_json::{json, Value};

use crate::convert::json_at::At;
use crate::convert::openai::{parse_effort, ReasoningEffort, ResponseFormat};
use crate::error::ApiError;

pub(super) fn parse_reasoning(root: &At) -> Result<(Option<ReasoningEffort>, Value), ApiError> {
    let Some(r) = root.get("reasoning") else {
        return Ok((None, json!({"effort": null, "summary": null})));
    };
    r.object()?;
    let effort = r.get("effort").map(|e| parse_effort(&e)).transpose()?;
    let summary = match r.get("summary") {
        None => Value::Null,
        Some(s) => match s.str()? {
            v @ ("auto" | "concise" | "detailed" | "none") => json!(v),
            other => {
                return Err(s.invalid(format!(
                    "unknown summary `{other}`; expected auto, concise, detailed or none"
                )))
            }
        },
    };
    let effort_json = r
        .get("effort")
        .map(|e| e.value.clone())
        .unwrap_or(Value::Null);
    Ok((effort, json!({"effort": effort_json, "summary": summary})))
}

pub(super) fn parse_text(root: &At) -> Result<(ResponseFormat, Value), ApiError> {
    let Some(t) = root.get("text") else {
        return Ok((ResponseFormat::Text, json!({"format": {"type": "text"}})));
    };
    t.object()?;
    let mut echo = json!({"format": {"type": "text"}});
    if let Some(v) = t.get("verbosity") {
        echo["verbosity"] = json!(v.str()?);
    }
    let Some(f) = t.get("format") else {
        return Ok((ResponseFormat::Text, echo));
    };
    f.object()?;
    let format = match f.require("type")?.str()? {
        "text" => ResponseFormat::Text,
        "json_object" => ResponseFormat::JsonObject,
        "json_schema" => {
            let name = match f.get("name") {
                Some(n) => n.str()?.to_owned(),
                None => "response".to_owned(),
            };
            let schema = f.require("schema")?;
            schema.object()?;
            let strict = f.get("strict").map(|s| s.bool()).transpose()?;
            ResponseFormat::JsonSchema {
                name,
                schema: schema.value.clone(),
                strict: strict.unwrap_or(false),
            }
        }
        other => {
            return Err(f.require("type")?.invalid(format!(
                "unknown format `{other}`; expected text, json_object or json_schema"
            )))
        }
    };
    echo["format"] = f.value.clone();
    Ok((format, echo))
}
