//! Model catalogue and client model-name normalisation (protocol doc §7).

pub mod names;

pub use names::{
    close_matches, context_window, max_output_tokens, normalize_model_name, resolve_model,
    resolve_model_with_aliases, ResolvedModel,
};
