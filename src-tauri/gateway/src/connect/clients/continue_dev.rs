//! Continue (the IDE extension and its `cn` CLI): `~/.continue/config.yaml`.
//!
//! One item in the `models:` list (`provider: openai`, `apiBase` with `/v1`, the key),
//! between marker comments. A file without `models:` gets the list at its end; a fresh file
//! gets the header Continue requires (`name`, `version`, `schema: v1`). A flow-style list
//! (`models: [...]`) is refused rather than rewritten.

use std::path::Path;

use super::super::target::Target;
use super::super::ConnectError;
use super::yaml_block::{self, indent_of, is_content, quoted};

pub fn edit(path: &Path, before: Option<&str>, target: &Target) -> Result<String, ConnectError> {
    let text = before.unwrap_or("");
    if text.trim().is_empty() {
        return Ok(format!(
            "name: Local config\nversion: 1.0.0\nschema: v1\nmodels:\n{}",
            item("  ", target)
        ));
    }
    let lines: Vec<&str> = text.lines().collect();
    let mut out: Vec<String> = lines.iter().map(|l| (*l).to_owned()).collect();
    if let Some((start, end, indent)) = yaml_block::find(&lines) {
        out.splice(start..=end, item_lines(&indent, target));
        return Ok(yaml_block::join(&out));
    }
    let Some(models) = lines.iter().position(|l| is_models_key(l)) else {
        out.push("models:".into());
        out.extend(item_lines("  ", target));
        return Ok(yaml_block::join(&out));
    };
    let after_key = lines[models]["models:".len()..].trim();
    if !(after_key.is_empty() || after_key.starts_with('#')) {
        return Err(ConnectError::unreadable(
            path,
            "`models:` is not a block list (one `- ` item per line)",
        ));
    }
    let first_item = lines[models + 1..].iter().find(|l| is_content(l));
    let indent = match first_item {
        Some(l) if l.trim_start().starts_with("- ") || l.trim_start() == "-" => indent_of(l),
        _ => 2,
    };
    // The list ends at the first content line that is neither an item at `indent` nor
    // inside one.
    let mut last = models;
    for (i, line) in lines.iter().enumerate().skip(models + 1) {
        if !is_content(line) {
            continue;
        }
        let n = indent_of(line);
        if n > indent || (n == indent && line.trim_start().starts_with('-')) {
            last = i;
        } else {
            break;
        }
    }
    out.splice(last + 1..last + 1, item_lines(&" ".repeat(indent), target));
    Ok(yaml_block::join(&out))
}

fn is_models_key(line: &str) -> bool {
    line.starts_with("models:")
}

fn item_lines(indent: &str, target: &Target) -> Vec<String> {
    item(indent, target).lines().map(str::to_owned).collect()
}

fn item(indent: &str, target: &Target) -> String {
    yaml_block::block(
        indent,
        &[
            format!("- name: {}", quoted(&format!("Kiro {}", target.model.name))),
            "  provider: openai".into(),
            format!("  model: {}", quoted(&target.model.id)),
            format!("  apiBase: {}", quoted(&target.openai_base())),
            format!("  apiKey: {}", quoted(&target.inline_key())),
        ],
    )
}

pub fn points_at(text: &str, base_url: &str) -> bool {
    yaml_block::existing(text).is_some_and(|block| {
        block.contains(&format!("apiBase: {}", quoted(&format!("{base_url}/v1"))))
    })
}

#[cfg(test)]
mod tests {
    use super::super::tests::target;
    use super::*;

    fn path() -> &'static Path {
        Path::new("/home/u/.continue/config.yaml")
    }

    const ITEM: &str = r#"  # Kiro Gateway: begin (its Connect view's Undo removes this block)
  - name: "Kiro Claude Opus 4.8"
    provider: openai
    model: "claude-opus-4.8"
    apiBase: "http://127.0.0.1:8000/v1"
    apiKey: "kgw_raw_key"
  # Kiro Gateway: end
"#;

    #[test]
    fn a_fresh_file_is_a_whole_config() {
        let text = edit(path(), None, &target()).unwrap();
        assert_eq!(
            text,
            format!("name: Local config\nversion: 1.0.0\nschema: v1\nmodels:\n{ITEM}")
        );
        assert!(points_at(&text, "http://127.0.0.1:8000"));
    }

    #[test]
    fn the_item_joins_the_existing_list_and_the_rest_stays() {
        let before = "name: Mine\nversion: 1.0.0\nschema: v1\nmodels:\n  - name: Local\n    provider: ollama\n\n    model: llama3\n# trailing comment\nrules:\n  - Be brief\n";
        let text = edit(path(), Some(before), &target()).unwrap();
        assert_eq!(
            text,
            format!("name: Mine\nversion: 1.0.0\nschema: v1\nmodels:\n  - name: Local\n    provider: ollama\n\n    model: llama3\n{ITEM}# trailing comment\nrules:\n  - Be brief\n")
        );
        assert_eq!(edit(path(), Some(&text), &target()).unwrap(), text);
    }

    #[test]
    fn items_at_column_zero_are_matched() {
        let before = "models:\n- name: Local\n  provider: ollama\nrules: []\n";
        let text = edit(path(), Some(before), &target()).unwrap();
        assert!(
            text.starts_with("models:\n- name: Local\n  provider: ollama\n# Kiro Gateway: begin"),
            "{text}"
        );
        assert!(text.ends_with("# Kiro Gateway: end\nrules: []\n"), "{text}");
    }

    #[test]
    fn a_file_without_models_gets_the_list_at_the_end() {
        let text = edit(path(), Some("name: x\nversion: 1\nschema: v1"), &target()).unwrap();
        assert_eq!(
            text,
            format!("name: x\nversion: 1\nschema: v1\nmodels:\n{ITEM}")
        );
    }

    #[test]
    fn a_flow_list_is_refused() {
        let err = edit(path(), Some("models: []\n"), &target()).unwrap_err();
        assert!(err.message.contains("block list"), "{}", err.message);
    }
}
