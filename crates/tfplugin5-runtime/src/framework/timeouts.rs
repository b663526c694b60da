//! The `timeouts` block a resource opts into: `timeouts { create = "10m" }`. The framework adds it to the
//! resource's schema, validates its durations at plan time and turns them into each operation's deadline.

use std::time::Duration;

use crate::diag::Diagnostics;
use crate::schema::{Attribute, Block, NestedBlock, Nesting};
use crate::value::{AttrPath, Value};

/// The block's name in configurations and state.
pub const BLOCK_NAME: &str = "timeouts";

/// The operations a timeout applies to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operation {
    Create,
    Read,
    Update,
    Delete,
}

impl Operation {
    /// Every operation, in the order the `timeouts` block lists them.
    pub const ALL: [Operation; 4] = [Self::Create, Self::Read, Self::Update, Self::Delete];

    /// The attribute name in the block.
    pub fn name(self) -> &'static str {
        match self {
            Self::Create => "create",
            Self::Read => "read",
            Self::Update => "update",
            Self::Delete => "delete",
        }
    }

    /// The setting's path for messages.
    pub fn source(self) -> &'static str {
        match self {
            Self::Create => "timeouts.create",
            Self::Read => "timeouts.read",
            Self::Update => "timeouts.update",
            Self::Delete => "timeouts.delete",
        }
    }
}

/// The default timeout of each operation a resource supports a timeout for; `None` means the operation has no
/// timeout setting (and no deadline).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TimeoutDefaults {
    pub create: Option<Duration>,
    pub read: Option<Duration>,
    pub update: Option<Duration>,
    pub delete: Option<Duration>,
}

impl TimeoutDefaults {
    /// The same default for all four operations.
    pub fn all(default: Duration) -> Self {
        Self::only(&Operation::ALL, default)
    }

    /// `default` for each of `operations`, and no timeout setting for the others: what a resource whose
    /// long-running work happens in some operations only declares.
    pub fn only(operations: &[Operation], default: Duration) -> Self {
        let of = |operation| operations.contains(&operation).then_some(default);
        Self {
            create: of(Operation::Create),
            read: of(Operation::Read),
            update: of(Operation::Update),
            delete: of(Operation::Delete),
        }
    }

    /// The duration set for `operation`, if any.
    pub fn get(&self, operation: Operation) -> Option<Duration> {
        match operation {
            Operation::Create => self.create,
            Operation::Read => self.read,
            Operation::Update => self.update,
            Operation::Delete => self.delete,
        }
    }

    /// The nested block added to the resource's schema.
    pub fn block(&self) -> NestedBlock {
        let mut block = Block::new().description("Time limits of this resource's operations.");
        for operation in Operation::ALL {
            if let Some(default) = self.get(operation) {
                block = block.attr(Attribute::string(operation.name()).optional().markdown(format!(
                    "How long {} may take, as a duration such as `30s`, `10m` or `1h30m` (default `{}`).",
                    operation.name(),
                    humantime::format_duration(default).to_string().replace(' ', "")
                )));
            }
        }
        NestedBlock::new(BLOCK_NAME, Nesting::Single, block)
    }

    /// The timeout of `operation` given the resource value holding the `timeouts` block (config, plan or state):
    /// the configured duration when valid, else the default.
    pub fn resolve(&self, operation: Operation, value: &Value) -> Option<Duration> {
        let default = self.get(operation)?;
        let configured = value
            .get(BLOCK_NAME)
            .get(operation.name())
            .as_str()
            .and_then(|s| parse(s).ok());
        Some(configured.unwrap_or(default))
    }

    /// Reports invalid durations in the block of `config`, with their paths; unknown values are skipped.
    pub fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        let block = config.get(BLOCK_NAME);
        for operation in Operation::ALL {
            let Some(text) = block.get(operation.name()).as_str() else {
                continue;
            };
            if let Err(reason) = parse(text) {
                let path = AttrPath::attr(BLOCK_NAME).join_attr(operation.name());
                diags.error_at(
                    &path,
                    "Invalid timeout",
                    format!("{text:?} is not a valid duration: {reason}."),
                );
            }
        }
    }
}

/// Parses a Go-style duration (`90s`, `10m`, `1h30m`, `1.5h`); it must be positive.
pub fn parse(text: &str) -> Result<Duration, String> {
    let duration = humantime::parse_duration(text.trim()).map_err(|e| {
        format!("{e}; use a number followed by a unit (s, m, h), e.g. \"10m\" or \"1h30m\"")
    })?;
    if duration.is_zero() {
        return Err("a timeout must be longer than zero".to_owned());
    }
    Ok(duration)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_style_durations() {
        assert_eq!(parse("10m"), Ok(Duration::from_secs(600)));
        assert_eq!(parse("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse("45s"), Ok(Duration::from_secs(45)));
        assert!(parse("0s").is_err());
        assert!(parse("ten minutes").is_err());
        assert!(parse("").is_err());
    }

    #[test]
    fn only_sets_the_operations_named() {
        let minute = Duration::from_secs(60);
        assert_eq!(
            TimeoutDefaults::only(&[Operation::Create, Operation::Delete], minute),
            TimeoutDefaults {
                create: Some(minute),
                delete: Some(minute),
                ..Default::default()
            }
        );
        assert_eq!(
            TimeoutDefaults::only(&Operation::ALL, minute),
            TimeoutDefaults::all(minute)
        );
    }

    #[test]
    fn block_resolution_and_validation() {
        let defaults = TimeoutDefaults {
            create: Some(Duration::from_secs(600)),
            ..Default::default()
        };
        let block = defaults.block();
        assert_eq!(block.block.attributes.len(), 1);
        assert!(block.block.attributes[0].description.contains("`10m`"));
        let config = Value::object([(BLOCK_NAME, Value::object([("create", Value::from("2m"))]))]);
        assert_eq!(
            defaults.resolve(Operation::Create, &config),
            Some(Duration::from_secs(120))
        );
        assert_eq!(
            defaults.resolve(Operation::Create, &Value::Null),
            Some(Duration::from_secs(600))
        );
        assert_eq!(defaults.resolve(Operation::Delete, &config), None);
        let mut diags = Diagnostics::new();
        defaults.validate(&config, &mut diags);
        assert!(diags.is_empty());
        let bad = Value::object([(BLOCK_NAME, Value::object([("create", Value::from("soon"))]))]);
        defaults.validate(&bad, &mut diags);
        let diag = diags.iter().next().unwrap();
        assert_eq!(diag.path.as_ref().unwrap().to_string(), "timeouts.create");
    }
}
