//! The chat wire structs: `chat.completion.chunk`, `chat.completion`, `usage`.

use serde::Serialize;
use serde_json::Value;

use super::details::ReasoningDetail;
use crate::convert::output::Usage;

#[derive(Serialize)]
pub struct Chunk<'a> {
    pub id: &'a str,
    pub object: &'static str,
    pub created: i64,
    pub model: &'a str,
    pub choices: Vec<ChunkChoice>,
    /// Absent, `null` (every chunk with `include_usage`) or the usage (the last one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub usage: Option<Option<ChatUsage>>,
}

#[derive(Serialize)]
pub struct ChunkChoice {
    pub index: u32,
    pub delta: Delta,
    pub logprobs: (),
    pub finish_reason: Option<&'static str>,
}

#[derive(Serialize, Default)]
pub struct Delta {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reasoning_content: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reasoning_details: Option<Vec<ReasoningDetail>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool_calls: Option<Vec<ToolCallDelta>>,
}

#[derive(Serialize)]
pub struct ToolCallDelta {
    pub index: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<&'static str>,
    pub function: FunctionDelta,
}

#[derive(Serialize)]
pub struct FunctionDelta {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub arguments: String,
}

#[derive(Serialize)]
pub struct Completion<'a> {
    pub id: &'a str,
    pub object: &'static str,
    pub created: i64,
    pub model: &'a str,
    pub choices: [CompletionChoice<'a>; 1],
    pub usage: ChatUsage,
}

#[derive(Serialize)]
pub struct CompletionChoice<'a> {
    pub index: u32,
    pub message: Message<'a>,
    pub logprobs: (),
    pub finish_reason: &'static str,
}

#[derive(Serialize)]
pub struct Message<'a> {
    pub role: &'static str,
    /// `null` for an answer that is tool calls only.
    pub content: Option<&'a str>,
    pub refusal: (),
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reasoning_content: Option<&'a str>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub reasoning_details: &'a [ReasoningDetail],
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tool_calls: Vec<MessageToolCall<'a>>,
}

#[derive(Serialize)]
pub struct MessageToolCall<'a> {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub function: MessageFunction<'a>,
}

#[derive(Serialize)]
pub struct MessageFunction<'a> {
    pub name: &'a str,
    pub arguments: &'a str,
}

/// The chat `usage` object.
#[derive(Serialize)]
pub struct ChatUsage {
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    pub total_tokens: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prompt_tokens_details: Option<CachedTokens>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub completion_tokens_details: Option<ReasoningTokens>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kiro_credits: Option<f64>,
}

#[derive(Serialize)]
pub struct CachedTokens {
    pub cached_tokens: u64,
}

#[derive(Serialize)]
pub struct ReasoningTokens {
    pub reasoning_tokens: u64,
}

impl From<&Usage> for ChatUsage {
    fn from(usage: &Usage) -> Self {
        let prompt = usage.prompt_tokens();
        ChatUsage {
            prompt_tokens: prompt,
            completion_tokens: usage.output_tokens,
            total_tokens: prompt.saturating_add(usage.output_tokens),
            prompt_tokens_details: usage
                .cache_read_input_tokens
                .map(|cached_tokens| CachedTokens { cached_tokens }),
            completion_tokens_details: usage
                .reasoning_tokens
                .map(|reasoning_tokens| ReasoningTokens { reasoning_tokens }),
            kiro_credits: usage.credits,
        }
    }
}

/// A wire struct as JSON (they have string keys only, so this cannot fail).
pub fn to_json(wire: impl Serialize) -> Value {
    serde_json::to_value(wire).unwrap_or(Value::Null)
}
