//! What keeps secrets out of a dump: sensitive headers are blanked when they are captured,
//! and every file's text passes through the log [`Redactor`] (the API key, access and refresh
//! tokens, `Bearer …`) and has the account id of profile ARNs masked before it is written.

use axum::http::HeaderMap;

use crate::logs::Redactor;

/// Headers whose value never reaches a dump.
const SENSITIVE_HEADERS: &[&str] = &[
    "authorization",
    "proxy-authorization",
    "x-api-key",
    "api-key",
    "cookie",
    "set-cookie",
    "x-amz-security-token",
];

/// `name: value` lines, sensitive values as `***`.
pub fn header_lines(headers: &HeaderMap) -> String {
    let mut out = String::new();
    for (name, value) in headers {
        let value = if SENSITIVE_HEADERS.contains(&name.as_str()) {
            "***".into()
        } else {
            String::from_utf8_lossy(value.as_bytes()).into_owned()
        };
        out.push_str(name.as_str());
        out.push_str(": ");
        out.push_str(&value);
        out.push('\n');
    }
    out
}

/// `text` as it may be written: registered secrets and bearer values scrubbed, profile ARN
/// account ids masked.
pub fn redact(text: &str, redactor: &Redactor) -> String {
    mask_arn_accounts(&redactor.redact(text))
}

const ARN_PREFIX: &str = "arn:aws:codewhisperer:";

/// `arn:aws:codewhisperer:<region>:<account>:…` with the account digits as `***`.
fn mask_arn_accounts(text: &str) -> String {
    if !text.contains(ARN_PREFIX) {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(pos) = rest.find(ARN_PREFIX) {
        let after = pos + ARN_PREFIX.len();
        out.push_str(&rest[..after]);
        rest = &rest[after..];
        let region_end = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
            .unwrap_or(rest.len());
        out.push_str(&rest[..region_end]);
        rest = &rest[region_end..];
        if let Some(tail) = rest.strip_prefix(':') {
            let digits = tail.bytes().take_while(u8::is_ascii_digit).count();
            if digits > 0 {
                out.push_str(":***");
                rest = &tail[digits..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn sensitive_headers_are_blanked() {
        let mut headers = HeaderMap::new();
        headers.insert("authorization", HeaderValue::from_static("Bearer kgw_abc"));
        headers.insert("x-api-key", HeaderValue::from_static("kgw_abc"));
        headers.insert("anthropic-version", HeaderValue::from_static("2023-06-01"));
        let lines = header_lines(&headers);
        assert!(lines.contains("authorization: ***\n"), "{lines}");
        assert!(lines.contains("x-api-key: ***\n"));
        assert!(lines.contains("anthropic-version: 2023-06-01\n"));
        assert!(!lines.contains("kgw_abc"));
    }

    #[test]
    fn secrets_bearers_and_arn_accounts_are_scrubbed() {
        let redactor = Redactor::new();
        redactor.add("aoaACCESS-TOKEN-123");
        let text = r#"{"t":"aoaACCESS-TOKEN-123","a":"Authorization: Bearer xyz.123","p":"arn:aws:codewhisperer:us-east-1:123456789012:profile/ABC"}"#;
        let out = redact(text, &redactor);
        assert!(!out.contains("aoaACCESS-TOKEN-123"), "{out}");
        assert!(!out.contains("xyz.123"), "{out}");
        assert!(!out.contains("123456789012"), "{out}");
        assert!(
            out.contains("arn:aws:codewhisperer:us-east-1:***:profile/ABC"),
            "{out}"
        );
    }
}
