//! Model list, profiles, usage limits, MCP and unknown paths.

use kiro_gateway_tests::fake::{AccountSpec, Endpoint, FakeConfig, FakeKiro, Script};
use serde_json::{json, Value};

async fn get(fake: &FakeKiro, token: &str, path: &str) -> (u16, Value) {
    let r = reqwest::Client::new()
        .get(format!("{}{}", fake.management_url(), path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let s = r.status().as_u16();
    (
        s,
        serde_json::from_str(&r.text().await.unwrap()).unwrap_or(Value::Null),
    )
}

async fn rpc(fake: &FakeKiro, token: &str, target: &str, body: Value) -> (u16, Value) {
    let r = reqwest::Client::new()
        .post(format!("{}/", fake.management_url()))
        .bearer_auth(token)
        .header("content-type", "application/x-amz-json-1.0")
        .header("x-amz-target", target)
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    let s = r.status().as_u16();
    (
        s,
        serde_json::from_str(&r.text().await.unwrap()).unwrap_or(Value::Null),
    )
}

#[tokio::test]
async fn model_list_in_three_styles_requires_origin() {
    let fake = FakeKiro::start(FakeConfig::default()).await;
    let t = fake.bearer("default");
    for path in [
        "/ListAvailableModels?origin=AI_EDITOR",
        "/List-Available-Models?origin=KIRO_CLI&profileArn=x",
    ] {
        let (s, v) = get(&fake, &t, path).await;
        assert_eq!(s, 200);
        let ids: Vec<&str> = v["models"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["modelId"].as_str().unwrap())
            .collect();
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
            assert!(ids.contains(&id), "{id}");
        }
        assert_eq!(v["defaultModel"]["modelId"], "auto");
        let sonnet = v["models"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["modelId"] == "claude-sonnet-4.6")
            .unwrap();
        assert_eq!(sonnet["tokenLimits"]["maxInputTokens"], 1_000_000);
    }
    let (s, _) = get(&fake, &t, "/ListAvailableModels").await;
    assert_eq!(s, 400, "origin required");
    let (s, v) = rpc(
        &fake,
        &t,
        "AmazonCodeWhispererService.ListAvailableModels",
        json!({"origin": "KIRO_CLI"}),
    )
    .await;
    assert_eq!(s, 200);
    assert!(v["models"].as_array().unwrap().len() >= 8);
    let (s, _) = get(&fake, "bogus", "/ListAvailableModels?origin=AI_EDITOR").await;
    assert_eq!(s, 403);

    fake.update(|c| c.runtime_personality = true);
    let (s, _) = get(&fake, &t, "/ListAvailableModels?origin=AI_EDITOR").await;
    assert_eq!(s, 404);
    assert_eq!(fake.count(Endpoint::ListModels), 6);
}

#[tokio::test]
async fn profiles_and_get_profile() {
    let fake = FakeKiro::start(FakeConfig::default()).await;
    let t = fake.bearer("default");
    let arn = fake.account("default").profile_arn;
    for path in ["/ListAvailableProfiles", "/List-Available-Profiles"] {
        let r = reqwest::Client::new()
            .post(format!("{}{}", fake.management_url(), path))
            .bearer_auth(&t)
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["profiles"][0]["arn"], arn.as_str());
    }
    let (s, v) = rpc(
        &fake,
        &t,
        "AmazonCodeWhispererService.ListAvailableProfiles",
        json!({}),
    )
    .await;
    assert_eq!(
        (s, v["profiles"][0]["arn"].as_str()),
        (200, Some(arn.as_str()))
    );
    let (s, v) = rpc(
        &fake,
        &t,
        "AmazonCodeWhispererService.GetProfile",
        json!({}),
    )
    .await;
    assert_eq!((s, v["profile"]["arn"].as_str()), (200, Some(arn.as_str())));

    let key_acc = fake.add_account(AccountSpec::api_key("robot"));
    let key = key_acc.api_key_value().unwrap();
    let r = reqwest::Client::new()
        .post(format!("{}/List-Available-Profiles", fake.management_url()))
        .bearer_auth(&key)
        .header("tokentype", "API_KEY")
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(
        r.text().await.unwrap(),
        r#"{"message":"Unsupported token type","reason":null}"#
    );
}

#[tokio::test]
async fn usage_limits_follow_credit_counters() {
    let fake = FakeKiro::start(FakeConfig::default()).await;
    let t = fake.bearer("default");
    let (s, v) = get(
        &fake,
        &t,
        "/getUsageLimits?origin=AI_EDITOR&resourceType=AGENTIC_REQUEST&isEmailRequired=true",
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(v["usageBreakdownList"][0]["currentUsageWithPrecision"], 0.0);
    assert_eq!(
        v["usageBreakdownList"][0]["usageLimitWithPrecision"],
        1000.0
    );
    assert_eq!(v["userInfo"]["email"], "default@example.com");

    // a chat with 2.5 credits of metering
    fake.push_script(Script::new().text("x").metering(2.5));
    let arn = fake.account("default").profile_arn;
    reqwest::Client::new()
        .post(format!("{}/generateAssistantResponse", fake.runtime_url()))
        .bearer_auth(&t)
        .json(&kiro_gateway_tests::fake::chat_body(&arn, "hi", "auto"))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let (s, v) = get(
        &fake,
        &t,
        "/Get-Usage-Limits?origin=KIRO_CLI&resourceType=CREDIT&isEmailRequired=false",
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(v["usageBreakdownList"][0]["currentUsageWithPrecision"], 2.5);
    assert!(v["userInfo"].get("email").is_none());
    let (s, v) = rpc(
        &fake,
        &t,
        "AmazonCodeWhispererService.GetUsageLimits",
        json!({"origin": "KIRO_CLI", "resourceType": "CREDIT"}),
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(v["subscriptionInfo"]["subscriptionTitle"], "KIRO PRO");
}

#[tokio::test]
async fn mcp_web_search_and_unknown_paths() {
    let fake = FakeKiro::start(FakeConfig::default()).await;
    let t = fake.bearer("default");
    let r = reqwest::Client::new()
        .post(format!("{}/mcp", fake.runtime_url()))
        .bearer_auth(&t)
        .json(
            &json!({"id": "web_search_tooluse_x", "jsonrpc": "2.0", "method": "tools/call",
                      "params": {"name": "web_search", "arguments": {"query": "rust crc"}}}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["id"], "web_search_tooluse_x");
    assert_eq!(v["result"]["isError"], false);
    let inner: Value =
        serde_json::from_str(v["result"]["content"][0]["text"].as_str().unwrap()).unwrap();
    assert_eq!(inner["query"], "rust crc");
    assert_eq!(inner["results"].as_array().unwrap().len(), 2);

    let r = reqwest::Client::new()
        .get(format!("{}/nope", fake.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(fake.count(Endpoint::Unknown), 1);
}

#[tokio::test]
async fn injected_errors_hit_any_endpoint() {
    let fake = FakeKiro::start(FakeConfig::default()).await;
    fake.inject(
        Endpoint::SocialRefresh,
        kiro_gateway_tests::fake::HttpReply::json(500, json!({"message": "boom"})),
    );
    let rt = fake.account("default").refresh_token;
    let post = || {
        reqwest::Client::new()
            .post(fake.refresh_url())
            .json(&json!({"refreshToken": rt}))
            .send()
    };
    assert_eq!(post().await.unwrap().status(), 500);
    assert_eq!(post().await.unwrap().status(), 200);
}

#[tokio::test]
async fn regional_urls() {
    let fake = FakeKiro::start(FakeConfig::default()).await;
    let t = fake.bearer("default");
    let arn = fake.account("default").profile_arn;
    assert!(arn.contains(":us-east-1:"));
    let list = |region: &str| {
        reqwest::Client::new()
            .post(format!(
                "{}/List-Available-Profiles",
                fake.region_url(region)
            ))
            .bearer_auth(&t)
            .json(&json!({}))
            .send()
    };
    let r = list("us-east-1").await.unwrap();
    assert_eq!(r.status(), 200);
    let r = list("eu-central-1").await.unwrap();
    assert_eq!(r.status(), 403);
    fake.update(|c| c.wrong_region_profiles = kiro_gateway_tests::fake::WrongRegion::EmptyList);
    let v: Value = list("eu-central-1").await.unwrap().json().await.unwrap();
    assert_eq!(v["profiles"], json!([]));
    let recs = fake.requests_to(Endpoint::ListProfiles);
    assert_eq!(recs[1].region.as_deref(), Some("eu-central-1"));
    assert_eq!(recs[1].path, "/List-Available-Profiles");

    // chat through the wrong region → 403, right region → 200
    let chat = |region: &str| {
        reqwest::Client::new()
            .post(format!(
                "{}/generateAssistantResponse",
                fake.region_url(region)
            ))
            .bearer_auth(&t)
            .json(&kiro_gateway_tests::fake::chat_body(&arn, "hi", "auto"))
            .send()
    };
    assert_eq!(chat("eu-central-1").await.unwrap().status(), 403);
    assert_eq!(chat("us-east-1").await.unwrap().status(), 200);
}

/// One model of a catalogue answer by id.
fn model<'a>(list: &'a Value, id: &str) -> &'a Value {
    list["models"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["modelId"] == id)
        .unwrap_or_else(|| panic!("{id} not listed"))
}

#[tokio::test]
async fn the_december_catalogue_has_the_new_models_their_limits_and_schemas() {
    let fake = FakeKiro::start(FakeConfig::default()).await;
    let t = fake.bearer("default");
    let (status, list) = get(&fake, &t, "/List-Available-Models?origin=AI_EDITOR").await;
    assert_eq!(status, 200);

    // (id, window, max output) of docs/kiro-protocol.md#model-limits; GPT at 1M as on a switched
    // account.
    for (id, window, output) in [
        ("claude-opus-5", 1_000_000, 128_000),
        ("claude-opus-4.8", 1_000_000, 128_000),
        ("claude-opus-4.7", 1_000_000, 128_000),
        ("claude-sonnet-5", 1_000_000, 64_000),
        ("claude-opus-5.5", 1_000_000, 128_000),
        ("claude-sonnet-5.5", 1_000_000, 64_000),
        ("claude-sonnet-4.5", 200_000, 64_000),
        ("claude-sonnet-4.5-1m", 1_000_000, 64_000),
        ("gpt-5.6-sol", 1_000_000, 128_000),
        ("gpt-5.6-terra", 1_000_000, 128_000),
        ("gpt-5.6-luna", 1_000_000, 128_000),
        ("kimi-k3", 262_144, 32_768),
    ] {
        let limits = &model(&list, id)["tokenLimits"];
        assert_eq!(limits["maxInputTokens"], window, "{id}");
        assert_eq!(limits["maxOutputTokens"], output, "{id}");
    }

    // Claude schemas: thinking type and display enums, effort enum with its default.
    let claude = |id: &str| model(&list, id)["additionalModelRequestFieldsSchema"].clone();
    let effort =
        |schema: &Value| schema["properties"]["output_config"]["properties"]["effort"].clone();
    let types =
        |schema: &Value| schema["properties"]["thinking"]["properties"]["type"]["enum"].clone();
    for (id, want_types, want_efforts, default) in [
        (
            "claude-opus-4.6",
            json!(["adaptive", "disabled"]),
            json!(["low", "medium", "high", "max"]),
            "high",
        ),
        (
            "claude-sonnet-4.6",
            json!(["adaptive", "disabled"]),
            json!(["low", "medium", "high", "max"]),
            "high",
        ),
        (
            "claude-opus-4.7",
            json!(["adaptive", "disabled"]),
            json!(["low", "medium", "high", "xhigh", "max"]),
            "xhigh",
        ),
        (
            "claude-opus-4.8",
            json!(["adaptive", "disabled"]),
            json!(["low", "medium", "high", "xhigh", "max"]),
            "high",
        ),
        (
            "claude-opus-5",
            json!(["adaptive", "disabled"]),
            json!(["low", "medium", "high", "xhigh", "max"]),
            "high",
        ),
        (
            "claude-sonnet-5",
            json!(["adaptive", "disabled"]),
            json!(["low", "medium", "high", "xhigh", "max"]),
            "high",
        ),
        (
            "claude-opus-5.5",
            json!(["adaptive"]),
            json!(["low", "medium", "high", "max"]),
            "medium",
        ),
        (
            "claude-sonnet-5.5",
            json!(["adaptive", "between_tools"]),
            json!(["low", "medium", "high", "max"]),
            "high",
        ),
    ] {
        let schema = claude(id);
        assert_eq!(schema["type"], "object", "{id}");
        assert_eq!(types(&schema), want_types, "{id}");
        assert_eq!(
            schema["properties"]["thinking"]["properties"]["display"]["enum"],
            json!(["summarized", "omitted"]),
            "{id}"
        );
        assert_eq!(effort(&schema)["enum"], want_efforts, "{id}");
        assert_eq!(effort(&schema)["default"], default, "{id}");
    }
    assert_eq!(
        claude("claude-opus-4.6")["properties"]["max_tokens"],
        json!({"type": "integer", "minimum": 1024, "maximum": 64000})
    );

    // GPT: reasoning.effort from none to max, default high.
    let gpt = &model(&list, "gpt-5.6-luna")["additionalModelRequestFieldsSchema"];
    let gpt_effort = &gpt["properties"]["reasoning"]["properties"]["effort"];
    assert_eq!(
        gpt_effort["enum"],
        json!(["none", "low", "medium", "high", "xhigh", "max"])
    );
    assert_eq!(gpt_effort["default"], "high");

    // Models without native reasoning carry no schema.
    for id in [
        "auto",
        "claude-sonnet-4.5",
        "claude-haiku-4.5",
        "claude-sonnet-4.5-1m",
        "glm-5",
        "kimi-k3",
    ] {
        assert!(
            model(&list, id)
                .get("additionalModelRequestFieldsSchema")
                .is_none(),
            "{id}"
        );
    }
}

#[tokio::test]
async fn a_model_short_of_capacity_answers_429_and_other_models_answer() {
    let fake = FakeKiro::start(FakeConfig {
        short_of_capacity: vec!["claude-opus-4.8".into()],
        ..FakeConfig::default()
    })
    .await;
    let t = fake.bearer("default");
    let arn = fake.account("default").profile_arn;
    let chat = |model: &str| {
        reqwest::Client::new()
            .post(format!("{}/generateAssistantResponse", fake.runtime_url()))
            .bearer_auth(&t)
            .json(&kiro_gateway_tests::fake::chat_body(&arn, "hi", model))
            .send()
    };
    let short = chat("claude-opus-4.8").await.unwrap();
    assert_eq!(short.status(), 429);
    assert_eq!(short.headers()["x-amzn-errortype"], "ThrottlingException");
    let body: Value = short.json().await.unwrap();
    assert_eq!(body["reason"], "INSUFFICIENT_MODEL_CAPACITY");
    assert_eq!(
        body["__type"],
        "com.amazon.kiro.runtimeservice#ThrottlingException"
    );
    let other = chat("claude-opus-4.7").await.unwrap();
    assert_eq!(other.status(), 200);
    let records = fake.requests_to(Endpoint::Chat);
    assert_eq!(records[0].rejected_by.as_deref(), Some("short_of_capacity"));
    assert_eq!(records[1].rejected_by, None);
}
