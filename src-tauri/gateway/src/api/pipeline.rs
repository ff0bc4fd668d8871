//! The request path shared by every client dialect: model resolution, the Kiro request,
//! the upstream call, and the request log line.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

use axum::extract::Request;

use crate::app::{AppState, Metrics};
use crate::convert::conversation::Conversation;
use crate::convert::identity::IdentityPolicy;
use crate::convert::kiro_request::{
    self, native_reasoning, KiroRequest, KiroRequestOptions, PreflightError,
};
use crate::convert::usage::estimate_conversation_tokens;
use crate::credit_ledger::CreditLedger;
use crate::cut_offs::{CutOffWatch, CutOffs};
use crate::debug_dump::DumpCapture;
use crate::error::{ApiError, Dialect};
use crate::kiro::catalog::{Catalog, CatalogSource};
use crate::kiro::models::{close_matches, payload_limit};
use crate::kiro::tap::UpstreamTap;
use crate::kiro::upstream_error::ErrorContext;
use crate::kiro::EventStream;
use crate::logs::RequestTrace;
use crate::metrics::{Finished, OTHER_MODEL};

/// A request ready to go upstream.
pub struct Prepared {
    pub kiro: KiroRequest,
    /// Local estimate of the prompt, used until upstream reports context usage.
    pub prompt_tokens: u64,
    /// The Kiro model id.
    pub model_id: String,
    /// The model's context window: the account's catalogue's, else the static table's.
    pub context_window: u64,
    pub reasoning: bool,
    /// The Kiro conversation id the request was sent under.
    pub conversation_id: String,
    /// The `model` label of the request's metrics: the Kiro model id when the catalogue
    /// lists it, else [`OTHER_MODEL`] (never the client's own spelling).
    pub metrics_model: String,
    /// What the answer's identity sanitising may rewrite (`None`: sanitising is off).
    pub identity: Option<IdentityPolicy>,
}

/// Resolve the model and build the Kiro body. `conversation.model` is the client's name;
/// a `-thinking` suffix on it turns reasoning on. The model's limits come from the account's
/// catalogue ([`Catalog::capabilities`]).
/// Adds `text` to the client's last user message (the one Kiro answers).
fn add_to_current_message(conversation: &mut Conversation, text: &str) {
    if let Some(message) = conversation
        .messages
        .iter_mut()
        .rev()
        .find(|m| m.role == crate::convert::conversation::Role::User)
    {
        message
            .parts
            .push(crate::convert::conversation::Part::Text(text.to_owned()));
    }
}

pub async fn prepare(
    state: &Arc<AppState>,
    mut conversation: Conversation,
) -> Result<Prepared, ApiError> {
    let catalog = state.models.get().await;
    let resolved = catalog.resolve(&conversation.model);
    conversation.apply_model_name_thinking(resolved.thinking);
    let model_id = resolved.upstream_id;
    let listed = check_model(&catalog, &conversation.model, &model_id)?;
    let capabilities = catalog.capabilities(&model_id);
    let conversation_id = conversation
        .session_id
        .clone()
        .or_else(|| conversation.opening_id())
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    if state.config.cut_off_recovery {
        if let Some(cut) = state.cut_offs.take(&conversation_id) {
            add_to_current_message(&mut conversation, &crate::cut_offs::notice(&cut));
        }
    }
    let options = KiroRequestOptions {
        model_id: model_id.clone(),
        profile_arn: None,
        conversation_id: conversation_id.clone(),
        max_payload_bytes: state
            .config
            .max_payload_bytes
            .unwrap_or_else(|| payload_limit(capabilities.context_window)),
        reasoning: capabilities.reasoning.clone(),
        reasoning_fields: None,
        identity_precedence: state.config.identity_sanitising,
    };
    let kiro = kiro_request::build(&conversation, &options).map_err(preflight_error)?;
    let identity = state
        .config
        .identity_sanitising
        .then(|| IdentityPolicy::for_conversation(&conversation));
    Ok(Prepared {
        identity,
        prompt_tokens: estimate_conversation_tokens(&conversation),
        context_window: capabilities.context_window,
        conversation_id,
        reasoning: conversation.thinking.is_some(),
        metrics_model: if listed {
            model_id.clone()
        } else {
            OTHER_MODEL.to_owned()
        },
        model_id,
        kiro,
    })
}

/// The prompt estimate [`prepare`] reports for `conversation` (`Prepared::prompt_tokens`),
/// after the same model check but without building or sending anything. Used by
/// `/v1/messages/count_tokens`, so it agrees with `message_start` for the same request.
pub async fn estimate_prompt(
    state: &Arc<AppState>,
    conversation: &Conversation,
) -> Result<u64, ApiError> {
    let catalog = state.models.get().await;
    let model_id = catalog.resolve(&conversation.model).upstream_id;
    check_model(&catalog, &conversation.model, &model_id)?;
    Ok(estimate_conversation_tokens(conversation))
}

/// A model the account's catalogue does not list is refused with close matches. When the
/// catalogue could not be fetched, the name is passed through and Kiro decides. `Ok(true)`
/// when the catalogue lists the model.
fn check_model(catalog: &Catalog, client_name: &str, model_id: &str) -> Result<bool, ApiError> {
    let listed = catalog.find(model_id).is_some();
    if listed || catalog.source == CatalogSource::Fallback {
        return Ok(listed);
    }
    let known: Vec<String> = catalog
        .models
        .iter()
        .map(|m| crate::kiro::models::names::client_model_id(&m.id))
        .collect();
    let suggestions = close_matches(client_name, &known);
    let hint = if suggestions.is_empty() {
        format!("Available models: {}.", known.join(", "))
    } else {
        format!("Did you mean {}?", suggestions.join(", "))
    };
    Err(ApiError::not_found(format!(
        "The model `{client_name}` does not exist or is not available to your Kiro account. {hint}"
    ))
    .with_param("model")
    .with_code("model_not_found"))
}

fn preflight_error(err: PreflightError) -> ApiError {
    let param = match err.message_index {
        Some(i) => format!("messages[{i}]"),
        None if err.rule == "payload_size" || err.rule == "no_messages" => "messages".to_owned(),
        None => err.rule.to_owned(),
    };
    ApiError::invalid_request(format!("{err}"))
        .with_param(param)
        .with_code(err.rule)
}

/// Models suggested when the one asked for is short of capacity.
const ALTERNATIVES: usize = 3;

/// Send the prepared request (shown to the request's debug dump, when it has one); every
/// retry happens in here. The body moves out of `prepared`
/// (it can be hundreds of kilobytes); what maps the answer back stays.
///
/// A spent allowance names its reset time from the cached usage limits (no I/O here; a
/// background refresh is started so that the next answer knows it). A model short of
/// capacity names other models of the catalogue that can hold the conversation, as
/// `dialect`'s model listing spells them; a conversation too long names the model's window.
pub async fn open_upstream(
    state: &Arc<AppState>,
    prepared: &mut Prepared,
    dialect: Dialect,
    log: &RequestLog,
) -> Result<EventStream, ApiError> {
    let caps = state.credit_caps.get();
    if caps.pause {
        let (today, month) = state.credits.spent();
        caps.check(today, month, chrono::Local::now())?;
    }
    // A copy without replayed reasoning, kept only when the body replays some: Kiro refuses
    // signatures it no longer accepts, and then the request is resent once without them.
    let without_reasoning = native_reasoning::replays_reasoning(&prepared.kiro.body).then(|| {
        let mut body = prepared.kiro.body.clone();
        native_reasoning::strip_replayed_reasoning(&mut body);
        body
    });
    let err = match state
        .kiro
        .generate_tapped(std::mem::take(&mut prepared.kiro.body), log.upstream_tap())
        .await
    {
        Ok(stream) => return Ok(stream),
        Err(err) => err,
    };
    let err = match without_reasoning {
        Some(body) if err.is_signature_invalid() => {
            tracing::info!(
                "Kiro refused a replayed reasoning signature; resending once without replayed reasoning"
            );
            match state.kiro.generate_tapped(body, log.upstream_tap()).await {
                Ok(stream) => return Ok(stream),
                Err(err) => err,
            }
        }
        _ => err,
    };
    let mut context = ErrorContext {
        context_window: Some(prepared.context_window),
        request_bytes: Some(prepared.kiro.body_bytes),
        ..ErrorContext::default()
    };
    if err.quota_reason().is_some() {
        state.usage.spawn_refresh_if_stale();
        context.resets_at = state.usage.cached().and_then(|u| u.resets_at);
    }
    if err.is_capacity_shortage() {
        let catalog = state.models.get().await;
        context.alternatives = catalog
            .alternatives(&prepared.model_id, prepared.prompt_tokens, ALTERNATIVES)
            .iter()
            .filter_map(|id| catalog.find(id))
            .map(|model| match dialect {
                Dialect::Anthropic => catalog.anthropic_id(model),
                Dialect::OpenAi => crate::kiro::models::names::client_model_id(&model.id),
            })
            .collect();
    }
    Err(err.to_api_error_in(&context))
}

/// Timing and outcome of one client request: logged and counted (`/metrics`) when it ends,
/// and handed to the request-recording middleware's [`RequestTrace`] (the UI's request rows)
/// when there is one. A request dropped before it ended (the client went away) is counted
/// with status 499.
#[derive(Default)]
pub struct RequestLog {
    pub route: &'static str,
    pub model: String,
    pub started: Option<Instant>,
    pub first_byte: Option<Instant>,
    trace: Option<RequestTrace>,
    /// The `model` label ([`Prepared::metrics_model`]); [`OTHER_MODEL`] until resolved.
    metrics_model: Option<String>,
    /// Kiro credits charged so far (metering events).
    credits: f64,
    /// Where the request is counted; `None` for a log that was moved out (`mem::take`).
    metrics: Option<Arc<Metrics>>,
    /// Where its credits are added up per day.
    ledger: Option<CreditLedger>,
    /// Whether Kiro cut the answer off, and where to remember it (the conversation's id).
    cut_watch: CutOffWatch,
    cut_off_target: Option<(Arc<CutOffs>, String)>,
    finished: AtomicBool,
    /// The request's debug dump, when dumps are on.
    dump: Option<DumpCapture>,
}

/// Status counted for a request that ended because the client went away (nginx's code).
const CLIENT_CLOSED: u16 = 499;

impl RequestLog {
    /// Counts the request and starts its clock.
    pub fn start(state: &AppState, route: &'static str, request: &Request) -> Self {
        state.metrics.requests.fetch_add(1, Ordering::Relaxed);
        RequestLog {
            route,
            model: String::new(),
            started: Some(Instant::now()),
            first_byte: None,
            trace: request.extensions().get::<RequestTrace>().cloned(),
            metrics_model: None,
            credits: 0.0,
            metrics: Some(state.metrics.clone()),
            ledger: Some(state.credits.clone()),
            cut_watch: CutOffWatch::default(),
            cut_off_target: None,
            finished: AtomicBool::new(false),
            dump: request.extensions().get::<DumpCapture>().cloned(),
        }
    }

    /// What shows the upstream call to this request's debug dump.
    pub fn upstream_tap(&self) -> Option<Arc<dyn UpstreamTap>> {
        self.dump
            .clone()
            .map(|dump| Arc::new(dump) as Arc<dyn UpstreamTap>)
    }

    /// The model as the metrics name it (see [`Prepared::metrics_model`]).
    pub fn set_metrics_model(&mut self, model: &str) {
        self.metrics_model = Some(model.to_owned());
    }

    /// Remember a cut-off answer of this request for the conversation's next request.
    pub fn watch_cut_off(&mut self, state: &AppState, conversation_id: &str) {
        if state.config.cut_off_recovery {
            self.cut_off_target = Some((state.cut_offs.clone(), conversation_id.to_owned()));
        }
    }

    /// Every upstream event of the answer (for cut-off detection).
    pub fn observe(&mut self, event: &crate::kiro::events::KiroEvent) {
        self.cut_watch.observe(event);
    }

    /// Kiro ended the stream itself.
    pub fn upstream_ended(&mut self) {
        self.cut_watch.upstream_ended();
    }

    /// Credits of one metering event.
    pub fn add_credits(&mut self, credits: f64) {
        if credits.is_finite() && credits > 0.0 {
            self.credits += credits;
        }
    }

    fn count(&self, status: u16, tokens: Option<(u64, u64)>) {
        if self.finished.swap(true, Ordering::Relaxed) {
            return;
        }
        let (Some(metrics), Some(started)) = (&self.metrics, self.started) else {
            return;
        };
        let model = self.metrics_model.as_deref().unwrap_or(OTHER_MODEL);
        if let Some(ledger) = &self.ledger {
            ledger.record(model, self.credits);
        }
        if let Some(trace) = &self.trace {
            trace.set_credits(self.credits);
        }
        metrics.prometheus.record(&Finished {
            route: self.route,
            status,
            model,
            duration: started.elapsed(),
            ttft: self.first_byte.map(|t| t - started),
            tokens,
            credits: self.credits,
        });
    }

    pub fn set_model(&mut self, model: &str) {
        self.model = model.to_owned();
        if let Some(trace) = &self.trace {
            trace.set_model(model);
        }
    }

    pub fn mark_first_byte(&mut self) {
        self.first_byte.get_or_insert_with(Instant::now);
        if let Some(trace) = &self.trace {
            trace.first_token();
        }
    }

    /// One info line per request: route, model, status, latency, time to first byte, tokens.
    pub fn finish(
        &self,
        state: &AppState,
        status: u16,
        usage: Option<(u64, u64)>,
        error: Option<&str>,
    ) {
        if status >= 400 {
            state.metrics.errors.fetch_add(1, Ordering::Relaxed);
        }
        if let (200, Some(cut), Some((cut_offs, conversation))) =
            (status, self.cut_watch.cut_off(), &self.cut_off_target)
        {
            tracing::info!(
                conversation = %conversation,
                "Kiro cut the answer off; the conversation's next request will say so"
            );
            cut_offs.record(conversation, cut);
        }
        self.count(status, usage);
        let started = self.started.unwrap_or_else(Instant::now);
        let latency_ms = started.elapsed().as_millis() as u64;
        let ttft_ms = self.first_byte.map(|t| (t - started).as_millis() as u64);
        let (input_tokens, output_tokens) = usage.unzip();
        if let Some(trace) = &self.trace {
            trace.set_usage(input_tokens, output_tokens);
            if let Some(error) = error {
                trace.set_error(error);
            }
        }
        if let Some(dump) = &self.dump {
            dump.outcome(status, error);
        }
        tracing::info!(
            route = self.route,
            model = %self.model,
            status,
            latency_ms,
            ttft_ms,
            input_tokens,
            output_tokens,
            error,
            "request"
        );
    }
}

impl Drop for RequestLog {
    fn drop(&mut self) {
        if self.metrics.is_some() && !self.finished.load(Ordering::Relaxed) {
            tracing::debug!(route = self.route, model = %self.model, "request dropped before it ended");
            if let Some(dump) = &self.dump {
                dump.outcome(
                    CLIENT_CLOSED,
                    Some("the client went away before the answer ended"),
                );
            }
            self.count(CLIENT_CLOSED, None);
        }
    }
}

/// `(input_tokens, output_tokens)` of an Anthropic- or Responses-shaped `usage` object, for
/// the request log.
pub(super) fn usage_pair(usage: &serde_json::Value) -> Option<(u64, u64)> {
    Some((
        usage["input_tokens"].as_u64()?,
        usage["output_tokens"].as_u64()?,
    ))
}
