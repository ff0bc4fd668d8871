//! `profileArn` sources that are not part of the token itself
//! (docs/kiro-protocol.md#credentials-ide-profile, #profile-arn, #profiles): the Kiro IDE
//! `profile.json`, `ListAvailableProfiles` on the management host, and the shared social profile.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::Value;

use super::AuthKind;
use crate::aws_ids::{arn_region, is_profile_arn as is_valid_profile_arn};

/// The shared free/social profile seen in social refresh responses. Last resort for social
/// logins only (IdC accounts get 403 with it).
pub const SOCIAL_SHARED_PROFILE_ARN: &str =
    "arn:aws:codewhisperer:us-east-1:699475941385:profile/EHGA3GRVQMUK";

/// Regions probed, in order, when the management URL is not set explicitly.
pub const PROBE_REGIONS: [&str; 2] = ["us-east-1", "eu-central-1"];

const LIST_TIMEOUT: Duration = Duration::from_secs(15);

/// The IDE's `profile.json` under a user config directory (`~/.config`,
/// `~/Library/Application Support`, `%APPDATA%`).
pub(crate) fn ide_profile_path(config_dir: &Path) -> PathBuf {
    config_dir
        .join("Kiro")
        .join("User")
        .join("globalStorage")
        .join("kiro.kiroagent")
        .join("profile.json")
}

/// `arn` from the IDE's `profile.json`, when present and well formed.
pub(crate) fn read_ide_profile(path: &Path) -> Option<String> {
    let bytes = std::fs::read(path).ok()?;
    let v: Value = serde_json::from_slice(&bytes).ok()?;
    let arn = v
        .get("arn")
        .or_else(|| v.get("profileArn"))
        .and_then(Value::as_str)?;
    is_valid_profile_arn(arn).then(|| arn.to_owned())
}

/// The `List-Available-Profiles` URLs to try, in order.
pub(crate) fn list_urls(management_url: Option<&str>) -> Vec<String> {
    match management_url {
        Some(base) => vec![format!(
            "{}/List-Available-Profiles",
            base.trim_end_matches('/')
        )],
        None => PROBE_REGIONS
            .iter()
            .map(|r| format!("https://management.{r}.kiro.dev/List-Available-Profiles"))
            .collect(),
    }
}

/// Ask each URL in turn for the token's profiles; the first well-formed ARN wins. A 403 or
/// an empty list in one region moves on to the next. `Err` describes the last failure.
pub(crate) async fn list_available_profiles(
    http: &reqwest::Client,
    urls: &[String],
    access_token: &str,
    kind: AuthKind,
) -> Result<Option<String>, String> {
    let mut last_error = None;
    for url in urls {
        let mut req = http
            .post(url)
            .header("Content-Type", "application/json")
            .header("Accept", "application/json")
            .bearer_auth(access_token)
            .body("{}")
            .timeout(LIST_TIMEOUT);
        match kind {
            AuthKind::ApiKey => req = req.header("tokentype", "API_KEY"),
            AuthKind::ExternalIdp => req = req.header("TokenType", "EXTERNAL_IDP"),
            _ => {}
        }
        let response = match req.send().await {
            Ok(r) => r,
            Err(e) => {
                last_error = Some(format!(
                    "ListAvailableProfiles at {url}: {}",
                    if e.is_timeout() {
                        "timed out"
                    } else {
                        "request failed"
                    }
                ));
                continue;
            }
        };
        let status = response.status();
        if !status.is_success() {
            last_error = Some(format!("ListAvailableProfiles at {url}: HTTP {status}"));
            continue;
        }
        let Ok(v) = response.json::<Value>().await else {
            last_error = Some(format!(
                "ListAvailableProfiles at {url}: response is not JSON"
            ));
            continue;
        };
        let arn = v
            .get("profiles")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|p| p.get("arn").and_then(Value::as_str))
            .find(|a| is_valid_profile_arn(a));
        if let Some(arn) = arn {
            return Ok(Some(arn.to_owned()));
        }
    }
    match last_error {
        Some(e) => Err(e),
        None => Ok(None),
    }
}

/// API region: `KIRO_API_REGION` when set (the operator knows best: GovCloud, or a stored
/// region without Kiro hosts), else the profile ARN's region, else the token's region, else
/// `KIRO_REGION`, else `us-east-1` (docs/kiro-protocol.md#regions).
pub(crate) fn api_region(
    pinned: Option<&str>,
    profile_arn: Option<&str>,
    token_region: Option<&str>,
    setting: Option<&str>,
) -> String {
    pinned
        .map(str::to_owned)
        .or_else(|| profile_arn.and_then(arn_region))
        .or_else(|| token_region.map(str::to_owned))
        .or_else(|| setting.map(str::to_owned))
        .unwrap_or_else(|| "us-east-1".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_management_probes_us_then_eu() {
        let urls = list_urls(None);
        assert_eq!(
            urls,
            vec![
                "https://management.us-east-1.kiro.dev/List-Available-Profiles".to_owned(),
                "https://management.eu-central-1.kiro.dev/List-Available-Profiles".to_owned(),
            ]
        );
        assert_eq!(
            list_urls(Some("http://127.0.0.1:9/")),
            vec!["http://127.0.0.1:9/List-Available-Profiles".to_owned()]
        );
    }

    async fn serve(status: u16, body: &'static str) -> String {
        use axum::routing::post;
        let app = axum::Router::new().route(
            "/List-Available-Profiles",
            post(move || async move {
                (
                    axum::http::StatusCode::from_u16(status).unwrap(),
                    [("content-type", "application/json")],
                    body,
                )
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        format!("http://{addr}/List-Available-Profiles")
    }

    #[tokio::test]
    async fn probing_moves_on_after_403_or_an_empty_list() {
        let http = reqwest::Client::new();
        let forbidden = serve(
            403,
            r#"{"message":"User is not authorized to access this feature"}"#,
        )
        .await;
        let empty = serve(200, r#"{"profiles":[]}"#).await;
        let found = serve(
            200,
            r#"{"profiles":[{"arn":"arn:aws:codewhisperer:eu-central-1:123456789012:profile/EU","profileName":"eu"}]}"#,
        )
        .await;
        let urls = vec![forbidden.clone(), empty.clone(), found];
        let arn = list_available_profiles(&http, &urls, "tok-123456789", AuthKind::Oidc)
            .await
            .unwrap();
        assert_eq!(
            arn.as_deref(),
            Some("arn:aws:codewhisperer:eu-central-1:123456789012:profile/EU")
        );
        // Nothing anywhere: the last failure is reported.
        let err = list_available_profiles(
            &http,
            &[empty.clone(), forbidden],
            "tok-123456789",
            AuthKind::Oidc,
        )
        .await
        .unwrap_err();
        assert!(err.contains("403"), "{err}");
        let none = list_available_profiles(&http, &[empty], "tok-123456789", AuthKind::Oidc)
            .await
            .unwrap();
        assert_eq!(none, None);
    }

    #[test]
    fn api_region_order() {
        let arn = "arn:aws:codewhisperer:eu-central-1:123:profile/ABC";
        assert_eq!(
            api_region(None, Some(arn), Some("us-west-2"), None),
            "eu-central-1"
        );
        assert_eq!(
            api_region(None, None, Some("us-west-2"), Some("x")),
            "us-west-2"
        );
        assert_eq!(
            api_region(None, None, None, Some("eu-central-1")),
            "eu-central-1"
        );
        assert_eq!(api_region(None, None, None, None), "us-east-1");
        assert_eq!(
            api_region(
                Some("us-gov-west-1"),
                Some(arn),
                Some("us-west-2"),
                Some("x")
            ),
            "us-gov-west-1",
            "a pinned region wins over the ARN's and the token's"
        );
    }
}
