//! Bad input (issue 5): invalid configurations are rejected before anything is changed, each with a message that
//! names the attribute; hostile answers of the OVH API (wrong types, missing fields, invalid JSON, unknown enum
//! values, huge bodies, served by the simulator's `body` fault) end in a clear diagnostic, never a provider crash;
//! and the fuzz targets' checks (`fuzz/src/harness.rs`) run here on their seeds and pseudo-random input, so CI
//! exercises them without cargo-fuzz.

mod support;

#[path = "../fuzz/src/harness.rs"]
mod harness;

use std::path::Path;

use serde_json::{Value, json};
use support::{
    AK, AS, CK, LB, TestSim, TfOutput, TfWorkdir, hcl_string, provider_block_with, tf_config,
    with_provider,
};

// ---------------------------------------------------------------------------------------------------------------
// Fuzz targets, without cargo-fuzz
// ---------------------------------------------------------------------------------------------------------------

/// Random inputs per target on top of the seeds: enough to reach past the parsers' first checks, cheap in debug.
const RANDOM_INPUTS: usize = 3000;

/// xorshift64*: reproducible pseudo-random bytes without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// A seed mutated the way a fuzzer would start: bytes flipped, inserted, removed, or the seed cut short; or pure
/// noise. Bytes are drawn mostly from the characters the parsers care about.
fn mutate(rng: &mut Rng, seed: &[u8]) -> Vec<u8> {
    const INTERESTING: &[u8] = b"0123456789-,./:abcdefx \"{}[]\x00\xc0\xd4\x80\x90\xa0\xff";
    let byte = |rng: &mut Rng| {
        if rng.below(4) == 0 {
            rng.next() as u8
        } else {
            INTERESTING[rng.below(INTERESTING.len())]
        }
    };
    let mut data = if seed.is_empty() || rng.below(8) == 0 {
        (0..rng.below(64)).map(|_| byte(rng)).collect()
    } else {
        seed.to_vec()
    };
    for _ in 0..=rng.below(4) {
        let at = rng.below(data.len() + 1);
        match rng.below(4) {
            0 if at < data.len() => data[at] = byte(rng),
            1 => data.insert(at, byte(rng)),
            2 if at < data.len() => {
                data.remove(at);
            }
            _ => data.truncate(at),
        }
    }
    data
}

fn seeds(target: &str) -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/seeds")
        .join(target);
    let mut entries: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("a seed entry").path())
        .collect();
    entries.sort();
    entries
        .iter()
        .map(|path| std::fs::read(path).expect("a readable seed"))
        .collect()
}

#[test]
fn fuzz_targets_survive_their_seeds_and_random_mutations() {
    for (name, target) in harness::TARGETS {
        let seeds = seeds(name);
        assert!(
            seeds.len() >= 5,
            "{name}: expected a real seed corpus in fuzz/seeds/{name}"
        );
        for seed in &seeds {
            target(seed);
        }
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ name.len() as u64);
        for _ in 0..RANDOM_INPUTS {
            let seed = &seeds[rng.below(seeds.len())];
            target(&mutate(&mut rng, seed));
        }
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Invalid configurations
// ---------------------------------------------------------------------------------------------------------------

/// Signs of a provider that crashed instead of answering.
const CRASH_SIGNS: &[&str] = &[
    "panicked",
    "panic:",
    "plugin exited",
    "unexpected EOF",
    "failed to respond",
    "RUST_BACKTRACE",
];

#[track_caller]
fn assert_no_crash(output: &TfOutput) {
    let all = output.combined();
    for sign in CRASH_SIGNS {
        assert!(
            !all.contains(sign),
            "the provider seems to have crashed ({sign:?}):\n{output}"
        );
    }
}

/// One invalid resource: its type and name, the arguments after `service_name`, and the attribute, summary and
/// detail fragment its error must carry.
type Case = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
);

const HTTP: &str = "ovhiplb_http_frontend";
const TCP: &str = "ovhiplb_tcp_frontend";
const UDP: &str = "ovhiplb_udp_frontend";
const ATTACHMENT: &str = "ovhiplb_failover_ip_attachment";
const REFRESH: &str = "ovhiplb_refresh";

/// Everything Terraform can reject without the API, by `terraform validate`.
const VALIDATE_CASES: &[Case] = &[
    (
        HTTP,
        "port_zero",
        r#"port = "0""#,
        "port",
        "Invalid port",
        "port 0 in \"0\" is out of range",
    ),
    (
        UDP,
        "port_too_high",
        r#"port = "65000""#,
        "port",
        "Invalid port",
        "each port must be from 1 to 49151",
    ),
    (
        TCP,
        "port_backwards",
        r#"port = "90-80""#,
        "port",
        "Invalid port",
        "must go from a lower to a higher port",
    ),
    (
        HTTP,
        "port_words",
        r#"port = "http""#,
        "port",
        "Invalid port",
        "\"http\"",
    ),
    (
        TCP,
        "port_empty_item",
        r#"port = "80,,443""#,
        "port",
        "Invalid port",
        "80,,443",
    ),
    (
        HTTP,
        "port_empty",
        r#"port = """#,
        "port",
        "Invalid port",
        "the port is empty",
    ),
    (
        HTTP,
        "ipfo_not_ip",
        r#"dedicated_ipfo = ["203.0.113.300"]"#,
        "dedicated_ipfo",
        "Invalid IP address or block",
        "\"203.0.113.300\" is not an IP address or block",
    ),
    (
        TCP,
        "source_host_bits",
        r#"allowed_source = ["10.0.0.1/8"]"#,
        "allowed_source",
        "Invalid IP address or block",
        "has host bits set: the block starts at 10.0.0.0/8",
    ),
    (
        HTTP,
        "source_bad_prefix",
        r#"denied_source = ["192.0.2.0/33"]"#,
        "denied_source",
        "Invalid IP address or block",
        "invalid prefix length \"33\"",
    ),
    (
        HTTP,
        "both_sources",
        "allowed_source = [\"10.0.0.0/8\"]\n  denied_source = [\"192.0.2.0/24\"]",
        "denied_source",
        "Conflicting source filters",
        "cannot both be set",
    ),
    (
        HTTP,
        "farm_negative",
        "default_farm_id = -3",
        "default_farm_id",
        "Value out of range",
        "-3 is not an integer from 1",
    ),
    (
        UDP,
        "farm_fraction",
        "default_farm_id = 1.5",
        "default_farm_id",
        "Value out of range",
        "1.5 is not an integer",
    ),
    (
        HTTP,
        "unknown_argument",
        r#"colour = "blue""#,
        "colour",
        "Unsupported argument",
        "\"colour\" is not expected here",
    ),
    (
        HTTP,
        "wrong_type",
        r#"disabled = "maybe""#,
        "disabled",
        "Incorrect attribute value type",
        "a bool is required",
    ),
    (
        TCP,
        "wrong_collection",
        r#"dedicated_ipfo = "203.0.113.7""#,
        "dedicated_ipfo",
        "Incorrect attribute value type",
        "set of string required",
    ),
    (
        ATTACHMENT,
        "ip_not_ip",
        r#"ip = "not-an-ip""#,
        "ip",
        "Invalid IP address or block",
        "\"not-an-ip\" is not an IP address or block",
    ),
    (
        ATTACHMENT,
        "ip_host_bits",
        r#"ip = "203.0.113.7/24""#,
        "ip",
        "Invalid IP address or block",
        "the block starts at 203.0.113.0/24",
    ),
    (
        REFRESH,
        "zone_empty",
        r#"zone = """#,
        "zone",
        "Invalid zone",
        "must not be empty",
    ),
    (
        REFRESH,
        "timeout_words",
        r#"timeouts { create = "soon" }"#,
        "create",
        "Invalid timeout",
        "\"soon\" is not a valid duration",
    ),
    (
        ATTACHMENT,
        "timeout_negative",
        r#"timeouts { delete = "-5m" }"#,
        "delete",
        "Invalid timeout",
        "-5m",
    ),
];

/// Malformed service names, each replacing the valid one of an HTTP frontend: every type takes its `service_name`
/// through the same checked argument (`provider::tests::every_service_name_argument_is_checked`).
const SERVICE_NAME_CASES: &[(&str, &str, &str)] = &[
    ("service_slash", "not a service/name", "contains '/'"),
    ("service_empty", "", "empty"),
];

/// The arguments every frontend needs, so each case has exactly one thing wrong.
fn required_arguments(resource: &str, arguments: &str) -> String {
    let mut required = Vec::new();
    let frontend = resource.ends_with("_frontend");
    if frontend && !arguments.starts_with("port") {
        required.push(r#"port = "80""#);
    }
    if frontend {
        required.push(r#"zone = "all""#);
    }
    if resource == ATTACHMENT && !arguments.starts_with("ip ") {
        required.push(r#"ip = "203.0.113.7""#);
    }
    required.join("\n  ")
}

fn validate_cases_config() -> String {
    let mut body = String::new();
    for &(resource, name, arguments, ..) in VALIDATE_CASES {
        body.push_str(&format!(
            "resource \"{resource}\" \"{name}\" {{\n  service_name = {}\n  {}\n  {arguments}\n}}\n\n",
            hcl_string(LB),
            required_arguments(resource, arguments),
        ));
    }
    for (name, service_name, _) in SERVICE_NAME_CASES {
        body.push_str(&http_frontend(name, service_name, "all"));
        body.push('\n');
    }
    body
}

/// An HTTP frontend with only what it requires: port 80 in `zone`.
fn http_frontend(name: &str, service_name: &str, zone: &str) -> String {
    format!(
        "resource \"{HTTP}\" \"{name}\" {{\n  service_name = {}\n  port = \"80\"\n  zone = {}\n}}\n",
        hcl_string(service_name),
        hcl_string(zone)
    )
}

/// The error diagnostics of `terraform validate -json`.
fn json_errors(output: &TfOutput) -> Vec<Value> {
    let report: Value = serde_json::from_str(&output.stdout)
        .unwrap_or_else(|e| panic!("validate -json did not print JSON ({e}):\n{output}"));
    report["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .filter(|d| d["severity"] == "error")
        .cloned()
        .collect()
}

/// Whether diagnostic `d` is about resource `resource.name`: by its address, or (for Terraform's own checks,
/// which carry none) by the block its source snippet is in.
fn is_about(d: &Value, resource: &str, name: &str) -> bool {
    d["address"].as_str() == Some(&format!("{resource}.{name}"))
        || d["snippet"]["context"].as_str() == Some(&format!("resource \"{resource}\" \"{name}\""))
}

#[test]
fn invalid_arguments_are_rejected_by_validate_naming_the_attribute() {
    let workdir = TfWorkdir::new();
    let provider = "provider \"ovhiplb\" {\n  endpoint = \"http://127.0.0.1:9/1.0\"\n}\n";
    workdir.write(
        "main.tf",
        &with_provider(provider, &validate_cases_config()),
    );
    let output = workdir.run(&["validate", "-json", "-no-color"]);
    output.assert_failure();
    assert_no_crash(&output);
    let errors = json_errors(&output);

    let mut expected = 0;
    for &(resource, name, _, attribute, summary, detail_part) in VALIDATE_CASES {
        let mine: Vec<&Value> = errors
            .iter()
            .filter(|d| is_about(d, resource, name))
            .collect();
        assert_eq!(
            mine.len(),
            1,
            "{resource}.{name}: expected exactly one error, got {mine:#?}"
        );
        let d = mine[0];
        assert_eq!(d["summary"], summary, "{resource}.{name}: {d:#}");
        let detail = d["detail"].as_str().unwrap_or_default();
        assert!(
            detail.contains(detail_part),
            "{resource}.{name}: detail {detail:?} lacks {detail_part:?}"
        );
        let code = d["snippet"]["code"].as_str().unwrap_or_default();
        assert!(
            code.contains(attribute),
            "{resource}.{name}: the error does not point at {attribute} (snippet {code:?})"
        );
        expected += 1;
    }
    for (name, _, detail) in SERVICE_NAME_CASES {
        let mine: Vec<&Value> = errors.iter().filter(|d| is_about(d, HTTP, name)).collect();
        assert_eq!(
            mine.len(),
            1,
            "{HTTP}.{name}: expected exactly one error, got {mine:#?}"
        );
        assert_eq!(mine[0]["summary"], "Invalid service name", "{:#}", mine[0]);
        assert!(
            mine[0]["detail"]
                .as_str()
                .unwrap_or_default()
                .contains(detail),
            "{:#}",
            mine[0]
        );
        assert!(
            mine[0]["snippet"]["code"]
                .as_str()
                .unwrap_or_default()
                .contains("service_name")
        );
        expected += 1;
    }
    assert_eq!(
        errors.len(),
        expected,
        "errors beyond the table's: {errors:#?}"
    );
}

/// Runs `plan` on `config` in `workdir` and returns its output, which must be a failure without a crash that
/// mentions every fragment.
#[track_caller]
fn assert_plan_fails_with(
    workdir: &TfWorkdir,
    what: &str,
    config: &str,
    fragments: &[&str],
) -> TfOutput {
    workdir.write("main.tf", config);
    let output = workdir.plan();
    assert!(!output.success(), "{what}: plan should fail:\n{output}");
    assert_no_crash(&output);
    let flat = output.flat();
    for fragment in fragments {
        assert!(
            flat.contains(fragment),
            "{what}: the output lacks {fragment:?}:\n{output}"
        );
    }
    output
}

fn load_balancer_data() -> String {
    format!(
        "data \"ovhiplb_load_balancer\" \"lb\" {{\n  service_name = {}\n}}\n",
        hcl_string(LB)
    )
}

/// One invalid provider block: its settings (after the simulator's endpoint unless it sets `endpoint`), the
/// `OVH_*` environment, and the one error it must give: summary, detail fragments, and the attribute it points at.
/// `at_validate`: the block alone shows it, so `terraform validate` reports it; otherwise it needs the environment
/// and is reported by Configure, during `plan`.
struct ProviderCase {
    name: &'static str,
    settings: &'static [(&'static str, &'static str)],
    env: &'static [(&'static str, &'static str)],
    at_validate: bool,
    attribute: &'static str,
    summary: &'static str,
    details: &'static [&'static str],
}

const PROVIDER_CASES: &[ProviderCase] = &[
    ProviderCase {
        name: "signing keys and an access token",
        settings: &[
            ("application_key", AK),
            ("application_secret", AS),
            ("consumer_key", CK),
            ("access_token", "T"),
        ],
        env: &[],
        at_validate: true,
        attribute: "access_token",
        summary: "Conflicting credentials",
        details: &[
            "access_token belongs to the access_token authentication method",
            "also sets application_key, \
                    application_secret, consumer_key",
            "Keep only one authentication method",
        ],
    },
    ProviderCase {
        name: "a consumer key and an OAuth2 client",
        settings: &[("consumer_key", CK), ("client_id", "ID")],
        env: &[],
        at_validate: true,
        attribute: "client_id",
        summary: "Conflicting credentials",
        details: &[
            "client_id belongs to the client_id/client_secret authentication method",
            "consumer_key",
        ],
    },
    ProviderCase {
        name: "OAuth2 on an endpoint without it",
        settings: &[("endpoint", "kimsufi-eu"), ("client_id", "ID")],
        env: &[],
        at_validate: true,
        attribute: "client_id",
        summary: "OAuth2 not available on this endpoint",
        details: &["https://eu.api.kimsufi.com/1.0 has no OAuth2 service"],
    },
    ProviderCase {
        name: "max_retries out of range",
        settings: &[("access_token", "T"), ("max_retries", "99")],
        env: &[],
        at_validate: true,
        attribute: "max_retries",
        summary: "Value out of range",
        details: &["99 is not an integer from 0 to 50"],
    },
    ProviderCase {
        name: "unknown endpoint alias",
        settings: &[("endpoint", "ovh-mars"), ("access_token", "T")],
        env: &[],
        at_validate: true,
        attribute: "endpoint",
        summary: "Invalid endpoint",
        details: &["\"ovh-mars\""],
    },
    ProviderCase {
        name: "half an OAuth2 client",
        settings: &[("client_id", "ID")],
        env: &[],
        at_validate: false,
        attribute: "client_id",
        summary: "Invalid OVH credentials",
        details: &["client_id is set (argument client_id) but client_secret is missing"],
    },
    ProviderCase {
        name: "a secret without its key",
        settings: &[("application_secret", AS)],
        env: &[],
        at_validate: false,
        attribute: "application_secret",
        summary: "Invalid OVH credentials",
        details: &[
            "application_secret is set (argument application_secret) but application_key is missing",
        ],
    },
    ProviderCase {
        name: "signing keys in the block, a token in the environment",
        settings: &[
            ("application_key", AK),
            ("application_secret", AS),
            ("consumer_key", CK),
        ],
        env: &[("OVH_ACCESS_TOKEN", "T")],
        at_validate: false,
        attribute: "application_key",
        summary: "Invalid OVH credentials",
        details: &[
            "application_key/application_secret from argument application_key",
            "access_token from \
                    environment variable OVH_ACCESS_TOKEN",
            "keep only one",
        ],
    },
    ProviderCase {
        name: "OAuth2 from the environment on an endpoint without it",
        settings: &[("endpoint", "soyoustart-ca")],
        env: &[("OVH_CLIENT_ID", "ID"), ("OVH_CLIENT_SECRET", "S")],
        at_validate: false,
        attribute: "endpoint",
        summary: "Invalid OVH credentials",
        details: &[
            "OAuth2 (client_id/client_secret) is not available on endpoint https://ca.api.soyoustart.com/1.0",
        ],
    },
];

/// The error diagnostics of `terraform validate -json` (one JSON document) or `terraform plan -json` (one JSON
/// object per line, diagnostics under `diagnostic`).
fn error_diagnostics(output: &TfOutput, json_lines: bool) -> Vec<Value> {
    if !json_lines {
        return json_errors(output);
    }
    output
        .stdout
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter_map(|line| line.get("diagnostic").cloned())
        .filter(|d| d["severity"] == "error")
        .collect()
}

#[test]
fn invalid_provider_blocks_are_rejected_naming_the_attribute() {
    let sim = TestSim::start();
    for case in PROVIDER_CASES {
        let mut workdir = TfWorkdir::new();
        for (key, value) in case.env {
            workdir.set_env(key, value);
        }
        let block = if case.settings.iter().any(|(key, _)| *key == "endpoint") {
            let lines: String = case
                .settings
                .iter()
                .map(|(k, v)| format!("  {k} = {}\n", hcl_string(v)))
                .collect();
            format!("provider \"ovhiplb\" {{\n{lines}}}\n")
        } else {
            provider_block_with(&sim, case.settings)
        };
        let block = block.replace("max_retries = \"99\"", "max_retries = 99");
        workdir.write("main.tf", &with_provider(&block, &load_balancer_data()));

        let validate = workdir.run(&["validate", "-json", "-no-color"]);
        assert_no_crash(&validate);
        let output = if case.at_validate {
            validate
        } else {
            assert!(
                validate.success(),
                "{}: needs the environment, validate must pass:\n{validate}",
                case.name
            );
            workdir.run(&["plan", "-json", "-input=false", "-no-color"])
        };
        assert!(!output.success(), "{}: must fail:\n{output}", case.name);
        assert_no_crash(&output);
        let errors = error_diagnostics(&output, !case.at_validate);
        assert_eq!(
            errors.len(),
            1,
            "{}: expected exactly one error, got {errors:#?}",
            case.name
        );
        let d = &errors[0];
        assert_eq!(d["summary"], case.summary, "{}: {d:#}", case.name);
        let detail = d["detail"].as_str().unwrap_or_default();
        for fragment in case.details {
            assert!(
                detail.contains(fragment),
                "{}: detail {detail:?} lacks {fragment:?}",
                case.name
            );
        }
        let code = d["snippet"]["code"].as_str().unwrap_or_default();
        assert!(
            code.trim_start()
                .starts_with(&format!("{} ", case.attribute)),
            "{}: the error does not point at {} (snippet {code:?})",
            case.name,
            case.attribute
        );
    }
    let calls = sim.requests();
    assert!(
        calls.is_empty(),
        "an invalid provider block must not reach the API: {calls:#?}"
    );
}

#[test]
fn provider_values_unknown_at_validate_are_not_taken_for_conflicts() {
    let sim = TestSim::start();
    let workdir = TfWorkdir::new();
    let block = provider_block_with(
        &sim,
        &[
            ("application_key", AK),
            ("application_secret", AS),
            ("consumer_key", CK),
        ],
    )
    .replace("}\n", "  access_token = var.token\n}\n");
    let config = format!(
        "variable \"token\" {{\n  type = string\n}}\n\n{}",
        load_balancer_data()
    );
    workdir.write("main.tf", &with_provider(&block, &config));
    let output = workdir.run(&["validate", "-json", "-no-color"]);
    assert_no_crash(&output);
    assert_eq!(
        json_errors(&output),
        Vec::<Value>::new(),
        "validate must not guess what var.token holds"
    );
    output.assert_success();
}

#[test]
fn plan_time_checks_that_need_the_api_are_rejected_by_plan() {
    let sim = TestSim::start();
    let workdir = TfWorkdir::new();
    // Needs the API: the zone must be one of the load balancer's.
    let zone = tf_config(&sim, &http_frontend("web", LB, "sbg"));
    assert_plan_fails_with(&workdir, "zone", &zone, &["sbg", "gra", "rbx"]);
    let writes = sim.writes_since(0);
    assert_eq!(writes.len(), 0, "a rejected plan must not change anything");
}

// ---------------------------------------------------------------------------------------------------------------
// Hostile API answers
// ---------------------------------------------------------------------------------------------------------------

/// A `body` fault on GET of `path`: the simulator answers `body` (or `huge_bytes` of JSON) with `status`.
fn hostile(path: &str, status: u16, body: Option<&str>, huge_bytes: Option<u64>) -> Value {
    json!({"method": "GET", "path": path, "kind": "body", "status": status, "body": body, "huge_bytes": huge_bytes})
}

#[test]
fn hostile_api_answers_give_clear_errors_not_crashes() {
    let sim = TestSim::start();
    let workdir = TfWorkdir::new();
    let lb_path = format!("/ipLoadbalancing/{LB}");
    let failover_path = format!("/ipLoadbalancing/{LB}/failover");
    let lb_config = tf_config(&sim, &load_balancer_data());
    let failover_config = tf_config(
        &sim,
        &format!(
            "data \"ovhiplb_failover_ips\" \"ips\" {{\n  service_name = {}\n}}\n",
            hcl_string(LB)
        ),
    );
    let route = format!("GET /1.0/ipLoadbalancing/{LB}");
    let cases: Vec<(&str, &String, Value, Vec<&str>)> = vec![
        (
            "invalid JSON",
            &lb_config,
            hostile(&lb_path, 200, Some(r#"{"serviceName": "#), None),
            vec![&route, "EOF"],
        ),
        (
            "wrong types",
            &lb_config,
            hostile(
                &lb_path,
                200,
                Some(r#"{"serviceName": 5, "zone": "gra"}"#),
                None,
            ),
            vec![&route, "invalid type"],
        ),
        (
            "missing fields",
            &lb_config,
            hostile(&lb_path, 200, Some("{}"), None),
            vec![&route, "serviceName"],
        ),
        (
            "not an object",
            &lb_config,
            hostile(&lb_path, 200, Some("[1, 2, 3]"), None),
            vec![&route],
        ),
        (
            "HTML error page",
            &lb_config,
            hostile(
                &lb_path,
                502,
                Some("<html><body>Bad gateway</body></html>"),
                None,
            ),
            vec!["502", "Bad gateway"],
        ),
        (
            "error without a message",
            &lb_config,
            hostile(&lb_path, 404, Some("{\"class\": 7}"), None),
            vec!["404"],
        ),
        (
            "list of wrong types",
            &failover_config,
            hostile(&failover_path, 200, Some("[5, null]"), None),
            vec!["/failover"],
        ),
        (
            "huge body",
            &lb_config,
            hostile(&lb_path, 200, None, Some(40 * 1024 * 1024)),
            vec![&route, "larger than the 16 MiB"],
        ),
    ];
    for (what, config, fault, fragments) in cases {
        sim.admin_json("DELETE", "/faults", None);
        sim.admin_json("POST", "/faults", Some(&fault));
        assert_plan_fails_with(&workdir, what, config, &fragments);
    }
}

#[test]
fn unknown_enum_values_and_garbled_write_answers_do_not_crash_apply() {
    let sim = TestSim::start();
    let workdir = TfWorkdir::new();
    let config = tf_config(&sim, &http_frontend("web", LB, "all"));
    workdir.write("main.tf", &config);
    // The frontend is created, but the answer that should describe it is garbage.
    sim.admin_json(
        "POST",
        "/faults",
        Some(
            &json!({"method": "POST", "path": "/ipLoadbalancing/*/http/frontend", "kind": "body",
                     "body": "{\"frontendId\": \"eleven\"", "after_handling": true, "times": 1}),
        ),
    );
    // 2xx means it was created: the provider must adopt it (as for a lost answer), not lose it or create twice.
    let apply = workdir.try_apply();
    assert_no_crash(&apply);
    apply.assert_success();
    let frontends: Value = sim.admin_json(
        "GET",
        &format!("/ovh/ipLoadbalancing/{LB}/http/frontend"),
        None,
    );
    let ids = frontends.as_array().expect("frontend ids").clone();
    assert_eq!(ids.len(), 1, "exactly one frontend must exist: {ids:?}");
    let state = workdir.state_json();
    let tracked = &state["values"]["root_module"]["resources"][0]["values"]["frontend_id"];
    assert_eq!(
        tracked, &ids[0],
        "the state must track the created frontend: {state:#}"
    );

    // The frontend reads back with values no schema knows: a zone outside the enum, a negative port, a string
    // for a bool. The refresh must fail with a message naming the call, or show a diff, never crash.
    sim.admin_json("DELETE", "/faults", None);
    let path = format!("/ipLoadbalancing/{LB}/http/frontend/{}", ids[0]);
    let mut body = sim.admin_json("GET", &format!("/ovh{path}"), None);
    body["zone"] = json!("the-moon");
    body["port"] = json!("-1");
    sim.admin_json(
        "POST",
        "/faults",
        Some(&hostile(&path, 200, Some(&body.to_string()), None)),
    );
    let output = workdir.plan();
    assert_no_crash(&output);
    assert!(
        output.success(),
        "odd but well-typed values are shown as drift:\n{output}"
    );
    assert!(
        output.stdout.contains("the-moon") && output.stdout.contains("\"-1\""),
        "drift not shown:\n{output}"
    );

    body["disabled"] = json!("sometimes");
    sim.admin_json("DELETE", "/faults", None);
    sim.admin_json(
        "POST",
        "/faults",
        Some(&hostile(&path, 200, Some(&body.to_string()), None)),
    );
    assert_plan_fails_with(
        &workdir,
        "wrong type on read",
        &config,
        &[&format!("GET /1.0{path}"), "disabled"],
    );
}
