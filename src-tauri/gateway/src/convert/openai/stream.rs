//! [`OutputEvent`]s → OpenAI `chat.completion.chunk`s (streaming) or one `chat.completion`
//! (non-streaming), through the same renderer [`ChatOutput`] around the
//! [`OutputMachine`] (text shaping, limits, tool-call assembly, usage, errors: see
//! [`crate::convert::output`]).
//!
//! Dialect rules:
//! * The first chunk carries `delta.role = "assistant"` together with the first real delta;
//!   an empty answer still gets one with `content: ""`.
//! * Text → `delta.content`, reasoning → `delta.reasoning_content`.
//! * Tool calls: an opening delta (`index`, `id`, `type`, `function.name`, `arguments:
//!   ""`), then one delta per argument fragment. Ids are `call_` + the Kiro `toolUseId`
//!   without its `tooluse_` prefix (ids already starting with `call_` are kept).
//! * Signed and encrypted reasoning go out as `delta.reasoning_details` items
//!   ([`super::details`]); the non-streaming message lists them all. Clients hand the
//!   assistant message back with them and the request side replays them
//!   ([`super::request`]).
//! * `finish_reason`: stop sequence or a normal end → `stop`; out of length or context
//!   window → `length`; content filter → `content_filter`; tool calls → `tool_calls`.
//! * With `include_usage`, every chunk has `usage: null` and a last chunk with `choices:
//!   []` carries the usage.
//! * An upstream error after the stream started becomes an `{"error":{…}}` chunk; the
//!   caller then sends `data: [DONE]`.
//!
//! **Usage** ([`super::wire::ChatUsage`]): `prompt_tokens` (the whole prompt,
//! [`crate::convert::output::Usage::prompt_tokens`]), `completion_tokens`, `total_tokens`,
//! plus `prompt_tokens_details.cached_tokens` when upstream reported cache reads and
//! `completion_tokens_details.reasoning_tokens` when there was reasoning.

use std::collections::HashMap;

use serde_json::Value;

use super::details::{ReasoningDetail, ReasoningDetails};
use super::wire::{
    to_json, ChatUsage, Chunk, ChunkChoice, Completion, CompletionChoice, Delta, FunctionDelta,
    Message, MessageFunction, MessageToolCall, ToolCallDelta,
};
use crate::convert::output::{FinishReason, OutputEvent, OutputMachine, OutputOptions};
use crate::convert::trailer::CompletionRule;
use crate::error::{ApiError, Dialect};
use crate::kiro::events::KiroEvent;

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

impl ChatOutputOptions {
    /// The machine's share of the settings.
    pub fn output_options(&self) -> OutputOptions {
        OutputOptions {
            tool_names: self.tool_names.clone(),
            stop: self.stop.clone(),
            max_tokens: self.max_tokens,
            reasoning_tags: self.reasoning_tags,
            completion: self.completion,
            prompt_tokens_estimate: self.prompt_tokens_estimate,
            context_window: self.context_window,
            identity: self.identity.clone(),
        }
    }
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

/// OpenAI's name for a [`FinishReason`].
pub fn finish_reason_name(reason: FinishReason) -> &'static str {
    match reason {
        FinishReason::StopSequence | FinishReason::EndTurn => "stop",
        FinishReason::MaxTokens | FinishReason::ContextWindow => "length",
        FinishReason::ContentFilter => "content_filter",
        FinishReason::ToolCalls => "tool_calls",
    }
}

// --- the renderer ----------------------------------------------------------------------

/// See the module documentation.
#[derive(Debug)]
pub struct ChatOutput {
    opts: ChatOutputOptions,
    machine: OutputMachine,
    role_sent: bool,
    details: ReasoningDetails,
    finish_reason: Option<&'static str>,
}

impl ChatOutput {
    pub fn new(opts: ChatOutputOptions) -> Self {
        ChatOutput {
            machine: OutputMachine::new(opts.output_options()),
            opts,
            role_sent: false,
            details: ReasoningDetails::default(),
            finish_reason: None,
        }
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

    /// Feed one upstream event; returns the chunks to send, in order.
    pub fn on_event(&mut self, event: KiroEvent) -> Vec<Value> {
        let events = self.machine.on_event(event);
        self.render(events)
    }

    /// Report an error that happened outside the event stream (e.g. an idle timeout or an
    /// undecodable frame): held text is released, then the error chunk.
    pub fn on_failure(&mut self, error: ApiError) -> Vec<Value> {
        let events = self.machine.on_failure(error);
        self.render(events)
    }

    /// End of the upstream stream (or the caller stopped after [`is_finished`]): releases
    /// held text, then the chunk with `finish_reason`, then — only with `include_usage` — a
    /// chunk with `choices: []` and `usage`. Returns nothing after an error or a second call.
    pub fn finish(&mut self) -> Vec<Value> {
        let events = self.machine.finish();
        self.render(events)
    }

    /// The non-streaming `chat.completion` object (runs [`finish`](Self::finish) if the
    /// caller did not). A mid-stream error is returned as `Err` so the caller can answer
    /// with an error status instead of a partial completion.
    pub fn into_completion(mut self) -> Result<Value, ApiError> {
        self.finish();
        if let Some(error) = self.machine.take_error() {
            return Err(error);
        }
        let calls = self.machine.tool_calls();
        let content = self.machine.content();
        let reasoning = self.machine.reasoning();
        let message = Message {
            role: "assistant",
            content: (!content.is_empty() || calls.is_empty()).then_some(content),
            refusal: (),
            reasoning_content: (!reasoning.is_empty()).then_some(reasoning),
            reasoning_details: self.details.items(),
            tool_calls: calls
                .iter()
                .map(|c| MessageToolCall {
                    id: openai_call_id(&c.upstream_id),
                    kind: "function",
                    function: MessageFunction {
                        name: &c.name,
                        arguments: &c.arguments,
                    },
                })
                .collect(),
        };
        Ok(to_json(Completion {
            id: &self.opts.id,
            object: "chat.completion",
            created: self.opts.created,
            model: &self.opts.model,
            choices: [CompletionChoice {
                index: 0,
                message,
                logprobs: (),
                finish_reason: self.finish_reason.unwrap_or("stop"),
            }],
            usage: ChatUsage::from(&self.machine.usage()),
        }))
    }

    /// The usage object (see the module documentation).
    pub fn usage(&self) -> Value {
        to_json(ChatUsage::from(&self.machine.usage()))
    }

    // -----------------------------------------------------------------------------------

    fn render(&mut self, events: Vec<OutputEvent>) -> Vec<Value> {
        let mut out = Vec::new();
        for event in events {
            match event {
                OutputEvent::Text(part) => {
                    self.end_stretch(&mut out);
                    self.push(
                        Delta {
                            content: Some(part),
                            ..Delta::default()
                        },
                        &mut out,
                    );
                }
                OutputEvent::Reasoning(part) => {
                    self.details.reasoning(&part);
                    self.push(
                        Delta {
                            reasoning_content: Some(part),
                            ..Delta::default()
                        },
                        &mut out,
                    );
                }
                OutputEvent::ReasoningSignature(signature) => {
                    if self.machine.cut().is_none() {
                        self.details.signature(signature);
                    }
                }
                OutputEvent::EncryptedReasoning(data) => {
                    if self.machine.cut().is_none() {
                        self.end_stretch(&mut out);
                        let item = self.details.encrypted(data);
                        self.push_detail(item, &mut out);
                    }
                }
                OutputEvent::ToolCallStart { index, id, name } => {
                    self.end_stretch(&mut out);
                    self.push_call(
                        ToolCallDelta {
                            index,
                            id: Some(openai_call_id(&id)),
                            kind: Some("function"),
                            function: FunctionDelta {
                                name: Some(name),
                                arguments: String::new(),
                            },
                        },
                        &mut out,
                    );
                }
                OutputEvent::ToolCallArguments { index, fragment } => {
                    self.push_call(
                        ToolCallDelta {
                            index,
                            id: None,
                            kind: None,
                            function: FunctionDelta {
                                name: None,
                                arguments: fragment,
                            },
                        },
                        &mut out,
                    );
                }
                OutputEvent::Finish(finish) => {
                    self.end_stretch(&mut out);
                    if !self.role_sent {
                        self.push(
                            Delta {
                                content: Some(String::new()),
                                ..Delta::default()
                            },
                            &mut out,
                        );
                    }
                    let reason = finish_reason_name(finish.reason);
                    self.finish_reason = Some(reason);
                    out.push(self.chunk(Delta::default(), Some(reason)));
                    if self.opts.include_usage {
                        out.push(to_json(Chunk {
                            id: &self.opts.id,
                            object: "chat.completion.chunk",
                            created: self.opts.created,
                            model: &self.opts.model,
                            choices: Vec::new(),
                            usage: Some(Some(ChatUsage::from(&finish.usage))),
                        }));
                    }
                }
                OutputEvent::Failure(error) => out.push(error_chunk(&error)),
            }
        }
        out
    }

    fn chunk(&mut self, mut delta: Delta, finish_reason: Option<&'static str>) -> Value {
        if !self.role_sent {
            self.role_sent = true;
            delta.role = Some("assistant");
        }
        to_json(Chunk {
            id: &self.opts.id,
            object: "chat.completion.chunk",
            created: self.opts.created,
            model: &self.opts.model,
            choices: vec![ChunkChoice {
                index: 0,
                delta,
                logprobs: (),
                finish_reason,
            }],
            usage: self.opts.include_usage.then_some(None),
        })
    }

    fn push(&mut self, delta: Delta, out: &mut Vec<Value>) {
        let chunk = self.chunk(delta, None);
        out.push(chunk);
    }

    fn push_call(&mut self, call: ToolCallDelta, out: &mut Vec<Value>) {
        self.push(
            Delta {
                tool_calls: Some(vec![call]),
                ..Delta::default()
            },
            out,
        );
    }

    fn push_detail(&mut self, item: ReasoningDetail, out: &mut Vec<Value>) {
        self.push(
            Delta {
                reasoning_details: Some(vec![item]),
                ..Delta::default()
            },
            out,
        );
    }

    /// A stretch of reasoning ended: signed, it goes out as a `reasoning_details` item.
    fn end_stretch(&mut self, out: &mut Vec<Value>) {
        if let Some(item) = self.details.end_stretch() {
            self.push_detail(item, out);
        }
    }
}
