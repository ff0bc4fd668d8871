//! Model catalogue and client model-name normalisation (protocol doc §7).
