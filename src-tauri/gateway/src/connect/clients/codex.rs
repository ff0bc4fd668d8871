//! Codex: `~/.codex/config.toml` (or `$CODEX_HOME/config.toml`).
//!
//! Top level: `model` (the OpenAI-side id), `model_provider = "kiro"` and
//! `model_context_window` from the catalogue (Codex compacts by it). The provider table
//! `[model_providers.kiro]` has `base_url` (with `/v1`) and `wire_api = "responses"` (Codex
//! 0.171 refuses `"chat"`). The key comes from `[model_providers.kiro.auth]`, a command whose
//! stdout Codex sends as the bearer token; Codex refuses `auth` next to `env_key` or
//! `experimental_bearer_token`, so those go. Comments and the rest of the file are kept
//! (`toml_edit`).

use std::path::Path;

use toml_edit::{Array, DocumentMut, Item, Table, Value};

use super::super::target::{KeyMode, Target};
use super::super::ConnectError;

/// The provider id this gateway gets in the user's config.
pub const PROVIDER: &str = "kiro";

pub fn edit(path: &Path, before: Option<&str>, target: &Target) -> Result<String, ConnectError> {
    let mut doc: DocumentMut = before
        .unwrap_or("")
        .parse()
        .map_err(|e| ConnectError::unreadable(path, e))?;
    let root = doc.as_table_mut();
    set(root, "model", target.model.id.as_str().into());
    set(root, "model_provider", PROVIDER.into());
    set(
        root,
        "model_context_window",
        i64::try_from(target.model.context_window)
            .unwrap_or(i64::MAX)
            .into(),
    );
    let providers = table_at(root, "model_providers", true)
        .ok_or_else(|| ConnectError::unreadable(path, "`model_providers` is not a table"))?;
    let kiro = table_at(providers, PROVIDER, false)
        .ok_or_else(|| ConnectError::unreadable(path, "`model_providers.kiro` is not a table"))?;
    set(kiro, "name", "Kiro Gateway".into());
    set(kiro, "base_url", target.openai_base().into());
    set(kiro, "wire_api", "responses".into());
    kiro.remove("env_key");
    kiro.remove("experimental_bearer_token");
    match &target.key {
        KeyMode::Helper(helper) => {
            let mut auth = Table::new();
            auth.insert(
                "command",
                toml_edit::value(helper.program.to_string_lossy().as_ref()),
            );
            let mut args = Array::new();
            args.extend(helper.args.iter().map(String::as_str));
            auth.insert("args", toml_edit::value(args));
            kiro.insert("auth", Item::Table(auth));
        }
        KeyMode::Inline(_) => {
            kiro.remove("auth");
            set(
                kiro,
                "experimental_bearer_token",
                target.inline_key().into(),
            );
        }
        KeyMode::NoAuth => {
            kiro.remove("auth");
        }
    }
    Ok(doc.to_string())
}

/// Whether the file sends Codex to `base_url` (`<base>/v1` through the `kiro` provider).
pub fn points_at(text: &str, base_url: &str) -> bool {
    let Ok(doc) = text.parse::<DocumentMut>() else {
        return false;
    };
    let provider = doc.get("model_provider").and_then(Item::as_str);
    let url = doc
        .get("model_providers")
        .and_then(|p| p.get(PROVIDER))
        .and_then(|k| k.get("base_url"))
        .and_then(Item::as_str);
    provider == Some(PROVIDER) && url == Some(format!("{base_url}/v1").as_str())
}

/// Set `key` to `value`, keeping the comments around an existing value.
fn set(table: &mut Table, key: &str, mut value: Value) {
    match table.get_mut(key) {
        Some(item) => {
            if let Some(old) = item.as_value() {
                *value.decor_mut() = old.decor().clone();
            }
            *item = Item::Value(value);
        }
        None => {
            table.insert(key, Item::Value(value));
        }
    }
}

/// The table at `key`, created when absent (`implicit`: no header line of its own); an
/// inline table becomes a normal one. `None` when `key` holds a non-table.
fn table_at<'a>(table: &'a mut Table, key: &str, implicit: bool) -> Option<&'a mut Table> {
    if !table.contains_key(key) {
        let mut fresh = Table::new();
        fresh.set_implicit(implicit);
        table.insert(key, Item::Table(fresh));
    }
    let item = table.get_mut(key)?;
    if let Some(inline) = item.as_inline_table().cloned() {
        *item = Item::Table(inline.into_table());
    }
    item.as_table_mut()
}

#[cfg(test)]
mod tests {
    use super::super::tests::{target, target_inline};
    use super::*;

    fn path() -> &'static Path {
        Path::new("/home/u/.codex/config.toml")
    }

    #[test]
    fn a_fresh_file_gets_the_provider_with_a_key_command() {
        let text = edit(path(), None, &target()).unwrap();
        assert_eq!(
            text,
            r#"model = "claude-opus-4.8"
model_provider = "kiro"
model_context_window = 1000000

[model_providers.kiro]
name = "Kiro Gateway"
base_url = "http://127.0.0.1:8000/v1"
wire_api = "responses"

[model_providers.kiro.auth]
command = "/opt/kiro-gateway"
args = ["api-key"]
"#
        );
        assert!(points_at(&text, "http://127.0.0.1:8000"));
        assert!(!points_at(&text, "http://127.0.0.1:9000"));
    }

    #[test]
    fn comments_and_other_settings_are_kept() {
        let before = r#"# my codex
model = "gpt-5" # the default
approval_policy = "on-request"

[model_providers.kiro]
name = "Kiro Gateway"
base_url = "http://127.0.0.1:7000/v1"
env_key = "KIRO_GATEWAY_API_KEY"
wire_api = "responses"
request_max_retries = 0

[mcp_servers.echo]
command = "python3"
"#;
        let text = edit(path(), Some(before), &target()).unwrap();
        assert_eq!(
            text,
            r#"# my codex
model = "claude-opus-4.8" # the default
approval_policy = "on-request"
model_provider = "kiro"
model_context_window = 1000000

[model_providers.kiro]
name = "Kiro Gateway"
base_url = "http://127.0.0.1:8000/v1"
wire_api = "responses"
request_max_retries = 0

[model_providers.kiro.auth]
command = "/opt/kiro-gateway"
args = ["api-key"]

[mcp_servers.echo]
command = "python3"
"#
        );
    }

    #[test]
    fn a_second_connect_changes_nothing() {
        let once = edit(path(), Some("[tui]\nnotifications = true\n"), &target()).unwrap();
        assert_eq!(edit(path(), Some(&once), &target()).unwrap(), once);
    }

    #[test]
    fn without_a_usable_helper_the_key_is_a_bearer_token() {
        let once = edit(path(), None, &target()).unwrap();
        let text = edit(path(), Some(&once), &target_inline()).unwrap();
        assert!(!text.contains("[model_providers.kiro.auth]"), "{text}");
        assert!(
            text.contains(r#"experimental_bearer_token = "kgw_inline_key""#),
            "{text}"
        );
    }

    #[test]
    fn an_inline_provider_table_is_edited_not_duplicated() {
        let before = "model_providers = { kiro = { name = \"x\", base_url = \"y\" } }\n";
        let text = edit(path(), Some(before), &target()).unwrap();
        let doc: DocumentMut = text.parse().unwrap();
        assert_eq!(
            doc["model_providers"]["kiro"]["base_url"].as_str(),
            Some("http://127.0.0.1:8000/v1")
        );
    }

    #[test]
    fn bad_toml_is_refused() {
        let err = edit(path(), Some("model = \n"), &target()).unwrap_err();
        assert!(err.message.contains("config.toml"), "{}", err.message);
        let err = edit(path(), Some("model_providers = 3\n"), &target()).unwrap_err();
        assert!(err.message.contains("model_providers"), "{}", err.message);
    }
}
