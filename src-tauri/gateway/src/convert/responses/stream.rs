//! [`OutputEvent`]s → Responses streaming events, or one `response` object.
//!
//! The [`OutputMachine`] does the real work (reasoning tags, `max_output_tokens`, tool-call
//! assembly, usage, finish reasons, upstream errors: see [`crate::convert::output`]); this
//! module renders its events as Responses output items. One renderer serves both modes:
//! non-streaming callers feed the events, ignore what comes out and take
//! [`ResponsesOutput::response`].
//!
//! Event sequence (every event has a strictly increasing `sequence_number`):
//! `response.created`, `response.in_progress`, then per output item
//! `response.output_item.added` → (reasoning: `response.reasoning_summary_part.added`,
//! `response.reasoning_summary_text.delta`…, `…text.done`, `…part.done`) (message:
//! `response.content_part.added`, `response.output_text.delta`…, `…text.done`,
//! `response.content_part.done`) (function call: `response.function_call_arguments.delta`…,
//! `…arguments.done`) → `response.output_item.done`; finally exactly one of
//! `response.completed`, `response.incomplete` (`max_output_tokens` / `content_filter`) or
//! `response.failed` (an upstream error after the stream started). Items never overlap: an
//! item is done before the next one is added.
//!
//! Signed native reasoning (a stretch as the chat path's `reasoning_details` would carry it,
//! [`crate::convert::openai::details`]) rides in the reasoning item's `encrypted_content`
//! ([`Sealed`]), written when the item closes, whether or not the request's `include` asked
//! for it: Codex hands it back on the next turn and Kiro needs it. Encrypted reasoning
//! becomes a reasoning item of its own.
//!
//! `incomplete_details.reason`: `max_output_tokens` when the answer ran out of length or
//! context window, `content_filter` for Kiro's content filter.
//! Usage: [`ResponsesUsage`]. The wire structs are in [`super::wire`]. Opening, streaming into and
//! closing the output items is in [`items`].

use serde::Serialize;
use serde_json::{json, Value};

use crate::convert::openai::details::ReasoningDetails;
use crate::convert::openai::{openai_call_id, ChatOutputOptions};
use crate::convert::output::{FinishReason, OutputEvent, OutputMachine};
use crate::convert::responses::request::Item;
use crate::convert::responses::tools::ToolNames;
use crate::convert::responses::wire::{
    Event, IncompleteDetails, OutputItem, ResponseError, ResponseObject, ResponsesUsage,
};
use crate::error::{ApiError, ErrorCode};
use crate::kiro::events::KiroEvent;

mod items;

use items::Open;

/// What the response object echoes from the request.
#[derive(Debug, Clone, Default)]
pub struct ResponseEcho {
    pub instructions: Option<String>,
    pub max_output_tokens: Option<u32>,
    pub metadata: Value,
    pub parallel_tool_calls: bool,
    pub previous_response_id: Option<String>,
    pub reasoning: Value,
    pub store: bool,
    pub text: Value,
    pub tool_choice: Value,
    pub tools: Value,
}

/// Final state of a response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    InProgress,
    Completed,
    Incomplete,
    Failed,
}

impl Status {
    fn as_str(self) -> &'static str {
        match self {
            Status::InProgress => "in_progress",
            Status::Completed => "completed",
            Status::Incomplete => "incomplete",
            Status::Failed => "failed",
        }
    }
}

/// See the module documentation.
#[derive(Debug)]
pub struct ResponsesOutput {
    id: String,
    model: String,
    created_at: i64,
    echo: ResponseEcho,
    machine: OutputMachine,
    /// Signed reasoning stretches.
    details: ReasoningDetails,
    seq: u64,
    started: bool,
    output: Vec<OutputItem>,
    open: Option<Open>,
    /// Tool-call index → output index.
    calls: Vec<(usize, usize)>,
    /// Flat Kiro tool name → namespaced / custom client tool.
    tool_names: ToolNames,
    /// Output index → the JSON arguments Kiro produced, for closed custom tool calls.
    custom_arguments: Vec<(usize, String)>,
    status: Status,
    incomplete_reason: Option<&'static str>,
    error: Option<ApiError>,
}

impl ResponsesOutput {
    /// `chat` options as for the chat path (`id`, `created`, `include_usage` are ignored).
    pub fn new(id: String, created_at: i64, echo: ResponseEcho, chat: ChatOutputOptions) -> Self {
        ResponsesOutput {
            id,
            model: chat.model.clone(),
            created_at,
            echo,
            machine: OutputMachine::new(chat.output_options()),
            details: ReasoningDetails::default(),
            seq: 0,
            started: false,
            output: Vec::new(),
            open: None,
            calls: Vec::new(),
            tool_names: ToolNames::default(),
            custom_arguments: Vec::new(),
            status: Status::InProgress,
            incomplete_reason: None,
            error: None,
        }
    }

    /// Render calls of namespaced and custom tools the way the client declared them.
    pub fn with_tool_names(mut self, tool_names: ToolNames) -> Self {
        self.tool_names = tool_names;
        self
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    /// True once the answer ended (the caller should stop reading upstream and call
    /// [`finish`](Self::finish)).
    pub fn is_finished(&self) -> bool {
        self.machine.is_finished() || self.status != Status::InProgress
    }

    pub fn status(&self) -> Status {
        self.status
    }

    pub fn error(&self) -> Option<&ApiError> {
        self.error.as_ref()
    }

    /// `response.created` and `response.in_progress`.
    pub fn start(&mut self) -> Vec<Value> {
        let mut out = Vec::new();
        if !self.started {
            self.started = true;
            let response = self.response();
            self.emit(
                &mut out,
                Event::Created {
                    response: response.clone(),
                },
            );
            self.emit(&mut out, Event::InProgress { response });
        }
        out
    }

    /// Feed one upstream event; returns the events to send.
    pub fn on_event(&mut self, event: KiroEvent) -> Vec<Value> {
        let mut out = self.start();
        if self.status != Status::InProgress {
            return out;
        }
        let events = self.machine.on_event(event);
        self.render(events, &mut out);
        out
    }

    /// An error outside the event stream (timeout, undecodable frame).
    pub fn on_failure(&mut self, error: ApiError) -> Vec<Value> {
        let mut out = self.start();
        if self.status != Status::InProgress {
            return out;
        }
        let events = self.machine.on_failure(error);
        self.render(events, &mut out);
        out
    }

    /// End of the upstream (or the caller stopped after [`is_finished`](Self::is_finished)):
    /// the last items are closed and the terminal event is returned. Nothing after that.
    pub fn finish(&mut self) -> Vec<Value> {
        let mut out = self.start();
        if self.status != Status::InProgress {
            return out;
        }
        let events = self.machine.finish();
        self.render(events, &mut out);
        if self.status == Status::InProgress {
            // The machine had already failed or finished without a finish event.
            let reason = self
                .machine
                .finish_reason()
                .unwrap_or(FinishReason::EndTurn);
            self.terminate(reason, &mut out);
        }
        out
    }

    /// The `response` object in its current state.
    pub fn response(&self) -> Value {
        let empty = json!({});
        to_json(ResponseObject {
            id: &self.id,
            object: "response",
            created_at: self.created_at,
            status: self.status.as_str(),
            background: false,
            error: self.error.as_ref().map(|e| ResponseError {
                code: e.code.as_ref().map_or("server_error", ErrorCode::as_str),
                message: &e.message,
            }),
            incomplete_details: self
                .incomplete_reason
                .map(|reason| IncompleteDetails { reason }),
            instructions: self.echo.instructions.as_deref(),
            max_output_tokens: self.echo.max_output_tokens,
            model: &self.model,
            output: &self.output,
            parallel_tool_calls: self.echo.parallel_tool_calls,
            previous_response_id: self.echo.previous_response_id.as_deref(),
            reasoning: &self.echo.reasoning,
            store: self.echo.store,
            temperature: 1.0,
            text: &self.echo.text,
            tool_choice: &self.echo.tool_choice,
            tools: &self.echo.tools,
            top_p: 1.0,
            truncation: "disabled",
            usage: (self.status != Status::InProgress)
                .then(|| ResponsesUsage::from(&self.machine.usage())),
            user: (),
            metadata: if self.echo.metadata.is_null() {
                &empty
            } else {
                &self.echo.metadata
            },
        })
    }

    /// The output as conversation items (for the store), in order.
    pub fn output_items(&self) -> Vec<Item> {
        self.output.iter().filter_map(OutputItem::to_item).collect()
    }

    /// The Responses `usage` ([`ResponsesUsage`]).
    pub fn usage(&self) -> Value {
        to_json(ResponsesUsage::from(&self.machine.usage()))
    }

    // -----------------------------------------------------------------------------------

    /// Number `event` and add it to `out`.
    fn emit(&mut self, out: &mut Vec<Value>, event: Event) {
        let mut event = to_json(event);
        if let Value::Object(map) = &mut event {
            map.insert("sequence_number".into(), json!(self.seq));
        }
        self.seq += 1;
        out.push(event);
    }

    fn render(&mut self, events: Vec<OutputEvent>, out: &mut Vec<Value>) {
        for event in events {
            match event {
                OutputEvent::Text(part) => {
                    self.end_stretch();
                    self.text_delta(&part, out);
                }
                OutputEvent::Reasoning(part) => {
                    self.details.reasoning(&part);
                    self.reasoning_delta(&part, out);
                }
                OutputEvent::ReasoningSignature(signature) => {
                    if self.machine.cut().is_none() {
                        self.details.signature(signature);
                    }
                }
                OutputEvent::EncryptedReasoning(data) => {
                    if self.machine.cut().is_none() {
                        self.end_stretch();
                        self.details.encrypted(data.clone());
                        self.encrypted_reasoning(data, out);
                    }
                }
                OutputEvent::ToolCallStart { index, id, name } => {
                    self.end_stretch();
                    self.call_start(index, openai_call_id(&id), &name, out);
                }
                OutputEvent::ToolCallArguments { index, fragment } => {
                    self.call_arguments(index, &fragment, out);
                }
                OutputEvent::Finish(finish) => {
                    self.end_stretch();
                    self.terminate(finish.reason, out);
                }
                OutputEvent::Failure(error) => self.fail(error, out),
            }
        }
    }

    fn terminate(&mut self, reason: FinishReason, out: &mut Vec<Value>) {
        self.incomplete_reason = match reason {
            FinishReason::MaxTokens | FinishReason::ContextWindow => Some("max_output_tokens"),
            FinishReason::ContentFilter => Some("content_filter"),
            _ => None,
        };
        self.close(out);
        self.status = if self.incomplete_reason.is_some() {
            Status::Incomplete
        } else {
            Status::Completed
        };
        let response = self.response();
        let event = if self.status == Status::Incomplete {
            Event::Incomplete { response }
        } else {
            Event::Completed { response }
        };
        self.emit(out, event);
    }

    fn fail(&mut self, error: ApiError, out: &mut Vec<Value>) {
        self.status = Status::Failed;
        self.close(out);
        self.error = Some(error);
        let response = self.response();
        self.emit(out, Event::Failed { response });
    }
}

/// A wire struct as JSON (they have string keys only, so this cannot fail).
fn to_json(wire: impl Serialize) -> Value {
    serde_json::to_value(wire).unwrap_or(Value::Null)
}
