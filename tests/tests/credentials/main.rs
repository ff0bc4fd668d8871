//! Kiro credentials end to end: discovery, refresh, tokens other programs write (renamed into
//! place the way the Kiro IDE does, or into kiro-cli's SQLite database), busy databases.
//!
//! One test binary per area (each file below is a module), so a change links a few
//! binaries instead of one per file.

mod credentials_busy;
mod credentials_flow;
#[path = "../credentials_support/mod.rs"]
mod credentials_support;
