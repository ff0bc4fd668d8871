//! `tools` / legacy `functions` and `tool_choice` / legacy `function_call`.

use std::collections::HashSet;

use serde_json::Value;

use super::fields::{must_not_be_empty, require_function_type};
use crate::convert::conversation::{ToolChoice, ToolSpec};
use crate::convert::json_at::At;
use crate::error::ApiError;

fn default_schema() -> Value {
    serde_json::json!({"type": "object", "properties": {}})
}

/// A function definition (`tools[i].function` or legacy `functions[i]`) and its `name`
/// field, which duplicate-name errors point at.
fn parse_function_def<'a>(f: &At<'a>) -> Result<(ToolSpec, At<'a>), ApiError> {
    f.object()?;
    let name_at = f.require("name")?;
    let name = name_at.str()?;
    if name.trim().is_empty() {
        return Err(must_not_be_empty(&name_at));
    }
    let description = f.opt_str("description")?.unwrap_or("").to_string();
    let input_schema = match f.get("parameters") {
        None => default_schema(),
        Some(p) => p.object().map(|_| p.value.clone())?,
    };
    let spec = ToolSpec {
        name: name.to_string(),
        description,
        input_schema,
    };
    Ok((spec, name_at))
}

pub(super) fn parse_tools(root: &At<'_>) -> Result<Vec<ToolSpec>, ApiError> {
    let mut tools = Vec::new();
    let mut names: HashSet<String> = HashSet::new();
    let mut add = |(spec, name_at): (ToolSpec, At<'_>)| -> Result<(), ApiError> {
        if !names.insert(spec.name.clone()) {
            return Err(name_at.error(format!("Duplicate tool name '{}'.", spec.name)));
        }
        tools.push(spec);
        Ok(())
    };
    if let Some(list) = root.get("tools") {
        for t in list.items()? {
            t.object()?;
            require_function_type(&t, "tools")?;
            add(parse_function_def(&t.require("function")?)?)?;
        }
    }
    if let Some(list) = root.get("functions") {
        for f in list.items()? {
            add(parse_function_def(&f)?)?;
        }
    }
    Ok(tools)
}

pub(super) fn parse_tool_choice(root: &At<'_>, tools: &[ToolSpec]) -> Result<ToolChoice, ApiError> {
    let (at, legacy) = match (root.get("tool_choice"), root.get("function_call")) {
        (Some(at), _) => (at, false),
        (None, Some(at)) => (at, true),
        (None, None) => return Ok(ToolChoice::Auto),
    };
    let choice = match at.value {
        Value::String(s) => match s.as_str() {
            "auto" => ToolChoice::Auto,
            "none" => ToolChoice::None,
            "required" if !legacy => ToolChoice::Required,
            other => {
                return Err(at.invalid(format!(
                    "'{other}'. Expected {}, or an object naming a function",
                    if legacy {
                        "none or auto"
                    } else {
                        "none, auto or required"
                    }
                )))
            }
        },
        Value::Object(_) => {
            let name_at = if legacy {
                at.require("name")?
            } else {
                if let Some(kind_at) = at.get("type") {
                    let kind = kind_at.str()?;
                    if kind != "function" {
                        return Err(
                            kind_at.invalid(format!("'{kind}'. Only 'function' is supported"))
                        );
                    }
                }
                let f = at.require("function")?;
                f.object()?;
                f.require("name")?
            };
            let name = name_at.str()?;
            if !tools.iter().any(|t| t.name == name) {
                return Err(name_at.error(format!(
                    "'{}' names the function '{name}', which is not among the declared tools.",
                    at.path
                )));
            }
            ToolChoice::Named(name.to_string())
        }
        _ => return Err(at.type_error("a string or an object")),
    };
    if choice == ToolChoice::Required && tools.is_empty() {
        return Err(at.error("'tool_choice' is 'required' but no tools were declared."));
    }
    Ok(choice)
}
