//! The programs around the gateway: the command line, packaging, settings, updates, logins, the desktop commands.
//!
//! One test binary per area (each file below is a module), so a change links a few
//! binaries instead of one per file.

#[path = "../anthropic_common/mod.rs"]
mod anthropic_common;
mod atomic_write;
mod desktop_chat;
mod desktop_commands;
mod e2e_cli;
mod kiro_logins;
mod packaging;
mod settings_edits;
mod update_check;
