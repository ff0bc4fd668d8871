//! Kiro Gateway: a local OpenAI- and Anthropic-compatible gateway in front of the Kiro API.
//!
//! The crate has no Tauri dependency; the desktop shell and the headless binary both drive
//! it through [`server::Controller`].

pub mod admin;
pub(crate) mod api;
pub mod app;
pub mod autostart;
pub(crate) mod aws_ids;
pub mod boot;
pub mod cli;
pub mod config;
pub(crate) mod connect;
pub mod convert;
pub mod credentials;
pub mod credit_caps;
pub(crate) mod credit_ledger;
pub(crate) mod cut_offs;
pub mod debug_dump;
pub(crate) mod drift;
pub(crate) mod error;
pub(crate) mod exposure;
pub mod gateway;
pub(crate) mod key_attempts;
pub mod kiro;
pub mod logs;
pub mod loopback_chat;
pub(crate) mod metrics;
pub mod notices;
pub(crate) mod paths;
pub(crate) mod request_id;
pub(crate) mod responses_store;
pub mod secrets;
pub mod server;
pub mod settings;
pub mod status_view;
pub mod updates;

pub use secrets::Secret;

/// The routes a gateway serves (`/v1`, `/admin`, the UI, …), for [`server::Controller::new`];
/// `/admin` answers through the handle in `admin` once the program put one there.
pub fn routes(admin: admin::AdminSlot) -> server::Routes {
    std::sync::Arc::new(move |state| {
        api::router(admin::ControlPlane::new(state, admin.get().cloned()))
    })
}
