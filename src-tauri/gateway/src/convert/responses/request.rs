//! OpenAI Responses request → [`ResponsesRequest`] (typed, validated) → the Chat
//! Completions [`ChatRequest`] → neutral [`Conversation`] (through the chat path's own
//! [`to_conversation`], so system handling, `text.format`, reasoning budgets and tool-result
//! grouping are shared, not forked).
//!
//! Decisions:
//!
//! * **input**: a string (one user message) or a list of items. Items: `message` (also
//!   without `type`, as the SDKs send `{role, content}`) with `input_text` / `output_text` /
//!   `refusal` / `input_image` parts or a plain string; `function_call`
//!   (`call_id`, `name`, string `arguments`); `function_call_output` (`call_id`, `output` as a
//!   string or a list of `input_text` / `input_image` parts); `reasoning` (its summary text
//!   is replayed as the assistant's earlier reasoning; an `encrypted_content` the gateway
//!   wrote ([`super::sealed`]) brings back the signed reasoning Kiro needs, any other is
//!   ignored);
//!   `custom_tool_call` (`call_id`, `name`, raw `input`) and `custom_tool_call_output`;
//!   `additional_tools` (tool declarations, see **tools**);
//!   `item_reference` is refused (nothing to resolve it against). Unknown item types → 400.
//! * **Roles**: `system` / `developer` messages before the conversation starts join the
//!   `instructions` (after them); later ones are kept in place like the chat path does.
//!   Consecutive `reasoning`, assistant `message` and `function_call` items form one
//!   assistant turn.
//! * **function_call_output** / **custom_tool_call_output** must name a `call_id` of an
//!   earlier call (in the stored history of `previous_response_id` or in this input), else
//!   400. A `function_call` with a `namespace`, and a `custom_tool_call`, replay as the flat
//!   Kiro tool of [`super::tools`].
//! * **Images**: `input_image.image_url` data URLs only ([`crate::convert::images`]);
//!   `file_id` and remote URLs → 400.
//! * **tools**: `function`, `namespace` and `custom` tools, from `tools` and from
//!   `additional_tools` input items; hosted web search is ignored, other built-in tools are
//!   a 400 naming `tools[i].type` ([`super::tools`]).
//! * **tool_choice**: `auto`, `none`, `required`, `{type:"function"|"custom", name,
//!   namespace?}`; anything else → 400.
//! * **reasoning.effort** as the chat path's `reasoning_effort` (with `max_output_tokens` as
//!   the budget base); `reasoning.summary` is accepted and ignored (reasoning is always
//!   reported as a summary).
//! * **text.format**: `text` / `json_object` / `json_schema` (flat `name`, `schema`,
//!   `strict`) as the chat path's `response_format`. `text.verbosity` is ignored.
//! * `temperature`, `top_p`, `user`, `service_tier`, `truncation`, `include`,
//!   `safety_identifier`, `background: false` and unknown fields are
//!   ignored; `background: true`, `conversation` and `prompt` → 400. `prompt_cache_key`,
//!   when a UUID, becomes Kiro's conversation id.

use std::collections::HashSet;

use serde_json::{json, Map, Value};

use crate::convert::conversation::{Conversation, Image, ToolChoice, ToolSpec};
use crate::convert::images::image_from_data_uri;
use crate::convert::json_at::At;
use crate::convert::openai::{
    to_conversation, AssistantToolCall, ChatMessage, ChatRequest, ReasoningEffort, ResponseFormat,
    UserPart,
};
use crate::convert::responses::sealed::Sealed;
use crate::convert::responses::tools::{
    flat_name, parse_tool_choice, ToolNames, ToolsBuilder, CUSTOM_INPUT_FIELD,
};
use crate::error::ApiError;

/// The largest `metadata` map OpenAI accepts.
const MAX_METADATA_KEYS: usize = 16;

/// A validated Responses request.
#[derive(Debug, Clone, PartialEq)]
pub struct ResponsesRequest {
    pub model: String,
    pub instructions: Option<String>,
    /// This request's `input`, normalised (see [`Item`]).
    pub input: Vec<Item>,
    pub tools: Vec<ToolSpec>,
    /// The `tools` as the client sent them, echoed in the response object.
    pub tools_json: Value,
    /// How flat Kiro tool names lead back to namespaced and custom client tools.
    pub tool_names: ToolNames,
    pub tool_choice: ToolChoice,
    pub tool_choice_json: Value,
    pub parallel_tool_calls: bool,
    pub max_output_tokens: Option<u32>,
    pub reasoning_effort: Option<ReasoningEffort>,
    pub reasoning_json: Value,
    pub text_format: ResponseFormat,
    pub text_json: Value,
    pub store: bool,
    pub metadata: Value,
    pub previous_response_id: Option<String>,
    pub stream: bool,
    /// `prompt_cache_key` when it is a UUID (reused as Kiro's conversation id).
    pub session_id: Option<String>,
}

/// One conversation item, normalised. [`Item::to_json`] renders it in the Responses shape
/// (what the store keeps and `input_items` returns); [`parse_item`] reads it back.
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    Message {
        role: String,
        parts: Vec<UserPart>,
    },
    FunctionCall {
        call_id: String,
        /// The namespace of a tool declared inside a `namespace` tool.
        namespace: Option<String>,
        name: String,
        arguments: String,
    },
    CustomToolCall {
        call_id: String,
        namespace: Option<String>,
        name: String,
        input: String,
    },
    /// The output of a `function_call` or, with `custom`, of a `custom_tool_call`.
    FunctionCallOutput {
        call_id: String,
        output: String,
        images: Vec<Image>,
        custom: bool,
    },
    Reasoning {
        summary: String,
        /// `encrypted_content` as the client sent it (or the gateway wrote it).
        encrypted: Option<String>,
    },
    /// An `additional_tools` item: declarations only, no conversation content.
    AdditionalTools {
        tools: Value,
    },
}

impl Item {
    /// The Responses JSON of the item. `id` is given to output items only.
    pub fn to_json(&self) -> Value {
        match self {
            Item::Message { role, parts } => {
                let text_type = if role == "assistant" {
                    "output_text"
                } else {
                    "input_text"
                };
                let content: Vec<Value> = parts
                    .iter()
                    .map(|p| match p {
                        UserPart::Text(t) => json!({"type": text_type, "text": t}),
                        UserPart::Image(i) => json!({
                            "type": "input_image",
                            "image_url": format!("data:{};base64,{}", i.media_type, i.data_base64),
                        }),
                    })
                    .collect();
                json!({"type": "message", "role": role, "content": content})
            }
            Item::FunctionCall {
                call_id,
                namespace,
                name,
                arguments,
            } => {
                let mut item = json!({
                    "type": "function_call", "call_id": call_id, "name": name,
                    "arguments": arguments,
                });
                if let Some(ns) = namespace {
                    item["namespace"] = json!(ns);
                }
                item
            }
            Item::CustomToolCall {
                call_id,
                namespace,
                name,
                input,
            } => {
                let mut item = json!({
                    "type": "custom_tool_call", "call_id": call_id, "name": name, "input": input,
                });
                if let Some(ns) = namespace {
                    item["namespace"] = json!(ns);
                }
                item
            }
            Item::AdditionalTools { tools } => {
                json!({"type": "additional_tools", "role": "developer", "tools": tools})
            }
            Item::FunctionCallOutput {
                call_id,
                output,
                images,
                custom,
            } => {
                let output = if images.is_empty() {
                    json!(output)
                } else {
                    let mut parts = vec![json!({"type": "input_text", "text": output})];
                    parts.extend(images.iter().map(|i| {
                        json!({
                            "type": "input_image",
                            "image_url": format!("data:{};base64,{}", i.media_type, i.data_base64),
                        })
                    }));
                    Value::Array(parts)
                };
                let kind = if *custom {
                    "custom_tool_call_output"
                } else {
                    "function_call_output"
                };
                json!({"type": kind, "call_id": call_id, "output": output})
            }
            Item::Reasoning { summary, encrypted } => {
                let summary = if summary.is_empty() {
                    json!([])
                } else {
                    json!([{"type": "summary_text", "text": summary}])
                };
                let mut item = json!({"type": "reasoning", "summary": summary});
                if let Some(encrypted) = encrypted {
                    item["encrypted_content"] = json!(encrypted);
                }
                item
            }
        }
    }
}

/// Parse and validate a request body. Every failure is a 400 naming the field.
pub fn parse_responses_request(body: &[u8]) -> Result<ResponsesRequest, ApiError> {
    let root_value = At::parse(body)?;
    let root = At::root(&root_value);

    let model = root.require("model")?.str()?;
    if model.trim().is_empty() {
        return Err(root.require("model")?.invalid("must not be empty"));
    }
    let instructions = root
        .get("instructions")
        .map(|v| v.str().map(str::to_owned))
        .transpose()?
        .filter(|s| !s.trim().is_empty());
    let stream = root.get("stream").map(|v| v.bool()).transpose()?;
    let store = root.get("store").map(|v| v.bool()).transpose()?;
    if let Some(bg) = root.get("background") {
        if bg.bool()? {
            return Err(bg.invalid(
                "background responses are not supported by this gateway; send `stream: true` instead",
            ));
        }
    }
    for unsupported in ["conversation", "prompt"] {
        if let Some(v) = root.get(unsupported) {
            return Err(v.invalid(
                "is not supported by this gateway; send the conversation in `input` or use \
                 `previous_response_id`",
            ));
        }
    }
    let parallel_tool_calls = root
        .get("parallel_tool_calls")
        .map(|v| v.bool())
        .transpose()?;
    let max_output_tokens = match root.get("max_output_tokens") {
        None => None,
        Some(v) => {
            let n = v.u32()?;
            if n == 0 {
                return Err(v.invalid("must be at least 1"));
            }
            Some(n)
        }
    };
    let metadata = match root.get("metadata") {
        None => Value::Null,
        Some(m) => {
            let map = m.object()?;
            if map.len() > MAX_METADATA_KEYS {
                return Err(m.invalid(format!("at most {MAX_METADATA_KEYS} keys are allowed")));
            }
            for key in map.keys() {
                m.get(key).map(|v| v.str().map(|_| ())).unwrap_or(Ok(()))?;
            }
            m.value.clone()
        }
    };
    let previous_response_id = match root.get("previous_response_id") {
        None => None,
        Some(v) => {
            let id = v.str()?;
            if id.is_empty() {
                return Err(v.invalid("must not be empty"));
            }
            Some(id.to_owned())
        }
    };
    let (reasoning_effort, reasoning_json) = parse_reasoning(&root)?;
    let (text_format, text_json) = parse_text(&root)?;
    let input = match root.get("input") {
        None => {
            if previous_response_id.is_none() {
                return Err(root.require("input").unwrap_err());
            }
            Vec::new()
        }
        Some(v) => parse_input(&v)?,
    };
    let mut tool_builder = ToolsBuilder::default();
    if let Some(list) = root.get("tools") {
        tool_builder.add_list(&list)?;
    }
    if let Some(items) = root.get("input").filter(|v| v.value.is_array()) {
        for item in items.items()? {
            if item.value.get("type").and_then(Value::as_str) == Some("additional_tools") {
                tool_builder.add_list(&item.require("tools")?)?;
            }
        }
    }
    let (tools, tool_names, tools_json) = tool_builder.finish();
    let (tool_choice, tool_choice_json) = parse_tool_choice(&root, &tools)?;
    let session_id = root
        .get("prompt_cache_key")
        .and_then(|v| v.value.as_str())
        .and_then(|s| uuid::Uuid::parse_str(s).ok())
        .map(|u| u.to_string());

    Ok(ResponsesRequest {
        model: model.to_owned(),
        instructions,
        input,
        tools,
        tools_json,
        tool_names,
        tool_choice,
        tool_choice_json,
        parallel_tool_calls: parallel_tool_calls.unwrap_or(true),
        max_output_tokens,
        reasoning_effort,
        reasoning_json,
        text_format,
        text_json,
        store: store.unwrap_or(true),
        metadata,
        previous_response_id,
        stream: stream.unwrap_or(false),
        session_id,
    })
}

fn parse_reasoning(root: &At) -> Result<(Option<ReasoningEffort>, Value), ApiError> {
    let Some(r) = root.get("reasoning") else {
        return Ok((None, json!({"effort": null, "summary": null})));
    };
    r.object()?;
    let effort = match r.get("effort") {
        None => None,
        Some(e) => Some(match e.str()? {
            "none" => ReasoningEffort::None,
            "minimal" => ReasoningEffort::Minimal,
            "low" => ReasoningEffort::Low,
            "medium" => ReasoningEffort::Medium,
            "high" => ReasoningEffort::High,
            "xhigh" => ReasoningEffort::XHigh,
            other => {
                return Err(e.invalid(format!(
                    "unknown effort `{other}`; expected none, minimal, low, medium, high or xhigh"
                )))
            }
        }),
    };
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

fn parse_text(root: &At) -> Result<(ResponseFormat, Value), ApiError> {
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

/// One input item (see the module documentation).
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
                let url = url_at.str()?;
                let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
                if lower.starts_with("http://") || lower.starts_with("https://") {
                    return Err(url_at.invalid(
                        "remote image URLs are not fetched by this gateway; send the image \
                         inline as a data URL (data:image/png;base64,...)",
                    ));
                }
                let image = image_from_data_uri(url).map_err(|e| url_at.invalid(e))?;
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

/// Check that every `function_call_output` answers an earlier `function_call`.
/// `history` is the stored conversation (already valid); `input` is this request's.
pub fn check_call_ids(history: &[Item], input: &[Item]) -> Result<(), ApiError> {
    let mut ids: HashSet<&str> = HashSet::new();
    for item in history {
        if let Item::FunctionCall { call_id, .. } | Item::CustomToolCall { call_id, .. } = item {
            ids.insert(call_id);
        }
    }
    for (i, item) in input.iter().enumerate() {
        match item {
            Item::FunctionCall { call_id, .. } | Item::CustomToolCall { call_id, .. } => {
                ids.insert(call_id);
            }
            Item::FunctionCallOutput { call_id, .. } if !ids.contains(call_id.as_str()) => {
                return Err(ApiError::invalid_field(
                    format!("input[{i}].call_id"),
                    format!("No tool call found for function call output with call_id {call_id}."),
                ));
            }
            _ => {}
        }
    }
    Ok(())
}

/// The Chat Completions messages for a list of items (see the module documentation).
pub fn to_chat_messages(items: &[Item]) -> Vec<ChatMessage> {
    let mut out: Vec<ChatMessage> = Vec::new();
    for item in items {
        match item {
            Item::Message { role, parts } => match role.as_str() {
                "system" | "developer" => out.push(ChatMessage::System {
                    text: parts
                        .iter()
                        .filter_map(|p| match p {
                            UserPart::Text(t) => Some(t.as_str()),
                            UserPart::Image(_) => None,
                        })
                        .collect::<Vec<_>>()
                        .join("\n"),
                    developer: role == "developer",
                }),
                "assistant" => {
                    let text: String = parts
                        .iter()
                        .filter_map(|p| match p {
                            UserPart::Text(t) => Some(t.as_str()),
                            UserPart::Image(_) => None,
                        })
                        .collect();
                    let slot = assistant_slot(&mut out).text;
                    match slot {
                        Some(existing) if !existing.is_empty() => {
                            existing.push_str("\n\n");
                            existing.push_str(&text);
                        }
                        _ => *slot = Some(text),
                    }
                }
                _ => out.push(ChatMessage::User {
                    parts: parts.clone(),
                }),
            },
            Item::FunctionCall {
                call_id,
                namespace,
                name,
                arguments,
            } => {
                assistant_slot(&mut out).tool_calls.push(AssistantToolCall {
                    id: call_id.clone(),
                    name: flat_name(namespace.as_deref(), name),
                    arguments: parse_arguments(arguments),
                });
            }
            Item::CustomToolCall {
                call_id,
                namespace,
                name,
                input,
            } => {
                assistant_slot(&mut out).tool_calls.push(AssistantToolCall {
                    id: call_id.clone(),
                    name: flat_name(namespace.as_deref(), name),
                    arguments: json!({ CUSTOM_INPUT_FIELD: input }),
                });
            }
            Item::AdditionalTools { .. } => {}
            Item::FunctionCallOutput {
                call_id,
                output,
                images,
                ..
            } => out.push(ChatMessage::Tool {
                tool_call_id: call_id.clone(),
                content: output.clone(),
                images: images.clone(),
            }),
            Item::Reasoning { summary, encrypted } => {
                let sealed = encrypted.as_deref().and_then(Sealed::open);
                if summary.is_empty() && sealed.is_none() {
                    continue;
                }
                let slot = assistant_slot(&mut out);
                match sealed {
                    Some(Sealed::Signed { text, signature }) => {
                        slot.signed.push((text, signature));
                    }
                    Some(Sealed::Redacted(data)) => slot.redacted.push(data),
                    None => {}
                }
                if summary.is_empty() {
                    continue;
                }
                match slot.reasoning {
                    Some(existing) => {
                        existing.push_str("\n\n");
                        existing.push_str(summary);
                    }
                    None => *slot.reasoning = Some(summary.clone()),
                }
            }
        }
    }
    out
}

/// The assistant message being assembled (the last message, when it is an assistant one).
/// The fields of the assistant message being assembled.
struct Slot<'a> {
    text: &'a mut Option<String>,
    reasoning: &'a mut Option<String>,
    signed: &'a mut Vec<(String, String)>,
    redacted: &'a mut Vec<String>,
    tool_calls: &'a mut Vec<AssistantToolCall>,
}

fn assistant_slot(out: &mut Vec<ChatMessage>) -> Slot<'_> {
    if !matches!(out.last(), Some(ChatMessage::Assistant { .. })) {
        out.push(ChatMessage::Assistant {
            text: None,
            reasoning: None,
            signed_reasoning: Vec::new(),
            redacted_reasoning: Vec::new(),
            tool_calls: Vec::new(),
        });
    }
    match out.last_mut() {
        Some(ChatMessage::Assistant {
            text,
            reasoning,
            signed_reasoning,
            redacted_reasoning,
            tool_calls,
        }) => Slot {
            text,
            reasoning,
            signed: signed_reasoning,
            redacted: redacted_reasoning,
            tool_calls,
        },
        _ => unreachable!("an assistant message was just pushed"),
    }
}

/// Tool-call arguments as the chat path keeps them: `{}` for empty, `{"_raw": …}` for text
/// that is not a JSON object.
fn parse_arguments(arguments: &str) -> Value {
    if arguments.trim().is_empty() {
        return Value::Object(Map::new());
    }
    match serde_json::from_str::<Value>(arguments) {
        Ok(v @ Value::Object(_)) => v,
        _ => json!({ "_raw": arguments }),
    }
}

/// The neutral conversation for `history` (stored items of `previous_response_id`) followed
/// by this request's input.
pub fn to_conversation_from(
    req: &ResponsesRequest,
    history: &[Item],
) -> Result<Conversation, ApiError> {
    check_call_ids(history, &req.input)?;
    let mut messages = Vec::new();
    if let Some(instructions) = &req.instructions {
        messages.push(ChatMessage::System {
            text: instructions.clone(),
            developer: false,
        });
    }
    let all: Vec<Item> = history.iter().chain(req.input.iter()).cloned().collect();
    messages.extend(to_chat_messages(&all));
    let chat = ChatRequest {
        model: req.model.clone(),
        messages,
        tools: req.tools.clone(),
        tool_choice: req.tool_choice.clone(),
        parallel_tool_calls: Some(req.parallel_tool_calls),
        max_tokens: req.max_output_tokens,
        stop: Vec::new(),
        response_format: req.text_format.clone(),
        reasoning_effort: req.reasoning_effort,
        stream: req.stream,
        include_usage: false,
    };
    let mut conversation = to_conversation(&chat)?;
    conversation.session_id = req.session_id.clone();
    if conversation.messages.is_empty() {
        return Err(ApiError::invalid_field(
            "input",
            "The conversation is empty: send at least one input item.",
        ));
    }
    Ok(conversation)
}
