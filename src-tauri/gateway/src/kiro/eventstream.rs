//! Incremental AWS event-stream decoder (docs/kiro-protocol.md#eventstream-framing,
//! #eventstream-headers) and an encoder for tests and the fake upstream.
//!
//! Hand-written instead of `aws-smithy-eventstream` 0.61.6, on evidence (probed against
//! docs/kiro-protocol.md#test-vectors): its `MessageFrameDecoder` has no frame-size limit and
//! checks neither CRC before the whole declared frame is buffered, so the prelude `0x7fffffff` of
//! docs/kiro-protocol.md#test-vectors-negative stays `Incomplete` (still so after 1 MiB more
//! input), and so does a bit flip in `total_length`. It needs Rust 1.94.1 (workspace MSRV: 1.91)
//! and pulls 25 crates (aws-smithy-types, http, time, base64-simd); it does decode V10 and catch
//! the corrupted payload. This decoder needs only `crc32fast` and `bytes`, and checks the prelude
//! CRC and the size bound as soon as 12 bytes are buffered.
//!
//! The decoder is strict: after the first error it keeps returning that error (no resync).

use bytes::{Bytes, BytesMut};
use thiserror::Error;

/// Default bound on `total_length`, as in the peers (docs/kiro-protocol.md#eventstream-framing).
pub const DEFAULT_MAX_FRAME_SIZE: usize = 16 * 1024 * 1024;
/// `total_length`, `headers_length`, prelude CRC.
const PRELUDE_LEN: usize = 12;
const CRC_LEN: usize = 4;
/// A frame with no headers and no payload.
pub const MIN_FRAME_LEN: usize = PRELUDE_LEN + CRC_LEN;

pub const MESSAGE_TYPE: &str = ":message-type";
pub const EVENT_TYPE: &str = ":event-type";
pub const CONTENT_TYPE: &str = ":content-type";
pub const EXCEPTION_TYPE: &str = ":exception-type";
pub const ERROR_CODE: &str = ":error-code";
pub const ERROR_MESSAGE: &str = ":error-message";
const JSON: &str = "application/json";

/// A header value; the wire has ten type tags (docs/kiro-protocol.md#eventstream-headers), bool
/// true and false being two of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeaderValue {
    Bool(bool),
    Byte(i8),
    Short(i16),
    Int(i32),
    Long(i64),
    Bytes(Vec<u8>),
    String(String),
    /// Milliseconds since the Unix epoch.
    Timestamp(i64),
    Uuid([u8; 16]),
}

impl HeaderValue {
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Self::String(s) => Some(s),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub name: String,
    pub value: HeaderValue,
}

impl Header {
    pub fn new(name: impl Into<String>, value: HeaderValue) -> Self {
        Self {
            name: name.into(),
            value,
        }
    }

    pub fn string(name: impl Into<String>, value: impl Into<String>) -> Self {
        Self::new(name, HeaderValue::String(value.into()))
    }
}

/// One decoded message: headers in wire order and the raw payload.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Frame {
    pub headers: Vec<Header>,
    pub payload: Bytes,
}

impl Frame {
    /// The first header called `name`.
    pub fn header(&self, name: &str) -> Option<&HeaderValue> {
        self.headers
            .iter()
            .find(|header| header.name == name)
            .map(|header| &header.value)
    }

    /// The first header called `name`, if it is a string.
    pub fn header_str(&self, name: &str) -> Option<&str> {
        self.header(name).and_then(HeaderValue::as_str)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DecodeError {
    #[error("event-stream prelude CRC mismatch: stored {stored:#010x}, computed {computed:#010x}")]
    PreludeCrc { stored: u32, computed: u32 },
    #[error("event-stream message CRC mismatch: stored {stored:#010x}, computed {computed:#010x}")]
    MessageCrc { stored: u32, computed: u32 },
    #[error("event-stream frame length {total_length} is below the 16-byte minimum")]
    FrameTooShort { total_length: u32 },
    #[error("event-stream frame length {total_length} exceeds the {max}-byte limit")]
    FrameTooLarge { total_length: u32, max: usize },
    #[error(
        "event-stream headers length {headers_length} does not fit a {total_length}-byte frame"
    )]
    HeadersTooLong {
        headers_length: u32,
        total_length: u32,
    },
    #[error("malformed event-stream header at byte {offset} of the header block: {reason}")]
    BadHeader { offset: usize, reason: &'static str },
    #[error("event stream ended inside a frame with {remaining} bytes unconsumed")]
    Incomplete { remaining: usize },
}

/// Incremental frame decoder. Feed network chunks of any size with [`Decoder::feed`], then
/// call [`Decoder::next_frame`] until it returns `Ok(None)`; at EOF call [`Decoder::finish`].
/// Used that way, at most `max_frame_size` plus one chunk is ever buffered.
#[derive(Debug)]
pub struct Decoder {
    buf: BytesMut,
    max_frame_size: usize,
    failed: Option<DecodeError>,
}

impl Default for Decoder {
    fn default() -> Self {
        Self::new()
    }
}

impl Decoder {
    pub fn new() -> Self {
        Self::with_max_frame_size(DEFAULT_MAX_FRAME_SIZE)
    }

    /// A decoder rejecting frames whose `total_length` exceeds `max_frame_size`.
    pub fn with_max_frame_size(max_frame_size: usize) -> Self {
        Self {
            buf: BytesMut::new(),
            max_frame_size,
            failed: None,
        }
    }

    pub fn max_frame_size(&self) -> usize {
        self.max_frame_size
    }

    /// Bytes received but not yet returned as frames.
    pub fn buffered_len(&self) -> usize {
        self.buf.len()
    }

    pub fn feed(&mut self, data: &[u8]) {
        if self.failed.is_none() {
            self.buf.extend_from_slice(data);
        }
    }

    /// The next complete frame, `Ok(None)` if more input is needed.
    pub fn next_frame(&mut self) -> Result<Option<Frame>, DecodeError> {
        if let Some(error) = &self.failed {
            return Err(error.clone());
        }
        let result = self.decode_buffered();
        if let Err(error) = &result {
            self.failed = Some(error.clone());
            self.buf = BytesMut::new();
        }
        result
    }

    /// At EOF: `Ok` if every byte was consumed, else why not.
    pub fn finish(&self) -> Result<(), DecodeError> {
        match &self.failed {
            Some(error) => Err(error.clone()),
            None if self.buf.is_empty() => Ok(()),
            None => Err(DecodeError::Incomplete {
                remaining: self.buf.len(),
            }),
        }
    }

    fn decode_buffered(&mut self) -> Result<Option<Frame>, DecodeError> {
        let Some(prelude) = Prelude::check(&self.buf, self.max_frame_size)? else {
            return Ok(None);
        };
        if self.buf.len() < prelude.total_length {
            return Ok(None);
        }
        let bytes = self.buf.split_to(prelude.total_length).freeze();
        decode_body(bytes, &prelude).map(Some)
    }
}

/// A validated prelude: lengths are consistent and within the bound.
struct Prelude {
    total_length: usize,
    headers_length: usize,
}

impl Prelude {
    /// `Ok(None)` until 12 bytes are buffered.
    fn check(buf: &[u8], max_frame_size: usize) -> Result<Option<Self>, DecodeError> {
        let Some(prelude) = buf.get(..PRELUDE_LEN) else {
            return Ok(None);
        };
        let total = be_u32(prelude, 0);
        let headers = be_u32(prelude, 4);
        let stored = be_u32(prelude, 8);
        let computed = crc32(&prelude[..8]);
        if stored != computed {
            return Err(DecodeError::PreludeCrc { stored, computed });
        }
        let total_length = to_usize(total);
        let headers_length = to_usize(headers);
        if total_length < MIN_FRAME_LEN {
            return Err(DecodeError::FrameTooShort {
                total_length: total,
            });
        }
        if total_length > max_frame_size {
            return Err(DecodeError::FrameTooLarge {
                total_length: total,
                max: max_frame_size,
            });
        }
        if headers_length > total_length - MIN_FRAME_LEN {
            return Err(DecodeError::HeadersTooLong {
                headers_length: headers,
                total_length: total,
            });
        }
        Ok(Some(Self {
            total_length,
            headers_length,
        }))
    }
}

/// `bytes` is exactly one frame whose prelude passed [`Prelude::check`].
fn decode_body(bytes: Bytes, prelude: &Prelude) -> Result<Frame, DecodeError> {
    let crc_at = prelude.total_length - CRC_LEN;
    let stored = be_u32(&bytes, crc_at);
    let computed = crc32(&bytes[..crc_at]);
    if stored != computed {
        return Err(DecodeError::MessageCrc { stored, computed });
    }
    let headers_end = PRELUDE_LEN + prelude.headers_length;
    let headers = parse_headers(&bytes[PRELUDE_LEN..headers_end])?;
    Ok(Frame {
        headers,
        payload: bytes.slice(headers_end..crc_at),
    })
}

fn parse_headers(block: &[u8]) -> Result<Vec<Header>, DecodeError> {
    let mut reader = Reader { block, pos: 0 };
    let mut headers = Vec::new();
    while reader.pos < block.len() {
        headers.push(reader.header()?);
    }
    Ok(headers)
}

/// A cursor over a header block; every read is bounds-checked.
struct Reader<'a> {
    block: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn header(&mut self) -> Result<Header, DecodeError> {
        let start = self.pos;
        let [name_len] = self.array::<1>(start, "truncated header")?;
        if name_len == 0 {
            return Err(bad_header(start, "empty header name"));
        }
        let name = self.take(usize::from(name_len), start, "truncated header name")?;
        let name = utf8(name, start, "header name is not UTF-8")?;
        let value = self.value(start)?;
        Ok(Header { name, value })
    }

    fn value(&mut self, start: usize) -> Result<HeaderValue, DecodeError> {
        const TRUNCATED: &str = "truncated header value";
        let [tag] = self.array::<1>(start, "missing header value type")?;
        Ok(match tag {
            0 => HeaderValue::Bool(true),
            1 => HeaderValue::Bool(false),
            2 => HeaderValue::Byte(i8::from_be_bytes(self.array(start, TRUNCATED)?)),
            3 => HeaderValue::Short(i16::from_be_bytes(self.array(start, TRUNCATED)?)),
            4 => HeaderValue::Int(i32::from_be_bytes(self.array(start, TRUNCATED)?)),
            5 => HeaderValue::Long(i64::from_be_bytes(self.array(start, TRUNCATED)?)),
            6 => HeaderValue::Bytes(self.sized(start)?.to_vec()),
            7 => HeaderValue::String(utf8(
                self.sized(start)?,
                start,
                "string header is not UTF-8",
            )?),
            8 => HeaderValue::Timestamp(i64::from_be_bytes(self.array(start, TRUNCATED)?)),
            9 => HeaderValue::Uuid(self.array(start, TRUNCATED)?),
            _ => return Err(bad_header(start, "unknown header value type")),
        })
    }

    /// A value with a 2-byte length prefix.
    fn sized(&mut self, start: usize) -> Result<&'a [u8], DecodeError> {
        const TRUNCATED: &str = "truncated header value";
        let len = u16::from_be_bytes(self.array(start, TRUNCATED)?);
        self.take(usize::from(len), start, TRUNCATED)
    }

    fn array<const N: usize>(
        &mut self,
        start: usize,
        reason: &'static str,
    ) -> Result<[u8; N], DecodeError> {
        let bytes = self.take(N, start, reason)?;
        bytes.try_into().map_err(|_| bad_header(start, reason))
    }

    fn take(
        &mut self,
        len: usize,
        start: usize,
        reason: &'static str,
    ) -> Result<&'a [u8], DecodeError> {
        let end = self.pos + len;
        let bytes = self
            .block
            .get(self.pos..end)
            .ok_or_else(|| bad_header(start, reason))?;
        self.pos = end;
        Ok(bytes)
    }
}

fn bad_header(offset: usize, reason: &'static str) -> DecodeError {
    DecodeError::BadHeader { offset, reason }
}

fn utf8(bytes: &[u8], start: usize, reason: &'static str) -> Result<String, DecodeError> {
    String::from_utf8(bytes.to_vec()).map_err(|_| bad_header(start, reason))
}

/// Big-endian u32 at `at`; callers have checked that four bytes are there.
fn be_u32(bytes: &[u8], at: usize) -> u32 {
    let mut word = [0u8; 4];
    if let Some(src) = bytes.get(at..at + 4) {
        word.copy_from_slice(src);
    }
    u32::from_be_bytes(word)
}

fn to_usize(value: u32) -> usize {
    usize::try_from(value).unwrap_or(usize::MAX)
}

/// CRC-32/ISO-HDLC (zlib), the variant of docs/kiro-protocol.md#eventstream-framing.
fn crc32(bytes: &[u8]) -> u32 {
    crc32fast::hash(bytes)
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum EncodeError {
    #[error("header name {0:?} must be 1 to 255 bytes long")]
    HeaderName(String),
    #[error("value of header {0:?} exceeds 65535 bytes")]
    HeaderValueTooLong(String),
    #[error("a {0}-byte frame does not fit the 32-bit length field")]
    FrameTooLarge(usize),
}

/// Encodes one frame; fails on values the wire format cannot represent.
pub fn try_encode_frame(headers: &[Header], payload: &[u8]) -> Result<Vec<u8>, EncodeError> {
    let mut block = Vec::new();
    for header in headers {
        write_header(&mut block, header)?;
    }
    let total_length = PRELUDE_LEN + block.len() + payload.len() + CRC_LEN;
    let too_large = || EncodeError::FrameTooLarge(total_length);
    let total = u32::try_from(total_length).map_err(|_| too_large())?;
    let headers_length = u32::try_from(block.len()).map_err(|_| too_large())?;

    let mut out = Vec::with_capacity(total_length);
    out.extend_from_slice(&total.to_be_bytes());
    out.extend_from_slice(&headers_length.to_be_bytes());
    out.extend_from_slice(&crc32(&out).to_be_bytes());
    out.extend_from_slice(&block);
    out.extend_from_slice(payload);
    out.extend_from_slice(&crc32(&out).to_be_bytes());
    Ok(out)
}

/// Encodes one frame.
///
/// # Panics
/// If a header name is empty or longer than 255 bytes, a string or byte-array value exceeds
/// 65535 bytes, or the frame exceeds 4 GiB; use [`try_encode_frame`] for untrusted values.
pub fn encode_frame(headers: &[Header], payload: &[u8]) -> Vec<u8> {
    match try_encode_frame(headers, payload) {
        Ok(frame) => frame,
        Err(error) => panic!("cannot encode event-stream frame: {error}"),
    }
}

/// An `event` frame with the header order of the doc's vectors.
pub fn encode_event_frame(event_type: &str, payload: &[u8]) -> Vec<u8> {
    let headers = [
        Header::string(EVENT_TYPE, event_type),
        Header::string(CONTENT_TYPE, JSON),
        Header::string(MESSAGE_TYPE, "event"),
    ];
    encode_frame(&headers, payload)
}

/// An `exception` frame (V7 header order); the payload is usually `{"message":"..."}`.
pub fn encode_exception_frame(exception_type: &str, payload: &[u8]) -> Vec<u8> {
    let headers = [
        Header::string(EXCEPTION_TYPE, exception_type),
        Header::string(CONTENT_TYPE, JSON),
        Header::string(MESSAGE_TYPE, "exception"),
    ];
    encode_frame(&headers, payload)
}

/// An `error` frame (V8 header order): code and message in headers, empty payload.
pub fn encode_error_frame(code: &str, message: &str) -> Vec<u8> {
    let headers = [
        Header::string(MESSAGE_TYPE, "error"),
        Header::string(ERROR_CODE, code),
        Header::string(ERROR_MESSAGE, message),
    ];
    encode_frame(&headers, &[])
}

fn write_header(out: &mut Vec<u8>, header: &Header) -> Result<(), EncodeError> {
    let name_len = u8::try_from(header.name.len())
        .ok()
        .filter(|&len| len > 0)
        .ok_or_else(|| EncodeError::HeaderName(header.name.clone()))?;
    out.push(name_len);
    out.extend_from_slice(header.name.as_bytes());
    match &header.value {
        HeaderValue::Bool(true) => out.push(0),
        HeaderValue::Bool(false) => out.push(1),
        HeaderValue::Byte(v) => put(out, 2, &v.to_be_bytes()),
        HeaderValue::Short(v) => put(out, 3, &v.to_be_bytes()),
        HeaderValue::Int(v) => put(out, 4, &v.to_be_bytes()),
        HeaderValue::Long(v) => put(out, 5, &v.to_be_bytes()),
        HeaderValue::Bytes(v) => put_sized(out, 6, v, &header.name)?,
        HeaderValue::String(v) => put_sized(out, 7, v.as_bytes(), &header.name)?,
        HeaderValue::Timestamp(v) => put(out, 8, &v.to_be_bytes()),
        HeaderValue::Uuid(v) => put(out, 9, v),
    }
    Ok(())
}

fn put(out: &mut Vec<u8>, tag: u8, value: &[u8]) {
    out.push(tag);
    out.extend_from_slice(value);
}

fn put_sized(out: &mut Vec<u8>, tag: u8, value: &[u8], name: &str) -> Result<(), EncodeError> {
    let len =
        u16::try_from(value.len()).map_err(|_| EncodeError::HeaderValueTooLong(name.to_owned()))?;
    out.push(tag);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(value);
    Ok(())
}

// Explicit paths: the fuzz crate includes this file with `#[path]`, which changes the default.
#[cfg(test)]
#[path = "eventstream/test_vectors.rs"]
pub(crate) mod test_vectors;

#[cfg(test)]
#[path = "eventstream/tests.rs"]
mod tests;
