//! Cut-off recovery: after Kiro ends an answer without its completion trailer, the
//! conversation's next request tells the model (once), in all three APIs; with
//! `cut_off_recovery = false` nothing is added; a complete answer adds nothing.

use crate::anthropic_common;

use anthropic_common::*;
use kiro_gateway_tests::fake::Script;
use serde_json::{json, Value};

const NOTICE: &str = "[Gateway notice] Your previous answer was cut off";

/// Kiro starts writing and stops: no trailer.
fn cut() -> Script {
    Script::new().text("Here is the first part of the file")
}

/// A conversation of so many user turns, in one API's request shape.
type Turns = fn(&str, usize) -> Value;

fn last_current_text(gw: &Gw) -> String {
    let chat = gw.fake.last_chat().expect("a chat call");
    chat.current_user_message()
        .and_then(|m| m["content"].as_str())
        .unwrap_or_default()
        .to_owned()
}

fn chat_turns(opening: &str, turns: usize) -> Value {
    let mut messages = vec![json!({"role": "user", "content": opening})];
    for i in 1..turns {
        messages.push(json!({"role": "assistant", "content": format!("answer {i}")}));
        messages.push(json!({"role": "user", "content": format!("go on {i}")}));
    }
    json!({"model": MODEL, "messages": messages})
}

fn message_turns(opening: &str, turns: usize) -> Value {
    let mut body = chat_turns(opening, turns);
    body["max_tokens"] = json!(1024);
    body
}

fn response_turns(opening: &str, turns: usize) -> Value {
    let chat = chat_turns(opening, turns);
    json!({"model": MODEL, "input": chat["messages"]})
}

async fn send(gw: &Gw, path: &str, body: &Value) -> Value {
    let response = gw.post_anthropic(path, body).await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_next_request_after_a_cut_off_tells_the_model_once_in_every_api() {
    let gw = start().await;
    let routes: [(&str, Turns); 3] = [
        ("/v1/chat/completions", chat_turns),
        ("/v1/messages", message_turns),
        ("/v1/responses", response_turns),
    ];
    for (path, turns) in routes {
        let opening = format!("Write a very long file ({path})");
        gw.fake.push_script(cut());
        let first = send(&gw, path, &turns(&opening, 1)).await;
        let stopped = first["choices"][0]["finish_reason"]
            .as_str()
            .or(first["stop_reason"].as_str())
            .or(first["status"].as_str())
            .unwrap_or_default()
            .to_owned();
        assert!(
            ["length", "max_tokens", "incomplete"].contains(&stopped.as_str()),
            "{path}: the cut answer is reported as cut: {first}"
        );
        assert!(!last_current_text(&gw).contains(NOTICE));

        send(&gw, path, &turns(&opening, 2)).await;
        let told = last_current_text(&gw);
        assert!(told.contains(NOTICE), "{path}: {told}");
        assert!(
            told.contains("go on 1"),
            "the user's own text stays: {told}"
        );

        send(&gw, path, &turns(&opening, 3)).await;
        assert!(
            !last_current_text(&gw).contains(NOTICE),
            "{path}: told once"
        );

        // Another conversation is not told about this one's cut-off.
        gw.fake.push_script(cut());
        send(&gw, path, &turns(&format!("{opening}, again"), 1)).await;
        send(&gw, path, &turns(&format!("Something else ({path})"), 2)).await;
        assert!(!last_current_text(&gw).contains(NOTICE));
        // (drain the pending one so the routes do not interfere)
        send(&gw, path, &turns(&format!("{opening}, again"), 2)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_complete_answer_or_recovery_turned_off_adds_nothing() {
    let gw = start().await;
    send(
        &gw,
        "/v1/chat/completions",
        &chat_turns("A short question", 1),
    )
    .await;
    send(
        &gw,
        "/v1/chat/completions",
        &chat_turns("A short question", 2),
    )
    .await;
    assert!(!last_current_text(&gw).contains(NOTICE));

    let off = start_with(|config| config.cut_off_recovery = false).await;
    off.fake.push_script(cut());
    send(
        &off,
        "/v1/messages",
        &message_turns("Write a very long file", 1),
    )
    .await;
    send(
        &off,
        "/v1/messages",
        &message_turns("Write a very long file", 2),
    )
    .await;
    assert!(!last_current_text(&off).contains(NOTICE));
}
