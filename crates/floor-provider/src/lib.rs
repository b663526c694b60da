//! `terraform-provider-floor`: providers on this project's plugin runtime that call no API, the floors of the
//! overhead benchmark (`scripts/bench overhead`, BENCHMARKS.md "Overhead").
//!
//! - `floor_data` behaves like Terraform's built-in `terraform_data` (an `input` copied to `output`, an `id`
//!   chosen at create, `triggers_replace`): against `terraform_data` it shows what any external provider costs
//!   Terraform (process launches, AutoMTLS, gRPC and msgpack per call).
//! - `floor_http_frontend` has the schema of `ovhiplb_http_frontend` (the same attributes, types, flags and plan
//!   modifiers, without the OVH-specific validators; a test of the OVH provider holds the two together, so this
//!   crate depends on the plugin runtime only) and stores what it is given: against `floor_data` it shows what
//!   Terraform core spends on a wider schema; against `ovhiplb_http_frontend` what the OVH provider's own work (API
//!   calls, plan checks) adds.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use async_trait::async_trait;
use tfplugin5_runtime::PluginInfo;
use tfplugin5_runtime::diag::Diagnostics;
use tfplugin5_runtime::framework::{Ctx, DataSource, PlanChange, Provider, Resource};
use tfplugin5_runtime::schema::{Attribute, Block, Schema};
use tfplugin5_runtime::value::{Type, Value};

/// Who the floor provider is.
pub const PLUGIN: PluginInfo = PluginInfo {
    binary_name: "terraform-provider-floor",
    version: env!("CARGO_PKG_VERSION"),
    address: "registry.terraform.io/ovhiplb/floor",
};

/// The floor provider: no configuration, no API.
pub struct Floor;

#[async_trait]
impl Provider for Floor {
    type Data = ();

    fn schema(&self) -> Schema {
        Schema::new(Block::new())
    }

    async fn configure(
        &self,
        _ctx: &Ctx<()>,
        _config: &Value,
        _diags: &mut Diagnostics,
    ) -> Option<()> {
        Some(())
    }

    fn resources(&self) -> Vec<Arc<dyn Resource<()>>> {
        vec![
            Arc::new(FloorData::default()),
            Arc::new(FloorFrontend::default()),
        ]
    }

    fn data_sources(&self) -> Vec<Arc<dyn DataSource<()>>> {
        Vec::new()
    }
}

#[derive(Default)]
struct FloorData {
    /// Ids only need to be unique within one process's creates; the process id keeps runs apart.
    next: AtomicU64,
}

#[async_trait]
impl Resource<()> for FloorData {
    fn type_name(&self) -> &'static str {
        "floor_data"
    }

    fn schema(&self) -> Schema {
        Schema::new(
            Block::new()
                .attr(
                    Attribute::string("id")
                        .computed()
                        .use_state_for_unknown()
                        .description("Chosen at create."),
                )
                .attr(
                    Attribute::new("input", Type::Dynamic)
                        .optional()
                        .description("Any value, copied to `output`."),
                )
                .attr(
                    Attribute::new("output", Type::Dynamic)
                        .computed()
                        .description("`input` after apply."),
                )
                .attr(
                    Attribute::new("triggers_replace", Type::Dynamic)
                        .optional()
                        .requires_replace()
                        .description("A change replaces the resource."),
                ),
        )
    }

    async fn modify_plan(
        &self,
        _ctx: &Ctx<Option<&()>>,
        plan: &mut PlanChange,
        _diags: &mut Diagnostics,
    ) {
        // Like terraform_data: `output` follows `input`, unknown until apply when `input` changes.
        if plan.is_create() || plan.prior.get("input") != plan.config.get("input") {
            plan.planned.set_attr("output", Value::Unknown);
        }
    }

    async fn create(
        &self,
        _ctx: &Ctx<&()>,
        planned: &Value,
        config: &Value,
        _diags: &mut Diagnostics,
    ) -> Option<Value> {
        let id = format!(
            "{}-{}",
            std::process::id(),
            self.next.fetch_add(1, Ordering::Relaxed)
        );
        Some(
            planned
                .clone()
                .with_attr("id", id.into())
                .with_attr("output", config.get("input").clone()),
        )
    }

    async fn read(
        &self,
        _ctx: &Ctx<&()>,
        state: &Value,
        _diags: &mut Diagnostics,
    ) -> Option<Value> {
        Some(state.clone())
    }

    async fn update(
        &self,
        _ctx: &Ctx<&()>,
        _prior: &Value,
        planned: &Value,
        config: &Value,
        _diags: &mut Diagnostics,
    ) -> Option<Value> {
        Some(
            planned
                .clone()
                .with_attr("output", config.get("input").clone()),
        )
    }

    async fn delete(&self, _ctx: &Ctx<&()>, _prior: &Value, _diags: &mut Diagnostics) {}
}

/// A resource with the schema of `ovhiplb_http_frontend`, and no API behind it.
#[derive(Default)]
struct FloorFrontend {
    next: AtomicU64,
}

/// The schema of `ovhiplb_http_frontend` without its validators, semantic equality and descriptions' wording
/// (the OVH provider's tests check that the two agree on everything else).
pub fn http_frontend_schema() -> Schema {
    let string = |name: &str| Attribute::string(name).optional().description(name);
    let set = |name: &str| {
        Attribute::new(name, Type::set(Type::String))
            .optional()
            .description(name)
    };
    Schema::new(
        Block::new()
            .description("A frontend.")
            .attr(
                Attribute::string("id")
                    .computed()
                    .use_state_for_unknown()
                    .description("id"),
            )
            .attr(
                Attribute::string("service_name")
                    .required()
                    .requires_replace()
                    .description("service_name"),
            )
            .attr(
                Attribute::number("frontend_id")
                    .computed()
                    .use_state_for_unknown()
                    .description("frontend_id"),
            )
            .attr(Attribute::string("port").required().description("port"))
            .attr(Attribute::string("zone").required().description("zone"))
            .attr(set("dedicated_ipfo"))
            .attr(
                Attribute::number("default_farm_id")
                    .optional()
                    .description("default_farm_id"),
            )
            .attr(
                Attribute::bool("disabled")
                    .default(false)
                    .description("disabled"),
            )
            .attr(string("display_name"))
            .attr(set("allowed_source"))
            .attr(set("denied_source"))
            .attr(
                Attribute::number("default_ssl_id")
                    .optional()
                    .description("default_ssl_id"),
            )
            .attr(Attribute::bool("ssl").default(false).description("ssl"))
            .attr(Attribute::bool("hsts").default(false).description("hsts"))
            .attr(
                Attribute::new("http_header", Type::list(Type::String))
                    .optional()
                    .description("http_header"),
            )
            .attr(string("redirect_location")),
    )
}

impl FloorFrontend {
    /// `planned` with what the API would have filled in: the ids, and null for any other unknown.
    fn settle(planned: &Value, frontend_id: Option<u64>) -> Value {
        let mut state = planned.clone();
        for name in planned
            .as_entries()
            .map(|entries| entries.keys().cloned().collect::<Vec<_>>())
            .unwrap_or_default()
        {
            if state.get(&name).is_unknown() {
                state.set_attr(name, Value::Null);
            }
        }
        if let Some(frontend_id) = frontend_id {
            let service_name = planned
                .get("service_name")
                .as_str()
                .unwrap_or_default()
                .to_owned();
            state.set_attr("frontend_id", Value::from(frontend_id as i64));
            state.set_attr("id", Value::from(format!("{service_name}/{frontend_id}")));
        }
        state
    }
}

#[async_trait]
impl Resource<()> for FloorFrontend {
    fn type_name(&self) -> &'static str {
        "floor_http_frontend"
    }

    fn schema(&self) -> Schema {
        http_frontend_schema()
    }

    async fn create(
        &self,
        _ctx: &Ctx<&()>,
        planned: &Value,
        _config: &Value,
        _diags: &mut Diagnostics,
    ) -> Option<Value> {
        Some(Self::settle(
            planned,
            Some(self.next.fetch_add(1, Ordering::Relaxed)),
        ))
    }

    async fn read(
        &self,
        _ctx: &Ctx<&()>,
        state: &Value,
        _diags: &mut Diagnostics,
    ) -> Option<Value> {
        Some(state.clone())
    }

    async fn update(
        &self,
        _ctx: &Ctx<&()>,
        _prior: &Value,
        planned: &Value,
        _config: &Value,
        _diags: &mut Diagnostics,
    ) -> Option<Value> {
        Some(Self::settle(planned, None))
    }

    async fn delete(&self, _ctx: &Ctx<&()>, _prior: &Value, _diags: &mut Diagnostics) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settling_fills_the_ids_and_nulls_other_unknowns() {
        let planned = Value::object([
            ("service_name", Value::from("loadbalancer-x")),
            ("id", Value::Unknown),
            ("frontend_id", Value::Unknown),
            ("display_name", Value::Unknown),
            ("port", Value::from("80")),
        ]);
        let state = FloorFrontend::settle(&planned, Some(7));
        assert_eq!(state.get("id").as_str(), Some("loadbalancer-x/7"));
        assert_eq!(state.get("frontend_id").as_i64(), Some(7));
        assert!(state.get("display_name").is_null());
        assert_eq!(state.get("port").as_str(), Some("80"));
        assert!(state.is_wholly_known());
    }
}
