//! `ovhiplb_refresh`: the "Apply configuration" step of an IP Load Balancer. Frontend, farm and route changes stay
//! pending in OVH until the configuration is deployed (`POST /ipLoadbalancing/{sn}/refresh`). This resource shows
//! the pending changes as `pending_changes`, so that changes made outside a run appear in `terraform plan` as an
//! update of it, and deploys them on apply: after checking OVH's deploy conditions (naming what violates them),
//! one refresh at a time per LB within the provider process and in the API, waiting for the task. A refresh POST
//! whose answer is lost, or that is refused while another refresh runs, goes through the single path of
//! [`super::recovery`]: the running refreshes are waited for, and a refresh is sent again only when none started.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use ovh_client::{Error, PendingChanges};
use tokio::sync::{Mutex as AsyncMutex, OwnedMutexGuard};

use super::common::{self, CallError};
use super::deploy_check::{self, DeployProblem};
use super::recovery::{self, Conflict, Found, PostFailure};
use crate::resources::ProviderData;
use tfplugin5_runtime::diag::{Diagnostic, Diagnostics};
use tfplugin5_runtime::framework::Interrupted;
use tfplugin5_runtime::framework::model::{MaybeUnknown, Model, attr_name, field, model};
use tfplugin5_runtime::framework::validators;
use tfplugin5_runtime::framework::{Ctx, Identity, PlanChange, Resource, TimeoutDefaults};
use tfplugin5_runtime::schema::Schema;
use tfplugin5_runtime::value::{AttrPath, Value};

/// The task action of a refresh.
const REFRESH_ACTION: &str = "refreshIplb";

/// The task statuses of a refresh still running.
const RUNNING_STATUSES: [&str; 2] = ["todo", "doing"];

/// Default limit of a deploy: OVH refreshes usually take seconds to a couple of minutes.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10 * 60);

/// OVH refuses a refresh with 409 while another one runs: the lookup finds it and it is waited for.
const CONFLICT: Conflict = Conflict::Busy;

/// The zone value that means every zone, as the API takes it.
const ALL_ZONES: &str = "all";

/// One lock per load balancer, shared by the whole provider process: refreshes of one LB never overlap within it.
#[derive(Debug, Default)]
pub struct RefreshLocks {
    locks: Mutex<HashMap<String, Arc<AsyncMutex<()>>>>,
}

impl RefreshLocks {
    /// Waits for, then holds, the lock of `service_name` until the guard is dropped.
    pub async fn lock(&self, service_name: &str) -> OwnedMutexGuard<()> {
        let lock = {
            // A panic while holding this std mutex cannot leave the map inconsistent: recover it.
            let mut locks = self.locks.lock().unwrap_or_else(PoisonError::into_inner);
            Arc::clone(locks.entry(service_name.to_owned()).or_default())
        };
        lock.lock_owned().await
    }
}

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
        service_name: String => |a| a
            .required()
            .requires_replace()
            .validate(common::service_name_validator())
            .markdown("The internal name of the IP Load Balancer, e.g. `loadbalancer-0123abcd`."),
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
    fn target(&self) -> Target {
        Target {
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
Destroying this resource changes nothing in the API. Destroying frontends leaves their deletion pending: the next \
`terraform plan` shows it as an update of this resource (when it still exists), or deploy it another way.";

#[async_trait]
impl Resource<ProviderData> for Refresh {
    fn type_name(&self) -> &'static str {
        "ovhiplb_refresh"
    }

    fn schema(&self) -> Schema {
        Schema::new(RefreshState::block().markdown(DESCRIPTION))
    }

    fn timeouts(&self) -> Option<TimeoutDefaults> {
        Some(TimeoutDefaults {
            create: Some(DEFAULT_TIMEOUT),
            update: Some(DEFAULT_TIMEOUT),
            ..Default::default()
        })
    }

    fn identity(&self) -> Option<Identity> {
        Some(
            Identity::new()
                .attr(
                    attr_name!(Target, service_name),
                    "The load balancer's service name, e.g. `loadbalancer-0123abcd`.",
                )
                .optional_attr(
                    attr_name!(Target, zone),
                    "The zone it deploys, e.g. `gra`; null when it deploys every zone.",
                ),
        )
    }

    async fn modify_plan(
        &self,
        ctx: &Ctx<Option<&ProviderData>>,
        plan: &mut PlanChange,
        diags: &mut Diagnostics,
    ) {
        // Single attributes, and the target only once known: a plan may hold unknowns anywhere.
        let zone = attr_name!(RefreshState, zone);
        let triggers = attr_name!(RefreshState, triggers);
        let pending_changes = attr_name!(RefreshState, pending_changes);
        if let Ok(target) = Target::from_value(&plan.planned) {
            plan.planned
                .set_attr(attr_name!(RefreshState, id), Value::from(target.id()));
            if plan.planned.get(zone) != plan.prior.get(zone) {
                check_zone_exists(ctx, &target, diags).await;
            }
        }
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
        let Ok(target) = Target::from_value(state) else {
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
        Some(target.state(triggers, Some(count)))
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
        match Target::parse_id(id) {
            Ok(target) => Some(target.state(None, None)),
            Err(reason) => {
                let expected = "expected service_name or service_name/zone, e.g. loadbalancer-0123abcd or \
                                loadbalancer-0123abcd/gra";
                common::invalid_import_id(
                    diags,
                    self.type_name(),
                    format!("{id:?}: {reason}; {expected}."),
                );
                None
            }
        }
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
        let remaining = match deploy(ctx, &target).await {
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
        Some(target.state(planned.triggers, Some(pending)))
    }
}

/// Deploys `target` if anything is pending; returns the pending changes left afterwards.
async fn deploy(ctx: &Ctx<&ProviderData>, target: &Target) -> Result<i64, Failure> {
    let data = ctx.data;
    let _lock = ctx
        .run(data.refresh_locks.lock(&target.service_name))
        .await
        .map_err(|why| Failure::Call {
            during: "waiting for another deploy of it by this provider",
            error: CallError::Interrupted(why),
        })?;
    let client = &data.client;
    let sn = target.service_name.as_str();
    let mut conditions_checked = false;
    loop {
        // The running refreshes are listed in the same round trip as the pending changes, although they matter
        // only when something is pending: with 50 ms per call that saves two serial calls per deploy, for two
        // calls more when nothing is pending (rare: a deploy is planned because something is).
        let (changes, running) = tokio::try_join!(
            call(
                ctx,
                "reading its pending changes",
                client.pending_changes(sn)
            ),
            running_refreshes(ctx, sn),
        )?;
        if target.count(&changes) == 0 {
            return Ok(0);
        }
        // A refresh started elsewhere may deploy these very changes: wait for it, then look again.
        if wait_for_refreshes(ctx, target, &running).await? {
            continue;
        }
        if !conditions_checked {
            let snapshot = call(
                ctx,
                "reading its configuration",
                deploy_check::snapshot(client, sn, &data.written_frontends),
            )
            .await?;
            let problems = deploy_check::problems(&snapshot);
            if !problems.is_empty() {
                return Err(Failure::Conditions(problems));
            }
            conditions_checked = true;
        }
        let send = || async {
            let task = common::call(ctx, client.refresh(sn, target.zone.as_deref())).await?;
            Ok::<_, CallError>(Started::Ours(task.id))
        };
        // The lost or refused refresh is among the running ones, or it already deployed everything.
        let look = || async {
            let (changes, running) = tokio::try_join!(
                call(
                    ctx,
                    "reading its pending changes",
                    client.pending_changes(sn)
                ),
                running_refreshes(ctx, sn),
            )?;
            Ok::<_, Failure>(if !running.is_empty() || target.count(&changes) == 0 {
                Found::Adopt(Started::Running(running))
            } else {
                Found::Nothing
            })
        };
        match recovery::post(ctx, "refresh", CONFLICT, send, look).await {
            Ok(Started::Ours(task_id)) => {
                wait_task(ctx, sn, task_id).await?;
                return Ok(target.count(
                    &call(
                        ctx,
                        "reading its pending changes",
                        client.pending_changes(sn),
                    )
                    .await?,
                ));
            }
            // Not ours alone to report on: wait, then look at what is still pending.
            Ok(Started::Running(running)) => {
                wait_for_refreshes(ctx, target, &running).await?;
            }
            Err(PostFailure::Post(error) | PostFailure::Unaccounted(error)) => {
                return Err(Failure::Call {
                    during: "starting the refresh",
                    error,
                });
            }
            Err(PostFailure::Lookup { lookup, .. }) => return Err(lookup),
        }
    }
}

/// What a refresh POST led to.
enum Started {
    /// The refresh task it started.
    Ours(i64),
    /// Its answer was lost or it was refused as conflicting, and these refreshes are running (none: everything
    /// was deployed meanwhile).
    Running(Vec<i64>),
}

/// The refresh tasks of the LB in a running status, one list per status, both at once. A task that moves from
/// `todo` to `doing` between the two lists may be missed; the refresh POST that follows is then refused as
/// conflicting (409), and the conflict path waits for it: no overlap, one call more.
async fn running_refreshes(ctx: &Ctx<&ProviderData>, sn: &str) -> Result<Vec<i64>, Failure> {
    let list = |status: &'static str| {
        let listing = ctx
            .data
            .client
            .list_iplb_tasks(sn, Some(REFRESH_ACTION), Some(status));
        call(ctx, "listing its running refreshes", listing)
    };
    let [todo, doing] = RUNNING_STATUSES;
    let (mut running, doing) = tokio::try_join!(list(todo), list(doing))?;
    running.extend(doing);
    Ok(running)
}

/// Waits for the `running` refresh tasks (not only ours: one at a time per LB). Their failure is not ours to
/// report: what they left pending is deployed by the caller. Returns whether there was any.
async fn wait_for_refreshes(
    ctx: &Ctx<&ProviderData>,
    target: &Target,
    running: &[i64],
) -> Result<bool, Failure> {
    let sn = target.service_name.as_str();
    for task_id in running {
        match wait_task(ctx, sn, *task_id).await {
            Ok(()) => {}
            Err(Failure::Wait {
                error: CallError::Api(error @ Error::TaskFailed { .. }),
                ..
            }) => {
                tracing::warn!(lb = %target.label(), %error, "a refresh started elsewhere failed");
            }
            Err(failure) => return Err(failure),
        }
    }
    Ok(!running.is_empty())
}

/// Waits for refresh task `task_id` by the one task-wait policy ([`recovery::wait_task`]): until it is done, fails,
/// the operation's deadline passes or Terraform stops.
async fn wait_task(
    ctx: &Ctx<&ProviderData>,
    service_name: &str,
    task_id: i64,
) -> Result<(), Failure> {
    let client = &ctx.data.client;
    recovery::wait_task(ctx, |deadline, cancel| async move {
        client
            .wait_iplb_task(service_name, task_id, deadline, &cancel)
            .await
    })
    .await
    .map(drop)
    .map_err(|error| Failure::Wait { task_id, error })
}

/// Runs one API call under the operation's deadline and Stop; `during` says what it was for.
async fn call<T>(
    ctx: &Ctx<&ProviderData>,
    during: &'static str,
    future: impl Future<Output = Result<T, Error>>,
) -> Result<T, Failure> {
    common::call(ctx, future)
        .await
        .map_err(|error| Failure::Call { during, error })
}

/// Plan-time check of a configured zone against the LB's zones, when the provider is configured. The zones come
/// from the provider-wide cache the frontends share; when they cannot be read, apply reports the problem instead.
async fn check_zone_exists(
    ctx: &Ctx<Option<&ProviderData>>,
    target: &Target,
    diags: &mut Diagnostics,
) {
    let (Some(data), Some(zone)) = (ctx.data, target.zone.as_deref()) else {
        return;
    };
    let sn = target.service_name.as_str();
    let fetch = data
        .zones
        .get_or_fetch(sn, || common::call(ctx, data.client.list_zones(sn)));
    match fetch.await {
        Ok(zones) => common::check_zone(zone, &zones, sn, &AttrPath::attr("zone"), diags),
        Err(error) => tracing::debug!(lb = sn, %error, "zones unavailable at plan time"),
    }
}

/// Why a deploy did not happen.
#[derive(Debug)]
enum Failure {
    /// An API call failed, or was interrupted, while doing `during`.
    Call {
        during: &'static str,
        error: CallError,
    },
    /// The configuration breaks OVH's deploy conditions; nothing was sent.
    Conditions(Vec<DeployProblem>),
    /// Waiting for refresh task `task_id` failed, or was interrupted.
    Wait { task_id: i64, error: CallError },
}

impl Failure {
    fn into_diagnostic(self, target: &Target) -> Diagnostic {
        let lb = target.label();
        match self {
            Self::Conditions(problems) => {
                let list: Vec<String> = problems.iter().map(|p| format!("- {p}")).collect();
                let summary = match problems.as_slice() {
                    [only] => format!("Cannot deploy {lb}: {only}"),
                    _ => format!(
                        "Cannot deploy {lb}: {} deploy conditions are not met",
                        problems.len()
                    ),
                };
                Diagnostic::error(
                    summary,
                    format!(
                        "OVH refuses to deploy a configuration that breaks its deploy conditions, so no refresh \
                         was started. Fix these first:\n{}",
                        list.join("\n")
                    ),
                )
            }
            Self::Wait {
                error: CallError::Api(error @ Error::TaskFailed { .. }),
                ..
            } => Diagnostic::error(
                format!("Deploying {lb} failed"),
                format!(
                    "The refresh task failed while waiting for its refresh task: {error}. The changes are still \
                     pending."
                ),
            ),
            Self::Wait {
                task_id,
                error: CallError::Interrupted(why),
            } => Diagnostic::error(
                match why {
                    Interrupted::TimedOut { .. } => format!("Deploying {lb} timed out"),
                    Interrupted::Cancelled => format!("Deploying {lb} cancelled"),
                },
                format!(
                    "Stopped waiting for refresh task {task_id}: {why}. The refresh goes on in OVH; the next run \
                     waits for it before deploying again."
                ),
            ),
            Self::Wait { task_id, error } => error.to_diagnostic(format!(
                "Cannot deploy {lb}: failed while waiting for refresh task {task_id}"
            )),
            Self::Call { during, error } => {
                error.to_diagnostic(format!("Cannot deploy {lb}: failed while {during}"))
            }
        }
    }
}

model! {
    /// What a refresh resource deploys: an LB, and optionally one zone of it. Decoding fails while `service_name`
    /// or `zone` are unknown.
    pub(crate) struct Target {
        service_name: String,
        zone: Option<String>,
    }
}

impl Target {
    fn parse_id(id: &str) -> Result<Self, String> {
        let (service_name, zone) = match id.split_once('/') {
            Some((service_name, zone)) => (service_name, Some(zone)),
            None => (id, None),
        };
        check_id_part(service_name).map_err(|e| format!("the service name {e}"))?;
        if let Some(zone) = zone {
            check_id_part(zone).map_err(|e| format!("the zone {e}"))?;
        }
        Ok(Self {
            service_name: service_name.to_owned(),
            zone: zone.map(str::to_owned),
        })
    }

    fn id(&self) -> String {
        match &self.zone {
            Some(zone) => format!("{}/{zone}", self.service_name),
            None => self.service_name.clone(),
        }
    }

    /// For messages: `loadbalancer-x` or `loadbalancer-x (zone gra)`.
    fn label(&self) -> String {
        match &self.zone {
            Some(zone) => format!("{} (zone {zone})", self.service_name),
            None => self.service_name.clone(),
        }
    }

    /// The pending changes this target covers.
    fn count(&self, changes: &[PendingChanges]) -> i64 {
        changes
            .iter()
            .filter(|c| match self.zone.as_deref() {
                None => true,
                Some(zone) => {
                    zone.eq_ignore_ascii_case(ALL_ZONES) || zone.eq_ignore_ascii_case(&c.zone)
                }
            })
            .map(|c| c.number.max(0))
            .sum()
    }

    fn state(&self, triggers: Triggers, pending_changes: Option<i64>) -> Value {
        RefreshState {
            id: self.id().into(),
            service_name: self.service_name.clone(),
            zone: self.zone.clone(),
            triggers,
            pending_changes: pending_changes.into(),
        }
        .to_value()
    }
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

/// A service name or zone: non-empty, no `/` (it separates them in the id), no white space.
fn check_id_part(text: &str) -> Result<(), String> {
    if text.is_empty() {
        Err("must not be empty".to_owned())
    } else if text.contains('/') {
        Err(format!("{text:?} must not contain '/'"))
    } else if text.chars().any(char::is_whitespace) {
        Err(format!("{text:?} must not contain white space"))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tfplugin5_runtime::framework::ManagedResource;

    fn changes(list: &[(&str, i64)]) -> Vec<PendingChanges> {
        list.iter()
            .map(|(zone, number)| PendingChanges {
                zone: (*zone).to_owned(),
                number: *number,
            })
            .collect()
    }

    #[test]
    fn ids_round_trip_and_bad_ids_are_explained() {
        let lb = Target::parse_id("loadbalancer-1").unwrap();
        assert_eq!(
            (lb.id(), lb.zone.clone()),
            ("loadbalancer-1".to_owned(), None)
        );
        let zoned = Target::parse_id("loadbalancer-1/gra").unwrap();
        assert_eq!(zoned.zone.as_deref(), Some("gra"));
        assert_eq!(zoned.id(), "loadbalancer-1/gra");
        assert_eq!(
            Target::parse_id("").unwrap_err(),
            "the service name must not be empty"
        );
        assert_eq!(
            Target::parse_id("lb/").unwrap_err(),
            "the zone must not be empty"
        );
        assert!(
            Target::parse_id("lb/gra/x")
                .unwrap_err()
                .contains("must not contain '/'")
        );
        assert!(
            Target::parse_id("lb 1")
                .unwrap_err()
                .contains("white space")
        );
    }

    #[test]
    fn pending_changes_are_counted_per_zone() {
        let list = changes(&[("gra", 2), ("rbx", 3)]);
        let all = Target {
            service_name: "lb".into(),
            zone: None,
        };
        assert_eq!(all.count(&list), 5);
        assert_eq!(
            Target {
                zone: Some("all".into()),
                ..all.clone()
            }
            .count(&list),
            5
        );
        assert_eq!(
            Target {
                zone: Some("GRA".into()),
                ..all.clone()
            }
            .count(&list),
            2
        );
        assert_eq!(
            Target {
                zone: Some("sbg".into()),
                ..all.clone()
            }
            .count(&list),
            0
        );
        assert_eq!(all.count(&[]), 0);
    }

    #[test]
    fn schema_is_valid_and_has_timeouts() {
        let managed = ManagedResource::new(Arc::new(Refresh) as Arc<dyn Resource<ProviderData>>);
        assert_eq!(managed.schema().block.problems(), Vec::<String>::new());
        assert!(managed.schema().block.nested_block("timeouts").is_some());
    }

    fn prior(pending: i64, trigger: &str) -> Value {
        Target {
            service_name: "lb".into(),
            zone: None,
        }
        .state(
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
    async fn the_lock_serialises_one_lb_only() {
        let locks = RefreshLocks::default();
        let held = locks.lock("lb-1").await;
        // Another LB is not blocked.
        let other = tokio::time::timeout(Duration::from_millis(50), locks.lock("lb-2")).await;
        assert!(other.is_ok());
        // The same LB waits until the first guard is dropped.
        let same = tokio::time::timeout(Duration::from_millis(50), locks.lock("lb-1")).await;
        assert!(same.is_err());
        drop(held);
        assert!(
            tokio::time::timeout(Duration::from_millis(50), locks.lock("lb-1"))
                .await
                .is_ok()
        );
    }

    /// Deploys against the simulator, in process: what Terraform cannot show deterministically.
    mod against_the_simulator {
        use ovh_api_sim::{Fixture, SimConfig, Simulator};
        use serde_json::json;
        use tokio::time::Instant;
        use tokio_util::sync::CancellationToken;

        use super::*;

        const LB: &str = "loadbalancer-0123abcd";

        /// An LB with one valid frontend and a change pending on it.
        async fn sim(task: Duration) -> Simulator {
            let fixture: Fixture = serde_json::from_value(json!({
                "credentials": [{"application_key": "AK", "application_secret": "AS", "consumer_key": "CK"}],
                "load_balancers": [{"service_name": LB, "zones": ["gra"]}],
                "farms": [{"service_name": LB, "protocol": "tcp", "farm_id": 11, "zone": "gra", "port": 80}],
                "frontends": [{"service_name": LB, "protocol": "tcp", "frontend_id": 100, "port": "80",
                               "zone": "gra", "defaultFarmId": 11}]
            }))
            .unwrap();
            let sim = Simulator::start(SimConfig {
                fixture,
                task_duration: task,
                ..SimConfig::default()
            })
            .await
            .unwrap();
            let client = client(&sim);
            let mut current = client
                .get_frontend(LB, ovh_client::Protocol::Tcp, 100)
                .await
                .unwrap();
            current.display_name = Some("changed".into());
            client
                .update_frontend(LB, ovh_client::Protocol::Tcp, 100, &current)
                .await
                .unwrap();
            sim
        }

        fn client(sim: &Simulator) -> ovh_client::Client {
            crate::resources::common::testing::sim_client(sim.base_url())
        }

        fn data(sim: &Simulator) -> ProviderData {
            ProviderData::new(client(sim))
        }

        fn refreshes(sim: &Simulator) -> Vec<Option<u16>> {
            sim.requests()
                .iter()
                .filter(|r| r.method == "POST" && r.path.ends_with("/refresh"))
                .map(|r| r.status)
                .collect()
        }

        fn target() -> Target {
            Target {
                service_name: LB.into(),
                zone: None,
            }
        }

        #[tokio::test]
        async fn concurrent_deploys_of_one_lb_send_one_refresh() {
            let sim = sim(Duration::from_millis(200)).await;
            let data = data(&sim);
            let ctx = Ctx::new(&data, CancellationToken::new())
                .with_timeout(Duration::from_secs(20), "timeouts.create");
            let target = target();
            let (first, second) = tokio::join!(deploy(&ctx, &target), deploy(&ctx, &target));
            assert_eq!((first.unwrap(), second.unwrap()), (0, 0));
            // The second waited for the first (the lock), then found nothing pending: no conflicting POST.
            assert_eq!(refreshes(&sim), vec![Some(200)]);
        }

        #[tokio::test]
        async fn a_refresh_started_elsewhere_meanwhile_is_waited_for() {
            let sim = sim(Duration::from_millis(600)).await;
            // Slow down the check before the POST, and start a refresh from "another process" meanwhile.
            let slow: ovh_api_sim::FaultRule = serde_json::from_value(
                json!({"method": "GET", "path": "/ipLoadbalancing/*", "kind": "latency", "ms": 400, "times": 1}),
            )
            .unwrap();
            sim.add_faults(vec![slow]).unwrap();
            let data = data(&sim);
            let other = client(&sim);
            let ctx = Ctx::new(&data, CancellationToken::new())
                .with_timeout(Duration::from_secs(20), "timeouts.create");
            let elsewhere = async {
                tokio::time::sleep(Duration::from_millis(150)).await;
                other.refresh(LB, None).await.unwrap()
            };
            let target = target();
            let (deployed, _) = tokio::join!(deploy(&ctx, &target), elsewhere);
            assert_eq!(deployed.unwrap(), 0);
            // Ours was refused while the other ran; it then waited and found everything deployed.
            assert_eq!(refreshes(&sim), vec![Some(200), Some(409)]);
        }

        /// Deploys with `rule` armed; returns the statuses of the refresh POSTs and the refresh tasks created.
        async fn deploy_under(rule: serde_json::Value) -> (Vec<Option<u16>>, usize) {
            let sim = sim(Duration::from_millis(150)).await;
            sim.add_faults(vec![serde_json::from_value(rule).unwrap()])
                .unwrap();
            let data = data(&sim);
            let ctx = Ctx::new(&data, CancellationToken::new())
                .with_timeout(Duration::from_secs(20), "timeouts.create");
            assert_eq!(
                deploy(&ctx, &target()).await.unwrap(),
                0,
                "{:#?}",
                sim.requests()
            );
            let tasks = sim.state()["iplb_tasks"].as_array().map_or(0, Vec::len);
            (refreshes(&sim), tasks)
        }

        #[tokio::test]
        async fn a_lost_refresh_answer_is_followed_not_repeated() {
            let rule = json!({"method": "POST", "path": "/ipLoadbalancing/*/refresh", "kind": "drop",
                              "after_handling": true, "times": 1});
            let (posts, tasks) = deploy_under(rule).await;
            assert_eq!(
                (posts, tasks),
                (vec![Some(200)], 1),
                "one refresh, waited for"
            );
        }

        #[tokio::test]
        async fn a_refresh_that_did_not_start_is_sent_again() {
            for rule in [
                json!({"method": "POST", "path": "/ipLoadbalancing/*/refresh", "kind": "drop", "times": 1}),
                json!({"method": "POST", "path": "/ipLoadbalancing/*/refresh", "kind": "status", "status": 500,
                       "times": 1}),
            ] {
                let (posts, tasks) = deploy_under(rule.clone()).await;
                assert_eq!(posts.len(), 2, "{rule}: {posts:?}");
                assert_eq!(tasks, 1, "{rule}");
            }
        }

        #[tokio::test]
        async fn nothing_pending_means_a_single_round_trip_and_no_refresh() {
            let sim = sim(Duration::from_millis(50)).await;
            let data = data(&sim);
            let ctx = Ctx::new(&data, CancellationToken::new())
                .with_timeout(Duration::from_secs(20), "timeouts.create");
            assert_eq!(deploy(&ctx, &target()).await.unwrap(), 0);
            let before = sim.requests().len();
            assert_eq!(deploy(&ctx, &target()).await.unwrap(), 0);
            let after = sim.requests();
            let mut calls: Vec<String> = after[before..]
                .iter()
                .map(|r| {
                    format!(
                        "{} {}",
                        r.path.rsplit('/').next().unwrap_or_default(),
                        r.query.as_deref().unwrap_or_default()
                    )
                })
                .collect();
            calls.sort();
            // The pending changes and, at the same time, the running refreshes: nothing else.
            assert_eq!(
                calls,
                [
                    "pendingChanges ",
                    "task action=refreshIplb&status=doing",
                    "task action=refreshIplb&status=todo"
                ],
                "{:#?}",
                &after[before..]
            );
        }

        /// The first pending-changes read and the two lists of running refreshes are made at once: with 1 s
        /// added to each of them, a deploy takes a little over 1 s (plus a fast rest: check, POST, two polls
        /// 200 ms apart, last read); any two of them one after the other would take 2 s.
        #[tokio::test]
        async fn the_first_reads_of_a_deploy_share_one_round_trip() {
            let sim = sim(Duration::from_millis(50)).await;
            let slow = |path: &str, times: u32| -> ovh_api_sim::FaultRule {
                serde_json::from_value(
                    json!({"method": "GET", "path": path, "kind": "latency", "ms": 1000, "times": times}),
                )
                .unwrap()
            };
            sim.add_faults(vec![
                slow("/ipLoadbalancing/*/pendingChanges", 1),
                slow("/ipLoadbalancing/*/task", 2),
            ])
            .unwrap();
            let data = data(&sim);
            let ctx = Ctx::new(&data, CancellationToken::new())
                .with_timeout(Duration::from_secs(20), "timeouts.create");
            let started = Instant::now();
            assert_eq!(deploy(&ctx, &target()).await.unwrap(), 0);
            let elapsed = started.elapsed();
            assert!(elapsed < Duration::from_millis(2000), "{elapsed:?}");
        }

        #[tokio::test]
        async fn an_unknown_zone_is_refused_at_plan_time() {
            let sim = sim(Duration::from_millis(50)).await;
            let data = data(&sim);
            let ctx = Ctx::new(Some(&data), CancellationToken::new());
            let plan = |zone: &str| {
                let config = Target {
                    service_name: LB.into(),
                    zone: Some(zone.into()),
                }
                .state(None, None);
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
    }
}
