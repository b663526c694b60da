//! Drives one resource or data source through Terraform's operations on decoded values: adds the `timeouts`
//! block, validates, plans (the rules of [`super::plan`] then the resource's hook), applies, reads, imports and
//! upgrades, and enforces what Terraform expects of the results (wholly known, planned or prior representation
//! kept when semantically equal). Wire decoding is the gRPC layer's job.

use std::sync::Arc;

use super::context::Ctx;
use super::identity::{ResolvedIdentity, null_object};
use super::plan;
use super::semantic::reconcile;
use super::timeouts::{self, Operation, TimeoutDefaults};
use super::traits::{DataSource, PlanChange, Resource};
use super::validate::{Configurable, Typed};
use crate::diag::Diagnostics;
use crate::value::{AttrPath, Value, json};

/// A managed resource type with its complete schema.
pub struct ManagedResource<D> {
    resource: Arc<dyn Resource<D>>,
    /// The resource's schema plus the `timeouts` block when it opted in.
    typed: Typed,
    timeouts: Option<TimeoutDefaults>,
    /// Its identity, when it declares one that fits its schema.
    identity: Option<ResolvedIdentity>,
    /// Why a declared identity does not fit (a provider bug, reported by [`Self::problems`]).
    identity_problem: Option<String>,
}

/// Plan-time validation: attribute validators, the timeouts block, then the resource's own checks.
impl<D: Send + Sync + 'static> Configurable for ManagedResource<D> {
    fn typed(&self) -> &Typed {
        &self.typed
    }

    fn check(&self, config: &Value, diags: &mut Diagnostics) {
        if let Some(defaults) = &self.timeouts {
            defaults.validate(config, diags);
        }
        self.resource.validate(config, diags);
    }
}

impl<D: Send + Sync + 'static> ManagedResource<D> {
    /// Drives `resource` with the framework's planning rules, its `timeouts` block and its identity.
    pub fn new(resource: Arc<dyn Resource<D>>) -> Self {
        let mut schema = resource.schema();
        let timeouts = resource.timeouts();
        if let Some(defaults) = &timeouts {
            schema.block.blocks.push(defaults.block());
        }
        let (identity, identity_problem) = match resource.identity() {
            None => (None, None),
            Some(declared) => match ResolvedIdentity::resolve(declared, &schema.block) {
                Ok(identity) => (Some(identity), None),
                Err(problem) => (None, Some(problem)),
            },
        };
        Self {
            resource,
            typed: Typed::new(schema),
            timeouts,
            identity,
            identity_problem,
        }
    }

    /// What is wrong with the resource's declarations (schema and identity), for the provider's own tests.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = self.schema().block.problems();
        problems.extend(self.identity_problem.clone());
        problems
    }

    /// Its identity, if it has one.
    pub fn identity(&self) -> Option<&ResolvedIdentity> {
        self.identity.as_ref()
    }

    /// The identity of the object whose state is `state`: null when the resource has no identity or the state is
    /// null.
    pub fn identity_of(&self, state: &Value) -> Value {
        self.identity
            .as_ref()
            .map_or(Value::Null, |identity| identity.of(state))
    }

    /// The partial state of an object imported by identity (Terraform then reads it).
    pub fn import_identity(&self, identity: &Value, diags: &mut Diagnostics) -> Option<Value> {
        let Some(resolved) = &self.identity else {
            diags.error(
                "Import by identity not supported",
                format!(
                    "{} has no resource identity; import it by its id instead.",
                    self.type_name()
                ),
            );
            return None;
        };
        resolved.partial_state(identity, &self.schema().block, diags)
    }

    /// Upgrades a stored identity (its raw JSON, written with identity `version`) to the current identity.
    pub fn upgrade_identity(
        &self,
        version: i64,
        raw_json: &[u8],
        diags: &mut Diagnostics,
    ) -> Option<Value> {
        let Some(identity) = &self.identity else {
            diags.error(
                "Resource has no identity",
                format!("{} has no resource identity to upgrade.", self.type_name()),
            );
            return None;
        };
        if version != identity.declaration.version {
            diags.error(
                "Unsupported identity version",
                format!(
                    "The stored identity of {} has version {version}; this provider knows only version {}.",
                    self.type_name(),
                    identity.declaration.version
                ),
            );
            return None;
        }
        let decoded = serde_json::from_slice::<serde_json::Value>(raw_json)
            .map_err(|e| e.to_string())
            .and_then(|raw| json::from_json(&raw, &identity.ty).map_err(|e| e.to_string()));
        match decoded {
            Ok(value) if value.is_wholly_known() => Some(value),
            Ok(_) => {
                diags.error(
                    "Invalid stored identity",
                    "The stored identity holds unknown values.",
                );
                None
            }
            Err(e) => {
                diags.error("Invalid stored identity", format!("{e}."));
                None
            }
        }
    }

    /// The configuration a person would write for the object whose state is `state` (`-generate-config-out`):
    /// the arguments they set, without computed-only attributes, without values equal to their default, and
    /// without optional-computed attributes (left out, they keep what the object has) or nested blocks such as
    /// `timeouts`.
    pub fn generate_config(&self, state: &Value) -> Value {
        if state.is_null() {
            return Value::Null;
        }
        let mut config = null_object(&self.schema().block);
        for attribute in &self.schema().block.attributes {
            let value = state.get(&attribute.name);
            let written = attribute.required
                || (attribute.optional
                    && !attribute.computed
                    && attribute.default.as_ref() != Some(value));
            let defaulted =
                attribute.default.is_some() && attribute.default.as_ref() != Some(value);
            if written || defaulted {
                config.set_attr(attribute.name.clone(), value.clone());
            }
        }
        config
    }

    /// The resource type name.
    pub fn type_name(&self) -> &'static str {
        self.resource.type_name()
    }

    /// The context of `operation`, with the deadline set by `value`'s `timeouts` block or the default.
    fn timed<T: Clone>(&self, ctx: &Ctx<T>, operation: Operation, value: &Value) -> Ctx<T> {
        match self.timeouts.and_then(|t| t.resolve(operation, value)) {
            Some(after) => ctx.clone().with_timeout(after, operation.source()),
            None => ctx.clone(),
        }
    }

    /// Plans a create (`prior` null), an update, or a destroy (`proposed` null). Returns the planned state and
    /// the paths that require replacement.
    pub async fn plan(
        &self,
        ctx: &Ctx<Option<&D>>,
        prior: Value,
        proposed: Value,
        config: Value,
        diags: &mut Diagnostics,
    ) -> (Value, Vec<AttrPath>) {
        if proposed.is_null() {
            return (Value::Null, Vec::new());
        }
        self.validate(&config, diags);
        if diags.has_errors() {
            return (proposed, Vec::new());
        }
        let planned = plan::plan(&self.schema().block, &prior, &config, &proposed);
        let mut change = PlanChange {
            prior,
            config,
            planned,
            requires_replace: Vec::new(),
        };
        self.resource.modify_plan(ctx, &mut change, diags).await;
        let mut replace =
            plan::requires_replace(&self.schema().block, &change.prior, &change.planned);
        for path in change.requires_replace {
            if !replace.contains(&path) {
                replace.push(path);
            }
        }
        (change.planned, replace)
    }

    /// Applies a plan: create (`prior` null), update, or delete (`planned` null). Returns the new state; on
    /// failure, the state of what exists (null if nothing was created, the prior state if nothing changed).
    pub async fn apply(
        &self,
        ctx: &Ctx<&D>,
        prior: Value,
        planned: Value,
        config: Value,
        diags: &mut Diagnostics,
    ) -> Value {
        if planned.is_null() {
            let ctx = self.timed(ctx, Operation::Delete, &prior);
            self.resource.delete(&ctx, &prior, diags).await;
            return if diags.has_errors() {
                prior
            } else {
                Value::Null
            };
        }
        if prior.is_null() {
            let ctx = self.timed(ctx, Operation::Create, &planned);
            return match self.resource.create(&ctx, &planned, &config, diags).await {
                Some(created) => self.finish_apply(created, &planned, diags),
                None => {
                    self.report_no_object(Operation::Create, diags);
                    Value::Null
                }
            };
        }
        if strip_timeouts(&prior) == strip_timeouts(&planned) {
            // Only the timeouts changed: nothing to do remotely.
            return self.finish_apply(planned.clone(), &planned, diags);
        }
        let ctx = self.timed(ctx, Operation::Update, &planned);
        match self
            .resource
            .update(&ctx, &prior, &planned, &config, diags)
            .await
        {
            Some(updated) => self.finish_apply(updated, &planned, diags),
            None => {
                self.report_no_object(Operation::Update, diags);
                prior
            }
        }
    }

    /// Reports that a create or update returned no object, unless the resource already said why.
    fn report_no_object(&self, operation: Operation, diags: &mut Diagnostics) {
        if !diags.has_errors() {
            diags.error(
                "Provider produced no object",
                format!(
                    "{} {} returned no state.",
                    self.type_name(),
                    operation.name()
                ),
            );
        }
    }

    /// Keeps the planned representation of semantically equal values and the planned timeouts, and checks the
    /// result is wholly known as Terraform requires.
    fn finish_apply(&self, result: Value, planned: &Value, diags: &mut Diagnostics) -> Value {
        let mut state = reconcile(&self.schema().block, planned, result);
        self.keep_timeouts(&mut state, planned);
        if !state.is_wholly_known() {
            diags.error(
                "Provider produced an incomplete object",
                format!(
                    "{} returned unknown values after apply; this is a bug in the provider.",
                    self.type_name()
                ),
            );
        }
        state
    }

    fn keep_timeouts(&self, state: &mut Value, from: &Value) {
        if self.timeouts.is_some() && !state.is_null() {
            state.set_attr(timeouts::BLOCK_NAME, from.get(timeouts::BLOCK_NAME).clone());
        }
    }

    /// Refreshes `state`; null when the object is gone. On error the prior state is kept.
    pub async fn read(&self, ctx: &Ctx<&D>, state: Value, diags: &mut Diagnostics) -> Value {
        let ctx = self.timed(ctx, Operation::Read, &state);
        match self.resource.read(&ctx, &state, diags).await {
            Some(read) => {
                let mut fresh = reconcile(&self.schema().block, &state, read);
                self.keep_timeouts(&mut fresh, &state);
                fresh
            }
            None if diags.has_errors() => state,
            None => Value::Null,
        }
    }

    /// The partial state of an imported object.
    pub async fn import(&self, ctx: &Ctx<&D>, id: &str, diags: &mut Diagnostics) -> Option<Value> {
        let ctx = self.timed(ctx, Operation::Read, &Value::Null);
        let state = self.resource.import(&ctx, id, diags).await?;
        if state.is_null() {
            if !diags.has_errors() {
                diags.error(
                    "Import returned no object",
                    format!("{} import of {id:?} returned nothing.", self.type_name()),
                );
            }
            return None;
        }
        Some(state)
    }

    /// Upgrades a stored state (its raw JSON, written with schema `version`) to the current schema.
    pub fn upgrade(&self, version: i64, raw_json: &[u8], diags: &mut Diagnostics) -> Option<Value> {
        if version > self.schema().version {
            diags.error(
                "State from a newer provider",
                format!(
                    "The state of {} has schema version {version}; this provider knows up to {}. Upgrade the provider.",
                    self.type_name(),
                    self.schema().version
                ),
            );
            return None;
        }
        let raw: serde_json::Value = match serde_json::from_slice(raw_json) {
            Ok(raw) => raw,
            Err(e) => {
                diags.error(
                    "Invalid stored state",
                    format!("The stored state is not valid JSON: {e}."),
                );
                return None;
            }
        };
        let upgraded = if version == self.schema().version {
            match json::from_json(&raw, self.value_type()) {
                Ok(value) => value,
                Err(e) => {
                    diags.value_error("stored state", &e);
                    return None;
                }
            }
        } else {
            let mut value = self.resource.upgrade(version, &raw, diags)?;
            if let Some(defaults) = &self.timeouts {
                let block_ty = defaults.block().value_type();
                let stored = raw
                    .get(timeouts::BLOCK_NAME)
                    .map(|t| json::from_json(t, &block_ty));
                value.set_attr(
                    timeouts::BLOCK_NAME,
                    stored.and_then(Result::ok).unwrap_or_default(),
                );
            }
            value
        };
        if !upgraded.is_wholly_known() {
            diags.error(
                "Invalid upgraded state",
                format!(
                    "{} produced unknown values while upgrading state.",
                    self.type_name()
                ),
            );
            return None;
        }
        Some(upgraded)
    }
}

/// The value without its `timeouts` attribute.
fn strip_timeouts(value: &Value) -> Value {
    let mut value = value.clone();
    if let Value::Object(entries) = &mut value {
        entries.remove(timeouts::BLOCK_NAME);
    }
    value
}

/// A data source type with its schema.
pub struct DataSourceRuntime<D> {
    source: Arc<dyn DataSource<D>>,
    typed: Typed,
}

impl<D: Send + Sync + 'static> Configurable for DataSourceRuntime<D> {
    fn typed(&self) -> &Typed {
        &self.typed
    }

    fn check(&self, config: &Value, diags: &mut Diagnostics) {
        self.source.validate(config, diags);
    }
}

impl<D: Send + Sync + 'static> DataSourceRuntime<D> {
    /// Drives `source`, keeping its configured arguments in what it reads.
    pub fn new(source: Arc<dyn DataSource<D>>) -> Self {
        let typed = Typed::new(source.schema());
        Self { source, typed }
    }

    /// The data source type name.
    pub fn type_name(&self) -> &'static str {
        self.source.type_name()
    }

    /// Reads the data. Configured arguments are kept as configured (Terraform requires it); the result must be
    /// wholly known.
    pub async fn read(&self, ctx: &Ctx<&D>, config: Value, diags: &mut Diagnostics) -> Value {
        self.validate(&config, diags);
        if diags.has_errors() {
            return Value::Null;
        }
        let Some(mut result) = self.source.read(ctx, &config, diags).await else {
            if !diags.has_errors() {
                diags.error(
                    "Data source produced no object",
                    format!("{} read returned nothing.", self.type_name()),
                );
            }
            return Value::Null;
        };
        for attribute in &self.schema().block.attributes {
            let configured = config.get(&attribute.name);
            if !attribute.computed || !configured.is_null() {
                result.set_attr(attribute.name.clone(), configured.clone());
            }
        }
        for nested in &self.schema().block.blocks {
            if result.get(&nested.type_name).is_null() {
                result.set_attr(
                    nested.type_name.clone(),
                    config.get(&nested.type_name).clone(),
                );
            }
        }
        if !result.is_wholly_known() {
            diags.error(
                "Data source produced unknown values",
                format!("{} returned unknown values.", self.type_name()),
            );
        }
        result
    }
}
