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
//! Usage: [`ResponsesUsage`]. The wire structs are in [`super::wire`].

use serde::Serialize;
use serde_json::{json, Value};

use crate::convert::openai::details::{ReasoningDetail, ReasoningDetails};
use crate::convert::openai::{openai_call_id, ChatOutputOptions};
use crate::convert::output::{FinishReason, OutputEvent, OutputMachine};
use crate::convert::responses::request::Item;
use crate::convert::responses::sealed::Sealed;
use crate::convert::responses::tools::{custom_input_from_arguments, ToolKind, ToolNames};
use crate::convert::responses::wire::{
    Event, IncompleteDetails, OutputItem, OutputText, ResponseError, ResponseObject,
    ResponsesUsage, SummaryText,
};
use crate::error::ApiError;
use crate::kiro::events::KiroEvent;

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

/// The item being streamed: its output index and what it gathered so far.
#[derive(Debug)]
enum Open {
    Reasoning {
        index: usize,
        text: String,
        /// The signed stretch, sealed into the item's `encrypted_content` when it closes.
        sealed: Option<Sealed>,
    },
    Message {
        index: usize,
        text: String,
    },
    Call {
        index: usize,
        arguments: String,
        kind: ToolKind,
    },
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
                code: e.code.as_deref().unwrap_or("server_error"),
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

    fn add_item(&mut self, item: OutputItem, out: &mut Vec<Value>) -> usize {
        let index = self.output.len();
        self.output.push(item);
        let added = to_json(Event::ItemAdded {
            output_index: index,
            item: &self.output[index],
        });
        self.emit_value(out, added);
        index
    }

    /// [`emit`](Self::emit) for an event already rendered (it borrowed `self`).
    fn emit_value(&mut self, out: &mut Vec<Value>, mut event: Value) {
        if let Value::Object(map) = &mut event {
            map.insert("sequence_number".into(), json!(self.seq));
        }
        self.seq += 1;
        out.push(event);
    }

    fn item_done(&mut self, index: usize, out: &mut Vec<Value>) {
        let done = to_json(Event::ItemDone {
            output_index: index,
            item: &self.output[index],
        });
        self.emit_value(out, done);
    }

    fn reasoning_delta(&mut self, text: &str, out: &mut Vec<Value>) {
        if !matches!(self.open, Some(Open::Reasoning { .. })) {
            self.close(out);
            let id = format!("rs_{}", uuid::Uuid::new_v4().simple());
            let index = self.add_item(
                OutputItem::Reasoning {
                    id: id.clone(),
                    summary: Vec::new(),
                    encrypted_content: None,
                },
                out,
            );
            self.emit(
                out,
                Event::SummaryPartAdded {
                    item_id: &id,
                    output_index: index,
                    summary_index: 0,
                    part: SummaryText {
                        text: String::new(),
                    },
                },
            );
            self.open = Some(Open::Reasoning {
                index,
                text: String::new(),
                sealed: None,
            });
        }
        if let Some(Open::Reasoning {
            index, text: acc, ..
        }) = &mut self.open
        {
            acc.push_str(text);
            let index = *index;
            let id = self.output[index].id().to_owned();
            self.emit(
                out,
                Event::SummaryTextDelta {
                    item_id: &id,
                    output_index: index,
                    summary_index: 0,
                    delta: text,
                },
            );
        }
    }

    /// Encrypted reasoning: a reasoning item of its own.
    fn encrypted_reasoning(&mut self, data: String, out: &mut Vec<Value>) {
        self.close(out);
        let index = self.add_item(
            OutputItem::Reasoning {
                id: format!("rs_{}", uuid::Uuid::new_v4().simple()),
                summary: Vec::new(),
                encrypted_content: Some(Sealed::Redacted(data).seal()),
            },
            out,
        );
        self.item_done(index, out);
    }

    /// A stretch of reasoning ended: signed, it is sealed into the open reasoning item.
    fn end_stretch(&mut self) {
        let Some(ReasoningDetail::Text {
            text, signature, ..
        }) = self.details.end_stretch()
        else {
            return;
        };
        if let Some(Open::Reasoning { sealed, .. }) = &mut self.open {
            *sealed = Some(Sealed::Signed { text, signature });
        }
    }

    fn text_delta(&mut self, text: &str, out: &mut Vec<Value>) {
        if !matches!(self.open, Some(Open::Message { .. })) {
            self.close(out);
            let id = format!("msg_{}", uuid::Uuid::new_v4().simple());
            let index = self.add_item(
                OutputItem::Message {
                    id: id.clone(),
                    status: "in_progress",
                    role: "assistant",
                    content: Vec::new(),
                },
                out,
            );
            self.emit(
                out,
                Event::ContentPartAdded {
                    item_id: &id,
                    output_index: index,
                    content_index: 0,
                    part: OutputText::new(String::new()),
                },
            );
            self.open = Some(Open::Message {
                index,
                text: String::new(),
            });
        }
        if let Some(Open::Message { index, text: acc }) = &mut self.open {
            acc.push_str(text);
            let index = *index;
            let id = self.output[index].id().to_owned();
            self.emit(
                out,
                Event::OutputTextDelta {
                    item_id: &id,
                    output_index: index,
                    content_index: 0,
                    delta: text,
                    logprobs: [],
                },
            );
        }
    }

    fn call_start(&mut self, call: usize, call_id: String, flat: &str, out: &mut Vec<Value>) {
        self.close(out);
        let origin = self.tool_names.origin(flat);
        let kind = origin.map_or(ToolKind::Function, |o| o.kind);
        let name = origin.map_or(flat, |o| o.name.as_str()).to_owned();
        let namespace = origin.and_then(|o| o.namespace.clone());
        let item = match kind {
            ToolKind::Function => OutputItem::FunctionCall {
                id: format!("fc_{}", uuid::Uuid::new_v4().simple()),
                status: "in_progress",
                arguments: String::new(),
                call_id,
                name,
                namespace,
            },
            ToolKind::Custom => OutputItem::CustomToolCall {
                id: format!("ctc_{}", uuid::Uuid::new_v4().simple()),
                status: "in_progress",
                input: String::new(),
                call_id,
                name,
                namespace,
            },
        };
        let index = self.add_item(item, out);
        self.calls.push((call, index));
        self.open = Some(Open::Call {
            index,
            arguments: String::new(),
            kind,
        });
    }

    fn call_arguments(&mut self, call: usize, fragment: &str, out: &mut Vec<Value>) {
        if fragment.is_empty() {
            return;
        }
        let Some(target) = self.calls.iter().find(|(c, _)| *c == call).map(|(_, i)| *i) else {
            return;
        };
        if let Some(Open::Call {
            index,
            arguments,
            kind,
        }) = &mut self.open
        {
            if *index == target {
                arguments.push_str(fragment);
                if *kind == ToolKind::Custom {
                    // The raw input is only known once the JSON around it is complete.
                    return;
                }
                let id = self.output[target].id().to_owned();
                self.emit(
                    out,
                    Event::ArgumentsDelta {
                        item_id: &id,
                        output_index: target,
                        delta: fragment,
                    },
                );
                return;
            }
        }
        // A late fragment for a call already closed: keep it in the final item only.
        if let Some((_, raw)) = self.custom_arguments.iter_mut().find(|(i, _)| *i == target) {
            raw.push_str(fragment);
            if let OutputItem::CustomToolCall { input, .. } = &mut self.output[target] {
                *input = custom_input_from_arguments(raw);
            }
        } else if let OutputItem::FunctionCall { arguments, .. } = &mut self.output[target] {
            arguments.push_str(fragment);
        }
    }

    /// Close the open item: its `done` events, then `response.output_item.done`.
    fn close(&mut self, out: &mut Vec<Value>) {
        let Some(open) = self.open.take() else {
            return;
        };
        let status = if self.status == Status::Failed || self.incomplete_reason.is_some() {
            "incomplete"
        } else {
            "completed"
        };
        let index = match &open {
            Open::Reasoning { index, .. }
            | Open::Message { index, .. }
            | Open::Call { index, .. } => *index,
        };
        let id = self.output[index].id().to_owned();
        match open {
            Open::Reasoning { text, sealed, .. } => {
                self.emit(
                    out,
                    Event::SummaryTextDone {
                        item_id: &id,
                        output_index: index,
                        summary_index: 0,
                        text: &text,
                    },
                );
                let part = SummaryText { text };
                self.emit(
                    out,
                    Event::SummaryPartDone {
                        item_id: &id,
                        output_index: index,
                        summary_index: 0,
                        part: part.clone(),
                    },
                );
                if let OutputItem::Reasoning {
                    summary,
                    encrypted_content,
                    ..
                } = &mut self.output[index]
                {
                    *summary = vec![part];
                    if let Some(sealed) = sealed {
                        *encrypted_content = Some(sealed.seal());
                    }
                }
            }
            Open::Message { text, .. } => {
                self.emit(
                    out,
                    Event::OutputTextDone {
                        item_id: &id,
                        output_index: index,
                        content_index: 0,
                        text: &text,
                        logprobs: [],
                    },
                );
                let part = OutputText::new(text);
                self.emit(
                    out,
                    Event::ContentPartDone {
                        item_id: &id,
                        output_index: index,
                        content_index: 0,
                        part: part.clone(),
                    },
                );
                if let OutputItem::Message { content, .. } = &mut self.output[index] {
                    *content = vec![part];
                }
            }
            Open::Call {
                arguments,
                kind: ToolKind::Function,
                ..
            } => {
                self.emit(
                    out,
                    Event::ArgumentsDone {
                        item_id: &id,
                        output_index: index,
                        arguments: &arguments,
                    },
                );
                if let OutputItem::FunctionCall { arguments: a, .. } = &mut self.output[index] {
                    *a = arguments;
                }
            }
            Open::Call {
                arguments,
                kind: ToolKind::Custom,
                ..
            } => {
                let input = custom_input_from_arguments(&arguments);
                self.emit(
                    out,
                    Event::CustomInputDelta {
                        item_id: &id,
                        output_index: index,
                        delta: &input,
                    },
                );
                self.emit(
                    out,
                    Event::CustomInputDone {
                        item_id: &id,
                        output_index: index,
                        input: &input,
                    },
                );
                if let OutputItem::CustomToolCall { input: i, .. } = &mut self.output[index] {
                    *i = input;
                }
                self.custom_arguments.push((index, arguments));
            }
        }
        self.output[index].set_status(status);
        self.item_done(index, out);
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
