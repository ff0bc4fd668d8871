//! How the gateway meets Kiro: errors, holds, timeouts, refreshes, the catalogue, reasoning, trailers, recovery.
//!
//! One test binary per area (each file below is a module), so a change links a few
//! binaries instead of one per file.

#[path = "../anthropic_common/mod.rs"]
mod anthropic_common;
mod conversation_identity;
mod credits_spent;
mod cut_off_recovery;
mod cut_tool_calls;
mod december_trailer;
mod drift;
mod empty_answers;
mod identity_sanitising;
mod model_catalogue;
mod native_reasoning;
mod quota_errors;
mod refresh_failures;
mod upstream_client;
mod upstream_holds;
mod upstream_timeouts;
mod usage_limits;
