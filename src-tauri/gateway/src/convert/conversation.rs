//! The neutral conversation every client dialect is parsed into, and the Kiro request is
//! built from. It keeps what the clients said, in their order; Kiro's rules are applied
//! later by [`super::kiro_request`].

use serde_json::Value;

/// Prefix of a system (or developer) message that appears after the conversation started:
/// Kiro has one system prompt, so a late one becomes a marked user turn.
pub const LATE_SYSTEM_PREFIX: &str = "[System message]\n";

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Conversation {
    /// The model name as the client sent it (echoed back in responses).
    pub model: String,
    /// System prompt text (all system parts joined with blank lines), if any.
    pub system: Option<String>,
    pub messages: Vec<Message>,
    pub tools: Vec<ToolSpec>,
    pub tool_choice: ToolChoice,
    /// Reasoning requested by the client (`None` = off).
    pub thinking: Option<Thinking>,
    /// The client turned reasoning off explicitly (`reasoning_effort: "none"`), which a
    /// `-thinking` model name does not undo.
    pub reasoning_off: bool,
    /// Output cap requested by the client; enforced by the gateway on the output stream.
    pub max_output_tokens: Option<u32>,
    /// Stop sequences; enforced by the gateway on the output stream.
    pub stop_sequences: Vec<String>,
    /// A client session id to reuse as Kiro `conversationId` (e.g. Claude Code's), if any.
    pub session_id: Option<String>,
}

/// The reasoning budget a `-thinking` model name turns on when the request names none, the
/// same in every dialect: the cap OpenAI efforts map to (docs/kiro-protocol.md "Budgets").
pub const MODEL_NAME_THINKING_BUDGET: u32 = 10_000;

impl Conversation {
    /// A `-thinking` model name (`model_thinking`) turns reasoning on with
    /// [`MODEL_NAME_THINKING_BUDGET`], unless the request asked for reasoning itself (its
    /// budget and effort win) or turned it off.
    pub fn apply_model_name_thinking(&mut self, model_thinking: bool) {
        if model_thinking && self.thinking.is_none() && !self.reasoning_off {
            self.thinking = Some(Thinking {
                budget_tokens: Some(MODEL_NAME_THINKING_BUDGET),
                effort: None,
            });
        }
    }

    /// A Kiro conversation id that stays the same for every turn of one conversation when the
    /// client names no session: derived from how the conversation opened (the system prompt
    /// and the first message's text and images). Kiro's prompt cache for GPT models is keyed
    /// by the conversation id, and Kiro keeps no history under it, so two conversations that
    /// open identically sharing an id costs nothing. `None` when the opening has no content.
    pub fn opening_id(&self) -> Option<String> {
        let first = self.messages.first()?;
        let mut opening = Vec::new();
        for text in self.system.iter() {
            opening.extend_from_slice(b"system\0");
            opening.extend_from_slice(text.as_bytes());
        }
        for part in &first.parts {
            match part {
                Part::Text(text) => {
                    opening.extend_from_slice(b"\0text\0");
                    opening.extend_from_slice(text.as_bytes());
                }
                Part::Image(image) => {
                    opening.extend_from_slice(b"\0image\0");
                    opening.extend_from_slice(image.data_base64.as_bytes());
                }
                Part::ToolUse { .. }
                | Part::ToolResult { .. }
                | Part::Thinking { .. }
                | Part::RedactedThinking { .. } => {}
            }
        }
        if opening.is_empty() {
            return None;
        }
        Some(uuid::Uuid::new_v5(&OPENING_NAMESPACE, &opening).to_string())
    }
}

/// Namespace of [`Conversation::opening_id`] (a fixed random UUID, so these ids never collide
/// with ids derived the same way by someone else).
const OPENING_NAMESPACE: uuid::Uuid =
    uuid::Uuid::from_u128(0x6c1f_3d7e_92a4_4b0e_8f55_2d1c_7a93_e604);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    User,
    Assistant,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    pub role: Role,
    pub parts: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Part {
    Text(String),
    Image(Image),
    ToolUse {
        id: String,
        name: String,
        /// Arguments as a JSON value (normally an object).
        input: Value,
    },
    ToolResult {
        tool_use_id: String,
        /// The result flattened to text.
        content: String,
        /// Images that came inside the tool result (moved to the user message upstream).
        images: Vec<Image>,
        is_error: bool,
    },
    /// Reasoning from an earlier assistant turn.
    Thinking {
        text: String,
        signature: Option<String>,
    },
    /// Encrypted reasoning from an earlier assistant turn (Kiro's `redactedContent`, e.g.
    /// GPT's), replayed only as it came.
    RedactedThinking {
        data: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Image {
    /// `image/png`, `image/jpeg`, `image/gif` or `image/webp`.
    pub media_type: String,
    /// Raw base64, no `data:` prefix.
    pub data_base64: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ToolSpec {
    pub name: String,
    pub description: String,
    pub input_schema: Value,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum ToolChoice {
    #[default]
    Auto,
    None,
    /// The model must call some tool.
    Required,
    /// The model must call this tool.
    Named(String),
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Thinking {
    /// Token budget for the reasoning; `None` = adaptive.
    pub budget_tokens: Option<u32>,
    /// How hard the client asked the model to think (Anthropic `output_config.effort`, OpenAI
    /// `reasoning_effort`), when it said.
    pub effort: Option<Effort>,
}

/// Reasoning effort levels, lowest first (the union of the OpenAI and Claude scales).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Effort {
    None,
    Minimal,
    Low,
    Medium,
    High,
    XHigh,
    Max,
}

impl Effort {
    pub const ALL: [Effort; 7] = [
        Effort::None,
        Effort::Minimal,
        Effort::Low,
        Effort::Medium,
        Effort::High,
        Effort::XHigh,
        Effort::Max,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Effort::None => "none",
            Effort::Minimal => "minimal",
            Effort::Low => "low",
            Effort::Medium => "medium",
            Effort::High => "high",
            Effort::XHigh => "xhigh",
            Effort::Max => "max",
        }
    }

    pub fn parse(text: &str) -> Option<Effort> {
        Effort::ALL.into_iter().find(|e| e.as_str() == text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_thinking_model_name_fills_in_only_what_the_request_left_open() {
        let mut open = Conversation::default();
        open.apply_model_name_thinking(true);
        assert_eq!(
            open.thinking,
            Some(Thinking {
                budget_tokens: Some(MODEL_NAME_THINKING_BUDGET),
                effort: None,
            })
        );
        let mut plain = Conversation::default();
        plain.apply_model_name_thinking(false);
        assert_eq!(plain.thinking, None);
        let asked = Some(Thinking {
            budget_tokens: Some(2048),
            effort: Some(Effort::Low),
        });
        let mut given = Conversation {
            thinking: asked.clone(),
            ..Conversation::default()
        };
        given.apply_model_name_thinking(true);
        assert_eq!(given.thinking, asked);
        let mut off = Conversation {
            reasoning_off: true,
            ..Conversation::default()
        };
        off.apply_model_name_thinking(true);
        assert_eq!(off.thinking, None);
    }

    fn conversation(system: Option<&str>, turns: &[(Role, &str)]) -> Conversation {
        Conversation {
            system: system.map(str::to_owned),
            messages: turns
                .iter()
                .map(|(role, text)| Message {
                    role: *role,
                    parts: vec![Part::Text((*text).to_owned())],
                })
                .collect(),
            ..Conversation::default()
        }
    }

    #[test]
    fn every_turn_of_a_conversation_gets_the_same_opening_id() {
        let first = conversation(Some("Be terse."), &[(Role::User, "Fix the bug")]);
        let later = conversation(
            Some("Be terse."),
            &[
                (Role::User, "Fix the bug"),
                (Role::Assistant, "Done."),
                (Role::User, "Now add a test"),
            ],
        );
        let id = first.opening_id().unwrap();
        assert_eq!(later.opening_id().unwrap(), id);
        assert!(uuid::Uuid::parse_str(&id).is_ok());
    }

    #[test]
    fn another_opening_gets_another_id() {
        let a = conversation(Some("Be terse."), &[(Role::User, "Fix the bug")]);
        let b = conversation(Some("Be terse."), &[(Role::User, "Fix the other bug")]);
        let c = conversation(Some("Be verbose."), &[(Role::User, "Fix the bug")]);
        let d = conversation(None, &[(Role::User, "Be terse.Fix the bug")]);
        let ids = [a, b, c, d].map(|c| c.opening_id().unwrap());
        for i in 0..ids.len() {
            for j in i + 1..ids.len() {
                assert_ne!(ids[i], ids[j]);
            }
        }
        assert_eq!(Conversation::default().opening_id(), None);
    }
}
