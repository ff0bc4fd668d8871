//! The account's model catalogue (docs/kiro-protocol.md#model-catalogue, #catalogue-shape): fetched
//! from the management host, cached with a TTL, refreshed in the background, with a static fallback
//! when upstream fails.
//!
//! * A fresh entry is served from the cache; a stale one is served while one background
//!   refresh runs; with nothing cached the caller waits for the fetch.
//! * A failed fetch keeps the last list fetched from upstream, if any, and otherwise uses
//!   the static list ([`fallback_models`]); either way the entry goes stale again after at
//!   most [`RETRY_AFTER_FAILURE`], so a recovered upstream is picked up soon.
//!
//! What a listed model offers (window, output limit, reasoning) is looked up in [`lookup`].

use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use serde::Deserialize;
use serde_json::Value;

use super::login::ActiveLogin;
use super::models::{limits, reasoning_schema, ReasoningCapabilities};
use super::wire::kiro_headers;

pub mod lookup;

pub use lookup::ModelCapabilities;

/// One model as the gateway presents it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ModelInfo {
    /// Upstream id (dot form), e.g. `claude-sonnet-4.5`.
    pub id: String,
    pub name: String,
    pub description: String,
    /// `tokenLimits.maxInputTokens`: the context window.
    pub max_input_tokens: Option<u64>,
    /// `tokenLimits.maxOutputTokens`.
    pub max_output_tokens: Option<u64>,
    /// Native reasoning, from `additionalModelRequestFieldsSchema`.
    pub reasoning: ReasoningCapabilities,
}

/// Where the list came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CatalogSource {
    Upstream,
    Fallback,
}

#[derive(Debug, Clone)]
pub struct Catalog {
    pub models: Arc<Vec<ModelInfo>>,
    pub source: CatalogSource,
    /// When this entry was made (fetched, or fallen back to).
    fetched_at: Instant,
    /// When it should be refreshed.
    stale_at: Instant,
}

impl Catalog {
    /// A catalogue of `models` made now, stale at once (for callers that build one).
    pub fn new(models: Vec<ModelInfo>, source: CatalogSource) -> Catalog {
        let now = Instant::now();
        Catalog {
            models: Arc::new(models),
            source,
            fetched_at: now,
            stale_at: now,
        }
    }
}

/// How soon a failed fetch is tried again.
pub const RETRY_AFTER_FAILURE: Duration = Duration::from_secs(60);

/// The cache entry after a fetch: see the module documentation.
fn next_catalog(
    previous: Option<&Catalog>,
    fetched: Result<Vec<ModelInfo>, String>,
    ttl: Duration,
    now: Instant,
) -> Catalog {
    match fetched {
        Ok(models) if !models.is_empty() => Catalog {
            models: Arc::new(models),
            source: CatalogSource::Upstream,
            fetched_at: now,
            stale_at: now + ttl,
        },
        outcome => {
            let retry = now + ttl.min(RETRY_AFTER_FAILURE);
            if let Some(previous) = previous.filter(|p| p.source == CatalogSource::Upstream) {
                if let Err(err) = outcome {
                    tracing::warn!(
                        "could not refresh the model list from Kiro, keeping the last one: {err}"
                    );
                }
                return Catalog {
                    fetched_at: now,
                    stale_at: retry,
                    ..previous.clone()
                };
            }
            if let Err(err) = outcome {
                tracing::warn!(
                    "could not fetch the model list from Kiro, using the built-in list: {err}"
                );
            }
            Catalog {
                models: Arc::new(fallback_models()),
                source: CatalogSource::Fallback,
                fetched_at: now,
                stale_at: retry,
            }
        }
    }
}

/// Shown every model list fetched from Kiro (the drift detector).
pub type CatalogObserver = Arc<dyn Fn(&[ModelInfo]) + Send + Sync>;

pub struct ModelCatalog {
    http: reqwest::Client,
    login: Arc<ActiveLogin>,
    management_url: Option<String>,
    ttl: Duration,
    cache: RwLock<Option<Catalog>>,
    refreshing: tokio::sync::Mutex<()>,
    observer: Option<CatalogObserver>,
}

impl ModelCatalog {
    pub fn new(
        http: reqwest::Client,
        login: Arc<ActiveLogin>,
        management_url: Option<String>,
        ttl: Duration,
    ) -> Arc<Self> {
        Self::observed(http, login, management_url, ttl, None)
    }

    /// [`ModelCatalog::new`], showing `observer` every list fetched from Kiro.
    pub fn observed(
        http: reqwest::Client,
        login: Arc<ActiveLogin>,
        management_url: Option<String>,
        ttl: Duration,
        observer: Option<CatalogObserver>,
    ) -> Arc<Self> {
        Arc::new(ModelCatalog {
            http,
            login,
            management_url,
            ttl,
            cache: RwLock::new(None),
            refreshing: tokio::sync::Mutex::new(()),
            observer,
        })
    }

    /// The catalogue: fresh from cache; stale from cache while a background refresh runs;
    /// fetched now when nothing is cached (the fallback list if that fails).
    pub async fn get(self: &Arc<Self>) -> Catalog {
        let cached = self.cache.read().unwrap_or_else(|e| e.into_inner()).clone();
        match cached {
            Some(catalog) if Instant::now() < catalog.stale_at => catalog,
            Some(stale) => {
                let this = self.clone();
                tokio::spawn(async move {
                    this.refresh().await;
                });
                stale
            }
            None => self.refresh().await,
        }
    }

    /// Drop the cached list (another login is in use: its catalogue may differ).
    pub fn forget(&self) {
        *self.cache.write().unwrap_or_else(|e| e.into_inner()) = None;
    }

    /// Fetch now (one fetch at a time) and cache the result.
    pub async fn refresh(&self) -> Catalog {
        let _one_at_a_time = self.refreshing.lock().await;
        if let Some(catalog) = self.cache.read().unwrap_or_else(|e| e.into_inner()).clone() {
            if catalog.fetched_at.elapsed() < Duration::from_secs(1) {
                return catalog;
            }
        }
        let fetched = self.fetch().await;
        if let (Ok(models), Some(observer)) = (&fetched, &self.observer) {
            observer(models);
        }
        let previous = self.cache.read().unwrap_or_else(|e| e.into_inner()).clone();
        let catalog = next_catalog(previous.as_ref(), fetched, self.ttl, Instant::now());
        *self.cache.write().unwrap_or_else(|e| e.into_inner()) = Some(catalog.clone());
        catalog
    }

    async fn fetch(&self) -> Result<Vec<ModelInfo>, String> {
        let token = self
            .login
            .credentials()
            .access_token()
            .await
            .map_err(|e| e.to_string())?;
        let base = match &self.management_url {
            Some(url) => url.trim_end_matches('/').to_owned(),
            None => format!("https://management.{}.kiro.dev", token.api_region),
        };
        let mut query = vec![("origin", "AI_EDITOR".to_owned())];
        if let Some(arn) = &token.profile_arn {
            query.push(("profileArn", arn.clone()));
        }
        let mut models = Vec::new();
        let mut next_token: Option<String> = None;
        for _page in 0..10 {
            let mut page_query = query.clone();
            if let Some(next) = &next_token {
                page_query.push(("nextToken", next.clone()));
            }
            let response = self
                .http
                .get(format!("{base}/List-Available-Models"))
                .headers(kiro_headers(&token))
                .header(reqwest::header::ACCEPT, "application/json")
                .query(&page_query)
                .timeout(Duration::from_secs(10))
                .send()
                .await
                .map_err(|e| super::wire::describe_reqwest_error(&e))?;
            let status = response.status();
            if !status.is_success() {
                return Err(format!("HTTP {status}"));
            }
            let page: ListModelsResponse = response
                .json()
                .await
                .map_err(|e| format!("unreadable model list: {e}"))?;
            models.extend(page.models.into_iter().map(ModelInfo::from));
            next_token = page.next_token;
            if next_token.is_none() {
                break;
            }
        }
        Ok(models)
    }
}

/// The built-in list used while the catalogue cannot be fetched, with the static table's
/// limits and reasoning ([`limits`]).
pub fn fallback_models() -> Vec<ModelInfo> {
    limits::fallback_list()
        .map(|known| ModelInfo {
            id: known.id.into(),
            name: known.name.into(),
            description: String::new(),
            max_input_tokens: known.limits.map(|l| l.0),
            max_output_tokens: known.limits.map(|l| l.1),
            reasoning: limits::reasoning(known.id),
        })
        .collect()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListModelsResponse {
    #[serde(default)]
    models: Vec<UpstreamModel>,
    next_token: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct UpstreamModel {
    model_id: String,
    model_name: Option<String>,
    description: Option<String>,
    token_limits: Option<TokenLimits>,
    additional_model_request_fields_schema: Option<Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TokenLimits {
    max_input_tokens: Option<u64>,
    max_output_tokens: Option<u64>,
}

impl From<UpstreamModel> for ModelInfo {
    fn from(m: UpstreamModel) -> Self {
        ModelInfo {
            name: m.model_name.unwrap_or_else(|| m.model_id.clone()),
            id: m.model_id,
            description: m.description.unwrap_or_default(),
            max_input_tokens: m.token_limits.as_ref().and_then(|t| t.max_input_tokens),
            max_output_tokens: m.token_limits.as_ref().and_then(|t| t.max_output_tokens),
            reasoning: reasoning_schema::parse(m.additional_model_request_fields_schema.as_ref()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upstream_model_list_parses_the_documented_shape() {
        let body = r#"{"models":[{"modelId":"claude-sonnet-4.5","modelName":"Claude Sonnet 4.5",
            "description":"Balanced","rateMultiplier":1.3,"rateUnit":"credit",
            "supportedInputTypes":["TEXT","IMAGE"],"supportsPromptCache":true,
            "tokenLimits":{"maxInputTokens":200000,"maxOutputTokens":64000}}],
            "defaultModel":{"modelId":"auto","modelName":"Auto"}}"#;
        let parsed: ListModelsResponse = serde_json::from_str(body).unwrap();
        let model = ModelInfo::from(parsed.models.into_iter().next().unwrap());
        assert_eq!(model.id, "claude-sonnet-4.5");
        assert_eq!(model.max_input_tokens, Some(200_000));
        assert!(!model.reasoning.native, "no schema, no native reasoning");
        assert!(parsed.next_token.is_none());
    }

    #[test]
    fn the_reasoning_schema_is_read_from_the_model_entry() {
        let body = r#"{"models":[{"modelId":"claude-opus-5","modelName":"Claude Opus 5",
            "tokenLimits":{"maxInputTokens":1000000,"maxOutputTokens":128000},
            "additionalModelRequestFieldsSchema":{"type":"object","properties":{
              "thinking":{"type":"object","properties":{"type":{"enum":["adaptive","disabled"]}}},
              "output_config":{"type":"object","properties":{"effort":{
                "enum":["low","medium","high","xhigh","max"],"default":"high"}}}}}},
            {"modelId":"glm-5","additionalModelRequestFieldsSchema":null}]}"#;
        let parsed: ListModelsResponse = serde_json::from_str(body).unwrap();
        let models: Vec<ModelInfo> = parsed.models.into_iter().map(ModelInfo::from).collect();
        assert!(models[0].reasoning.native);
        assert_eq!(models[0].reasoning.efforts.len(), 5);
        assert_eq!(models[0].max_output_tokens, Some(128_000));
        assert!(!models[1].reasoning.native);
        assert_eq!(models[1].name, "glm-5");
    }

    fn model(id: &str) -> ModelInfo {
        ModelInfo {
            id: id.into(),
            name: id.into(),
            description: String::new(),
            max_input_tokens: None,
            max_output_tokens: None,
            reasoning: ReasoningCapabilities::default(),
        }
    }

    #[test]
    fn failures_keep_the_last_upstream_list_and_retry_soon() {
        let ttl = Duration::from_secs(15 * 60);
        let t0 = Instant::now();
        // Nothing cached and upstream fails: the static list, retried within a minute.
        let first = next_catalog(None, Err("HTTP 500".into()), ttl, t0);
        assert_eq!(first.source, CatalogSource::Fallback);
        assert_eq!(first.stale_at, t0 + RETRY_AFTER_FAILURE);
        // Upstream recovers: its list, for the whole TTL.
        let good = next_catalog(Some(&first), Ok(vec![model("glm-5")]), ttl, t0);
        assert_eq!(good.source, CatalogSource::Upstream);
        assert_eq!(good.stale_at, t0 + ttl);
        // A later failure (or an empty list) keeps that list, retried soon.
        for outcome in [Err("HTTP 404".to_owned()), Ok(vec![])] {
            let kept = next_catalog(Some(&good), outcome, ttl, t0);
            assert_eq!(kept.source, CatalogSource::Upstream);
            assert_eq!(kept.models[0].id, "glm-5");
            assert_eq!(kept.stale_at, t0 + RETRY_AFTER_FAILURE);
        }
        // A TTL shorter than the retry delay wins.
        let short = next_catalog(None, Err("x".into()), Duration::from_secs(5), t0);
        assert_eq!(short.stale_at, t0 + Duration::from_secs(5));
    }

    #[test]
    fn fallback_has_the_common_models_with_the_tables_facts() {
        let models = fallback_models();
        let ids: Vec<_> = models.iter().map(|m| m.id.as_str()).collect();
        assert!(ids.contains(&"claude-sonnet-4.5"));
        assert!(ids.contains(&"auto"));
        let opus = models.iter().find(|m| m.id == "claude-opus-4.8").unwrap();
        assert_eq!(
            (opus.max_input_tokens, opus.max_output_tokens),
            (Some(1_000_000), Some(128_000))
        );
        assert!(opus.reasoning.native);
    }
}
