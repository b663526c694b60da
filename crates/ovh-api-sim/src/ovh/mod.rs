//! The OVH API itself: the route table, and the dispatch of one call (route match, schema
//! operation, authentication, body validation, handler) against the state.

mod auth_routes;
mod ip;
mod iplb;
mod objects;

use serde_json::{Map, Value};

use crate::auth::{self, Identity, SignedRequest};
use crate::error::{ApiError, ApiResult};
use crate::fixture::Protocol;
use crate::schema::{Operation, Schema};
use crate::state::{LoadBalancer, State, TaskOutcome};
use crate::validate::{describe, validate_body};
use objects::Kind;

/// Everything a handler works with.
pub struct Ctx<'a> {
    pub state: &'a mut State,
    pub schema: &'a Schema,
    pub op: &'a Operation,
    pub now_ms: u64,
    pub duration_ms: u64,
    pub server_now_secs: i64,
    pub identity: Identity,
    /// How the next task this call creates ends (faults).
    pub task_outcome: TaskOutcome,
    params: Vec<(String, String)>,
    pub query: Vec<(String, String)>,
    pub body: Map<String, Value>,
}

impl Ctx<'_> {
    /// A path parameter (decoded).
    pub fn param(&self, name: &str) -> &str {
        self.params
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    }

    /// A `long` path parameter (its syntax was checked by the dispatcher).
    pub fn id(&self, name: &str) -> u64 {
        self.param(name).parse().unwrap_or(0)
    }

    pub fn protocol(&self) -> Protocol {
        Protocol::parse(self.param("proto")).unwrap_or_default()
    }

    pub fn service_name(&self) -> String {
        self.param("serviceName").to_owned()
    }

    /// The load balancer named in the path, or OVH's "This service does not exist".
    pub fn lb(&self) -> ApiResult<&LoadBalancer> {
        self.state
            .load_balancers
            .get(self.param("serviceName"))
            .ok_or_else(ApiError::service_not_found)
    }

    /// Whether an object passes this list operation's query filters.
    pub fn filters_match(&self, object: &Map<String, Value>) -> bool {
        self.schema.filters_match(self.op, &self.query, object)
    }
}

type Plain = fn(&mut Ctx<'_>) -> ApiResult;
type OfKind = fn(&mut Ctx<'_>, Kind) -> ApiResult;

#[derive(Clone, Copy)]
enum Handler {
    Plain(Plain),
    Object(OfKind, Kind),
}

struct Route {
    method: &'static str,
    /// Schema template; `{proto}` binds http|tcp|udp, `{rproto}` binds http|tcp.
    template: &'static str,
    handler: Handler,
}

const fn plain(method: &'static str, template: &'static str, handler: Plain) -> Route {
    Route {
        method,
        template,
        handler: Handler::Plain(handler),
    }
}

const fn object(
    method: &'static str,
    template: &'static str,
    handler: OfKind,
    kind: Kind,
) -> Route {
    Route {
        method,
        template,
        handler: Handler::Object(handler, kind),
    }
}

const LB: &str = "/ipLoadbalancing/{serviceName}";

static ROUTES: &[Route] = &[
    plain("GET", "/auth/time", auth_routes::time),
    plain("GET", "/auth/details", auth_routes::details),
    plain(
        "GET",
        "/auth/currentCredential",
        auth_routes::current_credential,
    ),
    plain("GET", "/ip", ip::list),
    plain("GET", "/ip/{ip}", ip::get),
    plain("GET", "/ip/{ip}/move", ip::destinations),
    plain("POST", "/ip/{ip}/move", ip::move_ip),
    plain("POST", "/ip/{ip}/park", ip::park),
    plain("GET", "/ip/{ip}/task", ip::tasks),
    plain("GET", "/ip/{ip}/task/{taskId}", ip::task),
    plain("GET", "/ipLoadbalancing", iplb::list),
    plain("GET", LB, iplb::get),
    plain("PUT", LB, iplb::put),
    plain(
        "GET",
        "/ipLoadbalancing/{serviceName}/failover",
        iplb::failover,
    ),
    plain("GET", "/ipLoadbalancing/{serviceName}/zone", iplb::zones),
    plain(
        "GET",
        "/ipLoadbalancing/{serviceName}/pendingChanges",
        iplb::pending_changes,
    ),
    plain(
        "POST",
        "/ipLoadbalancing/{serviceName}/refresh",
        iplb::refresh,
    ),
    plain("GET", "/ipLoadbalancing/{serviceName}/task", iplb::tasks),
    plain(
        "GET",
        "/ipLoadbalancing/{serviceName}/task/{id}",
        iplb::task,
    ),
    plain(
        "GET",
        "/ipLoadbalancing/{serviceName}/vrack/network",
        iplb::vrack_networks,
    ),
    plain(
        "GET",
        "/ipLoadbalancing/{serviceName}/vrack/network/{vrackNetworkId}",
        iplb::vrack_network,
    ),
    object(
        "GET",
        "/ipLoadbalancing/{serviceName}/{proto}/frontend",
        objects::list,
        Kind::Frontend,
    ),
    object(
        "POST",
        "/ipLoadbalancing/{serviceName}/{proto}/frontend",
        objects::create,
        Kind::Frontend,
    ),
    object(
        "GET",
        "/ipLoadbalancing/{serviceName}/{proto}/frontend/{frontendId}",
        objects::get,
        Kind::Frontend,
    ),
    object(
        "PUT",
        "/ipLoadbalancing/{serviceName}/{proto}/frontend/{frontendId}",
        objects::update,
        Kind::Frontend,
    ),
    object(
        "DELETE",
        "/ipLoadbalancing/{serviceName}/{proto}/frontend/{frontendId}",
        objects::delete,
        Kind::Frontend,
    ),
    object(
        "GET",
        "/ipLoadbalancing/{serviceName}/{proto}/farm",
        objects::list,
        Kind::Farm,
    ),
    object(
        "POST",
        "/ipLoadbalancing/{serviceName}/{proto}/farm",
        objects::create,
        Kind::Farm,
    ),
    object(
        "GET",
        "/ipLoadbalancing/{serviceName}/{proto}/farm/{farmId}",
        objects::get,
        Kind::Farm,
    ),
    object(
        "PUT",
        "/ipLoadbalancing/{serviceName}/{proto}/farm/{farmId}",
        objects::update,
        Kind::Farm,
    ),
    object(
        "DELETE",
        "/ipLoadbalancing/{serviceName}/{proto}/farm/{farmId}",
        objects::delete,
        Kind::Farm,
    ),
    object(
        "GET",
        "/ipLoadbalancing/{serviceName}/{rproto}/route",
        objects::list,
        Kind::Route,
    ),
    object(
        "POST",
        "/ipLoadbalancing/{serviceName}/{rproto}/route",
        objects::create,
        Kind::Route,
    ),
    object(
        "GET",
        "/ipLoadbalancing/{serviceName}/{rproto}/route/{routeId}",
        objects::get,
        Kind::Route,
    ),
    object(
        "PUT",
        "/ipLoadbalancing/{serviceName}/{rproto}/route/{routeId}",
        objects::update,
        Kind::Route,
    ),
    object(
        "DELETE",
        "/ipLoadbalancing/{serviceName}/{rproto}/route/{routeId}",
        objects::delete,
        Kind::Route,
    ),
];

/// Matches decoded path segments against a template; returns the bound parameters.
fn match_template(template: &str, segments: &[String]) -> Option<Vec<(String, String)>> {
    let parts: Vec<&str> = template.trim_start_matches('/').split('/').collect();
    if parts.len() != segments.len() {
        return None;
    }
    let mut params = Vec::new();
    for (part, segment) in parts.iter().zip(segments) {
        match *part {
            "{proto}" if ["http", "tcp", "udp"].contains(&segment.as_str()) => {
                params.push(("proto".into(), segment.clone()))
            }
            "{rproto}" if ["http", "tcp"].contains(&segment.as_str()) => {
                params.push(("proto".into(), segment.clone()))
            }
            "{proto}" | "{rproto}" => return None,
            p if p.starts_with('{') => {
                if segment.is_empty() {
                    return None;
                }
                params.push((
                    p.trim_matches(|c| c == '{' || c == '}').to_owned(),
                    segment.clone(),
                ));
            }
            p if p == segment => {}
            _ => return None,
        }
    }
    Some(params)
}

/// Splits a raw API path into percent-decoded segments (`%2F` stays inside its segment).
pub fn decode_segments(api_path: &str) -> Vec<String> {
    api_path
        .trim_start_matches('/')
        .split('/')
        .map(|s| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8_lossy()
                .into_owned()
        })
        .collect()
}

/// One OVH API call, as received.
pub struct Call<'a> {
    pub method: &'a str,
    /// Raw path after the `/1.0` (or `/v1`) prefix, e.g. `/ip/1.2.3.4%2F32/move`.
    pub api_path: &'a str,
    pub query: Option<&'a str>,
    pub body: &'a [u8],
    /// Authentication material; `None` for the admin passage (`/_sim/ovh/...`).
    pub auth: Option<SignedRequest<'a>>,
}

/// Settings the dispatcher needs.
pub struct Env<'a> {
    pub schema: &'a Schema,
    pub duration_ms: u64,
    pub window_secs: u64,
    pub server_now_secs: i64,
    pub now_ms: u64,
}

/// Runs one call against the state.
pub fn dispatch(
    env: &Env<'_>,
    state: &mut State,
    call: &Call<'_>,
    task_outcome: TaskOutcome,
) -> ApiResult {
    let segments = decode_segments(call.api_path);
    let Some((route, params)) = ROUTES
        .iter()
        .filter(|r| r.method == call.method)
        .find_map(|r| match_template(r.template, &segments).map(|p| (r, p)))
    else {
        return Err(match env.schema.known_template(call.method, &segments) {
            Some(template) => ApiError::not_implemented(call.method, &template),
            None => ApiError::invalid_url(),
        });
    };
    let proto = params
        .iter()
        .find(|(k, _)| k == "proto")
        .map(|(_, v)| v.as_str())
        .unwrap_or_default();
    let schema_template = route
        .template
        .replace("{proto}", proto)
        .replace("{rproto}", proto);
    let Some(op) = env.schema.operation(call.method, &schema_template) else {
        return Err(ApiError::not_implemented(call.method, &schema_template));
    };
    // A parameter of a simulated route can spell a literal of another operation (`GET /ip/campus`
    // is not the IP `campus`): that operation is the one called, and it is not simulated.
    if let Some(template) = env
        .schema
        .known_template(call.method, &segments)
        .filter(|t| *t != schema_template)
    {
        return Err(ApiError::not_implemented(call.method, &template));
    }
    let identity = match &call.auth {
        _ if op.no_authentication => Identity::Admin,
        None => Identity::Admin,
        Some(signed) => auth::authenticate(
            state,
            signed,
            env.server_now_secs,
            env.window_secs,
            env.now_ms,
        )?,
    };
    check_path_params(op, &params)?;
    let body = parse_body(call.body)?;
    let body = validate_body(env.schema, op, &body)?;
    let mut ctx = Ctx {
        state,
        schema: env.schema,
        op,
        now_ms: env.now_ms,
        duration_ms: env.duration_ms,
        server_now_secs: env.server_now_secs,
        identity,
        task_outcome,
        params,
        query: call
            .query
            .map(|q| auth::form_urlencoded(q.as_bytes()))
            .unwrap_or_default(),
        body,
    };
    let result = match route.handler {
        Handler::Plain(handler) => handler(&mut ctx),
        Handler::Object(handler, kind) => handler(&mut ctx, kind),
    }
    // Every answer gets OVH's shape from the operation's response type, nested models included:
    // properties a handler leaves out (`iam.tags`), or that objects stored by an older version
    // lack (a farm probe's unset fields), are completed, nullable ones as null.
    .map(|answer| env.schema.complete(&op.response_type, answer));
    if result.is_ok() && call.method != "GET" {
        ctx.state.dirty = true;
    }
    result
}

fn parse_body(raw: &[u8]) -> ApiResult {
    if raw.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Null);
    }
    serde_json::from_slice(raw).map_err(|_| {
        ApiError::bad_request("The input that you provided isn't valid JSON or not well formatted")
    })
}

fn check_path_params(op: &Operation, params: &[(String, String)]) -> ApiResult<()> {
    for param in op
        .parameters
        .iter()
        .filter(|p| p.param_type == "path" && p.data_type == "long")
    {
        let Some(name) = param.name.as_deref() else {
            continue;
        };
        if let Some((_, value)) = params.iter().find(|(k, _)| k == name)
            && value.parse::<u64>().is_err()
        {
            return Err(ApiError::bad_request(format!(
                "Invalid parameter: [{name}] expected long, got {}",
                describe(&Value::String(value.clone()))
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_is_an_operation_of_the_schema() {
        let schema = Schema::load().unwrap();
        for route in ROUTES {
            for proto in ["http", "tcp", "udp"] {
                if route.template.contains("{rproto}") && proto == "udp" {
                    continue;
                }
                let template = route
                    .template
                    .replace("{proto}", proto)
                    .replace("{rproto}", proto);
                assert!(
                    schema.operation(route.method, &template).is_some(),
                    "{} {template}",
                    route.method
                );
            }
        }
    }

    #[test]
    fn templates_bind_parameters_and_keep_encoded_slashes_in_a_segment() {
        let segments = decode_segments("/ip/1.2.3.4%2F32/move");
        let params = match_template("/ip/{ip}/move", &segments).unwrap();
        assert_eq!(params, vec![("ip".to_owned(), "1.2.3.4/32".to_owned())]);
        assert!(match_template("/ip/{ip}/move", &decode_segments("/ip/1.2.3.4/32/move")).is_none());
        assert!(
            match_template(
                "/ipLoadbalancing/{serviceName}/{rproto}/route",
                &decode_segments("/ipLoadbalancing/x/udp/route")
            )
            .is_none()
        );
    }
}
