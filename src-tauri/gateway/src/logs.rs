//! Logging: a tracing subscriber whose output passes through a [`Redactor`], so no token,
//! key or Authorization header reaches a log line even at trace level.

use std::sync::{Arc, RwLock};

/// Scrubs known secret values (and `Bearer …` credentials) out of text.
///
/// Secrets are registered as they become known (API key at start, each access and refresh
/// token as it is loaded or refreshed). Cloning shares the same set.
#[derive(Clone, Default)]
pub struct Redactor {
    secrets: Arc<RwLock<Vec<String>>>,
}

impl Redactor {
    pub fn new() -> Self {
        Self::default()
    }

    /// Remember `secret` so it is scrubbed from every later log line. Short values (under 8
    /// characters) are ignored: they would scrub ordinary words.
    pub fn add(&self, secret: &str) {
        if secret.len() < 8 {
            return;
        }
        let mut secrets = self.secrets.write().unwrap_or_else(|e| e.into_inner());
        if !secrets.iter().any(|s| s == secret) {
            secrets.push(secret.to_owned());
        }
    }

    /// `text` with every registered secret and every `Bearer <token>` replaced by `***`.
    pub fn redact(&self, text: &str) -> String {
        let mut out = text.to_owned();
        {
            let secrets = self.secrets.read().unwrap_or_else(|e| e.into_inner());
            for secret in secrets.iter() {
                if out.contains(secret.as_str()) {
                    out = out.replace(secret.as_str(), "***");
                }
            }
        }
        redact_bearer(&out)
    }
}

fn redact_bearer(text: &str) -> String {
    const MARK: &str = "Bearer ";
    if !text.contains(MARK) {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(pos) = rest.find(MARK) {
        out.push_str(&rest[..pos + MARK.len()]);
        let after = &rest[pos + MARK.len()..];
        let end = after
            .find(|c: char| c.is_whitespace() || c == '"' || c == '\'' || c == ',')
            .unwrap_or(after.len());
        if end > 0 {
            out.push_str("***");
        }
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scrubs_registered_secrets_and_bearer_values() {
        let r = Redactor::new();
        r.add("aoaSECRETACCESS");
        let line = r.redact(r#"token=aoaSECRETACCESS header="Authorization: Bearer xyz123abc""#);
        assert!(!line.contains("aoaSECRETACCESS"));
        assert!(!line.contains("xyz123abc"));
        assert!(line.contains("Bearer ***"));
    }

    #[test]
    fn short_values_are_not_registered() {
        let r = Redactor::new();
        r.add("abc");
        assert_eq!(r.redact("abc def"), "abc def");
    }
}
