//! Simon Willison's `llm`: three files in its folder (`$LLM_USER_PATH`, else
//! `io.datasette.llm` in the OS config folder).
//!
//! - `extra-openai-models.yaml`: one entry per catalogue model, `kiro-<id>` with
//!   `supports_tools: true`, between marker comments (the file is a top-level list);
//! - `keys.json`: the key under the name `kiro` (llm's own key store);
//! - `default_model.txt`: the chosen model, so plain `llm "…"` uses it.

use std::path::Path;

use super::super::ordered_json::{detect_indent, Json};
use super::super::target::Target;
use super::super::ConnectError;
use super::yaml_block::{self, is_content, quoted};

/// The name the key has in `keys.json`.
const KEY_NAME: &str = "kiro";

pub const MODELS_FILE: &str = "extra-openai-models.yaml";
pub const KEYS_FILE: &str = "keys.json";
pub const DEFAULT_FILE: &str = "default_model.txt";

/// The model id llm users type.
pub fn model_id(id: &str) -> String {
    format!("kiro-{id}")
}

pub fn edit_models(
    path: &Path,
    before: Option<&str>,
    target: &Target,
) -> Result<String, ConnectError> {
    let text = before.unwrap_or("");
    let lines: Vec<&str> = text.lines().collect();
    if lines
        .iter()
        .any(|l| is_content(l) && !l.starts_with([' ', '\t', '-']))
    {
        return Err(ConnectError::unreadable(
            path,
            "it is not a plain list of `- model_id: …` entries",
        ));
    }
    let mut entries = Vec::new();
    for m in &target.models {
        entries.push(format!("- model_id: {}", quoted(&model_id(&m.id))));
        entries.push(format!("  model_name: {}", quoted(&m.id)));
        entries.push(format!("  api_base: {}", quoted(&target.openai_base())));
        entries.push(format!("  api_key_name: {KEY_NAME}"));
        // Without it llm refuses tools (`--functions`, `-T`) for the model.
        entries.push("  supports_tools: true".to_owned());
    }
    let block: Vec<String> = yaml_block::block("", &entries)
        .lines()
        .map(str::to_owned)
        .collect();
    let mut out: Vec<String> = lines.iter().map(|l| (*l).to_owned()).collect();
    match yaml_block::find(&lines) {
        Some((start, end, _)) => {
            out.splice(start..=end, block);
        }
        None => out.extend(block),
    }
    Ok(yaml_block::join(&out))
}

pub fn edit_keys(
    path: &Path,
    before: Option<&str>,
    target: &Target,
) -> Result<String, ConnectError> {
    let mut doc = match before {
        Some(text) if !text.trim().is_empty() => {
            Json::parse(text).map_err(|e| ConnectError::unreadable(path, e))?
        }
        _ => Json::object(),
    };
    if !matches!(doc, Json::Object(_)) {
        return Err(ConnectError::unreadable(path, "it is not a JSON object"));
    }
    doc.set(KEY_NAME, Json::str(target.inline_key()));
    let indent = before.map(detect_indent).unwrap_or_else(|| "  ".into());
    Ok(doc.to_pretty(&indent) + "\n")
}

pub fn edit_default(target: &Target) -> String {
    model_id(&target.model.id)
}

pub fn points_at(models_text: &str, base_url: &str) -> bool {
    yaml_block::existing(models_text)
        .is_some_and(|block| block.contains(&quoted(&format!("{base_url}/v1"))))
}

#[cfg(test)]
mod tests {
    use super::super::tests::target;
    use super::*;

    fn path() -> &'static Path {
        Path::new("/home/u/.config/io.datasette.llm/extra-openai-models.yaml")
    }

    #[test]
    fn every_catalogue_model_gets_an_entry_after_the_users_own() {
        let before = "- model_id: local\n  model_name: llama\n  api_base: http://x/v1\n";
        let text = edit_models(path(), Some(before), &target()).unwrap();
        assert!(text.starts_with(before), "{text}");
        assert!(
            text.contains("- model_id: \"kiro-claude-opus-4.8\"\n  model_name: \"claude-opus-4.8\"\n  api_base: \"http://127.0.0.1:8000/v1\"\n  api_key_name: kiro\n  supports_tools: true\n"),
            "{text}"
        );
        assert!(text.contains("kiro-claude-haiku-4.5"), "{text}");
        assert!(points_at(&text, "http://127.0.0.1:8000"));
        assert_eq!(edit_models(path(), Some(&text), &target()).unwrap(), text);
    }

    #[test]
    fn the_key_joins_the_other_keys() {
        let before = "{\n  \"// Note\": \"secret\",\n  \"openai\": \"sk-x\"\n}\n";
        let text = edit_keys(Path::new("keys.json"), Some(before), &target()).unwrap();
        assert_eq!(
            text,
            "{\n  \"// Note\": \"secret\",\n  \"openai\": \"sk-x\",\n  \"kiro\": \"kgw_raw_key\"\n}\n"
        );
    }

    #[test]
    fn a_mapping_at_the_top_is_refused() {
        assert!(edit_models(path(), Some("models:\n  - a\n"), &target()).is_err());
    }

    #[test]
    fn the_default_model_is_the_chosen_one() {
        assert_eq!(edit_default(&target()), "kiro-claude-opus-4.8");
    }
}
