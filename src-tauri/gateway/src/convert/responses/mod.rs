//! OpenAI Responses API (`/v1/responses`) ⇄ neutral conversation / Kiro events.
//!
//! * [`request`]: body → [`ResponsesRequest`] → (through the chat path's
//!   [`crate::convert::openai::to_conversation`]) [`crate::convert::Conversation`].
//! * [`stream`]: output events ([`crate::convert::output`]) → Responses events / `response`
//!   object ([`ResponsesOutput`]).
//! * [`sealed`]: the `encrypted_content` that carries signed reasoning to the next turn.
//! * [`tools`]: function, namespace and custom tool declarations ⇄ flat Kiro tools.
//! * [`wire`]: the typed output items, stream events, `response` object and usage.

pub mod request;
pub mod sealed;
pub mod stream;
pub mod tools;
pub mod wire;

pub use request::{parse_responses_request, to_conversation_from, Item};
pub use stream::{ResponseEcho, ResponsesOutput, Status};

#[cfg(test)]
mod tests;
