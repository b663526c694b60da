//! Diagnostics: the errors and warnings every operation reports to Terraform, optionally pointing at an attribute
//! (Terraform then underlines the matching expression in the configuration).

use std::fmt;

use super::proto::tfplugin5 as pb;
use super::value::{AttrPath, PathStep, ValueError};

/// How bad a diagnostic is; any error aborts the operation in Terraform.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
}

/// One error or warning.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    /// One short sentence.
    pub summary: String,
    /// What to do about it, in full sentences; may be empty.
    pub detail: String,
    /// The attribute the problem is about, if any.
    pub path: Option<AttrPath>,
}

impl Diagnostic {
    /// An error: the operation fails.
    pub fn error(summary: impl Into<String>, detail: impl Into<String>) -> Self {
        Self {
            severity: Severity::Error,
            summary: summary.into(),
            detail: detail.into(),
            path: None,
        }
    }

    /// A warning: shown, the operation goes on.
    pub fn warning(summary: impl Into<String>, detail: impl Into<String>) -> Self {
        Self {
            severity: Severity::Warning,
            summary: summary.into(),
            detail: detail.into(),
            path: None,
        }
    }

    /// Points the diagnostic at an attribute (the root path means "no attribute").
    pub fn at(mut self, path: AttrPath) -> Self {
        self.path = (!path.is_root()).then_some(path);
        self
    }

    /// Whether it is an error.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// The wire form.
    pub fn to_proto(&self) -> pb::Diagnostic {
        let severity = match self.severity {
            Severity::Error => pb::diagnostic::Severity::Error,
            Severity::Warning => pb::diagnostic::Severity::Warning,
        };
        pb::Diagnostic {
            severity: severity.into(),
            summary: self.summary.clone(),
            detail: self.detail.clone(),
            attribute: self.path.as_ref().map(path_to_proto),
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let level = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(f, "{level}: {}", self.summary)?;
        if let Some(path) = &self.path {
            write!(f, " (at {path})")?;
        }
        if !self.detail.is_empty() {
            write!(f, ": {}", self.detail)?;
        }
        Ok(())
    }
}

/// A path in the wire form.
pub fn path_to_proto(path: &AttrPath) -> pb::AttributePath {
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

/// The diagnostics of one operation, in the order they were found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Diagnostics(Vec<Diagnostic>);

impl Diagnostics {
    /// No diagnostics.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one diagnostic.
    pub fn push(&mut self, diagnostic: Diagnostic) {
        self.0.push(diagnostic);
    }

    /// Adds an error without an attribute.
    pub fn error(&mut self, summary: impl Into<String>, detail: impl Into<String>) {
        self.push(Diagnostic::error(summary, detail));
    }

    /// Adds an error about the attribute at `path`.
    pub fn error_at(
        &mut self,
        path: &AttrPath,
        summary: impl Into<String>,
        detail: impl Into<String>,
    ) {
        self.push(Diagnostic::error(summary, detail).at(path.clone()));
    }

    /// Adds a warning without an attribute.
    pub fn warning(&mut self, summary: impl Into<String>, detail: impl Into<String>) {
        self.push(Diagnostic::warning(summary, detail));
    }

    /// Adds a warning about the attribute at `path`.
    pub fn warning_at(
        &mut self,
        path: &AttrPath,
        summary: impl Into<String>,
        detail: impl Into<String>,
    ) {
        self.push(Diagnostic::warning(summary, detail).at(path.clone()));
    }

    /// Adds an error for a value that does not fit its type or bytes that do not decode; `what` says which value
    /// of the request it was (e.g. "prior state").
    pub fn value_error(&mut self, what: &str, error: &ValueError) {
        self.push(
            Diagnostic::error(format!("Invalid {what}"), error.to_string()).at(error.path.clone()),
        );
    }

    /// Whether any diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        self.0.iter().any(Diagnostic::is_error)
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The diagnostics in the order they were added.
    pub fn iter(&self) -> std::slice::Iter<'_, Diagnostic> {
        self.0.iter()
    }

    /// Adds all of `other`.
    pub fn extend(&mut self, other: Diagnostics) {
        self.0.extend(other.0);
    }

    /// The wire form.
    pub fn to_proto(&self) -> Vec<pb::Diagnostic> {
        self.0.iter().map(Diagnostic::to_proto).collect()
    }
}

impl From<Diagnostic> for Diagnostics {
    fn from(diagnostic: Diagnostic) -> Self {
        Self(vec![diagnostic])
    }
}

impl IntoIterator for Diagnostics {
    type Item = Diagnostic;
    type IntoIter = std::vec::IntoIter<Diagnostic>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<'a> IntoIterator for &'a Diagnostics {
    type Item = &'a Diagnostic;
    type IntoIter = std::slice::Iter<'a, Diagnostic>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pb::attribute_path::step::Selector;

    #[test]
    fn proto_conversion_keeps_severity_and_path() {
        let mut diags = Diagnostics::new();
        diags.warning("w", "");
        diags.error_at(
            &AttrPath::attr("rules").join_index(1).join_key("k"),
            "bad",
            "detail",
        );
        assert!(diags.has_errors());
        let proto = diags.to_proto();
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
}
