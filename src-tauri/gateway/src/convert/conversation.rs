//! The neutral conversation every client dialect is parsed into, and the Kiro request is
//! built from. It keeps what the clients said, in their order; Kiro's rules are applied
//! later by [`super::kiro_request`].

use serde_json::Value;

/// Prefix of a system (or developer) message that appears after the conversation started:
/// Kiro has one system prompt, so a late one becomes a marked user turn.
pub const LATE_SYSTEM_PREFIX: &str = "[System message]\n";

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Conversation {
    /// The model name as the client sent it (echoed back in responses).
    pub model: String,
    /// System prompt text (all system parts joined with blank lines), if any.
    pub system: Option<String>,
    pub messages: Vec<Message>,
    pub tools: Vec<ToolSpec>,
    pub tool_choice: ToolChoice,
    /// Reasoning requested by the client (`None` = off).
    pub thinking: Option<Thinking>,
    /// Output cap requested by the client; enforced by the gateway on the output stream.
    pub max_output_tokens: Option<u32>,
    /// Stop sequences; enforced by the gateway on the output stream.
    pub stop_sequences: Vec<String>,
    /// A client session id to reuse as Kiro `conversationId` (e.g. Claude Code's), if any.
    pub session_id: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    User,
    Assistant,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    pub role: Role,
    pub parts: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Part {
    Text(String),
    Image(Image),
    ToolUse {
        id: String,
        name: String,
        /// Arguments as a JSON value (normally an object).
        input: Value,
    },
    ToolResult {
        tool_use_id: String,
        /// The result flattened to text.
        content: String,
        /// Images that came inside the tool result (moved to the user message upstream).
        images: Vec<Image>,
        is_error: bool,
    },
    /// Reasoning from an earlier assistant turn.
    Thinking {
        text: String,
        signature: Option<String>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Image {
    /// `image/png`, `image/jpeg`, `image/gif` or `image/webp`.
    pub media_type: String,
    /// Raw base64, no `data:` prefix.
    pub data_base64: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ToolSpec {
    pub name: String,
    pub description: String,
    pub input_schema: Value,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum ToolChoice {
    #[default]
    Auto,
    None,
    /// The model must call some tool.
    Required,
    /// The model must call this tool.
    Named(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Thinking {
    /// Token budget for the reasoning; `None` = adaptive.
    pub budget_tokens: Option<u32>,
}
