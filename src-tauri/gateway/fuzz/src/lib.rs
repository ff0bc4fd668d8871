//! The gateway's event-stream decoder and typed events, compiled from the gateway's own source
//! files so that fuzz builds need five small crates instead of the gateway's whole dependency
//! tree. The two modules refer to each other only through `super::`, which keeps this working.

#[path = "../../src/kiro/eventstream.rs"]
pub mod eventstream;

#[path = "../../src/kiro/events.rs"]
pub mod events;
