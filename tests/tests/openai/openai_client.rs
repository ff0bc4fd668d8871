//! Issue 3: the official OpenAI client library (`async-openai`) against the real gateway
//! binary and the fake Kiro: text, tool calls, images, system prompts, histories, tool
//! results, usage, reasoning, models, name normalisation, tool_choice and response_format.

use crate::openai_support;

use async_openai::types::{ChatCompletionToolType, CreateChatCompletionRequest, FinishReason};
use futures::StreamExt;
use kiro_gateway_tests::fake::{Endpoint, FakeConfig, HttpReply, Script};
use kiro_gateway_tests::harness::Harness;
use openai_support::*;
use serde_json::{json, Value};

fn request(body: Value) -> CreateChatCompletionRequest {
    serde_json::from_value(body).expect("a valid async-openai request")
}

const WEATHER_ARGS: &str = r#"{"city":"Paris","units":"celsius","days":[1,2,3]}"#;

fn weather_tools() -> Value {
    json!([{
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Weather for a city",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
        }
    }])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn text_and_system_prompt_streaming_and_not() {
    let r = start(&[]).await;
    let client = sdk_client(&r);

    r.fake
        .push_script(Script::new().texts(&["Hello", ", ", "world"]).trailers());
    let completion = client
        .chat()
        .create(request(json!({
            "model": "claude-sonnet-4-5",
            "messages": [
                {"role": "system", "content": "You are SYSTEM-PROMPT-MARKER."},
                {"role": "user", "content": "hi"}
            ]
        })))
        .await
        .expect("non-streaming completion");
    assert_eq!(completion.object, "chat.completion");
    assert_eq!(completion.model, "claude-sonnet-4-5");
    let choice = &completion.choices[0];
    assert_eq!(choice.message.content.as_deref(), Some("Hello, world"));
    assert_eq!(choice.finish_reason, Some(FinishReason::Stop));
    assert!(completion.usage.as_ref().unwrap().total_tokens > 0);
    let sent = r.fake.last_chat().unwrap();
    assert!(
        String::from_utf8_lossy(&sent.body).contains("You are SYSTEM-PROMPT-MARKER."),
        "the system prompt reaches upstream"
    );

    r.fake
        .push_script(Script::new().texts(&["one ", "two ", "three"]).trailers());
    let mut stream = client
        .chat()
        .create_stream(request(json!({
            "model": "claude-sonnet-4-5",
            "messages": [
                {"role": "developer", "content": "DEVELOPER-MARKER"},
                {"role": "user", "content": "count"}
            ]
        })))
        .await
        .expect("stream opens");
    let mut text = String::new();
    let mut finish = None;
    let mut roles = 0;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.expect("every chunk parses with async-openai");
        assert_eq!(chunk.object, "chat.completion.chunk");
        for choice in chunk.choices {
            if choice.delta.role.is_some() {
                roles += 1;
            }
            text.push_str(choice.delta.content.as_deref().unwrap_or(""));
            if choice.finish_reason.is_some() {
                finish = choice.finish_reason;
            }
        }
    }
    assert_eq!(text, "one two three");
    assert_eq!(finish, Some(FinishReason::Stop));
    assert_eq!(roles, 1, "the role is sent once");
    let sent = r.fake.last_chat().unwrap();
    assert!(String::from_utf8_lossy(&sent.body).contains("DEVELOPER-MARKER"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn tool_calls_stream_incrementally_and_reassemble() {
    let r = start(&[]).await;
    let client = sdk_client(&r);
    r.fake.push_script(
        Script::new()
            .text("Let me check.")
            .tool_call("get_weather", "tooluse_abc123", WEATHER_ARGS, 4)
            .tool_call("get_weather", "tooluse_def456", r#"{"city":"Oslo"}"#, 2)
            .trailers(),
    );
    let mut stream = client
        .chat()
        .create_stream(request(json!({
            "model": "claude-sonnet-4.5",
            "messages": [{"role": "user", "content": "weather in Paris and Oslo?"}],
            "tools": weather_tools()
        })))
        .await
        .unwrap();
    // index -> (id, name, arguments, number of deltas)
    let mut calls: Vec<(String, String, String, usize)> = Vec::new();
    let mut text = String::new();
    let mut finish = None;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.expect("chunk parses");
        for choice in chunk.choices {
            text.push_str(choice.delta.content.as_deref().unwrap_or(""));
            if let Some(f) = choice.finish_reason {
                finish = Some(f);
            }
            for tc in choice.delta.tool_calls.unwrap_or_default() {
                let i = tc.index as usize;
                let function = tc.function.expect("function in every tool-call delta");
                if i == calls.len() {
                    // The first delta of a call: index, id, type and name.
                    let id = tc.id.expect("the first delta carries the id");
                    assert_eq!(tc.r#type, Some(ChatCompletionToolType::Function));
                    let name = function.name.expect("the first delta carries the name");
                    calls.push((id, name, function.arguments.unwrap_or_default(), 1));
                } else {
                    assert!(tc.id.is_none(), "later deltas carry no id");
                    assert!(function.name.is_none(), "later deltas carry no name");
                    let call = &mut calls[i];
                    call.2.push_str(&function.arguments.unwrap_or_default());
                    call.3 += 1;
                }
            }
        }
    }
    assert_eq!(text, "Let me check.");
    assert_eq!(finish, Some(FinishReason::ToolCalls));
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[0].0, "call_abc123");
    assert_eq!(calls[0].1, "get_weather");
    assert_eq!(
        serde_json::from_str::<Value>(&calls[0].2).unwrap(),
        serde_json::from_str::<Value>(WEATHER_ARGS).unwrap()
    );
    assert!(calls[0].3 >= 4, "arguments arrive in fragments: {calls:?}");
    assert_eq!(calls[1].0, "call_def456");
    assert_eq!(calls[1].2, r#"{"city":"Oslo"}"#);

    // Non-streaming: the same call, whole.
    r.fake.push_script(
        Script::new()
            .tool_call("get_weather", "tooluse_abc123", WEATHER_ARGS, 3)
            .trailers(),
    );
    let completion = client
        .chat()
        .create(request(json!({
            "model": "claude-sonnet-4.5",
            "messages": [{"role": "user", "content": "weather?"}],
            "tools": weather_tools()
        })))
        .await
        .unwrap();
    let choice = &completion.choices[0];
    assert_eq!(choice.finish_reason, Some(FinishReason::ToolCalls));
    assert_eq!(choice.message.content, None);
    let tc = &choice.message.tool_calls.as_ref().unwrap()[0];
    assert_eq!(tc.id, "call_abc123");
    assert_eq!(tc.function.name, "get_weather");
    assert_eq!(
        serde_json::from_str::<Value>(&tc.function.arguments).unwrap(),
        serde_json::from_str::<Value>(WEATHER_ARGS).unwrap()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn images_history_and_tool_results_reach_upstream() {
    let r = start(&[]).await;
    let client = sdk_client(&r);
    // A 1x1 PNG.
    let png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==";
    let completion = client
        .chat()
        .create(request(json!({
            "model": "claude-sonnet-4-5",
            "messages": [{"role": "user", "content": [
                {"type": "text", "text": "what is this?"},
                {"type": "image_url", "image_url": {"url": format!("data:image/png;base64,{png}"), "detail": "auto"}}
            ]}]
        })))
        .await
        .unwrap();
    assert_eq!(
        completion.choices[0].message.content.as_deref(),
        Some("what is this?"),
        "the fake echoes the text"
    );
    let sent = r.fake.last_chat().unwrap();
    let current = sent.current_user_message().unwrap();
    assert_eq!(current["images"][0]["format"], "png");
    assert_eq!(current["images"][0]["source"]["bytes"], png);

    // A multi-turn history ending in tool results (two, merged into one user turn).
    let completion = client
        .chat()
        .create(request(json!({
            "model": "claude-sonnet-4-5",
            "messages": [
                {"role": "system", "content": "Be terse."},
                {"role": "user", "content": "first question"},
                {"role": "user", "content": [{"type": "text", "text": "MERGED-PART"}]},
                {"role": "assistant", "content": "first answer"},
                {"role": "user", "content": "weather in Paris and Oslo?"},
                {"role": "assistant", "content": null, "tool_calls": [
                    {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}},
                    {"id": "call_2", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Oslo\"}"}}
                ]},
                {"role": "tool", "tool_call_id": "call_1", "content": "sunny 21C"},
                {"role": "tool", "tool_call_id": "call_2", "content": "rain 9C"}
            ],
            "tools": weather_tools()
        })))
        .await
        .unwrap();
    assert_eq!(
        completion.choices[0].message.content.as_deref(),
        Some("Tool result: sunny 21C")
    );
    let sent = r.fake.last_chat().unwrap();
    let state = sent.conversation_state().unwrap();
    let history = state["history"].as_array().unwrap();
    assert_eq!(history.len(), 4, "{history:#?}");
    assert!(history[0]["userInputMessage"]["content"]
        .as_str()
        .unwrap()
        .contains("first question"));
    assert!(history[0]["userInputMessage"]["content"]
        .as_str()
        .unwrap()
        .contains("Be terse."));
    assert!(
        history[0]["userInputMessage"]["content"]
            .as_str()
            .unwrap()
            .contains("MERGED-PART"),
        "consecutive user messages merge into one turn"
    );
    assert_eq!(
        history[1]["assistantResponseMessage"]["content"],
        "first answer"
    );
    let uses = history[3]["assistantResponseMessage"]["toolUses"]
        .as_array()
        .unwrap();
    assert_eq!(uses.len(), 2);
    assert_eq!(uses[0]["input"], json!({"city": "Paris"}));
    let results = sent.current_user_message().unwrap()["userInputMessageContext"]["toolResults"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(results.len(), 2);
    assert_eq!(results[0]["toolUseId"], uses[0]["toolUseId"]);
    assert_eq!(results[0]["content"][0]["text"], "sunny 21C");
    assert_eq!(results[1]["toolUseId"], uses[1]["toolUseId"]);
    assert_eq!(results[1]["status"], "success");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn usage_chunk_only_when_asked() {
    let r = start(&[]).await;
    let client = sdk_client(&r);
    for include in [false, true] {
        r.fake
            .push_script(Script::new().texts(&["a", "b"]).metadata(42, 7, "END_TURN"));
        let mut body = json!({
            "model": "claude-sonnet-4-5",
            "messages": [{"role": "user", "content": "x"}]
        });
        if include {
            body["stream_options"] = json!({"include_usage": true});
        }
        let mut stream = client.chat().create_stream(request(body)).await.unwrap();
        let mut chunks = Vec::new();
        while let Some(chunk) = stream.next().await {
            chunks.push(chunk.unwrap());
        }
        let last = chunks.last().unwrap();
        if include {
            assert!(last.choices.is_empty(), "a separate final usage chunk");
            let usage = last.usage.as_ref().expect("usage in the final chunk");
            assert_eq!(usage.prompt_tokens, 42);
            assert_eq!(usage.completion_tokens, 7);
            assert_eq!(usage.total_tokens, 49);
            assert!(chunks[..chunks.len() - 1]
                .iter()
                .all(|c| c.usage.is_none() && !c.choices.is_empty()));
        } else {
            assert!(chunks.iter().all(|c| c.usage.is_none()));
            assert!(chunks.iter().all(|c| !c.choices.is_empty()));
            assert_eq!(last.choices[0].finish_reason, Some(FinishReason::Stop));
        }
    }
    // Non-streaming always has usage.
    r.fake
        .push_script(Script::new().text("a").metadata(42, 7, "END_TURN"));
    let completion = client
        .chat()
        .create(request(json!({
            "model": "claude-sonnet-4-5",
            "messages": [{"role": "user", "content": "x"}]
        })))
        .await
        .unwrap();
    assert_eq!(completion.usage.unwrap().total_tokens, 49);
}

/// Raw SSE (async-openai 0.29's typed delta has no `reasoning_content`).
async fn reasoning_stream(r: &Running, body: Value) -> (String, String, Vec<Value>) {
    let response = r.post_chat(&body).await;
    assert_eq!(response.status(), 200);
    let data = sse_data(response).await;
    assert_eq!(data.last().map(String::as_str), Some("[DONE]"));
    let chunks = json_chunks(&data);
    (
        joined_delta(&chunks, "reasoning_content"),
        joined_delta(&chunks, "content"),
        chunks,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn reasoning_arrives_as_reasoning_content() {
    let r = start(&[]).await;
    // reasoning_effort → the thinking prefix → the fake answers with <thinking> tags.
    let (reasoning, content, _) = reasoning_stream(
        &r,
        json!({"model": "claude-sonnet-4-5", "stream": true, "reasoning_effort": "high",
               "messages": [{"role": "user", "content": "ponder"}]}),
    )
    .await;
    assert_eq!(reasoning, "Let me think about this.");
    assert_eq!(content, "ponder");
    let sent = r.fake.last_chat().unwrap();
    let text = sent.current_user_message().unwrap()["content"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        text.contains(
            "<thinking_mode>enabled</thinking_mode><max_thinking_length>8000</max_thinking_length>"
        ),
        "{text}"
    );

    // The -thinking model suffix does the same.
    let (reasoning, content, _) = reasoning_stream(
        &r,
        json!({"model": "claude-sonnet-4-5-thinking", "stream": true,
               "messages": [{"role": "user", "content": "ponder more"}]}),
    )
    .await;
    assert_eq!(reasoning, "Let me think about this.");
    assert_eq!(content, "ponder more");
    let sent = r.fake.last_chat().unwrap();
    assert_eq!(
        sent.current_user_message().unwrap()["modelId"],
        "claude-sonnet-4.5"
    );
    assert!(String::from_utf8_lossy(&sent.body).contains(
        "<thinking_mode>enabled</thinking_mode><max_thinking_length>10000</max_thinking_length>"
    ));

    // Without either, no reasoning and no prefix.
    let (reasoning, content, _) = reasoning_stream(
        &r,
        json!({"model": "claude-sonnet-4-5", "stream": true,
               "messages": [{"role": "user", "content": "plain"}]}),
    )
    .await;
    assert_eq!((reasoning.as_str(), content.as_str()), ("", "plain"));
    assert!(!String::from_utf8_lossy(&r.fake.last_chat().unwrap().body).contains("<thinking_mode>"));

    // An explicit reasoning_effort "none" wins over the -thinking suffix.
    let (reasoning, content, _) = reasoning_stream(
        &r,
        json!({"model": "claude-sonnet-4-5-thinking", "stream": true, "reasoning_effort": "none",
               "messages": [{"role": "user", "content": "no thinking"}]}),
    )
    .await;
    assert_eq!((reasoning.as_str(), content.as_str()), ("", "no thinking"));
    let sent = r.fake.last_chat().unwrap();
    assert!(!String::from_utf8_lossy(&sent.body).contains("<thinking_mode>"));
    assert_eq!(
        sent.current_user_message().unwrap()["modelId"],
        "claude-sonnet-4.5"
    );

    // Native reasoning events.
    r.fake.push_script(
        Script::new()
            .reasoning("native ")
            .reasoning("thoughts")
            .text("answer")
            .trailers(),
    );
    let (reasoning, content, _) = reasoning_stream(
        &r,
        json!({"model": "claude-sonnet-4-5", "stream": true, "reasoning_effort": "low",
               "messages": [{"role": "user", "content": "q"}]}),
    )
    .await;
    assert_eq!(
        (reasoning.as_str(), content.as_str()),
        ("native thoughts", "answer")
    );

    // Non-streaming: message.reasoning_content and reasoning_tokens.
    let response = r
        .post_chat(&json!({"model": "claude-sonnet-4-5-thinking",
                           "messages": [{"role": "user", "content": "why"}]}))
        .await;
    assert_eq!(response.status(), 200);
    let completion: Value = response.json().await.unwrap();
    let message = &completion["choices"][0]["message"];
    assert_eq!(message["reasoning_content"], "Let me think about this.");
    assert_eq!(message["content"], "why");
    assert!(
        completion["usage"]["completion_tokens_details"]["reasoning_tokens"]
            .as_u64()
            .unwrap()
            > 0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn model_names_normalise_to_one_upstream_id() {
    let r = start(&[]).await;
    let client = sdk_client(&r);
    for name in [
        "claude-sonnet-4-5-20250929",
        "claude-sonnet-4.5",
        "claude-sonnet-4-5",
    ] {
        let completion = client
            .chat()
            .create(request(json!({
                "model": name,
                "messages": [{"role": "user", "content": "hi"}]
            })))
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(completion.model, name, "the client's name is echoed");
    }
    let ids: Vec<Value> = r
        .fake
        .requests_to(Endpoint::Chat)
        .iter()
        .map(|rec| rec.current_user_message().unwrap()["modelId"].clone())
        .collect();
    assert_eq!(ids, vec![json!("claude-sonnet-4.5"); 3]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn models_come_from_the_upstream_catalogue() {
    let r = start(&[]).await;
    let client = sdk_client(&r);
    let list = client.models().list().await.expect("models list parses");
    assert_eq!(list.object, "list");
    let ids: Vec<&str> = list.data.iter().map(|m| m.id.as_str()).collect();
    assert!(ids.contains(&"claude-sonnet-4.5"), "{ids:?}");
    assert!(
        ids.contains(&"deepseek-3.2"),
        "upstream-only ids are listed: {ids:?}"
    );
    assert!(ids.contains(&"auto-kiro"), "auto is renamed: {ids:?}");
    assert!(!ids.contains(&"auto"));
    for m in &list.data {
        assert_eq!(m.object, "model");
        assert!(m.created > 1_600_000_000);
        assert!(!m.owned_by.is_empty());
    }
    let raw: Value = r.get("/v1/models").await.json().await.unwrap();
    for m in raw["data"].as_array().unwrap() {
        for key in ["id", "object", "created", "owned_by"] {
            assert!(m.get(key).is_some(), "{key} missing in {m}");
        }
    }
    let one = client.models().retrieve("claude-opus-4.7").await.unwrap();
    assert_eq!(one.id, "claude-opus-4.7");
    assert_eq!(one.owned_by, "anthropic");
    let auto = client.models().retrieve("auto-kiro").await.unwrap();
    assert_eq!(auto.id, "auto-kiro");
    for alias in [
        "claude-sonnet-4-5",
        "claude-sonnet-4-5-20250929",
        "claude-sonnet-4.5-thinking",
    ] {
        let found = client
            .models()
            .retrieve(alias)
            .await
            .unwrap_or_else(|e| panic!("{alias}: {e}"));
        assert_eq!(
            found.id, "claude-sonnet-4.5",
            "{alias} finds the listed model"
        );
    }
    // Cached: one upstream fetch for all of the above.
    assert_eq!(r.fake.count(Endpoint::ListModels), 1);

    let missing = r.get("/v1/models/gpt-4o").await;
    let (status, err, _) = openai_error(missing).await;
    assert_eq!(status, 404);
    assert_eq!(err.code.as_deref(), Some("model_not_found"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn models_fall_back_to_the_static_list_when_upstream_fails() {
    // The model list answers 404 (runtime personality).
    let cfg = FakeConfig {
        runtime_personality: true,
        ..FakeConfig::default()
    };
    let r = Harness::process().fake_config(cfg).start().await;
    let list = sdk_client(&r).models().list().await.expect("fallback list");
    let ids: Vec<&str> = list.data.iter().map(|m| m.id.as_str()).collect();
    assert!(ids.contains(&"claude-sonnet-4.5"), "{ids:?}");
    assert!(!ids.contains(&"deepseek-3.2"), "static list: {ids:?}");
    assert!(r.fake.count(Endpoint::ListModels) >= 1);
    // With the fallback, unknown names pass through to Kiro, which decides.
    let response = r
        .post_chat(
            &json!({"model": "claude-sonnet-4-5", "messages": [{"role": "user", "content": "hi"}]}),
        )
        .await;
    assert_eq!(response.status(), 200);

    // A 500 from the model list, too (the gateway fetches it at start-up).
    let fake = kiro_gateway_tests::fake::FakeKiro::start(FakeConfig::default()).await;
    fake.inject(
        Endpoint::ListModels,
        HttpReply::json(500, json!({"message": "boom", "reason": null})),
    );
    let r = Harness::process().fake(fake).start().await;
    let list = sdk_client(&r).models().list().await.expect("fallback list");
    let ids: Vec<&str> = list.data.iter().map(|m| m.id.as_str()).collect();
    assert!(ids.contains(&"claude-opus-4.5"), "{ids:?}");
    assert!(!ids.contains(&"qwen3-coder-next"), "static list: {ids:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn tool_choice_required_and_named_are_emulated_with_an_instruction() {
    let r = start(&[]).await;
    let client = sdk_client(&r);
    for (choice, expect) in [
        (json!("required"), "tool"),
        (
            json!({"type": "function", "function": {"name": "get_weather"}}),
            "You must respond by calling the tool `get_weather`.",
        ),
    ] {
        r.fake.push_script(
            Script::new()
                .tool_call("get_weather", "tooluse_x", r#"{"city":"Rome"}"#, 1)
                .trailers(),
        );
        let completion = client
            .chat()
            .create(request(json!({
                "model": "claude-sonnet-4-5",
                "messages": [{"role": "user", "content": "weather in Rome"}],
                "tools": weather_tools(),
                "tool_choice": choice
            })))
            .await
            .unwrap();
        assert_eq!(
            completion.choices[0].finish_reason,
            Some(FinishReason::ToolCalls)
        );
        let sent = r.fake.last_chat().unwrap();
        let current = sent.current_user_message().unwrap();
        let text = current["content"].as_str().unwrap();
        assert!(text.starts_with("weather in Rome"), "{text}");
        assert!(
            text.len() > "weather in Rome".len() && text.contains(expect),
            "{text}"
        );
        assert_eq!(
            current["userInputMessageContext"]["tools"][0]["toolSpecification"]["name"],
            "get_weather"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn response_format_instructs_and_checks_the_final_text() {
    let r = start(&[]).await;
    let schema = json!({"type": "object", "properties": {"answer": {"type": "integer"}}, "required": ["answer"]});
    let body = |stream: bool| {
        json!({
            "model": "claude-sonnet-4-5",
            "stream": stream,
            "messages": [{"role": "user", "content": "2+2?"}],
            "response_format": {"type": "json_schema", "json_schema": {"name": "sum", "schema": schema, "strict": true}}
        })
    };

    // A valid answer wrapped in a Markdown fence: the fence is removed.
    r.fake.push_script(
        Script::new()
            .texts(&["```json\n{\"ans", "wer\": 4}\n```"])
            .trailers(),
    );
    let response = r.post_chat(&body(false)).await;
    assert_eq!(response.status(), 200);
    assert!(response.headers().get("x-kiro-response-format").is_none());
    let completion: Value = response.json().await.unwrap();
    assert_eq!(
        completion["choices"][0]["message"]["content"],
        "{\"answer\": 4}"
    );
    assert!(completion["choices"][0]["message"]
        .get("response_format_error")
        .is_none());
    let sent = String::from_utf8_lossy(&r.fake.last_chat().unwrap().body).to_string();
    assert!(
        sent.contains("JSON Schema named"),
        "the instruction goes upstream"
    );
    assert!(sent.contains("required"), "with the schema");

    // An answer that misses a required key: kept, flagged in a header and a field.
    r.fake
        .push_script(Script::new().text("{\"result\": 4}").trailers());
    let response = r.post_chat(&body(false)).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["x-kiro-response-format"], "invalid");
    let completion: Value = response.json().await.unwrap();
    let message = &completion["choices"][0]["message"];
    assert_eq!(message["content"], "{\"result\": 4}");
    assert!(message["response_format_error"]
        .as_str()
        .unwrap()
        .contains("answer"));
    // async-openai still parses it.
    serde_json::from_value::<async_openai::types::CreateChatCompletionResponse>(completion)
        .unwrap();

    // json_object with prose: flagged.
    r.fake
        .push_script(Script::new().text("Sure! Here it is.").trailers());
    let response = r
        .post_chat(
            &json!({"model": "claude-sonnet-4-5", "messages": [{"role": "user", "content": "x"}],
                           "response_format": {"type": "json_object"}}),
        )
        .await;
    assert_eq!(response.headers()["x-kiro-response-format"], "invalid");

    // Streams are passed through unchecked.
    r.fake
        .push_script(Script::new().text("not json").trailers());
    let response = r.post_chat(&body(true)).await;
    assert_eq!(response.status(), 200);
    let chunks = json_chunks(&sse_data(response).await);
    assert_eq!(joined_delta(&chunks, "content"), "not json");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn tool_call_arguments_survive_any_fragmentation() {
    use kiro_gateway_tests::fake::{FragmentSplit, Step, Transport};
    let r = start(&[]).await;
    let client = sdk_client(&r);
    let args = r#"{"path":"src/main.rs","content":"fn main() {\n    println!(\"héllo 你好 😀\");\n}\n","mode":"overwrite","lines":[1,2,3],"nested":{"a":null,"b":true}}"#;
    for seed in 0..12u64 {
        r.fake.push_script(
            Script::new()
                .step(Step::ToolCall {
                    name: "write_file".into(),
                    id: format!("tooluse_seed{seed}"),
                    arguments: args.into(),
                    split: FragmentSplit::Random {
                        count: 2 + seed as usize * 3,
                        seed,
                    },
                    leading_empty: seed % 2 == 0,
                })
                .trailers()
                .with_transport(Transport::chaos(seed)),
        );
        let mut stream = client
            .chat()
            .create_stream(request(json!({
                "model": "claude-sonnet-4-5",
                "messages": [{"role": "user", "content": "write it"}],
                "tools": [{"type": "function", "function": {"name": "write_file", "parameters": {"type": "object"}}}]
            })))
            .await
            .unwrap();
        let mut id = None;
        let mut arguments = String::new();
        while let Some(chunk) = stream.next().await {
            for choice in chunk.unwrap().choices {
                for tc in choice.delta.tool_calls.unwrap_or_default() {
                    assert_eq!(tc.index, 0);
                    if tc.id.is_some() {
                        assert!(id.is_none(), "seed {seed}: the id comes once");
                        id = tc.id;
                    }
                    arguments.push_str(&tc.function.unwrap().arguments.unwrap_or_default());
                }
            }
        }
        assert_eq!(id.as_deref(), Some(format!("call_seed{seed}").as_str()));
        assert_eq!(arguments, args, "seed {seed}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn long_tool_names_are_shortened_upstream_and_mapped_back() {
    let r = start(&[]).await;
    let client = sdk_client(&r);
    let long = "mcp__github_enterprise_server__create_or_update_repository_file_contents_v2";
    let body = json!({
        "model": "claude-sonnet-4-5",
        "messages": [{"role": "user", "content": "commit it"}],
        "tools": [{"type": "function", "function": {"name": long, "parameters": {"type": "object"}}}]
    });
    // Learn the name Kiro sees.
    client.chat().create(request(body.clone())).await.unwrap();
    let sent = r.fake.last_chat().unwrap();
    let upstream_name = sent.current_user_message().unwrap()["userInputMessageContext"]["tools"][0]
        ["toolSpecification"]["name"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(upstream_name, long, "shortened for Kiro");
    assert!(upstream_name.len() <= 64);

    // Kiro calls it by that name; the client sees its own.
    for stream in [false, true] {
        r.fake.push_script(
            Script::new()
                .tool_call(&upstream_name, "tooluse_long1", r#"{"path":"a"}"#, 2)
                .trailers(),
        );
        let mut b = body.clone();
        b["stream"] = json!(stream);
        let name = if stream {
            let mut s = client.chat().create_stream(request(b)).await.unwrap();
            let mut name = None;
            while let Some(chunk) = s.next().await {
                for choice in chunk.unwrap().choices {
                    for tc in choice.delta.tool_calls.unwrap_or_default() {
                        if let Some(n) = tc.function.and_then(|f| f.name) {
                            name = Some(n);
                        }
                    }
                }
            }
            name.unwrap()
        } else {
            let c = client.chat().create(request(b)).await.unwrap();
            c.choices[0].message.tool_calls.as_ref().unwrap()[0]
                .function
                .name
                .clone()
        };
        assert_eq!(name, long, "stream {stream}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn stop_and_max_tokens_are_enforced_by_the_gateway() {
    let r = start(&[]).await;
    let client = sdk_client(&r);
    for stream in [false, true] {
        // A stop sequence split across two upstream chunks.
        r.fake.push_script(
            Script::new()
                .texts(&["The answer is 4", "2.\nEN", "D and more text"])
                .trailers(),
        );
        let body = json!({"model": "claude-sonnet-4-5", "stream": stream, "stop": ["\nEND", "zzz"],
                          "messages": [{"role": "user", "content": "x"}]});
        let (text, finish) = collect(&client, body).await;
        assert_eq!(text, "The answer is 42.", "stream {stream}");
        assert_eq!(finish, Some(FinishReason::Stop));

        // max_tokens: the answer is cut, finish_reason length.
        let long = "word ".repeat(400);
        r.fake
            .push_script(Script::new().text(&long).text(&long).trailers());
        let body = json!({"model": "claude-sonnet-4-5", "stream": stream, "max_tokens": 20,
                          "messages": [{"role": "user", "content": "x"}]});
        let (text, finish) = collect(&client, body).await;
        assert!(
            !text.is_empty() && text.len() < 200,
            "cut: {} bytes",
            text.len()
        );
        assert!(long.starts_with(&text));
        assert_eq!(finish, Some(FinishReason::Length), "stream {stream}");
    }
}

async fn collect(
    client: &async_openai::Client<async_openai::config::OpenAIConfig>,
    body: Value,
) -> (String, Option<FinishReason>) {
    if body["stream"] == json!(true) {
        let mut s = client.chat().create_stream(request(body)).await.unwrap();
        let mut text = String::new();
        let mut finish = None;
        while let Some(chunk) = s.next().await {
            for choice in chunk.unwrap().choices {
                text.push_str(choice.delta.content.as_deref().unwrap_or(""));
                finish = choice.finish_reason.or(finish);
            }
        }
        (text, finish)
    } else {
        let c = client.chat().create(request(body)).await.unwrap();
        let choice = &c.choices[0];
        (
            choice.message.content.clone().unwrap_or_default(),
            choice.finish_reason,
        )
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_stop_sequence_ends_the_answer_without_waiting_for_kiro() {
    let r = start(&[]).await;
    let client = sdk_client(&r);
    for (k, stream) in [false, true].into_iter().enumerate() {
        // Kiro would keep the connection open forever after the stop sequence.
        r.fake
            .push_script(Script::new().text("done. STOP here").stall());
        let body = json!({"model": "claude-sonnet-4-5", "stream": stream, "stop": "STOP",
                          "messages": [{"role": "user", "content": "x"}]});
        let (text, finish) =
            tokio::time::timeout(std::time::Duration::from_secs(5), collect(&client, body))
                .await
                .expect("answered without waiting for the upstream to end");
        assert_eq!(text, "done. ");
        assert_eq!(finish, Some(FinishReason::Stop));
        assert!(
            eventually(std::time::Duration::from_secs(2), || r
                .fake
                .chat_streams_closed_by_client()
                == k + 1)
            .await,
            "the upstream connection is closed (stream {stream})"
        );
    }
}
