//! The admin API, faults, request log, reset, persistence, the blocking handle and the CLI.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use ovh_api_sim::{SimConfig, Simulator};
use serde_json::{Value, json};

fn frontends() -> String {
    format!("/ipLoadbalancing/{LB}/http/frontend")
}

#[tokio::test]
async fn request_log_records_raw_paths_queries_bodies_and_statuses() {
    let (sim, client) = start_with_client(100).await;
    client.get("/ip?type=failover").await;
    client
        .ok("POST", "/ip/203.0.113.7%2F32/move", json!({"to": LB}))
        .await;
    client.call("GET", "/nowhere", None).await;
    admin(&sim, "GET", "/_sim/state", None).await;
    let log = admin(&sim, "GET", "/_sim/requests", None).await.body;
    assert_eq!(
        log,
        json!([
            {"method": "GET", "path": "/1.0/ip", "query": "type=failover", "body": null, "status": 200},
            {"method": "POST", "path": "/1.0/ip/203.0.113.7%2F32/move", "query": null, "body": {"to": LB}, "status": 200},
            {"method": "GET", "path": "/1.0/nowhere", "query": null, "body": null, "status": 404},
        ])
    );
    assert_eq!(sim.requests().len(), 3);
}

#[tokio::test]
async fn status_fault_with_retry_after_then_recovery() {
    let (sim, client) = start_with_client(100).await;
    let rule = json!({"method": "GET", "path": "/ipLoadbalancing/*/failover", "kind": "status", "status": 429, "retry_after": 3, "times": 1});
    let added = admin(&sim, "POST", "/_sim/faults", Some(rule)).await;
    assert_eq!(added.status, 200, "{:?}", added.body);
    let failover = format!("/ipLoadbalancing/{LB}/failover");
    let limited = client.call("GET", &failover, None).await;
    assert_eq!(limited.status, 429);
    assert_eq!(limited.headers["retry-after"], "3");
    assert!(limited.headers.contains_key("x-ovh-queryid"));
    assert_eq!(client.call("GET", &failover, None).await.status, 200);
    let bad = admin(
        &sim,
        "POST",
        "/_sim/faults",
        Some(json!({"path": "/x", "kind": "status", "status": 418})),
    )
    .await;
    assert_eq!(bad.status, 400);
}

#[tokio::test]
async fn drop_before_handling_loses_the_request() {
    let (sim, client) = start_with_client(100).await;
    admin(&sim, "POST", "/_sim/faults", Some(json!([{"method": "POST", "path": "/ipLoadbalancing/*/http/frontend", "kind": "drop", "times": 1}]))).await;
    let body = json!({"port": "80", "zone": "all"}).to_string();
    let sent = client.signed("POST", &frontends(), &body).send().await;
    assert!(sent.is_err(), "the connection must be dropped: {sent:?}");
    assert_eq!(client.get(&frontends()).await, json!([]));
    let log = sim.requests();
    assert_eq!((log[0].status, log[0].dropped), (None, true));
}

#[tokio::test]
async fn drop_after_handling_applies_the_call_and_loses_the_answer() {
    let (sim, client) = start_with_client(100).await;
    admin(&sim, "POST", "/_sim/faults", Some(json!({"method": "POST", "path": "/1.0/ipLoadbalancing/**", "kind": "drop", "after_handling": true, "times": 1}))).await;
    let body = json!({"port": "80", "zone": "all"}).to_string();
    let sent = client.signed("POST", &frontends(), &body).send().await;
    assert!(sent.is_err());
    assert_eq!(client.get(&frontends()).await.as_array().unwrap().len(), 1);
    let log = sim.requests();
    assert_eq!((log[0].status, log[0].dropped), (Some(200), true));
}

#[tokio::test]
async fn task_faults_fail_or_hang_the_next_task() {
    let (sim, client) = start_with_client(50).await;
    admin(&sim, "POST", "/_sim/faults", Some(json!({"rules": [
        {"method": "POST", "path": "/ip/*/move", "kind": "task_status", "status": "ovhError", "comment": "hardware failure", "times": 1},
        {"method": "POST", "path": "/ipLoadbalancing/*/refresh", "kind": "task_stuck", "times": 1}
    ]}))).await;
    let task = client
        .ok("POST", "/ip/203.0.113.7/move", json!({"to": LB}))
        .await;
    let failed = wait_task(&client, &format!("/ip/203.0.113.7/task/{}", task["taskId"])).await;
    assert_eq!(
        (failed["status"].clone(), failed["comment"].clone()),
        (json!("ovhError"), json!("hardware failure"))
    );
    assert_eq!(
        client.get(&format!("/ipLoadbalancing/{LB}/failover")).await,
        json!(["203.0.113.8/32"])
    );

    let refresh = format!("/ipLoadbalancing/{LB}/refresh");
    let stuck = client.ok("POST", &refresh, Value::Null).await;
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert_eq!(
        client
            .get(&format!("/ipLoadbalancing/{LB}/task/{}", stuck["id"]))
            .await["status"],
        "doing"
    );
    // The stuck refresh blocks the next one, as a running refresh does.
    assert_eq!(client.call("POST", &refresh, None).await.status, 409);
    assert_eq!(
        admin(&sim, "GET", "/_sim/faults", None)
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        2
    );
    admin(&sim, "DELETE", "/_sim/faults", None).await;
    assert_eq!(
        admin(&sim, "GET", "/_sim/faults", None).await.body,
        json!([])
    );
}

#[tokio::test]
async fn latency_fault_delays_the_answer() {
    let (sim, client) = start_with_client(50).await;
    admin(
        &sim,
        "POST",
        "/_sim/faults",
        Some(json!({"path": "/ipLoadbalancing", "kind": "latency", "ms": 200})),
    )
    .await;
    let started = Instant::now();
    client.get("/ipLoadbalancing").await;
    assert!(started.elapsed() >= Duration::from_millis(200));
}

#[tokio::test]
async fn admin_changes_behind_the_clients_back_and_reset() {
    let (sim, client) = start_with_client(50).await;
    let created = admin(
        &sim,
        "POST",
        &format!("/_sim/ovh{}", frontends()),
        Some(json!({"port": "80", "zone": "all"})),
    )
    .await;
    assert_eq!(created.status, 200, "{:?}", created.body);
    let id = created.body["frontendId"].clone();
    admin(
        &sim,
        "PUT",
        &format!("/_sim/ovh{}/{id}", frontends()),
        Some(json!({"port": "8080"})),
    )
    .await;
    assert_eq!(
        client.get(&format!("{}/{id}", frontends())).await["port"],
        "8080"
    );
    let routed = admin(
        &sim,
        "POST",
        "/_sim/ip/203.0.113.7%2F32/route",
        Some(json!({"to": LB})),
    )
    .await;
    assert_eq!(routed.status, 200, "{:?}", routed.body);
    assert_eq!(
        client.get(&format!("/ipLoadbalancing/{LB}/failover")).await,
        json!(["203.0.113.7/32", "203.0.113.8/32"])
    );
    assert_eq!(sim.requests().len(), 2, "admin calls are not logged");

    let state = admin(&sim, "GET", "/_sim/state", None).await.body;
    assert_eq!(state["frontends"].as_array().unwrap().len(), 1);
    assert!(
        !state.to_string().contains("\"AS\""),
        "no secrets in the state view"
    );

    assert_eq!(admin(&sim, "POST", "/_sim/reset", None).await.status, 200);
    assert_eq!(client.get(&frontends()).await, json!([]));
    assert_eq!(
        client.get(&format!("/ipLoadbalancing/{LB}/failover")).await,
        json!(["203.0.113.8/32"])
    );
    assert_eq!(sim.requests().len(), 2);
}

#[tokio::test]
async fn state_persists_across_restarts() {
    let dir =
        std::env::temp_dir().join(format!("ovh-api-sim-test-{}-{}", std::process::id(), now()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("state.json");
    let sim = Simulator::start(SimConfig {
        persist: Some(path.clone()),
        ..config(20)
    })
    .await
    .unwrap();
    let client = Client::new(&sim);
    let created = client
        .ok("POST", &frontends(), json!({"port": "80", "zone": "all"}))
        .await;
    let task = client
        .ok("POST", "/ip/203.0.113.7/move", json!({"to": LB}))
        .await;
    sim.shutdown().await;

    // The restarted simulator ignores the fixture's objects and continues from the file.
    let sim = Simulator::start(SimConfig {
        persist: Some(path.clone()),
        fixture: Default::default(),
        ..config(20)
    })
    .await
    .unwrap();
    let mut client = Client::new(&sim);
    client.http = reqwest::Client::new();
    assert_eq!(
        client.get(&frontends()).await,
        json!([created["frontendId"]])
    );
    let done = wait_task(&client, &format!("/ip/203.0.113.7/task/{}", task["taskId"])).await;
    assert_eq!(done["status"], "done");
    assert_eq!(
        client
            .get(&format!("/ipLoadbalancing/{LB}/pendingChanges"))
            .await,
        json!([{"number": 1, "zone": "gra"}, {"number": 1, "zone": "rbx"}])
    );
    let next = client
        .ok("POST", &frontends(), json!({"port": "81", "zone": "all"}))
        .await;
    assert!(next["frontendId"].as_u64() > created["frontendId"].as_u64());
    sim.shutdown().await;
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn start_blocking_serves_synchronous_code() {
    let sim = Simulator::start_blocking(config(20)).unwrap();
    let mut stream = std::net::TcpStream::connect(sim.addr()).unwrap();
    use std::io::{Read, Write};
    write!(
        stream,
        "GET /1.0/auth/time HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
        sim.addr()
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(
        response
            .to_ascii_lowercase()
            .contains("x-ovh-queryid: eu.ext-")
    );
    sim.shutdown_blocking();
}

#[test]
fn the_cli_prints_the_base_url_first() {
    let dir =
        std::env::temp_dir().join(format!("ovh-api-sim-cli-{}-{}", std::process::id(), now()));
    std::fs::create_dir_all(&dir).unwrap();
    let fixture = dir.join("fixture.json");
    std::fs::write(
        &fixture,
        serde_json::to_string(&ovh_api_sim::Fixture::example()).unwrap(),
    )
    .unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_ovh-api-sim"))
        .args(["--listen", "127.0.0.1:0", "--fixture"])
        .arg(&fixture)
        .args(["--task-duration", "50ms"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let base = first.trim().to_owned();
    assert!(
        base.starts_with("http://127.0.0.1:") && base.ends_with("/1.0"),
        "{base:?}"
    );
    let addr = base
        .trim_start_matches("http://")
        .trim_end_matches("/1.0")
        .to_owned();
    let mut stream = std::net::TcpStream::connect(&addr).unwrap();
    use std::io::{Read, Write};
    write!(
        stream,
        "GET /1.0/auth/time HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    child.kill().unwrap();
    child.wait().unwrap();
    std::fs::remove_dir_all(&dir).unwrap();

    let help = Command::new(env!("CARGO_BIN_EXE_ovh-api-sim"))
        .arg("--help")
        .output()
        .unwrap();
    let help = String::from_utf8(help.stdout).unwrap();
    for flag in [
        "--listen",
        "--fixture",
        "--task-duration",
        "--latency",
        "--state",
        "--timestamp-window",
    ] {
        assert!(help.contains(flag), "{flag} missing from --help");
    }
}

#[test]
fn the_example_fixture_parses_and_is_consistent() {
    let fixture: ovh_api_sim::Fixture = serde_json::from_str(ovh_api_sim::EXAMPLE_FIXTURE).unwrap();
    assert!(!fixture.load_balancers.is_empty());
    let sim = Simulator::start_blocking(SimConfig {
        fixture,
        ..Default::default()
    })
    .unwrap();
    sim.shutdown_blocking();
}

#[test]
fn refuses_to_listen_beyond_loopback_unless_told_to() {
    let refused = Command::new(env!("CARGO_BIN_EXE_ovh-api-sim"))
        .args(["--listen", "0.0.0.0:0"])
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(2), "{refused:?}");
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("refusing to listen on 0.0.0.0:0")
            && stderr.contains("--allow-non-loopback"),
        "{stderr}"
    );
    assert!(
        refused.stdout.is_empty(),
        "it must not have served: {refused:?}"
    );
}
