//! `GET /v1/usage`: the account's credits as Kiro reports them (used, limit, remaining, reset)
//! and what this gateway spent today and this month (from each request's metering). Not an
//! OpenAI or Anthropic route; a gateway extension, behind the API key.

use std::sync::Arc;

use axum::extract::State;
use axum::Json;
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::app::AppState;
use crate::credit_ledger::{DaySpend, DayTotals};

/// The answer of `GET /v1/usage`.
#[derive(Debug, Serialize, ToSchema)]
pub struct UsageAnswer {
    /// Always `usage`.
    pub object: &'static str,
    /// Kiro's own count for the whole account (all tools); `null` until Kiro answered.
    pub account: Option<AccountUsage>,
    /// What went through this gateway, per local calendar day.
    pub gateway: GatewaySpend,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AccountUsage {
    /// e.g. `KIRO PRO`.
    pub plan: Option<String>,
    /// e.g. `Credits`.
    pub unit: String,
    pub used: f64,
    pub limit: f64,
    pub remaining: f64,
    pub resets_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct GatewaySpend {
    pub today: DayTotals,
    pub month: MonthSpend,
    /// The last 30 days, oldest first.
    pub days: Vec<DaySpend>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MonthSpend {
    pub credits: f64,
    pub requests: u64,
}

pub async fn usage(State(state): State<Arc<AppState>>) -> Json<UsageAnswer> {
    let account = state.usage.get().await.map(|a| AccountUsage {
        plan: a.subscription,
        unit: a.unit_plural,
        used: a.used,
        limit: a.limit,
        remaining: a.remaining,
        resets_at: a.resets_at,
    });
    let spent = state.credits.summary();
    Json(UsageAnswer {
        object: "usage",
        account,
        gateway: GatewaySpend {
            today: spent.today,
            month: MonthSpend {
                credits: spent.month_credits,
                requests: spent.month_requests,
            },
            days: spent.days,
        },
    })
}
