//! Shared helpers of the Anthropic-dialect tests: an in-process gateway against the fake Kiro
//! (through [`Harness`]), the Anthropic SSE reader and event grammar, the three client routes.

#![allow(dead_code)]

use std::path::PathBuf;

use kiro_gateway::config::Config;
use kiro_gateway_tests::harness::Harness;
pub use kiro_gateway_tests::harness::{Running as Gw, KEY};
use kiro_gateway_tests::sse;
use serde_json::{json, Value};

pub const MODEL: &str = "claude-sonnet-4-5";

/// The fake upstream and an in-process gateway pointed at it (random port, key [`KEY`]).
pub async fn start() -> Gw {
    Harness::in_process().start().await
}

pub async fn start_with(adjust: impl FnOnce(&mut Config) + Send + 'static) -> Gw {
    Harness::in_process().config(adjust).start().await
}

/// A parsed SSE event.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub name: String,
    pub data: Value,
}

/// Every event of an Anthropic SSE body, in order, plus the raw text.
pub async fn read_sse(response: reqwest::Response) -> (Vec<Event>, String) {
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "text/event-stream",
        "SSE content type"
    );
    let text = sse::body_text(response).await;
    (parse_sse(&text), text)
}

pub fn parse_sse(text: &str) -> Vec<Event> {
    let mut events = Vec::new();
    for frame in sse::frames(text) {
        let [event, data] = frame.lines.as_slice() else {
            panic!("two lines per event: {frame:?}");
        };
        let name = event
            .strip_prefix("event: ")
            .unwrap_or_else(|| panic!("event line first: {frame:?}"))
            .to_owned();
        let data = data
            .strip_prefix("data: ")
            .unwrap_or_else(|| panic!("data line second: {frame:?}"));
        let data: Value = serde_json::from_str(data).expect("data is JSON");
        assert_eq!(data["type"], name.as_str(), "event name = data.type");
        events.push(Event { name, data });
    }
    events
}

/// Checks the Anthropic event grammar and rebuilds the message the way an SDK would.
pub fn assemble(events: &[Event]) -> Value {
    let events: Vec<&Event> = events.iter().filter(|e| e.name != "ping").collect();
    assert_eq!(events[0].name, "message_start");
    let mut message = events[0].data["message"].clone();
    let mut open: Option<usize> = None;
    let mut partial_json = String::new();
    let mut ended = false;
    for event in &events[1..] {
        assert!(!ended, "nothing after message_stop");
        let d = &event.data;
        match event.name.as_str() {
            "content_block_start" => {
                assert!(open.is_none(), "one block at a time");
                let index = d["index"].as_u64().unwrap() as usize;
                let content = message["content"].as_array_mut().unwrap();
                assert_eq!(index, content.len(), "indices in order");
                content.push(d["content_block"].clone());
                open = Some(index);
                partial_json.clear();
            }
            "content_block_delta" => {
                let index = d["index"].as_u64().unwrap() as usize;
                assert_eq!(Some(index), open, "delta for the open block");
                let block = &mut message["content"][index];
                let delta = &d["delta"];
                match delta["type"].as_str().unwrap() {
                    "text_delta" => {
                        assert_eq!(block["type"], "text");
                        let t = format!(
                            "{}{}",
                            block["text"].as_str().unwrap(),
                            delta["text"].as_str().unwrap()
                        );
                        block["text"] = t.into();
                    }
                    "thinking_delta" => {
                        assert_eq!(block["type"], "thinking");
                        let t = format!(
                            "{}{}",
                            block["thinking"].as_str().unwrap(),
                            delta["thinking"].as_str().unwrap()
                        );
                        block["thinking"] = t.into();
                    }
                    "signature_delta" => {
                        assert_eq!(block["type"], "thinking");
                        block["signature"] = delta["signature"].clone();
                    }
                    "input_json_delta" => {
                        assert_eq!(block["type"], "tool_use");
                        partial_json.push_str(delta["partial_json"].as_str().unwrap());
                    }
                    other => panic!("unknown delta {other}"),
                }
            }
            "content_block_stop" => {
                let index = d["index"].as_u64().unwrap() as usize;
                assert_eq!(Some(index), open);
                let block = &mut message["content"][index];
                if block["type"] == "tool_use" && !partial_json.is_empty() {
                    block["input"] = serde_json::from_str(&partial_json).expect("tool input JSON");
                }
                if block["type"] == "thinking" {
                    assert!(
                        !block["signature"].as_str().unwrap_or("").is_empty(),
                        "thinking blocks are signed"
                    );
                }
                open = None;
            }
            "message_delta" => {
                assert!(open.is_none(), "blocks closed before message_delta");
                message["stop_reason"] = d["delta"]["stop_reason"].clone();
                message["stop_sequence"] = d["delta"]["stop_sequence"].clone();
                for (k, v) in d["usage"].as_object().unwrap() {
                    message["usage"][k] = v.clone();
                }
            }
            "message_stop" => ended = true,
            "error" => panic!("unexpected error event: {d}"),
            other => panic!("unexpected event {other}"),
        }
    }
    assert!(ended, "stream ends with message_stop");
    message
}

pub fn fixture_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/claude_code")
        .join(name)
}

/// Asserts the Anthropic error envelope and returns `error.type`.
pub fn error_type(body: &Value) -> String {
    assert_eq!(body["type"], "error", "envelope: {body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "message: {body}"
    );
    body["error"]["type"]
        .as_str()
        .expect("error.type")
        .to_owned()
}

/// The three client routes and their dialects.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Route {
    Messages,
    ChatCompletions,
    Responses,
}

pub const ROUTES: [Route; 3] = [Route::Messages, Route::ChatCompletions, Route::Responses];

impl Route {
    /// The route's path and a one-turn request ("hi") to [`MODEL`] in its dialect.
    pub fn request(self, stream: bool) -> (&'static str, Value) {
        match self {
            Route::Messages => (
                "/v1/messages",
                json!({"model": MODEL, "max_tokens": 100, "stream": stream,
                       "messages": [{"role": "user", "content": "hi"}]}),
            ),
            Route::ChatCompletions => (
                "/v1/chat/completions",
                json!({"model": MODEL, "stream": stream,
                       "messages": [{"role": "user", "content": "hi"}]}),
            ),
            Route::Responses => (
                "/v1/responses",
                json!({"model": MODEL, "stream": stream, "input": "hi"}),
            ),
        }
    }

    /// That request to the gateway at `base`, with `key` sent the way the route's clients
    /// send it.
    pub fn post(self, base: &str, key: &str, stream: bool) -> reqwest::RequestBuilder {
        let (path, body) = self.request(stream);
        let request = reqwest::Client::new()
            .post(format!("{base}{path}"))
            .json(&body);
        match self {
            Route::Messages => request
                .header("x-api-key", key)
                .header("anthropic-version", "2023-06-01"),
            Route::ChatCompletions | Route::Responses => request.bearer_auth(key),
        }
    }
}
