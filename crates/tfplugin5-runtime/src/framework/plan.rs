//! The planning rules applied to every resource before its own `modify_plan` hook (facts §2.6):
//! - a computed attribute null in config plans its default, else unknown on create, else its prior value;
//! - an attribute set in config plans the config value, or the prior value when semantically equal to it;
//! - when the resource changes, computed attributes null in config become unknown, unless they use the state
//!   for unknown (a change of the `timeouts` block alone is no change);
//! - `requires_replace` lists the attributes so marked whose planned value differs from the prior one.

use crate::schema::{Block, Nesting};
use crate::value::{AttrPath, Value};

use super::semantic::semantically_equal;
use super::timeouts;

/// Plans `config` against `prior` (null on create). `proposed` is Terraform's proposed new state.
pub fn plan(block: &Block, prior: &Value, config: &Value, proposed: &Value) -> Value {
    let mut planned = plan_object(block, prior, config, proposed);
    if !prior.is_null() && without_timeouts(&planned) != without_timeouts(prior) {
        mark_computed_unknown(block, config, &mut planned);
    }
    planned
}

/// The value without its `timeouts` block, to tell real changes from timeout changes.
fn without_timeouts(value: &Value) -> Value {
    match value {
        Value::Object(entries) => Value::Object(
            entries
                .iter()
                .filter(|(k, _)| *k != timeouts::BLOCK_NAME)
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        ),
        other => other.clone(),
    }
}

fn plan_object(block: &Block, prior: &Value, config: &Value, proposed: &Value) -> Value {
    if config.is_null() || config.is_unknown() {
        return config.clone();
    }
    let mut planned = std::collections::BTreeMap::new();
    for attribute in &block.attributes {
        let name = attribute.name.as_str();
        let (cfg, pri) = (config.get(name), prior.get(name));
        let value = if attribute.computed && cfg.is_null() {
            match (&attribute.default, prior.is_null()) {
                (Some(default), _) => default.clone(),
                (None, true) => Value::Unknown,
                (None, false) => proposed.get(name).clone(),
            }
        } else {
            let same = attribute.semantic_eq.as_ref().is_some_and(|eq| {
                !pri.is_null() && cfg.is_wholly_known() && semantically_equal(eq, cfg, pri)
            });
            if same { pri.clone() } else { cfg.clone() }
        };
        planned.insert(attribute.name.clone(), value);
    }
    for nested in &block.blocks {
        let name = nested.type_name.as_str();
        let (cfg, pri, prop) = (config.get(name), prior.get(name), proposed.get(name));
        let value = match (nested.nesting, cfg) {
            (_, Value::Null | Value::Unknown) => cfg.clone(),
            (Nesting::Single | Nesting::Group, cfg) => plan_object(&nested.block, pri, cfg, prop),
            (Nesting::List, Value::List(items)) => Value::List(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| {
                        let nth = |v: &Value| {
                            v.as_elements()
                                .and_then(|e| e.get(i))
                                .cloned()
                                .unwrap_or_default()
                        };
                        plan_object(&nested.block, &nth(pri), item, &nth(prop))
                    })
                    .collect(),
            ),
            (Nesting::Map, Value::Map(items)) => Value::Map(
                items
                    .iter()
                    .map(|(key, item)| {
                        (
                            key.clone(),
                            plan_object(&nested.block, pri.get(key), item, prop.get(key)),
                        )
                    })
                    .collect(),
            ),
            (Nesting::Set, Value::Set(items)) => Value::Set(
                items
                    .iter()
                    .map(|item| {
                        let matching = matching_set_element(&nested.block, pri, item);
                        plan_object(&nested.block, &matching, item, &matching)
                    })
                    .collect(),
            ),
            (_, other) => other.clone(),
        };
        planned.insert(nested.type_name.clone(), value);
    }
    Value::Object(planned)
}

/// The prior element of a set block whose configured (non-null) attributes are those of `config_element`.
fn matching_set_element(block: &Block, prior: &Value, config_element: &Value) -> Value {
    let elements = prior.as_elements().unwrap_or_default();
    let configured: Vec<&str> = block
        .attributes
        .iter()
        .map(|a| a.name.as_str())
        .filter(|name| !config_element.get(name).is_null())
        .collect();
    elements
        .iter()
        .find(|element| {
            configured
                .iter()
                .all(|name| element.get(name) == config_element.get(name))
        })
        .cloned()
        .unwrap_or_default()
}

fn mark_computed_unknown(block: &Block, config: &Value, planned: &mut Value) {
    let Value::Object(entries) = planned else {
        return;
    };
    for attribute in &block.attributes {
        if attribute.computed
            && !attribute.use_state_for_unknown
            && attribute.default.is_none()
            && config.get(&attribute.name).is_null()
        {
            entries.insert(attribute.name.clone(), Value::Unknown);
        }
    }
    for nested in &block.blocks {
        if nested.type_name == timeouts::BLOCK_NAME {
            continue;
        }
        let cfg = config.get(&nested.type_name);
        let Some(value) = entries.get_mut(&nested.type_name) else {
            continue;
        };
        match (nested.nesting, value) {
            (Nesting::Single | Nesting::Group, value) => {
                mark_computed_unknown(&nested.block, cfg, value)
            }
            (Nesting::List | Nesting::Set, Value::List(items) | Value::Set(items)) => {
                let configs = cfg.as_elements().unwrap_or_default();
                for (i, item) in items.iter_mut().enumerate() {
                    mark_computed_unknown(
                        &nested.block,
                        configs.get(i).unwrap_or(&Value::Null),
                        item,
                    );
                }
            }
            (Nesting::Map, Value::Map(items)) => {
                for (key, item) in items.iter_mut() {
                    mark_computed_unknown(&nested.block, cfg.get(key), item);
                }
            }
            _ => {}
        }
    }
}

/// Paths of `requires_replace` attributes whose planned value differs from the prior one (none on create). Inside
/// set blocks, which cannot be addressed element by element, the whole block's path is given.
pub fn requires_replace(block: &Block, prior: &Value, planned: &Value) -> Vec<AttrPath> {
    let mut paths = Vec::new();
    if !prior.is_null() {
        collect_replacements(block, prior, planned, &AttrPath::root(), &mut paths);
    }
    paths
}

fn collect_replacements(
    block: &Block,
    prior: &Value,
    planned: &Value,
    path: &AttrPath,
    paths: &mut Vec<AttrPath>,
) {
    for attribute in block.attributes.iter().filter(|a| a.requires_replace) {
        if prior.get(&attribute.name) != planned.get(&attribute.name) {
            paths.push(path.join_attr(&attribute.name));
        }
    }
    for nested in &block.blocks {
        let (pri, pla) = (prior.get(&nested.type_name), planned.get(&nested.type_name));
        let at = path.join_attr(&nested.type_name);
        match nested.nesting {
            Nesting::Single | Nesting::Group => {
                collect_replacements(&nested.block, pri, pla, &at, paths)
            }
            Nesting::List => {
                for (i, item) in pla.as_elements().unwrap_or_default().iter().enumerate() {
                    let before = pri
                        .as_elements()
                        .and_then(|e| e.get(i))
                        .unwrap_or(&Value::Null);
                    if before.is_null() {
                        continue;
                    }
                    collect_replacements(&nested.block, before, item, &at.join_index(i), paths);
                }
            }
            Nesting::Map => {
                for (key, item) in pla.as_entries().into_iter().flatten() {
                    if !pri.get(key).is_null() {
                        collect_replacements(
                            &nested.block,
                            pri.get(key),
                            item,
                            &at.join_key(key),
                            paths,
                        );
                    }
                }
            }
            Nesting::Set => {
                if pri != pla && has_replacing_attribute(&nested.block) {
                    paths.push(at);
                }
            }
        }
    }
}

fn has_replacing_attribute(block: &Block) -> bool {
    block.attributes.iter().any(|a| a.requires_replace)
        || block
            .blocks
            .iter()
            .any(|b| has_replacing_attribute(&b.block))
}
