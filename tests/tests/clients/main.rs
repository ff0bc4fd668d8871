//! The real client programs (pinned CLIs) against the gateway and the fake, as docs/clients.md configures them.
//!
//! One test binary per area (each file below is a module), so a change links a few
//! binaries instead of one per file.

#[path = "../anthropic_common/mod.rs"]
mod anthropic_common;
mod connect_tools;
mod real_clients;
mod real_clients_more;
