//! Typed Kiro stream events (protocol doc §6.4–6.5), decoded from event-stream frames.

use serde::{Deserialize, Serialize};

/// One decoded upstream event. Unknown event types are kept as [`KiroEvent::Other`] so
/// callers can ignore them without failing the stream.
#[derive(Debug, Clone, PartialEq)]
pub enum KiroEvent {
    /// `assistantResponseEvent`: an incremental text delta. Never de-duplicated.
    Text(String),
    /// `toolUseEvent`: one fragment of a tool call. `input` is the raw argument fragment
    /// (a JSON object payload is serialised to its JSON text); `stop` closes the call.
    ToolUse {
        tool_use_id: String,
        name: String,
        input: Option<String>,
        stop: bool,
    },
    /// `reasoningContentEvent` (native reasoning).
    Reasoning {
        text: Option<String>,
        signature: Option<String>,
        redacted_content: Option<String>,
    },
    /// `meteringEvent`: credits charged.
    Metering { usage: f64, unit: Option<String> },
    /// `contextUsageEvent`: percentage (0–100+) of the context window used by this turn.
    ContextUsage { percentage: f64 },
    /// `metadataEvent`: optional token usage and stop reason.
    Metadata {
        token_usage: Option<TokenUsage>,
        stop_reason: Option<String>,
    },
    /// `:message-type: exception` (or `invalidStateEvent`): a modelled error mid-stream.
    Exception {
        exception_type: String,
        message: String,
    },
    /// `:message-type: error`: a generic failure with code and message.
    Error { code: String, message: String },
    /// Any other event type; ignored by the converters.
    Other { event_type: String },
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenUsage {
    pub uncached_input_tokens: Option<u64>,
    pub output_tokens: Option<u64>,
    pub total_tokens: Option<u64>,
    pub cache_read_input_tokens: Option<u64>,
    pub cache_write_input_tokens: Option<u64>,
}
