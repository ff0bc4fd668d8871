//! Emulated extended reasoning (docs/kiro-protocol.md#reasoning, KR style): a tag prefix at the
//! very start of the system text, skipped when the text already carries one; earlier reasoning
//! re-encoded into the assistant content.

use super::super::conversation::Thinking;

/// `<thinking_mode>enabled</thinking_mode><max_thinking_length>{budget}</max_thinking_length>`
/// for a budget, the adaptive form (effort `high`; the neutral `Thinking` carries no effort)
/// otherwise.
pub fn prefix(thinking: &Thinking) -> String {
    match thinking.budget_tokens {
        Some(budget) => format!(
            "<thinking_mode>enabled</thinking_mode><max_thinking_length>{budget}</max_thinking_length>"
        ),
        None => "<thinking_mode>adaptive</thinking_mode><thinking_effort>high</thinking_effort>"
            .to_string(),
    }
}

/// `true` when `text` already holds a thinking-mode instruction (KR's skip rule).
pub fn already_present(text: &str) -> bool {
    text.contains("<thinking_mode>") || text.contains("<max_thinking_length>")
}

/// Put the prefix in front of the system text (separated by a newline), unless present.
pub fn inject(system: &str, thinking: &Thinking) -> String {
    if already_present(system) {
        return system.to_string();
    }
    let p = prefix(thinking);
    if system.is_empty() {
        p
    } else {
        format!("{p}\n{system}")
    }
}

/// Earlier-turn reasoning in assistant history: `<thinking>{r}</thinking>\n\n{text}`.
pub fn encode_reasoning(reasoning: &str, text: &str) -> String {
    format!("<thinking>{reasoning}</thinking>\n\n{text}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes() {
        let enabled = Thinking {
            budget_tokens: Some(20_000),
            effort: None,
        };
        assert_eq!(
            inject("Be brief.", &enabled),
            "<thinking_mode>enabled</thinking_mode><max_thinking_length>20000</max_thinking_length>\nBe brief."
        );
        let adaptive = Thinking {
            budget_tokens: None,
            effort: None,
        };
        assert_eq!(
            inject("", &adaptive),
            "<thinking_mode>adaptive</thinking_mode><thinking_effort>high</thinking_effort>"
        );
        let already = "<max_thinking_length>5</max_thinking_length> sys";
        assert_eq!(inject(already, &enabled), already);
    }

    #[test]
    fn reasoning_encoding() {
        assert_eq!(encode_reasoning("a", "b"), "<thinking>a</thinking>\n\nb");
    }
}
