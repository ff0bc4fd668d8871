//! IDE-identity sanitising of answer text (response side; docs/identity.md).
//!
//! Kiro's backend puts the Kiro IDE's own instructions in front of every conversation ("You
//! are Kiro, an AI assistant and IDE built to assist developers", and IDE-only tools such as
//! `fsWrite` or `executeBash`). Asked who it is, the model introduces itself as the IDE, and
//! asked what it can do, it lists the IDE's tools. [`IdentityFilter`] rewrites exactly two
//! shapes of that, and nothing else:
//!
//! * **Self-introductions**: a first-person "I'm Kiro" / "I am Kiro" / "I'm an AI assistant
//!   and IDE", with at most one known description after it (", an AI assistant and IDE",
//!   ", an AI-powered development environment", …) and one known maker (" made by AWS", …),
//!   becomes "I'm an AI assistant" / "I am an AI assistant". Exact case; a word boundary on
//!   both sides ("I'm Kirov" stays). The list is [`SPEAKERS`], [`SUBJECTS`], [`DESCRIPTIONS`],
//!   [`MAKERS`].
//! * **IDE tool list items**: a Markdown bullet item whose head is an IDE-only tool name
//!   ([`IDE_TOOLS`]), bare or in bold (`- fsWrite: creates files`, `* **executeBash** – …`),
//!   is removed with the more-indented lines under it. Names that are also ordinary
//!   identifiers (`readFile`, `listDirectory`, …) only once the same answer already introduced
//!   the IDE (a self-introduction was rewritten or a distinctive tool item removed).
//!
//! [`IdentityPolicy::for_conversation`] decides per request what may be rewritten: nothing
//! about identity when the client's own request mentions "Kiro" (or "assistant and IDE"),
//! and no tool the client declared or whose name appears anywhere in its request.
//!
//! Never changed: fenced code blocks (``` or ~~~, from the fence line to its closing fence),
//! lines indented by four spaces or a tab, inline code spans (a head written `` `fsWrite` `` is
//! inline code, so that item stays), and everything that is not answer text (reasoning, tool
//! calls and their arguments go through other paths).
//!
//! Streaming: [`IdentityFilter::push`] releases text as soon as it cannot be the start of
//! something the filter rewrites. It holds back only an undecided line start (indentation,
//! a fence, a bullet item's head) or a possible self-introduction, at most [`MAX_HOLD`] bytes;
//! an ordinary line (one starting with a letter other than `I`, a digit, …) is never held.
//! [`IdentityFilter::flush`] releases the rest at the end of the text or before a tool call.
//! The result does not depend on how the text was cut into chunks.

mod filter;
mod introduction;
mod policy;
mod words;

pub use filter::IdentityFilter;
pub use policy::IdentityPolicy;

#[cfg(test)]
/// The whole text through a filter with `policy`, as non-streaming answers get it.
pub fn sanitise(policy: &IdentityPolicy, text: &str) -> String {
    let mut filter = IdentityFilter::new(policy.clone());
    let mut out = filter.push(text);
    out.push_str(&filter.flush());
    out
}

#[cfg(test)]
#[path = "identity_tests.rs"]
mod tests;
