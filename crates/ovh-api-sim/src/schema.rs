//! OVH's published API schema (Swagger-1.2-style documents, embedded from `schema/`): the
//! operations (for routing, authentication flags and body parameters) and the models (field
//! names, types, nullability, read-only flags, enums) that request validation and object
//! construction are driven by.

use std::collections::{BTreeMap, HashMap};

use serde::Deserialize;
use serde_json::{Map, Value};

const DOCUMENTS: [(&str, &str); 3] = [
    ("auth.json", include_str!("../schema/auth.json")),
    ("ip.json", include_str!("../schema/ip.json")),
    (
        "ipLoadbalancing.json",
        include_str!("../schema/ipLoadbalancing.json"),
    ),
];

#[derive(Debug, Deserialize)]
struct Document {
    apis: Vec<Api>,
    #[serde(default)]
    models: HashMap<String, Model>,
}

#[derive(Debug, Deserialize)]
struct Api {
    path: String,
    operations: Vec<Operation>,
}

/// One operation (method on a path template).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Operation {
    pub http_method: String,
    #[serde(default)]
    pub parameters: Vec<Parameter>,
    pub response_type: String,
    #[serde(default)]
    pub no_authentication: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Parameter {
    /// Absent for a body parameter that is the whole object (PUT).
    pub name: Option<String>,
    pub data_type: String,
    pub param_type: String,
    #[serde(default)]
    pub required: bool,
    #[serde(default)]
    pub description: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Model {
    #[serde(default)]
    pub properties: BTreeMap<String, Property>,
    #[serde(rename = "enum")]
    pub enum_values: Option<Vec<Value>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Property {
    #[serde(rename = "type")]
    pub ty: String,
    #[serde(default)]
    pub can_be_null: bool,
    #[serde(default)]
    pub read_only: bool,
}

/// The merged schema of the embedded documents.
#[derive(Debug)]
pub struct Schema {
    operations: HashMap<(String, String), Operation>,
    /// Path templates split in segments, for telling "known but not simulated" from "no such URL".
    templates: Vec<Vec<String>>,
    pub(crate) models: HashMap<String, Model>,
}

impl Schema {
    /// Parses the embedded documents.
    pub fn load() -> Result<Schema, String> {
        let mut schema = Schema {
            operations: HashMap::new(),
            templates: Vec::new(),
            models: HashMap::new(),
        };
        for (name, text) in DOCUMENTS {
            let doc: Document = serde_json::from_str(text)
                .map_err(|e| format!("embedded schema {name} is not valid: {e}"))?;
            for api in doc.apis {
                schema.templates.push(segments(&api.path));
                for op in api.operations {
                    schema
                        .operations
                        .insert((op.http_method.clone(), api.path.clone()), op);
                }
            }
            schema.models.extend(doc.models);
        }
        Ok(schema)
    }

    pub fn operation(&self, method: &str, template: &str) -> Option<&Operation> {
        self.operations
            .get(&(method.to_owned(), template.to_owned()))
    }

    /// The schema template matching a decoded path, if OVH publishes one.
    pub fn known_template(&self, method: &str, path: &[String]) -> Option<String> {
        self.templates
            .iter()
            .filter(|t| t.len() == path.len())
            .filter(|t| {
                t.iter()
                    .zip(path)
                    .all(|(t, p)| t.starts_with('{') || t == p)
            })
            .map(|t| format!("/{}", t.join("/")))
            .find(|template| self.operation(method, template).is_some())
    }

    pub fn model(&self, name: &str) -> Option<&Model> {
        self.models.get(name)
    }

    /// Builds a complete object of `model` from validated input: given fields are kept, the
    /// others get the model's empty value (null when nullable, else false / 0 / "" / []).
    pub fn instantiate(&self, model: &str, input: &Map<String, Value>) -> Map<String, Value> {
        let mut object = Map::new();
        if let Some(model) = self.model(model) {
            for (name, prop) in &model.properties {
                let value = match input.get(name) {
                    Some(value) => value.clone(),
                    None => self.empty_value(prop),
                };
                object.insert(name.clone(), value);
            }
        }
        object
    }

    fn empty_value(&self, prop: &Property) -> Value {
        if prop.can_be_null {
            return Value::Null;
        }
        if prop.ty.ends_with("[]") {
            return Value::Array(Vec::new());
        }
        match prop.ty.as_str() {
            "boolean" => Value::Bool(false),
            "long" | "double" => Value::from(0),
            _ => Value::String(String::new()),
        }
    }

    /// Whether an object passes the list filters an operation declares as query parameters.
    /// `(like)` filters match a substring (`%` as wildcard), the others compare exactly.
    pub fn filters_match(
        &self,
        op: &Operation,
        query: &[(String, String)],
        object: &Map<String, Value>,
    ) -> bool {
        op.parameters
            .iter()
            .filter(|p| p.param_type == "query")
            .all(|param| {
                let Some(name) = param.name.as_deref() else {
                    return true;
                };
                let Some((_, wanted)) = query.iter().find(|(k, _)| k == name) else {
                    return true;
                };
                let Some(actual) = object.get(name) else {
                    return true;
                };
                let actual = match actual {
                    Value::String(s) => s.clone(),
                    Value::Null => "null".to_owned(),
                    other => other.to_string(),
                };
                if param.description.contains("(like)") {
                    like(&actual, wanted)
                } else {
                    actual == *wanted
                }
            })
    }
}

/// SQL-ish `like`: `%` is any run of characters; without `%` it is a substring match.
pub fn like(actual: &str, pattern: &str) -> bool {
    if !pattern.contains('%') {
        return actual.contains(pattern);
    }
    let parts: Vec<&str> = pattern.split('%').collect();
    let mut rest = actual;
    for (i, part) in parts.iter().enumerate() {
        if i == 0 {
            match rest.strip_prefix(part) {
                Some(r) => rest = r,
                None => return false,
            }
        } else if i == parts.len() - 1 {
            return rest.ends_with(part);
        } else {
            match rest.find(part) {
                Some(pos) => rest = &rest[pos + part.len()..],
                None => return false,
            }
        }
    }
    true
}

fn segments(path: &str) -> Vec<String> {
    path.trim_start_matches('/')
        .split('/')
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_schema_loads_and_has_the_frontend_model() {
        let schema = Schema::load().unwrap();
        let model = schema
            .model("ipLoadbalancing.frontendHttp.FrontendHttp")
            .unwrap();
        assert!(model.properties["frontendId"].read_only);
        assert!(schema.operation("POST", "/ip/{ip}/move").is_some());
        assert!(
            schema
                .operation("GET", "/auth/time")
                .unwrap()
                .no_authentication
        );
    }

    #[test]
    fn like_patterns() {
        assert!(like("loadbalancer-abc", "abc"));
        assert!(like("loadbalancer-abc", "load%abc"));
        assert!(!like("loadbalancer-abc", "x%"));
    }
}
