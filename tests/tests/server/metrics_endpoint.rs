//! `GET /metrics`: a known sequence of requests against the fake Kiro, then the exposition
//! parsed with a Prometheus text parser and every count checked exactly; the key check and
//! `metrics_open`.

use crate::anthropic_common;

use std::collections::BTreeMap;
use std::time::Duration;

use anthropic_common::*;
use kiro_gateway_tests::fake::Script;
use prometheus_parse::{Sample, Scrape, Value as PromValue};
use serde_json::{json, Value};

/// The Kiro model id `MODEL` resolves to (the catalogue lists it).
const KIRO_MODEL: &str = "claude-sonnet-4.5";

async fn scrape_raw(gw: &Gw, key: Option<&str>) -> reqwest::Response {
    let mut request = reqwest::Client::new().get(format!("{}/metrics", gw.base));
    if let Some(key) = key {
        request = request.bearer_auth(key);
    }
    request.send().await.expect("gateway answers")
}

async fn scrape(gw: &Gw) -> Scrape {
    let response = scrape_raw(gw, Some(KEY)).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "text/plain; version=0.0.4; charset=utf-8"
    );
    let text = response.text().await.unwrap();
    Scrape::parse(text.lines().map(|l| Ok(l.to_owned()))).expect("Prometheus text format")
}

fn number(sample: &Sample) -> f64 {
    match sample.value {
        PromValue::Counter(v) | PromValue::Gauge(v) | PromValue::Untyped(v) => v,
        ref other => panic!("{} is not a single number: {other:?}", sample.metric),
    }
}

/// Every sample of `metric`, keyed by the values of `labels` (in that order).
fn series(scrape: &Scrape, metric: &str, labels: &[&str]) -> BTreeMap<Vec<String>, f64> {
    scrape
        .samples
        .iter()
        .filter(|s| s.metric == metric)
        .map(|s| {
            assert_eq!(s.labels.len(), labels.len(), "labels of {metric}: {s:?}");
            let key = labels
                .iter()
                .map(|l| s.labels.get(l).unwrap_or_else(|| panic!("{l} on {s:?}")))
                .map(str::to_owned)
                .collect();
            (key, number(s))
        })
        .collect()
}

fn key(values: &[&str]) -> Vec<String> {
    values.iter().map(|v| (*v).to_owned()).collect()
}

fn chat(text: &str) -> Value {
    json!({"model": MODEL, "messages": [{"role": "user", "content": text}]})
}

fn message(text: &str, stream: bool) -> Value {
    json!({
        "model": MODEL,
        "max_tokens": 256,
        "stream": stream,
        "messages": [{"role": "user", "content": text}],
    })
}

/// `(input, output)` tokens of an answer's `usage`, in either dialect.
fn usage(usage: &Value) -> (u64, u64) {
    let pick = |a: &str, b: &str| usage[a].as_u64().or(usage[b].as_u64()).unwrap();
    (
        pick("prompt_tokens", "input_tokens"),
        pick("completion_tokens", "output_tokens"),
    )
}

async fn ok_json(gw: &Gw, path: &str, body: &Value) -> Value {
    let response = gw.post_anthropic(path, body).await;
    let status = response.status();
    let json: Value = response.json().await.unwrap();
    assert_eq!(status, 200, "{path}: {json}");
    json
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_known_sequence_of_requests_is_counted_exactly() {
    let gw = start().await;
    let credits_before = gw.fake.credits_used("default");
    let mut tokens = (0, 0);
    let mut add = |(i, o): (u64, u64)| {
        tokens.0 += i;
        tokens.1 += o;
    };

    // Two OpenAI non-streaming answers.
    for text in ["first question", "second question"] {
        add(usage(
            &ok_json(&gw, "/v1/chat/completions", &chat(text)).await["usage"],
        ));
    }
    // One Anthropic stream.
    let (events, _) = read_sse(gw.messages(&message("stream me", true)).await).await;
    add(usage(&assemble(&events)["usage"]));
    // One client error (no messages): never reaches Kiro, model unknown.
    let bad = gw
        .post_anthropic("/v1/chat/completions", &json!({"model": MODEL}))
        .await;
    assert_eq!(bad.status(), 400);
    // Throttled once (Retry-After: 0), then answered: one retry, a 200.
    gw.fake.push_script(Script::throttled(Some(0)));
    add(usage(
        &ok_json(&gw, "/v1/messages", &message("throttled once", false)).await["usage"],
    ));
    // A transient 503, retried, then answered (Responses API). (A 500 "high load" would
    // count as `capacity`.)
    gw.fake.push_script(Script::http_error(
        503,
        r#"{"__type":"com.amazon.aws.codewhisperer#ServiceUnavailableException","message":"Service Unavailable"}"#,
    ));
    let body = json!({"model": MODEL, "input": "after a 500"});
    add(usage(&ok_json(&gw, "/v1/responses", &body).await["usage"]));
    // The bearer token rejected once: one refresh, one retry, a 200.
    gw.fake.revoke_next(1);
    add(usage(
        &ok_json(&gw, "/v1/messages", &message("after a refresh", false)).await["usage"],
    ));
    assert_eq!(gw.fake.refresh_calls(), 1);
    // Throttled for an hour: not waited out, the client gets the 429. Last, because
    // the gateway then holds every request back for that hour.
    gw.fake.push_script(Script::throttled(Some(3600)));
    let throttled = gw
        .post_anthropic("/v1/chat/completions", &chat("throttled"))
        .await;
    assert_eq!(throttled.status(), 429);

    let m = scrape(&gw).await;

    let requests = series(
        &m,
        "kiro_gateway_requests_total",
        &["route", "status", "model"],
    );
    let expected: BTreeMap<_, _> = [
        (key(&["/v1/chat/completions", "200", KIRO_MODEL]), 2.0),
        (key(&["/v1/chat/completions", "400", "other"]), 1.0),
        (key(&["/v1/chat/completions", "429", KIRO_MODEL]), 1.0),
        (key(&["/v1/messages", "200", KIRO_MODEL]), 3.0),
        (key(&["/v1/responses", "200", KIRO_MODEL]), 1.0),
    ]
    .into_iter()
    .collect();
    assert_eq!(requests, expected);

    let per_route = |metric: &str| series(&m, metric, &["route"]);
    let routes = |chat: f64, messages: f64, responses: f64| -> BTreeMap<_, _> {
        [
            (key(&["/v1/chat/completions"]), chat),
            (key(&["/v1/messages"]), messages),
            (key(&["/v1/responses"]), responses),
        ]
        .into_iter()
        .collect()
    };
    assert_eq!(
        per_route("kiro_gateway_request_duration_seconds_count"),
        routes(4.0, 3.0, 1.0)
    );
    // Only requests that got an answer from Kiro have a first token.
    assert_eq!(
        per_route("kiro_gateway_time_to_first_token_seconds_count"),
        routes(2.0, 3.0, 1.0)
    );
    let histogram = m
        .samples
        .iter()
        .find(|s| {
            s.metric == "kiro_gateway_request_duration_seconds"
                && s.labels.get("route") == Some("/v1/messages")
        })
        .expect("duration buckets");
    let PromValue::Histogram(buckets) = &histogram.value else {
        panic!("{histogram:?}");
    };
    let inf = buckets.iter().find(|b| b.less_than.is_infinite()).unwrap();
    assert_eq!(inf.count, 3.0);

    let retries = series(&m, "kiro_gateway_upstream_retries_total", &["cause"]);
    let expected: BTreeMap<_, _> = [
        ("bearer_rejected", 1.0),
        ("capacity", 0.0),
        ("first_token_timeout", 0.0),
        ("headers_timeout", 0.0),
        ("throttled", 1.0),
        ("transient", 1.0),
    ]
    .into_iter()
    .map(|(c, n)| (key(&[c]), n))
    .collect();
    assert_eq!(retries, expected);

    let refreshes = series(&m, "kiro_gateway_token_refreshes_total", &["outcome"]);
    let expected: BTreeMap<_, _> = [(key(&["failed"]), 0.0), (key(&["ok"]), 1.0)]
        .into_iter()
        .collect();
    assert_eq!(refreshes, expected);

    let token_counts = series(&m, "kiro_gateway_tokens_total", &["model", "direction"]);
    let expected: BTreeMap<_, _> = [
        (key(&[KIRO_MODEL, "input"]), tokens.0 as f64),
        (key(&[KIRO_MODEL, "output"]), tokens.1 as f64),
    ]
    .into_iter()
    .collect();
    assert_eq!(token_counts, expected);
    assert!(tokens.0 > 0 && tokens.1 > 0, "{tokens:?}");

    let credits = series(&m, "kiro_gateway_credits_total", &["model"]);
    let charged = gw.fake.credits_used("default") - credits_before;
    assert_eq!(credits.len(), 1, "{credits:?}");
    let counted = credits[&key(&[KIRO_MODEL])];
    assert!(charged > 0.0);
    assert!(
        (counted - charged).abs() < 1e-9,
        "counted {counted}, the fake charged {charged}"
    );

    // The stream has ended; its guard goes when the server drops the body.
    let mut active = f64::NAN;
    for _ in 0..50 {
        active = series(&scrape(&gw).await, "kiro_gateway_active_streams", &[])[&key(&[])];
        if active == 0.0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(active, 0.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_the_client_abandons_is_counted_as_499_and_closed() {
    use futures::StreamExt;
    let gw = start().await;
    gw.fake
        .push_script(Script::new().text("first words").stall());
    let response = gw.messages(&message("hang up on me", true)).await;
    assert_eq!(response.status(), 200);
    let mut body = response.bytes_stream();
    body.next().await.expect("message_start").unwrap();
    let open = series(&scrape(&gw).await, "kiro_gateway_active_streams", &[]);
    assert_eq!(open[&key(&[])], 1.0);
    drop(body);

    let want = key(&["/v1/messages", "499", KIRO_MODEL]);
    let mut seen = None;
    for _ in 0..100 {
        let m = scrape(&gw).await;
        let requests = series(
            &m,
            "kiro_gateway_requests_total",
            &["route", "status", "model"],
        );
        let active = series(&m, "kiro_gateway_active_streams", &[])[&key(&[])];
        seen = Some((requests.clone(), active));
        if requests.get(&want) == Some(&1.0) && active == 0.0 {
            assert_eq!(requests.len(), 1, "{requests:?}");
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the abandoned stream was not counted: {seen:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_endpoint_needs_the_key_unless_configured_open() {
    let gw = start().await;
    let response = scrape_raw(&gw, None).await;
    assert_eq!(response.status(), 401);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "invalid_api_key", "{body}");
    assert_eq!(scrape_raw(&gw, Some("kgw_wrong_key")).await.status(), 401);
    assert_eq!(scrape_raw(&gw, Some(KEY)).await.status(), 200);

    let open = start_with(|c| c.metrics_open = true).await;
    let response = scrape_raw(&open, None).await;
    assert_eq!(response.status(), 200);
    let text = response.text().await.unwrap();
    assert!(
        text.contains("# TYPE kiro_gateway_active_streams gauge"),
        "{text}"
    );
    // Still only the metrics: the API itself keeps its key.
    let api = reqwest::Client::new()
        .post(format!("{}/v1/chat/completions", open.base))
        .json(&chat("no key"))
        .send()
        .await
        .unwrap();
    assert_eq!(api.status(), 401);
}
