//! `messages`: each message by role, assistant tool calls and their arguments, and the reasoning
//! an assistant message carries back.

use std::collections::HashSet;

use serde_json::{Map, Value};

use super::content::{rich_content, text_content, tool_content, UserPart};
use super::fields::{must_not_be_empty, require_function_type};
use crate::convert::conversation::Image;
use crate::convert::json_at::At;
use crate::error::ApiError;

#[derive(Debug, Clone, PartialEq)]
pub enum ChatMessage {
    /// `system` or `developer`.
    System {
        text: String,
        developer: bool,
    },
    User {
        parts: Vec<UserPart>,
    },
    Assistant {
        /// Text content (text/refusal parts joined), if any.
        text: Option<String>,
        /// `reasoning_content` echoed back by some clients.
        reasoning: Option<String>,
        /// Signed reasoning `(text, signature)` from `reasoning_details` (the gateway's own
        /// or OpenRouter-style), replayed to Kiro; unsigned reasoning cannot be.
        signed_reasoning: Vec<(String, String)>,
        /// Encrypted reasoning the gateway gave out (`reasoning.encrypted`, format `kiro`).
        redacted_reasoning: Vec<String>,
        tool_calls: Vec<AssistantToolCall>,
    },
    /// `tool`, or a legacy `function` message resolved to its call id.
    Tool {
        tool_call_id: String,
        content: String,
        images: Vec<Image>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct AssistantToolCall {
    pub id: String,
    pub name: String,
    /// Arguments already parsed (see the [`super`] module doc for unparsable text).
    pub arguments: Value,
}

/// `function.arguments` of an assistant tool call (see the [`super`] module doc); absent is `{}`.
fn parse_arguments(function: &At<'_>) -> Result<Value, ApiError> {
    let Some(v) = function.get("arguments") else {
        return Ok(Value::Object(Map::new()));
    };
    match v.value {
        Value::String(s) => {
            if s.trim().is_empty() {
                return Ok(Value::Object(Map::new()));
            }
            match serde_json::from_str::<Value>(s) {
                Ok(parsed @ Value::Object(_)) => Ok(parsed),
                _ => Ok(serde_json::json!({ "_raw": s })),
            }
        }
        _ => Err(v.type_error("a string")),
    }
}

pub(super) fn parse_messages(messages: &At<'_>) -> Result<Vec<ChatMessage>, ApiError> {
    let list = messages.items()?;
    if list.is_empty() {
        return Err(messages.error("'messages' must contain at least one message."));
    }
    let mut out = Vec::with_capacity(list.len());
    // Every tool-call id issued so far, and (name, id) of calls for legacy `function` results.
    let mut call_ids: HashSet<String> = HashSet::new();
    let mut calls_by_name: Vec<(String, String)> = Vec::new();
    for (i, m) in list.iter().enumerate() {
        m.object()?;
        let role_at = m.require("role")?;
        let content = m.get("content");
        let message = match role_at.str()? {
            role @ ("system" | "developer") => ChatMessage::System {
                text: text_content(&m.require("content")?, false)?,
                developer: role == "developer",
            },
            "user" => ChatMessage::User {
                parts: rich_content(&m.require("content")?)?,
            },
            "assistant" => {
                let text = content.map(|c| text_content(&c, true)).transpose()?;
                let reasoning = m
                    .opt_str("reasoning_content")?
                    .filter(|s| !s.is_empty())
                    .map(str::to_string);
                let details = m.value.get("reasoning_details");
                let signed_reasoning = signed_reasoning(details, reasoning.as_deref());
                let redacted_reasoning = redacted_reasoning(details);
                let mut tool_calls = Vec::new();
                if let Some(calls) = m.get("tool_calls") {
                    for call in calls.items()? {
                        tool_calls.push(parse_tool_call(&call)?);
                    }
                }
                if let Some(fc) = m.get("function_call") {
                    fc.object()?;
                    let name = fc.require("name")?.str()?;
                    tool_calls.push(AssistantToolCall {
                        id: format!("call_fn_{i}"),
                        name: name.to_string(),
                        arguments: parse_arguments(&fc)?,
                    });
                }
                for call in &tool_calls {
                    call_ids.insert(call.id.clone());
                    calls_by_name.push((call.name.clone(), call.id.clone()));
                }
                ChatMessage::Assistant {
                    text,
                    reasoning,
                    signed_reasoning,
                    redacted_reasoning,
                    tool_calls,
                }
            }
            "tool" => {
                let id_at = m.require("tool_call_id")?;
                let id = id_at.str()?;
                if !call_ids.contains(id) {
                    return Err(id_at.invalid(format!(
                        "'{id}' does not match any tool call of an earlier assistant message"
                    )));
                }
                let (content, images) = tool_content(content.as_ref())?;
                ChatMessage::Tool {
                    tool_call_id: id.to_string(),
                    content,
                    images,
                }
            }
            "function" => {
                let name_at = m.require("name")?;
                let name = name_at.str()?;
                let id = calls_by_name
                    .iter()
                    .rev()
                    .find(|(n, _)| n == name)
                    .map(|(_, id)| id.clone())
                    .ok_or_else(|| {
                        name_at.invalid(format!(
                            "no earlier assistant message called the function '{name}'"
                        ))
                    })?;
                let (content, images) = tool_content(content.as_ref())?;
                ChatMessage::Tool {
                    tool_call_id: id,
                    content,
                    images,
                }
            }
            other => {
                return Err(role_at.invalid(format!(
                    "'{other}'. Supported roles: system, developer, user, assistant, tool, \
                     function"
                )))
            }
        };
        out.push(message);
    }
    Ok(out)
}

/// One entry of an assistant message's `tool_calls`.
fn parse_tool_call(call: &At<'_>) -> Result<AssistantToolCall, ApiError> {
    call.object()?;
    let id_at = call.require("id")?;
    let id = id_at.str()?;
    if id.is_empty() {
        return Err(must_not_be_empty(&id_at));
    }
    require_function_type(call, "calls")?;
    let function = call.require("function")?;
    function.object()?;
    let name = function.require("name")?.str()?;
    Ok(AssistantToolCall {
        id: id.to_string(),
        name: name.to_string(),
        arguments: parse_arguments(&function)?,
    })
}

/// The signed `reasoning.text` items of an assistant message's `reasoning_details`; an item
/// without text takes the message's `reasoning_content`. Other items (another provider's
/// encrypted reasoning, summaries) and malformed lists are ignored, not refused: they only
/// ever help a later turn.
fn signed_reasoning(details: Option<&Value>, reasoning: Option<&str>) -> Vec<(String, String)> {
    let Some(items) = details.and_then(Value::as_array) else {
        return Vec::new();
    };
    items
        .iter()
        .filter(|item| item["type"] == "reasoning.text")
        .filter_map(|item| {
            let signature = item["signature"].as_str().filter(|s| !s.is_empty())?;
            let text = match item["text"].as_str().filter(|t| !t.is_empty()) {
                Some(text) => text,
                None => reasoning?,
            };
            Some((text.to_owned(), signature.to_owned()))
        })
        .collect()
}

/// The `reasoning.encrypted` items of `reasoning_details` that the gateway wrote (format
/// `kiro`): Kiro's encrypted reasoning. Another provider's encrypted blobs mean nothing to
/// Kiro and are left out.
fn redacted_reasoning(details: Option<&Value>) -> Vec<String> {
    let Some(items) = details.and_then(Value::as_array) else {
        return Vec::new();
    };
    items
        .iter()
        .filter(|item| item["type"] == "reasoning.encrypted" && item["format"] == "kiro")
        .filter_map(|item| item["data"].as_str().filter(|d| !d.is_empty()))
        .map(str::to_owned)
        .collect()
}
