//! Pure converters: client dialect → neutral [`Conversation`] → Kiro request, and Kiro
//! events → neutral output events ([`output`]) → client dialect. No I/O in here.

pub(crate) mod anthropic;
pub(crate) mod conversation;
pub(crate) mod identity;
pub(crate) mod images;
pub(crate) mod json_at;
pub mod kiro_request;
pub(crate) mod openai;
pub(crate) mod output;
pub(crate) mod reasoning_tags;
pub(crate) mod responses;
pub(crate) mod stop;
pub(crate) mod text_shaper;
pub(crate) mod tool_calls;
pub mod trailer;
pub(crate) mod usage;

pub use conversation::Conversation;
