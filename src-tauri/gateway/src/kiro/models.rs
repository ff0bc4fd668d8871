//! Kiro models: client name normalisation, the static fallback table and the catalogue's
//! reasoning schema (`docs/kiro-protocol-notes.md`, "Models and the catalogue").

pub mod limits;
pub mod names;
pub mod reasoning_schema;

pub use limits::{context_window, max_output_tokens, payload_limit};
pub use names::{
    close_matches, normalize_model_name, resolve_model, resolve_model_with_aliases,
    route_long_context, ResolvedModel,
};
pub use reasoning_schema::ReasoningCapabilities;
