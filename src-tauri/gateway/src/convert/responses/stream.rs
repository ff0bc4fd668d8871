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
//!
//! **Usage**: `input_tokens` = the whole prompt ([`Usage::prompt_tokens`]), with the cache
//! reads upstream reported as `input_tokens_details.cached_tokens` (else 0);
//! `output_tokens_details.reasoning_tokens` = the reasoning estimate (else 0).

use serde::Serialize;
use serde_json::{json, Map, Value};

use crate::convert::openai::details::{ReasoningDetail, ReasoningDetails};
use crate::convert::openai::{openai_call_id, ChatOutputOptions};
use crate::convert::output::{FinishReason, OutputEvent, OutputMachine, Usage};
use crate::convert::responses::request::Item;
use crate::convert::responses::sealed::Sealed;
use crate::convert::responses::tools::{custom_input_from_arguments, ToolKind, ToolNames};
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
    output: Vec<Value>,
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
            self.emit(&mut out, "response.created", json!({"response": response}));
            self.emit(
                &mut out,
                "response.in_progress",
                json!({"response": response}),
            );
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
        let usage = if self.status == Status::InProgress {
            Value::Null
        } else {
            self.usage()
        };
        let error = match &self.error {
            Some(e) => json!({
                "code": e.code.clone().unwrap_or_else(|| "server_error".into()),
                "message": e.message,
            }),
            None => Value::Null,
        };
        json!({
            "id": self.id,
            "object": "response",
            "created_at": self.created_at,
            "status": self.status.as_str(),
            "background": false,
            "error": error,
            "incomplete_details": self.incomplete_reason.map(|r| json!({"reason": r})),
            "instructions": self.echo.instructions,
            "max_output_tokens": self.echo.max_output_tokens,
            "model": self.model,
            "output": self.output,
            "parallel_tool_calls": self.echo.parallel_tool_calls,
            "previous_response_id": self.echo.previous_response_id,
            "reasoning": self.echo.reasoning,
            "store": self.echo.store,
            "temperature": 1.0,
            "text": self.echo.text,
            "tool_choice": self.echo.tool_choice,
            "tools": self.echo.tools,
            "top_p": 1.0,
            "truncation": "disabled",
            "usage": usage,
            "user": null,
            "metadata": if self.echo.metadata.is_null() { json!({}) } else { self.echo.metadata.clone() },
        })
    }

    /// The output as conversation items (for the store), in order.
    pub fn output_items(&self) -> Vec<Item> {
        self.output
            .iter()
            .filter_map(|item| match item["type"].as_str()? {
                "message" => Some(Item::Message {
                    role: "assistant".into(),
                    parts: vec![crate::convert::openai::UserPart::Text(
                        item["content"][0]["text"].as_str()?.to_owned(),
                    )],
                }),
                "function_call" => Some(Item::FunctionCall {
                    call_id: item["call_id"].as_str()?.to_owned(),
                    namespace: item["namespace"].as_str().map(str::to_owned),
                    name: item["name"].as_str()?.to_owned(),
                    arguments: item["arguments"].as_str()?.to_owned(),
                }),
                "custom_tool_call" => Some(Item::CustomToolCall {
                    call_id: item["call_id"].as_str()?.to_owned(),
                    namespace: item["namespace"].as_str().map(str::to_owned),
                    name: item["name"].as_str()?.to_owned(),
                    input: item["input"].as_str()?.to_owned(),
                }),
                "reasoning" => Some(Item::Reasoning {
                    summary: item["summary"][0]["text"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned(),
                    encrypted: item["encrypted_content"].as_str().map(str::to_owned),
                }),
                _ => None,
            })
            .collect()
    }

    /// The Responses `usage` (see the module documentation).
    pub fn usage(&self) -> Value {
        serde_json::to_value(ResponsesUsage::from(&self.machine.usage())).unwrap_or(Value::Null)
    }

    // -----------------------------------------------------------------------------------

    fn emit(&mut self, out: &mut Vec<Value>, kind: &str, fields: Value) {
        let mut event = Map::new();
        event.insert("type".into(), json!(kind));
        event.insert("sequence_number".into(), json!(self.seq));
        self.seq += 1;
        if let Value::Object(map) = fields {
            event.extend(map);
        }
        out.push(Value::Object(event));
    }

    fn item_id(&self, index: usize) -> String {
        self.output[index]["id"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
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
                    self.call_start(index, &openai_call_id(&id), &name, out);
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

    fn add_item(&mut self, item: Value, out: &mut Vec<Value>) -> usize {
        let index = self.output.len();
        self.output.push(item.clone());
        self.emit(
            out,
            "response.output_item.added",
            json!({"output_index": index, "item": item}),
        );
        index
    }

    fn reasoning_delta(&mut self, text: &str, out: &mut Vec<Value>) {
        if !matches!(self.open, Some(Open::Reasoning { .. })) {
            self.close(out);
            let id = format!("rs_{}", uuid::Uuid::new_v4().simple());
            let index = self.add_item(json!({"id": id, "type": "reasoning", "summary": []}), out);
            self.emit(
                out,
                "response.reasoning_summary_part.added",
                json!({"item_id": id, "output_index": index, "summary_index": 0,
                       "part": {"type": "summary_text", "text": ""}}),
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
            let id = self.item_id(index);
            self.emit(
                out,
                "response.reasoning_summary_text.delta",
                json!({"item_id": id, "output_index": index, "summary_index": 0, "delta": text}),
            );
        }
    }

    /// Encrypted reasoning: a reasoning item of its own.
    fn encrypted_reasoning(&mut self, data: String, out: &mut Vec<Value>) {
        self.close(out);
        let id = format!("rs_{}", uuid::Uuid::new_v4().simple());
        let item = json!({"id": id, "type": "reasoning", "summary": [],
                          "encrypted_content": Sealed::Redacted(data).seal()});
        let index = self.add_item(item.clone(), out);
        self.emit(
            out,
            "response.output_item.done",
            json!({"output_index": index, "item": item}),
        );
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
                json!({"id": id, "type": "message", "status": "in_progress", "role": "assistant",
                       "content": []}),
                out,
            );
            self.emit(
                out,
                "response.content_part.added",
                json!({"item_id": id, "output_index": index, "content_index": 0,
                       "part": {"type": "output_text", "text": "", "annotations": []}}),
            );
            self.open = Some(Open::Message {
                index,
                text: String::new(),
            });
        }
        if let Some(Open::Message { index, text: acc }) = &mut self.open {
            acc.push_str(text);
            let index = *index;
            let id = self.item_id(index);
            self.emit(
                out,
                "response.output_text.delta",
                json!({"item_id": id, "output_index": index, "content_index": 0, "delta": text,
                       "logprobs": []}),
            );
        }
    }

    fn call_start(&mut self, call: usize, call_id: &str, flat: &str, out: &mut Vec<Value>) {
        self.close(out);
        let origin = self.tool_names.origin(flat);
        let kind = origin.map_or(ToolKind::Function, |o| o.kind);
        let name = origin.map_or(flat, |o| o.name.as_str());
        let mut item = match kind {
            ToolKind::Function => json!({
                "id": format!("fc_{}", uuid::Uuid::new_v4().simple()),
                "type": "function_call", "status": "in_progress",
                "arguments": "", "call_id": call_id, "name": name}),
            ToolKind::Custom => json!({
                "id": format!("ctc_{}", uuid::Uuid::new_v4().simple()),
                "type": "custom_tool_call", "status": "in_progress",
                "input": "", "call_id": call_id, "name": name}),
        };
        if let Some(ns) = origin.and_then(|o| o.namespace.as_deref()) {
            item["namespace"] = json!(ns);
        }
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
        let target = self.calls.iter().find(|(c, _)| *c == call).map(|(_, i)| *i);
        match (&mut self.open, target) {
            (
                Some(Open::Call {
                    index,
                    arguments,
                    kind,
                }),
                Some(t),
            ) if *index == t => {
                arguments.push_str(fragment);
                if *kind == ToolKind::Custom {
                    // The raw input is only known once the JSON around it is complete.
                    return;
                }
                let id = self.item_id(t);
                self.emit(
                    out,
                    "response.function_call_arguments.delta",
                    json!({"item_id": id, "output_index": t, "delta": fragment}),
                );
            }
            (_, Some(t)) => {
                // A late fragment for a call already closed: keep it in the final item only.
                if let Some((_, raw)) = self.custom_arguments.iter_mut().find(|(i, _)| *i == t) {
                    raw.push_str(fragment);
                    self.output[t]["input"] = json!(custom_input_from_arguments(raw));
                } else if let Some(args) = self.output[t].get_mut("arguments") {
                    let joined = format!("{}{fragment}", args.as_str().unwrap_or_default());
                    *args = json!(joined);
                }
            }
            _ => {}
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
        match open {
            Open::Reasoning {
                index,
                text,
                sealed,
            } => {
                let id = self.item_id(index);
                self.emit(
                    out,
                    "response.reasoning_summary_text.done",
                    json!({"item_id": id, "output_index": index, "summary_index": 0, "text": text}),
                );
                let part = json!({"type": "summary_text", "text": text});
                self.emit(
                    out,
                    "response.reasoning_summary_part.done",
                    json!({"item_id": id, "output_index": index, "summary_index": 0, "part": part}),
                );
                self.output[index]["summary"] = json!([part]);
                if let Some(sealed) = sealed {
                    self.output[index]["encrypted_content"] = json!(sealed.seal());
                }
            }
            Open::Message { index, text } => {
                let id = self.item_id(index);
                self.emit(
                    out,
                    "response.output_text.done",
                    json!({"item_id": id, "output_index": index, "content_index": 0, "text": text,
                           "logprobs": []}),
                );
                let part = json!({"type": "output_text", "text": text, "annotations": []});
                self.emit(
                    out,
                    "response.content_part.done",
                    json!({"item_id": id, "output_index": index, "content_index": 0, "part": part}),
                );
                self.output[index]["content"] = json!([part]);
                self.output[index]["status"] = json!(status);
            }
            Open::Call {
                index,
                arguments,
                kind: ToolKind::Function,
            } => {
                let id = self.item_id(index);
                self.emit(
                    out,
                    "response.function_call_arguments.done",
                    json!({"item_id": id, "output_index": index, "arguments": arguments}),
                );
                self.output[index]["arguments"] = json!(arguments);
                self.output[index]["status"] = json!(status);
            }
            Open::Call {
                index,
                arguments,
                kind: ToolKind::Custom,
            } => {
                let id = self.item_id(index);
                let input = custom_input_from_arguments(&arguments);
                self.emit(
                    out,
                    "response.custom_tool_call_input.delta",
                    json!({"item_id": id, "output_index": index, "delta": input}),
                );
                self.emit(
                    out,
                    "response.custom_tool_call_input.done",
                    json!({"item_id": id, "output_index": index, "input": input}),
                );
                self.output[index]["input"] = json!(input);
                self.output[index]["status"] = json!(status);
                self.custom_arguments.push((index, arguments));
            }
        }
        let item = self.output[index].clone();
        self.emit(
            out,
            "response.output_item.done",
            json!({"output_index": index, "item": item}),
        );
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
        let kind = if self.status == Status::Incomplete {
            "response.incomplete"
        } else {
            "response.completed"
        };
        self.emit(out, kind, json!({"response": response}));
    }

    fn fail(&mut self, error: ApiError, out: &mut Vec<Value>) {
        self.status = Status::Failed;
        self.close(out);
        self.error = Some(error);
        let response = self.response();
        self.emit(out, "response.failed", json!({"response": response}));
    }
}

/// The Responses `usage` object.
#[derive(Serialize)]
struct ResponsesUsage {
    input_tokens: u64,
    input_tokens_details: CachedTokens,
    output_tokens: u64,
    output_tokens_details: ReasoningTokens,
    total_tokens: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    kiro_credits: Option<f64>,
}

#[derive(Serialize)]
struct CachedTokens {
    cached_tokens: u64,
}

#[derive(Serialize)]
struct ReasoningTokens {
    reasoning_tokens: u64,
}

impl From<&Usage> for ResponsesUsage {
    fn from(usage: &Usage) -> Self {
        let input = usage.prompt_tokens();
        ResponsesUsage {
            input_tokens: input,
            input_tokens_details: CachedTokens {
                cached_tokens: usage.cache_read_input_tokens.unwrap_or(0),
            },
            output_tokens: usage.output_tokens,
            output_tokens_details: ReasoningTokens {
                reasoning_tokens: usage.reasoning_tokens.unwrap_or(0),
            },
            total_tokens: input.saturating_add(usage.output_tokens),
            kiro_credits: usage.credits,
        }
    }
}
