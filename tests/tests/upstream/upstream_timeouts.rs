//! Every phase of an upstream call is bounded, end to end: an upstream that accepts the
//! connection and never answers (no response headers), one that sends headers and then
//! nothing, one that drips bytes without ever completing an event, and one that stalls after
//! the stream started. Each ends within its configured time — a 504 in the caller's dialect
//! before the stream starts, the dialect's error event after it started — and resends stay
//! within `FIRST_TOKEN_MAX_RETRIES`.

use crate::anthropic_common;

use std::time::{Duration, Instant};

use anthropic_common::*;
use kiro_gateway::config::Config;
use kiro_gateway_tests::fake::Script;
use kiro_gateway_tests::sse;
use serde_json::Value;

/// Slack on top of the configured bound: scheduling, the catalogue fetch, the response.
const SLACK: Duration = Duration::from_secs(3);

/// What a client got, and how long it took.
struct Answer {
    status: u16,
    content_type: String,
    body: Value,
    raw: String,
    elapsed: Duration,
}

async fn call(gw: &Gw, route: Route, stream: bool) -> Answer {
    let request = route.post(&gw.base, KEY, stream);
    let started = Instant::now();
    // A hang is a failure of its own, not a stuck test run.
    let (status, content_type, raw) = tokio::time::timeout(Duration::from_secs(60), async {
        let response = request.send().await.expect("gateway answers");
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        (status, content_type, response.text().await.unwrap())
    })
    .await
    .unwrap_or_else(|_| panic!("{route:?} stream={stream}: no complete answer within 60 s"));
    Answer {
        status,
        content_type,
        body: serde_json::from_str(&raw).unwrap_or(Value::Null),
        raw,
        elapsed: started.elapsed(),
    }
}

/// The dialect's 504 body.
fn assert_timeout_error(answer: &Answer, route: Route, what: &str) {
    let what = format!("{route:?} {what}: {}", answer.raw);
    assert_eq!(answer.status, 504, "{what}");
    assert!(
        answer.content_type.starts_with("application/json"),
        "{what}"
    );
    match route {
        Route::Messages => {
            assert_eq!(answer.body["type"], "error", "{what}");
            assert_eq!(answer.body["error"]["type"], "timeout_error", "{what}");
        }
        Route::ChatCompletions | Route::Responses => {
            assert_eq!(answer.body["error"]["type"], "timeout", "{what}");
            assert!(answer.body["error"].get("code").is_some(), "{what}");
        }
    }
}

fn message(answer: &Answer) -> &str {
    answer.body["error"]["message"].as_str().unwrap_or_default()
}

/// The `data:` payloads of an SSE body (the `[DONE]` terminator kept as a string).
fn sse_data(raw: &str) -> Vec<Value> {
    sse::data(raw)
        .into_iter()
        .map(|d| serde_json::from_str(&d).unwrap_or(Value::String(d)))
        .collect()
}

/// The stream started (200, SSE) and ended with the dialect's error event after `partial`.
fn assert_stream_ended_with_timeout(answer: &Answer, route: Route, partial: &str, what: &str) {
    let what = format!("{route:?} {what}: {}", answer.raw);
    assert_eq!(answer.status, 200, "{what}");
    assert!(
        answer.content_type.starts_with("text/event-stream"),
        "{what}"
    );
    assert!(
        answer.raw.contains(partial),
        "the text before the stall: {what}"
    );
    let data = sse_data(&answer.raw);
    match route {
        Route::Messages => {
            let last = data.last().expect("events");
            assert_eq!(last["type"], "error", "{what}");
            assert_eq!(last["error"]["type"], "timeout_error", "{what}");
            assert!(
                !data.iter().any(|d| d["type"] == "message_stop"),
                "no clean end after a timeout: {what}"
            );
        }
        Route::ChatCompletions => {
            let error = data
                .iter()
                .find(|d| d.get("error").is_some())
                .unwrap_or_else(|| panic!("an error chunk: {what}"));
            assert_eq!(error["error"]["type"], "timeout", "{what}");
            assert!(
                !data
                    .iter()
                    .any(|d| d["choices"][0]["finish_reason"] == "stop"),
                "no clean finish after a timeout: {what}"
            );
        }
        Route::Responses => {
            let last = data.last().expect("events");
            assert_eq!(last["type"], "response.failed", "{what}");
            assert_eq!(last["response"]["status"], "failed", "{what}");
            assert!(
                last["response"]["error"]["message"]
                    .as_str()
                    .unwrap_or_default()
                    .contains("stopped sending"),
                "{what}"
            );
        }
    }
}

/// Every route, streamed and not, at once (the fake answers each the same way).
async fn every_route(gw: &Gw) -> Vec<(Route, bool, Answer)> {
    let calls = ROUTES
        .iter()
        .flat_map(|&route| [false, true].map(move |stream| (route, stream)))
        .map(|(route, stream)| async move { (route, stream, call(gw, route, stream).await) });
    futures::future::join_all(calls).await
}

fn seconds(config: &mut Config, set: impl FnOnce(&mut Config)) {
    // Long defaults for the phases a test does not exercise, so that only one can fire.
    config.headers_timeout = Duration::from_secs(30);
    config.first_token_timeout = Duration::from_secs(30);
    config.streaming_read_timeout = Duration::from_secs(30);
    config.first_token_retries = 0;
    set(config);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upstream_that_never_sends_headers_is_a_504_after_the_allowed_resends() {
    let gw = start_with(|c| {
        seconds(c, |c| {
            c.headers_timeout = Duration::from_secs(1);
            c.first_token_retries = 1;
        })
    })
    .await;
    gw.fake
        .set_responder(|_| Some(Script::new().text("never").no_headers()));

    let answers = every_route(&gw).await;
    // Two attempts of 1 s each: the first plus FIRST_TOKEN_MAX_RETRIES = 1.
    let bound = Duration::from_secs(2) + SLACK;
    for (route, stream, answer) in &answers {
        let what = format!("stream={stream}");
        assert_timeout_error(answer, *route, &what);
        assert!(
            message(answer).contains("no response within 1s after 2 attempts"),
            "{route:?} {what}: {}",
            answer.raw
        );
        assert!(
            answer.elapsed >= Duration::from_secs(2) && answer.elapsed < bound,
            "{route:?} {what}: took {:?}",
            answer.elapsed
        );
    }
    assert_eq!(
        gw.fake.chat_calls(),
        2 * answers.len(),
        "each request was sent once and resent once, never more"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn headers_then_silence_is_a_504_within_the_first_token_timeout() {
    let gw = start_with(|c| seconds(c, |c| c.first_token_timeout = Duration::from_secs(1))).await;
    gw.fake.set_responder(|_| Some(Script::new().stall()));

    let answers = every_route(&gw).await;
    for (route, stream, answer) in &answers {
        let what = format!("stream={stream}");
        assert_timeout_error(answer, *route, &what);
        assert!(
            message(answer).contains("did not start answering within 1s"),
            "{route:?} {what}: {}",
            answer.raw
        );
        assert!(
            answer.elapsed < Duration::from_secs(1) + SLACK,
            "{route:?} {what}: took {:?}",
            answer.elapsed
        );
    }
    assert_eq!(gw.fake.chat_calls(), answers.len(), "no resend allowed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bytes_that_never_complete_an_event_do_not_extend_the_first_token_timeout() {
    let gw = start_with(|c| seconds(c, |c| c.first_token_timeout = Duration::from_secs(1))).await;
    // One byte every 100 ms: the first event would be complete after ~10 s.
    gw.fake.set_responder(|_| {
        Some(Script::new().drip_text("dripping, byte by byte", Duration::from_millis(100)))
    });

    let answers = every_route(&gw).await;
    for (route, stream, answer) in &answers {
        let what = format!("stream={stream}");
        assert_timeout_error(answer, *route, &what);
        assert!(
            answer.elapsed < Duration::from_secs(1) + SLACK,
            "{route:?} {what}: took {:?}",
            answer.elapsed
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stall_after_the_stream_started_ends_it_with_the_dialects_error_event() {
    let gw =
        start_with(|c| seconds(c, |c| c.streaming_read_timeout = Duration::from_secs(1))).await;
    gw.fake
        .set_responder(|_| Some(Script::new().text("partial answer").stall()));

    let answers = every_route(&gw).await;
    for (route, stream, answer) in &answers {
        let what = format!("stream={stream}");
        if *stream {
            assert_stream_ended_with_timeout(answer, *route, "partial answer", &what);
        } else {
            assert_timeout_error(answer, *route, &what);
        }
        assert!(
            answer.elapsed < Duration::from_secs(1) + SLACK,
            "{route:?} {what}: took {:?}",
            answer.elapsed
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_drip_after_the_stream_started_is_an_idle_timeout_too() {
    let gw =
        start_with(|c| seconds(c, |c| c.streaming_read_timeout = Duration::from_secs(1))).await;
    gw.fake.set_responder(|_| {
        Some(
            Script::new()
                .text("partial answer")
                .drip_text("the rest, very slowly", Duration::from_millis(100)),
        )
    });

    for route in ROUTES {
        let answer = call(&gw, route, true).await;
        assert_stream_ended_with_timeout(&answer, route, "partial answer", "drip");
        assert!(
            answer.elapsed < Duration::from_secs(1) + SLACK,
            "{route:?}: took {:?}",
            answer.elapsed
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_upstream_within_every_bound_still_answers() {
    // Headers after 0.5 s, first event 0.5 s later, events 0.5 s apart: each phase is
    // below its 2 s bound although the whole answer takes longer than any one of them.
    let gw = start_with(|c| {
        seconds(c, |c| {
            c.headers_timeout = Duration::from_secs(2);
            c.first_token_timeout = Duration::from_secs(2);
            c.streaming_read_timeout = Duration::from_secs(2);
        })
    })
    .await;
    let pause = Duration::from_millis(500);
    gw.fake.set_responder(move |_| {
        Some(
            Script::new()
                .headers_delay(pause)
                .first_byte_delay(pause)
                .text("one ")
                .sleep(pause)
                .text("two ")
                .sleep(pause)
                .text("three ")
                .sleep(pause)
                .text("four")
                .trailers(),
        )
    });
    let answer = call(&gw, Route::Messages, false).await;
    assert_eq!(answer.status, 200, "{}", answer.raw);
    assert_eq!(answer.body["content"][0]["text"], "one two three four");
    assert!(
        answer.elapsed >= Duration::from_secs(2),
        "{:?}",
        answer.elapsed
    );
    assert_eq!(gw.fake.chat_calls(), 1, "nothing was resent");
}
