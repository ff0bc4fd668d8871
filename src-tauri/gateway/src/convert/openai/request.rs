//! OpenAI Chat Completions request → [`ChatRequest`] (typed, validated) → neutral
//! [`Conversation`].
//!
//! Decisions (all documented here so handlers and tests agree):
//!
//! * **Validation.** The body is decoded to JSON and walked with [`At`] (OpenAI's wording,
//!   [`Wording::OpenAi`]) so every type error is a 400 whose `param` is the exact field path
//!   (`messages[2].content`, `messages[0].content[1].image_url`, `tools[3].function.name`,
//!   …). Unknown fields are ignored. `temperature`, `top_p`, `seed`, `presence_penalty`,
//!   `frequency_penalty`, `logit_bias`, `logprobs`, `top_logprobs`, `user`, `metadata`,
//!   `store`, `service_tier` are type-checked the way OpenAI does ([`SAMPLING_FIELDS`];
//!   `temperature`, `top_p` and the penalties also against OpenAI's ranges), then ignored
//!   (Kiro has no such parameters); `null` is accepted for each. `prediction` and
//!   `modalities` are ignored unchecked.
//! * **system / developer** messages that come before the first user/assistant/tool
//!   message become [`Conversation::system`], joined in order with a blank line. Later
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
//!   `"none"` sets [`Conversation::reasoning_off`], so a `-thinking` model name (applied by the
//!   pipeline, which resolves the model once for every dialect) does not turn it back on.
//! * `max_completion_tokens` wins over `max_tokens`; both must be integers ≥ 1.
//! * `stop`: a string or an array of at most 4 strings; empty strings are dropped.
//! * `n` other than 1 → 400. `parallel_tool_calls` is accepted (Kiro decides itself).

use std::collections::HashSet;

use serde_json::{Map, Value};

use crate::convert::conversation::{
    Conversation, Effort, Image, Message, Part, Role, Thinking, ToolChoice, ToolSpec,
    LATE_SYSTEM_PREFIX,
};
use crate::convert::images::image_from_data_uri;
use crate::convert::json_at::{At, StrOrItems, Wording};
use crate::error::ApiError;

/// Most stop sequences OpenAI accepts.
pub const MAX_STOP_SEQUENCES: usize = 4;
/// Upper bound of any reasoning budget (docs/kiro-protocol.md#reasoning, JW's cap).
pub const REASONING_BUDGET_CAP: u32 = 10_000;
/// Budget base when the request has no `max_tokens`.
pub const REASONING_DEFAULT_BASE: u32 = 10_000;

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

#[derive(Debug, Clone, PartialEq)]
pub enum ChatMessage {
    /// `system` or `developer`.
    System {
        text: String,
        developer: bool,
    },
    User {
        parts: Vec<UserPart>,
    },
    Assistant {
        /// Text content (text/refusal parts joined), if any.
        text: Option<String>,
        /// `reasoning_content` echoed back by some clients.
        reasoning: Option<String>,
        /// Signed reasoning `(text, signature)` from `reasoning_details` (the gateway's own
        /// or OpenRouter-style), replayed to Kiro; unsigned reasoning cannot be.
        signed_reasoning: Vec<(String, String)>,
        /// Encrypted reasoning the gateway gave out (`reasoning.encrypted`, format `kiro`).
        redacted_reasoning: Vec<String>,
        tool_calls: Vec<AssistantToolCall>,
    },
    /// `tool`, or a legacy `function` message resolved to its call id.
    Tool {
        tool_call_id: String,
        content: String,
        images: Vec<Image>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub enum UserPart {
    Text(String),
    Image(Image),
}

#[derive(Debug, Clone, PartialEq)]
pub struct AssistantToolCall {
    pub id: String,
    pub name: String,
    /// Arguments already parsed (see the module doc for unparsable text).
    pub arguments: Value,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub enum ResponseFormat {
    #[default]
    Text,
    JsonObject,
    JsonSchema {
        name: String,
        schema: Value,
        strict: bool,
    },
}

impl ResponseFormat {
    /// The JSON schema the answer must follow, for `json_schema`.
    pub fn schema(&self) -> Option<&Value> {
        match self {
            ResponseFormat::JsonSchema { schema, .. } => Some(schema),
            _ => None,
        }
    }

    /// True for `json_object` and `json_schema`: the answer must be JSON.
    pub fn wants_json(&self) -> bool {
        !matches!(self, ResponseFormat::Text)
    }

    /// A shallow check of a finished (non-streaming) answer against the requested format:
    /// the text, with an optional surrounding Markdown code fence removed, must parse as
    /// JSON; for `json_object` it must be an object; for `json_schema` the schema's
    /// top-level `type` (if a string) must match and every top-level `required` key must be
    /// present. Full JSON-Schema validation is out of scope. Returns the parsed value, or a
    /// human-readable reason. `text` accepts anything (`Ok(Value::String)`).
    pub fn check_answer(&self, text: &str) -> Result<Value, String> {
        if !self.wants_json() {
            return Ok(Value::String(text.to_string()));
        }
        let value: Value = serde_json::from_str(strip_code_fence(text))
            .map_err(|e| format!("the answer is not valid JSON: {e}"))?;
        match self {
            ResponseFormat::JsonObject if !value.is_object() => {
                Err("the answer is JSON but not an object".to_string())
            }
            ResponseFormat::JsonSchema { schema, .. } => {
                let type_ok = match schema.get("type").and_then(Value::as_str) {
                    Some("object") => value.is_object(),
                    Some("array") => value.is_array(),
                    Some("string") => value.is_string(),
                    Some("number") => value.is_number(),
                    Some("integer") => value.is_i64() || value.is_u64(),
                    Some("boolean") => value.is_boolean(),
                    Some("null") => value.is_null(),
                    _ => true,
                };
                if !type_ok {
                    return Err("the answer does not have the schema's top-level type".into());
                }
                if let (Some(required), Some(obj)) = (
                    schema.get("required").and_then(Value::as_array),
                    value.as_object(),
                ) {
                    for key in required.iter().filter_map(Value::as_str) {
                        if !obj.contains_key(key) {
                            return Err(format!("the answer lacks the required key '{key}'"));
                        }
                    }
                }
                Ok(value)
            }
            _ => Ok(value),
        }
    }

    /// The instruction appended to the system text, if any.
    pub fn instruction(&self) -> Option<String> {
        match self {
            ResponseFormat::Text => None,
            ResponseFormat::JsonObject => Some(
                "Respond with a single valid JSON object and nothing else: no prose before or \
                 after it, no Markdown code fences."
                    .to_string(),
            ),
            ResponseFormat::JsonSchema { name, schema, .. } => Some(format!(
                "Respond with a single valid JSON value that conforms to the JSON Schema named \
                 \"{name}\" below, and nothing else: no prose before or after it, no Markdown \
                 code fences.\nJSON Schema:\n{schema}"
            )),
        }
    }
}

/// `text` without a surrounding Markdown code fence (```` ```json … ``` ````), trimmed.
pub fn strip_code_fence(text: &str) -> &str {
    let t = text.trim();
    if let Some(rest) = t.strip_prefix("```") {
        if let Some(inner) = rest.strip_suffix("```") {
            // Drop the info string (e.g. `json`) on the opening line.
            let inner = match inner.find('\n') {
                Some(nl) if !inner[..nl].contains(['{', '[', '"']) => &inner[nl + 1..],
                _ => inner,
            };
            return inner.trim();
        }
    }
    t
}

/// `reasoning_effort` (and Responses' `reasoning.effort`): the neutral scale; `max` is never
/// parsed from OpenAI input.
pub type ReasoningEffort = Effort;

/// Reasoning budget for an effort (docs/kiro-protocol.md#reasoning, JW's scheme):
///
/// | effort  | budget                                  |
/// |---------|-----------------------------------------|
/// | none    | thinking off                            |
/// | minimal | 10 % of base                            |
/// | low     | 20 % of base                            |
/// | medium  | 50 % of base                            |
/// | high    | 80 % of base                            |
/// | xhigh   | 95 % of base                            |
///
/// `base` = the request's `max_tokens`, or [`REASONING_DEFAULT_BASE`] (10 000) without one;
/// every budget is at least 1 and capped at [`REASONING_BUDGET_CAP`] (10 000). Without
/// `max_tokens`: minimal 1 000, low 2 000, medium 5 000, high 8 000, xhigh 9 500.
pub fn reasoning_budget(effort: ReasoningEffort, max_tokens: Option<u32>) -> Option<u32> {
    let percent: u64 = match effort {
        ReasoningEffort::None => return None,
        ReasoningEffort::Minimal => 10,
        ReasoningEffort::Low => 20,
        ReasoningEffort::Medium => 50,
        ReasoningEffort::High => 80,
        ReasoningEffort::XHigh | ReasoningEffort::Max => 95,
    };
    let base = u64::from(max_tokens.unwrap_or(REASONING_DEFAULT_BASE));
    let budget = (base * percent / 100).clamp(1, u64::from(REASONING_BUDGET_CAP));
    Some(budget as u32)
}

// ---------------------------------------------------------------------------------------
// Parsing

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

/// What an accepted-and-ignored field must be.
#[derive(Debug, Clone, Copy)]
enum Expect {
    /// A number within `[min, max]`.
    Number {
        min: f64,
        max: f64,
    },
    Integer,
    Bool,
    Str,
    Object,
}

/// The accepted-and-ignored fields and what OpenAI requires of each.
const SAMPLING_FIELDS: &[(&str, Expect)] = &[
    ("temperature", Expect::Number { min: 0.0, max: 2.0 }),
    ("top_p", Expect::Number { min: 0.0, max: 1.0 }),
    (
        "presence_penalty",
        Expect::Number {
            min: -2.0,
            max: 2.0,
        },
    ),
    (
        "frequency_penalty",
        Expect::Number {
            min: -2.0,
            max: 2.0,
        },
    ),
    ("seed", Expect::Integer),
    ("top_logprobs", Expect::Integer),
    ("logprobs", Expect::Bool),
    ("store", Expect::Bool),
    ("user", Expect::Str),
    ("service_tier", Expect::Str),
    ("logit_bias", Expect::Object),
    ("metadata", Expect::Object),
];

/// Type (and range) checks of [`SAMPLING_FIELDS`], in OpenAI's words.
fn check_sampling_fields(root: &At<'_>) -> Result<(), ApiError> {
    for (key, expect) in SAMPLING_FIELDS {
        let Some(field) = root.get(key) else {
            continue;
        };
        match *expect {
            Expect::Number { min, max } => {
                let n = field
                    .value
                    .as_f64()
                    .ok_or_else(|| field.type_error("a decimal"))?;
                if n < min {
                    return Err(field.invalid(format!(
                        "decimal below minimum value. Expected a value >= {min}, but got {n} instead"
                    )));
                }
                if n > max {
                    return Err(field.invalid(format!(
                        "decimal above maximum value. Expected a value <= {max}, but got {n} instead"
                    )));
                }
            }
            Expect::Integer => {
                field.i64()?;
            }
            Expect::Bool => {
                field.bool()?;
            }
            Expect::Str => {
                field.str()?;
            }
            Expect::Object => {
                field.object()?;
            }
        }
    }
    Ok(())
}

/// `'<path>' must not be empty.`
fn must_not_be_empty(at: &At<'_>) -> ApiError {
    at.error(format!("'{}' must not be empty.", at.path))
}

/// `Invalid '<path>.type': '<kind>'. Only function <what> are supported.` when the optional
/// `type` of `at` is not `function`.
fn require_function_type(at: &At<'_>, what: &str) -> Result<(), ApiError> {
    if let Some(kind_at) = at.get("type") {
        let kind = kind_at.str()?;
        if kind != "function" {
            return Err(kind_at.invalid(format!("'{kind}'. Only function {what} are supported")));
        }
    }
    Ok(())
}

fn parse_stop(v: &At<'_>) -> Result<Vec<String>, ApiError> {
    let list: Vec<String> = match v.str_or_items("a string or an array of strings")? {
        StrOrItems::Str(s) => vec![s.to_string()],
        StrOrItems::Items(items) => {
            if items.len() > MAX_STOP_SEQUENCES {
                return Err(v.invalid(format!(
                    "at most {MAX_STOP_SEQUENCES} stop sequences are allowed, got {}",
                    items.len()
                )));
            }
            items
                .iter()
                .map(|s| s.str().map(str::to_string))
                .collect::<Result<_, _>>()?
        }
    };
    Ok(list.into_iter().filter(|s| !s.is_empty()).collect())
}

fn parse_effort(v: &At<'_>) -> Result<ReasoningEffort, ApiError> {
    Ok(match v.str()? {
        "none" => ReasoningEffort::None,
        "minimal" => ReasoningEffort::Minimal,
        "low" => ReasoningEffort::Low,
        "medium" => ReasoningEffort::Medium,
        "high" => ReasoningEffort::High,
        "xhigh" => ReasoningEffort::XHigh,
        other => {
            return Err(v.invalid(format!(
                "'{other}'. Expected one of none, minimal, low, medium, high, xhigh"
            )))
        }
    })
}

fn parse_response_format(v: &At<'_>) -> Result<ResponseFormat, ApiError> {
    v.object()?;
    let kind_at = v.require("type")?;
    match kind_at.str()? {
        "text" => Ok(ResponseFormat::Text),
        "json_object" => Ok(ResponseFormat::JsonObject),
        "json_schema" => {
            let js = v.require("json_schema")?;
            js.object()?;
            let name = js.opt_str("name")?.unwrap_or("response").to_string();
            let schema = match js.get("schema") {
                None => Value::Object(Map::new()),
                Some(s) => s.object().map(|_| s.value.clone())?,
            };
            let strict = js.opt_bool("strict")?.unwrap_or(false);
            Ok(ResponseFormat::JsonSchema {
                name,
                schema,
                strict,
            })
        }
        other => Err(kind_at.invalid(format!(
            "'{other}'. Expected text, json_object or json_schema"
        ))),
    }
}

fn default_schema() -> Value {
    serde_json::json!({"type": "object", "properties": {}})
}

/// A function definition (`tools[i].function` or legacy `functions[i]`) and its `name`
/// field, which duplicate-name errors point at.
fn parse_function_def<'a>(f: &At<'a>) -> Result<(ToolSpec, At<'a>), ApiError> {
    f.object()?;
    let name_at = f.require("name")?;
    let name = name_at.str()?;
    if name.trim().is_empty() {
        return Err(must_not_be_empty(&name_at));
    }
    let description = f.opt_str("description")?.unwrap_or("").to_string();
    let input_schema = match f.get("parameters") {
        None => default_schema(),
        Some(p) => p.object().map(|_| p.value.clone())?,
    };
    let spec = ToolSpec {
        name: name.to_string(),
        description,
        input_schema,
    };
    Ok((spec, name_at))
}

fn parse_tools(root: &At<'_>) -> Result<Vec<ToolSpec>, ApiError> {
    let mut tools = Vec::new();
    let mut names: HashSet<String> = HashSet::new();
    let mut add = |(spec, name_at): (ToolSpec, At<'_>)| -> Result<(), ApiError> {
        if !names.insert(spec.name.clone()) {
            return Err(name_at.error(format!("Duplicate tool name '{}'.", spec.name)));
        }
        tools.push(spec);
        Ok(())
    };
    if let Some(list) = root.get("tools") {
        for t in list.items()? {
            t.object()?;
            require_function_type(&t, "tools")?;
            add(parse_function_def(&t.require("function")?)?)?;
        }
    }
    if let Some(list) = root.get("functions") {
        for f in list.items()? {
            add(parse_function_def(&f)?)?;
        }
    }
    Ok(tools)
}

fn parse_tool_choice(root: &At<'_>, tools: &[ToolSpec]) -> Result<ToolChoice, ApiError> {
    let (at, legacy) = match (root.get("tool_choice"), root.get("function_call")) {
        (Some(at), _) => (at, false),
        (None, Some(at)) => (at, true),
        (None, None) => return Ok(ToolChoice::Auto),
    };
    let choice = match at.value {
        Value::String(s) => match s.as_str() {
            "auto" => ToolChoice::Auto,
            "none" => ToolChoice::None,
            "required" if !legacy => ToolChoice::Required,
            other => {
                return Err(at.invalid(format!(
                    "'{other}'. Expected {}, or an object naming a function",
                    if legacy {
                        "none or auto"
                    } else {
                        "none, auto or required"
                    }
                )))
            }
        },
        Value::Object(_) => {
            let name_at = if legacy {
                at.require("name")?
            } else {
                if let Some(kind_at) = at.get("type") {
                    let kind = kind_at.str()?;
                    if kind != "function" {
                        return Err(
                            kind_at.invalid(format!("'{kind}'. Only 'function' is supported"))
                        );
                    }
                }
                let f = at.require("function")?;
                f.object()?;
                f.require("name")?
            };
            let name = name_at.str()?;
            if !tools.iter().any(|t| t.name == name) {
                return Err(name_at.error(format!(
                    "'{}' names the function '{name}', which is not among the declared tools.",
                    at.path
                )));
            }
            ToolChoice::Named(name.to_string())
        }
        _ => return Err(at.type_error("a string or an object")),
    };
    if choice == ToolChoice::Required && tools.is_empty() {
        return Err(at.error("'tool_choice' is 'required' but no tools were declared."));
    }
    Ok(choice)
}

/// Text of a content that may only hold text: a string, or an array of `text` parts
/// (`refusal` parts are also accepted when `allow_refusal`).
fn text_content(v: &At<'_>, allow_refusal: bool) -> Result<String, ApiError> {
    let parts = match v.str_or_items("a string or an array of content parts")? {
        StrOrItems::Str(s) => return Ok(s.to_string()),
        StrOrItems::Items(parts) => parts,
    };
    let mut out = String::new();
    for part in parts {
        part.object()?;
        let kind_at = part.require("type")?;
        let text = match kind_at.str()? {
            "text" => part.require("text")?.str()?,
            "refusal" if allow_refusal => part.require("refusal")?.str()?,
            other => {
                return Err(kind_at.invalid(format!(
                    "'{other}' is not allowed here; only text parts are"
                )))
            }
        };
        out.push_str(text);
    }
    Ok(out)
}

fn parse_image(part: &At<'_>) -> Result<Image, ApiError> {
    let image_url = part.require("image_url")?;
    let url = match image_url.value {
        Value::String(s) => s.as_str(),
        Value::Object(_) => image_url.require("url")?.str()?,
        _ => return Err(image_url.type_error("an object")),
    };
    let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
    if lower.starts_with("http://") || lower.starts_with("https://") {
        return Err(image_url.error(
            "Remote image URLs are not fetched by this gateway; send the image inline as a \
             data URL (data:image/png;base64,...).",
        ));
    }
    if !url.starts_with("data:") {
        return Err(
            image_url.error("Invalid image URL: expected a data URL (data:image/png;base64,...).")
        );
    }
    image_from_data_uri(url)
        .map_err(|e| image_url.error(format!("Invalid image in `{}`: {e}.", image_url.path)))
}

/// Content of a user (or tool) message: text and images.
fn rich_content(v: &At<'_>) -> Result<Vec<UserPart>, ApiError> {
    let parts = match v.str_or_items("a string or an array of content parts")? {
        StrOrItems::Str(s) => return Ok(vec![UserPart::Text(s.to_string())]),
        StrOrItems::Items(parts) => parts,
    };
    let mut out = Vec::new();
    for part in parts {
        part.object()?;
        let kind_at = part.require("type")?;
        match kind_at.str()? {
            "text" => out.push(UserPart::Text(part.require("text")?.str()?.to_string())),
            "image_url" => out.push(UserPart::Image(parse_image(&part)?)),
            other => {
                return Err(kind_at.error(format!(
                    "Unsupported content part type '{other}' in '{}'. Supported: text, image_url.",
                    part.path
                )))
            }
        }
    }
    Ok(out)
}

/// `function.arguments` of an assistant tool call (see the module doc); absent is `{}`.
fn parse_arguments(function: &At<'_>) -> Result<Value, ApiError> {
    let Some(v) = function.get("arguments") else {
        return Ok(Value::Object(Map::new()));
    };
    match v.value {
        Value::String(s) => {
            if s.trim().is_empty() {
                return Ok(Value::Object(Map::new()));
            }
            match serde_json::from_str::<Value>(s) {
                Ok(parsed @ Value::Object(_)) => Ok(parsed),
                _ => Ok(serde_json::json!({ "_raw": s })),
            }
        }
        _ => Err(v.type_error("a string")),
    }
}

fn parse_messages(messages: &At<'_>) -> Result<Vec<ChatMessage>, ApiError> {
    let list = messages.items()?;
    if list.is_empty() {
        return Err(messages.error("'messages' must contain at least one message."));
    }
    let mut out = Vec::with_capacity(list.len());
    // Every tool-call id issued so far, and (name, id) of calls for legacy `function` results.
    let mut call_ids: HashSet<String> = HashSet::new();
    let mut calls_by_name: Vec<(String, String)> = Vec::new();
    for (i, m) in list.iter().enumerate() {
        m.object()?;
        let role_at = m.require("role")?;
        let content = m.get("content");
        let message = match role_at.str()? {
            role @ ("system" | "developer") => ChatMessage::System {
                text: text_content(&m.require("content")?, false)?,
                developer: role == "developer",
            },
            "user" => ChatMessage::User {
                parts: rich_content(&m.require("content")?)?,
            },
            "assistant" => {
                let text = content.map(|c| text_content(&c, true)).transpose()?;
                let reasoning = m
                    .opt_str("reasoning_content")?
                    .filter(|s| !s.is_empty())
                    .map(str::to_string);
                let details = m.value.get("reasoning_details");
                let signed_reasoning = signed_reasoning(details, reasoning.as_deref());
                let redacted_reasoning = redacted_reasoning(details);
                let mut tool_calls = Vec::new();
                if let Some(calls) = m.get("tool_calls") {
                    for call in calls.items()? {
                        tool_calls.push(parse_tool_call(&call)?);
                    }
                }
                if let Some(fc) = m.get("function_call") {
                    fc.object()?;
                    let name = fc.require("name")?.str()?;
                    tool_calls.push(AssistantToolCall {
                        id: format!("call_fn_{i}"),
                        name: name.to_string(),
                        arguments: parse_arguments(&fc)?,
                    });
                }
                for call in &tool_calls {
                    call_ids.insert(call.id.clone());
                    calls_by_name.push((call.name.clone(), call.id.clone()));
                }
                ChatMessage::Assistant {
                    text,
                    reasoning,
                    signed_reasoning,
                    redacted_reasoning,
                    tool_calls,
                }
            }
            "tool" => {
                let id_at = m.require("tool_call_id")?;
                let id = id_at.str()?;
                if !call_ids.contains(id) {
                    return Err(id_at.invalid(format!(
                        "'{id}' does not match any tool call of an earlier assistant message"
                    )));
                }
                let (content, images) = tool_content(content.as_ref())?;
                ChatMessage::Tool {
                    tool_call_id: id.to_string(),
                    content,
                    images,
                }
            }
            "function" => {
                let name_at = m.require("name")?;
                let name = name_at.str()?;
                let id = calls_by_name
                    .iter()
                    .rev()
                    .find(|(n, _)| n == name)
                    .map(|(_, id)| id.clone())
                    .ok_or_else(|| {
                        name_at.invalid(format!(
                            "no earlier assistant message called the function '{name}'"
                        ))
                    })?;
                let (content, images) = tool_content(content.as_ref())?;
                ChatMessage::Tool {
                    tool_call_id: id,
                    content,
                    images,
                }
            }
            other => {
                return Err(role_at.invalid(format!(
                    "'{other}'. Supported roles: system, developer, user, assistant, tool, \
                     function"
                )))
            }
        };
        out.push(message);
    }
    Ok(out)
}

/// One entry of an assistant message's `tool_calls`.
fn parse_tool_call(call: &At<'_>) -> Result<AssistantToolCall, ApiError> {
    call.object()?;
    let id_at = call.require("id")?;
    let id = id_at.str()?;
    if id.is_empty() {
        return Err(must_not_be_empty(&id_at));
    }
    require_function_type(call, "calls")?;
    let function = call.require("function")?;
    function.object()?;
    let name = function.require("name")?.str()?;
    Ok(AssistantToolCall {
        id: id.to_string(),
        name: name.to_string(),
        arguments: parse_arguments(&function)?,
    })
}

fn tool_content(content: Option<&At<'_>>) -> Result<(String, Vec<Image>), ApiError> {
    let Some(c) = content else {
        return Ok((String::new(), Vec::new()));
    };
    let mut text = String::new();
    let mut images = Vec::new();
    for part in rich_content(c)? {
        match part {
            UserPart::Text(t) => {
                if !text.is_empty() && !t.is_empty() {
                    text.push('\n');
                }
                text.push_str(&t);
            }
            UserPart::Image(img) => images.push(img),
        }
    }
    Ok((text, images))
}

// ---------------------------------------------------------------------------------------
// Conversion

/// Build the neutral conversation. See the module doc for the rules.
pub fn to_conversation(req: &ChatRequest) -> Result<Conversation, ApiError> {
    let mut system_parts: Vec<String> = Vec::new();
    let mut messages: Vec<Message> = Vec::new();
    let mut started = false;
    for m in &req.messages {
        match m {
            ChatMessage::System { text, .. } => {
                if text.trim().is_empty() {
                    continue;
                }
                if started {
                    messages.push(Message {
                        role: Role::User,
                        parts: vec![Part::Text(format!("{LATE_SYSTEM_PREFIX}{text}"))],
                    });
                } else {
                    system_parts.push(text.clone());
                }
            }
            ChatMessage::User { parts } => {
                started = true;
                messages.push(Message {
                    role: Role::User,
                    parts: parts
                        .iter()
                        .map(|p| match p {
                            UserPart::Text(t) => Part::Text(t.clone()),
                            UserPart::Image(i) => Part::Image(i.clone()),
                        })
                        .collect(),
                });
            }
            ChatMessage::Assistant {
                text,
                reasoning,
                signed_reasoning,
                redacted_reasoning,
                tool_calls,
            } => {
                started = true;
                let mut parts = Vec::new();
                if signed_reasoning.is_empty() && redacted_reasoning.is_empty() {
                    if let Some(r) = reasoning {
                        parts.push(Part::Thinking {
                            text: r.clone(),
                            signature: None,
                        });
                    }
                }
                for (text, signature) in signed_reasoning {
                    parts.push(Part::Thinking {
                        text: text.clone(),
                        signature: Some(signature.clone()),
                    });
                }
                for data in redacted_reasoning {
                    parts.push(Part::RedactedThinking { data: data.clone() });
                }
                if let Some(t) = text.as_ref().filter(|t| !t.is_empty()) {
                    parts.push(Part::Text(t.clone()));
                }
                for call in tool_calls {
                    parts.push(Part::ToolUse {
                        id: call.id.clone(),
                        name: call.name.clone(),
                        input: call.arguments.clone(),
                    });
                }
                messages.push(Message {
                    role: Role::Assistant,
                    parts,
                });
            }
            ChatMessage::Tool {
                tool_call_id,
                content,
                images,
            } => {
                started = true;
                let part = Part::ToolResult {
                    tool_use_id: tool_call_id.clone(),
                    content: content.clone(),
                    images: images.clone(),
                    is_error: false,
                };
                let previous_is_results = messages.last().is_some_and(|last| {
                    last.role == Role::User
                        && !last.parts.is_empty()
                        && last
                            .parts
                            .iter()
                            .all(|p| matches!(p, Part::ToolResult { .. }))
                });
                match messages.last_mut() {
                    Some(last) if previous_is_results => last.parts.push(part),
                    _ => messages.push(Message {
                        role: Role::User,
                        parts: vec![part],
                    }),
                }
            }
        }
    }
    if messages.is_empty() && !system_parts.is_empty() {
        // Only system/developer messages: OpenAI answers them; Kiro needs a user turn.
        messages.push(Message {
            role: Role::User,
            parts: vec![Part::Text(std::mem::take(&mut system_parts).join("\n\n"))],
        });
    }
    if let Some(instruction) = req.response_format.instruction() {
        system_parts.push(instruction);
    }
    let system = (!system_parts.is_empty()).then(|| system_parts.join("\n\n"));

    let thinking = match req.reasoning_effort {
        Some(effort) => reasoning_budget(effort, req.max_tokens).map(|b| Thinking {
            budget_tokens: Some(b),
            effort: Some(effort),
        }),
        None => None,
    };

    Ok(Conversation {
        model: req.model.clone(),
        system,
        messages,
        tools: req.tools.clone(),
        tool_choice: req.tool_choice.clone(),
        thinking,
        reasoning_off: req.reasoning_effort == Some(ReasoningEffort::None),
        max_output_tokens: req.max_tokens,
        stop_sequences: req.stop.clone(),
        session_id: None,
    })
}

/// The signed `reasoning.text` items of an assistant message's `reasoning_details`; an item
/// without text takes the message's `reasoning_content`. Other items (another provider's
/// encrypted reasoning, summaries) and malformed lists are ignored, not refused: they only
/// ever help a later turn.
fn signed_reasoning(details: Option<&Value>, reasoning: Option<&str>) -> Vec<(String, String)> {
    let Some(items) = details.and_then(Value::as_array) else {
        return Vec::new();
    };
    items
        .iter()
        .filter(|item| item["type"] == "reasoning.text")
        .filter_map(|item| {
            let signature = item["signature"].as_str().filter(|s| !s.is_empty())?;
            let text = match item["text"].as_str().filter(|t| !t.is_empty()) {
                Some(text) => text,
                None => reasoning?,
            };
            Some((text.to_owned(), signature.to_owned()))
        })
        .collect()
}

/// The `reasoning.encrypted` items of `reasoning_details` that the gateway wrote (format
/// `kiro`): Kiro's encrypted reasoning. Another provider's encrypted blobs mean nothing to
/// Kiro and are left out.
fn redacted_reasoning(details: Option<&Value>) -> Vec<String> {
    let Some(items) = details.and_then(Value::as_array) else {
        return Vec::new();
    };
    items
        .iter()
        .filter(|item| item["type"] == "reasoning.encrypted" && item["format"] == "kiro")
        .filter_map(|item| item["data"].as_str().filter(|d| !d.is_empty()))
        .map(str::to_owned)
        .collect()
}
