//! What closing the main window does: hide to the tray when there is one and the user wants
//! that, else quit.

use tauri::{Manager, Runtime, Window, WindowEvent};

use crate::desktop_gateway::DesktopGateway;
use crate::window::MAIN;

/// Closing the window destroys it when "close to tray" is on and a tray exists (the app
/// keeps running); otherwise the close is a Quit.
pub fn on_event<R: Runtime>(window: &Window<R>, event: &WindowEvent) {
    if window.label() != MAIN {
        return;
    }
    if let WindowEvent::CloseRequested { api, .. } = event {
        let app = window.app_handle();
        let to_tray = app.state::<DesktopGateway>().close_to_tray() && crate::tray::available(app);
        api.prevent_close();
        if to_tray {
            let _ = window.destroy();
        } else {
            crate::desktop_gateway::quit(app.clone());
        }
    }
}
