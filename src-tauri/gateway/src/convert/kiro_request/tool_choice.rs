//! `tool_choice` emulation. Kiro has no field for it (docs/kiro-protocol.md#generation-controls),
//! so:
//!
//! | choice | what is sent |
//! |---|---|
//! | `Auto` | nothing extra |
//! | `Required` | tools declared + [`REQUIRED`] appended to the current message |
//! | `Named(n)` | tools declared + "call the tool `n`" appended to the current message |
//! | `None`, no tool traffic in the messages | tools not declared at all (the model cannot call them) |
//! | `None`, history has tool calls/results | tools declared (history tools must be, docs/kiro-protocol.md#tools) + [`NONE`] appended |
//!
//! `Required` without tools and `Named` with an undeclared tool are refused (rule
//! `tool_choice`), as the OpenAI and Anthropic APIs do.

use super::super::conversation::{ToolChoice, ToolSpec};
use super::{PreflightError, PreflightRule};

pub const REQUIRED: &str = "You must respond by calling at least one of the available tools.";
pub const NONE: &str = "Do not call any tools in this response; answer with text only.";

pub fn check(choice: &ToolChoice, tools: &[ToolSpec]) -> Result<(), PreflightError> {
    let refuse = |detail: String| {
        Err(PreflightError {
            rule: PreflightRule::ToolChoice,
            message_index: None,
            detail,
        })
    };
    match choice {
        ToolChoice::Required if tools.is_empty() => {
            refuse("tool_choice requires a tool call but no tools are declared".into())
        }
        ToolChoice::Named(name) if !tools.iter().any(|t| &t.name == name) => refuse(format!(
            "tool_choice names tool {name:?}, which is not declared"
        )),
        _ => Ok(()),
    }
}

/// The instruction for the current message; `upstream_name` is the declared name of the
/// named tool as the model sees it; `tools_declared` says whether any tools go upstream.
pub fn instruction(
    choice: &ToolChoice,
    upstream_name: Option<&str>,
    tools_declared: bool,
) -> Option<String> {
    match choice {
        ToolChoice::Auto => None,
        ToolChoice::Required => Some(REQUIRED.to_string()),
        ToolChoice::Named(name) => Some(format!(
            "You must respond by calling the tool `{}`.",
            upstream_name.unwrap_or(name)
        )),
        ToolChoice::None => tools_declared.then(|| NONE.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn checks_and_instructions() {
        let tools = vec![ToolSpec {
            name: "f".into(),
            description: "d".into(),
            input_schema: json!({}),
        }];
        assert!(check(&ToolChoice::Required, &tools).is_ok());
        assert_eq!(
            check(&ToolChoice::Required, &[]).unwrap_err().rule.as_str(),
            "tool_choice"
        );
        assert_eq!(
            check(&ToolChoice::Named("g".into()), &tools)
                .unwrap_err()
                .rule
                .as_str(),
            "tool_choice"
        );
        assert!(check(&ToolChoice::None, &[]).is_ok());
        assert_eq!(instruction(&ToolChoice::Auto, None, true), None);
        assert_eq!(instruction(&ToolChoice::None, None, false), None);
        assert_eq!(
            instruction(&ToolChoice::None, None, true).as_deref(),
            Some(NONE)
        );
        assert_eq!(
            instruction(&ToolChoice::Named("long".into()), Some("short"), true).as_deref(),
            Some("You must respond by calling the tool `short`.")
        );
    }
}
