//! OpenAI Responses API (`/v1/responses`) ⇄ neutral conversation / Kiro events.
//!
//! * [`request`]: body → [`ResponsesRequest`] → (through the chat path's
//!   [`crate::convert::openai::to_conversation`]) [`crate::convert::Conversation`].
//! * [`stream`]: Kiro events → Responses events / `response` object ([`ResponsesOutput`]),
//!   on top of the chat path's [`crate::convert::openai::ChatOutput`].

pub mod request;
pub mod stream;

pub use request::{
    parse_item, parse_responses_request, to_conversation_from, Item, ResponsesRequest,
};
pub use stream::{ResponseEcho, ResponsesOutput, Status};

#[cfg(test)]
mod tests;
