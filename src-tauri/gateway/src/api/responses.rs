//! OpenAI Responses routes: `POST /v1/responses`, `GET/DELETE /v1/responses/{id}`,
//! `GET /v1/responses/{id}/input_items`.
//!
//! Same pipeline as `/v1/chat/completions`; streaming keeps the upstream inside the body
//! stream, so a client disconnect drops it at once. Completed and incomplete responses are
//! kept in [`crate::responses_store`] unless the request said `store: false`.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Request, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use super::body::read_body;
use super::pipeline::{open_upstream, prepare};
use super::request_log::RequestLog;
use super::stream_pump::{self, collect, impl_output, Outcome, Wire};
use crate::app::AppState;
use crate::convert::openai::ChatOutputOptions;
use crate::convert::responses::{
    parse_responses_request, to_conversation_from, Item, ResponseEcho, ResponsesOutput, Status,
};
use crate::error::{ApiError, Dialect};
use crate::kiro::EventStream;
use crate::responses_store::StoredResponse;

/// `event: <type>\ndata: <json>\n\n`
fn event_line(event: &Value) -> Bytes {
    let kind = event["type"].as_str().unwrap_or("message");
    Bytes::from(format!("event: {kind}\ndata: {event}\n\n"))
}

fn not_found(id: &str, param: Option<&str>) -> ApiError {
    let err = ApiError::not_found(format!("Response with id '{id}' not found."));
    match param {
        Some(p) => err.with_param(p),
        None => err,
    }
}

/// What to store once the response is finished.
struct Save {
    /// History + this request's input.
    conversation: Vec<Item>,
    input: Vec<Item>,
    session_id: String,
}

fn save(state: &AppState, output: &ResponsesOutput, save: Save) {
    if !matches!(output.status(), Status::Completed | Status::Incomplete) {
        return;
    }
    let mut conversation = save.conversation;
    conversation.extend(output.output_items());
    state.responses.insert(
        output.id(),
        StoredResponse {
            response: output.response(),
            conversation,
            input: save.input,
            session_id: save.session_id,
        },
    );
}

/// Pre-flight errors name chat `messages[i]`; here the conversation is `input`.
fn input_param(mut err: ApiError) -> ApiError {
    if err
        .param
        .as_deref()
        .is_some_and(|p| p.starts_with("messages"))
    {
        err.param = Some("input".into());
    }
    err
}

/// `POST /v1/responses`
pub async fn create_response(
    State(state): State<Arc<AppState>>,
    mut log: RequestLog,
    request: Request,
) -> Response {
    match start(&state, request, &mut log).await {
        Ok(Started::Stream(response)) => response,
        Ok(Started::Complete {
            output,
            upstream,
            save,
        }) => complete(&state, *output, upstream, save, log).await,
        Err(err) => log.attach(err.into_response_for(Dialect::OpenAi)),
    }
}

enum Started {
    Stream(Response),
    Complete {
        output: Box<ResponsesOutput>,
        upstream: EventStream,
        save: Option<Save>,
    },
}

async fn start(
    state: &Arc<AppState>,
    request: Request,
    log: &mut RequestLog,
) -> Result<Started, ApiError> {
    let body = read_body(request.into_body(), state.config.max_request_body_bytes).await?;
    let req = parse_responses_request(&body)?;
    log.set_model(&req.model);
    let (history, previous_session) = match &req.previous_response_id {
        None => (Vec::new(), None),
        Some(id) => {
            let stored = state
                .responses
                .get(id)
                .ok_or_else(|| not_found(id, Some("previous_response_id")))?;
            (stored.conversation.clone(), Some(stored.session_id.clone()))
        }
    };
    let mut conversation = to_conversation_from(&req, &history)?;
    // One Kiro conversation id per chain: the client's prompt_cache_key, else the one the
    // previous response used, else one derived from how the conversation opened.
    let session_id = conversation
        .session_id
        .clone()
        .or(previous_session)
        .or_else(|| conversation.opening_id())
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    conversation.session_id = Some(session_id.clone());
    let mut prepared = prepare(state, conversation).await.map_err(input_param)?;
    log.set_metrics_model(&prepared.metrics_model);
    log.watch_cut_off(state, &prepared.conversation_id);
    let upstream = open_upstream(state, &mut prepared, Dialect::OpenAi, log).await?;
    log.mark_first_byte();
    let echo = ResponseEcho {
        instructions: req.instructions.clone(),
        max_output_tokens: req.max_output_tokens,
        metadata: req.metadata.clone(),
        parallel_tool_calls: req.parallel_tool_calls,
        previous_response_id: req.previous_response_id.clone(),
        reasoning: req.reasoning_json.clone(),
        store: req.store,
        text: req.text_json.clone(),
        tool_choice: req.tool_choice_json.clone(),
        tools: req.tools_json.clone(),
    };
    let output = ResponsesOutput::new(
        format!("resp_{}", uuid::Uuid::new_v4().simple()),
        chrono::Utc::now().timestamp(),
        echo,
        ChatOutputOptions {
            id: String::new(),
            model: req.model.clone(),
            created: 0,
            include_usage: false,
            tool_names: prepared.kiro.tool_names.clone(),
            stop: Vec::new(),
            max_tokens: req.max_output_tokens,
            reasoning_tags: prepared.reasoning,
            completion: state.config.completion_rule,
            prompt_tokens_estimate: prepared.prompt_tokens,
            context_window: prepared.context_window,
            identity: prepared.identity.clone(),
        },
    )
    .with_tool_names(req.tool_names.clone());
    let save = req.store.then(|| {
        let mut conversation = history;
        conversation.extend(req.input.iter().cloned());
        Save {
            conversation,
            input: req.input.clone(),
            session_id,
        }
    });
    if req.stream {
        let mut output = output;
        let first = output.start();
        Ok(Started::Stream(stream_pump::stream(
            state.clone(),
            output,
            ResponseWire { save },
            first,
            upstream,
            std::mem::take(log),
        )))
    } else {
        Ok(Started::Complete {
            output: Box::new(output),
            upstream,
            save,
        })
    }
}

/// Non-streaming: the same machine, collected.
async fn complete(
    state: &Arc<AppState>,
    mut output: ResponsesOutput,
    upstream: EventStream,
    save_as: Option<Save>,
    mut log: RequestLog,
) -> Response {
    collect(&mut output, upstream, &mut log).await;
    output.finish();
    if let Some(err) = output.error().cloned() {
        return log.attach(err.into_response_for(Dialect::OpenAi));
    }
    if let Some(s) = save_as {
        save(state, &output, s);
    }
    let response = output.response();
    log.set_usage(super::pipeline::usage_pair(&response["usage"]));
    log.attach(Json(response).into_response())
}

/// Streaming: Responses' named events; the finished response is stored.
struct ResponseWire {
    save: Option<Save>,
}

impl Wire<ResponsesOutput> for ResponseWire {
    fn encode(&mut self, events: Vec<Value>) -> Vec<Bytes> {
        events.iter().map(event_line).collect()
    }
    fn on_end(&mut self, output: &ResponsesOutput, state: &Arc<AppState>) {
        if let Some(s) = self.save.take() {
            save(state, output, s);
        }
    }
    fn outcome(&self, output: &ResponsesOutput) -> Outcome {
        let error = output.error().map(|e| e.message.clone());
        Outcome {
            status: if error.is_some() { 502 } else { 200 },
            usage: super::pipeline::usage_pair(&output.usage()),
            error,
        }
    }
}

impl_output!(ResponsesOutput => Value);

/// `GET /v1/responses/{id}`
pub async fn get_response(State(state): State<Arc<AppState>>, Path(id): Path<String>) -> Response {
    match state.responses.get(&id) {
        Some(stored) => Json(stored.response.clone()).into_response(),
        None => not_found(&id, None).into_response_for(Dialect::OpenAi),
    }
}

/// `DELETE /v1/responses/{id}`
pub async fn delete_response(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> Response {
    if state.responses.delete(&id) {
        Json(json!({"id": id, "object": "response.deleted", "deleted": true})).into_response()
    } else {
        not_found(&id, None).into_response_for(Dialect::OpenAi)
    }
}

/// `GET /v1/responses/{id}/input_items` (all items, oldest first; no paging).
pub async fn list_input_items(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> Response {
    let Some(stored) = state.responses.get(&id) else {
        return not_found(&id, None).into_response_for(Dialect::OpenAi);
    };
    let data: Vec<Value> = stored
        .input
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let mut v = item.to_json();
            v["id"] = json!(format!("{id}_in_{i}"));
            v
        })
        .collect();
    Json(json!({
        "object": "list",
        "data": data,
        "first_id": data.first().map(|v| v["id"].clone()),
        "last_id": data.last().map(|v| v["id"].clone()),
        "has_more": false,
    }))
    .into_response()
}
