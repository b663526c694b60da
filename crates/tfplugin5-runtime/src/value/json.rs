//! JSON decoding of values, for `UpgradeResourceState.raw_state.json` (the `attributes` object exactly as stored
//! in the state file). Like cty's JSON decoder but more forgiving, because an old state must not strand a user:
//! missing object attributes become null, attributes no longer in the schema are dropped, and primitives are
//! converted the way Terraform converts them (`"5"` for a number, `5` for a string).

use std::collections::BTreeMap;

use serde_json::Value as Json;

use super::{AttrPath, Number, Type, Value, ValueError};

/// Parses JSON bytes as a value of type `ty`.
pub fn decode(bytes: &[u8], ty: &Type) -> Result<Value, ValueError> {
    let json: Json = serde_json::from_slice(bytes)
        .map_err(|e| ValueError::new(AttrPath::root(), format!("invalid JSON: {e}")))?;
    from_json(&json, ty)
}

/// Converts parsed JSON to a value of type `ty`.
pub fn from_json(json: &Json, ty: &Type) -> Result<Value, ValueError> {
    convert(json, ty, &AttrPath::root())
}

fn convert(json: &Json, ty: &Type, path: &AttrPath) -> Result<Value, ValueError> {
    let wrong = || {
        ValueError::new(
            path.clone(),
            format!("a {ty} value is required, found JSON {}", kind(json)),
        )
    };
    Ok(match (ty, json) {
        (_, Json::Null) => Value::Null,
        (Type::Dynamic, Json::Object(wrapper)) => {
            let concrete = wrapper
                .get("type")
                .map(Type::from_json)
                .transpose()
                .map_err(|e| ValueError::new(path.clone(), format!("dynamic value: {e}")))?
                .ok_or_else(|| ValueError::new(path.clone(), "dynamic value without \"type\""))?;
            convert(wrapper.get("value").unwrap_or(&Json::Null), &concrete, path)?
        }
        (Type::Bool, Json::Bool(b)) => Value::Bool(*b),
        (Type::Bool, Json::String(s)) => match s.as_str() {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            _ => return Err(wrong()),
        },
        (Type::Number, Json::Number(n)) => Value::Number(json_number(n, path)?),
        (Type::Number, Json::String(s)) => Value::Number(
            Number::parse(s).map_err(|e| ValueError::new(path.clone(), e.to_string()))?,
        ),
        (Type::String, Json::String(s)) => Value::String(s.clone()),
        (Type::String, Json::Number(n)) => Value::String(n.to_string()),
        (Type::String, Json::Bool(b)) => Value::String(b.to_string()),
        (Type::List(element), Json::Array(items)) => Value::List(
            items
                .iter()
                .enumerate()
                .map(|(i, item)| convert(item, element, &path.join_index(i)))
                .collect::<Result<_, _>>()?,
        ),
        (Type::Set(element), Json::Array(items)) => Value::set(
            items
                .iter()
                .map(|item| convert(item, element, path))
                .collect::<Result<Vec<_>, _>>()?,
        ),
        (Type::Tuple(types), Json::Array(items)) if types.len() == items.len() => Value::Tuple(
            items
                .iter()
                .zip(types)
                .enumerate()
                .map(|(i, (item, item_ty))| convert(item, item_ty, &path.join_index(i)))
                .collect::<Result<_, _>>()?,
        ),
        (Type::Map(element), Json::Object(entries)) => Value::Map(
            entries
                .iter()
                .map(|(key, item)| Ok((key.clone(), convert(item, element, &path.join_key(key))?)))
                .collect::<Result<_, ValueError>>()?,
        ),
        (Type::Object(attributes), Json::Object(entries)) => {
            let mut object = BTreeMap::new();
            for (name, attr_ty) in attributes {
                let value = match entries.get(name) {
                    Some(item) => convert(item, attr_ty, &path.join_attr(name))?,
                    None => Value::Null,
                };
                object.insert(name.clone(), value);
            }
            Value::Object(object)
        }
        _ => return Err(wrong()),
    })
}

fn json_number(n: &serde_json::Number, path: &AttrPath) -> Result<Number, ValueError> {
    if let Some(int) = n.as_i64() {
        return Ok(Number::from(int));
    }
    if let Some(uint) = n.as_u64() {
        return Ok(Number::from(uint));
    }
    n.as_f64()
        .and_then(Number::from_f64)
        .ok_or_else(|| ValueError::new(path.clone(), format!("{n} is not a representable number")))
}

fn kind(json: &Json) -> &'static str {
    match json {
        Json::Null => "null",
        Json::Bool(_) => "bool",
        Json::Number(_) => "number",
        Json::String(_) => "string",
        Json::Array(_) => "array",
        Json::Object(_) => "object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ty() -> Type {
        Type::object([
            ("id", Type::String),
            ("port", Type::Number),
            ("ips", Type::set(Type::String)),
            ("timeouts", Type::object([("create", Type::String)])),
            ("extra", Type::Dynamic),
        ])
    }

    #[test]
    fn missing_attributes_are_null_and_unknown_keys_dropped() {
        let value = decode(
            br#"{"id":"a","port":"80","removed_attr":1,"ips":["x","x"],"timeouts":{}}"#,
            &ty(),
        )
        .unwrap();
        assert_eq!(value.get("id").as_str(), Some("a"));
        assert_eq!(value.get("port").as_i64(), Some(80));
        assert_eq!(value.get("ips"), &Value::set(["x"]));
        assert!(value.get("extra").is_null());
        assert!(value.get("timeouts").get("create").is_null());
        assert!(value.get("removed_attr").is_null());
        assert_eq!(value.as_entries().unwrap().len(), 5);
    }

    #[test]
    fn dynamic_and_conversions() {
        let value = decode(
            br#"{"id":12,"extra":{"type":["list","number"],"value":[1,2.5]}}"#,
            &ty(),
        )
        .unwrap();
        assert_eq!(value.get("id").as_str(), Some("12"));
        assert_eq!(value.get("extra").as_elements().unwrap().len(), 2);
    }

    #[test]
    fn bad_inputs_name_the_path() {
        let err = decode(br#"{"ips":[1,{"a":1}]}"#, &ty()).unwrap_err();
        assert_eq!(err.path.to_string(), "ips");
        assert!(decode(b"{", &ty()).is_err());
        assert!(decode(br#"{"extra":{"value":1}}"#, &ty()).is_err());
        assert!(decode(br#"{"port":"eighty"}"#, &ty()).is_err());
        assert!(decode(br#"[1]"#, &ty()).is_err());
    }
}
