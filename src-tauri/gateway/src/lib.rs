//! Kiro Gateway: a local OpenAI- and Anthropic-compatible gateway in front of the Kiro API.
//!
//! The crate has no Tauri dependency; the desktop shell and the headless binary both drive
//! it through [`server::Controller`].

pub mod admin;
pub mod api;
pub mod app;
pub mod autostart;
pub mod aws_ids;
pub mod boot;
pub mod cli;
pub mod config;
pub mod connect;
pub mod convert;
pub mod credentials;
pub mod credit_caps;
pub mod credit_ledger;
pub mod cut_offs;
pub mod debug_dump;
pub mod drift;
pub mod error;
pub mod exposure;
pub mod gateway;
pub mod key_attempts;
pub mod kiro;
pub mod logs;
pub mod loopback_chat;
pub mod metrics;
pub mod notices;
pub mod paths;
pub mod request_id;
pub mod responses_store;
pub mod secrets;
pub mod server;
pub mod settings;
pub mod status_view;
pub mod updates;

pub use config::Config;
pub use error::{ApiError, Dialect};
pub use logs::{LogBuffer, RequestRecord, RequestTrace};
pub use secrets::{Secret, SecretStore};

/// The routes a gateway serves (`/v1`, `/admin`, the UI, …), for [`server::Controller::new`];
/// `/admin` answers through the handle in `admin` once the program put one there.
pub fn routes(admin: admin::AdminSlot) -> server::Routes {
    std::sync::Arc::new(move |state| {
        api::router(admin::ControlPlane::new(state, admin.get().cloned()))
    })
}
