//! Terraform values: types ([`Type`]), the value model ([`Value`], [`Number`]), attribute paths ([`AttrPath`])
//! and the two wire codecs: [`msgpack`] (what Terraform sends and what we answer) and [`json`] (only for
//! upgrading stored state).

use std::collections::BTreeMap;

pub mod json;
mod model;
pub mod msgpack;
mod number;
mod path;
mod types;

pub use model::Value;
pub use number::{Number, NumberError};
pub use path::{AttrPath, PathStep};
pub use types::{Type, TypeError};

/// The attributes of an object (or entries of a map) from `(name, item)` pairs, for the constructors of
/// [`Value`] and [`Type`].
fn named<S: Into<String>, T>(pairs: impl IntoIterator<Item = (S, T)>) -> BTreeMap<String, T> {
    pairs
        .into_iter()
        .map(|(name, item)| (name.into(), item))
        .collect()
}

/// A value that does not fit its type, or bytes that are not a valid encoding; `path` says where.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct ValueError {
    pub path: AttrPath,
    pub message: String,
}

impl ValueError {
    /// A decoding error at `path`.
    pub fn new(path: AttrPath, message: impl Into<String>) -> Self {
        Self {
            path,
            message: message.into(),
        }
    }
}
