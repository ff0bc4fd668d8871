//! The tray: built once in `setup()` inside `catch_unwind` (Linux trays need an
//! AppIndicator library and can panic without one); the app keeps working without it.
//! Updated in place from the controller's status.

use std::sync::Mutex;

use kiro_gateway::server::GatewayStatus;
use tauri::image::Image;
use tauri::menu::{CheckMenuItem, Menu, MenuEvent, MenuItem, PredefinedMenuItem};
use tauri::tray::{TrayIcon, TrayIconBuilder};
use tauri::{AppHandle, Manager, Runtime};
use tauri_plugin_clipboard_manager::ClipboardExt;

use crate::controller::DesktopGateway;

const RUNNING_ICON: &[u8] = include_bytes!("../../icons/tray-running.png");
const STOPPED_ICON: &[u8] = include_bytes!("../../icons/tray-stopped.png");
const ERROR_ICON: &[u8] = include_bytes!("../../icons/tray-error.png");

/// Which tray icon a status shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrayIconKind {
    Running,
    Stopped,
    Error,
}

/// The disabled first line of the tray menu.
pub fn status_line(status: &GatewayStatus, streams: u64) -> String {
    match status {
        GatewayStatus::Running { addr } => {
            let noun = if streams == 1 { "stream" } else { "streams" };
            format!("Running on {addr} · {streams} {noun}")
        }
        GatewayStatus::Starting => "Starting…".to_owned(),
        GatewayStatus::Stopped => "Stopped".to_owned(),
        GatewayStatus::Error { message, .. } => format!("Error: {}", shorten(message, 60)),
    }
}

/// The label of the Start/Stop item, and whether it is enabled.
pub fn toggle_label(status: &GatewayStatus) -> (&'static str, bool) {
    match status {
        GatewayStatus::Running { .. } => ("Stop gateway", true),
        GatewayStatus::Starting => ("Starting…", false),
        GatewayStatus::Stopped | GatewayStatus::Error { .. } => ("Start gateway", true),
    }
}

pub fn icon_kind(status: &GatewayStatus) -> TrayIconKind {
    match status {
        GatewayStatus::Running { .. } => TrayIconKind::Running,
        GatewayStatus::Starting | GatewayStatus::Stopped => TrayIconKind::Stopped,
        GatewayStatus::Error { .. } => TrayIconKind::Error,
    }
}

/// The base URLs the copy items put on the clipboard (`None` while not running).
pub fn endpoints(status: &GatewayStatus) -> Option<(String, String)> {
    match status {
        GatewayStatus::Running { addr } => {
            Some((format!("http://{addr}/v1"), format!("http://{addr}")))
        }
        _ => None,
    }
}

fn shorten(text: &str, max: usize) -> String {
    let line = text.lines().next().unwrap_or_default();
    if line.chars().count() <= max {
        line.to_owned()
    } else {
        let cut: String = line.chars().take(max.saturating_sub(1)).collect();
        format!("{cut}…")
    }
}

/// The items that change, kept to update them in place.
pub struct TrayHandles<R: Runtime> {
    tray: TrayIcon<R>,
    status: MenuItem<R>,
    toggle: MenuItem<R>,
    last_kind: Mutex<Option<TrayIconKind>>,
}

/// Managed state: `None` when the tray could not be built.
pub struct Tray<R: Runtime>(Option<TrayHandles<R>>);

pub fn available<R: Runtime>(app: &AppHandle<R>) -> bool {
    app.try_state::<Tray<R>>()
        .map(|t| t.0.is_some())
        .unwrap_or(false)
}

/// Build the tray once. A failure or panic is logged and the app runs without it.
pub fn install<R: Runtime>(app: &AppHandle<R>) {
    let built = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| build(app)));
    let handles = match built {
        Ok(Ok(handles)) => Some(handles),
        Ok(Err(err)) => {
            tracing::warn!("no tray icon ({err}); closing the window quits the app");
            None
        }
        Err(_) => {
            tracing::warn!(
                "no tray icon (the system tray library panicked; on Linux install libayatana-appindicator3-1); closing the window quits the app"
            );
            None
        }
    };
    app.manage(Tray(handles));
}

fn build<R: Runtime>(app: &AppHandle<R>) -> tauri::Result<TrayHandles<R>> {
    let status = MenuItem::with_id(app, "status", "Starting…", false, None::<&str>)?;
    let toggle = MenuItem::with_id(app, "toggle", "Stop gateway", false, None::<&str>)?;
    let copy_openai = MenuItem::with_id(
        app,
        "copy_openai",
        "Copy OpenAI endpoint",
        true,
        None::<&str>,
    )?;
    let copy_anthropic = MenuItem::with_id(
        app,
        "copy_anthropic",
        "Copy Anthropic endpoint",
        true,
        None::<&str>,
    )?;
    let copy_key = MenuItem::with_id(app, "copy_key", "Copy API key", true, None::<&str>)?;
    let open = MenuItem::with_id(app, "open", "Open Kiro Gateway", true, None::<&str>)?;
    let login = CheckMenuItem::with_id(
        app,
        "login",
        "Launch at login",
        true,
        crate::autostart::is_enabled(app),
        None::<&str>,
    )?;
    let quit = MenuItem::with_id(app, "quit", "Quit", true, None::<&str>)?;
    let sep1 = PredefinedMenuItem::separator(app)?;
    let sep2 = PredefinedMenuItem::separator(app)?;
    let sep3 = PredefinedMenuItem::separator(app)?;
    let menu = Menu::with_items(
        app,
        &[
            &status,
            &toggle,
            &sep1,
            &copy_openai,
            &copy_anthropic,
            &copy_key,
            &sep2,
            &open,
            &login,
            &sep3,
            &quit,
        ],
    )?;
    let login_item = login.clone();
    let tray = TrayIconBuilder::with_id("main")
        .icon(Image::from_bytes(STOPPED_ICON)?)
        .tooltip("Kiro Gateway")
        .menu(&menu)
        .on_menu_event(move |app, event| on_menu(app, event, &login_item))
        .build(app)?;
    Ok(TrayHandles {
        tray,
        status,
        toggle,
        last_kind: Mutex::new(None),
    })
}

fn on_menu<R: Runtime>(app: &AppHandle<R>, event: MenuEvent, login: &CheckMenuItem<R>) {
    let gw = app.state::<DesktopGateway>();
    let status = gw.controller.status();
    match event.id().as_ref() {
        "toggle" => {
            let app = app.clone();
            tauri::async_runtime::spawn(async move {
                let gw = app.state::<DesktopGateway>();
                if matches!(status, GatewayStatus::Running { .. }) {
                    gw.stop().await;
                } else if let Err(err) = gw.start().await {
                    tracing::error!("start failed: {} ({})", err.message, err.hint);
                }
            });
        }
        "copy_openai" | "copy_anthropic" => {
            if let Some((openai, anthropic)) = endpoints(&status) {
                let text = if event.id().as_ref() == "copy_openai" {
                    openai
                } else {
                    anthropic
                };
                let _ = app.clipboard().write_text(text);
            }
        }
        "copy_key" => {
            if let Some(key) = gw.state().and_then(|s| s.api_key.get()) {
                let _ = app.clipboard().write_text(key.expose().clone());
            }
        }
        "open" => crate::window::show(app),
        "login" => {
            let want = login.is_checked().unwrap_or(false);
            if let Err(err) = crate::autostart::set_enabled(app, want) {
                tracing::warn!("launch at login: {err}");
                let _ = login.set_checked(!want);
            }
        }
        "quit" => crate::controller::quit(app.clone()),
        _ => {}
    }
}

/// Reflect `status` in the tray (no-op without a tray).
pub fn update<R: Runtime>(app: &AppHandle<R>, status: &GatewayStatus, streams: u64) {
    let Some(tray) = app.try_state::<Tray<R>>() else {
        return;
    };
    let Some(h) = tray.0.as_ref() else {
        return;
    };
    let _ = h.status.set_text(status_line(status, streams));
    let (label, enabled) = toggle_label(status);
    let _ = h.toggle.set_text(label);
    let _ = h.toggle.set_enabled(enabled);
    let kind = icon_kind(status);
    let mut last = h.last_kind.lock().unwrap_or_else(|e| e.into_inner());
    if *last != Some(kind) {
        let bytes = match kind {
            TrayIconKind::Running => RUNNING_ICON,
            TrayIconKind::Stopped => STOPPED_ICON,
            TrayIconKind::Error => ERROR_ICON,
        };
        if let Ok(image) = Image::from_bytes(bytes) {
            let _ = h.tray.set_icon(Some(image));
        }
        *last = Some(kind);
    }
    let _ = h.tray.set_tooltip(Some(format!(
        "Kiro Gateway — {}",
        status_line(status, streams)
    )));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn running() -> GatewayStatus {
        GatewayStatus::Running {
            addr: "127.0.0.1:8000".parse().unwrap(),
        }
    }

    #[test]
    fn status_lines() {
        assert_eq!(
            status_line(&running(), 0),
            "Running on 127.0.0.1:8000 · 0 streams"
        );
        assert_eq!(
            status_line(&running(), 1),
            "Running on 127.0.0.1:8000 · 1 stream"
        );
        assert_eq!(status_line(&GatewayStatus::Stopped, 3), "Stopped");
        let err = GatewayStatus::Error {
            code: "port_in_use".into(),
            message: "Port 8000 is in use\nmore".into(),
            hint: "pick another".into(),
        };
        assert_eq!(status_line(&err, 0), "Error: Port 8000 is in use");
        let long = GatewayStatus::Error {
            code: "x".into(),
            message: "a".repeat(100),
            hint: String::new(),
        };
        assert_eq!(status_line(&long, 0).chars().count(), "Error: ".len() + 60);
    }

    #[test]
    fn toggles_and_icons() {
        assert_eq!(toggle_label(&running()), ("Stop gateway", true));
        assert_eq!(
            toggle_label(&GatewayStatus::Stopped),
            ("Start gateway", true)
        );
        assert!(!toggle_label(&GatewayStatus::Starting).1);
        assert_eq!(icon_kind(&running()), TrayIconKind::Running);
        assert_eq!(icon_kind(&GatewayStatus::Stopped), TrayIconKind::Stopped);
        let err = GatewayStatus::Error {
            code: "c".into(),
            message: "m".into(),
            hint: "h".into(),
        };
        assert_eq!(icon_kind(&err), TrayIconKind::Error);
    }

    #[test]
    fn endpoint_urls() {
        assert_eq!(
            endpoints(&running()),
            Some((
                "http://127.0.0.1:8000/v1".to_owned(),
                "http://127.0.0.1:8000".to_owned()
            ))
        );
        assert_eq!(endpoints(&GatewayStatus::Stopped), None);
    }
}
