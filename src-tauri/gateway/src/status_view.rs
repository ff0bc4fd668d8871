//! How a [`GatewayStatus`] reads in the desktop tray: the status line (Linux trays have no
//! tooltip, so it is the first menu item), the Start/Stop item, the icon, and the URLs the
//! copy items put on the clipboard. Pure functions, so they are tested without a tray.

use std::net::IpAddr;

use crate::credentials::{AuthKind, LoginInfo, LoginStore};
use crate::credit_caps::{CapPeriod, CapsStatus};
use crate::kiro::cooldown::{ActiveHold, CooldownCause};
use crate::kiro::usage_limits::UsageSummary;
use crate::server::GatewayStatus;

/// Which tray icon a status shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrayIconKind {
    Running,
    Stopped,
    Error,
}

/// The disabled first line of the tray menu. `credits` is the remaining-credits label when
/// known ("587 credits left").
pub fn status_line(status: &GatewayStatus, streams: u64, credits: Option<&str>) -> String {
    match status {
        GatewayStatus::Running { addr } => {
            let noun = if streams == 1 { "stream" } else { "streams" };
            let mut line = format!("Running on {addr} · {streams} {noun}");
            if let Some(credits) = credits {
                line.push_str(" · ");
                line.push_str(credits);
            }
            line
        }
        GatewayStatus::Starting => "Starting…".to_owned(),
        GatewayStatus::Stopped => "Stopped".to_owned(),
        GatewayStatus::Error { message, .. } => format!("Error: {}", shorten(message, 60)),
    }
}

/// The credits part of the status line: what is left (once Kiro's usage limits answered) and
/// what this gateway spent today, e.g. "587 credits left · 12.5 today".
pub fn credits_label(left: Option<&UsageSummary>, spent_today: f64) -> Option<String> {
    let left = left.map(UsageSummary::short_label);
    let today = (spent_today.is_finite() && spent_today > 0.0)
        .then(|| format!("{} today", format_credits(spent_today)));
    match (left, today) {
        (Some(left), Some(today)) => Some(format!("{left} · {today}")),
        (left, today) => left.or(today),
    }
}

/// The tray's note on the credit caps, once one is at least half used: "daily cap 80 %",
/// or "paused at the monthly cap" while `pause_at_cap` refuses requests.
pub fn cap_label(caps: &CapsStatus) -> Option<String> {
    let top = caps
        .caps
        .iter()
        .filter(|c| c.threshold.is_some())
        .max_by_key(|c| c.threshold)?;
    let name = match top.period {
        CapPeriod::Daily => "daily cap",
        CapPeriod::Monthly => "monthly cap",
    };
    if caps.paused {
        return Some(format!("paused at the {name}"));
    }
    Some(format!("{name} {} %", top.threshold?))
}

/// The tray's note while Kiro holds requests back, with the time left (the tray refreshes
/// every few seconds): "Kiro asked to wait · 4 min left", "Account suspended · 28 min left".
pub fn hold_label(hold: &ActiveHold) -> String {
    let secs = hold.remaining.as_secs();
    let left = if secs >= 120 {
        format!("{} min left", secs.div_ceil(60))
    } else {
        format!("{secs} s left")
    };
    match hold.cause {
        CooldownCause::RateLimited => format!("Kiro asked to wait · {left}"),
        CooldownCause::Suspended => format!("Account suspended by Kiro · {left}"),
    }
}

/// A login as the tray lists it: "Kiro IDE · Google/GitHub · KIRO PRO".
pub fn login_label(info: &LoginInfo, plan: Option<&str>) -> String {
    let store = match info.store {
        LoginStore::KiroIde => "Kiro IDE",
        LoginStore::TokenFile => "Token file",
        LoginStore::KiroCli => "kiro-cli",
        LoginStore::AmazonQ => "Amazon Q CLI",
        LoginStore::RefreshToken => "REFRESH_TOKEN",
    };
    let kind = match info.auth_kind {
        AuthKind::Social => "Google/GitHub",
        AuthKind::Oidc => "Builder ID / Identity Center",
        AuthKind::ExternalIdp => "company sign-in",
        AuthKind::ApiKey => "API key",
    };
    match plan {
        Some(plan) => format!("{store} · {kind} · {plan}"),
        None => format!("{store} · {kind}"),
    }
}

/// The tray's update item: its label, and whether clicking it does something (downloads the
/// newer version, or checks again).
pub fn update_item(update: &crate::updates::UpdateView) -> (String, bool) {
    use crate::updates::Installer;
    use crate::updates::UpdateState;
    match (update.state, &update.latest) {
        (UpdateState::Available, Some(latest)) => match update.installer {
            Installer::App => (
                format!("Install Kiro Gateway {} and restart", latest.version),
                true,
            ),
            Installer::Manual => (format!("Download Kiro Gateway {}…", latest.version), true),
        },
        (UpdateState::Off, _) => ("Update checks are off".into(), false),
        (UpdateState::NotConfigured, _) => ("No release feed to check".into(), false),
        (UpdateState::UpToDate, _) => (
            format!("Up to date ({}) · Check again", update.current_version),
            true,
        ),
        (UpdateState::Failed, _) => ("Update check failed · Try again".into(), true),
        _ => ("Check for updates".into(), true),
    }
}

/// Credits with at most two decimals, trailing zeros dropped (`12.5`, `0.37`, `3`).
pub fn format_credits(credits: f64) -> String {
    let text = format!("{credits:.2}");
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
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

/// The OpenAI and Anthropic base URLs for the copy items (`None` while not running).
pub fn endpoints(status: &GatewayStatus) -> Option<(String, String)> {
    match status {
        GatewayStatus::Running { addr } => {
            let base = local_base_url(addr.ip(), addr.port());
            Some((format!("{base}/v1"), base))
        }
        _ => None,
    }
}

/// `http://host:port` as a tool on this machine reaches a server bound to `host`: a server
/// on all interfaces through loopback, IPv6 in brackets.
pub fn local_base_url(host: IpAddr, port: u16) -> String {
    let host = if host.is_unspecified() {
        "127.0.0.1".to_owned()
    } else if host.is_ipv6() {
        format!("[{host}]")
    } else {
        host.to_string()
    };
    format!("http://{host}:{port}")
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_login_reads_as_its_program_sign_in_kind_and_plan() {
        let info = LoginInfo {
            id: "sqlite:/h/.local/share/kiro-cli/data.sqlite3#kirocli:odic:token".into(),
            source: "kiro-cli database …".into(),
            store: LoginStore::KiroCli,
            auth_kind: AuthKind::Oidc,
            region: Some("eu-central-1".into()),
            expires_at: None,
            explicit: false,
        };
        assert_eq!(
            login_label(&info, Some("KIRO PRO")),
            "kiro-cli · Builder ID / Identity Center · KIRO PRO"
        );
        let ide = LoginInfo {
            store: LoginStore::KiroIde,
            auth_kind: AuthKind::Social,
            ..info
        };
        assert_eq!(login_label(&ide, None), "Kiro IDE · Google/GitHub");
    }
    use crate::server::StartCode;

    #[test]
    fn the_update_item_offers_the_download_or_a_new_check() {
        use crate::updates::{Installer, ReleaseView, UpdateState, UpdateView};
        let view = |state, latest: Option<&str>| UpdateView {
            current_version: "0.1.0".into(),
            check_updates: state != UpdateState::Off,
            feed: None,
            state,
            latest: latest.map(|v| ReleaseView {
                version: v.into(),
                notes: String::new(),
                pub_date: None,
                download_url: None,
            }),
            checked_at: None,
            error: None,
            installer: Installer::Manual,
        };
        assert_eq!(
            update_item(&view(UpdateState::Available, Some("0.2.0"))),
            ("Download Kiro Gateway 0.2.0…".into(), true)
        );
        let installable = UpdateView {
            installer: Installer::App,
            ..view(UpdateState::Available, Some("0.2.0"))
        };
        assert_eq!(
            update_item(&installable),
            ("Install Kiro Gateway 0.2.0 and restart".into(), true)
        );
        assert_eq!(
            update_item(&view(UpdateState::UpToDate, None)),
            ("Up to date (0.1.0) · Check again".into(), true)
        );
        assert_eq!(
            update_item(&view(UpdateState::Off, None)),
            ("Update checks are off".into(), false)
        );
        assert_eq!(
            update_item(&view(UpdateState::NotConfigured, None)),
            ("No release feed to check".into(), false)
        );
        assert!(
            update_item(&view(UpdateState::Failed, None)).1,
            "a failed check can be retried"
        );
    }

    fn running(addr: &str) -> GatewayStatus {
        GatewayStatus::Running {
            addr: addr.parse().unwrap(),
        }
    }

    fn error(message: &str) -> GatewayStatus {
        GatewayStatus::Error {
            code: StartCode::PortInUse,
            message: message.into(),
            hint: "Use port 8001".into(),
            suggested_port: Some(8001),
        }
    }

    #[test]
    fn a_hold_says_why_and_how_long_is_left() {
        let hold = |cause, secs| ActiveHold {
            cause,
            until: chrono::Utc::now(),
            remaining: std::time::Duration::from_secs(secs),
            message: String::new(),
        };
        assert_eq!(
            hold_label(&hold(CooldownCause::RateLimited, 241)),
            "Kiro asked to wait · 5 min left"
        );
        assert_eq!(
            hold_label(&hold(CooldownCause::RateLimited, 42)),
            "Kiro asked to wait · 42 s left"
        );
        assert_eq!(
            hold_label(&hold(CooldownCause::Suspended, 1_800)),
            "Account suspended by Kiro · 30 min left"
        );
    }

    #[test]
    fn the_cap_label_names_the_most_used_cap_once_half_used() {
        use crate::credit_caps::CreditCaps;
        let now = chrono::Local::now();
        let caps = CreditCaps {
            daily: Some(10.0),
            monthly: Some(100.0),
            pause: false,
        };
        assert_eq!(cap_label(&caps.status(4.0, 4.0, now)), None);
        assert_eq!(
            cap_label(&caps.status(8.0, 60.0, now)).as_deref(),
            Some("daily cap 80 %")
        );
        assert_eq!(
            cap_label(&caps.status(1.0, 100.0, now)).as_deref(),
            Some("monthly cap 100 %")
        );
        let pausing = CreditCaps {
            pause: true,
            ..caps
        };
        assert_eq!(
            cap_label(&pausing.status(10.0, 10.0, now)).as_deref(),
            Some("paused at the daily cap")
        );
    }

    #[test]
    fn the_credits_label_says_what_is_left_and_what_today_cost() {
        let left = UsageSummary {
            subscription: Some("KIRO PRO".into()),
            used: 413.0,
            limit: 1000.0,
            remaining: 587.0,
            unit_plural: "Credits".into(),
            resets_at: None,
        };
        assert_eq!(credits_label(None, 0.0), None);
        assert_eq!(
            credits_label(Some(&left), 0.0).as_deref(),
            Some("587 credits left")
        );
        assert_eq!(
            credits_label(Some(&left), 12.5).as_deref(),
            Some("587 credits left · 12.5 today")
        );
        assert_eq!(credits_label(None, 0.374).as_deref(), Some("0.37 today"));
        assert_eq!(format_credits(3.0), "3");
        assert_eq!(format_credits(0.005), "0.01");
    }

    #[test]
    fn status_lines_name_address_streams_and_credits() {
        let up = running("127.0.0.1:8000");
        assert_eq!(
            status_line(&up, 0, None),
            "Running on 127.0.0.1:8000 · 0 streams"
        );
        assert_eq!(
            status_line(&up, 1, None),
            "Running on 127.0.0.1:8000 · 1 stream"
        );
        assert_eq!(
            status_line(&up, 3, Some("587 credits left")),
            "Running on 127.0.0.1:8000 · 3 streams · 587 credits left"
        );
        assert_eq!(status_line(&GatewayStatus::Stopped, 3, None), "Stopped");
        assert_eq!(status_line(&GatewayStatus::Starting, 0, None), "Starting…");
    }

    #[test]
    fn an_error_line_is_its_first_line_cut_to_fit_a_menu() {
        assert_eq!(
            status_line(
                &error("Port 8000 on 127.0.0.1 is already in use.\nmore"),
                0,
                None
            ),
            "Error: Port 8000 on 127.0.0.1 is already in use."
        );
        let long = status_line(&error(&"é".repeat(100)), 0, None);
        assert_eq!(long.chars().count(), "Error: ".len() + 60);
        assert!(long.ends_with('…'));
    }

    #[test]
    fn toggle_and_icon_follow_the_state() {
        let up = running("127.0.0.1:8000");
        assert_eq!(toggle_label(&up), ("Stop gateway", true));
        assert_eq!(
            toggle_label(&GatewayStatus::Stopped),
            ("Start gateway", true)
        );
        assert_eq!(toggle_label(&error("x")), ("Start gateway", true));
        assert!(!toggle_label(&GatewayStatus::Starting).1);
        assert_eq!(icon_kind(&up), TrayIconKind::Running);
        assert_eq!(icon_kind(&GatewayStatus::Starting), TrayIconKind::Stopped);
        assert_eq!(icon_kind(&GatewayStatus::Stopped), TrayIconKind::Stopped);
        assert_eq!(icon_kind(&error("x")), TrayIconKind::Error);
    }

    #[test]
    fn endpoint_urls_are_reachable_from_this_machine() {
        assert_eq!(
            endpoints(&running("127.0.0.1:8000")),
            Some((
                "http://127.0.0.1:8000/v1".to_owned(),
                "http://127.0.0.1:8000".to_owned()
            ))
        );
        assert_eq!(
            endpoints(&running("0.0.0.0:8001")).unwrap().0,
            "http://127.0.0.1:8001/v1"
        );
        assert_eq!(
            endpoints(&running("[::1]:8002")).unwrap().1,
            "http://[::1]:8002"
        );
        assert_eq!(endpoints(&GatewayStatus::Stopped), None);
        assert_eq!(endpoints(&error("x")), None);
    }
}
