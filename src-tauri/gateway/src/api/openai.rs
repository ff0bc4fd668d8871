//! OpenAI route `/v1/chat/completions` (the model routes are in `models`).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::Value;

use super::body::read_body;
use super::pipeline::{open_upstream, prepare};
use super::request_log::RequestLog;
use super::sse;
use super::stream_pump::{self, collect, impl_output, Outcome, Wire};
use crate::app::AppState;
use crate::convert::openai::{
    parse_chat_request, strip_code_fence, to_conversation, ChatOutput, ChatOutputOptions,
    ResponseFormat,
};
use crate::error::{ApiError, Dialect};
use crate::kiro::EventStream;

/// `POST /v1/chat/completions`
pub async fn chat_completions(
    State(state): State<Arc<AppState>>,
    mut log: RequestLog,
    request: Request,
) -> Response {
    match start_chat(&state, request, &mut log).await {
        Ok(Started::Stream(response)) => response,
        Ok(Started::Complete {
            output,
            upstream,
            response_format,
        }) => complete(*output, upstream, &response_format, log).await,
        Err(err) => log.attach(err.into_response_for(Dialect::OpenAi)),
    }
}

enum Started {
    Stream(Response),
    Complete {
        output: Box<ChatOutput>,
        upstream: EventStream,
        response_format: ResponseFormat,
    },
}

async fn start_chat(
    state: &Arc<AppState>,
    request: Request,
    log: &mut RequestLog,
) -> Result<Started, ApiError> {
    let body = read_body(request.into_body(), state.config.max_request_body_bytes).await?;
    let chat = parse_chat_request(&body)?;
    log.set_model(&chat.model);
    let conversation = to_conversation(&chat)?;
    let mut prepared = prepare(state, conversation).await?;
    log.set_metrics_model(&prepared.metrics_model);
    log.watch_cut_off(state, &prepared.conversation_id);
    let upstream = open_upstream(state, &mut prepared, Dialect::OpenAi, log).await?;
    log.mark_first_byte();
    let output = ChatOutput::new(ChatOutputOptions {
        id: format!("chatcmpl-{}", uuid::Uuid::new_v4().simple()),
        model: chat.model.clone(),
        created: chrono::Utc::now().timestamp(),
        include_usage: chat.include_usage,
        tool_names: prepared.kiro.tool_names.clone(),
        stop: chat.stop.clone(),
        max_tokens: chat.max_tokens,
        reasoning_tags: prepared.reasoning,
        completion: state.config.completion_rule,
        prompt_tokens_estimate: prepared.prompt_tokens,
        context_window: prepared.context_window,
        identity: prepared.identity.clone(),
    });
    if chat.stream {
        Ok(Started::Stream(stream_pump::stream(
            state.clone(),
            output,
            ChatWire::default(),
            Vec::new(),
            upstream,
            std::mem::take(log),
        )))
    } else {
        Ok(Started::Complete {
            output: Box::new(output),
            upstream,
            response_format: chat.response_format.clone(),
        })
    }
}

/// Non-streaming: the same state machine, collected.
async fn complete(
    mut output: ChatOutput,
    upstream: EventStream,
    response_format: &ResponseFormat,
    mut log: RequestLog,
) -> Response {
    collect(&mut output, upstream, &mut log).await;
    match output.into_completion() {
        Ok(mut completion) => {
            log.set_usage(usage_pair(&completion["usage"]));
            let format_error = check_response_format(&mut completion, response_format);
            let mut response = Json(completion).into_response();
            if format_error {
                response.headers_mut().insert(
                    RESPONSE_FORMAT_HEADER,
                    axum::http::HeaderValue::from_static("invalid"),
                );
            }
            log.attach(response)
        }
        Err(err) => log.attach(err.into_response_for(Dialect::OpenAi)),
    }
}

/// Header set to `invalid` on a non-streaming answer whose text fails the
/// `response_format` check.
pub const RESPONSE_FORMAT_HEADER: &str = "x-kiro-response-format";

/// `response_format` `json_object` / `json_schema` on a finished non-streaming answer
/// (docs/openai.md): a valid answer wrapped in a Markdown code
/// fence is unwrapped; an invalid one is kept as it is (the client's own parser reports it
/// with the real text in hand) and flagged with `message.response_format_error` (the
/// reason) plus the [`RESPONSE_FORMAT_HEADER`] header. Answers that are tool calls only are
/// not checked. Returns true when the answer was flagged.
fn check_response_format(completion: &mut Value, format: &ResponseFormat) -> bool {
    if !format.wants_json() {
        return false;
    }
    let message = &mut completion["choices"][0]["message"];
    let Some(text) = message["content"].as_str().map(str::to_owned) else {
        return false;
    };
    match format.check_answer(&text) {
        Ok(_) => {
            let inner = strip_code_fence(&text);
            if inner.len() != text.len() {
                message["content"] = Value::String(inner.to_owned());
            }
            false
        }
        Err(reason) => {
            tracing::warn!("the answer does not follow response_format: {reason}");
            message["response_format_error"] = Value::String(reason);
            true
        }
    }
}

fn usage_pair(usage: &Value) -> Option<(u64, u64)> {
    Some((
        usage["prompt_tokens"].as_u64()?,
        usage["completion_tokens"].as_u64()?,
    ))
}

/// Streaming: chat completion chunks, then `data: [DONE]`.
#[derive(Default)]
struct ChatWire {
    /// Usage from the last chunk that carried it (`stream_options.include_usage`).
    last_usage: Option<(u64, u64)>,
}

impl Wire<ChatOutput> for ChatWire {
    fn encode(&mut self, chunks: Vec<Value>) -> Vec<Bytes> {
        chunks
            .iter()
            .map(|chunk| {
                if let Some(usage) = chunk.get("usage") {
                    self.last_usage = usage_pair(usage);
                }
                sse::data_line(chunk)
            })
            .collect()
    }
    fn terminator(&self) -> Option<Bytes> {
        Some(Bytes::from_static(sse::DONE.as_bytes()))
    }
    fn outcome(&self, output: &ChatOutput) -> Outcome {
        let error = output.error().map(|e| e.message.clone());
        Outcome {
            status: if error.is_some() { 502 } else { 200 },
            usage: self.last_usage.or_else(|| usage_pair(&output.usage())),
            error,
        }
    }
}

impl_output!(ChatOutput => Value);
