//! The unified diff a user sees before a file is written (and after an undo).

use std::path::Path;

/// What a diff shows instead of the key itself.
pub const KEY_PLACEHOLDER: &str = "<your gateway key>";

/// `before` → `after` as a unified diff with three lines of context (`None`: no file). The
/// key never appears in it: it is shown as [`KEY_PLACEHOLDER`]. Empty when nothing changes.
pub fn unified(
    path: &Path,
    before: Option<&str>,
    after: Option<&str>,
    key: Option<&str>,
) -> String {
    if before == after {
        return String::new();
    }
    let mask = |text: &str| match key {
        Some(k) if !k.is_empty() => text.replace(k, KEY_PLACEHOLDER),
        _ => text.to_owned(),
    };
    let old = mask(before.unwrap_or(""));
    let new = mask(after.unwrap_or(""));
    let name = path.display().to_string();
    let old_name = if before.is_some() {
        name.clone()
    } else {
        "/dev/null".into()
    };
    let new_name = if after.is_some() {
        name
    } else {
        "/dev/null".into()
    };
    similar::TextDiff::from_lines(&old, &new)
        .unified_diff()
        .context_radius(3)
        .header(&old_name, &new_name)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_file_is_all_additions_and_hides_the_key() {
        let diff = unified(
            Path::new("/h/a.json"),
            None,
            Some("{\n  \"k\": \"kgw_s3cret\"\n}\n"),
            Some("kgw_s3cret"),
        );
        assert_eq!(
            diff,
            "--- /dev/null\n+++ /h/a.json\n@@ -0,0 +1,3 @@\n+{\n+  \"k\": \"<your gateway key>\"\n+}\n"
        );
    }

    #[test]
    fn an_edit_shows_context_and_a_delete_removes_everything() {
        let diff = unified(Path::new("f"), Some("a\nb\nc\n"), Some("a\nB\nc\n"), None);
        assert_eq!(diff, "--- f\n+++ f\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n");
        let gone = unified(Path::new("f"), Some("a\n"), None, None);
        assert_eq!(gone, "--- f\n+++ /dev/null\n@@ -1 +0,0 @@\n-a\n");
        assert_eq!(unified(Path::new("f"), Some("a\n"), Some("a\n"), None), "");
    }
}
