//! Anthropic Messages ⇄ neutral conversation / Kiro events.

pub mod request;
pub mod stream;
pub mod wire;

#[cfg(test)]
mod stream_tests;
