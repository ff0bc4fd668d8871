//! Signed and encrypted reasoning the way OpenRouter sends it, as `reasoning_details`
//! items (shared by the chat and the Responses renderers).
//!
//! Once a stretch of reasoning ends (text, a tool call or the end follows), a stretch Kiro
//! signed becomes one `{"type": "reasoning.text", "text", "signature", "format": "kiro",
//! "index"}` item with the stretch's text and the last signature Kiro sent for it (a
//! signature kept from before the stretch counts too). Encrypted reasoning
//! (`redactedContent`, GPT's) goes out at once as `{"type": "reasoning.encrypted", "data",
//! "format": "kiro", "index"}`, ending the stretch before it. Signatures and encrypted
//! reasoning that arrive once the text was cut (stop sequence, `max_tokens`) are dropped.
//! An error ends nothing: a pending signed stretch is not sent.

use serde::Serialize;

/// `format` of the `reasoning_details` items the gateway writes.
pub const REASONING_FORMAT: &str = "kiro";

/// One `reasoning_details` item.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type")]
pub enum ReasoningDetail {
    #[serde(rename = "reasoning.text")]
    Text {
        text: String,
        signature: String,
        format: &'static str,
        index: usize,
    },
    #[serde(rename = "reasoning.encrypted")]
    Encrypted {
        data: String,
        format: &'static str,
        index: usize,
    },
}

/// The reasoning stretch in progress and the items written so far.
#[derive(Debug, Default)]
pub struct ReasoningDetails {
    /// Reasoning text since the last item.
    stretch: String,
    /// The signature of that stretch, once Kiro sent one.
    signature: Option<String>,
    /// Every item so far, for the non-streaming message.
    items: Vec<ReasoningDetail>,
}

impl ReasoningDetails {
    /// Reasoning text went out.
    pub fn reasoning(&mut self, text: &str) {
        self.stretch.push_str(text);
    }

    /// Kiro signed the stretch (the last signature wins).
    pub fn signature(&mut self, signature: String) {
        self.signature = Some(signature);
    }

    /// Something other than reasoning follows: the stretch, if signed, becomes an item.
    pub fn end_stretch(&mut self) -> Option<ReasoningDetail> {
        let text = std::mem::take(&mut self.stretch);
        let signature = self.signature.take()?;
        Some(self.push(|index| ReasoningDetail::Text {
            text,
            signature,
            format: REASONING_FORMAT,
            index,
        }))
    }

    /// Encrypted reasoning: an item of its own (end the stretch before).
    pub fn encrypted(&mut self, data: String) -> ReasoningDetail {
        self.push(|index| ReasoningDetail::Encrypted {
            data,
            format: REASONING_FORMAT,
            index,
        })
    }

    /// Every item so far.
    pub fn items(&self) -> &[ReasoningDetail] {
        &self.items
    }

    fn push(&mut self, item: impl FnOnce(usize) -> ReasoningDetail) -> ReasoningDetail {
        let item = item(self.items.len());
        self.items.push(item.clone());
        item
    }
}
