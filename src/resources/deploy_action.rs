//! The `ovhiplb_deploy` action (Terraform ≥ 1.14): deploys a load balancer's pending configuration on demand, as
//! `terraform apply -invoke=action.ovhiplb_deploy.<name>` (a CI step that deploys what someone changed in the
//! Control Panel, touching nothing else) or from a resource's `lifecycle { action_trigger { … } }`.
//!
//! It is the same deploy as `ovhiplb_refresh`'s ([`super::deploy`]): the deploy conditions first, one deploy at a
//! time per load balancer (with the resources' deploys in the same process, and with refreshes already running in
//! the API), the task waited for; each step is reported as progress, and what fails is an error naming the
//! condition or the task. Terraform < 1.14 and OpenTofu never call it: an `action` block does not parse there,
//! so configurations that must run on them keep it in a file of its own.

use std::time::Duration;

use async_trait::async_trait;
use tfplugin5_runtime::diag::Diagnostics;
use tfplugin5_runtime::framework::model::{Model, model};
use tfplugin5_runtime::framework::validators;
use tfplugin5_runtime::framework::{Action, Ctx, Progress};
use tfplugin5_runtime::schema::Schema;
use tfplugin5_runtime::value::Value;

use super::common;
use super::deploy::{self, DeployTarget, check_id_part};
use crate::resources::ProviderData;

/// How long an invocation may take: deploys usually take seconds to a couple of minutes; Ctrl-C stops it sooner.
const TIME_LIMIT: Duration = Duration::from_secs(10 * 60);

/// The `ovhiplb_deploy` action type.
#[derive(Clone, Copy, Debug, Default)]
pub struct DeployAction;

model! {
    /// The `config` block of an `ovhiplb_deploy` action.
    pub(crate) struct DeployActionConfig {
        service_name: String => |a| common::lb_argument(a, ""),
        zone: Option<String> => |a| a
            .optional()
            .validate(validators::string("Invalid zone", check_id_part))
            .markdown(
                "Deploy only this zone (e.g. `gra`); unset deploys every zone. The deploy conditions are checked \
                 over the whole load balancer, as OVH does.",
            ),
    }
}

#[async_trait]
impl Action<ProviderData> for DeployAction {
    fn type_name(&self) -> &'static str {
        "ovhiplb_deploy"
    }

    fn schema(&self) -> Schema {
        Schema::new(DeployActionConfig::block().markdown(
            "Deploys an IP Load Balancer's pending configuration now (OVH's \"Apply configuration\"), whatever \
             made it pending: this configuration, another one, or the Control Panel. Checks OVH's deploy \
             conditions first, waits for a refresh already running, reports the refresh task's progress, and \
             fails naming the condition or the task that failed. Nothing is called beyond a look when nothing is \
             pending.",
        ))
    }

    async fn invoke(
        &self,
        ctx: &Ctx<&ProviderData>,
        config: &Value,
        progress: &Progress,
        diags: &mut Diagnostics,
    ) {
        let Ok(DeployActionConfig { service_name, zone }) = DeployActionConfig::from_value(config)
        else {
            diags.error(
                "Invalid ovhiplb_deploy configuration",
                "service_name (and zone, when set) must be known strings.",
            );
            return;
        };
        let target = DeployTarget { service_name, zone };
        let ctx = ctx
            .clone()
            .with_timeout(TIME_LIMIT, "the ovhiplb_deploy action's limit (10m)");
        let watch = |step: String| progress.report(step);
        match deploy::deploy(&ctx, &target, &watch).await {
            Ok(0) => progress.report(format!("{}: deployed, nothing pending", target.label())),
            Ok(left) => progress.report(format!(
                "{}: deployed; {left} change(s) were made meanwhile and are pending",
                target.label()
            )),
            Err(failure) => diags.push(failure.into_diagnostic(&target)),
        }
    }
}
