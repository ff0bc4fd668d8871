//! The output items: opening one, streaming into it, and closing it with its `done` events.

use serde_json::{json, Value};

use super::{to_json, ResponsesOutput, Status};
use crate::convert::openai::details::ReasoningDetail;
use crate::convert::responses::sealed::Sealed;
use crate::convert::responses::tools::{custom_input_from_arguments, ToolKind};
use crate::convert::responses::wire::{Event, OutputItem, OutputText, SummaryText};

/// The item being streamed: its output index and what it gathered so far.
#[derive(Debug)]
pub(super) enum Open {
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

impl ResponsesOutput {
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

    pub(super) fn reasoning_delta(&mut self, text: &str, out: &mut Vec<Value>) {
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
    pub(super) fn encrypted_reasoning(&mut self, data: String, out: &mut Vec<Value>) {
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
    pub(super) fn end_stretch(&mut self) {
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

    pub(super) fn text_delta(&mut self, text: &str, out: &mut Vec<Value>) {
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

    pub(super) fn call_start(
        &mut self,
        call: usize,
        call_id: String,
        flat: &str,
        out: &mut Vec<Value>,
    ) {
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

    pub(super) fn call_arguments(&mut self, call: usize, fragment: &str, out: &mut Vec<Value>) {
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
    pub(super) fn close(&mut self, out: &mut Vec<Value>) {
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
}
