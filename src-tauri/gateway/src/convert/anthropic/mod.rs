//! Anthropic Messages ⇄ neutral conversation / Kiro events.

pub mod request;
pub mod stream;

#[cfg(test)]
mod stream_tests;
