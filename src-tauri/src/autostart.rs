//! Launch at login. The login item passes `--minimized`. Linux: the gateway crate's XDG
//! autostart entry; macOS and Windows: `tauri-plugin-autostart`.

use tauri::{AppHandle, Runtime};

/// The login item's id: `productName` has a space, which `auto-launch` would put unquoted
/// into paths and `Exec` lines.
const APP_ID: &str = "kiro-gateway";

#[cfg(target_os = "linux")]
mod imp {
    use kiro_gateway::autostart::{current_program, Autostart, LoginItem};
    use tauri::{AppHandle, Runtime};

    fn entry() -> Result<Autostart, String> {
        let exec = current_program(|k| std::env::var_os(k)).map_err(|e| e.to_string())?;
        Autostart::from_env(LoginItem {
            id: super::APP_ID.into(),
            name: "Kiro Gateway".into(),
            exec,
            args: vec![crate::MINIMIZED_FLAG.into()],
        })
        .ok_or_else(|| "HOME is not set, so there is no autostart folder".to_owned())
    }

    pub fn init<R: Runtime>(builder: tauri::Builder<R>) -> tauri::Builder<R> {
        builder
    }

    pub fn is_enabled<R: Runtime>(_app: &AppHandle<R>) -> bool {
        entry().is_ok_and(|e| e.is_enabled())
    }

    pub fn set_enabled<R: Runtime>(_app: &AppHandle<R>, enabled: bool) -> Result<(), String> {
        let entry = entry()?;
        entry.set(enabled).map_err(|e| {
            format!(
                "cannot {} {}: {e}",
                if enabled { "write" } else { "remove" },
                entry.path().display()
            )
        })
    }
}

#[cfg(not(target_os = "linux"))]
mod imp {
    use tauri::{AppHandle, Runtime};
    use tauri_plugin_autostart::ManagerExt;

    pub fn init<R: Runtime>(builder: tauri::Builder<R>) -> tauri::Builder<R> {
        builder.plugin(
            tauri_plugin_autostart::Builder::new()
                .args([crate::MINIMIZED_FLAG])
                .app_name(super::APP_ID)
                .build(),
        )
    }

    pub fn is_enabled<R: Runtime>(app: &AppHandle<R>) -> bool {
        app.autolaunch().is_enabled().unwrap_or(false)
    }

    pub fn set_enabled<R: Runtime>(app: &AppHandle<R>, enabled: bool) -> Result<(), String> {
        let launcher = app.autolaunch();
        let result = if enabled {
            launcher.enable()
        } else {
            launcher.disable()
        };
        result.map_err(|e| e.to_string())
    }
}

pub use imp::init;

pub fn is_enabled<R: Runtime>(app: &AppHandle<R>) -> bool {
    imp::is_enabled(app)
}

pub fn set_enabled<R: Runtime>(app: &AppHandle<R>, enabled: bool) -> Result<(), String> {
    imp::set_enabled(app, enabled)
}

/// At start the OS entry is the truth for "launch at login" (the user may have removed it in
/// the session's settings); an existing entry is rewritten so it starts this executable.
pub fn reconcile<R: Runtime>(app: &AppHandle<R>) -> bool {
    let enabled = is_enabled(app);
    if enabled {
        if let Err(err) = set_enabled(app, true) {
            tracing::warn!("could not refresh the launch-at-login entry: {err}");
        }
    }
    enabled
}
