//! Neutral [`Conversation`] → Kiro `generateAssistantResponse` body, applying the preflight
//! rules of docs/kiro-protocol.md#conversion-rules. Anything that cannot be made valid is refused
//! with a [`PreflightError`] naming the rule and the message index, before anything goes upstream.
//!
//! # Pipeline ([`build`])
//!
//! 1. `tool_choice` checked ([`tool_choice`]); client tools declared ([`tools`]: names
//!    shortened, descriptions fixed, schemas sanitised by [`schema`]).
//! 2. Each client message → one turn ([`turns::from_message`]): tool-use ids sanitised
//!    ([`ids`]), images validated ([`images`]),
//!    earlier reasoning re-encoded ([`thinking`]).
//! 3. No tools declared upstream → all tool traffic becomes text.
//! 4. Same-role neighbours merged, sequence made user-first/user-last ([`turns`]).
//! 5. Pairing repaired on the final sequence ([`pairing`]); tool-result images placed in the
//!    message's `images` in tool-call order, each result naming its own ([`result_images`]);
//!    history tool names mapped to the declared (possibly shortened) names, placeholder tools
//!    declared for the rest.
//! 6. System text (system prompt, long tool docs and, with identity sanitising on, the
//!    [`identity::precedence_note`] after a client system prompt; thinking prefix in front)
//!    folded into the first user turn; `tool_choice` instruction appended to the current message.
//! 7. Rendered ([`body`]) and size-checked.
//!
//! # System prompt: prepended to the first user message (JW)
//!
//! `"{system}\n\n{content}"` on the first user turn (history or current). Chosen over KR's
//! synthetic user/assistant pair because it is the layout of the worked examples
//! (docs/kiro-protocol.md#worked-example), adds no fabricated assistant text ("I will follow these
//! instructions.") the model could echo, and keeps the first history message identical across turns
//! of one conversation. A blank first user turn (e.g. the placeholder before a leading assistant
//! message) is replaced by the system text. The thinking prefix (docs/kiro-protocol.md#reasoning,
//! KR style) goes at the very start of that system text.
//!
//! # Repaired silently vs refused
//!
//! | Violation | Treatment |
//! |---|---|
//! | no messages at all | refused `no_messages` |
//! | consecutive same-role messages | merged (texts joined `\n`, blocks concatenated) |
//! | history starts with assistant | `" "` user turn inserted before it |
//! | trailing assistant (prefill) | kept in history, current message `" "` (JW) |
//! | empty message content | `" "` |
//! | empty tool-result text | `"(empty result)"` |
//! | tool name > 64 bytes | shortened (55-byte prefix + `_` + 8 hex SHA-256), reverse map in [`KiroRequest::tool_names`] |
//! | declared tool with empty name, or declared twice | refused `tool_name` |
//! | tool call with empty name | refused `tool_name` (message index) |
//! | tool-use id outside `[A-Za-z0-9_-]{1,64}` | sanitised deterministically ([`ids::sanitize_tool_use_id`]) |
//! | empty description / > 10 000 chars | `"Tool: {name}"` / moved to system text `## Tool: {name}` |
//! | schema root malformed, `null` keywords, `additionalProperties`, empty `required` | sanitised ([`schema::SchemaPolicy`]) |
//! | tool used in history but not declared | placeholder tool declared |
//! | tool traffic in history, no tools declared upstream | converted to text |
//! | tool result not answering the preceding assistant turn | converted to text |
//! | duplicate tool-result / tool-use id in one turn | later duplicates dropped |
//! | tool use never answered | removed |
//! | tool call / result on the wrong role | converted to text |
//! | tool-call input not an object | string holding an object parsed, `null` → `{}`, else `{"input": v}` |
//! | image on an assistant message | dropped (Kiro's assistant message cannot carry one) |
//! | image type not png/jpeg/gif/webp | refused `image_format` (message index) |
//! | image base64 invalid or empty | refused `image_base64` (message index) |
//! | image > 10 MiB | refused `image_size` (message index) |
//! | more than 10 images | refused `image_count` (index of the message with the 11th) |
//! | `tool_choice` `Required` without tools / `Named` undeclared tool | refused `tool_choice` |
//! | serialised body > `max_payload_bytes` | refused `payload_size` (never trimmed silently) |
//!
//! Refused are the violations whose repair would silently change what the model is asked
//! (an image it would not see, a trimmed conversation, an impossible `tool_choice`);
//! everything the peers repair (docs/kiro-protocol.md#conversion-rules) is repaired.
//!
//! Not used from the conversation: `max_output_tokens` and `stop_sequences` (no wire
//! field, enforced on the output stream), `session_id` (the caller picks
//! [`KiroRequestOptions::conversation_id`]), `Thinking::signature`.

use std::collections::HashMap;

use serde_json::Value;

use super::conversation::{Conversation, ToolChoice};
use crate::kiro::models::ReasoningCapabilities;

pub mod body;
pub mod identity;
pub mod ids;
pub mod images;
pub mod native_reasoning;
pub mod pairing;
mod result_images;
pub mod schema;
pub mod thinking;
pub mod tool_choice;
pub mod tools;
pub mod turns;

#[cfg(test)]
mod tests;

pub use schema::SchemaPolicy;

/// Per-request inputs the conversation does not carry.
#[derive(Debug, Clone)]
pub struct KiroRequestOptions {
    /// Upstream model id, already normalised (dot form, e.g. `claude-sonnet-4.5`).
    pub model_id: String,
    pub profile_arn: Option<String>,
    pub conversation_id: String,
    /// Refuse bodies larger than this many bytes (the upstream answers an opaque 400).
    pub max_payload_bytes: usize,
    /// The model's native reasoning, as its catalogue entry describes it (default: none, so
    /// thinking is emulated with tags).
    pub reasoning: ReasoningCapabilities,
    /// Set by [`build`]: the `additionalModelRequestFields` it sends, if any.
    pub reasoning_fields: Option<Value>,
    /// After a client system prompt, add [`identity::precedence_note`] (identity sanitising).
    pub identity_precedence: bool,
}

/// A ready Kiro request body plus what is needed to map the answer back.
#[derive(Debug, Clone)]
pub struct KiroRequest {
    pub body: Value,
    /// The body's size as JSON, in bytes (checked against `max_payload_bytes`).
    pub body_bytes: usize,
    /// Shortened tool name sent upstream → the client's original name.
    pub tool_names: HashMap<String, String>,
}

impl KiroRequest {
    /// The client's name for a tool name that came back from Kiro.
    pub fn original_tool_name<'a>(&'a self, upstream: &'a str) -> &'a str {
        self.tool_names
            .get(upstream)
            .map(String::as_str)
            .unwrap_or(upstream)
    }
}

pub use crate::error::PreflightRule;

impl PreflightRule {
    /// A rule about the conversation as a whole, not one message or field.
    pub fn is_about_messages(self) -> bool {
        matches!(self, PreflightRule::PayloadSize | PreflightRule::NoMessages)
    }
}

impl std::fmt::Display for PreflightRule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{detail} (rule: {rule}{})", .message_index.map(|i| format!(", message {i}")).unwrap_or_default())]
pub struct PreflightError {
    pub rule: PreflightRule,
    /// Index into the client's `messages` array, when one message is at fault.
    pub message_index: Option<usize>,
    pub detail: String,
}

/// Build the Kiro body for `conversation` with the default schema policy. Pure function.
pub fn build(
    conversation: &Conversation,
    options: &KiroRequestOptions,
) -> Result<KiroRequest, PreflightError> {
    build_with_policy(conversation, options, &SchemaPolicy::default())
}

/// [`build`] with an explicit tool-schema sanitising policy.
pub fn build_with_policy(
    conversation: &Conversation,
    options: &KiroRequestOptions,
    policy: &SchemaPolicy,
) -> Result<KiroRequest, PreflightError> {
    if conversation.messages.is_empty() {
        return Err(PreflightError {
            rule: PreflightRule::NoMessages,
            message_index: None,
            detail: "the request has no messages".into(),
        });
    }
    tool_choice::check(&conversation.tool_choice, &conversation.tools)?;
    let client_tools = tools::ToolSet::from_client(&conversation.tools, policy)?;

    let native = options.reasoning.native;
    let history = match (native, conversation.thinking.is_some()) {
        (true, _) => turns::ReasoningHistory::Native,
        (false, true) => turns::ReasoningHistory::Tags,
        (false, false) => turns::ReasoningHistory::Drop,
    };
    let mut image_count = 0;
    let mut turn_list = conversation
        .messages
        .iter()
        .enumerate()
        .map(|(i, m)| turns::from_message(m, i, history, &mut image_count))
        .collect::<Result<Vec<_>, _>>()?;

    let tool_traffic = turn_list
        .iter()
        .any(|t| !t.tool_uses.is_empty() || !t.tool_results.is_empty());
    let declare = !conversation.tools.is_empty()
        && (conversation.tool_choice != ToolChoice::None || tool_traffic);
    let mut toolset = if declare {
        client_tools
    } else {
        turns::downgrade_tool_traffic(&mut turn_list);
        tools::ToolSet::default()
    };

    let mut turn_list = turns::merge_neighbours(turn_list);
    turns::fix_sequence(&mut turn_list);
    pairing::repair_pairing(&mut turn_list);
    result_images::place(&mut turn_list);
    for turn in &mut turn_list {
        for tool_use in &mut turn.tool_uses {
            tool_use.name = toolset.name_for_history(&tool_use.name);
        }
    }

    fold_system_text(
        conversation,
        &toolset,
        native,
        options.identity_precedence,
        &mut turn_list,
    );

    let named = match &conversation.tool_choice {
        ToolChoice::Named(name) => toolset.lookup(name),
        _ => None,
    };
    let instruction =
        tool_choice::instruction(&conversation.tool_choice, named, !toolset.is_empty());

    let Some(mut current) = turn_list.pop() else {
        // fix_sequence never leaves the list empty; refuse rather than panic.
        return Err(PreflightError {
            rule: PreflightRule::NoMessages,
            message_index: None,
            detail: "nothing to send".into(),
        });
    };
    if let Some(instruction) = instruction {
        append_instruction(&mut current.text, &instruction);
    }

    let mut options = options.clone();
    options.reasoning_fields = conversation
        .thinking
        .as_ref()
        .and_then(|t| native_reasoning::request_fields(t, &options.reasoning));
    let body = body::render(&turn_list, &current, &toolset.specs, &options);
    let size = serde_json::to_vec(&body).map_or(usize::MAX, |b| b.len());
    if size > options.max_payload_bytes {
        return Err(PreflightError {
            rule: PreflightRule::PayloadSize,
            message_index: None,
            detail: format!(
                "the Kiro request body would be {size} bytes, over the limit of {} bytes; \
                 shorten the conversation or the tool list",
                options.max_payload_bytes
            ),
        });
    }
    Ok(KiroRequest {
        body,
        body_bytes: size,
        tool_names: std::mem::take(&mut toolset.reverse),
    })
}

/// System prompt + long tool docs (+ the identity precedence sentence after a client system
/// prompt), with the thinking prefix in front, prepended to the first (user) turn.
fn fold_system_text(
    conversation: &Conversation,
    toolset: &tools::ToolSet,
    native_reasoning: bool,
    identity_precedence: bool,
    turn_list: &mut [turns::Turn],
) {
    let mut system = String::new();
    if let Some(s) = conversation.system.as_deref() {
        if !s.trim().is_empty() {
            system.push_str(s);
        }
    }
    let client_system = !system.is_empty();
    turns::push_text(&mut system, &toolset.documentation(), "\n\n");
    if identity_precedence && client_system {
        turns::push_text(
            &mut system,
            identity::precedence_note(!toolset.is_empty()),
            "\n\n",
        );
    }
    let Some(first) = turn_list.first_mut() else {
        return;
    };
    if let Some(t) = conversation.thinking.as_ref().filter(|_| !native_reasoning) {
        if !thinking::already_present(&first.text) {
            system = thinking::inject(&system, t);
        }
    }
    if system.is_empty() {
        return;
    }
    first.text = if first.text.trim().is_empty() {
        system
    } else {
        format!("{system}\n\n{}", first.text)
    };
}

/// Append an instruction to the current message: replaces blank content, else after a
/// blank line.
fn append_instruction(text: &mut String, instruction: &str) {
    if text.trim().is_empty() {
        *text = instruction.to_string();
    } else {
        text.push_str("\n\n");
        text.push_str(instruction);
    }
}
