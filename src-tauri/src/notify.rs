//! Desktop notifications for what the gateway's status announces once (credit-cap thresholds,
//! Kiro's holds, a newer release): [`kiro_gateway::notices`] decides what is due, this sends it through the OS
//! (the `org.freedesktop.Notifications` service on Linux) unless the user turned
//! notifications off in Settings.

use kiro_gateway::notices::NoticeTracker;
use tauri::{AppHandle, Runtime};
use tauri_plugin_notification::NotificationExt;

use crate::desktop_gateway::DesktopGateway;

/// Announce what became due since the last call. Due notices are consumed even while
/// notifications are off, so turning them on later does not replay old news.
pub fn announce_due<R: Runtime>(app: &AppHandle<R>, gw: &DesktopGateway, seen: &mut NoticeTracker) {
    let Some(state) = gw.state() else {
        return;
    };
    let caps = state.credit_caps.get().status_of(&state.credits);
    let mut due = seen.observe(
        &caps,
        state.kiro.hold().as_ref(),
        kiro_gateway::notices::now(),
    );
    due.extend(seen.observe_update(&state.updates.view()));
    let enabled = gw
        .admin()
        .is_none_or(|admin| admin.settings().desktop_notifications);
    if !enabled {
        return;
    }
    for notice in due {
        tracing::info!(title = %notice.title, "desktop notification");
        if let Err(err) = app
            .notification()
            .builder()
            .title(&notice.title)
            .body(&notice.body)
            .show()
        {
            tracing::warn!("cannot show a notification ({err}): {}", notice.title);
        }
    }
}

/// An install started from the tray failed: the tray has no other place to say so. Shown
/// even with notifications off, since the user just asked for it.
pub fn install_failed<R: Runtime>(app: &AppHandle<R>, message: &str) {
    if let Err(err) = app
        .notification()
        .builder()
        .title("Kiro Gateway was not updated")
        .body(message)
        .show()
    {
        tracing::warn!("cannot show a notification ({err}): the update was not installed");
    }
}
