//! `/openapi.json` and `/docs`: the document describes every route the router has (read from
//! the router's source, so a new route without a description fails here), every described
//! operation is really served, and `/docs` is a page that needs nothing from the network.

use crate::anthropic_common;

use std::collections::BTreeSet;
use std::path::Path;

use anthropic_common::*;
use serde_json::Value;

/// `(method, path)` of every `.route(...)` in a router source file; routes between
/// `let v1 = Router::new()` and the end of that statement get `/v1`, the admin router `/admin`.
fn routes_in(file: &str, prefix_of: impl Fn(usize) -> &'static str) -> BTreeSet<(String, String)> {
    let source = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../src-tauri/gateway/src")
            .join(file),
    )
    .unwrap();
    let mut found = BTreeSet::new();
    let mut rest = 0;
    while let Some(at) = source[rest..].find(".route(") {
        let start = rest + at + ".route(".len();
        // The call's text up to its matching parenthesis.
        let mut depth = 1;
        let mut end = start;
        for (i, c) in source[start..].char_indices() {
            match c {
                '(' => depth += 1,
                ')' => depth -= 1,
                _ => {}
            }
            if depth == 0 {
                end = start + i;
                break;
            }
        }
        let call = &source[start..end];
        let path = call.split('"').nth(1).expect("a route path literal");
        for method in ["get", "post", "put", "delete"] {
            let opens = call.match_indices(&format!("{method}(")).any(|(i, _)| {
                i == 0 || !call[..i].ends_with(|c: char| c.is_alphanumeric() || c == '_')
            });
            if opens {
                found.insert((method.to_owned(), format!("{}{path}", prefix_of(start))));
            }
        }
        rest = end;
    }
    found
}

fn served_routes() -> BTreeSet<(String, String)> {
    let mod_rs = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../src-tauri/gateway/src/api/mod.rs"),
    )
    .unwrap();
    let v1_start = mod_rs
        .find("let v1 = Router::new()")
        .expect("the /v1 router");
    let v1_end = v1_start + mod_rs[v1_start..].find(";\n").unwrap();
    let mut all = routes_in("api/mod.rs", |at| {
        if (v1_start..v1_end).contains(&at) {
            "/v1"
        } else {
            ""
        }
    });
    all.extend(routes_in("api/admin/mod.rs", |_| "/admin"));
    all
}

async fn document(gw: &Gw) -> Value {
    let response = reqwest::get(format!("{}/openapi.json", gw.base))
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "served without a key");
    response.json().await.unwrap()
}

fn described(doc: &Value) -> BTreeSet<(String, String)> {
    doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .unwrap()
                .keys()
                .map(move |method| (method.clone(), path.clone()))
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_of_the_router_is_described_and_every_description_is_served() {
    let gw = start().await;
    let doc = document(&gw).await;
    assert_eq!(
        doc["openapi"].as_str().unwrap().split('.').next(),
        Some("3")
    );
    let described = described(&doc);
    let served = served_routes();
    assert!(served.len() >= 25, "the source scan found {served:?}");
    let missing: Vec<_> = served.difference(&described).collect();
    assert!(
        missing.is_empty(),
        "routes without a description: {missing:?}"
    );

    let http = reqwest::Client::new();
    for (method, path) in &described {
        let url = format!("{}{}", gw.base, path.replace("{id}", "nothing_here"));
        let request = match method.as_str() {
            "get" => http.get(&url),
            "head" => http.head(&url),
            "post" => http.post(&url).json(&serde_json::json!({})),
            "put" => http.put(&url).json(&serde_json::json!({})),
            "delete" => http.delete(&url),
            other => panic!("unexpected method {other}"),
        };
        let response = request
            .bearer_auth(KEY)
            .header("anthropic-version", "2023-06-01")
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let body = response.text().await.unwrap_or_default();
        assert_ne!(status, 405, "{method} {path}: {body}");
        assert!(
            !body.contains("Unknown route") && !body.contains("Unknown admin route"),
            "{method} {path} is described but not served: {status} {body}"
        );
    }

    // Keyed operations say so; the gateway's own answers have generated schemas.
    let usage = &doc["paths"]["/v1/usage"]["get"];
    assert_eq!(usage["security"].as_array().unwrap().len(), 2);
    let schema = &doc["components"]["schemas"]["UsageAnswer"];
    for field in ["object", "account", "gateway"] {
        assert!(schema["properties"][field].is_object(), "{schema}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_docs_page_loads_only_from_the_gateway() {
    let gw = start().await;
    let page = reqwest::get(format!("{}/docs", gw.base)).await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let csp = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(csp.contains("script-src 'self'"), "{csp}");
    let html = page.text().await.unwrap();
    for needed in ["/ui/docs.js", "/ui/styles.css"] {
        assert!(html.contains(needed), "{html}");
        let asset = reqwest::get(format!("{}{needed}", gw.base)).await.unwrap();
        assert_eq!(asset.status(), 200, "{needed}");
    }
    assert!(
        !html.contains("https://"),
        "nothing from the network: {html}"
    );
    let script = reqwest::get(format!("{}/ui/docs.js", gw.base))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(script.contains("fetch('/openapi.json')"));
    assert!(!script.contains("https://"));
}
