//! The accepted-and-ignored sampling fields, `stop`, and the field checks the other parts share.

use crate::convert::json_at::{At, StrOrItems};
use crate::error::ApiError;

/// Most stop sequences OpenAI accepts.
pub const MAX_STOP_SEQUENCES: usize = 4;

/// What an accepted-and-ignored field must be.
#[derive(Debug, Clone, Copy)]
enum Expect {
    /// A number within `[min, max]`.
    Number {
        min: f64,
        max: f64,
    },
    Integer,
    Bool,
    Str,
    Object,
}

/// The accepted-and-ignored fields and what OpenAI requires of each.
const SAMPLING_FIELDS: &[(&str, Expect)] = &[
    ("temperature", Expect::Number { min: 0.0, max: 2.0 }),
    ("top_p", Expect::Number { min: 0.0, max: 1.0 }),
    (
        "presence_penalty",
        Expect::Number {
            min: -2.0,
            max: 2.0,
        },
    ),
    (
        "frequency_penalty",
        Expect::Number {
            min: -2.0,
            max: 2.0,
        },
    ),
    ("seed", Expect::Integer),
    ("top_logprobs", Expect::Integer),
    ("logprobs", Expect::Bool),
    ("store", Expect::Bool),
    ("user", Expect::Str),
    ("service_tier", Expect::Str),
    ("logit_bias", Expect::Object),
    ("metadata", Expect::Object),
];

/// Type (and range) checks of [`SAMPLING_FIELDS`], in OpenAI's words.
pub(super) fn check_sampling_fields(root: &At<'_>) -> Result<(), ApiError> {
    for (key, expect) in SAMPLING_FIELDS {
        let Some(field) = root.get(key) else {
            continue;
        };
        match *expect {
            Expect::Number { min, max } => {
                let n = field
                    .value
                    .as_f64()
                    .ok_or_else(|| field.type_error("a decimal"))?;
                if n < min {
                    return Err(field.invalid(format!(
                        "decimal below minimum value. Expected a value >= {min}, but got {n} instead"
                    )));
                }
                if n > max {
                    return Err(field.invalid(format!(
                        "decimal above maximum value. Expected a value <= {max}, but got {n} instead"
                    )));
                }
            }
            Expect::Integer => {
                field.i64()?;
            }
            Expect::Bool => {
                field.bool()?;
            }
            Expect::Str => {
                field.str()?;
            }
            Expect::Object => {
                field.object()?;
            }
        }
    }
    Ok(())
}

/// `'<path>' must not be empty.`
pub(super) fn must_not_be_empty(at: &At<'_>) -> ApiError {
    at.error(format!("'{}' must not be empty.", at.path))
}

/// `Invalid '<path>.type': '<kind>'. Only function <what> are supported.` when the optional
/// `type` of `at` is not `function`.
pub(super) fn require_function_type(at: &At<'_>, what: &str) -> Result<(), ApiError> {
    if let Some(kind_at) = at.get("type") {
        let kind = kind_at.str()?;
        if kind != "function" {
            return Err(kind_at.invalid(format!("'{kind}'. Only function {what} are supported")));
        }
    }
    Ok(())
}

pub(super) fn parse_stop(v: &At<'_>) -> Result<Vec<String>, ApiError> {
    let list: Vec<String> = match v.str_or_items("a string or an array of strings")? {
        StrOrItems::Str(s) => vec![s.to_string()],
        StrOrItems::Items(items) => {
            if items.len() > MAX_STOP_SEQUENCES {
                return Err(v.invalid(format!(
                    "at most {MAX_STOP_SEQUENCES} stop sequences are allowed, got {}",
                    items.len()
                )));
            }
            items
                .iter()
                .map(|s| s.str().map(str::to_string))
                .collect::<Result<_, _>>()?
        }
    };
    Ok(list.into_iter().filter(|s| !s.is_empty()).collect())
}
