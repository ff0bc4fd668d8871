//! Anthropic routes: `POST /v1/messages` and `POST /v1/messages/count_tokens`.
//!
//! `anthropic-version`, `anthropic-beta` and Claude Code's `?beta=true` are accepted and
//! ignored (nothing they select changes what Kiro can do). Errors use Anthropic's envelope
//! `{"type":"error","error":{"type","message"}}` ([`Dialect::Anthropic`]).
//!
//! Streaming: `message_start` goes out as soon as Kiro produced its first event; a `ping`
//! follows every [`PING_INTERVAL`] of upstream silence (see [`super::stream_pump`]).

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use super::body::read_body;
use super::pipeline::{estimate_prompt, open_upstream, prepare};
use super::request_log::RequestLog;
use super::stream_pump::{self, collect, impl_output, Outcome, Wire};
use crate::app::AppState;
use crate::convert::anthropic::request::{parse_messages_request, Purpose};
use crate::convert::anthropic::stream::{
    placeholder_signature, MessageOutput, MessageOutputOptions, SseEvent,
};
use crate::error::{ApiError, Dialect, ErrorCode, PreflightRule};
use crate::kiro::EventStream;
use crate::logs::RequestTrace;

/// Upstream silence after which a `ping` event is sent (Claude Code and proxies keep the
/// stream alive with it). `KIRO_GATEWAY_PING_INTERVAL_MS` overrides it (tests).
pub const PING_INTERVAL: Duration = Duration::from_secs(15);

fn ping_interval() -> Duration {
    std::env::var("KIRO_GATEWAY_PING_INTERVAL_MS")
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .filter(|ms| *ms > 0)
        .map(Duration::from_millis)
        .unwrap_or(PING_INTERVAL)
}

/// `POST /v1/messages`
pub async fn messages(
    State(state): State<Arc<AppState>>,
    mut log: RequestLog,
    request: Request,
) -> Response {
    match start(&state, request, &mut log).await {
        Ok(Started::Stream(response)) => response,
        Ok(Started::Complete { output, upstream }) => complete(*output, upstream, log).await,
        Err(err) => log.attach(anthropic_wording(err).into_response_for(Dialect::Anthropic)),
    }
}

/// Anthropic says "prompt is too long" when the context window is exceeded, and Claude Code
/// looks for those words to compact the conversation; the gateway's explanation follows.
/// Kiro's context limit, the gateway's refusal of a Kiro body over its size limit
/// (`payload_size`) and Kiro's reasonless refusal of a large body all read that way:
/// compacting fixes each.
fn anthropic_wording(mut err: ApiError) -> ApiError {
    let too_long = matches!(
        err.code,
        Some(
            ErrorCode::ContextLengthExceeded
                | ErrorCode::Preflight(PreflightRule::PayloadSize)
                | ErrorCode::KiroRequestTooLarge
        )
    );
    if too_long && !err.message.starts_with("prompt is too long") {
        err.message = format!("prompt is too long: {}", err.message);
    }
    err
}

/// `POST /v1/messages/count_tokens`: `{"input_tokens": N}` — the same local estimate that
/// `message_start` carries for the same request (see `convert::usage` for the method).
/// Its request row names the model and the estimate (as input tokens).
pub async fn count_tokens(State(state): State<Arc<AppState>>, request: Request) -> Response {
    let trace = request.extensions().get::<RequestTrace>().cloned();
    let result = async {
        let body = read_body(request.into_body(), state.config.max_request_body_bytes).await?;
        let parsed = parse_messages_request(&body, Purpose::CountTokens)?;
        if let Some(trace) = &trace {
            trace.set_model(&parsed.conversation.model);
        }
        estimate_prompt(&state, &parsed.conversation).await
    }
    .await;
    match result {
        Ok(tokens) => {
            if let Some(trace) = &trace {
                trace.set_usage(Some(tokens), None);
            }
            Json(json!({ "input_tokens": tokens })).into_response()
        }
        Err(err) => {
            if let Some(trace) = &trace {
                trace.set_error(&err.message);
            }
            err.into_response_for(Dialect::Anthropic)
        }
    }
}

enum Started {
    Stream(Response),
    Complete {
        output: Box<MessageOutput>,
        upstream: EventStream,
    },
}

async fn start(
    state: &Arc<AppState>,
    request: Request,
    log: &mut RequestLog,
) -> Result<Started, ApiError> {
    let body = read_body(request.into_body(), state.config.max_request_body_bytes).await?;
    let parsed = parse_messages_request(&body, Purpose::Messages)?;
    let conversation = parsed.conversation;
    log.set_model(&conversation.model);
    let model = conversation.model.clone();
    let stop_sequences = conversation.stop_sequences.clone();
    let max_tokens = conversation.max_output_tokens;
    let mut prepared = prepare(state, conversation).await?;
    log.set_metrics_model(&prepared.metrics_model);
    log.watch_cut_off(state, &prepared.conversation_id);
    let upstream = open_upstream(state, &mut prepared, Dialect::Anthropic, log).await?;
    log.mark_first_byte();
    let output = MessageOutput::new(MessageOutputOptions {
        id: format!("msg_{}", uuid::Uuid::new_v4().simple()),
        model,
        tool_names: prepared.kiro.tool_names.clone(),
        stop_sequences,
        max_tokens,
        reasoning_tags: prepared.reasoning,
        completion: state.config.completion_rule,
        prompt_tokens_estimate: prepared.prompt_tokens,
        context_window: prepared.context_window,
        placeholder_signature: placeholder_signature(),
        identity: prepared.identity.clone(),
    });
    if parsed.stream {
        let first = vec![output.message_start()];
        let wire = MessageWire {
            ping_interval: ping_interval(),
        };
        Ok(Started::Stream(stream_pump::stream(
            state.clone(),
            output,
            wire,
            first,
            upstream,
            std::mem::take(log),
        )))
    } else {
        Ok(Started::Complete {
            output: Box::new(output),
            upstream,
        })
    }
}

/// Non-streaming: the same state machine, collected.
async fn complete(
    mut output: MessageOutput,
    upstream: EventStream,
    mut log: RequestLog,
) -> Response {
    collect(&mut output, upstream, &mut log).await;
    match output.into_message() {
        Ok(message) => {
            log.set_usage(super::pipeline::usage_pair(&message["usage"]));
            log.attach(Json(message).into_response())
        }
        Err(err) => log.attach(err.into_response_for(Dialect::Anthropic)),
    }
}

/// Streaming: Anthropic's named events, with a `ping` after each `interval` of upstream
/// silence.
struct MessageWire {
    ping_interval: Duration,
}

impl Wire<MessageOutput> for MessageWire {
    fn encode(&mut self, events: Vec<SseEvent>) -> Vec<Bytes> {
        events.iter().map(|e| Bytes::from(e.to_wire())).collect()
    }
    fn outcome(&self, output: &MessageOutput) -> Outcome {
        Outcome {
            status: output
                .error()
                .map_or(200, |e| e.status_in(Dialect::Anthropic).as_u16()),
            usage: super::pipeline::usage_pair(&output.usage()),
            error: output.error().map(|e| e.message.clone()),
        }
    }
    fn ping(&self) -> Option<(Duration, Bytes)> {
        Some((self.ping_interval, Bytes::from(SseEvent::ping().to_wire())))
    }
}

impl_output!(MessageOutput => SseEvent);
