//! Every answer has OVH's shape: each successful answer of each route the simulator implements is
//! checked against the response type OVH's schema (`schema/*.json`) gives the operation — models
//! recursively (every property present, a nullable one possibly null, no property OVH does not
//! declare), enums (string and `long` ones), arrays, and primitive types in the form OVH renders
//! them (`ipBlock` in CIDR form, `datetime` as RFC 3339, `uuid`...). `void` answers are `null`.
//!
//! The checker reads the schema documents itself instead of using the simulator's `schema.rs`:
//! sharing the code that builds the answers with the code that judges them would let a bug in one
//! hide in the other. The workflow drives every route through the states that change the shape of
//! its answers (tasks in each status, failed tasks with comments, parked and routed IPs, farms with
//! and without probes, routes of each action, bearer and signed callers), and the test fails if a
//! route the simulator implements (found by probing every operation of the schema) was not checked.

mod common;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::Path;
use std::time::Duration;

use common::*;
use ovh_api_sim::{Fixture, SimConfig, Simulator};
use serde_json::{Map, Value, json};

/// Properties the simulator answers although OVH's model does not declare them, each listed in
/// BEHAVIOUR.md with its reason: a failed IPLB task carries its failure message in `comment`
/// (OVH's `Task` has no message field, and a deploy that fails must say why).
const DOCUMENTED_EXTRAS: &[(&str, &str)] = &[("ipLoadbalancing.Task.Task", "comment")];

/// OVH's schema documents the simulator embeds, read independently of the simulator's code.
struct OvhSchema {
    /// (method, path template) → response type.
    operations: HashMap<(String, String), String>,
    models: HashMap<String, Value>,
}

impl OvhSchema {
    fn load() -> OvhSchema {
        let mut schema = OvhSchema {
            operations: HashMap::new(),
            models: HashMap::new(),
        };
        for name in ["auth", "ip", "ipLoadbalancing"] {
            let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("schema/{name}.json"));
            let text = std::fs::read_to_string(&path).unwrap();
            let doc: Value = serde_json::from_str(&text).unwrap();
            for api in doc["apis"].as_array().unwrap() {
                let template = api["path"].as_str().unwrap();
                for op in api["operations"].as_array().unwrap() {
                    schema.operations.insert(
                        (
                            op["httpMethod"].as_str().unwrap().to_owned(),
                            template.to_owned(),
                        ),
                        op["responseType"].as_str().unwrap().to_owned(),
                    );
                }
            }
            for (model, definition) in doc["models"].as_object().unwrap() {
                schema.models.insert(model.clone(), definition.clone());
            }
        }
        schema
    }

    /// The operation template a concrete API path (e.g. `/ip/1.2.3.4%2F32/move?x=1`) calls: the
    /// one whose literal segments all match, the most specific when several do.
    fn template_of(&self, method: &str, path: &str) -> Option<String> {
        let path = path.split('?').next().unwrap_or(path);
        let segments: Vec<String> = path
            .trim_start_matches('/')
            .split('/')
            .map(|s| s.replace("%2F", "/").replace("%2f", "/"))
            .collect();
        self.operations
            .keys()
            .filter(|(m, _)| m == method)
            .filter_map(|(_, template)| {
                let parts: Vec<&str> = template.trim_start_matches('/').split('/').collect();
                if parts.len() != segments.len() {
                    return None;
                }
                let mut literal = 0;
                for (part, segment) in parts.iter().zip(&segments) {
                    if part.starts_with('{') {
                        continue;
                    }
                    if part != segment {
                        return None;
                    }
                    literal += 1;
                }
                Some((literal, template.clone()))
            })
            .max()
            .map(|(_, template)| template)
    }

    /// Checks `value` against schema type `ty`; each mismatch is pushed as `where: what`.
    fn check(&self, ty: &str, value: &Value, at: &str, errors: &mut Vec<String>) {
        let mut fail = |what: String| errors.push(format!("{at}: {what}, got {value}"));
        if ty == "void" {
            if !value.is_null() {
                fail("void answer must be null".into());
            }
            return;
        }
        if let Some(item) = ty.strip_suffix("[]") {
            match value.as_array() {
                Some(items) => {
                    for (i, v) in items.iter().enumerate() {
                        self.check(item, v, &format!("{at}[{i}]"), errors);
                    }
                }
                None => fail(format!("expected an array of {item}")),
            }
            return;
        }
        let ok = match ty {
            "long" => value.is_i64() || value.is_u64(),
            "double" => value.is_number(),
            "boolean" => value.is_boolean(),
            "string" | "text" | "password" => value.is_string(),
            "datetime" => value.as_str().is_some_and(is_rfc3339),
            "uuid" => value.as_str().is_some_and(is_uuid),
            "ip" => value.as_str().is_some_and(|s| s.parse::<IpAddr>().is_ok()),
            "ipv4" => value
                .as_str()
                .is_some_and(|s| s.parse::<Ipv4Addr>().is_ok()),
            "ipv6" => value
                .as_str()
                .is_some_and(|s| s.parse::<Ipv6Addr>().is_ok()),
            // OVH renders blocks in CIDR form, a single address as /32 or /128 (facts §1.2).
            "ipBlock" => value.as_str().is_some_and(|s| cidr(s).is_some()),
            "ipv4Block" => value.as_str().and_then(cidr).is_some_and(|ip| ip.is_ipv4()),
            "ipv6Block" => value.as_str().and_then(cidr).is_some_and(|ip| ip.is_ipv6()),
            "map[string]string" => value
                .as_object()
                .is_some_and(|m| m.values().all(Value::is_string)),
            model => {
                self.check_model(model, value, at, errors);
                return;
            }
        };
        if !ok {
            fail(format!("expected {ty}"));
        }
    }

    fn check_model(&self, name: &str, value: &Value, at: &str, errors: &mut Vec<String>) {
        let Some(model) = self.models.get(name) else {
            errors.push(format!(
                "{at}: type {name} is neither a primitive nor a model of the schema"
            ));
            return;
        };
        if let Some(allowed) = model["enum"].as_array() {
            // A `long` enum lists its values as strings ("4", "6") but answers numbers.
            let ok = if model["enumType"] == "long" {
                value
                    .as_i64()
                    .is_some_and(|n| allowed.contains(&json!(n.to_string())))
            } else {
                allowed.contains(value)
            };
            if !ok {
                errors.push(format!("{at}: {value} is not a value of {name}"));
            }
            return;
        }
        let Some(object) = value.as_object() else {
            errors.push(format!("{at}: expected a {name} object, got {value}"));
            return;
        };
        let properties = model["properties"].as_object().cloned().unwrap_or_default();
        for (property, definition) in &properties {
            let here = format!("{at}.{property}");
            match object.get(property) {
                None => errors.push(format!("{here}: missing ({name} declares it)")),
                Some(Value::Null) if definition["canBeNull"] == true => {}
                Some(Value::Null) => errors.push(format!("{here}: null, but not nullable")),
                Some(v) => self.check(definition["type"].as_str().unwrap(), v, &here, errors),
            }
        }
        for key in object.keys() {
            if !properties.contains_key(key) && !DOCUMENTED_EXTRAS.contains(&(name, key.as_str())) {
                errors.push(format!("{at}.{key}: not a property of {name}"));
            }
        }
    }
}

/// `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`.
fn is_rfc3339(text: &str) -> bool {
    let bytes = text.as_bytes();
    let digits = |range: std::ops::Range<usize>| {
        bytes
            .get(range)
            .is_some_and(|b| b.iter().all(u8::is_ascii_digit))
    };
    let date_time = bytes.len() >= 20
        && digits(0..4)
        && bytes[4] == b'-'
        && digits(5..7)
        && bytes[7] == b'-'
        && digits(8..10)
        && bytes[10] == b'T'
        && digits(11..13)
        && bytes[13] == b':'
        && digits(14..16)
        && bytes[16] == b':'
        && digits(17..19);
    if !date_time {
        return false;
    }
    let mut rest = &text[19..];
    if let Some(fraction) = rest.strip_prefix('.') {
        let end = fraction
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(fraction.len());
        if end == 0 {
            return false;
        }
        rest = &fraction[end..];
    }
    rest == "Z"
        || (rest.len() == 6
            && (rest.starts_with('+') || rest.starts_with('-'))
            && rest.as_bytes()[3] == b':'
            && rest[1..3]
                .bytes()
                .chain(rest[4..6].bytes())
                .all(|b| b.is_ascii_digit()))
}

fn is_uuid(text: &str) -> bool {
    let groups: Vec<&str> = text.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, n)| g.len() == n && g.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// The address of a CIDR block `addr/len` with a valid prefix length.
fn cidr(text: &str) -> Option<IpAddr> {
    let (addr, len) = text.split_once('/')?;
    let addr: IpAddr = addr.parse().ok()?;
    let len: u8 = len.parse().ok()?;
    let max = if addr.is_ipv4() { 32 } else { 128 };
    (len <= max).then_some(addr)
}

/// Sends calls, checks every 200 answer against the schema, counts the answers per operation.
struct Checker {
    schema: OvhSchema,
    /// (method, template) → answers checked.
    checked: BTreeMap<(String, String), usize>,
    errors: Vec<String>,
}

impl Checker {
    fn new() -> Checker {
        Checker {
            schema: OvhSchema::load(),
            checked: BTreeMap::new(),
            errors: Vec::new(),
        }
    }

    fn judge(&mut self, method: &str, path: &str, body: &Value) {
        let template = self
            .schema
            .template_of(method, path)
            .unwrap_or_else(|| panic!("{method} {path} is no operation of OVH's schema"));
        let ty = self.schema.operations[&(method.to_owned(), template.clone())].clone();
        let mut errors = Vec::new();
        self.schema.check(&ty, body, &ty, &mut errors);
        for error in errors {
            self.errors.push(format!("{method} {template}: {error}"));
        }
        *self
            .checked
            .entry((method.to_owned(), template))
            .or_default() += 1;
    }

    /// A signed call that must succeed; its answer is checked and returned.
    async fn call(
        &mut self,
        client: &Client,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> Value {
        let reply = client.call(method, path, body).await;
        assert_eq!(reply.status, 200, "{method} {path}: {:?}", reply.body);
        self.judge(method, path, &reply.body);
        reply.body
    }

    async fn get(&mut self, client: &Client, path: &str) -> Value {
        self.call(client, "GET", path, None).await
    }

    /// A GET with a bearer token that must succeed; checked and returned.
    async fn bearer_get(&mut self, sim: &Simulator, token: &str, path: &str) -> Value {
        let response = reqwest::Client::new()
            .get(format!("{}{path}", sim.base_url()))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        let reply = reply(response).await;
        assert_eq!(reply.status, 200, "GET {path} (bearer): {:?}", reply.body);
        self.judge("GET", path, &reply.body);
        reply.body
    }

    /// Polls a task, checking every answer, until it leaves the pending statuses.
    async fn wait(&mut self, client: &Client, path: &str) -> Value {
        for _ in 0..500 {
            let task = self.get(client, path).await;
            if !["init", "todo", "doing"].contains(&task["status"].as_str().unwrap()) {
                return task;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("task {path} did not end");
    }
}

/// The common fixture, plus what makes more shapes: an IPv6 block, a credential with access
/// rules, farms with full and partial probes, routes of each action, frontends of each protocol.
fn fixture() -> Fixture {
    let mut fixture = serde_json::to_value(common::fixture()).unwrap();
    let extend = |fixture: &mut Value, key: &str, items: Value| {
        fixture[key]
            .as_array_mut()
            .unwrap()
            .extend(items.as_array().unwrap().iter().cloned());
    };
    extend(
        &mut fixture,
        "credentials",
        json!([{"application_key": "AK", "application_secret": "AS", "consumer_key": "CK-RULES",
                "rules": [{"method": "GET", "path": "/*"}, {"method": "POST", "path": "/ip/*"}]}]),
    );
    extend(
        &mut fixture,
        "failover_ips",
        json!([{"ip": "2001:db8:1::/64", "routed_to": LB, "description": "v6", "country": "fr"}]),
    );
    extend(
        &mut fixture,
        "farms",
        json!([
            {"service_name": LB, "protocol": "http", "farm_id": 14, "zone": "rbx", "port": 8080,
             "balance": "roundrobin", "stickiness": "cookie", "displayName": "probed",
             "probe": {"type": "http", "url": "/health"}},
            {"service_name": LB, "protocol": "udp", "farm_id": 15, "zone": "gra", "port": 53}
        ]),
    );
    fixture["frontends"] = json!([
        {"service_name": LB, "protocol": "http", "frontend_id": 100, "port": "80", "zone": "all",
         "defaultFarmId": 11},
        {"service_name": LB, "protocol": "tcp", "frontend_id": 101, "port": "443", "zone": "gra"}
    ]);
    fixture["routes"] = json!([
        {"service_name": LB, "protocol": "http", "route_id": 5, "frontendId": 100,
         "action": {"type": "farm", "target": "11"}},
        {"service_name": LB, "protocol": "tcp", "route_id": 6, "frontendId": 101,
         "action": {"type": "farm", "target": "12"}}
    ]);
    serde_json::from_value(fixture).unwrap()
}

#[tokio::test]
async fn every_answer_of_every_route_has_the_shape_of_ovhs_schema() {
    let sim = Simulator::start(SimConfig {
        fixture: fixture(),
        task_duration: Duration::from_millis(300),
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let client = Client::new(&sim);
    let with_rules = Client {
        ck: "CK-RULES".into(),
        ..Client::new(&sim)
    };
    let mut c = Checker::new();
    let lb = format!("/ipLoadbalancing/{LB}");
    let vrack_lb = format!("/ipLoadbalancing/{VRACK_LB}");

    // Auth: time, details of each kind of caller, the consumer key with and without rules.
    c.get(&client, "/auth/time").await;
    c.get(&client, "/auth/details").await;
    c.get(&with_rules, "/auth/details").await;
    c.get(&client, "/auth/currentCredential").await;
    c.get(&with_rules, "/auth/currentCredential").await;
    c.bearer_get(&sim, "STATIC-TOKEN", "/auth/details").await;
    let token = reqwest::Client::new()
        .post(sim.token_url())
        .basic_auth("ID", Some("SECRET"))
        .body("grant_type=client_credentials")
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    c.bearer_get(&sim, &token, "/auth/details").await;
    c.bearer_get(&sim, &token, &lb).await;

    // Load balancers, in and out of a vRack, before and after a PUT.
    c.get(&client, "/ipLoadbalancing").await;
    c.get(&client, &lb).await;
    c.get(&client, &vrack_lb).await;
    c.call(
        &client,
        "PUT",
        &lb,
        Some(json!({"displayName": null, "sslConfiguration": "modern"})),
    )
    .await;
    c.get(&client, &lb).await;
    for sn in [&lb, &vrack_lb] {
        for satellite in [
            "failover",
            "zone",
            "pendingChanges",
            "task",
            "vrack/network",
        ] {
            c.get(&client, &format!("{sn}/{satellite}")).await;
        }
    }
    c.get(&client, &format!("{vrack_lb}/vrack/network/7")).await;
    c.get(&client, &format!("{vrack_lb}/vrack/network?vlan=42"))
        .await;

    // IPs: lists, a routed v4, a routed v6 block, a parked one, its destinations.
    c.get(&client, "/ip").await;
    c.get(&client, "/ip?type=failover&version=6").await;
    for ip in ["203.0.113.8%2F32", "2001:db8:1::%2F64", "203.0.113.7"] {
        c.get(&client, &format!("/ip/{ip}")).await;
        c.get(&client, &format!("/ip/{ip}/move")).await;
        c.get(&client, &format!("/ip/{ip}/task")).await;
    }

    // A move, polled through init/todo/doing to done; then a park; then a move that fails with
    // a comment (ip.IpTask's own field).
    let task = c
        .call(
            &client,
            "POST",
            "/ip/203.0.113.7%2F32/move",
            Some(json!({"to": LB})),
        )
        .await;
    c.wait(
        &client,
        &format!("/ip/203.0.113.7%2F32/task/{}", task["taskId"]),
    )
    .await;
    c.get(&client, "/ip/203.0.113.7%2F32").await;
    let task = c
        .call(&with_rules, "POST", "/ip/203.0.113.7%2F32/park", None)
        .await;
    c.wait(
        &client,
        &format!("/ip/203.0.113.7%2F32/task/{}", task["taskId"]),
    )
    .await;
    admin(
        &sim,
        "POST",
        "/_sim/faults",
        Some(json!({"method": "POST", "path": "/ip/*/move", "kind": "task_status",
                    "status": "customerError", "comment": "destination refused the IP", "times": 1})),
    )
    .await;
    let task = c
        .call(
            &client,
            "POST",
            "/ip/203.0.113.7%2F32/move",
            Some(json!({"to": VRACK_LB})),
        )
        .await;
    let failed = c
        .wait(
            &client,
            &format!("/ip/203.0.113.7%2F32/task/{}", task["taskId"]),
        )
        .await;
    assert_eq!(failed["status"], "customerError");
    c.get(&client, "/ip/203.0.113.7%2F32/task?status=customerError")
        .await;

    // Frontends of each protocol: fixture ones, created with few and with many fields, updated,
    // listed with filters, deleted.
    let mut created = Vec::new();
    for (proto, minimal, full) in [
        (
            "http",
            json!({"port": "8080", "zone": "gra"}),
            json!({"port": "80,443", "zone": "all", "displayName": "web", "defaultFarmId": 11,
                   "dedicatedIpfo": ["203.0.113.8"], "allowedSource": ["10.0.0.0/8"], "disabled": true,
                   "hsts": true, "ssl": true, "httpHeader": ["X-Ip: %ci"], "redirectLocation": "https://example.com"}),
        ),
        (
            "tcp",
            json!({"port": "22", "zone": "rbx"}),
            json!({"port": "1000-2000", "zone": "all", "deniedSource": ["192.0.2.0/24"], "defaultFarmId": 12,
                   "dedicatedIpfo": ["2001:db8:1::/64"], "ssl": false}),
        ),
        (
            "udp",
            json!({"port": "53", "zone": "gra"}),
            json!({"port": "5000,5001", "zone": "all", "defaultFarmId": 15, "displayName": "dns",
                   "dedicatedIpfo": ["203.0.113.8/32"], "disabled": false}),
        ),
    ] {
        let list = format!("{lb}/{proto}/frontend");
        for body in [minimal, full] {
            let frontend = c.call(&client, "POST", &list, Some(body)).await;
            created.push((proto, frontend["frontendId"].as_u64().unwrap()));
        }
        c.get(&client, &list).await;
        c.get(&client, &format!("{list}?zone=all&port=80")).await;
    }
    for id in [100, 101] {
        let proto = if id == 100 { "http" } else { "tcp" };
        c.get(&client, &format!("{lb}/{proto}/frontend/{id}")).await;
    }
    for (proto, id) in &created {
        let item = format!("{lb}/{proto}/frontend/{id}");
        c.get(&client, &item).await;
        c.call(
            &client,
            "PUT",
            &item,
            Some(json!({"displayName": "renamed", "dedicatedIpfo": null})),
        )
        .await;
        c.get(&client, &item).await;
    }

    // Farms: fixture ones (one with a partial probe), created with and without a probe, a probe
    // replaced by a PUT, deleted.
    for (proto, id) in [("http", 11), ("tcp", 12), ("http", 14), ("udp", 15)] {
        c.get(&client, &format!("{lb}/{proto}/farm/{id}")).await;
    }
    c.get(&client, &format!("{vrack_lb}/http/farm/21")).await;
    let mut farms = Vec::new();
    for (proto, body) in [
        ("http", json!({"zone": "gra"})),
        (
            "http",
            json!({"zone": "all", "port": 8443, "balance": "uri", "stickiness": "sourceIp",
                        "displayName": "api", "probe": {"type": "http", "method": "GET", "url": "/"}}),
        ),
        ("tcp", json!({"zone": "rbx", "probe": {"type": "tcp"}})),
        (
            "tcp",
            json!({"zone": "all", "port": 3306, "balance": "leastconn", "stickiness": "sourceIp",
                       "probe": {"type": "mysql", "port": 3306, "interval": 60, "match": "default",
                                 "negate": false, "pattern": null, "forceSsl": false, "method": null, "url": null}}),
        ),
        ("udp", json!({"zone": "gra", "port": 123})),
    ] {
        let list = format!("{lb}/{proto}/farm");
        let farm = c.call(&client, "POST", &list, Some(body)).await;
        farms.push((proto, farm["farmId"].as_u64().unwrap()));
        c.get(&client, &list).await;
        c.get(&client, &format!("{list}?zone=gra")).await;
    }
    for (proto, id) in &farms {
        let item = format!("{lb}/{proto}/farm/{id}");
        c.get(&client, &item).await;
        let update = if *proto == "udp" {
            json!({"displayName": "changed", "port": 124})
        } else {
            json!({"displayName": "changed", "probe": {"type": "http", "interval": 45}})
        };
        c.call(&client, "PUT", &item, Some(update)).await;
        c.get(&client, &item).await;
    }
    c.get(&client, &format!("{vrack_lb}/vrack/network/7")).await;

    // Routes: fixture ones (partial actions), created with each kind of action, updated, deleted.
    c.get(&client, &format!("{lb}/http/route/5")).await;
    c.get(&client, &format!("{lb}/tcp/route/6")).await;
    let mut routes = Vec::new();
    for (proto, body) in [
        (
            "http",
            json!({"frontendId": 100, "action": {"type": "farm", "target": "11"}}),
        ),
        (
            "http",
            json!({"frontendId": 100, "displayName": "redirect", "weight": 2,
                        "action": {"type": "redirect", "target": "https://${host}${path}", "status": 302}}),
        ),
        ("http", json!({"action": {"type": "reject", "status": 403}})),
        (
            "tcp",
            json!({"frontendId": 101, "action": {"type": "farm", "target": "12"}}),
        ),
        ("tcp", json!({"action": {"type": "reject"}})),
    ] {
        let list = format!("{lb}/{proto}/route");
        let route = c.call(&client, "POST", &list, Some(body)).await;
        routes.push((proto, route["routeId"].as_u64().unwrap()));
        c.get(&client, &list).await;
        c.get(&client, &format!("{list}?frontendId=100")).await;
    }
    for (proto, id) in &routes {
        let item = format!("{lb}/{proto}/route/{id}");
        c.get(&client, &item).await;
        c.call(
            &client,
            "PUT",
            &item,
            Some(json!({"displayName": "changed", "action": {"type": "reject"}})),
        )
        .await;
        c.get(&client, &item).await;
    }

    // Deletes (void) of everything created, which also leaves the load balancer deployable: the
    // minimal frontends have no route, redirect or default farm.
    for (proto, id) in &routes {
        c.call(&client, "DELETE", &format!("{lb}/{proto}/route/{id}"), None)
            .await;
    }
    for (proto, id) in &created {
        c.call(
            &client,
            "DELETE",
            &format!("{lb}/{proto}/frontend/{id}"),
            None,
        )
        .await;
    }
    for (proto, id) in &farms {
        c.call(&client, "DELETE", &format!("{lb}/{proto}/farm/{id}"), None)
            .await;
    }

    // Pending changes, then a refresh polled to done, a refresh that fails a deploy condition (its
    // task carries the documented `comment`), task lists with filters.
    c.get(&client, &format!("{lb}/pendingChanges")).await;
    let task = c
        .call(&client, "POST", &format!("{lb}/refresh"), None)
        .await;
    let done = c.wait(&client, &format!("{lb}/task/{}", task["id"])).await;
    assert_eq!(done["status"], "done", "{done}");
    let task = c
        .call(
            &client,
            "POST",
            &format!("{lb}/refresh"),
            Some(json!({"zone": "gra"})),
        )
        .await;
    c.wait(&client, &format!("{lb}/task/{}", task["id"])).await;
    let task = c
        .call(&client, "POST", &format!("{vrack_lb}/refresh"), None)
        .await;
    let failed = c
        .wait(&client, &format!("{vrack_lb}/task/{}", task["id"]))
        .await;
    assert_eq!(failed["status"], "error");
    assert!(failed["comment"].is_string(), "{failed}");
    c.get(
        &client,
        &format!("{lb}/task?action=refreshIplb&status=done"),
    )
    .await;
    c.get(&client, &format!("{lb}/pendingChanges")).await;
    c.get(&client, &format!("{vrack_lb}/pendingChanges")).await;

    // The same answers through the admin passage are OVH's too (it runs the same routes).
    let through_admin = admin(&sim, "GET", &format!("/_sim/ovh{lb}/http/farm/14"), None).await;
    assert_eq!(through_admin.status, 200);
    c.judge("GET", &format!("{lb}/http/farm/14"), &through_admin.body);

    let implemented = implemented_operations(&c.schema).await;
    let unchecked: Vec<_> = implemented
        .iter()
        .filter(|op| !c.checked.contains_key(*op))
        .collect();
    let answers: usize = c.checked.values().sum();
    eprintln!(
        "checked {answers} answers of {} operations ({} implemented)",
        c.checked.len(),
        implemented.len()
    );
    assert!(
        c.errors.is_empty(),
        "{} mismatches with OVH's schema:\n{}",
        c.errors.len(),
        c.errors.join("\n")
    );
    assert!(
        unchecked.is_empty(),
        "operations the simulator implements but this test did not check: {unchecked:?}"
    );
}

/// Every operation of the schema the simulator implements: each is called once through the admin
/// passage of a throwaway simulator (placeholders filled with plausible values); only operations
/// the simulator does not implement answer 501.
async fn implemented_operations(schema: &OvhSchema) -> BTreeSet<(String, String)> {
    let sim = start(100).await;
    let mut implemented = BTreeSet::new();
    let mut operations: Vec<_> = schema.operations.keys().cloned().collect();
    operations.sort();
    for (method, template) in operations {
        let path: Vec<String> = template
            .trim_start_matches('/')
            .split('/')
            .map(|segment| match segment {
                "{serviceName}" => LB.to_owned(),
                "{ip}" => "203.0.113.8%2F32".to_owned(),
                s if s.starts_with('{') => "1".to_owned(),
                s => s.to_owned(),
            })
            .collect();
        let reply = admin(
            &sim,
            &method,
            &format!("/_sim/ovh/{}", path.join("/")),
            None,
        )
        .await;
        if reply.status != 501 {
            implemented.insert((method, template));
        }
    }
    implemented
}

#[test]
fn the_checker_rejects_what_ovh_would_not_answer() {
    let schema = OvhSchema::load();
    let errors = |ty: &str, value: Value| {
        let mut errors = Vec::new();
        schema.check(ty, &value, ty, &mut errors);
        errors
    };
    let route = json!({"action": {"type": "farm", "target": "11", "status": null}, "displayName": null,
                       "frontendId": null, "routeId": 1, "rules": [], "status": "ok", "weight": 0});
    assert_eq!(
        errors("ipLoadbalancing.RouteHttp.RouteHttp", route.clone()),
        Vec::<String>::new()
    );
    let mut nested_missing = route.clone();
    nested_missing["action"]
        .as_object_mut()
        .unwrap()
        .remove("status");
    assert_eq!(
        errors("ipLoadbalancing.RouteHttp.RouteHttp", nested_missing),
        [
            "ipLoadbalancing.RouteHttp.RouteHttp.action.status: missing (ipLoadbalancing.RouteHttpAction declares it)"
        ]
    );
    let mut bad_enum = route.clone();
    bad_enum["status"] = json!("fine");
    assert_eq!(
        errors("ipLoadbalancing.RouteHttp.RouteHttp", bad_enum).len(),
        1
    );
    let mut extra = route;
    extra["color"] = json!("red");
    assert_eq!(
        errors("ipLoadbalancing.RouteHttp.RouteHttp", extra).len(),
        1
    );
    assert_eq!(
        errors("ipBlock[]", json!(["203.0.113.7/32", "2001:db8::/64"])).len(),
        0
    );
    assert_eq!(errors("ipBlock[]", json!(["203.0.113.7"])).len(), 1);
    assert_eq!(errors("ip.IpVersionEnum", json!(4)).len(), 0);
    assert_eq!(errors("ip.IpVersionEnum", json!("4")).len(), 1);
    assert_eq!(
        errors("datetime", json!("2025-01-01T12:00:00+01:00")).len(),
        0
    );
    assert_eq!(errors("datetime", json!("2025-01-01T12:00:00.5Z")).len(), 0);
    assert_eq!(errors("datetime", json!("2025-01-01 12:00:00")).len(), 1);
    assert_eq!(errors("void", Value::Null).len(), 0);
    assert_eq!(errors("void", json!({})).len(), 1);
    assert_eq!(errors("long", json!(1.5)).len(), 1);
    let mut not_nullable = Map::new();
    not_nullable.insert("number".into(), Value::Null);
    not_nullable.insert("zone".into(), json!("gra"));
    assert_eq!(
        errors(
            "ipLoadbalancing.PendingChanges",
            Value::Object(not_nullable)
        )
        .len(),
        1
    );
    assert!(
        schema
            .template_of("GET", "/ip/1.2.3.4%2F32/task/3")
            .as_deref()
            == Some("/ip/{ip}/task/{taskId}")
    );
}
