//! Arbitrary bytes, fed to `EventDecoder` in arbitrary chunks. Besides "no panic", checks that
//! the outcome does not depend on the chunking and that buffering stays within the frame bound.

#![no_main]

use kiro_gateway_fuzz::events::EventDecoder;
use kiro_gateway_fuzz::eventstream::{DEFAULT_MAX_FRAME_SIZE, MIN_FRAME_LEN};
use libfuzzer_sys::fuzz_target;

/// A small bound too, so that oversized frames are reachable with short inputs.
const SMALL_MAX_FRAME_SIZE: usize = 256;

fuzz_target!(|data: &[u8]| {
    let Some((&control, rest)) = data.split_first() else {
        return;
    };
    // Low nibble: how many of the next bytes give chunk sizes; high bit: which frame bound.
    let (sizes, stream) = rest.split_at(usize::from(control & 0x0f).min(rest.len()));
    let max = if control & 0x80 == 0 {
        DEFAULT_MAX_FRAME_SIZE
    } else {
        SMALL_MAX_FRAME_SIZE
    };

    let whole = decode(stream, &[stream.len().max(1)], max);
    let chunk_sizes: Vec<usize> = sizes.iter().map(|&size| usize::from(size) + 1).collect();
    let chunked = decode(stream, &chunk_sizes, max);
    assert_eq!(whole, chunked, "outcome depends on chunking");
});

/// Every event and error in order, then the `finish` result, as Debug text.
fn decode(stream: &[u8], chunk_sizes: &[usize], max: usize) -> Vec<String> {
    let mut decoder = EventDecoder::with_max_frame_size(max);
    let mut outcomes = Vec::new();
    let mut rest = stream;
    let mut sizes = chunk_sizes.iter().cycle();
    while !rest.is_empty() {
        let size = sizes.next().copied().unwrap_or(rest.len()).min(rest.len());
        let (chunk, tail) = rest.split_at(size);
        rest = tail;
        decoder.feed(chunk);
        let fatal = drain(&mut decoder, &mut outcomes);
        assert!(decoder.buffered_len() < max.max(MIN_FRAME_LEN));
        if fatal {
            break;
        }
    }
    outcomes.push(format!("{:?}", decoder.finish()));
    outcomes
}

/// Records events until more input is needed; `true` after a fatal error.
fn drain(decoder: &mut EventDecoder, outcomes: &mut Vec<String>) -> bool {
    loop {
        match decoder.next_event() {
            Ok(Some(event)) => outcomes.push(format!("{event:?}")),
            Ok(None) => return false,
            Err(error) => {
                outcomes.push(format!("{error:?}"));
                if error.is_fatal() {
                    return true;
                }
            }
        }
    }
}
