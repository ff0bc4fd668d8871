//! The finish reason, from what the machine saw.

use crate::convert::output::FinishReason;
use crate::convert::text_shaper::Ended;
use crate::convert::tool_calls::ToolCallAssembler;
use crate::convert::trailer::Trailer;

/// First match wins: stop sequence; our `max_tokens` cut; `ContentLengthExceededException`;
/// `metadataEvent.stopReason` (`MAX_TOKENS`, `MODEL_CONTEXT_WINDOW_EXCEEDED`,
/// `CONTENT_FILTERED`); a tool call withheld or whose arguments are not valid JSON
/// (truncated upstream) → length; any tool call; context usage ≥ 100 %; text or reasoning
/// produced but no trailer at all (truncated stream, docs/kiro-protocol.md#truncation) →
/// length; otherwise a normal end.
pub fn finish_reason(
    ended: Option<Ended>,
    trailer: &Trailer,
    tools: &ToolCallAssembler,
    produced: bool,
) -> FinishReason {
    match ended {
        Some(Ended::StopSequence) => return FinishReason::StopSequence,
        Some(Ended::MaxTokens) => return FinishReason::MaxTokens,
        None => {}
    }
    if trailer.length_exceeded {
        return FinishReason::MaxTokens;
    }
    match trailer.stop_reason.as_deref() {
        Some("MAX_TOKENS") => return FinishReason::MaxTokens,
        Some("MODEL_CONTEXT_WINDOW_EXCEEDED") => return FinishReason::ContextWindow,
        Some("CONTENT_FILTERED") => return FinishReason::ContentFilter,
        _ => {}
    }
    let calls = tools.calls();
    if tools.has_withheld() || calls.iter().any(|c| c.parsed_arguments().is_none()) {
        return FinishReason::MaxTokens;
    }
    if !calls.is_empty() {
        return FinishReason::ToolCalls;
    }
    if trailer.context_percentage.is_some_and(|p| p >= 100.0) {
        return FinishReason::ContextWindow;
    }
    if !trailer.seen && produced {
        return FinishReason::MaxTokens;
    }
    FinishReason::EndTurn
}
