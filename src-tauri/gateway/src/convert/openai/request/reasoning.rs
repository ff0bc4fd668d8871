//! `reasoning_effort`: parsing and the reasoning budget it stands for.

use crate::convert::conversation::Effort;
use crate::convert::json_at::At;
use crate::error::ApiError;

/// Upper bound of any reasoning budget (docs/kiro-protocol.md#reasoning, JW's cap).
pub const REASONING_BUDGET_CAP: u32 = 10_000;
/// Budget base when the request has no `max_tokens`.
pub const REASONING_DEFAULT_BASE: u32 = 10_000;

/// `reasoning_effort` (and Responses' `reasoning.effort`): the neutral scale; `max` is never
/// parsed from OpenAI input.
pub type ReasoningEffort = Effort;

/// Reasoning budget for an effort (docs/kiro-protocol.md#reasoning, JW's scheme):
///
/// | effort  | budget                                  |
/// |---------|-----------------------------------------|
/// | none    | thinking off                            |
/// | minimal | 10 % of base                            |
/// | low     | 20 % of base                            |
/// | medium  | 50 % of base                            |
/// | high    | 80 % of base                            |
/// | xhigh   | 95 % of base                            |
///
/// `base` = the request's `max_tokens`, or [`REASONING_DEFAULT_BASE`] (10 000) without one;
/// every budget is at least 1 and capped at [`REASONING_BUDGET_CAP`] (10 000). Without
/// `max_tokens`: minimal 1 000, low 2 000, medium 5 000, high 8 000, xhigh 9 500.
pub fn reasoning_budget(effort: ReasoningEffort, max_tokens: Option<u32>) -> Option<u32> {
    let percent: u64 = match effort {
        ReasoningEffort::None => return None,
        ReasoningEffort::Minimal => 10,
        ReasoningEffort::Low => 20,
        ReasoningEffort::Medium => 50,
        ReasoningEffort::High => 80,
        ReasoningEffort::XHigh | ReasoningEffort::Max => 95,
    };
    let base = u64::from(max_tokens.unwrap_or(REASONING_DEFAULT_BASE));
    let budget = (base * percent / 100).clamp(1, u64::from(REASONING_BUDGET_CAP));
    Some(budget as u32)
}

/// Chat's `reasoning_effort` and Responses' `reasoning.effort`.
pub(crate) fn parse_effort(v: &At<'_>) -> Result<ReasoningEffort, ApiError> {
    Ok(match v.str()? {
        "none" => ReasoningEffort::None,
        "minimal" => ReasoningEffort::Minimal,
        "low" => ReasoningEffort::Low,
        "medium" => ReasoningEffort::Medium,
        "high" => ReasoningEffort::High,
        "xhigh" => ReasoningEffort::XHigh,
        other => {
            return Err(v.invalid(format!(
                "'{other}'. Expected one of none, minimal, low, medium, high, xhigh"
            )))
        }
    })
}
