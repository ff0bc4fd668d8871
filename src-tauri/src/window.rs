//! The main window: show/focus, and close-to-tray.

use tauri::{AppHandle, Manager, Runtime, Window, WindowEvent};

use crate::controller::DesktopGateway;

pub const MAIN: &str = "main";

/// Show, unminimize and focus the main window.
pub fn show<R: Runtime>(app: &AppHandle<R>) {
    if let Some(window) = app.get_webview_window(MAIN) {
        let _ = window.show();
        let _ = window.unminimize();
        let _ = window.set_focus();
    }
}

/// Closing the window hides it when "close to tray" is on and a tray exists; otherwise the
/// close is a Quit.
pub fn on_event<R: Runtime>(window: &Window<R>, event: &WindowEvent) {
    if window.label() != MAIN {
        return;
    }
    if let WindowEvent::CloseRequested { api, .. } = event {
        let app = window.app_handle();
        let to_tray = app.state::<DesktopGateway>().close_to_tray() && crate::tray::available(app);
        api.prevent_close();
        if to_tray {
            let _ = window.hide();
        } else {
            crate::controller::quit(app.clone());
        }
    }
}
