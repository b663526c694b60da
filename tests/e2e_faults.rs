//! Fault tolerance, end to end (issue 5): real Terraform against the simulator with faults injected on every route
//! the provider uses.
//!
//! - The fault matrix: for each fault kind (429 with and without `Retry-After`, 500, 502, 503, 504, a dropped
//!   connection, a slow answer), one working directory runs the whole lifecycle of a quickstart-like configuration
//!   (create, update in place, plan, destroy), with one fault of that kind armed on every route (`times: 1`) before
//!   each step. Every step must converge; after it, no frontend or IP move exists twice, nothing the API holds is
//!   missing from state, and the plan is clean. The request log proves the matrix lists every route used.
//! - Lost answers: a POST handled by the API whose answer is dropped (frontend create, IP move, refresh) is
//!   adopted, not repeated.
//! - A small seeded randomized run (faults with a probability on every route); `scripts/soak-faults` runs the full
//!   matrix and long randomized soaks through the `#[ignore]`d tests below.

mod support;

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};
use support::{AK, AS, CK, LB, TestSim, TfWorkdir, tf_config};

/// The failover IPs of the configuration: one shared, one per dedicated frontend.
const IPS: [&str; 3] = ["203.0.113.7/32", "203.0.113.8/32", "203.0.113.9/32"];
const PROTOCOLS: [&str; 3] = ["http", "tcp", "udp"];

/// Every route the provider calls, as `(method, path glob)` (`*` is one segment). Frontend routes are per protocol
/// (`{p}`), so each protocol's calls get their own fault.
const ROUTES: &[(&str, &str)] = &[
    ("GET", "/auth/time"),
    ("GET", "/auth/details"),
    ("GET", "/ipLoadbalancing/*"),
    ("GET", "/ipLoadbalancing/*/zone"),
    ("GET", "/ipLoadbalancing/*/failover"),
    ("GET", "/ipLoadbalancing/*/pendingChanges"),
    ("POST", "/ipLoadbalancing/*/refresh"),
    ("GET", "/ipLoadbalancing/*/task"),
    ("GET", "/ipLoadbalancing/*/task/*"),
    ("GET", "/ipLoadbalancing/*/*/farm"),
    ("GET", "/ipLoadbalancing/*/*/farm/*"),
    ("GET", "/ipLoadbalancing/*/*/route"),
    ("GET", "/ipLoadbalancing/*/{p}/frontend"),
    ("POST", "/ipLoadbalancing/*/{p}/frontend"),
    ("GET", "/ipLoadbalancing/*/{p}/frontend/*"),
    ("PUT", "/ipLoadbalancing/*/{p}/frontend/*"),
    ("DELETE", "/ipLoadbalancing/*/{p}/frontend/*"),
    ("POST", "/ip/*/move"),
    ("POST", "/ip/*/park"),
    ("GET", "/ip/*/task"),
    ("GET", "/ip/*/task/*"),
];

/// The routes with `{p}` expanded to each protocol.
fn routes() -> Vec<(&'static str, String)> {
    let mut all = Vec::new();
    for (method, glob) in ROUTES {
        if glob.contains("{p}") {
            all.extend(PROTOCOLS.iter().map(|p| (*method, glob.replace("{p}", p))));
        } else {
            all.push((*method, (*glob).to_owned()));
        }
    }
    all
}

/// Whether `path` (without the `/1.0` prefix) matches `glob`, `*` standing for one segment.
fn glob_matches(glob: &str, path: &str) -> bool {
    let (glob, path): (Vec<_>, Vec<_>) = (glob.split('/').collect(), path.split('/').collect());
    glob.len() == path.len() && glob.iter().zip(&path).all(|(g, p)| *g == "*" || g == p)
}

/// A request log path without its API prefix or query.
fn api_path(raw: &str) -> &str {
    let path = raw.split('?').next().unwrap_or(raw);
    path.strip_prefix("/1.0").unwrap_or(path)
}

/// One kind of fault of the matrix, as the simulator's rule fields (minus method, path and times).
#[derive(Clone, Copy, Debug)]
enum Fault {
    Throttled { retry_after: Option<u32> },
    Status(u16),
    Dropped,
    Slow,
}

impl Fault {
    const MATRIX: [Fault; 8] = [
        Fault::Throttled { retry_after: Some(1) },
        Fault::Throttled { retry_after: None },
        Fault::Status(500),
        Fault::Status(502),
        Fault::Status(503),
        Fault::Status(504),
        Fault::Dropped,
        Fault::Slow,
    ];

    fn name(self) -> String {
        match self {
            Fault::Throttled { retry_after: Some(s) } => format!("429 Retry-After {s}s"),
            Fault::Throttled { retry_after: None } => "429".to_owned(),
            Fault::Status(status) => status.to_string(),
            Fault::Dropped => "dropped connection".to_owned(),
            Fault::Slow => "slow answer (1.5 s)".to_owned(),
        }
    }

    fn rule(self, method: &str, path: &str) -> Value {
        let mut rule = match self {
            Fault::Throttled { retry_after } => json!({"kind": "status", "status": 429, "retry_after": retry_after}),
            Fault::Status(status) => json!({"kind": "status", "status": status}),
            Fault::Dropped => json!({"kind": "drop"}),
            Fault::Slow => json!({"kind": "latency", "ms": 1500}),
        };
        rule["method"] = json!(method);
        rule["path"] = json!(path);
        rule["times"] = json!(1);
        rule
    }
}

/// The simulator with one LB (two zones), three free failover IPs and a farm of each protocol.
fn start_sim() -> TestSim {
    let farms: Vec<Value> = PROTOCOLS
        .iter()
        .zip([11, 12, 13])
        .map(|(protocol, id)| {
            json!({"service_name": LB, "protocol": protocol, "farm_id": id, "zone": "all", "port": 8080,
                   "vrack_network_id": null})
        })
        .collect();
    let fixture = serde_json::from_value(json!({
        "credentials": [{"application_key": AK, "application_secret": AS, "consumer_key": CK}],
        "load_balancers": [{"service_name": LB, "zones": ["gra", "rbx"], "ipv4": "198.51.100.10",
                            "vrack_name": null, "display_name": "web"}],
        "failover_ips": IPS.iter().map(|ip| json!({"ip": ip, "routed_to": null})).collect::<Vec<_>>(),
        "farms": farms,
    }))
    .expect("the fault fixture deserialises");
    TestSim::with_fixture(fixture)
}

/// The quickstart's shape: three attachments, an HTTP and a TCP frontend on dedicated IPs, a UDP frontend, and the
/// refresh; `name` is the frontends' display name (changing it updates them in place and re-deploys).
fn config(sim: &TestSim, name: &str) -> String {
    let body = format!(
        r#"
locals {{
  ips = {{ shared = "{ip0}", http = "{ip1}", tcp = "{ip2}" }}
}}

resource "ovhiplb_failover_ip_attachment" "this" {{
  for_each     = local.ips
  service_name = "{LB}"
  ip           = each.value
}}

resource "ovhiplb_http_frontend" "web" {{
  service_name    = "{LB}"
  display_name    = "{name}"
  port            = "80"
  zone            = "all"
  dedicated_ipfo  = [ovhiplb_failover_ip_attachment.this["http"].ip]
  default_farm_id = 11
}}

resource "ovhiplb_tcp_frontend" "tls" {{
  service_name    = "{LB}"
  display_name    = "{name}"
  port            = "443"
  zone            = "gra"
  dedicated_ipfo  = [ovhiplb_failover_ip_attachment.this["tcp"].ip]
  default_farm_id = 12
}}

resource "ovhiplb_udp_frontend" "dns" {{
  service_name    = "{LB}"
  display_name    = "{name}"
  port            = "53"
  zone            = "all"
  default_farm_id = 13
}}

resource "ovhiplb_refresh" "this" {{
  service_name = "{LB}"
  triggers = {{
    frontends = sha1(jsonencode([ovhiplb_http_frontend.web, ovhiplb_tcp_frontend.tls, ovhiplb_udp_frontend.dns]))
  }}
  depends_on = [ovhiplb_failover_ip_attachment.this, ovhiplb_http_frontend.web, ovhiplb_tcp_frontend.tls,
                ovhiplb_udp_frontend.dns]
}}
"#,
        ip0 = IPS[0],
        ip1 = IPS[1],
        ip2 = IPS[2],
    );
    tf_config(sim, &body)
}

/// What must hold between the API and Terraform's state after any run.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Tally {
    /// Frontends of the same protocol, port, zone and dedicated IPs beyond the first.
    duplicates: usize,
    /// IPs moved to the LB more than once (successful moves beyond the first, per IP).
    double_moves: usize,
    /// Frontends or routed IPs in the API that the state does not hold.
    losses: usize,
    /// Objects in the state that the API does not hold (after a successful run).
    ghosts: usize,
}

impl Tally {
    /// Compares the simulator with the state; `moves_since` counts moves from that IP task id on.
    fn check(sim: &TestSim, workdir: &TfWorkdir, first_task: u64) -> (Tally, String) {
        let api = sim.admin_json("GET", "/state", None);
        let mut keys: BTreeMap<(String, String, String, Vec<String>), usize> = BTreeMap::new();
        let mut api_frontends = BTreeSet::new();
        for frontend in api["frontends"].as_array().into_iter().flatten().filter(|f| f["service_name"] == LB) {
            let o = &frontend["object"];
            let mut ips: Vec<String> =
                o["dedicatedIpfo"].as_array().into_iter().flatten().filter_map(|i| i.as_str().map(str::to_owned)).collect();
            ips.sort();
            let protocol = frontend["protocol"].as_str().unwrap_or_default().to_owned();
            let key = (protocol.clone(), o["port"].to_string(), o["zone"].to_string(), ips);
            *keys.entry(key).or_default() += 1;
            api_frontends.insert((protocol, o["frontendId"].as_i64().unwrap_or_default()));
        }
        let duplicates = keys.values().map(|n| n - 1).sum();
        let mut moves: BTreeMap<String, usize> = BTreeMap::new();
        for task in api["ip_tasks"].as_array().into_iter().flatten() {
            let ours = task["destination"]["serviceName"] == LB && task["status"] == "done";
            if ours && task["taskId"].as_u64().is_some_and(|id| id >= first_task) {
                *moves.entry(task["ip"].as_str().unwrap_or_default().to_owned()).or_default() += 1;
            }
        }
        let double_moves = moves.values().map(|n| n.saturating_sub(1)).sum();
        let routed: BTreeSet<String> = api["failover_ips"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|ip| ip["routed_to"] == LB)
            .filter_map(|ip| ip["ip"].as_str().map(str::to_owned))
            .collect();

        let state = workdir.state_json();
        let resources = state["values"]["root_module"]["resources"].as_array().cloned().unwrap_or_default();
        let mut state_frontends = BTreeSet::new();
        let mut state_ips = BTreeSet::new();
        for resource in &resources {
            let kind = resource["type"].as_str().unwrap_or_default();
            let values = &resource["values"];
            if let Some(protocol) = kind.strip_prefix("ovhiplb_").and_then(|k| k.strip_suffix("_frontend")) {
                state_frontends.insert((protocol.to_owned(), values["frontend_id"].as_i64().unwrap_or_default()));
            } else if kind == "ovhiplb_failover_ip_attachment" {
                state_ips.insert(values["ip"].as_str().unwrap_or_default().to_owned());
            }
        }
        let losses = api_frontends.difference(&state_frontends).count() + routed.difference(&state_ips).count();
        let ghosts = state_frontends.difference(&api_frontends).count() + state_ips.difference(&routed).count();
        let report = format!(
            "API frontends {api_frontends:?}, state frontends {state_frontends:?}; routed IPs {routed:?}, state IPs \
             {state_ips:?}; moves since task {first_task}: {moves:?}"
        );
        (Tally { duplicates, double_moves, losses, ghosts }, report)
    }
}

/// The next IP task id the simulator will assign: moves from there on belong to the step being checked.
fn next_ip_task(sim: &TestSim) -> u64 {
    let api = sim.admin_json("GET", "/state", None);
    api["ip_tasks"].as_array().into_iter().flatten().filter_map(|t| t["taskId"].as_u64()).max().unwrap_or(0) + 1
}

/// Replaces the simulator's faults by one `fault` per route, firing once each.
fn arm(sim: &TestSim, fault: Fault) {
    sim.admin("DELETE", "/faults", None);
    let rules: Vec<Value> = routes().iter().map(|(method, path)| fault.rule(method, path)).collect();
    sim.admin_json("POST", "/faults", Some(&json!(rules)));
}

/// The routes whose fault fired since the last arming.
fn fired(sim: &TestSim) -> BTreeSet<String> {
    let rules = sim.admin_json("GET", "/faults", None);
    let rules = rules.as_array().cloned().or_else(|| rules["rules"].as_array().cloned()).unwrap_or_default();
    rules
        .iter()
        .filter(|r| r["fired"].as_u64().is_some_and(|n| n > 0))
        .map(|r| format!("{} {}", r["method"].as_str().unwrap_or("*"), r["path"].as_str().unwrap_or_default()))
        .collect()
}

/// Asserts that every request of the log is on a route of the matrix: the matrix is the provider's whole surface.
#[track_caller]
fn assert_routes_covered(sim: &TestSim) {
    let routes = routes();
    let unknown: BTreeSet<String> = sim
        .requests()
        .iter()
        .filter(|r| !routes.iter().any(|(m, g)| *m == r.method && glob_matches(g, api_path(&r.path))))
        .map(|r| format!("{} {}", r.method, api_path(&r.path)))
        .collect();
    assert!(unknown.is_empty(), "routes used but missing from the fault matrix: {unknown:?}");
}

/// Runs the lifecycle under `fault` armed on every route before each step; returns the routes whose fault fired.
fn run_matrix_row(fault: Fault) -> BTreeSet<String> {
    let sim = start_sim();
    let workdir = TfWorkdir::new();
    let mut fired_routes = BTreeSet::new();
    let name = fault.name();
    let steps: [(&str, Option<&str>); 4] =
        [("create", Some("v1")), ("update in place", Some("v2")), ("plan", None), ("destroy", None)];
    for (step, display_name) in steps {
        let first_task = next_ip_task(&sim);
        arm(&sim, fault);
        match (step, display_name) {
            ("plan", _) => {
                let plan = workdir.plan_detailed_exitcode();
                assert_eq!(plan.code, Some(0), "[{name}] plan after the update must be clean:\n{plan}");
            }
            ("destroy", _) => {
                workdir.destroy();
            }
            (_, Some(display_name)) => {
                workdir.write("main.tf", &config(&sim, display_name));
                workdir.apply();
            }
            _ => unreachable!("every step is listed above"),
        }
        fired_routes.extend(fired(&sim));
        sim.admin("DELETE", "/faults", None);
        let (tally, report) = Tally::check(&sim, &workdir, first_task);
        assert_eq!(tally, Tally::default(), "[{name}] after {step}: {report}");
        if step != "destroy" {
            let plan = workdir.plan_detailed_exitcode();
            assert_eq!(plan.code, Some(0), "[{name}] plan after {step} (no faults) must be clean:\n{plan}");
        }
    }
    let api = sim.admin_json("GET", "/state", None);
    let left = api["frontends"].as_array().map_or(0, Vec::len);
    assert_eq!(left, 0, "[{name}] destroy left frontends: {api:#}");
    assert_routes_covered(&sim);
    fired_routes
}

/// The bounded matrix of the test suite: a representative subset (one throttling, one 5xx, drops, slowness),
/// whose rows together fire a fault on every route. `scripts/soak-faults` runs all eight rows.
#[test]
fn fault_matrix_every_route_converges_without_duplicates_or_losses() {
    let rows = [Fault::Throttled { retry_after: Some(1) }, Fault::Status(503), Fault::Dropped];
    let handles: Vec<_> = rows.into_iter().map(|fault| std::thread::spawn(move || run_matrix_row(fault))).collect();
    for handle in handles {
        let fired = handle.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        let never: Vec<String> = routes()
            .iter()
            .map(|(m, p)| format!("{m} {p}"))
            .filter(|route| !fired.contains(route))
            .collect();
        assert!(never.is_empty(), "no fault was injected on these routes (unused by the provider?): {never:?}");
    }
}

/// Every row of the matrix (429 with and without Retry-After, 500, 502, 503, 504, drop, slow). Run by
/// `scripts/soak-faults`.
#[test]
#[ignore = "the full matrix takes several minutes: scripts/soak-faults runs it"]
fn full_fault_matrix() {
    for fault in Fault::MATRIX {
        let started = std::time::Instant::now();
        run_matrix_row(fault);
        eprintln!("SOAK matrix row {:<24} converged in {:.1?}", fault.name(), started.elapsed());
    }
}
