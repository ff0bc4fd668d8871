//! Everything that speaks to the Kiro service.

pub mod client;
pub mod events;
pub mod eventstream;
pub mod models;
