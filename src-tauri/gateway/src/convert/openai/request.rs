//! OpenAI Chat Completions request → [`ChatRequest`] (typed, validated) → neutral
//! [`Conversation`].
//!
//! Decisions (all documented here so handlers and tests agree):
//!
//! * **Validation.** The body is decoded to JSON and walked by hand so every type error is a
//!   400 whose `param` is the exact field path (`messages[2].content`,
//!   `messages[0].content[1].image_url`, `tools[3].function.name`, …). Unknown fields are
//!   ignored. `temperature`, `top_p`, `seed`, `presence_penalty`, `frequency_penalty`,
//!   `logit_bias`, `logprobs`, `top_logprobs`, `user`, `metadata`, `store`, `service_tier`,
//!   `prediction`, `modalities` are accepted and ignored **without** type checks (Kiro has
//!   no such parameters; refusing a client over an ignored field helps nobody).
//! * **system / developer** messages that come before the first user/assistant/tool
//!   message become [`Conversation::system`], joined in order with a blank line. Later
//!   ones (some agents inject reminders mid-conversation) become a user message whose text
//!   is `"[System message]\n"` + the text, at their position, so their order is kept.
//!   A conversation of system/developer messages only is sent as one user message holding
//!   their text (OpenAI answers such requests; Kiro needs a user turn).
//! * **Assistant tool-call arguments** are parsed as JSON. An empty string is `{}`. Text
//!   that is not a JSON *object* (unparsable, e.g. a call truncated in an earlier turn, or
//!   another JSON type) is kept as `{"_raw": "<the text>"}` instead of refusing the whole
//!   conversation. Objects sent instead of a string are accepted as-is.
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
//! * **Reasoning**: see [`reasoning_budget`] for the `reasoning_effort` table. A model name
//!   that ended in `-thinking` (passed as `model_thinking`) turns thinking on with the cap
//!   budget unless `reasoning_effort` says otherwise; an explicit `"none"` wins.
//! * `max_completion_tokens` wins over `max_tokens`; both must be integers ≥ 1.
//! * `stop`: a string or an array of at most 4 strings; empty strings are dropped.
//! * `n` other than 1 → 400. `parallel_tool_calls` is accepted (Kiro decides itself).

use std::collections::HashSet;

use serde_json::{Map, Value};

use crate::convert::conversation::{
    Conversation, Image, Message, Part, Role, Thinking, ToolChoice, ToolSpec,
};
use crate::convert::images::image_from_data_uri;
use crate::error::ApiError;

/// Most stop sequences OpenAI accepts.
pub const MAX_STOP_SEQUENCES: usize = 4;
/// Upper bound of any reasoning budget (protocol doc §5.9, JW's cap).
pub const REASONING_BUDGET_CAP: u32 = 10_000;
/// Budget base when the request has no `max_tokens`.
pub const REASONING_DEFAULT_BASE: u32 = 10_000;
/// Prefix of a system/developer message that appears after the conversation started.
pub const LATE_SYSTEM_PREFIX: &str = "[System message]\n";

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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReasoningEffort {
    None,
    Minimal,
    Low,
    Medium,
    High,
    XHigh,
}

/// Reasoning budget for an effort (protocol doc §5.9, JW's scheme):
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
        ReasoningEffort::XHigh => 95,
    };
    let base = u64::from(max_tokens.unwrap_or(REASONING_DEFAULT_BASE));
    let budget = (base * percent / 100).clamp(1, u64::from(REASONING_BUDGET_CAP));
    Some(budget as u32)
}

// ---------------------------------------------------------------------------------------
// JSON walking helpers

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "an integer",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn wrong_type(path: &str, expected: &str, got: &Value) -> ApiError {
    ApiError::invalid_field(
        path,
        format!(
            "Invalid type for '{path}': expected {expected}, but got {} instead.",
            type_name(got)
        ),
    )
}

fn missing(path: &str) -> ApiError {
    ApiError::invalid_field(path, format!("Missing required parameter: '{path}'."))
}

/// A field, with JSON `null` treated as absent.
fn field<'a>(obj: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    obj.get(key).filter(|v| !v.is_null())
}

fn as_object<'a>(v: &'a Value, path: &str) -> Result<&'a Map<String, Value>, ApiError> {
    v.as_object()
        .ok_or_else(|| wrong_type(path, "an object", v))
}

fn as_str<'a>(v: &'a Value, path: &str) -> Result<&'a str, ApiError> {
    v.as_str().ok_or_else(|| wrong_type(path, "a string", v))
}

fn as_bool(v: &Value, path: &str) -> Result<bool, ApiError> {
    v.as_bool().ok_or_else(|| wrong_type(path, "a boolean", v))
}

fn opt_str<'a>(
    obj: &'a Map<String, Value>,
    key: &str,
    path: &str,
) -> Result<Option<&'a str>, ApiError> {
    field(obj, key)
        .map(|v| as_str(v, &format!("{path}{key}")))
        .transpose()
}

fn req_str<'a>(obj: &'a Map<String, Value>, key: &str, path: &str) -> Result<&'a str, ApiError> {
    let p = format!("{path}{key}");
    field(obj, key)
        .ok_or_else(|| missing(&p))
        .and_then(|v| as_str(v, &p))
}

fn opt_bool(obj: &Map<String, Value>, key: &str) -> Result<Option<bool>, ApiError> {
    field(obj, key).map(|v| as_bool(v, key)).transpose()
}

fn positive_u32(v: &Value, path: &str) -> Result<u32, ApiError> {
    let n = v
        .as_u64()
        .or_else(|| v.as_i64().map(|_| 0))
        .ok_or_else(|| wrong_type(path, "an integer", v))?;
    if n == 0 {
        return Err(ApiError::invalid_field(
            path,
            format!("Invalid '{path}': must be at least 1."),
        ));
    }
    u32::try_from(n)
        .map_err(|_| ApiError::invalid_field(path, format!("Invalid '{path}': {n} is too large.")))
}

// ---------------------------------------------------------------------------------------
// Parsing

/// Parse and validate a request body. Every failure is a 400 [`ApiError`]; type errors name
/// the field path in `param`.
pub fn parse_chat_request(body: &[u8]) -> Result<ChatRequest, ApiError> {
    let root: Value = serde_json::from_slice(body).map_err(|e| {
        ApiError::invalid_request(format!(
            "We could not parse the JSON body of your request: {e}."
        ))
    })?;
    let obj = root.as_object().ok_or_else(|| {
        ApiError::invalid_request(format!(
            "The request body must be a JSON object, but got {}.",
            type_name(&root)
        ))
    })?;

    let model = req_str(obj, "model", "")?;
    if model.trim().is_empty() {
        return Err(ApiError::invalid_field(
            "model",
            "'model' must not be empty.",
        ));
    }

    if let Some(n) = field(obj, "n") {
        let n = n.as_i64().ok_or_else(|| wrong_type("n", "an integer", n))?;
        if n != 1 {
            return Err(ApiError::invalid_field(
                "n",
                format!("Invalid 'n': {n}. Only n=1 is supported by this gateway."),
            ));
        }
    }

    let stream = opt_bool(obj, "stream")?.unwrap_or(false);
    let include_usage = match field(obj, "stream_options") {
        None => false,
        Some(v) => {
            let so = as_object(v, "stream_options")?;
            field(so, "include_usage")
                .map(|v| as_bool(v, "stream_options.include_usage"))
                .transpose()?
                .unwrap_or(false)
        }
    };
    let parallel_tool_calls = opt_bool(obj, "parallel_tool_calls")?;

    let max_tokens = match field(obj, "max_completion_tokens") {
        Some(v) => Some(positive_u32(v, "max_completion_tokens")?),
        None => field(obj, "max_tokens")
            .map(|v| positive_u32(v, "max_tokens"))
            .transpose()?,
    };

    let stop = parse_stop(field(obj, "stop"))?;
    let response_format = parse_response_format(field(obj, "response_format"))?;
    let reasoning_effort = field(obj, "reasoning_effort")
        .map(parse_effort)
        .transpose()?;

    let tools = parse_tools(obj)?;
    let tool_choice = parse_tool_choice(obj, &tools)?;

    let messages = parse_messages(field(obj, "messages"))?;

    Ok(ChatRequest {
        model: model.to_string(),
        messages,
        tools,
        tool_choice,
        parallel_tool_calls,
        max_tokens,
        stop,
        response_format,
        reasoning_effort,
        stream,
        include_usage,
    })
}

fn parse_stop(v: Option<&Value>) -> Result<Vec<String>, ApiError> {
    let list: Vec<String> = match v {
        None => return Ok(Vec::new()),
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(items)) => {
            if items.len() > MAX_STOP_SEQUENCES {
                return Err(ApiError::invalid_field(
                    "stop",
                    format!(
                        "Invalid 'stop': at most {MAX_STOP_SEQUENCES} stop sequences are allowed, got {}.",
                        items.len()
                    ),
                ));
            }
            items
                .iter()
                .enumerate()
                .map(|(k, s)| as_str(s, &format!("stop[{k}]")).map(str::to_string))
                .collect::<Result<_, _>>()?
        }
        Some(other) => {
            return Err(wrong_type("stop", "a string or an array of strings", other));
        }
    };
    Ok(list.into_iter().filter(|s| !s.is_empty()).collect())
}

fn parse_effort(v: &Value) -> Result<ReasoningEffort, ApiError> {
    let s = as_str(v, "reasoning_effort")?;
    Ok(match s {
        "none" => ReasoningEffort::None,
        "minimal" => ReasoningEffort::Minimal,
        "low" => ReasoningEffort::Low,
        "medium" => ReasoningEffort::Medium,
        "high" => ReasoningEffort::High,
        "xhigh" => ReasoningEffort::XHigh,
        other => {
            return Err(ApiError::invalid_field(
                "reasoning_effort",
                format!(
                    "Invalid 'reasoning_effort': '{other}'. Expected one of none, minimal, low, \
                     medium, high, xhigh."
                ),
            ))
        }
    })
}

fn parse_response_format(v: Option<&Value>) -> Result<ResponseFormat, ApiError> {
    let Some(v) = v else {
        return Ok(ResponseFormat::Text);
    };
    let obj = as_object(v, "response_format")?;
    let kind = req_str(obj, "type", "response_format.")?;
    match kind {
        "text" => Ok(ResponseFormat::Text),
        "json_object" => Ok(ResponseFormat::JsonObject),
        "json_schema" => {
            let js =
                field(obj, "json_schema").ok_or_else(|| missing("response_format.json_schema"))?;
            let js = as_object(js, "response_format.json_schema")?;
            let name = opt_str(js, "name", "response_format.json_schema.")?
                .unwrap_or("response")
                .to_string();
            let schema = match field(js, "schema") {
                None => Value::Object(Map::new()),
                Some(s) => {
                    as_object(s, "response_format.json_schema.schema")?;
                    s.clone()
                }
            };
            let strict = field(js, "strict")
                .map(|v| as_bool(v, "response_format.json_schema.strict"))
                .transpose()?
                .unwrap_or(false);
            Ok(ResponseFormat::JsonSchema {
                name,
                schema,
                strict,
            })
        }
        other => Err(ApiError::invalid_field(
            "response_format.type",
            format!(
                "Invalid 'response_format.type': '{other}'. Expected text, json_object or \
                 json_schema."
            ),
        )),
    }
}

fn default_schema() -> Value {
    serde_json::json!({"type": "object", "properties": {}})
}

fn parse_function_def(f: &Map<String, Value>, path: &str) -> Result<ToolSpec, ApiError> {
    let name = req_str(f, "name", path)?;
    if name.trim().is_empty() {
        return Err(ApiError::invalid_field(
            format!("{path}name"),
            format!("'{path}name' must not be empty."),
        ));
    }
    let description = opt_str(f, "description", path)?.unwrap_or("").to_string();
    let input_schema = match field(f, "parameters") {
        None => default_schema(),
        Some(p) => {
            as_object(p, &format!("{path}parameters"))?;
            p.clone()
        }
    };
    Ok(ToolSpec {
        name: name.to_string(),
        description,
        input_schema,
    })
}

fn parse_tools(obj: &Map<String, Value>) -> Result<Vec<ToolSpec>, ApiError> {
    let mut tools = Vec::new();
    let mut names: HashSet<String> = HashSet::new();
    let mut add = |spec: ToolSpec, path: String| -> Result<(), ApiError> {
        if !names.insert(spec.name.clone()) {
            return Err(ApiError::invalid_field(
                path,
                format!("Duplicate tool name '{}'.", spec.name),
            ));
        }
        tools.push(spec);
        Ok(())
    };
    if let Some(v) = field(obj, "tools") {
        let list = v
            .as_array()
            .ok_or_else(|| wrong_type("tools", "an array", v))?;
        for (i, t) in list.iter().enumerate() {
            let path = format!("tools[{i}]");
            let t = as_object(t, &path)?;
            let kind = opt_str(t, "type", &format!("{path}."))?.unwrap_or("function");
            if kind != "function" {
                return Err(ApiError::invalid_field(
                    format!("{path}.type"),
                    format!("Invalid '{path}.type': '{kind}'. Only function tools are supported."),
                ));
            }
            let f = field(t, "function").ok_or_else(|| missing(&format!("{path}.function")))?;
            let f = as_object(f, &format!("{path}.function"))?;
            let spec = parse_function_def(f, &format!("{path}.function."))?;
            add(spec, format!("{path}.function.name"))?;
        }
    }
    if let Some(v) = field(obj, "functions") {
        let list = v
            .as_array()
            .ok_or_else(|| wrong_type("functions", "an array", v))?;
        for (i, f) in list.iter().enumerate() {
            let path = format!("functions[{i}]");
            let f = as_object(f, &path)?;
            let spec = parse_function_def(f, &format!("{path}."))?;
            add(spec, format!("{path}.name"))?;
        }
    }
    Ok(tools)
}

fn parse_tool_choice(obj: &Map<String, Value>, tools: &[ToolSpec]) -> Result<ToolChoice, ApiError> {
    let (value, param, legacy) = match (field(obj, "tool_choice"), field(obj, "function_call")) {
        (Some(v), _) => (v, "tool_choice", false),
        (None, Some(v)) => (v, "function_call", true),
        (None, None) => return Ok(ToolChoice::Auto),
    };
    let choice = match value {
        Value::String(s) => match s.as_str() {
            "auto" => ToolChoice::Auto,
            "none" => ToolChoice::None,
            "required" if !legacy => ToolChoice::Required,
            other => {
                return Err(ApiError::invalid_field(
                    param,
                    format!(
                    "Invalid '{param}': '{other}'. Expected {}, or an object naming a function.",
                    if legacy {
                        "none or auto"
                    } else {
                        "none, auto or required"
                    }
                ),
                ))
            }
        },
        Value::Object(o) => {
            let (name, name_path) = if legacy {
                (
                    req_str(o, "name", "function_call.")?,
                    "function_call.name".to_string(),
                )
            } else {
                let kind = opt_str(o, "type", "tool_choice.")?.unwrap_or("function");
                if kind != "function" {
                    return Err(ApiError::invalid_field(
                        "tool_choice.type",
                        format!(
                            "Invalid 'tool_choice.type': '{kind}'. Only 'function' is supported."
                        ),
                    ));
                }
                let f = field(o, "function").ok_or_else(|| missing("tool_choice.function"))?;
                let f = as_object(f, "tool_choice.function")?;
                (
                    req_str(f, "name", "tool_choice.function.")?,
                    "tool_choice.function.name".to_string(),
                )
            };
            if !tools.iter().any(|t| t.name == name) {
                return Err(ApiError::invalid_field(
                    name_path,
                    format!("'{param}' names the function '{name}', which is not among the declared tools."),
                ));
            }
            ToolChoice::Named(name.to_string())
        }
        other => return Err(wrong_type(param, "a string or an object", other)),
    };
    if choice == ToolChoice::Required && tools.is_empty() {
        return Err(ApiError::invalid_field(
            "tool_choice",
            "'tool_choice' is 'required' but no tools were declared.",
        ));
    }
    Ok(choice)
}

/// Text of a content that may only hold text: a string, or an array of `text` parts
/// (`refusal` parts are also accepted when `allow_refusal`).
fn text_content(v: &Value, path: &str, allow_refusal: bool) -> Result<String, ApiError> {
    match v {
        Value::String(s) => Ok(s.clone()),
        Value::Array(parts) => {
            let mut out = String::new();
            for (j, part) in parts.iter().enumerate() {
                let p = format!("{path}[{j}]");
                let o = as_object(part, &p)?;
                let kind = req_str(o, "type", &format!("{p}."))?;
                let text = match kind {
                    "text" => req_str(o, "text", &format!("{p}."))?,
                    "refusal" if allow_refusal => req_str(o, "refusal", &format!("{p}."))?,
                    other => {
                        return Err(ApiError::invalid_field(
                            format!("{p}.type"),
                            format!("Invalid '{p}.type': '{other}' is not allowed here; only text parts are."),
                        ))
                    }
                };
                out.push_str(text);
            }
            Ok(out)
        }
        other => Err(wrong_type(
            path,
            "a string or an array of content parts",
            other,
        )),
    }
}

fn parse_image(part: &Map<String, Value>, p: &str) -> Result<Image, ApiError> {
    let path = format!("{p}.image_url");
    let iu = field(part, "image_url").ok_or_else(|| missing(&path))?;
    let url = match iu {
        Value::String(s) => s.as_str(),
        Value::Object(o) => req_str(o, "url", &format!("{path}."))?,
        other => return Err(wrong_type(&path, "an object", other)),
    };
    let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
    if lower.starts_with("http://") || lower.starts_with("https://") {
        return Err(ApiError::invalid_field(
            path,
            "Remote image URLs are not fetched by this gateway; send the image inline as a \
             data URL (data:image/png;base64,...).",
        ));
    }
    if !url.starts_with("data:") {
        return Err(ApiError::invalid_field(
            path,
            "Invalid image URL: expected a data URL (data:image/png;base64,...).",
        ));
    }
    image_from_data_uri(url).map_err(|e| {
        ApiError::invalid_field(path.clone(), format!("Invalid image in `{path}`: {e}."))
    })
}

/// Content of a user (or tool) message: text and images.
fn rich_content(v: &Value, path: &str) -> Result<Vec<UserPart>, ApiError> {
    match v {
        Value::String(s) => Ok(vec![UserPart::Text(s.clone())]),
        Value::Array(parts) => {
            let mut out = Vec::new();
            for (j, part) in parts.iter().enumerate() {
                let p = format!("{path}[{j}]");
                let o = as_object(part, &p)?;
                let kind = req_str(o, "type", &format!("{p}."))?;
                match kind {
                    "text" => out.push(UserPart::Text(req_str(o, "text", &format!("{p}."))?.to_string())),
                    "image_url" => out.push(UserPart::Image(parse_image(o, &p)?)),
                    other => {
                        return Err(ApiError::invalid_field(
                            format!("{p}.type"),
                            format!(
                                "Unsupported content part type '{other}' in '{p}'. Supported: text, image_url."
                            ),
                        ))
                    }
                }
            }
            Ok(out)
        }
        other => Err(wrong_type(
            path,
            "a string or an array of content parts",
            other,
        )),
    }
}

fn parse_arguments(v: &Value, path: &str) -> Result<Value, ApiError> {
    match v {
        Value::String(s) => {
            if s.trim().is_empty() {
                return Ok(Value::Object(Map::new()));
            }
            match serde_json::from_str::<Value>(s) {
                Ok(parsed @ Value::Object(_)) => Ok(parsed),
                _ => Ok(serde_json::json!({ "_raw": s })),
            }
        }
        Value::Object(_) => Ok(v.clone()),
        other => Err(wrong_type(path, "a string", other)),
    }
}

fn parse_messages(v: Option<&Value>) -> Result<Vec<ChatMessage>, ApiError> {
    let v = v.ok_or_else(|| missing("messages"))?;
    let list = v
        .as_array()
        .ok_or_else(|| wrong_type("messages", "an array", v))?;
    if list.is_empty() {
        return Err(ApiError::invalid_field(
            "messages",
            "'messages' must contain at least one message.",
        ));
    }
    let mut out = Vec::with_capacity(list.len());
    // Every tool-call id issued so far, and (name, id) of calls for legacy `function` results.
    let mut call_ids: HashSet<String> = HashSet::new();
    let mut calls_by_name: Vec<(String, String)> = Vec::new();
    for (i, m) in list.iter().enumerate() {
        let path = format!("messages[{i}]");
        let o = as_object(m, &path)?;
        let role = req_str(o, "role", &format!("{path}."))?;
        let content_path = format!("{path}.content");
        let content = field(o, "content");
        let message = match role {
            "system" | "developer" => {
                let c = content.ok_or_else(|| missing(&content_path))?;
                ChatMessage::System {
                    text: text_content(c, &content_path, false)?,
                    developer: role == "developer",
                }
            }
            "user" => {
                let c = content.ok_or_else(|| missing(&content_path))?;
                ChatMessage::User {
                    parts: rich_content(c, &content_path)?,
                }
            }
            "assistant" => {
                let text = content
                    .map(|c| text_content(c, &content_path, true))
                    .transpose()?;
                let reasoning = opt_str(o, "reasoning_content", &format!("{path}."))?
                    .filter(|s| !s.is_empty())
                    .map(str::to_string);
                let mut tool_calls = Vec::new();
                if let Some(tc) = field(o, "tool_calls") {
                    let tcp = format!("{path}.tool_calls");
                    let arr = tc
                        .as_array()
                        .ok_or_else(|| wrong_type(&tcp, "an array", tc))?;
                    for (k, call) in arr.iter().enumerate() {
                        let cp = format!("{tcp}[{k}]");
                        let co = as_object(call, &cp)?;
                        let id = req_str(co, "id", &format!("{cp}."))?;
                        if id.is_empty() {
                            return Err(ApiError::invalid_field(
                                format!("{cp}.id"),
                                format!("'{cp}.id' must not be empty."),
                            ));
                        }
                        let kind = opt_str(co, "type", &format!("{cp}."))?.unwrap_or("function");
                        if kind != "function" {
                            return Err(ApiError::invalid_field(
                                format!("{cp}.type"),
                                format!("Invalid '{cp}.type': '{kind}'. Only function calls are supported."),
                            ));
                        }
                        let f = field(co, "function")
                            .ok_or_else(|| missing(&format!("{cp}.function")))?;
                        let f = as_object(f, &format!("{cp}.function"))?;
                        let name = req_str(f, "name", &format!("{cp}.function."))?;
                        let arguments = match field(f, "arguments") {
                            None => Value::Object(Map::new()),
                            Some(a) => parse_arguments(a, &format!("{cp}.function.arguments"))?,
                        };
                        tool_calls.push(AssistantToolCall {
                            id: id.to_string(),
                            name: name.to_string(),
                            arguments,
                        });
                    }
                }
                if let Some(fc) = field(o, "function_call") {
                    let fp = format!("{path}.function_call");
                    let fo = as_object(fc, &fp)?;
                    let name = req_str(fo, "name", &format!("{fp}."))?;
                    let arguments = match field(fo, "arguments") {
                        None => Value::Object(Map::new()),
                        Some(a) => parse_arguments(a, &format!("{fp}.arguments"))?,
                    };
                    tool_calls.push(AssistantToolCall {
                        id: format!("call_fn_{i}"),
                        name: name.to_string(),
                        arguments,
                    });
                }
                for call in &tool_calls {
                    call_ids.insert(call.id.clone());
                    calls_by_name.push((call.name.clone(), call.id.clone()));
                }
                ChatMessage::Assistant {
                    text,
                    reasoning,
                    tool_calls,
                }
            }
            "tool" => {
                let id = req_str(o, "tool_call_id", &format!("{path}."))?;
                if !call_ids.contains(id) {
                    return Err(ApiError::invalid_field(
                        format!("{path}.tool_call_id"),
                        format!(
                            "Invalid '{path}.tool_call_id': '{id}' does not match any tool call \
                             of an earlier assistant message."
                        ),
                    ));
                }
                let (content, images) = tool_content(content, &content_path)?;
                ChatMessage::Tool {
                    tool_call_id: id.to_string(),
                    content,
                    images,
                }
            }
            "function" => {
                let name = req_str(o, "name", &format!("{path}."))?;
                let id = calls_by_name
                    .iter()
                    .rev()
                    .find(|(n, _)| n == name)
                    .map(|(_, id)| id.clone())
                    .ok_or_else(|| {
                        ApiError::invalid_field(
                            format!("{path}.name"),
                            format!(
                                "Invalid '{path}.name': no earlier assistant message called the \
                                 function '{name}'."
                            ),
                        )
                    })?;
                let (content, images) = tool_content(content, &content_path)?;
                ChatMessage::Tool {
                    tool_call_id: id,
                    content,
                    images,
                }
            }
            other => {
                return Err(ApiError::invalid_field(
                    format!("{path}.role"),
                    format!(
                        "Invalid '{path}.role': '{other}'. Supported roles: system, developer, \
                         user, assistant, tool, function."
                    ),
                ))
            }
        };
        out.push(message);
    }
    Ok(out)
}

fn tool_content(content: Option<&Value>, path: &str) -> Result<(String, Vec<Image>), ApiError> {
    let Some(c) = content else {
        return Ok((String::new(), Vec::new()));
    };
    let mut text = String::new();
    let mut images = Vec::new();
    for part in rich_content(c, path)? {
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

/// Build the neutral conversation. `model_thinking` = the model name carried the
/// `-thinking` suffix (stripped by the model normaliser). See the module doc for the rules.
pub fn to_conversation(req: &ChatRequest, model_thinking: bool) -> Result<Conversation, ApiError> {
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
                tool_calls,
            } => {
                started = true;
                let mut parts = Vec::new();
                if let Some(r) = reasoning {
                    parts.push(Part::Thinking {
                        text: r.clone(),
                        signature: None,
                    });
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
        }),
        None if model_thinking => Some(Thinking {
            budget_tokens: Some(REASONING_BUDGET_CAP),
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
        max_output_tokens: req.max_tokens,
        stop_sequences: req.stop.clone(),
        session_id: None,
    })
}
