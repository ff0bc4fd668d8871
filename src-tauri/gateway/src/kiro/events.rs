//! Typed Kiro stream events (docs/kiro-protocol.md#message-types, #events), decoded from
//! event-stream frames.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use thiserror::Error;

use super::eventstream::{
    self, DecodeError, Decoder, Frame, HeaderValue, ERROR_CODE, ERROR_MESSAGE, EVENT_TYPE,
    EXCEPTION_TYPE, MESSAGE_TYPE,
};

/// One decoded upstream event. Unknown event types are kept as [`KiroEvent::Other`] so
/// callers can ignore them without failing the stream.
#[derive(Debug, Clone, PartialEq)]
pub enum KiroEvent {
    /// `assistantResponseEvent`: an incremental text delta. Never de-duplicated.
    Text(String),
    /// `toolUseEvent`: one fragment of a tool call. `input` is the raw argument fragment
    /// (a JSON object payload is serialised to its JSON text); `stop` closes the call.
    ToolUse {
        tool_use_id: String,
        name: String,
        input: Option<String>,
        stop: bool,
    },
    /// `reasoningContentEvent` (native reasoning).
    Reasoning {
        text: Option<String>,
        signature: Option<String>,
        redacted_content: Option<String>,
    },
    /// `meteringEvent`: credits charged.
    Metering { usage: f64, unit: Option<String> },
    /// `contextUsageEvent`: percentage (0–100+) of the context window used by this turn.
    ContextUsage { percentage: f64 },
    /// `metadataEvent`: optional token usage and stop reason.
    Metadata {
        token_usage: Option<TokenUsage>,
        stop_reason: Option<String>,
    },
    /// `:message-type: exception` (or `invalidStateEvent`): a modelled error mid-stream.
    Exception {
        exception_type: String,
        message: String,
    },
    /// `:message-type: error`: a generic failure with code and message.
    Error { code: String, message: String },
    /// Any other event type; ignored by the converters.
    Other { event_type: String },
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenUsage {
    pub uncached_input_tokens: Option<u64>,
    pub output_tokens: Option<u64>,
    pub total_tokens: Option<u64>,
    pub cache_read_input_tokens: Option<u64>,
    pub cache_write_input_tokens: Option<u64>,
}

impl TokenUsage {
    /// Whether any counter is above zero (Kiro often sends them all zero).
    pub fn has_counts(&self) -> bool {
        [
            self.uncached_input_tokens,
            self.output_tokens,
            self.total_tokens,
            self.cache_read_input_tokens,
            self.cache_write_input_tokens,
        ]
        .iter()
        .any(|n| n.is_some_and(|n| n > 0))
    }
}

/// Stands in for a missing `:exception-type` or `:error-code` header.
pub const UNKNOWN: &str = "unknown";

#[derive(Debug, Error)]
pub enum EventError {
    /// The byte stream itself is broken; the response cannot continue.
    #[error(transparent)]
    Decode(#[from] DecodeError),
    #[error("unrecognised :message-type {0:?}")]
    UnknownMessageType(String),
    #[error("event-stream header {0} is not a string")]
    HeaderNotString(&'static str),
    #[error("event frame without :event-type")]
    MissingEventType,
    #[error("malformed {event_type} payload: {source}")]
    Payload {
        event_type: String,
        source: serde_json::Error,
    },
}

impl EventError {
    /// Framing errors end the stream. The others concern one frame, which has been consumed,
    /// so the caller may log it and ask for the next event.
    pub fn is_fatal(&self) -> bool {
        matches!(self, Self::Decode(_))
    }
}

/// Maps one frame to an event (docs/kiro-protocol.md#message-types, #events). A missing
/// `:message-type` means `event`.
pub fn parse_frame(frame: &Frame) -> Result<KiroEvent, EventError> {
    match string_header(frame, MESSAGE_TYPE)?.unwrap_or("event") {
        "event" => parse_event(frame),
        "exception" => parse_exception(frame),
        "error" => parse_error(frame),
        other => Err(EventError::UnknownMessageType(other.to_owned())),
    }
}

fn parse_event(frame: &Frame) -> Result<KiroEvent, EventError> {
    let event_type = string_header(frame, EVENT_TYPE)?.ok_or(EventError::MissingEventType)?;
    Ok(match event_type {
        "assistantResponseEvent" => {
            KiroEvent::Text(payload::<TextPayload>(event_type, frame)?.content)
        }
        "toolUseEvent" => payload::<ToolUsePayload>(event_type, frame)?.into_event(),
        "reasoningContentEvent" => payload::<ReasoningPayload>(event_type, frame)?.into_event(),
        "meteringEvent" => payload::<MeteringPayload>(event_type, frame)?.into_event(),
        "contextUsageEvent" => KiroEvent::ContextUsage {
            percentage: payload::<ContextUsagePayload>(event_type, frame)?.context_usage_percentage,
        },
        "metadataEvent" => payload::<MetadataPayload>(event_type, frame)?.into_event(),
        "invalidStateEvent" => payload::<InvalidStatePayload>(event_type, frame)?.into_event(),
        other => KiroEvent::Other {
            event_type: other.to_owned(),
        },
    })
}

fn parse_exception(frame: &Frame) -> Result<KiroEvent, EventError> {
    let exception_type = string_header(frame, EXCEPTION_TYPE)?.unwrap_or(UNKNOWN);
    Ok(KiroEvent::Exception {
        exception_type: exception_type.to_owned(),
        message: payload_message(frame),
    })
}

/// Code and message travel in headers; without `:error-message` the payload is the message.
fn parse_error(frame: &Frame) -> Result<KiroEvent, EventError> {
    let code = string_header(frame, ERROR_CODE)?
        .unwrap_or(UNKNOWN)
        .to_owned();
    let message = match string_header(frame, ERROR_MESSAGE)? {
        Some(message) => message.to_owned(),
        None => payload_message(frame),
    };
    Ok(KiroEvent::Error { code, message })
}

fn string_header<'f>(frame: &'f Frame, name: &'static str) -> Result<Option<&'f str>, EventError> {
    match frame.header(name) {
        None => Ok(None),
        Some(HeaderValue::String(value)) => Ok(Some(value)),
        Some(_) => Err(EventError::HeaderNotString(name)),
    }
}

fn payload<T: serde::de::DeserializeOwned>(
    event_type: &str,
    frame: &Frame,
) -> Result<T, EventError> {
    serde_json::from_slice(&frame.payload).map_err(|source| EventError::Payload {
        event_type: event_type.to_owned(),
        source,
    })
}

/// `{"message": "..."}` when the payload has that shape, else the payload as text.
fn payload_message(frame: &Frame) -> String {
    match serde_json::from_slice::<MessagePayload>(&frame.payload) {
        Ok(MessagePayload {
            message: Some(message),
        }) => message,
        _ => String::from_utf8_lossy(&frame.payload).into_owned(),
    }
}

#[derive(Serialize, Deserialize)]
struct TextPayload {
    #[serde(default)]
    content: String,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ToolUsePayload {
    name: String,
    tool_use_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    input: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    stop: Option<bool>,
}

impl ToolUsePayload {
    fn into_event(self) -> KiroEvent {
        KiroEvent::ToolUse {
            tool_use_id: self.tool_use_id,
            name: self.name,
            input: self.input.and_then(tool_input),
            stop: self.stop.unwrap_or(false),
        }
    }
}

/// A string is an argument fragment; `{}` means "fragments follow"
/// (docs/kiro-protocol.md#tool-call-assembly); any other JSON value is an argument object sent
/// whole and becomes its JSON text.
fn tool_input(input: Value) -> Option<String> {
    match input {
        Value::String(fragment) => Some(fragment),
        Value::Null => None,
        Value::Object(fields) if fields.is_empty() => None,
        other => Some(other.to_string()),
    }
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ReasoningPayload {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    text: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    signature: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    redacted_content: Option<String>,
}

impl ReasoningPayload {
    fn into_event(self) -> KiroEvent {
        KiroEvent::Reasoning {
            text: self.text,
            signature: self.signature,
            redacted_content: self.redacted_content,
        }
    }
}

#[derive(Serialize, Deserialize)]
struct MeteringPayload {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    unit: Option<String>,
    usage: f64,
}

impl MeteringPayload {
    fn into_event(self) -> KiroEvent {
        KiroEvent::Metering {
            usage: self.usage,
            unit: self.unit,
        }
    }
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ContextUsagePayload {
    context_usage_percentage: f64,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct MetadataPayload {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    token_usage: Option<TokenUsage>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    stop_reason: Option<String>,
}

impl MetadataPayload {
    fn into_event(self) -> KiroEvent {
        KiroEvent::Metadata {
            token_usage: self.token_usage,
            stop_reason: self.stop_reason,
        }
    }
}

#[derive(Deserialize)]
struct InvalidStatePayload {
    #[serde(default)]
    reason: Option<String>,
    #[serde(default)]
    message: Option<String>,
}

impl InvalidStatePayload {
    /// An exception of type `invalidStateEvent` with message `"<reason>: <message>"`.
    fn into_event(self) -> KiroEvent {
        let message = match (self.reason, self.message) {
            (Some(reason), Some(message)) => format!("{reason}: {message}"),
            (reason, message) => reason.or(message).unwrap_or_default(),
        };
        KiroEvent::Exception {
            exception_type: "invalidStateEvent".to_owned(),
            message,
        }
    }
}

#[derive(Serialize, Deserialize)]
struct MessagePayload {
    #[serde(default)]
    message: Option<String>,
}

/// Frames in, typed events out. Text deltas pass through unchanged, identical consecutive
/// chunks included (docs/kiro-protocol.md#duplicate-text); only zero-length text deltas are
/// dropped.
#[derive(Debug, Default)]
pub struct EventDecoder {
    frames: Decoder,
}

impl EventDecoder {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn with_max_frame_size(max_frame_size: usize) -> Self {
        Self {
            frames: Decoder::with_max_frame_size(max_frame_size),
        }
    }

    pub fn feed(&mut self, bytes: &[u8]) {
        self.frames.feed(bytes);
    }

    /// The next event, `Ok(None)` if more input is needed. See [`EventError::is_fatal`].
    pub fn next_event(&mut self) -> Result<Option<KiroEvent>, EventError> {
        self.next_event_observed(|_| {})
    }

    /// [`EventDecoder::next_event`], showing `observe` every frame before it is parsed
    /// (frames that make no event included).
    pub fn next_event_observed(
        &mut self,
        mut observe: impl FnMut(&Frame),
    ) -> Result<Option<KiroEvent>, EventError> {
        while let Some(frame) = self.frames.next_frame()? {
            observe(&frame);
            match parse_frame(&frame)? {
                KiroEvent::Text(text) if text.is_empty() => {}
                event => return Ok(Some(event)),
            }
        }
        Ok(None)
    }

    /// At EOF: fails if the stream ended inside a frame (or had failed before).
    pub fn finish(&self) -> Result<(), EventError> {
        Ok(self.frames.finish()?)
    }

    /// Bytes received but not yet decoded.
    pub fn buffered_len(&self) -> usize {
        self.frames.buffered_len()
    }
}

/// Encodes an event as Kiro would send it (for tests and the fake upstream); [`parse_frame`]
/// maps the frame back to an equal event.
///
/// # Panics
/// If a header value (event, exception or error name, error message) exceeds 65535 bytes.
pub fn encode_kiro_event(event: &KiroEvent) -> Vec<u8> {
    match event {
        KiroEvent::Text(content) => event_frame(
            "assistantResponseEvent",
            &TextPayload {
                content: content.clone(),
            },
        ),
        KiroEvent::ToolUse {
            tool_use_id,
            name,
            input,
            stop,
        } => event_frame(
            "toolUseEvent",
            &ToolUsePayload {
                name: name.clone(),
                tool_use_id: tool_use_id.clone(),
                input: input.clone().map(Value::String),
                stop: stop.then_some(true),
            },
        ),
        KiroEvent::Reasoning {
            text,
            signature,
            redacted_content,
        } => event_frame(
            "reasoningContentEvent",
            &ReasoningPayload {
                text: text.clone(),
                signature: signature.clone(),
                redacted_content: redacted_content.clone(),
            },
        ),
        KiroEvent::Metering { usage, unit } => event_frame(
            "meteringEvent",
            &MeteringPayload {
                unit: unit.clone(),
                usage: *usage,
            },
        ),
        KiroEvent::ContextUsage { percentage } => event_frame(
            "contextUsageEvent",
            &ContextUsagePayload {
                context_usage_percentage: *percentage,
            },
        ),
        KiroEvent::Metadata {
            token_usage,
            stop_reason,
        } => event_frame(
            "metadataEvent",
            &MetadataPayload {
                token_usage: token_usage.clone(),
                stop_reason: stop_reason.clone(),
            },
        ),
        KiroEvent::Exception {
            exception_type,
            message,
        } => eventstream::encode_exception_frame(
            exception_type,
            &to_json(&MessagePayload {
                message: Some(message.clone()),
            }),
        ),
        KiroEvent::Error { code, message } => eventstream::encode_error_frame(code, message),
        KiroEvent::Other { event_type } => eventstream::encode_event_frame(event_type, b"{}"),
    }
}

fn event_frame(event_type: &str, payload: &impl Serialize) -> Vec<u8> {
    eventstream::encode_event_frame(event_type, &to_json(payload))
}

fn to_json(payload: &impl Serialize) -> Vec<u8> {
    // Only string-keyed structs reach here; serde_json cannot fail on them.
    serde_json::to_vec(payload).unwrap_or_default()
}

#[cfg(test)]
#[path = "events/tests.rs"]
mod tests;
