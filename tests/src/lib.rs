//! A fake Kiro upstream that follows `kiro-protocol.md`, and helpers for end-to-end tests.

pub mod fake;
pub mod gateway_process;
pub mod harness;
pub mod real_client;
pub mod release_feed;
pub mod sse;
pub mod tool_loop;
pub mod upstream;
