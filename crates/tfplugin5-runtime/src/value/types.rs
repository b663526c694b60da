//! Terraform (cty) types and their JSON form, the form used for schema `type` bytes and for `dynamic` values on the
//! wire (`"string"`, `["set","string"]`, `["object",{"a":"number"}]`, `["tuple",["bool"]]`).

use std::collections::BTreeMap;
use std::fmt;

use serde_json::Value as Json;

/// A Terraform type. `Dynamic` is cty's pseudo-type: the concrete type travels with the value.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Type {
    Bool,
    Number,
    String,
    Dynamic,
    List(Box<Type>),
    Set(Box<Type>),
    Map(Box<Type>),
    Object(BTreeMap<String, Type>),
    Tuple(Vec<Type>),
}

/// Why a JSON type constraint was rejected.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid type {json}: {reason}")]
pub struct TypeError {
    /// The offending JSON fragment, compact.
    pub json: String,
    /// What is wrong with it.
    pub reason: &'static str,
}

impl Type {
    /// `list(T)`.
    pub fn list(element: Type) -> Self {
        Self::List(Box::new(element))
    }

    /// `set(T)`.
    pub fn set(element: Type) -> Self {
        Self::Set(Box::new(element))
    }

    /// `map(T)`.
    pub fn map(element: Type) -> Self {
        Self::Map(Box::new(element))
    }

    /// `object({...})` from `(name, type)` pairs.
    pub fn object<I, S>(attributes: I) -> Self
    where
        I: IntoIterator<Item = (S, Type)>,
        S: Into<String>,
    {
        Self::Object(super::named(attributes))
    }

    /// The JSON form of the type, as Terraform's `cty.Type.MarshalJSON` writes it.
    pub fn to_json(&self) -> Json {
        match self {
            Self::Bool => Json::from("bool"),
            Self::Number => Json::from("number"),
            Self::String => Json::from("string"),
            Self::Dynamic => Json::from("dynamic"),
            Self::List(element) => Json::Array(vec!["list".into(), element.to_json()]),
            Self::Set(element) => Json::Array(vec!["set".into(), element.to_json()]),
            Self::Map(element) => Json::Array(vec!["map".into(), element.to_json()]),
            Self::Object(attributes) => Json::Array(vec![
                "object".into(),
                Json::Object(
                    attributes
                        .iter()
                        .map(|(name, ty)| (name.clone(), ty.to_json()))
                        .collect(),
                ),
            ]),
            Self::Tuple(elements) => Json::Array(vec![
                "tuple".into(),
                Json::Array(elements.iter().map(Type::to_json).collect()),
            ]),
        }
    }

    /// The compact JSON bytes of the type: the `type` field of a schema attribute.
    pub fn to_json_bytes(&self) -> Vec<u8> {
        self.to_json().to_string().into_bytes()
    }

    /// Parses the JSON form of a type. The optional-attributes list that type constraints may carry as a third
    /// element of `["object",...]` is accepted and ignored.
    pub fn from_json(json: &Json) -> Result<Self, TypeError> {
        let invalid = |reason| TypeError {
            json: truncated(json),
            reason,
        };
        match json {
            Json::String(name) => match name.as_str() {
                "bool" => Ok(Self::Bool),
                "number" => Ok(Self::Number),
                "string" => Ok(Self::String),
                "dynamic" => Ok(Self::Dynamic),
                _ => Err(invalid("unknown primitive type name")),
            },
            Json::Array(items) => {
                let (kind, rest) = items.split_first().ok_or_else(|| invalid("empty array"))?;
                let kind = kind
                    .as_str()
                    .ok_or_else(|| invalid("the type kind must be a string"))?;
                match (kind, rest) {
                    ("list", [element]) => Ok(Self::list(Self::from_json(element)?)),
                    ("set", [element]) => Ok(Self::set(Self::from_json(element)?)),
                    ("map", [element]) => Ok(Self::map(Self::from_json(element)?)),
                    (
                        "object",
                        [Json::Object(attributes)] | [Json::Object(attributes), Json::Array(_)],
                    ) => {
                        let mut parsed = BTreeMap::new();
                        for (name, ty) in attributes {
                            parsed.insert(name.clone(), Self::from_json(ty)?);
                        }
                        Ok(Self::Object(parsed))
                    }
                    ("tuple", [Json::Array(elements)]) => Ok(Self::Tuple(
                        elements
                            .iter()
                            .map(Self::from_json)
                            .collect::<Result<_, _>>()?,
                    )),
                    ("list" | "set" | "map" | "object" | "tuple", _) => {
                        Err(invalid("wrong arguments for the type kind"))
                    }
                    _ => Err(invalid("unknown type kind")),
                }
            }
            _ => Err(invalid("a type is a string or an array")),
        }
    }

    /// Parses type JSON bytes (as found in a dynamic value on the wire).
    pub fn from_json_bytes(bytes: &[u8]) -> Result<Self, TypeError> {
        let json: Json = serde_json::from_slice(bytes).map_err(|_| TypeError {
            json: String::from_utf8_lossy(&bytes[..bytes.len().min(80)]).into_owned(),
            reason: "not JSON",
        })?;
        Self::from_json(&json)
    }
}

/// The compact JSON of a fragment, cut to a readable length for error messages.
fn truncated(json: &Json) -> String {
    let mut text = json.to_string();
    if text.len() > 80 {
        let cut = (0..=80)
            .rev()
            .find(|&i| text.is_char_boundary(i))
            .unwrap_or(0);
        text.truncate(cut);
        text.push('…');
    }
    text
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Bool => f.write_str("bool"),
            Self::Number => f.write_str("number"),
            Self::String => f.write_str("string"),
            Self::Dynamic => f.write_str("dynamic"),
            Self::List(element) => write!(f, "list({element})"),
            Self::Set(element) => write!(f, "set({element})"),
            Self::Map(element) => write!(f, "map({element})"),
            Self::Object(_) => f.write_str("object"),
            Self::Tuple(_) => f.write_str("tuple"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn json_round_trip_of_every_kind() {
        let ty = Type::object([
            ("a", Type::String),
            ("b", Type::set(Type::Number)),
            ("c", Type::map(Type::list(Type::Bool))),
            ("d", Type::Tuple(vec![Type::Dynamic, Type::String])),
        ]);
        let bytes = ty.to_json_bytes();
        assert_eq!(
            String::from_utf8(bytes.clone()).unwrap(),
            r#"["object",{"a":"string","b":["set","number"],"c":["map",["list","bool"]],"d":["tuple",["dynamic","string"]]}]"#
        );
        assert_eq!(Type::from_json_bytes(&bytes).unwrap(), ty);
    }

    #[test]
    fn optional_attribute_list_is_ignored() {
        let ty = Type::from_json(&json!(["object", {"a": "string"}, ["a"]])).unwrap();
        assert_eq!(ty, Type::object([("a", Type::String)]));
    }

    #[test]
    fn bad_types_are_rejected() {
        for bad in [
            json!("strung"),
            json!([]),
            json!(["list"]),
            json!(["list", "string", "x"]),
            json!(42),
            json!(["object", ["a"]]),
            json!([1, "string"]),
            json!(["tuple", "string"]),
        ] {
            assert!(Type::from_json(&bad).is_err(), "{bad} accepted");
        }
        assert!(Type::from_json_bytes(b"\xff").is_err());
    }
}
