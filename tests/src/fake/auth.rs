//! Accounts, token issuing, the two refresh endpoints and bearer checks
//! (docs/kiro-protocol.md#token-refresh, #fake-auth).

use chrono::{DateTime, Utc};
use rand::Rng;
use serde_json::{json, Value};

use super::{json_response, Inner, Outcome, Req, Shared, BEARER_403};

/// How an account logs in.
#[derive(Debug, Clone, PartialEq)]
pub enum AuthKind {
    /// Kiro desktop social login: refreshed at `/refreshToken`.
    Social,
    /// Builder ID / IAM Identity Center: refreshed at `/token` with client credentials.
    Oidc {
        client_id: String,
        client_secret: String,
        /// `clientSecretExpiresAt`; an expired secret gives `invalid_client`.
        client_secret_expires_at: DateTime<Utc>,
        start_url: String,
        region: String,
    },
    /// Headless `ksk_` key, sent as the bearer with `tokentype: API_KEY`; never refreshed.
    ApiKey { key: String },
}

/// An account of the fake. Construct with [`AccountSpec::social`], [`AccountSpec::oidc`] or
/// [`AccountSpec::api_key`], then adjust the public fields.
#[derive(Debug, Clone, PartialEq)]
pub struct AccountSpec {
    pub name: String,
    pub kind: AuthKind,
    /// Initial refresh token (≥ 100 chars, `aor…` like real social tokens).
    pub refresh_token: String,
    /// The account's own profile ARN; any other well-formed ARN is "foreign" (403).
    pub profile_arn: String,
    /// Monthly credit limit (`quota` switch: 402 once `credits_used >= credit_limit`).
    pub credit_limit: f64,
    /// Credits already used at start.
    pub credits_used: f64,
    pub email: String,
    /// `subscriptionInfo.subscriptionTitle` for usage limits.
    pub subscription_title: String,
}

/// Random alphanumeric string.
pub fn random_token(prefix: &str, len: usize) -> String {
    let tail: String = rand::rng()
        .sample_iter(rand::distr::Alphanumeric)
        .take(len)
        .map(char::from)
        .collect();
    format!("{prefix}{tail}")
}

fn arn_for(name: &str) -> String {
    let id: String = name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .take(20)
        .collect();
    let id = if id.is_empty() { "FAKE".into() } else { id };
    format!("arn:aws:codewhisperer:us-east-1:123456789012:profile/{id}PROF01")
}

impl AccountSpec {
    /// A social (Google/GitHub) account.
    pub fn social(name: &str) -> AccountSpec {
        AccountSpec {
            name: name.into(),
            kind: AuthKind::Social,
            refresh_token: random_token("aor", 140),
            profile_arn: arn_for(name),
            credit_limit: 1000.0,
            credits_used: 0.0,
            email: format!("{name}@example.com"),
            subscription_title: "KIRO PRO".into(),
        }
    }

    /// A Builder ID (IdC) account with a client registration valid for 90 days.
    pub fn oidc(name: &str) -> AccountSpec {
        AccountSpec {
            kind: AuthKind::Oidc {
                client_id: random_token("fakeclient-", 22),
                client_secret: random_token("fakesecret-", 60),
                client_secret_expires_at: Utc::now() + chrono::Duration::days(90),
                start_url: "https://view.awsapps.com/start".into(),
                region: "us-east-1".into(),
            },
            refresh_token: random_token("aorOIDC", 140),
            ..AccountSpec::social(name)
        }
    }

    /// A `ksk_` API-key account.
    pub fn api_key(name: &str) -> AccountSpec {
        AccountSpec {
            kind: AuthKind::ApiKey {
                key: random_token("ksk_", 40),
            },
            ..AccountSpec::social(name)
        }
    }

    /// `(clientId, clientSecret)` for OIDC accounts.
    pub fn client_credentials(&self) -> Option<(String, String)> {
        match &self.kind {
            AuthKind::Oidc {
                client_id,
                client_secret,
                ..
            } => Some((client_id.clone(), client_secret.clone())),
            _ => None,
        }
    }

    /// The `ksk_` key of API-key accounts.
    pub fn api_key_value(&self) -> Option<String> {
        match &self.kind {
            AuthKind::ApiKey { key } => Some(key.clone()),
            _ => None,
        }
    }
}

/// An access token issued by the fake.
#[derive(Debug, Clone)]
pub struct IssuedToken {
    pub access_token: String,
    pub expires_at: DateTime<Utc>,
}

impl IssuedToken {
    /// `expiresAt` the way the IDE writes it (`toISOString`, milliseconds and `Z`).
    pub fn expires_at_iso(&self) -> String {
        self.expires_at
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
    }
}

pub(crate) fn issue(g: &mut Inner, account: usize, ttl: chrono::Duration) -> IssuedToken {
    let token = random_token("aoa", 120);
    let expires_at = Utc::now() + ttl;
    g.access_tokens.insert(
        token.clone(),
        super::Issued {
            account,
            expires_at,
        },
    );
    IssuedToken {
        access_token: token,
        expires_at,
    }
}

fn oauth_error(status: u16, error: &str, description: &str, why: &str) -> Outcome {
    let body = json!({ "error": error, "error_description": description }).to_string();
    Outcome::reject(status, &body, "InvalidGrantException", why)
}

/// Issue a fresh access token (and maybe rotate the refresh token) for account `idx`.
fn refresh_success(g: &mut Inner, idx: usize) -> (IssuedToken, String, u64) {
    let lifetime = g.cfg.access_token_lifetime;
    let issued = issue(
        g,
        idx,
        chrono::Duration::from_std(lifetime).unwrap_or(chrono::Duration::hours(1)),
    );
    if g.cfg.rotate_refresh_tokens {
        let prefix = if matches!(g.accounts[idx].spec.kind, AuthKind::Oidc { .. }) {
            "aorOIDC"
        } else {
            "aor"
        };
        g.accounts[idx].refresh_token = random_token(prefix, 140);
    }
    let refresh = g.accounts[idx].refresh_token.clone();
    (issued, refresh, lifetime.as_secs())
}

/// `POST /refreshToken` (docs/kiro-protocol.md#refresh-social).
pub(crate) fn social_refresh(shared: &Shared, req: &Req) -> Outcome {
    let Some(rt) = req
        .json
        .as_ref()
        .and_then(|j| j.get("refreshToken"))
        .and_then(Value::as_str)
    else {
        return oauth_error(
            400,
            "invalid_request",
            "Missing refreshToken",
            "bad_request",
        );
    };
    let mut g = shared.lock();
    let idx = g
        .accounts
        .iter()
        .position(|a| a.spec.kind == AuthKind::Social && a.refresh_token == rt);
    let Some(idx) = idx else {
        // docs/kiro-protocol.md#refresh-social: exact social error body Unknown beyond the two
        // substrings KR matches; we reuse the OIDC shape, which contains both.
        return oauth_error(
            400,
            "invalid_grant",
            "Invalid refresh token provided",
            "invalid_grant",
        );
    };
    let (issued, refresh, secs) = refresh_success(&mut g, idx);
    let body = json!({
        "accessToken": issued.access_token,
        "refreshToken": refresh,
        "profileArn": g.accounts[idx].spec.profile_arn,
        "expiresIn": secs,
    })
    .to_string();
    Outcome::ok(
        json_response(200, &body, &[]),
        Some(g.accounts[idx].spec.name.clone()),
    )
    .delayed(g.cfg.refresh_delay)
}

/// `POST /token` — AWS SSO OIDC CreateToken with `grantType: refresh_token`
/// (docs/kiro-protocol.md#refresh-oidc).
pub(crate) fn oidc_token(shared: &Shared, req: &Req) -> Outcome {
    let ct = req.header("content-type").unwrap_or("");
    let Some(body) = req
        .json
        .as_ref()
        .filter(|_| !ct.contains("form-urlencoded"))
    else {
        return oauth_error(
            400,
            "invalid_request",
            "Request body must be JSON",
            "invalid_request",
        );
    };
    if body.get("scope").is_some() || body.get("scopes").is_some() {
        // JW #14: sending a scope on refresh gives invalid_request.
        return oauth_error(
            400,
            "invalid_request",
            "Scope is not allowed for refresh_token grant",
            "invalid_request",
        );
    }
    let s = |k: &str| body.get(k).and_then(Value::as_str).unwrap_or("");
    if s("grantType") != "refresh_token" {
        return oauth_error(
            400,
            "unsupported_grant_type",
            "Unsupported grant type",
            "unsupported_grant_type",
        );
    }
    let (client_id, client_secret, rt) = (s("clientId"), s("clientSecret"), s("refreshToken"));
    let mut g = shared.lock();
    let client = g.accounts.iter().position(|a| match &a.spec.kind {
        AuthKind::Oidc {
            client_id: id,
            client_secret: secret,
            ..
        } => id == client_id && secret == client_secret,
        _ => false,
    });
    let Some(idx) = client else {
        return oauth_error(401, "invalid_client", "Invalid client", "invalid_client");
    };
    if let AuthKind::Oidc {
        client_secret_expires_at,
        ..
    } = &g.accounts[idx].spec.kind
    {
        if *client_secret_expires_at <= Utc::now() {
            return oauth_error(
                401,
                "invalid_client",
                "Client secret has expired",
                "invalid_client",
            );
        }
    }
    if g.accounts[idx].refresh_token != rt {
        return oauth_error(
            400,
            "invalid_grant",
            "Invalid refresh token provided",
            "invalid_grant",
        );
    }
    let (issued, refresh, secs) = refresh_success(&mut g, idx);
    let body = json!({
        "accessToken": issued.access_token,
        "tokenType": "Bearer",
        "expiresIn": secs,
        "refreshToken": refresh,
    })
    .to_string();
    Outcome::ok(
        json_response(200, &body, &[]),
        Some(g.accounts[idx].spec.name.clone()),
    )
    .delayed(g.cfg.refresh_delay)
}

/// Check the bearer token; returns the account index or the 403 outcome.
pub(crate) fn authenticate(g: &mut Inner, req: &Req) -> Result<usize, Outcome> {
    let deny = |why: &str| Outcome::reject(403, BEARER_403, "AccessDeniedException", why);
    let token = req
        .header("authorization")
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .unwrap_or("");
    if token.is_empty() {
        return Err(deny("auth_missing"));
    }
    let idx = if token.starts_with("ksk_") {
        let idx = g
            .accounts
            .iter()
            .position(|a| matches!(&a.spec.kind, AuthKind::ApiKey { key } if key == token))
            .ok_or_else(|| deny("auth_unknown"))?;
        let tt = req.header("tokentype").unwrap_or("");
        if !tt.eq_ignore_ascii_case("API_KEY") {
            return Err(deny("auth_tokentype"));
        }
        idx
    } else {
        let issued = g
            .access_tokens
            .get(token)
            .ok_or_else(|| deny("auth_unknown"))?;
        if issued.expires_at <= Utc::now() {
            return Err(deny("auth_expired"));
        }
        issued.account
    };
    if g.revoke_next > 0 {
        g.revoke_next -= 1;
        return Err(deny("auth_revoked").with_account(Some(g.accounts[idx].spec.name.clone())));
    }
    Ok(idx)
}
