//! Issue 14, item 3: every response carries `x-request-id` — the client's own when sane,
//! else a fresh unique one — on successes of both dialects (streamed or not), errors, the
//! guard's refusals, 401s and the 404 fallback; and the request's row and log lines in
//! `/admin` carry the same id. The real binary, over loopback HTTP.

use crate::openai_support;

use std::collections::HashSet;
use std::time::Duration;

use openai_support::*;
use serde_json::{json, Value};

const HEADER: &str = "x-request-id";

fn chat(stream: bool) -> Value {
    json!({"model": "claude-sonnet-4-5", "stream": stream,
           "messages": [{"role": "user", "content": "hi"}]})
}

fn message(stream: bool) -> Value {
    json!({"model": "claude-sonnet-4-5", "max_tokens": 50, "stream": stream,
           "messages": [{"role": "user", "content": "hi"}]})
}

/// The response's `x-request-id`; fails when there is none.
fn id_of(response: &reqwest::Response) -> String {
    response
        .headers()
        .get(HEADER)
        .unwrap_or_else(|| panic!("{} {} has no {HEADER}", response.status(), response.url()))
        .to_str()
        .unwrap()
        .to_owned()
}

/// A generated id: `req_` and 32 hex digits.
fn assert_generated(id: &str) {
    let hex = id
        .strip_prefix("req_")
        .unwrap_or_else(|| panic!("generated ids start with req_: {id}"));
    assert!(
        hex.len() == 32 && hex.bytes().all(|b| b.is_ascii_hexdigit()),
        "{id}"
    );
}

async fn send(request: reqwest::RequestBuilder) -> (reqwest::Response, String) {
    let response = request.send().await.expect("gateway answers");
    let id = id_of(&response);
    (response, id)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_kind_of_response_carries_a_request_id() {
    let r = start(&[]).await;
    let http = reqwest::Client::new();
    let key = r.key.clone();
    let mut seen = Vec::new();

    // Successes of both dialects, streamed and not; the stream's header comes first.
    for stream in [false, true] {
        let response = r.post_chat(&chat(stream)).await;
        assert_eq!(response.status(), 200);
        seen.push(id_of(&response));
        let body = response.text().await.unwrap();
        assert!(!body.is_empty());

        let response = r
            .post_raw("/v1/messages", message(stream).to_string().into_bytes())
            .await;
        assert_eq!(response.status(), 200);
        seen.push(id_of(&response));
        if stream {
            assert!(sse_text(response).await.contains("message_stop"));
        } else {
            let body: Value = response.json().await.unwrap();
            assert_eq!(body["type"], "message");
        }
    }

    // 400, in either dialect; the error bodies keep the APIs' own shapes.
    let response = r.post_chat(&json!({"model": "claude-sonnet-4-5"})).await;
    assert_eq!(response.status(), 400);
    seen.push(id_of(&response));
    let (_, _, raw) = openai_error(response).await;
    assert_eq!(
        raw["error"].as_object().unwrap().len(),
        4,
        "nothing added to OpenAI's error: {raw}"
    );
    let response = r
        .post_raw("/v1/messages", br#"{"model": "m"}"#.to_vec())
        .await;
    assert_eq!(response.status(), 400);
    seen.push(id_of(&response));
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body,
        json!({"type": "error", "error": {"type": "invalid_request_error",
               "message": body["error"]["message"]}}),
        "nothing added to Anthropic's error"
    );

    // 401 (wrong key), 404 (unknown route), 405.
    let (response, id) = send(
        http.post(r.url("/v1/chat/completions"))
            .bearer_auth("kgw_wrong")
            .json(&chat(false)),
    )
    .await;
    assert_eq!(response.status(), 401);
    seen.push(id);
    let (response, id) = send(http.get(r.url("/v1/nowhere")).bearer_auth(&key)).await;
    assert_eq!(response.status(), 404);
    seen.push(id);
    let (response, id) = send(http.get(r.url("/nowhere"))).await;
    assert_eq!(response.status(), 404);
    seen.push(id);
    let (response, id) = send(http.get(r.url("/v1/chat/completions")).bearer_auth(&key)).await;
    assert_eq!(response.status(), 405);
    seen.push(id);

    // The guard's refusals: a body that is not JSON (415), a foreign host name (421), a
    // foreign origin on /admin (403).
    let (response, id) = send(
        http.post(r.url("/v1/chat/completions"))
            .bearer_auth(&key)
            .header("content-type", "text/plain")
            .body("hi"),
    )
    .await;
    assert_eq!(response.status(), 415);
    seen.push(id);
    let (response, id) = send(
        http.get(r.url("/health"))
            .header("host", "rebind.evil.example"),
    )
    .await;
    assert_eq!(response.status(), 421);
    seen.push(id);
    let (response, id) = send(
        http.get(r.url("/admin/status"))
            .bearer_auth(&key)
            .header("origin", "https://evil.example"),
    )
    .await;
    assert_eq!(response.status(), 403);
    seen.push(id);

    // Health, models, the UI.
    for path in ["/health", "/v1/models", "/ui/", "/"] {
        let (response, id) = send(http.get(r.url(path)).bearer_auth(&key)).await;
        assert_eq!(response.status(), 200, "{path}");
        seen.push(id);
    }

    for id in &seen {
        assert_generated(id);
    }
    let unique: HashSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len(), "all different: {seen:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sane_client_id_is_echoed_and_any_other_replaced() {
    let r = start(&[]).await;
    let http = reqwest::Client::new();
    let key = r.key.clone();
    for sane in [
        "a",
        "0f8fad5b-d9cb-469f-a165-70867728950e",
        "trace:01.span_2",
        &"x".repeat(128),
    ] {
        let (response, id) = send(
            http.post(r.url("/v1/chat/completions"))
                .bearer_auth(&key)
                .header(HEADER, sane)
                .json(&chat(false)),
        )
        .await;
        assert_eq!(response.status(), 200);
        assert_eq!(id, sane);
    }
    // Echoed on an error and on a stream too.
    let (response, id) = send(
        http.post(r.url("/v1/messages"))
            .bearer_auth("kgw_wrong")
            .header(HEADER, "client-401")
            .json(&message(false)),
    )
    .await;
    assert_eq!(
        (response.status().as_u16(), id.as_str()),
        (401, "client-401")
    );
    let (response, id) = send(
        http.post(r.url("/v1/messages"))
            .bearer_auth(&key)
            .header(HEADER, "client-stream")
            .json(&message(true)),
    )
    .await;
    assert_eq!(
        (response.status().as_u16(), id.as_str()),
        (200, "client-stream")
    );
    sse_text(response).await;

    for insane in [
        "x".repeat(129),
        "has space".to_owned(),
        "semi;colon".to_owned(),
        "slash/es".to_owned(),
        "<script>".to_owned(),
    ] {
        let (response, id) = send(
            http.get(r.url("/v1/models"))
                .bearer_auth(&key)
                .header(HEADER, &insane),
        )
        .await;
        assert_eq!(response.status(), 200);
        assert_ne!(id, insane);
        assert_generated(&id);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_requests_get_a_hundred_ids() {
    let r = start(&[]).await;
    let http = reqwest::Client::new();
    let mut ids = HashSet::new();
    for _ in 0..100 {
        let (response, id) = send(http.get(r.url("/health"))).await;
        assert_eq!(response.status(), 200);
        assert_generated(&id);
        ids.insert(id);
    }
    assert_eq!(ids.len(), 100);
}

/// `/admin/logs` until `done` says the snapshot has what the test waits for.
async fn admin_logs(r: &Running, done: impl Fn(&Value) -> bool) -> Value {
    let mut body = Value::Null;
    for _ in 0..100 {
        body = reqwest::Client::new()
            .get(r.url("/admin/logs"))
            .bearer_auth(&r.key)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if done(&body) {
            return body;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the admin logs never had it: {body}");
}

fn rows_with<'a>(list: &'a Value, id: &str) -> Vec<&'a Value> {
    list.as_array()
        .unwrap()
        .iter()
        .filter(|r| r["request_id"] == id)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_request_row_and_log_lines_carry_the_same_id() {
    let r = start(&[]).await;
    let http = reqwest::Client::new();
    let key = r.key.clone();

    let (response, streamed) = send(
        http.post(r.url("/v1/chat/completions"))
            .bearer_auth(&key)
            .json(&chat(true)),
    )
    .await;
    sse_text(response).await;
    let (response, failed) = send(
        http.post(r.url("/v1/messages"))
            .bearer_auth(&key)
            .header(HEADER, "client-chosen-id")
            .json(&json!({"model": "no-such-model", "max_tokens": 5,
                          "messages": [{"role": "user", "content": "x"}]})),
    )
    .await;
    assert_eq!(response.status(), 404);
    assert_eq!(failed, "client-chosen-id");
    let (response, unauthorized) =
        send(http.get(r.url("/v1/models")).bearer_auth("kgw_wrong")).await;
    assert_eq!(response.status(), 401);

    let logs = admin_logs(&r, |b| {
        [&streamed, &failed, &unauthorized]
            .iter()
            .all(|id| !rows_with(&b["requests"], id).is_empty())
    })
    .await;

    let row = rows_with(&logs["requests"], &streamed)[0];
    assert_eq!(
        (
            row["route"].as_str(),
            row["status"].as_u64(),
            row["stream"].as_bool()
        ),
        (Some("/v1/chat/completions"), Some(200), Some(true)),
        "{row}"
    );
    let row = rows_with(&logs["requests"], "client-chosen-id")[0];
    assert_eq!(
        (row["route"].as_str(), row["status"].as_u64()),
        (Some("/v1/messages"), Some(404)),
        "{row}"
    );
    let row = rows_with(&logs["requests"], &unauthorized)[0];
    assert_eq!(row["status"], 401, "{row}");

    // The `request` line each handler logs when it is done, with the id as its own field;
    // for the stream it is logged while the body is sent.
    for id in [&streamed, &failed] {
        let lines = rows_with(&logs["logs"], id);
        assert!(
            lines
                .iter()
                .any(|l| l["message"].as_str().unwrap().starts_with("request ")),
            "{id}: {lines:?}"
        );
    }
    // Lines of no request have no id.
    let listening = logs["logs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["message"].as_str().unwrap().contains("listening on"))
        .expect("the start-up line");
    assert_eq!(listening["request_id"], Value::Null);
}
