//! The desktop window's test chat: a streaming `/v1/chat/completions` request to the running
//! gateway over loopback, with the API key a tool presents, so it takes the same auth path
//! and pipeline a tool does. (The webview does not fetch the gateway itself: its origin would
//! force CORS onto the gateway.)

use futures::StreamExt;
use serde::Serialize;
use serde_json::Value;
pub use tokio_util::sync::CancellationToken;

/// How a chat stream ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChatEnd {
    /// `data: [DONE]` arrived.
    Done,
    /// The caller cancelled; the connection was dropped, which stops the upstream call.
    Cancelled,
    /// The server closed the stream without `[DONE]`.
    Closed,
}

/// Why a chat failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChatCode {
    /// The gateway did not answer.
    Unreachable,
    /// The stream broke off mid-way.
    StreamBroken,
    /// The gateway answered with an error: its own code (or type), passed through as sent.
    Gateway(String),
}

impl ChatCode {
    pub fn as_str(&self) -> &str {
        match self {
            ChatCode::Unreachable => "unreachable",
            ChatCode::StreamBroken => "stream_broken",
            ChatCode::Gateway(code) => code,
        }
    }
}

impl Serialize for ChatCode {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// A failed chat: the gateway's own error (`status` > 0) or no answer (`status` 0).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChatError {
    pub status: u16,
    pub code: ChatCode,
    pub message: String,
    pub hint: String,
}

/// A loopback HTTP client that keeps its connection to the gateway between chats.
#[derive(Clone, Default)]
pub struct ChatClient(reqwest::Client);

impl ChatClient {
    pub fn new() -> Self {
        ChatClient::default()
    }

    /// See [`stream_chat`].
    pub async fn stream(
        &self,
        base: &str,
        api_key: Option<&str>,
        body: Value,
        cancel: CancellationToken,
        on_data: impl FnMut(&str),
    ) -> Result<ChatEnd, ChatError> {
        stream_chat(&self.0, base, api_key, body, cancel, on_data).await
    }
}

/// POST `body` (forced to stream with usage) to `{base}/v1/chat/completions` and call
/// `on_data` with each SSE `data:` payload as it arrives (`[DONE]` included).
pub async fn stream_chat(
    client: &reqwest::Client,
    base: &str,
    api_key: Option<&str>,
    mut body: Value,
    cancel: CancellationToken,
    mut on_data: impl FnMut(&str),
) -> Result<ChatEnd, ChatError> {
    if let Some(object) = body.as_object_mut() {
        object.insert("stream".into(), Value::Bool(true));
        object.insert(
            "stream_options".into(),
            serde_json::json!({ "include_usage": true }),
        );
    }
    let mut request = client
        .post(format!(
            "{}/v1/chat/completions",
            base.trim_end_matches('/')
        ))
        .header("accept", "text/event-stream")
        .json(&body);
    if let Some(key) = api_key {
        request = request.bearer_auth(key);
    }
    let response = tokio::select! {
        _ = cancel.cancelled() => return Ok(ChatEnd::Cancelled),
        sent = request.send() => sent.map_err(|e| ChatError {
            status: 0,
            code: ChatCode::Unreachable,
            message: format!("The gateway is not answering at {base}."),
            hint: if e.is_connect() { "Start the gateway, then try again." } else { "Try again." }.into(),
        })?,
    };
    let status = response.status();
    if !status.is_success() {
        let text = response.text().await.unwrap_or_default();
        return Err(error_from_body(status.as_u16(), &text));
    }
    let mut frames = SseData::default();
    let mut body = response.bytes_stream();
    loop {
        let chunk = tokio::select! {
            _ = cancel.cancelled() => return Ok(ChatEnd::Cancelled),
            chunk = body.next() => chunk,
        };
        let Some(chunk) = chunk else {
            return Ok(ChatEnd::Closed);
        };
        let chunk = chunk.map_err(|e| ChatError {
            status: 0,
            code: ChatCode::StreamBroken,
            message: format!("The stream broke off: {e}"),
            hint: "Try again; the Logs view shows what happened.".into(),
        })?;
        for data in frames.push(&chunk) {
            on_data(&data);
            if data == "[DONE]" {
                return Ok(ChatEnd::Done);
            }
        }
    }
}

/// The gateway's OpenAI-shaped error body (`{"error":{message,type,code}}`) as a `ChatError`.
fn error_from_body(status: u16, text: &str) -> ChatError {
    let error = serde_json::from_str::<Value>(text)
        .ok()
        .and_then(|v| v.get("error").cloned());
    let field = |name: &str| {
        error
            .as_ref()
            .and_then(|e| e.get(name))
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    ChatError {
        status,
        code: ChatCode::Gateway(
            field("code")
                .or_else(|| field("type"))
                .unwrap_or_else(|| "error".into()),
        ),
        message: field("message").unwrap_or_else(|| format!("The gateway answered {status}.")),
        hint: match status {
            401 => "The key was rejected; regenerate it in Settings.".into(),
            404 => "Pick a model from the Models view.".into(),
            _ => "The Logs view shows the request.".into(),
        },
    }
}

/// Splits an SSE byte stream into the `data:` payloads of complete events, across chunk
/// boundaries (including a UTF-8 character split between chunks).
#[derive(Default)]
struct SseData {
    buffer: Vec<u8>,
}

impl SseData {
    fn push(&mut self, chunk: &[u8]) -> Vec<String> {
        self.buffer.extend_from_slice(chunk);
        let mut out = Vec::new();
        while let Some((end, sep)) = event_end(&self.buffer) {
            let event: Vec<u8> = self.buffer.drain(..end + sep).collect();
            let text = String::from_utf8_lossy(&event[..end]);
            let data: Vec<&str> = text
                .lines()
                .filter_map(|l| l.strip_prefix("data:"))
                .map(|d| d.strip_prefix(' ').unwrap_or(d))
                .collect();
            if !data.is_empty() {
                out.push(data.join("\n"));
            }
        }
        out
    }
}

/// Where the first complete event ends, and the separator's length.
fn event_end(buffer: &[u8]) -> Option<(usize, usize)> {
    (0..buffer.len()).find_map(|i| {
        if buffer[i..].starts_with(b"\n\n") {
            Some((i, 2))
        } else if buffer[i..].starts_with(b"\r\n\r\n") {
            Some((i, 4))
        } else {
            None
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_split_anywhere_come_out_whole_and_in_order() {
        let stream =
            "data: {\"a\":\"é\"}\n\n: keep-alive\n\ndata: one\ndata: two\r\n\r\ndata: [DONE]\n\n";
        let bytes = stream.as_bytes();
        for cut in 1..bytes.len() {
            let mut sse = SseData::default();
            let mut got = sse.push(&bytes[..cut]);
            got.extend(sse.push(&bytes[cut..]));
            assert_eq!(
                got,
                vec!["{\"a\":\"é\"}", "one\ntwo", "[DONE]"],
                "cut at {cut}"
            );
        }
    }

    #[test]
    fn openai_error_bodies_keep_code_and_message() {
        let e = error_from_body(
            404,
            r#"{"error":{"message":"The model `x` does not exist","type":"invalid_request_error","code":"model_not_found"}}"#,
        );
        assert_eq!(e.code.as_str(), "model_not_found");
        assert_eq!(e.message, "The model `x` does not exist");
        assert_eq!(e.status, 404);
        let e = error_from_body(502, "<html>bad gateway</html>");
        assert_eq!(e.code.as_str(), "error");
        assert_eq!(e.message, "The gateway answered 502.");
    }
}
