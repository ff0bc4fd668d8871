//! Stop-sequence enforcement on a streamed text (dialect-neutral).
//!
//! [`StopMatcher::push`] releases text as soon as it cannot be the start of a stop sequence.
//! Only the shortest tail that is a proper prefix of some stop sequence is held back, so a
//! sequence split across chunks is still found and never leaks. When a sequence is found the
//! text is cut right before it and the matcher is done. `max_tokens` is enforced with
//! [`super::usage::TokenMeter`] on the released text, so both limits use one estimate.

/// See the module documentation.
#[derive(Debug, Clone, Default)]
pub struct StopMatcher {
    stops: Vec<String>,
    held: String,
    matched: Option<String>,
}

/// Result of feeding text to a [`StopMatcher`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StopOutput {
    /// Text that is safe to emit now.
    pub text: String,
    /// The stop sequence that ended the text, if one was found.
    pub stopped_by: Option<String>,
}

impl StopMatcher {
    /// Empty sequences are ignored.
    pub fn new(stops: &[String]) -> Self {
        StopMatcher {
            stops: stops.iter().filter(|s| !s.is_empty()).cloned().collect(),
            held: String::new(),
            matched: None,
        }
    }

    /// The stop sequence that matched, if any.
    pub fn matched(&self) -> Option<&str> {
        self.matched.as_deref()
    }

    /// Feed a chunk. After a match, further input is ignored.
    pub fn push(&mut self, chunk: &str) -> StopOutput {
        if self.matched.is_some() {
            return StopOutput::default();
        }
        if self.stops.is_empty() {
            return StopOutput {
                text: chunk.to_string(),
                stopped_by: None,
            };
        }
        self.held.push_str(chunk);
        // The sequence that completes first (as generation would hit it); on a tie the
        // one that starts first. This makes the result independent of chunking.
        let mut best: Option<(usize, &String)> = None;
        for stop in &self.stops {
            if let Some(pos) = self.held.find(stop.as_str()) {
                let better = match best {
                    None => true,
                    Some((p, s)) => {
                        let (end, best_end) = (pos + stop.len(), p + s.len());
                        end < best_end || (end == best_end && pos < p)
                    }
                };
                if better {
                    best = Some((pos, stop));
                }
            }
        }
        if let Some((pos, stop)) = best {
            let stop = stop.clone();
            let text = self.held[..pos].to_string();
            self.held.clear();
            self.matched = Some(stop.clone());
            return StopOutput {
                text,
                stopped_by: Some(stop),
            };
        }
        let keep = self
            .stops
            .iter()
            .map(|s| partial_suffix_len(&self.held, s))
            .max()
            .unwrap_or(0);
        let cut = self.held.len() - keep;
        let text = self.held[..cut].to_string();
        self.held.drain(..cut);
        StopOutput {
            text,
            stopped_by: None,
        }
    }

    /// Release the held-back tail (end of the text stream, or before a non-text event: a
    /// stop sequence cannot span a tool call).
    pub fn flush(&mut self) -> String {
        std::mem::take(&mut self.held)
    }
}

/// Length of the longest proper suffix of `text` that is a prefix of `pattern`.
fn partial_suffix_len(text: &str, pattern: &str) -> usize {
    let max = pattern.len().saturating_sub(1).min(text.len());
    (1..=max)
        .rev()
        .find(|&k| {
            let start = text.len() - k;
            text.is_char_boundary(start) && pattern.starts_with(&text[start..])
        })
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stops(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn no_stops_passes_through() {
        let mut m = StopMatcher::new(&[]);
        assert_eq!(m.push("abc").text, "abc");
        assert_eq!(m.flush(), "");
    }

    #[test]
    fn match_inside_one_chunk() {
        let mut m = StopMatcher::new(&stops(&["END"]));
        let out = m.push("hello END world");
        assert_eq!(out.text, "hello ");
        assert_eq!(out.stopped_by.as_deref(), Some("END"));
        assert_eq!(m.push("more"), StopOutput::default());
    }

    #[test]
    fn split_across_chunks_holds_only_the_minimum() {
        let mut m = StopMatcher::new(&stops(&["\n\nUser:"]));
        assert_eq!(m.push("Hi\n").text, "Hi");
        assert_eq!(m.push("\nUs").text, "");
        let out = m.push("er: next");
        assert_eq!(out.text, "");
        assert!(out.stopped_by.is_some());
    }

    #[test]
    fn false_start_is_released() {
        let mut m = StopMatcher::new(&stops(&["STOP"]));
        assert_eq!(m.push("ST").text, "");
        assert_eq!(m.push("ART ").text, "START ");
        assert_eq!(m.push("S").text, "");
        assert_eq!(m.flush(), "S");
    }

    #[test]
    fn first_completed_of_several_wins() {
        let mut m = StopMatcher::new(&stops(&["b", "abc", ""]));
        let out = m.push("xxabcd");
        assert_eq!(out.text, "xxa");
        assert_eq!(out.stopped_by.as_deref(), Some("b"));
        let mut m = StopMatcher::new(&stops(&["c", "abc"]));
        let out = m.push("xxabcd");
        assert_eq!(out.text, "xx");
        assert_eq!(out.stopped_by.as_deref(), Some("abc"));
    }

    fn split_run(stops_list: &[String], text: &str, cuts: &[usize]) -> (String, Option<String>) {
        let mut m = StopMatcher::new(stops_list);
        let mut out = String::new();
        let mut last = 0;
        let mut bounds: Vec<usize> = cuts
            .iter()
            .map(|c| c % (text.len() + 1))
            .filter(|c| text.is_char_boundary(*c))
            .collect();
        bounds.sort_unstable();
        bounds.push(text.len());
        for b in bounds {
            if b < last {
                continue;
            }
            let r = m.push(&text[last..b]);
            out.push_str(&r.text);
            last = b;
            if r.stopped_by.is_some() {
                return (out, r.stopped_by);
            }
        }
        out.push_str(&m.flush());
        (out, None)
    }

    proptest::proptest! {
        #[test]
        fn chunking_never_changes_the_result(
            text in "[ab<>/é]{0,24}",
            list in proptest::collection::vec("[ab<>/é]{1,4}", 0..4),
            cuts in proptest::collection::vec(0usize..64, 0..12),
        ) {
            let whole = split_run(&list, &text, &[]);
            let split = split_run(&list, &text, &cuts);
            proptest::prop_assert_eq!(&whole, &split);
            match &whole.1 {
                Some(stop) => {
                    let expected_prefix = [whole.0.as_str(), stop.as_str()].concat();
                    proptest::prop_assert!(text.starts_with(&expected_prefix));
                }
                None => proptest::prop_assert_eq!(&whole.0, &text),
            }
        }
    }

    #[test]
    fn multibyte_safe() {
        let mut m = StopMatcher::new(&stops(&["é!"]));
        assert_eq!(m.push("café").text, "caf");
        assert_eq!(m.push("?").text, "é?");
    }
}
