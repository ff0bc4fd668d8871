//! The intermediate turn list: client messages converted one by one ([`from_message`]),
//! then same-role neighbours merged ([`merge_neighbours`]) and the sequence made to start
//! and end with a user turn ([`fix_sequence`]). The last turn becomes `currentMessage`.

use serde_json::{Map, Value};

use super::super::conversation::{Message, Part, Role};
use super::ids::sanitize_tool_use_id;
use super::{images, thinking, PreflightError, PreflightRule};

#[derive(Debug, Clone, PartialEq)]
pub struct ToolUse {
    /// Sanitised id (docs/kiro-protocol.md#tool-use-ids).
    pub id: String,
    /// The client's tool name (shortened only when rendering).
    pub name: String,
    /// Always a JSON object.
    pub input: Value,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ToolResult {
    /// Sanitised id (docs/kiro-protocol.md#tool-use-ids).
    pub tool_use_id: String,
    pub text: String,
    pub is_error: bool,
    /// Rendered ImageBlocks of the result; [`super::result_images::place`] moves them to
    /// the message's `images` (Kiro drops images inside `toolResults`).
    pub images: Vec<Value>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Turn {
    pub role: Role,
    /// May be empty here; rendered as `" "` (docs/kiro-protocol.md#empty-content).
    pub text: String,
    /// Rendered Kiro ImageBlocks (user turns only).
    pub images: Vec<Value>,
    /// Assistant turns only.
    pub tool_uses: Vec<ToolUse>,
    /// User turns only.
    pub tool_results: Vec<ToolResult>,
    /// Assistant turns of native-reasoning models: the last signed reasoning of the turn,
    /// replayed as `reasoningContent`.
    pub reasoning: Option<Replay>,
}

/// Reasoning Kiro gave an earlier assistant turn, sent back as it came.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Replay {
    /// `reasoningText`: the text and its signature.
    Signed { text: String, signature: String },
    /// `redactedContent`: encrypted reasoning (GPT's).
    Redacted(String),
}

/// What happens to reasoning from earlier assistant turns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReasoningHistory {
    /// Dropped (thinking off on a model without native reasoning).
    Drop,
    /// Re-encoded as `<thinking>` text before the turn's text (tag emulation).
    Tags,
    /// Replayed as signed `reasoningContent`; unsigned reasoning is dropped.
    Native,
}

impl Turn {
    pub fn placeholder(role: Role) -> Turn {
        Turn {
            role,
            text: String::new(),
            images: Vec::new(),
            tool_uses: Vec::new(),
            tool_results: Vec::new(),
            reasoning: None,
        }
    }
}

/// Append `extra` to `text`, separated by `sep` when both are non-empty.
pub fn push_text(text: &mut String, extra: &str, sep: &str) {
    if extra.is_empty() {
        return;
    }
    if !text.is_empty() {
        text.push_str(sep);
    }
    text.push_str(extra);
}

/// Text form of a tool call that cannot stay structured (ZJ's format).
pub fn tool_use_as_text(name: &str, id: &str, input: &Value) -> String {
    format!("[Tool: {name} ({id})]\n{input}")
}

/// Text form of a tool result that cannot stay structured (ZJ's format).
pub fn tool_result_as_text(id: &str, content: &str) -> String {
    format!("[Tool Result ({id})]\n{content}")
}

/// Tool-call arguments as a JSON object: objects as is, `null`/blank → `{}`, a string
/// holding a JSON object → that object, anything else → `{"input": <value>}`.
pub fn input_object(input: &Value) -> Value {
    match input {
        Value::Object(_) => input.clone(),
        Value::Null => Value::Object(Map::new()),
        Value::String(s) if s.trim().is_empty() => Value::Object(Map::new()),
        Value::String(s) => match serde_json::from_str::<Value>(s) {
            Ok(v @ Value::Object(_)) => v,
            _ => wrap(input),
        },
        _ => wrap(input),
    }
}

fn wrap(v: &Value) -> Value {
    let mut m = Map::new();
    m.insert("input".into(), v.clone());
    Value::Object(m)
}

/// Convert one client message. `image_count` counts images across the request.
///
/// * user: text, images, tool results (their images move to the message); a stray
///   `ToolUse` becomes text; `Thinking` is ignored.
/// * assistant: text, tool uses; earlier-turn `Thinking` is re-encoded as
///   `<thinking>…</thinking>\n\n` before the text when `thinking_on`, else dropped; a stray
///   `ToolResult` becomes text; images are dropped (Kiro's assistant message has none).
pub fn from_message(
    message: &Message,
    index: usize,
    history: ReasoningHistory,
    image_count: &mut usize,
) -> Result<Turn, PreflightError> {
    let mut turn = Turn::placeholder(message.role);
    let mut reasoning = String::new();
    let is_user = message.role == Role::User;
    let mut add_image = |turn: &mut Turn, image| -> Result<(), PreflightError> {
        let block = images::render_image(image, index)?;
        *image_count += 1;
        if *image_count > images::MAX_IMAGES {
            return Err(images::too_many(index));
        }
        turn.images.push(block);
        Ok(())
    };
    for part in &message.parts {
        match part {
            Part::Text(t) => push_text(&mut turn.text, t, "\n"),
            Part::Image(image) if is_user => add_image(&mut turn, image)?,
            Part::Image(_) => {}
            Part::ToolUse { id, name, input } => {
                if name.trim().is_empty() {
                    return Err(PreflightError {
                        rule: PreflightRule::ToolName,
                        message_index: Some(index),
                        detail: "a tool call has an empty tool name".into(),
                    });
                }
                let id = sanitize_tool_use_id(id);
                let input = input_object(input);
                if is_user {
                    push_text(&mut turn.text, &tool_use_as_text(name, &id, &input), "\n");
                } else {
                    turn.tool_uses.push(ToolUse {
                        id,
                        name: name.clone(),
                        input,
                    });
                }
            }
            Part::ToolResult {
                tool_use_id,
                content,
                images: result_images,
                is_error,
            } => {
                let id = sanitize_tool_use_id(tool_use_id);
                if is_user {
                    let mut result = ToolResult {
                        tool_use_id: id,
                        text: content.clone(),
                        is_error: *is_error,
                        images: Vec::new(),
                    };
                    for image in result_images {
                        add_image(&mut turn, image)?;
                        result.images.extend(turn.images.pop());
                    }
                    turn.tool_results.push(result);
                } else {
                    push_text(&mut turn.text, &tool_result_as_text(&id, content), "\n");
                }
            }
            Part::Thinking { text, .. } if history == ReasoningHistory::Tags && !is_user => {
                push_text(&mut reasoning, text, "\n")
            }
            Part::Thinking {
                text,
                signature: Some(signature),
            } if history == ReasoningHistory::Native && !is_user && !signature.is_empty() => {
                // One reasoning slot per Kiro message: the last signed block wins.
                turn.reasoning = Some(Replay::Signed {
                    text: text.clone(),
                    signature: signature.clone(),
                });
            }
            Part::RedactedThinking { data }
                if history == ReasoningHistory::Native && !is_user && !data.is_empty() =>
            {
                turn.reasoning = Some(Replay::Redacted(data.clone()));
            }
            Part::Thinking { .. } | Part::RedactedThinking { .. } => {}
        }
    }
    if !reasoning.trim().is_empty() {
        turn.text = thinking::encode_reasoning(&reasoning, &turn.text);
    }
    Ok(turn)
}

/// Every tool call and tool result becomes text (used when the request declares no tools,
/// docs/kiro-protocol.md#tools / JW `strip_all_tool_content`).
pub fn downgrade_tool_traffic(turns: &mut [Turn]) {
    for turn in turns {
        for u in std::mem::take(&mut turn.tool_uses) {
            push_text(
                &mut turn.text,
                &tool_use_as_text(&u.name, &u.id, &u.input),
                "\n",
            );
        }
        for r in std::mem::take(&mut turn.tool_results) {
            push_text(
                &mut turn.text,
                &tool_result_as_text(&r.tool_use_id, &r.text),
                "\n",
            );
            turn.images.extend(r.images);
        }
    }
}

/// Merge adjacent same-role turns: texts joined with `\n`, images / tool uses / tool
/// results concatenated (docs/kiro-protocol.md#message-sequence, JW).
pub fn merge_neighbours(turns: Vec<Turn>) -> Vec<Turn> {
    let mut out: Vec<Turn> = Vec::with_capacity(turns.len());
    for turn in turns {
        match out.last_mut() {
            Some(prev) if prev.role == turn.role => {
                push_text(&mut prev.text, &turn.text, "\n");
                prev.images.extend(turn.images);
                prev.tool_uses.extend(turn.tool_uses);
                prev.tool_results.extend(turn.tool_results);
                if turn.reasoning.is_some() {
                    prev.reasoning = turn.reasoning;
                }
            }
            _ => out.push(turn),
        }
    }
    out
}

/// On an alternating list: make it start with a user turn (placeholder before a leading
/// assistant) and end with a user turn. A trailing assistant "prefill" stays in history
/// (JW's choice) and a `" "` user turn becomes the current message.
pub fn fix_sequence(turns: &mut Vec<Turn>) {
    if turns.first().is_none_or(|t| t.role == Role::Assistant) {
        turns.insert(0, Turn::placeholder(Role::User));
    }
    if turns.last().is_some_and(|t| t.role == Role::Assistant) {
        turns.push(Turn::placeholder(Role::User));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn text_turn(role: Role, text: &str) -> Turn {
        Turn {
            text: text.into(),
            ..Turn::placeholder(role)
        }
    }

    #[test]
    fn input_object_cases() {
        assert_eq!(input_object(&json!({"a": 1})), json!({"a": 1}));
        assert_eq!(input_object(&Value::Null), json!({}));
        assert_eq!(input_object(&json!("")), json!({}));
        assert_eq!(input_object(&json!("{\"a\":1}")), json!({"a": 1}));
        assert_eq!(input_object(&json!("[1]")), json!({"input": "[1]"}));
        assert_eq!(input_object(&json!(3)), json!({"input": 3}));
    }

    #[test]
    fn merge_joins_texts_and_concatenates_blocks() {
        let mut a = text_turn(Role::User, "one");
        a.tool_results.push(ToolResult {
            tool_use_id: "x".into(),
            text: "r".into(),
            is_error: false,
            images: vec![],
        });
        let b = text_turn(Role::User, "two");
        let c = text_turn(Role::User, "");
        let d = text_turn(Role::Assistant, "hi");
        let merged = merge_neighbours(vec![a, b, c, d]);
        assert_eq!(merged.len(), 2);
        assert_eq!(merged[0].text, "one\ntwo");
        assert_eq!(merged[0].tool_results.len(), 1);
        assert_eq!(merged[1].text, "hi");
    }

    #[test]
    fn sequence_gets_user_ends() {
        let mut t = vec![text_turn(Role::Assistant, "prefill")];
        fix_sequence(&mut t);
        let roles: Vec<Role> = t.iter().map(|t| t.role).collect();
        assert_eq!(roles, [Role::User, Role::Assistant, Role::User]);
        assert!(t[0].text.is_empty() && t[2].text.is_empty());
        let mut t = vec![text_turn(Role::User, "q")];
        fix_sequence(&mut t);
        assert_eq!(t.len(), 1);
    }

    #[test]
    fn stray_parts_become_text_and_thinking_is_reencoded() {
        let m = Message {
            role: Role::Assistant,
            parts: vec![
                Part::Thinking {
                    text: "hmm".into(),
                    signature: None,
                },
                Part::Text("answer".into()),
                Part::ToolResult {
                    tool_use_id: "t 1".into(),
                    content: "r".into(),
                    images: vec![],
                    is_error: false,
                },
            ],
        };
        let mut n = 0;
        let t = from_message(&m, 0, ReasoningHistory::Tags, &mut n).unwrap();
        assert_eq!(
            t.text,
            "<thinking>hmm</thinking>\n\nanswer\n[Tool Result (t1)]\nr"
        );
        let t = from_message(&m, 0, ReasoningHistory::Drop, &mut n).unwrap();
        assert_eq!(t.text, "answer\n[Tool Result (t1)]\nr");
    }

    #[test]
    fn native_history_replays_the_last_signed_or_encrypted_reasoning_only() {
        let signed = |text: &str, sig: Option<&str>| Part::Thinking {
            text: text.into(),
            signature: sig.map(str::to_owned),
        };
        let m = Message {
            role: Role::Assistant,
            parts: vec![
                signed("first", Some("s1")),
                Part::RedactedThinking {
                    data: "ZW5j".into(),
                },
                signed("unsigned", None),
                Part::Text("answer".into()),
            ],
        };
        let t = from_message(&m, 1, ReasoningHistory::Native, &mut 0).unwrap();
        assert_eq!(
            t.reasoning,
            Some(Replay::Redacted("ZW5j".into())),
            "the last wins"
        );
        assert_eq!(t.text, "answer", "never stitched into the text");
        let t = from_message(&m, 1, ReasoningHistory::Tags, &mut 0).unwrap();
        assert_eq!(t.reasoning, None, "no replay without native reasoning");
        assert!(
            !t.text.contains("ZW5j"),
            "encrypted reasoning is never text"
        );
        let body = super::super::body::assistant_message(&Turn {
            reasoning: Some(Replay::Redacted("ZW5j".into())),
            ..Turn::placeholder(Role::Assistant)
        });
        assert_eq!(
            body["assistantResponseMessage"]["reasoningContent"],
            serde_json::json!({"redactedContent": "ZW5j"})
        );
    }

    #[test]
    fn empty_tool_name_is_refused() {
        let m = Message {
            role: Role::Assistant,
            parts: vec![Part::ToolUse {
                id: "a".into(),
                name: " ".into(),
                input: json!({}),
            }],
        };
        let e = from_message(&m, 4, ReasoningHistory::Drop, &mut 0).unwrap_err();
        assert_eq!((e.rule.as_str(), e.message_index), ("tool_name", Some(4)));
    }
}
