//! Frontends, farms and routes of the three protocols: one generic CRUD driven by the schema
//! (objects are built from the operation's response model), plus each kind's consistency rules.
//! Every create/update/delete counts one pending change in the object's zone.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::Ctx;
use crate::addr;
use crate::error::{ApiError, ApiResult};
use crate::fixture::Protocol;
use crate::state::{Object, State, model_name};

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Kind {
    Frontend,
    Farm,
    Route,
}

impl Kind {
    /// The kind's name in [`model_name`].
    fn model_kind(self) -> &'static str {
        match self {
            Kind::Frontend => "frontend",
            Kind::Farm => "farm",
            Kind::Route => "route",
        }
    }

    fn id_field(self) -> &'static str {
        match self {
            Kind::Frontend => "frontendId",
            Kind::Farm => "farmId",
            Kind::Route => "routeId",
        }
    }

    fn map(self, state: &State) -> &BTreeMap<u64, Object> {
        match self {
            Kind::Frontend => &state.frontends,
            Kind::Farm => &state.farms,
            Kind::Route => &state.routes,
        }
    }

    fn map_mut(self, state: &mut State) -> &mut BTreeMap<u64, Object> {
        match self {
            Kind::Frontend => &mut state.frontends,
            Kind::Farm => &mut state.farms,
            Kind::Route => &mut state.routes,
        }
    }

    fn next_id(self, state: &mut State) -> u64 {
        let last = match self {
            Kind::Frontend => &mut state.last_ids.frontend,
            Kind::Farm => &mut state.last_ids.farm,
            Kind::Route => &mut state.last_ids.route,
        };
        *last += 1;
        *last
    }
}

/// The object named by the path (LB, protocol and id must all match), or 404.
fn existing(ctx: &Ctx<'_>, kind: Kind) -> ApiResult<(u64, Object)> {
    ctx.lb()?;
    let id = ctx.id(kind.id_field());
    kind.map(ctx.state)
        .get(&id)
        .filter(|o| o.service_name == ctx.param("serviceName") && o.protocol == ctx.protocol())
        .map(|o| (id, o.clone()))
        .ok_or_else(|| ApiError::object_not_found(kind.id_field(), id))
}

pub fn list(ctx: &mut Ctx<'_>, kind: Kind) -> ApiResult {
    ctx.lb()?;
    let (sn, proto) = (ctx.service_name(), ctx.protocol());
    let ids: Vec<u64> = kind
        .map(ctx.state)
        .iter()
        .filter(|(_, o)| {
            o.service_name == sn && o.protocol == proto && ctx.filters_match(&o.fields)
        })
        .map(|(id, _)| *id)
        .collect();
    Ok(json!(ids))
}

pub fn get(ctx: &mut Ctx<'_>, kind: Kind) -> ApiResult {
    Ok(Value::Object(existing(ctx, kind)?.1.fields))
}

pub fn create(ctx: &mut Ctx<'_>, kind: Kind) -> ApiResult {
    ctx.lb()?;
    let mut input = ctx.body.clone();
    if kind == Kind::Route {
        input.insert("status".into(), json!("ok"));
        input.insert("rules".into(), json!([]));
    }
    let mut object = Object {
        service_name: ctx.service_name(),
        protocol: ctx.protocol(),
        fields: ctx.schema.instantiate(&ctx.op.response_type, &input),
    };
    check(ctx.state, kind, &mut object)?;
    let id = kind.next_id(ctx.state);
    object.fields.insert(kind.id_field().into(), json!(id));
    let zone = change_zone(ctx.state, kind, &object);
    ctx.state.count_change(&object.service_name, &zone);
    let fields = object.fields.clone();
    kind.map_mut(ctx.state).insert(id, object);
    Ok(Value::Object(fields))
}

pub fn update(ctx: &mut Ctx<'_>, kind: Kind) -> ApiResult {
    let (id, mut object) = existing(ctx, kind)?;
    let old_zone = change_zone(ctx.state, kind, &object);
    for (key, value) in &ctx.body {
        object.fields.insert(key.clone(), value.clone());
    }
    // A nested object given by the PUT replaces the stored one whole: completed, its unset
    // properties are null as on create (a probe of `{"type": "http"}` has a null `interval`).
    object.fields = ctx.schema.instantiate(
        model_name(kind.model_kind(), object.protocol),
        &object.fields,
    );
    check(ctx.state, kind, &mut object)?;
    let new_zone = change_zone(ctx.state, kind, &object);
    ctx.state.count_change(&object.service_name, &new_zone);
    if !new_zone.eq_ignore_ascii_case(&old_zone) {
        ctx.state.count_change(&object.service_name, &old_zone);
    }
    kind.map_mut(ctx.state).insert(id, object);
    Ok(Value::Null)
}

pub fn delete(ctx: &mut Ctx<'_>, kind: Kind) -> ApiResult {
    let (id, object) = existing(ctx, kind)?;
    if kind == Kind::Farm
        && let Some((frontend_id, _)) = ctx.state.frontends.iter().find(|(_, f)| {
            f.service_name == object.service_name
                && f.protocol == object.protocol
                && f.long("defaultFarmId") == Some(id)
        })
    {
        return Err(ApiError::bad_request(format!(
            "Farm {id} is the defaultFarmId of frontend {frontend_id}: change that frontend first"
        )));
    }
    let zone = change_zone(ctx.state, kind, &object);
    ctx.state.count_change(&object.service_name, &zone);
    if kind == Kind::Frontend {
        // Routes attached to the frontend go with it.
        ctx.state.routes.retain(|_, r| {
            !(r.service_name == object.service_name
                && r.protocol == object.protocol
                && r.long("frontendId") == Some(id))
        });
    }
    kind.map_mut(ctx.state).remove(&id);
    Ok(Value::Null)
}

/// The zone a change to this object counts in (a route counts in its frontend's zone).
fn change_zone(state: &State, kind: Kind, object: &Object) -> String {
    let zone_of = |o: &Object| o.text("zone").unwrap_or("all").to_owned();
    match kind {
        Kind::Route => object
            .long("frontendId")
            .and_then(|id| state.frontends.get(&id))
            .map_or_else(|| "all".to_owned(), zone_of),
        _ => zone_of(object),
    }
}

fn check(state: &State, kind: Kind, object: &mut Object) -> ApiResult<()> {
    match kind {
        Kind::Frontend => check_frontend(state, object),
        Kind::Farm => check_farm(state, object),
        Kind::Route => check_route(state, object),
    }
}

fn check_zone(state: &State, object: &Object) -> ApiResult<()> {
    let zone = object.text("zone").unwrap_or_default();
    let lb = &state.load_balancers[&object.service_name];
    if zone.eq_ignore_ascii_case("all") || lb.zone(zone).is_some() {
        return Ok(());
    }
    Err(ApiError::invalid_body(
        "zone",
        format!(
            "{zone:?} is not a zone of {} (use one of: {}, all)",
            object.service_name,
            lb.zones.join(", ")
        ),
    ))
}

fn farm_exists(state: &State, object: &Object, farm_id: u64) -> bool {
    state
        .farms
        .get(&farm_id)
        .is_some_and(|f| f.service_name == object.service_name && f.protocol == object.protocol)
}

fn check_frontend(state: &State, object: &mut Object) -> ApiResult<()> {
    let port = object.text("port").unwrap_or_default();
    check_ports(port).map_err(|reason| ApiError::invalid_body("port", reason))?;
    check_zone(state, object)?;
    let sn = object.service_name.clone();
    if let Some(Value::Array(ips)) = object.fields.get_mut("dedicatedIpfo") {
        for (i, ip) in ips.iter_mut().enumerate() {
            let text = ip.as_str().unwrap_or_default();
            let key = addr::normalize(text).filter(|k| {
                state
                    .ips
                    .get(k)
                    .is_some_and(|r| r.routed_to.as_deref() == Some(&sn))
            });
            match key {
                Some(key) => *ip = json!(key),
                None => {
                    return Err(ApiError::invalid_body(
                        &format!("dedicatedIpfo[{i}]"),
                        format!("{text} is not a failover IP routed to {sn}"),
                    ));
                }
            }
        }
    }
    if let Some(farm_id) = object.long("defaultFarmId")
        && !farm_exists(state, object, farm_id)
    {
        return Err(ApiError::invalid_body(
            "defaultFarmId",
            format!(
                "farm {farm_id} does not exist on {sn} for protocol {}",
                object.protocol.as_str()
            ),
        ));
    }
    let non_empty = |field: &str| {
        object
            .fields
            .get(field)
            .and_then(Value::as_array)
            .is_some_and(|a| !a.is_empty())
    };
    if non_empty("allowedSource") && non_empty("deniedSource") {
        return Err(ApiError::bad_request(
            "Invalid body: [allowedSource, deniedSource] You cannot specify allowedSource and deniedSource both at the same time",
        ));
    }
    Ok(())
}

fn check_farm(state: &State, object: &mut Object) -> ApiResult<()> {
    check_zone(state, object)?;
    if let Some(port) = object.fields.get("port").and_then(Value::as_u64)
        && !(1..=49151).contains(&port)
    {
        return Err(ApiError::invalid_body(
            "port",
            format!("{port} is not in the [1;49151] range"),
        ));
    }
    if let Some(network) = object.long("vrackNetworkId")
        && !state.load_balancers[&object.service_name]
            .vrack_networks
            .contains_key(&network)
    {
        return Err(ApiError::invalid_body(
            "vrackNetworkId",
            format!(
                "vRack network {network} does not exist on {}",
                object.service_name
            ),
        ));
    }
    Ok(())
}

fn check_route(state: &State, object: &mut Object) -> ApiResult<()> {
    if let Some(frontend_id) = object.long("frontendId") {
        let exists = state.frontends.get(&frontend_id).is_some_and(|f| {
            f.service_name == object.service_name && f.protocol == object.protocol
        });
        if !exists {
            return Err(ApiError::invalid_body(
                "frontendId",
                format!(
                    "frontend {frontend_id} does not exist on {} for protocol {}",
                    object.service_name,
                    object.protocol.as_str()
                ),
            ));
        }
    }
    if object.protocol == Protocol::Udp {
        return Err(ApiError::bad_request("Routes exist for http and tcp only"));
    }
    Ok(())
}

/// OVH's port syntax: a port, an increasing `a-b` range, or a comma list of those; each 1–49151.
pub fn check_ports(text: &str) -> Result<(), String> {
    let port = |p: &str| -> Result<u32, String> {
        let value: u32 = p
            .parse()
            .map_err(|_| format!("{p:?} is not a port number (in {text:?})"))?;
        if (1..=49151).contains(&value) {
            Ok(value)
        } else {
            Err(format!("port {value} is not in the [1;49151] range"))
        }
    };
    if text.is_empty() {
        return Err("must not be empty".into());
    }
    for item in text.split(',') {
        match item.split_once('-') {
            Some((low, high)) => {
                let (low, high) = (port(low)?, port(high)?);
                if low >= high {
                    return Err(format!("range {item:?} must be increasing"));
                }
            }
            None => {
                port(item)?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::check_ports;

    #[test]
    fn port_syntax() {
        for ok in ["80", "80,443", "1000-2000", "22,1000-2000,49151"] {
            assert!(check_ports(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "0",
            "49152",
            "80,",
            "2000-1000",
            "80-80",
            "a",
            " 80",
            "1-2-3",
        ] {
            assert!(check_ports(bad).is_err(), "{bad}");
        }
    }
}
