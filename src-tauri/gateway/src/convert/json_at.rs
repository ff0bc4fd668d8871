//! Typed reads from a JSON request body that fail with a 400 naming the field path
//! (`messages[2].content[0].source.data`), so a client learns exactly what to fix.

mod wording;

use serde_json::{Map, Value};

use crate::error::ApiError;

pub use wording::Wording;

/// A JSON value and the path that led to it.
#[derive(Debug, Clone)]
pub struct At<'a> {
    pub value: &'a Value,
    pub path: String,
    wording: Wording,
}

/// A field that accepts a string or an array ([`At::str_or_items`]).
#[derive(Debug, Clone)]
pub enum StrOrItems<'a> {
    Str(&'a str),
    Items(Vec<At<'a>>),
}

impl<'a> At<'a> {
    /// The root of a body, with [`Wording::Backticks`] errors.
    pub fn root(value: &'a Value) -> Self {
        Wording::Backticks.root(value)
    }

    /// Parse a body; invalid JSON is a 400 that says where parsing stopped.
    pub fn parse(body: &[u8]) -> Result<Value, ApiError> {
        Wording::Backticks.parse(body)
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
                wording: self.wording,
            }),
        }
    }

    /// The field `key`; a 400 naming it when absent or `null`.
    pub fn require(&self, key: &str) -> Result<At<'a>, ApiError> {
        self.get(key).ok_or_else(|| {
            let path = self.child(key);
            ApiError::invalid_field(&path, self.wording.missing(&path))
        })
    }

    /// The field `key` as a string, or `None` when absent or `null`.
    pub fn opt_str(&self, key: &str) -> Result<Option<&'a str>, ApiError> {
        self.get(key).map(|f| f.str()).transpose()
    }

    /// The field `key` as a boolean, or `None` when absent or `null`.
    pub fn opt_bool(&self, key: &str) -> Result<Option<bool>, ApiError> {
        self.get(key).map(|f| f.bool()).transpose()
    }

    pub fn type_error(&self, expected: &str) -> ApiError {
        ApiError::invalid_field(
            &self.path,
            self.wording.wrong_type(&self.path, expected, self.value),
        )
    }

    /// A 400 naming this field; `message` says what is wrong, without a final full stop.
    pub fn invalid(&self, message: impl AsRef<str>) -> ApiError {
        ApiError::invalid_field(
            &self.path,
            self.wording.invalid(&self.path, message.as_ref()),
        )
    }

    /// A 400 naming this field, with `message` exactly as given.
    pub fn error(&self, message: impl Into<String>) -> ApiError {
        ApiError::invalid_field(&self.path, message)
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

    /// Any integer that fits in `i64`.
    pub fn i64(&self) -> Result<i64, ApiError> {
        self.value
            .as_i64()
            .ok_or_else(|| self.type_error("an integer"))
    }

    /// A non-negative integer that fits in `u32`.
    pub fn u32(&self) -> Result<u32, ApiError> {
        self.value
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .ok_or_else(|| self.type_error("a non-negative integer"))
    }

    /// An integer of at least 1 that fits in `u32` (a token limit): a negative integer is
    /// "at least 1", a too large one "too large", anything else a type error.
    pub fn positive_u32(&self) -> Result<u32, ApiError> {
        let n = match self.value.as_u64() {
            Some(n) => n,
            None if self.value.is_i64() => 0,
            None => return Err(self.type_error("an integer")),
        };
        if n == 0 {
            return Err(self.invalid("must be at least 1"));
        }
        u32::try_from(n).map_err(|_| self.invalid(format!("{n} is too large")))
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
                wording: self.wording,
            })
            .collect())
    }

    /// A string, or the elements of an array, for fields that accept either (`stop`,
    /// message `content`); anything else is a type error that says `expected`.
    pub fn str_or_items(&self, expected: &str) -> Result<StrOrItems<'a>, ApiError> {
        match self.value {
            Value::String(s) => Ok(StrOrItems::Str(s)),
            Value::Array(_) => self.items().map(StrOrItems::Items),
            _ => Err(self.type_error(expected)),
        }
    }

    /// Check that an optional field, when present, is a number (for accepted-and-ignored
    /// sampling parameters).
    pub fn check_number(&self, key: &str) -> Result<(), ApiError> {
        self.get(key).map(|f| f.f64().map(|_| ())).unwrap_or(Ok(()))
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

    #[test]
    fn optional_reads() {
        let v = json!({"s": "x", "b": true, "n": null, "bad": 1});
        let root = At::root(&v);
        assert_eq!(root.opt_str("s").unwrap(), Some("x"));
        assert_eq!(root.opt_str("n").unwrap(), None);
        assert_eq!(root.opt_bool("b").unwrap(), Some(true));
        assert_eq!(root.opt_bool("absent").unwrap(), None);
        assert_eq!(
            root.opt_str("bad").unwrap_err().param.as_deref(),
            Some("bad")
        );
        assert!(root.opt_bool("s").is_err());
    }

    #[test]
    fn integers() {
        let v = json!({"a": -3, "b": 1.5, "c": 1, "d": 0, "e": -1, "f": 5_000_000_000u64});
        let root = At::root(&v);
        let at = |k: &str| root.require(k).unwrap();
        assert_eq!(at("a").i64().unwrap(), -3);
        assert!(at("b").i64().unwrap_err().message.contains("an integer"));
        assert_eq!(at("c").positive_u32().unwrap(), 1);
        assert_eq!(
            at("d").positive_u32().unwrap_err().message,
            "`d`: must be at least 1"
        );
        assert_eq!(
            at("e").positive_u32().unwrap_err().message,
            "`e`: must be at least 1"
        );
        assert_eq!(
            at("f").positive_u32().unwrap_err().message,
            "`f`: 5000000000 is too large"
        );
        let err = at("b").positive_u32().unwrap_err();
        assert_eq!(err.message, "`b` must be an integer, not a number.");
        assert_eq!(err.param.as_deref(), Some("b"));
    }

    #[test]
    fn string_or_array() {
        let v = json!({"s": "x", "a": ["y", 2], "n": 3});
        let root = At::root(&v);
        let read = |k: &str| {
            root.require(k)
                .unwrap()
                .str_or_items("a string or an array")
        };
        assert!(matches!(read("s").unwrap(), StrOrItems::Str("x")));
        match read("a").unwrap() {
            StrOrItems::Items(items) => {
                assert_eq!(items[1].path, "a[1]");
                assert!(items[1].str().is_err());
            }
            StrOrItems::Str(_) => panic!("expected items"),
        }
        assert_eq!(
            read("n").unwrap_err().message,
            "`n` must be a string or an array, not a number."
        );
    }

    #[test]
    fn errors_keep_the_message_and_name_the_field() {
        let v = json!({"a": {"b": 1}});
        let b = At::root(&v).require("a").unwrap().require("b").unwrap();
        let err = b.error("exactly this.");
        assert_eq!(err.message, "exactly this.");
        assert_eq!(err.param.as_deref(), Some("a.b"));
    }
}
