//! Debug dumps and the drift report for the UI (the `/admin` routes and the desktop shell's
//! commands call these functions):
//!
//! | Route | Answer |
//! |---|---|
//! | `GET /admin/dumps` | `{mode, dir, max_count, max_bytes, total_bytes, dumps: [{id, bytes, summary}]}`, newest first |
//! | `PUT /admin/dumps/mode` | `{"mode": "off"\|"errors"\|"all"}` → `{mode}`; lasts until the gateway stops |
//! | `GET /admin/dumps/{id}` | `{id, files: [{name, bytes, text, cut}]}` |
//! | `POST /admin/dumps/{id}/replay` | the stored request sent again through the gateway → `{request_id, replay_of, status, dump}` |
//! | `GET /admin/dumps/{id}/bundle` | `application/zip`: the dump's files and `drift.json`, redacted |
//! | `GET /admin/drift` | `{version, findings, report}` |

use std::sync::Arc;

use axum::body::Body;
use axum::http::{header, HeaderValue, Request, StatusCode};
use serde_json::Value;
use tower::ServiceExt;

use super::{AdminCode, AdminError, DumpFile, DumpList, DumpModeView, DumpView, Replayed};
use crate::app::AppState;
use crate::debug_dump::{bundle, files, store::folder_name, DumpMode, DumpStore};
pub use crate::drift::DriftReport;
use crate::request_id;

/// The most of one file the dump view shows.
const SHOWN_BYTES: usize = 256 * 1024;

/// Client headers a replay carries over (the key is the gateway's own, the id a new one).
const REPLAYED_HEADERS: &[&str] = &[
    "content-type",
    "accept",
    "anthropic-version",
    "anthropic-beta",
    "openai-beta",
    "user-agent",
];

/// Header on a replayed request naming the dump it came from.
pub const REPLAY_OF: &str = "x-kiro-replay-of";

fn store(state: &AppState) -> Result<&DumpStore, AdminError> {
    state.dumps.store().ok_or_else(|| {
        AdminError::new(
            StatusCode::CONFLICT,
            AdminCode::DumpsUnavailable,
            "Debug dumps have no folder to write to.",
            "Set debug_dump_dir (KIRO_GATEWAY_DEBUG_DUMP_DIR).",
        )
    })
}

fn not_found(id: &str) -> AdminError {
    AdminError::new(
        StatusCode::NOT_FOUND,
        AdminCode::DumpNotFound,
        format!("There is no debug dump for request {id}."),
        "Dumps are kept for failed requests (DEBUG_MODE=errors) or all of them (all); the oldest are deleted.",
    )
}

fn io_error(err: std::io::Error) -> AdminError {
    AdminError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        AdminCode::DumpIo,
        format!("Could not read the debug dumps: {err}"),
        "Check the dump folder's permissions.",
    )
}

/// `GET /admin/dumps`
pub fn list(state: &AppState) -> Result<DumpList, AdminError> {
    let store = state.dumps.store();
    let dumps = match store {
        Some(store) => store.list().map_err(io_error)?,
        None => Vec::new(),
    };
    Ok(DumpList {
        mode: state.dumps.mode(),
        dir: state.dumps.dir().map(|d| d.to_path_buf()),
        max_count: store.map(|s| s.max_count),
        max_bytes: store.map(|s| s.max_bytes),
        total_bytes: dumps.iter().map(|d| d.bytes).sum(),
        dumps,
    })
}

/// `PUT /admin/dumps/mode`
pub fn set_mode(state: &AppState, body: &Value) -> Result<DumpModeView, AdminError> {
    let mode: DumpMode = body
        .get("mode")
        .and_then(Value::as_str)
        .and_then(|m| m.parse().ok())
        .ok_or_else(|| {
            let mut err = AdminError::new(
                StatusCode::BAD_REQUEST,
                AdminCode::InvalidSetting,
                format!("mode must be {}", DumpMode::ALLOWED),
                "Send {\"mode\": \"errors\"}.",
            );
            err.field = Some("mode".into());
            err
        })?;
    state.dumps.set_mode(mode).map_err(|e| {
        AdminError::new(
            StatusCode::CONFLICT,
            AdminCode::DumpsUnavailable,
            e.to_string(),
            "Set debug_dump_dir (KIRO_GATEWAY_DEBUG_DUMP_DIR) and restart.",
        )
    })?;
    Ok(DumpModeView { mode })
}

/// `GET /admin/dumps/{id}`
pub fn show(state: &AppState, id: &str) -> Result<DumpView, AdminError> {
    let files = store(state)?.read(id).ok_or_else(|| not_found(id))?;
    let files = files
        .into_iter()
        .map(|(name, bytes)| DumpFile {
            name,
            bytes: bytes.len(),
            text: String::from_utf8_lossy(&bytes[..bytes.len().min(SHOWN_BYTES)]).into_owned(),
            cut: bytes.len() > SHOWN_BYTES,
        })
        .collect();
    Ok(DumpView {
        id: id.to_owned(),
        files,
    })
}

/// `GET /admin/dumps/{id}/bundle`: `(file name, zip)`.
pub fn bundle(state: &AppState, id: &str) -> Result<(String, Vec<u8>), AdminError> {
    let mut contents = store(state)?.read(id).ok_or_else(|| not_found(id))?;
    let drift = serde_json::to_vec_pretty(&state.drift.full_report()).unwrap_or_default();
    contents.push((crate::debug_dump::DRIFT_FILE, drift));
    let folder = folder_name(id);
    let zip = bundle::zip(&folder, &contents, state.dumps.redactor()).map_err(io_error)?;
    Ok((format!("kiro-gateway-dump-{folder}.zip"), zip))
}

/// `POST /admin/dumps/{id}/replay`: the stored client request, sent again through this
/// gateway's own `routes` (a new request id, the gateway's key), its answer read to the end.
pub async fn replay(
    state: &Arc<AppState>,
    routes: axum::Router,
    id: &str,
) -> Result<Replayed, AdminError> {
    let store = store(state)?;
    let contents = store.read(id).ok_or_else(|| not_found(id))?;
    let text = |name: &str| {
        contents
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, b)| String::from_utf8_lossy(b).into_owned())
            .unwrap_or_default()
    };
    let summary: Value = serde_json::from_str(&text(files::SUMMARY)).unwrap_or(Value::Null);
    if summary["truncated"]["client_request"] == true {
        return Err(AdminError::new(
            StatusCode::CONFLICT,
            AdminCode::DumpTruncated,
            "This dump kept only the beginning of the request body, so it cannot be sent again.",
            "Raise debug_dump_max_bytes (each part keeps an eighth of it) and capture the request again.",
        ));
    }
    let stored = files::parse_request(&text(files::CLIENT_REQUEST)).ok_or_else(|| {
        AdminError::new(
            StatusCode::CONFLICT,
            AdminCode::DumpUnreadable,
            "The dump's client-request.http cannot be read back.",
            "Capture the request again.",
        )
    })?;
    let mut request = Request::builder()
        .method(stored.method.as_str())
        .uri(&stored.path)
        .header(header::HOST, "127.0.0.1")
        .header(
            REPLAY_OF,
            HeaderValue::from_str(id).unwrap_or(HeaderValue::from_static("?")),
        );
    for (name, value) in &stored.headers {
        if REPLAYED_HEADERS.contains(&name.as_str()) {
            request = request.header(name.as_str(), value.as_str());
        }
    }
    if let Some(key) = state.api_key.get() {
        request = request.header(header::AUTHORIZATION, format!("Bearer {}", key.expose()));
    }
    let request = request.body(Body::from(stored.body)).map_err(|e| {
        AdminError::new(
            StatusCode::CONFLICT,
            AdminCode::DumpUnreadable,
            format!("The stored request cannot be sent again: {e}"),
            "Capture the request again.",
        )
    })?;
    let response = routes
        .oneshot(request)
        .await
        .unwrap_or_else(|never| match never {});
    let status = response.status().as_u16();
    let new_id = response
        .headers()
        .get(request_id::HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    // Read the answer to the end: the request (and its own dump) finishes with it.
    let _ = axum::body::to_bytes(response.into_body(), usize::MAX).await;
    let dump = new_id
        .as_deref()
        .is_some_and(|id| store.folder(id).is_dir());
    Ok(Replayed {
        request_id: new_id,
        replay_of: id.to_owned(),
        status,
        dump,
    })
}
