//! The request path shared by every client dialect: model resolution, the Kiro request,
//! the upstream call.

use std::sync::Arc;

use super::request_log::RequestLog;
use crate::app::AppState;
use crate::convert::conversation::Conversation;
use crate::convert::identity::IdentityPolicy;
use crate::convert::kiro_request::{
    self, native_reasoning, KiroRequest, KiroRequestOptions, PreflightError,
};
use crate::convert::usage::estimate_conversation_tokens;
use crate::error::{ApiError, Dialect, ErrorCode};
use crate::kiro::catalog::{Catalog, CatalogSource};
use crate::kiro::models::{close_matches, payload_limit};
use crate::kiro::upstream_error::ErrorContext;
use crate::kiro::EventStream;
use crate::metrics::OTHER_MODEL;

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
    .with_code(ErrorCode::ModelNotFound))
}

fn preflight_error(err: PreflightError) -> ApiError {
    let param = match err.message_index {
        Some(i) => format!("messages[{i}]"),
        None if err.rule.is_about_messages() => "messages".to_owned(),
        None => err.rule.as_str().to_owned(),
    };
    ApiError::invalid_request(format!("{err}"))
        .with_param(param)
        .with_code(err.rule.into())
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

/// `(input_tokens, output_tokens)` of an Anthropic- or Responses-shaped `usage` object, for
/// the request log.
pub(super) fn usage_pair(usage: &serde_json::Value) -> Option<(u64, u64)> {
    Some((
        usage["input_tokens"].as_u64()?,
        usage["output_tokens"].as_u64()?,
    ))
}
