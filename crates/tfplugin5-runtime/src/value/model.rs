//! The value model: what a Terraform value is once decoded, independent of the wire. Values carry no type; the
//! schema gives it (the codecs take the type), which keeps resource code short: `state.get("port").as_str()`.

use std::collections::BTreeMap;

use super::number::Number;

/// A Terraform value. `Null` and `Unknown` may appear at any level (an unknown element of a known list, a null
/// attribute of an object...).
#[derive(Clone, Debug, Default)]
pub enum Value {
    #[default]
    Null,
    /// Known only after apply.
    Unknown,
    Bool(bool),
    Number(Number),
    String(String),
    List(Vec<Value>),
    /// Element order is meaningless: two sets are equal when they hold the same elements.
    Set(Vec<Value>),
    Map(BTreeMap<String, Value>),
    Object(BTreeMap<String, Value>),
    Tuple(Vec<Value>),
}

/// What `get` returns for an absent attribute.
static NULL: Value = Value::Null;

impl Value {
    /// An object from `(name, value)` pairs.
    pub fn object<I, S>(attributes: I) -> Self
    where
        I: IntoIterator<Item = (S, Value)>,
        S: Into<String>,
    {
        Self::Object(super::named(attributes))
    }

    /// A map from `(key, value)` pairs.
    pub fn map<I, S>(entries: I) -> Self
    where
        I: IntoIterator<Item = (S, Value)>,
        S: Into<String>,
    {
        Self::Map(super::named(entries))
    }

    /// A list.
    pub fn list<I: IntoIterator<Item = impl Into<Value>>>(elements: I) -> Self {
        Self::List(elements.into_iter().map(Into::into).collect())
    }

    /// A set; duplicates are dropped, as Terraform would.
    pub fn set<I: IntoIterator<Item = impl Into<Value>>>(elements: I) -> Self {
        let mut unique: Vec<Value> = Vec::new();
        for element in elements {
            let element = element.into();
            if !unique.contains(&element) {
                unique.push(element);
            }
        }
        Self::Set(unique)
    }

    /// Whether the value is null (unknown is not null).
    pub fn is_null(&self) -> bool {
        matches!(self, Self::Null)
    }

    /// Whether the value is not known yet (planned, computed after apply).
    pub fn is_unknown(&self) -> bool {
        matches!(self, Self::Unknown)
    }

    /// Known at this level (it may still hold unknown elements or attributes).
    pub fn is_known(&self) -> bool {
        !self.is_unknown()
    }

    /// Known at every level.
    pub fn is_wholly_known(&self) -> bool {
        match self {
            Self::Unknown => false,
            Self::List(items) | Self::Set(items) | Self::Tuple(items) => {
                items.iter().all(Self::is_wholly_known)
            }
            Self::Map(entries) | Self::Object(entries) => {
                entries.values().all(Self::is_wholly_known)
            }
            _ => true,
        }
    }

    /// An object attribute (or map entry); null when absent or when `self` is not an object or map.
    pub fn get(&self, name: &str) -> &Value {
        match self {
            Self::Object(entries) | Self::Map(entries) => entries.get(name).unwrap_or(&NULL),
            _ => &NULL,
        }
    }

    /// Sets an object attribute. A null `self` becomes an object first; other kinds are left alone (returns false).
    pub fn set_attr(&mut self, name: impl Into<String>, value: Value) -> bool {
        if self.is_null() {
            *self = Self::Object(BTreeMap::new());
        }
        match self {
            Self::Object(entries) => {
                entries.insert(name.into(), value);
                true
            }
            _ => false,
        }
    }

    /// Builder form of [`Value::set_attr`].
    pub fn with_attr(mut self, name: impl Into<String>, value: Value) -> Self {
        self.set_attr(name, value);
        self
    }

    /// The string, if this is a known string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Self::String(s) => Some(s),
            _ => None,
        }
    }

    /// The bool, if this is a known bool.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Self::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// The number, if this is a known number.
    pub fn as_number(&self) -> Option<&Number> {
        match self {
            Self::Number(n) => Some(n),
            _ => None,
        }
    }

    /// An integral number in `i64` range.
    pub fn as_i64(&self) -> Option<i64> {
        self.as_number().and_then(Number::as_i64)
    }

    /// The elements of a list, set or tuple.
    pub fn as_elements(&self) -> Option<&[Value]> {
        match self {
            Self::List(items) | Self::Set(items) | Self::Tuple(items) => Some(items),
            _ => None,
        }
    }

    /// The entries of a map or object.
    pub fn as_entries(&self) -> Option<&BTreeMap<String, Value>> {
        match self {
            Self::Map(entries) | Self::Object(entries) => Some(entries),
            _ => None,
        }
    }

    /// The known string elements of a list or set (null and unknown elements skipped).
    pub fn string_elements(&self) -> Vec<&str> {
        self.as_elements()
            .unwrap_or_default()
            .iter()
            .filter_map(Value::as_str)
            .collect()
    }

    /// A short name of the kind of value, for error messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Null => "null",
            Self::Unknown => "unknown",
            Self::Bool(_) => "bool",
            Self::Number(_) => "number",
            Self::String(_) => "string",
            Self::List(_) => "list",
            Self::Set(_) => "set",
            Self::Map(_) => "map",
            Self::Object(_) => "object",
            Self::Tuple(_) => "tuple",
        }
    }

    /// A JSON rendering for tests and debugging output; unknown is rendered as the string `"(unknown)"`.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as Json;
        match self {
            Self::Null => Json::Null,
            Self::Unknown => Json::from("(unknown)"),
            Self::Bool(b) => Json::Bool(*b),
            Self::Number(n) => n.to_json(),
            Self::String(s) => Json::from(s.as_str()),
            Self::List(items) | Self::Set(items) | Self::Tuple(items) => {
                Json::Array(items.iter().map(Self::to_json).collect())
            }
            Self::Map(entries) | Self::Object(entries) => Json::Object(
                entries
                    .iter()
                    .map(|(k, v)| (k.clone(), v.to_json()))
                    .collect(),
            ),
        }
    }
}

impl PartialEq for Value {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Self::Null, Self::Null) | (Self::Unknown, Self::Unknown) => true,
            (Self::Bool(a), Self::Bool(b)) => a == b,
            (Self::Number(a), Self::Number(b)) => a == b,
            (Self::String(a), Self::String(b)) => a == b,
            (Self::List(a), Self::List(b)) | (Self::Tuple(a), Self::Tuple(b)) => a == b,
            (Self::Set(a), Self::Set(b)) => same_elements(a, b),
            (Self::Map(a), Self::Map(b)) | (Self::Object(a), Self::Object(b)) => a == b,
            _ => false,
        }
    }
}

/// Order-insensitive comparison of set elements (quadratic, sets in configurations are small).
pub(crate) fn same_elements(a: &[Value], b: &[Value]) -> bool {
    a.len() == b.len() && a.iter().all(|x| b.contains(x)) && b.iter().all(|y| a.contains(y))
}

impl From<bool> for Value {
    fn from(value: bool) -> Self {
        Self::Bool(value)
    }
}

impl From<&str> for Value {
    fn from(value: &str) -> Self {
        Self::String(value.to_owned())
    }
}

impl From<String> for Value {
    fn from(value: String) -> Self {
        Self::String(value)
    }
}

impl From<&String> for Value {
    fn from(value: &String) -> Self {
        Self::String(value.clone())
    }
}

impl From<Number> for Value {
    fn from(value: Number) -> Self {
        Self::Number(value)
    }
}

macro_rules! from_integer {
    ($($int:ty),*) => {$(
        impl From<$int> for Value {
            fn from(value: $int) -> Self {
                Self::Number(Number::from(value))
            }
        }
    )*};
}
from_integer!(i32, i64, u32, u64);

/// `None` is null.
impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(value: Option<T>) -> Self {
        value.map_or(Self::Null, Into::into)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sets_compare_without_order_and_drop_duplicates() {
        assert_eq!(
            Value::set(["a", "b", "a"]),
            Value::Set(vec!["b".into(), "a".into()])
        );
        assert_ne!(Value::set(["a"]), Value::set(["a", "b"]));
        assert_ne!(Value::list(["a", "b"]), Value::list(["b", "a"]));
        assert_ne!(Value::list(["a"]), Value::set(["a"]));
    }

    #[test]
    fn accessors_and_known_ness() {
        let v = Value::object([
            ("a", Value::from("x")),
            ("b", Value::list([Value::Unknown])),
        ]);
        assert_eq!(v.get("a").as_str(), Some("x"));
        assert!(v.get("missing").is_null());
        assert!(v.is_known() && !v.is_wholly_known());
        assert_eq!(Value::from(Some(3_i64)).as_i64(), Some(3));
        assert!(Value::from(None::<String>).is_null());
        let mut null = Value::Null;
        assert!(null.set_attr("k", true.into()));
        assert_eq!(null.get("k").as_bool(), Some(true));
        assert!(!Value::from("s").set_attr("k", Value::Null));
        assert_eq!(Value::set(["x", "y"]).string_elements().len(), 2);
    }
}
