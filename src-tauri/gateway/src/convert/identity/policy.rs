//! What may be rewritten in one answer, decided from the client's own request.

use super::words::IDE_TOOLS;
use crate::convert::conversation::{Conversation, Part};

/// What may be rewritten in one answer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IdentityPolicy {
    /// Rewrite self-introductions.
    pub identity: bool,
    /// IDE tools whose list items may be removed (name, distinctive).
    pub tools: Vec<(&'static str, bool)>,
}

impl IdentityPolicy {
    #[cfg(test)]
    /// Everything allowed (tests and measurements).
    pub fn all() -> Self {
        IdentityPolicy {
            identity: true,
            tools: IDE_TOOLS.to_vec(),
        }
    }

    /// The policy for an answer to `conversation`: the client's own words win. No identity
    /// rewriting when its request mentions "Kiro" or "assistant and IDE" anywhere (system
    /// prompt, messages, tool results, tool declarations; any case); no tool the client
    /// declared (any case) or whose name appears anywhere in its request.
    pub fn for_conversation(conversation: &Conversation) -> Self {
        let text = request_text(conversation).to_lowercase();
        let declared: Vec<String> = conversation
            .tools
            .iter()
            .map(|t| t.name.to_lowercase())
            .collect();
        let tools = IDE_TOOLS
            .iter()
            .filter(|(name, _)| {
                let lower = name.to_lowercase();
                !declared.contains(&lower) && !text.contains(&lower)
            })
            .copied()
            .collect();
        IdentityPolicy {
            identity: !text.contains("kiro") && !text.contains("assistant and ide"),
            tools,
        }
    }

    /// Nothing can be rewritten.
    pub fn is_empty(&self) -> bool {
        !self.identity && self.tools.is_empty()
    }

    pub(super) fn tool(&self, name: &str) -> Option<bool> {
        self.tools
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, distinctive)| *distinctive)
    }
}

/// All text of the client's request: system prompt, messages, tool declarations.
fn request_text(conversation: &Conversation) -> String {
    let mut text = String::new();
    let mut add = |s: &str| {
        text.push_str(s);
        text.push('\n');
    };
    if let Some(system) = &conversation.system {
        add(system);
    }
    for message in &conversation.messages {
        for part in &message.parts {
            match part {
                Part::Text(t) => add(t),
                Part::ToolUse { name, input, .. } => {
                    add(name);
                    add(&input.to_string());
                }
                Part::ToolResult { content, .. } => add(content),
                Part::Thinking { text, .. } => add(text),
                Part::Image(_) | Part::RedactedThinking { .. } => {}
            }
        }
    }
    for tool in &conversation.tools {
        add(&tool.name);
        add(&tool.description);
        add(&tool.input_schema.to_string());
    }
    text
}
