//! Anthropic Messages request → neutral [`Conversation`].
//!
//! | Anthropic | Conversation |
//! |---|---|
//! | `system` (string or text blocks; `cache_control` accepted) | `system`, Claude Code's per-request billing line removed |
//! | `role: "system"` items in `messages` (newer Claude Code) | joined to `system` before the first turn; a user turn prefixed `[System message]` after it |
//! | `text`, `image` (base64), `tool_use`, `tool_result`, `thinking` | the matching [`Part`] |
//! | `tool_result` whose `tool_use_id` no earlier assistant `tool_use` issued | 400 naming `messages[i].content[j].tool_use_id` (as Anthropic) |
//! | `redacted_thinking` | [`Part::RedactedThinking`]: replayed as Kiro's `redactedContent` to native-reasoning models, dropped otherwise (it cannot be text) |
//! | `thinking` from earlier turns | re-encoded upstream as `<thinking>…</thinking>` before the turn's text when thinking is on, dropped otherwise (docs/kiro-protocol.md#reasoning; done by `kiro_request`); signatures are not checked |
//! | `document` with text source | text part titled with the document title |
//! | `document` with PDF source, `image` with URL source, server tools | 400 naming the field |
//! | `server_tool_use` / `web_search_tool_result` from earlier turns | text parts |
//! | `tool_choice` auto / any / tool / none | [`ToolChoice`] |
//! | `thinking` enabled / adaptive / disabled | [`Thinking`] with budget / adaptive / off |
//! | `max_tokens` (required), `stop_sequences` | enforced by the gateway on the output |
//! | `metadata.user_id` with a session id | `session_id` (reused as Kiro's conversation id) |
//! | `temperature`, `top_p`, `top_k` | type-checked, then ignored (Kiro has no such fields) |

use std::collections::HashSet;

use serde_json::Value;

use crate::convert::conversation::{
    Conversation, Effort, Message, Part, Role, Thinking, ToolChoice, ToolSpec, LATE_SYSTEM_PREFIX,
};
use crate::convert::images::image_from_base64;
use crate::convert::json_at::At;
use crate::error::ApiError;

/// A parsed `/v1/messages` (or `/v1/messages/count_tokens`) request.
#[derive(Debug, Clone, PartialEq)]
pub struct MessagesRequest {
    pub conversation: Conversation,
    pub stream: bool,
}

/// Which route is parsing: `count_tokens` does not require `max_tokens`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    Messages,
    CountTokens,
}

pub fn parse_messages_request(body: &[u8], purpose: Purpose) -> Result<MessagesRequest, ApiError> {
    let value = At::parse(body)?;
    let root = At::root(&value);

    let model = root.require("model")?.str()?.trim().to_owned();
    if model.is_empty() {
        return Err(ApiError::invalid_field(
            "model",
            "`model` must not be empty.",
        ));
    }
    let max_output_tokens = match (root.get("max_tokens"), purpose) {
        (Some(field), _) => {
            let n = field.u32()?;
            if n == 0 {
                return Err(field.invalid("must be at least 1"));
            }
            Some(n)
        }
        (None, Purpose::Messages) => return Err(root.require("max_tokens").unwrap_err()),
        (None, Purpose::CountTokens) => None,
    };
    let stream = root
        .get("stream")
        .map(|f| f.bool())
        .transpose()?
        .unwrap_or(false);
    for key in ["temperature", "top_p", "top_k"] {
        root.check_number(key)?;
    }

    let mut system_parts: Vec<String> = root
        .get("system")
        .map(|f| parse_system(&f))
        .transpose()?
        .flatten()
        .into_iter()
        .collect();
    let messages_field = root.require("messages")?;
    let message_items = messages_field.items()?;
    if message_items.is_empty() {
        return Err(messages_field.invalid("must contain at least one message"));
    }
    let mut messages = Vec::with_capacity(message_items.len());
    let mut tool_use_ids = HashSet::new();
    for item in &message_items {
        match parse_message(item, &mut tool_use_ids)? {
            Entry::System(None) => {}
            Entry::System(Some(text)) if messages.is_empty() => system_parts.push(text),
            Entry::System(Some(text)) => messages.push(Message {
                role: Role::User,
                parts: vec![Part::Text(format!("{LATE_SYSTEM_PREFIX}{text}"))],
            }),
            Entry::Message(message) => messages.push(message),
        }
    }
    if messages.is_empty() {
        messages.push(Message {
            role: Role::User,
            parts: vec![Part::Text(std::mem::take(&mut system_parts).join("\n\n"))],
        });
    }
    let system = (!system_parts.is_empty()).then(|| system_parts.join("\n\n"));

    let tools = match root.get("tools") {
        Some(field) => field
            .items()?
            .iter()
            .map(parse_tool)
            .collect::<Result<Vec<_>, _>>()?,
        None => Vec::new(),
    };
    let tool_choice = root
        .get("tool_choice")
        .map(|f| parse_tool_choice(&f, &tools))
        .transpose()?
        .unwrap_or_default();
    let thinking_field = root
        .get("thinking")
        .map(|f| parse_thinking(&f))
        .transpose()?;
    // `{"type": "disabled"}` is an explicit off, which a `-thinking` model name does not undo.
    let reasoning_off = matches!(thinking_field, Some(None));
    let mut thinking = thinking_field.flatten();
    if let Some(thinking) = &mut thinking {
        thinking.effort = parse_effort(&root)?;
    }
    let stop_sequences = match root.get("stop_sequences") {
        Some(field) => field
            .items()?
            .iter()
            .map(|s| s.str().map(str::to_owned))
            .collect::<Result<Vec<_>, _>>()?
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect(),
        None => Vec::new(),
    };
    let session_id = root
        .get("metadata")
        .map(|m| -> Result<Option<String>, ApiError> {
            m.object()?;
            Ok(m.get("user_id")
                .and_then(|u| u.value.as_str())
                .and_then(session_from_user_id))
        })
        .transpose()?
        .flatten();

    Ok(MessagesRequest {
        conversation: Conversation {
            model,
            system,
            messages,
            tools,
            tool_choice,
            thinking,
            reasoning_off,
            max_output_tokens,
            stop_sequences,
            session_id,
        },
        stream,
    })
}

fn parse_system(field: &At<'_>) -> Result<Option<String>, ApiError> {
    let text = match field.value {
        Value::String(s) => s.clone(),
        Value::Array(_) => {
            let mut parts = Vec::new();
            for block in field.items()? {
                let kind = block.require("type")?.str()?;
                if kind != "text" {
                    return Err(block.invalid(format!(
                        "system blocks must be of type `text`, not `{kind}`"
                    )));
                }
                parts.push(block.require("text")?.str()?.to_owned());
            }
            parts.join("\n\n")
        }
        _ => return Err(field.type_error("a string or an array of text blocks")),
    };
    let text = strip_billing_header(&text);
    Ok((!text.trim().is_empty()).then_some(text))
}

/// Claude Code puts a per-request `x-anthropic-billing-header: …` line in the system prompt;
/// its random part would change the prompt prefix on every request.
fn strip_billing_header(text: &str) -> String {
    if !text.contains("x-anthropic-billing-header:") {
        return text.to_owned();
    }
    text.lines()
        .filter(|line| !line.trim_start().starts_with("x-anthropic-billing-header:"))
        .collect::<Vec<_>>()
        .join("\n")
        .trim()
        .to_owned()
}

/// One item of `messages`: Claude Code (2.1.19x with newer models) also sends
/// `role: "system"` items there, which join the system prompt before the first turn and
/// become a marked user turn after it (the same rule as the chat route).
enum Entry {
    /// `None`: blank, nothing to keep.
    System(Option<String>),
    Message(Message),
}

/// `tool_use_ids`: the ids of the `tool_use` blocks of earlier assistant messages; this
/// message's are added, and each of its `tool_result`s must answer one of them (the
/// Anthropic API refuses a result without its call, e.g. after a compaction that dropped
/// the call).
fn parse_message(item: &At<'_>, tool_use_ids: &mut HashSet<String>) -> Result<Entry, ApiError> {
    item.object()?;
    let role_field = item.require("role")?;
    let role = match role_field.str()? {
        "user" => Role::User,
        "assistant" => Role::Assistant,
        "system" => {
            let text = parse_system(&item.require("content")?)?;
            return Ok(Entry::System(text));
        }
        other => {
            return Err(role_field.invalid(format!(
                "unknown role `{other}`; use `user`, `assistant` or `system`"
            )))
        }
    };
    let content = item.require("content")?;
    let parts = match content.value {
        Value::String(text) => vec![Part::Text(text.clone())],
        Value::Array(_) => {
            let mut parts = Vec::new();
            for block in content.items()? {
                let part = parse_block(&block)?;
                match &part {
                    Some(Part::ToolUse { id, .. }) if role == Role::Assistant => {
                        tool_use_ids.insert(id.clone());
                    }
                    Some(Part::ToolResult { tool_use_id, .. })
                        if !tool_use_ids.contains(tool_use_id) =>
                    {
                        return Err(block.require("tool_use_id")?.invalid(format!(
                            "unexpected `tool_use_id` found in `tool_result` blocks: {tool_use_id}. \
                             Each `tool_result` block must have a corresponding `tool_use` block \
                             in an earlier assistant message"
                        )));
                    }
                    _ => {}
                }
                parts.extend(part);
            }
            parts
        }
        _ => return Err(content.type_error("a string or an array of content blocks")),
    };
    Ok(Entry::Message(Message { role, parts }))
}

fn parse_block(block: &At<'_>) -> Result<Option<Part>, ApiError> {
    block.object()?;
    let kind = block.require("type")?.str()?;
    let part = match kind {
        "text" => Part::Text(block.require("text")?.str()?.to_owned()),
        "image" => Part::Image(parse_image_source(&block.require("source")?)?),
        "tool_use" => {
            let input = block.require("input")?;
            input.object()?;
            Part::ToolUse {
                id: block.require("id")?.str()?.to_owned(),
                name: block.require("name")?.str()?.to_owned(),
                input: input.value.clone(),
            }
        }
        "tool_result" => parse_tool_result(block)?,
        "thinking" => Part::Thinking {
            text: block.require("thinking")?.str()?.to_owned(),
            signature: block.get("signature").map(|s| s.str().map(str::to_owned)).transpose()?,
        },
        "redacted_thinking" => Part::RedactedThinking {
            data: block.require("data")?.str()?.to_owned(),
        },
        "document" => parse_document(block)?,
        "server_tool_use" => Part::Text(format!(
            "[Server tool call: {} {}]",
            block.get("name").and_then(|n| n.value.as_str()).unwrap_or("tool"),
            block.get("input").map(|i| i.value.to_string()).unwrap_or_default()
        )),
        "web_search_tool_result" | "search_result" => Part::Text(format!(
            "[Search result]\n{}",
            block.get("content").map(|c| c.value.to_string()).unwrap_or_default()
        )),
        other => {
            return Err(block.invalid(format!(
                "unsupported content block type `{other}`; supported: text, image, tool_use, tool_result, thinking, redacted_thinking, document"
            )))
        }
    };
    Ok(Some(part))
}

fn parse_image_source(source: &At<'_>) -> Result<crate::convert::conversation::Image, ApiError> {
    let kind = source.require("type")?.str()?;
    match kind {
        "base64" => {
            let media_type = source.require("media_type")?.str()?;
            let data = source.require("data")?.str()?;
            image_from_base64(media_type, data).map_err(|e| source.invalid(e))
        }
        "url" => Err(source.invalid(
            "image URLs are not fetched by the gateway (Kiro accepts only inline images); send the image as base64",
        )),
        other => Err(source.invalid(format!("unsupported image source type `{other}`; use `base64`"))),
    }
}

fn parse_tool_result(block: &At<'_>) -> Result<Part, ApiError> {
    let tool_use_id = block.require("tool_use_id")?.str()?.to_owned();
    let is_error = block
        .get("is_error")
        .map(|f| f.bool())
        .transpose()?
        .unwrap_or(false);
    let mut texts = Vec::new();
    let mut images = Vec::new();
    if let Some(content) = block.get("content") {
        match content.value {
            Value::String(text) => texts.push(text.clone()),
            Value::Array(_) => {
                for item in content.items()? {
                    match item.require("type")?.str()? {
                        "text" => texts.push(item.require("text")?.str()?.to_owned()),
                        "image" => images.push(parse_image_source(&item.require("source")?)?),
                        "document" => {
                            if let Part::Text(text) = parse_document(&item)? {
                                texts.push(text);
                            }
                        }
                        other => texts.push(format!("[{other} block]\n{}", item.value)),
                    }
                }
            }
            _ => return Err(content.type_error("a string or an array of content blocks")),
        }
    }
    Ok(Part::ToolResult {
        tool_use_id,
        content: texts.join("\n"),
        images,
        is_error,
    })
}

/// Text documents become text; PDFs cannot be sent through the Kiro API reliably (protocol
/// docs/kiro-protocol.md#images: only one peer reports a working document block), so they are
/// refused clearly.
fn parse_document(block: &At<'_>) -> Result<Part, ApiError> {
    let source = block.require("source")?;
    let title = block
        .get("title")
        .and_then(|t| t.value.as_str())
        .unwrap_or("document");
    match source.require("type")?.str()? {
        "text" => Ok(Part::Text(format!("[{title}]\n{}", source.require("data")?.str()?))),
        "content" => {
            let mut texts = Vec::new();
            for item in source.require("content")?.items()? {
                if let Some(text) = item.get("text") {
                    texts.push(text.str()?.to_owned());
                }
            }
            Ok(Part::Text(format!("[{title}]\n{}", texts.join("\n"))))
        }
        "base64" | "url" | "file" => Err(source.invalid(
            "PDF and file documents are not supported by the Kiro API through this gateway; extract the text and send it as a text block or a text document",
        )),
        other => Err(source.invalid(format!("unsupported document source type `{other}`"))),
    }
}

fn parse_tool(item: &At<'_>) -> Result<ToolSpec, ApiError> {
    item.object()?;
    let name = item.require("name")?.str()?.to_owned();
    if let Some(kind) = item.get("type") {
        let kind = kind.str()?;
        if kind != "custom" {
            return Err(item.invalid(format!(
                "server tool `{kind}` ({name}) is not supported by the Kiro API; declare a custom tool with `input_schema` instead"
            )));
        }
    }
    if name.trim().is_empty() {
        return Err(item.require("name")?.invalid("must not be empty"));
    }
    let description = item
        .get("description")
        .map(|d| d.str().map(str::to_owned))
        .transpose()?
        .unwrap_or_default();
    let schema = item.require("input_schema")?;
    schema.object()?;
    Ok(ToolSpec {
        name,
        description,
        input_schema: schema.value.clone(),
    })
}

fn parse_tool_choice(field: &At<'_>, tools: &[ToolSpec]) -> Result<ToolChoice, ApiError> {
    field.object()?;
    let kind_field = field.require("type")?;
    Ok(match kind_field.str()? {
        "auto" => ToolChoice::Auto,
        "any" => ToolChoice::Required,
        "none" => ToolChoice::None,
        "tool" => {
            let name_field = field.require("name")?;
            let name = name_field.str()?;
            if !tools.iter().any(|t| t.name == name) {
                return Err(
                    name_field.invalid(format!("no tool named `{name}` is declared in `tools`"))
                );
            }
            ToolChoice::Named(name.to_owned())
        }
        other => {
            return Err(kind_field.invalid(format!(
                "unknown tool_choice type `{other}`; use auto, any, tool or none"
            )))
        }
    })
}

/// `output_config.effort` (`low`, `medium`, `high`, `xhigh`, `max`), when given.
fn parse_effort(root: &At<'_>) -> Result<Option<Effort>, ApiError> {
    let Some(config) = root.get("output_config") else {
        return Ok(None);
    };
    let Some(field) = config.get("effort") else {
        return Ok(None);
    };
    let text = field.str()?;
    match Effort::parse(text) {
        Some(effort) if effort >= Effort::Low => Ok(Some(effort)),
        _ => Err(field.invalid(format!(
            "unknown effort `{text}`; use low, medium, high, xhigh or max"
        ))),
    }
}

fn parse_thinking(field: &At<'_>) -> Result<Option<Thinking>, ApiError> {
    field.object()?;
    let kind_field = field.require("type")?;
    match kind_field.str()? {
        "enabled" => {
            let budget = field.require("budget_tokens")?;
            let tokens = budget.u32()?;
            if tokens == 0 {
                return Err(budget.invalid("must be at least 1"));
            }
            Ok(Some(Thinking {
                budget_tokens: Some(tokens),
                effort: None,
            }))
        }
        "adaptive" => Ok(Some(Thinking {
            budget_tokens: None,
            effort: None,
        })),
        "disabled" => Ok(None),
        other => Err(kind_field.invalid(format!(
            "unknown thinking type `{other}`; use enabled, adaptive or disabled"
        ))),
    }
}

/// The session UUID in Claude Code's `metadata.user_id`: either JSON `{"session_id": …}` or
/// the `user_…_account_…_session_<uuid>` form.
fn session_from_user_id(user_id: &str) -> Option<String> {
    let candidate = if let Ok(Value::Object(map)) = serde_json::from_str::<Value>(user_id) {
        map.get("session_id")?.as_str()?.to_owned()
    } else {
        user_id.rsplit_once("_session_")?.1.to_owned()
    };
    uuid::Uuid::parse_str(&candidate)
        .ok()
        .map(|u| u.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(value: Value) -> Result<MessagesRequest, ApiError> {
        parse_messages_request(value.to_string().as_bytes(), Purpose::Messages)
    }

    fn minimal() -> Value {
        json!({"model": "claude-sonnet-4-5", "max_tokens": 100, "messages": [{"role": "user", "content": "hi"}]})
    }

    #[test]
    fn system_items_in_messages_join_the_system_prompt_or_become_marked_user_turns() {
        let req = parse(
            json!({"model": "m", "max_tokens": 10, "system": "Top.", "messages": [
                {"role": "system", "content": [{"type": "text", "text": "Early."}]},
                {"role": "user", "content": "hi"},
                {"role": "system", "content": "Late."},
                {"role": "system", "content": ""},
                {"role": "assistant", "content": "ok"},
            ]}),
        )
        .unwrap();
        let conv = req.conversation;
        assert_eq!(conv.system.as_deref(), Some("Top.\n\nEarly."));
        assert_eq!(conv.messages.len(), 3);
        assert_eq!(conv.messages[1].role, Role::User);
        assert_eq!(
            conv.messages[1].parts,
            vec![Part::Text(format!("{LATE_SYSTEM_PREFIX}Late."))]
        );
        assert_eq!(conv.messages[2].role, Role::Assistant);
    }

    #[test]
    fn a_tool_result_must_answer_an_earlier_tool_use() {
        let err = parse(json!({"model": "m", "max_tokens": 10, "messages": [
            {"role": "user", "content": "go"},
            {"role": "assistant", "content": [{"type": "tool_use", "id": "toolu_1", "name": "f", "input": {}}]},
            {"role": "user", "content": [
                {"type": "tool_result", "tool_use_id": "toolu_1", "content": "ok"},
                {"type": "tool_result", "tool_use_id": "toolu_9", "content": "?"},
            ]},
        ]}))
        .unwrap_err();
        assert_eq!(
            err.param.as_deref(),
            Some("messages[2].content[1].tool_use_id")
        );
        assert!(err.message.contains("toolu_9"), "{}", err.message);
        let early = parse(json!({"model": "m", "max_tokens": 10, "messages": [
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": "ok"}]},
        ]}))
        .unwrap_err();
        assert_eq!(
            early.param.as_deref(),
            Some("messages[0].content[0].tool_use_id")
        );
    }

    #[test]
    fn system_items_only_become_the_user_turn() {
        let conv = parse(json!({"model": "m", "max_tokens": 10, "messages": [
            {"role": "system", "content": "A"}, {"role": "system", "content": "B"},
        ]}))
        .unwrap()
        .conversation;
        assert_eq!(conv.system, None);
        assert_eq!(conv.messages.len(), 1);
        assert_eq!(conv.messages[0].parts, vec![Part::Text("A\n\nB".into())]);
    }

    #[test]
    fn minimal_request() {
        let req = parse(minimal()).unwrap();
        assert_eq!(req.conversation.model, "claude-sonnet-4-5");
        assert_eq!(req.conversation.max_output_tokens, Some(100));
        assert_eq!(
            req.conversation.messages[0].parts,
            vec![Part::Text("hi".into())]
        );
        assert!(!req.stream);
    }

    #[test]
    fn system_blocks_with_cache_control_are_joined_and_billing_line_removed() {
        let mut v = minimal();
        v["system"] = json!([
            {"type": "text", "text": "x-anthropic-billing-header: cc_version=1.0; cch=abcde;"},
            {"type": "text", "text": "You are Claude Code.", "cache_control": {"type": "ephemeral"}},
            {"type": "text", "text": "Be brief."}
        ]);
        let req = parse(v).unwrap();
        assert_eq!(
            req.conversation.system.as_deref(),
            Some("You are Claude Code.\n\nBe brief.")
        );
    }

    #[test]
    fn blocks_map_to_parts() {
        let mut v = minimal();
        v["messages"] = json!([
            {"role": "user", "content": [{"type": "text", "text": "weather?"}]},
            {"role": "assistant", "content": [
                {"type": "thinking", "thinking": "call the tool", "signature": "sig"},
                {"type": "redacted_thinking", "data": "xxx"},
                {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {"city": "Paris"}}
            ]},
            {"role": "user", "content": [
                {"type": "tool_result", "tool_use_id": "toolu_1", "is_error": true,
                 "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]}
            ]}
        ]);
        let conv = parse(v).unwrap().conversation;
        assert_eq!(
            conv.messages[1].parts[1],
            Part::RedactedThinking { data: "xxx".into() },
            "kept, for a native model to get back as it came"
        );
        assert_eq!(
            conv.messages[1].parts[2],
            Part::ToolUse {
                id: "toolu_1".into(),
                name: "get_weather".into(),
                input: json!({"city": "Paris"})
            }
        );
        assert_eq!(
            conv.messages[2].parts[0],
            Part::ToolResult {
                tool_use_id: "toolu_1".into(),
                content: "a\nb".into(),
                images: vec![],
                is_error: true
            }
        );
    }

    #[test]
    fn thinking_disabled_is_an_explicit_off() {
        let mut v = minimal();
        v["thinking"] = json!({"type": "disabled"});
        let conv = parse(v).unwrap().conversation;
        assert_eq!((conv.thinking, conv.reasoning_off), (None, true));
        let conv = parse(minimal()).unwrap().conversation;
        assert_eq!((conv.thinking, conv.reasoning_off), (None, false));
    }

    #[test]
    fn tools_choice_thinking_stop_and_session() {
        let mut v = minimal();
        v["tools"] = json!([{"name": "get_weather", "description": "d", "input_schema": {"type": "object"}}]);
        v["tool_choice"] = json!({"type": "tool", "name": "get_weather"});
        v["thinking"] = json!({"type": "enabled", "budget_tokens": 2048});
        v["stop_sequences"] = json!(["END"]);
        v["metadata"] =
            json!({"user_id": "user_abc_account_def_session_4b0e4a39-5c8e-4f3e-9a43-2f3d5f0c1a22"});
        let conv = parse(v).unwrap().conversation;
        assert_eq!(conv.tool_choice, ToolChoice::Named("get_weather".into()));
        assert_eq!(
            conv.thinking,
            Some(Thinking {
                budget_tokens: Some(2048),
                effort: None,
            })
        );
        assert_eq!(conv.stop_sequences, vec!["END".to_owned()]);
        assert_eq!(
            conv.session_id.as_deref(),
            Some("4b0e4a39-5c8e-4f3e-9a43-2f3d5f0c1a22")
        );
    }

    #[test]
    fn count_tokens_does_not_need_max_tokens() {
        let mut v = minimal();
        v.as_object_mut().unwrap().remove("max_tokens");
        assert!(parse(v.clone()).is_err());
        assert!(parse_messages_request(v.to_string().as_bytes(), Purpose::CountTokens).is_ok());
    }

    #[test]
    fn claude_code_extras_are_accepted_and_unknown_fields_ignored() {
        let png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";
        let v = json!({
            "model": "claude-sonnet-4-5", "max_tokens": 10, "stream": true,
            "temperature": 1, "top_p": 0.9, "top_k": 5,
            "context_management": {"edits": []}, "output_config": {"effort": "high"},
            "thinking": {"type": "adaptive"},
            "metadata": {"user_id": "{\"device_id\":\"d\",\"session_id\":\"4b0e4a39-5c8e-4f3e-9a43-2f3d5f0c1a22\"}"},
            "tools": [{"type": "custom", "name": "f", "input_schema": {"type": "object"}, "cache_control": {"type": "ephemeral"}}],
            "messages": [
                {"role": "user", "content": [{"type": "text", "text": "go", "cache_control": {"type": "ephemeral", "ttl": "1h"}, "citations": null}]},
                {"role": "assistant", "content": [{"type": "tool_use", "id": "t1", "name": "f", "input": {}, "cache_control": {"type": "ephemeral"}}]},
                {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t1", "cache_control": {"type": "ephemeral"},
                    "content": [{"type": "text", "text": "shot"}, {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": png}}]}]}
            ]
        });
        let req = parse(v).unwrap();
        assert!(req.stream);
        let conv = req.conversation;
        assert_eq!(
            conv.thinking,
            Some(Thinking {
                budget_tokens: None,
                effort: Some(Effort::High),
            })
        );
        assert_eq!(
            conv.session_id.as_deref(),
            Some("4b0e4a39-5c8e-4f3e-9a43-2f3d5f0c1a22")
        );
        match &conv.messages[2].parts[0] {
            Part::ToolResult {
                content,
                images,
                is_error,
                ..
            } => {
                assert_eq!(content, "shot");
                assert_eq!(images.len(), 1);
                assert_eq!(images[0].media_type, "image/png");
                assert!(!is_error);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_result_without_its_call_says_which() {
        let err = parse(json!({"model": "m", "max_tokens": 1, "messages": [
            {"role": "user", "content": "x"},
            {"role": "assistant", "content": "no call here"},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_9", "content": "ok"}]}]}))
        .unwrap_err();
        assert_eq!(err.kind, crate::error::ErrorKind::InvalidRequest);
        assert_eq!(
            err.message,
            "`messages[2].content[0].tool_use_id`: unexpected `tool_use_id` found in `tool_result` blocks: toolu_9. Each `tool_result` block must have a corresponding `tool_use` block in an earlier assistant message"
        );
    }

    #[test]
    fn results_may_answer_calls_of_any_earlier_turn() {
        let req = parse(json!({"model": "m", "max_tokens": 1, "messages": [
            {"role": "user", "content": "x"},
            {"role": "assistant", "content": [{"type": "tool_use", "id": "t1", "name": "f", "input": {}}]},
            {"role": "user", "content": "interrupting"},
            {"role": "assistant", "content": "ok"},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t1", "content": "late"}]}]}))
        .unwrap();
        assert_eq!(req.conversation.messages.len(), 5);
    }

    #[test]
    fn malformed_requests_name_the_field() {
        let cases: Vec<(Value, &str)> = vec![
            (json!({"max_tokens": 1, "messages": []}), "model"),
            (
                json!({"model": "m", "messages": [{"role": "user", "content": "x"}]}),
                "max_tokens",
            ),
            (
                json!({"model": "m", "max_tokens": 1, "messages": []}),
                "messages",
            ),
            (
                json!({"model": "m", "max_tokens": 1, "messages": "hi"}),
                "messages",
            ),
            (
                json!({"model": "m", "max_tokens": "1", "messages": [{"role": "user", "content": "x"}]}),
                "max_tokens",
            ),
            (
                json!({"model": "m", "max_tokens": 1, "messages": [{"role": "developer", "content": "x"}]}),
                "messages[0].role",
            ),
            (
                json!({"model": "m", "max_tokens": 1, "messages": [{"role": "user", "content": 3}]}),
                "messages[0].content",
            ),
            (
                json!({"model": "m", "max_tokens": 1, "messages": [{"role": "user", "content": [{"type": "video"}]}]}),
                "messages[0].content[0]",
            ),
            (
                json!({"model": "m", "max_tokens": 1, "messages": [{"role": "user", "content": [{"type": "image", "source": {"type": "url", "url": "https://x"}}]}]}),
                "messages[0].content[0].source",
            ),
            (
                json!({"model": "m", "max_tokens": 1, "messages": [{"role": "user", "content": [{"type": "image", "source": {"type": "base64", "media_type": "image/bmp", "data": "Qk1hYmNk"}}]}]}),
                "messages[0].content[0].source",
            ),
            (
                json!({"model": "m", "max_tokens": 1, "messages": [{"role": "user", "content": [{"type": "document", "source": {"type": "base64", "media_type": "application/pdf", "data": "JVBE"}}]}]}),
                "messages[0].content[0].source",
            ),
            (
                json!({"model": "m", "max_tokens": 1, "temperature": "hot", "messages": [{"role": "user", "content": "x"}]}),
                "temperature",
            ),
            (
                json!({"model": "m", "max_tokens": 1, "tools": [{"type": "web_search_20250305", "name": "web_search"}], "messages": [{"role": "user", "content": "x"}]}),
                "tools[0]",
            ),
            (
                json!({"model": "m", "max_tokens": 1, "tools": [{"name": "t"}], "messages": [{"role": "user", "content": "x"}]}),
                "tools[0].input_schema",
            ),
            (
                json!({"model": "m", "max_tokens": 1, "tool_choice": {"type": "tool", "name": "nope"}, "messages": [{"role": "user", "content": "x"}]}),
                "tool_choice.name",
            ),
            (
                json!({"model": "m", "max_tokens": 1, "thinking": {"type": "enabled"}, "messages": [{"role": "user", "content": "x"}]}),
                "thinking.budget_tokens",
            ),
            (
                json!({"model": "m", "max_tokens": 1, "stream": "yes", "messages": [{"role": "user", "content": "x"}]}),
                "stream",
            ),
            (
                json!({"model": "m", "max_tokens": 1, "stop_sequences": "END", "messages": [{"role": "user", "content": "x"}]}),
                "stop_sequences",
            ),
            (
                json!({"model": "m", "max_tokens": 0, "messages": [{"role": "user", "content": "x"}]}),
                "max_tokens",
            ),
            (
                json!({"model": "m", "max_tokens": 1, "messages": [
                    {"role": "user", "content": "x"},
                    {"role": "assistant", "content": [{"type": "tool_use", "id": "t1", "name": "f", "input": {}}]},
                    {"role": "user", "content": [
                        {"type": "tool_result", "tool_use_id": "t1", "content": "ok"},
                        {"type": "tool_result", "tool_use_id": "t_gone", "content": "ok"}]}]}),
                "messages[2].content[1].tool_use_id",
            ),
            (
                json!({"model": "m", "max_tokens": 1, "messages": [
                    {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t1", "content": "ok"}]}]}),
                "messages[0].content[0].tool_use_id",
            ),
        ];
        for (value, param) in cases {
            let err = parse(value.clone()).expect_err(&value.to_string());
            assert_eq!(
                err.param.as_deref(),
                Some(param),
                "{value}: {}",
                err.message
            );
            assert_eq!(err.status(), axum::http::StatusCode::BAD_REQUEST);
        }
    }
}
