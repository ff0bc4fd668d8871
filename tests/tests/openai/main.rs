//! The OpenAI dialects (Chat Completions, Responses, models) through the real binary and the official clients.
//!
//! One test binary per area (each file below is a module), so a change links a few
//! binaries instead of one per file.

mod openai_client;
mod openai_errors;
mod openai_models;
mod openai_python;
mod openai_stream;
#[path = "../openai_support/mod.rs"]
mod openai_support;
mod responses_api;
