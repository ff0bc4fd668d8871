//! [`OutputEvent`]s → Anthropic Messages stream events (streaming) or one `message` object
//! (non-streaming), through the same renderer [`MessageOutput`] around the
//! [`OutputMachine`] (text shaping, limits, tool-call assembly, usage, errors: see
//! [`crate::convert::output`]).
//!
//! Event grammar (streaming):
//! `message_start` → for each block `content_block_start`, deltas, `content_block_stop` →
//! `message_delta` (stop reason + final usage) → `message_stop`. `ping` events are added by
//! the HTTP pump, not here. An upstream failure after the first byte closes the open block
//! and ends the stream with an `error` event instead of `message_delta`/`message_stop`.
//!
//! Dialect rules:
//! * Exactly one block is open at a time; a block of another kind closes it. Indices count
//!   from 0 in emission order. Text opens a `text` block, reasoning a `thinking` block.
//! * A thinking block is always closed with a `signature_delta` before its
//!   `content_block_stop`: the last signature Kiro sent while it was open, else the
//!   placeholder `opts.placeholder_signature` (`sig_<32 hex>`). Encrypted reasoning
//!   (`redactedContent`) becomes a `redacted_thinking` block.
//! * Tool calls: `content_block_start` with `{"type":"tool_use","id","name","input":{}}`
//!   (id = Kiro's `toolUseId`, unchanged, so the client's `tool_result` pairs with it), then
//!   one `input_json_delta` per argument fragment. A fragment that arrives after its block
//!   was closed is kept for the non-streaming `input` but cannot be streamed any more.
//! * `stop_reason`: `stop_sequence` (with `stop_sequence` set), `max_tokens`,
//!   `model_context_window_exceeded`, `refusal` (content filter), `tool_use`, `end_turn`.
//!
//! **Usage** (`input_tokens`, `cache_creation_input_tokens`, `cache_read_input_tokens`,
//! `output_tokens`): `message_start` carries the local prompt estimate (the same number
//! `/v1/messages/count_tokens` returns for the request) and `output_tokens: 0`; the final
//! numbers (in `message_delta` and the non-streaming `message`) are the uncached prompt
//! ([`crate::convert::output::Usage::uncached_prompt_tokens`]), the cache fields upstream
//! reported (else 0) and the output. The wire structs are in [`super::wire`].

use std::collections::HashMap;

use serde_json::{json, Value};

use super::wire::{BlockDelta, ContentBlock, MessageObject, MessageUsage, StopDelta, StreamEvent};
use crate::convert::output::{FinishReason, OutputEvent, OutputMachine, OutputOptions};
use crate::convert::trailer::CompletionRule;
use crate::error::{ApiError, Dialect};
use crate::kiro::events::KiroEvent;

/// Per-response settings.
#[derive(Debug, Clone, Default)]
pub struct MessageOutputOptions {
    /// `msg_…` id.
    pub id: String,
    /// Model name echoed to the client.
    pub model: String,
    /// Upstream (shortened) tool name → the client's name.
    pub tool_names: HashMap<String, String>,
    pub stop_sequences: Vec<String>,
    pub max_tokens: Option<u32>,
    /// Parse `<thinking>`-style tags at the start of the text into thinking blocks.
    pub reasoning_tags: bool,
    /// What counts as a completed answer.
    pub completion: CompletionRule,
    /// Local estimate of the prompt (also `message_start`'s `input_tokens`).
    pub prompt_tokens_estimate: u64,
    /// The model's context window, to turn `contextUsagePercentage` into tokens.
    pub context_window: u64,
    /// Signature for thinking blocks upstream did not sign (`sig_<32 hex>`).
    pub placeholder_signature: String,
    /// IDE-identity sanitising of the text (`None`: off; [`crate::convert::identity`]).
    pub identity: Option<crate::convert::identity::IdentityPolicy>,
}

impl MessageOutputOptions {
    /// The machine's share of the settings.
    pub fn output_options(&self) -> OutputOptions {
        OutputOptions {
            tool_names: self.tool_names.clone(),
            stop: self.stop_sequences.clone(),
            max_tokens: self.max_tokens,
            reasoning_tags: self.reasoning_tags,
            completion: self.completion,
            prompt_tokens_estimate: self.prompt_tokens_estimate,
            context_window: self.context_window,
            identity: self.identity.clone(),
        }
    }
}

/// A `sig_<32 hex>` placeholder signature.
pub fn placeholder_signature() -> String {
    format!("sig_{}", uuid::Uuid::new_v4().simple())
}

/// Anthropic's name for a [`FinishReason`].
pub fn stop_reason_name(reason: FinishReason) -> &'static str {
    match reason {
        FinishReason::StopSequence => "stop_sequence",
        FinishReason::MaxTokens => "max_tokens",
        FinishReason::ContextWindow => "model_context_window_exceeded",
        FinishReason::ContentFilter => "refusal",
        FinishReason::ToolCalls => "tool_use",
        FinishReason::EndTurn => "end_turn",
    }
}

/// One server-sent event: `event: {name}` + `data: {data}`.
#[derive(Debug, Clone, PartialEq)]
pub struct SseEvent {
    pub name: &'static str,
    pub data: Value,
}

impl SseEvent {
    fn new(event: StreamEvent) -> Self {
        SseEvent {
            name: event.name(),
            data: serde_json::to_value(&event).unwrap_or(Value::Null),
        }
    }

    /// The wire form, `event: …\ndata: …\n\n`.
    pub fn to_wire(&self) -> String {
        format!("event: {}\ndata: {}\n\n", self.name, self.data)
    }

    /// A keep-alive.
    pub fn ping() -> Self {
        SseEvent::new(StreamEvent::Ping)
    }

    /// The `error` event for a failure after the first byte.
    pub fn error(error: &ApiError) -> Self {
        SseEvent {
            name: "error",
            data: error.body(Dialect::Anthropic),
        }
    }
}

// --- the renderer ----------------------------------------------------------------------

/// A content block as the non-streaming message will show it.
#[derive(Debug, Clone)]
enum Block {
    Text(String),
    Thinking {
        thinking: String,
        signature: Option<String>,
    },
    Redacted(String),
    /// Index of the tool call.
    ToolUse(usize),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OpenKind {
    Text,
    Thinking,
    ToolUse(usize),
}

/// See the module documentation.
#[derive(Debug)]
pub struct MessageOutput {
    opts: MessageOutputOptions,
    machine: OutputMachine,
    blocks: Vec<Block>,
    /// The open block: its kind (its index is `blocks.len() - 1`).
    open: Option<OpenKind>,
    stop_reason: Option<&'static str>,
}

impl MessageOutput {
    pub fn new(opts: MessageOutputOptions) -> Self {
        MessageOutput {
            machine: OutputMachine::new(opts.output_options()),
            opts,
            blocks: Vec::new(),
            open: None,
            stop_reason: None,
        }
    }

    /// The first event of a stream.
    pub fn message_start(&self) -> SseEvent {
        SseEvent::new(StreamEvent::MessageStart {
            message: MessageObject {
                id: &self.opts.id,
                kind: "message",
                role: "assistant",
                model: &self.opts.model,
                content: Vec::new(),
                stop_reason: None,
                stop_sequence: None,
                usage: MessageUsage {
                    input_tokens: self.opts.prompt_tokens_estimate,
                    cache_creation_input_tokens: 0,
                    cache_read_input_tokens: 0,
                    output_tokens: 0,
                    kiro_credits: None,
                },
            },
        })
    }

    /// True once the answer ended ([`OutputMachine::is_finished`]). The caller should stop
    /// reading upstream (and call [`finish`](Self::finish)).
    pub fn is_finished(&self) -> bool {
        self.machine.is_finished()
    }

    /// The error reported mid-stream, if any.
    pub fn error(&self) -> Option<&ApiError> {
        self.machine.error()
    }

    #[cfg(test)]
    /// The final `stop_reason`, once [`finish`](Self::finish) ran.
    pub fn stop_reason(&self) -> Option<&'static str> {
        self.stop_reason
    }

    /// Feed one upstream event; returns the events to send, in order.
    pub fn on_event(&mut self, event: KiroEvent) -> Vec<SseEvent> {
        let events = self.machine.on_event(event);
        self.render(events)
    }

    /// Report an error that happened outside the event stream (idle timeout, undecodable
    /// frame, network): held text is released and the open block closed, then the `error`
    /// event.
    pub fn on_failure(&mut self, error: ApiError) -> Vec<SseEvent> {
        let events = self.machine.on_failure(error);
        self.render(events)
    }

    /// End of the upstream stream (or the caller stopped after [`is_finished`]): releases
    /// held text, closes the open block, then `message_delta` and `message_stop`. Returns
    /// nothing after an error or a second call.
    pub fn finish(&mut self) -> Vec<SseEvent> {
        let events = self.machine.finish();
        self.render(events)
    }

    /// The non-streaming `message` (runs [`finish`](Self::finish) if the caller did not).
    /// A mid-stream error is returned as `Err` so the caller answers with an error status.
    pub fn into_message(mut self) -> Result<Value, ApiError> {
        self.finish();
        if let Some(error) = self.machine.take_error() {
            return Err(error);
        }
        let calls = self.machine.tool_calls();
        let content = self
            .blocks
            .iter()
            .map(|block| match block {
                Block::Text(text) => ContentBlock::Text { text },
                Block::Thinking {
                    thinking,
                    signature,
                } => ContentBlock::Thinking {
                    thinking,
                    signature: signature
                        .as_deref()
                        .unwrap_or(&self.opts.placeholder_signature),
                },
                Block::Redacted(data) => ContentBlock::RedactedThinking { data },
                Block::ToolUse(i) => {
                    let call = &calls[*i];
                    let input = match call.parsed_arguments() {
                        Some(v @ Value::Object(_)) => v,
                        _ => json!({}),
                    };
                    ContentBlock::ToolUse {
                        id: &call.upstream_id,
                        name: &call.name,
                        input,
                    }
                }
            })
            .collect();
        let message = MessageObject {
            id: &self.opts.id,
            kind: "message",
            role: "assistant",
            model: &self.opts.model,
            content,
            stop_reason: Some(self.stop_reason.unwrap_or("end_turn")),
            stop_sequence: self.machine.stop_sequence(),
            usage: MessageUsage::from(&self.machine.usage()),
        };
        Ok(serde_json::to_value(message).unwrap_or(Value::Null))
    }

    /// The final usage object (see the module documentation).
    pub fn usage(&self) -> Value {
        serde_json::to_value(MessageUsage::from(&self.machine.usage())).unwrap_or(Value::Null)
    }

    // -----------------------------------------------------------------------------------

    fn render(&mut self, events: Vec<OutputEvent>) -> Vec<SseEvent> {
        let mut out = Vec::new();
        for event in events {
            match event {
                OutputEvent::Text(part) => {
                    let index = self.ensure_open(OpenKind::Text, None, &mut out);
                    if let Some(Block::Text(t)) = self.blocks.last_mut() {
                        t.push_str(&part);
                    }
                    out.push(block_delta(index, BlockDelta::Text { text: part }));
                }
                OutputEvent::Reasoning(part) => {
                    let index = self.ensure_open(OpenKind::Thinking, None, &mut out);
                    if let Some(Block::Thinking { thinking, .. }) = self.blocks.last_mut() {
                        thinking.push_str(&part);
                    }
                    out.push(block_delta(index, BlockDelta::Thinking { thinking: part }));
                }
                OutputEvent::ReasoningSignature(signature) => {
                    if self.open == Some(OpenKind::Thinking) {
                        if let Some(Block::Thinking { signature: s, .. }) = self.blocks.last_mut() {
                            *s = Some(signature);
                        }
                    }
                }
                OutputEvent::EncryptedReasoning(data) => {
                    self.close_block(&mut out);
                    let index = self.blocks.len();
                    out.push(SseEvent::new(StreamEvent::ContentBlockStart {
                        index,
                        content_block: ContentBlock::RedactedThinking { data: &data },
                    }));
                    out.push(SseEvent::new(StreamEvent::ContentBlockStop { index }));
                    self.blocks.push(Block::Redacted(data));
                }
                OutputEvent::ToolCallStart { index, id, name } => {
                    self.ensure_open(
                        OpenKind::ToolUse(index),
                        Some((id.as_str(), name.as_str())),
                        &mut out,
                    );
                }
                OutputEvent::ToolCallArguments { index, fragment } => {
                    if self.open == Some(OpenKind::ToolUse(index)) {
                        out.push(block_delta(
                            self.blocks.len() - 1,
                            BlockDelta::InputJson {
                                partial_json: fragment,
                            },
                        ));
                    }
                }
                OutputEvent::Finish(finish) => {
                    self.close_block(&mut out);
                    let reason = stop_reason_name(finish.reason);
                    self.stop_reason = Some(reason);
                    out.push(SseEvent::new(StreamEvent::MessageDelta {
                        delta: StopDelta {
                            stop_reason: reason,
                            stop_sequence: finish.stop_sequence.as_deref(),
                        },
                        usage: MessageUsage::from(&finish.usage),
                    }));
                    out.push(SseEvent::new(StreamEvent::MessageStop));
                }
                OutputEvent::Failure(error) => {
                    self.close_block(&mut out);
                    out.push(SseEvent::error(&error));
                }
            }
        }
        out
    }

    /// The index of an open block of `kind`, opening one (and closing another) if needed;
    /// a tool-use block needs the call's id and name.
    fn ensure_open(
        &mut self,
        kind: OpenKind,
        call: Option<(&str, &str)>,
        out: &mut Vec<SseEvent>,
    ) -> usize {
        if self.open == Some(kind) {
            return self.blocks.len() - 1;
        }
        self.close_block(out);
        let index = self.blocks.len();
        let (block, start) = match kind {
            OpenKind::Text => (Block::Text(String::new()), ContentBlock::Text { text: "" }),
            OpenKind::Thinking => (
                Block::Thinking {
                    thinking: String::new(),
                    signature: None,
                },
                ContentBlock::Thinking {
                    thinking: "",
                    signature: "",
                },
            ),
            OpenKind::ToolUse(i) => {
                let (id, name) = call.unwrap_or_default();
                (
                    Block::ToolUse(i),
                    ContentBlock::ToolUse {
                        id,
                        name,
                        input: json!({}),
                    },
                )
            }
        };
        out.push(SseEvent::new(StreamEvent::ContentBlockStart {
            index,
            content_block: start,
        }));
        self.blocks.push(block);
        self.open = Some(kind);
        index
    }

    fn close_block(&mut self, out: &mut Vec<SseEvent>) {
        let Some(kind) = self.open.take() else {
            return;
        };
        let index = self.blocks.len() - 1;
        if kind == OpenKind::Thinking {
            let signature = match self.blocks.last() {
                Some(Block::Thinking {
                    signature: Some(s), ..
                }) => s.clone(),
                _ => self.opts.placeholder_signature.clone(),
            };
            out.push(block_delta(index, BlockDelta::Signature { signature }));
        }
        out.push(SseEvent::new(StreamEvent::ContentBlockStop { index }));
    }
}

fn block_delta(index: usize, delta: BlockDelta) -> SseEvent {
    SseEvent::new(StreamEvent::ContentBlockDelta { index, delta })
}
