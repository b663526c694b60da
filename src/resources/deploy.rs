//! The deploy of an IP Load Balancer's pending configuration ("Apply configuration"), shared by everything that
//! deploys: `ovhiplb_refresh` on create and update, `ovhiplb_deploy_on_destroy` when it is destroyed, and the
//! `ovhiplb_deploy` action. One deploy at a time per load balancer in the provider process ([`RefreshLocks`]) and in
//! the API (running refreshes are waited for); OVH's deploy conditions are checked first
//! ([`super::deploy_check`]), so that a refresh that cannot succeed fails naming what is at fault; the refresh POST
//! goes through the single lost-answer path ([`super::recovery`]) and its task through the one task-wait policy.
//! Whoever watches a deploy (the action's progress) is told each step.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use ovh_client::{Error, IplbTask, PendingChanges};
use tokio::sync::{Mutex as AsyncMutex, OwnedMutexGuard};

use super::common::{self, CallError};
use super::deploy_check::{self, DeployProblem};
use super::recovery::{self, Conflict, Found, PostFailure};
use crate::resources::ProviderData;
use tfplugin5_runtime::diag::Diagnostic;
use tfplugin5_runtime::diag::Diagnostics;
use tfplugin5_runtime::framework::Interrupted;
use tfplugin5_runtime::framework::model::{Model, attr_name, model};
use tfplugin5_runtime::framework::{Ctx, Identity, PlanChange};
use tfplugin5_runtime::value::{AttrPath, Value};

/// The task action of a refresh.
const REFRESH_ACTION: &str = "refreshIplb";

/// The task statuses of a refresh still running.
const RUNNING_STATUSES: [&str; 2] = ["todo", "doing"];

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

/// What this provider process deleted on each load balancer, as a person names it: when a deploy on destroy is
/// refused, the warning says what stays live.
#[derive(Debug, Default)]
pub struct Deletions {
    by_lb: Mutex<HashMap<String, Vec<String>>>,
}

impl Deletions {
    /// Records that `what` was deleted from `service_name` (its deletion is pending until deployed).
    pub(crate) fn record(&self, service_name: &str, what: String) {
        let mut by_lb = self.by_lb.lock().unwrap_or_else(PoisonError::into_inner);
        by_lb.entry(service_name.to_owned()).or_default().push(what);
    }

    /// Whether this process deleted anything from `service_name`.
    pub(crate) fn any(&self, service_name: &str) -> bool {
        let by_lb = self.by_lb.lock().unwrap_or_else(PoisonError::into_inner);
        by_lb
            .get(service_name)
            .is_some_and(|deleted| !deleted.is_empty())
    }

    /// What was deleted from `service_name`, in order.
    pub(crate) fn of(&self, service_name: &str) -> Vec<String> {
        let by_lb = self.by_lb.lock().unwrap_or_else(PoisonError::into_inner);
        by_lb.get(service_name).cloned().unwrap_or_default()
    }
}

/// Who watches a deploy: told each step, as a sentence (the deploy action shows them as progress).
pub(crate) type Watch<'a> = &'a (dyn Fn(String) + Send + Sync);

/// A watcher that only logs.
pub(crate) fn log_steps(step: String) {
    tracing::debug!(%step, "deploy");
}

/// Deploys `target` if anything is pending; returns the pending changes left afterwards.
pub(crate) async fn deploy(
    ctx: &Ctx<&ProviderData>,
    target: &DeployTarget,
    watch: Watch<'_>,
) -> Result<i64, Failure> {
    let data = ctx.data;
    let lb = target.label();
    let _lock = ctx
        .run(data.refresh_locks.lock(&target.service_name))
        .await
        .map_err(|why| Failure::Call {
            during: "waiting for another deploy of it by this provider",
            error: CallError::Interrupted(why),
        })?;
    let client = &data.client;
    let sn = target.service_name.as_str();
    let read_snapshot = || {
        call_while(
            ctx,
            "reading its configuration",
            deploy_check::snapshot(client, sn, &data.written_frontends),
        )
    };
    let mut conditions_checked = false;
    // When this process changed the LB, something is almost surely pending: each look at what is pending, until the
    // conditions are checked, also reads what they need, at once, saving the check's round trips after it.
    // Otherwise (an action run on its own, a destroy that deleted nothing here) the check waits to be needed.
    let changed_here = data.written_frontends.wrote_to(sn) || data.deletions.any(sn);
    loop {
        let ((changes, running), snapshot) = if changed_here && !conditions_checked {
            let (state, snapshot) = tokio::join!(pending_and_running(ctx, sn), read_snapshot());
            (state?, Some(snapshot))
        } else {
            (pending_and_running(ctx, sn).await?, None)
        };
        let pending = target.count(&changes);
        if pending == 0 {
            watch(format!("{lb}: nothing to deploy"));
            return Ok(0);
        }
        // A refresh started elsewhere may deploy these very changes: wait for it, then look again (and read the
        // configuration again, which may have changed meanwhile).
        if !running.is_empty() {
            watch(format!(
                "{lb}: {pending} change(s) pending; waiting for the running refresh task(s) {}",
                join_ids(&running)
            ));
        }
        if wait_for_refreshes(ctx, target, &running, watch).await? {
            continue;
        }
        if !conditions_checked {
            watch(format!(
                "{lb}: {pending} change(s) pending; checking OVH's deploy conditions"
            ));
            let snapshot = match snapshot {
                Some(snapshot) => snapshot?,
                None => read_snapshot().await?,
            };
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
            let (changes, running) = pending_and_running(ctx, sn).await?;
            Ok::<_, Failure>(if !running.is_empty() || target.count(&changes) == 0 {
                Found::Adopt(Started::Running(running))
            } else {
                Found::Nothing
            })
        };
        match recovery::post(ctx, "refresh", CONFLICT, send, look).await {
            Ok(Started::Ours(task_id)) => {
                watch(format!("{lb}: refresh task {task_id} started"));
                wait_task(ctx, sn, task_id, watch).await?;
                return Ok(target.count(
                    &call_while(
                        ctx,
                        "reading its pending changes",
                        client.pending_changes(sn),
                    )
                    .await?,
                ));
            }
            // Not ours alone to report on: wait, then look at what is still pending.
            Ok(Started::Running(running)) => {
                wait_for_refreshes(ctx, target, &running, watch).await?;
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

/// `12, 13`.
fn join_ids(ids: &[i64]) -> String {
    ids.iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// What a refresh POST led to.
enum Started {
    /// The refresh task it started.
    Ours(i64),
    /// Its answer was lost or it was refused as conflicting, and these refreshes are running (none: everything
    /// was deployed meanwhile).
    Running(Vec<i64>),
}

/// The LB's pending changes and its running refreshes, in one round trip. The running refreshes matter only when
/// something is pending: with 50 ms per call that saves two serial calls per deploy, for two calls more when
/// nothing is pending (rare: a deploy is planned because something is).
async fn pending_and_running(
    ctx: &Ctx<&ProviderData>,
    sn: &str,
) -> Result<(Vec<PendingChanges>, Vec<i64>), Failure> {
    let changes = call_while(
        ctx,
        "reading its pending changes",
        ctx.data.client.pending_changes(sn),
    );
    tokio::try_join!(changes, running_refreshes(ctx, sn))
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
        call_while(ctx, "listing its running refreshes", listing)
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
    target: &DeployTarget,
    running: &[i64],
    watch: Watch<'_>,
) -> Result<bool, Failure> {
    let sn = target.service_name.as_str();
    for task_id in running {
        match wait_task(ctx, sn, *task_id, watch).await {
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
    watch: Watch<'_>,
) -> Result<(), Failure> {
    let client = &ctx.data.client;
    // Each poll is shown once its status or progress moved.
    let last = Mutex::new(None::<(String, Option<i64>)>);
    let observe = |task: &IplbTask| {
        let now = (task.status.to_string(), task.progress);
        let mut last = last.lock().unwrap_or_else(PoisonError::into_inner);
        if last.as_ref() != Some(&now) {
            let progress = now.1.map(|p| format!(", {p} %")).unwrap_or_default();
            watch(format!(
                "{service_name}: refresh task {task_id} {}{progress}",
                now.0
            ));
            *last = Some(now);
        }
    };
    recovery::wait_task(ctx, |deadline, cancel| async move {
        client
            .wait_iplb_task_observed(service_name, task_id, deadline, &cancel, &observe)
            .await
    })
    .await
    .map(drop)
    .map_err(|error| Failure::Wait { task_id, error })
}

/// Runs one API call under the operation's deadline and Stop; `during` says what it was for.
async fn call_while<T>(
    ctx: &Ctx<&ProviderData>,
    during: &'static str,
    future: impl Future<Output = Result<T, Error>>,
) -> Result<T, Failure> {
    common::call(ctx, future)
        .await
        .map_err(|error| Failure::Call { during, error })
}

/// Why a deploy did not happen.
#[derive(Debug)]
pub(crate) enum Failure {
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
    pub(crate) fn into_diagnostic(self, target: &DeployTarget) -> Diagnostic {
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
    pub(crate) struct DeployTarget {
        service_name: String,
        zone: Option<String>,
    }
}

impl DeployTarget {
    /// The identity of a resource that deploys a target: its service name, and its zone when it has one.
    pub(crate) fn identity() -> Identity {
        common::lb_identity(attr_name!(DeployTarget, service_name)).optional_attr(
            attr_name!(DeployTarget, zone),
            "The zone it deploys, e.g. `gra`; null when it deploys every zone.",
        )
    }

    /// Plans a resource that deploys: its `id_attr` from the target once known (a plan may hold unknowns
    /// anywhere), and a new zone checked against the load balancer's zones.
    pub(crate) async fn plan(
        ctx: &Ctx<Option<&ProviderData>>,
        plan: &mut PlanChange,
        id_attr: &str,
        diags: &mut Diagnostics,
    ) {
        let zone = attr_name!(DeployTarget, zone);
        if let Ok(target) = DeployTarget::from_value(&plan.planned) {
            plan.planned.set_attr(id_attr, Value::from(target.id()));
            if plan.planned.get(zone) != plan.prior.get(zone) {
                check_zone_exists(ctx, &target, diags).await;
            }
        }
    }

    /// The target of an import id of `type_name`, or an error saying what the id should be.
    pub(crate) fn from_import_id(
        id: &str,
        type_name: &str,
        diags: &mut Diagnostics,
    ) -> Option<Self> {
        match Self::parse_id(id) {
            Ok(target) => Some(target),
            Err(reason) => {
                let expected = "expected service_name or service_name/zone, e.g. loadbalancer-0123abcd or \
                                loadbalancer-0123abcd/gra";
                common::invalid_import_id(
                    diags,
                    type_name,
                    format!("{id:?}: {reason}; {expected}."),
                );
                None
            }
        }
    }

    pub(crate) fn parse_id(id: &str) -> Result<Self, String> {
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

    pub(crate) fn id(&self) -> String {
        match &self.zone {
            Some(zone) => format!("{}/{zone}", self.service_name),
            None => self.service_name.clone(),
        }
    }

    /// For messages: `loadbalancer-x` or `loadbalancer-x (zone gra)`.
    pub(crate) fn label(&self) -> String {
        match &self.zone {
            Some(zone) => format!("{} (zone {zone})", self.service_name),
            None => self.service_name.clone(),
        }
    }

    /// The pending changes this target covers.
    pub(crate) fn count(&self, changes: &[PendingChanges]) -> i64 {
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
}

/// Plan-time check of a configured zone against the LB's zones, when the provider is configured. The zones come
/// from the provider-wide cache the frontends share; when they cannot be read, apply reports the problem instead.
pub(crate) async fn check_zone_exists(
    ctx: &Ctx<Option<&ProviderData>>,
    target: &DeployTarget,
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
/// A service name or zone: non-empty, no `/` (it separates them in the id), no white space.
pub(crate) fn check_id_part(text: &str) -> Result<(), String> {
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
pub(crate) mod tests;
