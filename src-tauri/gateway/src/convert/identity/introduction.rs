//! Matching a self-introduction at a point of the answer.

use std::sync::LazyLock;

use super::words::{DESCRIPTIONS, MAKERS, SPEAKERS, SUBJECTS};

/// Every self-introduction, longest first, with its speaker.
pub(super) static INTRODUCTIONS: LazyLock<Vec<(String, &'static str)>> = LazyLock::new(|| {
    let mut all = Vec::new();
    for &speaker in SPEAKERS {
        for &subject in SUBJECTS {
            let descriptions: &[&str] = if subject == " Kiro" {
                DESCRIPTIONS
            } else {
                &[]
            };
            for description in std::iter::once("").chain(descriptions.iter().copied()) {
                let makers = MAKERS.iter().flat_map(|m| [m.to_string(), format!(",{m}")]);
                for maker in std::iter::once(String::new()).chain(makers) {
                    all.push((format!("{speaker}{subject}{description}{maker}"), speaker));
                }
            }
        }
    }
    all.sort_by_key(|(text, _)| std::cmp::Reverse(text.len()));
    all
});

pub(super) enum Found {
    Hold,
    Match { len: usize, speaker: &'static str },
    None,
}

/// A letter, digit or `_`: part of a word.
pub(super) fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// A self-introduction at the start of `rest` (the longest one followed by a word boundary).
pub(super) fn introduction(rest: &str, end: bool) -> Found {
    let all = &*INTRODUCTIONS;
    if !end
        && all
            .iter()
            .any(|(text, _)| text.len() > rest.len() && text.starts_with(rest))
    {
        return Found::Hold;
    }
    for (text, speaker) in all {
        if let Some(after) = rest.strip_prefix(text.as_str()) {
            match after.chars().next() {
                None if end => {
                    return Found::Match {
                        len: text.len(),
                        speaker,
                    }
                }
                None => return Found::Hold,
                Some(c) if !is_word(c) => {
                    return Found::Match {
                        len: text.len(),
                        speaker,
                    }
                }
                Some(_) => {}
            }
        }
    }
    Found::None
}
