//! What a client is pointed at: this gateway's address, a model of the live catalogue, and
//! how the client gets the key.

use std::path::PathBuf;

use crate::secrets::Secret;

/// One model of the catalogue, with the ids each dialect's clients use.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ModelChoice {
    /// The OpenAI-side id (`claude-sonnet-4.5`, `auto-kiro`).
    pub id: String,
    /// The id Claude Code recognises: dashes, `[1m]` for a 1 M window.
    pub anthropic_id: String,
    pub name: String,
    pub context_window: u64,
    pub max_output_tokens: u64,
}

/// A command that prints the gateway's key on stdout (`kiro-gateway api-key`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyHelper {
    pub program: PathBuf,
    pub args: Vec<String>,
}

impl KeyHelper {
    /// `<this executable> api-key`.
    pub fn current_exe() -> Option<KeyHelper> {
        let program = std::env::current_exe().ok()?;
        Some(KeyHelper {
            program,
            args: vec!["api-key".into()],
        })
    }

    /// One shell command line (Claude Code runs `apiKeyHelper` through a shell).
    pub fn shell_line(&self) -> String {
        std::iter::once(self.program.to_string_lossy().into_owned())
            .chain(self.args.iter().cloned())
            .map(|word| shell_quote(&word))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// A word quoted for the shell the client uses: POSIX single quotes, or double quotes on
/// Windows (cmd and Git Bash both take them).
fn shell_quote(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=@".contains(c));
    if plain {
        word.to_owned()
    } else if cfg!(windows) {
        format!("\"{}\"", word.replace('"', "\\\""))
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// How a client gets the key.
#[derive(Debug, Clone)]
pub enum KeyMode {
    /// The client runs the helper whenever it needs the key (no key in its file).
    Helper(KeyHelper),
    /// The key is written into the client's file (clients without a key command, or a key
    /// the helper cannot read, e.g. one set with `--api-key`).
    Inline(Secret<String>),
    /// The gateway runs with `--no-auth`: any text will do.
    NoAuth,
}

/// How a connected client gets the key, as the connect answers name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyDelivery {
    /// The client runs the key helper (no key in its files).
    Helper,
    /// The key is written into the client's files.
    InFile,
    /// The gateway needs no key.
    #[serde(rename = "none")]
    NoKey,
}

/// What the client gets when no key is needed (`--no-auth`).
pub const NO_AUTH_PLACEHOLDER: &str = "no-key-needed";

impl KeyMode {
    /// How a client that can run the helper gets the key.
    pub fn delivery(&self) -> KeyDelivery {
        match self {
            KeyMode::Helper(_) => KeyDelivery::Helper,
            KeyMode::Inline(_) => KeyDelivery::InFile,
            KeyMode::NoAuth => KeyDelivery::NoKey,
        }
    }

    /// The key text for clients that can only hold it in their file.
    pub fn inline_text(&self, key: Option<&Secret<String>>) -> String {
        match (self, key) {
            (KeyMode::Inline(k), _) => k.expose().clone(),
            (_, Some(k)) => k.expose().clone(),
            _ => NO_AUTH_PLACEHOLDER.to_owned(),
        }
    }
}

/// Everything a client's config edit needs.
#[derive(Debug, Clone)]
pub struct Target {
    /// `http://127.0.0.1:8000` (no `/v1`).
    pub base_url: String,
    pub model: ModelChoice,
    /// The whole catalogue, for clients that list several models.
    pub models: Vec<ModelChoice>,
    /// For Claude Code and Codex, which can run a command for the key.
    pub key: KeyMode,
    /// The key itself, for clients that need it in their file; `None` with `--no-auth`.
    pub raw_key: Option<Secret<String>>,
}

impl Target {
    pub fn openai_base(&self) -> String {
        format!("{}/v1", self.base_url)
    }

    /// The key as it goes into a file that cannot run a command.
    pub fn inline_key(&self) -> String {
        self.key.inline_text(self.raw_key.as_ref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_helper_line_quotes_paths_with_spaces() {
        let helper = KeyHelper {
            program: PathBuf::from("/Applications/Kiro Gateway.app/Contents/MacOS/kiro"),
            args: vec!["api-key".into()],
        };
        if cfg!(windows) {
            assert_eq!(
                helper.shell_line(),
                "\"/Applications/Kiro Gateway.app/Contents/MacOS/kiro\" api-key"
            );
        } else {
            assert_eq!(
                helper.shell_line(),
                "'/Applications/Kiro Gateway.app/Contents/MacOS/kiro' api-key"
            );
        }
        let plain = KeyHelper {
            program: PathBuf::from("/usr/bin/kiro-gateway"),
            args: vec!["api-key".into()],
        };
        assert_eq!(plain.shell_line(), "/usr/bin/kiro-gateway api-key");
    }

    #[cfg(unix)]
    #[test]
    fn a_single_quote_in_a_path_survives_the_shell() {
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
    }
}
