//! Refresh endpoints, OIDC, bearer checks, revocation and profileArn rules of the fake.

use std::time::Duration;

use kiro_gateway_tests::fake::{chat_body, AccountSpec, Endpoint, FakeConfig, FakeKiro};
use serde_json::{json, Value};

const BEARER_403: &str =
    r#"{"message":"The bearer token included in the request is invalid.","reason":null}"#;

async fn post(url: &str, body: &Value) -> (u16, String) {
    let r = reqwest::Client::new()
        .post(url)
        .json(body)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

async fn chat(fake: &FakeKiro, token: &str, body: &Value) -> (u16, String) {
    let r = reqwest::Client::new()
        .post(format!("{}/generateAssistantResponse", fake.runtime_url()))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (
        status,
        String::from_utf8_lossy(&r.bytes().await.unwrap()).into_owned(),
    )
}

#[tokio::test]
async fn social_refresh_success_and_invalid_grant() {
    let fake = FakeKiro::start(FakeConfig::default()).await;
    let acc = fake.account("default");
    assert!(acc.refresh_token.len() >= 100);
    let (status, body) = post(
        &fake.refresh_url(),
        &json!({"refreshToken": acc.refresh_token}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["expiresIn"], 3600);
    assert_eq!(v["profileArn"], acc.profile_arn.as_str());
    assert_eq!(
        v["refreshToken"],
        acc.refresh_token.as_str(),
        "no rotation by default"
    );
    let token = v["accessToken"].as_str().unwrap().to_string();
    // the issued token works
    let (status, _) = chat(&fake, &token, &chat_body(&acc.profile_arn, "hi", "auto")).await;
    assert_eq!(status, 200);

    let (status, body) = post(&fake.refresh_url(), &json!({"refreshToken": "aorNOPE"})).await;
    assert_eq!(status, 400);
    assert!(body.contains("invalid_grant") && body.contains("Invalid refresh token provided"));
    assert_eq!(fake.refresh_calls(), 2);
    assert_eq!(
        fake.requests_to(Endpoint::SocialRefresh)[0]
            .account
            .as_deref(),
        Some("default")
    );
}

#[tokio::test]
async fn rotation_invalidates_old_refresh_token() {
    let fake = FakeKiro::start(FakeConfig {
        rotate_refresh_tokens: true,
        ..Default::default()
    })
    .await;
    let old = fake.account("default").refresh_token;
    let (status, body) = post(&fake.refresh_url(), &json!({"refreshToken": old})).await;
    assert_eq!(status, 200);
    let v: Value = serde_json::from_str(&body).unwrap();
    let new = v["refreshToken"].as_str().unwrap();
    assert_ne!(new, old);
    assert_eq!(fake.current_refresh_token("default"), new);
    let (status, _) = post(&fake.refresh_url(), &json!({"refreshToken": old})).await;
    assert_eq!(status, 400);
    let (status, _) = post(&fake.refresh_url(), &json!({"refreshToken": new})).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn oidc_create_token_rules() {
    let mut cfg = FakeConfig::default();
    cfg.accounts.push(AccountSpec::oidc("builder"));
    cfg.rotate_refresh_tokens = true;
    let fake = FakeKiro::start(cfg).await;
    let acc = fake.account("builder");
    let (cid, secret) = acc.client_credentials().unwrap();
    let good = json!({"clientId": cid, "clientSecret": secret, "refreshToken": acc.refresh_token, "grantType": "refresh_token"});

    let (status, body) = post(&fake.oidc_url(), &good).await;
    assert_eq!(status, 200, "{body}");
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["tokenType"], "Bearer");
    assert_eq!(v["expiresIn"], 3600);
    assert_ne!(v["refreshToken"], acc.refresh_token.as_str());

    // old (rotated) refresh token → invalid_grant, exact body
    let (status, body) = post(&fake.oidc_url(), &good).await;
    assert_eq!(status, 400);
    assert_eq!(
        body,
        r#"{"error":"invalid_grant","error_description":"Invalid refresh token provided"}"#
    );

    // bad client
    let mut bad = good.clone();
    bad["clientSecret"] = "nope".into();
    let (status, body) = post(&fake.oidc_url(), &bad).await;
    assert_eq!(status, 401);
    assert!(body.contains("invalid_client"));

    // scope → invalid_request
    let mut scoped = good.clone();
    scoped["scope"] = "codewhisperer:completions".into();
    let (status, body) = post(&fake.oidc_url(), &scoped).await;
    assert_eq!(status, 400);
    assert!(body.contains("invalid_request"));

    // form-encoded → invalid_request
    let r = reqwest::Client::new()
        .post(fake.oidc_url())
        .header("content-type", "application/x-www-form-urlencoded")
        .body("grant_type=refresh_token&client_id=x")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    assert!(r.text().await.unwrap().contains("invalid_request"));

    // social endpoint does not know OIDC refresh tokens
    let (status, _) = post(
        &fake.refresh_url(),
        &json!({"refreshToken": fake.current_refresh_token("builder")}),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(fake.oidc_calls(), 5);
}

#[tokio::test]
async fn expired_unknown_and_revoked_bearer_get_exact_403() {
    let fake = FakeKiro::start(FakeConfig::default()).await;
    let arn = fake.account("default").profile_arn;
    let body = chat_body(&arn, "hi", "auto");
    let expired = fake.issue_access_token("default", chrono::Duration::seconds(-10));
    let (status, text) = chat(&fake, &expired.access_token, &body).await;
    assert_eq!((status, text.as_str()), (403, BEARER_403));
    let (status, text) = chat(&fake, "aoaUNKNOWN", &body).await;
    assert_eq!((status, text.as_str()), (403, BEARER_403));

    // token expiring mid-test
    let short = fake.issue_access_token("default", chrono::Duration::milliseconds(300));
    assert_eq!(chat(&fake, &short.access_token, &body).await.0, 200);
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(chat(&fake, &short.access_token, &body).await.0, 403);

    // revoke next 2 even for fresh tokens
    let fresh = fake.bearer("default");
    fake.revoke_next(2);
    assert_eq!(chat(&fake, &fresh, &body).await.0, 403);
    assert_eq!(chat(&fake, &fresh, &body).await.0, 403);
    assert_eq!(chat(&fake, &fresh, &body).await.0, 200);
    let reasons: Vec<_> = fake
        .requests_to(Endpoint::Chat)
        .iter()
        .map(|r| r.rejected_by.clone())
        .collect();
    assert_eq!(reasons[0].as_deref(), Some("auth_expired"));
    assert_eq!(reasons[1].as_deref(), Some("auth_unknown"));
    assert_eq!(reasons[5].as_deref(), Some("auth_revoked"));
    // x-amzn-RequestId on every answer
    let r = reqwest::Client::new()
        .post(fake.refresh_url())
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert!(r.headers().contains_key("x-amzn-requestid"));
}

#[tokio::test]
async fn profile_arn_rules() {
    let fake = FakeKiro::start(FakeConfig::default()).await;
    let token = fake.bearer("default");
    let mut body = chat_body("x", "hi", "auto");
    body.as_object_mut().unwrap().remove("profileArn");
    assert_eq!(
        chat(&fake, &token, &body).await,
        (
            400,
            r#"{"message":"profileArn is required for this request.","reason":null}"#.into()
        )
    );
    body["profileArn"] = "arn:aws:codewhisperer:us-east-1:...:profile/...".into();
    assert_eq!(
        chat(&fake, &token, &body).await,
        (
            400,
            r#"{"message":"Improperly formed request.","reason":"REQUEST_BODY_INVALID"}"#.into()
        )
    );
    body["profileArn"] = "arn:aws:codewhisperer:us-east-1:999999999999:profile/SOMEONEELSE".into();
    assert_eq!(chat(&fake, &token, &body).await.0, 403);
    // switch off the requirement
    fake.update(|c| c.require_profile_arn = false);
    body.as_object_mut().unwrap().remove("profileArn");
    assert_eq!(chat(&fake, &token, &body).await.0, 200);
}

#[tokio::test]
async fn api_key_needs_tokentype_header() {
    let fake = FakeKiro::start(FakeConfig::default()).await;
    let acc = fake.add_account(AccountSpec::api_key("robot"));
    let key = acc.api_key_value().unwrap();
    let body = chat_body(&acc.profile_arn, "hi", "auto");
    assert_eq!(chat(&fake, &key, &body).await.0, 403);
    let r = reqwest::Client::new()
        .post(format!("{}/generateAssistantResponse", fake.base_url()))
        .bearer_auth(&key)
        .header("tokentype", "API_KEY")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
}

#[tokio::test]
async fn legacy_q_personality_builder_id_with_arn_is_403() {
    let mut cfg = FakeConfig::default();
    cfg.accounts.push(AccountSpec::oidc("builder"));
    cfg.legacy_q_personality = true;
    let fake = FakeKiro::start(cfg).await;
    let token = fake.bearer("builder");
    let arn = fake.account("builder").profile_arn;
    let with_arn = chat_body(&arn, "hi", "auto");
    assert_eq!(
        chat(&fake, &token, &with_arn).await,
        (403, BEARER_403.into())
    );
    let mut without = with_arn.clone();
    without.as_object_mut().unwrap().remove("profileArn");
    assert_eq!(chat(&fake, &token, &without).await.0, 200);
    // social accounts still send theirs
    let social = fake.bearer("default");
    let arn = fake.account("default").profile_arn;
    assert_eq!(
        chat(&fake, &social, &chat_body(&arn, "hi", "auto")).await.0,
        200
    );
}

#[tokio::test]
async fn slow_refresh_is_recorded_before_it_answers() {
    let fake = FakeKiro::start(FakeConfig {
        refresh_delay: Duration::from_millis(300),
        ..Default::default()
    })
    .await;
    let rt = fake.account("default").refresh_token;
    let url = fake.refresh_url();
    let t0 = std::time::Instant::now();
    let call = tokio::spawn(async move { post(&url, &json!({"refreshToken": rt})).await });
    fake.wait_for(Endpoint::SocialRefresh, 1, Duration::from_secs(2))
        .await;
    assert!(t0.elapsed() < Duration::from_millis(250));
    assert_eq!(call.await.unwrap().0, 200);
    assert!(t0.elapsed() >= Duration::from_millis(300));
}
