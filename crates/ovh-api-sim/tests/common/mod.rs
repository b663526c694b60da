//! Test helpers: a simulator with a small fixture, a tiny v1-signing client, and admin calls.
#![allow(dead_code)]

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ovh_api_sim::{Fixture, SimConfig, Simulator};
use reqwest::Method;
use serde_json::{Value, json};
use sha1::{Digest, Sha1};

pub const LB: &str = "loadbalancer-0123abcd";
pub const VRACK_LB: &str = "loadbalancer-vrack";

pub fn fixture() -> Fixture {
    serde_json::from_value(json!({
        "credentials": [{"application_key": "AK", "application_secret": "AS", "consumer_key": "CK"}],
        "oauth2_clients": [{"client_id": "ID", "client_secret": "SECRET"}],
        "access_tokens": ["STATIC-TOKEN"],
        "load_balancers": [
            {"service_name": LB, "zones": ["gra", "rbx"], "ipv4": "198.51.100.10", "vrack_name": null, "display_name": "web"},
            {"service_name": VRACK_LB, "zones": ["sbg"], "ipv4": "198.51.100.20", "vrack_name": "pn-1",
             "vrack_networks": [{"vrack_network_id": 7, "subnet": "10.0.0.0/24", "nat_ip": "10.0.0.0/27", "vlan": 42}]}
        ],
        "failover_ips": [
            {"ip": "203.0.113.7/32", "routed_to": null},
            {"ip": "203.0.113.8", "routed_to": LB}
        ],
        "farms": [
            {"service_name": LB, "protocol": "http", "farm_id": 11, "zone": "gra", "port": 80, "vrack_network_id": null},
            {"service_name": LB, "protocol": "tcp", "farm_id": 12, "zone": "all", "port": 443, "vrack_network_id": null},
            {"service_name": VRACK_LB, "protocol": "http", "farm_id": 21, "zone": "sbg", "port": 80, "vrack_network_id": 7}
        ]
    }))
    .unwrap()
}

pub fn config(task_ms: u64) -> SimConfig {
    SimConfig {
        fixture: fixture(),
        task_duration: Duration::from_millis(task_ms),
        ..SimConfig::default()
    }
}

pub async fn start(task_ms: u64) -> Simulator {
    Simulator::start(config(task_ms)).await.unwrap()
}

/// A simulator as [`start`] gives it, and a [`Client`] of it with the fixture's `AK`/`AS`/`CK`.
pub async fn start_with_client(task_ms: u64) -> (Simulator, Client) {
    let sim = start(task_ms).await;
    let client = Client::new(&sim);
    (sim, client)
}

pub fn sign(secret: &str, ck: &str, method: &str, url: &str, body: &str, ts: &str) -> String {
    let mut h = Sha1::new();
    h.update(format!("{secret}+{ck}+{method}+{url}+{body}+{ts}"));
    format!("$1${}", hex::encode(h.finalize()))
}

pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// A response: status, body (JSON, or a string if not JSON), headers.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub body: Value,
    pub headers: reqwest::header::HeaderMap,
}

pub struct Client {
    pub http: reqwest::Client,
    pub base: String,
    pub ak: String,
    pub secret: String,
    pub ck: String,
    /// Seconds added to the timestamp.
    pub skew: i64,
}

impl Client {
    pub fn new(sim: &Simulator) -> Client {
        Client {
            http: reqwest::Client::new(),
            base: sim.base_url(),
            ak: "AK".into(),
            secret: "AS".into(),
            ck: "CK".into(),
            skew: 0,
        }
    }

    pub async fn call(&self, method: &str, path: &str, body: Option<Value>) -> Reply {
        let text = body.map(|b| b.to_string()).unwrap_or_default();
        self.call_raw(method, path, &text).await
    }

    pub async fn call_raw(&self, method: &str, path: &str, body: &str) -> Reply {
        reply(self.signed(method, path, body).send().await.unwrap()).await
    }

    /// A signed request, ready to send.
    pub fn signed(&self, method: &str, path: &str, body: &str) -> reqwest::RequestBuilder {
        let url = format!("{}{path}", self.base);
        let ts = (now() + self.skew).to_string();
        let signature = sign(&self.secret, &self.ck, method, &url, body, &ts);
        let mut request = self
            .http
            .request(Method::from_bytes(method.as_bytes()).unwrap(), &url)
            .header("X-Ovh-Application", &self.ak)
            .header("X-Ovh-Consumer", &self.ck)
            .header("X-Ovh-Timestamp", ts)
            .header("X-Ovh-Signature", signature);
        if !body.is_empty() {
            request = request
                .header("Content-Type", "application/json")
                .body(body.to_owned());
        }
        request
    }

    pub async fn get(&self, path: &str) -> Value {
        let reply = self.call("GET", path, None).await;
        assert_eq!(reply.status, 200, "GET {path}: {:?}", reply.body);
        reply.body
    }

    pub async fn ok(&self, method: &str, path: &str, body: Value) -> Value {
        let reply = self.call(method, path, Some(body)).await;
        assert_eq!(reply.status, 200, "{method} {path}: {:?}", reply.body);
        reply.body
    }
}

pub async fn reply(response: reqwest::Response) -> Reply {
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    Reply {
        status,
        body,
        headers,
    }
}

/// An admin call (`/_sim/...`).
pub async fn admin(sim: &Simulator, method: &str, path: &str, body: Option<Value>) -> Reply {
    let mut request = reqwest::Client::new().request(
        Method::from_bytes(method.as_bytes()).unwrap(),
        format!("{}{path}", sim.root_url()),
    );
    if let Some(body) = body {
        request = request.body(body.to_string());
    }
    reply(request.send().await.unwrap()).await
}

/// Polls an IPLB or IP task until it leaves the pending statuses; returns the last task object.
pub async fn wait_task(client: &Client, path: &str) -> Value {
    for _ in 0..200 {
        let task = client.get(path).await;
        let status = task["status"].as_str().unwrap().to_owned();
        if !["init", "todo", "doing"].contains(&status.as_str()) {
            return task;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("task {path} did not end");
}
