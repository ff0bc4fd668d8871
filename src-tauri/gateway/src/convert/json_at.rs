//! Typed reads from a JSON request body that fail with a 400 naming the field path
//! (`messages[2].content[0].source.data`), so a client learns exactly what to fix.

use serde_json::{Map, Value};

use crate::error::ApiError;

/// A JSON value and the path that led to it.
#[derive(Debug, Clone)]
pub struct At<'a> {
    pub value: &'a Value,
    pub path: String,
}

impl<'a> At<'a> {
    pub fn root(value: &'a Value) -> Self {
        At {
            value,
            path: String::new(),
        }
    }

    /// Parse a body; invalid JSON is a 400 that says where parsing stopped.
    pub fn parse(body: &[u8]) -> Result<Value, ApiError> {
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

    fn child(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_owned()
        } else {
            format!("{}.{key}", self.path)
        }
    }

    /// The field `key`, or `None` when absent or `null`.
    pub fn get(&self, key: &str) -> Option<At<'a>> {
        match self.value.get(key) {
            None | Some(Value::Null) => None,
            Some(value) => Some(At {
                value,
                path: self.child(key),
            }),
        }
    }

    /// The field `key`; a 400 naming it when absent or `null`.
    pub fn require(&self, key: &str) -> Result<At<'a>, ApiError> {
        self.get(key).ok_or_else(|| {
            let path = self.child(key);
            ApiError::invalid_field(&path, format!("Missing required field `{path}`."))
        })
    }

    pub fn type_error(&self, expected: &str) -> ApiError {
        ApiError::invalid_field(
            &self.path,
            format!(
                "`{}` must be {expected}, not {}.",
                self.path,
                kind(self.value)
            ),
        )
    }

    pub fn invalid(&self, message: impl AsRef<str>) -> ApiError {
        ApiError::invalid_field(&self.path, format!("`{}`: {}", self.path, message.as_ref()))
    }

    pub fn str(&self) -> Result<&'a str, ApiError> {
        self.value
            .as_str()
            .ok_or_else(|| self.type_error("a string"))
    }

    pub fn bool(&self) -> Result<bool, ApiError> {
        self.value
            .as_bool()
            .ok_or_else(|| self.type_error("a boolean"))
    }

    pub fn f64(&self) -> Result<f64, ApiError> {
        self.value
            .as_f64()
            .ok_or_else(|| self.type_error("a number"))
    }

    /// A non-negative integer that fits in `u32`.
    pub fn u32(&self) -> Result<u32, ApiError> {
        self.value
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .ok_or_else(|| self.type_error("a non-negative integer"))
    }

    pub fn object(&self) -> Result<&'a Map<String, Value>, ApiError> {
        self.value
            .as_object()
            .ok_or_else(|| self.type_error("an object"))
    }

    /// The elements of an array, each with its indexed path.
    pub fn items(&self) -> Result<Vec<At<'a>>, ApiError> {
        let array = self
            .value
            .as_array()
            .ok_or_else(|| self.type_error("an array"))?;
        Ok(array
            .iter()
            .enumerate()
            .map(|(i, value)| At {
                value,
                path: format!("{}[{i}]", self.path),
            })
            .collect())
    }

    /// Check that an optional field, when present, is a number (for accepted-and-ignored
    /// sampling parameters).
    pub fn check_number(&self, key: &str) -> Result<(), ApiError> {
        self.get(key).map(|f| f.f64().map(|_| ())).unwrap_or(Ok(()))
    }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn paths_name_the_field() {
        let v = json!({"messages": [{"content": 5}]});
        let root = At::root(&v);
        let msg = &root.require("messages").unwrap().items().unwrap()[0];
        let err = msg.require("content").unwrap().str().unwrap_err();
        assert_eq!(err.param.as_deref(), Some("messages[0].content"));
        assert!(
            err.message.contains("must be a string, not a number"),
            "{}",
            err.message
        );
        let missing = msg.require("role").unwrap_err();
        assert_eq!(missing.param.as_deref(), Some("messages[0].role"));
    }

    #[test]
    fn bad_json_and_non_objects_are_400s() {
        assert!(At::parse(b"{")
            .unwrap_err()
            .message
            .contains("not valid JSON"));
        assert!(At::parse(b"[1]")
            .unwrap_err()
            .message
            .contains("JSON object"));
        assert!(At::parse(b"  ").unwrap_err().message.contains("empty"));
    }

    #[test]
    fn null_counts_as_absent() {
        let v = json!({"a": null});
        assert!(At::root(&v).get("a").is_none());
        assert!(At::root(&v).require("a").is_err());
    }
}
