//! The fake's own AWS event-stream (`application/vnd.amazon.eventstream`) encoder, written
//! from docs/kiro-protocol.md#eventstream-framing, #eventstream-headers, #message-types and
//! deliberately independent of the gateway's decoder.
//!
//! A tiny strict reader ([`decode_all`]) is included so that the fake's own tests (and e2e
//! tests that want to look at raw upstream bytes) can turn frames back into messages.

/// A header value (docs/kiro-protocol.md#eventstream-headers). Kiro only uses
/// [`HeaderValue::String`]; the other types exist so that decoder tests can be fed the synthetic
/// vector V10.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeaderValue {
    Bool(bool),
    Byte(i8),
    Short(i16),
    Int(i32),
    Long(i64),
    Bytes(Vec<u8>),
    String(String),
    /// Milliseconds since the epoch.
    Timestamp(i64),
    Uuid([u8; 16]),
}

impl HeaderValue {
    /// The value as a string when it is a string header.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            HeaderValue::String(s) => Some(s),
            _ => None,
        }
    }
}

/// One event-stream message: ordered headers and a payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub headers: Vec<(String, HeaderValue)>,
    pub payload: Vec<u8>,
}

impl Message {
    /// An `event` message; headers in the order observed on the wire
    /// (docs/kiro-protocol.md#eventstream-headers): `:event-type`, `:content-type`,
    /// `:message-type`.
    pub fn event(event_type: &str, payload: impl Into<Vec<u8>>) -> Message {
        Message {
            headers: vec![
                (":event-type".into(), HeaderValue::String(event_type.into())),
                (
                    ":content-type".into(),
                    HeaderValue::String("application/json".into()),
                ),
                (":message-type".into(), HeaderValue::String("event".into())),
            ],
            payload: payload.into(),
        }
    }

    /// An `exception` message (docs/kiro-protocol.md#events), e.g. `ThrottlingException` with
    /// `{"message":"..."}`.
    pub fn exception(exception_type: &str, payload: impl Into<Vec<u8>>) -> Message {
        Message {
            headers: vec![
                (
                    ":exception-type".into(),
                    HeaderValue::String(exception_type.into()),
                ),
                (
                    ":content-type".into(),
                    HeaderValue::String("application/json".into()),
                ),
                (
                    ":message-type".into(),
                    HeaderValue::String("exception".into()),
                ),
            ],
            payload: payload.into(),
        }
    }

    /// An exception whose payload is `{"message": <message>}`.
    pub fn exception_with_message(exception_type: &str, message: &str) -> Message {
        let payload = serde_json::json!({ "message": message }).to_string();
        Message::exception(exception_type, payload)
    }

    /// A generic AWS `error` message: code and message in headers, empty payload
    /// (docs/kiro-protocol.md#message-types).
    pub fn error(code: &str, message: &str) -> Message {
        Message {
            headers: vec![
                (":message-type".into(), HeaderValue::String("error".into())),
                (":error-code".into(), HeaderValue::String(code.into())),
                (":error-message".into(), HeaderValue::String(message.into())),
            ],
            payload: Vec::new(),
        }
    }

    /// First header with this name.
    pub fn header(&self, name: &str) -> Option<&HeaderValue> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }

    /// First string header with this name.
    pub fn header_str(&self, name: &str) -> Option<&str> {
        self.header(name).and_then(HeaderValue::as_str)
    }

    /// `:message-type` (defaults to `event` when absent, as KR does).
    pub fn message_type(&self) -> &str {
        self.header_str(":message-type").unwrap_or("event")
    }

    /// `:event-type`, if any.
    pub fn event_type(&self) -> Option<&str> {
        self.header_str(":event-type")
    }

    /// The payload parsed as JSON (`Value::Null` when empty).
    pub fn json(&self) -> serde_json::Result<serde_json::Value> {
        if self.payload.is_empty() {
            return Ok(serde_json::Value::Null);
        }
        serde_json::from_slice(&self.payload)
    }

    /// Encode to wire bytes (docs/kiro-protocol.md#eventstream-framing).
    pub fn encode(&self) -> Vec<u8> {
        let mut headers = Vec::new();
        for (name, value) in &self.headers {
            encode_header(&mut headers, name, value);
        }
        let total_len = 12 + headers.len() + self.payload.len() + 4;
        let mut out = Vec::with_capacity(total_len);
        out.extend_from_slice(&(total_len as u32).to_be_bytes());
        out.extend_from_slice(&(headers.len() as u32).to_be_bytes());
        let prelude_crc = crc32fast::hash(&out[0..8]);
        out.extend_from_slice(&prelude_crc.to_be_bytes());
        out.extend_from_slice(&headers);
        out.extend_from_slice(&self.payload);
        let message_crc = crc32fast::hash(&out);
        out.extend_from_slice(&message_crc.to_be_bytes());
        out
    }
}

fn encode_header(out: &mut Vec<u8>, name: &str, value: &HeaderValue) {
    let name = name.as_bytes();
    assert!(
        !name.is_empty() && name.len() <= 255,
        "header name length must be 1..=255"
    );
    out.push(name.len() as u8);
    out.extend_from_slice(name);
    match value {
        HeaderValue::Bool(true) => out.push(0),
        HeaderValue::Bool(false) => out.push(1),
        HeaderValue::Byte(b) => {
            out.push(2);
            out.extend_from_slice(&b.to_be_bytes());
        }
        HeaderValue::Short(v) => {
            out.push(3);
            out.extend_from_slice(&v.to_be_bytes());
        }
        HeaderValue::Int(v) => {
            out.push(4);
            out.extend_from_slice(&v.to_be_bytes());
        }
        HeaderValue::Long(v) => {
            out.push(5);
            out.extend_from_slice(&v.to_be_bytes());
        }
        HeaderValue::Bytes(b) => {
            out.push(6);
            out.extend_from_slice(&(b.len() as u16).to_be_bytes());
            out.extend_from_slice(b);
        }
        HeaderValue::String(s) => {
            out.push(7);
            out.extend_from_slice(&(s.len() as u16).to_be_bytes());
            out.extend_from_slice(s.as_bytes());
        }
        HeaderValue::Timestamp(v) => {
            out.push(8);
            out.extend_from_slice(&v.to_be_bytes());
        }
        HeaderValue::Uuid(u) => {
            out.push(9);
            out.extend_from_slice(u);
        }
    }
}

/// Why [`decode_all`] stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeError {
    PreludeCrc { offset: usize },
    MessageCrc { offset: usize },
    BadLength { offset: usize },
    BadHeader { offset: usize },
}

/// Strictly decode as many whole messages as `buf` holds. Returns the messages and the number
/// of bytes consumed (trailing bytes of an incomplete frame are left unconsumed). Messages over
/// 16 MiB are rejected (as KR does).
pub fn decode_all(buf: &[u8]) -> Result<(Vec<Message>, usize), DecodeError> {
    let mut pos = 0;
    let mut out = Vec::new();
    while buf.len() - pos >= 12 {
        let p = &buf[pos..];
        let total = u32::from_be_bytes([p[0], p[1], p[2], p[3]]) as usize;
        let hlen = u32::from_be_bytes([p[4], p[5], p[6], p[7]]) as usize;
        let pcrc = u32::from_be_bytes([p[8], p[9], p[10], p[11]]);
        if crc32fast::hash(&p[0..8]) != pcrc {
            return Err(DecodeError::PreludeCrc { offset: pos });
        }
        if !(16..=16 * 1024 * 1024).contains(&total) || hlen + 16 > total {
            return Err(DecodeError::BadLength { offset: pos });
        }
        if p.len() < total {
            break;
        }
        let mcrc = u32::from_be_bytes([p[total - 4], p[total - 3], p[total - 2], p[total - 1]]);
        if crc32fast::hash(&p[..total - 4]) != mcrc {
            return Err(DecodeError::MessageCrc { offset: pos });
        }
        let headers =
            decode_headers(&p[12..12 + hlen]).ok_or(DecodeError::BadHeader { offset: pos })?;
        out.push(Message {
            headers,
            payload: p[12 + hlen..total - 4].to_vec(),
        });
        pos += total;
    }
    Ok((out, pos))
}

fn decode_headers(mut b: &[u8]) -> Option<Vec<(String, HeaderValue)>> {
    fn take<'a>(b: &mut &'a [u8], n: usize) -> Option<&'a [u8]> {
        if b.len() < n {
            return None;
        }
        let (h, t) = b.split_at(n);
        *b = t;
        Some(h)
    }
    let mut out = Vec::new();
    while !b.is_empty() {
        let nlen = take(&mut b, 1)?[0] as usize;
        if nlen == 0 {
            return None;
        }
        let name = String::from_utf8(take(&mut b, nlen)?.to_vec()).ok()?;
        let ty = take(&mut b, 1)?[0];
        let value = match ty {
            0 => HeaderValue::Bool(true),
            1 => HeaderValue::Bool(false),
            2 => HeaderValue::Byte(take(&mut b, 1)?[0] as i8),
            3 => HeaderValue::Short(i16::from_be_bytes(take(&mut b, 2)?.try_into().ok()?)),
            4 => HeaderValue::Int(i32::from_be_bytes(take(&mut b, 4)?.try_into().ok()?)),
            5 => HeaderValue::Long(i64::from_be_bytes(take(&mut b, 8)?.try_into().ok()?)),
            6 | 7 => {
                let len = u16::from_be_bytes(take(&mut b, 2)?.try_into().ok()?) as usize;
                let v = take(&mut b, len)?.to_vec();
                if ty == 6 {
                    HeaderValue::Bytes(v)
                } else {
                    HeaderValue::String(String::from_utf8(v).ok()?)
                }
            }
            8 => HeaderValue::Timestamp(i64::from_be_bytes(take(&mut b, 8)?.try_into().ok()?)),
            9 => HeaderValue::Uuid(take(&mut b, 16)?.try_into().ok()?),
            _ => return None,
        };
        out.push((name, value));
    }
    Some(out)
}

// ---- Payload builders with the key order seen on the wire ----
// (docs/kiro-protocol.md#worked-example-response, #test-vectors)

fn js(s: &str) -> String {
    serde_json::to_string(s).expect("string serialises")
}

fn num(v: f64) -> String {
    serde_json::to_string(&v).expect("finite number")
}

/// `assistantResponseEvent` `{"content": text}`.
pub fn text_event(text: &str) -> Message {
    Message::event(
        "assistantResponseEvent",
        format!("{{\"content\":{}}}", js(text)),
    )
}

/// `toolUseEvent` argument fragment `{"name","toolUseId","input"}`.
pub fn tool_use_fragment(name: &str, id: &str, input: &str) -> Message {
    Message::event(
        "toolUseEvent",
        format!(
            "{{\"name\":{},\"toolUseId\":{},\"input\":{}}}",
            js(name),
            js(id),
            js(input)
        ),
    )
}

/// `toolUseEvent` completion `{"name","toolUseId","stop":true}`.
pub fn tool_use_stop(name: &str, id: &str) -> Message {
    Message::event(
        "toolUseEvent",
        format!(
            "{{\"name\":{},\"toolUseId\":{},\"stop\":true}}",
            js(name),
            js(id)
        ),
    )
}

/// `meteringEvent` `{"unit":"credit","unitPlural":"credits","usage":N}`.
pub fn metering_event(usage: f64) -> Message {
    Message::event(
        "meteringEvent",
        format!(
            "{{\"unit\":\"credit\",\"unitPlural\":\"credits\",\"usage\":{}}}",
            num(usage)
        ),
    )
}

/// `contextUsageEvent` `{"contextUsagePercentage":N}`.
pub fn context_usage_event(percentage: f64) -> Message {
    Message::event(
        "contextUsageEvent",
        format!("{{\"contextUsagePercentage\":{}}}", num(percentage)),
    )
}

/// Native `reasoningContentEvent` (docs/kiro-protocol.md#events).
pub fn reasoning_event(text: &str, signature: Option<&str>) -> Message {
    let mut v = serde_json::json!({ "text": text });
    if let Some(sig) = signature {
        v["signature"] = sig.into();
    }
    Message::event("reasoningContentEvent", v.to_string())
}

/// A `reasoningContentEvent` carrying only `redactedContent` (docs/kiro-protocol.md#events).
pub fn redacted_reasoning_event(data: &str) -> Message {
    let v = serde_json::json!({ "redactedContent": data });
    Message::event("reasoningContentEvent", v.to_string())
}

/// `metadataEvent` with token usage and a stop reason (docs/kiro-protocol.md#events; Disputed
/// whether Kiro sends it).
pub fn metadata_event(input_tokens: u64, output_tokens: u64, stop_reason: &str) -> Message {
    let v = serde_json::json!({
        "tokenUsage": {
            "uncachedInputTokens": input_tokens,
            "outputTokens": output_tokens,
            "totalTokens": input_tokens + output_tokens,
            "cacheReadInputTokens": 0,
            "cacheWriteInputTokens": 0
        },
        "stopReason": stop_reason
    });
    Message::event("metadataEvent", v.to_string())
}
