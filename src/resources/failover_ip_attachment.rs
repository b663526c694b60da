//! `ovhiplb_failover_ip_attachment`: routes a failover IP (or block) to an IP Load Balancer.
//!
//! Create moves the IP (`POST /ip/{ip}/move`) and waits for the IP task, unless the IP is already routed to that
//! LB, which is adopted as is. Read looks the IP up in `GET /ipLoadbalancing/{sn}/failover`; an IP gone from that
//! list was moved or parked outside Terraform and is dropped from state. Delete parks the IP (`POST
//! /ip/{ip}/park`), only while it is still routed to this LB. The id is `service_name/ip` with the IP in CIDR form.
//!
//! Move and park are not retried by the client (they are not idempotent). When their answer is lost (dropped
//! connection, 5xx) or refused because another task of the IP is running (a move left running by an earlier,
//! timed-out apply), [`recover`] looks at the IP's unfinished tasks and at the LB's failover list so that a move
//! that did happen is followed or adopted instead of being attempted twice: the single path of
//! [`crate::resources::recovery`], which also bounds the task waits.

use std::time::Duration;

use async_trait::async_trait;
use ovh_client::Client;

use super::common::{
    CallError, IpBlock, call, check_service_name, format_id, invalid_import_id, ip_block_validator,
    ip_semantic_eq, normalize_ip, parse_id, same_ip,
};
use super::recovery::{self, Conflict, Found, PostFailure};
use crate::resources::ProviderData;
use tfplugin5_runtime::diag::{Diagnostic, Diagnostics};
use tfplugin5_runtime::framework::model::{Model, attr_name, model};
use tfplugin5_runtime::framework::timeouts::Operation;
use tfplugin5_runtime::framework::{Ctx, Identity, PlanChange, Resource, TimeoutDefaults};
use tfplugin5_runtime::schema::Schema;
use tfplugin5_runtime::value::Value;

mod list;

pub use list::AttachmentList;

const TYPE_NAME: &str = "ovhiplb_failover_ip_attachment";
const ID_FORM: &str = "service_name/ip";
/// The function of the IP tasks that moves and parks create (facts: parks carry it too).
const MOVE_FUNCTION: &str = "genericMoveFloatingIp";
/// The statuses of an IP task that has not ended yet.
const UNFINISHED_STATUSES: [&str; 3] = ["init", "todo", "doing"];
/// OVH says a move usually takes about a minute; ten leaves room for a busy platform.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(600);
/// OVH refuses a move or park with 409 while another task of the IP runs: the lookup finds it and follows it.
const CONFLICT: Conflict = Conflict::Busy;

/// The `ovhiplb_failover_ip_attachment` resource type.
#[derive(Clone, Copy, Debug, Default)]
pub struct FailoverIpAttachment;

model! {
    /// The state of an attachment.
    pub(crate) struct AttachmentState {
        id: String => |a| a.computed().use_state_for_unknown().markdown(
            "`service_name/ip` with the IP in CIDR form, e.g. `loadbalancer-0123abcd/203.0.113.7/32`.",
        ),
        service_name: String => |a| super::common::lb_argument(
            a.requires_replace(),
            " Changing it moves the IP (replacement).",
        ),
        ip: String => |a| a
            .required()
            .requires_replace()
            .validate(ip_block_validator())
            .semantic_eq(ip_semantic_eq)
            .markdown(
                "The failover IP or block to route, e.g. `203.0.113.7` or `203.0.113.7/32` (the same \
                 value). Changing it replaces the attachment.",
            ),
    }
}

model! {
    /// The IP and the LB of one attachment: what identifies it, and all its operations need.
    pub(crate) struct IpRoute {
        service_name: String,
        /// As configured or listed; compare with [`same_ip`], send [`IpRoute::api_ip`].
        ip: String,
    }
}

#[async_trait]
impl Resource<ProviderData> for FailoverIpAttachment {
    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn schema(&self) -> Schema {
        Schema::new(AttachmentState::block().markdown(
            "Routes a failover IP (or IP block) to an IP Load Balancer. Creating it moves the IP to the load \
             balancer and waits for OVH's task; an IP already routed there is adopted without a move. \
             Destroying it parks the IP (routes it to nothing) if it is still routed to this load balancer.",
        ))
    }

    fn timeouts(&self) -> Option<TimeoutDefaults> {
        Some(TimeoutDefaults::only(
            &[Operation::Create, Operation::Delete],
            DEFAULT_TIMEOUT,
        ))
    }

    fn identity(&self) -> Option<Identity> {
        Some(
            super::common::lb_identity(attr_name!(IpRoute, service_name)).attr(
                attr_name!(IpRoute, ip),
                "The failover IP or block, e.g. `203.0.113.7/32` (a bare IP means its `/32`).",
            ),
        )
    }

    async fn modify_plan(
        &self,
        _ctx: &Ctx<Option<&ProviderData>>,
        plan: &mut PlanChange,
        _diags: &mut Diagnostics,
    ) {
        // The id follows from the configuration: show it in the plan rather than "known after apply" (when the
        // configuration is known: the target decodes only then).
        if plan.is_create()
            && let Ok(target) = IpRoute::from_value(&plan.planned)
        {
            plan.planned
                .set_attr(attr_name!(AttachmentState, id), Value::from(target.id()));
        }
    }

    async fn create(
        &self,
        ctx: &Ctx<&ProviderData>,
        planned: &Value,
        _config: &Value,
        diags: &mut Diagnostics,
    ) -> Option<Value> {
        let target = IpRoute::from_state(planned, diags)?;
        match attach(ctx, &ctx.data.client, &target).await {
            Ok(()) => Some(target.state()),
            Err(diagnostic) => {
                // Nothing is put in state on failure: a move still running remotely is followed by the next
                // apply (see `recover`), and an IP that got routed is adopted then.
                diags.push(diagnostic);
                None
            }
        }
    }

    async fn read(
        &self,
        ctx: &Ctx<&ProviderData>,
        state: &Value,
        diags: &mut Diagnostics,
    ) -> Option<Value> {
        let target = IpRoute::from_state(state, diags)?;
        match call(ctx, ctx.data.client.list_failover_ips(&target.service_name)).await {
            Ok(listed) => {
                // The API's form wins; the framework keeps the prior form when it is the same IP.
                let found = listed.into_iter().find(|ip| same_ip(ip, &target.ip))?;
                Some(
                    IpRoute {
                        ip: found,
                        ..target
                    }
                    .state(),
                )
            }
            // The load balancer itself is gone: so is the attachment.
            Err(e) if e.is_not_found() => None,
            Err(e) => {
                e.report(
                    diags,
                    format!("Cannot read the failover IPs of {}", target.service_name),
                );
                None
            }
        }
    }

    async fn update(
        &self,
        _ctx: &Ctx<&ProviderData>,
        _prior: &Value,
        planned: &Value,
        _config: &Value,
        _diags: &mut Diagnostics,
    ) -> Option<Value> {
        // Both arguments force replacement, so only the timeouts block can change in place; nothing to call.
        Some(planned.clone())
    }

    async fn delete(&self, ctx: &Ctx<&ProviderData>, prior: &Value, diags: &mut Diagnostics) {
        let Some(target) = IpRoute::from_state(prior, diags) else {
            return;
        };
        if let Err(diagnostic) = detach(ctx, &ctx.data.client, &target).await {
            diags.push(diagnostic);
        }
    }

    async fn import(
        &self,
        _ctx: &Ctx<&ProviderData>,
        id: &str,
        diags: &mut Diagnostics,
    ) -> Option<Value> {
        match parse_import_id(id) {
            Ok(target) => Some(target.state()),
            Err(reason) => {
                invalid_import_id(diags, TYPE_NAME, reason);
                None
            }
        }
    }
}

/// `service_name/ip` with the IP in CIDR form, whatever form it was given in.
fn attachment_id(service_name: &str, ip: &str) -> String {
    format_id(service_name, normalize_ip(ip))
}

/// Checks an import id and turns it into the state to read.
fn parse_import_id(id: &str) -> Result<IpRoute, String> {
    let (service_name, ip) = parse_id(id, ID_FORM)?;
    check_service_name(service_name).map_err(|reason| format!("In import id {id:?}: {reason}."))?;
    IpBlock::parse(ip)
        .map_err(|reason| format!("In import id {id:?}: {reason}; expected the form {ID_FORM}."))?;
    Ok(IpRoute {
        service_name: service_name.to_owned(),
        ip: ip.to_owned(),
    })
}

impl IpRoute {
    /// Reads the arguments of a plan or state; a missing one is a provider bug, reported as such.
    fn from_state(value: &Value, diags: &mut Diagnostics) -> Option<Self> {
        match Self::from_value(value) {
            Ok(target) => Some(target),
            Err(_) => {
                diags.error(
                    format!("Incomplete {TYPE_NAME}"),
                    "service_name and ip must both be known; this is a bug in the provider.",
                );
                None
            }
        }
    }

    /// The IP as sent to the API: CIDR form, as OVH lists it.
    fn api_ip(&self) -> String {
        normalize_ip(&self.ip)
    }

    /// `service_name/ip`, see [`attachment_id`].
    fn id(&self) -> String {
        attachment_id(&self.service_name, &self.ip)
    }

    fn state(&self) -> Value {
        AttachmentState {
            id: self.id(),
            service_name: self.service_name.clone(),
            ip: self.ip.clone(),
        }
        .to_value()
    }
}

/// What an IP task is meant to do to the routing of the IP to the target LB.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Goal {
    /// Move the IP to the LB.
    Attach,
    /// Park the IP (route it to nothing).
    Detach,
}

impl Goal {
    /// The summary of a diagnostic about this goal failing.
    fn failure(self, target: &IpRoute) -> String {
        match self {
            Self::Attach => format!(
                "Cannot attach {} to {}",
                target.api_ip(),
                target.service_name
            ),
            Self::Detach => format!(
                "Cannot detach {} from {}",
                target.api_ip(),
                target.service_name
            ),
        }
    }

    /// Whether `attached` (the IP is in the LB's failover list) is the state this goal aims at.
    fn reached(self, attached: bool) -> bool {
        attached == (self == Self::Attach)
    }

    /// Whether an IP task going to `destination` (a service name, or none for a park) serves this goal.
    fn served_by(self, target: &IpRoute, destination: Option<&str>) -> bool {
        match self {
            Self::Attach => destination == Some(target.service_name.as_str()),
            Self::Detach => destination.is_none_or(str::is_empty),
        }
    }
}

/// Whether the IP is in the LB's failover list.
async fn is_attached<T>(
    ctx: &Ctx<T>,
    client: &Client,
    target: &IpRoute,
) -> Result<bool, CallError> {
    let listed = call(ctx, client.list_failover_ips(&target.service_name)).await?;
    Ok(listed.iter().any(|ip| same_ip(ip, &target.ip)))
}

/// Routes the IP to the LB: adopts it if it is already there, else moves it and waits for the move's task. A task
/// done is OVH's word that the IP is routed: it is not read back (one round trip less before the frontends that
/// use the IP); a move made elsewhere afterwards is drift, which the next Read finds like any other.
async fn attach<T>(ctx: &Ctx<T>, client: &Client, target: &IpRoute) -> Result<(), Diagnostic> {
    let goal = Goal::Attach;
    if is_attached(ctx, client, target)
        .await
        .map_err(|e| e.to_diagnostic(goal.failure(target)))?
    {
        tracing::debug!(ip = %target.api_ip(), service_name = %target.service_name, "failover IP already routed; adopting it");
        return Ok(());
    }
    run_ip_task(ctx, client, target, goal).await
}

/// Parks the IP if it is still routed to the LB; an IP routed elsewhere or an LB gone is left alone.
async fn detach<T>(ctx: &Ctx<T>, client: &Client, target: &IpRoute) -> Result<(), Diagnostic> {
    let goal = Goal::Detach;
    match is_attached(ctx, client, target).await {
        Ok(true) => run_ip_task(ctx, client, target, goal).await,
        Ok(false) => Ok(()),
        Err(e) if e.is_not_found() => Ok(()),
        Err(e) => Err(e.to_diagnostic(goal.failure(target))),
    }
}

/// Starts the move or park of the IP and waits for its task to end.
async fn run_ip_task<T>(
    ctx: &Ctx<T>,
    client: &Client,
    target: &IpRoute,
    goal: Goal,
) -> Result<(), Diagnostic> {
    let ip = target.api_ip();
    // The task to wait for; none when the IP turned out to be where the goal wants it already.
    let send = || async {
        let task = match goal {
            Goal::Attach => call(ctx, client.move_ip(&ip, &target.service_name, None)).await?,
            Goal::Detach => call(ctx, client.park_ip(&ip)).await?,
        };
        Ok::<_, CallError>(Some(task.task_id))
    };
    let look = || async {
        Ok::<_, CallError>(match recover(ctx, client, target, goal).await? {
            Recovered::Pending(task_id) => Found::Adopt(Some(task_id)),
            Recovered::Reached => Found::Adopt(None),
            // Provably not done (no task, IP not there): sending it again cannot do it twice.
            Recovered::Nothing => Found::Nothing,
        })
    };
    let task_id = match recovery::post(ctx, "IP move or park", CONFLICT, send, look).await {
        Ok(Some(task_id)) => task_id,
        Ok(None) => return Ok(()),
        Err(PostFailure::Post(e)) => return Err(e.to_diagnostic(goal.failure(target))),
        Err(PostFailure::Unaccounted(e)) => {
            return Err(Diagnostic::error(
                goal.failure(target),
                format!(
                    "{e}. OVH accepted the request, but no task of the IP serves it and the IP is not where it \
                     should be: run terraform plan to see where it is before applying again."
                ),
            ));
        }
        Err(PostFailure::Lookup { post: e, lookup }) => {
            return Err(Diagnostic::error(
                goal.failure(target),
                format!(
                    "{e}. Checking whether the request took effect failed too ({lookup}); the IP may \
                     be moving: run terraform plan to see where it is before applying again."
                ),
            ));
        }
    };
    wait_ip_task(ctx, client, target, goal, task_id).await
}

/// What [`recover`] found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Recovered {
    /// An unfinished task of the IP serves the goal: wait for it.
    Pending(i64),
    /// The IP is already where the goal wants it.
    Reached,
    /// Neither: the request did not take effect.
    Nothing,
}

/// Looks for evidence that a move or park whose answer was lost did happen: an unfinished task of the IP towards
/// the goal, else the LB's failover list. A handful of reads, only on this rare path.
async fn recover<T>(
    ctx: &Ctx<T>,
    client: &Client,
    target: &IpRoute,
    goal: Goal,
) -> Result<Recovered, CallError> {
    let ip = target.api_ip();
    for status in UNFINISHED_STATUSES {
        for task_id in call(
            ctx,
            client.list_ip_tasks(&ip, Some(MOVE_FUNCTION), Some(status)),
        )
        .await?
        {
            let task = call(ctx, client.get_ip_task(&ip, task_id)).await?;
            let destination = task
                .destination
                .as_ref()
                .and_then(|d| d.service_name.as_deref());
            if goal.served_by(target, destination) {
                return Ok(Recovered::Pending(task_id));
            }
        }
    }
    // No task running: either it already ended (the routing shows it) or the request never took effect.
    let attached = is_attached(ctx, client, target).await?;
    Ok(if goal.reached(attached) {
        Recovered::Reached
    } else {
        Recovered::Nothing
    })
}

/// Waits for an IP task by the one task-wait policy ([`recovery::wait_task`]): a failed task is an error at once
/// with its status and comment; the wait ends at the operation's deadline (its `timeouts` setting) or when
/// Terraform stops.
async fn wait_ip_task<T>(
    ctx: &Ctx<T>,
    client: &Client,
    target: &IpRoute,
    goal: Goal,
    task_id: i64,
) -> Result<(), Diagnostic> {
    let ip = target.api_ip();
    let waited = recovery::wait_task(ctx, |deadline, cancel| {
        let ip = &ip;
        async move { client.wait_ip_task(ip, task_id, deadline, &cancel).await }
    })
    .await;
    match waited {
        Ok(_) => Ok(()),
        Err(e @ CallError::Interrupted(_)) => Err(Diagnostic::error(
            goal.failure(target),
            format!(
                "Waiting for IP task {task_id} of {ip} stopped: {e}. The task goes on at OVH; the next run follows \
                 it instead of sending another move or park."
            ),
        )),
        Err(e) => Err(e.to_diagnostic(goal.failure(target))),
    }
}

#[cfg(test)]
mod tests {
    use ovh_api_sim::{Fixture, SimConfig, Simulator};
    use serde_json::json;
    use tokio_util::sync::CancellationToken;

    use super::*;
    use crate::resources::common::testing::{api_error, create_ctx, transport_error};
    use tfplugin5_runtime::framework::{Configurable, ManagedResource};

    const LB: &str = "loadbalancer-0123abcd";
    const OTHER_LB: &str = "loadbalancer-feed";
    const FOIP: &str = "203.0.113.7/32";

    fn target(ip: &str) -> IpRoute {
        IpRoute {
            service_name: LB.to_owned(),
            ip: ip.to_owned(),
        }
    }

    #[test]
    fn schema_is_valid_and_forces_replacement() {
        let managed =
            ManagedResource::<ProviderData>::new(std::sync::Arc::new(FailoverIpAttachment));
        assert_eq!(managed.schema().block.problems(), Vec::<String>::new());
        let block = &managed.schema().block;
        for name in ["service_name", "ip"] {
            let attribute = block.attribute(name).unwrap();
            assert!(attribute.required && attribute.requires_replace, "{name}");
        }
        let timeouts = block.nested_block("timeouts").unwrap();
        let names: Vec<_> = timeouts
            .block
            .attributes
            .iter()
            .map(|a| a.name.as_str())
            .collect();
        assert_eq!(names, ["create", "delete"]);
    }

    #[test]
    fn ids_use_the_cidr_form() {
        assert_eq!(
            attachment_id(LB, "203.0.113.7"),
            format!("{LB}/203.0.113.7/32")
        );
        assert_eq!(
            attachment_id(LB, "2001:DB8::/64"),
            format!("{LB}/2001:db8::/64")
        );
        assert_eq!(
            target("203.0.113.7").state().get("id").as_str(),
            Some("loadbalancer-0123abcd/203.0.113.7/32")
        );
    }

    #[test]
    fn import_ids_are_checked() {
        assert_eq!(
            parse_import_id(&format!("{LB}/203.0.113.7/32")),
            Ok(target("203.0.113.7/32"))
        );
        assert_eq!(
            parse_import_id(&format!("{LB}/203.0.113.7")),
            Ok(target("203.0.113.7"))
        );
        let err = parse_import_id(LB).unwrap_err();
        assert!(
            err.contains(ID_FORM) && err.contains("loadbalancer-0123abcd/203.0.113.7/32"),
            "{err}"
        );
        let err = parse_import_id(&format!("{LB}/203.0.113.999")).unwrap_err();
        assert!(
            err.contains("203.0.113.999") && err.contains(ID_FORM),
            "{err}"
        );
        assert!(parse_import_id("lb /203.0.113.7").is_err());
    }

    /// The single rule ([`recovery::outcome`]) as moves and parks apply it: look unless the error is final.
    fn may_have_started_a_task(error: &CallError) -> bool {
        recovery::outcome(error, CONFLICT) != recovery::Outcome::Final
    }

    #[test]
    fn goals_and_lost_answers() {
        let t = target(FOIP);
        assert!(
            Goal::Attach.served_by(&t, Some(LB)) && !Goal::Attach.served_by(&t, Some(OTHER_LB))
        );
        assert!(!Goal::Attach.served_by(&t, None));
        assert!(Goal::Detach.served_by(&t, None) && Goal::Detach.served_by(&t, Some("")));
        assert!(!Goal::Detach.served_by(&t, Some(LB)));
        assert!(Goal::Attach.reached(true) && Goal::Detach.reached(false));

        assert!(
            may_have_started_a_task(&api_error(409)) && may_have_started_a_task(&api_error(503))
        );
        assert!(
            !may_have_started_a_task(&api_error(400)) && !may_have_started_a_task(&api_error(404))
        );
        let dropped = transport_error(ovh_client::Delivery::MaybeSent);
        assert!(may_have_started_a_task(&dropped));
        assert!(!may_have_started_a_task(&CallError::Interrupted(
            tfplugin5_runtime::framework::Interrupted::Cancelled
        )));
    }

    // The flows below run against the simulator in-process, with a real client.

    async fn sim(task_ms: u64) -> Simulator {
        let fixture: Fixture = serde_json::from_value(json!({
            "credentials": [{"application_key": "AK", "application_secret": "AS", "consumer_key": "CK"}],
            "load_balancers": [
                {"service_name": LB, "zones": ["gra"]},
                {"service_name": OTHER_LB, "zones": ["gra"]}
            ],
            "failover_ips": [{"ip": FOIP, "routed_to": null}, {"ip": "198.51.100.0/30", "routed_to": LB}]
        }))
        .unwrap();
        let config = SimConfig {
            fixture,
            task_duration: Duration::from_millis(task_ms),
            ..SimConfig::default()
        };
        Simulator::start(config).await.unwrap()
    }

    fn client(sim: &Simulator) -> Client {
        crate::resources::common::testing::sim_client(sim.base_url())
    }

    fn calls(sim: &Simulator, method: &str, suffix: &str) -> usize {
        sim.requests()
            .iter()
            .filter(|r| r.method == method && r.path.ends_with(suffix))
            .count()
    }

    fn fault(rule: serde_json::Value) -> Vec<ovh_api_sim::FaultRule> {
        vec![serde_json::from_value(rule).unwrap()]
    }

    #[tokio::test]
    async fn attach_moves_then_adopts_and_detach_parks() {
        let ctx = create_ctx(());
        let sim = sim(30).await;
        let client = client(&sim);
        let t = target("203.0.113.7");
        attach(&ctx, &client, &t).await.unwrap();
        // The failover list is read before the move only: a done move task is not read back.
        assert_eq!(calls(&sim, "GET", "/failover"), 1);
        assert!(is_attached(&ctx, &client, &t).await.unwrap());
        assert_eq!(calls(&sim, "POST", "/move"), 1);
        // Already routed: adopted, no second move.
        attach(&ctx, &client, &target(FOIP)).await.unwrap();
        assert_eq!(calls(&sim, "POST", "/move"), 1);
        detach(&ctx, &client, &t).await.unwrap();
        assert!(!is_attached(&ctx, &client, &t).await.unwrap());
        // Already parked: nothing to do.
        detach(&ctx, &client, &t).await.unwrap();
        assert_eq!(calls(&sim, "POST", "/park"), 1);
        // A block routed from the fixture is adopted too.
        attach(&ctx, &client, &target("198.51.100.0/30"))
            .await
            .unwrap();
        assert_eq!(calls(&sim, "POST", "/move"), 1);
    }

    #[tokio::test]
    async fn a_lost_move_or_park_answer_is_followed_not_repeated() {
        let ctx = create_ctx(());
        let sim = sim(200).await;
        let client = client(&sim);
        sim.add_faults(fault(
            json!({"method": "POST", "path": "/ip/*/move", "kind": "drop", "after_handling": true}),
        ))
        .unwrap();
        attach(&ctx, &client, &target(FOIP)).await.unwrap();
        assert!(is_attached(&ctx, &client, &target(FOIP)).await.unwrap());
        assert_eq!(calls(&sim, "POST", "/move"), 1, "{:#?}", sim.requests());
        assert!(
            calls(&sim, "GET", "/task") >= 1,
            "the task list was not consulted"
        );
        sim.add_faults(fault(
            json!({"method": "POST", "path": "/ip/*/park", "kind": "drop", "after_handling": true}),
        ))
        .unwrap();
        detach(&ctx, &client, &target(FOIP)).await.unwrap();
        assert!(!is_attached(&ctx, &client, &target(FOIP)).await.unwrap());
        assert_eq!(calls(&sim, "POST", "/park"), 1, "{:#?}", sim.requests());
    }

    #[tokio::test]
    async fn a_move_or_park_that_did_not_happen_is_sent_again() {
        let ctx = create_ctx(());
        let sim = sim(30).await;
        let client = client(&sim);
        sim.add_faults(fault(json!({"method": "POST", "path": "/ip/*/*", "kind": "status", "status": 503, "times": 1})))
            .unwrap();
        attach(&ctx, &client, &target(FOIP)).await.unwrap();
        assert_eq!(calls(&sim, "POST", "/move"), 2, "{:#?}", sim.requests());
        sim.add_faults(fault(
            json!({"method": "POST", "path": "/ip/*/*", "kind": "drop", "times": 1}),
        ))
        .unwrap();
        detach(&ctx, &client, &target(FOIP)).await.unwrap();
        assert_eq!(calls(&sim, "POST", "/park"), 2, "{:#?}", sim.requests());
        let done_tasks = sim.state()["ip_tasks"].as_array().map_or(0, Vec::len);
        assert_eq!(done_tasks, 2, "one move and one park");
    }

    #[tokio::test]
    async fn a_move_left_running_is_waited_for() {
        let ctx = create_ctx(());
        let sim = sim(300).await;
        let client = client(&sim);
        // A first move whose wait gave up early (as after a timed-out apply)...
        let short = Ctx::new((), CancellationToken::new())
            .with_timeout(Duration::from_millis(50), "timeouts.create");
        let err = attach(&short, &client, &target(FOIP)).await.unwrap_err();
        assert!(err.detail.contains("timeouts.create"), "{err}");
        // ...is followed by the next attempt (the API refuses a second move with 409).
        attach(&ctx, &client, &target(FOIP)).await.unwrap();
        assert!(is_attached(&ctx, &client, &target(FOIP)).await.unwrap());
    }

    #[tokio::test]
    async fn stop_cancels_the_wait() {
        let sim = sim(60_000).await;
        let client = client(&sim);
        let token = CancellationToken::new();
        let stopping =
            Ctx::new((), token.clone()).with_timeout(Duration::from_secs(60), "timeouts.create");
        let cancel_soon = async {
            tokio::time::sleep(Duration::from_millis(100)).await;
            token.cancel();
        };
        let started = std::time::Instant::now();
        let foip = target(FOIP);
        let (outcome, ()) = tokio::join!(attach(&stopping, &client, &foip), cancel_soon);
        let err = outcome.unwrap_err();
        assert!(started.elapsed() < Duration::from_secs(5));
        assert!(
            err.detail.contains("cancelled") && err.detail.contains("goes on at OVH"),
            "{err}"
        );
    }

    #[tokio::test]
    async fn a_failed_task_is_reported_at_once_with_its_comment() {
        let sim = sim(30).await;
        let client = client(&sim);
        sim.add_faults(fault(
            json!({"method": "POST", "path": "/ip/*/move", "kind": "task_status",
            "status": "customerError", "comment": "IP is blocked for spam"}),
        ))
        .unwrap();
        let started = std::time::Instant::now();
        let err = attach(&create_ctx(()), &client, &target(FOIP))
            .await
            .unwrap_err();
        assert!(started.elapsed() < Duration::from_secs(5));
        assert!(
            err.summary.contains(FOIP) && err.summary.contains(LB),
            "{err}"
        );
        assert!(
            err.detail.contains("IP is blocked for spam") && err.detail.contains("customerError"),
            "{err}"
        );
    }

    #[tokio::test]
    async fn detach_leaves_an_ip_routed_elsewhere_alone() {
        let ctx = create_ctx(());
        let sim = sim(30).await;
        let client = client(&sim);
        let other = IpRoute {
            service_name: OTHER_LB.to_owned(),
            ip: FOIP.to_owned(),
        };
        attach(&ctx, &client, &other).await.unwrap();
        detach(&ctx, &client, &target(FOIP)).await.unwrap();
        assert_eq!(calls(&sim, "POST", "/park"), 0);
        assert!(is_attached(&ctx, &client, &other).await.unwrap());
        // An unknown LB (404) has nothing to detach either.
        let gone = IpRoute {
            service_name: "loadbalancer-gone".to_owned(),
            ip: FOIP.to_owned(),
        };
        detach(&ctx, &client, &gone).await.unwrap();
    }
}
