//! What the request path asks the catalogue: which Kiro model a client name means, what
//! that model offers ([`ModelCapabilities`]), and which other models to suggest when it is
//! short of capacity. The catalogue's own numbers and schema win; the static table
//! ([`limits`]) fills only what the catalogue leaves out, and never narrows it.

use serde::Serialize;

use super::{Catalog, CatalogSource, ModelInfo};
use crate::kiro::models::names::{anthropic_model_id, resolve_model, route_long_context};
use crate::kiro::models::{limits, ReasoningCapabilities, ResolvedModel};

/// What one model offers, as the request path needs it. Plain data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ModelCapabilities {
    /// Kiro id.
    pub model_id: String,
    /// Tokens: the catalogue's `maxInputTokens`, else the static table's, else 200 000.
    pub context_window: u64,
    /// Tokens: the catalogue's `maxOutputTokens`, else the static table's, else a default.
    pub max_output_tokens: u64,
    /// From the catalogue's schema for a listed model (its absence means none); from the
    /// static table while the catalogue cannot be fetched.
    pub reasoning: ReasoningCapabilities,
    /// The account's live catalogue lists the model.
    pub listed: bool,
}

impl Catalog {
    /// The listed model with this Kiro id.
    pub fn find(&self, model_id: &str) -> Option<&ModelInfo> {
        self.models.iter().find(|m| m.id == model_id)
    }

    /// The context window of a listed model; `None` for ids the catalogue lacks.
    pub fn window_of(&self, model_id: &str) -> Option<u64> {
        self.find(model_id).map(window)
    }

    /// The Kiro model a client name means on this account: [`resolve_model`], then a
    /// `[1m]` name to the `-1m` SKU where the catalogue has one.
    pub fn resolve(&self, client_name: &str) -> ResolvedModel {
        route_long_context(resolve_model(client_name), |id| self.window_of(id))
    }

    /// Window, output limit and reasoning of `model_id`.
    pub fn capabilities(&self, model_id: &str) -> ModelCapabilities {
        let listed = self.find(model_id);
        ModelCapabilities {
            model_id: model_id.to_owned(),
            context_window: listed.map_or_else(|| limits::context_window(model_id), window),
            max_output_tokens: listed
                .and_then(|m| m.max_output_tokens)
                .unwrap_or_else(|| limits::max_output_tokens(model_id)),
            reasoning: match listed {
                Some(m) => m.reasoning.clone(),
                None => limits::reasoning(model_id),
            },
            listed: listed.is_some() && self.source == CatalogSource::Upstream,
        }
    }

    /// The id Anthropic's model listing shows for a listed model (see
    /// [`anthropic_model_id`]).
    pub fn anthropic_id(&self, model: &ModelInfo) -> String {
        anthropic_model_id(&model.id, window(model), |id| self.window_of(id))
    }

    /// Up to `max` other listed models to suggest when `failed` is short of capacity:
    /// neither `failed` nor its `-1m` twin, with a window of at least `needed_tokens`;
    /// the same maker first (`claude`, `gpt`, …), then the same family (`claude-opus`), then
    /// the larger window, then catalogue order.
    pub fn alternatives(&self, failed: &str, needed_tokens: u64, max: usize) -> Vec<String> {
        let base = failed.strip_suffix("-1m").unwrap_or(failed);
        let prefix = |id: &str, parts: usize| -> String {
            id.split('-').take(parts).collect::<Vec<_>>().join("-")
        };
        let mut candidates: Vec<(bool, bool, std::cmp::Reverse<u64>, usize, &str)> = self
            .models
            .iter()
            .enumerate()
            .filter(|(_, m)| m.id != base && m.id.strip_suffix("-1m") != Some(base))
            .filter(|(_, m)| window(m) >= needed_tokens)
            .map(|(order, m)| {
                (
                    prefix(&m.id, 1) != prefix(base, 1),
                    prefix(&m.id, 2) != prefix(base, 2),
                    std::cmp::Reverse(window(m)),
                    order,
                    m.id.as_str(),
                )
            })
            .collect();
        candidates.sort();
        candidates
            .into_iter()
            .take(max)
            .map(|c| c.4.to_owned())
            .collect()
    }
}

/// A listed model's window: the catalogue's, else the static table's.
fn window(model: &ModelInfo) -> u64 {
    model
        .max_input_tokens
        .unwrap_or_else(|| limits::context_window(&model.id))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kiro::catalog::fallback_models;
    use crate::kiro::models::reasoning_schema;
    use serde_json::json;

    fn model(id: &str, window: Option<u64>, output: Option<u64>) -> ModelInfo {
        ModelInfo {
            id: id.into(),
            name: id.into(),
            description: String::new(),
            max_input_tokens: window,
            max_output_tokens: output,
            reasoning: ReasoningCapabilities::default(),
        }
    }

    fn upstream(models: Vec<ModelInfo>) -> Catalog {
        Catalog::new(models, CatalogSource::Upstream)
    }

    #[test]
    fn the_catalogues_numbers_win_over_the_table() {
        let gpt_schema = json!({"properties": {"reasoning": {"properties": {"effort": {
            "enum": ["none", "low", "medium", "high"], "default": "medium"}}}}});
        let mut gpt = model("gpt-5.6-luna", Some(1_000_000), Some(100_000));
        gpt.reasoning = reasoning_schema::parse(Some(&gpt_schema));
        let catalog = upstream(vec![
            gpt,
            // A model the table has never heard of.
            model("claude-opus-6", Some(2_000_000), Some(256_000)),
            // A model listed without limits or schema: the table's limits, no reasoning.
            model("claude-opus-4.8", None, None),
        ]);
        let luna = catalog.capabilities("gpt-5.6-luna");
        assert_eq!(
            (luna.context_window, luna.max_output_tokens, luna.listed),
            (1_000_000, 100_000, true)
        );
        assert_eq!(luna.reasoning.efforts, ["none", "low", "medium", "high"]);
        assert_eq!(luna.reasoning.default_effort.as_deref(), Some("medium"));

        let new = catalog.capabilities("claude-opus-6");
        assert_eq!(
            (new.context_window, new.max_output_tokens),
            (2_000_000, 256_000)
        );

        let bare = catalog.capabilities("claude-opus-4.8");
        assert_eq!(
            (bare.context_window, bare.max_output_tokens),
            (1_000_000, 128_000)
        );
        assert!(
            !bare.reasoning.native,
            "the catalogue's silence is authoritative"
        );

        let unlisted = catalog.capabilities("claude-sonnet-5");
        assert!(!unlisted.listed);
        assert_eq!(unlisted.context_window, 1_000_000);
        assert!(
            unlisted.reasoning.native,
            "the table's facts for unlisted ids"
        );
    }

    #[test]
    fn the_fallback_catalogue_answers_from_the_table() {
        let catalog = Catalog::new(fallback_models(), CatalogSource::Fallback);
        let opus = catalog.capabilities("claude-opus-4.7");
        assert!(!opus.listed);
        assert_eq!(
            (opus.context_window, opus.max_output_tokens),
            (1_000_000, 128_000)
        );
        assert_eq!(opus.reasoning.default_effort.as_deref(), Some("xhigh"));
        let unknown = catalog.capabilities("mystery-1");
        assert_eq!(
            (unknown.context_window, unknown.max_output_tokens),
            (200_000, 8_192)
        );
        assert_eq!(unknown.reasoning, ReasoningCapabilities::default());
    }

    #[test]
    fn names_resolve_against_the_accounts_models() {
        let catalog = upstream(vec![
            model("claude-sonnet-4.5", Some(200_000), None),
            model("claude-sonnet-4.5-1m", Some(1_000_000), None),
            model("claude-opus-4.8", Some(1_000_000), None),
        ]);
        assert_eq!(
            catalog.resolve("claude-sonnet-4-5[1m]").upstream_id,
            "claude-sonnet-4.5-1m"
        );
        assert_eq!(
            catalog.resolve("claude-sonnet-4-5").upstream_id,
            "claude-sonnet-4.5"
        );
        assert_eq!(
            catalog.resolve("claude-opus-4-8[1m]").upstream_id,
            "claude-opus-4.8"
        );
        let sku = catalog.find("claude-sonnet-4.5-1m").unwrap();
        assert_eq!(catalog.anthropic_id(sku), "claude-sonnet-4-5[1m]");
        let opus = catalog.find("claude-opus-4.8").unwrap();
        assert_eq!(catalog.anthropic_id(opus), "claude-opus-4-8[1m]");
    }

    #[test]
    fn alternatives_prefer_the_same_maker_and_family_and_fit_the_request() {
        let catalog = upstream(vec![
            model("auto", Some(1_000_000), None),
            model("claude-sonnet-4.5", Some(200_000), None),
            model("claude-sonnet-4.5-1m", Some(1_000_000), None),
            model("claude-opus-4.7", Some(1_000_000), None),
            model("claude-opus-4.8", Some(1_000_000), None),
            model("claude-opus-5", Some(1_000_000), None),
            model("gpt-5.6-sol", Some(1_000_000), None),
            model("glm-5", Some(200_000), None),
        ]);
        assert_eq!(
            catalog.alternatives("claude-opus-4.8", 0, 3),
            ["claude-opus-4.7", "claude-opus-5", "claude-sonnet-4.5-1m"]
        );
        // The SKU twin is the same model; a small window cannot hold the conversation.
        assert_eq!(
            catalog.alternatives("claude-sonnet-4.5", 300_000, 2),
            ["claude-opus-4.7", "claude-opus-4.8"]
        );
        assert_eq!(
            catalog.alternatives("gpt-5.6-sol", 0, 2),
            ["auto", "claude-sonnet-4.5-1m"]
        );
        assert!(catalog
            .alternatives("claude-opus-4.8", 5_000_000, 3)
            .is_empty());
        assert_eq!(catalog.alternatives("unlisted", 0, 1), ["auto"]);
    }
}
