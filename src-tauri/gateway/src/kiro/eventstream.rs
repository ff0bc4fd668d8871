//! Incremental AWS event-stream decoder (protocol doc §6.2–6.3) and an encoder for tests
//! and the fake upstream.

// TEMPORARY stub until the decoder lands; replaced wholesale by the real module.
use super::events::KiroEvent;

#[derive(Debug, thiserror::Error)]
#[error("decode error")]
pub struct DecodeError;

#[derive(Default)]
pub struct EventDecoder;

impl EventDecoder {
    pub fn new() -> Self {
        EventDecoder
    }
    pub fn feed(&mut self, _bytes: &[u8]) {}
    pub fn next_event(&mut self) -> Result<Option<KiroEvent>, DecodeError> {
        Ok(None)
    }
    pub fn finish(&self) -> Result<(), DecodeError> {
        Ok(())
    }
}
