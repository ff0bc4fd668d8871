//! The one output machine: Kiro events → neutral output events ([`OutputEvent`]), which
//! the dialects render ([`crate::convert::openai::stream`],
//! [`crate::convert::anthropic::stream`], [`crate::convert::responses::stream`]).
//!
//! [`OutputMachine`] owns everything that does not depend on the wire:
//! * Text shaping ([`crate::convert::text_shaper`]): text deltas go out as they arrive;
//!   identical consecutive chunks are **never** dropped (docs/kiro-protocol.md#duplicate-text);
//!   empty text events produce nothing. Native reasoning and (with `reasoning_tags`)
//!   reasoning tagged at the start of the text ([`crate::convert::reasoning_tags`]) become
//!   [`OutputEvent::Reasoning`]; a partial tag never reaches the text.
//! * Stop sequences on the text across chunk boundaries ([`crate::convert::stop`]);
//!   `max_tokens` on text + reasoning with the same estimate as the usage
//!   ([`crate::convert::usage`]). Tool-call names and arguments count towards usage but are
//!   never cut. When either limit hits ([`OutputMachine::cut`]) the machine is finished
//!   ([`OutputMachine::is_finished`]): the caller drops the upstream and calls
//!   [`OutputMachine::finish`].
//! * Tool-call assembly ([`crate::convert::tool_calls`]): a start (name mapped back through
//!   `tool_names`), then one argument delta per non-empty fragment.
//! * Reasoning signatures and encrypted reasoning (`redactedContent`) are passed on as Kiro
//!   sends them; how a stretch of reasoning is signed is the dialect's business.
//! * The trailer ([`crate::convert::trailer`]) and the finish reason ([`FinishReason`],
//!   first match wins — see [`finish::finish_reason`]).
//! * Usage ([`Usage`]): upstream token counts when a `metadataEvent` carried them, else the
//!   local estimates; credits from `meteringEvent`s.
//! * Errors after the stream started: an exception (other than
//!   `ContentLengthExceededException`, which finishes normally with a length reason) or
//!   error event — or [`OutputMachine::on_failure`] for errors outside the event stream —
//!   releases held text, then ends the output with [`OutputEvent::Failure`]; the machine is
//!   finished and [`OutputMachine::finish`] returns nothing.

pub mod event;
pub mod failure;
pub mod finish;
pub mod machine;
pub mod usage;

#[cfg(test)]
mod tests;

pub use event::{Finish, FinishReason, OutputEvent};
pub use failure::{stream_error, CONTENT_LENGTH_EXCEEDED};
pub use machine::{OutputMachine, OutputOptions};
pub use usage::Usage;
