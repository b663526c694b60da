//! What a provider, a resource and a data source implement. They are generic over `D`, the provider's configured
//! data (typically an API client), so every operation gets it typed. Operations report problems in a
//! [`Diagnostics`] and return the resulting value, if any.

use std::sync::Arc;

use async_trait::async_trait;

use super::action::Action;
use super::context::Ctx;
use super::identity::Identity;
use super::list::ListResource;
use super::timeouts::TimeoutDefaults;
use crate::diag::Diagnostics;
use crate::schema::Schema;
use crate::value::{AttrPath, Value};

/// A Terraform provider: its configuration schema, how to configure it, and what it manages.
#[async_trait]
pub trait Provider: Send + Sync + 'static {
    /// What `configure` produces and every resource operation receives.
    type Data: Send + Sync + 'static;

    /// The schema of the `provider` block.
    fn schema(&self) -> Schema;

    /// Static checks of the provider configuration (unknown values may be present: skip them).
    fn validate(&self, _config: &Value, _diags: &mut Diagnostics) {}

    /// Builds the provider data from a wholly known configuration. Returning `None` requires an error diagnostic.
    async fn configure(
        &self,
        ctx: &Ctx<()>,
        config: &Value,
        diags: &mut Diagnostics,
    ) -> Option<Self::Data>;

    /// The managed resource types it serves.
    fn resources(&self) -> Vec<Arc<dyn Resource<Self::Data>>>;

    /// The data source types it serves.
    fn data_sources(&self) -> Vec<Arc<dyn DataSource<Self::Data>>>;

    /// The list resource types it serves (`terraform query`); each lists a managed resource type that has an
    /// identity.
    fn list_resources(&self) -> Vec<Arc<dyn ListResource<Self::Data>>> {
        Vec::new()
    }

    /// The action types it serves.
    fn actions(&self) -> Vec<Arc<dyn Action<Self::Data>>> {
        Vec::new()
    }
}

/// A plan being made for a create or an update, handed to [`Resource::modify_plan`] after the framework applied
/// the schema's rules (defaults, unknown computed values, semantic equality, requires-replace).
#[derive(Clone, Debug)]
pub struct PlanChange {
    /// Null when the resource is being created.
    pub prior: Value,
    pub config: Value,
    /// What will be proposed to Terraform; may be changed. It must stay valid: config values kept (or the prior
    /// value when semantically equal), only computed attributes free.
    pub planned: Value,
    /// Paths whose change replaces the resource; paths where planned equals prior are ignored by Terraform.
    pub requires_replace: Vec<AttrPath>,
}

impl PlanChange {
    /// Whether this plans a create (no prior state).
    pub fn is_create(&self) -> bool {
        self.prior.is_null()
    }
}

/// A managed resource type.
#[async_trait]
pub trait Resource<D>: Send + Sync + 'static {
    /// The full type name, e.g. `example_server`.
    fn type_name(&self) -> &'static str;

    /// The schema, without the `timeouts` block (the framework adds it from [`Resource::timeouts`]).
    fn schema(&self) -> Schema;

    /// Opt into a `timeouts` block with these defaults.
    fn timeouts(&self) -> Option<TimeoutDefaults> {
        None
    }

    /// Opt into resource identity: the attributes of the schema that name the object at its API. The runtime
    /// then derives the identity from the state in every answer, and imports by identity by reading the object
    /// from a state holding just those attributes.
    fn identity(&self) -> Option<Identity> {
        None
    }

    /// Checks of the configuration beyond the per-attribute validators (e.g. mutual exclusions). Unknown values
    /// may be present: skip them.
    fn validate(&self, _config: &Value, _diags: &mut Diagnostics) {}

    /// Adjusts the plan of a create or update (e.g. reads something remote to plan a computed value). The provider
    /// may not be configured yet at plan time, hence the optional data.
    async fn modify_plan(
        &self,
        _ctx: &Ctx<Option<&D>>,
        _plan: &mut PlanChange,
        _diags: &mut Diagnostics,
    ) {
    }

    /// Creates the object; returns its state (wholly known). On failure after something was created, return the
    /// state of what exists along with the error, so Terraform keeps track of it.
    async fn create(
        &self,
        ctx: &Ctx<&D>,
        planned: &Value,
        config: &Value,
        diags: &mut Diagnostics,
    ) -> Option<Value>;

    /// Reads the object; `None` without error means it is gone (Terraform then removes it from state).
    async fn read(&self, ctx: &Ctx<&D>, state: &Value, diags: &mut Diagnostics) -> Option<Value>;

    /// Updates the object in place; returns the new state. `None` with an error keeps the prior state.
    async fn update(
        &self,
        ctx: &Ctx<&D>,
        prior: &Value,
        planned: &Value,
        config: &Value,
        diags: &mut Diagnostics,
    ) -> Option<Value>;

    /// Deletes the object. An object already gone is a success.
    async fn delete(&self, ctx: &Ctx<&D>, prior: &Value, diags: &mut Diagnostics);

    /// Turns an import id into a (possibly partial) state; Terraform then calls read.
    async fn import(&self, _ctx: &Ctx<&D>, _id: &str, diags: &mut Diagnostics) -> Option<Value> {
        diags.error(
            "Import not supported",
            format!("{} cannot be imported.", self.type_name()),
        );
        None
    }

    /// Upgrades a state stored by an older schema `version` (as its raw JSON) to the current schema. Only called
    /// when `version` differs from the current one.
    fn upgrade(
        &self,
        version: i64,
        _raw: &serde_json::Value,
        diags: &mut Diagnostics,
    ) -> Option<Value> {
        diags.error(
            "Unsupported state version",
            format!(
                "{} has no upgrade from schema version {version}.",
                self.type_name()
            ),
        );
        None
    }
}

/// A data source type.
#[async_trait]
pub trait DataSource<D>: Send + Sync + 'static {
    /// The full type name, e.g. `example_images`.
    fn type_name(&self) -> &'static str;

    /// The schema of its block.
    fn schema(&self) -> Schema;

    /// Checks beyond the per-attribute validators. Unknown values may be present: skip them.
    fn validate(&self, _config: &Value, _diags: &mut Diagnostics) {}

    /// Reads the data; the result must be wholly known. Configured arguments are kept as configured by the
    /// framework, so only computed attributes matter in the result.
    async fn read(&self, ctx: &Ctx<&D>, config: &Value, diags: &mut Diagnostics) -> Option<Value>;
}
