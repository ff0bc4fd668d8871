//! The base URLs a tool on this machine (or the LAN) uses for the gateway's address.

use super::views::Endpoints;

/// The base URLs a tool on this machine should use for `addr`.
pub fn endpoints(host: std::net::IpAddr, port: u16) -> Endpoints {
    let base = crate::status_view::local_base_url(host, port);
    // What other machines use: the bound address, or for "all interfaces" this machine's
    // address on its default route.
    let lan_base = if host.is_loopback() {
        None
    } else if host.is_unspecified() {
        crate::exposure::default_route_ip().map(|ip| format!("http://{ip}:{port}"))
    } else {
        Some(base.clone())
    };
    Endpoints {
        host: host.to_string(),
        port,
        openai: format!("{base}/v1"),
        anthropic: base.clone(),
        base,
        lan: !host.is_loopback(),
        lan_base,
        lan_warning: crate::exposure::lan_warning(std::net::SocketAddr::new(host, port)),
    }
}
