//! Claude Code: `~/.claude/settings.json`.
//!
//! The `env` block gets `ANTHROPIC_BASE_URL` (no `/v1`) and `ANTHROPIC_MODEL` (the dash id,
//! `[1m]` for a 1 M window, as the catalogue names it for Anthropic clients). The key comes
//! from `apiKeyHelper`, a shell command whose output Claude Code sends as `x-api-key` and
//! `Authorization: Bearer`; the key is written into `env` only when the helper cannot read it.
//! `ANTHROPIC_API_KEY` / `ANTHROPIC_AUTH_TOKEN` win over the helper, so they are removed.
//! Every other setting stays where it was.

use std::path::Path;

use super::super::ordered_json::{detect_indent, Json};
use super::super::target::{KeyMode, Target};
use super::super::ConnectError;

/// Claude Code's background model; named in `ANTHROPIC_DEFAULT_HAIKU_MODEL` when the
/// catalogue lacks it.
const HAIKU: &str = "claude-haiku-4.5";

pub fn edit(path: &Path, before: Option<&str>, target: &Target) -> Result<String, ConnectError> {
    let mut doc = parse(path, before)?;
    let not_object = || ConnectError::unreadable(path, "\"env\" is not an object");
    let env = doc.object_at("env").ok_or_else(not_object)?;
    env.set("ANTHROPIC_BASE_URL", Json::str(&target.base_url));
    env.set("ANTHROPIC_MODEL", Json::str(&target.model.anthropic_id));
    env.remove("ANTHROPIC_API_KEY");
    if !target.models.iter().any(|m| m.id == HAIKU) {
        env.set(
            "ANTHROPIC_DEFAULT_HAIKU_MODEL",
            Json::str(&target.model.anthropic_id),
        );
    }
    match &target.key {
        KeyMode::Helper(helper) => {
            env.remove("ANTHROPIC_AUTH_TOKEN");
            doc.set("apiKeyHelper", Json::str(helper.shell_line()));
        }
        KeyMode::Inline(_) | KeyMode::NoAuth => {
            env.set("ANTHROPIC_AUTH_TOKEN", Json::str(target.inline_key()));
            doc.remove("apiKeyHelper");
        }
    }
    let indent = before.map(detect_indent).unwrap_or_else(|| "  ".into());
    Ok(doc.to_pretty(&indent) + "\n")
}

/// Whether the file sends Claude Code to `base_url`.
pub fn points_at(text: &str, base_url: &str) -> bool {
    Json::parse(text)
        .ok()
        .and_then(|doc| {
            doc.get("env")
                .and_then(|env| env.get("ANTHROPIC_BASE_URL"))
                .and_then(Json::as_str)
                .map(|url| url.trim_end_matches('/') == base_url)
        })
        .unwrap_or(false)
}

fn parse(path: &Path, before: Option<&str>) -> Result<Json, ConnectError> {
    let doc = match before {
        Some(text) if !text.trim().is_empty() => {
            Json::parse(text).map_err(|e| ConnectError::unreadable(path, e))?
        }
        _ => Json::object(),
    };
    if !matches!(doc, Json::Object(_)) {
        return Err(ConnectError::unreadable(path, "it is not a JSON object"));
    }
    Ok(doc)
}

#[cfg(test)]
mod tests {
    use super::super::tests::{target, target_inline};
    use super::*;

    fn path() -> &'static Path {
        Path::new("/home/u/.claude/settings.json")
    }

    #[test]
    fn a_fresh_file_gets_the_env_block_and_the_key_helper() {
        let text = edit(path(), None, &target()).unwrap();
        assert_eq!(
            text,
            r#"{
  "env": {
    "ANTHROPIC_BASE_URL": "http://127.0.0.1:8000",
    "ANTHROPIC_MODEL": "claude-opus-4-8[1m]"
  },
  "apiKeyHelper": "/opt/kiro-gateway api-key"
}
"#
        );
        assert!(points_at(&text, "http://127.0.0.1:8000"));
        assert!(!points_at(&text, "http://127.0.0.1:8001"));
    }

    #[test]
    fn other_settings_stay_in_place_and_competing_keys_go() {
        let before = r#"{
    "permissions": {"allow": ["Bash(ls)"]},
    "env": {"FOO": "bar", "ANTHROPIC_API_KEY": "sk-ant-old", "ANTHROPIC_AUTH_TOKEN": "t"},
    "model": "opus"
}"#;
        let text = edit(path(), Some(before), &target()).unwrap();
        assert_eq!(
            text,
            r#"{
    "permissions": {
        "allow": [
            "Bash(ls)"
        ]
    },
    "env": {
        "FOO": "bar",
        "ANTHROPIC_BASE_URL": "http://127.0.0.1:8000",
        "ANTHROPIC_MODEL": "claude-opus-4-8[1m]"
    },
    "model": "opus",
    "apiKeyHelper": "/opt/kiro-gateway api-key"
}
"#
        );
    }

    #[test]
    fn a_second_connect_changes_nothing() {
        let once = edit(path(), None, &target()).unwrap();
        assert_eq!(edit(path(), Some(&once), &target()).unwrap(), once);
    }

    #[test]
    fn without_a_usable_helper_the_key_goes_into_env() {
        let text = edit(path(), Some(r#"{"apiKeyHelper": "old"}"#), &target_inline()).unwrap();
        let doc = Json::parse(&text).unwrap();
        assert_eq!(doc.get("apiKeyHelper"), None);
        assert_eq!(
            doc.get("env").unwrap().get("ANTHROPIC_AUTH_TOKEN"),
            Some(&Json::str("kgw_inline_key"))
        );
    }

    #[test]
    fn a_catalogue_without_haiku_names_a_background_model() {
        let mut t = target();
        t.models.retain(|m| m.id != HAIKU);
        let text = edit(path(), None, &t).unwrap();
        assert!(
            text.contains(r#""ANTHROPIC_DEFAULT_HAIKU_MODEL": "claude-opus-4-8[1m]""#),
            "{text}"
        );
    }

    #[test]
    fn a_file_that_is_not_a_json_object_is_refused() {
        for bad in ["{\"env\": ", "[1, 2]", "{\"env\": \"x\"}"] {
            let err = edit(path(), Some(bad), &target()).unwrap_err();
            assert_eq!(
                err.code,
                super::super::super::ConnectErrorCode::UnreadableConfig
            );
            assert!(err.message.contains("settings.json"), "{}", err.message);
        }
    }
}
