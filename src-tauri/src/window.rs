//! The main window: created when first shown, destroyed when closed to the tray.
//!
//! The window is built in code, not declared in `tauri.conf.json`: a declared window (and its
//! WebKitGTK web process, about 100 MiB) exists from the start even when the app starts
//! hidden at login, and hiding it keeps all of that. Destroying it on close-to-tray lets
//! WebKit's processes go; the next "Open" builds a fresh one (docs/benchmarks.md measures
//! both).

use tauri::{AppHandle, Manager, Runtime, WebviewUrl, WebviewWindowBuilder};

pub const MAIN: &str = "main";

/// Show, unminimize and focus the main window, creating it if there is none.
pub fn show<R: Runtime>(app: &AppHandle<R>) {
    show_view(app, None);
}

/// [`show`], on the UI view `view` (its `#id`, e.g. `connect`) when given.
pub fn show_view<R: Runtime>(app: &AppHandle<R>, view: Option<&str>) {
    // The view id goes into a script: only plain ids.
    let view = view.filter(|v| v.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'));
    if let Some(window) = app.get_webview_window(MAIN) {
        let _ = window.show();
        let _ = window.unminimize();
        let _ = window.set_focus();
        if let Some(view) = view {
            let _ = window.eval(format!("location.hash = '{view}';"));
        }
        return;
    }
    let mut builder = WebviewWindowBuilder::new(app, MAIN, WebviewUrl::App("index.html".into()));
    if let Some(view) = view {
        builder = builder.initialization_script(format!(
            "if (!location.hash) history.replaceState(null, '', '#{view}');"
        ));
    }
    let built = builder
        .title("Kiro Gateway")
        .inner_size(1100.0, 760.0)
        .min_inner_size(720.0, 480.0)
        .visible(true)
        .focused(true)
        .build();
    if let Err(err) = built {
        tracing::error!("cannot open the window: {err}");
    }
}
