//! Kiro events → Responses streaming events, or one `response` object.
//!
//! The chat path's [`ChatOutput`] does the real work (reasoning tags, stop handling,
//! `max_output_tokens`, tool-call assembly, usage, finish reasons, upstream errors); this
//! module re-renders its chunks as Responses output items. One machine serves both modes:
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
//! Signed native reasoning (the chat machine's `reasoning_details`) rides in the reasoning
//! item's `encrypted_content` ([`Sealed`]), written when the item closes, whether or not the
//! request's `include` asked for it: Codex hands it back on the next turn and Kiro needs it.

use serde_json::{json, Map, Value};

use crate::convert::openai::{ChatOutput, ChatOutputOptions};
use crate::convert::responses::request::Item;
use crate::convert::responses::sealed::Sealed;
use crate::convert::responses::tools::{custom_input_from_arguments, ToolKind, ToolNames};
use crate::convert::trailer::CREDITS_FIELD;
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
        /// Signed reasoning from the chat machine's `reasoning_details`, sealed into the
        /// item's `encrypted_content` when it closes.
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
    chat: ChatOutput,
    seq: u64,
    started: bool,
    output: Vec<Value>,
    open: Option<Open>,
    /// Chat tool-call index → output index.
    calls: Vec<(u64, usize)>,
    /// Flat Kiro tool name → namespaced / custom client tool.
    tool_names: ToolNames,
    /// Output index → the JSON arguments Kiro produced, for closed custom tool calls.
    custom_arguments: Vec<(usize, String)>,
    status: Status,
    incomplete_reason: Option<&'static str>,
    error: Option<ApiError>,
}

impl ResponsesOutput {
    /// `chat` options as for the chat path (`id`, `model`, `include_usage` are ignored).
    pub fn new(id: String, created_at: i64, echo: ResponseEcho, chat: ChatOutputOptions) -> Self {
        let model = chat.model.clone();
        ResponsesOutput {
            id,
            model,
            created_at,
            echo,
            chat: ChatOutput::new(ChatOutputOptions {
                include_usage: false,
                ..chat
            }),
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
        self.chat.is_finished() || self.status != Status::InProgress
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
        let chunks = self.chat.on_event(event);
        self.chunks(chunks, &mut out);
        out
    }

    /// An error outside the event stream (timeout, undecodable frame).
    pub fn on_failure(&mut self, error: ApiError) -> Vec<Value> {
        let mut out = self.start();
        if self.status != Status::InProgress {
            return out;
        }
        let chunks = self.chat.on_failure(error);
        self.chunks(chunks, &mut out);
        out
    }

    /// End of the upstream (or the caller stopped after [`is_finished`](Self::is_finished)):
    /// the last items are closed and the terminal event is returned. Nothing after that.
    pub fn finish(&mut self) -> Vec<Value> {
        let mut out = self.start();
        if self.status != Status::InProgress {
            return out;
        }
        let chunks = self.chat.finish();
        self.chunks(chunks, &mut out);
        if self.status == Status::InProgress {
            // The chat machine had already failed or finished without a finish chunk.
            let reason = self.chat.finish_reason().unwrap_or("stop");
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

    /// The Responses `usage` (from the chat machine's usage).
    pub fn usage(&self) -> Value {
        let chat = self.chat.usage();
        let input = chat["prompt_tokens"].as_u64().unwrap_or(0);
        let output = chat["completion_tokens"].as_u64().unwrap_or(0);
        let cached = chat["prompt_tokens_details"]["cached_tokens"]
            .as_u64()
            .unwrap_or(0);
        let reasoning = chat["completion_tokens_details"]["reasoning_tokens"]
            .as_u64()
            .unwrap_or(0);
        let mut usage = json!({
            "input_tokens": input,
            "input_tokens_details": {"cached_tokens": cached},
            "output_tokens": output,
            "output_tokens_details": {"reasoning_tokens": reasoning},
            "total_tokens": input.saturating_add(output),
        });
        if let Some(credits) = chat.get(CREDITS_FIELD) {
            usage[CREDITS_FIELD] = credits.clone();
        }
        usage
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

    fn chunks(&mut self, chunks: Vec<Value>, out: &mut Vec<Value>) {
        for chunk in chunks {
            if chunk.get("error").is_some() {
                let err = self.chat.error().cloned().unwrap_or_else(|| {
                    ApiError::new(
                        crate::error::ErrorKind::Upstream,
                        chunk["error"]["message"]
                            .as_str()
                            .unwrap_or("upstream error"),
                    )
                });
                self.fail(err, out);
                continue;
            }
            let choice = &chunk["choices"][0];
            let delta = &choice["delta"];
            if let Some(text) = delta["reasoning_content"].as_str() {
                self.reasoning_delta(text, out);
            }
            for detail in delta["reasoning_details"].as_array().into_iter().flatten() {
                self.reasoning_detail(detail, out);
            }
            if let Some(text) = delta["content"].as_str() {
                if !text.is_empty() {
                    self.text_delta(text, out);
                }
            }
            if let Some(calls) = delta["tool_calls"].as_array() {
                for call in calls {
                    self.call_delta(call, out);
                }
            }
            if let Some(reason) = choice["finish_reason"].as_str() {
                self.terminate(reason, out);
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

    /// A `reasoning_details` item of the chat machine: a signed stretch of reasoning (it
    /// comes before whatever closes the reasoning item), or encrypted reasoning, which
    /// becomes a reasoning item of its own.
    fn reasoning_detail(&mut self, detail: &Value, out: &mut Vec<Value>) {
        if let Some(data) = detail["data"].as_str() {
            self.close(out);
            let id = format!("rs_{}", uuid::Uuid::new_v4().simple());
            let item = json!({"id": id, "type": "reasoning", "summary": [],
                              "encrypted_content": Sealed::Redacted(data.to_owned()).seal()});
            let index = self.add_item(item.clone(), out);
            self.emit(
                out,
                "response.output_item.done",
                json!({"output_index": index, "item": item}),
            );
            return;
        }
        let (Some(text), Some(signature)) = (detail["text"].as_str(), detail["signature"].as_str())
        else {
            return;
        };
        if let Some(Open::Reasoning { sealed, .. }) = &mut self.open {
            *sealed = Some(Sealed::Signed {
                text: text.to_owned(),
                signature: signature.to_owned(),
            });
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

    fn call_delta(&mut self, call: &Value, out: &mut Vec<Value>) {
        let chat_index = call["index"].as_u64().unwrap_or(0);
        if let Some(call_id) = call["id"].as_str() {
            self.close(out);
            let flat = call["function"]["name"].as_str().unwrap_or_default();
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
            self.calls.push((chat_index, index));
            self.open = Some(Open::Call {
                index,
                arguments: String::new(),
                kind,
            });
        }
        let Some(fragment) = call["function"]["arguments"].as_str() else {
            return;
        };
        if fragment.is_empty() {
            return;
        }
        let target = self
            .calls
            .iter()
            .find(|(c, _)| *c == chat_index)
            .map(|(_, i)| *i);
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

    fn terminate(&mut self, finish_reason: &str, out: &mut Vec<Value>) {
        self.incomplete_reason = match finish_reason {
            "length" => Some("max_output_tokens"),
            "content_filter" => Some("content_filter"),
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
