//! Anthropic Messages ⇄ neutral conversation / Kiro events.

pub mod request;
