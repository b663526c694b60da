//! Typed models of Terraform objects. A resource or data source declares its attributes once, as the fields of a
//! struct given to [`model!`], and gets from that one declaration the schema's attribute list and the conversions
//! between the struct and the runtime's [`Value`]s.
//!
//! Values are untyped (`state.get("port")`), so without a model an attribute's name is a string repeated in the
//! schema and at every read and write, and a misspelt one shows up at run time only: as the codec's "unsupported
//! attribute" or as a silent null. In a model the name is the field's identifier, so a misspelt one does not
//! compile, and [`mismatches`] holds each model against its schema in a unit test (names and types both ways, and a
//! round trip of example values through the msgpack codec).
//!
//! ```
//! use tfplugin5_runtime::framework::model::{MaybeUnknown, Model, attr_name, model};
//! use tfplugin5_runtime::value::Value;
//!
//! model! {
//!     /// The state of an example resource.
//!     pub struct Example {
//!         id: MaybeUnknown<String> => |a| a.computed().description("Known after apply."),
//!         name: String => |a| a.required().description("The name."),
//!         tags: Option<Vec<String>> => |a| a.optional().description("Tags, if any."),
//!     }
//! }
//! let block = Example::block().description("An example.");
//! assert!(block.problems().is_empty());
//! let planned = Value::object([("id", Value::Unknown), ("name", "x".into()), ("tags", Value::Null)]);
//! let example = Example::from_value(&planned).unwrap();
//! assert_eq!((example.name.as_str(), example.tags), ("x", None));
//! assert_eq!(attr_name!(Example, tags), "tags");
//! ```
//!
//! Null and unknown are kept apart by the field types: `T` is known and not null, `Option<T>` may be null, and
//! [`MaybeUnknown<T>`] may be unknown. Decoding a value that holds more than the field's type admits is an error
//! naming the attribute, so a model is decoded only where its types hold: states (wholly known), and plans at apply
//! time, where only computed attributes can still be unknown (hence `MaybeUnknown` on those). At plan time a
//! configured value may be unknown at any depth: plan-time code decodes a model of just the attributes it needs
//! (failure then means "not known yet"), or reads single attributes by their [`attr_name!`]s.
//!
//! A model may stand for only some of a schema's attributes (an identity, or what one operation reads): decoding
//! reads only the model's attributes and ignores the others, such as a `timeouts` block.
//!
//! Rust types stand for Terraform types as follows: `String`, `i64` (the provider only handles integers, which the
//! runtime keeps exact) and `bool` for the primitives, `Vec<T>` for `list(T)`, `BTreeSet<T>` for `set(T)` and
//! `BTreeMap<String, T>` for `map(T)`.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use crate::schema::{Attribute, Block};
use crate::value::{AttrPath, Type, Value, ValueError, msgpack};

pub use crate::__tf_attr_name as attr_name;
pub use crate::__tf_model as model;

/// A Rust type that stands for a Terraform type: the type a model field of it gets in the schema, and its
/// conversions.
pub trait FieldValue: Sized {
    /// The Terraform type.
    fn ty() -> Type;

    /// Reads `value`, found at `path`; an error when it holds what `Self` cannot (null, unknown, another kind).
    fn from_value(value: &Value, path: &AttrPath) -> Result<Self, ValueError>;

    /// The value, in the form the codec writes for [`FieldValue::ty`].
    fn to_value(&self) -> Value;

    /// Values covering the forms the type can take (null, unknown, empty and non-empty), never none: model round
    /// trips are tested on them.
    fn examples() -> Vec<Self>;
}

/// A value a plan may leave unknown: a computed attribute before apply.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MaybeUnknown<T> {
    Unknown,
    Known(T),
}

impl<T> MaybeUnknown<T> {
    /// The value, if known.
    pub fn known(&self) -> Option<&T> {
        match self {
            Self::Unknown => None,
            Self::Known(value) => Some(value),
        }
    }
}

impl<T> From<T> for MaybeUnknown<T> {
    fn from(value: T) -> Self {
        Self::Known(value)
    }
}

/// A typed model of (some of) the attributes of an object; implemented by [`model!`].
pub trait Model: Sized {
    /// The attributes, in declaration order, as the schema declares them.
    fn attributes() -> Vec<Attribute>;

    /// Reads the model's attributes from an object value (other attributes are ignored).
    fn from_value(value: &Value) -> Result<Self, ValueError>;

    /// The object value: every one of the model's attributes, null ones included.
    fn to_value(&self) -> Value;

    /// Models whose fields go through their types' [`FieldValue::examples`], for round-trip tests.
    fn examples() -> Vec<Self>;

    /// A block of the model's attributes, to which the caller adds its description and any nested blocks.
    fn block() -> Block {
        Block {
            attributes: Self::attributes(),
            ..Block::default()
        }
    }
}

/// Which of a schema's attributes a model stands for, for [`mismatches`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Coverage {
    /// Every attribute (nested blocks aside): the model is the object's value.
    All,
    /// Some of them: an identity, or what one operation reads.
    Subset,
}

/// Where model `M` and `block` disagree, one line each; empty when they agree. Every field of the model must be an
/// attribute of the block with the same type and, for [`Coverage::All`], every attribute of the block a field of
/// the model. Each of the model's examples must go through the block's type and the msgpack codec and come back
/// the same (for `All`, as the same value too).
pub fn mismatches<M: Model + PartialEq + fmt::Debug>(
    block: &Block,
    coverage: Coverage,
) -> Vec<String> {
    let mut found = Vec::new();
    let fields = M::attributes();
    for field in &fields {
        match block.attribute(&field.name) {
            None => found.push(format!(
                "{}: a field of the model is no attribute of the schema",
                field.name
            )),
            Some(attribute) if attribute.ty != field.ty => found.push(format!(
                "{}: the model's type is {}, the schema's {}",
                field.name, field.ty, attribute.ty
            )),
            Some(_) => {}
        }
    }
    if coverage == Coverage::All {
        for attribute in &block.attributes {
            if !fields.iter().any(|field| field.name == attribute.name) {
                found.push(format!(
                    "{}: an attribute of the schema has no field in the model",
                    attribute.name
                ));
            }
        }
    }
    if !found.is_empty() {
        return found;
    }
    let ty = block.value_type();
    for example in M::examples() {
        let value = example.to_value();
        let decoded = msgpack::encode(&value, &ty).and_then(|bytes| msgpack::decode(&bytes, &ty));
        match decoded {
            Err(e) => found.push(format!("{example:?} does not fit the schema: {e}")),
            Ok(decoded) => {
                match M::from_value(&decoded) {
                    Ok(back) if back == example => {}
                    Ok(back) => found.push(format!("{example:?} came back as {back:?}")),
                    Err(e) => found.push(format!("{example:?} does not read back: {e}")),
                }
                if coverage == Coverage::All && decoded != value {
                    found.push(format!("{value:?} came back as {decoded:?}"));
                }
            }
        }
    }
    found
}

/// Declares a model: a struct whose fields are attributes, and its [`Model`] implementation. Each field is
/// `name: Type`, optionally followed by `=> |attribute| ...`, which completes the schema attribute (flags,
/// validators, description) that the name and the type start; a model that only reads values (an identity, say)
/// needs none. The attribute's name is the field's.
#[doc(hidden)]
#[macro_export]
macro_rules! __tf_model {
    (@complete) => {
        |attribute| attribute
    };
    (@complete $build:expr) => {
        $build
    };
    (
        $(#[$meta:meta])*
        $vis:vis struct $name:ident {
            $(
                $(#[$field_meta:meta])*
                $field:ident : $ty:ty $(=> $build:expr)?
            ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq)]
        $vis struct $name {
            $( $(#[$field_meta])* pub $field: $ty, )+
        }

        impl $crate::framework::model::Model for $name {
            fn attributes() -> ::std::vec::Vec<$crate::schema::Attribute> {
                ::std::vec![$(
                    $crate::framework::model::complete(
                        $crate::schema::Attribute::new(
                            ::core::stringify!($field),
                            <$ty as $crate::framework::model::FieldValue>::ty(),
                        ),
                        $crate::__tf_model!(@complete $($build)?),
                    )
                ),+]
            }

            fn from_value(
                value: &$crate::value::Value,
            ) -> ::core::result::Result<Self, $crate::value::ValueError> {
                ::core::result::Result::Ok(Self {
                    $( $field: $crate::framework::model::field(value, ::core::stringify!($field))?, )+
                })
            }

            fn to_value(&self) -> $crate::value::Value {
                $crate::value::Value::object([$((
                    ::core::stringify!($field),
                    $crate::framework::model::FieldValue::to_value(&self.$field),
                )),+])
            }

            fn examples() -> ::std::vec::Vec<Self> {
                let count = [$(
                    <$ty as $crate::framework::model::FieldValue>::examples().len()
                ),+].into_iter().max().unwrap_or(1);
                (0..count)
                    .map(|i| Self { $( $field: $crate::framework::model::nth_example(i), )+ })
                    .collect()
            }
        }
    };
}

/// The name of attribute `field` of model `Model`, as `attr_name!(Model, field)`: a `&'static str` usable in
/// constants, which exists only if the model has that field (so a misspelt name fails to build, like
/// `core::mem::offset_of!`). For code that reads single attributes of values no model can decode, such as plans.
#[doc(hidden)]
#[macro_export]
macro_rules! __tf_attr_name {
    ($model:ty, $field:ident) => {{
        #[allow(dead_code)]
        fn has_field(model: &$model) {
            let _ = &model.$field;
        }
        ::core::stringify!($field)
    }};
}

/// Applies a field's completion to its attribute; a function so that the closure's argument type is inferred.
#[doc(hidden)]
pub fn complete(attribute: Attribute, build: impl FnOnce(Attribute) -> Attribute) -> Attribute {
    build(attribute)
}

/// Reads attribute `name` of `object` as a `T`.
#[doc(hidden)]
pub fn field<T: FieldValue>(object: &Value, name: &str) -> Result<T, ValueError> {
    T::from_value(object.get(name), &AttrPath::attr(name))
}

/// The `i`-th example of `T`, cycling.
#[doc(hidden)]
pub fn nth_example<T: FieldValue>(i: usize) -> T {
    let mut examples = T::examples();
    let at = i % examples.len();
    examples.swap_remove(at)
}

fn wrong(value: &Value, path: &AttrPath, expected: &str) -> ValueError {
    ValueError::new(
        path.clone(),
        format!("{expected} is required here, not {}", value.kind()),
    )
}

impl FieldValue for String {
    fn ty() -> Type {
        Type::String
    }

    fn from_value(value: &Value, path: &AttrPath) -> Result<Self, ValueError> {
        value
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| wrong(value, path, "a known string"))
    }

    fn to_value(&self) -> Value {
        Value::from(self.as_str())
    }

    fn examples() -> Vec<Self> {
        vec!["example".to_owned(), String::new()]
    }
}

impl FieldValue for i64 {
    fn ty() -> Type {
        Type::Number
    }

    fn from_value(value: &Value, path: &AttrPath) -> Result<Self, ValueError> {
        value
            .as_i64()
            .ok_or_else(|| wrong(value, path, "a known integer"))
    }

    fn to_value(&self) -> Value {
        Value::from(*self)
    }

    fn examples() -> Vec<Self> {
        vec![42, i64::MIN, i64::MAX]
    }
}

impl FieldValue for bool {
    fn ty() -> Type {
        Type::Bool
    }

    fn from_value(value: &Value, path: &AttrPath) -> Result<Self, ValueError> {
        value
            .as_bool()
            .ok_or_else(|| wrong(value, path, "a known bool"))
    }

    fn to_value(&self) -> Value {
        Value::from(*self)
    }

    fn examples() -> Vec<Self> {
        vec![true, false]
    }
}

/// Null is `None`.
impl<T: FieldValue> FieldValue for Option<T> {
    fn ty() -> Type {
        T::ty()
    }

    fn from_value(value: &Value, path: &AttrPath) -> Result<Self, ValueError> {
        match value {
            Value::Null => Ok(None),
            known => T::from_value(known, path).map(Some),
        }
    }

    fn to_value(&self) -> Value {
        self.as_ref().map_or(Value::Null, T::to_value)
    }

    fn examples() -> Vec<Self> {
        let mut examples = vec![None];
        examples.extend(T::examples().into_iter().map(Some));
        examples
    }
}

impl<T: FieldValue> FieldValue for MaybeUnknown<T> {
    fn ty() -> Type {
        T::ty()
    }

    fn from_value(value: &Value, path: &AttrPath) -> Result<Self, ValueError> {
        match value {
            Value::Unknown => Ok(Self::Unknown),
            known => T::from_value(known, path).map(Self::Known),
        }
    }

    fn to_value(&self) -> Value {
        match self {
            Self::Unknown => Value::Unknown,
            Self::Known(value) => value.to_value(),
        }
    }

    fn examples() -> Vec<Self> {
        let mut examples = vec![Self::Unknown];
        examples.extend(T::examples().into_iter().map(Self::Known));
        examples
    }
}

/// `list(T)`.
impl<T: FieldValue> FieldValue for Vec<T> {
    fn ty() -> Type {
        Type::list(T::ty())
    }

    fn from_value(value: &Value, path: &AttrPath) -> Result<Self, ValueError> {
        match value {
            Value::List(items) => items
                .iter()
                .enumerate()
                .map(|(i, item)| T::from_value(item, &path.join_index(i)))
                .collect(),
            other => Err(wrong(other, path, "a known list")),
        }
    }

    fn to_value(&self) -> Value {
        Value::List(self.iter().map(T::to_value).collect())
    }

    fn examples() -> Vec<Self> {
        vec![T::examples(), Vec::new()]
    }
}

/// `set(T)`. Set elements have no path of their own in Terraform's protocol, so errors name the set.
impl<T: FieldValue + Ord> FieldValue for BTreeSet<T> {
    fn ty() -> Type {
        Type::set(T::ty())
    }

    fn from_value(value: &Value, path: &AttrPath) -> Result<Self, ValueError> {
        match value {
            Value::Set(items) => items.iter().map(|item| T::from_value(item, path)).collect(),
            other => Err(wrong(other, path, "a known set")),
        }
    }

    fn to_value(&self) -> Value {
        Value::Set(self.iter().map(T::to_value).collect())
    }

    fn examples() -> Vec<Self> {
        vec![T::examples().into_iter().collect(), Self::new()]
    }
}

/// `map(T)`.
impl<T: FieldValue> FieldValue for BTreeMap<String, T> {
    fn ty() -> Type {
        Type::map(T::ty())
    }

    fn from_value(value: &Value, path: &AttrPath) -> Result<Self, ValueError> {
        match value {
            Value::Map(entries) => entries
                .iter()
                .map(|(key, item)| Ok((key.clone(), T::from_value(item, &path.join_key(key))?)))
                .collect(),
            other => Err(wrong(other, path, "a known map")),
        }
    }

    fn to_value(&self) -> Value {
        Value::Map(
            self.iter()
                .map(|(key, item)| (key.clone(), item.to_value()))
                .collect(),
        )
    }

    fn examples() -> Vec<Self> {
        let filled = T::examples()
            .into_iter()
            .enumerate()
            .map(|(i, item)| (format!("key{i}"), item))
            .collect();
        vec![filled, Self::new()]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    model! {
        /// Every kind of field.
        struct Sample {
            /// Known after apply.
            id: MaybeUnknown<String> => |a| a.computed().description("Id."),
            name: String => |a| a.required().description("Name."),
            count: Option<i64> => |a| a.optional().description("Count."),
            on: bool => |a| a.default(false).description("On."),
            items: Option<Vec<Option<String>>> => |a| a.optional().description("Items."),
            tags: BTreeSet<String> => |a| a.computed().description("Tags."),
            labels: Option<BTreeMap<String, i64>> => |a| a.optional().description("Labels."),
        }
    }

    model! {
        /// Two of `Sample`'s attributes, without schema details.
        struct Part {
            name: String,
            count: Option<i64>,
        }
    }

    #[test]
    fn the_declaration_is_the_schema() {
        let block = Sample::block().description("A sample.");
        assert_eq!(block.problems(), Vec::<String>::new());
        let names: Vec<_> = block.attributes.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(
            names,
            ["id", "name", "count", "on", "items", "tags", "labels"]
        );
        assert_eq!(
            block.value_type(),
            Type::object([
                ("id", Type::String),
                ("name", Type::String),
                ("count", Type::Number),
                ("on", Type::Bool),
                ("items", Type::list(Type::String)),
                ("tags", Type::set(Type::String)),
                ("labels", Type::map(Type::Number)),
            ])
        );
        let id = block.attribute("id").unwrap();
        assert!(id.computed && !id.optional && id.description == "Id.");
        assert_eq!(
            block.attribute("on").unwrap().default,
            Some(Value::from(false))
        );
        assert!(Part::attributes().iter().all(|a| a.description.is_empty()));
        assert_eq!(attr_name!(Sample, labels), "labels");
        const NAME: &str = attr_name!(Part, name);
        assert_eq!(NAME, "name");
    }

    #[test]
    fn values_in_and_out_keep_null_and_unknown_apart() {
        let value = Value::object([
            ("id", Value::Unknown),
            ("name", "n".into()),
            ("count", Value::Null),
            ("on", true.into()),
            ("items", Value::list([Value::Null, "a".into()])),
            ("tags", Value::set(["b", "a"])),
            ("labels", Value::map([("k", Value::from(3_i64))])),
            ("timeouts", Value::Null),
        ]);
        let sample = Sample::from_value(&value).unwrap();
        assert_eq!(sample.id, MaybeUnknown::Unknown);
        assert_eq!(sample.count, None);
        assert_eq!(sample.items, Some(vec![None, Some("a".to_owned())]));
        assert_eq!(sample.tags.iter().collect::<Vec<_>>(), ["a", "b"]);
        let Value::Object(mut entries) = value else {
            unreachable!()
        };
        entries.remove("timeouts");
        assert_eq!(
            sample.to_value(),
            Value::Object(entries),
            "every attribute, nulls included"
        );
        assert_eq!(
            Part::from_value(&sample.to_value()).unwrap(),
            Part {
                name: "n".into(),
                count: None
            }
        );
    }

    #[test]
    fn what_a_type_does_not_admit_is_an_error_at_its_path() {
        let base = Part {
            name: "n".into(),
            count: Some(1),
        }
        .to_value();
        for (name, bad, expected) in [
            (
                "name",
                Value::Unknown,
                "name: a known string is required here, not unknown",
            ),
            (
                "name",
                Value::Null,
                "name: a known string is required here, not null",
            ),
            (
                "count",
                Value::Unknown,
                "count: a known integer is required here, not unknown",
            ),
            (
                "count",
                Value::from("1"),
                "count: a known integer is required here, not string",
            ),
        ] {
            let error = Part::from_value(&base.clone().with_attr(name, bad)).unwrap_err();
            assert_eq!(error.to_string(), expected);
        }
        let item = Value::object([("items", Value::list([Value::Unknown]))]);
        let error = field::<Option<Vec<String>>>(&item, "items").unwrap_err();
        assert_eq!(error.path, AttrPath::attr("items").join_index(0));
        assert!(
            field::<MaybeUnknown<Option<i64>>>(&Value::Null, "x")
                .is_ok_and(|v| v == MaybeUnknown::Known(None))
        );
    }

    #[test]
    fn models_are_checked_against_schemas() {
        let block = Sample::block();
        assert_eq!(
            mismatches::<Sample>(&block, Coverage::All),
            Vec::<String>::new()
        );
        assert_eq!(
            mismatches::<Part>(&block, Coverage::Subset),
            Vec::<String>::new()
        );
        assert!(
            Sample::examples().len() >= 4,
            "each field's forms are covered"
        );
        let problems = mismatches::<Part>(&block, Coverage::All);
        assert!(
            problems
                .iter()
                .any(|p| p.starts_with("tags: an attribute of the schema")),
            "{problems:?}"
        );
        let other = Block::new()
            .attr(Attribute::number("name").required().description("x"))
            .attr(Attribute::string("extra").optional().description("x"));
        let problems = mismatches::<Part>(&other, Coverage::Subset);
        assert_eq!(
            problems,
            [
                "name: the model's type is string, the schema's number",
                "count: a field of the model is no attribute of the schema",
            ]
        );
    }
}
