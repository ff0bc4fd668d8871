//! What the gateway knows about Kiro models without the catalogue: the December 2026 ids,
//! their context windows and output limits, and their reasoning controls. Only a fallback:
//! the live catalogue's numbers and schema win wherever it gives them
//! (`docs/kiro-protocol-notes.md`, "Models and the catalogue").
//!
//! Also the size guard for Kiro request bodies ([`payload_limit`]).

use super::reasoning_schema::ReasoningCapabilities;

/// A model known without the catalogue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KnownModel {
    /// Kiro id (dot form).
    pub id: &'static str,
    pub name: &'static str,
    /// `(context window, max output)` in tokens, where the sources agree on them.
    pub limits: Option<(u64, u64)>,
    pub reasoning: Option<KnownReasoning>,
    /// In the built-in model list used while the catalogue cannot be fetched. `false` for
    /// ids whose availability is too uncertain to advertise (regional models, `-1m` SKUs).
    pub listed: bool,
}

/// Native reasoning controls as the sources describe them (the catalogue schema's shapes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KnownReasoning {
    /// `thinking.type` / `thinking.display` / `output_config.effort`.
    Claude {
        types: &'static [&'static str],
        efforts: &'static [&'static str],
        default_effort: &'static str,
    },
    /// `reasoning.effort`, `none` turning it off; the service default is `high`.
    Gpt,
}

const ADAPTIVE_OR_DISABLED: &[&str] = &["adaptive", "disabled"];
const FOUR_EFFORTS: &[&str] = &["low", "medium", "high", "max"];
const FIVE_EFFORTS: &[&str] = &["low", "medium", "high", "xhigh", "max"];

const fn claude(efforts: &'static [&'static str], default_effort: &'static str) -> KnownReasoning {
    KnownReasoning::Claude {
        types: ADAPTIVE_OR_DISABLED,
        efforts,
        default_effort,
    }
}

const fn model(
    id: &'static str,
    name: &'static str,
    limits: Option<(u64, u64)>,
    reasoning: Option<KnownReasoning>,
) -> KnownModel {
    KnownModel {
        id,
        name,
        limits,
        reasoning,
        listed: true,
    }
}

const fn unlisted(mut m: KnownModel) -> KnownModel {
    m.listed = false;
    m
}

const M: u64 = 1_000_000;

/// Ids and limits of the protocol notes (December 2026). Where two sources disagree on an
/// output limit the lower one is used (Opus 4.6: 64 000 as kiro.rs advertises, not PI's
/// 32 768); Sonnet 4.6 takes the 1M reading; GPT-5.6 takes 272k, the window of accounts not
/// yet switched to 1M. `None`: limits not published (the defaults apply until the catalogue
/// says).
const KNOWN: &[KnownModel] = &[
    model("auto", "Auto", Some((M, 65_536)), None),
    model(
        "claude-opus-5",
        "Claude Opus 5",
        Some((M, 128_000)),
        Some(claude(FIVE_EFFORTS, "high")),
    ),
    model(
        "claude-opus-5.5",
        "Claude Opus 5.5",
        None,
        Some(KnownReasoning::Claude {
            types: &["adaptive"],
            efforts: FOUR_EFFORTS,
            default_effort: "medium",
        }),
    ),
    model(
        "claude-opus-4.8",
        "Claude Opus 4.8",
        Some((M, 128_000)),
        Some(claude(FIVE_EFFORTS, "high")),
    ),
    model(
        "claude-opus-4.7",
        "Claude Opus 4.7",
        Some((M, 128_000)),
        Some(claude(FIVE_EFFORTS, "xhigh")),
    ),
    model(
        "claude-opus-4.6",
        "Claude Opus 4.6",
        Some((M, 64_000)),
        Some(claude(FOUR_EFFORTS, "high")),
    ),
    model("claude-opus-4.5", "Claude Opus 4.5", None, None),
    model(
        "claude-sonnet-5",
        "Claude Sonnet 5",
        // The output limit is not published: the unknown-Claude default.
        Some((M, 64_000)),
        Some(claude(FIVE_EFFORTS, "high")),
    ),
    model(
        "claude-sonnet-5.5",
        "Claude Sonnet 5.5",
        None,
        Some(KnownReasoning::Claude {
            types: &["adaptive", "between_tools"],
            efforts: FOUR_EFFORTS,
            default_effort: "high",
        }),
    ),
    model(
        "claude-sonnet-4.6",
        "Claude Sonnet 4.6",
        Some((M, 65_536)),
        Some(claude(FOUR_EFFORTS, "high")),
    ),
    model(
        "claude-sonnet-4.5",
        "Claude Sonnet 4.5",
        Some((200_000, 64_000)),
        None,
    ),
    model(
        "claude-sonnet-4",
        "Claude Sonnet 4",
        Some((200_000, 64_000)),
        None,
    ),
    model(
        "claude-haiku-4.5",
        "Claude Haiku 4.5",
        Some((200_000, 64_000)),
        None,
    ),
    model(
        "gpt-5.6-sol",
        "GPT-5.6 Sol",
        Some((272_000, 128_000)),
        Some(KnownReasoning::Gpt),
    ),
    model(
        "gpt-5.6-terra",
        "GPT-5.6 Terra",
        Some((272_000, 128_000)),
        Some(KnownReasoning::Gpt),
    ),
    model(
        "gpt-5.6-luna",
        "GPT-5.6 Luna",
        Some((272_000, 128_000)),
        Some(KnownReasoning::Gpt),
    ),
    unlisted(model(
        "claude-sonnet-4.5-1m",
        "Claude Sonnet 4.5 (1M)",
        Some((M, 64_000)),
        None,
    )),
    unlisted(model(
        "claude-sonnet-4.6-1m",
        "Claude Sonnet 4.6 (1M)",
        Some((M, 65_536)),
        Some(claude(FOUR_EFFORTS, "high")),
    )),
    unlisted(model(
        "deepseek-3.2",
        "DeepSeek 3.2",
        Some((164_000, 8_192)),
        None,
    )),
    unlisted(model(
        "minimax-m2.1",
        "MiniMax M2.1",
        Some((196_000, 8_192)),
        None,
    )),
    unlisted(model(
        "minimax-m2.5",
        "MiniMax M2.5",
        Some((196_000, 8_192)),
        None,
    )),
    unlisted(model("glm-5", "GLM 5", Some((200_000, 8_192)), None)),
    unlisted(model(
        "qwen3-coder-next",
        "Qwen3 Coder Next",
        Some((256_000, 8_192)),
        None,
    )),
];

/// The window assumed for a model nobody published one for (the Python gateway, kiro.rs).
pub const DEFAULT_CONTEXT_WINDOW: u64 = 200_000;

/// The known model with this id (case-insensitive).
pub fn known(id: &str) -> Option<&'static KnownModel> {
    let id = id.trim();
    KNOWN.iter().find(|m| m.id.eq_ignore_ascii_case(id))
}

/// The models of the built-in list, in the order shown.
pub fn fallback_list() -> impl Iterator<Item = &'static KnownModel> {
    KNOWN.iter().filter(|m| m.listed)
}

/// Context window in tokens from the table; unknown → [`DEFAULT_CONTEXT_WINDOW`].
pub fn context_window(id: &str) -> u64 {
    known(id)
        .and_then(|m| m.limits)
        .map_or(DEFAULT_CONTEXT_WINDOW, |l| l.0)
}

/// Maximum output tokens from the table; unknown Claude ids → 64 000, others → 8 192.
pub fn max_output_tokens(id: &str) -> u64 {
    match known(id).and_then(|m| m.limits) {
        Some(l) => l.1,
        None if id.trim().to_ascii_lowercase().starts_with("claude") => 64_000,
        None => 8_192,
    }
}

/// The reasoning controls the table knows for `id` (none for unknown ids).
pub fn reasoning(id: &str) -> ReasoningCapabilities {
    let strings = |values: &[&str]| values.iter().map(|v| (*v).to_owned()).collect::<Vec<_>>();
    match known(id).and_then(|m| m.reasoning) {
        None => ReasoningCapabilities::default(),
        Some(KnownReasoning::Claude {
            types,
            efforts,
            default_effort,
        }) => ReasoningCapabilities {
            native: true,
            effort_path: strings(&["output_config", "effort"]),
            efforts: strings(efforts),
            default_effort: Some(default_effort.to_owned()),
            thinking_types: strings(types),
            disable_allowed: types.contains(&"disabled"),
            displays: strings(&["summarized", "omitted"]),
        },
        Some(KnownReasoning::Gpt) => ReasoningCapabilities {
            native: true,
            effort_path: strings(&["reasoning", "effort"]),
            efforts: strings(&["none", "low", "medium", "high", "xhigh", "max"]),
            default_effort: Some("high".to_owned()),
            ..ReasoningCapabilities::default()
        },
    }
}

/// The largest Kiro body measured accepted: 1.25 MB (1.3 MB refused), to a model with a
/// 200 000-token window at the time (Python gateway issue #73, February 2026).
pub const MEASURED_BODY_BYTES: usize = 1_250_000;
/// The window of that measurement.
const MEASURED_WINDOW: u64 = 200_000;

/// The default size guard for a Kiro body to a model with a `context_window`-token window:
/// the measured 1.25 MB per 200 000 tokens of window, never below 1.25 MB. The limit behaves
/// like a token limit (a later bisect found the old byte limit gone and oversized bodies
/// answered `CONTENT_LENGTH_EXCEEDS_THRESHOLD`), so a 1M model gets 6.25 MB: the guard only
/// refuses bodies far beyond what the window holds, and Kiro decides the rest.
pub fn payload_limit(context_window: u64) -> usize {
    let scaled = u128::from(context_window) * MEASURED_BODY_BYTES as u128 / MEASURED_WINDOW as u128;
    usize::try_from(scaled)
        .unwrap_or(usize::MAX)
        .max(MEASURED_BODY_BYTES)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_table() {
        let cases: &[(&str, u64, u64)] = &[
            ("claude-opus-5", 1_000_000, 128_000),
            ("claude-opus-4.8", 1_000_000, 128_000),
            ("claude-opus-4.7", 1_000_000, 128_000),
            ("claude-opus-4.6", 1_000_000, 64_000),
            ("claude-sonnet-5", 1_000_000, 64_000),
            ("claude-sonnet-4.6", 1_000_000, 65_536),
            ("claude-sonnet-4.5", 200_000, 64_000),
            ("claude-sonnet-4.5-1m", 1_000_000, 64_000),
            ("claude-sonnet-4", 200_000, 64_000),
            ("claude-haiku-4.5", 200_000, 64_000),
            ("auto", 1_000_000, 65_536),
            ("deepseek-3.2", 164_000, 8_192),
            ("minimax-m2.5", 196_000, 8_192),
            ("glm-5", 200_000, 8_192),
            ("qwen3-coder-next", 256_000, 8_192),
            ("gpt-5.6-luna", 272_000, 128_000),
            ("GPT-5.6-LUNA", 272_000, 128_000),
            // Ids whose limits nobody published, and ids nobody heard of: the defaults.
            ("claude-opus-5.5", 200_000, 64_000),
            ("claude-opus-4.5", 200_000, 64_000),
            ("claude-opus-9.9", 200_000, 64_000),
            ("something-new", 200_000, 8_192),
        ];
        for (id, ctx, out) in cases {
            assert_eq!(context_window(id), *ctx, "{id}");
            assert_eq!(max_output_tokens(id), *out, "{id}");
        }
    }

    #[test]
    fn the_built_in_list_has_the_december_models_and_no_regional_ones() {
        let ids: Vec<&str> = fallback_list().map(|m| m.id).collect();
        for id in [
            "auto",
            "claude-opus-5",
            "claude-opus-4.8",
            "claude-sonnet-5",
            "claude-sonnet-4.5",
            "claude-haiku-4.5",
            "gpt-5.6-sol",
        ] {
            assert!(ids.contains(&id), "{id}");
        }
        for id in ["qwen3-coder-next", "deepseek-3.2", "claude-sonnet-4.5-1m"] {
            assert!(!ids.contains(&id), "{id}");
        }
    }

    #[test]
    fn reasoning_of_the_table_follows_the_notes() {
        let opus = reasoning("claude-opus-4.7");
        assert!(opus.native && opus.disable_allowed);
        assert_eq!(opus.efforts, ["low", "medium", "high", "xhigh", "max"]);
        assert_eq!(opus.default_effort.as_deref(), Some("xhigh"));
        assert!(!reasoning("claude-opus-4.6")
            .efforts
            .contains(&"xhigh".to_owned()));
        let sonnet = reasoning("claude-sonnet-5.5");
        assert_eq!(sonnet.thinking_types, ["adaptive", "between_tools"]);
        assert!(!sonnet.disable_allowed);
        let gpt = reasoning("gpt-5.6-terra");
        assert_eq!(gpt.effort_path, ["reasoning", "effort"]);
        assert_eq!(gpt.efforts.first().map(String::as_str), Some("none"));
        assert!(gpt.thinking_types.is_empty());
        for id in [
            "claude-sonnet-4.5",
            "claude-haiku-4.5",
            "glm-5",
            "unheard-of",
        ] {
            assert_eq!(reasoning(id), ReasoningCapabilities::default(), "{id}");
        }
    }

    #[test]
    fn payload_limit_scales_with_the_window_from_the_measured_bound() {
        assert_eq!(payload_limit(200_000), 1_250_000);
        assert_eq!(payload_limit(0), 1_250_000);
        assert_eq!(payload_limit(164_000), 1_250_000, "never below the bound");
        assert_eq!(payload_limit(272_000), 1_700_000);
        assert_eq!(payload_limit(1_000_000), 6_250_000);
        assert_eq!(payload_limit(u64::MAX), usize::MAX, "saturates");
        assert!(
            payload_limit(1_000_000) > 1_200_000,
            "1.2 MB to a 1M model passes"
        );
    }
}
