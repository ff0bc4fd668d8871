//! [`OutputMachine`]: Kiro events in, [`OutputEvent`]s out (rules in [`super`]).

use std::collections::HashMap;

use crate::convert::identity::IdentityPolicy;
use crate::convert::output::finish::finish_reason;
use crate::convert::output::{
    stream_error, Finish, FinishReason, OutputEvent, Usage, CONTENT_LENGTH_EXCEEDED,
};
use crate::convert::text_shaper::{Ended, Piece, TextShaper};
use crate::convert::tool_calls::{ToolCall, ToolCallAssembler, ToolCallUpdate};
use crate::convert::trailer::{CompletionRule, Trailer};
use crate::error::ApiError;
use crate::kiro::events::KiroEvent;

/// Per-answer settings.
#[derive(Debug, Clone, Default)]
pub struct OutputOptions {
    /// Upstream (shortened) tool name → the client's name.
    pub tool_names: HashMap<String, String>,
    pub stop: Vec<String>,
    pub max_tokens: Option<u32>,
    /// Parse `<thinking>`-style tags at the start of the text into reasoning.
    pub reasoning_tags: bool,
    /// What counts as a completed answer.
    pub completion: CompletionRule,
    /// Local estimate of the prompt, used when upstream gives nothing better.
    pub prompt_tokens_estimate: u64,
    /// The model's context window, to turn `contextUsagePercentage` into tokens.
    pub context_window: u64,
    /// IDE-identity sanitising of the text (`None`: off; [`crate::convert::identity`]).
    pub identity: Option<IdentityPolicy>,
}

/// See the module documentation of [`super`].
#[derive(Debug)]
pub struct OutputMachine {
    prompt_tokens_estimate: u64,
    context_window: u64,
    shaper: TextShaper,
    tools: ToolCallAssembler,
    content: String,
    reasoning: String,
    trailer: Trailer,
    error: Option<ApiError>,
    finish: Option<FinishReason>,
}

impl OutputMachine {
    pub fn new(opts: OutputOptions) -> Self {
        OutputMachine {
            shaper: TextShaper::new(opts.reasoning_tags, &opts.stop, opts.max_tokens)
                .with_identity(opts.identity),
            tools: ToolCallAssembler::new(opts.tool_names),
            prompt_tokens_estimate: opts.prompt_tokens_estimate,
            context_window: opts.context_window,
            content: String::new(),
            reasoning: String::new(),
            trailer: Trailer::new(opts.completion),
            error: None,
            finish: None,
        }
    }

    /// True once a stop sequence or `max_tokens` ended the answer, an error was reported,
    /// or [`finish`](Self::finish) ran. The caller should stop reading upstream.
    pub fn is_finished(&self) -> bool {
        self.shaper.ended().is_some() || self.error.is_some() || self.finish.is_some()
    }

    /// Set once a stop sequence or `max_tokens` cut the text.
    pub fn cut(&self) -> Option<Ended> {
        self.shaper.ended()
    }

    /// The error reported mid-stream, if any.
    pub fn error(&self) -> Option<&ApiError> {
        self.error.as_ref()
    }

    /// Take the error reported mid-stream.
    pub fn take_error(&mut self) -> Option<ApiError> {
        self.error.take()
    }

    /// The finish reason, once [`finish`](Self::finish) ran.
    pub fn finish_reason(&self) -> Option<FinishReason> {
        self.finish
    }

    /// The stop sequence that ended the text.
    pub fn stop_sequence(&self) -> Option<&str> {
        self.shaper.stop_sequence()
    }

    /// All answer text so far.
    pub fn content(&self) -> &str {
        &self.content
    }

    /// All reasoning text so far.
    pub fn reasoning(&self) -> &str {
        &self.reasoning
    }

    /// The released tool calls, with every fragment received (late ones too).
    pub fn tool_calls(&self) -> &[ToolCall] {
        self.tools.calls()
    }

    /// The usage so far ([`Usage`]).
    pub fn usage(&self) -> Usage {
        Usage::new(
            &self.trailer,
            self.context_window,
            self.shaper.tokens(),
            self.prompt_tokens_estimate,
            &self.reasoning,
        )
    }

    /// Feed one upstream event; returns what it produced, in order.
    pub fn on_event(&mut self, event: KiroEvent) -> Vec<OutputEvent> {
        let mut out = Vec::new();
        self.trailer.record(&event);
        if self.is_finished() {
            return out;
        }
        match event {
            KiroEvent::Text(text) => {
                if !text.is_empty() {
                    let pieces = self.shaper.text(&text);
                    self.emit(pieces, &mut out);
                }
            }
            KiroEvent::ToolUse {
                tool_use_id,
                name,
                input,
                stop,
            } => {
                self.flush_text(&mut out);
                if self.shaper.ended().is_none() {
                    let updates = self.tools.push(&tool_use_id, &name, input.as_deref(), stop);
                    self.tool_updates(updates, &mut out);
                }
            }
            KiroEvent::Reasoning {
                text,
                signature,
                redacted_content,
            } => {
                if let Some(text) = text.filter(|t| !t.is_empty()) {
                    let pieces = self.shaper.reasoning(&text);
                    self.emit(pieces, &mut out);
                }
                if let Some(signature) = signature.filter(|s| !s.is_empty()) {
                    out.push(OutputEvent::ReasoningSignature(signature));
                }
                if let Some(data) = redacted_content.filter(|d| !d.is_empty()) {
                    out.push(OutputEvent::EncryptedReasoning(data));
                }
            }
            KiroEvent::Exception {
                exception_type,
                message,
            } => {
                if exception_type == CONTENT_LENGTH_EXCEEDED {
                    self.trailer.mark_length_exceeded();
                } else {
                    self.fail(stream_error(&exception_type, &message), &mut out);
                }
            }
            KiroEvent::Error { code, message } => {
                self.fail(stream_error(&code, &message), &mut out);
            }
            KiroEvent::Metering { .. }
            | KiroEvent::ContextUsage { .. }
            | KiroEvent::Metadata { .. }
            | KiroEvent::Other { .. } => {}
        }
        out
    }

    /// An error outside the event stream (idle timeout, undecodable frame, network): held
    /// text is released, then [`OutputEvent::Failure`]; the machine is finished.
    pub fn on_failure(&mut self, error: ApiError) -> Vec<OutputEvent> {
        let mut out = Vec::new();
        if !self.is_finished() {
            self.fail(error, &mut out);
        }
        out
    }

    /// End of the upstream stream (or the caller stopped after
    /// [`is_finished`](Self::is_finished)): held text is released, calls complete by the
    /// trailer are released, then [`OutputEvent::Finish`]. Returns nothing after an error
    /// or a second call.
    pub fn finish(&mut self) -> Vec<OutputEvent> {
        let mut out = Vec::new();
        if self.error.is_some() || self.finish.is_some() {
            return out;
        }
        if self.shaper.ended().is_none() {
            self.flush_text(&mut out);
        }
        let updates = self.tools.finish(self.trailer.seen);
        self.tool_updates(updates, &mut out);
        let produced = !self.content.is_empty() || !self.reasoning.is_empty();
        let reason = finish_reason(self.shaper.ended(), &self.trailer, &self.tools, produced);
        self.finish = Some(reason);
        out.push(OutputEvent::Finish(Finish {
            reason,
            stop_sequence: self.shaper.stop_sequence().map(str::to_owned),
            usage: self.usage(),
        }));
        out
    }

    // -----------------------------------------------------------------------------------

    fn fail(&mut self, error: ApiError, out: &mut Vec<OutputEvent>) {
        if self.shaper.ended().is_none() {
            self.flush_text(out);
        }
        out.push(OutputEvent::Failure(error.clone()));
        self.error = Some(error);
    }

    /// Release text held by the shaper.
    fn flush_text(&mut self, out: &mut Vec<OutputEvent>) {
        let pieces = self.shaper.flush();
        self.emit(pieces, out);
    }

    fn emit(&mut self, pieces: Vec<Piece>, out: &mut Vec<OutputEvent>) {
        for piece in pieces {
            out.push(match piece {
                Piece::Content(part) => {
                    self.content.push_str(&part);
                    OutputEvent::Text(part)
                }
                Piece::Reasoning(part) => {
                    self.reasoning.push_str(&part);
                    OutputEvent::Reasoning(part)
                }
            });
        }
    }

    fn tool_updates(&mut self, updates: Vec<ToolCallUpdate>, out: &mut Vec<OutputEvent>) {
        for update in updates {
            match update {
                ToolCallUpdate::Started {
                    index,
                    upstream_id,
                    name,
                } => {
                    self.shaper.add_unlimited(&name);
                    out.push(OutputEvent::ToolCallStart {
                        index,
                        id: upstream_id,
                        name,
                    });
                }
                ToolCallUpdate::Arguments { index, fragment } => {
                    self.shaper.add_unlimited(&fragment);
                    out.push(OutputEvent::ToolCallArguments { index, fragment });
                }
                ToolCallUpdate::Completed { .. } => {}
            }
        }
    }
}
