//! End-to-end tests of `ovhiplb_refresh` (issue 4): a real Terraform CLI against the OVH API simulator. One apply
//! creates frontends then deploys them once; pending changes made behind Terraform's back show in the plan and are
//! deployed by the next apply; each deploy condition is checked before any refresh is sent and named when violated;
//! refresh tasks running elsewhere are waited for, failed tasks are reported with their details and stuck ones
//! end at the `timeouts` limit; import.

mod support;

use std::time::Duration;

use ovh_api_sim::{Fixture, SimConfig};
use serde_json::{Value, json};
use support::{LB, TestSim, TfWorkdir, hcl_string, spec_fixture, tf_config};

/// The HCL string literal of the spec fixture's load balancer.
fn lb() -> String {
    hcl_string(LB)
}

/// Two valid HTTP frontends (a default farm, a redirection) and the refresh wired after them.
fn frontends_and_refresh() -> String {
    format!(
        r#"
resource "ovhiplb_http_frontend" "web" {{
  service_name    = {lb}
  port            = "80"
  zone            = "all"
  default_farm_id = 11
}}

resource "ovhiplb_http_frontend" "moved" {{
  service_name      = {lb}
  port              = "81"
  zone              = "all"
  redirect_location = "https://example.com/"
}}

resource "ovhiplb_refresh" "deploy" {{
  service_name = {lb}
  triggers = {{
    frontends = sha1(jsonencode([ovhiplb_http_frontend.web, ovhiplb_http_frontend.moved]))
  }}
  depends_on = [ovhiplb_http_frontend.web, ovhiplb_http_frontend.moved]
}}
"#,
        lb = lb()
    )
}

/// How many `method` calls whose path ends with `suffix` the provider sent.
fn count_calls(sim: &TestSim, method: &str, suffix: &str) -> usize {
    sim.requests()
        .iter()
        .filter(|r| r.method == method && r.path.ends_with(suffix))
        .count()
}

/// The undeployed changes of `service_name`, all zones together, per the simulator.
fn pending_in_sim(sim: &TestSim, service_name: &str) -> u64 {
    let state = sim.state();
    let zones = &state["pending_changes"][service_name];
    zones
        .as_object()
        .map_or(0, |counts| counts.values().filter_map(Value::as_u64).sum())
}

/// The `ovhiplb_refresh` resource `name` in `terraform show -json`.
fn refresh_state(workdir: &TfWorkdir, name: &str) -> Value {
    let state = workdir.state_json();
    let resources = state["values"]["root_module"]["resources"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    resources
        .into_iter()
        .find(|r| r["address"] == format!("ovhiplb_refresh.{name}"))
        .unwrap_or_else(|| panic!("ovhiplb_refresh.{name} missing from the state: {state:#}"))["values"]
        .clone()
}

/// A change behind Terraform's back that leaves a change pending: a new frontend with a default farm.
fn add_frontend_behind_the_back(sim: &TestSim, port: &str) {
    sim.admin_json(
        "POST",
        &format!("/ovh/ipLoadbalancing/{LB}/http/frontend"),
        Some(&json!({"port": port, "zone": "all", "defaultFarmId": 11})),
    );
}

fn fault(rule: Value) -> Vec<ovh_api_sim::FaultRule> {
    vec![serde_json::from_value(rule).expect("a valid fault rule")]
}

#[test]
fn one_apply_deploys_once_and_outside_changes_show_in_the_plan() {
    let sim = TestSim::start();
    let workdir = TfWorkdir::new();
    workdir.write("main.tf", &tf_config(&sim, &frontends_and_refresh()));

    // One apply: both frontends, then exactly one deploy.
    workdir.apply();
    assert_eq!(
        count_calls(&sim, "POST", "/refresh"),
        1,
        "{:#?}",
        sim.requests()
    );
    assert_eq!(pending_in_sim(&sim, LB), 0, "{:#}", sim.state());
    let state = refresh_state(&workdir, "deploy");
    assert_eq!(state["pending_changes"], json!(0));
    assert_eq!(state["id"], json!(LB));

    // Nothing left to do.
    assert_eq!(workdir.plan_detailed_exitcode().code, Some(0));

    // A change made elsewhere shows as an update of the refresh, and apply deploys it.
    add_frontend_behind_the_back(&sim, "8080");
    let plan = workdir.plan_detailed_exitcode();
    assert_eq!(plan.code, Some(2), "{plan}");
    assert!(
        plan.stdout
            .contains("ovhiplb_refresh.deploy will be updated in-place"),
        "{plan}"
    );
    assert!(plan.stdout.contains("pending_changes"), "{plan}");
    assert!(
        plan.stdout.contains("0 to add, 1 to change, 0 to destroy"),
        "{plan}"
    );
    workdir.apply();
    assert_eq!(count_calls(&sim, "POST", "/refresh"), 2);
    assert_eq!(pending_in_sim(&sim, LB), 0);
    assert_eq!(workdir.plan_detailed_exitcode().code, Some(0));

    // Import, by service name; a malformed id is refused with the expected form.
    workdir.run_ok(&["state", "rm", "ovhiplb_refresh.deploy"]);
    let refused = workdir.import("ovhiplb_refresh.deploy", &format!("{LB}/gra/extra"));
    refused.assert_failure();
    assert!(
        refused.combined().contains("service_name/zone"),
        "{refused}"
    );
    workdir
        .import("ovhiplb_refresh.deploy", LB)
        .assert_success();
    let imported = refresh_state(&workdir, "deploy");
    assert_eq!(
        (
            imported["service_name"].clone(),
            imported["pending_changes"].clone()
        ),
        (json!(LB), json!(0))
    );
    // The imported resource has no triggers yet: applying records them without deploying (nothing is pending).
    workdir.apply();
    assert_eq!(count_calls(&sim, "POST", "/refresh"), 2);

    // Every call the provider made was accepted.
    let refused: Vec<_> = sim
        .requests()
        .into_iter()
        .filter(|r| r.status.is_none_or(|s| s >= 400))
        .collect();
    assert!(refused.is_empty(), "{refused:#?}");
}

/// Load balancers each breaking one deploy condition, each with a change pending.
fn broken_fixture() -> Fixture {
    let lb = |name: &str, vrack: Option<&str>| {
        json!({"service_name": name, "zones": ["gra"], "vrack_name": vrack,
               "vrack_networks": [{"vrack_network_id": 7, "subnet": "10.0.0.0/24", "nat_ip": "10.0.0.0/27", "vlan": 42}]})
    };
    let farm = |lb: &str, id: u64, network: Option<u64>| {
        json!({"service_name": lb, "protocol": "http", "farm_id": id, "zone": "gra", "port": 80,
               "vrack_network_id": network})
    };
    let frontend = |lb: &str, id: u64, farm: Option<u64>| {
        json!({"service_name": lb, "protocol": "http", "frontend_id": id, "port": "80", "zone": "gra",
               "defaultFarmId": farm})
    };
    serde_json::from_value(json!({
        "credentials": [{"application_key": "AK", "application_secret": "AS", "consumer_key": "CK"}],
        "load_balancers": [
            lb("loadbalancer-nofarm", None), lb("loadbalancer-empty", None),
            lb("loadbalancer-novrack", None), lb("loadbalancer-vrack", Some("pn-00042")),
        ],
        "farms": [
            farm("loadbalancer-nofarm", 11, None),
            farm("loadbalancer-novrack", 21, Some(7)),
            farm("loadbalancer-vrack", 31, Some(7)), farm("loadbalancer-vrack", 32, None),
        ],
        "frontends": [
            frontend("loadbalancer-nofarm", 100, None),
            frontend("loadbalancer-novrack", 200, Some(21)),
            frontend("loadbalancer-vrack", 300, Some(31)),
        ]
    }))
    .expect("the fixture deserialises")
}

#[test]
fn each_violated_deploy_condition_is_named_and_nothing_is_sent() {
    let sim = TestSim::with_fixture(broken_fixture());
    // A pending change on each: a display name, or a frontend created then deleted (leaving none).
    for (name, frontend) in [
        ("loadbalancer-nofarm", 100),
        ("loadbalancer-novrack", 200),
        ("loadbalancer-vrack", 300),
    ] {
        let path = format!("/ovh/ipLoadbalancing/{name}/http/frontend/{frontend}");
        sim.admin_json("PUT", &path, Some(&json!({"displayName": "changed"})));
    }
    let created = sim.admin_json(
        "POST",
        "/ovh/ipLoadbalancing/loadbalancer-empty/http/frontend",
        Some(&json!({"port": "80", "zone": "gra"})),
    );
    let id = created["frontendId"].as_u64().expect("a frontend id");
    sim.admin_json(
        "DELETE",
        &format!("/ovh/ipLoadbalancing/loadbalancer-empty/http/frontend/{id}"),
        None,
    );

    let body: String = ["nofarm", "empty", "novrack", "vrack"]
        .iter()
        .map(|name| {
            format!(
                "resource \"ovhiplb_refresh\" \"{name}\" {{\n  service_name = \"loadbalancer-{name}\"\n}}\n"
            )
        })
        .collect();
    let workdir = TfWorkdir::new();
    workdir.write("main.tf", &tf_config(&sim, &body));
    workdir.try_apply().assert_failure().assert_mentions(&[
        "Cannot deploy loadbalancer-nofarm: http frontend 100 (\"changed\") is invalid: it has no route, no \
         redirect_location and no default_farm_id",
        "Cannot deploy loadbalancer-empty: the load balancer has no frontend",
        "Cannot deploy loadbalancer-novrack: http farm 21 is inside vRack network 7, but the load balancer is not \
         attached to a vRack",
        "Cannot deploy loadbalancer-vrack: http farm 32 is outside the vRack",
    ]);
    assert_eq!(
        count_calls(&sim, "POST", "/refresh"),
        0,
        "a refresh was sent: {:#?}",
        sim.requests()
    );
    // Nothing was created in state for the failed deploys, and the changes are still pending.
    assert_eq!(pending_in_sim(&sim, "loadbalancer-nofarm"), 1);
}

#[test]
fn running_failed_and_stuck_refresh_tasks() {
    // Long enough tasks that the provider sees a refresh started elsewhere still running.
    const TASK: Duration = Duration::from_secs(6);
    let mut fixture = spec_fixture();
    let extra: Fixture = serde_json::from_value(json!({"frontends": [
        {"service_name": LB, "protocol": "http", "frontend_id": 100, "port": "80", "zone": "all", "defaultFarmId": 11}
    ]}))
    .expect("the frontends deserialise");
    fixture.frontends = extra.frontends;
    let sim = TestSim::with_config(SimConfig {
        fixture,
        task_duration: TASK,
        ..SimConfig::default()
    });
    let frontend_path = format!("/ovh/ipLoadbalancing/{LB}/http/frontend/100");
    let change =
        |name: &str| sim.admin_json("PUT", &frontend_path, Some(&json!({"displayName": name})));

    let config = |timeout: &str| {
        format!(
            "resource \"ovhiplb_refresh\" \"deploy\" {{\n  service_name = {}\n  timeouts {{\n    create = \
             {timeout}\n    update = {timeout}\n  }}\n}}\n",
            lb(),
            timeout = hcl_string(timeout)
        )
    };
    let workdir = TfWorkdir::new();
    workdir.write("main.tf", &tf_config(&sim, &config("2m")));

    // A refresh started elsewhere is waited for; it deploys the change, so the provider sends none.
    change("one");
    sim.admin_json(
        "POST",
        &format!("/ovh/ipLoadbalancing/{LB}/refresh"),
        Some(&json!({})),
    );
    workdir.apply();
    assert_eq!(
        count_calls(&sim, "POST", "/refresh"),
        0,
        "{:#?}",
        sim.requests()
    );
    let listed = sim
        .requests()
        .iter()
        .any(|r| r.path.ends_with("/task") && r.query.is_some());
    let polled = count_calls(&sim, "GET", "/task/1");
    assert!(
        listed && polled > 0,
        "the running refresh was not waited for: {:#?}",
        sim.requests()
    );
    assert_eq!(pending_in_sim(&sim, LB), 0);

    // A failed refresh task is an error with its details as soon as it fails.
    change("two");
    sim.add_faults(fault(json!({"method": "POST", "path": "/ipLoadbalancing/*/refresh", "kind": "task_status",
                                "status": "error", "comment": "simulated deploy failure", "times": 1})))
        .expect("fault accepted");
    let failed = workdir.try_apply();
    failed.assert_failure().assert_contains(&[
        &format!("Deploying {LB} failed"),
        "simulated deploy failure",
        "status error",
    ]);
    assert!(
        failed.elapsed < TASK * 4,
        "the failure was not reported at once: {failed}"
    );
    assert_eq!(
        pending_in_sim(&sim, LB),
        2,
        "a failed deploy leaves the changes pending"
    );

    // A stuck refresh task ends at the configured timeout, naming it.
    sim.add_faults(fault(
        json!({"method": "POST", "path": "/ipLoadbalancing/*/refresh", "kind": "task_stuck",
                                "times": 1}),
    ))
    .expect("fault accepted");
    workdir.write("main.tf", &tf_config(&sim, &config("2s")));
    let stuck = workdir.try_apply();
    stuck.assert_failure();
    assert!(stuck.combined().contains("timeouts.update"), "{stuck}");
    assert!(stuck.elapsed < Duration::from_secs(30), "{stuck}");
}
