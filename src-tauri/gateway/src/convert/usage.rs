//! Token estimates shared by every client dialect.
//!
//! Kiro does not report token counts (docs/kiro-protocol.md#token-usage), so the gateway estimates
//! them.
//!
//! **Method.** Every character is weighted in twelfths of a token: a CJK character (Han,
//! kana, Hangul, CJK punctuation, full-width forms) weighs 8/12 (≈ 1.5 characters per
//! token), any other character 3/12 (≈ 4 characters per token, the usual rule of thumb for
//! English and code). The estimate of a text is the sum of the weights rounded **up** to a
//! whole token (empty text = 0). Because the weights are additive, the estimate of a stream
//! can be kept exactly while it is produced ([`TokenMeter`]), so the `max_tokens` cut and
//! the reported `completion_tokens` always agree.

use serde_json::Value;

use super::conversation::{Conversation, Part};

/// Weight units per token.
pub const UNITS_PER_TOKEN: u64 = 12;
/// Weight of one CJK character, in units.
const CJK_UNITS: u64 = 8;
/// Weight of any other character, in units.
const OTHER_UNITS: u64 = 3;
/// Flat estimate for one image (Claude bills at most about 1 600 tokens per image).
pub const IMAGE_TOKENS: u64 = 1_600;
/// Per-message framing overhead (role markers).
pub const MESSAGE_OVERHEAD_TOKENS: u64 = 4;

fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x1100..=0x11FF       // Hangul Jamo
        | 0x2E80..=0x2FDF     // CJK radicals
        | 0x3000..=0x30FF     // CJK punctuation, Hiragana, Katakana
        | 0x3100..=0x31FF     // Bopomofo, Hangul compat, Katakana ext
        | 0x3200..=0x4DBF     // enclosed, compat, ext A
        | 0x4E00..=0x9FFF     // unified ideographs
        | 0xA960..=0xA97F
        | 0xAC00..=0xD7FF     // Hangul syllables
        | 0xF900..=0xFAFF     // compat ideographs
        | 0xFF00..=0xFFEF     // half/full-width forms
        | 0x20000..=0x3FFFF) // ext B and later
}

/// Weight of one character in units (see the module doc).
pub fn char_units(c: char) -> u64 {
    if is_cjk(c) {
        CJK_UNITS
    } else {
        OTHER_UNITS
    }
}

/// Weight of a text in units.
pub fn text_units(text: &str) -> u64 {
    text.chars().map(char_units).sum()
}

/// Whole tokens for a number of units (rounded up).
pub fn units_to_tokens(units: u64) -> u64 {
    units.div_ceil(UNITS_PER_TOKEN)
}

/// Estimated token count of `text` (see the module doc for the method).
pub fn estimate_tokens(text: &str) -> u64 {
    units_to_tokens(text_units(text))
}

/// Estimated prompt tokens of a whole conversation: system text, every message part (text,
/// tool calls as name + JSON arguments, tool results, earlier reasoning), a flat
/// [`IMAGE_TOKENS`] per image, [`MESSAGE_OVERHEAD_TOKENS`] per message, and the tool
/// declarations (name + description + JSON schema).
pub fn estimate_conversation_tokens(conversation: &Conversation) -> u64 {
    let mut units = 0u64;
    let mut tokens = 0u64;
    if let Some(system) = &conversation.system {
        units += text_units(system);
        tokens += MESSAGE_OVERHEAD_TOKENS;
    }
    for message in &conversation.messages {
        tokens += MESSAGE_OVERHEAD_TOKENS;
        for part in &message.parts {
            match part {
                Part::Text(text) => units += text_units(text),
                Part::Image(_) => tokens += IMAGE_TOKENS,
                Part::ToolUse { name, input, .. } => {
                    units += text_units(name) + json_units(input);
                }
                Part::ToolResult {
                    content, images, ..
                } => {
                    units += text_units(content);
                    tokens += IMAGE_TOKENS * images.len() as u64;
                }
                Part::Thinking { text, .. } => units += text_units(text),
                Part::RedactedThinking { .. } => {}
            }
        }
    }
    for tool in &conversation.tools {
        units +=
            text_units(&tool.name) + text_units(&tool.description) + json_units(&tool.input_schema);
    }
    tokens + units_to_tokens(units)
}

fn json_units(value: &Value) -> u64 {
    text_units(&value.to_string())
}

/// A running token count over everything an answer produced, with an optional limit.
#[derive(Debug, Clone, Default)]
pub struct TokenMeter {
    used_units: u64,
    limit_units: Option<u64>,
}

impl TokenMeter {
    /// A meter that allows at most `limit_tokens` (estimated) tokens; `None` = unlimited.
    pub fn new(limit_tokens: Option<u32>) -> Self {
        TokenMeter {
            used_units: 0,
            limit_units: limit_tokens.map(|t| u64::from(t) * UNITS_PER_TOKEN),
        }
    }

    /// Tokens counted so far (rounded up).
    pub fn tokens(&self) -> u64 {
        units_to_tokens(self.used_units)
    }

    /// Count `text` without applying the limit (e.g. tool-call arguments, which cannot be
    /// cut without breaking them).
    pub fn add_unlimited(&mut self, text: &str) {
        self.used_units += text_units(text);
    }

    /// Count as much of `text` as fits under the limit. Returns the byte length of the
    /// prefix that fits; a value smaller than `text.len()` means the limit was reached.
    pub fn take(&mut self, text: &str) -> usize {
        let Some(limit) = self.limit_units else {
            self.used_units += text_units(text);
            return text.len();
        };
        for (i, c) in text.char_indices() {
            let w = char_units(c);
            if self.used_units + w > limit {
                return i;
            }
            self.used_units += w;
        }
        text.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::convert::conversation::{Message, Role};

    #[test]
    fn ascii_is_about_four_chars_per_token() {
        assert_eq!(estimate_tokens(""), 0);
        assert_eq!(estimate_tokens("a"), 1);
        assert_eq!(estimate_tokens("abcd"), 1);
        assert_eq!(estimate_tokens("abcde"), 2);
        assert_eq!(estimate_tokens(&"x".repeat(400)), 100);
    }

    #[test]
    fn cjk_weighs_more() {
        // 3 CJK chars = 24 units = 2 tokens.
        assert_eq!(estimate_tokens("你好吗"), 2);
        assert_eq!(estimate_tokens("こんにちは"), 4);
        assert!(estimate_tokens("한국어 텍스트") > estimate_tokens("abcdefg"));
    }

    #[test]
    fn meter_is_additive_and_cuts_on_char_boundary() {
        let mut meter = TokenMeter::new(Some(2));
        assert_eq!(meter.take("abcd"), 4);
        assert_eq!(meter.take("ef你"), 2); // 6 + 6 units fit, 你 (8) does not
        assert_eq!(meter.tokens(), 2); // 18 units, rounded up
        let mut m = TokenMeter::new(Some(1));
        assert_eq!(m.take("é漢x"), "é漢".len()); // 3 + 8 units fit in 12, x does not
        let mut unlimited = TokenMeter::new(None);
        assert_eq!(unlimited.take("hello world"), 11);
        assert_eq!(unlimited.tokens(), estimate_tokens("hello world"));
    }

    #[test]
    fn conversation_estimate_counts_everything() {
        let conv = Conversation {
            system: Some("x".repeat(40)),
            messages: vec![Message {
                role: Role::User,
                parts: vec![Part::Text("y".repeat(40))],
            }],
            ..Default::default()
        };
        assert_eq!(estimate_conversation_tokens(&conv), 4 + 4 + 20);
    }
}
