//! Launch at login on Linux: an XDG autostart entry (`$XDG_CONFIG_HOME/autostart/<id>.desktop`,
//! default `~/.config/autostart`) that desktop sessions start at login.
//!
//! Written here rather than through `tauri-plugin-autostart` / `auto-launch` on Linux because
//! that crate ignores `XDG_CONFIG_HOME` and writes the `Exec` line unquoted, so an
//! executable under a path with a space (an AppImage in "~/My Apps") never starts. macOS and
//! Windows keep the plugin. The OS entry is the truth for "is it on": the desktop shell
//! reads it at start and rewrites an existing entry so its `Exec` follows a moved app.

use std::ffi::OsString;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// What the login item starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginItem {
    /// File stem of the entry (no spaces): `kiro-gateway`.
    pub id: String,
    /// Shown in the session's startup-applications list.
    pub name: String,
    pub exec: PathBuf,
    pub args: Vec<String>,
}

/// The `.desktop` file for `item` (Desktop Entry Specification 1.5).
pub fn desktop_entry(item: &LoginItem) -> String {
    let mut exec = quote_exec_arg(&item.exec.to_string_lossy());
    for arg in &item.args {
        exec.push(' ');
        exec.push_str(&quote_exec_arg(arg));
    }
    format!(
        "[Desktop Entry]\n\
         Type=Application\n\
         Version=1.5\n\
         Name={name}\n\
         Comment=Start {name} in the tray at login\n\
         Exec={exec}\n\
         Terminal=false\n\
         StartupNotify=false\n\
         X-GNOME-Autostart-enabled=true\n",
        name = escape_string(&item.name),
    )
}

/// One `Exec` argument: quoted when it holds a reserved character, with `"`, `` ` ``, `$` and
/// `\` escaped inside the quotes; `%` doubled (field codes); then the general string escape
/// (`\` → `\\`) every value gets.
fn quote_exec_arg(arg: &str) -> String {
    const RESERVED: &[char] = &[
        ' ', '\t', '\n', '"', '\'', '\\', '>', '<', '~', '|', '&', ';', '$', '*', '?', '#', '(',
        ')', '`',
    ];
    let arg = arg.replace('%', "%%");
    let quoted = if arg.contains(RESERVED) || arg.is_empty() {
        let mut out = String::from("\"");
        for c in arg.chars() {
            if matches!(c, '"' | '`' | '$' | '\\') {
                out.push('\\');
            }
            out.push(c);
        }
        out.push('"');
        out
    } else {
        arg
    };
    escape_string(&quoted)
}

/// The Desktop Entry escape for string values.
fn escape_string(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
    out
}

/// `$XDG_CONFIG_HOME/autostart` when that is an absolute path, else `$HOME/.config/autostart`.
pub fn autostart_dir(var: impl Fn(&str) -> Option<OsString>) -> Option<PathBuf> {
    let xdg = var("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute());
    let config = xdg.or_else(|| {
        var("HOME")
            .map(PathBuf::from)
            .filter(|p| p.is_absolute())
            .map(|home| home.join(".config"))
    })?;
    Some(config.join("autostart"))
}

/// The program a login item should start: the AppImage when running from one (the
/// executable itself lives in a temporary mount), else this executable.
pub fn current_program(var: impl Fn(&str) -> Option<OsString>) -> io::Result<PathBuf> {
    match var("APPIMAGE").map(PathBuf::from) {
        Some(image) if image.is_absolute() => Ok(image),
        _ => std::env::current_exe(),
    }
}

/// The autostart entry of one login item.
#[derive(Debug, Clone)]
pub struct Autostart {
    dir: PathBuf,
    item: LoginItem,
}

impl Autostart {
    pub fn new(dir: PathBuf, item: LoginItem) -> Self {
        Autostart { dir, item }
    }

    /// From the process environment (`None` without `HOME`).
    pub fn from_env(item: LoginItem) -> Option<Self> {
        autostart_dir(|k| std::env::var_os(k)).map(|dir| Autostart::new(dir, item))
    }

    pub fn path(&self) -> PathBuf {
        self.dir.join(format!("{}.desktop", self.item.id))
    }

    pub fn is_enabled(&self) -> bool {
        self.path().is_file()
    }

    /// Write the entry (atomically: a session starting meanwhile never reads half a file).
    pub fn enable(&self) -> io::Result<()> {
        std::fs::create_dir_all(&self.dir)?;
        write_atomically(&self.path(), desktop_entry(&self.item).as_bytes())
    }

    /// Remove the entry; removing an absent one is fine.
    pub fn disable(&self) -> io::Result<()> {
        match std::fs::remove_file(self.path()) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }

    /// Enable or disable.
    pub fn set(&self, enabled: bool) -> io::Result<()> {
        if enabled {
            self.enable()
        } else {
            self.disable()
        }
    }
}

fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut tmp = tempfile::Builder::new()
        .prefix(".kiro-gateway-autostart.")
        .tempfile_in(dir)?;
    tmp.as_file_mut().write_all(bytes)?;
    tmp.as_file().sync_all()?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o644))?;
    }
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn item(exec: &str) -> LoginItem {
        LoginItem {
            id: "kiro-gateway".into(),
            name: "Kiro Gateway".into(),
            exec: exec.into(),
            args: vec!["--minimized".into()],
        }
    }

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<OsString> {
        let map: HashMap<String, OsString> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), OsString::from(v)))
            .collect();
        move |k| map.get(k).cloned()
    }

    fn field<'a>(entry: &'a str, key: &str) -> &'a str {
        entry
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{key}=")))
            .unwrap_or_else(|| panic!("no {key} in {entry}"))
    }

    #[test]
    fn the_entry_starts_this_program_minimized() {
        let entry = desktop_entry(&item("/usr/bin/kiro-gateway-desktop"));
        assert!(entry.starts_with("[Desktop Entry]\n"));
        assert_eq!(field(&entry, "Type"), "Application");
        assert_eq!(field(&entry, "Name"), "Kiro Gateway");
        assert_eq!(
            field(&entry, "Exec"),
            "/usr/bin/kiro-gateway-desktop --minimized"
        );
        assert_eq!(field(&entry, "Terminal"), "false");
        assert_eq!(field(&entry, "X-GNOME-Autostart-enabled"), "true");
    }

    #[test]
    fn paths_with_spaces_and_reserved_characters_are_quoted() {
        let entry = desktop_entry(&item("/home/ann/My Apps/Kiro Gateway.AppImage"));
        assert_eq!(
            field(&entry, "Exec"),
            r#""/home/ann/My Apps/Kiro Gateway.AppImage" --minimized"#
        );
        // `$` and `"` are escaped inside the quotes; the backslash that escapes them is then
        // escaped again as a string value; `%` is doubled.
        let entry = desktop_entry(&item(r#"/opt/a$b"c/100%/gw"#));
        assert_eq!(
            field(&entry, "Exec"),
            r#""/opt/a\\$b\\"c/100%%/gw" --minimized"#
        );
    }

    #[test]
    fn the_directory_follows_xdg_config_home_then_home() {
        assert_eq!(
            autostart_dir(env(&[("HOME", "/home/ann"), ("XDG_CONFIG_HOME", "/cfg")])),
            Some(PathBuf::from("/cfg/autostart"))
        );
        assert_eq!(
            autostart_dir(env(&[("HOME", "/home/ann"), ("XDG_CONFIG_HOME", "rel")])),
            Some(PathBuf::from("/home/ann/.config/autostart")),
            "a relative XDG_CONFIG_HOME is ignored, as the spec says"
        );
        assert_eq!(
            autostart_dir(env(&[("HOME", "/home/ann")])),
            Some(PathBuf::from("/home/ann/.config/autostart"))
        );
        assert_eq!(autostart_dir(env(&[])), None);
    }

    #[test]
    fn an_appimage_registers_the_image_not_its_mount() {
        assert_eq!(
            current_program(env(&[("APPIMAGE", "/home/ann/Kiro.AppImage")])).unwrap(),
            PathBuf::from("/home/ann/Kiro.AppImage")
        );
        assert_eq!(
            current_program(env(&[])).unwrap(),
            std::env::current_exe().unwrap()
        );
    }

    #[test]
    fn enable_writes_and_disable_removes_the_entry_under_home() {
        let home = tempfile::tempdir().unwrap();
        let home_path = home.path().to_str().unwrap();
        let dir = autostart_dir(env(&[("HOME", home_path)])).unwrap();
        let autostart = Autostart::new(dir, item("/opt/kiro gateway/app"));
        let expected = home.path().join(".config/autostart/kiro-gateway.desktop");
        assert_eq!(autostart.path(), expected);
        assert!(!autostart.is_enabled());

        autostart.set(true).unwrap();
        assert!(autostart.is_enabled());
        let written = std::fs::read_to_string(&expected).unwrap();
        assert_eq!(written, desktop_entry(&item("/opt/kiro gateway/app")));
        assert_eq!(
            field(&written, "Exec"),
            r#""/opt/kiro gateway/app" --minimized"#
        );
        let leftovers: Vec<_> = std::fs::read_dir(expected.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(leftovers.len(), 1, "no temp files: {leftovers:?}");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&expected).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o644);
        }

        autostart.set(false).unwrap();
        assert!(!autostart.is_enabled());
        assert!(!expected.exists());
        autostart.disable().unwrap();
    }
}
