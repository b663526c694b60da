//! Plan-time validation of a configuration against its schema: every attribute's validators, run on known,
//! non-null values only, with the attribute's path; and warnings for deprecated attributes that are set.

use crate::diag::Diagnostics;
use crate::schema::{Block, Nesting};
use crate::value::{AttrPath, Value};

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
