//! The tray: built once in `setup()` inside `catch_unwind` (Linux trays need an
//! AppIndicator library and can panic without one); the app keeps working without it.
//! Updated in place from the controller's status; the labels come from
//! `kiro_gateway::status_view` (pure, tested there).

use std::sync::Mutex;

use kiro_gateway::admin::logins::{self, LoginsView};
use kiro_gateway::server::GatewayStatus;
use kiro_gateway::status_view::{
    endpoints, icon_kind, login_label, status_line, toggle_label, update_item, TrayIconKind,
};
use kiro_gateway::updates::{UpdateState, UpdateView};
use tauri::image::Image;
use tauri::menu::{CheckMenuItem, Menu, MenuEvent, MenuItem, PredefinedMenuItem, Submenu};
use tauri::tray::{TrayIcon, TrayIconBuilder};
use tauri::{AppHandle, Manager, Runtime};
use tauri_plugin_clipboard_manager::ClipboardExt;

use crate::desktop_gateway::DesktopGateway;

const RUNNING_ICON: &[u8] = include_bytes!("../../icons/tray-running.png");
const STOPPED_ICON: &[u8] = include_bytes!("../../icons/tray-stopped.png");
const ERROR_ICON: &[u8] = include_bytes!("../../icons/tray-error.png");

/// The items that change, kept to update them in place.
pub struct TrayHandles<R: Runtime> {
    tray: TrayIcon<R>,
    status: MenuItem<R>,
    toggle: MenuItem<R>,
    login: CheckMenuItem<R>,
    /// "Kiro login ▸": one check item per login found.
    kiro_logins: Submenu<R>,
    /// The login ids of the submenu's items, in order (`kiro-login:<index>`).
    kiro_login_ids: Mutex<Vec<String>>,
    /// "Check for updates" / "Download Kiro Gateway X…", and the label it shows.
    update: MenuItem<R>,
    update_label: Mutex<String>,
    last_kind: Mutex<Option<TrayIconKind>>,
}

/// Managed state: `None` when the tray could not be built.
pub struct Tray<R: Runtime>(Option<TrayHandles<R>>);

/// Whether the user can see the tray icon: it was built, and (Linux) a tray host is on the
/// session bus right now. Asked when it matters (window close, status), because at login the
/// panel may start after us.
pub fn available<R: Runtime>(app: &AppHandle<R>) -> bool {
    let built = app
        .try_state::<Tray<R>>()
        .map(|t| t.0.is_some())
        .unwrap_or(false);
    built && tray_host_present()
}

/// A StatusNotifierWatcher owns its name on the session bus: a panel that shows
/// AppIndicator icons (KDE, GNOME with the AppIndicator extension, XFCE, Cinnamon...).
/// Desktops with only an XEmbed tray are not detected: there the app says "no tray" and a
/// window close quits, the side that never leaves an invisible app running.
#[cfg(target_os = "linux")]
fn tray_host_present() -> bool {
    let Ok(connection) = zbus::blocking::Connection::session() else {
        return false;
    };
    let Ok(bus) = zbus::blocking::fdo::DBusProxy::new(&connection) else {
        return false;
    };
    [
        "org.kde.StatusNotifierWatcher",
        "org.freedesktop.StatusNotifierWatcher",
    ]
    .into_iter()
    .filter_map(|name| zbus::names::BusName::try_from(name).ok())
    .any(|name| bus.name_has_owner(name).unwrap_or(false))
}

#[cfg(not(target_os = "linux"))]
fn tray_host_present() -> bool {
    true
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
    if cfg!(target_os = "linux") && !appindicator_present() {
        return Err(tauri::Error::Io(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            "libayatana-appindicator3 is not installed",
        )));
    }
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
    let connect = MenuItem::with_id(app, "connect", "Connect a tool…", true, None::<&str>)?;
    let looking = MenuItem::with_id(
        app,
        "kiro-login-none",
        "Looking for logins…",
        false,
        None::<&str>,
    )?;
    let kiro_logins =
        Submenu::with_id_and_items(app, "kiro-logins", "Kiro login", true, &[&looking])?;
    let login = CheckMenuItem::with_id(
        app,
        "login",
        "Launch at login",
        true,
        crate::autostart::is_enabled(app),
        None::<&str>,
    )?;
    let update = MenuItem::with_id(app, "update", "Check for updates", true, None::<&str>)?;
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
            &connect,
            &kiro_logins,
            &login,
            &update,
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
        login,
        kiro_logins,
        kiro_login_ids: Mutex::new(Vec::new()),
        update,
        update_label: Mutex::new("Check for updates".into()),
        last_kind: Mutex::new(None),
    })
}

fn on_menu<R: Runtime>(app: &AppHandle<R>, event: MenuEvent, login: &CheckMenuItem<R>) {
    let gw = app.state::<DesktopGateway>();
    let status = gw.status();
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
        "connect" => crate::window::show_view(app, Some("connect")),
        "login" => {
            let want = login.is_checked().unwrap_or(false);
            if let Err(err) = crate::autostart::set_enabled(app, want) {
                tracing::warn!("launch at login: {err}");
                let _ = login.set_checked(!want);
                return;
            }
            // Keep the saved setting (and the window's switch) in step with the OS entry.
            if let Some(plane) = gw.plane() {
                tauri::async_runtime::spawn(async move {
                    let patch = serde_json::json!({ "launch_at_login": want });
                    if let Err(err) =
                        kiro_gateway::admin::ops::update_settings(&plane, &patch).await
                    {
                        tracing::warn!("could not save launch at login: {}", err.message);
                    }
                });
            }
        }
        "update" => on_update_click(app),
        "quit" => crate::desktop_gateway::quit(app.clone()),
        other => {
            if let Some(index) = other
                .strip_prefix("kiro-login:")
                .and_then(|i| i.parse::<usize>().ok())
            {
                switch_login(app, index);
            }
        }
    }
}

/// "Install Kiro Gateway X and restart" installs the offered release; "Download Kiro Gateway
/// X…" opens the package (or release page) in the browser; otherwise the item asks the feed
/// again.
fn on_update_click<R: Runtime>(app: &AppHandle<R>) {
    use kiro_gateway::updates::Installer;
    use tauri_plugin_opener::OpenerExt;
    let Some(state) = app.state::<DesktopGateway>().state() else {
        return;
    };
    let view = state.updates.view();
    if view.state == UpdateState::Available && view.installer == Installer::App {
        let app = app.clone();
        tauri::async_runtime::spawn(async move {
            // A failure is logged by the installer and told in a notification.
            if let Err(err) = crate::update_install::install(&app, |_| {}).await {
                crate::notify::install_failed(&app, &err.message);
            }
        });
        return;
    }
    if let (UpdateState::Available, Some(url)) = (
        view.state,
        view.latest.as_ref().and_then(|l| l.download_url.clone()),
    ) {
        if let Err(err) = app.opener().open_url(url, None::<&str>) {
            tracing::warn!("cannot open the download: {err}");
        }
        return;
    }
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let view = state.updates.check_now().await;
        show_update(&app, &view);
    });
}

/// Show the update check's result in the tray (only touches the menu when it changed).
pub fn show_update<R: Runtime>(app: &AppHandle<R>, view: &UpdateView) {
    let Some(tray) = app.try_state::<Tray<R>>() else {
        return;
    };
    let Some(h) = tray.0.as_ref() else {
        return;
    };
    let (label, enabled) = update_item(view);
    let mut shown = h.update_label.lock().unwrap_or_else(|e| e.into_inner());
    if *shown != label {
        let _ = h.update.set_text(&label);
        let _ = h.update.set_enabled(enabled);
        *shown = label;
    }
}

/// The tray's "Kiro login" item `index` was clicked: switch to it (a failure is logged and
/// the ticks go back to the login in use).
fn switch_login<R: Runtime>(app: &AppHandle<R>, index: usize) {
    let Some(tray) = app.try_state::<Tray<R>>() else {
        return;
    };
    let Some(id) = tray.0.as_ref().and_then(|h| {
        h.kiro_login_ids
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(index)
            .cloned()
    }) else {
        return;
    };
    let Some(plane) = app.state::<DesktopGateway>().plane() else {
        return;
    };
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        match logins::switch(&plane, &id).await {
            Ok(view) => show_logins(&app, &view),
            Err(err) => {
                tracing::warn!(
                    "could not switch the Kiro login: {} ({})",
                    err.message,
                    err.hint
                );
                refresh_logins(&app);
            }
        }
    });
}

/// List the logins again (after boot, or a failed switch) and show them in the tray.
pub fn refresh_logins<R: Runtime>(app: &AppHandle<R>) {
    let Some(state) = app.state::<DesktopGateway>().state() else {
        return;
    };
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        match logins::view(&state).await {
            Ok(view) => show_logins(&app, &view),
            Err(err) => tracing::warn!("could not list the Kiro logins: {}", err.message),
        }
    });
}

/// Fill the "Kiro login" submenu: one check item per login, the one in use ticked, and a
/// note that logins are switched, never pooled.
pub fn show_logins<R: Runtime>(app: &AppHandle<R>, view: &LoginsView) {
    let Some(tray) = app.try_state::<Tray<R>>() else {
        return;
    };
    let Some(h) = tray.0.as_ref() else {
        return;
    };
    let mut ids = h.kiro_login_ids.lock().unwrap_or_else(|e| e.into_inner());
    if let Ok(items) = h.kiro_logins.items() {
        for item in items {
            let _ = h.kiro_logins.remove(&item);
        }
    }
    ids.clear();
    for (index, row) in view.logins.iter().enumerate() {
        let plan = row.usage.as_ref().and_then(|u| u.subscription.as_deref());
        if let Ok(item) = CheckMenuItem::with_id(
            app,
            format!("kiro-login:{index}"),
            login_label(&row.info, plan),
            true,
            row.active,
            None::<&str>,
        ) {
            let _ = h.kiro_logins.append(&item);
            ids.push(row.info.id.clone());
        }
    }
    let note = MenuItem::with_id(
        app,
        "kiro-login-note",
        "Switched by you, never pooled or rotated",
        false,
        None::<&str>,
    );
    if let (Ok(separator), Ok(note)) = (PredefinedMenuItem::separator(app), note) {
        let _ = h.kiro_logins.append(&separator);
        let _ = h.kiro_logins.append(&note);
    }
}

/// Tick or untick "Launch at login" after the window changed it.
pub fn set_launch_at_login<R: Runtime>(app: &AppHandle<R>, enabled: bool) {
    if let Some(tray) = app.try_state::<Tray<R>>() {
        if let Some(h) = tray.0.as_ref() {
            let _ = h.login.set_checked(enabled);
        }
    }
}

/// Whether a Linux AppIndicator library can be loaded (the tray crate panics, possibly in
/// another thread, when it cannot).
fn appindicator_present() -> bool {
    [
        "libayatana-appindicator3.so.1",
        "libappindicator3.so.1",
        "libayatana-appindicator3.so",
        "libappindicator3.so",
    ]
    .iter()
    .any(|name| {
        // SAFETY: loading a shared library runs its constructors; these are the same
        // libraries the tray would load a moment later.
        unsafe { libloading::Library::new(name) }.is_ok()
    })
}

/// Reflect `status` in the tray (no-op without a tray).
pub fn update<R: Runtime>(
    app: &AppHandle<R>,
    status: &GatewayStatus,
    streams: u64,
    credits: Option<&str>,
) {
    let Some(tray) = app.try_state::<Tray<R>>() else {
        return;
    };
    let Some(h) = tray.0.as_ref() else {
        return;
    };
    let line = status_line(status, streams, credits);
    let _ = h.status.set_text(&line);
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
    let _ = h.tray.set_tooltip(Some(format!("Kiro Gateway — {line}")));
}
