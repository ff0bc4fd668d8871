//! aider: `~/.aider.conf.yml`, whose keys are aider's long options.
//!
//! `model: openai/<id>`, `openai-api-base` (with `/v1`) and `openai-api-key`, between marker
//! comments at the end of the file. The same keys set elsewhere in the file would make a
//! duplicate (invalid YAML), so those lines are taken out (the diff shows them; Undo puts
//! them back).

use std::path::Path;

use super::super::target::Target;
use super::super::ConnectError;
use super::yaml_block::{self, is_content, quoted};

const KEYS: [&str; 3] = ["model", "openai-api-base", "openai-api-key"];

pub fn edit(path: &Path, before: Option<&str>, target: &Target) -> Result<String, ConnectError> {
    let text = before.unwrap_or("");
    let lines: Vec<&str> = text.lines().collect();
    if lines
        .iter()
        .any(|l| is_content(l) && !l.starts_with(' ') && l.starts_with('-'))
    {
        return Err(ConnectError::unreadable(
            path,
            "its top level is a list, not aider's `option: value` lines",
        ));
    }
    let ours = yaml_block::find(&lines);
    let mut out: Vec<String> = Vec::new();
    let mut insert_at = None;
    let mut skipping = false;
    for (i, line) in lines.iter().enumerate() {
        if let Some((start, end, _)) = ours {
            if i == start {
                insert_at = Some(out.len());
            }
            if (start..=end).contains(&i) {
                continue;
            }
        }
        if skipping && (line.starts_with(' ') || line.starts_with('\t')) {
            continue;
        }
        skipping = KEYS.iter().any(|k| defines(line, k));
        if !skipping {
            out.push((*line).to_owned());
        }
    }
    let at = insert_at.unwrap_or(out.len());
    let block: Vec<String> = yaml_block::block(
        "",
        &[
            format!("model: {}", quoted(&format!("openai/{}", target.model.id))),
            format!("openai-api-base: {}", quoted(&target.openai_base())),
            format!("openai-api-key: {}", quoted(&target.inline_key())),
        ],
    )
    .lines()
    .map(str::to_owned)
    .collect();
    out.splice(at..at, block);
    Ok(yaml_block::join(&out))
}

/// `key:` at the start of the line (a top-level key).
fn defines(line: &str, key: &str) -> bool {
    line.strip_prefix(key)
        .is_some_and(|rest| rest.trim_start().starts_with(':'))
}

pub fn points_at(text: &str, base_url: &str) -> bool {
    yaml_block::existing(text).is_some_and(|block| {
        block.contains(&format!(
            "openai-api-base: {}",
            quoted(&format!("{base_url}/v1"))
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::super::tests::target;
    use super::*;

    fn path() -> &'static Path {
        Path::new("/home/u/.aider.conf.yml")
    }

    const BLOCK: &str = r#"# Kiro Gateway: begin (its Connect view's Undo removes this block)
model: "openai/claude-opus-4.8"
openai-api-base: "http://127.0.0.1:8000/v1"
openai-api-key: "kgw_raw_key"
# Kiro Gateway: end
"#;

    #[test]
    fn a_fresh_file_holds_the_three_options() {
        let text = edit(path(), None, &target()).unwrap();
        assert_eq!(text, BLOCK);
        assert!(points_at(&text, "http://127.0.0.1:8000"));
    }

    #[test]
    fn competing_options_go_and_the_rest_stays() {
        let before = "# my aider\ndark-mode: true\nmodel: sonnet\nopenai-api-key:\n  sk-old\nauto-commits: false\n";
        let text = edit(path(), Some(before), &target()).unwrap();
        assert_eq!(
            text,
            format!("# my aider\ndark-mode: true\nauto-commits: false\n{BLOCK}")
        );
        assert_eq!(edit(path(), Some(&text), &target()).unwrap(), text);
    }

    #[test]
    fn a_second_connect_replaces_the_block_where_it_is() {
        let once = edit(path(), Some("a: 1\n"), &target()).unwrap();
        let moved = format!("{once}b: 2\n");
        let mut t = target();
        t.model.id = "claude-sonnet-4.5".into();
        let twice = edit(path(), Some(&moved), &t).unwrap();
        assert!(twice.starts_with("a: 1\n# Kiro Gateway: begin"), "{twice}");
        assert!(twice.contains("openai/claude-sonnet-4.5"), "{twice}");
        assert!(twice.ends_with("# Kiro Gateway: end\nb: 2\n"), "{twice}");
    }

    #[test]
    fn a_list_at_the_top_is_refused() {
        assert!(edit(path(), Some("- a\n"), &target()).is_err());
    }
}
