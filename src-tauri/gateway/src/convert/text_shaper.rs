//! The text path every output state machine shares: reasoning tags at the start of the
//! text ([`crate::convert::reasoning_tags`]) → IDE-identity sanitising on content, when on
//! ([`crate::convert::identity`]) → stop sequences on content ([`crate::convert::stop`]) →
//! the `max_tokens` budget on content + reasoning ([`TokenMeter`]). The machine emits the
//! [`Piece`]s in its own dialect. Stop sequences and the budget apply to the text the client
//! sees, after sanitising.

use crate::convert::identity::{IdentityFilter, IdentityPolicy};
use crate::convert::reasoning_tags::{ReasoningTagParser, Segment};
use crate::convert::stop::StopMatcher;
use crate::convert::usage::TokenMeter;

/// Why the text ended before the upstream did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    StopSequence,
    MaxTokens,
}

/// Text ready to send, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    Reasoning(String),
    Content(String),
}

#[derive(Debug)]
pub struct TextShaper {
    tags: Option<ReasoningTagParser>,
    identity: Option<IdentityFilter>,
    stop: StopMatcher,
    meter: TokenMeter,
    ended: Option<Ended>,
}

impl TextShaper {
    pub fn new(reasoning_tags: bool, stop: &[String], max_tokens: Option<u32>) -> Self {
        TextShaper {
            tags: reasoning_tags.then(ReasoningTagParser::new),
            identity: None,
            stop: StopMatcher::new(stop),
            meter: TokenMeter::new(max_tokens),
            ended: None,
        }
    }

    /// Sanitise IDE identity in the content with `policy` (`None`: off).
    pub fn with_identity(mut self, policy: Option<IdentityPolicy>) -> Self {
        self.identity = policy.filter(|p| !p.is_empty()).map(IdentityFilter::new);
        self
    }

    #[cfg(test)]
    /// Self-introductions rewritten and IDE tool list items removed so far.
    pub fn identity_changes(&self) -> usize {
        self.identity.as_ref().map_or(0, IdentityFilter::changes)
    }

    /// Set once a stop sequence or `max_tokens` ended the text; nothing more comes out.
    pub fn ended(&self) -> Option<Ended> {
        self.ended
    }

    /// The stop sequence that ended the text.
    pub fn stop_sequence(&self) -> Option<&str> {
        match self.ended {
            Some(Ended::StopSequence) => self.stop.matched(),
            _ => None,
        }
    }

    /// Tokens counted so far: the text let through plus [`add_unlimited`](Self::add_unlimited).
    pub fn tokens(&self) -> u64 {
        self.meter.tokens()
    }

    /// Count output that is never cut (tool-call names and arguments).
    pub fn add_unlimited(&mut self, text: &str) {
        self.meter.add_unlimited(text);
    }

    /// A chunk of answer text (reasoning tags possible).
    pub fn text(&mut self, text: &str) -> Vec<Piece> {
        let segments = match &mut self.tags {
            Some(parser) => parser.push(text),
            None => vec![Segment::Content(text.to_string())],
        };
        let mut out = Vec::new();
        self.segments(segments, &mut out);
        out
    }

    /// A chunk of native reasoning (counted, never matched against stop sequences).
    pub fn reasoning(&mut self, text: &str) -> Vec<Piece> {
        let mut out = Vec::new();
        self.take(text, Piece::Reasoning, &mut out);
        out
    }

    /// Release text held by the tag parser and the stop matcher.
    pub fn flush(&mut self) -> Vec<Piece> {
        let mut out = Vec::new();
        if let Some(parser) = &mut self.tags {
            let segments = parser.flush();
            self.segments(segments, &mut out);
        }
        if self.ended.is_none() {
            if let Some(filter) = &mut self.identity {
                let held = filter.flush();
                self.stopped_content(&held, &mut out);
            }
        }
        if self.ended.is_none() {
            let held = self.stop.flush();
            self.content(&held, &mut out);
        }
        out
    }

    fn segments(&mut self, segments: Vec<Segment>, out: &mut Vec<Piece>) {
        for segment in segments {
            if self.ended.is_some() {
                return;
            }
            match segment {
                Segment::Reasoning(t) => self.take(&t, Piece::Reasoning, out),
                Segment::Content(t) => {
                    let t = match &mut self.identity {
                        Some(filter) => filter.push(&t),
                        None => t,
                    };
                    self.stopped_content(&t, out);
                }
            }
        }
    }

    /// Content through the stop matcher and the budget.
    fn stopped_content(&mut self, text: &str, out: &mut Vec<Piece>) {
        if text.is_empty() {
            return;
        }
        let result = self.stop.push(text);
        self.content(&result.text, out);
        if result.stopped_by.is_some() && self.ended.is_none() {
            self.ended = Some(Ended::StopSequence);
        }
    }

    fn content(&mut self, text: &str, out: &mut Vec<Piece>) {
        if !text.is_empty() {
            self.take(text, Piece::Content, out);
        }
    }

    /// What fits in the token budget goes out; a cut ends the text.
    fn take(&mut self, text: &str, piece: fn(String) -> Piece, out: &mut Vec<Piece>) {
        let fits = self.meter.take(text);
        if fits > 0 {
            out.push(piece(text[..fits].to_string()));
        }
        if fits < text.len() {
            self.ended = Some(Ended::MaxTokens);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (reasoning, content) as the client would see them joined.
    fn joined(pieces: &[Piece]) -> (String, String) {
        let (mut reasoning, mut content) = (String::new(), String::new());
        for piece in pieces {
            match piece {
                Piece::Reasoning(t) => reasoning.push_str(t),
                Piece::Content(t) => content.push_str(t),
            }
        }
        (reasoning, content)
    }

    #[test]
    fn tagged_reasoning_then_content() {
        let mut shaper = TextShaper::new(true, &[], None);
        let mut pieces = shaper.text("<thinking>hm</thinking>");
        pieces.extend(shaper.text("answer"));
        pieces.extend(shaper.flush());
        let (reasoning, content) = joined(&pieces);
        assert_eq!(reasoning, "hm");
        assert_eq!(content.trim_start(), "answer");
        assert_eq!(shaper.ended(), None);
    }

    #[test]
    fn a_stop_sequence_across_chunks_ends_the_text() {
        let mut shaper = TextShaper::new(false, &["STOP".into()], None);
        let mut pieces = shaper.text("abc ST");
        pieces.extend(shaper.text("OP tail"));
        assert_eq!(joined(&pieces), (String::new(), "abc ".into()));
        assert_eq!(shaper.ended(), Some(Ended::StopSequence));
        assert_eq!(shaper.stop_sequence(), Some("STOP"));
        assert_eq!(shaper.text("more"), vec![]);
    }

    #[test]
    fn held_text_comes_out_on_flush() {
        let mut shaper = TextShaper::new(false, &["STOP".into()], None);
        assert_eq!(shaper.text("abc ST"), vec![Piece::Content("abc ".into())]);
        assert_eq!(shaper.flush(), vec![Piece::Content("ST".into())]);
        assert_eq!(shaper.stop_sequence(), None);
    }

    #[test]
    fn identity_sanitising_runs_before_stop_sequences_and_flushes_at_the_end() {
        use crate::convert::identity::IdentityPolicy;
        // Held across chunks, released on flush.
        let mut shaper =
            TextShaper::new(true, &[], None).with_identity(Some(IdentityPolicy::all()));
        let mut pieces = shaper.text("<thinking>I'm Kiro</thinking>I'm Ki");
        pieces.extend(shaper.text("ro"));
        pieces.extend(shaper.flush());
        let (reasoning, content) = joined(&pieces);
        assert_eq!(reasoning, "I'm Kiro", "reasoning is never sanitised");
        assert_eq!(content.trim_start(), "I'm an AI assistant");
        assert_eq!(shaper.identity_changes(), 1);
        // Stop sequences see the text the client sees.
        let mut shaper =
            TextShaper::new(false, &["AI".into()], None).with_identity(Some(IdentityPolicy::all()));
        let mut pieces = shaper.text("I'm Kiro, hi");
        pieces.extend(shaper.flush());
        assert_eq!(joined(&pieces), (String::new(), "I'm an ".into()));
        assert_eq!(shaper.ended(), Some(Ended::StopSequence));
        // Off (or nothing to rewrite): unchanged.
        let mut shaper = TextShaper::new(false, &[], None).with_identity(None);
        let mut pieces = shaper.text("I'm Kiro");
        pieces.extend(shaper.flush());
        assert_eq!(joined(&pieces), (String::new(), "I'm Kiro".into()));
    }

    #[test]
    fn max_tokens_cuts_reasoning_and_content_alike() {
        let long = "word ".repeat(50);
        for native in [true, false] {
            let mut shaper = TextShaper::new(false, &[], Some(2));
            let pieces = if native {
                shaper.reasoning(&long)
            } else {
                shaper.text(&long)
            };
            let (reasoning, content) = joined(&pieces);
            let cut = if native { reasoning } else { content };
            assert!(!cut.is_empty() && cut.len() < long.len());
            assert_eq!(shaper.ended(), Some(Ended::MaxTokens));
            assert_eq!(shaper.text("more"), vec![]);
        }
    }
}
