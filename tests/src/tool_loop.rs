//! A scripted "model" for real client programs: given each Kiro request the fake receives,
//! it answers the way a model running a fixed tool loop would — call tool 1, then (once its
//! result came back) tool 2, …, then a final text. Requests that do not declare the loop's
//! first tool (a client's side requests: titles, summaries, quota probes) get a short text.
//!
//! The step is chosen from the request itself (the number of tool results in its history),
//! so it does not matter in which order a client sends its requests.

use serde_json::{json, Value};

use crate::fake::chat::tool_result_text;
use crate::fake::Script;

/// One tool call of the loop: the Kiro tool name and its arguments.
#[derive(Debug, Clone)]
pub struct Call {
    pub tool: String,
    pub arguments: Value,
}

impl Call {
    pub fn new(tool: &str, arguments: Value) -> Call {
        Call {
            tool: tool.to_owned(),
            arguments,
        }
    }
}

/// See the module documentation.
#[derive(Debug, Clone)]
pub struct ToolLoop {
    pub calls: Vec<Call>,
    pub final_text: String,
    /// Reply to requests that are not part of the loop.
    pub side_text: String,
}

impl ToolLoop {
    pub fn new(calls: Vec<Call>, final_text: &str) -> ToolLoop {
        ToolLoop {
            calls,
            final_text: final_text.to_owned(),
            side_text: "ok".to_owned(),
        }
    }

    /// The reply to one Kiro request body.
    pub fn reply(&self, body: &Value) -> Script {
        let declared = declared_tools(body);
        let in_loop = self
            .calls
            .first()
            .is_some_and(|c| declared.iter().any(|d| d == &c.tool));
        if !in_loop {
            return Script::new().text(&self.side_text).trailers();
        }
        let done = tool_results(body).len();
        match self.calls.get(done) {
            Some(call) => Script::new()
                .text("Running the tool.")
                .tool_call(
                    &call.tool,
                    &format!("tooluse_loop_{done}"),
                    &call.arguments.to_string(),
                    3,
                )
                .trailers(),
            None => Script::new().text(&self.final_text).trailers(),
        }
    }
}

/// The tool names declared on the request's current message.
pub fn declared_tools(body: &Value) -> Vec<String> {
    body.pointer("/conversationState/currentMessage/userInputMessage/userInputMessageContext/tools")
        .and_then(Value::as_array)
        .map(|tools| {
            tools
                .iter()
                .filter_map(|t| t.pointer("/toolSpecification/name").and_then(Value::as_str))
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// Every tool result in the request (history, then the current message), as
/// `{toolUseId, text}` with the result's text parts joined.
pub fn tool_results(body: &Value) -> Vec<Value> {
    let mut contexts: Vec<&Value> = body
        .pointer("/conversationState/history")
        .and_then(Value::as_array)
        .map(|h| {
            h.iter()
                .filter_map(|m| m.pointer("/userInputMessage/userInputMessageContext"))
                .collect()
        })
        .unwrap_or_default();
    if let Some(current) =
        body.pointer("/conversationState/currentMessage/userInputMessage/userInputMessageContext")
    {
        contexts.push(current);
    }
    contexts
        .into_iter()
        .filter_map(|c| c.get("toolResults").and_then(Value::as_array))
        .flatten()
        .map(|r| json!({"toolUseId": r.get("toolUseId"), "text": tool_result_text(r)}))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(tools: &[&str], history_results: usize, current_results: usize) -> Value {
        let result = |i: usize| {
            json!({"toolUseId": format!("t{i}"), "status": "success",
                                       "content": [{"text": format!("out {i}")}]})
        };
        let history: Vec<Value> = (0..history_results)
            .flat_map(|i| {
                [
                    json!({"userInputMessage": {"content": "x", "userInputMessageContext":
                        {"toolResults": [result(i)]}}}),
                    json!({"assistantResponseMessage": {"content": "y"}}),
                ]
            })
            .collect();
        let specs: Vec<Value> = tools
            .iter()
            .map(|t| json!({"toolSpecification": {"name": t}}))
            .collect();
        let current: Vec<Value> = (0..current_results)
            .map(|i| result(history_results + i))
            .collect();
        json!({"conversationState": {"history": history, "currentMessage": {"userInputMessage":
            {"content": "go", "userInputMessageContext": {"tools": specs,
                                                          "toolResults": current}}}}})
    }

    fn kinds(script: &Script) -> Vec<String> {
        script
            .steps
            .iter()
            .map(|s| {
                format!("{s:?}")
                    .split([' ', '(', '{'])
                    .next()
                    .unwrap()
                    .to_owned()
            })
            .collect()
    }

    #[test]
    fn the_step_follows_the_number_of_tool_results() {
        let l = ToolLoop::new(
            vec![
                Call::new("a", json!({"x": 1})),
                Call::new("b", json!({"y": 2})),
            ],
            "all done",
        );
        let first = l.reply(&body(&["a", "b"], 0, 0));
        assert!(format!("{:?}", first.steps).contains("name: \"a\""));
        let second = l.reply(&body(&["a", "b"], 0, 1));
        assert!(format!("{:?}", second.steps).contains("name: \"b\""));
        let last = l.reply(&body(&["a", "b"], 1, 1));
        assert!(format!("{:?}", last.steps).contains("all done"));
        assert!(!kinds(&last).contains(&"ToolCall".to_owned()));
        let side = l.reply(&body(&[], 0, 0));
        assert!(format!("{:?}", side.steps).contains("\"ok\""));
        assert_eq!(tool_results(&body(&["a"], 1, 1)).len(), 2);
        assert_eq!(tool_results(&body(&["a"], 1, 1))[1]["text"], "out 1");
    }
}
