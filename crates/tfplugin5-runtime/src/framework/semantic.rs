//! Semantic equality: two values of an attribute that mean the same (`1.2.3.4` and `1.2.3.4/32`) must not make a
//! diff. Plans keep the prior value when the config is semantically equal to it, and results of apply and read
//! keep the planned or prior representation of values that are semantically equal to it.

use crate::schema::{Block, Nesting, SemanticEq};
use crate::value::Value;

/// Whether `a` and `b` are equal, comparing primitives with `eq` (collections element by element, sets in any
/// order). Null and unknown are only equal to themselves.
pub fn semantically_equal(eq: &SemanticEq, a: &Value, b: &Value) -> bool {
    if a == b {
        return true;
    }
    match (a, b) {
        (Value::Null | Value::Unknown, _) | (_, Value::Null | Value::Unknown) => false,
        (Value::List(x), Value::List(y)) | (Value::Tuple(x), Value::Tuple(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| semantically_equal(eq, x, y))
        }
        (Value::Set(x), Value::Set(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|x| y.iter().any(|y| semantically_equal(eq, x, y)))
                && y.iter()
                    .all(|y| x.iter().any(|x| semantically_equal(eq, x, y)))
        }
        (Value::Map(x), Value::Map(y)) | (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, x)| y.get(k).is_some_and(|y| semantically_equal(eq, x, y)))
        }
        (
            Value::List(_) | Value::Tuple(_) | Value::Set(_) | Value::Map(_) | Value::Object(_),
            _,
        )
        | (
            _,
            Value::List(_) | Value::Tuple(_) | Value::Set(_) | Value::Map(_) | Value::Object(_),
        ) => false,
        _ => eq(a, b),
    }
}

/// `actual`, with every part that is semantically equal to the matching known part of `preferred` replaced by
/// it: the whole value if possible, else set elements, list elements and map entries one by one.
pub fn prefer(eq: &SemanticEq, preferred: &Value, actual: Value) -> Value {
    if preferred.is_wholly_known() && semantically_equal(eq, preferred, &actual) {
        return preferred.clone();
    }
    match (preferred, actual) {
        (Value::Set(preferred), Value::Set(actual)) => Value::Set(
            actual
                .into_iter()
                .map(|element| {
                    preferred
                        .iter()
                        .find(|p| p.is_wholly_known() && semantically_equal(eq, p, &element))
                        .cloned()
                        .unwrap_or(element)
                })
                .collect(),
        ),
        (Value::List(preferred), Value::List(actual)) => Value::List(
            actual
                .into_iter()
                .enumerate()
                .map(|(i, element)| match preferred.get(i) {
                    Some(p) => prefer(eq, p, element),
                    None => element,
                })
                .collect(),
        ),
        (Value::Map(preferred), Value::Map(actual)) => Value::Map(
            actual
                .into_iter()
                .map(|(key, element)| {
                    let element = match preferred.get(&key) {
                        Some(p) => prefer(eq, p, element),
                        None => element,
                    };
                    (key, element)
                })
                .collect(),
        ),
        (_, actual) => actual,
    }
}

/// Applies [`prefer`] to every attribute of `block` that has a semantic equality, nested blocks included (set
/// blocks excepted: their elements have no identity to match on).
pub fn reconcile(block: &Block, preferred: &Value, mut actual: Value) -> Value {
    let Value::Object(entries) = &mut actual else {
        return actual;
    };
    for attribute in &block.attributes {
        let Some(eq) = &attribute.semantic_eq else {
            continue;
        };
        if let Some(value) = entries.remove(&attribute.name) {
            let value = prefer(eq, preferred.get(&attribute.name), value);
            entries.insert(attribute.name.clone(), value);
        }
    }
    for nested in &block.blocks {
        let Some(value) = entries.remove(&nested.type_name) else {
            continue;
        };
        let before = preferred.get(&nested.type_name);
        let value = match (nested.nesting, value) {
            (Nesting::Single | Nesting::Group, value) => reconcile(&nested.block, before, value),
            (Nesting::List, Value::List(items)) => Value::List(
                items
                    .into_iter()
                    .enumerate()
                    .map(|(i, item)| {
                        let before = before
                            .as_elements()
                            .and_then(|e| e.get(i))
                            .unwrap_or(&Value::Null);
                        reconcile(&nested.block, before, item)
                    })
                    .collect(),
            ),
            (Nesting::Map, Value::Map(items)) => Value::Map(
                items
                    .into_iter()
                    .map(|(k, item)| {
                        let item = reconcile(&nested.block, before.get(&k), item);
                        (k, item)
                    })
                    .collect(),
            ),
            (_, value) => value,
        };
        entries.insert(nested.type_name.clone(), value);
    }
    actual
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::schema::{Attribute, NestedBlock};

    fn ip_eq() -> SemanticEq {
        Arc::new(|a: &Value, b: &Value| {
            let norm = |v: &Value| {
                v.as_str()
                    .map(|s| s.strip_suffix("/32").unwrap_or(s).to_owned())
            };
            norm(a).is_some() && norm(a) == norm(b)
        })
    }

    #[test]
    fn sets_compare_element_wise_in_any_order() {
        let eq = ip_eq();
        assert!(semantically_equal(
            &eq,
            &Value::set(["1.1.1.1", "2.2.2.2/32"]),
            &Value::set(["2.2.2.2", "1.1.1.1/32"])
        ));
        assert!(!semantically_equal(
            &eq,
            &Value::set(["1.1.1.1"]),
            &Value::set(["1.1.1.1", "2.2.2.2"])
        ));
        assert!(!semantically_equal(
            &eq,
            &Value::Null,
            &Value::set(Vec::<Value>::new())
        ));
        assert!(!semantically_equal(
            &eq,
            &Value::Unknown,
            &Value::from("1.1.1.1")
        ));
    }

    #[test]
    fn prefer_keeps_the_preferred_representation_per_element() {
        let eq = ip_eq();
        let merged = prefer(
            &eq,
            &Value::set(["1.1.1.1", "3.3.3.3"]),
            Value::set(["1.1.1.1/32", "9.9.9.9/32"]),
        );
        assert_eq!(merged, Value::set(["1.1.1.1", "9.9.9.9/32"]));
        let merged = prefer(
            &eq,
            &Value::list(["1.1.1.1"]),
            Value::list(["1.1.1.1/32", "2.2.2.2/32"]),
        );
        assert_eq!(merged, Value::list(["1.1.1.1", "2.2.2.2/32"]));
        assert_eq!(
            prefer(&eq, &Value::Unknown, Value::from("1.1.1.1/32")),
            Value::from("1.1.1.1/32")
        );
    }

    #[test]
    fn reconcile_walks_attributes_and_blocks() {
        let eq_attr = |name: &str| {
            Attribute::string(name)
                .optional()
                .semantic_eq(|a: &Value, b: &Value| {
                    a.as_str().map(str::to_lowercase) == b.as_str().map(str::to_lowercase)
                })
        };
        let block = Block::new()
            .attr(eq_attr("a"))
            .attr(Attribute::string("plain").optional())
            .block(NestedBlock::new(
                "rule",
                Nesting::List,
                Block::new().attr(eq_attr("b")),
            ));
        let preferred = Value::object([
            ("a", Value::from("X")),
            ("plain", Value::from("P")),
            (
                "rule",
                Value::List(vec![Value::object([("b", Value::from("Y"))])]),
            ),
        ]);
        let actual = Value::object([
            ("a", Value::from("x")),
            ("plain", Value::from("p")),
            (
                "rule",
                Value::List(vec![Value::object([("b", Value::from("y"))])]),
            ),
        ]);
        let merged = reconcile(&block, &preferred, actual);
        assert_eq!(merged.get("a").as_str(), Some("X"));
        assert_eq!(merged.get("plain").as_str(), Some("p"));
        assert_eq!(
            merged.get("rule").as_elements().unwrap()[0]
                .get("b")
                .as_str(),
            Some("Y")
        );
    }
}
