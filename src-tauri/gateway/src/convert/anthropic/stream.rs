//! Kiro events → Anthropic Messages stream events (streaming) or one `message` object
//! (non-streaming), through the same state machine [`MessageOutput`] — the Anthropic sibling
//! of [`crate::convert::openai::ChatOutput`].
//!
//! Event grammar (streaming):
//! `message_start` → for each block `content_block_start`, deltas, `content_block_stop` →
//! `message_delta` (stop reason + final usage) → `message_stop`. `ping` events are added by
//! the HTTP pump, not here. An upstream failure after the first byte ends the stream with an
//! `error` event instead of `message_delta`/`message_stop`.
//!
//! Rules:
//! * Exactly one block is open at a time; a block of another kind closes it. Indices count
//!   from 0 in emission order.
//! * Text: `text_delta`s as they arrive; identical consecutive chunks are never dropped
//!   (docs/kiro-protocol.md#duplicate-text); empty text events open no block.
//! * Thinking: native `reasoningContentEvent` text, or (with `reasoning_tags`) reasoning
//!   tagged at the start of the text ([`ReasoningTagParser`]; a partial tag never reaches a
//!   text block), becomes `thinking_delta`s. A thinking block is always closed with a
//!   `signature_delta` before its `content_block_stop`: the native signature when upstream
//!   sent one, else the placeholder `opts.placeholder_signature` (`sig_<32 hex>`).
//!   `redactedContent` becomes a `redacted_thinking` block.
//! * Tool calls: `content_block_start` with `{"type":"tool_use","id","name","input":{}}` on
//!   the first fragment (id = Kiro's `toolUseId`, unchanged, so the client's `tool_result`
//!   pairs with it; name mapped back through `tool_names`), then one `input_json_delta` per
//!   non-empty argument fragment, as it arrives. A fragment that arrives after its block was
//!   closed (another block started in between) is kept for the non-streaming `input` but
//!   cannot be streamed any more.
//! * `stop_sequences` are enforced on text across chunk boundaries ([`StopMatcher`]);
//!   `max_tokens` on text + thinking with the same estimate as the usage
//!   ([`crate::convert::usage`]). Tool inputs count towards usage but are never cut. When a
//!   limit hits, [`MessageOutput::is_finished`] turns true: drop the upstream and call
//!   [`MessageOutput::finish`].
//! * `stop_reason`, first match wins: stop sequence → `stop_sequence` (with `stop_sequence`
//!   set); our `max_tokens` cut, `ContentLengthExceededException`, `metadataEvent.stopReason`
//!   `MAX_TOKENS` → `max_tokens`; `MODEL_CONTEXT_WINDOW_EXCEEDED` or context usage ≥ 100 % →
//!   `model_context_window_exceeded`; `CONTENT_FILTERED` → `refusal`; a tool call whose input
//!   is not valid JSON (truncated upstream) → `max_tokens`; any tool call → `tool_use`; text
//!   produced but no trailer event at all (truncated stream, docs/kiro-protocol.md#truncation) →
//!   `max_tokens`; otherwise `end_turn`.
//!
//! **Usage** (`input_tokens`, `cache_creation_input_tokens`, `cache_read_input_tokens`,
//! `output_tokens`):
//! * `message_start` carries the local prompt estimate (the same number
//!   `/v1/messages/count_tokens` returns for the request) and `output_tokens: 0`;
//! * the final numbers (in `message_delta` and the non-streaming `message`): if a
//!   `metadataEvent` carried token counts they are used as-is (input = `uncachedInputTokens`,
//!   cache read / creation = `cacheReadInputTokens` / `cacheWriteInputTokens`, output =
//!   `outputTokens`); otherwise output = the local estimate of the thinking, text and tool
//!   names + inputs produced, input = `floor(contextUsagePercentage × context_window / 100) −
//!   output` (saturating) when a `contextUsageEvent` arrived, else the prompt estimate; cache
//!   fields are 0 unless upstream reported them.

use std::collections::HashMap;

use serde_json::{json, Value};

use crate::convert::openai::stream::{stream_error, CONTENT_LENGTH_EXCEEDED};
use crate::convert::text_shaper::{Ended, Piece, TextShaper};
use crate::convert::tool_calls::{ToolCallAssembler, ToolCallUpdate};
use crate::convert::trailer::{CompletionRule, Trailer};
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

/// A `sig_<32 hex>` placeholder signature.
pub fn placeholder_signature() -> String {
    format!("sig_{}", uuid::Uuid::new_v4().simple())
}

/// One server-sent event: `event: {name}` + `data: {data}`.
#[derive(Debug, Clone, PartialEq)]
pub struct SseEvent {
    pub name: &'static str,
    pub data: Value,
}

impl SseEvent {
    fn new(name: &'static str, data: Value) -> Self {
        SseEvent { name, data }
    }

    /// The wire form, `event: …\ndata: …\n\n`.
    pub fn to_wire(&self) -> String {
        format!("event: {}\ndata: {}\n\n", self.name, self.data)
    }

    /// A keep-alive.
    pub fn ping() -> Self {
        SseEvent::new("ping", json!({"type": "ping"}))
    }

    /// The `error` event for a failure after the first byte.
    pub fn error(error: &ApiError) -> Self {
        SseEvent::new("error", error.body(Dialect::Anthropic))
    }
}

/// A content block as the non-streaming message will show it.
#[derive(Debug, Clone)]
enum Block {
    Text(String),
    Thinking {
        thinking: String,
        signature: Option<String>,
    },
    Redacted(String),
    /// Index into the tool-call assembler.
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
    shaper: TextShaper,
    tools: ToolCallAssembler,
    blocks: Vec<Block>,
    /// The open block: its kind (its index is `blocks.len() - 1`).
    open: Option<OpenKind>,
    produced_text: bool,
    trailer: Trailer,
    error: Option<ApiError>,
    stop_reason: Option<&'static str>,
}

impl MessageOutput {
    pub fn new(opts: MessageOutputOptions) -> Self {
        let completion = opts.completion;
        MessageOutput {
            shaper: TextShaper::new(opts.reasoning_tags, &opts.stop_sequences, opts.max_tokens)
                .with_identity(opts.identity.clone()),
            tools: ToolCallAssembler::new(opts.tool_names.clone()),
            opts,
            blocks: Vec::new(),
            open: None,
            produced_text: false,
            trailer: Trailer::new(completion),
            error: None,
            stop_reason: None,
        }
    }

    /// The first event of a stream.
    pub fn message_start(&self) -> SseEvent {
        SseEvent::new(
            "message_start",
            json!({
                "type": "message_start",
                "message": {
                    "id": self.opts.id,
                    "type": "message",
                    "role": "assistant",
                    "model": self.opts.model,
                    "content": [],
                    "stop_reason": null,
                    "stop_sequence": null,
                    "usage": {
                        "input_tokens": self.opts.prompt_tokens_estimate,
                        "cache_creation_input_tokens": 0,
                        "cache_read_input_tokens": 0,
                        "output_tokens": 0,
                    },
                },
            }),
        )
    }

    /// True once a stop sequence or `max_tokens` ended the answer, an error was reported,
    /// or [`finish`](Self::finish) ran. The caller should stop reading upstream.
    pub fn is_finished(&self) -> bool {
        self.shaper.ended().is_some() || self.error.is_some() || self.stop_reason.is_some()
    }

    /// The error reported mid-stream, if any.
    pub fn error(&self) -> Option<&ApiError> {
        self.error.as_ref()
    }

    /// The final `stop_reason`, once [`finish`](Self::finish) ran.
    pub fn stop_reason(&self) -> Option<&'static str> {
        self.stop_reason
    }

    /// Feed one upstream event; returns the events to send, in order.
    pub fn on_event(&mut self, event: KiroEvent) -> Vec<SseEvent> {
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
                    if self.open == Some(OpenKind::Thinking) {
                        if let Some(Block::Thinking { signature: s, .. }) = self.blocks.last_mut() {
                            *s = Some(signature);
                        }
                    }
                }
                if let Some(data) = redacted_content.filter(|d| !d.is_empty()) {
                    self.close_block(&mut out);
                    let index = self.blocks.len();
                    self.blocks.push(Block::Redacted(data.clone()));
                    out.push(block_start(
                        index,
                        json!({"type": "redacted_thinking", "data": data}),
                    ));
                    out.push(block_stop(index));
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

    /// Report an error that happened outside the event stream (idle timeout, undecodable
    /// frame, network): held text is released and the open block closed, then the `error`
    /// event; the machine is finished.
    pub fn on_failure(&mut self, error: ApiError) -> Vec<SseEvent> {
        let mut out = Vec::new();
        if !self.is_finished() {
            self.fail(error, &mut out);
        }
        out
    }

    /// End of the upstream stream (or the caller stopped after [`is_finished`]): releases
    /// held text, closes the open block, then `message_delta` and `message_stop`. Returns
    /// nothing after an error or a second call.
    pub fn finish(&mut self) -> Vec<SseEvent> {
        let mut out = Vec::new();
        if self.error.is_some() || self.stop_reason.is_some() {
            return out;
        }
        if self.shaper.ended().is_none() {
            self.flush_text(&mut out);
        }
        let updates = self.tools.finish(self.trailer.seen);
        self.tool_updates(updates, &mut out);
        self.close_block(&mut out);
        let reason = self.compute_stop_reason();
        self.stop_reason = Some(reason);
        out.push(SseEvent::new(
            "message_delta",
            json!({
                "type": "message_delta",
                "delta": {"stop_reason": reason, "stop_sequence": self.stop_sequence()},
                "usage": self.usage(),
            }),
        ));
        out.push(SseEvent::new(
            "message_stop",
            json!({"type": "message_stop"}),
        ));
        out
    }

    /// The non-streaming `message` (runs [`finish`](Self::finish) if the caller did not).
    /// A mid-stream error is returned as `Err` so the caller answers with an error status.
    pub fn into_message(mut self) -> Result<Value, ApiError> {
        self.finish();
        if let Some(error) = self.error.take() {
            return Err(error);
        }
        let calls = self.tools.calls();
        let content: Vec<Value> = self
            .blocks
            .iter()
            .map(|block| match block {
                Block::Text(text) => json!({"type": "text", "text": text}),
                Block::Thinking {
                    thinking,
                    signature,
                } => json!({
                    "type": "thinking",
                    "thinking": thinking,
                    "signature": signature.as_deref().unwrap_or(&self.opts.placeholder_signature),
                }),
                Block::Redacted(data) => json!({"type": "redacted_thinking", "data": data}),
                Block::ToolUse(i) => {
                    let call = &calls[*i];
                    let input = match call.parsed_arguments() {
                        Some(v @ Value::Object(_)) => v,
                        _ => json!({}),
                    };
                    json!({"type": "tool_use", "id": call.upstream_id, "name": call.name, "input": input})
                }
            })
            .collect();
        Ok(json!({
            "id": self.opts.id,
            "type": "message",
            "role": "assistant",
            "model": self.opts.model,
            "content": content,
            "stop_reason": self.stop_reason.unwrap_or("end_turn"),
            "stop_sequence": self.stop_sequence(),
            "usage": self.usage(),
        }))
    }

    /// The final usage object (see the module documentation).
    pub fn usage(&self) -> Value {
        let estimate = self.shaper.tokens();
        let upstream = self.trailer.usage.as_ref();
        let output = upstream.and_then(|u| u.output_tokens).unwrap_or(estimate);
        let cache_read = upstream.and_then(|u| u.cache_read_input_tokens);
        let cache_write = upstream.and_then(|u| u.cache_write_input_tokens);
        let input = match (
            upstream.and_then(|u| u.uncached_input_tokens),
            self.trailer.context_tokens(self.opts.context_window),
        ) {
            (Some(uncached), _) => uncached,
            (None, Some(total)) => total
                .saturating_sub(output)
                .saturating_sub(cache_read.unwrap_or(0))
                .saturating_sub(cache_write.unwrap_or(0)),
            _ => self.opts.prompt_tokens_estimate,
        };
        let mut usage = json!({
            "input_tokens": input,
            "cache_creation_input_tokens": cache_write.unwrap_or(0),
            "cache_read_input_tokens": cache_read.unwrap_or(0),
            "output_tokens": output,
        });
        self.trailer.add_credits_to(&mut usage);
        usage
    }

    // -----------------------------------------------------------------------------------

    fn stop_sequence(&self) -> Value {
        match self.shaper.stop_sequence() {
            Some(s) => json!(s),
            None => Value::Null,
        }
    }

    fn compute_stop_reason(&self) -> &'static str {
        match self.shaper.ended() {
            Some(Ended::StopSequence) => return "stop_sequence",
            Some(Ended::MaxTokens) => return "max_tokens",
            None => {}
        }
        if self.trailer.length_exceeded {
            return "max_tokens";
        }
        match self.trailer.stop_reason.as_deref() {
            Some("MAX_TOKENS") => return "max_tokens",
            Some("MODEL_CONTEXT_WINDOW_EXCEEDED") => return "model_context_window_exceeded",
            Some("CONTENT_FILTERED") => return "refusal",
            _ => {}
        }
        let calls = self.tools.calls();
        if self.tools.has_withheld() || calls.iter().any(|c| c.parsed_arguments().is_none()) {
            return "max_tokens";
        }
        if !calls.is_empty() {
            return "tool_use";
        }
        if self.trailer.context_percentage.is_some_and(|p| p >= 100.0) {
            return "model_context_window_exceeded";
        }
        if !self.trailer.seen && self.produced_text {
            return "max_tokens";
        }
        "end_turn"
    }

    fn fail(&mut self, error: ApiError, out: &mut Vec<SseEvent>) {
        if self.shaper.ended().is_none() {
            self.flush_text(out);
        }
        self.close_block(out);
        out.push(SseEvent::error(&error));
        self.error = Some(error);
    }

    /// Release text held by the shaper.
    fn flush_text(&mut self, out: &mut Vec<SseEvent>) {
        let pieces = self.shaper.flush();
        self.emit(pieces, out);
    }

    fn emit(&mut self, pieces: Vec<Piece>, out: &mut Vec<SseEvent>) {
        for piece in pieces {
            self.produced_text = true;
            let (index, delta) = match piece {
                Piece::Content(part) => {
                    let index = self.ensure_open(OpenKind::Text, out);
                    if let Some(Block::Text(t)) = self.blocks.last_mut() {
                        t.push_str(&part);
                    }
                    (index, json!({"type": "text_delta", "text": part}))
                }
                Piece::Reasoning(part) => {
                    let index = self.ensure_open(OpenKind::Thinking, out);
                    if let Some(Block::Thinking { thinking, .. }) = self.blocks.last_mut() {
                        thinking.push_str(&part);
                    }
                    (index, json!({"type": "thinking_delta", "thinking": part}))
                }
            };
            out.push(block_delta(index, delta));
        }
    }

    /// The index of an open block of `kind`, opening one (and closing another) if needed.
    fn ensure_open(&mut self, kind: OpenKind, out: &mut Vec<SseEvent>) -> usize {
        if self.open == Some(kind) {
            return self.blocks.len() - 1;
        }
        self.close_block(out);
        let index = self.blocks.len();
        let (block, start) = match kind {
            OpenKind::Text => (
                Block::Text(String::new()),
                json!({"type": "text", "text": ""}),
            ),
            OpenKind::Thinking => (
                Block::Thinking {
                    thinking: String::new(),
                    signature: None,
                },
                json!({"type": "thinking", "thinking": "", "signature": ""}),
            ),
            OpenKind::ToolUse(i) => {
                let call = &self.tools.calls()[i];
                let start = json!({"type": "tool_use", "id": call.upstream_id, "name": call.name, "input": {}});
                (Block::ToolUse(i), start)
            }
        };
        self.blocks.push(block);
        self.open = Some(kind);
        out.push(block_start(index, start));
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
            out.push(block_delta(
                index,
                json!({"type": "signature_delta", "signature": signature}),
            ));
        }
        out.push(block_stop(index));
    }

    fn tool_updates(&mut self, updates: Vec<ToolCallUpdate>, out: &mut Vec<SseEvent>) {
        for update in updates {
            match update {
                ToolCallUpdate::Started { index, name, .. } => {
                    self.shaper.add_unlimited(&name);
                    self.ensure_open(OpenKind::ToolUse(index), out);
                }
                ToolCallUpdate::Arguments { index, fragment } => {
                    self.shaper.add_unlimited(&fragment);
                    if self.open == Some(OpenKind::ToolUse(index)) {
                        out.push(block_delta(
                            self.blocks.len() - 1,
                            json!({"type": "input_json_delta", "partial_json": fragment}),
                        ));
                    }
                }
                ToolCallUpdate::Completed { .. } => {}
            }
        }
    }
}

fn block_start(index: usize, block: Value) -> SseEvent {
    SseEvent::new(
        "content_block_start",
        json!({"type": "content_block_start", "index": index, "content_block": block}),
    )
}

fn block_delta(index: usize, delta: Value) -> SseEvent {
    SseEvent::new(
        "content_block_delta",
        json!({"type": "content_block_delta", "index": index, "delta": delta}),
    )
}

fn block_stop(index: usize) -> SseEvent {
    SseEvent::new(
        "content_block_stop",
        json!({"type": "content_block_stop", "index": index}),
    )
}
