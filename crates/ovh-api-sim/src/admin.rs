//! The simulator's own admin API under `/_sim/` (not OVH's; unsigned; not recorded in the
//! request log): request log, reset, state view, faults, and changes behind the client's back
//! (`/_sim/ovh/<OVH path>` runs an OVH route as an authenticated admin; `/_sim/ip/{ip}/route`
//! routes or parks an IP at once).

use hyper::StatusCode;
use serde_json::{Value, json};

use crate::addr;
use crate::error::ApiError;
use crate::faults::FaultRule;
use crate::ovh::{self, Call};
use crate::server::{Answer, Shared};
use crate::state::TaskOutcome;
use crate::time::now_ms;

fn admin_error(status: StatusCode, message: impl Into<String>) -> Answer {
    Answer {
        status,
        body: json!({"message": message.into()}),
        headers: Vec::new(),
    }
}

fn parse_json(body: &[u8]) -> Result<Value, Answer> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Null);
    }
    serde_json::from_slice(body).map_err(|e| {
        admin_error(
            StatusCode::BAD_REQUEST,
            format!("body is not valid JSON: {e}"),
        )
    })
}

pub(crate) fn reset(shared: &Shared) -> Result<(), String> {
    let state = shared.fixture_state()?;
    let mut inner = shared.lock();
    inner.state = state;
    inner.state.dirty = true;
    inner.log.clear();
    inner.faults.clear();
    inner.faults.reseed(shared.config.fault_seed);
    shared.persist_if_dirty(&mut inner);
    Ok(())
}

pub(crate) fn handle(
    shared: &Shared,
    method: &str,
    path: &str,
    query: Option<&str>,
    body: &[u8],
) -> Answer {
    match handle_inner(shared, method, path, query, body) {
        Ok(answer) | Err(answer) => answer,
    }
}

fn handle_inner(
    shared: &Shared,
    method: &str,
    path: &str,
    query: Option<&str>,
    body: &[u8],
) -> Result<Answer, Answer> {
    let rest = path.trim_start_matches("/_sim");
    if let Some(ovh_path) = rest.strip_prefix("/ovh/") {
        return Ok(run_ovh(shared, method, ovh_path, query, body));
    }
    if let Some(ip_route) = rest
        .strip_prefix("/ip/")
        .and_then(|r| r.strip_suffix("/route"))
        && method == "POST"
    {
        return route_ip(shared, ip_route, &parse_json(body)?);
    }
    match (method, rest) {
        ("GET", "/requests") => Ok(Answer::ok(json!(shared.lock().log))),
        ("DELETE", "/requests") => {
            shared.lock().log.clear();
            Ok(Answer::ok(Value::Null))
        }
        ("POST", "/reset") => {
            reset(shared).map_err(|e| admin_error(StatusCode::INTERNAL_SERVER_ERROR, e))?;
            Ok(Answer::ok(Value::Null))
        }
        ("GET", "/state") => {
            let mut inner = shared.lock();
            let (now, duration) = (now_ms(), shared.duration_ms());
            inner.state.advance(now, duration);
            let view = inner.state.view(now, duration);
            shared.persist_if_dirty(&mut inner);
            Ok(Answer::ok(view))
        }
        ("GET", "/faults") => Ok(Answer::ok(json!(shared.lock().faults.rules()))),
        ("DELETE", "/faults") => {
            shared.lock().faults.clear();
            Ok(Answer::ok(Value::Null))
        }
        ("POST", "/faults") => add_faults(shared, parse_json(body)?),
        _ => Err(admin_error(
            StatusCode::NOT_FOUND,
            format!("no admin route {method} {path}"),
        )),
    }
}

/// Accepts one rule, an array of rules, or `{"rules": [...], "seed": n}`.
fn add_faults(shared: &Shared, body: Value) -> Result<Answer, Answer> {
    let seed = body.get("seed").and_then(Value::as_u64);
    let rules = match body {
        Value::Object(mut map) if map.contains_key("rules") => {
            map.remove("rules").unwrap_or_default()
        }
        Value::Array(items) => Value::Array(items),
        single => Value::Array(vec![single]),
    };
    let rules: Vec<FaultRule> = serde_json::from_value(rules)
        .map_err(|e| admin_error(StatusCode::BAD_REQUEST, format!("invalid fault rule: {e}")))?;
    let mut inner = shared.lock();
    if let Some(seed) = seed {
        inner.faults.reseed(seed);
    }
    let added = inner
        .faults
        .add(rules)
        .map_err(|e| admin_error(StatusCode::BAD_REQUEST, e))?;
    Ok(Answer::ok(json!({"rules": added})))
}

/// Runs an OVH route without authentication, faults or request log.
fn run_ovh(
    shared: &Shared,
    method: &str,
    ovh_path: &str,
    query: Option<&str>,
    body: &[u8],
) -> Answer {
    let api_path = format!(
        "/{}",
        ["1.0/", "v1/"]
            .iter()
            .find_map(|p| ovh_path.strip_prefix(p))
            .unwrap_or(ovh_path)
    );
    let mut guard = shared.lock();
    let inner = &mut *guard;
    let env = shared.env();
    inner.state.advance(env.now_ms, env.duration_ms);
    let call = Call {
        method,
        api_path: &api_path,
        query,
        body,
        auth: None,
    };
    let answer = match ovh::dispatch(&env, &mut inner.state, &call, TaskOutcome::Normal) {
        Ok(value) => Answer::ok(value),
        Err(err) => Answer::error(&err),
    };
    shared.persist_if_dirty(inner);
    answer
}

/// Routes an IP to a load balancer (`{"to": "sn"}`) or parks it (`{"to": null}`) at once.
fn route_ip(shared: &Shared, raw_ip: &str, body: &Value) -> Result<Answer, Answer> {
    let decoded = percent_encoding::percent_decode_str(raw_ip).decode_utf8_lossy();
    let key = addr::normalize(&decoded)
        .ok_or_else(|| admin_error(StatusCode::BAD_REQUEST, format!("{decoded} is not an IP")))?;
    let to = match body.get("to") {
        Some(Value::String(sn)) => Some(sn.clone()),
        Some(Value::Null) | None => None,
        Some(other) => {
            return Err(admin_error(
                StatusCode::BAD_REQUEST,
                format!("\"to\" must be a service name or null, not {other}"),
            ));
        }
    };
    let mut inner = shared.lock();
    if let Some(sn) = &to
        && !inner.state.load_balancers.contains_key(sn)
    {
        return Err(Answer::error(&ApiError::service_not_found()));
    }
    let ip = inner
        .state
        .ips
        .get_mut(&key)
        .ok_or_else(|| Answer::error(&ApiError::object_not_found("ip", &key)))?;
    ip.routed_to = to;
    inner.state.dirty = true;
    shared.persist_if_dirty(&mut inner);
    Ok(Answer::ok(Value::Null))
}
