//! Listening beyond loopback: what may (a strong key is required, `--no-auth` never), how the
//! user is warned, and which URL other machines use.

use std::net::{IpAddr, Ipv4Addr, SocketAddr, UdpSocket};

use crate::config::Config;
use crate::secrets::Secret;
use crate::server::{StartCode, StartError};

/// The shortest key accepted when the gateway listens beyond loopback (generated keys have
/// 44 characters).
pub const MIN_LAN_KEY_CHARS: usize = 24;

/// The warning shown (log, banner, UI) whenever the gateway listens beyond loopback.
pub fn lan_warning(addr: SocketAddr) -> Option<String> {
    (!addr.ip().is_loopback()).then(|| {
        format!(
            "Listening on {addr}: other machines on your network can reach the gateway. \
             Anyone with the API key can spend your Kiro credits."
        )
    })
}

/// The address other machines reach a gateway bound to `addr` at: the bound address itself,
/// or for `0.0.0.0` / `::` the address of the interface that has the default route.
pub fn reachable_addr(addr: SocketAddr) -> SocketAddr {
    if !addr.ip().is_unspecified() {
        return addr;
    }
    let ip = default_route_ip().unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST));
    SocketAddr::new(ip, addr.port())
}

/// The local address the OS would send from to reach the internet. Connecting a UDP socket
/// sends no packet; it only asks the routing table (no crate reads it more simply).
pub fn default_route_ip() -> Option<IpAddr> {
    let socket = UdpSocket::bind((Ipv4Addr::UNSPECIFIED, 0)).ok()?;
    socket.connect((Ipv4Addr::new(192, 0, 2, 1), 9)).ok()?;
    let ip = socket.local_addr().ok()?.ip();
    (!ip.is_unspecified() && !ip.is_loopback()).then_some(ip)
}

/// Last line of defence, whatever path the address came by (flag, file, saved settings):
/// beyond loopback there must be a key, and one that is not guessable.
pub(crate) fn check_exposure(
    config: &Config,
    api_key: Option<&Secret<String>>,
) -> Result<(), StartError> {
    if config.host.is_loopback() {
        return Ok(());
    }
    match api_key {
        _ if config.no_auth => Err(StartError {
            code: StartCode::NoAuthBeyondLoopback,
            message: format!(
                "--no-auth only works on a loopback address, but the address is {}.",
                config.host
            ),
            hint: "Use 127.0.0.1, or drop --no-auth so a key is required.".into(),
            suggested_port: None,
        }),
        None => Err(StartError {
            code: StartCode::NoKeyBeyondLoopback,
            message: format!("Listening on {} needs an API key.", config.host),
            hint: "Drop --no-auth, or listen on 127.0.0.1.".into(),
            suggested_port: None,
        }),
        Some(key) if key.expose().chars().count() < MIN_LAN_KEY_CHARS => Err(StartError {
            code: StartCode::WeakKeyBeyondLoopback,
            message: format!(
                "The API key is too short to listen on {}: other machines could guess it.",
                config.host
            ),
            hint: format!(
                "Use a key of at least {MIN_LAN_KEY_CHARS} characters (unset KIRO_GATEWAY_API_KEY to use a generated one), or listen on 127.0.0.1."
            ),
            suggested_port: None,
        }),
        Some(_) => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(host: [u8; 4], no_auth: bool) -> Config {
        Config {
            host: host.into(),
            no_auth,
            ..Config::default()
        }
    }

    #[test]
    fn only_addresses_beyond_loopback_are_warned_about_and_get_a_reachable_url() {
        let local: SocketAddr = "127.0.0.1:8000".parse().unwrap();
        assert_eq!(lan_warning(local), None);
        assert_eq!(reachable_addr(local), local);
        let all: SocketAddr = "0.0.0.0:8000".parse().unwrap();
        assert!(lan_warning(all).unwrap().contains("other machines"));
        let reachable = reachable_addr(all);
        assert_eq!(reachable.port(), 8000);
        assert!(!reachable.ip().is_unspecified());
        let one: SocketAddr = "192.168.1.5:9000".parse().unwrap();
        assert_eq!(reachable_addr(one), one);
    }

    #[test]
    fn beyond_loopback_needs_a_strong_key() {
        let strong = Secret::new("kgw_0123456789abcdefghijklmnop".to_owned());
        let weak = Secret::new("k".to_owned());
        let code = |c: &Config, k: Option<&Secret<String>>| {
            check_exposure(c, k).err().map(|e| e.code.as_str())
        };
        assert_eq!(code(&config([127, 0, 0, 1], true), None), None);
        assert_eq!(code(&config([127, 0, 0, 1], false), Some(&weak)), None);
        assert_eq!(code(&config([0, 0, 0, 0], false), Some(&strong)), None);
        assert_eq!(
            code(&config([0, 0, 0, 0], true), None),
            Some("no_auth_beyond_loopback")
        );
        assert_eq!(
            code(&config([192, 168, 1, 2], false), Some(&weak)),
            Some("weak_key_beyond_loopback")
        );
        assert_eq!(
            code(&config([0, 0, 0, 0], false), None),
            Some("no_key_beyond_loopback")
        );
    }
}
