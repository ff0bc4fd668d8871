//! Model catalog, profiles, usage limits and MCP web search (docs/kiro-protocol.md#catalogue-shape,
//! #usage-limits, #profiles, #mcp-web-search).

use serde_json::{json, Value};

use super::auth::{self, AuthKind};
use super::{json_response, query_param, Outcome, Req, Shared, GENERIC_400};

/// One catalog entry.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelInfo {
    pub model_id: String,
    pub model_name: String,
    pub max_input_tokens: u64,
    pub max_output_tokens: u64,
    pub rate_multiplier: f64,
    pub supports_images: bool,
    /// `additionalModelRequestFieldsSchema` (docs/kiro-protocol.md#catalogue-shape,
    /// #generation-controls): the JSON Schema of the native reasoning fields; `None` for models
    /// without native reasoning (the key is left out).
    pub request_fields_schema: Option<Value>,
}

impl ModelInfo {
    pub fn new(id: &str, name: &str, max_in: u64, max_out: u64, rate: f64) -> ModelInfo {
        ModelInfo {
            model_id: id.into(),
            model_name: name.into(),
            max_input_tokens: max_in,
            max_output_tokens: max_out,
            rate_multiplier: rate,
            supports_images: true,
            request_fields_schema: None,
        }
    }

    /// With an `additionalModelRequestFieldsSchema`.
    pub fn with_schema(mut self, schema: Value) -> ModelInfo {
        self.request_fields_schema = Some(schema);
        self
    }

    /// The JSON shape of docs/kiro-protocol.md#catalogue-shape.
    pub fn to_json(&self) -> Value {
        let types = if self.supports_images {
            json!(["TEXT", "IMAGE"])
        } else {
            json!(["TEXT"])
        };
        let mut model = json!({
            "modelId": self.model_id,
            "modelName": self.model_name,
            "description": format!("{} (fake Kiro catalog)", self.model_name),
            "rateMultiplier": self.rate_multiplier,
            "rateUnit": "credit",
            "supportedInputTypes": types,
            "supportsPromptCache": true,
            "tokenLimits": {
                "maxInputTokens": self.max_input_tokens,
                "maxOutputTokens": self.max_output_tokens
            }
        });
        if let Some(schema) = &self.request_fields_schema {
            model["additionalModelRequestFieldsSchema"] = schema.clone();
        }
        model
    }
}

/// The Claude reasoning schema (docs/kiro-protocol.md#generation-controls, #reasoning):
/// `thinking.type` from `types`, `thinking.display`, `output_config.effort` from `efforts` with its
/// `default`, and the `max_tokens` range a gateway must not send.
pub fn claude_reasoning_schema(
    types: &[&str],
    efforts: &[&str],
    default_effort: &str,
    max_output: u64,
) -> Value {
    json!({
        "type": "object",
        "properties": {
            "thinking": {
                "type": "object",
                "properties": {
                    "type": {"type": "string", "enum": types},
                    "display": {"type": "string", "enum": ["summarized", "omitted"]}
                },
                "required": ["type"],
                "additionalProperties": false
            },
            "output_config": {
                "type": "object",
                "properties": {
                    "effort": {"type": "string", "enum": efforts, "default": default_effort}
                },
                "additionalProperties": false
            },
            "max_tokens": {"type": "integer", "minimum": 1024, "maximum": max_output}
        },
        "additionalProperties": false
    })
}

/// The GPT-5.6 reasoning schema (docs/kiro-protocol.md#generation-controls): `reasoning.effort`,
/// `none` turning it off, service default `high`.
pub fn gpt_reasoning_schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "reasoning": {
                "type": "object",
                "properties": {
                    "effort": {
                        "type": "string",
                        "enum": ["none", "low", "medium", "high", "xhigh", "max"],
                        "default": "high"
                    }
                },
                "additionalProperties": false
            }
        },
        "additionalProperties": false
    })
}

const ADAPTIVE_OR_DISABLED: &[&str] = &["adaptive", "disabled"];
const FOUR_EFFORTS: &[&str] = &["low", "medium", "high", "max"];
const FIVE_EFFORTS: &[&str] = &["low", "medium", "high", "xhigh", "max"];

/// A Claude model with native reasoning.
fn native_claude(
    id: &str,
    name: &str,
    window: u64,
    output: u64,
    rate: f64,
    (types, efforts, default_effort): (&[&str], &[&str], &str),
) -> ModelInfo {
    ModelInfo::new(id, name, window, output, rate).with_schema(claude_reasoning_schema(
        types,
        efforts,
        default_effort,
        output,
    ))
}

/// The December 2026 catalogue: the ids of docs/kiro-protocol.md#model-ids with the windows of
/// docs/kiro-protocol.md#model-limits and the reasoning schemas of
/// docs/kiro-protocol.md#generation-controls, #reasoning, for an account switched to GPT's 1M
/// window. Invented where the doc has no number: the windows and outputs of the 5.5 models and of
/// Sonnet 5's output, and the whole `kimi-k3` entry (announced, id Unknown), which stands for a
/// model the gateway has never heard of.
pub fn default_catalog() -> Vec<ModelInfo> {
    let gpt = |id: &str, name: &str, rate: f64| {
        ModelInfo::new(id, name, 1_000_000, 128_000, rate).with_schema(gpt_reasoning_schema())
    };
    vec![
        ModelInfo::new("auto", "Auto", 1_000_000, 65_536, 1.0),
        ModelInfo::new("claude-sonnet-4", "Claude Sonnet 4", 200_000, 64_000, 1.3),
        ModelInfo::new(
            "claude-sonnet-4.5",
            "Claude Sonnet 4.5",
            200_000,
            64_000,
            1.3,
        ),
        native_claude(
            "claude-sonnet-4.6",
            "Claude Sonnet 4.6",
            1_000_000,
            65_536,
            1.3,
            (ADAPTIVE_OR_DISABLED, FOUR_EFFORTS, "high"),
        ),
        ModelInfo::new("claude-haiku-4.5", "Claude Haiku 4.5", 200_000, 64_000, 0.4),
        ModelInfo::new("claude-opus-4.5", "Claude Opus 4.5", 200_000, 64_000, 2.2),
        // PI's output limit; the schema's `max_tokens` range is the one quoted in
        // docs/kiro-protocol.md#reasoning.
        ModelInfo::new("claude-opus-4.6", "Claude Opus 4.6", 1_000_000, 32_768, 2.2).with_schema(
            claude_reasoning_schema(ADAPTIVE_OR_DISABLED, FOUR_EFFORTS, "high", 64_000),
        ),
        native_claude(
            "claude-opus-4.7",
            "Claude Opus 4.7",
            1_000_000,
            128_000,
            2.2,
            (ADAPTIVE_OR_DISABLED, FIVE_EFFORTS, "xhigh"),
        ),
        native_claude(
            "claude-opus-4.8",
            "Claude Opus 4.8",
            1_000_000,
            128_000,
            2.2,
            (ADAPTIVE_OR_DISABLED, FIVE_EFFORTS, "high"),
        ),
        ModelInfo::new("deepseek-3.2", "DeepSeek 3.2", 164_000, 8_192, 0.25),
        ModelInfo::new("glm-5", "GLM 5", 200_000, 8_192, 0.25),
        ModelInfo::new("minimax-m2.1", "MiniMax M2.1", 196_000, 8_192, 0.25),
        ModelInfo::new("minimax-m2.5", "MiniMax M2.5", 196_000, 8_192, 0.25),
        ModelInfo::new("qwen3-coder-next", "Qwen3 Coder Next", 256_000, 8_192, 0.25),
        native_claude(
            "claude-opus-5",
            "Claude Opus 5",
            1_000_000,
            128_000,
            2.2,
            (ADAPTIVE_OR_DISABLED, FIVE_EFFORTS, "high"),
        ),
        native_claude(
            "claude-opus-5.5",
            "Claude Opus 5.5",
            1_000_000,
            128_000,
            2.0,
            (&["adaptive"], FOUR_EFFORTS, "medium"),
        ),
        native_claude(
            "claude-sonnet-5",
            "Claude Sonnet 5",
            1_000_000,
            64_000,
            1.3,
            (ADAPTIVE_OR_DISABLED, FIVE_EFFORTS, "high"),
        ),
        native_claude(
            "claude-sonnet-5.5",
            "Claude Sonnet 5.5",
            1_000_000,
            64_000,
            1.3,
            (&["adaptive", "between_tools"], FOUR_EFFORTS, "high"),
        ),
        ModelInfo::new(
            "claude-sonnet-4.5-1m",
            "Claude Sonnet 4.5 (1M)",
            1_000_000,
            64_000,
            1.3,
        ),
        gpt("gpt-5.6-sol", "GPT-5.6 Sol", 4.4),
        gpt("gpt-5.6-terra", "GPT-5.6 Terra", 2.2),
        gpt("gpt-5.6-luna", "GPT-5.6 Luna", 1.1),
        ModelInfo::new("kimi-k3", "Kimi K3", 262_144, 32_768, 0.5),
    ]
}

/// A parameter from the query string (REST) or the JSON body (RPC).
fn param(req: &Req, key: &str) -> Option<String> {
    query_param(req.query.as_deref(), key)
        .or_else(|| req.json.as_ref()?.get(key)?.as_str().map(str::to_string))
}

fn account_name(shared: &Shared, idx: usize) -> Option<String> {
    Some(shared.lock().accounts[idx].spec.name.clone())
}

/// `ListAvailableModels` (REST `GET /ListAvailableModels`, `GET /List-Available-Models`, RPC).
pub(crate) fn list_models(shared: &Shared, req: &Req) -> Outcome {
    let mut g = shared.lock();
    if g.cfg.runtime_personality {
        // JW/ZJ: the runtime host does not serve ListAvailableModels.
        return Outcome::reject(
            404,
            r#"{"message":"Not Found","reason":null}"#,
            "UnknownOperationException",
            "runtime_personality",
        );
    }
    let idx = match auth::authenticate(&mut g, req) {
        Ok(i) => i,
        Err(o) => return o,
    };
    let name = Some(g.accounts[idx].spec.name.clone());
    if param(req, "origin").is_none() {
        return Outcome::reject(400, GENERIC_400, "ValidationException", "origin")
            .with_account(name);
    }
    let models: Vec<Value> = g.cfg.catalog.iter().map(ModelInfo::to_json).collect();
    let default = g
        .cfg
        .catalog
        .iter()
        .find(|m| m.model_id == g.cfg.default_model)
        .map(|m| json!({"modelId": m.model_id, "modelName": m.model_name}))
        .unwrap_or(Value::Null);
    let body = json!({ "models": models, "defaultModel": default }).to_string();
    Outcome::ok(json_response(200, &body, &[]), name)
}

/// The region field of a profile ARN.
pub(crate) fn arn_region(arn: &str) -> Option<&str> {
    arn.split(':').nth(3)
}

fn profile_json(spec: &auth::AccountSpec) -> Value {
    json!({
        "arn": spec.profile_arn,
        "profileName": format!("{}-profile", spec.name),
        "status": "ACTIVE"
    })
}

/// `ListAvailableProfiles` (docs/kiro-protocol.md#profiles).
pub(crate) fn list_profiles(shared: &Shared, req: &Req) -> Outcome {
    let mut g = shared.lock();
    let idx = match auth::authenticate(&mut g, req) {
        Ok(i) => i,
        Err(o) => return o,
    };
    let spec = g.accounts[idx].spec.clone();
    if matches!(spec.kind, AuthKind::ApiKey { .. }) {
        // PI: ksk_ keys get 403 "Unsupported token type" in every region.
        return Outcome::reject(
            403,
            r#"{"message":"Unsupported token type","reason":null}"#,
            "AccessDeniedException",
            "unsupported_token_type",
        )
        .with_account(Some(spec.name));
    }
    if let Some(region) = req.region.as_deref() {
        if arn_region(&spec.profile_arn) != Some(region) {
            if g.cfg.wrong_region_profiles == super::WrongRegion::EmptyList {
                let body = json!({ "profiles": [] }).to_string();
                return Outcome::ok(json_response(200, &body, &[]), Some(spec.name));
            }
            return Outcome::reject(
                403,
                r#"{"message":"User is not authorized to access this feature","reason":null}"#,
                "AccessDeniedException",
                "wrong_region",
            )
            .with_account(Some(spec.name));
        }
    }
    let body = json!({ "profiles": [profile_json(&spec)] }).to_string();
    Outcome::ok(json_response(200, &body, &[]), Some(spec.name))
}

/// `GetProfile` (RPC; REST `POST /GetProfile` of older JW).
pub(crate) fn get_profile(shared: &Shared, req: &Req) -> Outcome {
    let mut g = shared.lock();
    let idx = match auth::authenticate(&mut g, req) {
        Ok(i) => i,
        Err(o) => return o,
    };
    let spec = g.accounts[idx].spec.clone();
    if let Some(arn) = param(req, "profileArn") {
        if arn != spec.profile_arn {
            return Outcome::reject(
                403,
                r#"{"message":"User is not authorized to access this feature","reason":null}"#,
                "AccessDeniedException",
                "foreign_profile",
            )
            .with_account(Some(spec.name));
        }
    }
    let body = json!({ "profile": profile_json(&spec) }).to_string();
    Outcome::ok(json_response(200, &body, &[]), Some(spec.name))
}

/// `GetUsageLimits` built from the account's credit counters (docs/kiro-protocol.md#usage-limits).
pub(crate) fn usage_limits(shared: &Shared, req: &Req) -> Outcome {
    let mut g = shared.lock();
    let idx = match auth::authenticate(&mut g, req) {
        Ok(i) => i,
        Err(o) => return o,
    };
    let a = &g.accounts[idx];
    let used = a.credits_used;
    let limit = a.spec.credit_limit;
    let reset = chrono::Utc::now() + chrono::Duration::days(9);
    let reset_epoch = reset.timestamp() as f64;
    let resource = param(req, "resourceType").unwrap_or_else(|| "CREDIT".into());
    let with_email = param(req, "isEmailRequired").is_some_and(|v| v == "true");
    let mut user = json!({ "userId": format!("fake-user-{}", a.spec.name) });
    if with_email {
        user["email"] = a.spec.email.clone().into();
    }
    let body = json!({
        "daysUntilReset": 9,
        "nextDateReset": reset_epoch,
        "subscriptionInfo": {
            "type": "Q_DEVELOPER_STANDALONE_PRO",
            "subscriptionTitle": a.spec.subscription_title
        },
        "overageConfiguration": {"overageStatus": "DISABLED"},
        "limits": [{
            "type": "AGENTIC_REQUEST",
            "currentUsage": used.floor() as i64,
            "totalUsageLimit": limit.floor() as i64,
            "percentUsed": if limit > 0.0 { used / limit * 100.0 } else { 100.0 }
        }],
        "usageBreakdownList": [{
            "resourceType": resource,
            "displayName": "Credit",
            "displayNamePlural": "Credits",
            "currentUsage": used.floor() as i64,
            "currentUsageWithPrecision": used,
            "usageLimit": limit.floor() as i64,
            "usageLimitWithPrecision": limit,
            "currentOverages": 0,
            "currentOveragesWithPrecision": 0.0,
            "nextDateReset": reset_epoch,
            "unit": "CREDIT"
        }],
        "userInfo": user
    })
    .to_string();
    let name = Some(a.spec.name.clone());
    Outcome::ok(json_response(200, &body, &[]), name)
}

/// `POST /mcp` JSON-RPC `tools/call` `web_search` (docs/kiro-protocol.md#mcp-web-search).
pub(crate) fn mcp(shared: &Shared, req: &Req) -> Outcome {
    let idx = {
        let mut g = shared.lock();
        match auth::authenticate(&mut g, req) {
            Ok(i) => i,
            Err(o) => return o,
        }
    };
    let name = account_name(shared, idx);
    let Some(body) = req.json.as_ref() else {
        return Outcome::reject(400, GENERIC_400, "ValidationException", "not_json")
            .with_account(name);
    };
    let id = body.get("id").cloned().unwrap_or(Value::Null);
    let method = body.get("method").and_then(Value::as_str).unwrap_or("");
    let tool = body
        .pointer("/params/name")
        .and_then(Value::as_str)
        .unwrap_or("");
    let query = body
        .pointer("/params/arguments/query")
        .and_then(Value::as_str);
    let (Some(query), "tools/call", "web_search") = (query, method, tool) else {
        let err = json!({
            "jsonrpc": "2.0", "id": id,
            "error": {"code": -32600, "message": "Invalid request"}
        })
        .to_string();
        return Outcome {
            response: Box::new(json_response(200, &err, &[])),
            rejected_by: Some("mcp_invalid".into()),
            account: name,
            delay: std::time::Duration::ZERO,
        };
    };
    let results = json!({
        "results": [
            {
                "title": format!("Result 1 for {query}"),
                "url": "https://example.com/one",
                "snippet": format!("First fake result about {query}."),
                "publishedDate": 1_759_000_000_000_i64,
                "id": "fake-result-1",
                "domain": "example.com",
                "maxVerbatimWordLimit": 30,
                "publicDomain": false
            },
            {
                "title": format!("Result 2 for {query}"),
                "url": "https://example.org/two",
                "snippet": format!("Second fake result about {query}."),
                "publishedDate": 1_758_000_000_000_i64,
                "id": "fake-result-2",
                "domain": "example.org",
                "maxVerbatimWordLimit": 30,
                "publicDomain": true
            }
        ],
        "totalResults": 2,
        "query": query,
        "error": null
    });
    let out = json!({
        "jsonrpc": "2.0",
        "id": id,
        "result": {
            "content": [{"type": "text", "text": results.to_string()}],
            "isError": false
        }
    })
    .to_string();
    Outcome::ok(json_response(200, &out, &[]), name)
}
