//! `GET /v1/models` and `GET /v1/models/{id}` in two shapes, chosen by the request:
//!
//! * **Anthropic's** when it carries an `anthropic-version` header (the Anthropic SDKs always
//!   send one, and so does Claude Code's gateway model discovery, `GET /v1/models?limit=1000`):
//!   `{"data":[{"type":"model","id","display_name","created_at",…}],"has_more","first_id",
//!   "last_id"}`, paged by `limit` (1–1000, default 20), `after_id` and `before_id`. Ids are
//!   the ones Claude Code recognises: dash form for Claude models, `[1m]` for 1M windows
//!   ([`Catalog::anthropic_id`]).
//! * **OpenAI's** otherwise: `{"object":"list","data":[{"id","object":"model",…}]}`, ids as
//!   Kiro spells them (`auto` as `auto-kiro`).
//!
//! Windows and output limits are the catalogue's ([`Catalog::capabilities`]). Every listed
//! id, in either shape, resolves back to its Kiro id in the chat routes.

use std::collections::HashMap;
use std::ops::Range;
use std::sync::Arc;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use crate::app::AppState;
use crate::error::{ApiError, Dialect, ErrorCode};
use crate::kiro::catalog::{Catalog, ModelInfo};
use crate::kiro::models::names::client_model_id;

/// The header that selects Anthropic's shape.
const ANTHROPIC_VERSION: &str = "anthropic-version";
/// Anthropic's page size: default and maximum.
const DEFAULT_LIMIT: usize = 20;
const MAX_LIMIT: usize = 1000;

fn dialect_of(headers: &HeaderMap) -> Dialect {
    if headers.contains_key(ANTHROPIC_VERSION) {
        Dialect::Anthropic
    } else {
        Dialect::OpenAi
    }
}

/// When the gateway started, as Unix seconds: the `created` of every model.
fn created_at(state: &AppState) -> i64 {
    chrono::Utc::now().timestamp() - state.started_at.elapsed().as_secs() as i64
}

fn openai_object(catalog: &Catalog, model: &ModelInfo, created: i64) -> Value {
    let capabilities = catalog.capabilities(&model.id);
    json!({
        "id": client_model_id(&model.id),
        "object": "model",
        "created": created,
        "owned_by": if model.id.starts_with("claude") { "anthropic" } else { "kiro" },
        "name": model.name,
        "context_length": capabilities.context_window,
        "max_output_tokens": capabilities.max_output_tokens,
    })
}

fn anthropic_object(catalog: &Catalog, model: &ModelInfo, created: i64) -> Value {
    let capabilities = catalog.capabilities(&model.id);
    let created_at = chrono::DateTime::from_timestamp(created, 0)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let display_name = if model.name.trim().is_empty() {
        model.id.clone()
    } else {
        model.name.clone()
    };
    json!({
        "type": "model",
        "id": catalog.anthropic_id(model),
        "display_name": display_name,
        "created_at": created_at,
        "max_input_tokens": capabilities.context_window,
        "max_tokens": capabilities.max_output_tokens,
    })
}

/// The `limit`, `after_id` and `before_id` of an Anthropic listing request.
#[derive(Debug, Clone, PartialEq, Eq)]
struct PageRequest {
    limit: usize,
    after_id: Option<String>,
    before_id: Option<String>,
}

fn page_request(query: &HashMap<String, String>) -> Result<PageRequest, ApiError> {
    let limit = match query.get("limit") {
        None => DEFAULT_LIMIT,
        Some(raw) => raw
            .trim()
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=MAX_LIMIT).contains(n))
            .ok_or_else(|| {
                ApiError::invalid_field(
                    "limit",
                    format!("limit must be an integer from 1 to {MAX_LIMIT}, not `{raw}`"),
                )
            })?,
    };
    let cursor = |key: &str| query.get(key).filter(|v| !v.is_empty()).cloned();
    let request = PageRequest {
        limit,
        after_id: cursor("after_id"),
        before_id: cursor("before_id"),
    };
    if request.after_id.is_some() && request.before_id.is_some() {
        return Err(ApiError::invalid_request(
            "Pass either after_id or before_id, not both.",
        ));
    }
    Ok(request)
}

/// The slice of `ids` (listing order) a page shows, and whether more lie beyond it in the
/// direction of travel (`before_id` pages backwards). A cursor that is not in the listing is
/// an error.
fn page_range(ids: &[String], page: &PageRequest) -> Result<(Range<usize>, bool), ApiError> {
    let find = |param: &str, cursor: &str| {
        ids.iter().position(|id| id == cursor).ok_or_else(|| {
            ApiError::invalid_field(
                param,
                format!("{param} `{cursor}` is not a model id of this listing"),
            )
        })
    };
    if let Some(before) = &page.before_id {
        let end = find("before_id", before)?;
        let start = end.saturating_sub(page.limit);
        return Ok((start..end, start > 0));
    }
    let start = match &page.after_id {
        Some(after) => find("after_id", after)? + 1,
        None => 0,
    };
    let end = (start + page.limit).min(ids.len());
    Ok((start..end, end < ids.len()))
}

/// `GET /v1/models`
pub async fn list_models(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Response {
    let catalog = state.models.get().await;
    let created = created_at(&state);
    if dialect_of(&headers) == Dialect::OpenAi {
        let data: Vec<Value> = catalog
            .models
            .iter()
            .map(|m| openai_object(&catalog, m, created))
            .collect();
        return Json(json!({ "object": "list", "data": data })).into_response();
    }
    let page = match query {
        Ok(Query(query)) => page_request(&query),
        Err(rejection) => Err(ApiError::invalid_request(format!(
            "Invalid query string: {rejection}"
        ))),
    };
    let objects: Vec<Value> = catalog
        .models
        .iter()
        .map(|m| anthropic_object(&catalog, m, created))
        .collect();
    let ids: Vec<String> = objects
        .iter()
        .map(|o| o["id"].as_str().unwrap_or_default().to_owned())
        .collect();
    match page.and_then(|page| page_range(&ids, &page)) {
        Ok((range, has_more)) => {
            let first_id = ids.get(range.start).filter(|_| !range.is_empty());
            let last_id = range.end.checked_sub(1).and_then(|i| ids.get(i));
            let last_id = last_id.filter(|_| !range.is_empty());
            Json(json!({
                "data": &objects[range.clone()],
                "has_more": has_more,
                "first_id": first_id,
                "last_id": last_id,
            }))
            .into_response()
        }
        Err(err) => err.into_response_for(Dialect::Anthropic),
    }
}

/// `GET /v1/models/{id}`: any name the chat routes accept for a listed model
/// (`claude-sonnet-4-5`, `claude-sonnet-4-5-20250929`, `…-thinking`, `…[1m]`) finds it; the
/// answer carries the id of the listing in the same shape.
pub async fn get_model(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let dialect = dialect_of(&headers);
    let catalog = state.models.get().await;
    let created = created_at(&state);
    let upstream_id = catalog.resolve(&id).upstream_id;
    let found = catalog
        .models
        .iter()
        .find(|m| client_model_id(&m.id) == id || m.id == id || catalog.anthropic_id(m) == id)
        .or_else(|| catalog.find(&upstream_id));
    match (found, dialect) {
        (Some(model), Dialect::OpenAi) => {
            Json(openai_object(&catalog, model, created)).into_response()
        }
        (Some(model), Dialect::Anthropic) => {
            Json(anthropic_object(&catalog, model, created)).into_response()
        }
        (None, _) => ApiError::not_found(format!(
            "The model `{id}` does not exist or is not available to your Kiro account."
        ))
        .with_param("model")
        .with_code(ErrorCode::ModelNotFound)
        .into_response_for(dialect),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("m{i}")).collect()
    }

    fn query(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn page(limit: usize, after: Option<&str>, before: Option<&str>) -> PageRequest {
        PageRequest {
            limit,
            after_id: after.map(str::to_owned),
            before_id: before.map(str::to_owned),
        }
    }

    #[test]
    fn limit_defaults_to_20_and_must_be_1_to_1000() {
        assert_eq!(page_request(&query(&[])).unwrap(), page(20, None, None));
        assert_eq!(
            page_request(&query(&[("limit", "1000")])).unwrap().limit,
            1000
        );
        for bad in ["0", "1001", "-1", "ten", ""] {
            let err = page_request(&query(&[("limit", bad)])).unwrap_err();
            assert_eq!(err.param.as_deref(), Some("limit"), "{bad}");
        }
        assert!(page_request(&query(&[("after_id", "a"), ("before_id", "b")])).is_err());
        // An empty cursor is no cursor.
        assert_eq!(
            page_request(&query(&[("after_id", "")])).unwrap(),
            page(20, None, None)
        );
    }

    #[test]
    fn pages_forwards_and_backwards() {
        let all = ids(5);
        assert_eq!(
            page_range(&all, &page(20, None, None)).unwrap(),
            (0..5, false)
        );
        assert_eq!(
            page_range(&all, &page(2, None, None)).unwrap(),
            (0..2, true)
        );
        assert_eq!(
            page_range(&all, &page(2, Some("m1"), None)).unwrap(),
            (2..4, true)
        );
        assert_eq!(
            page_range(&all, &page(2, Some("m2"), None)).unwrap(),
            (3..5, false)
        );
        assert_eq!(
            page_range(&all, &page(2, Some("m4"), None)).unwrap(),
            (5..5, false)
        );
        assert_eq!(
            page_range(&all, &page(2, None, Some("m4"))).unwrap(),
            (2..4, true)
        );
        assert_eq!(
            page_range(&all, &page(2, None, Some("m2"))).unwrap(),
            (0..2, false)
        );
        assert_eq!(
            page_range(&all, &page(2, None, Some("m0"))).unwrap(),
            (0..0, false)
        );
        let err = page_range(&all, &page(2, Some("nope"), None)).unwrap_err();
        assert_eq!(err.param.as_deref(), Some("after_id"));
        assert_eq!(
            page_range(&[], &page(20, None, None)).unwrap(),
            (0..0, false)
        );
    }

    #[test]
    fn anthropic_object_has_the_sdk_fields() {
        use crate::kiro::catalog::CatalogSource;
        let model = ModelInfo {
            id: "claude-opus-4.8".into(),
            name: "Claude Opus 4.8".into(),
            description: String::new(),
            max_input_tokens: None,
            max_output_tokens: Some(128_000),
            reasoning: Default::default(),
        };
        let catalog = Catalog::new(vec![model.clone()], CatalogSource::Upstream);
        let object = anthropic_object(&catalog, &model, 1_767_225_600);
        assert_eq!(
            object,
            json!({
                "type": "model",
                "id": "claude-opus-4-8[1m]",
                "display_name": "Claude Opus 4.8",
                "created_at": "2026-01-01T00:00:00Z",
                "max_input_tokens": 1_000_000,
                "max_tokens": 128_000,
            })
        );
        let small = ModelInfo {
            max_input_tokens: Some(200_000),
            ..model
        };
        let catalog = Catalog::new(vec![small.clone()], CatalogSource::Upstream);
        assert_eq!(
            anthropic_object(&catalog, &small, 0)["id"],
            "claude-opus-4-8"
        );
    }

    #[test]
    fn the_header_picks_the_shape() {
        let mut headers = HeaderMap::new();
        assert_eq!(dialect_of(&headers), Dialect::OpenAi);
        headers.insert(ANTHROPIC_VERSION, "2023-06-01".parse().unwrap());
        assert_eq!(dialect_of(&headers), Dialect::Anthropic);
    }
}
