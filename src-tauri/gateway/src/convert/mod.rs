//! Pure converters: client dialect → neutral [`Conversation`] → Kiro request, and Kiro
//! events → neutral output events ([`output`]) → client dialect. No I/O in here.

pub mod anthropic;
pub mod conversation;
pub mod identity;
pub mod images;
pub mod json_at;
pub mod kiro_request;
pub mod openai;
pub mod output;
pub mod reasoning_tags;
pub mod responses;
pub mod stop;
pub mod text_shaper;
pub mod tool_calls;
pub mod trailer;
pub mod usage;

pub use conversation::Conversation;
