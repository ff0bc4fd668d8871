//! The account's remaining Kiro credits (docs/kiro-protocol.md#usage-limits, `GetUsageLimits`): a
//! pure parser of the response, one fetch with the catalogue's client / credentials / headers, and
//! a small cache that the tray reads synchronously and `/admin/status` reports.
//!
//! * [`parse_usage_limits`] follows KR's rule: the limit is the plan's limit plus an
//!   **active** free trial plus every **active** bonus; their usage is added to the used
//!   amount the same way; expired ones count for nothing.
//! * [`UsageLimits`] fetches at most once per refresh interval (5 minutes; a failed fetch is
//!   retried after at most a minute) and keeps the last known summary when a fetch fails.
//!   Nothing is fetched until someone asks: the server spawns one fetch at start
//!   ([`UsageLimits::spawn_refresh_if_stale`]) and `/admin/status` spawns another when the
//!   value is older than the interval.
//! * Errors are logged without the token or the request URL, and give `None`.

use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::login::ActiveLogin;
use super::upstream_error::UpstreamError;
pub use super::usage_summary::UsageSummary;
use super::wire::{describe_reqwest_error, kiro_headers};
use crate::credentials::AccessToken;

/// How long a fetched summary is served before it is fetched again.
pub const REFRESH_INTERVAL: Duration = Duration::from_secs(5 * 60);
/// How soon a failed fetch may be tried again.
pub const RETRY_AFTER_FAILURE: Duration = Duration::from_secs(60);
/// Longest error body read from upstream.
const MAX_BODY: usize = 256 * 1024;

/// Read a `GetUsageLimits` answer. Uses, in this order: the `CREDIT` entry (else the first)
/// of `usageBreakdownList`, else the legacy single `usageBreakdown`; then, if that entry lacks
/// a limit or a usage, the legacy `limits` array. `None` when nothing carries both.
pub fn parse_usage_limits(body: &Value) -> Option<UsageSummary> {
    let subscription = body
        .pointer("/subscriptionInfo/subscriptionTitle")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned);
    let top_reset = body.get("nextDateReset").and_then(epoch_seconds);

    let from_list = body
        .get("usageBreakdownList")
        .and_then(Value::as_array)
        .and_then(|list| {
            list.iter()
                .find(|b| b.get("resourceType").and_then(Value::as_str) == Some("CREDIT"))
                .or_else(|| list.first())
        });
    let breakdown = from_list.or_else(|| body.get("usageBreakdown").filter(|b| b.is_object()));
    let (used, limit, unit_plural, reset) = breakdown
        .and_then(from_breakdown)
        .or_else(|| from_limits(body))?;
    if !(used.is_finite() && limit.is_finite()) {
        return None;
    }
    Some(UsageSummary {
        subscription,
        used,
        limit,
        remaining: (limit - used).max(0.0),
        unit_plural,
        resets_at: reset.or(top_reset),
    })
}

/// `(used, limit, unit, reset)` of a UsageBreakdown with KR's trial and bonus rule.
fn from_breakdown(b: &Value) -> Option<(f64, f64, String, Option<DateTime<Utc>>)> {
    let mut limit = precise(b, "usageLimit")?;
    let mut used = precise(b, "currentUsage")?;
    if let Some(trial) = b
        .get("freeTrialInfo")
        .filter(|t| is_active(t, "freeTrialStatus"))
    {
        limit += precise(trial, "usageLimit").unwrap_or(0.0);
        used += precise(trial, "currentUsage").unwrap_or(0.0);
    }
    for bonus in b
        .get("bonuses")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|bonus| is_active(bonus, "status"))
    {
        limit += precise(bonus, "usageLimit").unwrap_or(0.0);
        used += precise(bonus, "currentUsage").unwrap_or(0.0);
    }
    let unit = b
        .get("displayNamePlural")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .or_else(|| {
            b.get("resourceType")
                .and_then(Value::as_str)
                .map(unit_for_type)
        })
        .unwrap_or_else(|| "Credits".to_owned());
    let reset = b.get("nextDateReset").and_then(epoch_seconds);
    Some((used, limit, unit, reset))
}

/// The legacy `limits` array: the `AGENTIC_REQUEST` entry (what chat uses), else the first.
fn from_limits(body: &Value) -> Option<(f64, f64, String, Option<DateTime<Utc>>)> {
    let list = body.get("limits")?.as_array()?;
    let entry = list
        .iter()
        .find(|l| l.get("type").and_then(Value::as_str) == Some("AGENTIC_REQUEST"))
        .or_else(|| list.first())?;
    let limit = number(entry.get("totalUsageLimit")?)?;
    let used = number(entry.get("currentUsage")?)?;
    let unit = entry
        .get("type")
        .and_then(Value::as_str)
        .map(unit_for_type)
        .unwrap_or_else(|| "Requests".to_owned());
    Some((used, limit, unit, None))
}

/// A display unit for a bucket type without a `displayNamePlural` (a guess; the doc gives
/// display names only for UsageBreakdown).
fn unit_for_type(kind: &str) -> String {
    match kind {
        "CREDIT" => "Credits",
        "CODE_COMPLETIONS" => "Completions",
        "TRANSFORM" => "Transformations",
        _ => "Requests",
    }
    .to_owned()
}

/// `{key}WithPrecision`, else the integer `{key}`.
fn precise(v: &Value, key: &str) -> Option<f64> {
    v.get(format!("{key}WithPrecision"))
        .and_then(number)
        .or_else(|| v.get(key).and_then(number))
}

fn number(v: &Value) -> Option<f64> {
    v.as_f64().filter(|n| n.is_finite())
}

fn is_active(v: &Value, key: &str) -> bool {
    v.get(key)
        .and_then(Value::as_str)
        .is_some_and(|s| s.eq_ignore_ascii_case("ACTIVE"))
}

/// Epoch seconds (possibly fractional) as a time. A value that can only be milliseconds
/// (after the year 5000 as seconds) is read as milliseconds.
fn epoch_seconds(v: &Value) -> Option<DateTime<Utc>> {
    let n = number(v)?;
    if n <= 0.0 {
        return None;
    }
    let seconds = if n > 1e11 { n / 1000.0 } else { n };
    let whole = seconds.floor();
    let nanos = ((seconds - whole) * 1e9) as u32;
    DateTime::from_timestamp(whole as i64, nanos.min(999_999_999))
}

/// The refresh interval, overridable with `KIRO_GATEWAY_USAGE_REFRESH_MS` (tests).
pub fn refresh_interval_from_env() -> Duration {
    std::env::var("KIRO_GATEWAY_USAGE_REFRESH_MS")
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .filter(|ms| *ms > 0)
        .map(Duration::from_millis)
        .unwrap_or(REFRESH_INTERVAL)
}

#[derive(Debug, Default)]
struct Entry {
    summary: Option<UsageSummary>,
    /// When the last fetch finished, and whether it worked.
    attempted: Option<(Instant, bool)>,
}

/// The cached usage summary of the gateway's credential. Share it with `Arc`.
pub struct UsageLimits {
    http: reqwest::Client,
    login: Arc<ActiveLogin>,
    management_url: Option<String>,
    refresh_every: Duration,
    entry: RwLock<Entry>,
    refreshing: tokio::sync::Mutex<()>,
    /// The runtime background refreshes run on (captured at construction, so that a
    /// synchronous caller without a runtime, such as the tray, can still trigger one).
    runtime: Option<tokio::runtime::Handle>,
}

impl UsageLimits {
    pub fn new(
        http: reqwest::Client,
        login: Arc<ActiveLogin>,
        management_url: Option<String>,
        refresh_every: Duration,
    ) -> Arc<Self> {
        Arc::new(UsageLimits {
            http,
            login,
            management_url,
            refresh_every,
            entry: RwLock::new(Entry::default()),
            refreshing: tokio::sync::Mutex::new(()),
            runtime: tokio::runtime::Handle::try_current().ok(),
        })
    }

    /// The last known summary, without any I/O (`None` until a fetch succeeded).
    pub fn cached(&self) -> Option<UsageSummary> {
        self.read().summary.clone()
    }

    /// Drop what is known (another login is in use); the next look fetches again.
    pub fn forget(&self) {
        *self.entry.write().unwrap_or_else(|e| e.into_inner()) = Entry::default();
    }

    /// Whether a fetch is due: never tried, the last success is older than the refresh
    /// interval, or the last failure older than [`RETRY_AFTER_FAILURE`] (or the interval, if
    /// shorter).
    pub fn is_stale(&self) -> bool {
        is_due(self.read().attempted, self.refresh_every, Instant::now())
    }

    /// The summary, fetched first when it is due (one fetch at a time).
    pub async fn get(&self) -> Option<UsageSummary> {
        if self.is_stale() {
            self.refresh_if_stale().await;
        }
        self.cached()
    }

    /// Start a background fetch when one is due and none is running; returns at once.
    /// Does nothing without a Tokio runtime.
    pub fn spawn_refresh_if_stale(self: &Arc<Self>) {
        if !self.is_stale() || self.refreshing.try_lock().is_err() {
            return;
        }
        let Some(runtime) = tokio::runtime::Handle::try_current()
            .ok()
            .or_else(|| self.runtime.clone())
        else {
            return;
        };
        let this = self.clone();
        runtime.spawn(async move {
            this.refresh_if_stale().await;
        });
    }

    async fn refresh_if_stale(&self) {
        let _one_at_a_time = self.refreshing.lock().await;
        if !self.is_stale() {
            return;
        }
        let fetched = self.fetch().await;
        let mut entry = self.entry.write().unwrap_or_else(|e| e.into_inner());
        let ok = fetched.is_some();
        if let Some(summary) = fetched {
            entry.summary = Some(summary);
        }
        entry.attempted = Some((Instant::now(), ok));
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Entry> {
        self.entry.read().unwrap_or_else(|e| e.into_inner())
    }

    /// One `GetUsageLimits` call (refreshing the token once if Kiro rejects it). Failures
    /// are logged (never with the token) and give `None`.
    async fn fetch(&self) -> Option<UsageSummary> {
        let outcome = async {
            let credentials = self.login.credentials();
            let token = credentials.access_token().await?;
            match self.request(&token).await {
                Err(err) if err.is_bearer_rejected() => {
                    tracing::info!(
                        "Kiro rejected the access token for the usage call; refreshing once"
                    );
                    let token = credentials.on_rejected(&token).await?;
                    self.request(&token).await
                }
                other => other,
            }
        }
        .await;
        match outcome {
            Ok(Some(summary)) => Some(summary),
            Ok(None) => {
                tracing::warn!("Kiro's usage limits answer has no usable limit; credits unknown");
                None
            }
            Err(err) => {
                tracing::warn!("could not fetch the remaining Kiro credits: {err}");
                None
            }
        }
    }

    /// The management host's REST style, `GET /Get-Usage-Limits`
    /// (docs/kiro-protocol.md#usage-limits "Management REST"). The doc lists three styles; this is
    /// the one on the host the gateway already uses for the model list (the legacy `q` host was
    /// announced as shut down on 2026-05-15), with the same headers as that call, and the fake
    /// serves it. `origin=AI_EDITOR` like the model-list call and the IDE identity in our headers
    /// (PI sends `KIRO_CLI` on this host; both are valid origins); `resourceType=CREDIT` because
    /// current plans count credits; `isEmailRequired=false` because the e-mail is not needed.
    async fn request(&self, token: &AccessToken) -> Result<Option<UsageSummary>, UpstreamError> {
        let base = match &self.management_url {
            Some(url) => url.trim_end_matches('/').to_owned(),
            None => format!("https://management.{}.kiro.dev", token.api_region),
        };
        let mut query = vec![
            ("origin", "AI_EDITOR".to_owned()),
            ("resourceType", "CREDIT".to_owned()),
            ("isEmailRequired", "false".to_owned()),
        ];
        if let Some(arn) = &token.profile_arn {
            query.push(("profileArn", arn.clone()));
        }
        let response = self
            .http
            .get(format!("{base}/Get-Usage-Limits"))
            .headers(kiro_headers(token))
            .header(reqwest::header::ACCEPT, "application/json")
            .query(&query)
            .timeout(Duration::from_secs(10))
            .send()
            .await
            .map_err(|e| UpstreamError::Network(describe_reqwest_error(&e)))?;
        let status = response.status();
        let body = read_limited(response)
            .await
            .map_err(|e| UpstreamError::Network(describe_reqwest_error(&e)))?;
        if !status.is_success() {
            return Err(UpstreamError::from_response(status.as_u16(), None, &body));
        }
        let json: Value = serde_json::from_slice(&body)
            .map_err(|e| UpstreamError::Decode(format!("usage limits are not JSON: {e}")))?;
        Ok(parse_usage_limits(&json))
    }
}

/// The body, cut at [`MAX_BODY`] bytes.
async fn read_limited(mut response: reqwest::Response) -> Result<Vec<u8>, reqwest::Error> {
    let mut out = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        let room = MAX_BODY.saturating_sub(out.len());
        out.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if out.len() >= MAX_BODY {
            break;
        }
    }
    Ok(out)
}

/// See [`UsageLimits::is_stale`].
fn is_due(attempted: Option<(Instant, bool)>, every: Duration, now: Instant) -> bool {
    match attempted {
        None => true,
        Some((at, true)) => now.saturating_duration_since(at) >= every,
        Some((at, false)) => now.saturating_duration_since(at) >= every.min(RETRY_AFTER_FAILURE),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// The example of docs/kiro-protocol.md#usage-limits, verbatim.
    fn doc_example() -> Value {
        json!({
          "daysUntilReset": 9,
          "nextDateReset": 1759276800.0,
          "subscriptionInfo": {"type": "Q_DEVELOPER_STANDALONE_PRO", "subscriptionTitle": "KIRO PRO"},
          "overageConfiguration": {"overageStatus": "DISABLED"},
          "usageBreakdownList": [
            {
              "resourceType": "CREDIT",
              "displayName": "Credit",
              "displayNamePlural": "Credits",
              "currentUsage": 412,
              "currentUsageWithPrecision": 412.37,
              "usageLimit": 1000,
              "usageLimitWithPrecision": 1000.0,
              "currentOverages": 0,
              "currentOveragesWithPrecision": 0.0,
              "nextDateReset": 1759276800.0,
              "freeTrialInfo": {
                "freeTrialStatus": "EXPIRED",
                "freeTrialExpiry": 1755000000.0,
                "currentUsage": 500,
                "currentUsageWithPrecision": 500.0,
                "usageLimit": 500,
                "usageLimitWithPrecision": 500.0
              },
              "bonuses": [{"currentUsage": 10.5, "usageLimit": 50.0, "status": "ACTIVE"}]
            }
          ],
          "userInfo": {"userId": "example-user-id", "email": "user@example.com"}
        })
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn doc_example_counts_the_active_bonus_but_not_the_expired_trial() {
        let s = parse_usage_limits(&doc_example()).expect("summary");
        assert_eq!(s.subscription.as_deref(), Some("KIRO PRO"));
        assert!(
            close(s.limit, 1050.0),
            "1000 + active bonus 50: {}",
            s.limit
        );
        assert!(close(s.used, 422.87), "412.37 + bonus 10.5: {}", s.used);
        assert!(close(s.remaining, 627.13), "{}", s.remaining);
        assert_eq!(s.unit_plural, "Credits");
        assert_eq!(
            s.resets_at.unwrap().to_rfc3339(),
            "2025-10-01T00:00:00+00:00"
        );
        assert_eq!(s.short_label(), "627 credits left");
        let json = serde_json::to_value(&s).unwrap();
        assert_eq!(json["resets_at"], "2025-10-01T00:00:00Z");
        assert_eq!(json["unit_plural"], "Credits");
        assert!(json.get("userInfo").is_none() && !json.to_string().contains("example.com"));
    }

    #[test]
    fn an_active_trial_adds_and_an_expired_bonus_does_not() {
        let mut body = doc_example();
        let b = &mut body["usageBreakdownList"][0];
        b["freeTrialInfo"]["freeTrialStatus"] = json!("ACTIVE");
        b["bonuses"] = json!([
            {"currentUsage": 10.5, "usageLimit": 50.0, "status": "EXPIRED"},
            {"currentUsage": 1, "usageLimit": 20, "status": "ACTIVE"},
            {"currentUsage": 1, "usageLimit": 20}
        ]);
        let s = parse_usage_limits(&body).unwrap();
        assert!(close(s.limit, 1000.0 + 500.0 + 20.0), "{}", s.limit);
        assert!(close(s.used, 412.37 + 500.0 + 1.0), "{}", s.used);
        assert!(close(s.remaining, 1520.0 - 913.37));
    }

    #[test]
    fn the_credit_entry_wins_over_the_first_one() {
        let body = json!({"usageBreakdownList": [
            {"resourceType": "SPEC", "displayNamePlural": "Specs", "currentUsage": 1, "usageLimit": 2},
            {"resourceType": "CREDIT", "displayNamePlural": "Credits", "currentUsage": 3, "usageLimit": 50}
        ]});
        let s = parse_usage_limits(&body).unwrap();
        assert_eq!((s.used, s.limit, s.remaining), (3.0, 50.0, 47.0));
        assert_eq!(s.unit_plural, "Credits");
        assert_eq!(s.subscription, None);
        assert_eq!(s.resets_at, None);
    }

    #[test]
    fn legacy_single_usage_breakdown() {
        let body = json!({
            "nextDateReset": 1759276800.5,
            "subscriptionInfo": {"subscriptionTitle": "KIRO FREE"},
            "usageBreakdown": {
                "resourceType": "CREDIT", "displayName": "Credit",
                "currentUsage": 40, "usageLimit": 50
            }
        });
        let s = parse_usage_limits(&body).unwrap();
        assert_eq!((s.used, s.limit, s.remaining), (40.0, 50.0, 10.0));
        // No displayNamePlural: derived from the resource type.
        assert_eq!(s.unit_plural, "Credits");
        assert_eq!(s.subscription.as_deref(), Some("KIRO FREE"));
        // The top-level reset time is used when the breakdown has none.
        assert_eq!(s.resets_at.unwrap().timestamp_millis(), 1_759_276_800_500);
        assert_eq!(s.short_label(), "10 credits left");
    }

    #[test]
    fn limits_only_body() {
        let body = json!({
            "nextDateReset": 1759276800,
            "limits": [
                {"type": "CODE_COMPLETIONS", "currentUsage": 5, "totalUsageLimit": 1000, "percentUsed": 0.5},
                {"type": "AGENTIC_REQUEST", "currentUsage": 30, "totalUsageLimit": 50, "percentUsed": 60.0}
            ]
        });
        let s = parse_usage_limits(&body).unwrap();
        assert_eq!((s.used, s.limit, s.remaining), (30.0, 50.0, 20.0));
        assert_eq!(s.unit_plural, "Requests");
        assert_eq!(s.short_label(), "20 requests left");
        assert!(s.resets_at.is_some());
    }

    #[test]
    fn an_unusable_breakdown_falls_back_to_limits() {
        let body = json!({
            "usageBreakdownList": [{"resourceType": "CREDIT", "displayNamePlural": "Credits"}],
            "limits": [{"type": "AGENTIC_REQUEST", "currentUsage": 7, "totalUsageLimit": 50}]
        });
        let s = parse_usage_limits(&body).unwrap();
        assert_eq!((s.used, s.limit, s.remaining), (7.0, 50.0, 43.0));
        assert_eq!(s.unit_plural, "Requests");
    }

    #[test]
    fn missing_or_malformed_fields_give_none() {
        for body in [
            json!(null),
            json!([]),
            json!("text"),
            json!({}),
            json!({"usageBreakdownList": []}),
            json!({"usageBreakdownList": [{"currentUsage": 1}]}),
            json!({"usageBreakdownList": [{"usageLimit": 10}]}),
            json!({"usageBreakdownList": [{"usageLimit": "ten", "currentUsage": 1}]}),
            json!({"usageBreakdownList": "nope"}),
            json!({"usageBreakdown": null, "limits": []}),
            json!({"usageBreakdown": 3}),
            json!({"limits": [{"type": "AGENTIC_REQUEST", "currentUsage": 1}]}),
            json!({"limits": {"type": "AGENTIC_REQUEST"}}),
            json!({"subscriptionInfo": {"subscriptionTitle": "KIRO PRO"}}),
        ] {
            assert_eq!(parse_usage_limits(&body), None, "{body}");
        }
        // Odd optional fields are ignored, not fatal.
        let body = json!({"usageBreakdownList": [{
            "currentUsage": 1, "usageLimit": 10, "nextDateReset": "soon",
            "freeTrialInfo": "x", "bonuses": {"status": "ACTIVE"}, "displayNamePlural": 7
        }], "subscriptionInfo": "pro", "nextDateReset": -5});
        let s = parse_usage_limits(&body).unwrap();
        assert_eq!((s.used, s.limit), (1.0, 10.0));
        assert_eq!(s.subscription, None);
        assert_eq!(s.resets_at, None);
        assert_eq!(s.unit_plural, "Credits");
    }

    #[test]
    fn used_beyond_the_limit_leaves_zero() {
        let body = json!({"usageBreakdownList": [{
            "displayNamePlural": "Credits",
            "currentUsageWithPrecision": 1003.2, "usageLimitWithPrecision": 1000.0
        }]});
        let s = parse_usage_limits(&body).unwrap();
        assert_eq!(s.remaining, 0.0);
        assert_eq!(s.short_label(), "0 credits left");
    }

    #[test]
    fn refreshes_are_due_after_the_interval_and_sooner_after_a_failure() {
        let every = Duration::from_secs(300);
        let t0 = Instant::now();
        assert!(is_due(None, every, t0));
        assert!(!is_due(
            Some((t0, true)),
            every,
            t0 + Duration::from_secs(299)
        ));
        assert!(is_due(Some((t0, true)), every, t0 + every));
        assert!(!is_due(
            Some((t0, false)),
            every,
            t0 + Duration::from_secs(59)
        ));
        assert!(is_due(Some((t0, false)), every, t0 + RETRY_AFTER_FAILURE));
        // An interval shorter than the failure delay wins.
        let short = Duration::from_millis(200);
        assert!(is_due(Some((t0, false)), short, t0 + short));
    }
}
