//! How [`At`] words its errors. Each client dialect keeps the wording its clients (and
//! their tests) already see; only the field path in `param` is common to all.

use serde_json::Value;

use super::At;
use crate::error::ApiError;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Wording {
    /// ``"`messages[0].content` must be a string, not a number."`` (Anthropic Messages,
    /// Responses).
    #[default]
    Backticks,
    /// OpenAI's own: `"Invalid type for 'messages[0].content': expected a string, but got an
    /// integer instead."` (Chat Completions).
    OpenAi,
}

impl Wording {
    /// The root of a parsed body; every [`At`] reached from it words its errors this way.
    pub fn root(self, value: &Value) -> At<'_> {
        At {
            value,
            path: String::new(),
            wording: self,
        }
    }

    /// Parse a body that must be a JSON object; anything else is a 400.
    pub fn parse(self, body: &[u8]) -> Result<Value, ApiError> {
        match self {
            Wording::Backticks => {
                if body.iter().all(u8::is_ascii_whitespace) {
                    return Err(ApiError::invalid_request(
                        "The request body is empty; send a JSON object.",
                    ));
                }
                let value: Value = serde_json::from_slice(body).map_err(|e| {
                    ApiError::invalid_request(format!(
                        "The request body is not valid JSON: {e} (line {}, column {}).",
                        e.line(),
                        e.column()
                    ))
                })?;
                if !value.is_object() {
                    return Err(ApiError::invalid_request(
                        "The request body must be a JSON object.",
                    ));
                }
                Ok(value)
            }
            Wording::OpenAi => {
                let value: Value = serde_json::from_slice(body).map_err(|e| {
                    ApiError::invalid_request(format!(
                        "We could not parse the JSON body of your request: {e}."
                    ))
                })?;
                if !value.is_object() {
                    return Err(ApiError::invalid_request(format!(
                        "The request body must be a JSON object, but got {}.",
                        self.kind(&value)
                    )));
                }
                Ok(value)
            }
        }
    }

    pub(super) fn missing(self, path: &str) -> String {
        match self {
            Wording::Backticks => format!("Missing required field `{path}`."),
            Wording::OpenAi => format!("Missing required parameter: '{path}'."),
        }
    }

    pub(super) fn wrong_type(self, path: &str, expected: &str, got: &Value) -> String {
        let got = self.kind(got);
        match self {
            Wording::Backticks => format!("`{path}` must be {expected}, not {got}."),
            Wording::OpenAi => {
                format!("Invalid type for '{path}': expected {expected}, but got {got} instead.")
            }
        }
    }

    /// `message` says what is wrong with the value at `path`, without a final full stop.
    pub(super) fn invalid(self, path: &str, message: &str) -> String {
        match self {
            Wording::Backticks => format!("`{path}`: {message}"),
            Wording::OpenAi => format!("Invalid '{path}': {message}."),
        }
    }

    /// What a value is, for "expected X, but got Y" (OpenAI tells integers from numbers).
    fn kind(self, value: &Value) -> &'static str {
        match value {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Number(n) if self == Wording::OpenAi && (n.is_i64() || n.is_u64()) => {
                "an integer"
            }
            Value::Number(_) => "a number",
            Value::String(_) => "a string",
            Value::Array(_) => "an array",
            Value::Object(_) => "an object",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn openai_wording() {
        let v = json!({"n": 2, "t": 1.5, "s": "x"});
        let root = Wording::OpenAi.root(&v);
        let err = root.require("n").unwrap().str().unwrap_err();
        assert_eq!(
            err.message,
            "Invalid type for 'n': expected a string, but got an integer instead."
        );
        assert_eq!(err.param.as_deref(), Some("n"));
        let err = root.require("t").unwrap().str().unwrap_err();
        assert!(
            err.message.contains("but got a number instead"),
            "{}",
            err.message
        );
        let err = root.require("m").unwrap_err();
        assert_eq!(err.message, "Missing required parameter: 'm'.");
        let err = root.require("s").unwrap().invalid("'x'. Expected y");
        assert_eq!(err.message, "Invalid 's': 'x'. Expected y.");
    }

    #[test]
    fn backticks_wording() {
        let v = json!({"n": 2, "s": "x"});
        let root = Wording::Backticks.root(&v);
        let err = root.require("n").unwrap().str().unwrap_err();
        assert_eq!(err.message, "`n` must be a string, not a number.");
        assert_eq!(
            root.require("m").unwrap_err().message,
            "Missing required field `m`."
        );
        let err = root.require("s").unwrap().invalid("must not be empty");
        assert_eq!(err.message, "`s`: must not be empty");
    }

    #[test]
    fn openai_parse_errors() {
        let err = Wording::OpenAi.parse(b"").unwrap_err();
        assert!(
            err.message
                .starts_with("We could not parse the JSON body of your request: EOF"),
            "{}",
            err.message
        );
        let err = Wording::OpenAi.parse(b"[1]").unwrap_err();
        assert_eq!(
            err.message,
            "The request body must be a JSON object, but got an array."
        );
        let err = Wording::OpenAi.parse(b"7").unwrap_err();
        assert!(
            err.message.ends_with("but got an integer."),
            "{}",
            err.message
        );
        assert!(Wording::OpenAi.parse(b"{}").is_ok());
    }
}
