//! Token refresh calls (docs/kiro-protocol.md#token-refresh): social desktop endpoint, AWS SSO OIDC
//! CreateToken, and the external IdP's OAuth token endpoint. Errors are classified into permanent
//! (`RefreshRejected`) and transient (`RefreshFailed`) and never carry a token.

use std::time::Duration;

use serde_json::Value;

use super::token::TokenSet;
use super::{AuthKind, CredentialError};
use crate::logs::Redactor;

/// `KiroIDE-{version}-{machineId}` user agent of the desktop refresh call.
pub const KIRO_IDE_VERSION: &str = "0.11.107";
const REFRESH_TIMEOUT: Duration = Duration::from_secs(30);
const DEFAULT_EXPIRES_IN: i64 = 3600;
const MAX_EXPIRES_IN: i64 = 366 * 24 * 3600;

/// Where and how to refresh.
pub(crate) struct RefreshCtx<'a> {
    pub http: &'a reqwest::Client,
    pub refresh_url: Option<&'a str>,
    pub oidc_url: Option<&'a str>,
    pub auth_region: &'a str,
    pub machine_id: &'a str,
    pub redactor: &'a Redactor,
}

/// A successful refresh.
pub(crate) struct Refreshed {
    pub access_token: String,
    pub refresh_token: Option<String>,
    pub expires_in: i64,
    pub profile_arn: Option<String>,
}

pub(crate) fn social_url(ctx: &RefreshCtx<'_>) -> String {
    ctx.refresh_url.map(str::to_owned).unwrap_or_else(|| {
        format!(
            "https://prod.{}.auth.desktop.kiro.dev/refreshToken",
            ctx.auth_region
        )
    })
}

pub(crate) fn oidc_url(ctx: &RefreshCtx<'_>) -> String {
    ctx.oidc_url
        .map(str::to_owned)
        .unwrap_or_else(|| format!("https://oidc.{}.amazonaws.com/token", ctx.auth_region))
}

pub(crate) async fn refresh(
    ctx: &RefreshCtx<'_>,
    tokens: &TokenSet,
) -> Result<Refreshed, CredentialError> {
    let Some(refresh_token) = tokens.refresh() else {
        return Err(CredentialError::RefreshRejected(
            "the access token expired and the source holds no refresh token".into(),
        ));
    };
    if refresh_token.contains("...") {
        // The IDE's account UI shows tokens shortened with an ellipsis.
        return Err(CredentialError::RefreshRejected(
            "the refresh token looks truncated (it contains \"...\"); copy the whole value".into(),
        ));
    }
    let request = match tokens.auth_kind {
        AuthKind::ApiKey => {
            return Err(CredentialError::RefreshRejected(
                "a Kiro API key cannot be refreshed".into(),
            ))
        }
        AuthKind::Social => ctx
            .http
            .post(social_url(ctx))
            .header("Content-Type", "application/json")
            .header("Accept", "application/json, text/plain, */*")
            .header(
                "User-Agent",
                format!("KiroIDE-{KIRO_IDE_VERSION}-{}", ctx.machine_id),
            )
            .body(serde_json::json!({ "refreshToken": refresh_token }).to_string()),
        AuthKind::Oidc => {
            let (Some(id), Some(secret)) = (&tokens.client_id, &tokens.client_secret) else {
                return Err(CredentialError::RefreshRejected(
                    "IdC / Builder ID login without a client registration (clientId/clientSecret)"
                        .into(),
                ));
            };
            ctx.http
                .post(oidc_url(ctx))
                .header("Content-Type", "application/json")
                .header("x-amz-user-agent", "aws-sdk-js/3.980.0 KiroIDE")
                .header("amz-sdk-invocation-id", uuid::Uuid::new_v4().to_string())
                .header("amz-sdk-request", "attempt=1; max=1")
                .body(
                    serde_json::json!({
                        "clientId": id,
                        "clientSecret": secret.expose(),
                        "refreshToken": refresh_token,
                        "grantType": "refresh_token",
                    })
                    .to_string(),
                )
        }
        AuthKind::ExternalIdp => {
            let endpoint = external_endpoint(tokens)?;
            let Some(client_id) = &tokens.client_id else {
                return Err(CredentialError::RefreshRejected(
                    "external IdP login without a clientId".into(),
                ));
            };
            let mut form = vec![
                ("grant_type", "refresh_token".to_owned()),
                ("client_id", client_id.clone()),
                ("refresh_token", refresh_token.to_owned()),
            ];
            if let Some(scopes) = &tokens.scopes {
                form.push(("scope", scopes.clone()));
            }
            ctx.http.post(endpoint).form(&form)
        }
    };
    let response = request.timeout(REFRESH_TIMEOUT).send().await.map_err(|e| {
        CredentialError::RefreshFailed(ctx.redactor.redact(&format!(
            "cannot reach the token endpoint: {}",
            describe_reqwest(&e)
        )))
    })?;
    let status = response.status();
    let body = response.text().await.map_err(|e| {
        CredentialError::RefreshFailed(format!(
            "reading the refresh response: {}",
            describe_reqwest(&e)
        ))
    })?;
    if !status.is_success() {
        return Err(classify_error(status.as_u16(), &body, ctx.redactor));
    }
    parse_success(&body)
}

/// The external IdP endpoint: HTTPS on the issuer's host (plain HTTP only on loopback).
fn external_endpoint(tokens: &TokenSet) -> Result<reqwest::Url, CredentialError> {
    let raw = tokens.token_endpoint.as_deref().ok_or_else(|| {
        CredentialError::RefreshRejected("external IdP login without a tokenEndpoint".into())
    })?;
    let url = reqwest::Url::parse(raw).map_err(|_| {
        CredentialError::RefreshRejected("the external IdP tokenEndpoint is not a URL".into())
    })?;
    let loopback = matches!(url.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"));
    if url.scheme() != "https" && !(url.scheme() == "http" && loopback) {
        return Err(CredentialError::RefreshRejected(
            "the external IdP tokenEndpoint must use HTTPS".into(),
        ));
    }
    if let Some(issuer) = tokens
        .issuer_url
        .as_deref()
        .and_then(|i| reqwest::Url::parse(i).ok())
    {
        if issuer.host_str() != url.host_str() {
            return Err(CredentialError::RefreshRejected(
                "the external IdP tokenEndpoint is not on the issuer's host".into(),
            ));
        }
    }
    Ok(url)
}

fn describe_reqwest(e: &reqwest::Error) -> String {
    // The URL is ours (no secret in it); the error text never contains the body we sent.
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "connection failed"
    } else {
        "request failed"
    };
    match e.url() {
        Some(u) => format!("{kind} ({}://{}{})", u.scheme(), u.authority(), u.path()),
        None => kind.to_owned(),
    }
}

const PERMANENT_CODES: [&str; 4] = [
    "invalid_grant",
    "invalid_client",
    "unauthorized_client",
    "expired_token",
];

/// 400/401 naming a permanent OAuth error → `RefreshRejected`; everything else (429, 5xx,
/// other 4xx) → `RefreshFailed`. The message keeps the `error`/`error_description` (or a
/// short, redacted excerpt of the body), never a token.
pub(crate) fn classify_error(status: u16, body: &str, redactor: &Redactor) -> CredentialError {
    let parsed: Option<Value> = serde_json::from_str(body).ok();
    let field = |k: &str| {
        parsed
            .as_ref()
            .and_then(|v| v.get(k))
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    let code = field("error").or_else(|| field("__type"));
    let description = field("error_description")
        .or_else(|| field("message"))
        .or_else(|| field("Message"));
    let detail = match (&code, &description) {
        (Some(c), Some(d)) => format!("{c}: {d}"),
        (Some(c), None) => c.clone(),
        (None, Some(d)) => d.clone(),
        (None, None) => body.chars().take(200).collect(),
    };
    let detail = redactor.redact(detail.trim());
    let permanent = (status == 400 || status == 401)
        && PERMANENT_CODES
            .iter()
            .any(|c| code.as_deref() == Some(*c) || body.contains(c));
    if permanent {
        CredentialError::RefreshRejected(format!("HTTP {status} {detail}"))
    } else {
        CredentialError::RefreshFailed(format!("HTTP {status} {detail}"))
    }
}

fn parse_success(body: &str) -> Result<Refreshed, CredentialError> {
    let v: Value = serde_json::from_str(body)
        .map_err(|_| CredentialError::RefreshFailed("the refresh response is not JSON".into()))?;
    let s = |keys: &[&str]| {
        keys.iter()
            .filter_map(|k| v.get(*k))
            .filter_map(Value::as_str)
            .find(|s| !s.is_empty())
            .map(str::to_owned)
    };
    let access_token = s(&["accessToken", "access_token"]).ok_or_else(|| {
        CredentialError::RefreshFailed("the refresh response has no accessToken".into())
    })?;
    let expires_in = ["expiresIn", "expires_in"]
        .iter()
        .filter_map(|k| v.get(*k))
        .find_map(|e| {
            e.as_i64()
                .or_else(|| e.as_f64().map(|f| f as i64))
                .or_else(|| e.as_str().and_then(|s| s.trim().parse().ok()))
        })
        .filter(|n| *n > 0)
        .unwrap_or(DEFAULT_EXPIRES_IN)
        // Nonsense lifetimes must not overflow date arithmetic.
        .min(MAX_EXPIRES_IN);
    Ok(Refreshed {
        access_token,
        refresh_token: s(&["refreshToken", "refresh_token"]),
        expires_in,
        profile_arn: s(&["profileArn", "profile_arn"])
            .filter(|a| crate::aws_ids::is_profile_arn(a)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classification() {
        let r = Redactor::new();
        let e = classify_error(
            400,
            r#"{"error":"invalid_grant","error_description":"Invalid refresh token provided"}"#,
            &r,
        );
        assert!(matches!(e, CredentialError::RefreshRejected(_)), "{e:?}");
        let e = classify_error(400, "invalid_grant: Invalid refresh token provided", &r);
        assert!(matches!(e, CredentialError::RefreshRejected(_)));
        assert!(matches!(
            classify_error(429, "slow down", &r),
            CredentialError::RefreshFailed(_)
        ));
        assert!(matches!(
            classify_error(503, "", &r),
            CredentialError::RefreshFailed(_)
        ));
        r.add("aorSECRETREFRESHTOKEN");
        let e = classify_error(500, "bad token aorSECRETREFRESHTOKEN", &r);
        assert!(!e.to_string().contains("aorSECRETREFRESHTOKEN"));
    }

    #[tokio::test]
    async fn truncated_refresh_tokens_are_refused_without_a_call() {
        let http = reqwest::Client::new();
        let redactor = Redactor::new();
        let ctx = RefreshCtx {
            http: &http,
            refresh_url: Some("http://127.0.0.1:1/refreshToken"),
            oidc_url: None,
            auth_region: "us-east-1",
            machine_id: "0",
            redactor: &redactor,
        };
        let tokens = TokenSet {
            refresh_token: Some(crate::secrets::Secret::new("aorAAAA...".to_owned())),
            ..TokenSet::empty(AuthKind::Social)
        };
        let err = refresh(&ctx, &tokens).await.err().unwrap();
        assert!(matches!(err, CredentialError::RefreshRejected(ref m) if m.contains("truncated")));
    }

    #[test]
    fn success_defaults_expiry() {
        let r = parse_success(r#"{"accessToken":"a"}"#).ok().unwrap();
        assert_eq!(r.expires_in, 3600);
        assert!(r.refresh_token.is_none());
        let r = parse_success(r#"{"accessToken":"a","expiresIn":9223372036854775807}"#)
            .ok()
            .unwrap();
        assert_eq!(r.expires_in, MAX_EXPIRES_IN);
    }
}
