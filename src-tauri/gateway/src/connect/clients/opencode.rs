//! OpenCode: `~/.config/opencode/opencode.json` (`$XDG_CONFIG_HOME` on every OS).
//!
//! A `provider.kiro` entry (`@ai-sdk/openai-compatible`, base URL with `/v1`, the key) that
//! lists every catalogue model with its window and output limit, and `model` =
//! `kiro/<id>`. OpenCode cannot run a command for a key, so the key is in the file. Other
//! providers and settings stay.

use std::path::Path;

use super::super::ordered_json::{detect_indent, Json};
use super::super::target::Target;
use super::super::ConnectError;

const PROVIDER: &str = "kiro";
const SCHEMA: &str = "https://opencode.ai/config.json";

pub fn edit(path: &Path, before: Option<&str>, target: &Target) -> Result<String, ConnectError> {
    let mut doc = match before {
        Some(text) if !text.trim().is_empty() => Json::parse(text).map_err(|e| {
            ConnectError::unreadable(path, format!("{e} (comments are not supported here)"))
        })?,
        _ => {
            let mut fresh = Json::object();
            fresh.set("$schema", Json::str(SCHEMA));
            fresh
        }
    };
    if !matches!(doc, Json::Object(_)) {
        return Err(ConnectError::unreadable(path, "it is not a JSON object"));
    }
    let providers = doc
        .object_at("provider")
        .ok_or_else(|| ConnectError::unreadable(path, "\"provider\" is not an object"))?;
    providers.set(PROVIDER, provider(target));
    doc.set(
        "model",
        Json::str(format!("{PROVIDER}/{}", target.model.id)),
    );
    let indent = before.map(detect_indent).unwrap_or_else(|| "  ".into());
    Ok(doc.to_pretty(&indent) + "\n")
}

fn provider(target: &Target) -> Json {
    let mut options = Json::object();
    options.set("baseURL", Json::str(target.openai_base()));
    options.set("apiKey", Json::str(target.inline_key()));
    let mut models = Json::object();
    for m in &target.models {
        let mut limit = Json::object();
        limit.set("context", Json::Number(m.context_window.into()));
        limit.set("output", Json::Number(m.max_output_tokens.into()));
        let mut model = Json::object();
        model.set("name", Json::str(format!("{} (Kiro)", display_name(m))));
        model.set("limit", limit);
        models.set(&m.id, model);
    }
    let mut provider = Json::object();
    provider.set("npm", Json::str("@ai-sdk/openai-compatible"));
    provider.set("name", Json::str("Kiro Gateway"));
    provider.set("options", options);
    provider.set("models", models);
    provider
}

fn display_name(m: &super::super::ModelChoice) -> &str {
    if m.name.trim().is_empty() {
        &m.id
    } else {
        &m.name
    }
}

pub fn points_at(text: &str, base_url: &str) -> bool {
    Json::parse(text)
        .ok()
        .and_then(|doc| {
            let url = doc
                .get("provider")?
                .get(PROVIDER)?
                .get("options")?
                .get("baseURL")?
                .as_str()?
                .to_owned();
            Some(url == format!("{base_url}/v1"))
        })
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::super::tests::target;
    use super::*;

    fn path() -> &'static Path {
        Path::new("/home/u/.config/opencode/opencode.json")
    }

    #[test]
    fn a_fresh_file_lists_the_catalogue_and_picks_the_model() {
        let text = edit(path(), None, &target()).unwrap();
        let doc = Json::parse(&text).unwrap();
        assert_eq!(doc.get("$schema"), Some(&Json::str(SCHEMA)));
        assert_eq!(doc.get("model"), Some(&Json::str("kiro/claude-opus-4.8")));
        let kiro = doc.get("provider").unwrap().get("kiro").unwrap();
        assert_eq!(
            kiro.get("options").unwrap().get("apiKey"),
            Some(&Json::str("kgw_raw_key"))
        );
        let models = kiro.get("models").unwrap();
        assert_eq!(
            models
                .get("claude-opus-4.8")
                .unwrap()
                .get("limit")
                .unwrap()
                .get("context"),
            Some(&Json::Number(1_000_000u64.into()))
        );
        assert!(models.get("claude-haiku-4.5").is_some());
        assert!(points_at(&text, "http://127.0.0.1:8000"));
    }

    #[test]
    fn other_providers_stay_and_a_second_connect_changes_nothing() {
        let before = "{\n  \"theme\": \"dark\",\n  \"provider\": {\n    \"ollama\": {\n      \"npm\": \"x\"\n    }\n  }\n}\n";
        let once = edit(path(), Some(before), &target()).unwrap();
        assert!(once.starts_with("{\n  \"theme\": \"dark\",\n  \"provider\": {\n    \"ollama\": {\n      \"npm\": \"x\"\n    },\n    \"kiro\": {"), "{once}");
        assert!(
            !once.contains("$schema"),
            "no schema forced on an existing file"
        );
        assert_eq!(edit(path(), Some(&once), &target()).unwrap(), once);
    }

    #[test]
    fn comments_are_refused_with_a_reason() {
        let err = edit(path(), Some("{ // mine\n}"), &target()).unwrap_err();
        assert!(err.message.contains("comments"), "{}", err.message);
    }
}
