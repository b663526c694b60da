//! The OVH API simulator for end-to-end tests: started in-process on a free loopback port, seeded
//! with the spec's fixture, plus the HCL that points the provider at it.

use std::collections::BTreeSet;
use std::ops::Deref;
use std::time::Duration;

use ovh_api_sim::{Fixture, SimConfig, Simulator};
use serde_json::{Value, json};

use super::hcl::hcl_string;
use super::http::{self, HttpResponse};
use super::terraform::PROVIDER_SOURCE;

/// Names in [`spec_fixture`].
pub const LB: &str = "loadbalancer-0123abcd";
pub const FOIP: &str = "203.0.113.7/32";
pub const AK: &str = "AK";
pub const AS: &str = "AS";
pub const CK: &str = "CK";
pub const CLIENT_ID: &str = "ID";
pub const CLIENT_SECRET: &str = "SECRET";

/// Tasks finish quickly in tests; the lifecycle (todo → doing → done) is still exercised.
const TEST_TASK_DURATION: Duration = Duration::from_millis(50);

/// The reference fixture of the end-to-end tests: one credential set, one OAuth2 client, one LB, one free FOIP, one farm.
pub fn spec_fixture() -> Fixture {
    serde_json::from_value(json!({
        "credentials": [{"application_key": AK, "application_secret": AS, "consumer_key": CK}],
        "oauth2_clients": [{"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}],
        "load_balancers": [{
            "service_name": LB, "zones": ["gra", "rbx"], "ipv4": "198.51.100.10",
            "vrack_name": null, "display_name": "web"
        }],
        "failover_ips": [{"ip": FOIP, "routed_to": null}],
        "farms": [{
            "service_name": LB, "protocol": "http", "farm_id": 11, "zone": "gra",
            "port": 80, "vrack_network_id": null
        }]
    }))
    .expect("the spec fixture deserialises")
}

/// A running simulator and the fixture it was seeded with. Derefs to [`Simulator`] for its
/// in-process API (`requests()`, `state()`, `add_faults()`, `reset()`...). Stops when dropped.
pub struct TestSim {
    sim: Simulator,
    fixture: Fixture,
}

impl TestSim {
    /// The simulator with [`spec_fixture`] and short tasks.
    pub fn start() -> Self {
        Self::with_fixture(spec_fixture())
    }

    pub fn with_fixture(fixture: Fixture) -> Self {
        Self::with_config(SimConfig {
            fixture,
            task_duration: TEST_TASK_DURATION,
            ..SimConfig::default()
        })
    }

    /// Any configuration; the listen address should stay on loopback port 0 (tests run in parallel).
    pub fn with_config(config: SimConfig) -> Self {
        let fixture = config.fixture.clone();
        let sim = Simulator::start_blocking(config)
            .unwrap_or_else(|e| panic!("the simulator did not start: {e}"));
        TestSim { sim, fixture }
    }

    pub fn fixture(&self) -> &Fixture {
        &self.fixture
    }

    /// The writes (every method but GET) the simulator has logged since request number `from`, as
    /// `METHOD path`.
    pub fn writes_since(&self, from: usize) -> Vec<String> {
        self.sim.requests()[from..]
            .iter()
            .filter(|r| r.method != "GET")
            .map(|r| format!("{} {}", r.method, r.path))
            .collect()
    }

    /// The frontends of every simulated load balancer, as the API shows them.
    pub fn frontends(&self) -> Vec<Value> {
        self.sim.state()["frontends"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|f| f["object"].clone())
            .collect()
    }

    /// The environment that points a provider at this simulator with its fixture's first credential set
    /// (`OVH_ENDPOINT` and the `OVH_*` keys), as a user of the simulator sets it.
    pub fn credential_env(&self) -> [(&'static str, String); 4] {
        let credential = self
            .fixture
            .credentials
            .first()
            .expect("the fixture has an application-key credential set");
        [
            ("OVH_ENDPOINT", self.base_url().to_owned()),
            ("OVH_APPLICATION_KEY", credential.application_key.clone()),
            (
                "OVH_APPLICATION_SECRET",
                credential.application_secret.expose().to_owned(),
            ),
            (
                "OVH_CONSUMER_KEY",
                credential.consumer_key.expose().to_owned(),
            ),
        ]
    }

    /// The frontend objects of the quickstart's configuration (see [`is_quickstart_frontend`]).
    pub fn quickstart_frontends(&self) -> Vec<Value> {
        self.frontends()
            .into_iter()
            .filter(is_quickstart_frontend)
            .collect()
    }

    /// Calls the admin API: `path` is under `/_sim` (e.g. `/requests`, `/ovh/ipLoadbalancing`).
    #[track_caller]
    pub fn admin(&self, method: &str, path: &str, body: Option<&Value>) -> HttpResponse {
        let url = format!("{}/_sim{path}", self.sim.root_url());
        http::request(method, &url, body).unwrap_or_else(|e| panic!("{method} {url}: {e}"))
    }

    /// Calls the admin API and returns its JSON answer, panicking unless the status is 2xx.
    #[track_caller]
    pub fn admin_json(&self, method: &str, path: &str, body: Option<&Value>) -> Value {
        let response = self.admin(method, path, body);
        assert!(
            (200..300).contains(&response.status),
            "{method} /_sim{path} answered {}: {}",
            response.status,
            response.body
        );
        response.json().unwrap_or_else(|e| {
            panic!(
                "{method} /_sim{path} did not answer JSON ({e}): {}",
                response.body
            )
        })
    }
}

impl Deref for TestSim {
    type Target = Simulator;

    fn deref(&self) -> &Simulator {
        &self.sim
    }
}

/// The `terraform { required_providers { ... } }` block every test configuration needs.
pub fn required_providers_block() -> String {
    format!(
        "terraform {{\n  required_providers {{\n    ovhiplb = {{ source = {} }}\n  }}\n}}\n",
        hcl_string(PROVIDER_SOURCE)
    )
}

/// A `provider "ovhiplb"` block using the simulator's endpoint and its first application-key
/// credential set (spec fixture: AK/AS/CK).
pub fn provider_block(sim: &TestSim) -> String {
    let credential = sim
        .fixture()
        .credentials
        .first()
        .expect("the fixture has an application-key credential set");
    provider_block_with(
        sim,
        &[
            ("application_key", credential.application_key.as_str()),
            ("application_secret", credential.application_secret.expose()),
            ("consumer_key", credential.consumer_key.expose()),
        ],
    )
}

/// A `provider "ovhiplb"` block using the simulator's endpoint and its first OAuth2 client.
pub fn oauth2_provider_block(sim: &TestSim) -> String {
    let client = sim
        .fixture()
        .oauth2_clients
        .first()
        .expect("the fixture has an OAuth2 client");
    provider_block_with(
        sim,
        &[
            ("client_id", client.client_id.as_str()),
            ("client_secret", client.client_secret.expose()),
        ],
    )
}

/// A `provider "ovhiplb"` block with the simulator's endpoint and exactly the given settings.
pub fn provider_block_with(sim: &TestSim, settings: &[(&str, &str)]) -> String {
    let mut block = format!(
        "provider \"ovhiplb\" {{\n  endpoint = {}\n",
        hcl_string(&sim.base_url())
    );
    for (name, value) in settings {
        block.push_str(&format!("  {name} = {}\n", hcl_string(value)));
    }
    block.push_str("}\n");
    block
}

/// A whole configuration: required_providers, the given provider block, then `body`.
pub fn with_provider(provider: &str, body: &str) -> String {
    format!("{}\n{provider}\n{body}", required_providers_block())
}

/// A whole configuration against `sim` with application-key credentials, then `body`.
pub fn tf_config(sim: &TestSim, body: &str) -> String {
    with_provider(&provider_block(sim), body)
}

/// Whether a frontend object belongs to the quickstart's configuration: all but those of "another team's
/// configuration", which `examples/quickstart/sim-fixture.json` holds to show that a destroy leaves them alone.
pub fn is_quickstart_frontend(object: &Value) -> bool {
    !object["displayName"]
        .as_str()
        .unwrap_or_default()
        .contains("another team")
}

/// The failover IPs that a simulator state (`Simulator::state`) routes to [`LB`].
pub fn routed_ips(state: &Value) -> BTreeSet<String> {
    state["failover_ips"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|ip| ip["routed_to"] == LB)
        .filter_map(|ip| ip["ip"].as_str().map(str::to_owned))
        .collect()
}

/// A farm of each protocol (http, tcp, udp, in that order of `ids`) on [`LB`], for a fixture's `farms`: in
/// `zone`, on `port`, outside any vRack.
pub fn farm_per_protocol(ids: [u64; 3], zone: &str, port: u16) -> Value {
    let farms: Vec<Value> = ["http", "tcp", "udp"]
        .into_iter()
        .zip(ids)
        .map(|(protocol, farm_id)| {
            json!({"service_name": LB, "protocol": protocol, "farm_id": farm_id, "zone": zone, "port": port,
                   "vrack_network_id": null})
        })
        .collect();
    Value::Array(farms)
}
