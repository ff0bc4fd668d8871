//! OpenAI Responses request → [`ResponsesRequest`] (typed, validated) → the Chat
//! Completions [`ChatRequest`] → neutral [`Conversation`] (through the chat path's own
//! [`to_conversation`], so system handling, `text.format`, reasoning budgets and tool-result
//! grouping are shared, not forked).
//!
//! [`parse_responses_request`] reads the top-level fields, with [`settings`] (`reasoning`,
//! `text`) and [`input`] (the items, [`items::Item`]); [`to_conversation_from`]
//! ([`conversation`]) turns stored history and input into the neutral conversation.
//!
//! [`ChatRequest`]: crate::convert::openai::ChatRequest
//! [`Conversation`]: crate::convert::Conversation
//! [`to_conversation`]: crate::convert::openai::to_conversation
//!
//! Decisions:
//!
//! * **input**: a string (one user message) or a list of items. Items: `message` (also
//!   without `type`, as the SDKs send `{role, content}`) with `input_text` / `output_text` /
//!   `refusal` / `input_image` parts or a plain string; `function_call`
//!   (`call_id`, `name`, string `arguments`); `function_call_output` (`call_id`, `output` as a
//!   string or a list of `input_text` / `input_image` parts); `reasoning` (its summary text
//!   is replayed as the assistant's earlier reasoning; an `encrypted_content` the gateway
//!   wrote ([`super::sealed`]) brings back the signed reasoning Kiro needs, any other is
//!   ignored);
//!   `custom_tool_call` (`call_id`, `name`, raw `input`) and `custom_tool_call_output`;
//!   `additional_tools` (tool declarations, see **tools**);
//!   `item_reference` is refused (nothing to resolve it against). Unknown item types → 400.
//! * **Roles**: `system` / `developer` messages before the conversation starts join the
//!   `instructions` (after them); later ones are kept in place like the chat path does.
//!   Consecutive `reasoning`, assistant `message` and `function_call` items form one
//!   assistant turn.
//! * **function_call_output** / **custom_tool_call_output** must name a `call_id` of an
//!   earlier call (in the stored history of `previous_response_id` or in this input), else
//!   400. A `function_call` with a `namespace`, and a `custom_tool_call`, replay as the flat
//!   Kiro tool of [`super::tools`].
//! * **Images**: `input_image.image_url` data URLs only ([`crate::convert::images`]);
//!   `file_id` and remote URLs → 400.
//! * **tools**: `function`, `namespace` and `custom` tools, from `tools` and from
//!   `additional_tools` input items; hosted web search is ignored, other built-in tools are
//!   a 400 naming `tools[i].type` ([`super::tools`]).
//! * **tool_choice**: `auto`, `none`, `required`, `{type:"function"|"custom", name,
//!   namespace?}`; anything else → 400.
//! * **reasoning.effort** as the chat path's `reasoning_effort` (with `max_output_tokens` as
//!   the budget base); `reasoning.summary` is accepted and ignored (reasoning is always
//!   reported as a summary).
//! * **text.format**: `text` / `json_object` / `json_schema` (flat `name`, `schema`,
//!   `strict`) as the chat path's `response_format`. `text.verbosity` is ignored.
//! * `temperature`, `top_p`, `user`, `service_tier`, `truncation`, `include`,
//!   `safety_identifier`, `background: false` and unknown fields are
//!   ignored; `background: true`, `conversation` and `prompt` → 400. `prompt_cache_key`,
//!   when a UUID, becomes Kiro's conversation id.

use serde_json::Value;

use crate::convert::conversation::{ToolChoice, ToolSpec};
use crate::convert::json_at::At;
use crate::convert::openai::{ReasoningEffort, ResponseFormat};
use crate::convert::responses::tools::{parse_tool_choice, ToolNames, ToolsBuilder};
use crate::error::ApiError;

pub(super) mod conversation;
mod input;
mod items;
mod settings;

pub use conversation::to_conversation_from;
pub use input::parse_input;
pub use items::Item;

use settings::{parse_reasoning, parse_text};

/// The largest `metadata` map OpenAI accepts.
const MAX_METADATA_KEYS: usize = 16;

/// A validated Responses request.
#[derive(Debug, Clone, PartialEq)]
pub struct ResponsesRequest {
    pub model: String,
    pub instructions: Option<String>,
    /// This request's `input`, normalised (see [`Item`]).
    pub input: Vec<Item>,
    pub tools: Vec<ToolSpec>,
    /// The `tools` as the client sent them, echoed in the response object.
    pub tools_json: Value,
    /// How flat Kiro tool names lead back to namespaced and custom client tools.
    pub tool_names: ToolNames,
    pub tool_choice: ToolChoice,
    pub tool_choice_json: Value,
    pub parallel_tool_calls: bool,
    pub max_output_tokens: Option<u32>,
    pub reasoning_effort: Option<ReasoningEffort>,
    pub reasoning_json: Value,
    pub text_format: ResponseFormat,
    pub text_json: Value,
    pub store: bool,
    pub metadata: Value,
    pub previous_response_id: Option<String>,
    pub stream: bool,
    /// `prompt_cache_key` when it is a UUID (reused as Kiro's conversation id).
    pub session_id: Option<String>,
}

/// Parse and validate a request body. Every failure is a 400 naming the field.
pub fn parse_responses_request(body: &[u8]) -> Result<ResponsesRequest, ApiError> {
    let root_value = At::parse(body)?;
    let root = At::root(&root_value);

    let model = root.require("model")?.str()?;
    if model.trim().is_empty() {
        return Err(root.require("model")?.invalid("must not be empty"));
    }
    let instructions = root
        .get("instructions")
        .map(|v| v.str().map(str::to_owned))
        .transpose()?
        .filter(|s| !s.trim().is_empty());
    let stream = root.get("stream").map(|v| v.bool()).transpose()?;
    let store = root.get("store").map(|v| v.bool()).transpose()?;
    if let Some(bg) = root.get("background") {
        if bg.bool()? {
            return Err(bg.invalid(
                "background responses are not supported by this gateway; send `stream: true` instead",
            ));
        }
    }
    for unsupported in ["conversation", "prompt"] {
        if let Some(v) = root.get(unsupported) {
            return Err(v.invalid(
                "is not supported by this gateway; send the conversation in `input` or use \
                 `previous_response_id`",
            ));
        }
    }
    let parallel_tool_calls = root
        .get("parallel_tool_calls")
        .map(|v| v.bool())
        .transpose()?;
    let max_output_tokens = match root.get("max_output_tokens") {
        None => None,
        Some(v) => {
            let n = v.u32()?;
            if n == 0 {
                return Err(v.invalid("must be at least 1"));
            }
            Some(n)
        }
    };
    let metadata = match root.get("metadata") {
        None => Value::Null,
        Some(m) => {
            let map = m.object()?;
            if map.len() > MAX_METADATA_KEYS {
                return Err(m.invalid(format!("at most {MAX_METADATA_KEYS} keys are allowed")));
            }
            for key in map.keys() {
                m.get(key).map(|v| v.str().map(|_| ())).unwrap_or(Ok(()))?;
            }
            m.value.clone()
        }
    };
    let previous_response_id = match root.get("previous_response_id") {
        None => None,
        Some(v) => {
            let id = v.str()?;
            if id.is_empty() {
                return Err(v.invalid("must not be empty"));
            }
            Some(id.to_owned())
        }
    };
    let (reasoning_effort, reasoning_json) = parse_reasoning(&root)?;
    let (text_format, text_json) = parse_text(&root)?;
    let input = match root.get("input") {
        None => {
            if previous_response_id.is_none() {
                return Err(root.require("input").unwrap_err());
            }
            Vec::new()
        }
        Some(v) => parse_input(&v)?,
    };
    let mut tool_builder = ToolsBuilder::default();
    if let Some(list) = root.get("tools") {
        tool_builder.add_list(&list)?;
    }
    if let Some(items) = root.get("input").filter(|v| v.value.is_array()) {
        for item in items.items()? {
            if item.value.get("type").and_then(Value::as_str) == Some("additional_tools") {
                tool_builder.add_list(&item.require("tools")?)?;
            }
        }
    }
    let (tools, tool_names, tools_json) = tool_builder.finish();
    let (tool_choice, tool_choice_json) = parse_tool_choice(&root, &tools)?;
    let session_id = root
        .get("prompt_cache_key")
        .and_then(|v| v.value.as_str())
        .and_then(|s| uuid::Uuid::parse_str(s).ok())
        .map(|u| u.to_string());

    Ok(ResponsesRequest {
        model: model.to_owned(),
        instructions,
        input,
        tools,
        tools_json,
        tool_names,
        tool_choice,
        tool_choice_json,
        parallel_tool_calls: parallel_tool_calls.unwrap_or(true),
        max_output_tokens,
        reasoning_effort,
        reasoning_json,
        text_format,
        text_json,
        store: store.unwrap_or(true),
        metadata,
        previous_response_id,
        stream: stream.unwrap_or(false),
        session_id,
    })
}
