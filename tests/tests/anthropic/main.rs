//! The Anthropic Messages dialect, in process and through the official SDK and Claude Code.
//!
//! One test binary per area (each file below is a module), so a change links a few
//! binaries instead of one per file.

mod anthropic_claude_code;
#[path = "../anthropic_common/mod.rs"]
mod anthropic_common;
mod anthropic_errors;
mod anthropic_messages;
mod anthropic_models;
mod anthropic_ping;
mod anthropic_sdk;
