//! Attribute paths: where a value sits inside a resource's object, for diagnostics and `requires_replace`.
//! Mirrors tfplugin5's `AttributePath`: attribute names, map keys and list indices. Set elements have no address
//! in the protocol, so a path stops at the set.

use std::fmt;

/// One step of an [`AttrPath`].
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum PathStep {
    /// An object attribute or a nested block.
    Attr(String),
    /// A map key (or a block label of a MAP nested block).
    Key(String),
    /// A list or tuple index.
    Index(i64),
}

/// A path from the root object to a value; the empty path is the root itself.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct AttrPath(Vec<PathStep>);

impl AttrPath {
    /// The root.
    pub fn root() -> Self {
        Self(Vec::new())
    }

    /// The path of a top-level attribute.
    pub fn attr(name: impl Into<String>) -> Self {
        Self(vec![PathStep::Attr(name.into())])
    }

    /// This path followed by an attribute.
    pub fn join_attr(&self, name: impl Into<String>) -> Self {
        self.join(PathStep::Attr(name.into()))
    }

    /// This path followed by a map key.
    pub fn join_key(&self, key: impl Into<String>) -> Self {
        self.join(PathStep::Key(key.into()))
    }

    /// This path followed by a list index.
    pub fn join_index(&self, index: usize) -> Self {
        self.join(PathStep::Index(i64::try_from(index).unwrap_or(i64::MAX)))
    }

    fn join(&self, step: PathStep) -> Self {
        let mut steps = self.0.clone();
        steps.push(step);
        Self(steps)
    }

    /// The steps, root first.
    pub fn steps(&self) -> &[PathStep] {
        &self.0
    }

    /// Whether this is the root path.
    pub fn is_root(&self) -> bool {
        self.0.is_empty()
    }
}

impl FromIterator<PathStep> for AttrPath {
    fn from_iter<I: IntoIterator<Item = PathStep>>(iter: I) -> Self {
        Self(iter.into_iter().collect())
    }
}

/// Terraform-like notation: `frontend[0].port`, `triggers["a"]`; the root is `(root)`.
impl fmt::Display for AttrPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("(root)");
        }
        for (i, step) in self.0.iter().enumerate() {
            match step {
                PathStep::Attr(name) if i == 0 => f.write_str(name)?,
                PathStep::Attr(name) => write!(f, ".{name}")?,
                PathStep::Key(key) => write!(f, "[{key:?}]")?,
                PathStep::Index(index) => write!(f, "[{index}]")?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display() {
        assert_eq!(AttrPath::root().to_string(), "(root)");
        let path = AttrPath::attr("rule")
            .join_index(2)
            .join_attr("match")
            .join_key("a\"b");
        assert_eq!(path.to_string(), r#"rule[2].match["a\"b"]"#);
    }
}
