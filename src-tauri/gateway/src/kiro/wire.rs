//! What every call to Kiro shares on the wire: the pooled HTTP client, the IDE-style request
//! headers (docs/kiro-protocol.md#request-headers) and a reqwest error in words.

use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderValue, AUTHORIZATION, CONTENT_TYPE, USER_AGENT};

use crate::credentials::{AccessToken, AuthKind, KIRO_IDE_VERSION};

/// Versions sent in the IDE-style User-Agent. Kiro gates some accounts on `KiroIDE` in it.
const SDK_VERSION: &str = "1.0.34";
const NODE_VERSION: &str = "22.22.0";

/// The shared HTTP client: rustls, pooled keep-alive connections, optional proxy, and
/// `connect_timeout` for TCP + TLS (+ proxy) set-up.
pub fn build_http_client(
    proxy_url: Option<&str>,
    connect_timeout: Duration,
) -> Result<reqwest::Client, String> {
    let mut builder = reqwest::Client::builder()
        .use_rustls_tls()
        .connect_timeout(connect_timeout)
        .pool_idle_timeout(Duration::from_secs(90))
        .pool_max_idle_per_host(64)
        .tcp_keepalive(Duration::from_secs(60))
        .tcp_nodelay(true);
    builder = match proxy_url {
        Some(url) => builder.proxy(
            reqwest::Proxy::all(url)
                .map_err(|e| format!("invalid proxy URL: {e}"))?
                .no_proxy(reqwest::NoProxy::from_env()),
        ),
        None => builder.no_proxy(),
    };
    builder
        .build()
        .map_err(|e| format!("cannot build the HTTP client: {e}"))
}

/// The IDE-style headers of docs/kiro-protocol.md#request-headers. `Connection: close` is
/// deliberately not sent: keep-alive reuse is what makes the gateway fast.
pub fn kiro_headers(token: &AccessToken) -> HeaderMap {
    let mut headers = HeaderMap::new();
    let ide = format!("KiroIDE-{KIRO_IDE_VERSION}-{}", token.machine_id);
    let user_agent = format!(
        "aws-sdk-js/{SDK_VERSION} ua/2.1 os/{} lang/js md/nodejs#{NODE_VERSION} api/codewhispererstreaming#{SDK_VERSION} m/E {ide}",
        node_os()
    );
    let mut insert = |name: &'static str, value: String| {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(name, value);
        }
    };
    insert(
        AUTHORIZATION.as_str(),
        format!("Bearer {}", token.token.expose()),
    );
    insert(CONTENT_TYPE.as_str(), "application/json".into());
    insert(USER_AGENT.as_str(), user_agent);
    insert(
        "x-amz-user-agent",
        format!("aws-sdk-js/{SDK_VERSION} {ide}"),
    );
    insert("x-amzn-codewhisperer-optout", "true".into());
    insert("x-amzn-kiro-agent-mode", "vibe".into());
    insert("amz-sdk-invocation-id", uuid::Uuid::new_v4().to_string());
    insert("amz-sdk-request", "attempt=1; max=3".into());
    match token.auth_kind {
        AuthKind::ApiKey => insert("tokentype", "API_KEY".into()),
        AuthKind::ExternalIdp => insert("TokenType", "EXTERNAL_IDP".into()),
        AuthKind::Social | AuthKind::Oidc => {}
    }
    if let Some(value) = headers.get_mut(AUTHORIZATION) {
        value.set_sensitive(true);
    }
    headers
}

/// The OS token Node.js would report (`process.platform#release`).
fn node_os() -> &'static str {
    match std::env::consts::OS {
        "macos" => "darwin#24.6.0",
        "windows" => "win32#10.0.22631",
        _ => "linux#6.1.0",
    }
}

/// A reqwest error in words, without the URL's query (never holds secrets, but stays short).
pub fn describe_reqwest_error(err: &reqwest::Error) -> String {
    let kind = if err.is_connect() {
        "connection failed"
    } else if err.is_timeout() {
        "timed out"
    } else if err.is_body() || err.is_decode() {
        "response body failed"
    } else {
        "request failed"
    };
    let mut detail = String::new();
    let mut source = std::error::Error::source(err);
    while let Some(s) = source {
        detail = s.to_string();
        source = s.source();
    }
    if detail.is_empty() {
        kind.to_owned()
    } else {
        format!("{kind}: {detail}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secrets::Secret;

    fn token() -> AccessToken {
        AccessToken {
            token: Secret::new("aoaTESTTOKEN".into()),
            auth_kind: AuthKind::Social,
            profile_arn: Some("arn:aws:codewhisperer:us-east-1:123456789012:profile/ABC".into()),
            api_region: "us-east-1".into(),
            machine_id: "a".repeat(64),
            generation: 1,
        }
    }

    #[test]
    fn headers_follow_the_ide() {
        let headers = kiro_headers(&token());
        assert_eq!(headers[AUTHORIZATION], "Bearer aoaTESTTOKEN");
        assert!(headers[AUTHORIZATION].is_sensitive());
        let ua = headers[USER_AGENT].to_str().unwrap();
        assert!(ua.contains(&format!("KiroIDE-{KIRO_IDE_VERSION}-{}", "a".repeat(64))));
        assert!(headers["x-amz-user-agent"]
            .to_str()
            .unwrap()
            .contains("KiroIDE"));
        assert_eq!(headers["x-amzn-kiro-agent-mode"], "vibe");
        assert!(uuid::Uuid::parse_str(headers["amz-sdk-invocation-id"].to_str().unwrap()).is_ok());
        assert!(headers.get("tokentype").is_none());
        assert!(headers.get("connection").is_none());
    }

    #[test]
    fn api_keys_carry_tokentype() {
        let mut t = token();
        t.auth_kind = AuthKind::ApiKey;
        assert_eq!(kiro_headers(&t)["tokentype"], "API_KEY");
    }
}
