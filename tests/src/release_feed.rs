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
//! | `/bad-package/latest.json` (+ `.sig`) | correctly signed, but its package signature is by another key |
//! | `/download/<package>` | the package, when one was given ([`ReleaseFeed::start_with_package`]) |
//!
//! A package's signature in the manifest is what the Tauri updater checks: base64 of a
//! minisign signature whose trusted comment names the file and the version.

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
    bad_package_manifest: Vec<u8>,
    bad_package_signature: String,
    /// The package's file name and bytes.
    package: Option<(String, axum::body::Bytes)>,
    requests: Arc<AtomicUsize>,
}

/// A minisign signature of `body` (the text of a `.minisig` file).
fn sign_with(pair: &minisign::KeyPair, body: &[u8], trusted_comment: &str) -> String {
    minisign::sign(
        Some(&pair.pk),
        &pair.sk,
        Cursor::new(body),
        Some(trusted_comment),
        None,
    )
    .expect("sign")
    .to_string()
}

fn sign(pair: &minisign::KeyPair, body: &[u8]) -> String {
    sign_with(pair, body, "kiro-gateway test release")
}

/// A package signature the way `tauri signer sign` writes it.
fn sign_package(pair: &minisign::KeyPair, package: &[u8], file: &str, version: &str) -> String {
    use base64::Engine;
    let trusted = format!("timestamp:1764583200\tfile:{file}\tversion:{version}");
    base64::engine::general_purpose::STANDARD.encode(sign_with(pair, package, &trusted))
}

/// The package's file name for `version`.
pub fn package_name(version: &str) -> String {
    format!("kiro-gateway_{version}_amd64.deb")
}

/// The manifest of `version` with `notes`, offering a package for this platform with its
/// `package_signature`.
pub fn manifest(
    version: &str,
    notes: &str,
    base: &str,
    package_signature: &str,
) -> serde_json::Value {
    let platform = kiro_gateway::updates::platform_key();
    serde_json::json!({
        "version": version,
        "notes": notes,
        "pub_date": "2026-12-01T10:00:00Z",
        "url": format!("{base}/releases/{version}"),
        "platforms": {
            platform: {
                "signature": package_signature,
                "url": format!("{base}/download/{}", package_name(version)),
            }
        }
    })
}

impl ReleaseFeed {
    /// Serve a release of `version` with `notes` on `127.0.0.1:port` (0 = any).
    pub async fn start_on(version: &str, notes: &str, port: u16) -> std::io::Result<Self> {
        Self::start_with_package(version, notes, port, None).await
    }

    /// Also serve `package` (the bytes of this release's package) at `/download/…`, signed
    /// in the manifest with the same key as the manifest.
    pub async fn start_with_package(
        version: &str,
        notes: &str,
        port: u16,
        package: Option<Vec<u8>>,
    ) -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
        let addr = listener.local_addr()?;
        let base = format!("http://{addr}");
        let pair = minisign::KeyPair::generate_unencrypted_keypair().expect("a key pair");
        let other = minisign::KeyPair::generate_unencrypted_keypair().expect("a key pair");
        let file = package_name(version);
        let bytes = package.as_deref().unwrap_or(b"no package");
        let good = sign_package(&pair, bytes, &file, version);
        let bad = sign_package(&other, bytes, &file, version);
        let bad_package_manifest =
            serde_json::to_vec_pretty(&manifest(version, notes, &base, &bad)).unwrap();
        let manifest = serde_json::to_vec_pretty(&manifest(version, notes, &base, &good)).unwrap();
        let tampered = String::from_utf8(manifest.clone())
            .unwrap()
            .replace("/download/", "/elsewhere/")
            .into_bytes();
        let requests = Arc::new(AtomicUsize::new(0));
        let files = Arc::new(Files {
            signature: sign(&pair, &manifest),
            other_key_signature: sign(&other, &manifest),
            bad_package_signature: sign(&pair, &bad_package_manifest),
            bad_package_manifest,
            package: package.map(|bytes| (file, bytes.into())),
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

    /// A correctly signed manifest whose package signature is by another key.
    pub fn bad_package_url(&self) -> String {
        format!("http://{}/bad-package/latest.json", self.addr)
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
        "/bad-package/latest.json" => (json, files.bad_package_manifest.clone()).into_response(),
        "/bad-package/latest.json.sig" => {
            (text, files.bad_package_signature.clone()).into_response()
        }
        path => match (&files.package, path.strip_prefix("/download/")) {
            (Some((name, bytes)), Some(asked)) if asked == name => (
                [("content-type", "application/vnd.debian.binary-package")],
                bytes.clone(),
            )
                .into_response(),
            _ => StatusCode::NOT_FOUND.into_response(),
        },
    }
}
