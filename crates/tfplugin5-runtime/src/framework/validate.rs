//! Plan-time validation of a configuration against its schema: every attribute's validators, run on known,
//! non-null values only, with the attribute's path; and warnings for deprecated attributes that are set. Also what
//! every driven type (resource, data source, list resource, action) shares for it: [`Typed`] and [`Configurable`].

use std::sync::Arc;

use crate::diag::Diagnostics;
use crate::schema::{Block, Nesting, Schema};
use crate::value::{AttrPath, Type, Value};

/// A schema and the value type it implies, computed once.
pub struct Typed {
    schema: Schema,
    ty: Type,
}

impl Typed {
    /// `schema` with its value type.
    pub fn new(schema: Schema) -> Self {
        let ty = schema.value_type();
        Self { schema, ty }
    }
}

/// What the gRPC layer needs of every driven type that takes a configuration: its schema, the type of its values
/// (to decode them) and its checks of a configuration.
pub trait Configurable {
    /// Its schema and value type.
    fn typed(&self) -> &Typed;

    /// The type's own checks, after the schema's (attribute validators).
    fn check(&self, config: &Value, diags: &mut Diagnostics);

    /// Its schema as Terraform sees it.
    fn schema(&self) -> &Schema {
        &self.typed().schema
    }

    /// The type of its values.
    fn value_type(&self) -> &Type {
        &self.typed().ty
    }

    /// Every check of a configuration: the schema's validators, then the type's own.
    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        validate_config(&self.schema().block, config, diags);
        self.check(config, diags);
    }
}

impl<T: Configurable + ?Sized> Configurable for Arc<T> {
    fn typed(&self) -> &Typed {
        (**self).typed()
    }

    fn check(&self, config: &Value, diags: &mut Diagnostics) {
        (**self).check(config, diags);
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        (**self).validate(config, diags);
    }
}

/// Validates `config` (an object of `block`) and its nested blocks.
pub fn validate_config(block: &Block, config: &Value, diags: &mut Diagnostics) {
    validate_object(block, config, &AttrPath::root(), diags);
}

fn validate_object(block: &Block, config: &Value, path: &AttrPath, diags: &mut Diagnostics) {
    if !matches!(config, Value::Object(_)) {
        return;
    }
    for attribute in &block.attributes {
        let value = config.get(&attribute.name);
        if value.is_null() || value.is_unknown() {
            continue;
        }
        let at = path.join_attr(&attribute.name);
        if let Some(message) = &attribute.deprecated {
            diags.warning_at(
                &at,
                format!("Argument {} is deprecated", attribute.name),
                message.clone(),
            );
        }
        for validator in &attribute.validators {
            validator.validate(value, &at, diags);
        }
    }
    for nested in &block.blocks {
        let value = config.get(&nested.type_name);
        let at = path.join_attr(&nested.type_name);
        match (nested.nesting, value) {
            (Nesting::Single | Nesting::Group, value) => {
                validate_object(&nested.block, value, &at, diags)
            }
            (Nesting::List, Value::List(items)) => {
                for (i, item) in items.iter().enumerate() {
                    validate_object(&nested.block, item, &at.join_index(i), diags);
                }
            }
            (Nesting::Set, Value::Set(items)) => {
                for item in items {
                    validate_object(&nested.block, item, &at, diags);
                }
            }
            (Nesting::Map, Value::Map(items)) => {
                for (key, item) in items {
                    validate_object(&nested.block, item, &at.join_key(key), diags);
                }
            }
            _ => {}
        }
    }
}
