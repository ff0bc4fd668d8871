//! Launch at login (the autostart plugin): the login item passes `--minimized`.

use tauri::{plugin::TauriPlugin, AppHandle, Runtime};
use tauri_plugin_autostart::ManagerExt;

/// The login item's id: `productName` has a space, and Linux `.desktop` `Exec` lines are
/// not quoted, so it is set explicitly.
const APP_NAME: &str = "kiro-gateway";

pub fn plugin<R: Runtime>() -> TauriPlugin<R> {
    tauri_plugin_autostart::Builder::new()
        .args([crate::MINIMIZED_FLAG])
        .app_name(APP_NAME)
        .build()
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
