//! One Kiro conversation id per client conversation, also for clients that name no session
//! (Kiro's prompt cache for GPT models is keyed by it): every turn of a conversation gets the
//! id derived from how it opened; another conversation gets another id.

use crate::anthropic_common;

use anthropic_common::{start, KEY};
use kiro_gateway_tests::fake::Endpoint;
use serde_json::{json, Value};

async fn send(gw: &anthropic_common::Gw, path: &str, body: Value) {
    let response = reqwest::Client::new()
        .post(format!("{}{path}", gw.base))
        .header("x-api-key", KEY)
        .header("anthropic-version", "2023-06-01")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
}

fn conversation_ids(gw: &anthropic_common::Gw) -> Vec<String> {
    gw.fake
        .requests_to(Endpoint::Chat)
        .iter()
        .map(|c| {
            c.json.as_ref().unwrap()["conversationState"]["conversationId"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn turns_of_one_conversation_share_an_id_in_both_dialects() {
    let gw = start().await;
    let openai_turn = |messages: Value| json!({"model": "claude-sonnet-4.5", "messages": messages});
    let opening = json!([
        {"role": "system", "content": "You review code."},
        {"role": "user", "content": "Review main.rs"},
    ]);
    send(&gw, "/v1/chat/completions", openai_turn(opening.clone())).await;
    let mut next = opening.as_array().unwrap().clone();
    next.push(json!({"role": "assistant", "content": "Looks fine."}));
    next.push(json!({"role": "user", "content": "And lib.rs?"}));
    send(&gw, "/v1/chat/completions", openai_turn(Value::Array(next))).await;
    send(
        &gw,
        "/v1/chat/completions",
        openai_turn(json!([
            {"role": "system", "content": "You review code."},
            {"role": "user", "content": "Review util.rs"},
        ])),
    )
    .await;

    let anthropic_turn = |messages: Value| json!({"model": "claude-sonnet-4-5", "max_tokens": 100, "system": "Be brief.", "messages": messages});
    send(
        &gw,
        "/v1/messages",
        anthropic_turn(json!([{"role": "user", "content": "Plan the refactor"}])),
    )
    .await;
    send(
        &gw,
        "/v1/messages",
        anthropic_turn(json!([
            {"role": "user", "content": "Plan the refactor"},
            {"role": "assistant", "content": "Step 1 …"},
            {"role": "user", "content": "Go on"},
        ])),
    )
    .await;

    let ids = conversation_ids(&gw);
    assert_eq!(ids.len(), 5);
    assert_eq!(ids[0], ids[1], "second OpenAI turn keeps the id");
    assert_ne!(ids[0], ids[2], "another conversation, another id");
    assert_eq!(ids[3], ids[4], "second Anthropic turn keeps the id");
    assert_ne!(ids[3], ids[0]);
}
