//! The simulated account: load balancers, failover IPs, frontends, farms, routes, tasks and
//! pending changes, built from a fixture, persisted as JSON, and advanced lazily in time (a task
//! is resolved, and its effect applied, by the first request that sees it past its duration).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::addr;
use crate::fixture::{CredentialFixture, Fixture, OAuth2ClientFixture, Protocol};
use crate::schema::Schema;
use crate::secret::Secret;
use crate::time::rfc3339;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct State {
    pub account: String,
    pub credentials: Vec<CredentialFixture>,
    pub oauth2_clients: Vec<OAuth2ClientFixture>,
    pub tokens: Vec<AccessToken>,
    pub load_balancers: BTreeMap<String, LoadBalancer>,
    /// Failover IPs by CIDR form.
    pub ips: BTreeMap<String, FailoverIp>,
    pub frontends: BTreeMap<u64, Object>,
    pub farms: BTreeMap<u64, Object>,
    pub routes: BTreeMap<u64, Object>,
    pub iplb_tasks: BTreeMap<u64, IplbTask>,
    pub ip_tasks: BTreeMap<u64, IpTask>,
    /// Pending change counts: service name → zone → count.
    pub pending_changes: BTreeMap<String, BTreeMap<String, u64>>,
    pub last_ids: LastIds,
    /// Set by every change; the server persists and clears it.
    #[serde(skip)]
    pub dirty: bool,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct LastIds {
    pub frontend: u64,
    pub farm: u64,
    pub route: u64,
    pub iplb_task: u64,
    pub ip_task: u64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct AccessToken {
    pub token: Secret,
    /// The OAuth2 client it was issued to; `None` for fixture tokens.
    pub client_id: Option<String>,
    pub expires_at_ms: Option<u64>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct LoadBalancer {
    pub service_name: String,
    pub zones: Vec<String>,
    pub ipv4: Option<String>,
    pub ipv6: Option<String>,
    pub vrack_name: Option<String>,
    pub display_name: Option<String>,
    pub state: String,
    pub offer: String,
    pub ssl_configuration: Option<String>,
    /// vRack networks (OVH `VrackNetwork` objects) by id.
    pub vrack_networks: BTreeMap<u64, Map<String, Value>>,
}

impl LoadBalancer {
    /// The LB's own spelling of a zone name (compared case-insensitively), if it has it.
    pub fn zone(&self, name: &str) -> Option<&str> {
        self.zones
            .iter()
            .find(|z| z.eq_ignore_ascii_case(name))
            .map(String::as_str)
    }

    /// The zones a frontend/farm `zone` value covers (`all` = every zone).
    pub fn zones_of(&self, zone: &str) -> Vec<String> {
        if zone.eq_ignore_ascii_case("all") {
            self.zones.clone()
        } else {
            vec![self.zone(zone).unwrap_or(zone).to_owned()]
        }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct FailoverIp {
    pub ip: String,
    pub ip_type: String,
    pub routed_to: Option<String>,
    pub description: Option<String>,
    pub country: Option<String>,
}

/// A frontend, farm or route: its owner and protocol, and the OVH object itself.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Object {
    pub service_name: String,
    pub protocol: Protocol,
    pub fields: Map<String, Value>,
}

impl Object {
    pub fn long(&self, field: &str) -> Option<u64> {
        self.fields.get(field).and_then(Value::as_u64)
    }

    pub fn text(&self, field: &str) -> Option<&str> {
        self.fields.get(field).and_then(Value::as_str)
    }
}

/// How a task ends, decided when it is created (faults can make it fail or hang).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum TaskOutcome {
    #[default]
    Normal,
    Fail {
        status: String,
        comment: Option<String>,
    },
    Stuck,
}

/// The final state of a resolved task.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct TaskResult {
    pub status: String,
    pub done_ms: u64,
    pub comment: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct IplbTask {
    pub id: u64,
    pub service_name: String,
    pub action: String,
    pub zones: Vec<String>,
    pub created_ms: u64,
    pub outcome: TaskOutcome,
    pub result: Option<TaskResult>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct IpTask {
    pub id: u64,
    pub ip: String,
    pub function: String,
    /// Move destination; `None` for a park.
    pub destination: Option<String>,
    pub created_ms: u64,
    pub outcome: TaskOutcome,
    pub result: Option<TaskResult>,
}

/// Where an unresolved task is in its life, from its age.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Phase {
    Init,
    Queued,
    Running(u64),
    Due,
}

fn phase(created_ms: u64, now_ms: u64, duration_ms: u64) -> Phase {
    let elapsed = now_ms.saturating_sub(created_ms);
    if elapsed >= duration_ms {
        Phase::Due
    } else if elapsed < duration_ms / 6 {
        Phase::Init
    } else if elapsed < duration_ms / 3 {
        Phase::Queued
    } else {
        Phase::Running(elapsed * 100 / duration_ms.max(1))
    }
}

/// Status of an unresolved task (a stuck task stays `doing` forever).
fn running_status(
    created_ms: u64,
    now_ms: u64,
    duration_ms: u64,
    init_name: &'static str,
) -> (&'static str, u64) {
    match phase(created_ms, now_ms, duration_ms) {
        Phase::Init => (init_name, 0),
        Phase::Queued => ("todo", 0),
        Phase::Running(progress) => ("doing", progress),
        Phase::Due => ("doing", 99),
    }
}

impl IplbTask {
    pub fn status(&self, now_ms: u64, duration_ms: u64) -> String {
        match &self.result {
            Some(result) => result.status.clone(),
            None => running_status(self.created_ms, now_ms, duration_ms, "todo")
                .0
                .to_owned(),
        }
    }

    /// OVH's `ipLoadbalancing.Task.Task`, plus `comment` when the simulator has a failure message
    /// (OVH's model has no such field; see BEHAVIOUR.md).
    pub fn render(&self, now_ms: u64, duration_ms: u64) -> Map<String, Value> {
        let (status, progress, done) = match &self.result {
            Some(r) if r.status == "done" => (r.status.clone(), 100, Some(r.done_ms)),
            Some(r) => (r.status.clone(), 100, Some(r.done_ms)),
            None => {
                let (status, progress) =
                    running_status(self.created_ms, now_ms, duration_ms, "todo");
                (status.to_owned(), progress, None)
            }
        };
        let mut task = json!({
            "id": self.id,
            "action": self.action,
            "status": status,
            "progress": progress,
            "creationDate": rfc3339(self.created_ms),
            "doneDate": done.map(rfc3339),
            "zones": self.zones,
        });
        if let Some(comment) = self.result.as_ref().and_then(|r| r.comment.clone()) {
            task["comment"] = json!(comment);
        }
        into_map(task)
    }
}

impl IpTask {
    pub fn status(&self, now_ms: u64, duration_ms: u64) -> String {
        match &self.result {
            Some(result) => result.status.clone(),
            None => running_status(self.created_ms, now_ms, duration_ms, "init")
                .0
                .to_owned(),
        }
    }

    /// OVH's `ip.IpTask`.
    pub fn render(&self, now_ms: u64, duration_ms: u64) -> Map<String, Value> {
        let last_update = match &self.result {
            Some(r) => r.done_ms,
            None => match phase(self.created_ms, now_ms, duration_ms) {
                Phase::Init | Phase::Queued => self.created_ms,
                _ => self.created_ms + duration_ms / 3,
            },
        };
        into_map(json!({
            "taskId": self.id,
            "function": self.function,
            "status": self.status(now_ms, duration_ms),
            "startDate": rfc3339(self.created_ms),
            "doneDate": self.result.as_ref().map(|r| rfc3339(r.done_ms)),
            "lastUpdate": rfc3339(last_update),
            "comment": self.result.as_ref().and_then(|r| r.comment.clone()),
            "destination": self.destination.as_ref().map(|sn| json!({"serviceName": sn})),
        }))
    }
}

pub fn into_map(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// The schema model of a frontend, farm or route of a protocol.
pub fn model_name(kind: &str, protocol: Protocol) -> &'static str {
    match (kind, protocol) {
        ("frontend", Protocol::Http) => "ipLoadbalancing.frontendHttp.FrontendHttp",
        ("frontend", Protocol::Tcp) => "ipLoadbalancing.frontendTcp.FrontendTcp",
        ("frontend", Protocol::Udp) => "ipLoadbalancing.frontendUdp.FrontendUdp",
        ("farm", Protocol::Http) => "ipLoadbalancing.backendHttp.BackendHttp",
        ("farm", Protocol::Tcp) => "ipLoadbalancing.backendTcp.BackendTcp",
        ("farm", Protocol::Udp) => "ipLoadbalancing.backendUdp.BackendUdp",
        ("route", Protocol::Tcp) => "ipLoadbalancing.RouteTcp.RouteTcp",
        _ => "ipLoadbalancing.RouteHttp.RouteHttp",
    }
}

impl State {
    /// Builds the account a fixture describes, checking that it is consistent.
    pub fn from_fixture(fixture: &Fixture, schema: &Schema) -> Result<State, String> {
        let mut state = State {
            account: if fixture.account.is_empty() {
                "xx1111-ovh".into()
            } else {
                fixture.account.clone()
            },
            credentials: fixture.credentials.clone(),
            oauth2_clients: fixture.oauth2_clients.clone(),
            tokens: fixture
                .access_tokens
                .iter()
                .map(|t| AccessToken {
                    token: t.clone(),
                    client_id: None,
                    expires_at_ms: None,
                })
                .collect(),
            ..State::default()
        };
        for (i, lb) in fixture.load_balancers.iter().enumerate() {
            if lb.service_name.is_empty() || state.load_balancers.contains_key(&lb.service_name) {
                return Err(format!(
                    "load_balancers[{i}]: service_name is empty or repeated"
                ));
            }
            let vrack_networks = lb
                .vrack_networks
                .iter()
                .map(|n| {
                    let object = json!({"vrackNetworkId": n.vrack_network_id, "subnet": n.subnet, "natIp": n.nat_ip,
                        "vlan": n.vlan, "displayName": n.display_name, "farmId": []});
                    (n.vrack_network_id, into_map(object))
                })
                .collect();
            state.load_balancers.insert(
                lb.service_name.clone(),
                LoadBalancer {
                    service_name: lb.service_name.clone(),
                    zones: lb.zones.clone(),
                    ipv4: lb.ipv4.clone(),
                    ipv6: lb.ipv6.clone(),
                    vrack_name: lb.vrack_name.clone(),
                    display_name: lb.display_name.clone(),
                    state: lb.state.clone().unwrap_or_else(|| "ok".into()),
                    offer: lb.offer.clone().unwrap_or_else(|| "iplb-lb1".into()),
                    ssl_configuration: lb.ssl_configuration.clone(),
                    vrack_networks,
                },
            );
        }
        for (i, ip) in fixture.failover_ips.iter().enumerate() {
            let cidr = addr::normalize(&ip.ip)
                .ok_or_else(|| format!("failover_ips[{i}]: {:?} is not an IP or block", ip.ip))?;
            if let Some(sn) = &ip.routed_to {
                state
                    .lb_checked(sn)
                    .map_err(|e| format!("failover_ips[{i}].routed_to: {e}"))?;
            }
            let record = FailoverIp {
                ip: cidr.clone(),
                ip_type: ip.ip_type.clone().unwrap_or_else(|| "failover".into()),
                routed_to: ip.routed_to.clone(),
                description: ip.description.clone(),
                country: ip.country.clone(),
            };
            state.ips.insert(cidr, record);
        }
        for (i, farm) in fixture.farms.iter().enumerate() {
            let mut fields = farm.fields.clone();
            fields.insert("farmId".into(), json!(farm.farm_id));
            fields.insert("zone".into(), json!(farm.zone));
            fields.insert("port".into(), json!(farm.port));
            fields.insert("vrackNetworkId".into(), json!(farm.vrack_network_id));
            let object = state
                .fixture_object(schema, "farm", &farm.service_name, farm.protocol, fields)
                .map_err(|e| format!("farms[{i}]: {e}"))?;
            state.farms.insert(farm.farm_id, object);
            state.last_ids.farm = state.last_ids.farm.max(farm.farm_id);
        }
        for (i, frontend) in fixture.frontends.iter().enumerate() {
            let id = frontend.frontend_id.unwrap_or(state.last_ids.frontend + 1);
            let mut fields = frontend.fields.clone();
            fields.insert("frontendId".into(), json!(id));
            for required in ["port", "zone"] {
                if !fields.get(required).is_some_and(Value::is_string) {
                    return Err(format!("frontends[{i}]: {required} (a string) is required"));
                }
            }
            let object = state
                .fixture_object(
                    schema,
                    "frontend",
                    &frontend.service_name,
                    frontend.protocol,
                    fields,
                )
                .map_err(|e| format!("frontends[{i}]: {e}"))?;
            state.frontends.insert(id, object);
            state.last_ids.frontend = state.last_ids.frontend.max(id);
        }
        for (i, route) in fixture.routes.iter().enumerate() {
            let id = route.route_id.unwrap_or(state.last_ids.route + 1);
            let mut fields = route.fields.clone();
            fields.insert("routeId".into(), json!(id));
            fields.entry("status").or_insert(json!("ok"));
            fields.entry("rules").or_insert(json!([]));
            let object = state
                .fixture_object(schema, "route", &route.service_name, route.protocol, fields)
                .map_err(|e| format!("routes[{i}]: {e}"))?;
            state.routes.insert(id, object);
            state.last_ids.route = state.last_ids.route.max(id);
        }
        Ok(state)
    }

    fn fixture_object(
        &self,
        schema: &Schema,
        kind: &str,
        service_name: &str,
        protocol: Protocol,
        fields: Map<String, Value>,
    ) -> Result<Object, String> {
        self.lb_checked(service_name)?;
        let model = model_name(kind, protocol);
        let known = schema
            .model(model)
            .map(|m| m.properties.keys().cloned().collect::<Vec<_>>())
            .unwrap_or_default();
        if let Some(unknown) = fields.keys().find(|k| !known.contains(k)) {
            return Err(format!("{unknown} is not a field of {model}"));
        }
        Ok(Object {
            service_name: service_name.to_owned(),
            protocol,
            fields: schema.instantiate(model, &fields),
        })
    }

    fn lb_checked(&self, service_name: &str) -> Result<&LoadBalancer, String> {
        self.load_balancers
            .get(service_name)
            .ok_or_else(|| format!("no load balancer named {service_name:?}"))
    }

    /// Counts one pending change in a zone (`all` = every zone of the LB).
    pub fn count_change(&mut self, service_name: &str, zone: &str) {
        let Some(lb) = self.load_balancers.get(service_name) else {
            return;
        };
        let zones = lb.zones_of(zone);
        let counts = self
            .pending_changes
            .entry(service_name.to_owned())
            .or_default();
        for zone in zones {
            *counts.entry(zone).or_default() += 1;
        }
    }

    /// Resolves every task past its duration, oldest first, applying its effect.
    pub fn advance(&mut self, now_ms: u64, duration_ms: u64) {
        let due = |created: u64, outcome: &TaskOutcome, result: &Option<TaskResult>| {
            result.is_none()
                && *outcome != TaskOutcome::Stuck
                && now_ms.saturating_sub(created) >= duration_ms
        };
        let mut order: Vec<(u64, bool, u64)> = Vec::new();
        order.extend(
            self.iplb_tasks
                .values()
                .filter(|t| due(t.created_ms, &t.outcome, &t.result))
                .map(|t| (t.created_ms, true, t.id)),
        );
        order.extend(
            self.ip_tasks
                .values()
                .filter(|t| due(t.created_ms, &t.outcome, &t.result))
                .map(|t| (t.created_ms, false, t.id)),
        );
        order.sort_unstable();
        for (created, is_iplb, id) in order {
            let done_ms = created + duration_ms;
            let result = if is_iplb {
                self.resolve_iplb_task(id, done_ms)
            } else {
                self.resolve_ip_task(id, done_ms)
            };
            if let Some(result) = result {
                if is_iplb {
                    if let Some(task) = self.iplb_tasks.get_mut(&id) {
                        task.result = Some(result);
                    }
                } else if let Some(task) = self.ip_tasks.get_mut(&id) {
                    task.result = Some(result);
                }
                self.dirty = true;
            }
        }
    }

    fn failed(outcome: &TaskOutcome, done_ms: u64) -> Option<TaskResult> {
        match outcome {
            TaskOutcome::Fail { status, comment } => Some(TaskResult {
                status: status.clone(),
                done_ms,
                comment: comment.clone(),
            }),
            _ => None,
        }
    }

    fn resolve_ip_task(&mut self, id: u64, done_ms: u64) -> Option<TaskResult> {
        let task = self.ip_tasks.get(&id)?.clone();
        if let Some(failure) = Self::failed(&task.outcome, done_ms) {
            return Some(failure);
        }
        if let Some(ip) = self.ips.get_mut(&task.ip) {
            ip.routed_to = task.destination.clone();
        }
        Some(TaskResult {
            status: "done".into(),
            done_ms,
            comment: None,
        })
    }

    fn resolve_iplb_task(&mut self, id: u64, done_ms: u64) -> Option<TaskResult> {
        let task = self.iplb_tasks.get(&id)?.clone();
        if let Some(failure) = Self::failed(&task.outcome, done_ms) {
            return Some(failure);
        }
        if task.action == "refreshIplb" {
            if let Some(problem) = self.deploy_problem(&task.service_name) {
                return Some(TaskResult {
                    status: "error".into(),
                    done_ms,
                    comment: Some(problem),
                });
            }
            if let Some(counts) = self.pending_changes.get_mut(&task.service_name) {
                counts.retain(|zone, _| !task.zones.contains(zone));
            }
        }
        Some(TaskResult {
            status: "done".into(),
            done_ms,
            comment: None,
        })
    }

    fn objects_of<'a>(
        map: &'a BTreeMap<u64, Object>,
        service_name: &'a str,
    ) -> impl Iterator<Item = (&'a u64, &'a Object)> {
        map.iter()
            .filter(move |(_, o)| o.service_name == service_name)
    }

    /// The first deploy condition (BEHAVIOUR.md, "Refresh and pending changes") the LB's configuration violates, as a message.
    pub fn deploy_problem(&self, service_name: &str) -> Option<String> {
        let lb = self.load_balancers.get(service_name)?;
        for (id, farm) in Self::objects_of(&self.farms, service_name) {
            let proto = farm.protocol.as_str();
            match (&lb.vrack_name, farm.long("vrackNetworkId")) {
                (Some(vrack), None) => {
                    return Some(format!(
                        "farm {id} ({proto}) is not in the vRack: {service_name} is attached to vRack {vrack}, \
                         so every farm needs a vrackNetworkId"
                    ));
                }
                (Some(_), Some(net)) if !lb.vrack_networks.contains_key(&net) => {
                    return Some(format!(
                        "farm {id} ({proto}) uses vrackNetworkId {net}, which is not a vRack network of {service_name}"
                    ));
                }
                (None, Some(net)) => {
                    return Some(format!(
                        "farm {id} ({proto}) is in vRack network {net} but {service_name} is not attached to a vRack"
                    ));
                }
                _ => {}
            }
        }
        let mut frontends = Self::objects_of(&self.frontends, service_name).peekable();
        if frontends.peek().is_none() {
            return Some(format!(
                "no frontend is defined on {service_name}: at least one is needed to deploy"
            ));
        }
        for (id, frontend) in frontends {
            let routed = Self::objects_of(&self.routes, service_name)
                .any(|(_, r)| r.protocol == frontend.protocol && r.long("frontendId") == Some(*id));
            let redirects = frontend
                .text("redirectLocation")
                .is_some_and(|s| !s.is_empty());
            let has_farm = frontend.long("defaultFarmId").is_some();
            if !(routed || redirects || has_farm) {
                return Some(format!(
                    "frontend {id} ({}) is not valid: it has no route, no redirectLocation and no defaultFarmId",
                    frontend.protocol.as_str()
                ));
            }
        }
        None
    }

    /// Everything, for `/_sim/state`: objects, tasks as OVH renders them (with simulator
    /// comments), pending changes; credentials reduced to their public identifiers.
    pub fn view(&self, now_ms: u64, duration_ms: u64) -> Value {
        let objects = |map: &BTreeMap<u64, Object>| -> Vec<Value> {
            map.values().map(|o| json!({"service_name": o.service_name, "protocol": o.protocol, "object": o.fields})).collect()
        };
        json!({
            "account": self.account,
            "application_keys": self.credentials.iter().map(|c| &c.application_key).collect::<Vec<_>>(),
            "oauth2_client_ids": self.oauth2_clients.iter().map(|c| &c.client_id).collect::<Vec<_>>(),
            "load_balancers": self.load_balancers,
            "failover_ips": self.ips.values().collect::<Vec<_>>(),
            "frontends": objects(&self.frontends),
            "farms": objects(&self.farms),
            "routes": objects(&self.routes),
            "iplb_tasks": self.iplb_tasks.values().map(|t| {
                let mut v = t.render(now_ms, duration_ms);
                v.insert("serviceName".into(), json!(t.service_name));
                v
            }).collect::<Vec<_>>(),
            "ip_tasks": self.ip_tasks.values().map(|t| {
                let mut v = t.render(now_ms, duration_ms);
                v.insert("ip".into(), json!(t.ip));
                v
            }).collect::<Vec<_>>(),
            "pending_changes": self.pending_changes,
        })
    }
}
