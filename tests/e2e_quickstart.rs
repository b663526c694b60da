//! End-to-end test of `examples/quickstart`, what `scripts/demo` shows a newcomer: against the
//! simulator seeded with the quickstart's fixture, one `apply` routes the failover IPs, creates
//! the three frontends and deploys the configuration; a second plan has nothing to do; `destroy`
//! leaves the load balancer as it was.
//!
//! Like the demo, it runs a real `terraform init`: the provider is installed from a local
//! filesystem mirror holding the fresh build (`dev_overrides` would make init query the registry,
//! which a machine without internet access cannot reach).

mod support;

use std::path::Path;

use ovh_api_sim::Fixture;
use serde_json::Value;
use support::{PROVIDER_SOURCE, TestSim, TfWorkdir, hcl_string, provider_dir, routed_ips};

const LB: &str = "loadbalancer-0123abcd";

fn quickstart() -> &'static Path {
    static DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/quickstart");
    Path::new(DIR)
}

/// The simulator with the demo's fixture.
fn start_sim() -> TestSim {
    let fixture = Fixture::from_file(quickstart().join("sim-fixture.json"))
        .unwrap_or_else(|e| panic!("examples/quickstart/sim-fixture.json: {e}"));
    TestSim::with_fixture(fixture)
}

/// A copy of the quickstart whose variables are the simulator's (`sim.tfvars` as
/// `terraform.tfvars`) and whose provider settings come from the `OVH_*` environment, as in the
/// demo.
fn quickstart_workdir(sim: &TestSim) -> TfWorkdir {
    let mut workdir = TfWorkdir::new();
    for entry in std::fs::read_dir(quickstart()).expect("list examples/quickstart") {
        let path = entry.expect("list an example file").path();
        if path.extension().is_some_and(|e| e == "tf") {
            let name = path.file_name().expect("a file name").to_string_lossy();
            workdir.write(
                &name,
                &std::fs::read_to_string(&path).expect("read an example file"),
            );
        }
    }
    install_from_local_mirror(&mut workdir);
    let tfvars = std::fs::read_to_string(quickstart().join("sim.tfvars")).expect("read sim.tfvars");
    workdir.write("terraform.tfvars", &tfvars);

    for (name, value) in sim.credential_env() {
        workdir.set_env(name, value);
    }
    workdir
}

/// Points the workdir's CLI config at a filesystem mirror holding the built provider, so that
/// `terraform init` installs it (and writes `.terraform.lock.hcl`) with no network.
fn install_from_local_mirror(workdir: &mut TfWorkdir) {
    let version = env!("CARGO_PKG_VERSION");
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "x86" => "386",
        other => other,
    };
    let mirror = workdir.path().join(".mirror");
    let platform_dir = mirror
        .join(PROVIDER_SOURCE)
        .join(version)
        .join(format!("{}_{arch}", std::env::consts::OS));
    std::fs::create_dir_all(&platform_dir).expect("create the mirror directory");
    std::os::unix::fs::symlink(
        provider_dir().join("terraform-provider-ovhiplb"),
        platform_dir.join(format!("terraform-provider-ovhiplb_v{version}")),
    )
    .expect("link the provider into the mirror");
    let source = hcl_string(PROVIDER_SOURCE);
    let config = format!(
        "provider_installation {{\n  filesystem_mirror {{\n    path    = {}\n    include = [{source}]\n  }}\n  \
         direct {{\n    exclude = [{source}]\n  }}\n}}\n",
        hcl_string(&mirror.to_string_lossy()),
    );
    let config_path = workdir.path().join(".terraformrc-mirror");
    std::fs::write(&config_path, config).expect("write the CLI config");
    workdir.set_env("TF_CLI_CONFIG_FILE", config_path);
}

fn frontends(state: &Value) -> Vec<&Value> {
    state["frontends"]
        .as_array()
        .map(|all| all.iter().filter(|f| f["service_name"] == LB).collect())
        .unwrap_or_default()
}

/// Pending changes of the LB, zones with a zero count left out.
fn pending_changes(state: &Value) -> Vec<(String, u64)> {
    state["pending_changes"][LB]
        .as_object()
        .into_iter()
        .flatten()
        .filter_map(|(zone, n)| n.as_u64().filter(|n| *n > 0).map(|n| (zone.clone(), n)))
        .collect()
}

/// The frontends the quickstart manages: all but the one of "another team's configuration" in its fixture.
fn ours(state: &Value) -> Vec<&Value> {
    frontends(state)
        .into_iter()
        .filter(|f| support::is_quickstart_frontend(&f["object"]))
        .collect()
}

fn refresh_tasks(state: &Value) -> Vec<&Value> {
    state["iplb_tasks"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|t| t["serviceName"] == LB && t["action"] == "refreshIplb")
        .collect()
}

fn sim_state(sim: &TestSim) -> Value {
    // Through the admin API rather than in-process: that is what a user of the demo sees, and
    // the call advances tasks like any request.
    sim.admin_json("GET", "/state", None)
}

#[test]
fn quickstart_deploys_in_one_apply_converges_and_destroys_cleanly() {
    let sim = start_sim();
    let workdir = quickstart_workdir(&sim);
    workdir.init();

    let apply = workdir.apply();
    assert!(
        apply
            .stdout
            .contains("Apply complete! Resources: 8 added, 0 changed, 0 destroyed."),
        "one apply should create the deploy-on-destroy, the 3 attachments, 3 frontends and the refresh \
         (8 resources):\n{apply}"
    );

    let state = sim_state(&sim);
    assert_eq!(
        Vec::from_iter(routed_ips(&state)),
        ["203.0.113.7/32", "203.0.113.8/32", "203.0.113.9/32"],
        "the three failover IPs are routed to the LB: {state:#}"
    );
    let deployed = ours(&state);
    let summary: Vec<(String, String, Value, Value)> = {
        let mut rows: Vec<_> = deployed
            .iter()
            .map(|f| {
                let o = &f["object"];
                (
                    f["protocol"].as_str().unwrap_or_default().to_owned(),
                    o["port"].as_str().unwrap_or_default().to_owned(),
                    o["dedicatedIpfo"].clone(),
                    o["defaultFarmId"].clone(),
                )
            })
            .collect();
        rows.sort_by(|a, b| a.0.cmp(&b.0));
        rows
    };
    assert_eq!(
        summary,
        [
            (
                "http".into(),
                "80".into(),
                serde_json::json!(["203.0.113.8/32"]),
                11.into()
            ),
            (
                "tcp".into(),
                "443".into(),
                serde_json::json!(["203.0.113.9/32"]),
                12.into()
            ),
            ("udp".into(), "53".into(), Value::Null, 13.into()),
        ],
        "frontends as the quickstart declares them: {state:#}"
    );
    assert_eq!(
        pending_changes(&state),
        [],
        "the apply deployed everything: {state:#}"
    );
    let refreshes = refresh_tasks(&state);
    assert_eq!(
        refreshes.len(),
        1,
        "exactly one refresh per apply: {refreshes:#?}"
    );
    assert_eq!(refreshes[0]["status"], "done", "{refreshes:#?}");

    let requests_before_plan = sim.requests().len();
    let plan = workdir.plan_detailed_exitcode();
    assert_eq!(plan.code, Some(0), "the second plan must be clean:\n{plan}");
    let writes = sim.writes_since(requests_before_plan);
    assert!(
        writes.is_empty(),
        "a plan must not change anything: {writes:?}"
    );

    let destroyed = workdir.destroy();
    assert!(
        !destroyed.combined().contains("Not deployed"),
        "the destroy deploys: {destroyed}"
    );
    let state = sim_state(&sim);
    assert!(
        ours(&state).is_empty(),
        "destroy deletes the frontends: {state:#}"
    );
    assert_eq!(
        frontends(&state).len(),
        1,
        "the other team's frontend stays: {state:#}"
    );
    assert_eq!(
        pending_changes(&state),
        [],
        "destroy deployed the deletions: {state:#}"
    );
    assert_eq!(refresh_tasks(&state).len(), 2, "one deploy per command");
    assert!(
        routed_ips(&state).is_empty(),
        "destroy parks the failover IPs: {state:#}"
    );
}
