//! `kiro-gateway healthcheck`: asks a running gateway on this machine for `/health` and exits
//! 0 when it answers "ok", 1 otherwise. Container images and service managers call it; it
//! needs no curl and no key (the keyless `/health` answer is enough to know it is serving).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::process::ExitCode;
use std::time::Duration;

use crate::config::Config;

const TIMEOUT: Duration = Duration::from_secs(5);

pub async fn run(config: Config) -> ExitCode {
    let url = format!("http://{}/health", local_addr(config.host, config.port));
    match check(&url).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(problem) => {
            eprintln!("unhealthy: {url}: {problem}");
            ExitCode::FAILURE
        }
    }
}

/// Where to reach a gateway bound to `host`: a wildcard address is reached on loopback.
fn local_addr(host: IpAddr, port: u16) -> SocketAddr {
    let ip = match host {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    SocketAddr::new(ip, port)
}

async fn check(url: &str) -> Result<(), String> {
    let client = reqwest::Client::builder()
        .timeout(TIMEOUT)
        .no_proxy()
        .build()
        .map_err(|e| e.to_string())?;
    let response = client.get(url).send().await.map_err(|e| e.to_string())?;
    let status = response.status();
    if !status.is_success() {
        return Err(format!("HTTP {status}"));
    }
    let body: serde_json::Value = response.json().await.map_err(|e| e.to_string())?;
    match body["status"].as_str() {
        Some("ok") => Ok(()),
        _ => Err(format!("answered {body}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wildcard_bind_is_checked_on_loopback() {
        assert_eq!(
            local_addr("0.0.0.0".parse().unwrap(), 8000).to_string(),
            "127.0.0.1:8000"
        );
        assert_eq!(
            local_addr("::".parse().unwrap(), 8000).to_string(),
            "[::1]:8000"
        );
        assert_eq!(
            local_addr("127.0.0.1".parse().unwrap(), 9).to_string(),
            "127.0.0.1:9"
        );
    }
}
