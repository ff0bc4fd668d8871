//! Request validation switches of docs/kiro-protocol.md#fake-validation, each answering with the
//! exact body of the doc.

use std::collections::HashSet;

use base64::Engine;
use serde_json::Value;

use super::{catalog::ModelInfo, Outcome, BODY_INVALID_400, GENERIC_400};

/// The validation switches. Defaults follow docs/kiro-protocol.md#fake-validation (everything on
/// except `tools_in_history`, `schema_strict_extra` and `non_empty_content_strict`).
#[derive(Debug, Clone)]
pub struct Validation {
    /// History alternates user/assistant, starts with user, ends with assistant.
    pub alternation: bool,
    /// Empty `content` rejected on assistant messages and on user messages without
    /// `toolResults`.
    pub non_empty_content: bool,
    /// Strict variant: empty `content` rejected everywhere, even with `toolResults`.
    pub non_empty_content_strict: bool,
    /// Tool names 1..=64 characters.
    pub tool_name_len: bool,
    /// Tool descriptions 1..=10 000 characters, not blank.
    pub tool_desc_len: bool,
    /// No `null`-valued keywords in `inputSchema.json`.
    pub schema_strict: bool,
    /// Also reject any `additionalProperties` and empty `required: []` (off by default:
    /// Disputed in docs/kiro-protocol.md#tools — peers strip them as "safe", none proves the
    /// service rejects them).
    pub schema_strict_extra: bool,
    /// `toolUseId` matches `^[A-Za-z0-9_-]{1,64}$` (400 `REQUEST_BODY_INVALID`).
    pub tool_use_id: bool,
    /// History tool names declared in the current `tools` (case-insensitive; 400
    /// `REQUEST_BODY_INVALID`).
    pub declared_tools: bool,
    /// Tool results answer the immediately preceding assistant's tool uses; every history
    /// tool use is answered; no duplicate ids in one `toolResults`.
    pub pairing: bool,
    /// Reject `tools` on history messages (off by default: Unknown whether the service does).
    pub tools_in_history: bool,
    /// Image format / base64 / count / size.
    pub images: bool,
    /// Raw body size limit in bytes (`None` = off). Default 600 000
    /// (docs/kiro-protocol.md#payload-size: exact limit Unknown; 600 000 mirrors the most
    /// conservative peer guard).
    pub payload_bytes: Option<usize>,
    /// Estimated tokens (bytes / 4) above the model's window → `CONTENT_LENGTH_EXCEEDS_THRESHOLD`.
    pub context_tokens: bool,
    /// `modelId` must be in the fake catalog.
    pub model_id: bool,
    /// 402 when the account's credits are exhausted.
    pub quota: bool,
}

impl Default for Validation {
    fn default() -> Self {
        Validation {
            alternation: true,
            non_empty_content: true,
            non_empty_content_strict: false,
            tool_name_len: true,
            tool_desc_len: true,
            schema_strict: true,
            schema_strict_extra: false,
            tool_use_id: true,
            declared_tools: true,
            pairing: true,
            tools_in_history: false,
            images: true,
            payload_bytes: Some(600_000),
            context_tokens: true,
            model_id: true,
            quota: true,
        }
    }
}

impl Validation {
    /// Every switch off (structure checks stay).
    pub fn none() -> Validation {
        Validation {
            alternation: false,
            non_empty_content: false,
            non_empty_content_strict: false,
            tool_name_len: false,
            tool_desc_len: false,
            schema_strict: false,
            schema_strict_extra: false,
            tool_use_id: false,
            declared_tools: false,
            pairing: false,
            tools_in_history: false,
            images: false,
            payload_bytes: None,
            context_tokens: false,
            model_id: false,
            quota: false,
        }
    }
}

pub(crate) const INPUT_TOO_LONG_400: &str =
    r#"{"message":"Input is too long.","reason":"CONTENT_LENGTH_EXCEEDS_THRESHOLD"}"#;
pub(crate) const INVALID_MODEL_400: &str = r#"{"message":"Invalid model. Please select a different model to continue.","reason":"INVALID_MODEL_ID"}"#;

fn generic(rule: &str) -> Outcome {
    Outcome::reject(400, GENERIC_400, "ValidationException", rule)
}

fn body_invalid(rule: &str) -> Outcome {
    Outcome::reject(400, BODY_INVALID_400, "ValidationException", rule)
}

/// One message of the conversation, flattened.
pub(crate) struct Msg<'a> {
    pub user: bool,
    pub body: &'a Value,
}

impl<'a> Msg<'a> {
    fn content(&self) -> Option<&'a str> {
        self.body.get("content").and_then(Value::as_str)
    }
    fn ctx(&self) -> Option<&'a Value> {
        self.body.get("userInputMessageContext")
    }
    fn arr(v: Option<&'a Value>) -> &'a [Value] {
        v.and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }
    pub fn tool_results(&self) -> &'a [Value] {
        Self::arr(self.ctx().and_then(|c| c.get("toolResults")))
    }
    pub fn tools(&self) -> &'a [Value] {
        Self::arr(self.ctx().and_then(|c| c.get("tools")))
    }
    pub fn tool_uses(&self) -> &'a [Value] {
        Self::arr(self.body.get("toolUses"))
    }
    fn images(&self) -> &'a [Value] {
        Self::arr(self.body.get("images"))
    }
}

fn id_of(v: &Value) -> &str {
    v.get("toolUseId").and_then(Value::as_str).unwrap_or("")
}

fn valid_tool_use_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// Structure: returns the flattened messages (history then current) or the generic 400.
pub(crate) fn structure(json: Option<&Value>) -> Result<Vec<Msg<'_>>, Outcome> {
    let root = json
        .filter(|v| v.is_object())
        .ok_or_else(|| generic("not_json"))?;
    let cs = root
        .get("conversationState")
        .filter(|v| v.is_object())
        .ok_or_else(|| generic("structure"))?;
    let current = cs
        .get("currentMessage")
        .and_then(|m| m.get("userInputMessage"))
        .filter(|v| v.is_object())
        .ok_or_else(|| generic("structure"))?;
    let mut msgs = Vec::new();
    match cs.get("history") {
        None | Some(Value::Null) => {}
        Some(Value::Array(items)) => {
            for item in items {
                if let Some(u) = item.get("userInputMessage").filter(|v| v.is_object()) {
                    msgs.push(Msg {
                        user: true,
                        body: u,
                    });
                } else if let Some(a) = item
                    .get("assistantResponseMessage")
                    .filter(|v| v.is_object())
                {
                    msgs.push(Msg {
                        user: false,
                        body: a,
                    });
                } else {
                    return Err(generic("structure"));
                }
            }
        }
        Some(_) => return Err(generic("structure")),
    }
    msgs.push(Msg {
        user: true,
        body: current,
    });
    Ok(msgs)
}

/// The conversation rules (everything except profileArn, model, context, quota).
pub(crate) fn rules(v: &Validation, msgs: &[Msg<'_>]) -> Result<(), Outcome> {
    let (history, current) = msgs.split_at(msgs.len() - 1);
    let current = &current[0];

    if v.alternation && !history.is_empty() {
        let ok = history
            .iter()
            .enumerate()
            .all(|(i, m)| m.user == (i % 2 == 0))
            && !history[history.len() - 1].user;
        if !ok {
            return Err(generic("alternation"));
        }
    }

    if v.non_empty_content {
        for m in msgs {
            let empty = m.content().is_none_or(str::is_empty);
            // Disputed in docs/kiro-protocol.md#empty-content: empty content accepted on
            // tool-result-only user messages (KR/QCLI send it); strict mode rejects it everywhere.
            let exempt = m.user && !m.tool_results().is_empty() && !v.non_empty_content_strict;
            if empty && !exempt {
                return Err(generic("non_empty_content"));
            }
        }
    }

    if v.tools_in_history && history.iter().any(|m| !m.tools().is_empty()) {
        return Err(generic("tools_in_history"));
    }

    for m in msgs {
        for tool in m.tools() {
            let spec = tool.get("toolSpecification");
            let Some(spec) = spec.filter(|s| s.is_object()) else {
                // e.g. a cachePoint entry inside `tools` (kiro-account-manager #109).
                return Err(generic("tool_spec"));
            };
            let name = spec.get("name").and_then(Value::as_str).unwrap_or("");
            if v.tool_name_len && (name.is_empty() || name.chars().count() > 64) {
                return Err(generic("tool_name_len"));
            }
            let desc = spec
                .get("description")
                .and_then(Value::as_str)
                .unwrap_or("");
            if v.tool_desc_len && (desc.trim().is_empty() || desc.chars().count() > 10_000) {
                return Err(generic("tool_desc_len"));
            }
            if v.schema_strict {
                let schema = spec.get("inputSchema").and_then(|s| s.get("json"));
                match schema {
                    Some(s) if s.is_object() => {
                        if schema_violation(s, v.schema_strict_extra) {
                            return Err(generic("schema_strict"));
                        }
                    }
                    _ => return Err(generic("schema_strict")),
                }
            }
        }
    }

    if v.tool_use_id {
        for m in msgs {
            let bad = m
                .tool_uses()
                .iter()
                .chain(m.tool_results())
                .any(|t| !valid_tool_use_id(id_of(t)));
            if bad {
                return Err(body_invalid("tool_use_id"));
            }
        }
    }

    if v.declared_tools {
        let declared: HashSet<String> = current
            .tools()
            .iter()
            .filter_map(|t| t.get("toolSpecification")?.get("name")?.as_str())
            .map(str::to_lowercase)
            .collect();
        let history_tool_traffic = history
            .iter()
            .any(|m| !m.tool_uses().is_empty() || !m.tool_results().is_empty())
            || !current.tool_results().is_empty();
        if declared.is_empty() && history_tool_traffic {
            return Err(body_invalid("declared_tools"));
        }
        for m in history {
            for tu in m.tool_uses() {
                let name = tu.get("name").and_then(Value::as_str).unwrap_or("");
                if !declared.contains(&name.to_lowercase()) {
                    return Err(body_invalid("declared_tools"));
                }
            }
        }
    }

    if v.pairing {
        for (i, m) in msgs.iter().enumerate() {
            if !m.user || m.tool_results().is_empty() {
                continue;
            }
            let mut seen = HashSet::new();
            for r in m.tool_results() {
                if !seen.insert(id_of(r)) {
                    return Err(generic("pairing"));
                }
            }
            let prev = if i == 0 { None } else { msgs.get(i - 1) };
            let Some(prev) = prev.filter(|p| !p.user) else {
                return Err(generic("pairing"));
            };
            let uses: HashSet<&str> = prev.tool_uses().iter().map(id_of).collect();
            if seen.iter().any(|id| !uses.contains(id)) {
                return Err(generic("pairing"));
            }
        }
        // Every history toolUse must be answered later (history or current message).
        for (i, m) in history.iter().enumerate() {
            for tu in m.tool_uses() {
                let id = id_of(tu);
                let answered = msgs[i + 1..]
                    .iter()
                    .any(|later| later.tool_results().iter().any(|r| id_of(r) == id));
                if !answered {
                    return Err(generic("pairing"));
                }
            }
        }
    }

    if v.images {
        for m in msgs {
            let images = m.images();
            // QCLI: at most 10 images, 10 MiB each (checked per message here).
            if images.len() > 10 {
                return Err(generic("images"));
            }
            for img in images {
                let format = img.get("format").and_then(Value::as_str).unwrap_or("");
                if !["png", "jpeg", "gif", "webp"].contains(&format) {
                    return Err(generic("images"));
                }
                let b64 = img
                    .get("source")
                    .and_then(|s| s.get("bytes"))
                    .and_then(Value::as_str)
                    .unwrap_or("");
                match base64::engine::general_purpose::STANDARD.decode(b64) {
                    Ok(bytes) if !bytes.is_empty() && bytes.len() <= 10 * 1024 * 1024 => {}
                    _ => return Err(generic("images")),
                }
            }
        }
    }
    Ok(())
}

/// True when the schema has a null-valued keyword (or, with `extra`, `additionalProperties`
/// or an empty `required`).
fn schema_violation(v: &Value, extra: bool) -> bool {
    match v {
        Value::Object(map) => map.iter().any(|(k, val)| {
            // `default`/`const`/`examples` may legitimately be null in JSON Schema.
            let null_ok = matches!(k.as_str(), "default" | "const" | "examples" | "enum");
            (val.is_null() && !null_ok)
                || (extra && k == "additionalProperties")
                || (extra && k == "required" && val.as_array().is_some_and(Vec::is_empty))
                || (!null_ok && schema_violation(val, extra))
        }),
        Value::Array(items) => items.iter().any(|i| schema_violation(i, extra)),
        _ => false,
    }
}

/// `model_id` and `context_tokens`. Returns the model's context window.
pub(crate) fn model_and_context(
    v: &Validation,
    catalog: &[ModelInfo],
    model_id: Option<&str>,
    raw_len: usize,
) -> Result<(), Outcome> {
    let model = model_id.and_then(|id| catalog.iter().find(|m| m.model_id == id));
    // Doc: whether a missing modelId is accepted is Unknown; we accept it (service default).
    if v.model_id && model_id.is_some() && model.is_none() {
        return Err(Outcome::reject(
            400,
            INVALID_MODEL_400,
            "ValidationException",
            "model_id",
        ));
    }
    let window = model.map(|m| m.max_input_tokens).unwrap_or(200_000);
    if v.context_tokens && (raw_len / 4) as u64 > window {
        return Err(Outcome::reject(
            400,
            INPUT_TOO_LONG_400,
            "ValidationException",
            "context_tokens",
        ));
    }
    Ok(())
}

/// `profileArn` format check (docs/kiro-protocol.md#profile-arn).
pub(crate) fn arn_well_formed(arn: &str) -> bool {
    let Some(rest) = arn.strip_prefix("arn:aws:codewhisperer:") else {
        return false;
    };
    let mut parts = rest.splitn(3, ':');
    let (Some(region), Some(account), Some(profile)) = (parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    let Some(id) = profile.strip_prefix("profile/") else {
        return false;
    };
    !region.is_empty()
        && region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !account.is_empty()
        && account.bytes().all(|b| b.is_ascii_digit())
        && !id.is_empty()
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
}
