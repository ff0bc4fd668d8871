//! IDE-identity sanitising end to end (docs/identity.md): scripted Kiro replies that contain
//! the Kiro IDE's self-introduction and IDE-only tool lists, streamed in awkward pieces and not
//! streamed, through all three dialects. Proves that the identity is rewritten as documented,
//! that code, inline code, a user's own tool named like an IDE tool and its arguments stay
//! byte-identical, that `identity_sanitising = false` is a byte-identical passthrough, and
//! prints a small measurement table over a corpus of replies.

use crate::anthropic_common;

use anthropic_common::{assemble, read_sse, start_with, Gw, KEY, MODEL};
use kiro_gateway::convert::kiro_request::identity::precedence_note;
use kiro_gateway_tests::fake::Script;
use kiro_gateway_tests::sse;
use serde_json::{json, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dialect {
    Chat,
    Messages,
    Responses,
}

const DIALECTS: [Dialect; 3] = [Dialect::Chat, Dialect::Messages, Dialect::Responses];

/// What the client got back: the answer text and the tool calls (name, arguments as JSON).
#[derive(Debug, Default, PartialEq)]
struct Answer {
    text: String,
    calls: Vec<(String, Value)>,
}

/// A Kiro reply: text events (as cut) and optionally one tool call with raw JSON arguments.
#[derive(Clone)]
struct Reply {
    chunks: Vec<String>,
    call: Option<(String, String)>,
}

impl Reply {
    fn text(chunks: &[&str]) -> Reply {
        Reply {
            chunks: chunks.iter().map(|c| c.to_string()).collect(),
            call: None,
        }
    }

    /// The whole text cut every `n` characters.
    fn every(text: &str, n: usize) -> Reply {
        let chars: Vec<char> = text.chars().collect();
        Reply {
            chunks: chars.chunks(n).map(|c| c.iter().collect()).collect(),
            call: None,
        }
    }

    fn script(&self) -> Script {
        let mut script = Script::new();
        for chunk in &self.chunks {
            script = script.text(chunk);
        }
        if let Some((name, args)) = &self.call {
            script = script.tool_call_random(name, "tooluse_identity1", args, 4, 7);
        }
        script.trailers()
    }

    fn whole(&self) -> String {
        self.chunks.concat()
    }
}

/// One request in `dialect` with an optional system prompt and tools; the reply is scripted.
async fn ask(
    gw: &Gw,
    dialect: Dialect,
    stream: bool,
    system: Option<&str>,
    tools: &[&str],
    reply: &Reply,
) -> Answer {
    gw.fake.push_script(reply.script());
    let schema = json!({"type": "object", "properties": {"path": {"type": "string"}}});
    let (path, body) = match dialect {
        Dialect::Chat => {
            let mut messages = Vec::new();
            if let Some(s) = system {
                messages.push(json!({"role": "system", "content": s}));
            }
            messages.push(json!({"role": "user", "content": "Who are you and what can you do?"}));
            let mut body = json!({"model": MODEL, "messages": messages, "stream": stream});
            if !tools.is_empty() {
                body["tools"] = tools
                    .iter()
                    .map(|t| json!({"type": "function", "function": {"name": t, "description": "user tool", "parameters": schema}}))
                    .collect();
            }
            ("/v1/chat/completions", body)
        }
        Dialect::Messages => {
            let mut body = json!({
                "model": MODEL, "max_tokens": 1000, "stream": stream,
                "messages": [{"role": "user", "content": "Who are you and what can you do?"}],
            });
            if let Some(s) = system {
                body["system"] = json!(s);
            }
            if !tools.is_empty() {
                body["tools"] = tools
                    .iter()
                    .map(|t| json!({"name": t, "description": "user tool", "input_schema": schema}))
                    .collect();
            }
            ("/v1/messages", body)
        }
        Dialect::Responses => {
            let mut body = json!({
                "model": MODEL, "stream": stream, "store": false,
                "input": "Who are you and what can you do?",
            });
            if let Some(s) = system {
                body["instructions"] = json!(s);
            }
            if !tools.is_empty() {
                body["tools"] = tools
                    .iter()
                    .map(|t| json!({"type": "function", "name": t, "description": "user tool", "parameters": schema}))
                    .collect();
            }
            ("/v1/responses", body)
        }
    };
    let response = reqwest::Client::new()
        .post(format!("{}{path}", gw.base))
        .header("x-api-key", KEY)
        .header("anthropic-version", "2023-06-01")
        .json(&body)
        .send()
        .await
        .expect("gateway answers");
    assert_eq!(response.status(), 200, "{dialect:?} stream={stream}");
    match (dialect, stream) {
        (Dialect::Messages, true) => {
            let (events, _) = read_sse(response).await;
            messages_answer(&assemble(&events))
        }
        (Dialect::Messages, false) => messages_answer(&response.json().await.unwrap()),
        (Dialect::Chat, false) => {
            let v: Value = response.json().await.unwrap();
            let message = &v["choices"][0]["message"];
            Answer {
                text: message["content"].as_str().unwrap_or_default().to_owned(),
                calls: message["tool_calls"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|c| call(&c["function"]["name"], &c["function"]["arguments"]))
                    .collect(),
            }
        }
        (Dialect::Chat, true) => {
            let mut answer = Answer::default();
            let mut args: Vec<(String, String)> = Vec::new();
            for data in sse_data(response).await {
                let delta = &data["choices"][0]["delta"];
                if let Some(t) = delta["content"].as_str() {
                    answer.text.push_str(t);
                }
                for c in delta["tool_calls"].as_array().into_iter().flatten() {
                    let i = c["index"].as_u64().unwrap() as usize;
                    if args.len() <= i {
                        args.resize(i + 1, Default::default());
                    }
                    if let Some(n) = c["function"]["name"].as_str() {
                        args[i].0.push_str(n);
                    }
                    if let Some(a) = c["function"]["arguments"].as_str() {
                        args[i].1.push_str(a);
                    }
                }
            }
            answer.calls = args
                .into_iter()
                .map(|(n, a)| (n, serde_json::from_str(&a).unwrap()))
                .collect();
            answer
        }
        (Dialect::Responses, false) => responses_answer(&response.json().await.unwrap()),
        (Dialect::Responses, true) => {
            let mut streamed = String::new();
            let mut completed = None;
            for data in sse_data(response).await {
                match data["type"].as_str() {
                    Some("response.output_text.delta") => {
                        streamed.push_str(data["delta"].as_str().unwrap())
                    }
                    Some("response.completed") => completed = Some(data["response"].clone()),
                    _ => {}
                }
            }
            let answer = responses_answer(&completed.expect("response.completed"));
            assert_eq!(answer.text, streamed, "deltas add up to the final text");
            answer
        }
    }
}

fn call(name: &Value, arguments: &Value) -> (String, Value) {
    (
        name.as_str().unwrap().to_owned(),
        serde_json::from_str(arguments.as_str().unwrap()).unwrap(),
    )
}

fn messages_answer(message: &Value) -> Answer {
    let mut answer = Answer::default();
    for block in message["content"].as_array().unwrap() {
        match block["type"].as_str() {
            Some("text") => answer.text.push_str(block["text"].as_str().unwrap()),
            Some("tool_use") => answer.calls.push((
                block["name"].as_str().unwrap().to_owned(),
                block["input"].clone(),
            )),
            _ => {}
        }
    }
    answer
}

fn responses_answer(response: &Value) -> Answer {
    let mut answer = Answer::default();
    for item in response["output"].as_array().unwrap() {
        match item["type"].as_str() {
            Some("message") => {
                for part in item["content"].as_array().unwrap() {
                    answer
                        .text
                        .push_str(part["text"].as_str().unwrap_or_default());
                }
            }
            Some("function_call") => answer.calls.push(call(&item["name"], &item["arguments"])),
            _ => {}
        }
    }
    answer
}

/// The JSON `data:` payloads of an SSE body (OpenAI and Responses shapes).
async fn sse_data(response: reqwest::Response) -> Vec<Value> {
    sse::json_data(&sse::body_text(response).await)
}

const IDE_REPLY: &str = "I'm Kiro, an AI assistant and IDE built to assist developers. I can help with:\n- fsWrite: create files\n- readFile: read files\n  with line ranges\n- **executeBash** \u{2013} run commands\n\nHere is code that mentions me:\n\n```js\nconst me = \"I'm Kiro, an AI assistant and IDE\";\n- fsWrite: not a list in code\n```\n\nInline: `I'm Kiro` and `fsWrite`. Caf\u{e9} \u{2713}";

const IDE_REPLY_SANITISED: &str = "I'm an AI assistant built to assist developers. I can help with:\n\nHere is code that mentions me:\n\n```js\nconst me = \"I'm Kiro, an AI assistant and IDE\";\n- fsWrite: not a list in code\n```\n\nInline: `I'm Kiro` and `fsWrite`. Caf\u{e9} \u{2713}";

/// IDE_REPLY cut at awkward places: inside "Kiro", inside the description, inside a tool
/// name, inside the bold markers, inside the fence and in the middle of "é".
fn awkward() -> Reply {
    let cuts = [
        "I'm Ki",
        "ro, an AI assis",
        "tant and IDE",
        " built to assist developers. I can help with:\n- fs",
        "Write: create files\n-",
        " readFile: read files\n ",
        " with line ranges\n- *",
        "*executeBash*",
        "* \u{2013} run commands\n\nHere is code that mentions me:\n\n``",
        "`js\nconst me = \"I'm Kiro, an AI assistant and IDE\";\n- fsWrite: not a list in code\n``",
        "`\n\nInline: `I'm Kiro` and `fsWrite`. Caf",
        "\u{e9} \u{2713}",
    ];
    let reply = Reply::text(&cuts);
    assert_eq!(reply.whole(), IDE_REPLY);
    reply
}

fn replies() -> Vec<Reply> {
    vec![
        awkward(),
        Reply::every(IDE_REPLY, 1),
        Reply::every(IDE_REPLY, 7),
        Reply::text(&[IDE_REPLY]),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn identity_is_rewritten_in_every_dialect_streamed_and_not() {
    let gw = start_with(|_| {}).await;
    for dialect in DIALECTS {
        for stream in [true, false] {
            for (i, reply) in replies().iter().enumerate() {
                let answer = ask(&gw, dialect, stream, None, &[], reply).await;
                assert_eq!(
                    answer.text, IDE_REPLY_SANITISED,
                    "{dialect:?} stream={stream} reply {i}"
                );
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn off_is_a_byte_identical_passthrough() {
    let gw = start_with(|config| config.identity_sanitising = false).await;
    for dialect in DIALECTS {
        for stream in [true, false] {
            for reply in [awkward(), Reply::every(IDE_REPLY, 1)] {
                let answer = ask(&gw, dialect, stream, Some("Be terse."), &[], &reply).await;
                assert_eq!(answer.text, IDE_REPLY, "{dialect:?} stream={stream}");
            }
            let sent = String::from_utf8_lossy(&gw.fake.last_chat().unwrap().body).to_string();
            assert!(!sent.contains("These instructions come from"), "{sent}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_tool_named_like_an_ide_tool_and_its_arguments_are_untouched() {
    let gw = start_with(|_| {}).await;
    let arguments = r#"{"path":"I'm Kiro, an AI assistant and IDE\n- fsWrite: x\n- readFile: y"}"#;
    let text = "I'm Kiro. Your tools:\n- readFile: yours\n- fsWrite: the IDE's\n";
    for dialect in DIALECTS {
        for stream in [true, false] {
            let reply = Reply {
                call: Some(("readFile".into(), arguments.into())),
                ..Reply::every(text, 3)
            };
            let answer = ask(&gw, dialect, stream, None, &["readFile"], &reply).await;
            assert_eq!(
                answer.text, "I'm an AI assistant. Your tools:\n- readFile: yours\n",
                "{dialect:?} stream={stream}"
            );
            assert_eq!(
                answer.calls,
                vec![(
                    "readFile".to_owned(),
                    serde_json::from_str::<Value>(arguments).unwrap()
                )],
                "{dialect:?} stream={stream}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_names_its_assistant_kiro_keeps_it() {
    let gw = start_with(|_| {}).await;
    let system = "You are Kiro, the support bot of Kiro Cafe.";
    for dialect in DIALECTS {
        for stream in [true, false] {
            let reply = Reply::every("I'm Kiro, your AI assistant. Coffee?", 2);
            let answer = ask(&gw, dialect, stream, Some(system), &[], &reply).await;
            assert_eq!(answer.text, reply.whole(), "{dialect:?} stream={stream}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_precedence_sentence_follows_a_client_system_prompt_only() {
    let gw = start_with(|_| {}).await;
    let reply = Reply::text(&["ok"]);
    for dialect in DIALECTS {
        ask(&gw, dialect, false, Some("Be terse."), &[], &reply).await;
        let sent = gw.fake.last_chat().unwrap();
        let body = serde_json::to_string(&sent.conversation_state().unwrap()).unwrap();
        let expected =
            serde_json::to_string(&format!("Be terse.\n\n{}", precedence_note(false))).unwrap();
        assert!(
            body.contains(expected.trim_matches('"')),
            "{dialect:?}: {body}"
        );

        ask(
            &gw,
            dialect,
            false,
            Some("Be terse."),
            &["get_weather"],
            &reply,
        )
        .await;
        let body = String::from_utf8_lossy(&gw.fake.last_chat().unwrap().body).to_string();
        assert!(body.contains(precedence_note(true)), "{dialect:?}");

        ask(&gw, dialect, false, None, &[], &reply).await;
        let body = String::from_utf8_lossy(&gw.fake.last_chat().unwrap().body).to_string();
        assert!(
            !body.contains("These instructions come from"),
            "{dialect:?}"
        );
    }
}

/// One corpus entry: a reply, what the client should see, and whether it is the IDE talking.
struct Case {
    name: &'static str,
    /// The reply is the IDE talking (else it is user content: not one byte may change).
    ide: bool,
    reply: &'static str,
    expected: &'static str,
    system: Option<&'static str>,
    tools: &'static [&'static str],
}

fn corpus() -> Vec<Case> {
    let same = |name, reply| Case {
        name,
        ide: false,
        reply,
        expected: reply,
        system: None,
        tools: &[],
    };
    vec![
        Case {
            name: "IDE prompt sentence",
            ide: true,
            reply: "I'm Kiro, an AI assistant and IDE built to assist developers.",
            expected: "I'm an AI assistant built to assist developers.",
            system: None,
            tools: &[],
        },
        Case {
            name: "greeting",
            ide: true,
            reply: "Hey! I'm Kiro, ready to help with your coding tasks. What are you working on?",
            expected: "Hey! I'm an AI assistant, ready to help with your coding tasks. What are you working on?",
            system: None,
            tools: &[],
        },
        Case {
            name: "refusal + identity",
            ide: true,
            reply: "I can't discuss that.\n\nI'm Kiro, an AI-powered development environment designed to help you write code.",
            expected: "I can't discuss that.\n\nI'm an AI assistant designed to help you write code.",
            system: None,
            tools: &[],
        },
        Case {
            name: "maker",
            ide: true,
            reply: "I am Kiro, an AI-powered development environment made by AWS.",
            expected: "I am an AI assistant.",
            system: None,
            tools: &[],
        },
        Case {
            name: "IDE tool list",
            ide: true,
            reply: "My tools:\n- fsWrite: create files\n- fsAppend: append\n- strReplace: edit\n- readFile: read\n- executeBash: run\n\nWhat next?",
            expected: "My tools:\n\nWhat next?",
            system: None,
            tools: &[],
        },
        Case {
            name: "IDE tools in backticks",
            ide: true,
            reply: "My tools:\n- `fsWrite`: create files\n- `executeBash`: run",
            expected: "My tools:\n- `fsWrite`: create files\n- `executeBash`: run",
            system: None,
            tools: &[],
        },
        same(
            "Node readFile prose",
            "Use fs.readFile or readFile from fs/promises:\n- readFile: async\n- readFileSync: sync\n",
        ),
        same(
            "code block with identity",
            "```python\nprint(\"I'm Kiro, an AI assistant and IDE\")\n- fsWrite: x\n```\n",
        ),
        same("third person", "Kiro is an AI IDE from AWS; I'm Claude, though."),
        same("lookalike", "I'm Kirov. - fsWriter: mine\n"),
        Case {
            name: "client names its bot Kiro",
            ide: false,
            reply: "I'm Kiro, your AI assistant.",
            expected: "I'm Kiro, your AI assistant.",
            system: Some("You are Kiro, a friendly bot."),
            tools: &[],
        },
        Case {
            name: "declared user tool fsWrite",
            ide: false,
            reply: "I'll use:\n- fsWrite: to save your file\n",
            expected: "I'll use:\n- fsWrite: to save your file\n",
            system: None,
            tools: &["fsWrite"],
        },
        same(
            "long ordinary answer",
            "Sure. I am happy to help. In Rust, `let x = 1;` binds x.\n\n1. Install\n2. Run `cargo build`\n\n    indented I'm Kiro code\n",
        ),
    ]
}

/// Bytes of `got` not in `expected`, compared position by position after the common prefix
/// and suffix (0 when equal).
fn changed_bytes(expected: &str, got: &str) -> usize {
    let (e, g) = (expected.as_bytes(), got.as_bytes());
    let prefix = e.iter().zip(g).take_while(|(a, b)| a == b).count();
    let suffix = e[prefix..]
        .iter()
        .rev()
        .zip(g[prefix..].iter().rev())
        .take_while(|(a, b)| a == b)
        .count();
    (e.len() - prefix - suffix).max(g.len() - prefix - suffix)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn measurement_over_a_corpus_of_replies() {
    let gw = start_with(|_| {}).await;
    println!("| reply | kind | streamed | bytes in | bytes out | changed | as documented |");
    println!("|---|---|---|---|---|---|---|");
    let (mut total, mut ide_total, mut ide_changed, mut ide_documented) = (0, 0, 0, 0);
    let (mut user_total, mut user_changed, mut user_bytes_changed) = (0, 0, 0);
    for case in corpus() {
        for dialect in DIALECTS {
            for stream in [true, false] {
                let reply = if stream {
                    Reply::every(case.reply, 3)
                } else {
                    Reply::text(&[case.reply])
                };
                let answer = ask(&gw, dialect, stream, case.system, case.tools, &reply).await;
                total += 1;
                let was_changed = answer.text != case.reply;
                if case.ide {
                    ide_total += 1;
                    ide_changed += usize::from(was_changed);
                    ide_documented += usize::from(answer.text == case.expected);
                } else {
                    user_total += 1;
                    user_changed += usize::from(was_changed);
                    user_bytes_changed += changed_bytes(case.reply, &answer.text);
                }
                if dialect == Dialect::Chat {
                    println!(
                        "| {} | {} | {stream} | {} | {} | {} | {} |",
                        case.name,
                        if case.ide { "IDE" } else { "user" },
                        case.reply.len(),
                        answer.text.len(),
                        if was_changed { "yes" } else { "no" },
                        if answer.text == case.expected {
                            "yes"
                        } else {
                            "NO"
                        },
                    );
                }
                assert_eq!(
                    answer.text, case.expected,
                    "{} {dialect:?} stream={stream}",
                    case.name
                );
            }
        }
    }
    println!(
        "\n{total} answers ({} replies x 3 dialects x streamed/not). IDE: {ide_total} answers, \
         {ide_changed} changed, {ide_documented} as documented. User content: {user_total} \
         answers, {user_changed} changed, {user_bytes_changed} bytes changed.",
        corpus().len()
    );
    assert_eq!(user_bytes_changed, 0);
    assert_eq!(user_changed, 0);
    assert_eq!(ide_documented, ide_total);
}
