//! The streaming filter: releases answer text as soon as it cannot be the start of a
//! rewrite, holding back only an undecided line start or a possible self-introduction.

use super::introduction::{introduction, is_word, Found};
use super::policy::IdentityPolicy;
use super::words::REPLACEMENT;

/// The most the filter holds back while it cannot decide; past it, the text is released
/// unchanged (only a fence line followed by this much whitespace can get here).
pub const MAX_HOLD: usize = 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Fence {
    ch: u8,
    len: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Line {
    /// At the start of a line, nothing of it decided yet.
    Start,
    /// Ordinary text; self-introductions are rewritten unless `protected` (an indented line).
    Prose { protected: bool },
    /// A fence line or a line inside a fenced block: passed through to its end.
    Code,
    /// A removed IDE tool list item: dropped up to and including its newline.
    Dropped,
}

enum Decision<T> {
    Hold,
    Done(T),
}

/// See the module documentation.
#[derive(Debug, Clone)]
pub struct IdentityFilter {
    policy: IdentityPolicy,
    pending: String,
    line: Line,
    fence: Option<Fence>,
    /// The opening fence's run may still be growing (the chunk ended inside it).
    fence_growing: bool,
    /// Inside an inline code span opened by this many backticks.
    inline: Option<usize>,
    /// Backticks in a row just released (a run is resolved at the next other character).
    ticks: usize,
    /// The current line held only whitespace so far.
    blank: bool,
    /// The last character released (word boundary of a self-introduction).
    prev: Option<char>,
    /// Indentation of the list item just removed: more-indented lines belong to it.
    item_indent: Option<usize>,
    /// The answer already introduced the IDE.
    ide_context: bool,
    changes: usize,
}

impl IdentityFilter {
    pub fn new(policy: IdentityPolicy) -> Self {
        IdentityFilter {
            policy,
            pending: String::new(),
            line: Line::Start,
            fence: None,
            fence_growing: false,
            inline: None,
            ticks: 0,
            blank: true,
            prev: None,
            item_indent: None,
            ide_context: false,
            changes: 0,
        }
    }

    #[cfg(test)]
    /// How many self-introductions were rewritten and list items removed so far.
    pub fn changes(&self) -> usize {
        self.changes
    }

    /// Feed a chunk; returns the text that is safe to send now.
    pub fn push(&mut self, chunk: &str) -> String {
        if self.policy.is_empty() {
            return chunk.to_string();
        }
        self.pending.push_str(chunk);
        self.run(false)
    }

    /// Release everything held (end of the text, or before a tool call).
    pub fn flush(&mut self) -> String {
        if self.policy.is_empty() {
            return String::new();
        }
        let out = self.run(true);
        self.end_tick_run();
        out
    }

    fn run(&mut self, end: bool) -> String {
        let pending = std::mem::take(&mut self.pending);
        let mut out = String::with_capacity(pending.len());
        let mut i = 0;
        while i < pending.len() {
            let rest = &pending[i..];
            match self.line {
                Line::Start => match self.line_start(rest, end) {
                    Decision::Hold => break,
                    Decision::Done(line) => self.line = line,
                },
                Line::Code => {
                    let n = rest.find('\n').map_or(rest.len(), |p| p + 1);
                    let segment = &rest[..n];
                    self.grow_fence(segment);
                    out.push_str(segment);
                    i += n;
                    if segment.ends_with('\n') {
                        self.new_line();
                    }
                }
                Line::Dropped => {
                    let n = rest.find('\n').map_or(rest.len(), |p| p + 1);
                    i += n;
                    if rest[..n].ends_with('\n') {
                        self.new_line();
                    }
                }
                Line::Prose { protected } => {
                    let Some(c) = rest.chars().next() else { break };
                    if c == '`' {
                        self.ticks += 1;
                        self.release(c, &mut out);
                        i += 1;
                        continue;
                    }
                    self.end_tick_run();
                    if c == '\n' {
                        if self.blank {
                            // A blank line ends a paragraph: no code span crosses it.
                            self.inline = None;
                            self.item_indent = None;
                        }
                        out.push(c);
                        i += 1;
                        self.new_line();
                        continue;
                    }
                    if c == 'I'
                        && !protected
                        && self.inline.is_none()
                        && self.policy.identity
                        && self.prev.is_none_or(|p| !is_word(p))
                    {
                        match introduction(rest, end) {
                            Found::Hold => break,
                            Found::Match { len, speaker } => {
                                out.push_str(speaker);
                                out.push_str(REPLACEMENT);
                                i += len;
                                self.prev = REPLACEMENT.chars().last();
                                self.blank = false;
                                self.ide_context = true;
                                self.changes += 1;
                                tracing::debug!("identity sanitising: rewrote a self-introduction");
                                continue;
                            }
                            Found::None => {}
                        }
                    }
                    self.release(c, &mut out);
                    i += c.len_utf8();
                }
            }
        }
        self.pending = pending[i..].to_string();
        out
    }

    fn release(&mut self, c: char, out: &mut String) {
        out.push(c);
        if !c.is_whitespace() {
            self.blank = false;
        }
        self.prev = Some(c);
    }

    fn new_line(&mut self) {
        self.line = Line::Start;
        self.blank = true;
        self.prev = Some('\n');
    }

    /// A run of backticks ended: it opens or closes an inline code span.
    fn end_tick_run(&mut self) {
        if self.ticks == 0 {
            return;
        }
        match self.inline {
            None => self.inline = Some(self.ticks),
            Some(n) if n == self.ticks => self.inline = None,
            Some(_) => {}
        }
        self.ticks = 0;
    }

    /// Count the opening fence's run while it is still arriving.
    fn grow_fence(&mut self, segment: &str) {
        if !self.fence_growing {
            return;
        }
        let Some(fence) = self.fence.as_mut() else {
            self.fence_growing = false;
            return;
        };
        let bytes = segment.as_bytes();
        let start = if fence.len == 0 {
            bytes.iter().take_while(|b| **b == b' ').count()
        } else {
            0
        };
        let run = bytes[start..]
            .iter()
            .take_while(|b| **b == fence.ch)
            .count();
        fence.len += run;
        if start + run < bytes.len() {
            self.fence_growing = false;
        }
    }

    /// Decide what the line starting at `rest` is.
    fn line_start(&mut self, rest: &str, end: bool) -> Decision<Line> {
        let hold = |fallback: Line| {
            if rest.len() >= MAX_HOLD {
                Decision::Done(fallback)
            } else {
                Decision::Hold
            }
        };
        let bytes = rest.as_bytes();
        let (indent, k) = indentation(bytes);
        if k == bytes.len() && !end {
            return hold(match self.fence {
                Some(_) => Line::Code,
                None => Line::Prose { protected: true },
            });
        }
        if let Some(fence) = self.fence {
            if indent >= 4 {
                return Decision::Done(Line::Code);
            }
            let run = bytes[k..].iter().take_while(|b| **b == fence.ch).count();
            if run < fence.len {
                if k + run == bytes.len() && !end {
                    return hold(Line::Code);
                }
                return Decision::Done(Line::Code);
            }
            let tail = bytes[k + run..]
                .iter()
                .take_while(|b| matches!(b, b' ' | b'\t' | b'\r'))
                .count();
            match bytes.get(k + run + tail) {
                Some(b'\n') => {}
                None if end => {}
                None => return hold(Line::Code),
                Some(_) => return Decision::Done(Line::Code),
            }
            self.fence = None;
            return Decision::Done(Line::Code);
        }
        if let Some(item) = self.item_indent {
            let content = bytes.get(k).is_some_and(|b| *b != b'\n' && *b != b'\r');
            if content && indent >= item + 2 {
                return Decision::Done(Line::Dropped);
            }
            if content {
                self.item_indent = None;
            }
        }
        if indent >= 4 {
            return Decision::Done(Line::Prose { protected: true });
        }
        if let Some(&ch) = bytes.get(k).filter(|b| **b == b'`' || **b == b'~') {
            let run = bytes[k..].iter().take_while(|b| **b == ch).count();
            if run >= 3 {
                self.fence = Some(Fence { ch, len: 0 });
                self.fence_growing = true;
                self.inline = None;
                self.ticks = 0;
                return Decision::Done(Line::Code);
            }
            if k + run == bytes.len() && !end {
                return hold(Line::Prose { protected: false });
            }
        }
        if self.inline.is_none() && !self.policy.tools.is_empty() {
            match self.tool_item(&rest[k..], end) {
                Decision::Hold => return hold(Line::Prose { protected: false }),
                Decision::Done(Some(distinctive)) => {
                    self.item_indent = Some(indent);
                    self.ide_context |= distinctive;
                    self.changes += 1;
                    tracing::debug!("identity sanitising: removed an IDE tool list item");
                    return Decision::Done(Line::Dropped);
                }
                Decision::Done(None) => {}
            }
        }
        Decision::Done(Line::Prose { protected: false })
    }

    /// Is `s` (a line after its indentation) a list item headed by a removable IDE tool?
    /// `Some(distinctive)` when it is.
    fn tool_item(&self, s: &str, end: bool) -> Decision<Option<bool>> {
        let need = if end {
            Decision::Done(None)
        } else {
            Decision::Hold
        };
        let b = s.as_bytes();
        // Bullets only: a numbered item would mean holding back every line that starts with
        // a number ("2024 was …") until its first word ends.
        let mut k = match b.first() {
            None => return need,
            Some(b'-' | b'*' | b'+') => 1,
            Some(_) => return Decision::Done(None),
        };
        let spaces = b[k..].iter().take_while(|c| **c == b' ').count();
        if k + spaces == b.len() {
            return need;
        }
        if spaces == 0 {
            return Decision::Done(None);
        }
        k += spaces;
        let bold = match &s[k..] {
            "*" => return need,
            rest if rest.starts_with("**") => true,
            _ => false,
        };
        if bold {
            k += 2;
        }
        let name_len = b[k..]
            .iter()
            .take_while(|c| c.is_ascii_alphanumeric() || **c == b'_')
            .count();
        if k + name_len == b.len() && !end {
            return Decision::Hold;
        }
        let Some(distinctive) = self.policy.tool(&s[k..k + name_len]) else {
            return Decision::Done(None);
        };
        if !distinctive && !self.ide_context {
            return Decision::Done(None);
        }
        k += name_len;
        if bold {
            match &s[k..] {
                "*" => return need,
                rest if rest.starts_with("**") => k += 2,
                _ => return Decision::Done(None),
            }
        }
        match s[k..].chars().next() {
            None if end => Decision::Done(Some(distinctive)),
            None => Decision::Hold,
            Some(c) if c.is_whitespace() || ":,;(/\u{2013}\u{2014}".contains(c) => {
                Decision::Done(Some(distinctive))
            }
            Some(_) => Decision::Done(None),
        }
    }
}

/// Width of the leading spaces and tabs (a tab counts 4) and their length in bytes. Stops
/// counting past 16 columns.
fn indentation(bytes: &[u8]) -> (usize, usize) {
    let mut width = 0;
    let mut k = 0;
    while k < bytes.len() && width <= 16 {
        match bytes[k] {
            b' ' => width += 1,
            b'\t' => width += 4,
            _ => break,
        }
        k += 1;
    }
    (width, k)
}
