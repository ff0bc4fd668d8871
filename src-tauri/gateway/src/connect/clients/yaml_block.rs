//! Our lines in a user's YAML file, between two marker comments, so a second connect
//! replaces exactly them and nothing else. The files are edited as text (comments and
//! layout kept); only the simple block layouts these clients document are accepted.

/// First line of our block (after the indentation).
pub const BEGIN: &str = "# Kiro Gateway: begin (its Connect view's Undo removes this block)";
/// Last line of our block.
pub const END: &str = "# Kiro Gateway: end";

/// A YAML double-quoted scalar (JSON string syntax is valid YAML).
pub fn quoted(s: &str) -> String {
    serde_json::to_string(s).expect("a string serialises")
}

/// `lines` between the markers, each prefixed with `indent`, ending in a newline.
pub fn block(indent: &str, lines: &[String]) -> String {
    let mut out = format!("{indent}{BEGIN}\n");
    for line in lines {
        out.push_str(indent);
        out.push_str(line);
        out.push('\n');
    }
    out.push_str(indent);
    out.push_str(END);
    out.push('\n');
    out
}

/// The line range (start, end inclusive) of our block and the indentation of its marker.
pub fn find(lines: &[&str]) -> Option<(usize, usize, String)> {
    let start = lines.iter().position(|l| is_marker(l, BEGIN))?;
    let end = start + lines[start..].iter().position(|l| is_marker(l, END))?;
    let indent = lines[start][..lines[start].len() - lines[start].trim_start().len()].to_owned();
    Some((start, end, indent))
}

fn is_marker(line: &str, marker: &str) -> bool {
    let marker_head = marker.split(" (").next().unwrap_or(marker);
    line.trim_start().starts_with(marker_head)
}

/// The text of our block, if the file has one.
pub fn existing(text: &str) -> Option<String> {
    let lines: Vec<&str> = text.lines().collect();
    let (start, end, _) = find(&lines)?;
    Some(lines[start..=end].join("\n"))
}

/// `lines` joined back into a text with a final newline (none for an empty file).
pub fn join(lines: &[String]) -> String {
    if lines.is_empty() {
        return String::new();
    }
    let mut text = lines.join("\n");
    text.push('\n');
    text
}

/// Whether a line is content (not blank, not a comment).
pub fn is_content(line: &str) -> bool {
    let t = line.trim_start();
    !t.is_empty() && !t.starts_with('#')
}

pub fn indent_of(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_block_is_found_by_its_markers_with_its_indentation() {
        let text = block("  ", &["- a: 1".into()]);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(find(&lines), Some((0, 2, "  ".into())));
        assert_eq!(
            existing(&format!("x: 1\n{text}")).unwrap().lines().count(),
            3
        );
        assert!(existing("x: 1\n").is_none());
    }

    #[test]
    fn quoted_strings_escape_what_yaml_needs() {
        assert_eq!(quoted("a\"b: c"), r#""a\"b: c""#);
    }
}
