//! What the answer cost, in the pieces the dialects add up differently.

use crate::convert::trailer::Trailer;
use crate::convert::usage::estimate_tokens;

/// Token usage of one answer.
///
/// Upstream counts (a `metadataEvent` with token counts) are used as they are. Without
/// them, the output is the local estimate of the text, reasoning and tool names +
/// arguments produced, and the prompt comes from `floor(contextUsagePercentage ×
/// context_window / 100)` minus the output (saturating) when a `contextUsageEvent` arrived,
/// else from the local prompt estimate.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Usage {
    /// Upstream `outputTokens`, else the local estimate.
    pub output_tokens: u64,
    /// Upstream `uncachedInputTokens` / `cacheReadInputTokens` / `cacheWriteInputTokens`.
    pub uncached_input_tokens: Option<u64>,
    pub cache_read_input_tokens: Option<u64>,
    pub cache_write_input_tokens: Option<u64>,
    /// Prompt + output in context, from `contextUsagePercentage`.
    pub context_tokens: Option<u64>,
    /// The local estimate of the prompt.
    pub prompt_estimate: u64,
    /// The estimate of the reasoning text, when there was reasoning.
    pub reasoning_tokens: Option<u64>,
    /// Credits Kiro charged, when it said.
    pub credits: Option<f64>,
}

impl Usage {
    /// Collects the pieces from the trailer and the machine's counts.
    pub fn new(
        trailer: &Trailer,
        context_window: u64,
        output_estimate: u64,
        prompt_estimate: u64,
        reasoning: &str,
    ) -> Self {
        let upstream = trailer.usage.as_ref();
        Usage {
            output_tokens: upstream
                .and_then(|u| u.output_tokens)
                .unwrap_or(output_estimate),
            uncached_input_tokens: upstream.and_then(|u| u.uncached_input_tokens),
            cache_read_input_tokens: upstream.and_then(|u| u.cache_read_input_tokens),
            cache_write_input_tokens: upstream.and_then(|u| u.cache_write_input_tokens),
            context_tokens: trailer.context_tokens(context_window),
            prompt_estimate,
            reasoning_tokens: (!reasoning.is_empty()).then(|| estimate_tokens(reasoning)),
            credits: trailer.credits,
        }
    }

    /// The whole prompt (OpenAI's `prompt_tokens`, Responses' `input_tokens`): upstream
    /// uncached + cache read + cache write when any was reported, else the context tokens
    /// minus the output, else the estimate.
    pub fn prompt_tokens(&self) -> u64 {
        let parts = [
            self.uncached_input_tokens,
            self.cache_read_input_tokens,
            self.cache_write_input_tokens,
        ];
        if parts.iter().any(Option::is_some) {
            return parts.iter().flatten().sum();
        }
        match self.context_tokens {
            Some(total) => total.saturating_sub(self.output_tokens),
            None => self.prompt_estimate,
        }
    }

    /// The uncached prompt (Anthropic's `input_tokens`, beside its cache fields): upstream
    /// uncached tokens, else the context tokens minus output, cache read and cache write,
    /// else the estimate.
    pub fn uncached_prompt_tokens(&self) -> u64 {
        if let Some(uncached) = self.uncached_input_tokens {
            return uncached;
        }
        match self.context_tokens {
            Some(total) => total
                .saturating_sub(self.output_tokens)
                .saturating_sub(self.cache_read_input_tokens.unwrap_or(0))
                .saturating_sub(self.cache_write_input_tokens.unwrap_or(0)),
            None => self.prompt_estimate,
        }
    }
}
