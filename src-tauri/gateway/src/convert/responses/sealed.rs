//! The `encrypted_content` of the Responses reasoning items the gateway writes: reasoning
//! Kiro must get back in `reasoningContent` on a later turn (docs/kiro-protocol.md#reasoning),
//! signed text or Kiro's own encrypted reasoning (GPT's `redactedContent`), packed so that the
//! client hands it back untouched. Not encryption: Kiro's signature is what protects the
//! reasoning; this only carries it.
//!
//! Form: `kiro1.` + URL-safe base64 (no padding) of `{"text", "signature"}` or
//! `{"redacted"}`. Anything else (another provider's blob, a damaged value) opens to `None`
//! and is not replayed.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde_json::{json, Value};

const PREFIX: &str = "kiro1.";

/// Reasoning that can be replayed to Kiro.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sealed {
    /// Reasoning text with the signature Kiro gave it.
    Signed { text: String, signature: String },
    /// Kiro's encrypted reasoning, as it came.
    Redacted(String),
}

impl Sealed {
    /// The `encrypted_content` value.
    pub fn seal(&self) -> String {
        let inner = match self {
            Sealed::Signed { text, signature } => json!({"text": text, "signature": signature}),
            Sealed::Redacted(data) => json!({"redacted": data}),
        };
        format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(inner.to_string()))
    }

    /// Back from an `encrypted_content` value.
    pub fn open(value: &str) -> Option<Sealed> {
        let bytes = URL_SAFE_NO_PAD.decode(value.strip_prefix(PREFIX)?).ok()?;
        let inner: Value = serde_json::from_slice(&bytes).ok()?;
        if let Some(data) = inner["redacted"].as_str().filter(|d| !d.is_empty()) {
            return Some(Sealed::Redacted(data.to_owned()));
        }
        Some(Sealed::Signed {
            text: inner["text"].as_str()?.to_owned(),
            signature: inner["signature"]
                .as_str()
                .filter(|s| !s.is_empty())?
                .to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_value_opens_to_what_went_in() {
        for sealed in [
            Sealed::Signed {
                text: "Let me think — \"quoted\"\n".into(),
                signature: "sig/+=".into(),
            },
            Sealed::Redacted("AAEC/+==".into()),
        ] {
            let value = sealed.seal();
            assert!(value.starts_with("kiro1."));
            assert!(!value.contains('='), "no padding: {value}");
            assert_eq!(Sealed::open(&value), Some(sealed));
        }
    }

    #[test]
    fn foreign_or_damaged_values_open_to_nothing() {
        for value in [
            "gAAAAABoOpenAIBlob",
            "kiro1.%%%",
            "kiro1.",
            &format!("kiro1.{}", URL_SAFE_NO_PAD.encode(r#"{"text":"t"}"#)),
            &format!(
                "kiro1.{}",
                URL_SAFE_NO_PAD.encode(r#"{"text":"t","signature":""}"#)
            ),
        ] {
            assert_eq!(Sealed::open(value), None, "{value}");
        }
    }
}
