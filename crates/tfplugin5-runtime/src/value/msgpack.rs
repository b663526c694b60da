//! The msgpack codec of `DynamicValue.msgpack`, driven by the type (cty's `msgpack.Marshal`/`Unmarshal` rules):
//! unknown is ext 0 (`d4 00 00`) on write and any ext on read (refined unknowns, ext 12, included); objects are
//! maps holding every attribute; numbers are ints, floats or decimal strings; `dynamic` is
//! `[bin(type JSON), value]`. Decoding never trusts the input: shapes, types, depth and trailing bytes are checked
//! and every error names the path of the offending value.

use std::collections::BTreeMap;

use rmpv::Value as Mp;

use super::{AttrPath, Number, Type, Value, ValueError};

/// Deepest nesting accepted on read. Terraform schemas are a few levels deep; this only stops hostile input from
/// exhausting the stack.
const MAX_DEPTH: usize = 128;

/// The bytes of Terraform's unknown value.
fn unknown() -> Mp {
    Mp::Ext(0, vec![0])
}

/// Encodes `value` as a value of type `ty`. Missing object attributes are written as null; anything that does not
/// conform to the type is an error naming its path.
pub fn encode(value: &Value, ty: &Type) -> Result<Vec<u8>, ValueError> {
    let tree = to_msgpack(value, ty, &AttrPath::root())?;
    let mut bytes = Vec::new();
    rmpv::encode::write_value(&mut bytes, &tree)
        .map_err(|e| ValueError::new(AttrPath::root(), format!("msgpack write failed: {e}")))?;
    Ok(bytes)
}

/// Decodes msgpack bytes as a value of type `ty`. Empty input is null, as Terraform reads an absent value.
pub fn decode(bytes: &[u8], ty: &Type) -> Result<Value, ValueError> {
    if bytes.is_empty() {
        return Ok(Value::Null);
    }
    let mut reader = bytes;
    let tree = rmpv::decode::read_value_with_max_depth(&mut reader, MAX_DEPTH)
        .map_err(|e| ValueError::new(AttrPath::root(), format!("invalid msgpack: {e}")))?;
    if !reader.is_empty() {
        return Err(ValueError::new(
            AttrPath::root(),
            format!("{} unexpected bytes after the value", reader.len()),
        ));
    }
    from_msgpack(&tree, ty, &AttrPath::root())
}

fn mismatch(path: &AttrPath, ty: &Type, value: &Value) -> ValueError {
    ValueError::new(
        path.clone(),
        format!("a {ty} value is required, not a {}", value.kind()),
    )
}

fn to_msgpack(value: &Value, ty: &Type, path: &AttrPath) -> Result<Mp, ValueError> {
    Ok(match (ty, value) {
        (_, Value::Unknown) => unknown(),
        (_, Value::Null) => Mp::Nil,
        (Type::Dynamic, value) => {
            let concrete = infer_type(value);
            Mp::Array(vec![
                Mp::Binary(concrete.to_json_bytes()),
                to_msgpack(value, &concrete, path)?,
            ])
        }
        (Type::Bool, Value::Bool(b)) => Mp::Boolean(*b),
        (Type::Number, Value::Number(n)) => n.to_msgpack(),
        (Type::String, Value::String(s)) => Mp::from(s.as_str()),
        (Type::List(element), Value::List(items)) => Mp::Array(
            items
                .iter()
                .enumerate()
                .map(|(i, item)| to_msgpack(item, element, &path.join_index(i)))
                .collect::<Result<_, _>>()?,
        ),
        (Type::Set(element), Value::Set(items)) => Mp::Array(
            items
                .iter()
                .map(|item| to_msgpack(item, element, path))
                .collect::<Result<_, _>>()?,
        ),
        (Type::Map(element), Value::Map(entries)) => Mp::Map(
            entries
                .iter()
                .map(|(key, item)| {
                    Ok((
                        Mp::from(key.as_str()),
                        to_msgpack(item, element, &path.join_key(key))?,
                    ))
                })
                .collect::<Result<_, ValueError>>()?,
        ),
        (Type::Object(attributes), Value::Object(entries)) => {
            if let Some(extra) = entries.keys().find(|name| !attributes.contains_key(*name)) {
                return Err(ValueError::new(
                    path.join_attr(extra),
                    "unsupported attribute",
                ));
            }
            Mp::Map(
                attributes
                    .iter()
                    .map(|(name, attr_ty)| {
                        let item = entries.get(name).unwrap_or(&Value::Null);
                        Ok((
                            Mp::from(name.as_str()),
                            to_msgpack(item, attr_ty, &path.join_attr(name))?,
                        ))
                    })
                    .collect::<Result<_, ValueError>>()?,
            )
        }
        (Type::Tuple(types), Value::Tuple(items)) if types.len() == items.len() => Mp::Array(
            items
                .iter()
                .zip(types)
                .enumerate()
                .map(|(i, (item, item_ty))| to_msgpack(item, item_ty, &path.join_index(i)))
                .collect::<Result<_, _>>()?,
        ),
        (ty, value) => return Err(mismatch(path, ty, value)),
    })
}

/// The concrete type of a value written where the schema says `dynamic`. Nulls, unknowns and empty collections
/// carry no type information, so they are `dynamic`, which Terraform accepts for them.
pub fn infer_type(value: &Value) -> Type {
    let common = |items: &[Value]| {
        items
            .iter()
            .map(infer_type)
            .find(|ty| *ty != Type::Dynamic)
            .unwrap_or(Type::Dynamic)
    };
    match value {
        Value::Null | Value::Unknown => Type::Dynamic,
        Value::Bool(_) => Type::Bool,
        Value::Number(_) => Type::Number,
        Value::String(_) => Type::String,
        Value::List(items) => Type::list(common(items)),
        Value::Set(items) => Type::set(common(items)),
        Value::Map(entries) => Type::map(common(&entries.values().cloned().collect::<Vec<_>>())),
        Value::Object(entries) => Type::Object(
            entries
                .iter()
                .map(|(k, v)| (k.clone(), infer_type(v)))
                .collect(),
        ),
        Value::Tuple(items) => Type::Tuple(items.iter().map(infer_type).collect()),
    }
}

fn expected(path: &AttrPath, ty: &Type, found: &Mp) -> ValueError {
    let kind = match found {
        Mp::Nil => "nil",
        Mp::Boolean(_) => "bool",
        Mp::Integer(_) => "integer",
        Mp::F32(_) | Mp::F64(_) => "float",
        Mp::String(_) => "string",
        Mp::Binary(_) => "binary",
        Mp::Array(_) => "array",
        Mp::Map(_) => "map",
        Mp::Ext(..) => "ext",
    };
    ValueError::new(
        path.clone(),
        format!("a {ty} value is required, found msgpack {kind}"),
    )
}

fn from_msgpack(tree: &Mp, ty: &Type, path: &AttrPath) -> Result<Value, ValueError> {
    Ok(match (ty, tree) {
        (_, Mp::Ext(..)) => Value::Unknown,
        (_, Mp::Nil) => Value::Null,
        (Type::Dynamic, Mp::Array(pair)) if pair.len() == 2 => {
            let type_json = match &pair[0] {
                Mp::Binary(bytes) => bytes.as_slice(),
                Mp::String(s) => s.as_bytes(),
                other => return Err(expected(path, &Type::String, other)),
            };
            let concrete = Type::from_json_bytes(type_json)
                .map_err(|e| ValueError::new(path.clone(), format!("dynamic value: {e}")))?;
            from_msgpack(&pair[1], &concrete, path)?
        }
        (Type::Bool, Mp::Boolean(b)) => Value::Bool(*b),
        (Type::Number, Mp::Integer(int)) => {
            let number = match (int.as_i64(), int.as_u64()) {
                (Some(i), _) => Number::from(i),
                (None, Some(u)) => Number::from(u),
                (None, None) => return Err(ValueError::new(path.clone(), "integer out of range")),
            };
            Value::Number(number)
        }
        (Type::Number, Mp::F32(f)) => float(f64::from(*f), path)?,
        (Type::Number, Mp::F64(f)) => float(*f, path)?,
        (Type::Number, Mp::String(s)) => {
            let text = s
                .as_str()
                .ok_or_else(|| ValueError::new(path.clone(), "number text is not UTF-8"))?;
            Value::Number(
                Number::parse(text).map_err(|e| ValueError::new(path.clone(), e.to_string()))?,
            )
        }
        (Type::String, Mp::String(s)) => Value::String(
            s.as_str()
                .ok_or_else(|| ValueError::new(path.clone(), "string is not UTF-8"))?
                .to_owned(),
        ),
        (Type::List(element), Mp::Array(items)) => Value::List(
            items
                .iter()
                .enumerate()
                .map(|(i, item)| from_msgpack(item, element, &path.join_index(i)))
                .collect::<Result<_, _>>()?,
        ),
        (Type::Set(element), Mp::Array(items)) => Value::Set(
            items
                .iter()
                .map(|item| from_msgpack(item, element, path))
                .collect::<Result<_, _>>()?,
        ),
        (Type::Tuple(types), Mp::Array(items)) => {
            if types.len() != items.len() {
                return Err(ValueError::new(
                    path.clone(),
                    format!(
                        "a tuple of {} elements is required ({} given)",
                        types.len(),
                        items.len()
                    ),
                ));
            }
            Value::Tuple(
                items
                    .iter()
                    .zip(types)
                    .enumerate()
                    .map(|(i, (item, item_ty))| from_msgpack(item, item_ty, &path.join_index(i)))
                    .collect::<Result<_, _>>()?,
            )
        }
        (Type::Map(element), Mp::Map(entries)) => {
            let mut map = BTreeMap::new();
            for (key, item) in entries {
                let key = map_key(key, path)?;
                let value = from_msgpack(item, element, &path.join_key(key))?;
                if map.insert(key.to_owned(), value).is_some() {
                    return Err(ValueError::new(path.join_key(key), "duplicate map key"));
                }
            }
            Value::Map(map)
        }
        (Type::Object(attributes), Mp::Map(entries)) => {
            let mut object = BTreeMap::new();
            for (key, item) in entries {
                let name = map_key(key, path)?;
                let attr_ty = attributes.get(name).ok_or_else(|| {
                    ValueError::new(path.join_attr(name), "unsupported attribute")
                })?;
                let value = from_msgpack(item, attr_ty, &path.join_attr(name))?;
                if object.insert(name.to_owned(), value).is_some() {
                    return Err(ValueError::new(path.join_attr(name), "duplicate attribute"));
                }
            }
            if let Some(missing) = attributes.keys().find(|name| !object.contains_key(*name)) {
                return Err(ValueError::new(
                    path.join_attr(missing),
                    "missing attribute",
                ));
            }
            Value::Object(object)
        }
        (ty, other) => return Err(expected(path, ty, other)),
    })
}

fn float(value: f64, path: &AttrPath) -> Result<Value, ValueError> {
    Number::from_f64(value)
        .map(Value::Number)
        .ok_or_else(|| ValueError::new(path.clone(), "NaN is not a number"))
}

fn map_key<'a>(key: &'a Mp, path: &AttrPath) -> Result<&'a str, ValueError> {
    match key {
        Mp::String(s) => s
            .as_str()
            .ok_or_else(|| ValueError::new(path.clone(), "map key is not UTF-8")),
        other => Err(ValueError::new(
            path.clone(),
            format!("map keys must be strings, found {other}"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(value: &Value, ty: &Type) -> Value {
        decode(&encode(value, ty).unwrap(), ty).unwrap()
    }

    fn sample_type() -> Type {
        Type::object([
            ("id", Type::String),
            ("count", Type::Number),
            ("enabled", Type::Bool),
            ("ips", Type::set(Type::String)),
            ("ports", Type::list(Type::Number)),
            ("tags", Type::map(Type::String)),
            (
                "nested",
                Type::object([("a", Type::String), ("b", Type::list(Type::Bool))]),
            ),
            ("pair", Type::Tuple(vec![Type::String, Type::Number])),
            ("anything", Type::Dynamic),
        ])
    }

    #[test]
    fn unknown_is_ext_zero_and_any_ext_reads_as_unknown() {
        assert_eq!(
            encode(&Value::Unknown, &Type::String).unwrap(),
            [0xd4, 0x00, 0x00]
        );
        assert_eq!(
            decode(&[0xd4, 0x00, 0x00], &Type::Number).unwrap(),
            Value::Unknown
        );
        // A refined unknown (ext 12 holding {1: false}).
        assert_eq!(
            decode(&[0xc7, 0x03, 0x0c, 0x81, 0x01, 0xc3], &Type::String).unwrap(),
            Value::Unknown
        );
        assert_eq!(
            decode(&[0xc0], &Type::set(Type::String)).unwrap(),
            Value::Null
        );
        assert_eq!(decode(&[], &Type::String).unwrap(), Value::Null);
    }

    #[test]
    fn round_trips_of_nulls_unknowns_and_nesting() {
        let ty = sample_type();
        let full = Value::object([
            ("id", Value::from("lb/1")),
            ("count", Value::from(3_i64)),
            ("enabled", Value::from(true)),
            ("ips", Value::set(["1.2.3.4/32", "5.6.7.8"])),
            (
                "ports",
                Value::List(vec![80_i64.into(), Value::Unknown, Value::Null]),
            ),
            (
                "tags",
                Value::map([("a", Value::from("x")), ("b", Value::Unknown)]),
            ),
            (
                "nested",
                Value::object([("a", Value::Null), ("b", Value::list([true, false]))]),
            ),
            ("pair", Value::Tuple(vec!["x".into(), Value::Unknown])),
            ("anything", Value::map([("k", Value::list([1_i64, 2]))])),
        ]);
        assert_eq!(round_trip(&full, &ty), full);
        let sparse = Value::object([("id", Value::Unknown), ("nested", Value::Unknown)]);
        let decoded = round_trip(&sparse, &ty);
        assert_eq!(decoded.get("id"), &Value::Unknown);
        assert_eq!(decoded.get("nested"), &Value::Unknown);
        assert!(decoded.get("ips").is_null());
        // Every attribute is written, nulls included.
        assert_eq!(decoded.as_entries().unwrap().len(), 9);
    }

    #[test]
    fn every_number_form() {
        let cases: Vec<(Vec<u8>, Value)> = vec![
            (vec![0x05], 5_i64.into()),
            (vec![0xfb], (-5_i64).into()),
            (vec![0xcd, 0x01, 0x2c], 300_i64.into()),
            (
                vec![0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
                u64::MAX.into(),
            ),
            (
                vec![0xcb, 0x3f, 0xe0, 0, 0, 0, 0, 0, 0],
                Value::Number(Number::from_f64(0.5).unwrap()),
            ),
        ];
        for (bytes, expected) in cases {
            let decoded = decode(&bytes, &Type::Number).unwrap();
            assert_eq!(decoded, expected);
            assert_eq!(
                encode(&decoded, &Type::Number).unwrap(),
                bytes,
                "not written in the most compact form"
            );
        }
        // Wider encodings than needed are read too.
        assert_eq!(
            decode(&[0xd0, 0xfb], &Type::Number).unwrap().as_i64(),
            Some(-5)
        );
        assert_eq!(
            decode(&[0xd3, 0, 0, 0, 0, 0, 0, 0, 7], &Type::Number)
                .unwrap()
                .as_i64(),
            Some(7)
        );
        // float32 2.5
        assert_eq!(
            decode(&[0xca, 0x40, 0x20, 0, 0], &Type::Number)
                .unwrap()
                .as_number()
                .unwrap()
                .as_f64(),
            2.5
        );
        // A decimal string beyond i64/f64 precision survives a round trip as text.
        let big = "123456789012345678901234567890.5";
        let mut bytes = vec![0xd9, big.len() as u8];
        bytes.extend_from_slice(big.as_bytes());
        let decoded = decode(&bytes, &Type::Number).unwrap();
        assert_eq!(decoded.as_number().unwrap().to_string(), big);
        assert_eq!(encode(&decoded, &Type::Number).unwrap(), bytes);
        // An integral float and an integral string are integers.
        assert_eq!(
            decode(&[0xcb, 0x40, 0x59, 0, 0, 0, 0, 0, 0], &Type::Number)
                .unwrap()
                .as_i64(),
            Some(100)
        );
        assert_eq!(
            decode(&[0xa3, b'1', b'0', b'0'], &Type::Number)
                .unwrap()
                .as_i64(),
            Some(100)
        );
        let inf = decode(
            &encode(
                &Value::Number(Number::from_f64(f64::INFINITY).unwrap()),
                &Type::Number,
            )
            .unwrap(),
            &Type::Number,
        );
        assert!(inf.unwrap().as_number().unwrap().as_f64().is_infinite());
    }

    #[test]
    fn dynamic_is_type_json_then_value() {
        let value = Value::list(["a", "b"]);
        let bytes = encode(&value, &Type::Dynamic).unwrap();
        let mut expected = vec![0x92, 0xc4, 17];
        expected.extend_from_slice(br#"["list","string"]"#);
        expected.extend_from_slice(&[0x92, 0xa1, b'a', 0xa1, b'b']);
        assert_eq!(bytes, expected);
        assert_eq!(decode(&bytes, &Type::Dynamic).unwrap(), value);
        assert_eq!(encode(&Value::Null, &Type::Dynamic).unwrap(), [0xc0]);
        assert_eq!(
            encode(&Value::Unknown, &Type::Dynamic).unwrap(),
            [0xd4, 0, 0]
        );
        let nested = Value::object([
            ("o", Value::set([1_i64])),
            ("t", Value::Tuple(vec![true.into()])),
        ]);
        assert_eq!(round_trip(&nested, &Type::Dynamic), nested);
    }

    #[test]
    fn encoding_rejects_values_of_the_wrong_type_with_their_path() {
        let ty = sample_type();
        let bad = Value::object([(
            "nested",
            Value::object([("b", Value::list([Value::from("x")]))]),
        )]);
        let err = encode(&bad, &ty).unwrap_err();
        assert_eq!(err.path.to_string(), "nested.b[0]");
        let extra = Value::object([("bogus", Value::Null)]);
        assert_eq!(encode(&extra, &ty).unwrap_err().path.to_string(), "bogus");
        assert!(encode(&Value::list(["a"]), &Type::set(Type::String)).is_err());
    }

    #[test]
    fn hostile_inputs_are_errors_not_panics() {
        let ty = sample_type();
        let inputs: Vec<Vec<u8>> = vec![
            vec![0xdd, 0xff, 0xff, 0xff, 0xff], // array of 4G elements, truncated
            vec![0xdf, 0xff, 0xff, 0xff, 0xff], // map of 4G entries, truncated
            vec![0x91; 100_000],                // very deep nesting
            vec![0x80],                         // empty map: attributes missing
            vec![0x81, 0xa3, b'f', b'o', b'o', 0xc0], // unknown attribute
            vec![0x81, 0x01, 0xc0],             // integer key
            vec![0xc0, 0xc0],                   // trailing bytes
            vec![0xa2, 0xff, 0xfe],             // string at the root of an object
            vec![0xcb, 0x7f, 0xf8, 0, 0, 0, 0, 0, 1], // NaN
        ];
        for input in inputs {
            assert!(decode(&input, &ty).is_err(), "{input:02x?} accepted");
        }
        assert!(
            decode(&[0xa2, 0xff, 0xfe], &Type::String).is_err(),
            "invalid UTF-8 accepted"
        );
        assert!(decode(&[0xcb, 0x7f, 0xf8, 0, 0, 0, 0, 0, 1], &Type::Number).is_err());
        assert!(
            decode(&[0x92, 0xc4, 0x01, b'x', 0xc0], &Type::Dynamic).is_err(),
            "bad type JSON accepted"
        );
        assert!(decode(&[0x91, 0xc0], &Type::Dynamic).is_err());
        let dup = [0x82, 0xa1, b'a', 0xc0, 0xa1, b'a', 0xc0];
        assert!(decode(&dup, &Type::map(Type::String)).is_err());
        assert!(decode(&dup, &Type::object([("a", Type::String)])).is_err());
        assert!(decode(&[0x91, 0xc3], &Type::Tuple(vec![])).is_err());
        let nested_err = decode(
            &[0x81, 0xa2, b'i', b'd', 0x05],
            &Type::object([("id", Type::String)]),
        )
        .unwrap_err();
        assert_eq!(nested_err.path.to_string(), "id");
    }

    /// Cheap fuzzing: every prefix and many byte flips of a valid encoding decode to a value or an error.
    #[test]
    fn mutated_inputs_never_panic() {
        let ty = sample_type();
        let value = Value::object([
            ("ips", Value::set(["a"])),
            ("tags", Value::map([("k", Value::from("v"))])),
        ]);
        let bytes = encode(&value, &ty).unwrap();
        for end in 0..bytes.len() {
            let _ = decode(&bytes[..end], &ty);
        }
        // xorshift64: deterministic and dependency-free.
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..5000 {
            let mut mutated = bytes.clone();
            for _ in 0..1 + next() % 3 {
                let at = (next() % mutated.len() as u64) as usize;
                mutated[at] = next() as u8;
            }
            let _ = decode(&mutated, &ty);
            let _ = decode(&mutated, &Type::Dynamic);
        }
    }
}
