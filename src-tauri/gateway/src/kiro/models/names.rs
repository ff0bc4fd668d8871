//! Client model name → Kiro upstream model id (docs/kiro-protocol.md#model-names), the ids the
//! Anthropic listing shows, and "did you mean" suggestions.
//!
//! Pipeline of [`resolve_model`]: trim → strip a trailing context-size marker (`[1m]`,
//! `[200k]`; a 1M-or-more one sets [`ResolvedModel::long_context`]) and a `-thinking` suffix
//! (→ [`ResolvedModel::thinking`]) → alias table (case-insensitive) → JW's normaliser
//! ([`normalize_model_name`]) → otherwise the name is passed through unchanged, original case
//! preserved ("gateway, not gatekeeper": Kiro decides). [`route_long_context`] then sends a
//! `[1m]` name to the account's `-1m` SKU when the catalogue has one.
//! Everything here is pure and total (never panics).

use std::collections::HashMap;

use crate::aws_ids::edit_distance;

/// Result of resolving a client's model name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedModel {
    /// The id to send as `modelId` (dot form for known Claude models).
    pub upstream_id: String,
    /// The client asked for reasoning through the name (`…-thinking`).
    pub thinking: bool,
    /// The name carried a context marker of a million tokens or more (`…[1m]`).
    pub long_context: bool,
}

/// Built-in aliases (ZJ `MODEL_ALIASES`, docs/kiro-protocol.md#model-names). Keys are lower case.
const ALIASES: &[(&str, &str)] = &[
    ("auto-kiro", "auto"),
    ("kiro-o-4.8", "claude-opus-4.8"),
    ("kiro-o-4.7", "claude-opus-4.7"),
    ("kiro-o-4.6", "claude-opus-4.6"),
    ("kiro-o-4.5", "claude-opus-4.5"),
    ("kiro-s-4.6", "claude-sonnet-4.6"),
    ("kiro-s-4.5", "claude-sonnet-4.5"),
    ("kiro-s-4", "claude-sonnet-4"),
    ("kiro-h-4.5", "claude-haiku-4.5"),
    ("kiro-deepseek-3.2", "deepseek-3.2"),
    ("kiro-glm-5", "glm-5"),
    ("kiro-minimax-m2.1", "minimax-m2.1"),
    ("kiro-minimax-m2.5", "minimax-m2.5"),
    ("kiro-qwen3-coder-next", "qwen3-coder-next"),
];

const FAMILIES: &[&str] = &["haiku", "sonnet", "opus"];

/// Resolve a client model name with the built-in aliases only.
pub fn resolve_model(client_name: &str) -> ResolvedModel {
    resolve_model_with_aliases(client_name, &HashMap::new())
}

/// Resolve a client model name; `extra_aliases` (configured by the user, keys compared
/// case-insensitively) win over the built-in alias table.
pub fn resolve_model_with_aliases(
    client_name: &str,
    extra_aliases: &HashMap<String, String>,
) -> ResolvedModel {
    let (base, markers) = strip_markers(client_name.trim());
    let lower = base.to_ascii_lowercase();
    let upstream_id = if let Some(target) = extra_aliases
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(&lower))
        .map(|(_, v)| v.clone())
    {
        target
    } else if let Some((_, target)) = ALIASES.iter().find(|(k, _)| *k == lower) {
        (*target).to_string()
    } else {
        normalize_model_name(base)
    };
    ResolvedModel {
        upstream_id,
        thinking: markers.thinking,
        long_context: markers.long_context,
    }
}

/// A window from this size on is a "long context" (`[1m]`).
const ONE_MILLION: u64 = 1_000_000;

/// The `-1m` SKU of a model (Sonnet 4.5 and 4.6 have one next to the 200k model).
const ONE_MILLION_SKU: &str = "-1m";

/// A `[1m]` name on an account whose catalogue has a separate `-1m` SKU goes to that SKU,
/// unless the model itself already has a 1M window (then the marker is just dropped).
/// `window_of` gives a listed model's context window, `None` for ids the catalogue lacks.
pub fn route_long_context(
    resolved: ResolvedModel,
    window_of: impl Fn(&str) -> Option<u64>,
) -> ResolvedModel {
    if !resolved.long_context || window_of(&resolved.upstream_id) >= Some(ONE_MILLION) {
        return resolved;
    }
    let sku = format!("{}{ONE_MILLION_SKU}", resolved.upstream_id);
    if window_of(&sku).is_none() {
        return resolved;
    }
    ResolvedModel {
        upstream_id: sku,
        ..resolved
    }
}

/// What [`strip_markers`] found.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Markers {
    thinking: bool,
    long_context: bool,
}

/// Strip trailing `[<digits>m|k]` markers and a `-thinking` suffix, in any order.
/// Returns the remaining name (original case) and what was stripped.
fn strip_markers(name: &str) -> (&str, Markers) {
    let mut rest = name;
    let mut markers = Markers::default();
    loop {
        if let Some((stripped, tokens)) = strip_context_marker(rest) {
            rest = stripped;
            markers.long_context |= tokens >= ONE_MILLION;
            continue;
        }
        if let Some(stripped) = strip_suffix_ignore_case(rest, "-thinking") {
            if !stripped.is_empty() {
                rest = stripped;
                markers.thinking = true;
                continue;
            }
        }
        return (rest, markers);
    }
}

fn strip_suffix_ignore_case<'a>(s: &'a str, suffix: &str) -> Option<&'a str> {
    let cut = s.len().checked_sub(suffix.len())?;
    if !s.is_char_boundary(cut) {
        return None;
    }
    let (head, tail) = s.split_at(cut);
    tail.eq_ignore_ascii_case(suffix).then_some(head)
}

/// `claude-sonnet-4-5[1m]` → (`claude-sonnet-4-5`, 1 000 000 tokens).
fn strip_context_marker(s: &str) -> Option<(&str, u64)> {
    let body = s.strip_suffix(']')?;
    let open = body.rfind('[')?;
    let inner = &body[open + 1..];
    let unit = match inner.bytes().last()? {
        b'm' | b'M' => 1_000_000,
        b'k' | b'K' => 1_000,
        _ => return None,
    };
    let digits = &inner[..inner.len() - 1];
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let tokens = digits
        .parse::<u64>()
        .unwrap_or(u64::MAX)
        .saturating_mul(unit);
    Some((&s[..open], tokens))
}

/// JW's normaliser (docs/kiro-protocol.md#model-names) on a name without markers. Returns the
/// dot-form id for the recognised Claude spellings, otherwise `name` unchanged.
pub fn normalize_model_name(name: &str) -> String {
    let lower = name.to_ascii_lowercase();
    normalize_claude(&lower).unwrap_or_else(|| name.to_string())
}

fn is_num(s: &str, max_len: usize) -> bool {
    !s.is_empty() && s.len() <= max_len && s.bytes().all(|b| b.is_ascii_digit())
}

fn is_family(s: &str) -> bool {
    FAMILIES.contains(&s)
}

/// `-{8-digit date}`, `-latest` or `-{digits}` (one trailing token).
fn is_version_suffix(tokens: &[&str]) -> bool {
    match tokens {
        [] => true,
        [t] => *t == "latest" || is_num(t, 8),
        _ => false,
    }
}

/// Split `4.5` into (`4`, `5`) when both are short numbers.
fn dotted(s: &str) -> Option<(&str, &str)> {
    let (major, minor) = s.split_once('.')?;
    (is_num(major, 2) && is_num(minor, 2)).then_some((major, minor))
}

fn normalize_claude(lower: &str) -> Option<String> {
    let tokens: Vec<&str> = lower.split('-').collect();
    let (&first, rest) = tokens.split_first()?;
    if first != "claude" {
        return None;
    }
    match rest {
        // claude-{family}-{major}-{minor}[-suffix]
        [fam, major, minor, suffix @ ..]
            if is_family(fam)
                && is_num(major, 2)
                && is_num(minor, 2)
                && is_version_suffix(suffix) =>
        {
            Some(format!("claude-{fam}-{major}.{minor}"))
        }
        // claude-{family}-{major}.{minor}[-suffix]   (dot form, possibly dated)
        [fam, ver, suffix @ ..] if is_family(fam) && is_version_suffix(suffix) => {
            if let Some((major, minor)) = dotted(ver) {
                Some(format!("claude-{fam}-{major}.{minor}"))
            } else if is_num(ver, 2) {
                // claude-{family}-{major}[-date]
                Some(format!("claude-{fam}-{ver}"))
            } else {
                None
            }
        }
        // legacy claude-{major}-{minor}-{family}[-suffix]
        [major, minor, fam, suffix @ ..]
            if is_num(major, 2)
                && is_num(minor, 2)
                && is_family(fam)
                && is_version_suffix(suffix) =>
        {
            Some(format!("claude-{major}.{minor}-{fam}"))
        }
        // inverted Cursor form with a suffix: claude-{major}.{minor}-{family}-{suffix…}
        [ver, fam, suffix @ ..] if is_family(fam) && !suffix.is_empty() => {
            let (major, minor) = dotted(ver)?;
            suffix
                .iter()
                .all(|t| !t.is_empty() && t.bytes().all(|b| b.is_ascii_alphanumeric()))
                .then(|| format!("claude-{fam}-{major}.{minor}"))
        }
        _ => None,
    }
}

/// The id the Anthropic-shaped model listing gives a Kiro model whose context window is
/// `context_window` tokens, on an account whose listed models' windows `window_of` gives.
/// Claude Code and the Anthropic SDKs know Claude models by dash ids, and Claude Code
/// assumes a 200k window behind a custom base URL unless the id ends in `[1m]` (protocol doc
/// docs/kiro-protocol.md#model-limits), so:
///
/// * Claude dot-form ids take the dash form (`claude-sonnet-4.5` → `claude-sonnet-4-5`,
///   `claude-opus-5` stays), but only when that form resolves back to the same Kiro id;
/// * a `-1m` SKU is its model's dash form with `[1m]` (`claude-sonnet-4.5-1m` →
///   `claude-sonnet-4-5[1m]`, which [`route_long_context`] sends back to the SKU), unless
///   its model already has a 1M window (then the SKU keeps its Kiro id, plus `[1m]`);
/// * other ids are kept (`gpt-5.6-sol`, `deepseek-3.2`); `auto` is `auto-kiro`, as in the
///   OpenAI listing;
/// * a window of 1 000 000 tokens or more adds `[1m]` (`claude-opus-4-8[1m]`); `auto` never
///   gets it (its window is the routed model's).
///
/// Every id this returns resolves back to `upstream_id` through [`resolve_model`] and
/// [`route_long_context`] with the same `window_of`.
pub fn anthropic_model_id(
    upstream_id: &str,
    context_window: u64,
    window_of: impl Fn(&str) -> Option<u64>,
) -> String {
    if upstream_id == "auto" {
        return "auto-kiro".into();
    }
    if let Some(model) = upstream_id.strip_suffix(ONE_MILLION_SKU) {
        let model_is_1m = window_of(model) >= Some(ONE_MILLION);
        let dashed = claude_dash_form(model).filter(|d| resolve_model(d).upstream_id == model);
        if let (false, Some(dashed)) = (model_is_1m, dashed) {
            return format!("{dashed}[1m]");
        }
    }
    let dashed = claude_dash_form(upstream_id)
        .filter(|dashed| resolve_model(dashed).upstream_id == upstream_id)
        .unwrap_or_else(|| upstream_id.to_owned());
    if context_window >= ONE_MILLION {
        format!("{dashed}[1m]")
    } else {
        dashed
    }
}

/// `claude-sonnet-4.5` → `claude-sonnet-4-5`: every dot between two digits of a Claude id
/// becomes a dash. `None` for ids that are not Claude ids.
fn claude_dash_form(upstream_id: &str) -> Option<String> {
    if !upstream_id.starts_with("claude-") {
        return None;
    }
    let bytes = upstream_id.as_bytes();
    let dashed = upstream_id
        .char_indices()
        .map(|(i, c)| {
            let between_digits = i > 0
                && bytes[i - 1].is_ascii_digit()
                && bytes.get(i + 1).is_some_and(u8::is_ascii_digit);
            if c == '.' && between_digits {
                '-'
            } else {
                c
            }
        })
        .collect();
    Some(dashed)
}

/// Known ids close to `name` (for "model not found" errors): the resolved form of `name`
/// and the raw name are both compared (case-insensitively, Levenshtein distance); ids within
/// `max(2, len/3)` edits, best first, at most 3.
pub fn close_matches<S: AsRef<str>>(name: &str, known_ids: &[S]) -> Vec<String> {
    let raw = name.trim().to_ascii_lowercase();
    let resolved = resolve_model(name).upstream_id.to_ascii_lowercase();
    let threshold = (raw.chars().count() / 3).max(2);
    let mut scored: Vec<(usize, String)> = known_ids
        .iter()
        .map(|id| id.as_ref())
        .filter_map(|id| {
            let lower = id.to_ascii_lowercase();
            let d = edit_distance(&raw, &lower).min(edit_distance(&resolved, &lower));
            (d <= threshold).then(|| (d, id.to_string()))
        })
        .collect();
    scored.sort();
    scored.dedup_by(|a, b| a.1 == b.1);
    scored.into_iter().take(3).map(|(_, id)| id).collect()
}

/// Kiro's `auto` collides with Cursor's own "auto"; clients see it as `auto-kiro`.
pub fn client_model_id(upstream_id: &str) -> String {
    if upstream_id == "auto" {
        "auto-kiro".into()
    } else {
        upstream_id.into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolve_table() {
        let cases: &[(&str, &str, bool)] = &[
            ("claude-sonnet-4-5-20250929", "claude-sonnet-4.5", false),
            ("claude-sonnet-4.5", "claude-sonnet-4.5", false),
            ("claude-sonnet-4-5", "claude-sonnet-4.5", false),
            ("claude-sonnet-4-5-latest", "claude-sonnet-4.5", false),
            ("claude-sonnet-4-5[1m]", "claude-sonnet-4.5", false),
            ("Claude-Sonnet-4-5-20250929", "claude-sonnet-4.5", false),
            ("claude-sonnet-4-20250514", "claude-sonnet-4", false),
            ("claude-sonnet-4", "claude-sonnet-4", false),
            ("claude-haiku-4-5-20251001", "claude-haiku-4.5", false),
            ("claude-haiku-4-5-latest", "claude-haiku-4.5", false),
            ("claude-haiku-4.5-20251001", "claude-haiku-4.5", false),
            ("claude-opus-4-6", "claude-opus-4.6", false),
            ("claude-opus-4-6[1m]", "claude-opus-4.6", false),
            ("claude-3-7-sonnet-20250219", "claude-3.7-sonnet", false),
            ("claude-3-7-sonnet", "claude-3.7-sonnet", false),
            ("claude-4.5-opus-high", "claude-opus-4.5", false),
            ("claude-4.5-sonnet-low", "claude-sonnet-4.5", false),
            ("claude-3.7-sonnet", "claude-3.7-sonnet", false),
            (
                "claude-sonnet-4-5-20250929-thinking",
                "claude-sonnet-4.5",
                true,
            ),
            ("claude-opus-4-6-thinking[1m]", "claude-opus-4.6", true),
            ("claude-opus-4-6[1m]-thinking", "claude-opus-4.6", true),
            ("auto-kiro", "auto", false),
            ("AUTO-KIRO", "auto", false),
            ("kiro-s-4.5", "claude-sonnet-4.5", false),
            ("kiro-s-4", "claude-sonnet-4", false),
            ("kiro-o-4.8", "claude-opus-4.8", false),
            ("kiro-h-4.5", "claude-haiku-4.5", false),
            ("kiro-glm-5", "glm-5", false),
            ("kiro-qwen3-coder-next", "qwen3-coder-next", false),
            ("auto", "auto", false),
            ("glm-5", "glm-5", false),
            ("GLM-5", "GLM-5", false),
            ("gpt-4o", "gpt-4o", false),
            ("My-Custom-Model", "My-Custom-Model", false),
            (
                "claude-sonnet-4-5-extra-junk",
                "claude-sonnet-4-5-extra-junk",
                false,
            ),
            ("-thinking", "-thinking", false),
            ("", "", false),
            ("[1m]", "", false),
            ("é[1m]", "é", false),
        ];
        for (input, want, thinking) in cases {
            let got = resolve_model(input);
            assert_eq!(got.upstream_id, *want, "input {input:?}");
            assert_eq!(got.thinking, *thinking, "thinking flag for {input:?}");
        }
    }

    #[test]
    fn extra_aliases_win_and_ignore_case() {
        let mut extra = HashMap::new();
        extra.insert("Fast".to_string(), "claude-haiku-4.5".to_string());
        extra.insert("auto-kiro".to_string(), "claude-sonnet-4".to_string());
        assert_eq!(
            resolve_model_with_aliases("fast-thinking", &extra),
            ResolvedModel {
                upstream_id: "claude-haiku-4.5".into(),
                thinking: true,
                long_context: false,
            }
        );
        assert_eq!(
            resolve_model_with_aliases("auto-kiro", &extra).upstream_id,
            "claude-sonnet-4"
        );
    }

    #[test]
    fn close_matches_suggests_nearby_ids() {
        let known = [
            "claude-sonnet-4.5",
            "claude-sonnet-4",
            "claude-haiku-4.5",
            "claude-opus-4.6",
            "glm-5",
        ];
        let m = close_matches("claude-sonet-4.5", &known);
        assert_eq!(m.first().map(String::as_str), Some("claude-sonnet-4.5"));
        assert!(m.len() <= 3);
        // resolved form counts: the Anthropic spelling is an exact match after resolving.
        assert_eq!(
            close_matches("claude-opus-4-6-20260101", &known)[0],
            "claude-opus-4.6"
        );
        assert!(close_matches("totally-different", &known).is_empty());
        assert_eq!(close_matches("glm5", &known), vec!["glm-5".to_string()]);
        assert!(close_matches("", &Vec::<String>::new()).is_empty());
    }

    /// A catalogue as `window_of` sees it.
    fn listed<'a>(models: &'a [(&'a str, u64)]) -> impl Fn(&str) -> Option<u64> + 'a {
        move |id| models.iter().find(|(m, _)| *m == id).map(|(_, w)| *w)
    }

    #[test]
    fn long_context_markers_are_told_apart() {
        let cases: &[(&str, bool)] = &[
            ("claude-sonnet-4-5[1m]", true),
            ("claude-sonnet-4-5[2M]", true),
            ("claude-sonnet-4-5[1000k]", true),
            ("claude-sonnet-4-5[200k]", false),
            ("claude-sonnet-4-5", false),
            ("claude-opus-4-8[1m]-thinking", true),
            ("claude-opus-4-8[99999999999999999999m]", true),
        ];
        for (name, long) in cases {
            assert_eq!(resolve_model(name).long_context, *long, "{name}");
        }
    }

    #[test]
    fn a_1m_name_goes_to_the_1m_sku_only_where_the_catalogue_has_one() {
        let two_skus = [
            ("claude-sonnet-4.5", 200_000),
            ("claude-sonnet-4.5-1m", 1_000_000),
            ("claude-opus-4.8", 1_000_000),
            ("claude-opus-4.8-1m", 1_000_000),
        ];
        let route = |name: &str, models: &[(&str, u64)]| {
            route_long_context(resolve_model(name), listed(models)).upstream_id
        };
        assert_eq!(
            route("claude-sonnet-4-5[1m]", &two_skus),
            "claude-sonnet-4.5-1m"
        );
        assert_eq!(
            route("claude-sonnet-4-5-20250929[1m]-thinking", &two_skus),
            "claude-sonnet-4.5-1m"
        );
        assert_eq!(route("claude-sonnet-4-5", &two_skus), "claude-sonnet-4.5");
        assert_eq!(
            route("claude-sonnet-4-5[200k]", &two_skus),
            "claude-sonnet-4.5"
        );
        // A model that already has 1M: the marker is dropped.
        assert_eq!(route("claude-opus-4-8[1m]", &two_skus), "claude-opus-4.8");
        // No SKU listed (or nothing listed at all): the marker is dropped.
        assert_eq!(
            route("claude-sonnet-4-5[1m]", &[("claude-sonnet-4.5", 200_000)]),
            "claude-sonnet-4.5"
        );
        assert_eq!(route("claude-sonnet-4-5[1m]", &[]), "claude-sonnet-4.5");
        let thinking = route_long_context(
            resolve_model("claude-sonnet-4-5-thinking[1m]"),
            listed(&two_skus),
        );
        assert!(thinking.thinking && thinking.long_context);
    }

    #[test]
    fn anthropic_ids_are_dash_form_with_1m_and_resolve_back() {
        let catalogue = [
            ("claude-sonnet-4.5", 200_000),
            ("claude-sonnet-4.5-1m", 1_000_000),
            ("claude-sonnet-4.6", 1_000_000),
            ("claude-sonnet-4.6-1m", 1_000_000),
        ];
        let cases: &[(&str, u64, &str)] = &[
            ("claude-sonnet-4.5", 200_000, "claude-sonnet-4-5"),
            ("claude-sonnet-4", 200_000, "claude-sonnet-4"),
            ("claude-haiku-4.5", 200_000, "claude-haiku-4-5"),
            ("claude-sonnet-4.6", 1_000_000, "claude-sonnet-4-6[1m]"),
            ("claude-opus-4.8", 1_000_000, "claude-opus-4-8[1m]"),
            ("claude-opus-4.8", 200_000, "claude-opus-4-8"),
            ("claude-opus-5", 1_000_000, "claude-opus-5[1m]"),
            ("claude-opus-5.5", 1_000_000, "claude-opus-5-5[1m]"),
            ("claude-sonnet-5", 2_000_000, "claude-sonnet-5[1m]"),
            ("claude-3.7-sonnet", 200_000, "claude-3-7-sonnet"),
            // The 1M SKU next to a 200k model: the model's id with `[1m]`.
            ("claude-sonnet-4.5-1m", 1_000_000, "claude-sonnet-4-5[1m]"),
            // Next to a model that is 1M itself, the SKU keeps its Kiro id.
            (
                "claude-sonnet-4.6-1m",
                1_000_000,
                "claude-sonnet-4.6-1m[1m]",
            ),
            ("gpt-5.6-sol", 272_000, "gpt-5.6-sol"),
            ("gpt-5.6-sol", 1_000_000, "gpt-5.6-sol[1m]"),
            ("deepseek-3.2", 164_000, "deepseek-3.2"),
            ("minimax-m2.5", 196_000, "minimax-m2.5"),
            ("auto", 1_000_000, "auto-kiro"),
            ("kimi-k3-1m", 1_000_000, "kimi-k3-1m[1m]"),
            (
                "CLAUDE_SONNET_4_5_20250929_V1_0",
                200_000,
                "CLAUDE_SONNET_4_5_20250929_V1_0",
            ),
        ];
        for (kiro, window, want) in cases {
            let id = anthropic_model_id(kiro, *window, listed(&catalogue));
            assert_eq!(id, *want, "{kiro} ({window})");
            let back = route_long_context(resolve_model(&id), listed(&catalogue));
            assert_eq!(back.upstream_id, *kiro, "{id} resolves back");
            assert!(!back.thinking);
        }
    }

    #[test]
    fn anthropic_ids_of_the_static_table_resolve_back() {
        use super::super::limits::{context_window, fallback_list};
        let window_of = |id: &str| {
            fallback_list()
                .find(|m| m.id == id)
                .map(|m| context_window(m.id))
        };
        for kiro in fallback_list().map(|m| m.id).filter(|id| *id != "auto") {
            let id = anthropic_model_id(kiro, context_window(kiro), window_of);
            let back = route_long_context(resolve_model(&id), window_of);
            assert_eq!(back.upstream_id, kiro, "{id}");
            assert_eq!(
                id.ends_with("[1m]"),
                context_window(kiro) >= 1_000_000,
                "{id}"
            );
        }
    }
}
