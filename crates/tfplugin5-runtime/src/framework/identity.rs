//! Resource identity (protocol 5.9, Terraform ≥ 1.12): the few attributes that name a managed object at its API,
//! stored by Terraform beside the state and used by `import { identity = {…} }` and `terraform query`.
//!
//! A resource opts in with [`crate::framework::Resource::identity`], naming attributes of its own schema: the
//! identity is then always the projection of the state onto them, so it can never disagree with the state, and
//! the runtime attaches it to every read, plan, apply and import by itself. Identity sent by Terraform is never
//! needed: Terraform ≤ 1.11 and OpenTofu ≤ 1.11 send none, and nothing may fail or drift because of that.

use std::collections::BTreeMap;

use crate::diag::Diagnostics;
use crate::schema::Block;
use crate::value::{AttrPath, Type, Value};

/// The identity declaration of a resource type: which of its attributes name the object, in order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Identity {
    /// Bumped when the identity's shape changes (separate from the schema version).
    pub version: i64,
    pub attributes: Vec<IdentityAttribute>,
}

/// One attribute of an identity: an attribute of the resource's schema of the same name and type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdentityAttribute {
    pub name: String,
    /// Whether `import { identity = {…} }` must give it (otherwise the provider can find it).
    pub required_for_import: bool,
    /// Markdown.
    pub description: String,
}

impl Identity {
    /// An identity of version 0 with no attribute yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds the schema attribute `name`, required for import.
    pub fn attr(mut self, name: impl Into<String>, description: impl Into<String>) -> Self {
        self.attributes.push(IdentityAttribute {
            name: name.into(),
            required_for_import: true,
            description: description.into(),
        });
        self
    }

    /// Adds the schema attribute `name`, which an import may leave out.
    pub fn optional_attr(
        mut self,
        name: impl Into<String>,
        description: impl Into<String>,
    ) -> Self {
        self.attributes.push(IdentityAttribute {
            name: name.into(),
            required_for_import: false,
            description: description.into(),
        });
        self
    }
}

/// An identity checked against its resource's schema, with its attributes' types.
#[derive(Clone, Debug)]
pub struct ResolvedIdentity {
    pub declaration: Identity,
    /// Each attribute's type, in declaration order.
    pub types: Vec<(String, Type)>,
    /// The object type of identity values.
    pub ty: Type,
}

impl ResolvedIdentity {
    /// Resolves `declaration` against `block`; an attribute the block does not have is a problem in the
    /// provider, returned as text (see `ManagedResource::problems`).
    pub fn resolve(declaration: Identity, block: &Block) -> Result<Self, String> {
        if declaration.attributes.is_empty() {
            return Err("identity: declares no attribute".into());
        }
        let mut types = Vec::new();
        for attribute in &declaration.attributes {
            let Some(found) = block.attribute(&attribute.name) else {
                return Err(format!(
                    "identity: {:?} is not an attribute of the resource",
                    attribute.name
                ));
            };
            types.push((attribute.name.clone(), found.ty.clone()));
        }
        let ty = Type::object(types.iter().cloned());
        Ok(Self {
            declaration,
            types,
            ty,
        })
    }

    /// The identity of the object whose state is `state` (null for a null state). It may hold unknown values
    /// only while a create or replace is planned.
    pub fn of(&self, state: &Value) -> Value {
        if state.is_null() {
            return Value::Null;
        }
        Value::object(
            self.types
                .iter()
                .map(|(name, _)| (name.clone(), state.get(name).clone())),
        )
    }

    /// The partial state `import { identity = {…} }` starts from: the identity's attributes, every other one
    /// null (Terraform then reads the object). A required attribute left null is an error on its path.
    pub fn partial_state(
        &self,
        identity: &Value,
        block: &Block,
        diags: &mut Diagnostics,
    ) -> Option<Value> {
        let mut missing = false;
        for attribute in &self.declaration.attributes {
            let value = identity.get(&attribute.name);
            if attribute.required_for_import && (value.is_null() || !value.is_wholly_known()) {
                diags.error_at(
                    &AttrPath::attr(attribute.name.clone()),
                    "Missing identity attribute",
                    format!(
                        "Importing by identity needs {:?}: {}",
                        attribute.name, attribute.description
                    ),
                );
                missing = true;
            }
        }
        if missing {
            return None;
        }
        let mut state = null_object(block);
        for (name, _) in &self.types {
            state.set_attr(name.clone(), identity.get(name).clone());
        }
        Some(state)
    }
}

/// An object of `block`'s type whose attributes and nested blocks are all null.
pub(crate) fn null_object(block: &Block) -> Value {
    let entries: BTreeMap<String, Value> = block
        .attributes
        .iter()
        .map(|a| (a.name.clone(), Value::Null))
        .chain(
            block
                .blocks
                .iter()
                .map(|b| (b.type_name.clone(), Value::Null)),
        )
        .collect();
    Value::Object(entries)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::Attribute;

    fn block() -> Block {
        Block::new()
            .attr(Attribute::string("name").required().description("x"))
            .attr(Attribute::number("number").computed().description("x"))
            .attr(Attribute::string("other").optional().description("x"))
    }

    fn identity() -> ResolvedIdentity {
        ResolvedIdentity::resolve(
            Identity::new()
                .attr("name", "The name.")
                .optional_attr("number", "The number."),
            &block(),
        )
        .unwrap()
    }

    #[test]
    fn an_identity_is_the_projection_of_the_state() {
        let identity = identity();
        assert_eq!(
            identity.ty,
            Type::object([("name", Type::String), ("number", Type::Number)])
        );
        let state = Value::object([
            ("name", Value::from("a")),
            ("number", Value::from(3)),
            ("other", Value::from("o")),
        ]);
        assert_eq!(
            identity.of(&state),
            Value::object([("name", Value::from("a")), ("number", Value::from(3))])
        );
        assert_eq!(identity.of(&Value::Null), Value::Null);
    }

    #[test]
    fn importing_by_identity_starts_from_a_partial_state() {
        let identity = identity();
        let mut diags = Diagnostics::new();
        let state = identity
            .partial_state(
                &Value::object([("name", Value::from("a")), ("number", Value::Null)]),
                &block(),
                &mut diags,
            )
            .unwrap();
        assert!(diags.is_empty());
        assert_eq!(
            state,
            Value::object([
                ("name", Value::from("a")),
                ("number", Value::Null),
                ("other", Value::Null)
            ])
        );
        let missing = identity.partial_state(
            &Value::object([("name", Value::Null), ("number", Value::from(1))]),
            &block(),
            &mut diags,
        );
        assert!(missing.is_none());
        let error = diags.iter().next().unwrap();
        assert_eq!(error.path.as_ref().unwrap().to_string(), "name");
        assert!(error.detail.contains("The name."), "{error}");
    }

    #[test]
    fn an_identity_must_name_attributes_of_the_schema() {
        let error =
            ResolvedIdentity::resolve(Identity::new().attr("nope", "x"), &block()).unwrap_err();
        assert!(error.contains("\"nope\""), "{error}");
        assert!(ResolvedIdentity::resolve(Identity::new(), &block()).is_err());
    }
}
