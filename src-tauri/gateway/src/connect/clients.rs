//! The clients "Connect" knows: where each keeps its settings, and the pure edit that points
//! a file's text at the gateway (one module per client).

mod aider;
mod claude_code;
mod codex;
mod continue_dev;
mod llm;
mod opencode;
mod yaml_block;

use std::path::PathBuf;

use super::env::ConnectEnv;
use super::target::Target;
use super::ConnectError;

/// A client, by the id the admin routes use (`claude-code`, `codex`, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ClientId {
    ClaudeCode,
    Codex,
    Opencode,
    Continue,
    Aider,
    Llm,
    Cline,
    Cursor,
}

impl ClientId {
    pub const ALL: [ClientId; 8] = [
        ClientId::ClaudeCode,
        ClientId::Codex,
        ClientId::Opencode,
        ClientId::Continue,
        ClientId::Aider,
        ClientId::Llm,
        ClientId::Cline,
        ClientId::Cursor,
    ];

    pub fn slug(self) -> &'static str {
        match self {
            ClientId::ClaudeCode => "claude-code",
            ClientId::Codex => "codex",
            ClientId::Opencode => "opencode",
            ClientId::Continue => "continue",
            ClientId::Aider => "aider",
            ClientId::Llm => "llm",
            ClientId::Cline => "cline",
            ClientId::Cursor => "cursor",
        }
    }

    pub fn from_slug(slug: &str) -> Option<ClientId> {
        ClientId::ALL.into_iter().find(|c| c.slug() == slug)
    }

    pub fn name(self) -> &'static str {
        match self {
            ClientId::ClaudeCode => "Claude Code",
            ClientId::Codex => "Codex",
            ClientId::Opencode => "OpenCode",
            ClientId::Continue => "Continue",
            ClientId::Aider => "aider",
            ClientId::Llm => "llm",
            ClientId::Cline => "Cline",
            ClientId::Cursor => "Cursor",
        }
    }

    /// Commands whose presence on PATH means "installed".
    pub fn commands(self) -> &'static [&'static str] {
        match self {
            ClientId::ClaudeCode => &["claude"],
            ClientId::Codex => &["codex"],
            ClientId::Opencode => &["opencode"],
            ClientId::Continue => &["cn"],
            ClientId::Aider => &["aider"],
            ClientId::Llm => &["llm"],
            ClientId::Cline => &[],
            ClientId::Cursor => &["cursor"],
        }
    }

    /// The folder whose presence means "installed" (or used before).
    pub fn config_dir(self, env: &ConnectEnv) -> Option<PathBuf> {
        Some(match self {
            ClientId::ClaudeCode => env.home.join(".claude"),
            ClientId::Codex => env.codex_home.clone(),
            ClientId::Opencode => env.xdg_config_home.join("opencode"),
            ClientId::Continue => env.home.join(".continue"),
            ClientId::Aider => return None,
            ClientId::Llm => env.llm_dir.clone(),
            ClientId::Cline => return None,
            ClientId::Cursor => env.home.join(".cursor"),
        })
    }

    /// Cursor and Cline keep their provider settings in the editor's own storage: they get
    /// instructions to copy, never a file edit.
    pub fn is_manual(self) -> bool {
        matches!(self, ClientId::Cline | ClientId::Cursor)
    }

    /// The files a connect writes, in order.
    pub fn files(self, env: &ConnectEnv) -> Vec<ConfigFile> {
        let file = |path: PathBuf, role| ConfigFile { path, role };
        match self {
            ClientId::ClaudeCode => vec![file(
                env.home.join(".claude/settings.json"),
                FileRole::ClaudeSettings,
            )],
            ClientId::Codex => vec![file(env.codex_home.join("config.toml"), FileRole::Codex)],
            ClientId::Opencode => vec![file(
                env.xdg_config_home.join("opencode/opencode.json"),
                FileRole::Opencode,
            )],
            ClientId::Continue => vec![file(
                env.home.join(".continue/config.yaml"),
                FileRole::Continue,
            )],
            ClientId::Aider => vec![file(env.home.join(".aider.conf.yml"), FileRole::Aider)],
            ClientId::Llm => vec![
                file(env.llm_dir.join(llm::MODELS_FILE), FileRole::LlmModels),
                file(env.llm_dir.join(llm::KEYS_FILE), FileRole::LlmKeys),
                file(env.llm_dir.join(llm::DEFAULT_FILE), FileRole::LlmDefault),
            ],
            ClientId::Cline | ClientId::Cursor => Vec::new(),
        }
    }

    /// Whether the client's files (as read now, in [`ClientId::files`] order) point at
    /// `base_url`.
    pub fn points_at(self, contents: &[Option<String>], base_url: &str) -> bool {
        let Some(Some(first)) = contents.first() else {
            return false;
        };
        match self {
            ClientId::ClaudeCode => claude_code::points_at(first, base_url),
            ClientId::Codex => codex::points_at(first, base_url),
            ClientId::Opencode => opencode::points_at(first, base_url),
            ClientId::Continue => continue_dev::points_at(first, base_url),
            ClientId::Aider => aider::points_at(first, base_url),
            ClientId::Llm => llm::points_at(first, base_url),
            ClientId::Cline | ClientId::Cursor => false,
        }
    }

    /// Settings to copy by hand (every client has them; Cursor and Cline only these).
    pub fn instructions(self, target: &Target) -> String {
        let openai = target.openai_base();
        let model = &target.model.id;
        match self {
            ClientId::Cline => format!(
                "Settings → API Provider \"OpenAI Compatible\": Base URL {openai}, API Key <your gateway key>, Model ID {model}."
            ),
            ClientId::Cursor => format!(
                "Settings → Models: \"OpenAI API Key\" <your gateway key>, \"Override OpenAI Base URL\" {openai}, then add the model {model} by hand. Cursor calls from its own servers: the gateway must be reachable from the internet (a tunnel, its host in allowed_hosts)."
            ),
            _ => format!(
                "{} settings: base URL {openai}, model {model}, key <your gateway key> (see docs/clients.md, \"Connect your tool\").",
                self.name()
            ),
        }
    }
}

/// Which edit a file gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileRole {
    ClaudeSettings,
    Codex,
    Opencode,
    Continue,
    Aider,
    LlmModels,
    LlmKeys,
    LlmDefault,
}

/// One file a client reads its settings from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigFile {
    pub path: PathBuf,
    pub role: FileRole,
}

impl ConfigFile {
    /// The file's new text, given its text now (`None`: it does not exist).
    pub fn edit(&self, before: Option<&str>, target: &Target) -> Result<String, ConnectError> {
        let path = &self.path;
        match self.role {
            FileRole::ClaudeSettings => claude_code::edit(path, before, target),
            FileRole::Codex => codex::edit(path, before, target),
            FileRole::Opencode => opencode::edit(path, before, target),
            FileRole::Continue => continue_dev::edit(path, before, target),
            FileRole::Aider => aider::edit(path, before, target),
            FileRole::LlmModels => llm::edit_models(path, before, target),
            FileRole::LlmKeys => llm::edit_keys(path, before, target),
            FileRole::LlmDefault => Ok(llm::edit_default(target)),
        }
    }

    /// Whether the file holds the key in clear (new files get mode 0600).
    pub fn holds_key(&self, target: &Target) -> bool {
        match self.role {
            FileRole::ClaudeSettings | FileRole::Codex => {
                !matches!(target.key, super::KeyMode::Helper(_))
            }
            FileRole::LlmDefault | FileRole::LlmModels => false,
            _ => true,
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::connect::target::{KeyHelper, KeyMode, ModelChoice};
    use crate::secrets::Secret;

    fn model(id: &str, anthropic: &str, name: &str, window: u64) -> ModelChoice {
        ModelChoice {
            id: id.into(),
            anthropic_id: anthropic.into(),
            name: name.into(),
            context_window: window,
            max_output_tokens: 64_000,
        }
    }

    /// Opus 4.8 (1 M) chosen, the key from `/opt/kiro-gateway api-key`.
    pub fn target() -> Target {
        let opus = model(
            "claude-opus-4.8",
            "claude-opus-4-8[1m]",
            "Claude Opus 4.8",
            1_000_000,
        );
        Target {
            base_url: "http://127.0.0.1:8000".into(),
            models: vec![
                opus.clone(),
                model(
                    "claude-haiku-4.5",
                    "claude-haiku-4-5",
                    "Claude Haiku 4.5",
                    200_000,
                ),
            ],
            model: opus,
            key: KeyMode::Helper(KeyHelper {
                program: PathBuf::from("/opt/kiro-gateway"),
                args: vec!["api-key".into()],
            }),
            raw_key: Some(Secret::new("kgw_raw_key".into())),
        }
    }

    /// [`target`] with the key written into the file.
    pub fn target_inline() -> Target {
        Target {
            key: KeyMode::Inline(Secret::new("kgw_inline_key".into())),
            ..target()
        }
    }

    #[test]
    fn slugs_round_trip_and_match_serde() {
        for client in ClientId::ALL {
            assert_eq!(ClientId::from_slug(client.slug()), Some(client));
            assert_eq!(
                serde_json::to_value(client).unwrap(),
                serde_json::json!(client.slug())
            );
        }
        assert_eq!(ClientId::from_slug("vim"), None);
    }

    #[test]
    fn manual_clients_have_no_files_and_say_what_to_type() {
        let env = ConnectEnv::under(
            std::path::Path::new("/home/u"),
            PathBuf::from("/home/u/.config"),
            PathBuf::from("/b"),
        );
        for client in [ClientId::Cline, ClientId::Cursor] {
            assert!(client.is_manual());
            assert!(client.files(&env).is_empty());
            assert!(client
                .instructions(&target())
                .contains("http://127.0.0.1:8000/v1"));
        }
        assert_eq!(
            ClientId::Llm.files(&env)[0].path,
            PathBuf::from("/home/u/.config/io.datasette.llm/extra-openai-models.yaml")
        );
    }
}
