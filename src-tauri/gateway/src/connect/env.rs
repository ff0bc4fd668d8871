//! Where the clients keep their files on this machine, read once from the process
//! environment (or built by a test around a temporary home).

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use super::target::KeyHelper;

#[derive(Debug, Clone)]
pub struct ConnectEnv {
    pub home: PathBuf,
    /// `PATH`, to tell whether a client's command is installed.
    pub path: Option<OsString>,
    /// The OS per-user config folder (`~/.config`, `~/Library/Application Support`,
    /// `%APPDATA%`).
    pub config_dir: PathBuf,
    /// `$XDG_CONFIG_HOME` if set (OpenCode reads it on every OS), else `~/.config`.
    pub xdg_config_home: PathBuf,
    /// `$CODEX_HOME`, else `~/.codex`.
    pub codex_home: PathBuf,
    /// `$LLM_USER_PATH`, else llm's folder in the config folder.
    pub llm_dir: PathBuf,
    /// Where the originals are kept until "Undo".
    pub backups_dir: PathBuf,
    /// The command that prints the key (this executable with `api-key`).
    pub key_helper: Option<KeyHelper>,
}

impl ConnectEnv {
    /// The real user's folders; `None` without a home folder.
    pub fn from_process() -> Option<ConnectEnv> {
        let home = dirs::home_dir()?;
        let var = |name: &str| {
            std::env::var_os(name)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        };
        let config_dir = dirs::config_dir().unwrap_or_else(|| home.join(".config"));
        let backups_dir = crate::paths::config_dir()
            .unwrap_or_else(|| home.join(".config/kiro-gateway"))
            .join("connect-backups");
        let mut env = ConnectEnv::under(&home, config_dir, backups_dir);
        env.path = std::env::var_os("PATH");
        if let Some(xdg) = var("XDG_CONFIG_HOME") {
            env.xdg_config_home = xdg;
        }
        if let Some(codex) = var("CODEX_HOME") {
            env.codex_home = codex;
        }
        if let Some(llm) = var("LLM_USER_PATH") {
            env.llm_dir = llm;
        }
        env.key_helper = KeyHelper::current_exe();
        Some(env)
    }

    /// The default layout under `home`, with no PATH and no key helper.
    pub fn under(home: &Path, config_dir: PathBuf, backups_dir: PathBuf) -> ConnectEnv {
        ConnectEnv {
            home: home.to_path_buf(),
            path: None,
            llm_dir: config_dir.join("io.datasette.llm"),
            config_dir,
            xdg_config_home: home.join(".config"),
            codex_home: home.join(".codex"),
            backups_dir,
            key_helper: None,
        }
    }

    /// `name` (or `name.exe` / `.cmd` on Windows) in one of the PATH folders.
    pub fn find_on_path(&self, name: &str) -> Option<PathBuf> {
        let path = self.path.as_ref()?;
        let names: Vec<String> = if cfg!(windows) {
            vec![
                format!("{name}.exe"),
                format!("{name}.cmd"),
                name.to_owned(),
            ]
        } else {
            vec![name.to_owned()]
        };
        std::env::split_paths(path)
            .flat_map(|dir| names.iter().map(move |n| dir.join(n)))
            .find(|candidate| is_executable(candidate))
    }
}

#[cfg(unix)]
fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(path: &Path) -> bool {
    path.is_file()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn a_command_is_found_only_when_executable_on_path() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let bin = dir.path().join("bin");
        std::fs::create_dir_all(&bin).unwrap();
        std::fs::write(bin.join("codex"), "#!/bin/sh\n").unwrap();
        std::fs::write(bin.join("notes"), "text").unwrap();
        std::fs::set_permissions(bin.join("codex"), std::fs::Permissions::from_mode(0o755))
            .unwrap();
        let mut env = ConnectEnv::under(dir.path(), dir.path().join("cfg"), dir.path().join("b"));
        env.path = Some(std::env::join_paths([dir.path().join("nowhere"), bin.clone()]).unwrap());
        assert_eq!(env.find_on_path("codex"), Some(bin.join("codex")));
        assert_eq!(env.find_on_path("notes"), None);
        assert_eq!(env.find_on_path("claude"), None);
    }
}
