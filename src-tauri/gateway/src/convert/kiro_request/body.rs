//! Rendering the final turn list into the `generateAssistantResponse` JSON
//! (docs/kiro-protocol.md#request-body, #worked-example).

use serde_json::{json, Map, Value};

use super::turns::{Replay, ToolResult, Turn};
use super::KiroRequestOptions;

/// Placeholder for empty content: a single space, never readable text
/// (docs/kiro-protocol.md#empty-content).
pub const EMPTY_CONTENT: &str = " ";
/// Replacement for an empty tool result (JW).
pub const EMPTY_RESULT: &str = "(empty result)";

pub fn content(text: &str) -> &str {
    if text.is_empty() {
        EMPTY_CONTENT
    } else {
        text
    }
}

fn tool_result(r: &ToolResult) -> Value {
    let text = if r.text.trim().is_empty() {
        EMPTY_RESULT
    } else {
        r.text.as_str()
    };
    json!({
        "toolUseId": r.tool_use_id,
        "content": [{"text": text}],
        "status": if r.is_error { "error" } else { "success" },
    })
}

/// `{"userInputMessage": …}`; `tools` only for the current message.
pub fn user_message(turn: &Turn, model_id: &str, tools: &[Value]) -> Value {
    let mut msg = Map::new();
    msg.insert("content".into(), json!(content(&turn.text)));
    msg.insert("modelId".into(), json!(model_id));
    msg.insert("origin".into(), json!("AI_EDITOR"));
    if !turn.images.is_empty() {
        msg.insert("images".into(), Value::Array(turn.images.clone()));
    }
    let mut ctx = Map::new();
    if !turn.tool_results.is_empty() {
        let results = turn.tool_results.iter().map(tool_result).collect();
        ctx.insert("toolResults".into(), Value::Array(results));
    }
    if !tools.is_empty() {
        ctx.insert("tools".into(), Value::Array(tools.to_vec()));
    }
    if !ctx.is_empty() {
        msg.insert("userInputMessageContext".into(), Value::Object(ctx));
    }
    json!({"userInputMessage": msg})
}

/// `{"assistantResponseMessage": …}`; `toolUses` omitted when empty.
pub fn assistant_message(turn: &Turn) -> Value {
    let mut msg = Map::new();
    msg.insert("content".into(), json!(content(&turn.text)));
    if !turn.tool_uses.is_empty() {
        let uses = turn
            .tool_uses
            .iter()
            .map(|u| json!({"toolUseId": u.id, "name": u.name, "input": u.input}))
            .collect();
        msg.insert("toolUses".into(), Value::Array(uses));
    }
    match &turn.reasoning {
        Some(Replay::Signed { text, signature }) => {
            msg.insert(
                "reasoningContent".into(),
                json!({"reasoningText": {"text": text, "signature": signature}}),
            );
        }
        Some(Replay::Redacted(data)) => {
            msg.insert("reasoningContent".into(), json!({"redactedContent": data}));
        }
        None => {}
    }
    json!({"assistantResponseMessage": msg})
}

/// The whole body. `history` alternates user/assistant; `current` is a user turn.
pub fn render(
    history: &[Turn],
    current: &Turn,
    tools: &[Value],
    options: &KiroRequestOptions,
) -> Value {
    let model = options.model_id.as_str();
    let history: Vec<Value> = history
        .iter()
        .map(|t| match t.role {
            super::super::conversation::Role::User => user_message(t, model, &[]),
            super::super::conversation::Role::Assistant => assistant_message(t),
        })
        .collect();
    let mut state = Map::new();
    state.insert("conversationId".into(), json!(options.conversation_id));
    state.insert("chatTriggerType".into(), json!("MANUAL"));
    state.insert("agentTaskType".into(), json!("vibe"));
    if !history.is_empty() {
        state.insert("history".into(), Value::Array(history));
    }
    state.insert("currentMessage".into(), user_message(current, model, tools));
    let mut body = Map::new();
    if let Some(arn) = &options.profile_arn {
        body.insert("profileArn".into(), json!(arn));
    }
    body.insert("conversationState".into(), Value::Object(state));
    if let Some(fields) = &options.reasoning_fields {
        body.insert("additionalModelRequestFields".into(), fields.clone());
    }
    Value::Object(body)
}

#[cfg(test)]
mod tests {
    use super::super::super::conversation::Role;
    use super::*;

    #[test]
    fn empty_content_and_results_get_placeholders() {
        let mut t = Turn::placeholder(Role::User);
        t.tool_results.push(ToolResult {
            tool_use_id: "a".into(),
            text: "".into(),
            is_error: true,
            images: vec![],
        });
        let v = user_message(&t, "m", &[]);
        assert_eq!(v["userInputMessage"]["content"], " ");
        let r = &v["userInputMessage"]["userInputMessageContext"]["toolResults"][0];
        assert_eq!(r["content"], json!([{"text": "(empty result)"}]));
        assert_eq!(r["status"], "error");
        let a = assistant_message(&Turn::placeholder(Role::Assistant));
        assert_eq!(a, json!({"assistantResponseMessage": {"content": " "}}));
    }
}
