//! Debug dumps end to end: a failing request leaves its five files (and a successful one
//! none) with `DEBUG_MODE=errors`, both do with `all`; planted secrets are in no file and not
//! in the bundle; the folder keeps its count and byte bounds; a replay sends the same body
//! again under a new request id; the mode can be switched while running.

use crate::anthropic_common;

use std::io::Read;
use std::path::{Path, PathBuf};

use anthropic_common::*;
use kiro_gateway::debug_dump::DumpMode;
use kiro_gateway_tests::fake::{Endpoint, Script};
use serde_json::{json, Value};

const FILES: [&str; 5] = [
    "client-request.http",
    "client-response.http",
    "error.json",
    "kiro-request.http",
    "upstream-frames.jsonl",
];

async fn start_dumping(dir: &Path, mode: DumpMode, max_count: usize, max_bytes: u64) -> Gw {
    let dir = dir.to_path_buf();
    start_with(move |config| {
        config.debug_mode = mode;
        config.debug_dump_dir = Some(dir);
        config.debug_dump_max_count = max_count;
        config.debug_dump_max_bytes = max_bytes;
    })
    .await
}

/// `POST /v1/messages` with the key both ways a client may send it; the response's
/// `x-request-id` and the response.
async fn send(gw: &Gw, body: &Value) -> (String, reqwest::Response) {
    let response = reqwest::Client::new()
        .post(format!("{}/v1/messages", gw.base))
        .header("x-api-key", KEY)
        .header("authorization", format!("Bearer {KEY}"))
        .header("anthropic-version", "2023-06-01")
        .json(body)
        .send()
        .await
        .expect("gateway answers");
    let id = response.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    (id, response)
}

fn ask(text: &str) -> Value {
    json!({"model": MODEL, "max_tokens": 64, "messages": [{"role": "user", "content": text}]})
}

fn requests_dir(dir: &Path) -> PathBuf {
    dir.join("requests")
}

fn dump_folders(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(requests_dir(dir))
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| !n.starts_with('.'))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

fn files_of(dir: &Path, id: &str) -> Vec<(String, String)> {
    let mut files: Vec<(String, String)> = std::fs::read_dir(requests_dir(dir).join(id))
        .unwrap()
        .flatten()
        .map(|e| {
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read_to_string(e.path()).unwrap(),
            )
        })
        .collect();
    files.sort();
    files
}

async fn admin(gw: &Gw, method: reqwest::Method, path: &str) -> reqwest::Response {
    reqwest::Client::new()
        .request(method, format!("{}{path}", gw.base))
        .bearer_auth(KEY)
        .send()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_mode_dumps_failures_only_with_five_files_and_no_secret() {
    let dir = tempfile::tempdir().unwrap();
    let gw = start_dumping(dir.path(), DumpMode::Errors, 50, 100 << 20).await;

    // A successful request leaves nothing.
    gw.fake.push_script(Script::new().text("Fine.").trailers());
    let (_, ok) = send(&gw, &ask("hello")).await;
    assert_eq!(ok.status(), 200);
    ok.text().await.unwrap();
    assert!(dump_folders(dir.path()).is_empty());

    // The secrets the gateway knows, planted everywhere a dump looks.
    let access = gw.fake.last_chat().unwrap().bearer().unwrap().to_owned();
    let refresh = gw.fake.current_refresh_token("default");
    let secrets = [KEY.to_owned(), access.clone(), refresh.clone()];
    let planted = format!("my key {KEY}, token {access}, refresh {refresh}");
    gw.fake.push_script(Script::http_error(
        400,
        &json!({"message": format!("Improperly formed request. {planted}"), "reason": null})
            .to_string(),
    ));
    let (id, failed) = send(&gw, &ask(&planted)).await;
    assert_eq!(failed.status(), 400);
    let answer = failed.text().await.unwrap();
    assert!(answer.contains("Improperly formed request"), "{answer}");

    assert_eq!(dump_folders(dir.path()), std::slice::from_ref(&id));
    let files = files_of(dir.path(), &id);
    let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, FILES);
    for (name, text) in &files {
        for secret in &secrets {
            assert!(
                !text.contains(secret.as_str()),
                "{name} holds a secret:\n{text}"
            );
        }
    }
    let file = |name: &str| files.iter().find(|(n, _)| n == name).unwrap().1.clone();
    let summary: Value = serde_json::from_str(&file("error.json")).unwrap();
    assert_eq!(summary["request_id"], id.as_str());
    assert_eq!(summary["status"], 400);
    assert!(summary["error"]["message"]
        .as_str()
        .unwrap()
        .contains("Improperly formed request"));
    // What each file holds, with the secrets scrubbed.
    assert!(file("client-request.http").starts_with("POST /v1/messages HTTP/1.1\n"));
    assert!(file("client-request.http").contains("authorization: ***"));
    assert!(file("client-request.http").contains("my key ***, token ***, refresh ***"));
    let kiro = file("kiro-request.http");
    assert!(kiro.contains("/generateAssistantResponse"), "{kiro}");
    assert!(kiro.contains("authorization: ***"), "{kiro}");
    assert!(kiro.contains("conversationState"), "{kiro}");
    assert!(file("upstream-frames.jsonl").contains(r#""http_status":400"#));
    assert!(file("client-response.http").starts_with("HTTP/1.1 400"));

    // The bundle: the same files and the drift report, no secret either.
    let bundle = admin(
        &gw,
        reqwest::Method::GET,
        &format!("/admin/dumps/{id}/bundle"),
    )
    .await;
    assert_eq!(bundle.status(), 200);
    assert_eq!(bundle.headers()["content-type"], "application/zip");
    let bytes = bundle.bytes().await.unwrap();
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let mut entries = Vec::new();
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i).unwrap();
        let name = entry.name().unwrap().to_string();
        let mut text = String::new();
        entry.read_to_string(&mut text).unwrap();
        for secret in &secrets {
            assert!(!text.contains(secret.as_str()), "{name} holds a secret");
        }
        entries.push(name);
    }
    entries.sort();
    let mut expected: Vec<String> = FILES.iter().map(|f| format!("{id}/{f}")).collect();
    expected.push(format!("{id}/drift.json"));
    expected.sort();
    assert_eq!(entries, expected);

    // A stream that fails half-way is a failure too, and its frames are kept.
    gw.fake.push_script(
        Script::new()
            .text("Half an answer")
            .exception("InternalServerException", "boom"),
    );
    let mut body = ask("stream please");
    body["stream"] = json!(true);
    let (stream_id, streamed) = send(&gw, &body).await;
    assert_eq!(streamed.status(), 200);
    let sse = streamed.text().await.unwrap();
    assert!(sse.contains("Half an answer"), "{sse}");
    let files = files_of(dir.path(), &stream_id);
    let frames = &files
        .iter()
        .find(|(n, _)| n == "upstream-frames.jsonl")
        .unwrap()
        .1;
    assert!(frames.contains("assistantResponseEvent"), "{frames}");
    assert!(frames.contains("InternalServerException"), "{frames}");
    let response = &files
        .iter()
        .find(|(n, _)| n == "client-response.http")
        .unwrap()
        .1;
    assert!(response.contains("event: error"), "{response}");
    let summary: Value =
        serde_json::from_str(&files.iter().find(|(n, _)| n == "error.json").unwrap().1).unwrap();
    assert_eq!(summary["response_status"], 200);
    assert!(summary["error"]["message"].is_string(), "{summary}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn all_mode_dumps_successes_streamed_or_not() {
    let dir = tempfile::tempdir().unwrap();
    let gw = start_dumping(dir.path(), DumpMode::All, 50, 100 << 20).await;
    gw.fake
        .push_script(Script::new().text("Whole answer.").trailers());
    let (whole, response) = send(&gw, &ask("one")).await;
    assert_eq!(response.status(), 200);
    response.text().await.unwrap();
    gw.fake
        .push_script(Script::new().texts(&["Streamed ", "answer."]).trailers());
    let mut body = ask("two");
    body["stream"] = json!(true);
    let (streamed, response) = send(&gw, &body).await;
    response.text().await.unwrap();

    let mut expected = vec![whole.clone(), streamed.clone()];
    expected.sort();
    assert_eq!(dump_folders(dir.path()), expected);
    for id in [&whole, &streamed] {
        let files = files_of(dir.path(), id);
        assert_eq!(files.len(), 5);
        let summary: Value =
            serde_json::from_str(&files.iter().find(|(n, _)| n == "error.json").unwrap().1)
                .unwrap();
        assert_eq!(summary["status"], 200);
        assert_eq!(summary["error"], Value::Null);
    }
    let response = files_of(dir.path(), &streamed)
        .into_iter()
        .find(|(n, _)| n == "client-response.http")
        .unwrap()
        .1;
    assert!(
        response.contains("content-type: text/event-stream"),
        "{response}"
    );
    assert!(response.contains("message_stop"), "{response}");

    // The list the Logs view reads.
    let list: Value = admin(&gw, reqwest::Method::GET, "/admin/dumps")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["mode"], "all");
    assert_eq!(list["dumps"].as_array().unwrap().len(), 2);
    let shown: Value = admin(&gw, reqwest::Method::GET, &format!("/admin/dumps/{whole}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(shown["files"].as_array().unwrap().len(), 5);
    assert!(shown["files"][4]["text"]
        .as_str()
        .unwrap()
        .contains("Whole answer."));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_folder_never_grows_past_its_count_or_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let gw = start_dumping(dir.path(), DumpMode::All, 3, 64 * 1024).await;
    let mut ids = Vec::new();
    for i in 0..8 {
        gw.fake.push_script(Script::new().text("ok").trailers());
        let (id, response) = send(&gw, &ask(&format!("small {i}"))).await;
        response.text().await.unwrap();
        ids.push(id);
        assert!(dump_folders(dir.path()).len() <= 3);
    }
    let mut newest = ids[5..].to_vec();
    newest.sort();
    assert_eq!(dump_folders(dir.path()), newest, "the oldest went first");

    // Many dumps allowed, few bytes: big prompts (each dump holds about 17 KB, the parts
    // being cut at an eighth of the bound) make the byte bound delete the oldest.
    let dir = tempfile::tempdir().unwrap();
    let gw = start_dumping(dir.path(), DumpMode::All, 50, 64 * 1024).await;
    let filler = "x".repeat(9_000);
    let mut last = String::new();
    for i in 0..6 {
        gw.fake.push_script(Script::new().text("ok").trailers());
        let (id, response) = send(&gw, &ask(&format!("{filler} {i}"))).await;
        response.text().await.unwrap();
        let total: u64 = walk_bytes(&requests_dir(dir.path()));
        assert!(total <= 64 * 1024, "{total} bytes after request {i}");
        last = id;
    }
    let kept = dump_folders(dir.path());
    assert!(kept.len() < 6, "the byte bound deleted some: {kept:?}");
    assert!(kept.contains(&last), "the newest is kept");
    let summary: Value = serde_json::from_str(
        &std::fs::read_to_string(requests_dir(dir.path()).join(&last).join("error.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(summary["truncated"]["client_request"], true);
}

fn walk_bytes(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| {
            let meta = e.metadata().unwrap();
            if meta.is_dir() {
                walk_bytes(&e.path())
            } else {
                meta.len()
            }
        })
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replay_sends_the_same_body_again_under_a_new_id() {
    let dir = tempfile::tempdir().unwrap();
    let gw = start_dumping(dir.path(), DumpMode::All, 50, 100 << 20).await;
    gw.fake.push_script(Script::new().text("First.").trailers());
    let (id, response) = send(&gw, &ask("replay me")).await;
    response.text().await.unwrap();
    gw.fake
        .push_script(Script::new().text("Second.").trailers());
    let replay = admin(
        &gw,
        reqwest::Method::POST,
        &format!("/admin/dumps/{id}/replay"),
    )
    .await;
    assert_eq!(replay.status(), 200);
    let replay: Value = replay.json().await.unwrap();
    let new_id = replay["request_id"].as_str().unwrap();
    assert_ne!(new_id, id);
    assert_eq!(replay["replay_of"], id.as_str());
    assert_eq!(replay["status"], 200);
    assert_eq!(replay["dump"], true);

    let chats = gw.fake.requests_to(Endpoint::Chat);
    assert_eq!(chats.len(), 2);
    let state = |i: usize| chats[i].conversation_state().unwrap().clone();
    assert_eq!(state(0), state(1), "the same Kiro body reached the fake");
    assert_eq!(
        chats[1].current_user_message().unwrap()["content"],
        "replay me"
    );
    // The request rows show both ids.
    let rows = gw.state().logs.requests();
    let ids: Vec<_> = rows.iter().filter_map(|r| r.request_id.clone()).collect();
    assert!(
        ids.contains(&id) && ids.contains(&new_id.to_owned()),
        "{ids:?}"
    );

    let missing = admin(&gw, reqwest::Method::POST, "/admin/dumps/req_nope/replay").await;
    assert_eq!(missing.status(), 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn off_writes_nothing_and_the_mode_switches_while_running() {
    let dir = tempfile::tempdir().unwrap();
    let gw = start_dumping(dir.path(), DumpMode::Off, 50, 100 << 20).await;
    gw.fake.push_script(Script::http_error(
        400,
        r#"{"message":"Improperly formed request.","reason":null}"#,
    ));
    let (_, response) = send(&gw, &ask("nothing kept")).await;
    assert_eq!(response.status(), 400);
    response.text().await.unwrap();
    assert!(dump_folders(dir.path()).is_empty());

    let set = reqwest::Client::new()
        .put(format!("{}/admin/dumps/mode", gw.base))
        .bearer_auth(KEY)
        .json(&json!({"mode": "errors"}))
        .send()
        .await
        .unwrap();
    assert_eq!(set.status(), 200);
    let bad = reqwest::Client::new()
        .put(format!("{}/admin/dumps/mode", gw.base))
        .bearer_auth(KEY)
        .json(&json!({"mode": "loud"}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    let health: Value = reqwest::Client::new()
        .get(format!("{}/health", gw.base))
        .bearer_auth(KEY)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health["debug_dumps"], "errors");

    gw.fake.push_script(Script::http_error(
        400,
        r#"{"message":"Improperly formed request.","reason":null}"#,
    ));
    let (id, response) = send(&gw, &ask("now kept")).await;
    assert_eq!(response.status(), 400);
    response.text().await.unwrap();
    assert_eq!(dump_folders(dir.path()), [id]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_leaves_mid_stream_still_leaves_its_dump() {
    use futures::StreamExt;
    let dir = tempfile::tempdir().unwrap();
    let gw = start_dumping(dir.path(), DumpMode::Errors, 50, 100 << 20).await;
    gw.fake
        .push_script(Script::new().text("The start of a long answer").stall());
    let mut body = ask("a long one");
    body["stream"] = json!(true);
    let (id, response) = send(&gw, &body).await;
    assert_eq!(response.status(), 200);
    let mut stream = response.bytes_stream();
    let mut seen = String::new();
    while !seen.contains("The start of a long answer") {
        let chunk = stream.next().await.expect("a chunk").unwrap();
        seen.push_str(&String::from_utf8_lossy(&chunk));
    }
    drop(stream);

    // Written in the background once the gateway notices; wait for it.
    let summary_file = requests_dir(dir.path()).join(&id).join("error.json");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !summary_file.exists() {
        assert!(std::time::Instant::now() < deadline, "no dump for {id}");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let summary: Value =
        serde_json::from_str(&std::fs::read_to_string(&summary_file).unwrap()).unwrap();
    assert_eq!(summary["status"], 499, "{summary}");
    assert!(summary["error"]["message"]
        .as_str()
        .unwrap()
        .contains("client went away"));
    let response = std::fs::read_to_string(
        requests_dir(dir.path())
            .join(&id)
            .join("client-response.http"),
    )
    .unwrap();
    assert!(
        response.contains("The start of a long answer"),
        "{response}"
    );
}
