//! `GET /v1/usage`: the account's credits as Kiro reports them (used, limit, remaining, reset)
//! and what this gateway spent today and this month (from each request's metering). Not an
//! OpenAI or Anthropic route; a gateway extension, behind the API key.

use std::sync::Arc;

use axum::extract::State;
use axum::Json;
use serde_json::{json, Value};

use crate::app::AppState;

pub async fn usage(State(state): State<Arc<AppState>>) -> Json<Value> {
    let account = state.usage.get().await;
    let spent = state.credits.summary();
    Json(json!({
        "object": "usage",
        "account": account.map(|a| json!({
            "plan": a.subscription,
            "unit": a.unit_plural,
            "used": a.used,
            "limit": a.limit,
            "remaining": a.remaining,
            "resets_at": a.resets_at,
        })),
        "gateway": {
            "today": spent.today,
            "month": {"credits": spent.month_credits, "requests": spent.month_requests},
            "days": spent.days,
        },
    }))
}
