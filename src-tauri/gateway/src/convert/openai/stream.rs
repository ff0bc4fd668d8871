//! Kiro events → OpenAI `chat.completion.chunk`s (streaming) or one `chat.completion`
//! (non-streaming), through the same state machine [`ChatOutput`].
//!
//! Rules:
//! * The first chunk carries `delta.role = "assistant"` together with the first real delta.
//! * Text deltas go out as they arrive; identical consecutive chunks are **never** dropped
//!   (docs/kiro-protocol.md#duplicate-text); empty text events are skipped.
//! * Tool calls are streamed incrementally: an opening delta (`index`, `id`, `type`,
//!   `function.name` mapped back through `tool_names`, `arguments: ""`), then one delta per
//!   non-empty Kiro argument fragment. Ids are `call_` + the Kiro `toolUseId` without its
//!   `tooluse_` prefix (ids already starting with `call_` are kept).
//! * Native reasoning and (with `reasoning_tags`) tagged reasoning at the start of the text
//!   ([`crate::convert::reasoning_tags`]) become `delta.reasoning_content`.
//! * Signed native reasoning, which Kiro must get back on a later turn, also goes out the
//!   way OpenRouter sends it: once a stretch of reasoning ends (text, a tool call or the end
//!   follows), one `delta.reasoning_details` item `{"type": "reasoning.text", "text",
//!   "signature", "format": "kiro", "index"}` with the stretch's text and the last signature
//!   Kiro sent for it; the non-streaming message lists them all. Clients hand the assistant
//!   message back with it and the request side replays it ([`super::request`]). Encrypted
//!   reasoning (`redactedContent`, GPT's) goes out at once as `{"type":
//!   "reasoning.encrypted", "data", "format": "kiro", "index"}`.
//! * `stop` sequences are enforced on content across chunk boundaries
//!   ([`crate::convert::stop`]); `max_tokens` on content + reasoning with the same estimate as
//!   `usage` ([`crate::convert::usage`]). Tool-call arguments count towards usage but are
//!   never cut. When either limit hits, [`ChatOutput::is_finished`] turns true: the caller
//!   should drop the upstream and call [`ChatOutput::finish`].
//! * `finish_reason`, first match wins: stop sequence → `stop`; our `max_tokens` cut,
//!   `ContentLengthExceededException`, `metadataEvent.stopReason` `MAX_TOKENS` /
//!   `MODEL_CONTEXT_WINDOW_EXCEEDED` → `length`; `CONTENT_FILTERED` → `content_filter`; a
//!   tool call whose arguments are not valid JSON (truncated upstream) → `length`; any tool
//!   call → `tool_calls`; context usage ≥ 100 % → `length`; text produced but no trailer
//!   event at all (truncated stream, docs/kiro-protocol.md#truncation) → `length`; otherwise
//!   `stop`.
//! * An exception (other than `ContentLengthExceededException`) or error event makes
//!   [`ChatOutput::on_event`] release held text, then return an `{"error":{…}}` chunk; the
//!   machine is finished, [`ChatOutput::finish`] returns nothing, and the caller sends
//!   `data: [DONE]`.
//!
//! **Usage** (`prompt_tokens`, `completion_tokens`, `total_tokens`, plus
//! `completion_tokens_details.reasoning_tokens` when there was reasoning):
//! * if a `metadataEvent` carried token counts, they are used as-is (prompt = uncached +
//!   cache read + cache write input tokens; completion = output tokens; cache reads are
//!   also reported as `prompt_tokens_details.cached_tokens`);
//! * otherwise `completion_tokens` = the local estimate ([`crate::convert::usage`]) of the
//!   content, reasoning and tool-call names + arguments produced, and `prompt_tokens` =
//!   `floor(contextUsagePercentage × context_window / 100) − completion_tokens` (saturating)
//!   when a `contextUsageEvent` arrived, else `prompt_tokens_estimate`.

use std::collections::HashMap;

use serde_json::{json, Map, Value};

use crate::convert::text_shaper::{Ended, Piece, TextShaper};
use crate::convert::tool_calls::{ToolCallAssembler, ToolCallUpdate};
use crate::convert::trailer::{CompletionRule, Trailer};
use crate::convert::usage::estimate_tokens;
use crate::error::{ApiError, Dialect, ErrorKind};
use crate::kiro::events::KiroEvent;

/// The exception Kiro sends when the output hit its length limit (finishes normally).
pub const CONTENT_LENGTH_EXCEEDED: &str = "ContentLengthExceededException";

/// `format` of the `reasoning_details` items the gateway writes.
pub const REASONING_FORMAT: &str = "kiro";

/// Per-response settings.
#[derive(Debug, Clone, Default)]
pub struct ChatOutputOptions {
    /// `chatcmpl-…` id shared by every chunk.
    pub id: String,
    /// Model name echoed to the client.
    pub model: String,
    /// Unix seconds.
    pub created: i64,
    /// `stream_options.include_usage`.
    pub include_usage: bool,
    /// Upstream (shortened) tool name → the client's name.
    pub tool_names: HashMap<String, String>,
    pub stop: Vec<String>,
    pub max_tokens: Option<u32>,
    /// Parse `<thinking>`-style tags at the start of the text into `reasoning_content`.
    pub reasoning_tags: bool,
    /// What counts as a completed answer.
    pub completion: CompletionRule,
    /// Local estimate of the prompt, used when upstream gives nothing better.
    pub prompt_tokens_estimate: u64,
    /// The model's context window, to turn `contextUsagePercentage` into tokens.
    pub context_window: u64,
    /// IDE-identity sanitising of the content (`None`: off; [`crate::convert::identity`]).
    pub identity: Option<crate::convert::identity::IdentityPolicy>,
}

/// See the module documentation.
#[derive(Debug)]
pub struct ChatOutput {
    opts: ChatOutputOptions,
    shaper: TextShaper,
    tools: ToolCallAssembler,
    role_sent: bool,
    content: String,
    reasoning: String,
    /// Reasoning text since the last `reasoning_details` item.
    stretch: String,
    /// The signature of that stretch, once Kiro sent one.
    signature: Option<String>,
    /// The `reasoning_details` items so far, for the non-streaming message.
    details: Vec<Value>,
    trailer: Trailer,
    error: Option<ApiError>,
    finish_reason: Option<&'static str>,
}

/// The OpenAI tool-call id for a Kiro `toolUseId`.
pub fn openai_call_id(tool_use_id: &str) -> String {
    if tool_use_id.starts_with("call_") {
        tool_use_id.to_string()
    } else {
        format!(
            "call_{}",
            tool_use_id.strip_prefix("tooluse_").unwrap_or(tool_use_id)
        )
    }
}

/// The `data:` object that reports an error in an OpenAI stream (followed by `[DONE]`).
pub fn error_chunk(error: &ApiError) -> Value {
    error.body(Dialect::OpenAi)
}

/// An [`ApiError`] for an exception or error frame received after the `200`.
pub fn stream_error(name: &str, message: &str) -> ApiError {
    let kind = if name.contains("Throttling") || name.contains("TooManyRequests") {
        ErrorKind::RateLimit
    } else if name.contains("Quota") {
        ErrorKind::InsufficientQuota
    } else if name.contains("Validation") {
        ErrorKind::InvalidRequest
    } else if name.contains("AccessDenied") {
        ErrorKind::Permission
    } else if name.contains("ServiceUnavailable") || name.contains("Overloaded") {
        ErrorKind::Overloaded
    } else {
        ErrorKind::Upstream
    };
    let message = if message.is_empty() {
        format!("Upstream error during the response ({name}).")
    } else {
        format!("Upstream error during the response ({name}): {message}")
    };
    ApiError::new(kind, message).with_code(name)
}

impl ChatOutput {
    pub fn new(opts: ChatOutputOptions) -> Self {
        let completion = opts.completion;
        ChatOutput {
            shaper: TextShaper::new(opts.reasoning_tags, &opts.stop, opts.max_tokens)
                .with_identity(opts.identity.clone()),
            tools: ToolCallAssembler::new(opts.tool_names.clone()),
            opts,
            role_sent: false,
            content: String::new(),
            reasoning: String::new(),
            stretch: String::new(),
            signature: None,
            details: Vec::new(),
            trailer: Trailer::new(completion),
            error: None,
            finish_reason: None,
        }
    }

    /// True once a stop sequence or `max_tokens` ended the answer, an error was reported,
    /// or [`finish`](Self::finish) ran. The caller should stop reading upstream.
    pub fn is_finished(&self) -> bool {
        self.shaper.ended().is_some() || self.error.is_some() || self.finish_reason.is_some()
    }

    /// The error reported mid-stream, if any.
    pub fn error(&self) -> Option<&ApiError> {
        self.error.as_ref()
    }

    /// The final `finish_reason`, once [`finish`](Self::finish) ran.
    pub fn finish_reason(&self) -> Option<&'static str> {
        self.finish_reason
    }

    /// Feed one upstream event; returns the chunks to send, in order.
    pub fn on_event(&mut self, event: KiroEvent) -> Vec<Value> {
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
                if self.shaper.ended().is_none() {
                    if let Some(signature) = signature.filter(|s| !s.is_empty()) {
                        self.signature = Some(signature);
                    }
                    if let Some(data) = redacted_content.filter(|d| !d.is_empty()) {
                        self.end_stretch(&mut out);
                        self.push_detail(
                            json!({"type": "reasoning.encrypted", "data": data}),
                            &mut out,
                        );
                    }
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

    /// Report an error that happened outside the event stream (e.g. an idle timeout or an
    /// undecodable frame): held text is released, then the error chunk; the machine is
    /// finished.
    pub fn on_failure(&mut self, error: ApiError) -> Vec<Value> {
        let mut out = Vec::new();
        if !self.is_finished() {
            self.fail(error, &mut out);
        }
        out
    }

    /// End of the upstream stream (or the caller stopped after [`is_finished`]): releases
    /// held text, then the chunk with `finish_reason`, then — only with `include_usage` — a
    /// chunk with `choices: []` and `usage`. Returns nothing after an error or a second call.
    pub fn finish(&mut self) -> Vec<Value> {
        let mut out = Vec::new();
        if self.error.is_some() || self.finish_reason.is_some() {
            return out;
        }
        if self.shaper.ended().is_none() {
            self.flush_text(&mut out);
        }
        let updates = self.tools.finish(self.trailer.seen);
        self.tool_updates(updates, &mut out);
        self.end_stretch(&mut out);
        if !self.role_sent {
            out.push(self.chunk(json!({"content": ""}), None));
        }
        let reason = self.compute_finish_reason();
        self.finish_reason = Some(reason);
        out.push(self.chunk(json!({}), Some(reason)));
        if self.opts.include_usage {
            out.push(json!({
                "id": self.opts.id,
                "object": "chat.completion.chunk",
                "created": self.opts.created,
                "model": self.opts.model,
                "choices": [],
                "usage": self.usage(),
            }));
        }
        out
    }

    /// The non-streaming `chat.completion` object (runs [`finish`](Self::finish) if the
    /// caller did not). A mid-stream error is returned as `Err` so the caller can answer
    /// with an error status instead of a partial completion.
    pub fn into_completion(mut self) -> Result<Value, ApiError> {
        self.finish();
        if let Some(error) = self.error.take() {
            return Err(error);
        }
        let calls = self.tools.calls();
        let content = if self.content.is_empty() && !calls.is_empty() {
            Value::Null
        } else {
            Value::String(self.content.clone())
        };
        let mut message = Map::new();
        message.insert("role".into(), json!("assistant"));
        message.insert("content".into(), content);
        message.insert("refusal".into(), Value::Null);
        if !self.reasoning.is_empty() {
            message.insert("reasoning_content".into(), json!(self.reasoning));
        }
        if !self.details.is_empty() {
            message.insert("reasoning_details".into(), json!(self.details));
        }
        if !calls.is_empty() {
            let list: Vec<Value> = calls
                .iter()
                .map(|c| {
                    json!({
                        "id": openai_call_id(&c.upstream_id),
                        "type": "function",
                        "function": {"name": c.name, "arguments": c.arguments},
                    })
                })
                .collect();
            message.insert("tool_calls".into(), Value::Array(list));
        }
        Ok(json!({
            "id": self.opts.id,
            "object": "chat.completion",
            "created": self.opts.created,
            "model": self.opts.model,
            "choices": [{
                "index": 0,
                "message": Value::Object(message),
                "logprobs": null,
                "finish_reason": self.finish_reason.unwrap_or("stop"),
            }],
            "usage": self.usage(),
        }))
    }

    /// The usage object (see the module documentation).
    pub fn usage(&self) -> Value {
        let estimate = self.shaper.tokens();
        let upstream = self.trailer.usage.as_ref();
        let completion = upstream.and_then(|u| u.output_tokens).unwrap_or(estimate);
        let upstream_prompt = upstream.and_then(|u| {
            let parts = [
                u.uncached_input_tokens,
                u.cache_read_input_tokens,
                u.cache_write_input_tokens,
            ];
            parts
                .iter()
                .any(Option::is_some)
                .then(|| parts.iter().flatten().sum::<u64>())
        });
        let in_context = self.trailer.context_tokens(self.opts.context_window);
        let prompt = match (upstream_prompt, in_context) {
            (Some(p), _) => p,
            (None, Some(total)) => total.saturating_sub(completion),
            _ => self.opts.prompt_tokens_estimate,
        };
        let mut usage = json!({
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt.saturating_add(completion),
        });
        if let Some(cached) = upstream.and_then(|u| u.cache_read_input_tokens) {
            usage["prompt_tokens_details"] = json!({"cached_tokens": cached});
        }
        if !self.reasoning.is_empty() {
            usage["completion_tokens_details"] =
                json!({"reasoning_tokens": estimate_tokens(&self.reasoning)});
        }
        self.trailer.add_credits_to(&mut usage);
        usage
    }

    // -----------------------------------------------------------------------------------

    fn compute_finish_reason(&self) -> &'static str {
        match self.shaper.ended() {
            Some(Ended::StopSequence) => return "stop",
            Some(Ended::MaxTokens) => return "length",
            None => {}
        }
        if self.trailer.length_exceeded {
            return "length";
        }
        match self.trailer.stop_reason.as_deref() {
            Some("CONTENT_FILTERED") => return "content_filter",
            Some("MAX_TOKENS") | Some("MODEL_CONTEXT_WINDOW_EXCEEDED") => return "length",
            _ => {}
        }
        let calls = self.tools.calls();
        if self.tools.has_withheld() || calls.iter().any(|c| c.parsed_arguments().is_none()) {
            return "length";
        }
        if !calls.is_empty() {
            return "tool_calls";
        }
        if self.trailer.context_percentage.is_some_and(|p| p >= 100.0) {
            return "length";
        }
        if !self.trailer.seen && (!self.content.is_empty() || !self.reasoning.is_empty()) {
            return "length";
        }
        "stop"
    }

    fn chunk(&mut self, delta: Value, finish_reason: Option<&str>) -> Value {
        let mut delta = delta;
        if !self.role_sent {
            self.role_sent = true;
            if let Value::Object(map) = &mut delta {
                map.insert("role".into(), json!("assistant"));
            }
        }
        let mut chunk = json!({
            "id": self.opts.id,
            "object": "chat.completion.chunk",
            "created": self.opts.created,
            "model": self.opts.model,
            "choices": [{
                "index": 0,
                "delta": delta,
                "logprobs": null,
                "finish_reason": finish_reason,
            }],
        });
        if self.opts.include_usage {
            chunk["usage"] = Value::Null;
        }
        chunk
    }

    fn fail(&mut self, error: ApiError, out: &mut Vec<Value>) {
        if self.shaper.ended().is_none() {
            self.flush_text(out);
        }
        out.push(error_chunk(&error));
        self.error = Some(error);
    }

    /// Release text held by the shaper.
    fn flush_text(&mut self, out: &mut Vec<Value>) {
        let pieces = self.shaper.flush();
        self.emit(pieces, out);
    }

    fn emit(&mut self, pieces: Vec<Piece>, out: &mut Vec<Value>) {
        for piece in pieces {
            let delta = match piece {
                Piece::Content(part) => {
                    self.end_stretch(out);
                    self.content.push_str(&part);
                    json!({"content": part})
                }
                Piece::Reasoning(part) => {
                    self.reasoning.push_str(&part);
                    self.stretch.push_str(&part);
                    json!({"reasoning_content": part})
                }
            };
            out.push(self.chunk(delta, None));
        }
    }

    /// A stretch of reasoning ended: with a signature from Kiro, it goes out as a
    /// `reasoning_details` item.
    fn end_stretch(&mut self, out: &mut Vec<Value>) {
        let text = std::mem::take(&mut self.stretch);
        let Some(signature) = self.signature.take() else {
            return;
        };
        self.push_detail(
            json!({"type": "reasoning.text", "text": text, "signature": signature}),
            out,
        );
    }

    /// Stream one `reasoning_details` item (with its `format` and `index`) and keep it for
    /// the non-streaming message.
    fn push_detail(&mut self, mut item: Value, out: &mut Vec<Value>) {
        item["format"] = json!(REASONING_FORMAT);
        item["index"] = json!(self.details.len());
        self.details.push(item.clone());
        out.push(self.chunk(json!({"reasoning_details": [item]}), None));
    }

    fn tool_updates(&mut self, updates: Vec<ToolCallUpdate>, out: &mut Vec<Value>) {
        for update in updates {
            match update {
                ToolCallUpdate::Started {
                    index,
                    upstream_id,
                    name,
                } => {
                    self.end_stretch(out);
                    self.shaper.add_unlimited(&name);
                    let delta = json!({"tool_calls": [{
                        "index": index,
                        "id": openai_call_id(&upstream_id),
                        "type": "function",
                        "function": {"name": name, "arguments": ""},
                    }]});
                    out.push(self.chunk(delta, None));
                }
                ToolCallUpdate::Arguments { index, fragment } => {
                    self.shaper.add_unlimited(&fragment);
                    let delta = json!({"tool_calls": [{
                        "index": index,
                        "function": {"arguments": fragment},
                    }]});
                    out.push(self.chunk(delta, None));
                }
                ToolCallUpdate::Completed { .. } => {}
            }
        }
    }
}
