//! The one place where the runtime's own types meet the generated tfplugin5 wire types: schemas, diagnostics and
//! attribute paths to protobuf, and values to and from `DynamicValue`. Everything else in the runtime (and every
//! provider) works on [`Schema`], [`Diagnostics`], [`AttrPath`] and [`Value`] only, so a protocol change touches
//! this file and the service, never a resource.

use super::diag::{Diagnostic, Diagnostics, Severity};
use super::framework::identity::ResolvedIdentity;
use super::framework::{ActionEvent, ListItem};
use super::proto::tfplugin5 as pb;
use super::schema::{Attribute, Block, DescriptionKind, NestedBlock, Nesting, Schema};
use super::value::{AttrPath, PathStep, Type, Value, json, msgpack};

/// A schema in the wire form.
pub(crate) fn schema(schema: &Schema) -> pb::Schema {
    pb::Schema {
        version: schema.version,
        block: Some(block(&schema.block)),
    }
}

fn block(block: &Block) -> pb::schema::Block {
    pb::schema::Block {
        version: 0,
        attributes: block.attributes.iter().map(attribute).collect(),
        block_types: block.blocks.iter().map(nested_block).collect(),
        description: block.description.clone(),
        description_kind: description_kind(block.description_kind),
        deprecated: block.deprecated.is_some(),
        deprecation_message: block.deprecated.clone().unwrap_or_default(),
    }
}

fn attribute(attribute: &Attribute) -> pb::schema::Attribute {
    pb::schema::Attribute {
        name: attribute.name.clone(),
        r#type: attribute.ty.to_json_bytes(),
        description: attribute.description.clone(),
        required: attribute.required,
        optional: attribute.optional,
        computed: attribute.computed,
        sensitive: attribute.sensitive,
        description_kind: description_kind(attribute.description_kind),
        deprecated: attribute.deprecated.is_some(),
        write_only: false,
        deprecation_message: attribute.deprecated.clone().unwrap_or_default(),
    }
}

fn nested_block(nested: &NestedBlock) -> pb::schema::NestedBlock {
    use pb::schema::nested_block::NestingMode;
    let nesting = match nested.nesting {
        Nesting::Single => NestingMode::Single,
        Nesting::Group => NestingMode::Group,
        Nesting::List => NestingMode::List,
        Nesting::Set => NestingMode::Set,
        Nesting::Map => NestingMode::Map,
    };
    pb::schema::NestedBlock {
        type_name: nested.type_name.clone(),
        block: Some(block(&nested.block)),
        nesting: nesting.into(),
        min_items: nested.min_items,
        max_items: nested.max_items,
    }
}

fn description_kind(kind: DescriptionKind) -> i32 {
    match kind {
        DescriptionKind::Plain => pb::StringKind::Plain.into(),
        DescriptionKind::Markdown => pb::StringKind::Markdown.into(),
    }
}

/// Diagnostics in the wire form, in order.
pub(crate) fn diagnostics(diags: &Diagnostics) -> Vec<pb::Diagnostic> {
    diags.iter().map(diagnostic).collect()
}

fn diagnostic(diagnostic: &Diagnostic) -> pb::Diagnostic {
    let severity = match diagnostic.severity {
        Severity::Error => pb::diagnostic::Severity::Error,
        Severity::Warning => pb::diagnostic::Severity::Warning,
    };
    pb::Diagnostic {
        severity: severity.into(),
        summary: diagnostic.summary.clone(),
        detail: diagnostic.detail.clone(),
        attribute: diagnostic.path.as_ref().map(path),
    }
}

/// An attribute path in the wire form.
pub(crate) fn path(path: &AttrPath) -> pb::AttributePath {
    use pb::attribute_path::{Step, step::Selector};
    let steps = path
        .steps()
        .iter()
        .map(|step| Step {
            selector: Some(match step {
                PathStep::Attr(name) => Selector::AttributeName(name.clone()),
                PathStep::Key(key) => Selector::ElementKeyString(key.clone()),
                PathStep::Index(index) => Selector::ElementKeyInt(*index),
            }),
        })
        .collect();
    pb::AttributePath { steps }
}

/// Decodes a request value of type `ty`; an absent or empty value is null. Terraform sends msgpack; JSON is
/// accepted too. A value that does not decode is an error diagnostic naming `what` it was.
pub(crate) fn decode(
    value: Option<&pb::DynamicValue>,
    ty: &Type,
    what: &str,
    diags: &mut Diagnostics,
) -> Option<Value> {
    let Some(value) = value else {
        return Some(Value::Null);
    };
    let decoded = if !value.msgpack.is_empty() {
        msgpack::decode(&value.msgpack, ty)
    } else if !value.json.is_empty() {
        json::decode(&value.json, ty)
    } else {
        Ok(Value::Null)
    };
    decoded.map_err(|e| diags.value_error(what, &e)).ok()
}

/// Encodes a response value of type `ty` as msgpack. A value that does not fit its type is the provider's bug,
/// reported as an error diagnostic naming `what` it was.
pub(crate) fn encode(
    value: &Value,
    ty: &Type,
    what: &str,
    diags: &mut Diagnostics,
) -> Option<pb::DynamicValue> {
    match msgpack::encode(value, ty) {
        Ok(bytes) => Some(pb::DynamicValue {
            msgpack: bytes,
            json: Vec::new(),
        }),
        Err(e) => {
            diags.error(
                format!("Provider produced an invalid {what}"),
                format!("{e}; this is a bug in the provider."),
            );
            None
        }
    }
}

/// An identity schema in the wire form.
pub(crate) fn identity_schema(identity: &ResolvedIdentity) -> pb::ResourceIdentitySchema {
    pb::ResourceIdentitySchema {
        version: identity.declaration.version,
        identity_attributes: identity
            .declaration
            .attributes
            .iter()
            .zip(&identity.types)
            .map(
                |(attribute, (_, ty))| pb::resource_identity_schema::IdentityAttribute {
                    name: attribute.name.clone(),
                    r#type: ty.to_json_bytes(),
                    required_for_import: attribute.required_for_import,
                    optional_for_import: !attribute.required_for_import,
                    description: attribute.description.clone(),
                },
            )
            .collect(),
    }
}

/// Identity data in the wire form; none for a null identity.
pub(crate) fn identity(
    value: &Value,
    ty: &Type,
    diags: &mut Diagnostics,
) -> Option<pb::ResourceIdentityData> {
    if value.is_null() {
        return None;
    }
    encode(value, ty, "identity", diags).map(|data| pb::ResourceIdentityData {
        identity_data: Some(data),
    })
}

/// One result of a listing in the wire form; a value that does not encode becomes the event's error.
pub(crate) fn list_event(
    item: ListItem,
    identity_ty: Option<&Type>,
    object_ty: Option<&Type>,
) -> pb::list_resource::Event {
    let mut diags = Diagnostics::new();
    let event = match (item, identity_ty, object_ty) {
        (ListItem::Diagnostic(diagnostic), _, _) => {
            diags.push(diagnostic);
            pb::list_resource::Event::default()
        }
        (
            ListItem::Found {
                identity: id,
                display_name,
                state,
            },
            Some(identity_ty),
            Some(object_ty),
        ) => pb::list_resource::Event {
            identity: identity(&id, identity_ty, &mut diags),
            display_name,
            resource_object: state
                .and_then(|state| encode(&state, object_ty, "listed object", &mut diags)),
            diagnostic: Vec::new(),
        },
        (ListItem::Found { .. }, _, _) => {
            diags.error(
                "List resource without identity",
                "A listed object has no identity type; this is a bug in the provider.",
            );
            pb::list_resource::Event::default()
        }
    };
    pb::list_resource::Event {
        diagnostic: diagnostics(&diags),
        ..event
    }
}

/// An invoked action's event in the wire form.
pub(crate) fn action_event(event: ActionEvent) -> pb::invoke_action::Event {
    use pb::invoke_action::event::{Completed, Progress, Type};
    pb::invoke_action::Event {
        r#type: Some(match event {
            ActionEvent::Progress(message) => Type::Progress(Progress { message }),
            ActionEvent::Completed(diags) => Type::Completed(Completed {
                diagnostics: diagnostics(&diags),
            }),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::tests::sample;
    use pb::attribute_path::step::Selector;

    #[test]
    fn schema_encoding() {
        let proto = schema(&Schema::new(sample()).version(2));
        assert_eq!(proto.version, 2);
        let block = proto.block.unwrap();
        let ips = block.attributes.iter().find(|a| a.name == "ips").unwrap();
        assert_eq!(ips.r#type, br#"["set","string"]"#);
        assert_eq!(ips.description_kind, pb::StringKind::Markdown as i32);
        let secret = block
            .attributes
            .iter()
            .find(|a| a.name == "secret")
            .unwrap();
        assert!(secret.sensitive && secret.deprecated && secret.deprecation_message == "gone");
        let port = block.attributes.iter().find(|a| a.name == "port").unwrap();
        assert!(port.optional && port.computed && !port.required);
        assert_eq!(
            block.block_types[0].nesting,
            pb::schema::nested_block::NestingMode::List as i32
        );
        assert_eq!(block.block_types[0].max_items, 3);
    }

    #[test]
    fn diagnostics_keep_severity_and_path() {
        let mut diags = Diagnostics::new();
        diags.warning("w", "");
        diags.error_at(
            &AttrPath::attr("rules").join_index(1).join_key("k"),
            "bad",
            "detail",
        );
        assert!(diags.has_errors());
        let proto = diagnostics(&diags);
        assert_eq!(proto[0].severity, pb::diagnostic::Severity::Warning as i32);
        assert_eq!(proto[0].attribute, None);
        assert_eq!(proto[1].severity, pb::diagnostic::Severity::Error as i32);
        let steps: Vec<_> = proto[1]
            .attribute
            .as_ref()
            .unwrap()
            .steps
            .iter()
            .map(|s| s.selector.clone())
            .collect();
        assert_eq!(
            steps,
            vec![
                Some(Selector::AttributeName("rules".into())),
                Some(Selector::ElementKeyInt(1)),
                Some(Selector::ElementKeyString("k".into())),
            ]
        );
        assert_eq!(
            diags.iter().nth(1).unwrap().to_string(),
            "error: bad (at rules[1][\"k\"]): detail"
        );
    }

    #[test]
    fn values_round_trip_and_bad_ones_are_diagnosed() {
        let ty = Type::object([("n", Type::Number)]);
        let value = Value::object([("n", Value::from(3))]);
        let mut diags = Diagnostics::new();
        let encoded = encode(&value, &ty, "state", &mut diags).unwrap();
        assert_eq!(
            decode(Some(&encoded), &ty, "state", &mut diags),
            Some(value)
        );
        assert_eq!(decode(None, &ty, "state", &mut diags), Some(Value::Null));
        assert!(diags.is_empty());
        let json = pb::DynamicValue {
            msgpack: Vec::new(),
            json: br#"{"n": 4}"#.to_vec(),
        };
        assert_eq!(
            decode(Some(&json), &ty, "state", &mut diags),
            Some(Value::object([("n", Value::from(4))]))
        );
        // A string where an object is expected.
        let garbage = pb::DynamicValue {
            msgpack: vec![0xa1, b'x'],
            json: Vec::new(),
        };
        assert_eq!(decode(Some(&garbage), &ty, "prior state", &mut diags), None);
        assert!(encode(&Value::from("x"), &ty, "plan", &mut diags).is_none());
        let texts: Vec<String> = diags.iter().map(ToString::to_string).collect();
        assert_eq!(texts.len(), 2, "{texts:?}");
        assert!(texts[0].contains("prior state"), "{texts:?}");
        assert!(texts[1].contains("invalid plan"), "{texts:?}");
    }
}
