//! [`Item`]: one conversation item, normalised, and its Responses JSON.

use serde_json::{json, Value};

use crate::convert::conversation::Image;
use crate::convert::openai::UserPart;

/// One conversation item, normalised. [`Item::to_json`] renders it in the Responses shape
/// (what the store keeps and `input_items` returns); [`super::parse_item`] reads it back.
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    Message {
        role: String,
        parts: Vec<UserPart>,
    },
    FunctionCall {
        call_id: String,
        /// The namespace of a tool declared inside a `namespace` tool.
        namespace: Option<String>,
        name: String,
        arguments: String,
    },
    CustomToolCall {
        call_id: String,
        namespace: Option<String>,
        name: String,
        input: String,
    },
    /// The output of a `function_call` or, with `custom`, of a `custom_tool_call`.
    FunctionCallOutput {
        call_id: String,
        output: String,
        images: Vec<Image>,
        custom: bool,
    },
    Reasoning {
        summary: String,
        /// `encrypted_content` as the client sent it (or the gateway wrote it).
        encrypted: Option<String>,
    },
    /// An `additional_tools` item: declarations only, no conversation content.
    AdditionalTools {
        tools: Value,
    },
}

impl Item {
    /// The Responses JSON of the item. `id` is given to output items only.
    pub fn to_json(&self) -> Value {
        match self {
            Item::Message { role, parts } => {
                let text_type = if role == "assistant" {
                    "output_text"
                } else {
                    "input_text"
                };
                let content: Vec<Value> = parts
                    .iter()
                    .map(|p| match p {
                        UserPart::Text(t) => json!({"type": text_type, "text": t}),
                        UserPart::Image(i) => json!({
                            "type": "input_image",
                            "image_url": format!("data:{};base64,{}", i.media_type, i.data_base64),
                        }),
                    })
                    .collect();
                json!({"type": "message", "role": role, "content": content})
            }
            Item::FunctionCall {
                call_id,
                namespace,
                name,
                arguments,
            } => {
                let mut item = json!({
                    "type": "function_call", "call_id": call_id, "name": name,
                    "arguments": arguments,
                });
                if let Some(ns) = namespace {
                    item["namespace"] = json!(ns);
                }
                item
            }
            Item::CustomToolCall {
                call_id,
                namespace,
                name,
                input,
            } => {
                let mut item = json!({
                    "type": "custom_tool_call", "call_id": call_id, "name": name, "input": input,
                });
                if let Some(ns) = namespace {
                    item["namespace"] = json!(ns);
                }
                item
            }
            Item::AdditionalTools { tools } => {
                json!({"type": "additional_tools", "role": "developer", "tools": tools})
            }
            Item::FunctionCallOutput {
                call_id,
                output,
                images,
                custom,
            } => {
                let output = if images.is_empty() {
                    json!(output)
                } else {
                    let mut parts = vec![json!({"type": "input_text", "text": output})];
                    parts.extend(images.iter().map(|i| {
                        json!({
                            "type": "input_image",
                            "image_url": format!("data:{};base64,{}", i.media_type, i.data_base64),
                        })
                    }));
                    Value::Array(parts)
                };
                let kind = if *custom {
                    "custom_tool_call_output"
                } else {
                    "function_call_output"
                };
                json!({"type": kind, "call_id": call_id, "output": output})
            }
            Item::Reasoning { summary, encrypted } => {
                let summary = if summary.is_empty() {
                    json!([])
                } else {
                    json!([{"type": "summary_text", "text": summary}])
                };
                let mut item = json!({"type": "reasoning", "summary": summary});
                if let Some(encrypted) = encrypted {
                    item["encrypted_content"] = json!(encrypted);
                }
                item
            }
        }
    }
}
