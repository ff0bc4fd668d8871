//! Streaming parser for reasoning wrapped in tags at the start of a text answer
//! (docs/kiro-protocol.md#reasoning). Dialect-neutral: it only splits text into reasoning and
//! content.
//!
//! Rules:
//! * Only the **start** of the response is examined. Leading whitespace is skipped; up to
//!   [`INITIAL_BUFFER_CHARS`] characters are buffered while they could still be one of the
//!   open tags `<thinking>`, `<think>`, `<reasoning>`, `<thought>`. Anything else switches to
//!   plain content for the rest of the response (the buffered text is released unchanged).
//! * Inside the block, text is reasoning. Only the shortest suffix that could be the start of
//!   the matching close tag is held back, so a tag split across chunks (even one character
//!   per chunk) never leaks, and everything else is released at once.
//! * Whitespace right after the open tag and right after the close tag is dropped.
//! * After the close tag everything is content, even if it contains tags.
//! * [`ReasoningTagParser::finish`] releases whatever is held: a partial open tag as content,
//!   an unclosed block as reasoning.

/// Open tags recognised at the start of a response.
pub const OPEN_TAGS: [&str; 4] = ["<thinking>", "<think>", "<reasoning>", "<thought>"];
/// How many characters (after leading whitespace) are buffered while looking for a tag.
pub const INITIAL_BUFFER_CHARS: usize = 20;

/// A piece of parser output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    Reasoning(String),
    Content(String),
}

#[derive(Debug, Clone)]
enum State {
    /// Looking for an open tag; `buf` holds everything seen so far.
    Detecting { buf: String },
    /// Inside a reasoning block.
    Inside {
        close: String,
        held: String,
        at_start: bool,
    },
    /// Plain content; `at_start` = strip whitespace right after a close tag.
    Content { at_start: bool },
}

/// See the module documentation.
#[derive(Debug, Clone)]
pub struct ReasoningTagParser {
    state: State,
}

impl Default for ReasoningTagParser {
    fn default() -> Self {
        Self::new()
    }
}

fn push_segment(out: &mut Vec<Segment>, segment: Segment) {
    match &segment {
        Segment::Reasoning(s) | Segment::Content(s) if s.is_empty() => {}
        _ => out.push(segment),
    }
}

/// Length of the longest proper suffix of `text` that is a prefix of `tag`.
fn partial_suffix_len(text: &str, tag: &str) -> usize {
    let max = tag.len().saturating_sub(1).min(text.len());
    (1..=max)
        .rev()
        .find(|&k| {
            text.is_char_boundary(text.len() - k) && tag.starts_with(&text[text.len() - k..])
        })
        .unwrap_or(0)
}

impl ReasoningTagParser {
    pub fn new() -> Self {
        ReasoningTagParser {
            state: State::Detecting { buf: String::new() },
        }
    }

    /// Feed one text chunk; returns the segments that can be released now, in order.
    pub fn push(&mut self, chunk: &str) -> Vec<Segment> {
        let mut out = Vec::new();
        self.push_into(chunk, &mut out);
        out
    }

    fn push_into(&mut self, chunk: &str, out: &mut Vec<Segment>) {
        match &mut self.state {
            State::Detecting { buf } => {
                buf.push_str(chunk);
                let trimmed = buf.trim_start();
                if let Some(tag) = OPEN_TAGS.iter().find(|t| trimmed.starts_with(**t)) {
                    let rest = trimmed[tag.len()..].to_string();
                    self.state = State::Inside {
                        close: format!("</{}", &tag[1..]),
                        held: String::new(),
                        at_start: true,
                    };
                    self.push_into(&rest, out);
                } else if trimmed.is_empty()
                    || (trimmed.chars().count() < INITIAL_BUFFER_CHARS
                        && OPEN_TAGS.iter().any(|t| t.starts_with(trimmed)))
                {
                    // Still undecided.
                } else {
                    let text = std::mem::take(buf);
                    self.state = State::Content { at_start: false };
                    push_segment(out, Segment::Content(text));
                }
            }
            State::Inside {
                close,
                held,
                at_start,
            } => {
                let mut chunk = chunk;
                if *at_start {
                    chunk = chunk.trim_start();
                    if chunk.is_empty() {
                        return;
                    }
                    *at_start = false;
                }
                held.push_str(chunk);
                if let Some(pos) = held.find(close.as_str()) {
                    let reasoning = held[..pos].to_string();
                    let rest = held[pos + close.len()..].to_string();
                    push_segment(out, Segment::Reasoning(reasoning));
                    self.state = State::Content { at_start: true };
                    self.push_into(&rest, out);
                } else {
                    let keep = partial_suffix_len(held, close);
                    let release = held[..held.len() - keep].to_string();
                    held.drain(..held.len() - keep);
                    push_segment(out, Segment::Reasoning(release));
                }
            }
            State::Content { at_start } => {
                let mut chunk = chunk;
                if *at_start {
                    chunk = chunk.trim_start();
                    if chunk.is_empty() {
                        return;
                    }
                    *at_start = false;
                }
                push_segment(out, Segment::Content(chunk.to_string()));
            }
        }
    }

    /// Release everything held back (end of the text stream, or before a non-text event).
    /// A pending partial open tag becomes content; held text inside a block becomes
    /// reasoning (the block stays open, later text is still reasoning).
    pub fn flush(&mut self) -> Vec<Segment> {
        let mut out = Vec::new();
        match &mut self.state {
            State::Detecting { buf } => {
                let text = std::mem::take(buf);
                self.state = State::Content { at_start: false };
                push_segment(&mut out, Segment::Content(text));
            }
            State::Inside { held, .. } => {
                push_segment(&mut out, Segment::Reasoning(std::mem::take(held)));
            }
            State::Content { .. } => {}
        }
        out
    }

    #[cfg(test)]
    /// Same as [`flush`](Self::flush); the end of the response.
    pub fn finish(&mut self) -> Vec<Segment> {
        self.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(chunks: &[&str]) -> (String, String, Vec<Segment>) {
        let mut p = ReasoningTagParser::new();
        let mut all = Vec::new();
        for c in chunks {
            all.extend(p.push(c));
        }
        all.extend(p.finish());
        let mut reasoning = String::new();
        let mut content = String::new();
        for s in &all {
            match s {
                Segment::Reasoning(t) => reasoning.push_str(t),
                Segment::Content(t) => content.push_str(t),
            }
        }
        (reasoning, content, all)
    }

    fn chars(s: &str) -> Vec<String> {
        s.chars().map(|c| c.to_string()).collect()
    }

    #[test]
    fn whole_block_in_one_chunk() {
        let (r, c, _) = run(&["<thinking>\nplan</thinking>\n\nAnswer"]);
        assert_eq!(r, "plan");
        assert_eq!(c, "Answer");
    }

    #[test]
    fn every_tag_kind_one_char_at_a_time() {
        for tag in ["thinking", "think", "reasoning", "thought"] {
            let text = format!("  <{tag}>a < b </{tag}></{tag}x\n\nDone <{tag}>x</{tag}>");
            let pieces = chars(&text);
            let refs: Vec<&str> = pieces.iter().map(String::as_str).collect();
            let (r, c, _) = run(&refs);
            assert_eq!(r, "a < b ", "{tag}");
            assert_eq!(c, format!("</{tag}x\n\nDone <{tag}>x</{tag}>"), "{tag}");
        }
    }

    #[test]
    fn no_tag_is_content_unchanged() {
        let (r, c, segs) = run(&["Hel", "lo <thinking>x</thinking>"]);
        assert_eq!(r, "");
        assert_eq!(c, "Hello <thinking>x</thinking>");
        assert_eq!(segs[0], Segment::Content("Hel".into()));
    }

    #[test]
    fn partial_open_tag_is_buffered_then_released() {
        let mut p = ReasoningTagParser::new();
        assert!(p.push("<thi").is_empty());
        assert_eq!(p.push("s is"), vec![Segment::Content("<this is".into())]);
        let mut p = ReasoningTagParser::new();
        assert!(p.push("<thin").is_empty());
        assert_eq!(p.finish(), vec![Segment::Content("<thin".into())]);
    }

    #[test]
    fn unclosed_block_is_reasoning_at_the_end() {
        let (r, c, _) = run(&["<think>", "still ", "thinking </thi"]);
        assert_eq!(r, "still thinking </thi");
        assert_eq!(c, "");
    }

    #[test]
    fn tag_mid_response_is_not_reasoning() {
        let (r, c, _) = run(&["Sure. ", "<thinking>no</thinking>"]);
        assert_eq!(r, "");
        assert_eq!(c, "Sure. <thinking>no</thinking>");
    }

    proptest::proptest! {
        #[test]
        fn chunking_never_changes_the_result(
            text in "[ \n]{0,2}(<think(ing)?>|<thought>|<reasoning>|<th|x)?[a<>/thinkgé \n]{0,20}(</think(ing)?>|</thought>|</reasoning>)?[a<é \n]{0,6}",
            cuts in proptest::collection::vec(0usize..64, 0..10),
        ) {
            let (r1, c1, _) = run(&[text.as_str()]);
            let mut bounds: Vec<usize> = cuts
                .iter()
                .map(|c| c % (text.len() + 1))
                .filter(|c| text.is_char_boundary(*c))
                .collect();
            bounds.sort_unstable();
            bounds.push(text.len());
            let mut pieces = Vec::new();
            let mut last = 0;
            for b in bounds {
                if b >= last {
                    pieces.push(&text[last..b]);
                    last = b;
                }
            }
            let (r2, c2, _) = run(&pieces);
            proptest::prop_assert_eq!((r1, c1), (r2, c2));
        }
    }

    #[test]
    fn multibyte_text_is_safe() {
        let (r, c, _) = run(&["<thinking>思考", "中</thin", "king>答え"]);
        assert_eq!(r, "思考中");
        assert_eq!(c, "答え");
    }
}
