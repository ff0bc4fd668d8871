//! Every validation switch of docs/kiro-protocol.md#fake-validation answers with its exact body,
//! and can be switched off.

use kiro_gateway_tests::fake::{chat_body, Endpoint, FakeConfig, FakeKiro, Validation};
use serde_json::{json, Value};

const GENERIC: &str = r#"{"message":"Improperly formed request.","reason":null}"#;
const BODY_INVALID: &str =
    r#"{"message":"Improperly formed request.","reason":"REQUEST_BODY_INVALID"}"#;
const TOO_LONG: &str =
    r#"{"message":"Input is too long.","reason":"CONTENT_LENGTH_EXCEEDS_THRESHOLD"}"#;
const BAD_MODEL: &str = r#"{"message":"Invalid model. Please select a different model to continue.","reason":"INVALID_MODEL_ID"}"#;

struct Ctx {
    fake: FakeKiro,
    token: String,
    arn: String,
}

async fn ctx() -> Ctx {
    let fake = FakeKiro::start(FakeConfig::default()).await;
    let token = fake.bearer("default");
    let arn = fake.account("default").profile_arn;
    Ctx { fake, token, arn }
}

impl Ctx {
    async fn send_raw(&self, body: Vec<u8>) -> (u16, String) {
        let r = reqwest::Client::new()
            .post(format!(
                "{}/generateAssistantResponse",
                self.fake.runtime_url()
            ))
            .bearer_auth(&self.token)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        let s = r.status().as_u16();
        (
            s,
            String::from_utf8_lossy(&r.bytes().await.unwrap()).into_owned(),
        )
    }
    async fn send(&self, body: &Value) -> (u16, String) {
        self.send_raw(serde_json::to_vec(body).unwrap()).await
    }
    fn base(&self) -> Value {
        chat_body(&self.arn, "hello", "claude-sonnet-4.5")
    }
    /// Assert `body` is rejected with `expected` and by rule `rule`; then switch it off and
    /// assert it passes.
    async fn check(
        &self,
        body: &Value,
        expected: &str,
        rule: &str,
        off: impl FnOnce(&mut Validation),
    ) {
        let (status, text) = self.send(body).await;
        assert_eq!(status, 400, "{rule}: {text}");
        assert_eq!(text, expected, "{rule}");
        let last = self.fake.last_chat().unwrap();
        assert_eq!(last.rejected_by.as_deref(), Some(rule));
        let saved = self.fake.config().validation;
        self.fake.update(|c| off(&mut c.validation));
        let (status, text) = self.send(body).await;
        assert_eq!(status, 200, "{rule} switched off: {text}");
        self.fake.update(|c| c.validation = saved);
    }
}

fn user(content: &str) -> Value {
    json!({"userInputMessage": {"content": content, "modelId": "claude-sonnet-4.5", "origin": "AI_EDITOR"}})
}
fn assistant(content: &str) -> Value {
    json!({"assistantResponseMessage": {"content": content}})
}
fn tool(name: &str) -> Value {
    json!({"toolSpecification": {"name": name, "description": "A tool.", "inputSchema": {"json": {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]}}}})
}
fn with_history(mut b: Value, h: Vec<Value>) -> Value {
    b["conversationState"]["history"] = Value::Array(h);
    b
}
fn set_ctx(b: &mut Value, key: &str, v: Value) {
    b["conversationState"]["currentMessage"]["userInputMessage"]["userInputMessageContext"][key] =
        v;
}
fn tool_use_turn(id: &str, name: &str) -> Value {
    json!({"assistantResponseMessage": {"content": " ", "toolUses": [{"toolUseId": id, "name": name, "input": {"a": "x"}}]}})
}
fn results(ids: &[&str]) -> Value {
    Value::Array(
        ids.iter()
            .map(|id| json!({"toolUseId": id, "content": [{"text": "ok"}], "status": "success"}))
            .collect(),
    )
}

#[tokio::test]
async fn structure_and_non_json_get_generic_400() {
    let c = ctx().await;
    assert_eq!(
        c.send_raw(b"not json".to_vec()).await,
        (400, GENERIC.into())
    );
    assert_eq!(
        c.send(&json!({"profileArn": c.arn})).await,
        (400, GENERIC.into())
    );
    let mut b = c.base();
    b["conversationState"]
        .as_object_mut()
        .unwrap()
        .remove("currentMessage");
    assert_eq!(c.send(&b).await, (400, GENERIC.into()));
    // unknown extra keys are accepted
    let mut b = c.base();
    b["somethingNew"] = json!({"x": 1});
    b["conversationState"]["currentMessage"]["userInputMessage"]["isError"] = true.into();
    assert_eq!(c.send(&b).await.0, 200);
}

#[tokio::test]
async fn alternation() {
    let c = ctx().await;
    let b = with_history(c.base(), vec![assistant("a"), user("u")]);
    c.check(&b, GENERIC, "alternation", |v| v.alternation = false)
        .await;
    let b = with_history(c.base(), vec![user("u1"), assistant("a"), user("u2")]);
    c.check(&b, GENERIC, "alternation", |v| v.alternation = false)
        .await;
    let b = with_history(c.base(), vec![user("u1"), assistant("a")]);
    assert_eq!(c.send(&b).await.0, 200);
}

#[tokio::test]
async fn non_empty_content() {
    let c = ctx().await;
    let b = chat_body(&c.arn, "", "auto");
    c.check(&b, GENERIC, "non_empty_content", |v| {
        v.non_empty_content = false
    })
    .await;
    let b = with_history(c.base(), vec![user("u"), assistant("")]);
    c.check(&b, GENERIC, "non_empty_content", |v| {
        v.non_empty_content = false
    })
    .await;
    // whitespace is fine
    let b = with_history(c.base(), vec![user(" "), assistant(" ")]);
    assert_eq!(c.send(&b).await.0, 200);
    // Disputed in docs/kiro-protocol.md#empty-content: empty content on a tool-result-only message
    // is accepted (not in strict)
    let mut b = with_history(
        chat_body(&c.arn, "", "auto"),
        vec![user("u"), tool_use_turn("t1", "get")],
    );
    set_ctx(&mut b, "toolResults", results(&["t1"]));
    set_ctx(&mut b, "tools", json!([tool("get")]));
    assert_eq!(c.send(&b).await.0, 200);
    c.fake
        .update(|c| c.validation.non_empty_content_strict = true);
    assert_eq!(c.send(&b).await, (400, GENERIC.into()));
}

#[tokio::test]
async fn tool_definitions() {
    let c = ctx().await;
    let mut b = c.base();
    set_ctx(&mut b, "tools", json!([tool(&"n".repeat(65))]));
    c.check(&b, GENERIC, "tool_name_len", |v| v.tool_name_len = false)
        .await;
    set_ctx(&mut b, "tools", json!([tool(&"n".repeat(64))]));
    assert_eq!(c.send(&b).await.0, 200);

    let mut t = tool("t");
    t["toolSpecification"]["description"] = "d".repeat(10_001).into();
    set_ctx(&mut b, "tools", json!([t]));
    c.check(&b, GENERIC, "tool_desc_len", |v| v.tool_desc_len = false)
        .await;
    t["toolSpecification"]["description"] = "  ".into();
    set_ctx(&mut b, "tools", json!([t]));
    c.check(&b, GENERIC, "tool_desc_len", |v| v.tool_desc_len = false)
        .await;

    let mut t = tool("t");
    t["toolSpecification"]["inputSchema"]["json"]["required"] = Value::Null;
    set_ctx(&mut b, "tools", json!([t]));
    c.check(&b, GENERIC, "schema_strict", |v| v.schema_strict = false)
        .await;
    let mut t = tool("t");
    t["toolSpecification"]["inputSchema"]["json"]["properties"]["a"]["properties"] = Value::Null;
    set_ctx(&mut b, "tools", json!([t]));
    c.check(&b, GENERIC, "schema_strict", |v| v.schema_strict = false)
        .await;

    // additionalProperties / empty required: accepted by default, rejected by the extra switch
    let mut t = tool("t");
    t["toolSpecification"]["inputSchema"]["json"]["additionalProperties"] = false.into();
    t["toolSpecification"]["inputSchema"]["json"]["required"] = json!([]);
    set_ctx(&mut b, "tools", json!([t]));
    assert_eq!(c.send(&b).await.0, 200);
    c.fake.update(|c| c.validation.schema_strict_extra = true);
    assert_eq!(c.send(&b).await, (400, GENERIC.into()));
}

#[tokio::test]
async fn tool_use_ids_and_declared_tools() {
    let c = ctx().await;
    let mut b = with_history(
        c.base(),
        vec![user("u"), tool_use_turn("call_1\nfc_2", "get")],
    );
    set_ctx(&mut b, "toolResults", results(&["call_1\nfc_2"]));
    set_ctx(&mut b, "tools", json!([tool("get")]));
    c.check(&b, BODY_INVALID, "tool_use_id", |v| v.tool_use_id = false)
        .await;

    let mut b = with_history(
        c.base(),
        vec![user("u"), tool_use_turn(&"x".repeat(65), "get")],
    );
    set_ctx(&mut b, "toolResults", results(&[&"x".repeat(65)]));
    set_ctx(&mut b, "tools", json!([tool("get")]));
    c.check(&b, BODY_INVALID, "tool_use_id", |v| v.tool_use_id = false)
        .await;

    // undeclared history tool
    let mut b = with_history(c.base(), vec![user("u"), tool_use_turn("t1", "other")]);
    set_ctx(&mut b, "toolResults", results(&["t1"]));
    set_ctx(&mut b, "tools", json!([tool("get")]));
    c.check(&b, BODY_INVALID, "declared_tools", |v| {
        v.declared_tools = false
    })
    .await;
    // case-insensitive match is fine
    set_ctx(&mut b, "tools", json!([tool("OTHER")]));
    assert_eq!(c.send(&b).await.0, 200);
    // tool turns but no tools at all
    let mut b = with_history(c.base(), vec![user("u"), tool_use_turn("t1", "get")]);
    set_ctx(&mut b, "toolResults", results(&["t1"]));
    c.check(&b, BODY_INVALID, "declared_tools", |v| {
        v.declared_tools = false
    })
    .await;
}

#[tokio::test]
async fn pairing() {
    let c = ctx().await;
    // result for an id the previous assistant did not use
    let mut b = with_history(c.base(), vec![user("u"), tool_use_turn("t1", "get")]);
    set_ctx(&mut b, "toolResults", results(&["t1", "t2"]));
    set_ctx(&mut b, "tools", json!([tool("get")]));
    c.check(&b, GENERIC, "pairing", |v| v.pairing = false).await;
    // duplicate ids
    set_ctx(&mut b, "toolResults", results(&["t1", "t1"]));
    c.check(&b, GENERIC, "pairing", |v| v.pairing = false).await;
    // unanswered tool use
    let mut b = with_history(c.base(), vec![user("u"), tool_use_turn("t1", "get")]);
    set_ctx(&mut b, "tools", json!([tool("get")]));
    c.check(&b, GENERIC, "pairing", |v| v.pairing = false).await;
    // answered → ok
    set_ctx(&mut b, "toolResults", results(&["t1"]));
    assert_eq!(c.send(&b).await.0, 200);
}

#[tokio::test]
async fn tools_in_history_is_off_by_default() {
    let c = ctx().await;
    let mut u = user("u");
    u["userInputMessage"]["userInputMessageContext"] = json!({"tools": [tool("get")]});
    let b = with_history(c.base(), vec![u, assistant("a")]);
    assert_eq!(c.send(&b).await.0, 200);
    c.fake.update(|c| c.validation.tools_in_history = true);
    assert_eq!(c.send(&b).await, (400, GENERIC.into()));
    assert_eq!(
        c.fake.last_chat().unwrap().rejected_by.as_deref(),
        Some("tools_in_history")
    );
}

#[tokio::test]
async fn images() {
    let c = ctx().await;
    let mut b = c.base();
    let img = |f: &str, bytes: &str| json!({"format": f, "source": {"bytes": bytes}});
    b["conversationState"]["currentMessage"]["userInputMessage"]["images"] =
        json!([img("png", "iVBORw0KGgo=")]);
    assert_eq!(c.send(&b).await.0, 200);
    b["conversationState"]["currentMessage"]["userInputMessage"]["images"] =
        json!([img("bmp", "iVBORw0KGgo=")]);
    c.check(&b, GENERIC, "images", |v| v.images = false).await;
    b["conversationState"]["currentMessage"]["userInputMessage"]["images"] =
        json!([img("png", "data:image/png;base64,iVBOR")]);
    c.check(&b, GENERIC, "images", |v| v.images = false).await;
    let many: Vec<Value> = (0..11).map(|_| img("jpeg", "iVBORw0KGgo=")).collect();
    b["conversationState"]["currentMessage"]["userInputMessage"]["images"] = Value::Array(many);
    c.check(&b, GENERIC, "images", |v| v.images = false).await;
}

#[tokio::test]
async fn payload_bytes_context_tokens_model_id() {
    let c = ctx().await;
    let b = chat_body(&c.arn, &"x".repeat(600_001), "claude-sonnet-4.6");
    c.check(&b, GENERIC, "payload_bytes", |v| v.payload_bytes = None)
        .await;
    c.fake.update(|c| c.validation.payload_bytes = Some(1000));
    let b = chat_body(&c.arn, &"x".repeat(1000), "auto");
    assert_eq!(c.send(&b).await, (400, GENERIC.into()));
    c.fake.update(|c| c.validation.payload_bytes = None);

    // 200k-token window: > 800 000 bytes is "too long"; the 1M model accepts it
    let b = chat_body(&c.arn, &"x".repeat(900_000), "claude-sonnet-4.5");
    c.check(&b, TOO_LONG, "context_tokens", |v| v.context_tokens = false)
        .await;
    let b = chat_body(&c.arn, &"x".repeat(900_000), "claude-sonnet-4.6");
    assert_eq!(c.send(&b).await.0, 200);

    for id in [
        "auto",
        "claude-sonnet-4",
        "claude-sonnet-4.5",
        "claude-sonnet-4.6",
        "claude-haiku-4.5",
        "claude-opus-4.5",
        "claude-opus-4.6",
        "claude-opus-4.7",
    ] {
        assert_eq!(c.send(&chat_body(&c.arn, "hi", id)).await.0, 200, "{id}");
    }
    let b = chat_body(&c.arn, "hi", "claude-sonnet-4-5-20250929");
    c.check(&b, BAD_MODEL, "model_id", |v| v.model_id = false)
        .await;
}

#[tokio::test]
async fn quota_and_throttle() {
    let c = ctx().await;
    let b = c.base();
    c.fake.set_credits_used("default", 1000.0);
    let (status, text) = c.send(&b).await;
    assert_eq!(status, 402);
    assert_eq!(
        text,
        r#"{"__type":"com.amazon.kiro.runtimeservice#ServiceQuotaExceededException","message":"You have reached the limit.","reason":"MONTHLY_REQUEST_COUNT"}"#
    );
    c.fake.update(|c| c.validation.quota = false);
    assert_eq!(c.send(&b).await.0, 200);

    c.fake.update(|cfg| {
        cfg.throttle = Some(kiro_gateway_tests::fake::ThrottleConfig {
            capacity: 2,
            refill_per_sec: 0.0,
            reason: "INSUFFICIENT_MODEL_CAPACITY".into(),
            retry_after: Some(3),
        })
    });
    assert_eq!(c.send(&b).await.0, 200);
    assert_eq!(c.send(&b).await.0, 200);
    let r = reqwest::Client::new()
        .post(format!("{}/generateAssistantResponse", c.fake.base_url()))
        .bearer_auth(&c.token)
        .json(&b)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 429);
    assert_eq!(r.headers()["retry-after"], "3");
    assert_eq!(
        r.text().await.unwrap(),
        r#"{"message":"Rate exceeded","reason":"INSUFFICIENT_MODEL_CAPACITY"}"#
    );
    assert_eq!(c.fake.count(Endpoint::Chat), 5);
}

#[tokio::test]
async fn worked_example_turn_two_is_accepted() {
    let c = ctx().await;
    let mut fake_cfg = c.fake.config();
    fake_cfg.check_profile_owner = false;
    c.fake.update(|cfg| *cfg = fake_cfg);
    let body: Value = serde_json::from_str(r#"{
      "profileArn": "arn:aws:codewhisperer:us-east-1:123456789012:profile/EXAMPLEPROF01",
      "conversationState": {
        "conversationId": "5d2c9e41-7a0b-4f38-b6d2-91e4c0a7f356",
        "chatTriggerType": "MANUAL", "agentTaskType": "vibe",
        "history": [
          {"userInputMessage": {"content": "You are a concise assistant.\n\nWhat is the weather in Paris?", "modelId": "claude-sonnet-4.5", "origin": "AI_EDITOR"}},
          {"assistantResponseMessage": {"content": "Hello", "toolUses": [{"toolUseId": "tooluse_7f3Yc1", "name": "get_weather", "input": {"city": "Paris"}}]}}
        ],
        "currentMessage": {"userInputMessage": {"content": " ", "modelId": "claude-sonnet-4.5", "origin": "AI_EDITOR",
          "userInputMessageContext": {
            "toolResults": [{"toolUseId": "tooluse_7f3Yc1", "content": [{"text": "18 C, sunny"}], "status": "success"}],
            "tools": [{"toolSpecification": {"name": "get_weather", "description": "Get the current weather for a city.",
              "inputSchema": {"json": {"type": "object", "properties": {"city": {"type": "string", "description": "City name"}}, "required": ["city"]}}}}]
          }}}
      }
    }"#).unwrap();
    let (status, text) = c.send(&body).await;
    assert_eq!(status, 200, "{text}");
}
