//! Items → Chat Completions messages → neutral [`Conversation`].

use std::collections::HashSet;

use serde_json::{json, Map, Value};

use super::items::Item;
use super::ResponsesRequest;
use crate::convert::conversation::Conversation;
use crate::convert::openai::{
    to_conversation, AssistantToolCall, ChatMessage, ChatRequest, UserPart,
};
use crate::convert::responses::sealed::Sealed;
use crate::convert::responses::tools::{flat_name, CUSTOM_INPUT_FIELD};
use crate::error::ApiError;

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

/// The Chat Completions messages for a list of items (see the [`super`] module documentation).
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
