//! OpenAI routes: `/v1/chat/completions`, `/v1/models`, `/v1/models/{id}`.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use crate::app::AppState;
use crate::error::{ApiError, Dialect};
use crate::kiro::catalog::ModelInfo;

/// Kiro's `auto` collides with Cursor's own "auto"; clients see it as `auto-kiro`.
pub(crate) fn client_model_id(upstream_id: &str) -> String {
    if upstream_id == "auto" {
        "auto-kiro".into()
    } else {
        upstream_id.into()
    }
}

fn model_object(model: &ModelInfo, created: i64) -> Value {
    json!({
        "id": client_model_id(&model.id),
        "object": "model",
        "created": created,
        "owned_by": if model.id.starts_with("claude") { "anthropic" } else { "kiro" },
        "name": model.name,
        "context_length": model.max_input_tokens,
        "max_output_tokens": model.max_output_tokens,
    })
}

fn created_at(state: &AppState) -> i64 {
    chrono::Utc::now().timestamp() - state.started_at.elapsed().as_secs() as i64
}

pub async fn list_models(State(state): State<Arc<AppState>>) -> Json<Value> {
    let catalog = state.models.get().await;
    let created = created_at(&state);
    let data: Vec<Value> = catalog
        .models
        .iter()
        .map(|m| model_object(m, created))
        .collect();
    Json(json!({ "object": "list", "data": data }))
}

pub async fn get_model(State(state): State<Arc<AppState>>, Path(id): Path<String>) -> Response {
    let catalog = state.models.get().await;
    let created = created_at(&state);
    match catalog
        .models
        .iter()
        .find(|m| client_model_id(&m.id) == id || m.id == id)
    {
        Some(model) => Json(model_object(model, created)).into_response(),
        None => ApiError::not_found(format!(
            "The model `{id}` does not exist or is not available to your Kiro account."
        ))
        .with_param("model")
        .with_code("model_not_found")
        .into_response_for(Dialect::OpenAi),
    }
}

pub async fn chat_completions(State(_state): State<Arc<AppState>>) -> Response {
    ApiError::internal("not wired yet").into_response_for(Dialect::OpenAi)
}
