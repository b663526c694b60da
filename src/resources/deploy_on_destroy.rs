//! `ovhiplb_deploy_on_destroy`: deploys a load balancer's configuration when it is destroyed, so that
//! `terraform destroy` (or removing a configuration's resources) leaves nothing pending.
//!
//! Terraform destroys dependents before what they depend on, and `ovhiplb_refresh` depends on the frontends it
//! deploys: it is destroyed first, too early to deploy their deletion. This resource sits at the other end: the
//! frontends take their `service_name` from it, so they depend on it, so Terraform destroys it after the last of
//! them, and its delete runs the deploy (the bracket pattern of providers with a commit step). Creating it checks
//! the load balancer exists; it has no object of its own at OVH.
//!
//! Where OVH refuses the deploy (no frontend left, a frontend with nowhere to send traffic, a farm outside the
//! vRack, or the refresh task failing), the destroy still succeeds, with a warning naming the load balancer, the
//! rule and what stays live: failing would leave the destroy impossible to finish while the rule cannot hold.

use std::time::Duration;

use async_trait::async_trait;
use tfplugin5_runtime::diag::{Diagnostic, Diagnostics};
use tfplugin5_runtime::framework::model::{MaybeUnknown, Model, attr_name, model};
use tfplugin5_runtime::framework::timeouts::Operation;
use tfplugin5_runtime::framework::validators;
use tfplugin5_runtime::framework::{Ctx, Identity, PlanChange, Resource, TimeoutDefaults};
use tfplugin5_runtime::schema::Schema;
use tfplugin5_runtime::value::{AttrPath, Value};

use super::common::{self, CallError};
use super::deploy::{self, DeployTarget, Failure, check_id_part, log_steps};
use crate::resources::ProviderData;

const TYPE_NAME: &str = "ovhiplb_deploy_on_destroy";

/// A deploy usually takes seconds to a couple of minutes.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10 * 60);

/// The `ovhiplb_deploy_on_destroy` resource type.
#[derive(Clone, Copy, Debug, Default)]
pub struct DeployOnDestroy;

model! {
    /// The state of an `ovhiplb_deploy_on_destroy`.
    pub(crate) struct DeployOnDestroyState {
        id: MaybeUnknown<String> => |a| a
            .computed()
            .use_state_for_unknown()
            .markdown("`service_name`, or `service_name/zone` when `zone` is set."),
        service_name: String => |a| common::lb_argument(
            a.requires_replace(),
            " Give the load balancer's other resources their `service_name` from this attribute, so that \
             Terraform destroys this resource after them.",
        ),
        zone: Option<String> => |a| a
            .optional()
            .requires_replace()
            .validate(validators::string("Invalid zone", check_id_part))
            .markdown(
                "Deploy only this zone (e.g. `gra`) on destroy; unset deploys every zone. The deploy conditions \
                 are checked over the whole load balancer, as OVH does.",
            ),
    }
}

const DESCRIPTION: &str = "Deploys an IP Load Balancer's pending configuration when it is destroyed, so that \
`terraform destroy` leaves nothing pending: the deletions of the frontends the configuration managed are deployed, \
once, after the last of them.\n\n\
Terraform destroys a resource after everything that depends on it: give the load balancer's frontends (and \
`ovhiplb_refresh`) their `service_name` from this resource, and it is destroyed last. Creating it deploys nothing \
(that is `ovhiplb_refresh`'s job) and only checks that the load balancer exists.\n\n\
Where OVH refuses the deploy (no frontend left on the load balancer, a frontend with no route, redirect or \
default farm, a farm outside the load balancer's vRack, or a failed refresh task), the destroy still succeeds, \
with a warning that names the load balancer, the rule and what stays live. Several configurations sharing one \
load balancer each have their own: destroying one deploys its removal, and the others' frontends stay live.";

#[async_trait]
impl Resource<ProviderData> for DeployOnDestroy {
    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn schema(&self) -> Schema {
        Schema::new(DeployOnDestroyState::block().markdown(DESCRIPTION))
    }

    fn timeouts(&self) -> Option<TimeoutDefaults> {
        Some(TimeoutDefaults::only(&[Operation::Delete], DEFAULT_TIMEOUT))
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
        DeployTarget::plan(ctx, plan, attr_name!(DeployOnDestroyState, id), diags).await;
    }

    async fn create(
        &self,
        ctx: &Ctx<&ProviderData>,
        planned: &Value,
        _config: &Value,
        diags: &mut Diagnostics,
    ) -> Option<Value> {
        let target = decode(planned, diags)?;
        let sn = target.service_name.as_str();
        match common::call(ctx, ctx.data.client.get_load_balancer(sn)).await {
            Ok(_) => Some(state(&target)),
            Err(e) => {
                let error = e.lb_diagnostic(sn, &format!("read the load balancer {sn}"));
                diags.push(error.at(AttrPath::attr(attr_name!(
                    DeployOnDestroyState,
                    service_name
                ))));
                None
            }
        }
    }

    async fn read(
        &self,
        _ctx: &Ctx<&ProviderData>,
        state_value: &Value,
        diags: &mut Diagnostics,
    ) -> Option<Value> {
        // Nothing of its own to read at OVH; an import by identity gives only the target.
        decode(state_value, diags).map(|target| state(&target))
    }

    async fn update(
        &self,
        _ctx: &Ctx<&ProviderData>,
        _prior: &Value,
        planned: &Value,
        _config: &Value,
        diags: &mut Diagnostics,
    ) -> Option<Value> {
        // Everything but `timeouts` replaces it.
        decode(planned, diags).map(|target| state(&target))
    }

    async fn delete(&self, ctx: &Ctx<&ProviderData>, prior: &Value, diags: &mut Diagnostics) {
        let Some(target) = decode(prior, diags) else {
            return;
        };
        match deploy::deploy(ctx, &target, &log_steps).await {
            Ok(_) => {}
            Err(failure) => report(ctx.data, &target, failure, diags),
        }
    }

    async fn import(
        &self,
        _ctx: &Ctx<&ProviderData>,
        id: &str,
        diags: &mut Diagnostics,
    ) -> Option<Value> {
        DeployTarget::from_import_id(id, TYPE_NAME, diags).map(|target| state(&target))
    }
}

/// The state of the resource for `target`.
fn state(target: &DeployTarget) -> Value {
    DeployOnDestroyState {
        id: target.id().into(),
        service_name: target.service_name.clone(),
        zone: target.zone.clone(),
    }
    .to_value()
}

/// The target of a state or plan (its other attributes are derived).
fn decode(value: &Value, diags: &mut Diagnostics) -> Option<DeployTarget> {
    let decoded = DeployTarget::from_value(value);
    if decoded.is_err() {
        diags.error(
            format!("Invalid {TYPE_NAME} state"),
            "service_name and zone must be known strings here; this is a bug in the provider.",
        );
    }
    decoded.ok()
}

/// A deploy that did not happen on destroy: a warning when OVH refused it (the destroy is done, what it removed
/// stays live until a deploy), an error when it could not be tried (the resource stays in state, and the next
/// destroy tries again).
fn report(data: &ProviderData, target: &DeployTarget, failure: Failure, diags: &mut Diagnostics) {
    let refused = matches!(
        &failure,
        Failure::Conditions(_)
            | Failure::Wait {
                error: CallError::Api(ovh_client::Error::TaskFailed { .. }),
                ..
            }
    );
    let diagnostic = failure.into_diagnostic(target);
    if !refused {
        diags.push(diagnostic);
        return;
    }
    let removed = data.deletions.of(&target.service_name);
    let live = if removed.is_empty() {
        "The changes pending on it stay undeployed: what they remove stays live.".to_owned()
    } else {
        format!(
            "What this run deleted stays live on it until a deploy: {}.",
            removed.join(", ")
        )
    };
    let summary = diagnostic
        .summary
        .replacen("Cannot deploy", "Not deployed after destroy:", 1)
        .replacen("Deploying", "Not deployed after destroy:", 1);
    diags.push(Diagnostic::warning(
        summary,
        format!(
            "{}\n\n{live} Deploy once the rule holds again (an ovhiplb_refresh of the load balancer, the \
             ovhiplb_deploy action, or the Control Panel).",
            diagnostic.detail
        ),
    ));
}
