//! Everything that speaks to the Kiro service.

pub mod catalog;
pub mod client;
pub mod cooldown;
pub mod events;
pub mod eventstream;
pub mod login;
pub mod models;
pub mod retries;
pub mod stream;
pub mod tap;
pub mod upstream_error;
pub mod usage_limits;
pub mod usage_summary;
pub mod wire;

pub use client::{ClientSettings, KiroClient};
pub use stream::EventStream;
pub use upstream_error::UpstreamError;
