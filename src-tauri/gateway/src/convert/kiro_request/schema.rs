//! Tool input-schema sanitising (docs/kiro-protocol.md#tools, Disputed). The default is the doc's
//! recommendation: KR's root normalisation plus removal of `null`-valued keywords, every
//! `additionalProperties` and every empty `required`. The walk is schema-aware: keys inside
//! `properties` / `$defs` / … are property names, never keywords, so a property called
//! `required` or `additionalProperties` survives.

use serde_json::{Map, Value};

/// Which repairs to apply; every switch is independent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SchemaPolicy {
    /// Root: `type` a non-empty string (default `"object"`), `properties` an object
    /// (default `{}`), `required` an array of strings (default `[]`).
    pub normalize_root: bool,
    /// Drop keywords whose value is `null` (recursively). Always-bad per all peers.
    pub remove_null_keywords: bool,
    /// Drop every `additionalProperties` (JW/ZJ).
    pub remove_additional_properties: bool,
    /// Drop every empty `required: []` (JW/ZJ).
    pub remove_empty_required: bool,
    /// Drop every `$schema` (older JW).
    pub remove_schema_keyword: bool,
    /// Drop empty `properties: {}` below the root (older JW).
    pub remove_empty_nested_properties: bool,
}

impl Default for SchemaPolicy {
    fn default() -> Self {
        SchemaPolicy {
            normalize_root: true,
            remove_null_keywords: true,
            remove_additional_properties: true,
            remove_empty_required: true,
            remove_schema_keyword: false,
            remove_empty_nested_properties: false,
        }
    }
}

/// The permissive schema used when a client sends none (or a non-object one).
pub fn permissive_schema() -> Value {
    serde_json::json!({"type": "object", "properties": {}})
}

/// Sanitise a client schema. A non-object root (`null`, `true`, a string…) becomes
/// [`permissive_schema`]: Kiro tool input is always an object.
pub fn sanitize_schema(schema: &Value, policy: &SchemaPolicy) -> Value {
    let Value::Object(root) = schema else {
        return permissive_schema();
    };
    let mut root = root.clone();
    if policy.normalize_root {
        normalize_root(&mut root);
    }
    walk(&mut root, policy, true);
    Value::Object(root)
}

fn normalize_root(root: &mut Map<String, Value>) {
    let type_ok = matches!(root.get("type"), Some(Value::String(s)) if !s.trim().is_empty());
    if !type_ok {
        root.insert("type".into(), Value::String("object".into()));
    }
    if !matches!(root.get("properties"), Some(Value::Object(_))) {
        root.insert("properties".into(), Value::Object(Map::new()));
    }
    let required = match root.get("required") {
        Some(Value::Array(items)) => items.iter().filter(|v| v.is_string()).cloned().collect(),
        _ => Vec::new(),
    };
    root.insert("required".into(), Value::Array(required));
    if let Some(ap) = root.get("additionalProperties") {
        if !ap.is_boolean() && !ap.is_object() {
            root.insert("additionalProperties".into(), Value::Bool(true));
        }
    }
}

/// Keywords whose value is a map of name → subschema.
const SCHEMA_MAPS: &[&str] = &[
    "properties",
    "patternProperties",
    "$defs",
    "definitions",
    "dependentSchemas",
];
/// Keywords whose value is one subschema (or, for `items`, possibly an array of them).
const SCHEMA_SINGLE: &[&str] = &[
    "items",
    "additionalItems",
    "not",
    "if",
    "then",
    "else",
    "contains",
    "propertyNames",
    "unevaluatedItems",
    "unevaluatedProperties",
    "additionalProperties",
];
/// Keywords whose value is an array of subschemas.
const SCHEMA_ARRAYS: &[&str] = &["allOf", "anyOf", "oneOf", "prefixItems"];

fn walk(schema: &mut Map<String, Value>, policy: &SchemaPolicy, is_root: bool) {
    if policy.remove_null_keywords {
        schema.retain(|_, v| !v.is_null());
    }
    if policy.remove_additional_properties {
        schema.remove("additionalProperties");
    }
    if policy.remove_schema_keyword {
        schema.remove("$schema");
    }
    if policy.remove_empty_required
        && matches!(schema.get("required"), Some(Value::Array(a)) if a.is_empty())
    {
        schema.remove("required");
    }
    for key in SCHEMA_MAPS {
        if let Some(Value::Object(map)) = schema.get_mut(*key) {
            if policy.remove_null_keywords {
                map.retain(|_, v| !v.is_null());
            }
            for sub in map.values_mut() {
                walk_value(sub, policy);
            }
        }
    }
    for key in SCHEMA_SINGLE {
        match schema.get_mut(*key) {
            Some(Value::Array(items)) if *key == "items" => {
                items.iter_mut().for_each(|s| walk_value(s, policy))
            }
            Some(sub) => walk_value(sub, policy),
            None => {}
        }
    }
    for key in SCHEMA_ARRAYS {
        if let Some(Value::Array(items)) = schema.get_mut(*key) {
            items.iter_mut().for_each(|s| walk_value(s, policy));
        }
    }
    if policy.remove_empty_nested_properties
        && !is_root
        && matches!(schema.get("properties"), Some(Value::Object(m)) if m.is_empty())
    {
        schema.remove("properties");
    }
}

fn walk_value(value: &mut Value, policy: &SchemaPolicy) {
    if let Value::Object(map) = value {
        walk(map, policy, false);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn clean(v: Value) -> Value {
        sanitize_schema(&v, &SchemaPolicy::default())
    }

    #[test]
    fn root_is_normalised() {
        assert_eq!(
            clean(json!({"properties": null, "required": null})),
            json!({"type": "object", "properties": {}})
        );
        assert_eq!(clean(Value::Null), permissive_schema());
        assert_eq!(clean(json!("x")), permissive_schema());
        assert_eq!(
            clean(json!({"type": "", "required": ["a", 3]})),
            json!({"type": "object", "properties": {}, "required": ["a"]})
        );
    }

    #[test]
    fn nested_keywords_removed_but_property_names_kept() {
        let input = json!({
            "type": "object",
            "additionalProperties": false,
            "properties": {
                "required": {"type": "string", "description": null},
                "additionalProperties": {"type": "object", "properties": {}, "required": [],
                    "additionalProperties": {"type": "string"}},
                "list": {"type": "array", "items": {"type": "object", "required": [],
                    "additionalProperties": true, "enum": null}},
                "gone": null
            },
            "anyOf": [{"required": []}, {"required": ["required"]}]
        });
        let want = json!({
            "type": "object",
            "properties": {
                "required": {"type": "string"},
                "additionalProperties": {"type": "object", "properties": {}},
                "list": {"type": "array", "items": {"type": "object"}}
            },
            "anyOf": [{}, {"required": ["required"]}]
        });
        assert_eq!(clean(input), want);
    }

    #[test]
    fn policy_switches() {
        let input = json!({"type": "object", "$schema": "x", "properties": {
            "a": {"type": "object", "properties": {}, "additionalProperties": true, "required": []}}});
        let keep_all = SchemaPolicy {
            normalize_root: false,
            remove_null_keywords: false,
            remove_additional_properties: false,
            remove_empty_required: false,
            remove_schema_keyword: false,
            remove_empty_nested_properties: false,
        };
        assert_eq!(sanitize_schema(&input, &keep_all), input);
        let strip_more = SchemaPolicy {
            remove_schema_keyword: true,
            remove_empty_nested_properties: true,
            ..SchemaPolicy::default()
        };
        assert_eq!(
            sanitize_schema(&input, &strip_more),
            json!({"type": "object", "properties": {"a": {"type": "object"}}})
        );
    }

    #[test]
    fn enum_null_members_survive() {
        let input = json!({"type": "object", "properties": {"x": {"enum": ["a", null]}}});
        assert_eq!(clean(input.clone()), input);
    }
}
