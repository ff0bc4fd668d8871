//! `/v1/responses` end to end: the real `kiro-gateway` binary against the fake Kiro.
//! Every streaming test runs its events through [`validate_stream`]; every upstream request
//! must have passed the fake's validation (Kiro's rules).

use std::collections::HashMap;

use futures::StreamExt;
use kiro_gateway_tests::fake::{Endpoint, Script};
use kiro_gateway_tests::harness::{self, Harness};
use serde_json::{json, Value};

const MODEL: &str = "claude-sonnet-4-5";
const PNG_1PX: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";

/// The gateway process in front of the fake, plus the `/v1/responses` calls of these tests.
struct Running(harness::Running);

impl std::ops::Deref for Running {
    type Target = harness::Running;

    fn deref(&self) -> &harness::Running {
        &self.0
    }
}

async fn start() -> Running {
    Running(Harness::process().start().await)
}

impl Running {
    async fn post(&self, body: &Value) -> reqwest::Response {
        self.0.post("/v1/responses", body).await
    }

    async fn post_raw(&self, body: &str) -> reqwest::Response {
        self.0
            .post_raw("/v1/responses", body.as_bytes().to_vec())
            .await
    }

    async fn delete(&self, path: &str) -> reqwest::Response {
        reqwest::Client::new()
            .delete(self.url(path))
            .bearer_auth(&self.key)
            .send()
            .await
            .unwrap()
    }

    /// Every chat request the fake saw was accepted (status 200, no validation switch).
    fn assert_upstream_valid(&self) {
        for r in self.fake.requests_to(Endpoint::Chat) {
            assert!(
                r.status == 200 && r.rejected_by.is_none(),
                "the fake rejected an upstream request ({:?}, {}): {}",
                r.rejected_by,
                r.status,
                String::from_utf8_lossy(&r.body)
            );
        }
    }

    fn last_kiro(&self) -> Value {
        self.fake.last_chat().expect("a chat call").json.unwrap()
    }
}

/// The events of a Responses SSE body, in order. Checks the framing: each event is
/// `event: <type>\ndata: <json>\n\n`, and `<type>` equals the JSON's `type`.
async fn read_events(response: reqwest::Response) -> Vec<Value> {
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"].to_str().unwrap(),
        "text/event-stream"
    );
    let mut body = response.bytes_stream();
    let mut buffer: Vec<u8> = Vec::new();
    let mut events = Vec::new();
    while let Some(chunk) = body.next().await {
        buffer.extend_from_slice(&chunk.unwrap());
        while let Some(end) = buffer.windows(2).position(|w| w == b"\n\n") {
            let raw: Vec<u8> = buffer.drain(..end + 2).collect();
            let text = String::from_utf8(raw).expect("UTF-8 event");
            let mut lines = text.trim_end().lines();
            let kind = lines
                .next()
                .and_then(|l| l.strip_prefix("event: "))
                .unwrap_or_else(|| panic!("event line first: {text:?}"));
            let data = lines
                .next()
                .and_then(|l| l.strip_prefix("data: "))
                .unwrap_or_else(|| panic!("data line second: {text:?}"));
            assert!(lines.next().is_none(), "two lines per event: {text:?}");
            let event: Value = serde_json::from_str(data).unwrap();
            assert_eq!(event["type"], kind, "event name matches the type");
            events.push(event);
        }
    }
    assert!(buffer.is_empty(), "no trailing partial event");
    events
}

/// What [`validate_stream`] found.
#[derive(Debug, Default)]
struct Streamed {
    /// The terminal event's type.
    terminal: String,
    /// The terminal event's `response`.
    response: Value,
    /// Each output item as it was at `output_item.done`, by output index.
    items: Vec<Value>,
    /// Concatenated text deltas by output index.
    text: HashMap<usize, String>,
}

/// The Responses streaming contract (issue 6, point 6): `response.created` then
/// `response.in_progress` first; `sequence_number` strictly increasing; each item added
/// (at the next output index) before its deltas and done after them, one item at a time;
/// parts added before their deltas and done after them with consistent
/// `output_index`/`content_index`/`summary_index` and `item_id`; `.done` texts equal the
/// concatenated deltas; exactly one terminal event, last; the final `output` equals the
/// items as they were done.
fn validate_stream(events: &[Value]) -> Streamed {
    assert!(events.len() >= 3, "too few events: {events:#?}");
    assert_eq!(events[0]["type"], "response.created");
    assert_eq!(events[0]["response"]["status"], "in_progress");
    assert_eq!(events[1]["type"], "response.in_progress");
    let id = events[0]["response"]["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("resp_"), "{id}");

    #[derive(Default)]
    struct ItemState {
        id: String,
        kind: String,
        done: bool,
        part_open: bool,
        part_done: bool,
        text_done: bool,
        deltas: String,
    }
    let mut items: Vec<ItemState> = Vec::new();
    let mut out = Streamed::default();
    let mut last_seq: Option<u64> = None;
    let mut terminals = 0;
    for (n, e) in events.iter().enumerate() {
        let kind = e["type"].as_str().unwrap();
        let seq = e["sequence_number"]
            .as_u64()
            .unwrap_or_else(|| panic!("sequence_number on {e}"));
        if let Some(last) = last_seq {
            assert!(seq > last, "sequence_number increases: {last} then {seq}");
        }
        last_seq = Some(seq);
        assert_eq!(terminals, 0, "nothing after the terminal event: {e}");
        let open_item = |items: &mut Vec<ItemState>, e: &Value| -> usize {
            let index = e["output_index"].as_u64().expect("output_index") as usize;
            assert!(index < items.len(), "event for an item never added: {e}");
            let item = &items[index];
            assert!(!item.done, "event after the item was done: {e}");
            assert_eq!(e["item_id"], item.id.as_str(), "item_id matches: {e}");
            index
        };
        match kind {
            "response.created" | "response.in_progress" => assert!(n < 2, "{kind} only first"),
            "response.output_item.added" => {
                let index = e["output_index"].as_u64().unwrap() as usize;
                assert_eq!(index, items.len(), "next output index");
                assert!(
                    items.iter().all(|i| i.done),
                    "one item at a time: previous items are done"
                );
                let item = &e["item"];
                items.push(ItemState {
                    id: item["id"].as_str().expect("item id").to_owned(),
                    kind: item["type"].as_str().unwrap().to_owned(),
                    ..Default::default()
                });
            }
            "response.content_part.added" | "response.reasoning_summary_part.added" => {
                let i = open_item(&mut items, e);
                let expected = if kind.contains("reasoning") {
                    assert_eq!(e["summary_index"], 0);
                    "reasoning"
                } else {
                    assert_eq!(e["content_index"], 0);
                    "message"
                };
                assert_eq!(items[i].kind, expected);
                assert!(!items[i].part_open, "one part");
                items[i].part_open = true;
            }
            "response.output_text.delta" | "response.reasoning_summary_text.delta" => {
                let i = open_item(&mut items, e);
                assert!(
                    items[i].part_open && !items[i].text_done,
                    "delta inside a part"
                );
                if kind.contains("reasoning") {
                    assert_eq!(e["summary_index"], 0);
                } else {
                    assert_eq!(e["content_index"], 0);
                }
                items[i].deltas.push_str(e["delta"].as_str().unwrap());
            }
            "response.output_text.done" | "response.reasoning_summary_text.done" => {
                let i = open_item(&mut items, e);
                assert!(items[i].part_open && !items[i].text_done);
                assert_eq!(e["text"], items[i].deltas.as_str(), "done text = deltas");
                items[i].text_done = true;
            }
            "response.content_part.done" | "response.reasoning_summary_part.done" => {
                let i = open_item(&mut items, e);
                assert!(items[i].text_done, "text done before part done");
                assert_eq!(e["part"]["text"], items[i].deltas.as_str());
                items[i].part_done = true;
            }
            "response.function_call_arguments.delta" => {
                let i = open_item(&mut items, e);
                assert_eq!(items[i].kind, "function_call");
                assert!(!items[i].text_done);
                items[i].deltas.push_str(e["delta"].as_str().unwrap());
            }
            "response.function_call_arguments.done" => {
                let i = open_item(&mut items, e);
                assert_eq!(items[i].kind, "function_call");
                assert_eq!(e["arguments"], items[i].deltas.as_str());
                items[i].text_done = true;
            }
            "response.custom_tool_call_input.delta" => {
                let i = open_item(&mut items, e);
                assert_eq!(items[i].kind, "custom_tool_call");
                assert!(!items[i].text_done);
                items[i].deltas.push_str(e["delta"].as_str().unwrap());
            }
            "response.custom_tool_call_input.done" => {
                let i = open_item(&mut items, e);
                assert_eq!(items[i].kind, "custom_tool_call");
                assert_eq!(e["input"], items[i].deltas.as_str());
                items[i].text_done = true;
            }
            "response.output_item.done" => {
                let index = e["output_index"].as_u64().unwrap() as usize;
                assert!(index < items.len(), "done for an item never added");
                let item = &mut items[index];
                assert!(!item.done, "done once");
                assert_eq!(e["item"]["id"], item.id.as_str());
                match item.kind.as_str() {
                    "message" => {
                        assert!(item.part_done, "message part done first");
                        assert_eq!(e["item"]["content"][0]["text"], item.deltas.as_str());
                    }
                    "reasoning" => {
                        assert!(item.part_done, "summary part done first");
                        assert_eq!(e["item"]["summary"][0]["text"], item.deltas.as_str());
                    }
                    "function_call" => {
                        assert!(item.text_done, "arguments done first");
                        assert_eq!(e["item"]["arguments"], item.deltas.as_str());
                        assert!(e["item"]["call_id"].as_str().is_some());
                    }
                    "custom_tool_call" => {
                        assert!(item.text_done, "input done first");
                        assert_eq!(e["item"]["input"], item.deltas.as_str());
                        assert!(e["item"]["call_id"].as_str().is_some());
                    }
                    other => panic!("unexpected item type {other}"),
                }
                item.done = true;
                out.text.insert(index, item.deltas.clone());
                out.items.push(e["item"].clone());
            }
            "response.completed" | "response.incomplete" | "response.failed" => {
                terminals += 1;
                out.terminal = kind.to_owned();
                out.response = e["response"].clone();
                assert_eq!(out.response["id"], id.as_str(), "same response id");
                let status = &out.response["status"];
                match kind {
                    "response.completed" => assert_eq!(status, "completed"),
                    "response.incomplete" => {
                        assert_eq!(status, "incomplete");
                        assert!(out.response["incomplete_details"]["reason"].is_string());
                    }
                    _ => {
                        assert_eq!(status, "failed");
                        assert!(out.response["error"]["message"].is_string());
                    }
                }
                if kind != "response.failed" {
                    assert!(
                        items.iter().all(|i| i.done),
                        "all items done before the end"
                    );
                    assert_eq!(
                        out.response["output"].as_array().unwrap(),
                        &out.items,
                        "final output = the done items"
                    );
                    let usage = &out.response["usage"];
                    assert_eq!(
                        usage["total_tokens"].as_u64().unwrap(),
                        usage["input_tokens"].as_u64().unwrap()
                            + usage["output_tokens"].as_u64().unwrap()
                    );
                    assert!(usage["output_tokens_details"]["reasoning_tokens"].is_u64());
                }
            }
            "error" => {
                terminals += 1;
                out.terminal = kind.to_owned();
            }
            other => panic!("unexpected event type {other}: {e}"),
        }
        // async-openai's event types accept every event we send.
        serde_json::from_value::<async_openai::types::responses::ResponseEvent>(e.clone())
            .unwrap_or_else(|err| panic!("async-openai cannot read {e}: {err}"));
    }
    assert_eq!(terminals, 1, "exactly one terminal event");
    out
}

fn assert_openai_error(body: &Value, param: Option<&str>) {
    let error = &body["error"];
    assert!(
        error["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{body}"
    );
    assert!(error["type"].is_string(), "{body}");
    assert!(
        error.get("param").is_some() && error.get("code").is_some(),
        "{body}"
    );
    if let Some(param) = param {
        assert_eq!(error["param"], param, "{body}");
    }
}

fn codex_tools() -> Value {
    json!([{"type": "web_search", "external_web_access": false}, {
        "type": "function",
        "name": "shell",
        "description": "Runs a shell command and returns its output.",
        "strict": false,
        "parameters": {
            "type": "object",
            "properties": {
                "command": {"type": "array", "items": {"type": "string"}},
                "workdir": {"type": "string"}
            },
            "required": ["command"],
            "additionalProperties": false
        }
    }, {
        "type": "function",
        "name": "update_plan",
        "description": "Updates the task plan.",
        "strict": false,
        "parameters": {"type": "object", "properties": {"plan": {"type": "array", "items": {"type": "string"}}}}
    }])
}

/// A body shaped like Codex's (`wire_api = "responses"`).
fn codex_body(input: Value, previous: Option<&str>, store: bool) -> Value {
    let mut body = json!({
        "model": MODEL,
        "instructions": "You are Codex, a coding agent. Be concise.",
        "input": input,
        "tools": codex_tools(),
        "tool_choice": "auto",
        "parallel_tool_calls": false,
        "reasoning": {"effort": "medium", "summary": "auto"},
        "store": store,
        "stream": true,
        "include": ["reasoning.encrypted_content"],
        "prompt_cache_key": "6f1c1a52-2b1e-4a43-9a5e-2f0d0e6b9c11",
        "text": {"verbosity": "medium"},
        "some_future_field": {"ignored": true},
    });
    if let Some(id) = previous {
        body["previous_response_id"] = json!(id);
    }
    body
}

fn user_text(text: &str) -> Value {
    json!({"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn text_response_is_stored_retrievable_and_deletable() {
    let r = start().await;
    r.fake
        .push_script(Script::new().texts(&["Hello", ", ", "world"]).trailers());
    let response = r
        .post(&json!({
            "model": MODEL,
            "input": "hi",
            "instructions": "Be brief.",
            "metadata": {"ticket": "42"},
        }))
        .await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    let id = body["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("resp_"));
    assert_eq!(body["object"], "response");
    assert_eq!(body["status"], "completed");
    assert_eq!(body["model"], MODEL);
    assert!(body["created_at"].as_i64().unwrap() > 1_700_000_000);
    assert!(body["incomplete_details"].is_null());
    assert_eq!(body["metadata"]["ticket"], "42");
    assert_eq!(body["instructions"], "Be brief.");
    let output = body["output"].as_array().unwrap();
    assert_eq!(output.len(), 1, "{body}");
    assert_eq!(output[0]["type"], "message");
    assert_eq!(output[0]["role"], "assistant");
    assert_eq!(output[0]["status"], "completed");
    assert!(output[0]["id"].as_str().unwrap().starts_with("msg_"));
    assert_eq!(output[0]["content"][0]["type"], "output_text");
    assert_eq!(output[0]["content"][0]["text"], "Hello, world");
    let usage = &body["usage"];
    assert!(usage["input_tokens"].as_u64().unwrap() > 0);
    assert!(usage["output_tokens"].as_u64().unwrap() > 0);
    assert_eq!(
        usage["total_tokens"].as_u64().unwrap(),
        usage["input_tokens"].as_u64().unwrap() + usage["output_tokens"].as_u64().unwrap()
    );
    assert_eq!(usage["output_tokens_details"]["reasoning_tokens"], 0);
    serde_json::from_value::<async_openai::types::responses::Response>(body.clone())
        .expect("async-openai reads the response object");

    let kiro = r.last_kiro();
    let state = &kiro["conversationState"];
    let history = state["history"].to_string();
    let current = state["currentMessage"]["userInputMessage"]["content"]
        .as_str()
        .unwrap();
    assert!(
        history.contains("Be brief.") || current.contains("Be brief."),
        "instructions reach upstream as the system prompt: {kiro}"
    );
    assert!(current.contains("hi"));

    let fetched: Value = r
        .get(&format!("/v1/responses/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(fetched, body, "GET returns the stored response");
    let items: Value = r
        .get(&format!("/v1/responses/{id}/input_items"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(items["object"], "list");
    assert_eq!(items["data"][0]["content"][0]["text"], "hi");

    // A non-streaming follow-up continues the chain in the same Kiro conversation.
    let first_conversation = r.last_kiro()["conversationState"]["conversationId"].clone();
    let follow_up: Value = r
        .post(&json!({"model": MODEL, "input": "and then?", "previous_response_id": id}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(follow_up["status"], "completed", "{follow_up}");
    assert_eq!(follow_up["previous_response_id"], id.as_str());
    assert!(
        follow_up["instructions"].is_null(),
        "instructions are not carried over"
    );
    let kiro = r.last_kiro();
    assert_eq!(
        kiro["conversationState"]["conversationId"],
        first_conversation
    );
    let history = kiro["conversationState"]["history"].to_string();
    assert!(
        history.contains("Hello, world") && history.contains("hi"),
        "{history}"
    );

    let deleted = r.delete(&format!("/v1/responses/{id}")).await;
    assert_eq!(deleted.status(), 200);
    let deleted: Value = deleted.json().await.unwrap();
    assert_eq!(deleted["deleted"], true);
    assert_eq!(deleted["object"], "response.deleted");
    let gone = r.get(&format!("/v1/responses/{id}")).await;
    assert_eq!(gone.status(), 404);
    assert_openai_error(&gone.json().await.unwrap(), None);
    assert_eq!(r.delete(&format!("/v1/responses/{id}")).await.status(), 404);

    // store:false → not retrievable.
    let unstored: Value = r
        .post(&json!({"model": MODEL, "input": "again", "store": false}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(unstored["store"], false);
    let id = unstored["id"].as_str().unwrap();
    assert_eq!(r.get(&format!("/v1/responses/{id}")).await.status(), 404);
    r.assert_upstream_valid();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streaming_text_follows_the_documented_event_sequence() {
    let r = start().await;
    r.fake.push_script(Script::repeated_sixes());
    r.fake.push_script(Script::split_multibyte());
    let events = read_events(
        r.post(&json!({"model": MODEL, "input": "echo 6666", "stream": true}))
            .await,
    )
    .await;
    let streamed = validate_stream(&events);
    assert_eq!(streamed.terminal, "response.completed");
    let kinds: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        [
            "response.created",
            "response.in_progress",
            "response.output_item.added",
            "response.content_part.added",
            "response.output_text.delta",
            "response.output_text.delta",
            "response.output_text.delta",
            "response.output_text.delta",
            "response.output_text.done",
            "response.content_part.done",
            "response.output_item.done",
            "response.completed",
        ],
        "identical deltas are all kept"
    );
    assert_eq!(streamed.text[&0], "6666");
    let seqs: Vec<u64> = events
        .iter()
        .map(|e| e["sequence_number"].as_u64().unwrap())
        .collect();
    assert_eq!(seqs, (0..events.len() as u64).collect::<Vec<_>>());

    let events = read_events(
        r.post(&json!({"model": MODEL, "input": [user_text("unicode")], "stream": true}))
            .await,
    )
    .await;
    let streamed = validate_stream(&events);
    let text = &streamed.text[&0];
    assert!(text.contains('你') && text.contains('😀') && !text.contains('\u{FFFD}'));
    let id = streamed.response["id"].as_str().unwrap();
    let fetched: Value = r
        .get(&format!("/v1/responses/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(fetched["output"][0]["content"][0]["text"], text.as_str());
    r.assert_upstream_valid();
}

/// Codex's loop driven only by `previous_response_id` + `function_call_output`, streamed,
/// with instructions and tools on every turn.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn codex_tool_loop_via_previous_response_id() {
    let r = start().await;
    // Turn 1: the model runs `ls`.
    r.fake.push_script(
        Script::new()
            .text("Let me look.")
            .tool_call("shell", "tooluse_turn1ls", r#"{"command":["ls","-la"]}"#, 3)
            .trailers(),
    );
    let events = read_events(
        r.post(&codex_body(
            json!([user_text("List the files.")]),
            None,
            true,
        ))
        .await,
    )
    .await;
    let turn1 = validate_stream(&events);
    assert_eq!(turn1.terminal, "response.completed");
    assert_eq!(turn1.items.len(), 2, "{:#?}", turn1.items);
    assert_eq!(turn1.items[0]["type"], "message");
    let call = &turn1.items[1];
    assert_eq!(call["type"], "function_call");
    assert_eq!(call["name"], "shell");
    assert!(call["id"].as_str().unwrap().starts_with("fc_"));
    let args: Value = serde_json::from_str(call["arguments"].as_str().unwrap()).unwrap();
    assert_eq!(args, json!({"command": ["ls", "-la"]}));
    let call_id1 = call["call_id"].as_str().unwrap().to_owned();
    let resp1 = turn1.response["id"].as_str().unwrap().to_owned();

    // Turn 2: the tool output only; the model reads a file.
    r.fake.push_script(
        Script::new()
            .tool_call(
                "shell",
                "tooluse_turn2cat",
                r#"{"command":["cat","README.md"]}"#,
                2,
            )
            .tool_call(
                "update_plan",
                "tooluse_turn2plan",
                r#"{"plan":["read"]}"#,
                1,
            )
            .trailers(),
    );
    let output1 = json!([{"type": "function_call_output", "call_id": call_id1,
                          "output": "README.md\nsrc\n"}]);
    let events = read_events(r.post(&codex_body(output1, Some(&resp1), true)).await).await;
    let turn2 = validate_stream(&events);
    assert_eq!(turn2.items.len(), 2, "two calls in one turn");
    assert_eq!(turn2.response["previous_response_id"], resp1.as_str());
    let call_id2 = turn2.items[0]["call_id"].as_str().unwrap().to_owned();
    let call_id3 = turn2.items[1]["call_id"].as_str().unwrap().to_owned();
    assert_eq!(turn2.items[1]["name"], "update_plan");
    assert_ne!(call_id1, call_id2);

    let kiro = r.last_kiro();
    let state = &kiro["conversationState"];
    let history = state["history"].as_array().unwrap();
    let tool_uses: Vec<&Value> = history
        .iter()
        .filter_map(|m| m["assistantResponseMessage"]["toolUses"].as_array())
        .flatten()
        .collect();
    assert_eq!(tool_uses.len(), 1, "{state}");
    assert_eq!(tool_uses[0]["name"], "shell");
    assert_eq!(tool_uses[0]["input"], json!({"command": ["ls", "-la"]}));
    assert!(
        history.iter().any(|m| m["userInputMessage"]["content"]
            .as_str()
            .is_some_and(|c| c.contains("List the files."))),
        "the first user message is in the history: {state}"
    );
    let current = &state["currentMessage"]["userInputMessage"];
    let results = current["userInputMessageContext"]["toolResults"]
        .as_array()
        .unwrap();
    assert_eq!(results.len(), 1);
    assert_eq!(results[0]["toolUseId"], tool_uses[0]["toolUseId"]);
    assert!(results[0]["content"].to_string().contains("README.md"));
    assert_eq!(
        current["userInputMessageContext"]["tools"]
            .as_array()
            .unwrap()
            .len(),
        2,
        "the function tools are declared on the current message (web_search ignored)"
    );

    // Turn 3: the final answer.
    r.fake
        .push_script(Script::new().texts(&["Two ", "entries."]).trailers());
    let output2 = json!([{"type": "function_call_output", "call_id": call_id2, "output": "# Demo"},
                         {"type": "function_call_output", "call_id": call_id3, "output": "Plan updated"}]);
    let resp2 = turn2.response["id"].as_str().unwrap();
    let events = read_events(r.post(&codex_body(output2, Some(resp2), true)).await).await;
    let turn3 = validate_stream(&events);
    assert_eq!(turn3.text[&0], "Two entries.");

    let kiro = r.last_kiro();
    let state = &kiro["conversationState"];
    let history = state["history"].as_array().unwrap();
    let ids: Vec<&str> = history
        .iter()
        .filter_map(|m| m["assistantResponseMessage"]["toolUses"].as_array())
        .flatten()
        .map(|u| u["toolUseId"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 3, "every call in the history: {state}");
    let history_results: Vec<&Value> = history
        .iter()
        .filter_map(|m| m["userInputMessage"]["userInputMessageContext"]["toolResults"].as_array())
        .flatten()
        .collect();
    assert_eq!(history_results.len(), 1);
    assert_eq!(history_results[0]["toolUseId"], ids[0]);
    let current_results =
        &state["currentMessage"]["userInputMessage"]["userInputMessageContext"]["toolResults"];
    assert_eq!(current_results[0]["toolUseId"], ids[1]);
    assert_eq!(current_results[1]["toolUseId"], ids[2]);
    assert!(current_results[1]["content"]
        .to_string()
        .contains("Plan updated"));
    assert_eq!(r.fake.chat_calls(), 3);
    let conversation_ids: Vec<Value> = r
        .fake
        .requests_to(Endpoint::Chat)
        .iter()
        .map(|c| c.json.as_ref().unwrap()["conversationState"]["conversationId"].clone())
        .collect();
    assert!(
        conversation_ids.iter().all(|id| id == &conversation_ids[0]),
        "one Kiro conversation id for the chain: {conversation_ids:?}"
    );
    r.assert_upstream_valid();
}

/// Codex with `store: false` resends the whole history (reasoning items included) each turn.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn codex_store_false_full_history_works_and_is_not_stored() {
    let r = start().await;
    r.fake.push_script(Script::new().text("Done.").trailers());
    let input = json!([
        {"type": "message", "role": "developer", "content": [{"type": "input_text", "text": "Sandbox: read-only."}]},
        user_text("Run the tests."),
        {"type": "reasoning", "id": "rs_1", "summary": [{"type": "summary_text", "text": "I should run cargo test."}],
         "encrypted_content": null},
        {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "Running them."}]},
        {"type": "function_call", "id": "fc_1", "call_id": "call_abc", "name": "shell",
         "arguments": "{\"command\":[\"cargo\",\"test\"]}"},
        {"type": "function_call_output", "call_id": "call_abc", "output": "test result: ok"},
        user_text("Thanks, summarise."),
    ]);
    let events = read_events(r.post(&codex_body(input, None, false)).await).await;
    let streamed = validate_stream(&events);
    assert_eq!(streamed.terminal, "response.completed");
    assert_eq!(streamed.response["store"], false);
    let id = streamed.response["id"].as_str().unwrap();
    assert_eq!(r.get(&format!("/v1/responses/{id}")).await.status(), 404);

    let kiro = r.last_kiro();
    let state = &kiro["conversationState"];
    let text = state.to_string();
    assert!(text.contains("Sandbox: read-only."), "developer text kept");
    assert!(
        text.contains("I should run cargo test."),
        "reasoning replayed"
    );
    assert!(text.contains("test result: ok"));
    assert_eq!(
        state["conversationId"], "6f1c1a52-2b1e-4a43-9a5e-2f0d0e6b9c11",
        "prompt_cache_key is the Kiro conversation id"
    );
    r.assert_upstream_valid();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reasoning_is_reported_as_a_summary() {
    let r = start().await;
    r.fake
        .push_script(Script::thinking("First add two and two.", "It is 4."));
    r.fake
        .push_script(Script::thinking("Think about it carefully.", "Yes."));
    let body = json!({
        "model": MODEL, "input": "What is 2+2?",
        "reasoning": {"effort": "high", "summary": "auto"}, "max_output_tokens": 2000,
    });
    let response: Value = r.post(&body).await.json().await.unwrap();
    assert_eq!(response["status"], "completed", "{response}");
    let kiro = r.last_kiro().to_string();
    assert!(
        kiro.contains("<thinking_mode>"),
        "reasoning requested upstream"
    );
    assert!(
        kiro.contains("1600"),
        "high = 80 % of max_output_tokens: {kiro}"
    );
    let output = response["output"].as_array().unwrap();
    assert_eq!(output[0]["type"], "reasoning");
    assert!(output[0]["id"].as_str().unwrap().starts_with("rs_"));
    assert_eq!(output[0]["summary"][0]["type"], "summary_text");
    assert_eq!(output[0]["summary"][0]["text"], "First add two and two.");
    assert_eq!(output[1]["content"][0]["text"], "It is 4.");
    assert!(
        response["usage"]["output_tokens_details"]["reasoning_tokens"]
            .as_u64()
            .unwrap()
            > 0
    );
    assert_eq!(response["reasoning"]["effort"], "high");

    let mut streaming = body.clone();
    streaming["stream"] = json!(true);
    let events = read_events(r.post(&streaming).await).await;
    let streamed = validate_stream(&events);
    assert_eq!(streamed.items[0]["type"], "reasoning");
    assert_eq!(streamed.text[&0], "Think about it carefully.");
    assert_eq!(streamed.text[&1], "Yes.");
    let kinds: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    for k in [
        "response.reasoning_summary_part.added",
        "response.reasoning_summary_text.delta",
        "response.reasoning_summary_text.done",
        "response.reasoning_summary_part.done",
    ] {
        assert!(kinds.contains(&k), "{k} in {kinds:?}");
    }
    r.assert_upstream_valid();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn images_reach_upstream_as_images() {
    let r = start().await;
    r.fake
        .push_script(Script::new().text("A white pixel.").trailers());
    let body = json!({"model": MODEL, "input": [{
        "role": "user",
        "content": [
            {"type": "input_text", "text": "What is this?"},
            {"type": "input_image", "image_url": format!("data:image/jpeg;base64,{PNG_1PX}"), "detail": "auto"},
        ],
    }]});
    let response = r.post(&body).await;
    assert_eq!(response.status(), 200);
    let kiro = r.last_kiro();
    let images = kiro["conversationState"]["currentMessage"]["userInputMessage"]["images"]
        .as_array()
        .expect("images on the current message")
        .clone();
    assert_eq!(images.len(), 1);
    assert_eq!(images[0]["format"], "png", "type corrected from the bytes");
    assert_eq!(images[0]["source"]["bytes"], PNG_1PX);
    r.assert_upstream_valid();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn limits_and_upstream_errors_end_the_stream_properly() {
    let r = start().await;
    // max_output_tokens cuts the text: incomplete.
    r.fake.push_script(
        Script::new()
            .texts(&[
                "word ", "word ", "word ", "word ", "word ", "word ", "word ",
            ])
            .trailers(),
    );
    let events = read_events(
        r.post(&json!({"model": MODEL, "input": "talk", "stream": true, "max_output_tokens": 2}))
            .await,
    )
    .await;
    let streamed = validate_stream(&events);
    assert_eq!(streamed.terminal, "response.incomplete");
    assert_eq!(
        streamed.response["incomplete_details"]["reason"],
        "max_output_tokens"
    );

    // Non-streaming: the same, as a response object.
    r.fake.push_script(
        Script::new()
            .texts(&["word ", "word ", "word ", "word ", "word "])
            .trailers(),
    );
    let body: Value = r
        .post(&json!({"model": MODEL, "input": "talk", "max_output_tokens": 2}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(body["status"], "incomplete");
    assert_eq!(body["incomplete_details"]["reason"], "max_output_tokens");

    // An upstream exception after the stream began: response.failed, nothing after it.
    r.fake.push_script(
        Script::new()
            .text("partial")
            .exception("ThrottlingException", "slow down"),
    );
    let events = read_events(
        r.post(&json!({"model": MODEL, "input": "fail", "stream": true}))
            .await,
    )
    .await;
    let streamed = validate_stream(&events);
    assert_eq!(streamed.terminal, "response.failed");
    assert!(streamed.response["error"]["message"]
        .as_str()
        .unwrap()
        .contains("slow down"));
    let id = streamed.response["id"].as_str().unwrap();
    assert_eq!(
        r.get(&format!("/v1/responses/{id}")).await.status(),
        404,
        "failed responses are not stored"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_schema_text_format_reaches_upstream() {
    let r = start().await;
    r.fake
        .push_script(Script::new().text(r#"{"city":"Paris"}"#).trailers());
    let body = json!({
        "model": MODEL, "input": "Where?",
        "text": {"format": {"type": "json_schema", "name": "place", "strict": true,
                            "schema": {"type": "object", "properties": {"city": {"type": "string"}},
                                       "required": ["city"]}}},
    });
    let response: Value = r.post(&body).await.json().await.unwrap();
    assert_eq!(
        response["output"][0]["content"][0]["text"],
        r#"{"city":"Paris"}"#
    );
    assert_eq!(response["text"]["format"]["type"], "json_schema");
    let kiro = r.last_kiro().to_string();
    assert!(
        kiro.contains("place") && kiro.contains("required"),
        "{kiro}"
    );
    r.assert_upstream_valid();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_requests_are_4xx_in_openai_shape() {
    let r = start().await;
    let calls_before = r.fake.chat_calls();
    let cases: Vec<(&str, Value, Option<&str>)> = vec![
        ("missing model", json!({"input": "hi"}), Some("model")),
        (
            "model not a string",
            json!({"model": 5, "input": "hi"}),
            Some("model"),
        ),
        ("missing input", json!({"model": MODEL}), Some("input")),
        (
            "input a number",
            json!({"model": MODEL, "input": 3}),
            Some("input"),
        ),
        (
            "unknown item type",
            json!({"model": MODEL, "input": [{"type": "banana"}]}),
            Some("input[0].type"),
        ),
        (
            "bad role",
            json!({"model": MODEL, "input": [{"type": "message", "role": "robot", "content": "x"}]}),
            Some("input[0].role"),
        ),
        (
            "content a number",
            json!({"model": MODEL, "input": [{"role": "user", "content": 1}]}),
            Some("input[0].content"),
        ),
        (
            "unknown content part",
            json!({"model": MODEL, "input": [{"role": "user", "content": [{"type": "input_audio"}]}]}),
            Some("input[0].content[0].type"),
        ),
        (
            "remote image",
            json!({"model": MODEL, "input": [{"role": "user", "content": [
                {"type": "input_image", "image_url": "https://example.com/a.png"}]}]}),
            Some("input[0].content[0].image_url"),
        ),
        (
            "bad image type",
            json!({"model": MODEL, "input": [{"role": "user", "content": [
                {"type": "input_image", "image_url": "data:image/bmp;base64,Qk1hYmNk"}]}]}),
            Some("input[0].content[0].image_url"),
        ),
        (
            "function_call without call_id",
            json!({"model": MODEL, "input": [{"type": "function_call", "name": "f", "arguments": "{}"}]}),
            Some("input[0].call_id"),
        ),
        (
            "orphan function_call_output",
            json!({"model": MODEL, "input": [user_text("x"),
                {"type": "function_call_output", "call_id": "call_nope", "output": "1"}]}),
            Some("input[1].call_id"),
        ),
        (
            "output not a string",
            json!({"model": MODEL, "input": [
                {"type": "function_call", "call_id": "c1", "name": "f", "arguments": "{}"},
                {"type": "function_call_output", "call_id": "c1", "output": 7}]}),
            Some("input[1].output"),
        ),
        (
            "built-in file_search tool",
            json!({"model": MODEL, "input": "hi", "tools": [{"type": "file_search", "vector_store_ids": []}]}),
            Some("tools[0].type"),
        ),
        (
            "built-in local_shell tool",
            json!({"model": MODEL, "input": "hi", "tools": [{"type": "web_search"}, {"type": "local_shell"}]}),
            Some("tools[1].type"),
        ),
        (
            "tool_choice forcing a hosted tool",
            json!({"model": MODEL, "input": "hi", "tool_choice": {"type": "web_search_preview"}}),
            Some("tool_choice.type"),
        ),
        (
            "function tool without name",
            json!({"model": MODEL, "input": "hi", "tools": [{"type": "function", "parameters": {}}]}),
            Some("tools[0].name"),
        ),
        (
            "parameters not an object",
            json!({"model": MODEL, "input": "hi", "tools": [{"type": "function", "name": "f", "parameters": "x"}]}),
            Some("tools[0].parameters"),
        ),
        (
            "tool_choice names an unknown tool",
            json!({"model": MODEL, "input": "hi", "tools": codex_tools(),
                   "tool_choice": {"type": "function", "name": "nope"}}),
            Some("tool_choice.name"),
        ),
        (
            "tool_choice required without tools",
            json!({"model": MODEL, "input": "hi", "tool_choice": "required"}),
            Some("tool_choice"),
        ),
        (
            "bad reasoning effort",
            json!({"model": MODEL, "input": "hi", "reasoning": {"effort": "extreme"}}),
            Some("reasoning.effort"),
        ),
        (
            "max_output_tokens zero",
            json!({"model": MODEL, "input": "hi", "max_output_tokens": 0}),
            Some("max_output_tokens"),
        ),
        (
            "max_output_tokens a string",
            json!({"model": MODEL, "input": "hi", "max_output_tokens": "10"}),
            Some("max_output_tokens"),
        ),
        (
            "stream not a boolean",
            json!({"model": MODEL, "input": "hi", "stream": "yes"}),
            Some("stream"),
        ),
        (
            "json_schema without schema",
            json!({"model": MODEL, "input": "hi", "text": {"format": {"type": "json_schema", "name": "x"}}}),
            Some("text.format.schema"),
        ),
        (
            "unknown text format",
            json!({"model": MODEL, "input": "hi", "text": {"format": {"type": "yaml"}}}),
            Some("text.format.type"),
        ),
        (
            "metadata value not a string",
            json!({"model": MODEL, "input": "hi", "metadata": {"a": 1}}),
            Some("metadata.a"),
        ),
        (
            "background",
            json!({"model": MODEL, "input": "hi", "background": true}),
            Some("background"),
        ),
    ];
    assert!(cases.len() >= 15);
    for (name, body, param) in cases {
        let response = r.post(&body).await;
        assert_eq!(response.status(), 400, "{name}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(
            body["error"]["type"], "invalid_request_error",
            "{name}: {body}"
        );
        assert_openai_error(&body, param);
    }

    // Not JSON, and not an object.
    for raw in ["{not json", "[1,2]", ""] {
        let response = r.post_raw(raw).await;
        assert_eq!(response.status(), 400, "{raw:?}");
        assert_openai_error(&response.json().await.unwrap(), None);
    }

    // Unknown previous_response_id → 404.
    let response = r
        .post(&json!({"model": MODEL, "input": "hi", "previous_response_id": "resp_unknown"}))
        .await;
    assert_eq!(response.status(), 404);
    let body: Value = response.json().await.unwrap();
    assert_openai_error(&body, Some("previous_response_id"));
    assert_eq!(body["error"]["type"], "invalid_request_error");

    // Unknown model → 404 with close matches, before any upstream call.
    let response = r
        .post(&json!({"model": "claude-sonnet-9", "input": "hi"}))
        .await;
    assert_eq!(response.status(), 404);
    assert_openai_error(&response.json().await.unwrap(), Some("model"));

    // Unknown ids on GET/DELETE, and a missing key.
    assert_eq!(r.get("/v1/responses/resp_nope").await.status(), 404);
    assert_eq!(r.delete("/v1/responses/resp_nope").await.status(), 404);
    let unauthorized = reqwest::Client::new()
        .post(r.url("/v1/responses"))
        .json(&json!({"model": MODEL, "input": "hi"}))
        .send()
        .await
        .unwrap();
    assert_eq!(unauthorized.status(), 401);
    assert_openai_error(&unauthorized.json().await.unwrap(), None);

    assert_eq!(
        r.fake.chat_calls(),
        calls_before,
        "no malformed request reached upstream"
    );
}

/// The upstream lives inside the body stream: a client that goes away ends the stream at
/// once (the open-stream counter drops back to zero while the fake is still stalling).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_disconnect_drops_the_upstream_at_once() {
    let r = start().await;
    r.fake.push_script(Script::new().text("open").stall());
    let response = r
        .post(&json!({"model": MODEL, "input": "hold", "stream": true}))
        .await;
    assert_eq!(response.status(), 200);
    let mut body = response.bytes_stream();
    let mut seen = String::new();
    while !seen.contains("response.output_text.delta") {
        let chunk = body.next().await.expect("events before the stall").unwrap();
        seen.push_str(&String::from_utf8_lossy(&chunk));
    }
    let active = |h: Value| h["metrics"]["active_streams"].as_u64().unwrap();
    let health: Value = r.get("/health").await.json().await.unwrap();
    assert_eq!(active(health), 1);
    drop(body);
    let started = std::time::Instant::now();
    loop {
        let health: Value = r.get("/health").await.json().await.unwrap();
        if active(health) == 0 {
            break;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(3),
            "the stream is still open after the client left"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// Tools as Codex 0.171 declares them with its defaults and one MCP server (captured): a
/// `namespace` of sub-agent tools, a `namespace` per MCP server, hosted web search.
fn codex_namespaced_tools() -> Value {
    json!([
        {"type": "function", "name": "exec_command", "description": "Runs a command in a PTY.",
         "strict": false, "parameters": {"type": "object",
             "properties": {"cmd": {"type": "string"}}, "required": ["cmd"],
             "additionalProperties": false}},
        {"type": "namespace", "name": "multi_agent_v1",
         "description": "Tools for spawning and managing sub-agents.",
         "tools": [{"type": "function", "name": "close_agent", "description": "Close an agent.",
                    "strict": false, "parameters": {"type": "object",
                        "properties": {"target": {"type": "string"}}, "required": ["target"],
                        "additionalProperties": false}}]},
        {"type": "namespace", "name": "mcp__echo",
         "description": "Tools in the mcp__echo namespace.",
         "tools": [{"type": "function", "name": "echo", "description": "Echo text back.",
                    "strict": false, "parameters": {"type": "object",
                        "properties": {"text": {"type": "string"}}, "required": ["text"]}}]},
        {"type": "web_search", "external_web_access": false},
    ])
}

fn kiro_tool_names(kiro: &Value) -> Vec<String> {
    kiro_gateway_tests::tool_loop::declared_tools(kiro)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn namespace_tools_are_flat_for_kiro_and_namespaced_for_codex() {
    let r = start().await;
    for stream in [true, false] {
        r.fake.push_script(
            Script::new()
                .tool_call("mcp__echo__echo", "tooluse_ns1", r#"{"text":"hi"}"#, 3)
                .trailers(),
        );
        let mut body = codex_body(json!([user_text("Echo hi.")]), None, false);
        body["tools"] = codex_namespaced_tools();
        body["stream"] = json!(stream);
        let call = if stream {
            let streamed = validate_stream(&read_events(r.post(&body).await).await);
            assert_eq!(streamed.terminal, "response.completed");
            streamed.response["output"][0].clone()
        } else {
            let response = r.post(&body).await;
            assert_eq!(response.status(), 200);
            let json: Value = response.json().await.unwrap();
            json["output"][0].clone()
        };
        assert_eq!(call["type"], "function_call", "stream={stream}: {call}");
        assert_eq!(call["namespace"], "mcp__echo");
        assert_eq!(call["name"], "echo");
        assert_eq!(call["arguments"], r#"{"text":"hi"}"#);
        let names = kiro_tool_names(&r.last_kiro());
        assert_eq!(
            names,
            [
                "exec_command",
                "multi_agent_v1__close_agent",
                "mcp__echo__echo"
            ],
            "flat for Kiro, web search dropped"
        );

        // Codex replays the call with its namespace; Kiro sees the flat tool name.
        let call_id = call["call_id"].as_str().unwrap().to_owned();
        r.fake.push_script(Script::new().text("Echoed.").trailers());
        let mut next = codex_body(
            json!([
                user_text("Echo hi."),
                {"type": "function_call", "id": call["id"], "namespace": "mcp__echo",
                 "name": "echo", "arguments": "{\"text\":\"hi\"}", "call_id": call_id},
                {"type": "function_call_output", "call_id": call_id,
                 "output": [{"type": "input_text", "text": "echo: hi"}]},
            ]),
            None,
            false,
        );
        next["tools"] = codex_namespaced_tools();
        next["stream"] = json!(stream);
        let status = r.post(&next).await.status();
        assert_eq!(status, 200);
        let kiro = r.last_kiro();
        let history = kiro["conversationState"]["history"].to_string();
        assert!(
            history.contains(r#""name":"mcp__echo__echo""#),
            "replayed call uses the flat name: {history}"
        );
        assert!(kiro["conversationState"].to_string().contains("echo: hi"));
    }
    r.assert_upstream_valid();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn custom_tools_in_additional_tools_items_round_trip() {
    let r = start().await;
    let additional = json!({"type": "additional_tools", "role": "developer", "tools": [
        {"type": "namespace", "name": "functions", "description": "", "tools": [
            {"type": "custom", "name": "exec", "description": "Run JavaScript.",
             "format": {"type": "grammar", "syntax": "lark", "definition": "start: /.+/"}}]}]});
    for stream in [true, false] {
        r.fake.push_script(
            Script::new()
                .tool_call(
                    "functions__exec",
                    "tooluse_c1",
                    r#"{"input":"text(\"a\\nb\")"}"#,
                    4,
                )
                .trailers(),
        );
        let mut body = codex_body(json!([additional, user_text("Run it.")]), None, false);
        body["tools"] = json!([]);
        body["stream"] = json!(stream);
        let call = if stream {
            let streamed = validate_stream(&read_events(r.post(&body).await).await);
            streamed.response["output"][0].clone()
        } else {
            let response = r.post(&body).await;
            assert_eq!(response.status(), 200);
            response.json::<Value>().await.unwrap()["output"][0].clone()
        };
        assert_eq!(call["type"], "custom_tool_call", "stream={stream}: {call}");
        assert_eq!(call["namespace"], "functions");
        assert_eq!(call["name"], "exec");
        assert_eq!(
            call["input"], "text(\"a\\nb\")",
            "the raw input, unescaped once"
        );
        assert_eq!(kiro_tool_names(&r.last_kiro()), ["functions__exec"]);

        let call_id = call["call_id"].as_str().unwrap().to_owned();
        r.fake.push_script(Script::new().text("Ran.").trailers());
        let mut next = codex_body(
            json!([additional, user_text("Run it."),
                   {"type": "custom_tool_call", "namespace": "functions", "name": "exec",
                    "input": "text(\"a\\nb\")", "call_id": call_id},
                   {"type": "custom_tool_call_output", "call_id": call_id, "output": "a\nb"}]),
            None,
            false,
        );
        next["tools"] = json!([]);
        next["stream"] = json!(stream);
        assert_eq!(r.post(&next).await.status(), 200);
        let state = r.last_kiro()["conversationState"].to_string();
        assert!(state.contains(r#""name":"functions__exec""#), "{state}");
        assert!(state.contains("a\\nb"), "custom output replayed: {state}");
    }
    r.assert_upstream_valid();
}
