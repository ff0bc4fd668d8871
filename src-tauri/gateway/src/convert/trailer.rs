//! What Kiro reports around the answer (metering, context usage, token counts, stop
//! reason, its own length limit), recorded by every output state machine for usage and
//! the finish reason.

use crate::kiro::events::{KiroEvent, TokenUsage};

/// What counts as the end of a completed answer (docs/kiro-protocol.md#completion-trailer). Kiro
/// ends every completed answer with `metadataEvent`, `contextUsageEvent` and
/// `meteringEvent`; an answer with content but without the trailer was cut short.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum CompletionRule {
    /// `metadataEvent` arrived (the recommendation: every completed answer has it).
    #[default]
    Strict,
    /// Any of the three trailer events arrived (for an account or host found not to send
    /// `metadataEvent`).
    Tolerant,
}

impl CompletionRule {
    /// `strict` / `tolerant`.
    pub fn parse(text: &str) -> Option<CompletionRule> {
        match text.trim().to_ascii_lowercase().as_str() {
            "strict" => Some(CompletionRule::Strict),
            "tolerant" => Some(CompletionRule::Tolerant),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            CompletionRule::Strict => "strict",
            CompletionRule::Tolerant => "tolerant",
        }
    }
}

#[derive(Debug, Default)]
pub struct Trailer {
    rule: CompletionRule,
    /// The answer completed by [`CompletionRule`] (without it, it was cut short).
    pub seen: bool,
    pub context_percentage: Option<f64>,
    pub usage: Option<TokenUsage>,
    pub stop_reason: Option<String>,
    /// Kiro's `ContentLengthExceededException`: the output hit Kiro's length limit.
    pub length_exceeded: bool,
    /// Credits Kiro charged (sum of `meteringEvent`s), when it said.
    pub credits: Option<f64>,
}

impl Trailer {
    pub fn new(rule: CompletionRule) -> Self {
        Trailer {
            rule,
            ..Trailer::default()
        }
    }

    /// Note what `event` says; other events are ignored. Applies even after the answer ended.
    pub fn record(&mut self, event: &KiroEvent) {
        let tolerant = self.rule == CompletionRule::Tolerant;
        match event {
            KiroEvent::Metering { usage, .. } => {
                self.seen |= tolerant;
                if usage.is_finite() && *usage >= 0.0 {
                    *self.credits.get_or_insert(0.0) += usage;
                }
            }
            KiroEvent::ContextUsage { percentage } => {
                self.seen |= tolerant;
                self.context_percentage = Some(*percentage);
            }
            KiroEvent::Metadata {
                token_usage,
                stop_reason,
            } => {
                self.seen = true;
                // Kiro often sends the counters all zero (measured 2026-12): not a count.
                if token_usage.as_ref().is_some_and(TokenUsage::has_counts) {
                    self.usage = token_usage.clone();
                }
                if stop_reason.is_some() {
                    self.stop_reason = stop_reason.clone();
                }
            }
            _ => {}
        }
    }

    pub fn mark_length_exceeded(&mut self) {
        self.length_exceeded = true;
        self.seen = true;
    }

    /// Prompt + output tokens in context, from `contextUsagePercentage` of `context_window`.
    pub fn context_tokens(&self, context_window: u64) -> Option<u64> {
        let pct = self
            .context_percentage
            .filter(|p| p.is_finite() && *p > 0.0)?;
        let total = (pct * context_window as f64 / 100.0).floor();
        Some(total.min(u64::MAX as f64) as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metering_events_add_up_to_the_credits() {
        let mut trailer = Trailer::default();
        assert_eq!(trailer.credits, None, "nothing said");
        for credits in [0.25, 0.5, f64::NAN] {
            trailer.record(&KiroEvent::Metering {
                usage: credits,
                unit: Some("credit".into()),
            });
        }
        assert_eq!(trailer.credits, Some(0.75));
    }

    #[test]
    fn context_tokens_need_a_positive_percentage() {
        let mut trailer = Trailer::default();
        assert_eq!(trailer.context_tokens(200_000), None);
        trailer.record(&KiroEvent::ContextUsage { percentage: 0.0 });
        assert_eq!(trailer.context_tokens(200_000), None);
        trailer.record(&KiroEvent::ContextUsage { percentage: 1.25 });
        assert_eq!(trailer.context_tokens(200_000), Some(2_500));
    }

    #[test]
    fn all_zero_token_counts_are_not_counts() {
        let mut trailer = Trailer::default();
        let zero = TokenUsage {
            uncached_input_tokens: Some(0),
            output_tokens: Some(0),
            total_tokens: Some(0),
            ..TokenUsage::default()
        };
        trailer.record(&KiroEvent::Metadata {
            token_usage: Some(zero),
            stop_reason: Some("END_TURN".into()),
        });
        assert!(trailer.seen);
        assert_eq!(trailer.usage, None);
        let real = TokenUsage {
            uncached_input_tokens: Some(1200),
            output_tokens: Some(40),
            ..TokenUsage::default()
        };
        trailer.record(&KiroEvent::Metadata {
            token_usage: Some(real.clone()),
            stop_reason: None,
        });
        assert_eq!(trailer.usage, Some(real));
    }

    #[test]
    fn metadata_keeps_earlier_values_it_does_not_repeat() {
        let mut trailer = Trailer::default();
        trailer.record(&KiroEvent::Metadata {
            token_usage: None,
            stop_reason: Some("MAX_TOKENS".into()),
        });
        trailer.record(&KiroEvent::Metadata {
            token_usage: None,
            stop_reason: None,
        });
        assert_eq!(trailer.stop_reason.as_deref(), Some("MAX_TOKENS"));
    }

    #[test]
    fn strict_completion_needs_metadata_tolerant_any_trailer_event() {
        let context = KiroEvent::ContextUsage { percentage: 3.0 };
        let metering = KiroEvent::Metering {
            usage: 0.1,
            unit: None,
        };
        let metadata = KiroEvent::Metadata {
            token_usage: None,
            stop_reason: None,
        };
        let mut strict = Trailer::new(CompletionRule::Strict);
        strict.record(&context);
        strict.record(&metering);
        assert!(!strict.seen, "the older trailer alone: cut short");
        strict.record(&metadata);
        assert!(strict.seen);

        let mut tolerant = Trailer::new(CompletionRule::Tolerant);
        tolerant.record(&metering);
        assert!(tolerant.seen);

        assert_eq!(Trailer::default().rule, CompletionRule::Strict);
        assert_eq!(
            CompletionRule::parse(" Tolerant "),
            Some(CompletionRule::Tolerant)
        );
        assert_eq!(CompletionRule::parse("lenient"), None);
    }
}
