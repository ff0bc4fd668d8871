//! OpenAI Chat Completions request → [`ChatRequest`] (typed, validated) → neutral
//! [`Conversation`](crate::convert::Conversation).
//!
//! [`parse_chat_request`] reads the top-level fields and hands the rest to its parts:
//! [`fields`] (sampling fields, `stop`), [`reasoning`] (`reasoning_effort` and its budget),
//! [`response_format`], [`tools`] (`tools`, `functions`, `tool_choice`), [`messages`] (each
//! message by role) with [`content`] (text, image and tool-result content).
//! [`to_conversation`] ([`conversation`]) builds the neutral conversation.
//!
//! Decisions (all documented here so handlers and tests agree):
//!
//! * **Validation.** The body is decoded to JSON and walked with [`At`](crate::convert::json_at::At) (OpenAI's wording,
//!   [`Wording::OpenAi`]) so every type error is a 400 whose `param` is the exact field path
//!   (`messages[2].content`, `messages[0].content[1].image_url`, `tools[3].function.name`,
//!   …). Unknown fields are ignored. `temperature`, `top_p`, `seed`, `presence_penalty`,
//!   `frequency_penalty`, `logit_bias`, `logprobs`, `top_logprobs`, `user`, `metadata`,
//!   `store`, `service_tier` are type-checked the way OpenAI does ([`fields::SAMPLING_FIELDS`];
//!   `temperature`, `top_p` and the penalties also against OpenAI's ranges), then ignored
//!   (Kiro has no such parameters); `null` is accepted for each. `prediction` and
//!   `modalities` are ignored unchecked.
//! * **system / developer** messages that come before the first user/assistant/tool
//!   message become [`Conversation::system`](crate::convert::Conversation::system), joined in order with a blank line. Later
//!   ones (some agents inject reminders mid-conversation) become a user message whose text
//!   is `"[System message]\n"` + the text, at their position, so their order is kept.
//!   A conversation of system/developer messages only is sent as one user message holding
//!   their text (OpenAI answers such requests; Kiro needs a user turn).
//! * **Assistant tool-call arguments** must be a string (as OpenAI requires; an object is
//!   a 400 naming `messages[i].tool_calls[j].function.arguments`) and are parsed as JSON.
//!   An empty string is `{}`. Text that is not a JSON *object* (unparsable, e.g. a call
//!   truncated in an earlier turn, or another JSON type) is kept as `{"_raw": "<the
//!   text>"}` instead of refusing the whole conversation.
//! * **Tool results**: `tool` messages must name a `tool_call_id` issued by an earlier
//!   assistant message (else 400). Legacy `function` messages are matched by `name` to the
//!   latest earlier assistant call of that function (legacy assistant `function_call`s get
//!   the id `call_fn_<message index>`). Consecutive tool results form one user message.
//! * **Images**: only `data:` URLs of PNG/JPEG/GIF/WebP. Remote `http(s)` URLs are refused
//!   with a 400 naming `messages[i].content[j].image_url` (the gateway does not fetch).
//! * **response_format**: `json_object` / `json_schema` append an instruction (and, for a
//!   schema, the schema itself) to the system text; [`ChatRequest::response_format`]
//!   exposes the schema ([`ResponseFormat::schema`]) so the caller can validate the final
//!   text of a non-streaming answer; [`ResponseFormat::check_answer`] does a shallow check
//!   (parses as JSON after removing a Markdown fence, top-level type, required keys).
//!   Nothing is enforced on streams. `text` changes nothing.
//! * **Reasoning**: see [`reasoning_budget`] for the `reasoning_effort` table. An explicit
//!   `"none"` sets [`Conversation::reasoning_off`](crate::convert::Conversation::reasoning_off), so a `-thinking` model name (applied by the
//!   pipeline, which resolves the model once for every dialect) does not turn it back on.
//! * `max_completion_tokens` wins over `max_tokens`; both must be integers ≥ 1.
//! * `stop`: a string or an array of at most 4 strings; empty strings are dropped.
//! * `n` other than 1 → 400. `parallel_tool_calls` is accepted (Kiro decides itself).

use crate::convert::conversation::{ToolChoice, ToolSpec};
use crate::convert::json_at::Wording;
use crate::error::ApiError;

mod content;
mod conversation;
mod fields;
mod messages;
pub(super) mod reasoning;
mod response_format;
mod tools;

pub use content::UserPart;
pub use conversation::to_conversation;
pub use messages::{AssistantToolCall, ChatMessage};
pub(crate) use reasoning::parse_effort;
pub use reasoning::ReasoningEffort;
pub use response_format::{strip_code_fence, ResponseFormat};

use fields::{check_sampling_fields, must_not_be_empty, parse_stop};
use messages::parse_messages;
use response_format::parse_response_format;
use tools::{parse_tool_choice, parse_tools};

/// A validated Chat Completions request.
#[derive(Debug, Clone, PartialEq)]
pub struct ChatRequest {
    pub model: String,
    pub messages: Vec<ChatMessage>,
    /// `tools` (function tools) followed by legacy `functions`.
    pub tools: Vec<ToolSpec>,
    pub tool_choice: ToolChoice,
    pub parallel_tool_calls: Option<bool>,
    /// `max_completion_tokens`, else `max_tokens`.
    pub max_tokens: Option<u32>,
    pub stop: Vec<String>,
    pub response_format: ResponseFormat,
    pub reasoning_effort: Option<ReasoningEffort>,
    pub stream: bool,
    /// `stream_options.include_usage`.
    pub include_usage: bool,
}

/// Parse and validate a request body. Every failure is a 400 [`ApiError`]; type errors name
/// the field path in `param`.
pub fn parse_chat_request(body: &[u8]) -> Result<ChatRequest, ApiError> {
    let value = Wording::OpenAi.parse(body)?;
    let root = Wording::OpenAi.root(&value);

    let model_at = root.require("model")?;
    let model = model_at.str()?;
    if model.trim().is_empty() {
        return Err(must_not_be_empty(&model_at));
    }

    if let Some(n_at) = root.get("n") {
        let n = n_at.i64()?;
        if n != 1 {
            return Err(n_at.invalid(format!("{n}. Only n=1 is supported by this gateway")));
        }
    }

    let stream = root.opt_bool("stream")?.unwrap_or(false);
    let include_usage = match root.get("stream_options") {
        None => false,
        Some(so) => {
            so.object()?;
            so.opt_bool("include_usage")?.unwrap_or(false)
        }
    };
    let parallel_tool_calls = root.opt_bool("parallel_tool_calls")?;
    check_sampling_fields(&root)?;

    let max_tokens = match root.get("max_completion_tokens") {
        Some(v) => Some(v.positive_u32()?),
        None => root
            .get("max_tokens")
            .map(|v| v.positive_u32())
            .transpose()?,
    };

    let stop = root.get("stop").map(|v| parse_stop(&v)).transpose()?;
    let response_format = root
        .get("response_format")
        .map(|v| parse_response_format(&v))
        .transpose()?
        .unwrap_or_default();
    let reasoning_effort = root
        .get("reasoning_effort")
        .map(|v| parse_effort(&v))
        .transpose()?;

    let tools = parse_tools(&root)?;
    let tool_choice = parse_tool_choice(&root, &tools)?;

    let messages = parse_messages(&root.require("messages")?)?;

    Ok(ChatRequest {
        model: model.to_string(),
        messages,
        tools,
        tool_choice,
        parallel_tool_calls,
        max_tokens,
        stop: stop.unwrap_or_default(),
        response_format,
        reasoning_effort,
        stream,
        include_usage,
    })
}
