//! `/admin` over real loopback HTTP: a gateway assembled from a refresh-token setting (no
//! upstream is contacted), served by a real controller on `127.0.0.1:0`.

use std::sync::Arc;
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::admin::{AdminHandle, AdminSlot};
use crate::config::Config;
use crate::gateway::Gateway;
use crate::logs::{LogBuffer, Redactor};
use crate::secrets::{FileStore, MemoryStore, Secret, SecretStore, SESSION_ONLY_SOURCE};
use crate::server::{Controller, GatewayStatus};
use crate::settings::{Settings, SETTINGS_FILE_NAME};

const KEY: &str = "kgw_admin_test_key_0123456789";

struct Running {
    controller: Arc<Controller>,
    base: String,
    dir: tempfile::TempDir,
    http: reqwest::Client,
}

impl Running {
    async fn start() -> Running {
        let store: Arc<dyn SecretStore> = Arc::new(MemoryStore::new());
        Running::start_with(vec![store], None).await
    }

    async fn start_with(stores: Vec<Arc<dyn SecretStore>>, key_file: Option<FileStore>) -> Running {
        let dir = tempfile::tempdir().unwrap();
        let config = Config {
            port: 0,
            refresh_token: Some(Secret::new("rt-admin-test-refresh-token".into())),
            region: Some("us-east-1".into()),
            // Nothing listens here: the catalogue falls back to the built-in list.
            management_url: Some("http://127.0.0.1:9".into()),
            api_url: Some("http://127.0.0.1:9".into()),
            ..Config::default()
        };
        let redactor = Redactor::new();
        let gateway = Gateway::assemble_logging_to(
            config,
            Some(Secret::new(KEY.into())),
            redactor.clone(),
            LogBuffer::new(100, 100, redactor),
        )
        .await
        .expect("assemble");
        let slot = AdminSlot::default();
        let controller = Controller::new(crate::routes(slot.clone()));
        let settings = Settings::from_config(&gateway.state.config);
        let admin = AdminHandle::new(
            controller.clone(),
            settings,
            Some(dir.path().join(SETTINGS_FILE_NAME)),
        )
        .with_key_stores(stores)
        .with_key_file(key_file);
        slot.set(Arc::new(admin)).ok().expect("one admin handle");
        let addr = controller
            .start(gateway.state.clone())
            .await
            .expect("start");
        std::mem::forget(gateway); // keep its credential watcher for the test's life
        Running {
            controller,
            base: format!("http://{addr}"),
            dir,
            http: reqwest::Client::new(),
        }
    }

    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        key: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        self.call_at(&self.base, method, path, key, body).await
    }

    async fn call_at(
        &self,
        base: &str,
        method: reqwest::Method,
        path: &str,
        key: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = self.http.request(method, format!("{base}{path}"));
        if let Some(key) = key {
            request = request.bearer_auth(key);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("send");
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }
}

fn assert_error_shape(body: &Value, code: &str) {
    assert_eq!(body["code"], code, "{body}");
    assert!(
        body["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{body}"
    );
    assert!(
        body["hint"].as_str().is_some_and(|h| !h.is_empty()),
        "{body}"
    );
}

#[tokio::test]
async fn the_key_is_required_and_status_has_no_token() {
    let gw = Running::start().await;
    let (status, body) = gw
        .call(reqwest::Method::GET, "/admin/status", None, None)
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_error_shape(&body, "invalid_api_key");
    let (status, body) = gw
        .call(
            reqwest::Method::GET,
            "/admin/status",
            Some("kgw_wrong_key_123456"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_error_shape(&body, "invalid_api_key");

    let (status, body) = gw
        .call(reqwest::Method::GET, "/admin/status", Some(KEY), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["gateway"]["state"], "running");
    assert_eq!(body["endpoints"]["openai"], format!("{}/v1", gw.base));
    assert_eq!(body["endpoints"]["anthropic"], gw.base);
    assert!(body["credentials"]["source"]
        .as_str()
        .unwrap()
        .contains("REFRESH_TOKEN"));
    assert!(body["metrics"]["requests"].is_u64());
    let text = body.to_string();
    assert!(!text.contains("rt-admin-test-refresh-token"));
    assert!(!text.contains(KEY));

    let (status, body) = gw
        .call(reqwest::Method::GET, "/admin/nope", Some(KEY), None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_error_shape(&body, "not_found");
}

#[tokio::test]
async fn invalid_settings_answer_400_naming_the_field() {
    let gw = Running::start().await;
    for (patch, field) in [
        (json!({"port": "abc"}), "port"),
        (json!({"port": 0}), "port"),
        (json!({"host": "0.0.0.0"}), "host"),
        (json!({"log_level": "very=loud=x"}), "log_level"),
        (json!({"proxy_url": "ftp://proxy"}), "proxy_url"),
        (json!({"launch_at_login": true}), "launch_at_login"),
        (json!({"bogus": 1}), "bogus"),
    ] {
        let (status, body) = gw
            .call(
                reqwest::Method::PUT,
                "/admin/settings",
                Some(KEY),
                Some(patch.clone()),
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{patch} → {body}");
        assert_eq!(body["field"], field, "{patch} → {body}");
        assert!(body["hint"].as_str().is_some_and(|h| !h.is_empty()));
    }
    assert!(!gw.dir.path().join(SETTINGS_FILE_NAME).exists());

    let (status, body) = gw
        .call(
            reqwest::Method::PUT,
            "/admin/settings",
            Some(KEY),
            Some(json!({"log_level": "debug"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["restarting"], false);
    let saved = Settings::load(&gw.dir.path().join(SETTINGS_FILE_NAME))
        .unwrap()
        .unwrap();
    assert_eq!(saved.log_level, "debug");
    let (_, body) = gw
        .call(reqwest::Method::GET, "/admin/settings", Some(KEY), None)
        .await;
    assert_eq!(body["settings"]["log_level"], "debug");
}

#[tokio::test]
async fn regenerate_replaces_the_key_at_once() {
    let gw = Running::start().await;
    let (status, body) = gw
        .call(reqwest::Method::GET, "/admin/api-key", Some(KEY), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["key"], KEY);

    let (status, body) = gw
        .call(
            reqwest::Method::POST,
            "/admin/api-key/regenerate",
            Some(KEY),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let new_key = body["key"].as_str().unwrap().to_owned();
    assert!(new_key.starts_with("kgw_") && new_key != KEY);

    for path in ["/admin/status", "/v1/models"] {
        let (status, _) = gw.call(reqwest::Method::GET, path, Some(KEY), None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "old key on {path}");
        let (status, _) = gw
            .call(reqwest::Method::GET, path, Some(&new_key), None)
            .await;
        assert_eq!(status, StatusCode::OK, "new key on {path}");
    }
}

#[tokio::test]
async fn requests_are_recorded_and_streamed_live() {
    let gw = Running::start().await;
    let mut live = gw
        .http
        .get(format!("{}/admin/logs/stream", gw.base))
        .bearer_auth(KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(live.status(), StatusCode::OK);
    let (status, _) = gw
        .call(reqwest::Method::GET, "/v1/models", Some(KEY), None)
        .await;
    assert_eq!(status, StatusCode::OK);

    let mut seen = String::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while !seen.contains("event: request") {
        let chunk = tokio::time::timeout_at(deadline, live.chunk())
            .await
            .expect("a request event within 5s")
            .unwrap()
            .expect("stream open");
        seen.push_str(&String::from_utf8_lossy(&chunk));
    }
    assert!(seen.contains("/v1/models"), "{seen}");

    let (_, body) = gw
        .call(reqwest::Method::GET, "/admin/requests", Some(KEY), None)
        .await;
    let rows = body["requests"].as_array().unwrap();
    assert_eq!(rows.len(), 1, "{body}");
    assert_eq!(rows[0]["route"], "/v1/models");
    assert_eq!(rows[0]["status"], 200);
    assert!(rows[0]["latency_ms"].is_u64());
}

#[tokio::test]
async fn a_new_port_restarts_the_server_there() {
    let gw = Running::start().await;
    // A taken port: 409 with a free one to use instead.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let taken_port = taken.local_addr().unwrap().port();
    let (status, body) = gw
        .call(
            reqwest::Method::PUT,
            "/admin/settings",
            Some(KEY),
            Some(json!({"port": taken_port})),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_error_shape(&body, "port_in_use");
    assert_eq!(body["field"], "port");
    assert!(body["suggested_port"]
        .as_u64()
        .is_some_and(|p| p > taken_port as u64));

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let (status, body) = gw
        .call(
            reqwest::Method::PUT,
            "/admin/settings",
            Some(KEY),
            Some(json!({"port": port})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["restarting"], true);
    let new_base = format!("http://127.0.0.1:{port}");
    assert_eq!(body["endpoints"]["base"], new_base);

    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let answered = gw
            .http
            .get(format!("{new_base}/admin/status"))
            .bearer_auth(KEY)
            .send()
            .await;
        if let Ok(response) = answered {
            let body: Value = response.json().await.unwrap();
            assert_eq!(body["gateway"]["state"], "running");
            assert_eq!(body["endpoints"]["port"], port);
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no answer on the new port"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        gw.http
            .get(format!("{}/health", gw.base))
            .send()
            .await
            .is_err(),
        "the old address is closed"
    );
    let saved = Settings::load(&gw.dir.path().join(SETTINGS_FILE_NAME))
        .unwrap()
        .unwrap();
    assert_eq!(saved.port, port);
    // What a shell reads after the move: the state in force has the new address.
    assert_eq!(gw.controller.current_state().unwrap().config.port, port);
    gw.controller.stop(Duration::from_secs(1)).await;
}

#[tokio::test]
async fn lan_access_rebinds_on_all_interfaces_with_the_same_port() {
    let gw = Running::start().await;
    let port = gw.base.rsplit(':').next().unwrap().to_owned();
    let (status, body) = gw
        .call(
            reqwest::Method::PUT,
            "/admin/settings",
            Some(KEY),
            Some(json!({"host": "0.0.0.0", "allow_lan": true})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["restarting"], true);
    assert_eq!(body["endpoints"]["lan"], true);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        // While the server moves, the port refuses connections for a moment.
        let answered = gw
            .http
            .get(format!("{}/admin/status", gw.base))
            .bearer_auth(KEY)
            .send()
            .await;
        let (status, body) = match answered {
            Ok(response) => (response.status(), response.json().await.unwrap_or_default()),
            Err(_) => (StatusCode::SERVICE_UNAVAILABLE, Value::Null),
        };
        if status == StatusCode::OK && body["endpoints"]["host"] == "0.0.0.0" {
            assert_eq!(body["endpoints"]["port"].to_string(), port);
            assert_eq!(
                body["endpoints"]["openai"],
                format!("http://127.0.0.1:{port}/v1")
            );
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "not moved: {body}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    gw.controller.stop(Duration::from_secs(1)).await;
}

#[tokio::test]
async fn without_a_keyring_the_key_can_be_kept_in_a_private_file_by_choice() {
    let files = tempfile::tempdir().unwrap();
    let path = files.path().join("api-key");
    let gw = Running::start_with(Vec::new(), Some(FileStore::new(&path))).await;
    let post = reqwest::Method::POST;

    // No store accepts a new key: it lasts for the session, and nothing is written.
    let (status, body) = gw
        .call(post.clone(), "/admin/api-key/regenerate", Some(KEY), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["source"], SESSION_ONLY_SOURCE);
    let first = body["key"].as_str().unwrap().to_owned();
    assert!(!path.exists(), "no file without the user's consent");

    let (status, body) = gw
        .call(post.clone(), "/admin/api-key/save-to-file", None, None)
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_error_shape(&body, "invalid_api_key");

    let (status, body) = gw
        .call(
            post.clone(),
            "/admin/api-key/save-to-file",
            Some(&first),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["path"], path.to_str().unwrap());
    let stored = FileStore::new(&path)
        .get()
        .unwrap()
        .expect("key file written");
    assert_eq!(stored.expose(), &first);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let (_, body) = gw
        .call(reqwest::Method::GET, "/admin/api-key", Some(&first), None)
        .await;
    assert!(
        body["source"]
            .as_str()
            .unwrap()
            .contains(path.to_str().unwrap()),
        "{body}"
    );

    // Once chosen, a regenerated key replaces the one in the file (a restart reads it).
    let (status, body) = gw
        .call(post, "/admin/api-key/regenerate", Some(&first), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let second = body["key"].as_str().unwrap();
    assert_ne!(second, first);
    let stored = FileStore::new(&path).get().unwrap().unwrap();
    assert_eq!(stored.expose(), second);
    gw.controller.stop(Duration::from_secs(1)).await;
}

#[tokio::test]
async fn the_controller_keeps_the_state_it_serves_and_resumes_it_after_stop() {
    let gw = Running::start().await;
    let first = gw.controller.current_state().expect("started");
    gw.controller.stop(Duration::from_secs(1)).await;
    assert_eq!(gw.controller.status(), GatewayStatus::Stopped);
    assert!(gw
        .http
        .get(format!("{}/health", gw.base))
        .send()
        .await
        .is_err());
    // A Stop keeps the state: Start serves the same gateway again (port 0 binds anew).
    let addr = gw.controller.resume().await.expect("resume");
    assert!(Arc::ptr_eq(&first, &gw.controller.current_state().unwrap()));
    assert_eq!(gw.controller.status(), GatewayStatus::Running { addr });
    assert_ne!(addr.port(), 0);
    gw.controller.stop(Duration::from_secs(1)).await;
}
