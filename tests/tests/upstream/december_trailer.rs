//! Kiro's completion trailer as of 2026-12 (`metadataEvent` with all-zero token counts, then
//! `contextUsageEvent` and `meteringEvent`): zero counts are not taken as the usage.

use crate::anthropic_common;

use anthropic_common::start;
use kiro_gateway_tests::fake::{Script, Trailers};
use serde_json::{json, Value};

async fn post(gw: &anthropic_common::Gw, path: &str, body: Value) -> Value {
    let response = gw.post_anthropic(path, &body).await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn all_zero_counts_do_not_become_zero_usage() {
    let gw = start().await;
    let answer = "A reasonably long answer with several words in it.";
    for _ in 0..2 {
        gw.fake.push_script(
            Script::new()
                .text(answer)
                .trailers_as(Trailers::December, 2.5, 0.02),
        );
    }
    let openai = post(
        &gw,
        "/v1/chat/completions",
        json!({"model": "claude-sonnet-4.5", "messages": [{"role": "user", "content": "Explain"}]}),
    )
    .await;
    assert_eq!(openai["choices"][0]["finish_reason"], "stop");
    assert!(
        openai["usage"]["prompt_tokens"].as_u64().unwrap() > 0,
        "{openai}"
    );
    assert!(
        openai["usage"]["completion_tokens"].as_u64().unwrap() > 0,
        "{openai}"
    );

    let anthropic = post(
        &gw,
        "/v1/messages",
        json!({"model": "claude-sonnet-4-5", "max_tokens": 500, "messages": [{"role": "user", "content": "Explain"}]}),
    )
    .await;
    assert_eq!(anthropic["stop_reason"], "end_turn");
    assert!(
        anthropic["usage"]["input_tokens"].as_u64().unwrap() > 0,
        "{anthropic}"
    );
    assert!(
        anthropic["usage"]["output_tokens"].as_u64().unwrap() > 0,
        "{anthropic}"
    );
}

/// How each API says "cut short" and "complete".
async fn endings(gw: &anthropic_common::Gw, older_trailer: bool) -> [String; 3] {
    for _ in 0..3 {
        let script = Script::new().text("An answer that may have been cut");
        gw.fake.push_script(if older_trailer {
            script.trailers_as(Trailers::ContextThenMetering, 2.5, 0.02)
        } else {
            script.trailers()
        });
    }
    let question = json!([{"role": "user", "content": "Explain"}]);
    let chat = post(
        gw,
        "/v1/chat/completions",
        json!({"model": "claude-sonnet-4.5", "messages": question}),
    )
    .await;
    let messages = post(
        gw,
        "/v1/messages",
        json!({"model": "claude-sonnet-4-5", "max_tokens": 500, "messages": question}),
    )
    .await;
    let responses = post(
        gw,
        "/v1/responses",
        json!({"model": "claude-sonnet-4.5", "input": "Explain"}),
    )
    .await;
    [
        chat["choices"][0]["finish_reason"].to_string(),
        messages["stop_reason"].to_string(),
        format!(
            "{} {}",
            responses["status"], responses["incomplete_details"]["reason"]
        ),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_metadata_event_an_answer_is_cut_short_unless_the_rule_is_tolerant() {
    let complete = [
        "\"stop\"".to_owned(),
        "\"end_turn\"".to_owned(),
        "\"completed\" null".to_owned(),
    ];
    let cut = [
        "\"length\"".to_owned(),
        "\"max_tokens\"".to_owned(),
        "\"incomplete\" \"max_output_tokens\"".to_owned(),
    ];
    // The default, strict: only `metadataEvent` completes an answer.
    let gw = start().await;
    assert_eq!(endings(&gw, false).await, complete);
    assert_eq!(
        endings(&gw, true).await,
        cut,
        "context usage + metering only"
    );

    // completion_rule = "tolerant": any trailer event does.
    let gw = anthropic_common::start_with(|c| {
        c.completion_rule = kiro_gateway::convert::trailer::CompletionRule::Tolerant
    })
    .await;
    assert_eq!(endings(&gw, true).await, complete);
}
