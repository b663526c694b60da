//! A small framework for writing Terraform providers on top of the tfplugin5 service: traits for the provider,
//! resources and data sources ([`traits`]), typed models of their values ([`model`]), resource identity ([`identity`]), list resources ([`list`]),
//! actions ([`action`]), the operation context with cancellation and timeouts ([`context`],
//! [`timeouts`]), the planning rules ([`plan`]), semantic equality ([`semantic`]), validation ([`validate`],
//! [`validators`]) and the per-type driver the gRPC layer calls ([`runtime`]).

pub mod action;
pub mod context;
pub mod identity;
pub mod list;
pub mod model;
pub mod plan;
pub mod runtime;
pub mod semantic;
pub mod timeouts;
pub mod traits;
pub mod validate;
pub mod validators;

#[cfg(test)]
mod tests;

pub use action::{Action, ActionEvent, ActionRuntime, Progress};
pub use context::{Ctx, Interrupted};
pub use identity::Identity;
pub use list::{ListItem, ListResource, ListResults, ListRuntime};
pub use runtime::{DataSourceRuntime, ManagedResource};
pub use timeouts::TimeoutDefaults;
pub use traits::{DataSource, PlanChange, Provider, Resource};
pub use validate::{Configurable, Typed};
