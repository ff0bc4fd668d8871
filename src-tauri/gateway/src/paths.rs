//! Where the gateway keeps its files by default, and `~` in paths the user gives. A leaf: it
//! knows the OS folders, nothing of the gateway.

use std::path::{Path, PathBuf};

/// `<OS data dir>/kiro-gateway/credits.json` (e.g. `~/.local/share/kiro-gateway/credits.json`).
pub fn default_credits_file() -> Option<PathBuf> {
    dirs::data_dir().map(|d| d.join("kiro-gateway").join("credits.json"))
}

/// `<OS data dir>/kiro-gateway/debug-dumps` (e.g. `~/.local/share/kiro-gateway/debug-dumps`).
pub fn default_debug_dump_dir() -> Option<PathBuf> {
    dirs::data_dir().map(|d| d.join("kiro-gateway").join("debug-dumps"))
}

/// `<OS config dir>/kiro-gateway` (e.g. `~/.config/kiro-gateway`).
pub fn config_dir() -> Option<PathBuf> {
    dirs::config_dir().map(|d| d.join("kiro-gateway"))
}

/// Expand a leading `~` (alone or followed by a separator) to the home directory.
/// `~user` is left alone.
pub fn expand_tilde(path: &Path) -> PathBuf {
    expand_tilde_with(path, dirs::home_dir().as_deref())
}

pub(crate) fn expand_tilde_with(path: &Path, home: Option<&Path>) -> PathBuf {
    let Some(home) = home else {
        return path.to_path_buf();
    };
    let Some(s) = path.to_str() else {
        return path.to_path_buf();
    };
    if s == "~" {
        return home.to_path_buf();
    }
    match s.strip_prefix('~') {
        Some(rest) if rest.starts_with(std::path::is_separator) => {
            home.join(rest.trim_start_matches(std::path::is_separator))
        }
        _ => path.to_path_buf(),
    }
}
