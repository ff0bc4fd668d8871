//! Several Kiro logins on one machine (a personal social login in the Kiro IDE's token file,
//! a work Builder ID login in kiro-cli's database), with the real headless binary: both are
//! listed, the user switches between them without a restart, a stream open during the switch
//! finishes on the login it began with, the choice survives a restart, and each account's
//! requests reach Kiro with that account's token only (never both, never rotated).

use std::time::Duration;

use kiro_gateway_tests::fake::fixtures::{write_kiro_cli_db, write_social_token_file, TempHome};
use kiro_gateway_tests::fake::{AccountSpec, Endpoint, FakeConfig, FakeKiro, Script, Trailers};
use kiro_gateway_tests::gateway_process::GatewayProcess;
use serde_json::{json, Value};

/// The fake's addresses, no credential source: the gateway finds the logins itself.
fn env(fake: &FakeKiro) -> Vec<(&'static str, String)> {
    vec![
        ("KIRO_API_URL", fake.runtime_url()),
        ("KIRO_MANAGEMENT_URL", fake.management_url()),
        ("KIRO_REFRESH_URL", fake.refresh_url()),
        ("KIRO_OIDC_URL", fake.oidc_url()),
    ]
}

async fn start(home: &TempHome, fake: &FakeKiro) -> GatewayProcess {
    let env = env(fake);
    let path = home.path().to_path_buf();
    tokio::task::spawn_blocking(move || GatewayProcess::start(&path, &env, &[]))
        .await
        .unwrap()
}

async fn call(
    gateway: &GatewayProcess,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut request = reqwest::Client::new()
        .request(method, format!("{}{path}", gateway.base_url))
        .bearer_auth(&gateway.api_key);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

async fn logins(gateway: &GatewayProcess) -> Value {
    let (status, body) = call(gateway, reqwest::Method::GET, "/admin/logins", None).await;
    assert_eq!(status, 200, "{body}");
    body
}

async fn switch(gateway: &GatewayProcess, id: &str) -> (u16, Value) {
    call(
        gateway,
        reqwest::Method::POST,
        "/admin/logins/switch",
        Some(json!({ "id": id })),
    )
    .await
}

fn ask() -> Value {
    json!({"model": "claude-sonnet-4.5", "messages": [{"role": "user", "content": "hi"}]})
}

/// The account each chat call reached Kiro with, in order.
fn chat_accounts(fake: &FakeKiro) -> Vec<String> {
    fake.requests_to(Endpoint::Chat)
        .into_iter()
        .filter(|r| r.status == 200)
        .map(|r| r.account.unwrap_or_default())
        .collect()
}

fn two_logins(fake: &FakeKiro, home: &TempHome) {
    fake.add_account(AccountSpec::oidc("work"));
    write_social_token_file(fake, home, "default", chrono::Duration::hours(1));
    write_kiro_cli_db(fake, home, "work", chrono::Duration::hours(1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_logins_are_listed_and_a_switch_moves_new_requests_to_the_other_account() {
    let fake = FakeKiro::start(FakeConfig::default()).await;
    let home = TempHome::new();
    two_logins(&fake, &home);
    let gateway = start(&home, &fake).await;

    let listed = logins(&gateway).await;
    let rows = listed["logins"].as_array().unwrap().clone();
    assert_eq!(rows.len(), 2, "{listed}");
    assert!(
        rows[0]["source"]
            .as_str()
            .unwrap()
            .starts_with("Kiro IDE token file"),
        "{listed}"
    );
    assert_eq!(rows[0]["auth_kind"], "social");
    assert_eq!(rows[0]["active"], true, "the IDE's login is found first");
    assert!(
        rows[1]["source"]
            .as_str()
            .unwrap()
            .starts_with("kiro-cli database"),
        "{listed}"
    );
    assert_eq!(rows[1]["auth_kind"], "oidc");
    assert_eq!(rows[1]["region"], "us-east-1");
    assert_eq!(rows[1]["active"], false);
    assert!(
        !listed
            .to_string()
            .contains(&fake.current_refresh_token("work")),
        "no token in the list"
    );

    assert_eq!(
        call(
            &gateway,
            reqwest::Method::POST,
            "/v1/chat/completions",
            Some(ask())
        )
        .await
        .0,
        200
    );
    let work = rows[1]["id"].as_str().unwrap().to_owned();
    let (status, after) = switch(&gateway, &work).await;
    assert_eq!(status, 200, "{after}");
    assert_eq!(after["active"], work.as_str());
    assert_eq!(
        call(
            &gateway,
            reqwest::Method::POST,
            "/v1/chat/completions",
            Some(ask())
        )
        .await
        .0,
        200
    );
    assert_eq!(chat_accounts(&fake), ["default", "work"]);

    // The health line names the login in use.
    let (_, health) = call(&gateway, reqwest::Method::GET, "/admin/status", None).await;
    assert!(
        health["credentials"]["source"]
            .as_str()
            .unwrap()
            .starts_with("kiro-cli database"),
        "{health}"
    );

    // An unknown id changes nothing.
    let (status, err) = switch(&gateway, "file:/nowhere/kiro-auth-token.json").await;
    assert_eq!(status, 404, "{err}");
    assert_eq!(err["code"], "login_not_found");
    let (status, err) = call(
        &gateway,
        reqwest::Method::POST,
        "/admin/logins/switch",
        Some(json!({})),
    )
    .await;
    assert_eq!(status, 400, "{err}");
    assert_eq!(logins(&gateway).await["active"], work.as_str());

    // The choice is remembered: the next start uses the work login again.
    drop(gateway);
    let settings =
        std::fs::read_to_string(home.path().join(".config/kiro-gateway/settings.toml")).unwrap();
    assert!(settings.contains(&work), "{settings}");
    let again = start(&home, &fake).await;
    assert_eq!(logins(&again).await["active"], work.as_str());
    assert_eq!(
        call(
            &again,
            reqwest::Method::POST,
            "/v1/chat/completions",
            Some(ask())
        )
        .await
        .0,
        200
    );
    assert_eq!(chat_accounts(&fake), ["default", "work", "work"]);
    // A settings edit cannot set the login behind the switch's back.
    let (status, err) = call(
        &again,
        reqwest::Method::PUT,
        "/admin/settings",
        Some(json!({"kiro_login": "x"})),
    )
    .await;
    assert_eq!(status, 400, "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_open_during_a_switch_finishes_on_the_login_it_began_with() {
    let fake = FakeKiro::start(FakeConfig::default()).await;
    let home = TempHome::new();
    two_logins(&fake, &home);
    let gateway = start(&home, &fake).await;
    let work = logins(&gateway).await["logins"][1]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    // A slow answer: four pieces 400 ms apart.
    let mut slow = Script::new();
    for piece in ["one ", "two ", "three ", "four"] {
        slow = slow.text(piece).sleep(Duration::from_millis(400));
    }
    fake.push_script(slow.trailers_as(Trailers::December, 1.0, 0.01));
    let mut body = ask();
    body["stream"] = json!(true);
    let response = reqwest::Client::new()
        .post(format!("{}/v1/chat/completions", gateway.base_url))
        .bearer_auth(&gateway.api_key)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let (status, answer) = switch(&gateway, &work).await;
    assert_eq!(status, 200, "{answer}");
    let text = response.text().await.unwrap();
    for piece in ["one", "two", "three", "four"] {
        assert!(
            text.contains(piece),
            "the open stream finished whole: {text}"
        );
    }
    assert!(text.contains("[DONE]"), "{text}");
    assert_eq!(
        call(
            &gateway,
            reqwest::Method::POST,
            "/v1/chat/completions",
            Some(ask())
        )
        .await
        .0,
        200
    );
    assert_eq!(
        chat_accounts(&fake),
        ["default", "work"],
        "one call each, no retry on the other login"
    );
}
