//! `input`: the items of a request, their content parts and images.

use serde_json::Value;

use super::items::Item;
use crate::convert::images::image_from_url;
use crate::convert::json_at::At;
use crate::convert::openai::UserPart;
use crate::error::ApiError;

/// `input`: a string or a list of items.
pub fn parse_input(v: &At) -> Result<Vec<Item>, ApiError> {
    if let Value::String(s) = v.value {
        return Ok(vec![Item::Message {
            role: "user".into(),
            parts: vec![UserPart::Text(s.clone())],
        }]);
    }
    if !v.value.is_array() {
        return Err(v.type_error("a string or an array of items"));
    }
    v.items()?.iter().map(parse_item).collect()
}

/// One input item (see the [`super`] module documentation).
pub fn parse_item(item: &At) -> Result<Item, ApiError> {
    item.object()?;
    let kind = match item.get("type") {
        Some(t) => t.str()?,
        None if item.get("role").is_some() => "message",
        None => return Err(item.require("type").unwrap_err()),
    };
    match kind {
        "message" => {
            let role_at = item.require("role")?;
            let role = role_at.str()?;
            if !matches!(role, "user" | "assistant" | "system" | "developer") {
                return Err(role_at.invalid(format!(
                    "unknown role `{role}`; expected user, assistant, system or developer"
                )));
            }
            let parts = parse_content(&item.require("content")?, role)?;
            Ok(Item::Message {
                role: role.to_owned(),
                parts,
            })
        }
        "function_call" => {
            let call_id = non_empty(&item.require("call_id")?)?;
            let name = non_empty(&item.require("name")?)?;
            let namespace = item.opt_str("namespace")?.map(str::to_owned);
            let arguments = match item.get("arguments") {
                None => String::new(),
                Some(a) => match a.value {
                    Value::String(s) => s.clone(),
                    Value::Object(_) => a.value.to_string(),
                    _ => return Err(a.type_error("a string")),
                },
            };
            Ok(Item::FunctionCall {
                call_id,
                namespace,
                name,
                arguments,
            })
        }
        "custom_tool_call" => Ok(Item::CustomToolCall {
            call_id: non_empty(&item.require("call_id")?)?,
            namespace: item.opt_str("namespace")?.map(str::to_owned),
            name: non_empty(&item.require("name")?)?,
            input: item.opt_str("input")?.unwrap_or_default().to_owned(),
        }),
        "additional_tools" => {
            let tools = item.require("tools")?;
            tools.items()?;
            Ok(Item::AdditionalTools {
                tools: tools.value.clone(),
            })
        }
        kind @ ("function_call_output" | "custom_tool_call_output") => {
            let call_id = non_empty(&item.require("call_id")?)?;
            let output_at = item.require("output")?;
            let (output, images) = match output_at.value {
                Value::String(s) => (s.clone(), Vec::new()),
                Value::Array(_) => {
                    let mut text = String::new();
                    let mut images = Vec::new();
                    for part in parse_content(&output_at, "user")? {
                        match part {
                            UserPart::Text(t) => {
                                if !text.is_empty() && !t.is_empty() {
                                    text.push('\n');
                                }
                                text.push_str(&t);
                            }
                            UserPart::Image(i) => images.push(i),
                        }
                    }
                    (text, images)
                }
                _ => return Err(output_at.type_error("a string or an array of content parts")),
            };
            Ok(Item::FunctionCallOutput {
                call_id,
                output,
                images,
                custom: kind == "custom_tool_call_output",
            })
        }
        "reasoning" => {
            let mut summary = String::new();
            if let Some(s) = item.get("summary") {
                for part in s.items()? {
                    part.object()?;
                    let text = part.require("text")?.str()?;
                    if !summary.is_empty() && !text.is_empty() {
                        summary.push_str("\n\n");
                    }
                    summary.push_str(text);
                }
            }
            let encrypted = item
                .get("encrypted_content")
                .filter(|e| !e.value.is_null())
                .map(|e| e.str().map(str::to_owned))
                .transpose()?;
            Ok(Item::Reasoning { summary, encrypted })
        }
        other => {
            let at = item.require("type")?;
            Err(at.invalid(format!(
                "item type `{other}` is not supported by this gateway; supported: message, \
                 function_call, function_call_output, custom_tool_call, \
                 custom_tool_call_output, reasoning, additional_tools"
            )))
        }
    }
}

fn non_empty(at: &At) -> Result<String, ApiError> {
    let s = at.str()?;
    if s.is_empty() {
        return Err(at.invalid("must not be empty"));
    }
    Ok(s.to_owned())
}

/// Message content: a string or a list of parts.
fn parse_content(content: &At, role: &str) -> Result<Vec<UserPart>, ApiError> {
    if let Value::String(s) = content.value {
        return Ok(vec![UserPart::Text(s.clone())]);
    }
    if !content.value.is_array() {
        return Err(content.type_error("a string or an array of content parts"));
    }
    let mut parts = Vec::new();
    for part in content.items()? {
        part.object()?;
        let kind_at = part.require("type")?;
        match kind_at.str()? {
            "input_text" | "output_text" | "text" => {
                parts.push(UserPart::Text(part.require("text")?.str()?.to_owned()))
            }
            "refusal" => parts.push(UserPart::Text(part.require("refusal")?.str()?.to_owned())),
            "input_image" if role != "assistant" => {
                if part.get("file_id").is_some() && part.get("image_url").is_none() {
                    return Err(part
                        .require("file_id")?
                        .invalid("file ids are not supported; send the image as a data URL"));
                }
                let url_at = part.require("image_url")?;
                let image = image_from_url(url_at.str()?).map_err(|e| url_at.invalid(e))?;
                parts.push(UserPart::Image(image));
            }
            other => {
                return Err(kind_at.invalid(format!(
                    "content part type `{other}` is not supported here; supported: input_text, \
                     output_text, refusal{}",
                    if role == "assistant" {
                        ""
                    } else {
                        ", input_image"
                    }
                )))
            }
        }
    }
    Ok(parts)
}
