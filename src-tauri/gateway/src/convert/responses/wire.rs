//! The Responses wire structs: output items, stream events, the `response` object, usage.

use serde::Serialize;
use serde_json::Value;

use crate::convert::openai::UserPart;
use crate::convert::output::Usage;
use crate::convert::responses::request::Item;

/// One output item, as `response.output` and the item events show it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum OutputItem {
    Reasoning {
        id: String,
        summary: Vec<SummaryText>,
        /// Signed or encrypted reasoning ([`super::sealed::Sealed`]).
        #[serde(skip_serializing_if = "Option::is_none")]
        encrypted_content: Option<String>,
    },
    Message {
        id: String,
        status: &'static str,
        role: &'static str,
        content: Vec<OutputText>,
    },
    FunctionCall {
        id: String,
        status: &'static str,
        arguments: String,
        call_id: String,
        name: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        namespace: Option<String>,
    },
    CustomToolCall {
        id: String,
        status: &'static str,
        input: String,
        call_id: String,
        name: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        namespace: Option<String>,
    },
}

impl OutputItem {
    pub fn id(&self) -> &str {
        match self {
            OutputItem::Reasoning { id, .. }
            | OutputItem::Message { id, .. }
            | OutputItem::FunctionCall { id, .. }
            | OutputItem::CustomToolCall { id, .. } => id,
        }
    }

    /// The item as a conversation item (for the store); `None` for a message not closed.
    pub fn to_item(&self) -> Option<Item> {
        Some(match self {
            OutputItem::Message { content, .. } => Item::Message {
                role: "assistant".into(),
                parts: vec![UserPart::Text(content.first()?.text.clone())],
            },
            OutputItem::FunctionCall {
                call_id,
                namespace,
                name,
                arguments,
                ..
            } => Item::FunctionCall {
                call_id: call_id.clone(),
                namespace: namespace.clone(),
                name: name.clone(),
                arguments: arguments.clone(),
            },
            OutputItem::CustomToolCall {
                call_id,
                namespace,
                name,
                input,
                ..
            } => Item::CustomToolCall {
                call_id: call_id.clone(),
                namespace: namespace.clone(),
                name: name.clone(),
                input: input.clone(),
            },
            OutputItem::Reasoning {
                summary,
                encrypted_content,
                ..
            } => Item::Reasoning {
                summary: summary.first().map(|s| s.text.clone()).unwrap_or_default(),
                encrypted: encrypted_content.clone(),
            },
        })
    }

    /// Mark a message or call `completed` / `incomplete` (reasoning has no status).
    pub fn set_status(&mut self, value: &'static str) {
        match self {
            OutputItem::Message { status, .. }
            | OutputItem::FunctionCall { status, .. }
            | OutputItem::CustomToolCall { status, .. } => *status = value,
            OutputItem::Reasoning { .. } => {}
        }
    }
}

/// A reasoning summary part.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename = "summary_text")]
pub struct SummaryText {
    pub text: String,
}

/// A message content part.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename = "output_text")]
pub struct OutputText {
    pub text: String,
    pub annotations: [(); 0],
}

impl OutputText {
    pub fn new(text: String) -> Self {
        OutputText {
            text,
            annotations: [],
        }
    }
}

/// One stream event without its `sequence_number` (the renderer numbers them).
#[derive(Serialize)]
#[serde(tag = "type")]
pub enum Event<'a> {
    #[serde(rename = "response.created")]
    Created { response: Value },
    #[serde(rename = "response.in_progress")]
    InProgress { response: Value },
    #[serde(rename = "response.completed")]
    Completed { response: Value },
    #[serde(rename = "response.incomplete")]
    Incomplete { response: Value },
    #[serde(rename = "response.failed")]
    Failed { response: Value },
    #[serde(rename = "response.output_item.added")]
    ItemAdded {
        output_index: usize,
        item: &'a OutputItem,
    },
    #[serde(rename = "response.output_item.done")]
    ItemDone {
        output_index: usize,
        item: &'a OutputItem,
    },
    #[serde(rename = "response.reasoning_summary_part.added")]
    SummaryPartAdded {
        item_id: &'a str,
        output_index: usize,
        summary_index: u32,
        part: SummaryText,
    },
    #[serde(rename = "response.reasoning_summary_text.delta")]
    SummaryTextDelta {
        item_id: &'a str,
        output_index: usize,
        summary_index: u32,
        delta: &'a str,
    },
    #[serde(rename = "response.reasoning_summary_text.done")]
    SummaryTextDone {
        item_id: &'a str,
        output_index: usize,
        summary_index: u32,
        text: &'a str,
    },
    #[serde(rename = "response.reasoning_summary_part.done")]
    SummaryPartDone {
        item_id: &'a str,
        output_index: usize,
        summary_index: u32,
        part: SummaryText,
    },
    #[serde(rename = "response.content_part.added")]
    ContentPartAdded {
        item_id: &'a str,
        output_index: usize,
        content_index: u32,
        part: OutputText,
    },
    #[serde(rename = "response.output_text.delta")]
    OutputTextDelta {
        item_id: &'a str,
        output_index: usize,
        content_index: u32,
        delta: &'a str,
        logprobs: [(); 0],
    },
    #[serde(rename = "response.output_text.done")]
    OutputTextDone {
        item_id: &'a str,
        output_index: usize,
        content_index: u32,
        text: &'a str,
        logprobs: [(); 0],
    },
    #[serde(rename = "response.content_part.done")]
    ContentPartDone {
        item_id: &'a str,
        output_index: usize,
        content_index: u32,
        part: OutputText,
    },
    #[serde(rename = "response.function_call_arguments.delta")]
    ArgumentsDelta {
        item_id: &'a str,
        output_index: usize,
        delta: &'a str,
    },
    #[serde(rename = "response.function_call_arguments.done")]
    ArgumentsDone {
        item_id: &'a str,
        output_index: usize,
        arguments: &'a str,
    },
    #[serde(rename = "response.custom_tool_call_input.delta")]
    CustomInputDelta {
        item_id: &'a str,
        output_index: usize,
        delta: &'a str,
    },
    #[serde(rename = "response.custom_tool_call_input.done")]
    CustomInputDone {
        item_id: &'a str,
        output_index: usize,
        input: &'a str,
    },
}

/// The `response` object.
#[derive(Serialize)]
pub struct ResponseObject<'a> {
    pub id: &'a str,
    pub object: &'static str,
    pub created_at: i64,
    pub status: &'static str,
    pub background: bool,
    pub error: Option<ResponseError<'a>>,
    pub incomplete_details: Option<IncompleteDetails>,
    pub instructions: Option<&'a str>,
    pub max_output_tokens: Option<u32>,
    pub model: &'a str,
    pub output: &'a [OutputItem],
    pub parallel_tool_calls: bool,
    pub previous_response_id: Option<&'a str>,
    pub reasoning: &'a Value,
    pub store: bool,
    pub temperature: f64,
    pub text: &'a Value,
    pub tool_choice: &'a Value,
    pub tools: &'a Value,
    pub top_p: f64,
    pub truncation: &'static str,
    pub usage: Option<ResponsesUsage>,
    pub user: (),
    pub metadata: &'a Value,
}

#[derive(Serialize)]
pub struct ResponseError<'a> {
    pub code: &'a str,
    pub message: &'a str,
}

#[derive(Serialize)]
pub struct IncompleteDetails {
    pub reason: &'static str,
}

/// The Responses `usage` object: `input_tokens` = the whole prompt
/// ([`Usage::prompt_tokens`]), with the cache reads upstream reported as
/// `input_tokens_details.cached_tokens` (else 0); `output_tokens_details.reasoning_tokens` =
/// the reasoning estimate (else 0).
#[derive(Serialize)]
pub struct ResponsesUsage {
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
