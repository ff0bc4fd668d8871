//! Tool declarations (docs/kiro-protocol.md#tools): names ≤ 64 bytes (deterministic shortening +
//! reverse map), descriptions 1…10 000 characters (long ones moved into the system text), sanitised
//! schemas, and placeholder declarations for tools that only appear in history.

use std::collections::HashMap;

use serde_json::{json, Value};

use super::super::conversation::ToolSpec;
use super::ids::hash8;
use super::schema::{permissive_schema, sanitize_schema, SchemaPolicy};
use super::{PreflightError, PreflightRule};

pub const MAX_TOOL_NAME_LEN: usize = 64;
pub const MAX_DESCRIPTION_CHARS: usize = 10_000;
pub const PLACEHOLDER_DESCRIPTION: &str = "Tool used in conversation history";

/// Names up to 64 bytes are kept; longer ones become the longest prefix of at most 55
/// bytes (whole characters) + `_` + 8 hex of SHA-256(name), i.e. at most 64 bytes.
pub fn shorten_tool_name(name: &str) -> String {
    if name.len() <= MAX_TOOL_NAME_LEN {
        return name.to_string();
    }
    let mut prefix = String::new();
    for c in name.chars() {
        if prefix.len() + c.len_utf8() > 55 {
            break;
        }
        prefix.push(c);
    }
    format!("{prefix}_{}", hash8(name))
}

/// Description sent upstream; a too-long one is appended to `docs` as `## Tool: {name}`.
pub fn description_for(name: &str, description: &str, docs: &mut Vec<String>) -> String {
    if description.trim().is_empty() {
        format!("Tool: {name}")
    } else if description.chars().count() > MAX_DESCRIPTION_CHARS {
        docs.push(format!("## Tool: {name}\n{description}"));
        format!("[Full documentation in system prompt under '## Tool: {name}']")
    } else {
        description.to_string()
    }
}

fn spec(name: &str, description: String, schema: Value) -> Value {
    json!({"toolSpecification": {
        "name": name,
        "description": description,
        "inputSchema": {"json": schema},
    }})
}

/// The tools declared on `currentMessage`.
#[derive(Debug, Default)]
pub struct ToolSet {
    /// `{"toolSpecification": …}` entries, in declaration order.
    pub specs: Vec<Value>,
    /// (client name, upstream name)
    declared: Vec<(String, String)>,
    /// upstream → client name, for names that differ.
    pub reverse: HashMap<String, String>,
    docs: Vec<String>,
}

impl ToolSet {
    /// Declare the client's tools. Refuses empty and duplicate names (rule `tool_name`).
    pub fn from_client(tools: &[ToolSpec], policy: &SchemaPolicy) -> Result<Self, PreflightError> {
        let mut set = ToolSet::default();
        for tool in tools {
            let refuse = |detail: String| PreflightError {
                rule: PreflightRule::ToolName,
                message_index: None,
                detail,
            };
            if tool.name.trim().is_empty() {
                return Err(refuse("a declared tool has an empty name".into()));
            }
            let upstream = shorten_tool_name(&tool.name);
            if let Some((other, _)) = set
                .declared
                .iter()
                .find(|(o, u)| *o == tool.name || *u == upstream)
            {
                return Err(refuse(format!(
                    "tool {:?} is declared twice (clashes with {other:?})",
                    tool.name
                )));
            }
            let description = description_for(&upstream, &tool.description, &mut set.docs);
            let schema = sanitize_schema(&tool.input_schema, policy);
            set.add(&tool.name, upstream, description, schema);
        }
        Ok(set)
    }

    fn add(&mut self, original: &str, upstream: String, description: String, schema: Value) {
        self.specs.push(spec(&upstream, description, schema));
        if upstream != original {
            self.reverse.insert(upstream.clone(), original.to_string());
        }
        self.declared.push((original.to_string(), upstream));
    }

    /// The declared upstream name for a client name (exact, then case-insensitive as Kiro
    /// compares), if any.
    pub fn lookup(&self, name: &str) -> Option<&str> {
        self.declared
            .iter()
            .find(|(o, _)| o == name)
            .or_else(|| {
                self.declared
                    .iter()
                    .find(|(o, _)| o.eq_ignore_ascii_case(name))
            })
            .map(|(_, u)| u.as_str())
    }

    /// Upstream name for a tool used in history, declaring a placeholder tool (permissive
    /// schema) when the current request does not declare it (KR).
    pub fn name_for_history(&mut self, name: &str) -> String {
        if let Some(u) = self.lookup(name) {
            return u.to_string();
        }
        let upstream = shorten_tool_name(name);
        if let Some((_, u)) = self
            .declared
            .iter()
            .find(|(_, u)| u.eq_ignore_ascii_case(&upstream))
        {
            // Another client name already shortens to this upstream name.
            return u.clone();
        }
        self.add(
            name,
            upstream.clone(),
            PLACEHOLDER_DESCRIPTION.to_string(),
            permissive_schema(),
        );
        upstream
    }

    pub fn is_empty(&self) -> bool {
        self.specs.is_empty()
    }

    /// `# Tool Documentation` section for the system text, empty when not needed.
    pub fn documentation(&self) -> String {
        if self.docs.is_empty() {
            String::new()
        } else {
            format!("# Tool Documentation\n\n{}", self.docs.join("\n\n"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tool(name: &str, desc: &str) -> ToolSpec {
        ToolSpec {
            name: name.into(),
            description: desc.into(),
            input_schema: json!({"type": "object", "properties": {}, "required": []}),
        }
    }

    #[test]
    fn long_names_shortened_deterministically() {
        let long = format!("mcp__{}", "server_tool_".repeat(8));
        let a = shorten_tool_name(&long);
        assert_eq!(a, shorten_tool_name(&long));
        assert_eq!(a.len(), 64);
        assert!(a.starts_with(&long[..55]));
        assert_eq!(shorten_tool_name(&"x".repeat(64)), "x".repeat(64));
        let unicode = "é".repeat(40);
        let s = shorten_tool_name(&unicode);
        assert!(s.len() <= 64 && s.starts_with('é'));
    }

    #[test]
    fn declared_tools_and_reverse_map() {
        let long = "a".repeat(80);
        let set = ToolSet::from_client(
            &[tool(&long, "d"), tool("Read", "")],
            &SchemaPolicy::default(),
        )
        .unwrap();
        let short = shorten_tool_name(&long);
        assert_eq!(set.reverse.get(&short), Some(&long));
        assert_eq!(set.reverse.len(), 1);
        assert_eq!(
            set.specs[1]["toolSpecification"]["description"],
            "Tool: Read"
        );
        assert_eq!(
            set.specs[0]["toolSpecification"]["inputSchema"]["json"],
            json!({"type": "object", "properties": {}})
        );
        assert_eq!(set.lookup("read"), Some("Read"));
    }

    #[test]
    fn long_descriptions_move_to_docs() {
        let long = "d".repeat(MAX_DESCRIPTION_CHARS + 1);
        let set = ToolSet::from_client(&[tool("big", &long)], &SchemaPolicy::default()).unwrap();
        assert_eq!(
            set.specs[0]["toolSpecification"]["description"],
            "[Full documentation in system prompt under '## Tool: big']"
        );
        assert_eq!(
            set.documentation(),
            format!("# Tool Documentation\n\n## Tool: big\n{long}")
        );
        let ok = "d".repeat(MAX_DESCRIPTION_CHARS);
        let set = ToolSet::from_client(&[tool("fine", &ok)], &SchemaPolicy::default()).unwrap();
        assert!(set.documentation().is_empty());
    }

    #[test]
    fn empty_and_duplicate_names_refused() {
        let p = SchemaPolicy::default();
        assert_eq!(
            ToolSet::from_client(&[tool("", "d")], &p)
                .unwrap_err()
                .rule
                .as_str(),
            "tool_name"
        );
        let e = ToolSet::from_client(&[tool("a", "d"), tool("a", "e")], &p).unwrap_err();
        assert_eq!((e.rule.as_str(), e.message_index), ("tool_name", None));
    }

    #[test]
    fn history_only_tools_get_placeholders() {
        let mut set = ToolSet::from_client(&[tool("Read", "r")], &SchemaPolicy::default()).unwrap();
        assert_eq!(set.name_for_history("read"), "Read");
        assert_eq!(set.name_for_history("Old"), "Old");
        assert_eq!(set.name_for_history("old"), "Old");
        assert_eq!(set.specs.len(), 2);
        assert_eq!(
            set.specs[1]["toolSpecification"]["description"],
            PLACEHOLDER_DESCRIPTION
        );
    }
}
