//! End-to-end tests of `ovhiplb_failover_ip_attachment` and the `ovhiplb_failover_ips` and
//! `ovhiplb_load_balancer` data sources: a real Terraform CLI drives the built provider against the
//! OVH API simulator. Steps are grouped per scenario to keep the number of Terraform runs modest.

mod support;

use std::time::Duration;

use serde_json::{Value, json};
use support::{LB, TestSim, TfWorkdir, hcl_string, tf_config};

const OTHER_LB: &str = "loadbalancer-4567cdef";
const IP: &str = "203.0.113.7";
const IP2: &str = "203.0.113.8";
const IP3: &str = "203.0.113.9";
const ADDR: &str = "ovhiplb_failover_ip_attachment.a";

/// Two load balancers and three free failover IPs.
fn fixture(routed: &[(&str, &str)]) -> ovh_api_sim::Fixture {
    let routed_to = |ip: &str| {
        routed
            .iter()
            .find(|(routed_ip, _)| *routed_ip == ip)
            .map(|(_, lb)| json!(lb))
            .unwrap_or(Value::Null)
    };
    let ips: Vec<Value> = [IP, IP2, IP3]
        .iter()
        .map(|ip| json!({"ip": format!("{ip}/32"), "routed_to": routed_to(ip)}))
        .collect();
    serde_json::from_value(json!({
        "credentials": [{"application_key": support::AK, "application_secret": support::AS,
                         "consumer_key": support::CK}],
        "load_balancers": [
            {"service_name": LB, "zones": ["gra", "rbx"], "ipv4": "198.51.100.10", "display_name": "web",
             "offer": "iplb-lb1", "state": "ok"},
            {"service_name": OTHER_LB, "zones": ["sbg"], "ipv4": "198.51.100.20"}
        ],
        "failover_ips": ips
    }))
    .expect("the test fixture deserialises")
}

/// An attachment resource block.
fn attachment(name: &str, service_name: &str, ip: &str, extra: &str) -> String {
    format!(
        "resource \"ovhiplb_failover_ip_attachment\" {} {{\n  service_name = {}\n  ip = {}\n{extra}}}\n",
        hcl_string(name),
        hcl_string(service_name),
        hcl_string(ip)
    )
}

/// The load balancer an IP is routed to, per the simulator (`None` when parked).
fn routed_to(sim: &TestSim, ip: &str) -> Option<String> {
    let found = sim.admin_json("GET", &format!("/ovh/ip/{ip}"), None);
    found["routedTo"]["serviceName"].as_str().map(str::to_owned)
}

/// Moves or parks an IP behind Terraform's back.
fn route_behind_terraform(sim: &TestSim, ip: &str, to: Option<&str>) {
    sim.admin_json(
        "POST",
        &format!("/ip/{ip}/route"),
        Some(&json!({ "to": to })),
    );
}

fn moves(sim: &TestSim) -> usize {
    sim.requests()
        .iter()
        .filter(|r| r.method == "POST" && r.path.ends_with("/move"))
        .count()
}

/// A working directory with `body` under the provider (dev_overrides: no `terraform init` needed).
fn workdir_with(sim: &TestSim, body: &str) -> TfWorkdir {
    let workdir = TfWorkdir::new();
    workdir.write("main.tf", &tf_config(sim, body));
    workdir
}

fn rewrite(workdir: &TfWorkdir, sim: &TestSim, body: &str) {
    workdir.write("main.tf", &tf_config(sim, body));
}

#[track_caller]
fn assert_plan_recreates(workdir: &TfWorkdir, why: &str) {
    let plan = workdir.plan_detailed_exitcode();
    assert_eq!(plan.code, Some(2), "{why}: expected changes:\n{plan}");
    assert!(
        plan.stdout.contains(&format!("{ADDR} will be created")),
        "{why}: the attachment should be planned for creation:\n{plan}"
    );
}

/// Create, no diff in either IP form, data sources, drift (parked, moved away), replacement, destroy.
#[test]
fn lifecycle_drift_replacement_and_destroy() {
    let sim = TestSim::with_fixture(fixture(&[]));
    let data = format!(
        "data \"ovhiplb_failover_ips\" \"lb\" {{\n  service_name = {ADDR}.service_name\n}}\n\
         data \"ovhiplb_load_balancer\" \"lb\" {{\n  service_name = {lb}\n}}\n\
         output \"ips\" {{\n  value = data.ovhiplb_failover_ips.lb.ips\n}}\n\
         output \"lb\" {{\n  value = data.ovhiplb_load_balancer.lb\n}}\n",
        lb = hcl_string(LB)
    );
    let bare = format!("{}{data}", attachment("a", LB, IP, ""));
    let workdir = workdir_with(&sim, &bare);

    let plan = workdir.plan_detailed_exitcode();
    assert!(
        plan.stdout.contains(&format!("= \"{LB}/{IP}/32\"")),
        "the id is known at plan time:\n{plan}"
    );
    workdir.apply();
    assert_eq!(routed_to(&sim, IP).as_deref(), Some(LB));
    assert_eq!(moves(&sim), 1);
    workdir.assert_plan_clean("bare IP after create");
    let state = workdir.state_json();
    let outputs = &state["values"]["outputs"];
    assert_eq!(
        outputs["ips"]["value"],
        json!([format!("{IP}/32")]),
        "{state:#}"
    );
    let lb = &outputs["lb"]["value"];
    assert_eq!(lb["ipv4"], "198.51.100.10", "{lb:#}");
    assert_eq!(lb["display_name"], "web");
    assert_eq!(lb["offer"], "iplb-lb1");
    assert_eq!(lb["state"], "ok");
    assert_eq!(lb["vrack_name"], Value::Null);
    assert_eq!(lb["zones"], json!(["gra", "rbx"]));
    let resource = state["values"]["root_module"]["resources"]
        .as_array()
        .and_then(|all| all.iter().find(|r| r["address"] == ADDR))
        .cloned()
        .unwrap_or_default();
    assert_eq!(resource["values"]["id"], format!("{LB}/{IP}/32"));
    assert_eq!(resource["values"]["ip"], IP, "the configured form is kept");

    rewrite(
        &workdir,
        &sim,
        &format!("{}{data}", attachment("a", LB, &format!("{IP}/32"), "")),
    );
    workdir.assert_plan_clean("same IP written with /32");

    route_behind_terraform(&sim, IP, None);
    assert_plan_recreates(&workdir, "IP parked outside Terraform");
    workdir.apply();
    assert_eq!(routed_to(&sim, IP).as_deref(), Some(LB));

    route_behind_terraform(&sim, IP, Some(OTHER_LB));
    assert_plan_recreates(&workdir, "IP moved to another LB outside Terraform");
    workdir.apply();
    assert_eq!(routed_to(&sim, IP).as_deref(), Some(LB));
    workdir.assert_plan_clean("after repairing drift");

    rewrite(
        &workdir,
        &sim,
        &format!("{}{data}", attachment("a", LB, IP2, "")),
    );
    let plan = workdir.plan_detailed_exitcode();
    assert!(
        plan.stdout.contains("must be replaced") && plan.stdout.contains("forces replacement"),
        "changing ip replaces the attachment:\n{plan}"
    );
    workdir.apply();
    assert_eq!(routed_to(&sim, IP), None, "the old IP is parked");
    assert_eq!(routed_to(&sim, IP2).as_deref(), Some(LB));

    workdir.destroy();
    for ip in [IP, IP2, IP3] {
        assert_eq!(routed_to(&sim, ip), None, "{ip} parked after destroy");
    }
}

/// Adoption without a move, `terraform import`, an `import {}` block with generated config, and two
/// load balancers in one configuration.
#[test]
fn adoption_import_and_two_load_balancers() {
    let sim = TestSim::with_fixture(fixture(&[(IP, LB), (IP2, OTHER_LB)]));
    let body = format!(
        "{}{}",
        attachment("a", LB, IP, ""),
        attachment("b", OTHER_LB, &format!("{IP2}/32"), "")
    );
    let workdir = workdir_with(&sim, &body);
    workdir.apply();
    assert_eq!(
        moves(&sim),
        0,
        "routed IPs are adopted without a move: {:#?}",
        sim.requests()
    );
    workdir.assert_plan_clean("after adoption");

    workdir.run_ok(&["state", "rm", ADDR]);
    workdir
        .import(ADDR, &format!("{LB}/{IP}/32"))
        .assert_success();
    workdir.assert_plan_clean("after terraform import (config has the bare IP)");

    // A fresh directory that only knows the import block generates the resource's configuration.
    let generated = TfWorkdir::new();
    let import_block = format!(
        "import {{\n  to = ovhiplb_failover_ip_attachment.imported\n  id = {}\n}}\n",
        hcl_string(&format!("{OTHER_LB}/{IP2}"))
    );
    generated.write("main.tf", &tf_config(&sim, &import_block));
    let plan = generated.run_ok(&[
        "plan",
        "-input=false",
        "-no-color",
        "-generate-config-out=generated.tf",
    ]);
    assert!(
        plan.stdout
            .contains("1 to import, 0 to add, 0 to change, 0 to destroy"),
        "{plan}"
    );
    let written =
        std::fs::read_to_string(generated.path().join("generated.tf")).unwrap_or_default();
    assert!(
        written.contains(OTHER_LB) && written.contains(IP2),
        "{written}"
    );
    generated.assert_plan_imports(1);
    generated.apply();
    generated.assert_plan_clean("after importing through an import block");
    assert_eq!(moves(&sim), 0, "import never moves: {:#?}", sim.requests());
}

/// Applies an attachment of `ip` with `timeouts.create`, the next move task being faulted by
/// `fault` (a simulator fault rule without its route); returns the failed apply.
fn apply_with_move_fault(
    workdir: &TfWorkdir,
    sim: &TestSim,
    mut fault: Value,
    ip: &str,
    create_timeout: &str,
) -> support::TfOutput {
    fault["method"] = json!("POST");
    fault["path"] = json!("/ip/*/move");
    fault["times"] = json!(1);
    sim.admin_json("POST", "/faults", Some(&fault));
    let timeouts = format!(
        "  timeouts {{\n    create = {}\n  }}\n",
        hcl_string(create_timeout)
    );
    rewrite(workdir, sim, &attachment("a", LB, ip, &timeouts));
    let apply = workdir.try_apply();
    apply.assert_failure();
    apply
}

/// Plan-time rejections, a failed move task, a stuck task ending at `timeouts.create`.
#[test]
fn invalid_input_failed_and_stuck_tasks() {
    let sim = TestSim::with_fixture(fixture(&[]));
    let workdir = workdir_with(&sim, &attachment("a", LB, "203.0.113.999", ""));
    // The error points at ip.
    (workdir.plan().assert_failure())
        .assert_contains(&["Invalid IP address or block", "ip = \"203.0.113.999\""]);

    rewrite(&workdir, &sim, &attachment("a", "loadbalancer/x", IP, ""));
    (workdir.plan().assert_failure()).assert_contains(&["service_name = \"loadbalancer/x\""]);

    rewrite(&workdir, &sim, &attachment("a", LB, IP, ""));
    // The expected form is named.
    (workdir.import(ADDR, LB).assert_failure()).assert_contains(&["service_name/ip"]);
    (workdir
        .import(ADDR, &format!("{LB}/not-an-ip"))
        .assert_failure())
    .assert_contains(&["not-an-ip"]);
    let import_block = format!("import {{\n  to = {ADDR}\n  id = {}\n}}\n", hcl_string(LB));
    rewrite(
        &workdir,
        &sim,
        &format!("{}{import_block}", attachment("a", LB, IP, "")),
    );
    (workdir.plan().assert_failure()).assert_contains(&["service_name/ip"]);
    assert_eq!(moves(&sim), 0, "nothing invalid reaches the API");

    let fault = json!({"kind": "task_status", "status": "customerError",
                       "comment": "IP is blocked for abuse"});
    let apply = apply_with_move_fault(&workdir, &sim, fault, IP, "5m");
    // The task's comment and status are reported.
    apply.assert_mentions(&[
        "IP is blocked for abuse",
        "failed with status customerError",
    ]);
    assert!(
        apply.elapsed < Duration::from_secs(60),
        "a failed task fails at once:\n{apply}"
    );
    assert_eq!(routed_to(&sim, IP), None);
    assert_eq!(
        workdir.state_json()["values"]["root_module"]["resources"],
        Value::Null
    );

    let apply = apply_with_move_fault(&workdir, &sim, json!({"kind": "task_stuck"}), IP2, "3s");
    apply.assert_mentions(&["timeouts.create", "3s"]); // the timeout is named
    assert!(apply.elapsed >= Duration::from_secs(3), "{apply}");
    assert!(apply.elapsed < Duration::from_secs(60), "{apply}");
}
