//! `/ipLoadbalancing/{serviceName}` itself and its satellites: failover list, zones, pending
//! changes, refresh (the deploy) and its tasks, vRack networks.

use serde_json::{Value, json};

use super::Ctx;
use crate::error::{ApiError, ApiResult};
use crate::state::{IplbTask, LoadBalancer};

const REFRESH_ACTION: &str = "refreshIplb";

/// `ipLoadbalancing.IpWithIAM`. Nullable properties not set here (`iam.tags`: no IAM tags are
/// simulated) are completed as null from the schema by the dispatcher, like every answer.
fn render(lb: &LoadBalancer) -> Value {
    let address = lb
        .ipv4
        .clone()
        .or_else(|| lb.ipv6.clone())
        .unwrap_or_default();
    // A stable pseudo-UUID derived from the service name, so the IAM id survives restarts.
    let digest = hex::encode(<sha1::Sha1 as sha1::Digest>::digest(
        lb.service_name.as_bytes(),
    ));
    let uuid = format!(
        "{}-{}-{}-{}-{}",
        &digest[0..8],
        &digest[8..12],
        &digest[12..16],
        &digest[16..20],
        &digest[20..32]
    );
    json!({
        "serviceName": lb.service_name,
        "ipLoadbalancing": address,
        "ipv4": lb.ipv4,
        "ipv6": lb.ipv6,
        "zone": lb.zones,
        "offer": lb.offer,
        "state": lb.state,
        "vrackEligibility": true,
        "vrackName": lb.vrack_name,
        "sslConfiguration": lb.ssl_configuration,
        "metricsToken": null,
        "displayName": lb.display_name,
        "orderableZone": [],
        "iam": {"id": uuid, "urn": format!("urn:v1:eu:resource:loadbalancer:{}", lb.service_name),
                "displayName": lb.display_name},
    })
}

pub fn list(ctx: &mut Ctx<'_>) -> ApiResult {
    Ok(json!(ctx.state.load_balancers.keys().collect::<Vec<_>>()))
}

pub fn get(ctx: &mut Ctx<'_>) -> ApiResult {
    Ok(render(ctx.lb()?))
}

pub fn put(ctx: &mut Ctx<'_>) -> ApiResult {
    ctx.lb()?;
    let sn = ctx.service_name();
    let body = ctx.body.clone();
    if let Some(lb) = ctx.state.load_balancers.get_mut(&sn) {
        if let Some(name) = body.get("displayName") {
            lb.display_name = name.as_str().map(str::to_owned);
        }
        if let Some(ssl) = body.get("sslConfiguration") {
            lb.ssl_configuration = ssl.as_str().map(str::to_owned);
        }
    }
    Ok(Value::Null)
}

pub fn failover(ctx: &mut Ctx<'_>) -> ApiResult {
    let sn = ctx.lb()?.service_name.clone();
    let ips: Vec<&String> = ctx
        .state
        .ips
        .values()
        .filter(|ip| ip.routed_to.as_deref() == Some(sn.as_str()))
        .map(|ip| &ip.ip)
        .collect();
    Ok(json!(ips))
}

pub fn zones(ctx: &mut Ctx<'_>) -> ApiResult {
    Ok(json!(ctx.lb()?.zones))
}

pub fn pending_changes(ctx: &mut Ctx<'_>) -> ApiResult {
    ctx.lb()?;
    let changes: Vec<Value> = ctx
        .state
        .pending_changes
        .get(ctx.param("serviceName"))
        .map(|counts| {
            counts
                .iter()
                .filter(|(_, n)| **n > 0)
                .map(|(zone, n)| json!({"number": n, "zone": zone}))
                .collect()
        })
        .unwrap_or_default();
    Ok(json!(changes))
}

/// Starts a deploy; one at a time per load balancer (checked under the state lock).
pub fn refresh(ctx: &mut Ctx<'_>) -> ApiResult {
    let lb = ctx.lb()?;
    let sn = lb.service_name.clone();
    let zones = match ctx.body.get("zone").and_then(Value::as_str) {
        None => lb.zones.clone(),
        Some(all) if all.eq_ignore_ascii_case("all") => lb.zones.clone(),
        Some(zone) => match lb.zone(zone) {
            Some(canonical) => vec![canonical.to_owned()],
            None => {
                return Err(ApiError::invalid_body(
                    "zone",
                    format!(
                        "{zone:?} is not a zone of {sn} (zones: {})",
                        lb.zones.join(", ")
                    ),
                ));
            }
        },
    };
    if let Some(running) = ctx
        .state
        .iplb_tasks
        .values()
        .find(|t| t.service_name == sn && t.action == REFRESH_ACTION && t.result.is_none())
    {
        return Err(ApiError::conflict(format!(
            "A refresh task (id {}) is already running on {sn}: wait for it to end before refreshing again",
            running.id
        )));
    }
    ctx.state.last_ids.iplb_task += 1;
    let task = IplbTask {
        id: ctx.state.last_ids.iplb_task,
        service_name: sn,
        action: REFRESH_ACTION.into(),
        zones,
        created_ms: ctx.now_ms,
        outcome: std::mem::take(&mut ctx.task_outcome),
        result: None,
    };
    let rendered = task.render(ctx.now_ms, ctx.duration_ms);
    ctx.state.iplb_tasks.insert(task.id, task);
    Ok(Value::Object(rendered))
}

pub fn tasks(ctx: &mut Ctx<'_>) -> ApiResult {
    let sn = ctx.lb()?.service_name.clone();
    let ids: Vec<u64> = ctx
        .state
        .iplb_tasks
        .values()
        .filter(|t| t.service_name == sn)
        .filter(|t| ctx.filters_match(&t.render(ctx.now_ms, ctx.duration_ms)))
        .map(|t| t.id)
        .collect();
    Ok(json!(ids))
}

pub fn task(ctx: &mut Ctx<'_>) -> ApiResult {
    let sn = ctx.lb()?.service_name.clone();
    let id = ctx.id("id");
    let task = ctx
        .state
        .iplb_tasks
        .get(&id)
        .filter(|t| t.service_name == sn)
        .ok_or_else(|| ApiError::object_not_found("id", id))?;
    Ok(Value::Object(task.render(ctx.now_ms, ctx.duration_ms)))
}

pub fn vrack_networks(ctx: &mut Ctx<'_>) -> ApiResult {
    let lb = ctx.lb()?;
    let ids: Vec<u64> = lb
        .vrack_networks
        .iter()
        .filter(|(_, network)| ctx.filters_match(network))
        .map(|(id, _)| *id)
        .collect();
    Ok(json!(ids))
}

pub fn vrack_network(ctx: &mut Ctx<'_>) -> ApiResult {
    let id = ctx.id("vrackNetworkId");
    let lb = ctx.lb()?;
    let mut network = lb
        .vrack_networks
        .get(&id)
        .cloned()
        .ok_or_else(|| ApiError::object_not_found("vrackNetworkId", id))?;
    let farms: Vec<Value> = ctx
        .state
        .farms
        .iter()
        .filter(|(_, f)| f.service_name == lb.service_name && f.long("vrackNetworkId") == Some(id))
        .map(|(farm_id, f)| json!({"id": farm_id, "type": f.protocol.as_str()}))
        .collect();
    network.insert("farmId".into(), json!(farms));
    Ok(Value::Object(network))
}
