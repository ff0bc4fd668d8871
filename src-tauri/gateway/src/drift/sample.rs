//! Samples of drift that keep the shape of what Kiro sent and none of its content: every
//! key, number, boolean and short code-like string (`END_TURN`, `ThrottlingException`) is
//! kept; other strings become `"<text, N chars>"`. Whatever survives still passes through the
//! log redactor. Bounded in size.

use serde_json::Value;

use crate::logs::Redactor;

/// Longest sample kept, in bytes.
pub const MAX_SAMPLE_BYTES: usize = 2048;
/// Longest string kept as it is.
const MAX_CODE_LEN: usize = 64;

/// The shape of a JSON payload (or a note on what it was when it is not JSON).
pub fn sample(payload: &[u8], redactor: &Redactor) -> String {
    let text = match serde_json::from_slice::<Value>(payload) {
        Ok(value) => shape(value).to_string(),
        Err(_) if payload.is_empty() => "(empty)".to_owned(),
        Err(_) => format!("(not JSON, {} bytes)", payload.len()),
    };
    cut(redactor.redact(&text))
}

/// A value with its free text replaced.
pub fn shape(value: Value) -> Value {
    match value {
        Value::String(s) if is_code(&s) => Value::String(s),
        Value::String(s) => Value::String(format!("<text, {} chars>", s.chars().count())),
        Value::Array(items) => Value::Array(items.into_iter().map(shape).collect()),
        Value::Object(fields) => {
            Value::Object(fields.into_iter().map(|(k, v)| (k, shape(v))).collect())
        }
        other => other,
    }
}

/// An identifier-like string: letters, digits, `_ . : # -`, no spaces, not too long.
fn is_code(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= MAX_CODE_LEN
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b':' | b'#' | b'-'))
}

fn cut(mut text: String) -> String {
    if text.len() > MAX_SAMPLE_BYTES {
        let mut end = MAX_SAMPLE_BYTES;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
        text.push('…');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_keys_codes_and_numbers_but_no_text() {
        let redactor = Redactor::new();
        let s = sample(
            br#"{"content":"Hello there, here is your secret plan","stopReason":"END_TURN","n":3,"nested":{"x":[true,"two words"]}}"#,
            &redactor,
        );
        let v: Value = serde_json::from_str(&s).unwrap();
        assert_eq!(v["content"], "<text, 37 chars>");
        assert_eq!(v["stopReason"], "END_TURN");
        assert_eq!(v["n"], 3);
        assert_eq!(v["nested"]["x"][1], "<text, 9 chars>");
        assert!(!s.contains("secret plan"));
    }

    #[test]
    fn registered_secrets_never_survive_even_as_codes() {
        let redactor = Redactor::new();
        redactor.add("aoaSECRETACCESS12345");
        let s = sample(br#"{"token":"aoaSECRETACCESS12345"}"#, &redactor);
        assert!(!s.contains("aoaSECRETACCESS12345"), "{s}");
    }

    #[test]
    fn samples_are_bounded_and_non_json_is_described() {
        let redactor = Redactor::new();
        let many: Vec<String> = (0..2000).map(|i| format!("\"k{i}\":{i}")).collect();
        let big = format!("{{{}}}", many.join(","));
        assert!(sample(big.as_bytes(), &redactor).len() <= MAX_SAMPLE_BYTES + 3);
        assert_eq!(sample(b"<html>", &redactor), "(not JSON, 6 bytes)");
    }
}
