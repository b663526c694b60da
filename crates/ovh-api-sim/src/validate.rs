//! Request-body validation against the schema, generically from an operation's body parameters
//! and the models they name: unknown field, wrong type, bad enum value, read-only field, null
//! where not nullable and missing required field are each a 400 naming the field.

use serde_json::{Map, Value};

use crate::addr::IpBlock;
use crate::error::{ApiError, ApiResult};
use crate::schema::{Operation, Schema};

/// Validates a parsed body (`Value::Null` when empty) against `op`; returns it as an object.
pub fn validate_body(
    schema: &Schema,
    op: &Operation,
    body: &Value,
) -> ApiResult<Map<String, Value>> {
    let object = match body {
        Value::Null => Map::new(),
        Value::Object(map) => map.clone(),
        other => {
            return Err(ApiError::bad_request(format!(
                "Invalid body: expected a JSON object, got {}",
                describe(other)
            )));
        }
    };
    let params: Vec<_> = op
        .parameters
        .iter()
        .filter(|p| p.param_type == "body")
        .collect();
    if let [whole] = params.as_slice()
        && whole.name.is_none()
    {
        check_object(schema, &whole.data_type, &object, "")?;
        return Ok(object);
    }
    for key in object.keys() {
        if !params.iter().any(|p| p.name.as_deref() == Some(key)) {
            return Err(ApiError::invalid_body(
                key,
                "is not a known parameter of this call",
            ));
        }
    }
    for param in params {
        let Some(name) = param.name.as_deref() else {
            continue;
        };
        match object.get(name) {
            None | Some(Value::Null) if param.required => {
                return Err(ApiError::invalid_body(name, "is a required property"));
            }
            None | Some(Value::Null) => {}
            Some(value) => check_type(schema, &param.data_type, value, name)?,
        }
    }
    Ok(object)
}

/// Validates the fields of an object against a model: known, writable, typed, nullability.
fn check_object(
    schema: &Schema,
    model_name: &str,
    object: &Map<String, Value>,
    prefix: &str,
) -> ApiResult<()> {
    let Some(model) = schema.model(model_name) else {
        return Ok(());
    };
    for (key, value) in object {
        let path = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        let Some(prop) = model.properties.get(key) else {
            return Err(ApiError::invalid_body(
                &path,
                format!("is not a property of {model_name}"),
            ));
        };
        if prop.read_only {
            return Err(ApiError::invalid_body(
                &path,
                "is read-only and cannot be set",
            ));
        }
        if value.is_null() {
            if !prop.can_be_null {
                return Err(ApiError::invalid_body(&path, "cannot be null"));
            }
            continue;
        }
        check_type(schema, &prop.ty, value, &path)?;
    }
    Ok(())
}

fn check_type(schema: &Schema, ty: &str, value: &Value, path: &str) -> ApiResult<()> {
    if let Some(inner) = ty.strip_suffix("[]") {
        let Value::Array(items) = value else {
            return Err(ApiError::invalid_body(
                path,
                format!("{inner} Data is not an array for an array type"),
            ));
        };
        for (i, item) in items.iter().enumerate() {
            check_type(schema, inner, item, &format!("{path}[{i}]"))?;
        }
        return Ok(());
    }
    let ok = match ty {
        "long" => value.is_i64() || value.is_u64(),
        "double" => value.is_number(),
        "boolean" => value.is_boolean(),
        "string" | "text" | "password" | "uuid" | "datetime" | "date" | "time" => value.is_string(),
        "ip" | "ipv4" | "ipv6" | "ipBlock" | "ipv4Block" | "ipv6Block" => is_ip(ty, value),
        "map[string]string" => value
            .as_object()
            .is_some_and(|m| m.values().all(Value::is_string)),
        model_name => return check_model_value(schema, model_name, value, path),
    };
    if ok {
        Ok(())
    } else {
        Err(type_error(ty, value, path))
    }
}

/// Whether a value is a string of the given IP type.
fn is_ip(ty: &str, value: &Value) -> bool {
    let text = value.as_str().unwrap_or_default();
    match IpBlock::parse(text) {
        None => false,
        Some(block) => {
            let single = !text.contains('/');
            let (v4, v6) = (block.addr.is_ipv4(), block.addr.is_ipv6());
            match ty {
                "ip" => single,
                "ipv4" => single && v4,
                "ipv6" => single && v6,
                "ipv4Block" => v4,
                "ipv6Block" => v6,
                _ => true,
            }
        }
    }
}

fn type_error(ty: &str, value: &Value, path: &str) -> ApiError {
    ApiError::invalid_body(path, format!("expected {ty}, got {}", describe(value)))
}

fn check_model_value(
    schema: &Schema,
    model_name: &str,
    value: &Value,
    path: &str,
) -> ApiResult<()> {
    let Some(model) = schema.model(model_name) else {
        // A type from a schema document the simulator does not embed: accept it as is.
        return Ok(());
    };
    if let Some(allowed) = &model.enum_values {
        if allowed.contains(value) {
            return Ok(());
        }
        let listed: Vec<String> = allowed
            .iter()
            .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
            .collect();
        return Err(ApiError::invalid_body(
            path,
            format!(
                "{} is not a valid {model_name} (one of: {})",
                compact(value),
                listed.join(", ")
            ),
        ));
    }
    match value {
        Value::Object(object) => check_object(schema, model_name, object, path),
        other => Err(ApiError::invalid_body(
            path,
            format!("expected a {model_name} object, got {}", describe(other)),
        )),
    }
}

fn compact(value: &Value) -> String {
    let text = value.to_string();
    if text.chars().count() > 60 {
        format!("{}…", text.chars().take(60).collect::<String>())
    } else {
        text
    }
}

/// A short description of a JSON value for error messages: its kind and (short) content.
pub fn describe(value: &Value) -> String {
    let kind = match value {
        Value::Null => return "null".into(),
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    };
    format!("{kind} {}", compact(value))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn post_frontend(body: Value) -> ApiResult<Map<String, Value>> {
        let schema = Schema::load().unwrap();
        let op = schema
            .operation("POST", "/ipLoadbalancing/{serviceName}/http/frontend")
            .unwrap()
            .clone();
        validate_body(&schema, &op, &body)
    }

    fn put_frontend(body: Value) -> ApiResult<Map<String, Value>> {
        let schema = Schema::load().unwrap();
        let op = schema
            .operation(
                "PUT",
                "/ipLoadbalancing/{serviceName}/http/frontend/{frontendId}",
            )
            .unwrap()
            .clone();
        validate_body(&schema, &op, &body)
    }

    #[test]
    fn accepts_a_valid_post() {
        post_frontend(json!({"port": "80", "zone": "all", "dedicatedIpfo": ["1.2.3.4/32"], "displayName": null})).unwrap();
    }

    #[test]
    fn each_kind_of_invalid_body_names_the_field() {
        let cases = [
            (
                post_frontend(json!({"port": "80", "zone": "all", "bogus": 1})),
                "[bogus]",
            ),
            (
                post_frontend(json!({"port": 80, "zone": "all"})),
                "[port] expected string",
            ),
            (
                post_frontend(json!({"zone": "all"})),
                "[port] is a required property",
            ),
            (
                post_frontend(json!({"port": "80", "zone": "all", "allowedSource": "1.2.3.4"})),
                "[allowedSource] ipBlock Data is not an array",
            ),
            (
                post_frontend(json!({"port": "80", "zone": "all", "dedicatedIpfo": ["x"]})),
                "[dedicatedIpfo[0]] expected ipBlock",
            ),
            (
                put_frontend(json!({"frontendId": 3})),
                "[frontendId] is read-only",
            ),
            (
                put_frontend(json!({"disabled": null})),
                "[disabled] cannot be null",
            ),
        ];
        for (result, needle) in cases {
            let err = result.unwrap_err();
            assert_eq!(err.status, 400);
            assert!(
                err.message.contains(needle),
                "{} does not contain {needle}",
                err.message
            );
        }
    }

    #[test]
    fn enum_values_are_checked_in_nested_models() {
        let schema = Schema::load().unwrap();
        let op = schema
            .operation("PUT", "/ipLoadbalancing/{serviceName}/http/farm/{farmId}")
            .unwrap()
            .clone();
        let err = validate_body(&schema, &op, &json!({"balance": "random"})).unwrap_err();
        assert!(
            err.message
                .contains("[balance] \"random\" is not a valid ipLoadbalancing.BalanceHTTPEnum"),
            "{}",
            err.message
        );
        let err = validate_body(&schema, &op, &json!({"probe": {"type": "nope"}})).unwrap_err();
        assert!(err.message.contains("[probe.type]"), "{}", err.message);
    }
}
