//! Credential fixtures: IDE token files, IdC registration, kiro-cli SQLite, IDE rename rewrite.

use kiro_gateway_tests::fake::fixtures::{self, TempHome};
use kiro_gateway_tests::fake::{chat_body, AccountSpec, FakeConfig, FakeKiro};
use serde_json::Value;

#[test]
fn client_id_hash_matches_doc_values() {
    assert_eq!(
        fixtures::client_id_hash("https://view.awsapps.com/start"),
        "e909a0580879b06ece1202964fbe9dda95ea4ce3"
    );
    assert_eq!(
        fixtures::client_id_hash("https://amzn.awsapps.com/start"),
        "06df7ec90decadd0c5dd4ed2f245b2a59d1d8826"
    );
}

async fn chat_status(fake: &FakeKiro, token: &str, arn: &str) -> u16 {
    reqwest::Client::new()
        .post(format!("{}/generateAssistantResponse", fake.runtime_url()))
        .bearer_auth(token)
        .json(&chat_body(arn, "hi", "auto"))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn social_token_file_expired_then_ide_rewrite_by_rename() {
    let fake = FakeKiro::start(FakeConfig::default()).await;
    let home = TempHome::new();
    let (path, issued) =
        fixtures::write_social_token_file(&fake, &home, "default", chrono::Duration::minutes(-5));
    assert_eq!(
        path,
        home.path().join(".aws/sso/cache/kiro-auth-token.json")
    );
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("\n  \"accessToken\""), "2-space indented");
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["authMethod"], "social");
    assert!(v["expiresAt"].as_str().unwrap().ends_with('Z'));
    let arn = v["profileArn"].as_str().unwrap().to_string();
    assert_eq!(chat_status(&fake, &issued.access_token, &arn).await, 403);

    // keep an unknown field; the IDE rewrite must preserve it
    let mut v2 = v.clone();
    v2["someIdeField"] = "keep me".into();
    fixtures::write_json(&path, &v2);
    #[cfg(unix)]
    let ino_before = std::os::unix::fs::MetadataExt::ino(&std::fs::metadata(&path).unwrap());
    let new = fixtures::ide_rewrite_token_file(&fake, &path).await;
    #[cfg(unix)]
    assert_ne!(
        ino_before,
        std::os::unix::fs::MetadataExt::ino(&std::fs::metadata(&path).unwrap()),
        "replaced by rename"
    );
    let on_disk: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(on_disk, new);
    assert_eq!(on_disk["someIdeField"], "keep me");
    assert_eq!(fake.refresh_calls(), 1);
    assert_eq!(
        chat_status(&fake, on_disk["accessToken"].as_str().unwrap(), &arn).await,
        200
    );
    // no temp files left behind
    assert_eq!(std::fs::read_dir(home.sso_cache()).unwrap().count(), 1);
}

#[tokio::test]
async fn idc_token_file_and_registration() {
    let mut cfg = FakeConfig::default();
    cfg.accounts.push(AccountSpec::oidc("builder"));
    cfg.rotate_refresh_tokens = true;
    let fake = FakeKiro::start(cfg).await;
    let home = TempHome::new();
    let (path, _) =
        fixtures::write_idc_token_file(&fake, &home, "builder", chrono::Duration::hours(1));
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(v["authMethod"], "IdC");
    assert_eq!(v["provider"], "BuilderId");
    assert_eq!(
        v["clientIdHash"],
        "e909a0580879b06ece1202964fbe9dda95ea4ce3"
    );
    assert!(v.get("profileArn").is_none());
    let reg_path = home
        .sso_cache()
        .join("e909a0580879b06ece1202964fbe9dda95ea4ce3.json");
    let reg: Value = serde_json::from_str(&std::fs::read_to_string(reg_path).unwrap()).unwrap();
    let (cid, secret) = fake.account("builder").client_credentials().unwrap();
    assert_eq!(
        (
            reg["clientId"].as_str().unwrap(),
            reg["clientSecret"].as_str().unwrap()
        ),
        (cid.as_str(), secret.as_str())
    );
    assert!(reg["expiresAt"].is_string());

    let old_rt = v["refreshToken"].as_str().unwrap().to_string();
    let new = fixtures::ide_rewrite_token_file(&fake, &path).await;
    assert_eq!(fake.oidc_calls(), 1);
    assert_ne!(
        new["refreshToken"].as_str().unwrap(),
        old_rt,
        "rotated token persisted"
    );
    assert_eq!(
        new["refreshToken"].as_str().unwrap(),
        fake.current_refresh_token("builder")
    );
}

#[tokio::test]
async fn kiro_cli_database() {
    let mut cfg = FakeConfig::default();
    cfg.accounts.push(AccountSpec::oidc("cli"));
    let fake = FakeKiro::start(cfg).await;
    let home = TempHome::new();
    let (db, issued) =
        fixtures::write_kiro_cli_db(&fake, &home, "cli", chrono::Duration::seconds(-1));
    assert!(db.ends_with(".local/share/kiro-cli/data.sqlite3"));
    let tok = fixtures::read_kiro_cli_auth(&db, "kirocli:odic:token").unwrap();
    assert_eq!(tok["access_token"], issued.access_token.as_str());
    assert_eq!(tok["oauth_flow"], "DeviceCode");
    let exp = tok["expires_at"].as_str().unwrap();
    assert_eq!(
        exp.split('.').nth(1).unwrap().len(),
        10,
        "9-digit fraction + Z: {exp}"
    );
    let reg = fixtures::read_kiro_cli_auth(&db, "kirocli:odic:device-registration").unwrap();
    assert_eq!(
        reg["client_id"],
        fake.account("cli").client_credentials().unwrap().0.as_str()
    );
    let conn = rusqlite::Connection::open(&db).unwrap();
    let (blob, ty): (Vec<u8>, String) = conn
        .query_row(
            "SELECT value, typeof(value) FROM state WHERE key='api.codewhisperer.profile'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(ty, "blob");
    let profile: Value = serde_json::from_slice(&blob).unwrap();
    assert_eq!(profile["arn"], fake.account("cli").profile_arn.as_str());
}
