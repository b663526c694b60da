//! The benchmark's floor provider (`crates/floor-provider`, built on the plugin runtime only) serves
//! `floor_http_frontend` with a copy of `ovhiplb_http_frontend`'s schema, so that the overhead benchmark compares
//! like with like. This holds the copy to the original: the same attributes, types, flags and plan modifiers, and
//! the same `timeouts` block. Validators, semantic equality and descriptions are the OVH provider's own.

use ovhiplb::provider::registry;
use tfplugin5_runtime::schema::{Attribute, Block};

/// What of an attribute shapes Terraform's and the framework's work, for one attribute.
fn shape(attribute: &Attribute) -> String {
    format!(
        "{} {:?} required={} optional={} computed={} sensitive={} default={:?} replace={} state_for_unknown={}",
        attribute.name,
        attribute.ty,
        attribute.required,
        attribute.optional,
        attribute.computed,
        attribute.sensitive,
        attribute.default,
        attribute.requires_replace,
        attribute.use_state_for_unknown,
    )
}

fn shapes(block: &Block) -> Vec<String> {
    let mut shapes: Vec<String> = block.attributes.iter().map(shape).collect();
    shapes.sort();
    shapes
}

#[test]
fn the_floor_frontend_has_the_http_frontends_schema() {
    let original = registry::resources()
        .into_iter()
        .find(|resource| resource.type_name() == "ovhiplb_http_frontend")
        .expect("the OVH provider serves ovhiplb_http_frontend");
    assert_eq!(
        original.timeouts(),
        None,
        "the floor copy has no timeouts block"
    );
    let original = original.schema();
    let floor = floor_provider::http_frontend_schema();
    assert_eq!(floor.version, original.version);
    assert_eq!(shapes(&floor.block), shapes(&original.block));
    assert!(floor.block.blocks.is_empty() && original.block.blocks.is_empty());
    assert_eq!(floor.value_type(), original.value_type());
}
