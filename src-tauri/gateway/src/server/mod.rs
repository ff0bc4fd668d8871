//! The controller: the only way to start or stop the HTTP server. It binds with actionable
//! errors, drains gracefully within a bound, and publishes [`GatewayStatus`] on a watch
//! channel that the tray, the window and `/health` all read.
//!
//! Connections: `accept` caps them and `refusal` answers the excess; `connection` serves
//! each one under `request_clock` (header and idle timeouts) with bounds on stalled writes
//! to the client (`write_stall`) and stalled request bodies (`body_stall`); `limits` raises
//! the open-file limit that the cap has to fit under.

mod accept;
mod body_stall;
mod connection;
mod limits;
mod refusal;
mod request_clock;
mod status;
mod write_stall;

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::{watch, Mutex};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::app::AppState;
use crate::config::Config;
pub use status::{GatewayStatus, StartCode, StartError};

use accept::ServeLimits;
use connection::ConnectionTimeouts;

struct Running {
    addr: SocketAddr,
    cancel: CancellationToken,
    task: JoinHandle<()>,
}

/// What the server serves for a state: the program's routes (`api::router` in both binaries).
/// Given by the caller, so the server knows nothing of the routes it serves.
pub type Routes = Arc<dyn Fn(Arc<AppState>) -> axum::Router + Send + Sync>;

pub struct Controller {
    routes: Routes,
    status: watch::Sender<GatewayStatus>,
    running: Mutex<Option<Running>>,
    /// The state last started (kept after a stop): what [`Controller::resume`] serves and
    /// what a shell reads after an `/admin` restart moved the server.
    last_state: std::sync::Mutex<Option<Arc<AppState>>>,
}

impl Controller {
    /// A stopped controller that serves `routes`.
    pub fn new(routes: Routes) -> Arc<Self> {
        Arc::new(Controller {
            routes,
            status: watch::Sender::new(GatewayStatus::Stopped),
            running: Mutex::new(None),
            last_state: std::sync::Mutex::new(None),
        })
    }

    pub fn subscribe(&self) -> watch::Receiver<GatewayStatus> {
        self.status.subscribe()
    }

    pub fn status(&self) -> GatewayStatus {
        self.status.borrow().clone()
    }

    /// The state of the last successful start (`None` before the first).
    pub fn current_state(&self) -> Option<Arc<AppState>> {
        self.last_state
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Start again with the last started state (after a Stop).
    pub async fn resume(&self) -> Result<SocketAddr, StartError> {
        let state = self.current_state().ok_or_else(|| StartError {
            code: StartCode::NotReady,
            message: "The gateway has not been set up yet.".into(),
            hint: "Wait a moment; if it persists, see the error in the window.".into(),
            suggested_port: None,
        })?;
        self.start(state).await
    }

    /// Bind `state.config.host:port` and serve. Starting a running server is a no-op that
    /// returns its address. Every start first raises the soft open-file limit (a no-op once
    /// raised).
    pub async fn start(&self, state: Arc<AppState>) -> Result<SocketAddr, StartError> {
        let mut running = self.running.lock().await;
        if let Some(server) = running.as_ref() {
            return Ok(server.addr);
        }
        self.status.send_replace(GatewayStatus::Starting);
        let listener = match bind(state.config.host, state.config.port).await {
            Ok(listener) => listener,
            Err(err) => {
                self.status.send_replace(GatewayStatus::Error {
                    code: err.code,
                    message: err.message.clone(),
                    hint: err.hint.clone(),
                    suggested_port: err.suggested_port,
                });
                return Err(err);
            }
        };
        let addr = listener.local_addr().map_err(|e| StartError {
            code: StartCode::BindFailed,
            message: format!("cannot read the bound address: {e}"),
            hint: String::new(),
            suggested_port: None,
        })?;
        let cancel = CancellationToken::new();
        *self.last_state.lock().unwrap_or_else(|e| e.into_inner()) = Some(state.clone());
        let limits = serve_limits(&state.config, limits::raise_open_file_limit());
        let router = (self.routes)(state);
        let task = tokio::spawn(accept::serve(listener, router, limits, cancel.clone()));
        tracing::info!(
            "listening on http://{addr} (up to {} connections)",
            limits.max_connections
        );
        if let Some(warning) = crate::exposure::lan_warning(addr) {
            tracing::warn!("{warning}");
        }
        *running = Some(Running { addr, cancel, task });
        self.status.send_replace(GatewayStatus::Running { addr });
        Ok(addr)
    }

    /// Stop accepting, let open requests finish for up to `grace`, then cut the rest.
    pub async fn stop(&self, grace: Duration) {
        let Some(server) = self.running.lock().await.take() else {
            return;
        };
        server.cancel.cancel();
        let mut task = server.task;
        if tokio::time::timeout(grace, &mut task).await.is_err() {
            tracing::warn!(
                "open requests did not finish within {}s; closing them",
                grace.as_secs()
            );
            task.abort();
            let _ = task.await;
        }
        self.status.send_replace(GatewayStatus::Stopped);
    }
}

/// The connection limits of `config`, with the cap kept below the open-file limit.
fn serve_limits(config: &Config, open_files: Option<u64>) -> ServeLimits {
    ServeLimits {
        max_connections: limits::connection_cap(config.max_connections, open_files),
        connection: ConnectionTimeouts {
            header_read: config.header_read_timeout,
            idle: config.idle_timeout,
            client_write: config.client_write_timeout,
        },
    }
}

pub(crate) async fn bind(host: IpAddr, port: u16) -> Result<TcpListener, StartError> {
    match TcpListener::bind((host, port)).await {
        Ok(listener) => Ok(listener),
        Err(err) if err.kind() == std::io::ErrorKind::AddrInUse => {
            let free = free_port_near(host, port).await;
            let hint = match free {
                Some(free) => format!(
                    "Use port {free} (free): set KIRO_GATEWAY_PORT={free} or pass --port {free}."
                ),
                None => "Stop the program using it, or choose another port with --port.".into(),
            };
            Err(StartError {
                code: StartCode::PortInUse,
                message: format!("Port {port} on {host} is already in use."),
                hint,
                suggested_port: free,
            })
        }
        Err(err) if err.kind() == std::io::ErrorKind::PermissionDenied => Err(StartError {
            code: StartCode::PermissionDenied,
            message: format!("Not allowed to listen on {host}:{port}."),
            hint: "Ports below 1024 need extra privileges; use a port such as 8000.".into(),
            suggested_port: None,
        }),
        Err(err) if err.kind() == std::io::ErrorKind::AddrNotAvailable => Err(StartError {
            code: StartCode::AddressUnavailable,
            message: format!("{host} is not an address of this machine."),
            hint: "Use 127.0.0.1 (this machine only) or 0.0.0.0 (every interface).".into(),
            suggested_port: None,
        }),
        Err(err) => Err(StartError {
            code: StartCode::BindFailed,
            message: format!("Cannot listen on {host}:{port}: {err}"),
            hint: "Choose another port or address.".into(),
            suggested_port: None,
        }),
    }
}

/// The first port after `port` that can be bound right now.
async fn free_port_near(host: IpAddr, port: u16) -> Option<u16> {
    for candidate in port.saturating_add(1)..=port.saturating_add(50) {
        if TcpListener::bind((host, candidate)).await.is_ok() {
            return Some(candidate);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn port_in_use_names_a_free_port() {
        let taken = TcpListener::bind(("127.0.0.1", 0)).await.unwrap();
        let port = taken.local_addr().unwrap().port();
        let err = bind(IpAddr::from([127, 0, 0, 1]), port).await.unwrap_err();
        assert_eq!(err.code, StartCode::PortInUse);
        assert!(err.message.contains(&port.to_string()));
        let suggested: u16 = err
            .hint
            .split_whitespace()
            .nth(2)
            .and_then(|p| p.parse().ok())
            .expect("hint names a port");
        assert!(suggested > port);
        assert!(TcpListener::bind(("127.0.0.1", suggested)).await.is_ok());
    }
}
