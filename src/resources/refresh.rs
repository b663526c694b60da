//! `ovhiplb_refresh`: the "Apply configuration" step of an IP Load Balancer. Frontend, farm and route changes stay
//! pending in OVH until the configuration is deployed (`POST /ipLoadbalancing/{sn}/refresh`). This resource shows
//! the pending changes as `pending_changes`, so that changes made outside a run appear in `terraform plan` as an
//! update of it, and deploys them on apply: after checking OVH's deploy conditions (naming what violates them),
//! one refresh at a time per LB within the provider process and in the API, waiting for the task. A refresh POST
//! whose answer is lost, or that is refused while another refresh runs, goes through the single path of
//! [`super::recovery`]: the running refreshes are waited for, and a refresh is sent again only when none started.

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;

use super::common;
use super::deploy::{DeployTarget, check_id_part, deploy, log_steps};
use crate::resources::ProviderData;
use tfplugin5_runtime::diag::Diagnostics;
use tfplugin5_runtime::framework::model::{MaybeUnknown, Model, attr_name, field, model};
use tfplugin5_runtime::framework::timeouts::Operation;
use tfplugin5_runtime::framework::validators;
use tfplugin5_runtime::framework::{Ctx, Identity, PlanChange, Resource, TimeoutDefaults};
use tfplugin5_runtime::schema::Schema;
use tfplugin5_runtime::value::Value;

/// Default limit of a deploy: OVH refreshes usually take seconds to a couple of minutes.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10 * 60);

/// The `ovhiplb_refresh` resource type.
#[derive(Debug, Default)]
pub struct Refresh;

model! {
    /// The state of an `ovhiplb_refresh`; also what create and update read of the plan, where the computed `id`
    /// and `pending_changes` may still be unknown.
    pub(crate) struct RefreshState {
        id: MaybeUnknown<String> => |a| a
            .computed()
            .use_state_for_unknown()
            .markdown("`service_name`, or `service_name/zone` when `zone` is set."),
        service_name: String => |a| common::lb_argument(a.requires_replace(), ""),
        zone: Option<String> => |a| a
            .optional()
            .requires_replace()
            .validate(validators::string("Invalid zone", check_id_part))
            .markdown(
                "Deploy only this zone (e.g. `gra`); unset or `all` deploys every zone. `pending_changes` \
                 then counts this zone only. The deploy conditions are still checked over the \
                 whole load balancer, as OVH does.",
            ),
        triggers: Triggers => |a| a.optional().markdown(
            "Arbitrary strings; any change deploys again on the next apply. Build them from the objects \
             this deploy covers, e.g. `sha1(jsonencode([...]))` of the frontends.",
        ),
        /// Null after an import, until the next read.
        pending_changes: MaybeUnknown<Option<i64>> => |a| a.computed().markdown(
            "How many configuration changes are waiting to be deployed (in `zone`, or in every zone), as \
             `GET /ipLoadbalancing/{serviceName}/pendingChanges` reports them. More than zero after a \
             refresh of the state plans an update that deploys them.",
        ),
    }
}

/// `triggers`: only carried and compared, never interpreted; an element may be null.
type Triggers = Option<BTreeMap<String, Option<String>>>;

impl RefreshState {
    fn target(&self) -> DeployTarget {
        DeployTarget {
            service_name: self.service_name.clone(),
            zone: self.zone.clone(),
        }
    }
}

const DESCRIPTION: &str = "Deploys the pending configuration changes of an IP Load Balancer (OVH's \"Apply \
configuration\", `POST /ipLoadbalancing/{serviceName}/refresh`).\n\n\
Changes to frontends, farms and routes stay pending in OVH until deployed. `pending_changes` is read from the API on \
every refresh of the state, so changes made outside this Terraform run show up in `terraform plan` as an update of \
this resource, and `terraform apply` deploys them. Applying also runs when `triggers` change.\n\n\
Before deploying, the provider checks OVH's deploy conditions and names what violates them: at least one frontend; \
every frontend has a route, a `redirect_location` or a `default_farm_id`; if the load balancer is in a vRack every \
farm is in one of its vRack networks, otherwise no farm is in a vRack. Refreshes of one load balancer are \
serialised (within the provider, and a refresh already running in the API is waited for); a failed refresh task is \
reported at once with its details. Nothing is deployed, and no call made, when nothing is pending.\n\n\
Wire it after the objects it deploys, so one `apply` creates everything then deploys once:\n\n\
```hcl\n\
resource \"ovhiplb_refresh\" \"deploy\" {\n  \
service_name = \"loadbalancer-0123abcd\"\n  \
triggers = {\n    \
frontends = sha1(jsonencode([ovhiplb_http_frontend.web, ovhiplb_tcp_frontend.db]))\n  \
}\n  \
depends_on = [ovhiplb_http_frontend.web, ovhiplb_tcp_frontend.db]\n\
}\n\
```\n\n\
Destroying this resource changes nothing in the API: Terraform destroys it before the frontends it depends on. To \
deploy the deletions of a `terraform destroy`, give the frontends and this resource their `service_name` from an \
`ovhiplb_deploy_on_destroy`, which Terraform destroys last. To deploy on demand (Terraform >= 1.14), use the \
`ovhiplb_deploy` action.";

#[async_trait]
impl Resource<ProviderData> for Refresh {
    fn type_name(&self) -> &'static str {
        "ovhiplb_refresh"
    }

    fn schema(&self) -> Schema {
        Schema::new(RefreshState::block().markdown(DESCRIPTION))
    }

    fn timeouts(&self) -> Option<TimeoutDefaults> {
        Some(TimeoutDefaults::only(
            &[Operation::Create, Operation::Update],
            DEFAULT_TIMEOUT,
        ))
    }

    fn identity(&self) -> Option<Identity> {
        Some(DeployTarget::identity())
    }

    async fn modify_plan(
        &self,
        ctx: &Ctx<Option<&ProviderData>>,
        plan: &mut PlanChange,
        diags: &mut Diagnostics,
    ) {
        // Single attributes: a plan may hold unknowns anywhere.
        let triggers = attr_name!(RefreshState, triggers);
        let pending_changes = attr_name!(RefreshState, pending_changes);
        DeployTarget::plan(ctx, plan, attr_name!(RefreshState, id), diags).await;
        if plan.is_create() {
            // Unknown until applied: other resources of the same apply may add changes.
            return;
        }
        if plan.planned.get(triggers) != plan.prior.get(triggers) {
            plan.planned.set_attr(pending_changes, Value::Unknown);
        } else if plan
            .prior
            .get(pending_changes)
            .as_i64()
            .is_some_and(|n| n > 0)
        {
            // Changes made outside this run: planning their deployment is what makes them visible.
            plan.planned.set_attr(pending_changes, Value::from(0_i64));
        }
    }

    async fn create(
        &self,
        ctx: &Ctx<&ProviderData>,
        planned: &Value,
        _config: &Value,
        diags: &mut Diagnostics,
    ) -> Option<Value> {
        self.apply(ctx, planned, diags).await
    }

    async fn read(
        &self,
        ctx: &Ctx<&ProviderData>,
        state: &Value,
        diags: &mut Diagnostics,
    ) -> Option<Value> {
        // What names the refresh and its triggers only: an import by identity gives no more.
        let Ok(target) = DeployTarget::from_value(state) else {
            decode(state, diags)?;
            return None;
        };
        let triggers: Triggers =
            field(state, attr_name!(RefreshState, triggers)).unwrap_or_default();
        let changes =
            match common::call(ctx, ctx.data.client.pending_changes(&target.service_name)).await {
                Ok(changes) => changes,
                // The load balancer is gone, and this resource with it.
                Err(e) if e.is_not_found() => return None,
                Err(e) => {
                    e.report(
                        diags,
                        format!("Cannot read the pending changes of {}", target.label()),
                    );
                    return None;
                }
            };
        let count = target.count(&changes);
        Some(refresh_state(&target, triggers, Some(count)))
    }

    async fn update(
        &self,
        ctx: &Ctx<&ProviderData>,
        _prior: &Value,
        planned: &Value,
        _config: &Value,
        diags: &mut Diagnostics,
    ) -> Option<Value> {
        self.apply(ctx, planned, diags).await
    }

    async fn delete(&self, _ctx: &Ctx<&ProviderData>, _prior: &Value, _diags: &mut Diagnostics) {
        // A deploy cannot be undone: forgetting the resource is all there is to do.
    }

    async fn import(
        &self,
        _ctx: &Ctx<&ProviderData>,
        id: &str,
        diags: &mut Diagnostics,
    ) -> Option<Value> {
        DeployTarget::from_import_id(id, self.type_name(), diags)
            .map(|target| refresh_state(&target, None, None))
    }
}

impl Refresh {
    /// Create and update: deploy what is pending, then return the state with the pending changes re-read.
    async fn apply(
        &self,
        ctx: &Ctx<&ProviderData>,
        planned: &Value,
        diags: &mut Diagnostics,
    ) -> Option<Value> {
        let planned = decode(planned, diags)?;
        let target = planned.target();
        let remaining = match deploy(ctx, &target, &log_steps).await {
            Ok(remaining) => remaining,
            Err(failure) => {
                diags.push(failure.into_diagnostic(&target));
                return None;
            }
        };
        let pending = match planned.pending_changes {
            // Changes made between the deploy and the re-read: keep the plan's promise, the next refresh of the
            // state shows them.
            MaybeUnknown::Known(Some(promised)) if promised != remaining => {
                tracing::warn!(lb = %target.label(), remaining, "changes were made while deploying");
                promised
            }
            _ => remaining,
        };
        Some(refresh_state(&target, planned.triggers, Some(pending)))
    }
}

/// The state of a refresh of `target`.
fn refresh_state(target: &DeployTarget, triggers: Triggers, pending_changes: Option<i64>) -> Value {
    RefreshState {
        id: target.id().into(),
        service_name: target.service_name.clone(),
        zone: target.zone.clone(),
        triggers,
        pending_changes: pending_changes.into(),
    }
    .to_value()
}

/// A state, or a plan at apply time; one that does not decode is a provider bug, reported as such.
fn decode(value: &Value, diags: &mut Diagnostics) -> Option<RefreshState> {
    let decoded = RefreshState::from_value(value);
    if decoded.is_err() {
        diags.error(
            "Invalid ovhiplb_refresh state",
            "service_name and zone must be known strings here; this is a bug in the provider.",
        );
    }
    decoded.ok()
}

#[cfg(test)]
mod tests;
