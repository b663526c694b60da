//! Tests of the `ovhiplb_refresh` resource: its schema and its plans.

use std::collections::BTreeMap;
use std::sync::Arc;

use tfplugin5_runtime::framework::{Configurable, ManagedResource};
use tokio_util::sync::CancellationToken;

use super::*;
use crate::resources::deploy::tests::against_the_simulator::{LB, data, sim};
use std::time::Duration;

#[test]
fn schema_is_valid_and_has_timeouts() {
    let managed = ManagedResource::new(Arc::new(Refresh) as Arc<dyn Resource<ProviderData>>);
    assert_eq!(managed.schema().block.problems(), Vec::<String>::new());
    assert!(managed.schema().block.nested_block("timeouts").is_some());
}

fn prior(pending: i64, trigger: &str) -> Value {
    refresh_state(
        &DeployTarget {
            service_name: "lb".into(),
            zone: None,
        },
        Some(BTreeMap::from([("t".to_owned(), Some(trigger.to_owned()))])),
        Some(pending),
    )
}

async fn plan_from(prior: Value, trigger: &str) -> Value {
    let planned = prior
        .clone()
        .with_attr("triggers", Value::map([("t", Value::from(trigger))]));
    let mut change = PlanChange {
        prior,
        config: planned.clone(),
        planned,
        requires_replace: Vec::new(),
    };
    let ctx = Ctx::new(None, Default::default());
    Refresh
        .modify_plan(&ctx, &mut change, &mut Diagnostics::new())
        .await;
    change.planned
}

#[tokio::test]
async fn plan_deploys_pending_changes_and_trigger_changes() {
    // Nothing pending, same triggers: no change.
    let quiet = plan_from(prior(0, "a"), "a").await;
    assert_eq!(quiet, prior(0, "a"));
    // Pending changes made elsewhere: an update promising none left.
    let pending = plan_from(prior(3, "a"), "a").await;
    assert_eq!(pending.get("pending_changes").as_i64(), Some(0));
    // New triggers: an update; what is left is known only after the apply.
    let triggered = plan_from(prior(0, "a"), "b").await;
    assert!(triggered.get("pending_changes").is_unknown());
    assert_eq!(triggered.get("id").as_str(), Some("lb"));
}

#[tokio::test]
async fn an_unknown_zone_is_refused_at_plan_time() {
    let sim = sim(Duration::from_millis(50)).await;
    let data = data(&sim);
    let ctx = Ctx::new(Some(&data), CancellationToken::new());
    let plan = |zone: &str| {
        let config = refresh_state(
            &DeployTarget {
                service_name: LB.into(),
                zone: Some(zone.into()),
            },
            None,
            None,
        );
        PlanChange {
            prior: Value::Null,
            planned: config.clone(),
            config,
            requires_replace: Vec::new(),
        }
    };
    let mut diags = Diagnostics::new();
    Refresh
        .modify_plan(&ctx, &mut plan("GRA"), &mut diags)
        .await;
    Refresh
        .modify_plan(&ctx, &mut plan("all"), &mut diags)
        .await;
    assert!(diags.is_empty(), "{diags:?}");
    Refresh
        .modify_plan(&ctx, &mut plan("sbg"), &mut diags)
        .await;
    let error = diags.iter().next().expect("an error");
    assert_eq!(
        error.path.as_ref().map(ToString::to_string).as_deref(),
        Some("zone")
    );
    // One zone call for the three plans: the cache is shared.
    let zone_calls = sim
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/zone"))
        .count();
    assert_eq!(zone_calls, 1);
}
