//! Finding what the gateway does not know in one frame, one error body or one model list.
//! Pure functions; each calls `found(kind, name, context)` per unknown thing. Known frames
//! cost one pass over the payload's keys and no allocation.

use std::borrow::Cow;
use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::Value;

use super::known::{self, EventType};
use super::DriftKind;
use crate::kiro::catalog::ModelInfo;
use crate::kiro::eventstream::{Frame, EVENT_TYPE, EXCEPTION_TYPE, MESSAGE_TYPE};
use crate::kiro::models::limits;

fn header<'f>(frame: &'f Frame, name: &str) -> Option<&'f str> {
    frame.header(name).and_then(|v| v.as_str())
}

/// Unknown message types, event types, exception names, event fields, stop reasons and
/// `invalidStateEvent` reasons of one frame.
pub fn frame(frame: &Frame, mut found: impl FnMut(DriftKind, &str, Option<&str>)) {
    match header(frame, MESSAGE_TYPE).unwrap_or("event") {
        "event" => {
            let Some(event_type) = header(frame, EVENT_TYPE) else {
                return;
            };
            let fields = match known::event_type(event_type) {
                EventType::Unknown => return found(DriftKind::EventType, event_type, None),
                EventType::Ignored => return,
                EventType::Read(fields) => fields,
            };
            unknown_keys(&frame.payload, fields, |key| {
                found(DriftKind::EventField, key, Some(event_type))
            });
            match event_type {
                "metadataEvent" => metadata(&frame.payload, &mut found),
                "invalidStateEvent" => {
                    if let Some(reason) = string_at(&frame.payload, &["reason"]) {
                        if !known::REASONS.contains(&reason.as_str()) {
                            found(DriftKind::ErrorReason, &reason, Some(event_type));
                        }
                    }
                }
                _ => {}
            }
        }
        "exception" => {
            let name = header(frame, EXCEPTION_TYPE).unwrap_or("unknown");
            if !known::EXCEPTIONS.contains(&known::exception_name(name)) {
                found(DriftKind::ExceptionType, name, None);
            }
        }
        // Generic failures: the code is free-form.
        "error" => {}
        other => found(DriftKind::MessageType, other, None),
    }
}

/// `metadataEvent`: its stop reason and the fields of its token usage.
fn metadata(payload: &[u8], found: &mut impl FnMut(DriftKind, &str, Option<&str>)) {
    let Ok(Value::Object(fields)) = serde_json::from_slice::<Value>(payload) else {
        return;
    };
    if let Some(reason) = fields.get("stopReason").and_then(Value::as_str) {
        if !known::STOP_REASONS.contains(&reason) {
            found(DriftKind::StopReason, reason, Some("metadataEvent"));
        }
    }
    if let Some(Value::Object(usage)) = fields.get("tokenUsage") {
        for key in usage.keys() {
            if !known::TOKEN_USAGE_FIELDS.contains(&key.as_str()) {
                found(
                    DriftKind::EventField,
                    &format!("tokenUsage.{key}"),
                    Some("metadataEvent"),
                );
            }
        }
    }
}

/// Unknown `__type` names, reasons and top-level fields of an error body.
pub fn error_body(body: &[u8], mut found: impl FnMut(DriftKind, &str, Option<&str>)) {
    let Ok(Value::Object(fields)) = serde_json::from_slice::<Value>(body) else {
        return;
    };
    if let Some(name) = fields
        .get("__type")
        .and_then(Value::as_str)
        .map(known::exception_name)
    {
        if !name.is_empty() && !known::EXCEPTIONS.contains(&name) {
            found(DriftKind::ErrorType, name, None);
        }
    }
    let reason = fields.get("reason").and_then(Value::as_str).or_else(|| {
        fields
            .get("error")
            .and_then(|e| e.get("reason"))
            .and_then(Value::as_str)
    });
    if let Some(reason) = reason {
        if !known::REASONS.contains(&reason) {
            found(DriftKind::ErrorReason, reason, None);
        }
    }
    for key in fields.keys() {
        if !known::ERROR_BODY_FIELDS.contains(&key.as_str()) {
            found(DriftKind::ErrorField, key, None);
        }
    }
}

/// Catalogue ids the gateway has no table entry for (window, output limit, reasoning
/// controls, display name): it relies on the catalogue's own numbers for them.
pub fn catalogue(models: &[ModelInfo], mut found: impl FnMut(DriftKind, &str, Option<&str>)) {
    for model in models {
        if limits::known(&model.id).is_none() {
            found(DriftKind::CatalogModel, &model.id, None);
        }
    }
}

fn string_at(payload: &[u8], path: &[&str]) -> Option<String> {
    let value: Value = serde_json::from_slice(payload).ok()?;
    let mut at = &value;
    for key in path {
        at = at.get(key)?;
    }
    at.as_str().map(str::to_owned)
}

/// Calls `unknown` with each top-level key of a JSON object that `known` lacks. Keys are
/// borrowed from the payload where possible; values are skipped unparsed.
fn unknown_keys(payload: &[u8], known: &[&str], mut unknown: impl FnMut(&str)) {
    let mut de = serde_json::Deserializer::from_slice(payload);
    let _ = KeySeed {
        known,
        unknown: &mut unknown,
    }
    .deserialize(&mut de);
}

struct KeySeed<'k, F> {
    known: &'k [&'k str],
    unknown: &'k mut F,
}

impl<'de, F: FnMut(&str)> DeserializeSeed<'de> for KeySeed<'_, F> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de, F: FnMut(&str)> Visitor<'de> for KeySeed<'_, F> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
            if !self.known.contains(&key.as_ref()) {
                (self.unknown)(&key);
            }
            map.next_value::<IgnoredAny>()?;
        }
        Ok(())
    }
}

/// A map key, borrowed unless it had escapes.
struct Key<'de>(Cow<'de, str>);

impl<'de> serde::Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }
        }
        d.deserialize_str(KeyVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kiro::eventstream::{encode_event_frame, encode_exception_frame, Decoder};

    fn decode(bytes: &[u8]) -> Frame {
        let mut decoder = Decoder::default();
        decoder.feed(bytes);
        decoder.next_frame().unwrap().unwrap()
    }

    fn scan(bytes: &[u8]) -> Vec<(DriftKind, String, Option<String>)> {
        let mut out = Vec::new();
        frame(&decode(bytes), |kind, name, context| {
            out.push((kind, name.to_owned(), context.map(str::to_owned)))
        });
        out
    }

    #[test]
    fn known_frames_are_quiet() {
        for (event, payload) in [
            (
                "assistantResponseEvent",
                r#"{"content":"hi","modelId":"m"}"#,
            ),
            (
                "toolUseEvent",
                r#"{"toolUseId":"t","name":"n","input":"{","stop":false}"#,
            ),
            (
                "meteringEvent",
                r#"{"unit":"credit","unitPlural":"credits","usage":0.1}"#,
            ),
            (
                "metadataEvent",
                r#"{"tokenUsage":{"outputTokens":3},"stopReason":"END_TURN"}"#,
            ),
            ("followupPromptEvent", r#"{"anything":1}"#),
        ] {
            assert!(
                scan(&encode_event_frame(event, payload.as_bytes())).is_empty(),
                "{event}"
            );
        }
        assert!(scan(&encode_exception_frame("ThrottlingException", b"{}")).is_empty());
    }

    #[test]
    fn unknown_types_fields_and_reasons_are_found() {
        assert_eq!(
            scan(&encode_event_frame("brandNewEvent", b"{}")),
            [(DriftKind::EventType, "brandNewEvent".into(), None)]
        );
        assert_eq!(
            scan(&encode_event_frame(
                "assistantResponseEvent",
                br#"{"content":"x","sparkle":{"a":1},"content":"y"}"#
            )),
            [(
                DriftKind::EventField,
                "sparkle".into(),
                Some("assistantResponseEvent".into())
            )]
        );
        assert_eq!(
            scan(&encode_event_frame(
                "metadataEvent",
                br#"{"stopReason":"NAP_TIME","tokenUsage":{"glitterTokens":2}}"#
            )),
            [
                (
                    DriftKind::StopReason,
                    "NAP_TIME".into(),
                    Some("metadataEvent".into())
                ),
                (
                    DriftKind::EventField,
                    "tokenUsage.glitterTokens".into(),
                    Some("metadataEvent".into())
                )
            ]
        );
        assert_eq!(
            scan(&encode_exception_frame("MoonPhaseException", b"{}")),
            [(DriftKind::ExceptionType, "MoonPhaseException".into(), None)]
        );
    }

    #[test]
    fn escaped_keys_and_non_objects_are_handled() {
        assert_eq!(
            scan(&encode_event_frame(
                "toolUseEvent",
                br#"{"toolUseId":"t","name":"n","na\u006De2":1}"#
            )),
            [(
                DriftKind::EventField,
                "name2".into(),
                Some("toolUseEvent".into())
            )]
        );
        assert!(scan(&encode_event_frame("toolUseEvent", b"[1,2]")).is_empty());
    }

    #[test]
    fn error_bodies() {
        let mut out = Vec::new();
        error_body(
            br#"{"__type":"com.amazon.kiro.runtimeservice#SolarFlareException","message":"m","reason":"SUNSPOTS","hint":"x"}"#,
            |kind, name, _| out.push((kind, name.to_owned())),
        );
        assert_eq!(
            out,
            [
                (DriftKind::ErrorType, "SolarFlareException".into()),
                (DriftKind::ErrorReason, "SUNSPOTS".into()),
                (DriftKind::ErrorField, "hint".into()),
            ]
        );
        out.clear();
        error_body(
            br#"{"__type":"x#ThrottlingException","message":"m","reason":"INSUFFICIENT_MODEL_CAPACITY","retryAfterMilliseconds":5}"#,
            |kind, name, _| out.push((kind, name.to_owned())),
        );
        assert!(out.is_empty(), "{out:?}");
    }
}
