//! The account's model catalogue (protocol doc §7.1–7.2): fetched from the management host,
//! cached with a TTL, refreshed in the background, with a static fallback when upstream fails.

use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use serde::Deserialize;

use super::client::kiro_headers;
use crate::credentials::Credentials;

/// One model as the gateway presents it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ModelInfo {
    /// Upstream id (dot form), e.g. `claude-sonnet-4.5`.
    pub id: String,
    pub name: String,
    pub description: String,
    pub max_input_tokens: Option<u64>,
    pub max_output_tokens: Option<u64>,
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
    fetched_at: Instant,
}

/// Models known to exist when the catalogue cannot be fetched (protocol doc §7.3).
const FALLBACK_MODELS: &[(&str, &str)] = &[
    ("auto", "Auto"),
    ("claude-sonnet-4.5", "Claude Sonnet 4.5"),
    ("claude-sonnet-4.6", "Claude Sonnet 4.6"),
    ("claude-sonnet-4", "Claude Sonnet 4"),
    ("claude-haiku-4.5", "Claude Haiku 4.5"),
    ("claude-opus-4.5", "Claude Opus 4.5"),
    ("claude-opus-4.6", "Claude Opus 4.6"),
    ("claude-opus-4.7", "Claude Opus 4.7"),
];

pub struct ModelCatalog {
    http: reqwest::Client,
    credentials: Arc<Credentials>,
    management_url: Option<String>,
    ttl: Duration,
    cache: RwLock<Option<Catalog>>,
    refreshing: tokio::sync::Mutex<()>,
}

impl ModelCatalog {
    pub fn new(
        http: reqwest::Client,
        credentials: Arc<Credentials>,
        management_url: Option<String>,
        ttl: Duration,
    ) -> Arc<Self> {
        Arc::new(ModelCatalog {
            http,
            credentials,
            management_url,
            ttl,
            cache: RwLock::new(None),
            refreshing: tokio::sync::Mutex::new(()),
        })
    }

    /// The catalogue: fresh from cache; stale from cache while a background refresh runs;
    /// fetched now when nothing is cached (the fallback list if that fails).
    pub async fn get(self: &Arc<Self>) -> Catalog {
        let cached = self.cache.read().unwrap_or_else(|e| e.into_inner()).clone();
        match cached {
            Some(catalog) if catalog.fetched_at.elapsed() < self.ttl => catalog,
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

    /// Fetch now (one fetch at a time) and cache the result.
    pub async fn refresh(&self) -> Catalog {
        let _one_at_a_time = self.refreshing.lock().await;
        if let Some(catalog) = self.cache.read().unwrap_or_else(|e| e.into_inner()).clone() {
            if catalog.fetched_at.elapsed() < Duration::from_secs(1) {
                return catalog;
            }
        }
        let catalog = match self.fetch().await {
            Ok(models) if !models.is_empty() => Catalog {
                models: Arc::new(models),
                source: CatalogSource::Upstream,
                fetched_at: Instant::now(),
            },
            outcome => {
                if let Err(err) = outcome {
                    tracing::warn!(
                        "could not fetch the model list from Kiro, using the built-in list: {err}"
                    );
                }
                // Cache the fallback briefly so a recovered upstream is picked up soon.
                Catalog {
                    models: Arc::new(fallback_models()),
                    source: CatalogSource::Fallback,
                    fetched_at: Instant::now() - self.ttl + self.ttl.min(Duration::from_secs(60)),
                }
            }
        };
        *self.cache.write().unwrap_or_else(|e| e.into_inner()) = Some(catalog.clone());
        catalog
    }

    async fn fetch(&self) -> Result<Vec<ModelInfo>, String> {
        let token = self
            .credentials
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
                .map_err(|e| super::client::describe_reqwest_error(&e))?;
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

pub fn fallback_models() -> Vec<ModelInfo> {
    FALLBACK_MODELS
        .iter()
        .map(|(id, name)| ModelInfo {
            id: (*id).into(),
            name: (*name).into(),
            description: String::new(),
            max_input_tokens: None,
            max_output_tokens: None,
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
        assert!(parsed.next_token.is_none());
    }

    #[test]
    fn fallback_has_the_common_models() {
        let ids: Vec<_> = fallback_models().into_iter().map(|m| m.id).collect();
        assert!(ids.contains(&"claude-sonnet-4.5".to_owned()));
        assert!(ids.contains(&"auto".to_owned()));
    }
}
