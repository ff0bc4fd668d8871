//! Incremental AWS event-stream decoder (protocol doc §6.2–6.3) and an encoder for tests
//! and the fake upstream.
