//! The fake Kiro upstream itself: it must follow docs/kiro-protocol.md, including what Kiro rejects.
//!
//! One test binary per area (each file below is a module), so a change links a few
//! binaries instead of one per file.

mod fake_auth;
mod fake_bin;
mod fake_catalog;
mod fake_eventstream;
mod fake_fixtures;
mod fake_stream;
mod fake_validation;
