//! A local release feed for the update check: a manifest in the Tauri updater's `latest.json`
//! shape and its detached minisign signature, signed with a key pair made at start (the
//! private half never leaves this process).
//!
//! | Path | What |
//! |---|---|
//! | `/latest.json`, `/latest.json.sig` | the release, correctly signed |
//! | `/tampered/latest.json` (+ `.sig`) | the same signature over a changed manifest |
//! | `/unsigned/latest.json` | no `.sig` beside it (404) |
//! | `/other-key/latest.json` (+ `.sig`) | signed by a key the gateway does not trust |

use std::io::Cursor;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::IntoResponse;

pub struct ReleaseFeed {
    addr: SocketAddr,
    public_key: String,
    requests: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for ReleaseFeed {
    fn drop(&mut self) {
        self.task.abort();
    }
}

struct Files {
    manifest: Vec<u8>,
    signature: String,
    tampered: Vec<u8>,
    other_key_signature: String,
    requests: Arc<AtomicUsize>,
}

fn sign(pair: &minisign::KeyPair, body: &[u8]) -> String {
    minisign::sign(
        Some(&pair.pk),
        &pair.sk,
        Cursor::new(body),
        Some("kiro-gateway test release"),
        None,
    )
    .expect("sign the manifest")
    .to_string()
}

/// The manifest of `version` with `notes`, offering a package for this platform.
pub fn manifest(version: &str, notes: &str, base: &str) -> serde_json::Value {
    let platform = kiro_gateway::updates::platform_key();
    serde_json::json!({
        "version": version,
        "notes": notes,
        "pub_date": "2026-12-01T10:00:00Z",
        "url": format!("{base}/releases/{version}"),
        "platforms": {
            platform: {
                "signature": "not checked by the gateway (it does not download the package)",
                "url": format!("{base}/download/kiro-gateway_{version}_amd64.deb"),
            }
        }
    })
}

impl ReleaseFeed {
    /// Serve a release of `version` with `notes` on `127.0.0.1:port` (0 = any).
    pub async fn start_on(version: &str, notes: &str, port: u16) -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
        let addr = listener.local_addr()?;
        let base = format!("http://{addr}");
        let pair = minisign::KeyPair::generate_unencrypted_keypair().expect("a key pair");
        let other = minisign::KeyPair::generate_unencrypted_keypair().expect("a key pair");
        let manifest = serde_json::to_vec_pretty(&manifest(version, notes, &base)).unwrap();
        let tampered = String::from_utf8(manifest.clone())
            .unwrap()
            .replace("/download/", "/elsewhere/")
            .into_bytes();
        let requests = Arc::new(AtomicUsize::new(0));
        let files = Arc::new(Files {
            signature: sign(&pair, &manifest),
            other_key_signature: sign(&other, &manifest),
            manifest,
            tampered,
            requests: requests.clone(),
        });
        let app = axum::Router::new().fallback(serve).with_state(files);
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(ReleaseFeed {
            addr,
            public_key: pair.pk.to_base64(),
            requests,
            task,
        })
    }

    pub async fn start(version: &str, notes: &str) -> Self {
        Self::start_on(version, notes, 0)
            .await
            .expect("bind 127.0.0.1:0")
    }

    /// The correctly signed manifest.
    pub fn url(&self) -> String {
        format!("http://{}/latest.json", self.addr)
    }

    /// A manifest changed after it was signed.
    pub fn tampered_url(&self) -> String {
        format!("http://{}/tampered/latest.json", self.addr)
    }

    pub fn unsigned_url(&self) -> String {
        format!("http://{}/unsigned/latest.json", self.addr)
    }

    pub fn other_key_url(&self) -> String {
        format!("http://{}/other-key/latest.json", self.addr)
    }

    /// The minisign public key (base64 line) the gateway must trust.
    pub fn public_key(&self) -> &str {
        &self.public_key
    }

    /// Requests served so far (manifests and signatures).
    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }
}

async fn serve(State(files): State<Arc<Files>>, uri: Uri) -> axum::response::Response {
    files.requests.fetch_add(1, Ordering::SeqCst);
    let json = [("content-type", "application/json")];
    let text = [("content-type", "text/plain")];
    match uri.path() {
        "/latest.json" | "/unsigned/latest.json" | "/other-key/latest.json" => {
            (json, files.manifest.clone()).into_response()
        }
        "/latest.json.sig" => (text, files.signature.clone()).into_response(),
        "/tampered/latest.json" => (json, files.tampered.clone()).into_response(),
        "/tampered/latest.json.sig" => (text, files.signature.clone()).into_response(),
        "/other-key/latest.json.sig" => (text, files.other_key_signature.clone()).into_response(),
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}
