//! End-to-end tests of `ovhiplb_http_frontend`, `ovhiplb_tcp_frontend` and `ovhiplb_udp_frontend` (issue 4):
//! real Terraform against the simulator. Each step runs the three protocols at once (one configuration holds a
//! frontend of each), so the whole lifecycle costs a handful of Terraform runs per test.

mod support;

use serde_json::{Value, json};
use support::{AK, AS, CK, LB, TestSim, TfWorkdir, farm_per_protocol, hcl_string, tf_config};

/// A second load balancer, for replacement on a `service_name` change.
const LB2: &str = "loadbalancer-4567ef01";
/// Failover IPs routed to [`LB`] (shared by the three frontends) and one routed to [`LB2`].
const IP_A: &str = "203.0.113.7/32";
const IP_B: &str = "203.0.113.8/32";
const IP_LB2: &str = "203.0.113.20/32";

const PROTOCOLS: [&str; 3] = ["http", "tcp", "udp"];

/// Two LBs with FOIPs routed to them, a farm of each protocol on [`LB`], and one seeded frontend per protocol
/// (ids 100, 200, 300) for the import tests.
fn fixture(with_frontends: bool) -> ovh_api_sim::Fixture {
    let farms = farm_per_protocol([11, 21, 31], "gra", 80);
    let frontends = if with_frontends {
        json!([
            {"service_name": LB, "protocol": "http", "frontend_id": 100, "port": "80,443", "zone": "all",
             "defaultFarmId": 11, "dedicatedIpfo": [IP_A], "displayName": "web", "httpHeader": ["X-Port: %fp"],
             "deniedSource": ["198.51.100.0/24"], "hsts": true},
            {"service_name": LB, "protocol": "tcp", "frontend_id": 200, "port": "5000-5010", "zone": "gra",
             "defaultFarmId": 21, "dedicatedIpfo": [IP_A, IP_B], "allowedSource": ["10.0.0.0/8"]},
            {"service_name": LB, "protocol": "udp", "frontend_id": 300, "port": "53", "zone": "rbx",
             "disabled": true}
        ])
    } else {
        json!([])
    };
    serde_json::from_value(json!({
        "credentials": [{"application_key": AK, "application_secret": AS, "consumer_key": CK}],
        "load_balancers": [
            {"service_name": LB, "zones": ["gra", "rbx"], "ipv4": "198.51.100.10", "vrack_name": null,
             "display_name": "web"},
            {"service_name": LB2, "zones": ["gra"], "ipv4": "198.51.100.11", "vrack_name": null,
             "display_name": "other"}
        ],
        "failover_ips": [
            {"ip": IP_A, "routed_to": LB}, {"ip": IP_B, "routed_to": LB}, {"ip": IP_LB2, "routed_to": LB2}
        ],
        "farms": farms,
        "frontends": frontends,
    }))
    .expect("the frontend fixture deserialises")
}

/// A resource block; `attributes` are already rendered HCL lines.
fn frontend(protocol: &str, name: &str, attributes: &[String]) -> String {
    let mut block = format!("resource \"ovhiplb_{protocol}_frontend\" \"{name}\" {{\n");
    for line in attributes {
        block.push_str(&format!("  {line}\n"));
    }
    block.push_str("}\n\n");
    block
}

/// A frontend of `LB` on `port` in `zone` (the first lines of its block, in this order: the tests edit the HCL by
/// them), then the other `attributes`.
fn lb_frontend(
    protocol: &str,
    name: &str,
    port: &str,
    zone: &str,
    attributes: &[String],
) -> String {
    let placement = [
        attr("service_name", LB),
        attr("port", port),
        attr("zone", zone),
    ];
    frontend(protocol, name, &[&placement[..], attributes].concat())
}

fn attr(name: &str, value: &str) -> String {
    format!("{name} = {}", hcl_string(value))
}

fn ips(name: &str, values: &[&str]) -> String {
    let items: Vec<String> = values.iter().map(|v| hcl_string(v)).collect();
    format!("{name} = [{}]", items.join(", "))
}

/// The sim's frontends as `(service_name, protocol, fields)`.
fn sim_frontends(sim: &TestSim) -> Vec<(String, String, Value)> {
    sim.state()["frontends"]
        .as_array()
        .expect("the sim state lists frontends")
        .iter()
        .map(|f| {
            let text = |k: &str| f[k].as_str().unwrap_or_default().to_owned();
            (text("service_name"), text("protocol"), f["object"].clone())
        })
        .collect()
}

#[track_caller]
fn sim_frontend(sim: &TestSim, service_name: &str, protocol: &str, id: i64) -> Value {
    sim_frontends(sim)
        .into_iter()
        .find(|(sn, p, f)| sn == service_name && p == protocol && f["frontendId"] == json!(id))
        .map(|(_, _, f)| f)
        .unwrap_or_else(|| {
            panic!(
                "no {protocol} frontend {id} on {service_name}: {:#}",
                sim.state()["frontends"]
            )
        })
}

/// `frontend_id` of the http, tcp and udp frontend in the state (one resource of each).
#[track_caller]
fn state_ids(workdir: &TfWorkdir) -> [i64; 3] {
    let state = workdir.state_json();
    let resources = state["values"]["root_module"]["resources"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    PROTOCOLS.map(|protocol| {
        let ty = format!("ovhiplb_{protocol}_frontend");
        resources
            .iter()
            .find(|r| r["type"] == json!(ty))
            .and_then(|r| r["values"]["frontend_id"].as_i64())
            .unwrap_or_else(|| panic!("no {ty} with a frontend_id in the state: {state:#}"))
    })
}

/// Every call the provider made was accepted, except 404s of frontend reads and deletes (gone objects).
#[track_caller]
fn assert_requests_valid(sim: &TestSim) {
    for request in sim.requests() {
        let status = request.status.unwrap_or(0);
        let expected_404 = status == 404
            && matches!(request.method.as_str(), "GET" | "DELETE")
            && request.path.contains("/frontend/");
        assert!(
            (200..300).contains(&status) || expected_404,
            "the provider sent an invalid request: {request:?}"
        );
    }
}

/// Create, no-op plan, in-place update, drift in both directions, replacement on `service_name` change, destroy;
/// three frontends sharing failover IPs, given in both bare and CIDR form.
#[test]
fn lifecycle_of_the_three_protocols() {
    let sim = TestSim::with_fixture(fixture(false));
    let before = sim_frontends(&sim);
    let workdir = TfWorkdir::new();
    let write = |body: &str| workdir.write("main.tf", &tf_config(&sim, body));

    // 1. Create: the three frontends share IP_A, written bare, in CIDR form, and bare again.
    let v1 = lb_frontend(
        "http",
        "web",
        "80",
        "all",
        &[
            ips("dedicated_ipfo", &["203.0.113.7"]),
            "default_farm_id = 11".into(),
            attr("display_name", "web"),
            ips("allowed_source", &["10.0.0.0/8", "192.0.2.1"]),
            ips("http_header", &["X-Port: %fp"]),
        ],
    ) + &lb_frontend(
        "tcp",
        "db",
        "5432",
        "gra",
        &[ips("dedicated_ipfo", &[IP_A]), attr("display_name", "db")],
    ) + &lb_frontend(
        "udp",
        "dns",
        "53",
        "rbx",
        &[
            ips("dedicated_ipfo", &["203.0.113.7"]),
            attr("display_name", "dns"),
        ],
    );
    write(&v1);
    workdir.apply();
    let [http, tcp, udp] = state_ids(&workdir);
    let web = sim_frontend(&sim, LB, "http", http);
    assert_eq!(web["dedicatedIpfo"], json!([IP_A]));
    assert_eq!(web["allowedSource"], json!(["10.0.0.0/8", "192.0.2.1/32"]));
    assert_eq!(web["httpHeader"], json!(["X-Port: %fp"]));
    assert_eq!(web["defaultFarmId"], json!(11));
    for (protocol, id) in [("tcp", tcp), ("udp", udp)] {
        assert_eq!(
            sim_frontend(&sim, LB, protocol, id)["dedicatedIpfo"],
            json!([IP_A])
        );
    }
    workdir.assert_plan_clean("after create");

    // 2. Update in place: ports, display_name cleared, dedicated_ipfo changed.
    let v2 = v1
        .replace("port = \"80\"", "port = \"80,8080-8090\"")
        .replace("port = \"5432\"", "port = \"5432,5433\"")
        .replace("port = \"53\"", "port = \"53-54\"")
        .replace("  display_name = \"web\"\n", "")
        .replace("  display_name = \"db\"\n", "")
        .replace("  display_name = \"dns\"\n", "")
        .replace(
            "dedicated_ipfo = [\"203.0.113.7\"]",
            "dedicated_ipfo = [\"203.0.113.7\", \"203.0.113.8\"]",
        )
        .replace(
            "dedicated_ipfo = [\"203.0.113.7/32\"]",
            "dedicated_ipfo = [\"203.0.113.8/32\"]",
        );
    write(&v2);
    let plan = workdir.plan_detailed_exitcode();
    assert!(
        plan.stdout.contains("3 to change, 0 to destroy"),
        "expected three in-place updates:\n{plan}"
    );
    workdir.apply();
    assert_eq!(state_ids(&workdir), [http, tcp, udp]);
    let expected = [
        ("http", http, "80,8080-8090", json!([IP_A, IP_B])),
        ("tcp", tcp, "5432,5433", json!([IP_B])),
    ];
    for (protocol, id, port, ipfo) in expected {
        let object = sim_frontend(&sim, LB, protocol, id);
        assert_eq!(object["port"], json!(port), "{protocol}");
        assert_eq!(
            object["displayName"],
            Value::Null,
            "{protocol}: a cleared display_name is cleared in the API"
        );
        let mut got: Vec<String> = serde_json::from_value(object["dedicatedIpfo"].clone()).unwrap();
        got.sort();
        assert_eq!(json!(got), ipfo, "{protocol}");
    }
    assert_eq!(sim_frontend(&sim, LB, "udp", udp)["port"], json!("53-54"));
    workdir.assert_plan_clean("after the update");

    // 3. Drift: a change behind Terraform's back shows in the plan and apply puts it back; a deleted frontend
    //    is recreated.
    let changed = sim.admin(
        "PUT",
        &format!("/ovh/ipLoadbalancing/{LB}/http/frontend/{http}"),
        Some(&json!({"port": "81", "displayName": "hand-made"})),
    );
    assert_eq!(changed.status, 200, "{}", changed.body);
    let deleted = sim.admin(
        "DELETE",
        &format!("/ovh/ipLoadbalancing/{LB}/tcp/frontend/{tcp}"),
        None,
    );
    assert_eq!(deleted.status, 200, "{}", deleted.body);
    let plan = workdir.plan_detailed_exitcode();
    assert_eq!(plan.code, Some(2), "{plan}");
    assert!(
        plan.stdout.contains("\"81\" -> \"80,8080-8090\""),
        "the port drift is shown:\n{plan}"
    );
    assert!(
        plan.stdout.contains("\"hand-made\" -> null"),
        "the display_name drift is shown:\n{plan}"
    );
    assert!(
        plan.stdout.contains("1 to add, 1 to change, 0 to destroy"),
        "{plan}"
    );
    workdir.apply();
    let web = sim_frontend(&sim, LB, "http", http);
    assert_eq!(
        (&web["port"], &web["displayName"]),
        (&json!("80,8080-8090"), &Value::Null)
    );
    let [_, recreated, _] = state_ids(&workdir);
    assert_ne!(recreated, tcp);
    assert_eq!(
        sim_frontend(&sim, LB, "tcp", recreated)["port"],
        json!("5432,5433")
    );
    workdir.assert_plan_clean("after repairing drift");

    // 4. A service_name change replaces the frontend.
    let v3 = v2.replacen(
        &format!("{}\n  port = \"53-54\"", attr("service_name", LB)),
        &format!("{}\n  port = \"53-54\"", attr("service_name", LB2)),
        1,
    );
    let v3 = v3.replace(
        "zone = \"rbx\"\n  dedicated_ipfo = [\"203.0.113.7\", \"203.0.113.8\"]",
        &format!("zone = \"all\"\n  {}", ips("dedicated_ipfo", &[IP_LB2])),
    );
    assert_ne!(v3, v2, "the udp frontend moves to {LB2}");
    write(&v3);
    let plan = workdir.plan_detailed_exitcode();
    assert!(plan.stdout.contains("must be replaced"), "{plan}");
    assert!(
        plan.stdout.contains("1 to add, 0 to change, 1 to destroy"),
        "{plan}"
    );
    workdir.apply();
    let [_, _, moved] = state_ids(&workdir);
    assert_eq!(
        sim_frontend(&sim, LB2, "udp", moved)["dedicatedIpfo"],
        json!([IP_LB2])
    );
    assert!(
        !sim_frontends(&sim)
            .iter()
            .any(|(sn, p, f)| sn == LB && p == "udp" && f["frontendId"] == json!(udp))
    );
    workdir.assert_plan_clean("after the replacement");

    // 5. Destroy leaves the simulator as it was.
    workdir.destroy();
    assert_eq!(sim_frontends(&sim), before);
    assert_requests_valid(&sim);
}

/// The frontends seeded in the fixture, as a configuration would declare them (what import must match).
fn seeded_config() -> String {
    lb_frontend(
        "http",
        "web",
        "80,443",
        "all",
        &[
            ips("dedicated_ipfo", &["203.0.113.7"]),
            "default_farm_id = 11".into(),
            attr("display_name", "web"),
            ips("denied_source", &["198.51.100.0/24"]),
            ips("http_header", &["X-Port: %fp"]),
            "hsts = true".into(),
        ],
    ) + &lb_frontend(
        "tcp",
        "db",
        "5000-5010",
        "gra",
        &[
            ips("dedicated_ipfo", &[IP_B, IP_A]),
            "default_farm_id = 21".into(),
            ips("allowed_source", &["10.0.0.0/8"]),
        ],
    ) + &lb_frontend("udp", "dns", "53", "rbx", &["disabled = true".into()])
}

/// `terraform import` into a hand-written configuration, and `import {}` blocks with generated configuration:
/// both plan clean afterwards.
#[test]
fn import_with_the_cli_and_with_import_blocks() {
    let sim = TestSim::with_fixture(fixture(true));

    let cli = TfWorkdir::new();
    cli.write("main.tf", &tf_config(&sim, &seeded_config()));
    for (protocol, name, id) in [
        ("http", "web", 100),
        ("tcp", "db", 200),
        ("udp", "dns", 300),
    ] {
        cli.import(
            &format!("ovhiplb_{protocol}_frontend.{name}"),
            &format!("{LB}/{id}"),
        )
        .assert_success();
    }
    cli.assert_plan_clean("after terraform import");
    // An id of another protocol's frontend does not exist for this one.
    let wrong = cli.import("ovhiplb_tcp_frontend.other", &format!("{LB}/100"));
    wrong.assert_failure();

    let blocks = TfWorkdir::new();
    let mut body = String::new();
    for (protocol, id) in [("http", 100), ("tcp", 200), ("udp", 300)] {
        body.push_str(&format!(
            "import {{\n  to = ovhiplb_{protocol}_frontend.imported\n  id = {}\n}}\n\n",
            hcl_string(&format!("{LB}/{id}"))
        ));
    }
    blocks.write("main.tf", &tf_config(&sim, &body));
    blocks.run_ok(&[
        "plan",
        "-input=false",
        "-no-color",
        "-generate-config-out=generated.tf",
    ]);
    let generated =
        std::fs::read_to_string(blocks.path().join("generated.tf")).expect("generated.tf written");
    eprintln!("--- generated.tf ---\n{generated}");
    assert!(generated.contains("ovhiplb_udp_frontend"), "{generated}");
    blocks.assert_plan_imports(3);
    blocks.apply();
    blocks.assert_plan_clean("after importing through import blocks");
    assert_requests_valid(&sim);
}

/// Invalid values are rejected at plan time, pointing at the attribute; nothing reaches the API.
#[test]
fn invalid_values_are_rejected_at_plan_time() {
    let sim = TestSim::with_fixture(fixture(false));
    let workdir = TfWorkdir::new();
    let base = |protocol: &str, name: &str, extra: &[String]| {
        let mut attributes = vec![attr("service_name", LB), attr("zone", "gra")];
        attributes.extend_from_slice(extra);
        if !extra.iter().any(|a| a.starts_with("port")) {
            attributes.push(attr("port", "80"));
        }
        frontend(protocol, name, &attributes)
    };
    let statics = base("http", "bad_port", &[attr("port", "80,70000")])
        + &base("tcp", "bad_range", &[attr("port", "90-80")])
        + &base(
            "udp",
            "bad_ip",
            &[ips("dedicated_ipfo", &["203.0.113.300"])],
        )
        + &base(
            "tcp",
            "both_sources",
            &[
                ips("allowed_source", &["10.0.0.0/8"]),
                ips("denied_source", &["192.0.2.0/24"]),
            ],
        )
        + &frontend(
            "http",
            "bad_lb",
            &[
                attr("service_name", "a/b"),
                attr("zone", "gra"),
                attr("port", "80"),
            ],
        );
    workdir.write("main.tf", &tf_config(&sim, &statics));
    workdir.plan().assert_failure().assert_contains(&[
        "port 70000 in \"80,70000\" is out of range",
        "port = \"80,70000\"",
        "the range \"90-80\"",
        "\"203.0.113.300\" is not an IP address or block",
        "dedicated_ipfo = [\"203.0.113.300\"]",
        "Conflicting source filters",
        "denied_source = [\"192.0.2.0/24\"]",
        "contains '/'",
    ]);

    // The zone is checked against the LB's zones, with one zone call for several frontends.
    let zones = base("http", "a", &[attr("port", "80")]).replace("\"gra\"", "\"bhs\"")
        + &base("tcp", "b", &[attr("port", "81")])
        + &base("udp", "c", &[attr("port", "82")]);
    workdir.write("main.tf", &tf_config(&sim, &zones));
    let plan = workdir.plan();
    plan.assert_failure();
    let output = plan.combined();
    assert!(
        output.contains("\"bhs\" is not a zone of loadbalancer-0123abcd"),
        "{plan}"
    );
    assert!(
        output.contains("zone         = \"bhs\"") || output.contains("zone = \"bhs\""),
        "{plan}"
    );
    let zone_calls = sim
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/zone"))
        .count();
    assert_eq!(zone_calls, 1, "{:#?}", sim.requests());

    // A malformed import id names the expected form.
    workdir.write("main.tf", &tf_config(&sim, &base("udp", "c", &[])));
    let import = workdir.import("ovhiplb_udp_frontend.c", "53");
    import.assert_failure();
    assert!(
        import.combined().contains("service_name/frontend_id"),
        "{import}"
    );
    let writes = sim.writes_since(0);
    assert_eq!(
        writes.len(),
        0,
        "nothing may be written: {:#?}",
        sim.requests()
    );
    assert_requests_valid(&sim);
}
