//! `GET /v1/models` and `GET /v1/models/{id}` in Anthropic's shape when the request carries
//! `anthropic-version` (what the Anthropic SDKs and Claude Code's gateway model discovery
//! send), against the fake's catalogue: dash-form Claude ids, `[1m]` on 1M-window models
//! (Claude Code assumes 200k otherwise), `limit` / `after_id` / `before_id` paging, and every
//! listed id usable in `/v1/messages`. Without the header the OpenAI shape is unchanged.

use crate::anthropic_common;

use anthropic_common::*;
use serde_json::{json, Value};

/// The fake's December catalogue, with GPT-5.6 Luna still at 272k: the Kiro id and the id
/// the Anthropic listing must show, in catalogue order.
const EXPECTED: &[(&str, &str)] = &[
    ("auto", "auto-kiro"),
    ("claude-sonnet-4", "claude-sonnet-4"),
    ("claude-sonnet-4.5", "claude-sonnet-4-5"),
    ("claude-sonnet-4.6", "claude-sonnet-4-6[1m]"),
    ("claude-haiku-4.5", "claude-haiku-4-5"),
    ("claude-opus-4.5", "claude-opus-4-5"),
    ("claude-opus-4.6", "claude-opus-4-6[1m]"),
    ("claude-opus-4.7", "claude-opus-4-7[1m]"),
    ("claude-opus-4.8", "claude-opus-4-8[1m]"),
    ("deepseek-3.2", "deepseek-3.2"),
    ("glm-5", "glm-5"),
    ("minimax-m2.1", "minimax-m2.1"),
    ("minimax-m2.5", "minimax-m2.5"),
    ("qwen3-coder-next", "qwen3-coder-next"),
    ("claude-opus-5", "claude-opus-5[1m]"),
    ("claude-opus-5.5", "claude-opus-5-5[1m]"),
    ("claude-sonnet-5", "claude-sonnet-5[1m]"),
    ("claude-sonnet-5.5", "claude-sonnet-5-5[1m]"),
    // The 1M SKU next to the 200k model: the model's id with `[1m]`, routed to the SKU.
    ("claude-sonnet-4.5-1m", "claude-sonnet-4-5[1m]"),
    ("gpt-5.6-sol", "gpt-5.6-sol[1m]"),
    ("gpt-5.6-terra", "gpt-5.6-terra[1m]"),
    ("gpt-5.6-luna", "gpt-5.6-luna"),
    ("kimi-k3", "kimi-k3"),
];

/// The gateway over the fake, whose catalogue has one GPT model not yet switched to 1M. The
/// gateway reads the catalogue lazily, so the change is in place before it is first fetched.
async fn gateway() -> Gw {
    let gw = start().await;
    gw.fake.update(|c| {
        let luna = c.catalog.iter_mut().find(|m| m.model_id == "gpt-5.6-luna");
        luna.expect("luna listed").max_input_tokens = 272_000;
    });
    gw
}

async fn get(gw: &Gw, path: &str, anthropic: bool) -> (u16, Value) {
    let mut request = reqwest::Client::new()
        .get(format!("{}{path}", gw.base))
        .header("x-api-key", KEY);
    if anthropic {
        request = request.header("anthropic-version", "2023-06-01");
    }
    let response = request.send().await.expect("gateway answers");
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"));
    (status, body)
}

fn ids(page: &Value) -> Vec<String> {
    page["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|m| m["id"].as_str().expect("id").to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_anthropic_listing_has_claude_code_ids_and_the_sdk_fields() {
    let gw = gateway().await;
    // Claude Code's discovery request.
    let (status, page) = get(&gw, "/v1/models?limit=1000", true).await;
    assert_eq!(status, 200, "{page}");
    let want: Vec<&str> = EXPECTED.iter().map(|(_, id)| *id).collect();
    assert_eq!(ids(&page), want);
    assert_eq!(page["has_more"], false);
    assert_eq!(page["first_id"], "auto-kiro");
    assert_eq!(page["last_id"], "kimi-k3");
    assert!(page.get("object").is_none(), "not the OpenAI envelope");
    for model in page["data"].as_array().unwrap() {
        assert_eq!(model["type"], "model", "{model}");
        assert!(model.get("object").is_none(), "{model}");
        let created = model["created_at"].as_str().expect("created_at string");
        chrono::DateTime::parse_from_rfc3339(created).expect("RFC 3339 created_at");
        assert!(
            !model["display_name"].as_str().unwrap().is_empty(),
            "{model}"
        );
        let window = model["max_input_tokens"].as_u64().unwrap();
        assert_eq!(
            model["id"].as_str().unwrap().ends_with("[1m]"),
            window >= 1_000_000 && model["id"] != "auto-kiro",
            "{model}"
        );
    }
    let opus = &page["data"][8];
    assert_eq!(
        (&opus["id"], &opus["display_name"], &opus["max_tokens"]),
        (
            &json!("claude-opus-4-8[1m]"),
            &json!("Claude Opus 4.8"),
            &json!(128_000)
        )
    );

    // The default page is 20 models, of the 23 here.
    let (_, default_page) = get(&gw, "/v1/models", true).await;
    assert_eq!(ids(&default_page).len(), 20);
    assert_eq!(default_page["has_more"], true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_listed_id_reaches_kiro_as_its_kiro_id() {
    let gw = gateway().await;
    let (_, page) = get(&gw, "/v1/models?limit=1000", true).await;
    for (kiro_id, listed) in EXPECTED {
        assert!(ids(&page).contains(&listed.to_string()));
        let (status, body) = gw
            .message_json(&json!({
                "model": listed,
                "max_tokens": 50,
                "messages": [{"role": "user", "content": "hi"}]
            }))
            .await;
        assert_eq!(status, 200, "{listed}: {body}");
        let sent = gw.fake.last_chat().expect("a chat call");
        assert_eq!(
            sent.current_user_message().unwrap()["modelId"],
            *kiro_id,
            "{listed} goes to Kiro as {kiro_id}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anthropic_paging_with_limit_after_id_and_before_id() {
    let gw = gateway().await;
    let all: Vec<&str> = EXPECTED.iter().map(|(_, id)| *id).collect();

    let (status, first) = get(&gw, "/v1/models?limit=5", true).await;
    assert_eq!(status, 200, "{first}");
    assert_eq!(ids(&first), all[..5]);
    assert_eq!(first["has_more"], true);
    assert_eq!(first["first_id"], all[0]);
    assert_eq!(first["last_id"], all[4]);

    // The ids carry `[` and `]`: sent percent-encoded, as the SDKs do.
    let after = first["last_id"].as_str().unwrap().to_owned();
    let (_, second) = get(
        &gw,
        &format!("/v1/models?limit=5&after_id={}", encode(&after)),
        true,
    )
    .await;
    assert_eq!(ids(&second), all[5..10]);
    assert_eq!(second["has_more"], true);

    let (_, last) = get(
        &gw,
        &format!("/v1/models?limit=20&after_id={}", encode(all[9])),
        true,
    )
    .await;
    assert_eq!(ids(&last), all[10..]);
    assert_eq!(last["has_more"], false);

    // Backwards from the second page's first id: the first page again, nothing before it.
    let before = second["first_id"].as_str().unwrap().to_owned();
    let (_, back) = get(
        &gw,
        &format!("/v1/models?limit=5&before_id={}", encode(&before)),
        true,
    )
    .await;
    assert_eq!(ids(&back), all[..5]);
    assert_eq!(back["has_more"], false);

    // An empty page names no ids.
    let (_, empty) = get(
        &gw,
        &format!("/v1/models?after_id={}", encode(all[all.len() - 1])),
        true,
    )
    .await;
    assert_eq!(
        empty,
        json!({"data": [], "has_more": false, "first_id": null, "last_id": null})
    );

    // Bad parameters: Anthropic-shaped 400s.
    for query in [
        "limit=0",
        "limit=1001",
        "limit=many",
        "after_id=claude-imaginary-9",
        "after_id=glm-5&before_id=glm-5",
    ] {
        let (status, body) = get(&gw, &format!("/v1/models?{query}"), true).await;
        assert_eq!(status, 400, "{query}: {body}");
        assert_eq!(error_type(&body), "invalid_request_error", "{query}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_model_in_anthropic_shape_by_any_name_and_404_in_anthropic_shape() {
    let gw = gateway().await;
    for name in [
        "claude-opus-4-8%5B1m%5D",
        "claude-opus-4-8",
        "claude-opus-4.8",
        "claude-opus-4-8-20260101",
    ] {
        let (status, model) = get(&gw, &format!("/v1/models/{name}"), true).await;
        assert_eq!(status, 200, "{name}: {model}");
        assert_eq!(model["type"], "model");
        assert_eq!(model["id"], "claude-opus-4-8[1m]", "{name}");
        assert_eq!(model["display_name"], "Claude Opus 4.8");
    }
    let (status, model) = get(&gw, "/v1/models/auto-kiro", true).await;
    assert_eq!((status, &model["id"]), (200, &json!("auto-kiro")));

    let (status, body) = get(&gw, "/v1/models/claude-imaginary-9", true).await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(error_type(&body), "not_found_error");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_anthropic_version_the_openai_shape_is_unchanged() {
    let gw = gateway().await;
    let (status, list) = get(&gw, "/v1/models?limit=2", false).await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(list["object"], "list");
    let want: Vec<String> = EXPECTED
        .iter()
        .map(|(kiro, _)| {
            if *kiro == "auto" {
                "auto-kiro".to_owned()
            } else {
                kiro.to_string()
            }
        })
        .collect();
    assert_eq!(
        ids(&list),
        want,
        "OpenAI lists everything, in Kiro's spelling"
    );
    assert!(list.get("has_more").is_none());
    assert_eq!(list["data"][8]["object"], "model");
    assert_eq!(list["data"][8]["context_length"], 1_000_000);

    let (status, model) = get(&gw, "/v1/models/claude-opus-4-8", false).await;
    assert_eq!((status, &model["id"]), (200, &json!("claude-opus-4.8")));
    let (status, body) = get(&gw, "/v1/models/claude-imaginary-9", false).await;
    assert_eq!(status, 404);
    assert_eq!(body["error"]["code"], "model_not_found");
}

/// Percent-encode a model id for a query string.
fn encode(id: &str) -> String {
    id.replace('[', "%5B").replace(']', "%5D")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_key_is_refused_in_the_shape_of_the_caller() {
    let gw = gateway().await;
    for (anthropic, path) in [
        (true, "/v1/models"),
        (false, "/v1/models"),
        (true, "/v1/models/claude-sonnet-4-5"),
    ] {
        let mut request = reqwest::Client::new()
            .get(format!("{}{path}", gw.base))
            .header("x-api-key", "kgw_wrong");
        if anthropic {
            request = request.header("anthropic-version", "2023-06-01");
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 401);
        let body: Value = response.json().await.unwrap();
        if anthropic {
            assert_eq!(body["type"], "error", "{path}: {body}");
            assert_eq!(body["error"]["type"], "authentication_error", "{body}");
        } else {
            assert_eq!(body["error"]["code"], "invalid_api_key", "{body}");
        }
    }
}
