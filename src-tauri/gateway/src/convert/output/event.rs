//! What the [`super::OutputMachine`] emits, in the order the client must see it.

use crate::convert::output::Usage;
use crate::error::ApiError;

/// One neutral output event.
#[derive(Debug, Clone, PartialEq)]
pub enum OutputEvent {
    /// Answer text (never empty).
    Text(String),
    /// Reasoning text, native or tagged (never empty).
    Reasoning(String),
    /// Kiro's signature for the reasoning so far (the last one sent wins).
    ReasoningSignature(String),
    /// Encrypted reasoning (Kiro's `redactedContent`), a stretch of its own.
    EncryptedReasoning(String),
    /// A complete tool call starts; `index` counts the calls of this answer from 0.
    ToolCallStart {
        index: usize,
        /// Kiro's `toolUseId`.
        id: String,
        /// The client's tool name.
        name: String,
    },
    /// A non-empty fragment of a call's JSON arguments (a late one may follow another
    /// call's start).
    ToolCallArguments { index: usize, fragment: String },
    /// The answer ended; nothing follows.
    Finish(Finish),
    /// An upstream error after the stream started; nothing follows.
    Failure(ApiError),
}

/// How the answer ended.
#[derive(Debug, Clone, PartialEq)]
pub struct Finish {
    pub reason: FinishReason,
    /// The stop sequence that ended the text ([`FinishReason::StopSequence`]).
    pub stop_sequence: Option<String>,
    pub usage: Usage,
}

/// Why the answer ended; each dialect names it its own way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FinishReason {
    /// A client stop sequence matched.
    StopSequence,
    /// Out of length: our `max_tokens` cut, `ContentLengthExceededException`, Kiro's
    /// `MAX_TOKENS`, a tool call cut off upstream, or a stream that ended without its
    /// trailer (docs/kiro-protocol.md#truncation).
    MaxTokens,
    /// Kiro's `MODEL_CONTEXT_WINDOW_EXCEEDED`, or context usage at 100 %.
    ContextWindow,
    /// Kiro's `CONTENT_FILTERED`.
    ContentFilter,
    /// The answer ends with tool calls.
    ToolCalls,
    /// A normal end.
    EndTurn,
}
