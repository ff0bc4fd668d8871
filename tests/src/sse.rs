//! Reading server-sent events the way a client does, for every test that checks a stream:
//! the whole body as text, its frames (the lines between blank lines), and their `data:`
//! payloads.

use futures::StreamExt;
use serde_json::Value;

/// One event of an SSE body: its lines as sent (`event: …`, `data: …`, `: comment`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    pub lines: Vec<String>,
}

impl Frame {
    /// The value of the first `name:` line (`event`, `data`, `id`).
    pub fn field(&self, name: &str) -> Option<&str> {
        self.lines.iter().find_map(|line| {
            line.strip_prefix(name)
                .and_then(|rest| rest.strip_prefix(':'))
                .map(|value| value.strip_prefix(' ').unwrap_or(value))
        })
    }

    /// A frame of comment lines only (keep-alives).
    pub fn is_comment(&self) -> bool {
        self.lines.iter().all(|line| line.starts_with(':'))
    }
}

/// The body as it arrived, chunk by chunk, as UTF-8 text.
pub async fn body_text(response: reqwest::Response) -> String {
    let mut body = response.bytes_stream();
    let mut bytes = Vec::new();
    while let Some(chunk) = body.next().await {
        bytes.extend_from_slice(&chunk.expect("body chunk"));
    }
    String::from_utf8(bytes).expect("SSE body is UTF-8")
}

/// Every frame of `text`, in order (blank-line separated, empty frames skipped).
pub fn frames(text: &str) -> Vec<Frame> {
    text.split("\n\n")
        .filter(|block| !block.trim().is_empty())
        .map(|block| Frame {
            lines: block
                .trim_matches('\n')
                .lines()
                .map(str::to_owned)
                .collect(),
        })
        .collect()
}

/// The `data:` payload of every frame that has one, `[DONE]` included.
pub fn data(text: &str) -> Vec<String> {
    frames(text)
        .iter()
        .filter_map(|frame| frame.field("data").map(str::to_owned))
        .collect()
}

/// The `data:` payloads parsed as JSON, without the `[DONE]` terminator.
pub fn json_data(text: &str) -> Vec<Value> {
    data(text)
        .iter()
        .filter(|payload| payload.as_str() != "[DONE]")
        .map(|payload| serde_json::from_str(payload).expect("each data payload is JSON"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_fields_and_payloads() {
        let text = "event: message_start\ndata: {\"a\":1}\n\n: keep-alive\n\ndata: [DONE]\n\n";
        let all = frames(text);
        assert_eq!(all.len(), 3);
        assert_eq!(all[0].field("event"), Some("message_start"));
        assert_eq!(all[0].field("data"), Some("{\"a\":1}"));
        assert!(all[1].is_comment());
        assert_eq!(data(text), ["{\"a\":1}", "[DONE]"]);
        assert_eq!(json_data(text), [serde_json::json!({"a": 1})]);
    }
}
