//! `/ip/*`: failover IPs, their moves and parks, and their tasks.

use serde_json::{Value, json};

use super::Ctx;
use crate::addr::{self, IpBlock};
use crate::error::{ApiError, ApiResult};
use crate::state::{FailoverIp, IpTask};

/// The task function of moves and parks (a park is a move to nowhere; facts §5.4).
const MOVE_FUNCTION: &str = "genericMoveFloatingIp";

fn render(ip: &FailoverIp) -> Value {
    let version = if ip.ip.contains(':') { 6 } else { 4 };
    json!({
        "ip": ip.ip,
        "type": ip.ip_type,
        "routedTo": {"serviceName": ip.routed_to},
        "canBeTerminated": true,
        "country": ip.country,
        "description": ip.description,
        "organisationId": null,
        "version": version,
        "isAdditionalIp": ip.ip_type == "failover",
        "bringYourOwnIp": false,
        "campus": null,
        "regions": null,
        "rir": null,
    })
}

/// The CIDR key of the `{ip}` path parameter, if it is an IP of the account.
fn ip_key(ctx: &Ctx<'_>) -> ApiResult<String> {
    let raw = ctx.param("ip");
    addr::normalize(raw)
        .filter(|key| ctx.state.ips.contains_key(key))
        .ok_or_else(|| ApiError::object_not_found("ip", raw))
}

pub fn list(ctx: &mut Ctx<'_>) -> ApiResult {
    let query = |name: &str| {
        ctx.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let within = match query("ip") {
        Some(text) => Some(IpBlock::parse(text).ok_or_else(|| {
            ApiError::bad_request(format!(
                "Invalid parameter: [ip] {text:?} is not an ipBlock"
            ))
        })?),
        None => None,
    };
    let ips: Vec<&String> = ctx
        .state
        .ips
        .values()
        .filter(|ip| query("type").is_none_or(|t| t == ip.ip_type))
        .filter(|ip| {
            query("routedTo.serviceName").is_none_or(|p| {
                ip.routed_to
                    .as_deref()
                    .is_some_and(|sn| crate::schema::like(sn, p))
            })
        })
        .filter(|ip| {
            query("description").is_none_or(|p| {
                ip.description
                    .as_deref()
                    .is_some_and(|d| crate::schema::like(d, p))
            })
        })
        .filter(|ip| query("version").is_none_or(|v| (v == "6") == ip.ip.contains(':')))
        .filter(|ip| {
            within.is_none_or(|block| {
                IpBlock::parse(&ip.ip)
                    .is_some_and(|mine| mine.contains(&block) || block.contains(&mine))
            })
        })
        .map(|ip| &ip.ip)
        .collect();
    Ok(json!(ips))
}

pub fn get(ctx: &mut Ctx<'_>) -> ApiResult {
    let key = ip_key(ctx)?;
    Ok(render(&ctx.state.ips[&key]))
}

/// `ip.Destinations`: the account's load balancers.
pub fn destinations(ctx: &mut Ctx<'_>) -> ApiResult {
    ip_key(ctx)?;
    let lbs: Vec<Value> = ctx
        .state
        .load_balancers
        .keys()
        .map(|sn| json!({"service": sn, "nexthop": null}))
        .collect();
    Ok(
        json!({"cloudProject": [], "dedicatedCloud": [], "dedicatedServer": [], "hostingReseller": [],
              "ipLoadbalancing": lbs, "vps": []}),
    )
}

fn refuse_if_busy(ctx: &Ctx<'_>, key: &str) -> ApiResult<()> {
    match ctx
        .state
        .ip_tasks
        .values()
        .find(|t| t.ip == key && t.result.is_none())
    {
        Some(task) => Err(ApiError::conflict(format!(
            "A task (taskId {}) is already running on IP {key}",
            task.id
        ))),
        None => Ok(()),
    }
}

fn start_task(ctx: &mut Ctx<'_>, key: String, destination: Option<String>) -> ApiResult {
    ctx.state.last_ids.ip_task += 1;
    let task = IpTask {
        id: ctx.state.last_ids.ip_task,
        ip: key,
        function: MOVE_FUNCTION.into(),
        destination,
        created_ms: ctx.now_ms,
        outcome: std::mem::take(&mut ctx.task_outcome),
        result: None,
    };
    let rendered = task.render(ctx.now_ms, ctx.duration_ms);
    ctx.state.ip_tasks.insert(task.id, task);
    Ok(Value::Object(rendered))
}

pub fn move_ip(ctx: &mut Ctx<'_>) -> ApiResult {
    let key = ip_key(ctx)?;
    let to = ctx
        .body
        .get("to")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    if !ctx.state.load_balancers.contains_key(&to) {
        return Err(ApiError::bad_request(format!(
            "Invalid destination: {to:?} is not a service of your account that can receive IP {key}"
        )));
    }
    if ctx.state.ips[&key].routed_to.as_deref() == Some(to.as_str()) {
        return Err(ApiError::bad_request(format!(
            "IP {key} is already routed to {to}"
        )));
    }
    refuse_if_busy(ctx, &key)?;
    start_task(ctx, key, Some(to))
}

pub fn park(ctx: &mut Ctx<'_>) -> ApiResult {
    let key = ip_key(ctx)?;
    if ctx.state.ips[&key].routed_to.is_none() {
        return Err(ApiError::bad_request(format!(
            "IP {key} is not routed to any service"
        )));
    }
    refuse_if_busy(ctx, &key)?;
    start_task(ctx, key, None)
}

pub fn tasks(ctx: &mut Ctx<'_>) -> ApiResult {
    let key = ip_key(ctx)?;
    let ids: Vec<u64> = ctx
        .state
        .ip_tasks
        .values()
        .filter(|t| t.ip == key)
        .filter(|t| ctx.filters_match(&t.render(ctx.now_ms, ctx.duration_ms)))
        .map(|t| t.id)
        .collect();
    Ok(json!(ids))
}

pub fn task(ctx: &mut Ctx<'_>) -> ApiResult {
    let key = ip_key(ctx)?;
    let id = ctx.id("taskId");
    let task = ctx
        .state
        .ip_tasks
        .get(&id)
        .filter(|t| t.ip == key)
        .ok_or_else(|| ApiError::object_not_found("taskId", id))?;
    Ok(Value::Object(task.render(ctx.now_ms, ctx.duration_ms)))
}
