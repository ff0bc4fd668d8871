//! The live catalogue decides a model's limits, in all three APIs, against the fake's
//! December catalogue: a 1M model the static table does not know gets its window in usage
//! and in both `/v1/models` shapes, a 1.2 MB request to a 1M model is forwarded, a model
//! only the catalogue knows works, the built-in table takes over when the catalogue call
//! fails, and a model short of capacity is answered naming other models.

use crate::anthropic_common;

use anthropic_common::*;
use kiro_gateway_tests::fake::{Script, Trailers};
use serde_json::{json, Value};

/// Kiro's context usage in every scripted answer: 10 % of the window.
const CONTEXT_PCT: f64 = 10.0;

/// The three chat routes.
#[derive(Debug, Clone, Copy)]
enum Api {
    Messages,
    ChatCompletions,
    Responses,
}

const APIS: [Api; 3] = [Api::Messages, Api::ChatCompletions, Api::Responses];

impl Api {
    fn path(self) -> &'static str {
        match self {
            Api::Messages => "/v1/messages",
            Api::ChatCompletions => "/v1/chat/completions",
            Api::Responses => "/v1/responses",
        }
    }

    fn body(self, model: &str, text: &str) -> Value {
        match self {
            Api::Messages => json!({
                "model": model,
                "max_tokens": 1024,
                "messages": [{"role": "user", "content": text}],
            }),
            Api::ChatCompletions => json!({
                "model": model,
                "messages": [{"role": "user", "content": text}],
            }),
            Api::Responses => json!({"model": model, "input": text}),
        }
    }

    /// Input + output tokens of a successful answer's `usage`.
    fn tokens_in_context(self, answer: &Value) -> u64 {
        let usage = &answer["usage"];
        match self {
            Api::ChatCompletions => usage["total_tokens"].as_u64(),
            Api::Messages | Api::Responses => Some(
                usage["input_tokens"].as_u64().unwrap() + usage["output_tokens"].as_u64().unwrap(),
            ),
        }
        .unwrap_or_else(|| panic!("usage in {answer}"))
    }

    /// The error message of a failed answer, checking the dialect's envelope.
    fn error_message(self, body: &Value) -> String {
        if let Api::Messages = self {
            assert_eq!(body["type"], "error", "{body}");
        }
        body["error"]["message"].as_str().unwrap().to_owned()
    }

    fn error_type(self, body: &Value) -> String {
        body["error"]["type"].as_str().unwrap().to_owned()
    }
}

/// `POST` a route the way its clients do (the gateway key as `x-api-key` for Anthropic,
/// `Authorization: Bearer` otherwise): status and JSON body.
async fn call(gw: &Gw, api: Api, body: &Value) -> (u16, Value) {
    let request = reqwest::Client::new().post(format!("{}{}", gw.base, api.path()));
    let request = match api {
        Api::Messages => request
            .header("x-api-key", KEY)
            .header("anthropic-version", "2023-06-01"),
        _ => request.bearer_auth(KEY),
    };
    let response = request.json(body).send().await.expect("gateway answers");
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    let json = serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"));
    (status, json)
}

/// One scripted answer that reports [`CONTEXT_PCT`] of the window in use.
fn answer() -> Script {
    Script::new()
        .text("Hello")
        .trailers_as(Trailers::December, CONTEXT_PCT, 0.01)
}

/// `GET /v1/models` in the OpenAI shape, or Anthropic's with `anthropic-version`.
async fn listing(gw: &Gw, anthropic: bool) -> Value {
    let mut request = reqwest::Client::new()
        .get(format!("{}/v1/models?limit=1000", gw.base))
        .header("x-api-key", KEY);
    if anthropic {
        request = request.header("anthropic-version", "2023-06-01");
    }
    let response = request.send().await.expect("gateway answers");
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

fn listed<'a>(list: &'a Value, id: &str) -> &'a Value {
    list["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == id)
        .unwrap_or_else(|| panic!("{id} not in {list}"))
}

fn listed_ids(list: &Value) -> Vec<String> {
    list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_december_1m_model_gets_its_window_in_usage_and_in_both_listings() {
    let gw = start().await;
    // Opus 5.5's window is not published, so the built-in table would assume 200k; GPT-5.6
    // Sol's is 272k there, but this account's catalogue says 1M for both.
    for (model, kiro_id) in [
        ("claude-opus-5-5[1m]", "claude-opus-5.5"),
        ("gpt-5.6-sol", "gpt-5.6-sol"),
    ] {
        for api in APIS {
            gw.fake.push_script(answer());
            let (status, body) = call(&gw, api, &api.body(model, "hi")).await;
            assert_eq!(status, 200, "{api:?} {model}: {body}");
            assert_eq!(
                gw.fake.last_chat().unwrap().current_user_message().unwrap()["modelId"],
                kiro_id
            );
            assert_eq!(
                api.tokens_in_context(&body),
                100_000,
                "{api:?} {model}: 10 % of 1 000 000 tokens: {body}"
            );
        }
    }

    let openai = listing(&gw, false).await;
    let opus = listed(&openai, "claude-opus-5.5");
    assert_eq!(
        (&opus["context_length"], &opus["max_output_tokens"]),
        (&json!(1_000_000), &json!(128_000))
    );
    assert_eq!(listed(&openai, "gpt-5.6-sol")["context_length"], 1_000_000);
    let anthropic = listing(&gw, true).await;
    let opus = listed(&anthropic, "claude-opus-5-5[1m]");
    assert_eq!(
        (&opus["max_input_tokens"], &opus["max_tokens"]),
        (&json!(1_000_000), &json!(128_000))
    );
    assert_eq!(
        listed(&anthropic, "gpt-5.6-sol[1m]")["max_input_tokens"],
        1_000_000
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_1_2_mb_request_to_a_1m_model_is_forwarded() {
    let gw = start().await;
    // The fake's own size switch mirrors the old 600 kB guard; Kiro accepts more.
    gw.fake.update(|c| c.validation.payload_bytes = None);
    let big = "lorem ipsum ".repeat(100_000);
    for api in APIS {
        gw.fake.push_script(answer());
        let calls = gw.fake.chat_calls();
        let (status, body) = call(&gw, api, &api.body("claude-opus-4-8[1m]", &big)).await;
        assert_eq!(status, 200, "{api:?}: {body}");
        assert_eq!(gw.fake.chat_calls(), calls + 1, "{api:?}");
        let sent = gw.fake.last_chat().unwrap();
        assert!(
            sent.body.len() > 1_200_000,
            "{api:?}: {} bytes",
            sent.body.len()
        );
        assert_eq!(
            sent.current_user_message().unwrap()["modelId"],
            "claude-opus-4.8"
        );
    }

    // The same request to a 200k model goes out too (it is under the measured 1.25 MB);
    // Kiro finds it too long, and the error names the catalogue's window.
    for api in APIS {
        let (status, body) = call(&gw, api, &api.body("claude-sonnet-4-5", &big)).await;
        assert_eq!(status, 400, "{api:?}: {body}");
        let message = api.error_message(&body);
        assert!(
            message.contains("context window (200000 tokens)"),
            "{message}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_model_only_the_catalogue_knows_works_with_its_window() {
    let gw = start().await;
    for api in APIS {
        gw.fake.push_script(answer());
        let (status, body) = call(&gw, api, &api.body("kimi-k3", "hi")).await;
        assert_eq!(status, 200, "{api:?}: {body}");
        assert_eq!(
            gw.fake.last_chat().unwrap().current_user_message().unwrap()["modelId"],
            "kimi-k3"
        );
        // 10 % of the catalogue's 262 144 tokens, not of a default 200 000.
        assert_eq!(api.tokens_in_context(&body), 26_214, "{api:?}: {body}");
    }
    let openai = listing(&gw, false).await;
    let kimi = listed(&openai, "kimi-k3");
    assert_eq!(
        (&kimi["context_length"], &kimi["max_output_tokens"]),
        (&json!(262_144), &json!(32_768))
    );
    // A name the catalogue does not list is still refused, in the caller's dialect.
    for api in APIS {
        let (status, body) = call(&gw, api, &api.body("kimi-k4", "hi")).await;
        assert_eq!(status, 404, "{api:?}: {body}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_built_in_table_is_used_when_the_catalogue_call_fails() {
    let gw = start().await;
    // The catalogue is read on first use; from now on the fake has no ListAvailableModels.
    gw.fake.update(|c| c.runtime_personality = true);

    let openai = listing(&gw, false).await;
    let ids = listed_ids(&openai);
    for id in [
        "claude-opus-5",
        "claude-opus-4.8",
        "claude-sonnet-5",
        "gpt-5.6-sol",
    ] {
        assert!(
            ids.contains(&id.to_owned()),
            "{id} in the built-in list: {ids:?}"
        );
    }
    assert!(!ids.contains(&"kimi-k3".to_owned()), "{ids:?}");
    let opus = listed(&openai, "claude-opus-4.8");
    assert_eq!(
        (&opus["context_length"], &opus["max_output_tokens"]),
        (&json!(1_000_000), &json!(128_000))
    );
    // The table's GPT window is that of accounts not switched to 1M.
    assert_eq!(listed(&openai, "gpt-5.6-sol")["context_length"], 272_000);
    let anthropic = listing(&gw, true).await;
    assert_eq!(
        listed(&anthropic, "claude-opus-4-8[1m]")["max_input_tokens"],
        1_000_000
    );

    for api in APIS {
        // A table model gets the table's window…
        gw.fake.push_script(answer());
        let (status, body) = call(&gw, api, &api.body("claude-opus-4-8", "hi")).await;
        assert_eq!(status, 200, "{api:?}: {body}");
        assert_eq!(api.tokens_in_context(&body), 100_000, "{api:?}: {body}");
        // …and a name the table does not know is passed on for Kiro to decide.
        gw.fake.push_script(answer());
        let (status, body) = call(&gw, api, &api.body("kimi-k3", "hi")).await;
        assert_eq!(status, 200, "{api:?}: {body}");
        assert_eq!(api.tokens_in_context(&body), 20_000, "{api:?}: {body}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_model_short_of_capacity_is_answered_naming_other_models() {
    let gw = start_with(|_| {}).await;
    gw.fake
        .update(|c| c.short_of_capacity = vec!["claude-opus-4.8".into()]);
    for (api, named) in [
        (
            Api::Messages,
            "claude-opus-4-6[1m], claude-opus-4-7[1m], claude-opus-5[1m]",
        ),
        (
            Api::ChatCompletions,
            "claude-opus-4.6, claude-opus-4.7, claude-opus-5",
        ),
        (
            Api::Responses,
            "claude-opus-4.6, claude-opus-4.7, claude-opus-5",
        ),
    ] {
        let calls = gw.fake.chat_calls();
        let (status, body) = call(&gw, api, &api.body("claude-opus-4-8", "hi")).await;
        assert_eq!(
            gw.fake.chat_calls(),
            calls + 2,
            "one retry at most, although request-rate throttles are retried twice"
        );
        let message = api.error_message(&body);
        assert_eq!(status, 503, "{api:?}: {body}");
        let want_type = match api {
            Api::Messages => "overloaded_error",
            _ => "server_error",
        };
        assert_eq!(api.error_type(&body), want_type, "{api:?}");
        assert!(
            message.contains(&format!("another model of your account: {named}")),
            "{api:?}: {message}"
        );
        assert!(message.contains("INSUFFICIENT_MODEL_CAPACITY"), "{message}");

        // A model the account has works meanwhile.
        let (status, body) = call(&gw, api, &api.body("claude-opus-4-7", "hi")).await;
        assert_eq!(status, 200, "{api:?}: {body}");
    }
}
