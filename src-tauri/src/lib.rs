//! Kiro Gateway desktop shell: wiring only. The gateway itself lives in the `kiro-gateway`
//! crate; this crate runs its `Controller` on Tauri's async runtime and adds a window, a tray,
//! single-instance and launch-at-login.

mod autostart;
mod commands;
mod controller;
mod tray;
mod window;

use tauri::Manager;

/// Passed by the login item: start hidden with the gateway running.
pub const MINIMIZED_FLAG: &str = "--minimized";

pub fn run() {
    let minimized = std::env::args().any(|a| a == MINIMIZED_FLAG);
    tauri::Builder::default()
        // Must be the first plugin: a second launch only focuses the first one's window.
        .plugin(tauri_plugin_single_instance::init(|app, _argv, _cwd| {
            window::show(app);
        }))
        .plugin(autostart::plugin())
        .plugin(tauri_plugin_clipboard_manager::init())
        .plugin(tauri_plugin_opener::init())
        .manage(controller::DesktopGateway::default())
        .invoke_handler(commands::handler())
        .on_window_event(window::on_event)
        .setup(move |app| {
            let handle = app.handle().clone();
            tray::install(&handle);
            controller::boot(handle.clone());
            if !minimized {
                window::show(&handle);
            }
            let _ = app.get_webview_window(window::MAIN);
            Ok(())
        })
        .build(tauri::generate_context!())
        .expect("error while building Kiro Gateway")
        .run(|app, event| {
            if let tauri::RunEvent::ExitRequested { api, code, .. } = event {
                // Closing the last window keeps the app in the tray; only Quit (code set)
                // really exits.
                if code.is_none() && tray::available(app) {
                    api.prevent_exit();
                }
            }
        });
}
