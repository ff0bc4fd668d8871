//! Credentials: discovery, refresh, single-flight, adoption, write-back, profiles.
//! Real files in temp dirs, real SQLite files, a real loopback HTTP fake.

use crate::credentials_support;

use std::time::Duration;

use credentials_support::*;
use kiro_gateway::credentials::{
    client_id_hash, AuthKind, CredentialError, Credentials, SOCIAL_SHARED_PROFILE_ARN,
};
use kiro_gateway::logs::Redactor;
use kiro_gateway::Secret;
use serde_json::json;

const ARN_US: &str = "arn:aws:codewhisperer:us-east-1:111122223333:profile/TOKENPROFILE";
const ARN_EU: &str = "arn:aws:codewhisperer:eu-central-1:444455556666:profile/EUPROFILE";
const ARN_IDE: &str = "arn:aws:codewhisperer:us-east-1:777788889999:profile/IDEPROFILE";
const ARN_SET: &str = "arn:aws:codewhisperer:eu-central-1:123456789012:profile/SETTING";

fn social_file(access: &str, refresh: &str, expires_in: i64) -> serde_json::Value {
    json!({
        "accessToken": access,
        "refreshToken": refresh,
        "profileArn": ARN_US,
        "expiresAt": iso_in(expires_in),
        "authMethod": "social",
        "provider": "Google",
        "customField": {"keep": ["me", 1]},
    })
}

fn idc_file(access: &str, refresh: &str, expires_in: i64) -> serde_json::Value {
    json!({
        "accessToken": access,
        "refreshToken": refresh,
        "expiresAt": iso_in(expires_in),
        "clientIdHash": "e909a0580879b06ece1202964fbe9dda95ea4ce3",
        "authMethod": "IdC",
        "provider": "BuilderId",
        "region": "us-east-1",
        "ideOnlyField": 42,
    })
}

fn write_registration(env: &Env) {
    write_json(
        &env.cache_dir().join(format!(
            "{}.json",
            client_id_hash("https://view.awsapps.com/start")
        )),
        &json!({"clientId": CLIENT_ID, "clientSecret": CLIENT_SECRET, "expiresAt": iso_in(86400 * 30)}),
    );
}

// ---------------------------------------------------------------- discovery

#[tokio::test]
async fn ide_social_file_is_discovered_and_used_without_refresh() {
    let env = Env::new();
    let fake = Fake::start().await;
    write_json(
        &env.token_file(),
        &social_file("aoa-ide-access-0001", "aor-ide-refresh-0001", 3600),
    );
    let creds = discover(env.settings(Some(&fake))).await;
    let t = creds.access_token().await.unwrap();
    assert_eq!(t.token.expose(), "aoa-ide-access-0001");
    assert_eq!(t.auth_kind, AuthKind::Social);
    assert_eq!(t.profile_arn.as_deref(), Some(ARN_US));
    assert_eq!(t.api_region, "us-east-1");
    assert_eq!(t.machine_id.len(), 64);
    assert!(t
        .machine_id
        .chars()
        .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
    assert_eq!(fake.refresh_calls(), 0);

    let status = creds.status();
    assert!(
        status.source.contains("kiro-auth-token.json"),
        "{}",
        status.source
    );
    assert!(!status.read_only);
    let shown = serde_json::to_string(&status).unwrap() + &format!("{t:?}");
    assert!(!shown.contains("aoa-ide-access-0001") && !shown.contains("aor-ide-refresh-0001"));

    // Stable per credential: same source → same id; not derived from the refresh token.
    let again = discover(env.settings(Some(&fake))).await;
    assert_eq!(again.machine_id(), creds.machine_id());
}

#[tokio::test]
async fn nothing_found_lists_every_place_looked_at() {
    let env = Env::new();
    let err = Credentials::discover(env.settings(None), reqwest::Client::new(), Redactor::new())
        .await
        .err()
        .expect("must fail");
    let CredentialError::NotFound(msg) = &err else {
        panic!("expected NotFound, got {err:?}")
    };
    assert!(msg.contains("kiro-auth-token.json"), "{msg}");
    assert!(
        msg.contains(&env.cli_db("kiro-cli").display().to_string()),
        "{msg}"
    );
    assert!(
        msg.contains(&env.cli_db("amazon-q").display().to_string()),
        "{msg}"
    );
    assert!(msg.contains("REFRESH_TOKEN"), "{msg}");
    assert!(err.hint().contains("kiro-cli login"));
}

#[tokio::test]
async fn malformed_token_file_is_invalid_naming_the_file_not_the_token() {
    let env = Env::new();
    std::fs::create_dir_all(env.cache_dir()).unwrap();
    std::fs::write(
        env.token_file(),
        r#"{"accessToken":"aoa-SECRET-VALUE-1","refreshToken":"#,
    )
    .unwrap();
    let err = Credentials::discover(env.settings(None), reqwest::Client::new(), Redactor::new())
        .await
        .err()
        .unwrap();
    let CredentialError::Invalid(msg) = &err else {
        panic!("expected Invalid, got {err:?}")
    };
    assert!(msg.contains("kiro-auth-token.json"));
    assert!(!msg.contains("aoa-SECRET-VALUE-1"));
}

#[tokio::test]
async fn explicit_settings_win_over_discovery() {
    let env = Env::new();
    write_json(
        &env.token_file(),
        &social_file("aoa-ide-access-0001", "aor-ide-refresh-0001", 3600),
    );
    make_db(
        &env.cli_db("kiro-cli"),
        &[(
            "kirocli:social:token",
            json!({"access_token": "aoa-db-access-01", "refresh_token": "aor-db-refresh-01", "expires_at": iso_in(3600)}),
        )],
        &[],
    );
    let explicit = env.dir.path().join("elsewhere").join("my-creds.json");
    write_json(
        &explicit,
        &social_file("aoa-explicit-access1", "aor-explicit-refresh", 3600),
    );

    let mut s = env.settings(None);
    s.creds_file = Some(explicit.clone());
    let creds = discover(s).await;
    assert_eq!(
        creds.access_token().await.unwrap().token.expose(),
        "aoa-explicit-access1"
    );
    assert!(creds.status().source.contains("KIRO_CREDS_FILE"));

    let mut s = env.settings(None);
    s.cli_db_file = Some(env.cli_db("kiro-cli"));
    let creds = discover(s).await;
    assert_eq!(
        creds.access_token().await.unwrap().token.expose(),
        "aoa-db-access-01"
    );

    // Without explicit settings the IDE file comes first.
    let creds = discover(env.settings(None)).await;
    assert_eq!(
        creds.access_token().await.unwrap().token.expose(),
        "aoa-ide-access-0001"
    );

    // A missing explicit file is an error, not a silent fallback.
    let mut s = env.settings(None);
    s.creds_file = Some(env.dir.path().join("missing.json"));
    let err = Credentials::discover(s, reqwest::Client::new(), Redactor::new())
        .await
        .err()
        .unwrap();
    assert!(
        matches!(err, CredentialError::NotFound(ref m) if m.contains("missing.json")),
        "{err:?}"
    );
}

#[tokio::test]
async fn every_cli_key_variant_is_found_with_its_auth_kind() {
    let cases = [
        ("kirocli:external-idp:token", AuthKind::ExternalIdp),
        ("kirocli:social:token", AuthKind::Social),
        ("kirocli:odic:token", AuthKind::Oidc),
        ("codewhisperer:odic:token", AuthKind::Oidc),
    ];
    for (program, (key, kind)) in ["kiro-cli", "amazon-q"]
        .iter()
        .flat_map(|p| cases.iter().map(move |c| (p, c)))
    {
        let env = Env::new();
        make_db(
            &env.cli_db(program),
            &[(
                key,
                json!({"access_token": "aoa-cli-access-001", "refresh_token": "aor-cli-refresh-01", "expires_at": iso_in(3600), "region": "us-east-1"}),
            )],
            &[],
        );
        let creds = discover(env.settings(None)).await;
        let status = creds.status();
        assert_eq!(status.auth_kind, *kind, "{program} {key}");
        assert!(status.source.contains(key), "{}", status.source);
        assert!(status
            .source
            .contains(&env.cli_db(program).display().to_string()));
    }
}

#[tokio::test]
async fn cli_key_priority_follows_jw_order() {
    let env = Env::new();
    let tok = |a: &str| json!({"access_token": a, "refresh_token": "aor-cli-refresh-01", "expires_at": iso_in(3600)});
    make_db(
        &env.cli_db("kiro-cli"),
        &[
            ("codewhisperer:odic:token", tok("aoa-q-odic-access1")),
            ("kirocli:odic:token", tok("aoa-kirocli-odic-01")),
            ("kirocli:social:token", tok("aoa-kirocli-social1")),
        ],
        &[],
    );
    let creds = discover(env.settings(None)).await;
    assert_eq!(
        creds.access_token().await.unwrap().token.expose(),
        "aoa-kirocli-social1"
    );
    assert_eq!(creds.status().auth_kind, AuthKind::Social);
}

#[tokio::test]
async fn state_profile_is_read_from_text_and_blob_values() {
    for as_blob in [true, false] {
        let env = Env::new();
        make_db(
            &env.cli_db("kiro-cli"),
            &[(
                "kirocli:odic:token",
                json!({"access_token": "aoa-cli-access-001", "refresh_token": "aor-cli-refresh-01", "expires_at": iso_in(3600), "region": "us-east-1"}),
            )],
            &[(
                "api.codewhisperer.profile",
                json!({"arn": ARN_EU, "profile_name": "eu"}),
                as_blob,
            )],
        );
        let creds = discover(env.settings(None)).await;
        let t = creds.access_token().await.unwrap();
        assert_eq!(t.profile_arn.as_deref(), Some(ARN_EU), "blob={as_blob}");
        assert_eq!(
            t.api_region, "eu-central-1",
            "API region follows the profile ARN"
        );
    }
}

#[tokio::test]
async fn nine_digit_fractional_expiry_is_parsed() {
    let env = Env::new();
    make_db(
        &env.cli_db("kiro-cli"),
        &[(
            "kirocli:odic:token",
            json!({"access_token": "aoa-cli-access-001", "refresh_token": "aor-cli-refresh-01", "expires_at": "2099-01-02T10:11:12.123456789Z"}),
        )],
        &[],
    );
    let creds = discover(env.settings(None)).await;
    let exp = creds.status().expires_at.unwrap();
    assert_eq!(
        exp.to_rfc3339_opts(chrono::SecondsFormat::Nanos, true),
        "2099-01-02T10:11:12.123456789Z"
    );
}

// ---------------------------------------------------------------- refresh

#[tokio::test]
async fn social_refresh_request_shape_rotation_and_unknown_fields() {
    let env = Env::new();
    let fake = Fake::start().await;
    fake.allow_refresh("aor-ide-refresh-0001");
    write_json(
        &env.token_file(),
        &social_file("aoa-old-access-0001", "aor-ide-refresh-0001", -60),
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(env.token_file(), std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let creds = discover(env.settings(Some(&fake))).await;
    let before = chrono::Utc::now();
    let t = creds.access_token().await.unwrap();
    assert_eq!(t.token.expose(), "aoa-fresh-access-0001");
    assert_eq!(t.generation, 2);
    assert_eq!(fake.refresh_calls(), 1);

    let req = &fake.requests("/refreshToken")[0];
    assert_eq!(req.json(), json!({"refreshToken": "aor-ide-refresh-0001"}));
    assert!(req
        .header("content-type")
        .unwrap()
        .starts_with("application/json"));
    let ua = req.header("user-agent").unwrap();
    assert!(ua.starts_with("KiroIDE-"), "{ua}");
    assert!(ua.ends_with(&format!("-{}", creds.machine_id())), "{ua}");

    let disk = read_json(&env.token_file());
    assert_eq!(disk["accessToken"], "aoa-fresh-access-0001");
    assert_eq!(
        disk["refreshToken"], "aor-rotated-refresh-0001",
        "rotated refresh token persisted"
    );
    assert_eq!(
        disk["customField"],
        json!({"keep": ["me", 1]}),
        "unknown fields preserved"
    );
    assert_eq!(disk["provider"], "Google");
    assert_eq!(disk["profileArn"], ARN_US, "stored profile kept");
    // On disk: the real expiry (now + 3600 s), no safety margin.
    let exp = chrono::DateTime::parse_from_rfc3339(disk["expiresAt"].as_str().unwrap()).unwrap();
    let secs = (exp.with_timezone(&chrono::Utc) - before).num_seconds();
    assert!((3595..=3605).contains(&secs), "expiresAt {secs}s ahead");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(env.token_file())
            .unwrap()
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o600);
    }
    let status = creds.status();
    assert_eq!(status.refresh_count, 1);
    assert!(status.last_refresh_error.is_none());

    // Within the proactive window (≤ 5 min left) the token is refreshed again, once.
    write_json(
        &env.token_file(),
        &social_file("aoa-old-access-0001", "aor-rotated-refresh-0001", 120),
    );
    let creds = discover(env.settings(Some(&fake))).await;
    assert_eq!(
        creds.access_token().await.unwrap().token.expose(),
        "aoa-fresh-access-0002"
    );
    assert_eq!(
        creds.access_token().await.unwrap().token.expose(),
        "aoa-fresh-access-0002"
    );
    assert_eq!(fake.refresh_calls(), 2);
}

#[tokio::test]
async fn oidc_refresh_via_client_id_hash_registration() {
    let env = Env::new();
    let fake = Fake::start().await;
    fake.allow_refresh("aor-idc-refresh-0001");
    write_json(
        &env.token_file(),
        &idc_file("aoa-idc-access-0001", "aor-idc-refresh-0001", -10),
    );
    write_registration(&env);
    let creds = discover(env.settings(Some(&fake))).await;
    assert_eq!(creds.status().auth_kind, AuthKind::Oidc);
    let t = creds.access_token().await.unwrap();
    assert_eq!(t.token.expose(), "aoa-fresh-access-0001");
    let req = &fake.requests("/token")[0];
    assert_eq!(
        req.json(),
        json!({"clientId": CLIENT_ID, "clientSecret": CLIENT_SECRET, "refreshToken": "aor-idc-refresh-0001", "grantType": "refresh_token"}),
        "camelCase JSON, no scope"
    );
    assert!(req
        .header("content-type")
        .unwrap()
        .starts_with("application/json"));
    let disk = read_json(&env.token_file());
    assert_eq!(disk["refreshToken"], "aor-rotated-refresh-0001");
    assert_eq!(disk["ideOnlyField"], 42);
    assert_eq!(
        disk["clientIdHash"],
        "e909a0580879b06ece1202964fbe9dda95ea4ce3"
    );
    assert!(
        disk.get("profileArn").is_none(),
        "no profileArn invented for IdC"
    );
    assert!(
        disk.get("clientSecret").is_none(),
        "registration not copied into the token file"
    );
}

#[tokio::test]
async fn inline_client_credentials_use_oidc() {
    let env = Env::new();
    let fake = Fake::start().await;
    fake.allow_refresh("aor-inline-refresh01");
    let path = env.dir.path().join("creds.json");
    write_json(
        &path,
        &json!({"refreshToken": "aor-inline-refresh01", "clientId": CLIENT_ID, "clientSecret": CLIENT_SECRET, "region": "eu-west-1"}),
    );
    let mut s = env.settings(Some(&fake));
    s.creds_file = Some(path);
    let creds = discover(s).await;
    assert_eq!(creds.status().auth_kind, AuthKind::Oidc);
    assert_eq!(
        creds.access_token().await.unwrap().token.expose(),
        "aoa-fresh-access-0001"
    );
    assert_eq!(fake.requests("/token").len(), 1);
}

#[tokio::test]
async fn invalid_grant_is_a_permanent_rejection() {
    let env = Env::new();
    let fake = Fake::start().await; // knows no refresh token
    write_json(
        &env.token_file(),
        &social_file("aoa-old-access-0001", "aor-revoked-refresh1", -60),
    );
    let creds = discover(env.settings(Some(&fake))).await;
    let err = creds.access_token().await.unwrap_err();
    assert!(
        matches!(err, CredentialError::RefreshRejected(_)),
        "{err:?}"
    );
    assert!(err.hint().contains("sign in again"));
    let text = err.to_string();
    assert!(text.contains("invalid_grant"), "{text}");
    assert!(!text.contains("aor-revoked-refresh1") && !text.contains("aoa-old-access-0001"));
    let status = creds.status();
    assert!(status.last_refresh_error.unwrap().contains("invalid_grant"));

    // Same for OIDC.
    let env = Env::new();
    write_json(
        &env.token_file(),
        &idc_file("aoa-idc-access-0001", "aor-idc-revoked-001", -10),
    );
    write_registration(&env);
    let creds = discover(env.settings(Some(&fake))).await;
    assert!(matches!(
        creds.access_token().await,
        Err(CredentialError::RefreshRejected(_))
    ));
}

#[tokio::test]
async fn a_rejected_refresh_token_is_not_sent_again_but_a_new_login_is_used() {
    let env = Env::new();
    let fake = Fake::start().await;
    write_json(
        &env.token_file(),
        &social_file("aoa-old-access-0001", "aor-revoked-refresh1", -60),
    );
    let creds = discover(env.settings(Some(&fake))).await;
    for _ in 0..3 {
        assert!(matches!(
            creds.access_token().await,
            Err(CredentialError::RefreshRejected(ref m)) if m.contains("invalid_grant")
        ));
    }
    assert_eq!(fake.refresh_calls(), 1, "the endpoint already said no");

    // The user signs in again: the new refresh token is used.
    fake.allow_refresh("aor-new-login-00001");
    write_json(
        &env.token_file(),
        &social_file("aoa-old-access-0001", "aor-new-login-00001", -60),
    );
    let token = creds.access_token().await.unwrap();
    assert_eq!(token.token.expose(), "aoa-fresh-access-0001");
    assert_eq!(fake.refresh_calls(), 2);
}

#[tokio::test]
async fn network_and_server_errors_are_transient() {
    let env = Env::new();
    let fake = Fake::start().await;
    fake.allow_refresh("aor-ide-refresh-0001");
    fake.set(|s| s.fail_status = Some(503));
    write_json(
        &env.token_file(),
        &social_file("aoa-old-access-0001", "aor-ide-refresh-0001", -60),
    );
    let creds = discover(env.settings(Some(&fake))).await;
    let err = creds.access_token().await.unwrap_err();
    assert!(matches!(err, CredentialError::RefreshFailed(_)), "{err:?}");
    fake.set(|s| s.fail_status = Some(429));
    assert!(matches!(
        creds.access_token().await,
        Err(CredentialError::RefreshFailed(_))
    ));

    let mut s = env.settings(None);
    s.refresh_url = Some("http://127.0.0.1:1/refreshToken".into());
    let creds = discover(s).await;
    let err = creds.access_token().await.unwrap_err();
    assert!(matches!(err, CredentialError::RefreshFailed(_)), "{err:?}");

    // A token still valid for a few minutes keeps working when the proactive refresh fails.
    write_json(
        &env.token_file(),
        &social_file("aoa-still-valid-0001", "aor-ide-refresh-0001", 200),
    );
    let mut s = env.settings(None);
    s.refresh_url = Some("http://127.0.0.1:1/refreshToken".into());
    let creds = discover(s).await;
    assert_eq!(
        creds.access_token().await.unwrap().token.expose(),
        "aoa-still-valid-0001"
    );
    assert!(creds.status().last_refresh_error.is_some());
}

#[tokio::test]
async fn refresh_token_setting_is_social_and_memory_only() {
    let env = Env::new();
    let fake = Fake::start().await;
    fake.allow_refresh("aor-env-refresh-00001");
    let mut s = env.settings(Some(&fake));
    s.refresh_token = Some(Secret::new("aor-env-refresh-00001".to_owned()));
    s.region = Some("eu-central-1".into());
    let creds = discover(s).await;
    let t = creds.access_token().await.unwrap();
    assert_eq!(t.token.expose(), "aoa-fresh-access-0001");
    assert_eq!(t.auth_kind, AuthKind::Social);
    assert_eq!(
        t.profile_arn.as_deref(),
        Some(SOCIAL_SHARED_PROFILE_ARN),
        "from the refresh response"
    );
    let status = creds.status();
    assert!(status.read_only);
    assert!(status.source.contains("REFRESH_TOKEN"));
}

#[tokio::test]
async fn api_keys_are_never_refreshed() {
    let env = Env::new();
    let fake = Fake::start().await;
    let path = env.dir.path().join("key.json");
    write_json(
        &path,
        &json!({"kiroApiKey": "ksk_0123456789abcdef", "authMethod": "api_key"}),
    );
    let mut s = env.settings(Some(&fake));
    s.creds_file = Some(path);
    let creds = discover(s).await;
    let t = creds.access_token().await.unwrap();
    assert_eq!(t.auth_kind, AuthKind::ApiKey);
    assert_eq!(t.token.expose(), "ksk_0123456789abcdef");
    let err = creds.on_rejected(&t).await.unwrap_err();
    assert!(matches!(err, CredentialError::RefreshRejected(_)));
    assert_eq!(fake.refresh_calls(), 0);
    assert!(
        fake.requests("/List-Available-Profiles").is_empty(),
        "ksk_ keys get 403 there"
    );
}

#[tokio::test]
async fn external_idp_refreshes_at_its_token_endpoint() {
    let env = Env::new();
    let fake = Fake::start().await;
    fake.allow_refresh("ext-refresh-token-01");
    write_json(
        &env.token_file(),
        &json!({
            "accessToken": "ext-access-token-001",
            "refreshToken": "ext-refresh-token-01",
            "expiresAt": iso_in(-60),
            "authMethod": "external_idp",
            "provider": "ExternalIdp",
            "tokenEndpoint": fake.url("/oauth2/token"),
            "issuerUrl": fake.url("/"),
            "clientId": "entra-client-id",
            "scopes": ["api://kiro/.default", "offline_access"],
        }),
    );
    let creds = discover(env.settings(Some(&fake))).await;
    let t = creds.access_token().await.unwrap();
    assert_eq!(t.auth_kind, AuthKind::ExternalIdp);
    assert_eq!(t.token.expose(), "aoa-fresh-access-0001");
    let req = &fake.requests("/oauth2/token")[0];
    assert!(req.body.contains("grant_type=refresh_token"));
    assert!(req.body.contains("client_id=entra-client-id"));
    assert!(req.body.contains("refresh_token=ext-refresh-token-01"));
    assert!(fake.requests("/refreshToken").is_empty() && fake.requests("/token").is_empty());
    assert_eq!(
        read_json(&env.token_file())["refreshToken"],
        "aor-rotated-refresh-0001"
    );
}

// ---------------------------------------------------------------- single-flight

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn hundred_concurrent_callers_cause_exactly_one_refresh() {
    let env = Env::new();
    let fake = Fake::start().await;
    fake.allow_refresh("aor-ide-refresh-0001");
    fake.set(|s| s.delay = Duration::from_millis(300));
    write_json(
        &env.token_file(),
        &social_file("aoa-old-access-0001", "aor-ide-refresh-0001", -60),
    );
    let creds = discover(env.settings(Some(&fake))).await;
    let tasks: Vec<_> = (0..100)
        .map(|_| {
            let c = creds.clone();
            tokio::spawn(async move { c.access_token().await })
        })
        .collect();
    for t in tasks {
        let tok = t.await.unwrap().unwrap();
        assert_eq!(tok.token.expose(), "aoa-fresh-access-0001");
        assert_eq!(tok.generation, 2);
    }
    assert_eq!(fake.refresh_calls(), 1);
    assert_eq!(creds.status().refresh_count, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn on_rejected_refreshes_once_and_ignores_stale_generations() {
    let env = Env::new();
    let fake = Fake::start().await;
    fake.allow_refresh("aor-ide-refresh-0001");
    fake.set(|s| s.delay = Duration::from_millis(100));
    write_json(
        &env.token_file(),
        &social_file("aoa-valid-access-001", "aor-ide-refresh-0001", 3600),
    );
    let creds = discover(env.settings(Some(&fake))).await;
    let first = creds.access_token().await.unwrap();
    assert_eq!(first.generation, 1);

    // Ten requests see the same 403 at once: one refresh.
    let tasks: Vec<_> = (0..10)
        .map(|_| {
            let (c, f) = (creds.clone(), first.clone());
            tokio::spawn(async move { c.on_rejected(&f).await })
        })
        .collect();
    for t in tasks {
        let tok = t.await.unwrap().unwrap();
        assert_eq!(tok.token.expose(), "aoa-fresh-access-0001");
        assert_eq!(tok.generation, 2);
    }
    assert_eq!(fake.refresh_calls(), 1);

    // A late 403 for the old token: no refresh, the newer token comes back.
    let again = creds.on_rejected(&first).await.unwrap();
    assert_eq!(again.generation, 2);
    assert_eq!(fake.refresh_calls(), 1);

    // A 403 for the current token refreshes again.
    let third = creds.on_rejected(&again).await.unwrap();
    assert_eq!(third.generation, 3);
    assert_eq!(third.token.expose(), "aoa-fresh-access-0002");
    assert_eq!(fake.refresh_calls(), 2);
}

// ---------------------------------------------------------------- adoption

/// What the IDE does: write a temp file next to the token file, then rename over it.
fn ide_replace(env: &Env, value: &serde_json::Value, n: usize) {
    let tmp = env
        .cache_dir()
        .join(format!("kiro-auth-token.json.tmp-{n}"));
    std::fs::write(&tmp, serde_json::to_vec_pretty(value).unwrap()).unwrap();
    std::fs::rename(&tmp, env.token_file()).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watcher_adopts_tokens_written_by_rename_many_times() {
    let env = Env::new();
    let fake = Fake::start().await;
    write_json(
        &env.token_file(),
        &social_file("aoa-ide-access-0000", "aor-ide-refresh-0000", 3600),
    );
    let creds = discover(env.settings(Some(&fake))).await;
    let guard = creds.watch().unwrap();
    assert!(guard.is_active());
    tokio::time::sleep(Duration::from_millis(200)).await;

    for n in 1..=5usize {
        let access = format!("aoa-ide-access-{n:04}");
        ide_replace(
            &env,
            &social_file(&access, &format!("aor-ide-refresh-{n:04}"), 3600 + n as i64),
            n,
        );
        let c = creds.clone();
        let adopted = wait_until(Duration::from_secs(10), || {
            c.status().adopted_count == n as u64
        })
        .await;
        assert!(
            adopted,
            "replacement {n} not adopted (adopted_count {})",
            creds.status().adopted_count
        );
        let t = creds.access_token().await.unwrap();
        assert_eq!(t.token.expose(), &access);
        assert_eq!(t.generation, 1 + n as u64);
    }
    assert_eq!(fake.refresh_calls(), 0);
    assert_eq!(creds.status().refresh_count, 0);

    // After the guard is dropped, changes are no longer picked up by the watcher.
    drop(guard);
    tokio::time::sleep(Duration::from_millis(200)).await;
    ide_replace(
        &env,
        &social_file("aoa-ide-access-9999", "aor-ide-refresh-9999", 7200),
        99,
    );
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert_eq!(creds.status().adopted_count, 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watcher_adopts_tokens_kiro_cli_writes_into_its_database() {
    let env = Env::new();
    let fake = Fake::start().await;
    let db = env.cli_db("kiro-cli");
    make_db(
        &db,
        &[(
            "kirocli:social:token",
            json!({"access_token": "aoa-cli-access-001", "refresh_token": "aor-cli-refresh-01", "expires_at": iso_in(3600)}),
        )],
        &[],
    );
    let creds = discover(env.settings(Some(&fake))).await;
    let _guard = creds.watch().unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    {
        // kiro-cli updates the row in place.
        let conn = rusqlite::Connection::open(&db).unwrap();
        let v = json!({"access_token": "aoa-cli-access-002", "refresh_token": "aor-cli-refresh-02", "expires_at": iso_in(3700)});
        conn.execute(
            "UPDATE auth_kv SET value = ?1 WHERE key = 'kirocli:social:token'",
            [v.to_string()],
        )
        .unwrap();
    }
    let c = creds.clone();
    assert!(wait_until(Duration::from_secs(10), || c.status().adopted_count == 1).await);
    assert_eq!(
        creds.access_token().await.unwrap().token.expose(),
        "aoa-cli-access-002"
    );
    assert_eq!(fake.refresh_calls(), 0);
}

#[tokio::test]
async fn source_is_reread_before_refreshing() {
    let env = Env::new();
    let fake = Fake::start().await;
    fake.allow_refresh("aor-ide-refresh-0001");
    write_json(
        &env.token_file(),
        &social_file("aoa-expired-access-1", "aor-ide-refresh-0001", -60),
    );
    let creds = discover(env.settings(Some(&fake))).await;
    // The IDE refreshes meanwhile (no watcher running).
    ide_replace(
        &env,
        &social_file("aoa-ide-refreshed-01", "aor-ide-refresh-0002", 3600),
        1,
    );
    let t = creds.access_token().await.unwrap();
    assert_eq!(t.token.expose(), "aoa-ide-refreshed-01");
    assert_eq!(fake.refresh_calls(), 0);
    assert_eq!(creds.status().adopted_count, 1);
}

#[tokio::test]
async fn a_refresh_token_rotated_by_the_ide_is_used_for_our_refresh() {
    let env = Env::new();
    let fake = Fake::start().await;
    fake.allow_refresh("aor-ide-refresh-0002");
    write_json(
        &env.token_file(),
        &social_file("aoa-expired-access-1", "aor-ide-refresh-0001", -60),
    );
    let creds = discover(env.settings(Some(&fake))).await;
    // The IDE rotated the refresh token but its access token is expired too.
    ide_replace(
        &env,
        &social_file("aoa-expired-access-2", "aor-ide-refresh-0002", -30),
        1,
    );
    let t = creds.access_token().await.unwrap();
    assert_eq!(t.token.expose(), "aoa-fresh-access-0001");
    assert_eq!(
        fake.requests("/refreshToken")[0].json()["refreshToken"],
        "aor-ide-refresh-0002"
    );
}

#[tokio::test]
async fn signing_in_with_another_method_switches_the_refresh_flow() {
    let env = Env::new();
    let fake = Fake::start().await;
    fake.allow_refresh("aor-idc-refresh-0001");
    write_json(
        &env.token_file(),
        &social_file("aoa-expired-access-1", "aor-ide-refresh-0001", -60),
    );
    let creds = discover(env.settings(Some(&fake))).await;
    // The user signs in with Builder ID instead; that token is already expired too.
    write_registration(&env);
    ide_replace(
        &env,
        &idc_file("aoa-idc-expired-001", "aor-idc-refresh-0001", -30),
        1,
    );
    let t = creds.access_token().await.unwrap();
    assert_eq!(t.auth_kind, AuthKind::Oidc);
    assert_eq!(t.token.expose(), "aoa-fresh-access-0001");
    assert!(fake.requests("/refreshToken").is_empty());
    assert_eq!(fake.requests("/token").len(), 1);
}

// ---------------------------------------------------------------- write-back

#[tokio::test]
async fn sqlite_write_back_merges_in_one_transaction() {
    let env = Env::new();
    let fake = Fake::start().await;
    fake.allow_refresh("aor-cli-refresh-01");
    let db = env.cli_db("kiro-cli");
    let kirocli_reg = json!({"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "region": "us-east-1", "oauth_flow": "DeviceCode"});
    let q_reg = json!({"client_id": "client-id-amazon-q", "client_secret": "client-secret-amazon-q-xyz", "region": "us-east-1"});
    make_db(
        &db,
        &[
            (
                "kirocli:odic:token",
                json!({"access_token": "aoa-cli-access-001", "refresh_token": "aor-cli-refresh-01", "expires_at": "2020-01-01T00:00:00.123456789Z", "region": "us-east-1", "start_url": "https://view.awsapps.com/start", "oauth_flow": "DeviceCode", "scopes": ["codewhisperer:completions"]}),
            ),
            ("codewhisperer:odic:device-registration", q_reg.clone()),
            ("kirocli:odic:device-registration", kirocli_reg.clone()),
        ],
        &[(
            "api.codewhisperer.profile",
            json!({"arn": ARN_EU, "profile_name": "eu"}),
            true,
        )],
    );
    let creds = discover(env.settings(Some(&fake))).await;
    let t = creds.access_token().await.unwrap();
    assert_eq!(t.token.expose(), "aoa-fresh-access-0001");
    // The registration of the same prefix was used.
    assert_eq!(fake.requests("/token")[0].json()["clientId"], CLIENT_ID);

    let (tok, ty) = db_get(&db, "auth_kv", "kirocli:odic:token").unwrap();
    assert_eq!(ty, "text");
    assert_eq!(tok["access_token"], "aoa-fresh-access-0001");
    assert_eq!(tok["refresh_token"], "aor-rotated-refresh-0001");
    assert_eq!(tok["start_url"], "https://view.awsapps.com/start");
    assert_eq!(tok["oauth_flow"], "DeviceCode");
    assert_eq!(tok["scopes"], json!(["codewhisperer:completions"]));
    let exp = chrono::DateTime::parse_from_rfc3339(tok["expires_at"].as_str().unwrap()).unwrap();
    assert!(exp > chrono::Utc::now() + chrono::TimeDelta::minutes(55));
    assert_eq!(
        db_get(&db, "auth_kv", "kirocli:odic:device-registration")
            .unwrap()
            .0,
        kirocli_reg
    );
    assert_eq!(
        db_get(&db, "auth_kv", "codewhisperer:odic:device-registration")
            .unwrap()
            .0,
        q_reg
    );
    let (state, ty) = db_get(&db, "state", "api.codewhisperer.profile").unwrap();
    assert_eq!((state["arn"].as_str(), ty.as_str()), (Some(ARN_EU), "blob"));

    // A second gateway reading the database picks up the rotated token.
    let creds2 = discover(env.settings(Some(&fake))).await;
    assert_eq!(
        creds2.access_token().await.unwrap().token.expose(),
        "aoa-fresh-access-0001"
    );
    assert_eq!(fake.refresh_calls(), 1);
}

#[tokio::test]
async fn q_cli_token_prefers_the_q_registration() {
    let env = Env::new();
    let fake = Fake::start().await;
    fake.allow_refresh("aor-q-refresh-00001");
    fake.set(|s| {
        s.client_id = "client-id-amazon-q".into();
        s.client_secret = "client-secret-amazon-q-xyz".into();
    });
    make_db(
        &env.cli_db("amazon-q"),
        &[
            (
                "codewhisperer:odic:token",
                json!({"access_token": "aoa-q-access-00001", "refresh_token": "aor-q-refresh-00001", "expires_at": iso_in(-5)}),
            ),
            (
                "kirocli:odic:device-registration",
                json!({"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}),
            ),
            (
                "codewhisperer:odic:device-registration",
                json!({"client_id": "client-id-amazon-q", "client_secret": "client-secret-amazon-q-xyz"}),
            ),
        ],
        &[],
    );
    let creds = discover(env.settings(Some(&fake))).await;
    assert_eq!(
        creds.access_token().await.unwrap().token.expose(),
        "aoa-fresh-access-0001"
    );
}

#[tokio::test]
async fn read_only_file_keeps_the_token_in_memory() {
    let env = Env::new();
    let fake = Fake::start().await;
    fake.allow_refresh("aor-ide-refresh-0001");
    write_json(
        &env.token_file(),
        &social_file("aoa-old-access-0001", "aor-ide-refresh-0001", -60),
    );
    let before = std::fs::read(env.token_file()).unwrap();
    let mut perms = std::fs::metadata(env.token_file()).unwrap().permissions();
    perms.set_readonly(true);
    std::fs::set_permissions(env.token_file(), perms).unwrap();

    let creds = discover(env.settings(Some(&fake))).await;
    let t = creds.access_token().await.unwrap();
    assert_eq!(t.token.expose(), "aoa-fresh-access-0001");
    let status = creds.status();
    assert!(status.read_only);
    assert!(status.last_refresh_error.is_none());
    assert_eq!(
        std::fs::read(env.token_file()).unwrap(),
        before,
        "file untouched"
    );
    // The in-memory (rotated) token keeps being used; the stale disk copy is not re-adopted.
    assert_eq!(
        creds.access_token().await.unwrap().token.expose(),
        "aoa-fresh-access-0001"
    );
    let again = creds.on_rejected(&t).await.unwrap();
    assert_eq!(again.token.expose(), "aoa-fresh-access-0002");
    assert_eq!(
        fake.requests("/refreshToken")[1].json()["refreshToken"],
        "aor-rotated-refresh-0001"
    );
}

#[tokio::test]
async fn a_signed_out_or_damaged_file_is_not_rewritten() {
    let env = Env::new();
    let fake = Fake::start().await;
    fake.allow_refresh("aor-ide-refresh-0001");
    write_json(
        &env.token_file(),
        &social_file("aoa-old-access-0001", "aor-ide-refresh-0001", -60),
    );
    let creds = discover(env.settings(Some(&fake))).await;
    std::fs::remove_file(env.token_file()).unwrap(); // the user signed out in the IDE
    let t = creds.access_token().await.unwrap();
    assert_eq!(t.token.expose(), "aoa-fresh-access-0001");
    assert!(
        !env.token_file().exists(),
        "a signed-out login is not resurrected"
    );

    std::fs::write(env.token_file(), "{ half a file").unwrap();
    let t = creds.on_rejected(&t).await.unwrap();
    assert_eq!(t.token.expose(), "aoa-fresh-access-0002");
    assert_eq!(
        std::fs::read_to_string(env.token_file()).unwrap(),
        "{ half a file"
    );
}

#[tokio::test]
async fn read_only_database_keeps_the_token_in_memory() {
    let env = Env::new();
    let fake = Fake::start().await;
    fake.allow_refresh("aor-cli-refresh-01");
    let db = env.cli_db("kiro-cli");
    make_db(
        &db,
        &[(
            "kirocli:social:token",
            json!({"access_token": "aoa-cli-access-001", "refresh_token": "aor-cli-refresh-01", "expires_at": iso_in(-60)}),
        )],
        &[],
    );
    let mut perms = std::fs::metadata(&db).unwrap().permissions();
    perms.set_readonly(true);
    std::fs::set_permissions(&db, perms).unwrap();
    let creds = discover(env.settings(Some(&fake))).await;
    assert_eq!(
        creds.access_token().await.unwrap().token.expose(),
        "aoa-fresh-access-0001"
    );
    assert!(creds.status().read_only);
    assert_eq!(
        db_get(&db, "auth_kv", "kirocli:social:token").unwrap().0["access_token"],
        "aoa-cli-access-001"
    );
}

// ---------------------------------------------------------------- profileArn

#[tokio::test]
async fn explicit_profile_setting_wins() {
    let env = Env::new();
    write_json(
        &env.token_file(),
        &social_file("aoa-ide-access-0001", "aor-ide-refresh-0001", 3600),
    );
    let mut s = env.settings(None);
    s.profile_arn = Some(ARN_SET.into());
    let t = discover(s).await.access_token().await.unwrap();
    assert_eq!(t.profile_arn.as_deref(), Some(ARN_SET));
    assert_eq!(t.api_region, "eu-central-1");
}

#[tokio::test]
async fn token_profile_beats_ide_profile_file_which_beats_listing() {
    let env = Env::new();
    let fake = Fake::start().await;
    write_json(
        &env.ide_profile_file(),
        &json!({"arn": ARN_IDE, "name": "ide"}),
    );
    write_json(
        &env.token_file(),
        &social_file("aoa-ide-access-0001", "aor-ide-refresh-0001", 3600),
    );
    let t = discover(env.settings(Some(&fake)))
        .await
        .access_token()
        .await
        .unwrap();
    assert_eq!(t.profile_arn.as_deref(), Some(ARN_US));

    // IdC token file (no profileArn): the IDE's profile.json.
    write_json(
        &env.token_file(),
        &idc_file("aoa-idc-access-0001", "aor-idc-refresh-0001", 3600),
    );
    write_registration(&env);
    let t = discover(env.settings(Some(&fake)))
        .await
        .access_token()
        .await
        .unwrap();
    assert_eq!(t.profile_arn.as_deref(), Some(ARN_IDE));
    assert!(fake.requests("/List-Available-Profiles").is_empty());
}

#[tokio::test]
async fn list_available_profiles_is_the_fallback() {
    let env = Env::new();
    let fake = Fake::start().await;
    fake.set(|s| {
        s.issued_access.insert("aoa-idc-access-0001".into());
        s.profiles = Some(vec![
            "arn:aws:codewhisperer:us-east-1:1:profile/...".into(),
            ARN_EU.into(),
        ]);
    });
    write_json(
        &env.token_file(),
        &idc_file("aoa-idc-access-0001", "aor-idc-refresh-0001", 3600),
    );
    write_registration(&env);
    let creds = discover(env.settings(Some(&fake))).await;
    let t = creds.access_token().await.unwrap();
    assert_eq!(
        t.profile_arn.as_deref(),
        Some(ARN_EU),
        "first well-formed ARN"
    );
    assert_eq!(t.api_region, "eu-central-1");
    let reqs = fake.requests("/List-Available-Profiles");
    assert_eq!(reqs.len(), 1);
    assert_eq!(
        reqs[0].header("authorization"),
        Some("Bearer aoa-idc-access-0001")
    );
    assert_eq!(reqs[0].json(), json!({}));
    // Cached: no second call.
    creds.access_token().await.unwrap();
    assert_eq!(fake.requests("/List-Available-Profiles").len(), 1);
    assert_eq!(creds.status().profile_arn.as_deref(), Some(ARN_EU));
}

#[tokio::test]
async fn social_accounts_fall_back_to_the_shared_profile_idc_do_not() {
    let env = Env::new();
    let fake = Fake::start().await;
    fake.set(|s| {
        s.issued_access.insert("aoa-social-noarn-001".into());
        s.issued_access.insert("aoa-idc-access-0001".into());
        s.profiles = None; // 403
    });
    let mut file = social_file("aoa-social-noarn-001", "aor-ide-refresh-0001", 3600);
    file.as_object_mut().unwrap().remove("profileArn");
    write_json(&env.token_file(), &file);
    let t = discover(env.settings(Some(&fake)))
        .await
        .access_token()
        .await
        .unwrap();
    assert_eq!(t.profile_arn.as_deref(), Some(SOCIAL_SHARED_PROFILE_ARN));
    assert_eq!(fake.requests("/List-Available-Profiles").len(), 1);

    write_json(
        &env.token_file(),
        &idc_file("aoa-idc-access-0001", "aor-idc-refresh-0001", 3600),
    );
    write_registration(&env);
    let t = discover(env.settings(Some(&fake)))
        .await
        .access_token()
        .await
        .unwrap();
    assert_eq!(t.profile_arn, None);
    assert_eq!(t.api_region, "us-east-1");
}

// ---------------------------------------------------------------- atomic writes
