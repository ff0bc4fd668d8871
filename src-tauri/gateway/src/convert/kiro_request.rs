//! Neutral [`Conversation`] → Kiro `generateAssistantResponse` body, applying the preflight
//! rules of protocol doc §5. Anything that cannot be made valid is refused with a
//! [`PreflightError`] naming the rule and the message index, before anything goes upstream.

use std::collections::HashMap;

use serde_json::Value;

use super::conversation::Conversation;

/// Per-request inputs the conversation does not carry.
#[derive(Debug, Clone)]
pub struct KiroRequestOptions {
    /// Upstream model id, already normalised (dot form, e.g. `claude-sonnet-4.5`).
    pub model_id: String,
    pub profile_arn: Option<String>,
    pub conversation_id: String,
    /// Refuse bodies larger than this many bytes (the upstream answers an opaque 400).
    pub max_payload_bytes: usize,
}

/// A ready Kiro request body plus what is needed to map the answer back.
#[derive(Debug, Clone)]
pub struct KiroRequest {
    pub body: Value,
    /// Shortened tool name sent upstream → the client's original name.
    pub tool_names: HashMap<String, String>,
}

impl KiroRequest {
    /// The client's name for a tool name that came back from Kiro.
    pub fn original_tool_name<'a>(&'a self, upstream: &'a str) -> &'a str {
        self.tool_names.get(upstream).map(String::as_str).unwrap_or(upstream)
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{detail} (rule: {rule}{})", .message_index.map(|i| format!(", message {i}")).unwrap_or_default())]
pub struct PreflightError {
    /// Short rule name, e.g. `payload_size`, `tool_result_pairing`.
    pub rule: &'static str,
    /// Index into the client's `messages` array, when one message is at fault.
    pub message_index: Option<usize>,
    pub detail: String,
}

/// Build the Kiro body for `conversation`. Pure function.
pub fn build(
    conversation: &Conversation,
    options: &KiroRequestOptions,
) -> Result<KiroRequest, PreflightError> {
    let _ = (conversation, options);
    Err(PreflightError {
        rule: "unimplemented",
        message_index: None,
        detail: "request builder not written yet".into(),
    })
}
