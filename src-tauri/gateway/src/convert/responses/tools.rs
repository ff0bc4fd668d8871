//! Responses tool declarations → the chat path's function tools, and the names that lead
//! back from a Kiro tool call to the client's tool.
//!
//! Kiro knows only flat function tools. The Responses API has three shapes this module
//! accepts:
//!
//! * `function` — kept as it is.
//! * `namespace` — `{name, description, tools: [function | custom …]}`; Codex sends its
//!   sub-agent tools and every MCP server's tools this way. Each member becomes one flat
//!   tool named `<namespace>__<member>` (Kiro's 64-byte limit is applied later by the
//!   request builder, which maps shortened names back). A call of that flat tool goes back
//!   to the client as `{"namespace": …, "name": <member>}`: Codex routes by that pair and
//!   answers "unsupported call" to the joined name.
//! * `custom` — free-form tools whose input is raw text (Codex's `exec`, `apply_patch`).
//!   Kiro gets a function with one string parameter `input` (the grammar, when there is
//!   one, is appended to the description); the call goes back as a `custom_tool_call` whose
//!   `input` is that string.
//!
//! Hosted web search (`web_search`, `web_search_preview`, dated variants) is ignored: Codex
//! declares it by default and refusing it would break every Codex turn; the model just does
//! not get a search tool. Every other built-in tool is a 400 naming `tools[i].type`.
//!
//! Tools may also arrive inside the input, as an `additional_tools` item (Codex does this
//! for GPT-5-family models); [`ToolsBuilder`] takes both places.

use std::collections::HashSet;

use serde_json::{json, Value};

use crate::convert::conversation::{ToolChoice, ToolSpec};
use crate::convert::json_at::At;
use crate::error::ApiError;

/// Separator between a namespace and a member in the flat Kiro tool name.
const NAMESPACE_SEPARATOR: &str = "__";

/// How the client declared a tool, and so how its calls are rendered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ToolKind {
    /// Arguments are a JSON object (`function_call`).
    Function,
    /// Input is raw text (`custom_tool_call`).
    Custom,
}

/// The client's name of a tool that Kiro knows by a flat name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolOrigin {
    pub flat: String,
    pub namespace: Option<String>,
    pub name: String,
    pub kind: ToolKind,
}

/// Flat name → client tool, for every declared tool that is namespaced or custom (plain
/// functions need no entry).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ToolNames {
    origins: Vec<ToolOrigin>,
}

impl ToolNames {
    /// The client tool behind a flat name, when it is not a plain function.
    pub fn origin(&self, flat: &str) -> Option<&ToolOrigin> {
        self.origins.iter().find(|o| o.flat == flat)
    }
}

/// The flat Kiro name of a (namespace, member) pair.
pub fn flat_name(namespace: Option<&str>, name: &str) -> String {
    match namespace {
        Some(ns) if !ns.is_empty() => format!("{ns}{NAMESPACE_SEPARATOR}{name}"),
        _ => name.to_owned(),
    }
}

/// The parameter a custom tool's raw input travels in.
pub const CUSTOM_INPUT_FIELD: &str = "input";

/// The raw input of a custom tool call from the arguments Kiro produced for it.
pub fn custom_input_from_arguments(arguments: &str) -> String {
    match serde_json::from_str::<Value>(arguments) {
        Ok(Value::Object(map)) => match map.get(CUSTOM_INPUT_FIELD) {
            Some(Value::String(s)) => s.clone(),
            Some(other) => other.to_string(),
            None => String::new(),
        },
        _ => arguments.to_owned(),
    }
}

/// Collects tool declarations from `tools` and from `additional_tools` input items.
#[derive(Debug, Default)]
pub struct ToolsBuilder {
    specs: Vec<ToolSpec>,
    names: ToolNames,
    seen: HashSet<String>,
    /// Every declaration as the client sent it, echoed in the response object.
    echo: Vec<Value>,
}

impl ToolsBuilder {
    /// Add a list of declarations (`tools`, or an `additional_tools` item's `tools`).
    pub fn add_list(&mut self, list: &At) -> Result<(), ApiError> {
        for t in list.items()? {
            self.add(&t, None)?;
            self.echo.push(t.value.clone());
        }
        Ok(())
    }

    fn add(&mut self, t: &At, namespace: Option<&str>) -> Result<(), ApiError> {
        t.object()?;
        let kind_at = t.require("type")?;
        match kind_at.str()? {
            "function" => self.add_function(t, namespace),
            "custom" => self.add_custom(t, namespace),
            "namespace" if namespace.is_none() => self.add_namespace(t),
            // See the module documentation.
            web if web.starts_with("web_search") => {
                tracing::debug!(tool = web, "ignoring the hosted web search tool");
                Ok(())
            }
            other => Err(kind_at.invalid(format!(
                "the built-in tool `{other}` is not supported by this gateway; supported: \
                 function, custom and namespace tools (remove it, or describe it as a function \
                 tool)"
            ))),
        }
    }

    fn add_namespace(&mut self, t: &At) -> Result<(), ApiError> {
        let name = non_empty_name(t)?;
        for member in t.require("tools")?.items()? {
            self.add(&member, Some(name))?;
        }
        Ok(())
    }

    fn add_function(&mut self, t: &At, namespace: Option<&str>) -> Result<(), ApiError> {
        let name = non_empty_name(t)?;
        let description = t.opt_str("description")?.unwrap_or_default().to_owned();
        let input_schema = match t.get("parameters") {
            Some(p) => {
                p.object()?;
                p.value.clone()
            }
            None => json!({"type": "object", "properties": {}}),
        };
        t.opt_bool("strict")?;
        self.push(
            t,
            namespace,
            name,
            ToolKind::Function,
            description,
            input_schema,
        )
    }

    fn add_custom(&mut self, t: &At, namespace: Option<&str>) -> Result<(), ApiError> {
        let name = non_empty_name(t)?;
        let mut description = t.opt_str("description")?.unwrap_or_default().to_owned();
        if let Some(format) = t.get("format") {
            format.object()?;
            match format.require("type")?.str()? {
                "text" => {}
                "grammar" => {
                    let syntax = format.opt_str("syntax")?.unwrap_or("lark");
                    let definition = format.require("definition")?.str()?;
                    description.push_str(&format!(
                        "\n\nThe `{CUSTOM_INPUT_FIELD}` must follow this {syntax} grammar:\n\
                         {definition}"
                    ));
                }
                other => {
                    return Err(format.require("type")?.invalid(format!(
                        "unknown custom tool format `{other}`; expected text or grammar"
                    )))
                }
            }
        }
        let input_schema = json!({
            "type": "object",
            "properties": {CUSTOM_INPUT_FIELD: {
                "type": "string",
                "description": "The raw input of the tool, as plain text (not JSON-encoded).",
            }},
            "required": [CUSTOM_INPUT_FIELD],
        });
        self.push(
            t,
            namespace,
            name,
            ToolKind::Custom,
            description,
            input_schema,
        )
    }

    fn push(
        &mut self,
        t: &At,
        namespace: Option<&str>,
        name: &str,
        kind: ToolKind,
        description: String,
        input_schema: Value,
    ) -> Result<(), ApiError> {
        let flat = flat_name(namespace, name);
        if !self.seen.insert(flat.clone()) {
            return Err(t
                .require("name")?
                .invalid(format!("duplicate tool name `{flat}`")));
        }
        if namespace.is_some() || kind == ToolKind::Custom {
            self.names.origins.push(ToolOrigin {
                flat: flat.clone(),
                namespace: namespace.map(str::to_owned),
                name: name.to_owned(),
                kind,
            });
        }
        self.specs.push(ToolSpec {
            name: flat,
            description,
            input_schema,
        });
        Ok(())
    }

    pub fn finish(self) -> (Vec<ToolSpec>, ToolNames, Value) {
        (self.specs, self.names, Value::Array(self.echo))
    }
}

fn non_empty_name<'a>(t: &At<'a>) -> Result<&'a str, ApiError> {
    let name_at = t.require("name")?;
    let name = name_at.str()?;
    if name.trim().is_empty() {
        return Err(name_at.invalid("must not be empty"));
    }
    Ok(name)
}

/// `tool_choice`: `auto`, `none`, `required`, or a named function / custom tool
/// (`{type, name, namespace?}`).
pub fn parse_tool_choice(root: &At, tools: &[ToolSpec]) -> Result<(ToolChoice, Value), ApiError> {
    let Some(c) = root.get("tool_choice") else {
        return Ok((ToolChoice::Auto, json!("auto")));
    };
    let choice = match c.value {
        Value::String(s) => match s.as_str() {
            "auto" => ToolChoice::Auto,
            "none" => ToolChoice::None,
            "required" => {
                if tools.is_empty() {
                    return Err(c.invalid("is `required` but no function tools were declared"));
                }
                ToolChoice::Required
            }
            other => {
                return Err(c.invalid(format!(
                    "unknown value `{other}`; expected auto, none, required or {{\"type\":\"function\",\"name\":…}}"
                )))
            }
        },
        Value::Object(_) => {
            let kind = c.require("type")?;
            if !matches!(kind.str()?, "function" | "custom") {
                return Err(kind.invalid("only `function` and `custom` tool choices are supported"));
            }
            let name_at = c.require("name")?;
            let name = flat_name(c.opt_str("namespace")?, name_at.str()?);
            if !tools.iter().any(|t| t.name == name) {
                return Err(
                    name_at.invalid(format!("names `{name}`, which is not a declared tool"))
                );
            }
            ToolChoice::Named(name)
        }
        _ => return Err(c.type_error("a string or an object")),
    };
    Ok((choice, c.value.clone()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn build(tools: Value) -> Result<(Vec<ToolSpec>, ToolNames, Value), ApiError> {
        let root = json!({ "tools": tools });
        let at = At::root(&root);
        let mut b = ToolsBuilder::default();
        b.add_list(&at.require("tools")?)?;
        Ok(b.finish())
    }

    fn codex_mcp_namespace() -> Value {
        json!({"type": "namespace", "name": "mcp__echo",
               "description": "Tools in the mcp__echo namespace.",
               "tools": [{"type": "function", "name": "echo", "description": "Echo text.",
                          "strict": false,
                          "parameters": {"type": "object",
                                         "properties": {"text": {"type": "string"}},
                                         "required": ["text"]}}]})
    }

    #[test]
    fn namespace_members_become_flat_tools_that_map_back() {
        let (specs, names, echo) = build(json!([
            {"type": "function", "name": "exec_command", "parameters": {"type": "object"}},
            codex_mcp_namespace(),
            {"type": "web_search", "external_web_access": false},
        ]))
        .unwrap();
        let flat: Vec<&str> = specs.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(flat, ["exec_command", "mcp__echo__echo"]);
        assert_eq!(specs[1].description, "Echo text.");
        assert_eq!(specs[1].input_schema["required"], json!(["text"]));
        let origin = names.origin("mcp__echo__echo").unwrap();
        assert_eq!(origin.namespace.as_deref(), Some("mcp__echo"));
        assert_eq!(origin.name, "echo");
        assert_eq!(origin.kind, ToolKind::Function);
        assert!(names.origin("exec_command").is_none());
        assert_eq!(echo.as_array().unwrap().len(), 3, "echoed as sent");
    }

    #[test]
    fn custom_tools_take_one_string_input_and_carry_their_grammar() {
        let (specs, names, _) = build(json!([
            {"type": "namespace", "name": "functions", "description": "", "tools": [
                {"type": "custom", "name": "exec", "description": "Run JavaScript.",
                 "format": {"type": "grammar", "syntax": "lark", "definition": "start: /.+/"}},
            ]},
            {"type": "custom", "name": "apply_patch", "description": "Patch files.",
             "format": {"type": "text"}},
        ]))
        .unwrap();
        assert_eq!(specs[0].name, "functions__exec");
        assert!(specs[0]
            .description
            .ends_with("must follow this lark grammar:\nstart: /.+/"));
        assert_eq!(
            specs[0].input_schema["properties"]["input"]["type"],
            "string"
        );
        assert_eq!(specs[1].name, "apply_patch");
        assert_eq!(specs[1].description, "Patch files.");
        assert_eq!(names.origin("apply_patch").unwrap().kind, ToolKind::Custom);
        assert_eq!(
            names
                .origin("functions__exec")
                .unwrap()
                .namespace
                .as_deref(),
            Some("functions")
        );
    }

    #[test]
    fn custom_input_is_read_back_from_the_arguments() {
        assert_eq!(
            custom_input_from_arguments(r#"{"input":"*** Begin Patch\n"}"#),
            "*** Begin Patch\n"
        );
        assert_eq!(custom_input_from_arguments("not json"), "not json");
        assert_eq!(custom_input_from_arguments("{}"), "");
    }

    #[test]
    fn bad_declarations_name_the_field() {
        let err = build(json!([{"type": "file_search"}])).unwrap_err();
        assert_eq!(err.param.as_deref(), Some("tools[0].type"));
        let err = build(json!([
            codex_mcp_namespace(),
            {"type": "function", "name": "mcp__echo__echo"},
        ]))
        .unwrap_err();
        assert!(err
            .message
            .contains("duplicate tool name `mcp__echo__echo`"));
        let err = build(json!([{"type": "namespace", "name": "n", "tools": [
            {"type": "namespace", "name": "inner", "tools": []}]}]))
        .unwrap_err();
        assert_eq!(err.param.as_deref(), Some("tools[0].tools[0].type"));
        let err = build(json!([{"type": "namespace", "name": "n"}])).unwrap_err();
        assert_eq!(err.param.as_deref(), Some("tools[0].tools"));
        let err = build(json!([{"type": "custom", "name": "c",
                                "format": {"type": "regex"}}]))
        .unwrap_err();
        assert_eq!(err.param.as_deref(), Some("tools[0].format.type"));
    }

    #[test]
    fn a_named_choice_may_name_a_namespace_member() {
        let (specs, _, _) = build(json!([codex_mcp_namespace()])).unwrap();
        let root = json!({"tool_choice": {"type": "function", "namespace": "mcp__echo",
                                          "name": "echo"}});
        let (choice, _) = parse_tool_choice(&At::root(&root), &specs).unwrap();
        assert_eq!(choice, ToolChoice::Named("mcp__echo__echo".into()));
        let root = json!({"tool_choice": {"type": "function", "name": "echo"}});
        assert!(parse_tool_choice(&At::root(&root), &specs).is_err());
    }
}
