//! The upstream drift detector end to end: the fake sends an event type nobody documented, a
//! field the gateway does not know in a known event, an unknown error reason and exception,
//! and lists a model the gateway has no table entry for. Each is counted, logged once, kept
//! with a sample that has the payload's shape but not its text, shown on `/health` (with the
//! key), on `/admin/drift` and written to `drift.json` beside the debug dumps. The answer
//! itself is unharmed.

use crate::anthropic_common;

use anthropic_common::*;
use kiro_gateway_tests::fake::{ModelInfo, Script, Step};
use serde_json::{json, Value};

async fn health(gw: &Gw, with_key: bool) -> Value {
    let mut request = reqwest::Client::new().get(format!("{}/health", gw.base));
    if with_key {
        request = request.bearer_auth(KEY);
    }
    request.send().await.unwrap().json().await.unwrap()
}

fn finding<'a>(drift: &'a Value, kind: &str, name: &str) -> Option<&'a Value> {
    drift["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["kind"] == kind && f["name"] == name)
}

fn surprising_answer() -> Script {
    Script::new()
        .text("Hello")
        .step(Step::Event {
            event_type: "sparkleEvent".into(),
            payload: r#"{"glitter":"the user's private plans for Tuesday","level":3}"#.into(),
        })
        .step(Step::Event {
            event_type: "assistantResponseEvent".into(),
            payload: r#"{"content":" there","mood":"cheerful today"}"#.into(),
        })
        .trailers()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_kiro_sends_unannounced_is_counted_sampled_and_shown() {
    let dir = tempfile::tempdir().unwrap();
    let dump_dir = dir.path().to_path_buf();
    let gw = start_with(move |config| config.debug_dump_dir = Some(dump_dir)).await;
    gw.fake.update(|c| {
        c.catalog
            .push(ModelInfo::new("zephyr-9", "Zephyr 9", 128_000, 8_192, 1.0))
    });

    for _ in 0..2 {
        gw.fake.push_script(surprising_answer());
        let (status, message) = gw
            .message_json(&json!({
                "model": MODEL, "max_tokens": 64,
                "messages": [{"role": "user", "content": "hi"}],
            }))
            .await;
        assert_eq!(status, 200, "{message}");
        assert_eq!(message["content"][0]["text"], "Hello there", "{message}");
    }
    gw.fake.push_script(Script::http_error(
        400,
        r#"{"__type":"com.amazon.kiro.runtimeservice#QuantumException","message":"Improperly formed request.","reason":"BRAND_NEW_REASON"}"#,
    ));
    let (status, _) = gw
        .message_json(&json!({
            "model": MODEL, "max_tokens": 64,
            "messages": [{"role": "user", "content": "again"}],
        }))
        .await;
    assert_eq!(status, 400);

    let shown = health(&gw, true).await;
    let drift = &shown["drift"];
    let event = finding(drift, "event_type", "sparkleEvent").expect("unknown event type");
    assert_eq!(event["count"], 2);
    let field = finding(drift, "event_field", "mood").expect("unknown field");
    assert_eq!(field["context"], "assistantResponseEvent");
    assert_eq!(field["count"], 2);
    assert_eq!(
        finding(drift, "error_reason", "BRAND_NEW_REASON").unwrap()["count"],
        1
    );
    assert_eq!(
        finding(drift, "error_type", "QuantumException").unwrap()["count"],
        1
    );
    assert!(
        finding(drift, "catalog_model", "zephyr-9").is_some(),
        "{drift}"
    );
    // Known things are not drift.
    assert!(finding(drift, "event_type", "assistantResponseEvent").is_none());
    assert!(finding(drift, "catalog_model", "claude-sonnet-4.5").is_none());
    // Without the key, /health says nothing about it.
    assert_eq!(health(&gw, false).await, json!({"status": "ok"}));

    // The samples: the shape, no text.
    let report: Value = reqwest::Client::new()
        .get(format!("{}/admin/drift", gw.base))
        .bearer_auth(KEY)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let sample = finding(&report, "event_type", "sparkleEvent").unwrap()["sample"]
        .as_str()
        .unwrap()
        .to_owned();
    let chars = "the user's private plans for Tuesday".chars().count();
    assert_eq!(
        sample,
        format!(r#"{{"glitter":"<text, {chars} chars>","level":3}}"#)
    );
    let text = report["report"].as_str().unwrap();
    assert!(text.contains("unknown event type: sparkleEvent"), "{text}");
    assert!(
        !text.contains("private plans") && !text.contains("cheerful"),
        "{text}"
    );

    // And beside the debug dumps (dumps themselves are off).
    let saved = std::fs::read_to_string(dir.path().join("drift.json")).unwrap();
    assert!(
        saved.contains("sparkleEvent") && saved.contains("BRAND_NEW_REASON"),
        "{saved}"
    );
    assert!(!dir.path().join("requests").exists());

    // /admin/status carries the same summary for the UI.
    let status: Value = reqwest::Client::new()
        .get(format!("{}/admin/status", gw.base))
        .bearer_auth(KEY)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(status["drift"]["findings"], drift["findings"]);
}
