//! [`ChatRequest`] → neutral [`Conversation`].

use super::content::UserPart;
use super::messages::ChatMessage;
use super::reasoning::{reasoning_budget, ReasoningEffort};
use super::ChatRequest;
use crate::convert::conversation::{
    Conversation, Message, Part, Role, Thinking, LATE_SYSTEM_PREFIX,
};
use crate::error::ApiError;

/// Build the neutral conversation. See the [`super`] module doc for the rules.
pub fn to_conversation(req: &ChatRequest) -> Result<Conversation, ApiError> {
    let mut system_parts: Vec<String> = Vec::new();
    let mut messages: Vec<Message> = Vec::new();
    let mut started = false;
    for m in &req.messages {
        match m {
            ChatMessage::System { text, .. } => {
                if text.trim().is_empty() {
                    continue;
                }
                if started {
                    messages.push(Message {
                        role: Role::User,
                        parts: vec![Part::Text(format!("{LATE_SYSTEM_PREFIX}{text}"))],
                    });
                } else {
                    system_parts.push(text.clone());
                }
            }
            ChatMessage::User { parts } => {
                started = true;
                messages.push(Message {
                    role: Role::User,
                    parts: parts
                        .iter()
                        .map(|p| match p {
                            UserPart::Text(t) => Part::Text(t.clone()),
                            UserPart::Image(i) => Part::Image(i.clone()),
                        })
                        .collect(),
                });
            }
            ChatMessage::Assistant {
                text,
                reasoning,
                signed_reasoning,
                redacted_reasoning,
                tool_calls,
            } => {
                started = true;
                let mut parts = Vec::new();
                if signed_reasoning.is_empty() && redacted_reasoning.is_empty() {
                    if let Some(r) = reasoning {
                        parts.push(Part::Thinking {
                            text: r.clone(),
                            signature: None,
                        });
                    }
                }
                for (text, signature) in signed_reasoning {
                    parts.push(Part::Thinking {
                        text: text.clone(),
                        signature: Some(signature.clone()),
                    });
                }
                for data in redacted_reasoning {
                    parts.push(Part::RedactedThinking { data: data.clone() });
                }
                if let Some(t) = text.as_ref().filter(|t| !t.is_empty()) {
                    parts.push(Part::Text(t.clone()));
                }
                for call in tool_calls {
                    parts.push(Part::ToolUse {
                        id: call.id.clone(),
                        name: call.name.clone(),
                        input: call.arguments.clone(),
                    });
                }
                messages.push(Message {
                    role: Role::Assistant,
                    parts,
                });
            }
            ChatMessage::Tool {
                tool_call_id,
                content,
                images,
            } => {
                started = true;
                let part = Part::ToolResult {
                    tool_use_id: tool_call_id.clone(),
                    content: content.clone(),
                    images: images.clone(),
                    is_error: false,
                };
                let previous_is_results = messages.last().is_some_and(|last| {
                    last.role == Role::User
                        && !last.parts.is_empty()
                        && last
                            .parts
                            .iter()
                            .all(|p| matches!(p, Part::ToolResult { .. }))
                });
                match messages.last_mut() {
                    Some(last) if previous_is_results => last.parts.push(part),
                    _ => messages.push(Message {
                        role: Role::User,
                        parts: vec![part],
                    }),
                }
            }
        }
    }
    if messages.is_empty() && !system_parts.is_empty() {
        // Only system/developer messages: OpenAI answers them; Kiro needs a user turn.
        messages.push(Message {
            role: Role::User,
            parts: vec![Part::Text(std::mem::take(&mut system_parts).join("\n\n"))],
        });
    }
    if let Some(instruction) = req.response_format.instruction() {
        system_parts.push(instruction);
    }
    let system = (!system_parts.is_empty()).then(|| system_parts.join("\n\n"));

    let thinking = match req.reasoning_effort {
        Some(effort) => reasoning_budget(effort, req.max_tokens).map(|b| Thinking {
            budget_tokens: Some(b),
            effort: Some(effort),
        }),
        None => None,
    };

    Ok(Conversation {
        model: req.model.clone(),
        system,
        messages,
        tools: req.tools.clone(),
        tool_choice: req.tool_choice.clone(),
        thinking,
        reasoning_off: req.reasoning_effort == Some(ReasoningEffort::None),
        max_output_tokens: req.max_tokens,
        stop_sequences: req.stop.clone(),
        session_id: None,
    })
}
