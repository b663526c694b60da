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

    /// The schema template matching a decoded path, if OVH publishes one: the most specific when
    /// several match (`/ip/campus` is its own operation, not `/ip/{ip}` with `ip = campus`).
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
            .filter(|template| self.operation(method, template).is_some())
            .max_by_key(|template| template.split('/').filter(|s| !s.starts_with('{')).count())
    }

    pub fn model(&self, name: &str) -> Option<&Model> {
        self.models.get(name)
    }

    /// Builds a complete object of `model` from validated input: given fields are kept, the
    /// others get the model's empty value (null when nullable, else false / 0 / "" / []), nested
    /// models included (a farm's `probe`, a route's `action`), as [`Schema::complete`] does.
    pub fn instantiate(&self, model: &str, input: &Map<String, Value>) -> Map<String, Value> {
        if self.model(model).is_none() {
            return Map::new();
        }
        match self.complete(model, Value::Object(input.clone())) {
            Value::Object(object) => object,
            _ => Map::new(),
        }
    }

    /// Completes a value of schema type `ty` to the shape OVH answers: an object of a model gets
    /// every property the model declares, recursively through nested models and arrays of them;
    /// a missing property gets its empty value (null when nullable). Present values, properties
    /// the model does not declare, and values of other types are kept as they are.
    pub fn complete(&self, ty: &str, value: Value) -> Value {
        if let Some(item) = ty.strip_suffix("[]") {
            return match value {
                Value::Array(items) => Value::Array(
                    items
                        .into_iter()
                        .map(|item_value| self.complete(item, item_value))
                        .collect(),
                ),
                other => other,
            };
        }
        let model = match self.model(ty) {
            Some(model) if model.enum_values.is_none() => model,
            _ => return value,
        };
        let Value::Object(mut object) = value else {
            return value;
        };
        for (name, prop) in &model.properties {
            // In place, so the object keeps its key order whatever serde_json's map is.
            match object.get_mut(name) {
                Some(given) => {
                    let value = std::mem::take(given);
                    *given = self.complete(&prop.ty, value);
                }
                None => {
                    if let Some(empty) = self.empty_value(prop) {
                        object.insert(name.clone(), empty);
                    }
                }
            }
        }
        Value::Object(object)
    }

    /// The value of a property nothing set: null when nullable, else the type's empty value. A
    /// non-nullable enum has none ("" or any chosen member would be an invented answer), so the
    /// property stays absent and the response-shape test names it.
    fn empty_value(&self, prop: &Property) -> Option<Value> {
        if prop.can_be_null {
            return Some(Value::Null);
        }
        if prop.ty.ends_with("[]") {
            return Some(Value::Array(Vec::new()));
        }
        Some(match prop.ty.as_str() {
            "boolean" => Value::Bool(false),
            "long" | "double" => Value::from(0),
            "map[string]string" => Value::Object(Map::new()),
            ty => match self.model(ty) {
                Some(model) if model.enum_values.is_some() => return None,
                Some(_) => self.complete(ty, Value::Object(Map::new())),
                None => Value::String(String::new()),
            },
        })
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
    fn complete_fills_nested_models_and_keeps_what_is_given() {
        let schema = Schema::load().unwrap();
        let farm = schema.complete(
            "ipLoadbalancing.backendHttp.BackendHttp",
            serde_json::json!({"farmId": 1, "zone": "gra", "probe": {"type": "http"}}),
        );
        assert_eq!(farm["balance"], Value::Null);
        assert_eq!(
            farm["probe"],
            serde_json::json!({"type": "http", "forceSsl": null, "interval": null, "match": null,
                               "method": null, "negate": null, "pattern": null, "port": null, "url": null})
        );
        let lb = schema.complete(
            "ipLoadbalancing.IpWithIAM",
            serde_json::json!({"iam": {"id": "x", "urn": "u"}, "orderableZone": [{"name": "gra"}]}),
        );
        assert_eq!(lb["iam"]["tags"], Value::Null);
        assert_eq!(lb["orderableZone"][0]["planCode"], "");
        // A missing non-nullable nested model gets an empty one; a non-nullable enum stays absent.
        let route = schema.complete("ipLoadbalancing.RouteHttp.RouteHttp", serde_json::json!({}));
        assert_eq!(
            route["action"],
            serde_json::json!({"type": "", "target": null, "status": null})
        );
        assert!(route.get("status").is_none());
        // Lists, primitives, extras and unknown types pass through.
        let task = schema.complete(
            "ipLoadbalancing.Task.Task",
            serde_json::json!({"id": 1, "comment": "why"}),
        );
        assert_eq!(task["comment"], "why");
        assert_eq!(
            schema.complete("long[]", serde_json::json!([1, 2])),
            serde_json::json!([1, 2])
        );
        assert_eq!(schema.complete("void", Value::Null), Value::Null);
    }

    #[test]
    fn known_template_prefers_the_most_specific_operation() {
        let schema = Schema::load().unwrap();
        let path = |p: &str| segments(p);
        assert_eq!(
            schema.known_template("GET", &path("/ip/campus")).as_deref(),
            Some("/ip/campus")
        );
        assert_eq!(
            schema
                .known_template("GET", &path("/ip/1.2.3.4"))
                .as_deref(),
            Some("/ip/{ip}")
        );
    }

    #[test]
    fn like_patterns() {
        assert!(like("loadbalancer-abc", "abc"));
        assert!(like("loadbalancer-abc", "load%abc"));
        assert!(!like("loadbalancer-abc", "x%"));
    }
}
