//! OpenAI Chat Completions ⇄ neutral conversation / Kiro events.
//!
//! * [`request`]: body → [`ChatRequest`] → [`crate::convert::Conversation`].
//! * [`stream`]: output events ([`crate::convert::output`]) → `chat.completion.chunk`s /
//!   `chat.completion` ([`ChatOutput`]).
//! * [`wire`]: the typed chunk, completion and usage structs.
//! * [`details`]: signed and encrypted reasoning as `reasoning_details` items.

pub mod details;
pub mod request;
pub mod stream;
pub mod wire;

#[cfg(test)]
mod request_tests;
#[cfg(test)]
mod stream_tests;

pub(crate) use request::parse_effort;
pub use request::{
    parse_chat_request, strip_code_fence, to_conversation, AssistantToolCall, ChatMessage,
    ChatRequest, ReasoningEffort, ResponseFormat, UserPart,
};
pub use stream::{openai_call_id, ChatOutput, ChatOutputOptions};
