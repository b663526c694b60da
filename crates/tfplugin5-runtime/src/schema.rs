//! Schemas of the provider, its resources and data sources: attributes and nested blocks with their flags, and
//! what the framework does with them beyond Terraform's view (defaults, plan modifiers, validators, semantic
//! equality). A small builder keeps declarations to a line or two:
//!
//! ```
//! use tfplugin5_runtime::schema::{Attribute, Block};
//! use tfplugin5_runtime::value::Type;
//! let block = Block::new()
//!     .attr(Attribute::string("name").required().requires_replace().description("The server name."))
//!     .attr(Attribute::new("ips", Type::set(Type::String)).optional().computed().description("Its addresses."));
//! assert!(block.attribute("ips").is_some());
//! ```

use std::fmt;
use std::sync::Arc;

use super::diag::Diagnostics;
use super::value::{AttrPath, Type, Value, msgpack};

/// How Terraform and editors render a description.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum DescriptionKind {
    #[default]
    Plain,
    Markdown,
}

/// The `description` (plain text) and `markdown` builder methods of a type with `description` and
/// `description_kind` fields.
macro_rules! description_builders {
    () => {
        /// A plain-text description.
        pub fn description(mut self, text: impl Into<String>) -> Self {
            self.description = text.into();
            self.description_kind = DescriptionKind::Plain;
            self
        }

        /// A Markdown description.
        pub fn markdown(mut self, text: impl Into<String>) -> Self {
            self.description = text.into();
            self.description_kind = DescriptionKind::Markdown;
            self
        }
    };
}

/// Checks a configured value at plan time. It is called only with known, non-null values; it reports problems
/// at `path` (or deeper) and never fails otherwise.
pub trait Validator: Send + Sync {
    /// Checks a known `value` found at `path`, reporting problems with that path.
    fn validate(&self, value: &Value, path: &AttrPath, diags: &mut Diagnostics);
}

impl<F> Validator for F
where
    F: Fn(&Value, &AttrPath, &mut Diagnostics) + Send + Sync,
{
    fn validate(&self, value: &Value, path: &AttrPath, diags: &mut Diagnostics) {
        self(value, path, diags);
    }
}

/// Decides whether two known, non-null primitive values of an attribute mean the same thing (e.g. `1.2.3.4` and
/// `1.2.3.4/32`). For collection attributes it is applied element by element (sets match elements in any order).
pub type SemanticEq = Arc<dyn Fn(&Value, &Value) -> bool + Send + Sync>;

/// One attribute of a block.
#[derive(Clone)]
pub struct Attribute {
    pub name: String,
    pub ty: Type,
    pub description: String,
    pub description_kind: DescriptionKind,
    pub required: bool,
    pub optional: bool,
    pub computed: bool,
    pub sensitive: bool,
    /// `Some(message)` when deprecated; the message may be empty.
    pub deprecated: Option<String>,
    /// Planned when the configuration leaves the attribute null (the attribute is then optional and computed).
    pub default: Option<Value>,
    /// A change of the planned value replaces the resource.
    pub requires_replace: bool,
    /// On update, a computed attribute left null in config keeps its prior value instead of becoming unknown.
    pub use_state_for_unknown: bool,
    pub validators: Vec<Arc<dyn Validator>>,
    pub semantic_eq: Option<SemanticEq>,
}

impl fmt::Debug for Attribute {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Attribute")
            .field("name", &self.name)
            .field("ty", &self.ty)
            .field("required", &self.required)
            .field("optional", &self.optional)
            .field("computed", &self.computed)
            .field("sensitive", &self.sensitive)
            .field("requires_replace", &self.requires_replace)
            .field("use_state_for_unknown", &self.use_state_for_unknown)
            .field("validators", &self.validators.len())
            .field("semantic_eq", &self.semantic_eq.is_some())
            .finish_non_exhaustive()
    }
}

impl Attribute {
    /// An attribute with no flags set yet: pick `required()`, `optional()` and/or `computed()`.
    pub fn new(name: impl Into<String>, ty: Type) -> Self {
        Self {
            name: name.into(),
            ty,
            description: String::new(),
            description_kind: DescriptionKind::Plain,
            required: false,
            optional: false,
            computed: false,
            sensitive: false,
            deprecated: None,
            default: None,
            requires_replace: false,
            use_state_for_unknown: false,
            validators: Vec::new(),
            semantic_eq: None,
        }
    }

    /// A string attribute named `name`.
    pub fn string(name: impl Into<String>) -> Self {
        Self::new(name, Type::String)
    }

    /// A number attribute named `name`.
    pub fn number(name: impl Into<String>) -> Self {
        Self::new(name, Type::Number)
    }

    /// A bool attribute named `name`.
    pub fn bool(name: impl Into<String>) -> Self {
        Self::new(name, Type::Bool)
    }

    /// The configuration must set it.
    pub fn required(mut self) -> Self {
        self.required = true;
        self
    }

    /// The configuration may set it.
    pub fn optional(mut self) -> Self {
        self.optional = true;
        self
    }

    /// The provider sets it (with `optional`: when the configuration does not).
    pub fn computed(mut self) -> Self {
        self.computed = true;
        self
    }

    /// Terraform hides its value in plans and output.
    pub fn sensitive(mut self) -> Self {
        self.sensitive = true;
        self
    }

    description_builders!();

    /// Marks it deprecated, with the message Terraform shows to users who set it.
    pub fn deprecated(mut self, message: impl Into<String>) -> Self {
        self.deprecated = Some(message.into());
        self
    }

    /// The value planned when the configuration leaves the attribute null; makes it optional and computed, as
    /// Terraform requires of an attribute whose planned value differs from a null config.
    pub fn default(mut self, value: impl Into<Value>) -> Self {
        self.default = Some(value.into());
        self.optional = true;
        self.computed = true;
        self
    }

    /// A change of its value replaces the resource instead of updating it.
    pub fn requires_replace(mut self) -> Self {
        self.requires_replace = true;
        self
    }

    /// On updates, keep the prior value instead of planning it unknown.
    pub fn use_state_for_unknown(mut self) -> Self {
        self.use_state_for_unknown = true;
        self
    }

    /// Adds a plan-time check of its known values.
    pub fn validate(mut self, validator: impl Validator + 'static) -> Self {
        self.validators.push(Arc::new(validator));
        self
    }

    /// Values for which `eq` is true are the same: the prior (or planned) form is kept, so they never diff.
    pub fn semantic_eq(
        mut self,
        eq: impl Fn(&Value, &Value) -> bool + Send + Sync + 'static,
    ) -> Self {
        self.semantic_eq = Some(Arc::new(eq));
        self
    }
}

/// How a nested block repeats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Nesting {
    /// At most one; null when absent.
    Single,
    /// Exactly one; when absent, an object of nulls.
    Group,
    List,
    Set,
    /// Labelled blocks.
    Map,
}

/// A nested block type (`timeouts { ... }`, `rule { ... }`).
#[derive(Clone, Debug)]
pub struct NestedBlock {
    pub type_name: String,
    pub block: Block,
    pub nesting: Nesting,
    pub min_items: i64,
    pub max_items: i64,
}

impl NestedBlock {
    /// A nested block `type_name` of `nesting` mode holding `block`.
    pub fn new(type_name: impl Into<String>, nesting: Nesting, block: Block) -> Self {
        Self {
            type_name: type_name.into(),
            block,
            nesting,
            min_items: 0,
            max_items: 0,
        }
    }

    /// The least number of blocks the configuration must write.
    pub fn min_items(mut self, min: i64) -> Self {
        self.min_items = min;
        self
    }

    /// The most blocks the configuration may write.
    pub fn max_items(mut self, max: i64) -> Self {
        self.max_items = max;
        self
    }

    /// The type of the block's value in its parent object.
    pub fn value_type(&self) -> Type {
        let object = self.block.value_type();
        match self.nesting {
            Nesting::Single | Nesting::Group => object,
            Nesting::List => Type::list(object),
            Nesting::Set => Type::set(object),
            Nesting::Map => Type::map(object),
        }
    }
}

/// A block: the body of a resource, data source or provider, or of a nested block.
#[derive(Clone, Debug, Default)]
pub struct Block {
    pub attributes: Vec<Attribute>,
    pub blocks: Vec<NestedBlock>,
    pub description: String,
    pub description_kind: DescriptionKind,
    pub deprecated: Option<String>,
}

impl Block {
    /// An empty block.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds an attribute.
    pub fn attr(mut self, attribute: Attribute) -> Self {
        self.attributes.push(attribute);
        self
    }

    /// Adds a nested block.
    pub fn block(mut self, block: NestedBlock) -> Self {
        self.blocks.push(block);
        self
    }

    description_builders!();

    /// The attribute named `name`, if any.
    pub fn attribute(&self, name: &str) -> Option<&Attribute> {
        self.attributes.iter().find(|a| a.name == name)
    }

    /// The nested block of type `type_name`, if any.
    pub fn nested_block(&self, type_name: &str) -> Option<&NestedBlock> {
        self.blocks.iter().find(|b| b.type_name == type_name)
    }

    /// The object type of the block's values: its attributes and nested blocks.
    pub fn value_type(&self) -> Type {
        Type::Object(
            self.attributes
                .iter()
                .map(|a| (a.name.clone(), a.ty.clone()))
                .chain(
                    self.blocks
                        .iter()
                        .map(|b| (b.type_name.clone(), b.value_type())),
                )
                .collect(),
        )
    }

    /// Problems Terraform would reject the schema for (its `InternalValidate`), plus our own house rules: every
    /// attribute described, defaults that fit their type, plan modifiers where they mean something.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        self.collect_problems("", &mut problems);
        problems
    }

    fn collect_problems(&self, prefix: &str, problems: &mut Vec<String>) {
        let valid_name = |name: &str| {
            !name.is_empty()
                && name
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        };
        let mut names = std::collections::HashSet::new();
        for attribute in &self.attributes {
            let at = format!("{prefix}{}", attribute.name);
            let mut problem = |text: &str| problems.push(format!("{at}: {text}"));
            if !valid_name(&attribute.name) {
                problem("name must match ^[a-z0-9_]+$");
            }
            if !names.insert(attribute.name.as_str()) {
                problem("declared twice");
            }
            if !(attribute.required || attribute.optional || attribute.computed) {
                problem("must be required, optional or computed");
            }
            if attribute.required && (attribute.optional || attribute.computed) {
                problem("required cannot be combined with optional or computed");
            }
            if attribute.description.trim().is_empty() {
                problem("has no description");
            }
            if let Some(default) = &attribute.default {
                if !(attribute.optional && attribute.computed) {
                    problem("a default needs optional and computed");
                }
                if let Err(e) = msgpack::encode(default, &attribute.ty) {
                    problem(&format!("default does not fit the type: {e}"));
                }
            }
            if attribute.use_state_for_unknown && !attribute.computed {
                problem("use_state_for_unknown is meaningless on a non-computed attribute");
            }
            if attribute.requires_replace && attribute.computed && !attribute.optional {
                problem("requires_replace is meaningless on a computed-only attribute");
            }
        }
        for nested in &self.blocks {
            let at = format!("{prefix}{}", nested.type_name);
            if !valid_name(&nested.type_name) {
                problems.push(format!("{at}: name must match ^[a-z0-9_]+$"));
            }
            if !names.insert(nested.type_name.as_str()) {
                problems.push(format!("{at}: name used by an attribute or another block"));
            }
            let (min, max) = (nested.min_items, nested.max_items);
            let counts_ok = match nested.nesting {
                Nesting::Single => min == max && (0..=1).contains(&min),
                Nesting::Group | Nesting::Map => min == 0 && max == 0,
                Nesting::List | Nesting::Set => min >= 0 && max >= 0 && (max == 0 || min <= max),
            };
            if !counts_ok {
                problems.push(format!(
                    "{at}: min_items/max_items not valid for {:?} nesting",
                    nested.nesting
                ));
            }
            nested.block.collect_problems(&format!("{at}."), problems);
        }
    }
}

/// A versioned schema of a resource, data source or provider.
#[derive(Clone, Debug, Default)]
pub struct Schema {
    /// Bumped when stored state must be upgraded.
    pub version: i64,
    pub block: Block,
}

impl Schema {
    /// A schema of version 0 whose top level is `block`.
    pub fn new(block: Block) -> Self {
        Self { version: 0, block }
    }

    /// Sets the schema version (bump it with an upgrade path when the state's shape changes).
    pub fn version(mut self, version: i64) -> Self {
        self.version = version;
        self
    }

    /// The object type of values of this schema.
    pub fn value_type(&self) -> Type {
        self.block.value_type()
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn sample() -> Block {
        Block::new()
            .description("A thing.")
            .attr(
                Attribute::string("id")
                    .computed()
                    .use_state_for_unknown()
                    .description("The id."),
            )
            .attr(
                Attribute::new("ips", Type::set(Type::String))
                    .optional()
                    .markdown("The `ips`."),
            )
            .attr(
                Attribute::string("secret")
                    .optional()
                    .sensitive()
                    .description("A secret.")
                    .deprecated("gone"),
            )
            .attr(
                Attribute::number("port")
                    .default(80_i64)
                    .description("Port."),
            )
            .block(
                NestedBlock::new(
                    "rule",
                    Nesting::List,
                    Block::new().attr(Attribute::bool("on").required().description("On.")),
                )
                .max_items(3),
            )
    }

    #[test]
    fn value_type_includes_blocks() {
        let ty = sample().value_type();
        let Type::Object(attributes) = ty else {
            panic!("not an object")
        };
        assert_eq!(
            attributes["rule"],
            Type::list(Type::object([("on", Type::Bool)]))
        );
        assert_eq!(attributes["port"], Type::Number);
    }

    #[test]
    fn problems_are_found() {
        assert_eq!(sample().problems(), Vec::<String>::new());
        let bad = Block::new()
            .attr(Attribute::string("Bad-Name").required().description("x"))
            .attr(
                Attribute::string("flags")
                    .required()
                    .computed()
                    .description("x"),
            )
            .attr(Attribute::string("none").description("x"))
            .attr(Attribute::string("undescribed").optional())
            .attr(
                Attribute::number("wrong_default")
                    .default("eighty")
                    .description("x"),
            )
            .attr(
                Attribute::string("usfu")
                    .optional()
                    .use_state_for_unknown()
                    .description("x"),
            )
            .block(NestedBlock::new("flags", Nesting::Single, Block::new()).max_items(2));
        let problems = bad.problems();
        for expected in [
            "Bad-Name: name",
            "flags: required cannot",
            "none: must be",
            "undescribed: has no",
            "wrong_default: default does not fit",
            "usfu: use_state_for_unknown",
            "flags: name used",
            "flags: min_items/max_items",
        ] {
            assert!(
                problems.iter().any(|p| p.starts_with(expected)),
                "missing {expected:?} in {problems:#?}"
            );
        }
    }
}
