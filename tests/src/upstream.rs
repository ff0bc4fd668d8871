//! The gateway's upstream parts (HTTP client + credentials) wired to a fake Kiro, for tests
//! that drive one upstream call directly (catalogue, usage limits, the chat client).

use std::sync::Arc;

use kiro_gateway::credentials::{CredentialSettings, Credentials};
use kiro_gateway::kiro::wire::build_http_client;
use kiro_gateway::logs::Redactor;

use crate::fake::fixtures::{write_social_token_file, TempHome};
use crate::fake::FakeKiro;

/// A social token file for the fake's `default` account, valid for an hour, discovered the
/// way the gateway discovers it; with the HTTP client the gateway would use.
pub async fn social_credentials(
    fake: &FakeKiro,
    home: &TempHome,
) -> (reqwest::Client, Arc<Credentials>) {
    let (token_file, _) =
        write_social_token_file(fake, home, "default", chrono::Duration::hours(1));
    let http = build_http_client(None, std::time::Duration::from_secs(10)).expect("HTTP client");
    let credentials = Credentials::discover(
        CredentialSettings {
            creds_file: Some(token_file),
            refresh_url: Some(fake.refresh_url()),
            management_url: Some(fake.management_url()),
            home_dir: Some(home.path().to_path_buf()),
            data_local_dir: Some(home.path().join(".local/share")),
            ..Default::default()
        },
        http.clone(),
        Redactor::new(),
    )
    .await
    .expect("credentials");
    (http, credentials)
}
