//! The real `kiro-gateway` binary against the fake upstream: refresh, streaming fidelity,
//! write-back, single-flight under load, adoption of the IDE's token, logs without secrets,
//! graceful shutdown.

use std::time::Duration;

use futures::StreamExt;
use kiro_gateway_tests::fake::fixtures::ide_rewrite_token_file;
use kiro_gateway_tests::fake::{Endpoint, Script};
use kiro_gateway_tests::harness::{Harness, Running};
use serde_json::{json, Value};

/// The fake, a token file written like the IDE's (expired when `expired`), and the gateway
/// pointed at both.
async fn start(expired: bool, extra_env: &[(&'static str, &str)]) -> Running {
    let ttl = if expired {
        chrono::Duration::minutes(-5)
    } else {
        chrono::Duration::hours(1)
    };
    Harness::process()
        .token_ttl(ttl)
        .env(extra_env)
        .start()
        .await
}

fn chat_request(stream: bool, text: &str) -> Value {
    json!({
        "model": "claude-sonnet-4-5",
        "stream": stream,
        "messages": [{"role": "user", "content": text}],
    })
}

async fn post_chat(r: &Running, body: &Value) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("{}/v1/chat/completions", r.base))
        .bearer_auth(&r.key)
        .json(body)
        .send()
        .await
        .expect("gateway answers")
}

/// The content deltas of an OpenAI SSE stream, in order, and whether `[DONE]` came.
async fn stream_deltas(response: reqwest::Response) -> (Vec<String>, bool) {
    let mut body = response.bytes_stream();
    let mut buffer: Vec<u8> = Vec::new();
    let mut deltas = Vec::new();
    let mut done = false;
    while let Some(chunk) = body.next().await {
        buffer.extend_from_slice(&chunk.unwrap());
        while let Some(end) = buffer.windows(2).position(|w| w == b"\n\n") {
            let raw: Vec<u8> = buffer.drain(..end + 2).collect();
            let event = String::from_utf8(raw).expect("each SSE event is valid UTF-8");
            let data = event
                .trim()
                .strip_prefix("data: ")
                .expect("data line")
                .to_owned();
            if data == "[DONE]" {
                done = true;
                continue;
            }
            let chunk: Value = serde_json::from_str(&data).unwrap();
            if let Some(text) = chunk["choices"][0]["delta"]["content"].as_str() {
                if !text.is_empty() {
                    deltas.push(text.to_owned());
                }
            }
        }
    }
    (deltas, done)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn expired_token_is_refreshed_once_and_text_streams_exactly() {
    let r = start(true, &[]).await;
    r.fake.push_script(Script::repeated_sixes());
    r.fake.push_script(Script::split_multibyte());

    let (sixes, done) = stream_deltas(post_chat(&r, &chat_request(true, "echo 6666")).await).await;
    assert!(done, "stream ends with [DONE]");
    assert_eq!(
        sixes,
        vec!["6", "6", "6", "6"],
        "identical consecutive chunks are all kept"
    );

    let response = post_chat(&r, &chat_request(true, "unicode")).await;
    let (deltas, _) = stream_deltas(response).await;
    let scripted = r.fake.requests_to(Endpoint::Chat).len();
    assert_eq!(scripted, 2);
    let joined = deltas.concat();
    assert!(
        joined.contains('你') && joined.contains('😀'),
        "multi-byte characters intact: {joined:?}"
    );
    assert!(
        !joined.contains('\u{FFFD}'),
        "no replacement characters: {joined:?}"
    );

    assert_eq!(
        r.fake.refresh_calls(),
        1,
        "the expired token is refreshed exactly once"
    );
    let on_disk: Value =
        serde_json::from_str(&std::fs::read_to_string(&r.token_file).unwrap()).unwrap();
    let used = r.fake.last_chat().unwrap().bearer().unwrap().to_owned();
    assert_eq!(
        on_disk["accessToken"],
        used.as_str(),
        "the new token was written back"
    );
    assert_ne!(used, r.issued.access_token);
    assert_eq!(
        on_disk["provider"], "Google",
        "other fields survive the write-back"
    );
    let leftovers: Vec<_> = std::fs::read_dir(r.token_file.parent().unwrap())
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().contains(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "no temp files left behind");
    drop(r.home);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn non_streaming_answers_with_a_chat_completion() {
    let r = start(false, &[]).await;
    r.fake
        .push_script(Script::new().texts(&["Hello", ", ", "world"]).trailers());
    let response = post_chat(&r, &chat_request(false, "hi")).await;
    assert_eq!(response.status(), 200);
    let completion: Value = response.json().await.unwrap();
    assert_eq!(completion["object"], "chat.completion");
    assert_eq!(
        completion["choices"][0]["message"]["content"],
        "Hello, world"
    );
    assert_eq!(completion["choices"][0]["finish_reason"], "stop");
    assert!(completion["usage"]["total_tokens"].as_u64().unwrap() > 0);
    assert_eq!(r.fake.refresh_calls(), 0, "a valid token is used as it is");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_hundred_concurrent_requests_with_an_expired_token_cause_one_refresh() {
    let r = start(true, &[]).await;
    let client = reqwest::Client::new();
    let requests = (0..100).map(|i| {
        let client = client.clone();
        let url = format!("{}/v1/chat/completions", r.base);
        let key = r.key.clone();
        async move {
            let response = client
                .post(url)
                .bearer_auth(key)
                .json(&chat_request(false, &format!("request {i}")))
                .send()
                .await
                .unwrap();
            let status = response.status();
            let body: Value = response.json().await.unwrap();
            (status, body)
        }
    });
    let results = futures::future::join_all(requests).await;
    for (i, (status, body)) in results.iter().enumerate() {
        assert_eq!(*status, 200, "{body}");
        let content = body["choices"][0]["message"]["content"].as_str().unwrap();
        assert!(
            content.contains(&format!("request {i}")),
            "request {i} got {content:?}"
        );
    }
    assert_eq!(r.fake.refresh_calls(), 1);
    assert_eq!(r.fake.chat_calls(), 100);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_token_the_ide_writes_by_rename_is_adopted_without_refreshing() {
    let r = start(false, &[]).await;
    assert_eq!(
        post_chat(&r, &chat_request(false, "before")).await.status(),
        200
    );
    assert_eq!(
        r.fake.last_chat().unwrap().bearer(),
        Some(r.issued.access_token.as_str())
    );

    let rewritten = ide_rewrite_token_file(&r.fake, &r.token_file).await;
    let ide_token = rewritten["accessToken"].as_str().unwrap().to_owned();
    let refreshes_by_the_ide = r.fake.refresh_calls();
    assert_eq!(refreshes_by_the_ide, 1, "the IDE refreshed once");

    let mut adopted = false;
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert_eq!(
            post_chat(&r, &chat_request(false, "after")).await.status(),
            200
        );
        if r.fake.last_chat().unwrap().bearer() == Some(ide_token.as_str()) {
            adopted = true;
            break;
        }
    }
    assert!(adopted, "the gateway uses the token the IDE wrote");
    assert_eq!(
        r.fake.refresh_calls(),
        refreshes_by_the_ide,
        "the gateway did not refresh itself"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn trace_logs_hold_no_token_key_or_authorization_header() {
    let mut r = start(true, &[("KIRO_GATEWAY_LOG_LEVEL", "trace")]).await;
    let original_refresh = {
        let file: Value =
            serde_json::from_str(&std::fs::read_to_string(&r.token_file).unwrap()).unwrap();
        file["refreshToken"].as_str().unwrap().to_owned()
    };
    let (deltas, _) = stream_deltas(post_chat(&r, &chat_request(true, "log me")).await).await;
    assert!(!deltas.is_empty());
    let models = reqwest::Client::new()
        .get(format!("{}/v1/models", r.base))
        .header("x-api-key", &r.key)
        .send()
        .await
        .unwrap();
    assert_eq!(models.status(), 200);
    let wrong = reqwest::Client::new()
        .get(format!("{}/v1/models", r.base))
        .bearer_auth("kgw_wrong_key_that_must_not_be_logged")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);

    let new_access = r.fake.last_chat().unwrap().bearer().unwrap().to_owned();
    r.terminate(Duration::from_secs(15))
        .expect("exits on SIGTERM");
    let logs = r.stderr();
    assert!(
        logs.lines().count() > 20,
        "trace logging produced output:\n{logs}"
    );
    for (what, secret) in [
        ("expired access token", r.issued.access_token.as_str()),
        ("refreshed access token", new_access.as_str()),
        ("refresh token", original_refresh.as_str()),
        ("API key", r.key.as_str()),
        ("wrong API key", "kgw_wrong_key_that_must_not_be_logged"),
    ] {
        assert!(!logs.contains(secret), "the {what} appears in the logs");
    }
    for line in logs.lines() {
        let lower = line.to_ascii_lowercase();
        if let Some(pos) = lower.find("bearer ") {
            assert!(
                line[pos + 7..].starts_with("***"),
                "an Authorization value in: {line}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigterm_drains_an_open_stream_within_the_bound() {
    let mut r = start(false, &[]).await;
    r.fake.push_script(Script::new().text("open").stall());
    let response = post_chat(&r, &chat_request(true, "hold")).await;
    assert_eq!(response.status(), 200);
    let started = std::time::Instant::now();
    let status = tokio::task::spawn_blocking(move || {
        let status = r.terminate(Duration::from_secs(20));
        (status, r)
    })
    .await
    .unwrap();
    assert!(status.0.is_some(), "the gateway exited");
    assert!(started.elapsed() < Duration::from_secs(15), "bounded drain");
    drop(response);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_request_kiro_would_reject_is_refused_before_anything_goes_upstream() {
    let r = start(false, &[("KIRO_MAX_PAYLOAD_BYTES", "20000")]).await;
    let big = "lorem ipsum ".repeat(5_000);
    let response = post_chat(&r, &chat_request(false, &big)).await;
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["type"], "invalid_request_error");
    assert_eq!(body["error"]["code"], "payload_size", "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains("20000"), "names the limit: {message}");
    assert_eq!(r.fake.chat_calls(), 0, "nothing went upstream");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_upstream_failure_after_the_first_byte_ends_the_stream_with_an_error_event() {
    let r = start(false, &[]).await;
    r.fake.push_script(
        Script::new()
            .text("partial answer")
            .exception("ThrottlingException", "Rate exceeded"),
    );
    let response = post_chat(&r, &chat_request(true, "x")).await;
    assert_eq!(response.status(), 200);
    let raw = response.text().await.unwrap();
    let events: Vec<&str> = raw.split("\n\n").filter(|e| !e.is_empty()).collect();
    assert!(events[0].contains("partial answer"), "{raw}");
    let error_event = events
        .iter()
        .find(|e| e.contains("\"error\""))
        .unwrap_or_else(|| panic!("an error event: {raw}"));
    assert!(error_event.contains("Rate exceeded"), "{error_event}");
    assert_eq!(*events.last().unwrap(), "data: [DONE]");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn request_rows_carry_model_status_tokens_and_errors() {
    let r = start(false, &[]).await;
    r.fake
        .push_script(Script::new().texts(&["one ", "two"]).trailers());
    let (deltas, _) = stream_deltas(post_chat(&r, &chat_request(true, "rows")).await).await;
    assert_eq!(deltas.concat(), "one two");
    let bad = reqwest::Client::new()
        .post(format!("{}/v1/chat/completions", r.base))
        .bearer_auth(&r.key)
        .json(&json!({"model": "no-such-model", "messages": [{"role": "user", "content": "x"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 404);

    let mut rows = Vec::new();
    for _ in 0..50 {
        let body: Value = reqwest::Client::new()
            .get(format!("{}/admin/requests", r.base))
            .bearer_auth(&r.key)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        rows = body["requests"].as_array().cloned().unwrap_or_default();
        if rows.len() >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let ok = rows
        .iter()
        .find(|r| r["status"] == 200)
        .expect("the streamed request");
    assert_eq!(ok["route"], "/v1/chat/completions");
    assert_eq!(ok["model"], "claude-sonnet-4-5");
    assert!(ok["output_tokens"].as_u64().unwrap() > 0, "{ok}");
    assert!(ok["input_tokens"].as_u64().unwrap() > 0, "{ok}");
    assert!(ok["ttft_ms"].is_u64(), "{ok}");
    let failed = rows
        .iter()
        .find(|r| r["status"] == 404)
        .expect("the failed request");
    assert_eq!(failed["model"], "no-such-model");
    assert!(
        failed["error"].as_str().unwrap().contains("does not exist"),
        "{failed}"
    );
}
