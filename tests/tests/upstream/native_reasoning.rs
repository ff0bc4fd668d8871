//! Native reasoning against the fake's December rules: models whose catalogue entry has a
//! reasoning schema get `additionalModelRequestFields` (never thinking tags, never a value
//! the schema lacks, never `disabled`), their signed reasoning reaches the client and is
//! replayed as `reasoningContent`; a signature Kiro refuses is stripped and the request
//! resent exactly once. Models without a schema keep tag emulation.

use crate::anthropic_common;

use anthropic_common::*;
use kiro_gateway_tests::fake::reasoning::sign;
use kiro_gateway_tests::fake::Endpoint;
use kiro_gateway_tests::sse;
use serde_json::{json, Value};

const NATIVE: &str = "claude-sonnet-4-6";

fn chat_bodies(gw: &Gw) -> Vec<(u16, Value)> {
    gw.fake
        .requests_to(Endpoint::Chat)
        .into_iter()
        .map(|r| (r.status, r.json.unwrap_or(Value::Null)))
        .collect()
}

fn ask(model: &str, thinking: Value, effort: Option<&str>, stream: bool) -> Value {
    let mut body = json!({
        "model": model, "max_tokens": 1024, "stream": stream, "thinking": thinking,
        "messages": [{"role": "user", "content": "What is 6 times 7?"}],
    });
    if let Some(effort) = effort {
        body["output_config"] = json!({"effort": effort});
    }
    body
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_native_model_gets_its_own_effort_and_answers_with_signed_reasoning() {
    let gw = start().await;
    // xhigh is not among Sonnet 4.6's levels: clamped to high. Not streamed, then streamed.
    let (status, message) = gw
        .message_json(&ask(
            NATIVE,
            json!({"type": "enabled", "budget_tokens": 20000}),
            Some("xhigh"),
            false,
        ))
        .await;
    assert_eq!(status, 200, "{message}");
    let (events, _) = read_sse(
        gw.messages(&ask(NATIVE, json!({"type": "adaptive"}), None, true))
            .await,
    )
    .await;
    let streamed = assemble(&events);

    let bodies = chat_bodies(&gw);
    assert_eq!(bodies.len(), 2);
    for (status, body) in &bodies {
        assert_eq!(*status, 200, "the fake accepted it: {body}");
        assert!(
            !body.to_string().contains("<thinking_mode>"),
            "no tags: {body}"
        );
        assert!(body.get("systemPrompt").is_none());
    }
    assert_eq!(
        bodies[0].1["additionalModelRequestFields"],
        json!({"thinking": {"type": "adaptive"}, "output_config": {"effort": "high"}})
    );
    // Nothing asked: the model's default effort.
    assert_eq!(
        bodies[1].1["additionalModelRequestFields"]["output_config"]["effort"],
        "high"
    );

    for answer in [&message, &streamed] {
        let thinking = &answer["content"][0];
        assert_eq!(thinking["type"], "thinking", "{answer}");
        assert_eq!(thinking["thinking"], "Let me think about this.");
        assert_eq!(thinking["signature"], sign("Let me think about this."));
        assert_eq!(answer["content"][1]["type"], "text");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn turning_thinking_off_never_sends_disabled_and_old_models_keep_tags() {
    let gw = start().await;
    let (status, _) = gw
        .message_json(&ask(NATIVE, json!({"type": "disabled"}), None, false))
        .await;
    assert_eq!(status, 200);
    let (status, _) = gw
        .message_json(&ask(
            MODEL,
            json!({"type": "enabled", "budget_tokens": 4000}),
            None,
            false,
        ))
        .await;
    assert_eq!(status, 200);
    let bodies = chat_bodies(&gw);
    assert!(
        bodies[0].1.get("additionalModelRequestFields").is_none(),
        "{}",
        bodies[0].1
    );
    assert!(bodies[1].1.get("additionalModelRequestFields").is_none());
    assert!(
        bodies[1]
            .1
            .to_string()
            .contains("<thinking_mode>enabled</thinking_mode>"),
        "a model without a schema is emulated with tags"
    );
}

fn second_turn(signature: &str) -> Value {
    json!({
        "model": NATIVE, "max_tokens": 1024, "thinking": {"type": "adaptive"},
        "messages": [
            {"role": "user", "content": "What is 6 times 7?"},
            {"role": "assistant", "content": [
                {"type": "thinking", "thinking": "Let me think about this.", "signature": signature},
                {"type": "text", "text": "42"},
            ]},
            {"role": "user", "content": "And times 2?"},
        ],
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_reasoning_is_replayed_and_a_refused_signature_is_stripped_and_resent_once() {
    let gw = start().await;
    // The signature the fake issued: replayed as reasoningContent and accepted.
    let (status, answer) = gw
        .message_json(&second_turn(&sign("Let me think about this.")))
        .await;
    assert_eq!(status, 200, "{answer}");
    let bodies = chat_bodies(&gw);
    assert_eq!(bodies.len(), 1);
    assert_eq!(
        bodies[0].1["conversationState"]["history"][1]["assistantResponseMessage"]
            ["reasoningContent"],
        json!({"reasoningText": {"text": "Let me think about this.", "signature": sign("Let me think about this.")}})
    );
    assert!(
        !bodies[0].1["conversationState"]["history"][1]["assistantResponseMessage"]["content"]
            .as_str()
            .unwrap()
            .contains("<thinking>")
    );

    // A signature Kiro does not accept (say, from another session): one 400, then the same
    // request without replayed reasoning, answered. Exactly two attempts.
    gw.fake.clear_requests();
    let (status, answer) = gw.message_json(&second_turn("forged-signature")).await;
    assert_eq!(status, 200, "{answer}");
    let bodies = chat_bodies(&gw);
    assert_eq!(bodies.len(), 2, "one resend, never a loop");
    assert_eq!(bodies[0].0, 400);
    assert_eq!(bodies[1].0, 200);
    assert!(!bodies[1].1.to_string().contains("reasoningContent"));
    assert_eq!(
        bodies[1].1["additionalModelRequestFields"],
        bodies[0].1["additionalModelRequestFields"]
    );
}

const THOUGHT: &str = "Let me think about this.";

/// The `data:` objects of an SSE body, without `[DONE]`.
fn sse_data(text: &str) -> Vec<Value> {
    sse::json_data(text)
}

async fn answer(gw: &Gw, path: &str, body: &Value) -> (u16, String) {
    let response = gw.post_anthropic(path, body).await;
    (response.status().as_u16(), response.text().await.unwrap())
}

/// The assistant message a Chat Completions client keeps: the non-streamed `message`, or
/// the streamed deltas put together the way OpenAI-compatible SDKs do.
fn chat_assistant(stream: bool, text: &str) -> Value {
    if !stream {
        let body: Value = serde_json::from_str(text).unwrap();
        return body["choices"][0]["message"].clone();
    }
    let (mut content, mut reasoning, mut details) = (String::new(), String::new(), Vec::new());
    for chunk in sse_data(text) {
        let delta = &chunk["choices"][0]["delta"];
        content.push_str(delta["content"].as_str().unwrap_or_default());
        reasoning.push_str(delta["reasoning_content"].as_str().unwrap_or_default());
        details.extend(
            delta["reasoning_details"]
                .as_array()
                .cloned()
                .unwrap_or_default(),
        );
    }
    json!({"role": "assistant", "content": content, "reasoning_content": reasoning,
           "reasoning_details": details})
}

/// The `output` items of a Responses answer, streamed (from `response.completed`) or not.
fn responses_output(stream: bool, text: &str) -> Vec<Value> {
    let response = if stream {
        sse_data(text)
            .into_iter()
            .find(|e| e["type"] == "response.completed")
            .expect("response.completed")["response"]
            .clone()
    } else {
        serde_json::from_str(text).unwrap()
    };
    response["output"].as_array().unwrap().clone()
}

/// The reasoning the fake received on the second turn (history: user, assistant, …).
fn replayed(gw: &Gw) -> Value {
    let bodies = chat_bodies(gw);
    assert_eq!(
        bodies.len(),
        1,
        "accepted at once, no strip-and-resend: {bodies:?}"
    );
    assert_eq!(bodies[0].0, 200, "{}", bodies[0].1);
    bodies[0].1["conversationState"]["history"][1]["assistantResponseMessage"]["reasoningContent"]
        .clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chat_completions_and_responses_clients_carry_signed_reasoning_to_the_next_turn() {
    let gw = start().await;
    let signed = json!({"reasoningText": {"text": THOUGHT, "signature": sign(THOUGHT)}});
    let question = json!({"role": "user", "content": "What is 6 times 7?"});
    let follow_up = json!({"role": "user", "content": "And times 2?"});

    for stream in [false, true] {
        let first = json!({"model": NATIVE, "stream": stream, "reasoning_effort": "high",
                           "messages": [question]});
        let (status, text) = answer(&gw, "/v1/chat/completions", &first).await;
        assert_eq!(status, 200, "{text}");
        let assistant = chat_assistant(stream, &text);
        assert_eq!(assistant["reasoning_content"], THOUGHT, "stream {stream}");
        assert_eq!(
            assistant["reasoning_details"],
            json!([{"type": "reasoning.text", "text": THOUGHT, "signature": sign(THOUGHT),
                    "format": "kiro", "index": 0}]),
            "stream {stream}"
        );

        gw.fake.clear_requests();
        let second = json!({"model": NATIVE, "reasoning_effort": "high",
                            "messages": [question, assistant, follow_up]});
        let (status, text) = answer(&gw, "/v1/chat/completions", &second).await;
        assert_eq!(status, 200, "{text}");
        assert_eq!(replayed(&gw), signed, "chat, stream {stream}");
        gw.fake.clear_requests();
    }

    for stream in [false, true] {
        let first = json!({"model": NATIVE, "stream": stream, "store": false,
                           "reasoning": {"effort": "high"}, "input": [question]});
        let (status, text) = answer(&gw, "/v1/responses", &first).await;
        assert_eq!(status, 200, "{text}");
        let output = responses_output(stream, &text);
        let reasoning = output
            .iter()
            .find(|item| item["type"] == "reasoning")
            .unwrap_or_else(|| panic!("a reasoning item: {output:?}"));
        assert_eq!(reasoning["summary"][0]["text"], THOUGHT);
        let sealed = reasoning["encrypted_content"].as_str().unwrap_or_default();
        assert!(sealed.starts_with("kiro1."), "{reasoning}");
        assert!(
            !sealed.contains(THOUGHT),
            "the client keeps it opaque: {sealed}"
        );

        // What Codex sends next: the earlier input, the output items as they came, the new
        // message.
        gw.fake.clear_requests();
        let mut input = vec![question.clone()];
        input.extend(output.iter().cloned());
        input.push(follow_up.clone());
        let second = json!({"model": NATIVE, "store": false, "reasoning": {"effort": "high"},
                            "input": input});
        let (status, text) = answer(&gw, "/v1/responses", &second).await;
        assert_eq!(status, 200, "{text}");
        assert_eq!(replayed(&gw), signed, "responses, stream {stream}");
        gw.fake.clear_requests();
    }
}

const GPT: &str = "gpt-5.6-sol";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gpt_encrypted_reasoning_goes_back_to_kiro_as_it_came_in_every_dialect() {
    use kiro_gateway_tests::fake::reasoning::GPT_REDACTED;
    let gw = start().await;
    let redacted = json!({"redactedContent": GPT_REDACTED});
    let question = json!({"role": "user", "content": "What is 6 times 7?"});
    let follow_up = json!({"role": "user", "content": "And times 2?"});

    // Anthropic: a `redacted_thinking` block after the text, returned as it came.
    for stream in [false, true] {
        let first = json!({"model": GPT, "max_tokens": 1024, "stream": stream,
                           "thinking": {"type": "adaptive"}, "messages": [question]});
        let content = if stream {
            let (events, _) = read_sse(gw.messages(&first).await).await;
            assemble(&events)["content"].clone()
        } else {
            let (status, message) = gw.message_json(&first).await;
            assert_eq!(status, 200, "{message}");
            message["content"].clone()
        };
        let blocks = content.as_array().unwrap();
        assert_eq!(
            blocks[0]["type"], "text",
            "GPT reasons after the text: {content}"
        );
        assert_eq!(
            blocks.last().unwrap(),
            &json!({"type": "redacted_thinking", "data": GPT_REDACTED})
        );
        gw.fake.clear_requests();
        let second = json!({"model": GPT, "max_tokens": 1024, "thinking": {"type": "adaptive"},
                            "messages": [question, {"role": "assistant", "content": content}, follow_up]});
        let (status, answer) = gw.message_json(&second).await;
        assert_eq!(status, 200, "{answer}");
        assert_eq!(replayed(&gw), redacted, "messages, stream {stream}");
        gw.fake.clear_requests();
    }

    // Chat Completions: a `reasoning.encrypted` item.
    for stream in [false, true] {
        let first = json!({"model": GPT, "stream": stream, "reasoning_effort": "high",
                           "messages": [question]});
        let (status, text) = answer(&gw, "/v1/chat/completions", &first).await;
        assert_eq!(status, 200, "{text}");
        let assistant = chat_assistant(stream, &text);
        assert_eq!(
            assistant["reasoning_details"],
            json!([{"type": "reasoning.encrypted", "data": GPT_REDACTED, "format": "kiro",
                    "index": 0}])
        );
        gw.fake.clear_requests();
        let second = json!({"model": GPT, "reasoning_effort": "high",
                            "messages": [question, assistant, follow_up]});
        let (status, text) = answer(&gw, "/v1/chat/completions", &second).await;
        assert_eq!(status, 200, "{text}");
        assert_eq!(replayed(&gw), redacted, "chat, stream {stream}");
        gw.fake.clear_requests();
    }

    // Responses: a reasoning item of its own, its `encrypted_content` opaque to the client.
    for stream in [false, true] {
        let first = json!({"model": GPT, "stream": stream, "store": false,
                           "reasoning": {"effort": "high"}, "input": [question]});
        let (status, text) = answer(&gw, "/v1/responses", &first).await;
        assert_eq!(status, 200, "{text}");
        let output = responses_output(stream, &text);
        let reasoning = output.last().unwrap();
        assert_eq!(reasoning["type"], "reasoning", "{output:?}");
        assert!(reasoning["encrypted_content"]
            .as_str()
            .is_some_and(|e| e.starts_with("kiro1.")));
        gw.fake.clear_requests();
        let mut input = vec![question.clone()];
        input.extend(output.iter().cloned());
        input.push(follow_up.clone());
        let second = json!({"model": GPT, "store": false, "reasoning": {"effort": "high"},
                            "input": input});
        let (status, text) = answer(&gw, "/v1/responses", &second).await;
        assert_eq!(status, 200, "{text}");
        assert_eq!(replayed(&gw), redacted, "responses, stream {stream}");
        gw.fake.clear_requests();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gpt_placeholder_reasoning_with_a_signature_goes_back_signed() {
    use kiro_gateway_tests::fake::reasoning::gpt_placeholder;
    use kiro_gateway_tests::fake::GptReasoning;
    let gw = start().await;
    gw.fake
        .update(|c| c.gpt_reasoning = GptReasoning::Placeholder);
    let (text, signature) = gpt_placeholder();
    let question = json!({"role": "user", "content": "What is 6 times 7?"});
    let first = json!({"model": GPT, "reasoning_effort": "high", "messages": [question]});
    let (status, body) = answer(&gw, "/v1/chat/completions", &first).await;
    assert_eq!(status, 200, "{body}");
    let assistant = chat_assistant(false, &body);
    assert_eq!(assistant["reasoning_details"][0]["signature"], signature);
    gw.fake.clear_requests();
    let second = json!({"model": GPT, "reasoning_effort": "high", "messages": [
        question, assistant, {"role": "user", "content": "And times 2?"}]});
    let (status, body) = answer(&gw, "/v1/chat/completions", &second).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        replayed(&gw),
        json!({"reasoningText": {"text": text, "signature": signature}})
    );
}

/// A `-thinking` model name means the same reasoning budget from every dialect, and an
/// explicit "off" (Anthropic `thinking.type: "disabled"`, OpenAI `reasoning_effort: "none"`)
/// wins over it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thinking_model_name_means_one_budget_in_every_dialect() {
    let gw = start().await;
    let name = format!("{MODEL}-thinking");
    let chat = json!({"model": name, "messages": [{"role": "user", "content": "q"}]});
    let mut chat_off = chat.clone();
    chat_off["reasoning_effort"] = json!("none");
    assert_eq!(
        gw.post_anthropic("/v1/chat/completions", &chat)
            .await
            .status(),
        200
    );
    let (status, message) = gw
        .message_json(&json!({"model": name, "max_tokens": 1024,
            "messages": [{"role": "user", "content": "q"}]}))
        .await;
    assert_eq!(status, 200, "{message}");
    assert_eq!(
        gw.post_anthropic("/v1/chat/completions", &chat_off)
            .await
            .status(),
        200
    );
    let (status, message) = gw
        .message_json(&ask(&name, json!({"type": "disabled"}), None, false))
        .await;
    assert_eq!(status, 200, "{message}");

    let bodies: Vec<String> = chat_bodies(&gw)
        .into_iter()
        .map(|(_, body)| body.to_string())
        .collect();
    assert_eq!(bodies.len(), 4);
    for body in &bodies[..2] {
        assert!(
            body.contains("<max_thinking_length>10000</max_thinking_length>"),
            "the one budget: {body}"
        );
    }
    for body in &bodies[2..] {
        assert!(!body.contains("<thinking_mode>"), "turned off: {body}");
    }
}
