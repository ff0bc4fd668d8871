//! Kiro Gateway desktop shell: wiring only. The gateway itself lives in the `kiro-gateway`
//! crate; this crate runs its `Controller` on Tauri's async runtime and adds a window, a tray,
//! single-instance and launch-at-login.

mod autostart;
mod commands;
mod controller;
mod desktop_gateway;
mod notify;
mod tray;
mod update_install;
mod window;
mod window_close;

use tauri::Emitter;

/// Passed by the login item: start hidden with the gateway running.
pub const MINIMIZED_FLAG: &str = "--minimized";

pub fn run() {
    // `kiro-gateway-desktop api-key`: the key command "Connect a tool" writes into Claude
    // Code's and Codex's settings; it prints the key and exits without any window.
    if std::env::args().nth(1).as_deref() == Some("api-key") {
        std::process::exit(match kiro_gateway::cli::print_key::run_blocking() {
            c if c == std::process::ExitCode::SUCCESS => 0,
            _ => 1,
        });
    }
    let minimized = std::env::args().any(|a| a == MINIMIZED_FLAG);
    if std::env::var_os("WEBKIT_DISABLE_DMABUF_RENDERER").is_none() {
        // Blank windows on NVIDIA / some Wayland setups otherwise (tauri#9304).
        std::env::set_var("WEBKIT_DISABLE_DMABUF_RENDERER", "1");
    }
    let builder = tauri::Builder::default()
        // Must be the first plugin: a second launch only focuses the first one's window.
        .plugin(tauri_plugin_single_instance::init(|app, _argv, _cwd| {
            tracing::info!("Kiro Gateway was launched again; showing the running window");
            window::show(app);
            let _ = app.emit("second-instance", ());
        }));
    autostart::init(builder)
        .plugin(tauri_plugin_clipboard_manager::init())
        .plugin(tauri_plugin_opener::init())
        .plugin(tauri_plugin_notification::init())
        .plugin(tauri_plugin_updater::Builder::new().build())
        .manage(desktop_gateway::DesktopGateway::default())
        .manage(update_install::InstallGuard::default())
        .manage(commands::ChatStreams::default())
        .invoke_handler(commands::handler())
        .on_window_event(window_close::on_event)
        .setup(move |app| {
            let handle = app.handle().clone();
            tray::install(&handle);
            controller::boot(handle.clone());
            controller::quit_on_signals(handle.clone());
            if !minimized {
                window::show(&handle);
            }
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
