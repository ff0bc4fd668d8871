//! The HTTP server: connections, the request guard, ids, the surface, OpenAPI, metrics, dumps.
//!
//! One test binary per area (each file below is a module), so a change links a few
//! binaries instead of one per file.

#[path = "../anthropic_common/mod.rs"]
mod anthropic_common;
mod connection_limits;
mod connection_reuse;
mod debug_dumps;
mod e2e_gateway;
mod gateway_surface;
mod metrics_endpoint;
#[path = "../openai_support/mod.rs"]
mod openai_support;
mod openapi;
mod request_guard;
mod request_ids;
