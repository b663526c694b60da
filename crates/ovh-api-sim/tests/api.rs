//! The OVH routes: objects, validation, tasks, moves, refresh, pending changes, deploy conditions.

mod common;

use std::time::Duration;

use common::*;
use serde_json::{Value, json};

fn frontends(proto: &str) -> String {
    format!("/ipLoadbalancing/{LB}/{proto}/frontend")
}

/// Creates a frontend of `proto` from `body`; the frontend as the POST answers it.
async fn create_frontend(client: &Client, proto: &str, body: Value) -> Value {
    client.ok("POST", &frontends(proto), body).await
}

/// Starts a refresh of `sn` (`body` may name a zone); the task as the POST answers it.
async fn start_refresh(client: &Client, sn: &str, body: Value) -> Value {
    client
        .ok("POST", &format!("/ipLoadbalancing/{sn}/refresh"), body)
        .await
}

/// The path of one of `sn`'s tasks.
fn task_path(sn: &str, task: &Value) -> String {
    format!("/ipLoadbalancing/{sn}/task/{}", task["id"])
}

/// Refreshes all of `sn`; the task once it has ended.
async fn refresh(client: &Client, sn: &str) -> Value {
    let task = start_refresh(client, sn, Value::Null).await;
    wait_task(client, &task_path(sn, &task)).await
}

/// Refreshes `sn`, which a deploy condition forbids: the task must fail; returns its comment.
async fn refused_refresh(client: &Client, sn: &str) -> String {
    let failed = refresh(client, sn).await;
    assert_eq!(failed["status"], "error", "{failed}");
    failed["comment"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn not_found_errors_are_ovh_shaped() {
    let (_sim, client) = start_with_client(100).await;
    let route = client.call("GET", "/nowhere", None).await;
    assert_eq!(
        (route.status, route.body.clone()),
        (404, json!({"message": "Got an invalid (or empty) URL"}))
    );
    let unencoded = client.call("GET", "/ip/203.0.113.7/32", None).await;
    assert_eq!(unencoded.body["message"], "Got an invalid (or empty) URL");
    let service = client
        .call(
            "GET",
            "/ipLoadbalancing/loadbalancer-nope/http/frontend",
            None,
        )
        .await;
    assert_eq!(service.status, 404);
    assert_eq!(
        service.body,
        json!({"class": "Client::NotFound", "message": "This service does not exist"})
    );
    let object = client
        .call("GET", &format!("{}/999", frontends("http")), None)
        .await;
    assert_eq!(
        (object.status, object.body["class"].clone()),
        (404, json!("Client::NotFound"))
    );
    let unsimulated = client
        .call("GET", &format!("/ipLoadbalancing/{LB}/ssl"), None)
        .await;
    assert_eq!(unsimulated.status, 501);
}

#[tokio::test]
async fn frontend_crud_with_ovh_fields() {
    let (_sim, client) = start_with_client(100).await;
    let created = create_frontend(&client, "http", json!({"port": "80,443", "zone": "all", "dedicatedIpfo": ["203.0.113.8"], "defaultFarmId": 11})).await;
    let id = created["frontendId"].as_u64().unwrap();
    assert_eq!(created["dedicatedIpfo"], json!(["203.0.113.8/32"]));
    for (field, value) in [
        ("displayName", Value::Null),
        ("disabled", json!(false)),
        ("hsts", json!(false)),
        ("redirectLocation", Value::Null),
        ("vrackNetworkId", Value::Null),
    ] {
        assert_eq!(created[field], value, "{field}");
    }
    assert_eq!(client.get(&frontends("http")).await, json!([id]));
    assert_eq!(
        client.get(&format!("{}?zone=all", frontends("http"))).await,
        json!([id])
    );
    assert_eq!(
        client.get(&format!("{}?zone=gra", frontends("http"))).await,
        json!([])
    );
    assert_eq!(client.get(&frontends("tcp")).await, json!([]));

    let put = client
        .call(
            "PUT",
            &format!("{}/{id}", frontends("http")),
            Some(json!({"displayName": "web", "dedicatedIpfo": null})),
        )
        .await;
    assert_eq!((put.status, put.body), (200, Value::Null));
    let read = client.get(&format!("{}/{id}", frontends("http"))).await;
    assert_eq!(
        (
            read["displayName"].clone(),
            read["dedicatedIpfo"].clone(),
            read["port"].clone()
        ),
        (json!("web"), Value::Null, json!("80,443"))
    );

    let udp = create_frontend(&client, "udp", json!({"port": "53", "zone": "gra"})).await;
    assert!(udp.get("hsts").is_none() && udp.get("allowedSource").is_none());

    let deleted = client
        .call("DELETE", &format!("{}/{id}", frontends("http")), None)
        .await;
    assert_eq!((deleted.status, deleted.body), (200, Value::Null));
    assert_eq!(
        client
            .call("GET", &format!("{}/{id}", frontends("http")), None)
            .await
            .status,
        404
    );
}

#[tokio::test]
async fn each_kind_of_invalid_body_is_refused_naming_the_field() {
    let (_sim, client) = start_with_client(100).await;
    let post = |body: Value| async { client.call("POST", &frontends("http"), Some(body)).await };
    let created = create_frontend(&client, "http", json!({"port": "80", "zone": "all"})).await;
    let item = format!("{}/{}", frontends("http"), created["frontendId"]);
    let cases = [
        (
            post(json!({"port": "80", "zone": "all", "color": "red"})).await,
            "[color]",
        ),
        (post(json!({"port": 80, "zone": "all"})).await, "[port]"),
        (
            post(json!({"zone": "all"})).await,
            "[port] is a required property",
        ),
        (
            client
                .call("PUT", &item, Some(json!({"frontendId": 5})))
                .await,
            "[frontendId] is read-only",
        ),
        (
            client
                .call(
                    "PUT",
                    &format!("/ipLoadbalancing/{LB}/http/farm/11"),
                    Some(json!({"balance": "random"})),
                )
                .await,
            "[balance]",
        ),
        (
            client
                .call_raw("POST", &frontends("http"), "{not json")
                .await,
            "isn't valid JSON",
        ),
    ];
    for (reply, needle) in cases {
        assert_eq!(reply.status, 400, "{needle}: {:?}", reply.body);
        assert_eq!(reply.body["class"], "Client::BadRequest");
        assert!(
            reply.body["message"].as_str().unwrap().contains(needle),
            "{needle} not in {:?}",
            reply.body
        );
    }
}

#[tokio::test]
async fn frontend_rules_are_enforced() {
    let (_sim, client) = start_with_client(100).await;
    let cases = [
        (json!({"port": "0", "zone": "all"}), "[port]"),
        (json!({"port": "80-70", "zone": "all"}), "[port]"),
        (json!({"port": "49152", "zone": "all"}), "[port]"),
        (json!({"port": "80", "zone": "bhs"}), "[zone]"),
        (
            json!({"port": "80", "zone": "all", "dedicatedIpfo": ["203.0.113.7/32"]}),
            "[dedicatedIpfo[0]] 203.0.113.7/32 is not a failover IP routed to",
        ),
        (
            json!({"port": "80", "zone": "all", "defaultFarmId": 12}),
            "[defaultFarmId]",
        ),
        (
            json!({"port": "80", "zone": "all", "allowedSource": ["10.0.0.0/8"], "deniedSource": ["10.1.0.0/16"]}),
            "allowedSource",
        ),
    ];
    for (body, needle) in cases {
        let reply = client
            .call("POST", &frontends("http"), Some(body.clone()))
            .await;
        assert_eq!(reply.status, 400, "{body}: {:?}", reply.body);
        assert!(
            reply.body["message"].as_str().unwrap().contains(needle),
            "{needle} not in {:?}",
            reply.body
        );
    }
    // Zone names compare case-insensitively; an empty source list does not conflict.
    create_frontend(
        &client,
        "http",
        json!({"port": "80", "zone": "GRA", "allowedSource": [], "deniedSource": ["10.0.0.0/8"]}),
    )
    .await;
}

#[tokio::test]
async fn move_task_lifecycle_then_failover_lists_the_ip() {
    let (_sim, client) = start_with_client(600).await;
    let task = client
        .ok("POST", "/ip/203.0.113.7/move", json!({"to": LB}))
        .await;
    assert_eq!(task["function"], "genericMoveFloatingIp");
    assert_eq!(task["status"], "init");
    assert_eq!(task["destination"], json!({"serviceName": LB}));
    let failover = format!("/ipLoadbalancing/{LB}/failover");
    assert_eq!(client.get(&failover).await, json!(["203.0.113.8/32"]));
    // A second move while the first runs is refused.
    assert_eq!(
        client
            .call("POST", "/ip/203.0.113.7%2F32/move", Some(json!({"to": LB})))
            .await
            .status,
        409
    );
    let path = format!("/ip/203.0.113.7%2F32/task/{}", task["taskId"]);
    let mut seen = Vec::new();
    loop {
        let status = client.get(&path).await["status"]
            .as_str()
            .unwrap()
            .to_owned();
        if seen.last() != Some(&status) {
            seen.push(status.clone());
        }
        if status == "done" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!(seen, ["init", "todo", "doing", "done"]);
    assert_eq!(
        client.get(&failover).await,
        json!(["203.0.113.7/32", "203.0.113.8/32"])
    );
    assert_eq!(
        client.get("/ip/203.0.113.7").await["routedTo"],
        json!({"serviceName": LB})
    );
    assert_eq!(
        client
            .get("/ip/203.0.113.7/task?function=genericMoveFloatingIp&status=done")
            .await,
        json!([task["taskId"]])
    );

    let done = client.get(&path).await;
    assert!(done["doneDate"].is_string());
    let park = client
        .ok("POST", "/ip/203.0.113.7%2F32/park", Value::Null)
        .await;
    wait_task(&client, &format!("/ip/203.0.113.7/task/{}", park["taskId"])).await;
    assert_eq!(client.get(&failover).await, json!(["203.0.113.8/32"]));
    assert_eq!(
        client.get("/ip/203.0.113.7").await["routedTo"],
        json!({"serviceName": null})
    );
}

#[tokio::test]
async fn move_to_an_unknown_destination_is_refused() {
    let (_sim, client) = start_with_client(100).await;
    let reply = client
        .call(
            "POST",
            "/ip/203.0.113.7/move",
            Some(json!({"to": "server-1"})),
        )
        .await;
    assert_eq!(
        (reply.status, reply.body["class"].clone()),
        (400, json!("Client::BadRequest"))
    );
    let missing = client
        .call("POST", "/ip/203.0.113.7/move", Some(json!({})))
        .await;
    assert!(missing.body["message"].as_str().unwrap().contains("[to]"));
    assert_eq!(client.call("GET", "/ip/192.0.2.1", None).await.status, 404);
}

#[tokio::test]
async fn refresh_lifecycle_and_one_at_a_time() {
    let (_sim, client) = start_with_client(600).await;
    create_frontend(
        &client,
        "http",
        json!({"port": "80", "zone": "all", "defaultFarmId": 11}),
    )
    .await;
    let task = start_refresh(&client, LB, Value::Null).await;
    assert_eq!(
        (
            task["action"].clone(),
            task["status"].clone(),
            task["progress"].clone()
        ),
        (json!("refreshIplb"), json!("todo"), json!(0))
    );
    assert_eq!(task["zones"], json!(["gra", "rbx"]));
    let again = client
        .call(
            "POST",
            &format!("/ipLoadbalancing/{LB}/refresh"),
            Some(json!({"zone": "gra"})),
        )
        .await;
    assert_eq!(again.status, 409, "{:?}", again.body);
    assert!(
        again.body["message"]
            .as_str()
            .unwrap()
            .contains("already running")
    );
    let running = client
        .get(&format!(
            "/ipLoadbalancing/{LB}/task?action=refreshIplb&status=todo"
        ))
        .await;
    assert_eq!(running, json!([task["id"]]));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(client.get(&task_path(LB, &task)).await["status"], "doing");
    let done = wait_task(&client, &task_path(LB, &task)).await;
    assert_eq!(
        (done["status"].clone(), done["progress"].clone()),
        (json!("done"), json!(100))
    );
    assert!(done["doneDate"].is_string());
    // Now a new one is accepted.
    start_refresh(&client, LB, json!({"zone": "gra"})).await;
}

#[tokio::test]
async fn pending_changes_are_counted_per_zone_and_cleared_by_a_refresh() {
    let (_sim, client) = start_with_client(50).await;
    let pending = format!("/ipLoadbalancing/{LB}/pendingChanges");
    assert_eq!(client.get(&pending).await, json!([]));
    let fe = create_frontend(
        &client,
        "http",
        json!({"port": "80", "zone": "all", "defaultFarmId": 11}),
    )
    .await;
    client
        .ok(
            "PUT",
            &format!("{}/{}", frontends("http"), fe["frontendId"]),
            json!({"displayName": "x"}),
        )
        .await;
    create_frontend(
        &client,
        "tcp",
        json!({"port": "22", "zone": "rbx", "defaultFarmId": 12}),
    )
    .await;
    assert_eq!(
        client.get(&pending).await,
        json!([{"number": 2, "zone": "gra"}, {"number": 3, "zone": "rbx"}])
    );
    let task = start_refresh(&client, LB, json!({"zone": "gra"})).await;
    wait_task(&client, &task_path(LB, &task)).await;
    assert_eq!(
        client.get(&pending).await,
        json!([{"number": 3, "zone": "rbx"}])
    );
    assert_eq!(refresh(&client, LB).await["status"], "done");
    assert_eq!(client.get(&pending).await, json!([]));
}

#[tokio::test]
async fn each_violated_deploy_condition_fails_the_refresh_naming_the_cause() {
    let (sim, client) = start_with_client(30).await;
    // No frontend at all.
    let comment = refused_refresh(&client, LB).await;
    assert!(comment.contains("no frontend"), "{comment}");

    // A frontend with no route, redirect or default farm; then made valid by a route.
    let fe = create_frontend(&client, "tcp", json!({"port": "22", "zone": "all"})).await;
    let id = fe["frontendId"].as_u64().unwrap();
    let comment = refused_refresh(&client, LB).await;
    assert!(comment.contains(&format!("frontend {id}")), "{comment}");
    let route = client
        .ok(
            "POST",
            &format!("/ipLoadbalancing/{LB}/tcp/route"),
            json!({"frontendId": id, "action": {"type": "farm", "target": "12"}}),
        )
        .await;
    assert_eq!(route["status"], "ok");
    assert_eq!(
        client
            .get(&format!("/ipLoadbalancing/{LB}/tcp/route?frontendId={id}"))
            .await,
        json!([route["routeId"]])
    );
    assert_eq!(refresh(&client, LB).await["status"], "done");

    // A farm in a vRack network on an LB outside any vRack (changed behind the client's back).
    let drift = admin(
        &sim,
        "PUT",
        &format!("/_sim/ovh/ipLoadbalancing/{LB}/http/farm/11"),
        Some(json!({"vrackNetworkId": 7})),
    )
    .await;
    assert_eq!(
        drift.status, 400,
        "unknown network refused: {:?}",
        drift.body
    );
    let failed = refresh(&client, VRACK_LB).await;
    assert!(failed["comment"].as_str().unwrap().contains("no frontend"));
    client
        .ok(
            "POST",
            &format!("/ipLoadbalancing/{VRACK_LB}/http/frontend"),
            json!({"port": "80", "zone": "sbg", "defaultFarmId": 21}),
        )
        .await;
    assert_eq!(refresh(&client, VRACK_LB).await["status"], "done");
    // A farm outside the vRack on an LB in a vRack.
    let farm = client
        .ok(
            "POST",
            &format!("/ipLoadbalancing/{VRACK_LB}/tcp/farm"),
            json!({"zone": "sbg", "port": 22}),
        )
        .await;
    let comment = refused_refresh(&client, VRACK_LB).await;
    assert!(
        comment.contains(&format!("farm {}", farm["farmId"])) && comment.contains("vRack"),
        "{comment}"
    );
}

#[tokio::test]
async fn a_farm_in_a_vrack_on_an_lb_outside_one_fails_the_refresh() {
    let mut fixture = fixture();
    fixture.farms[0].vrack_network_id = Some(7);
    let sim = ovh_api_sim::Simulator::start(ovh_api_sim::SimConfig {
        fixture,
        task_duration: Duration::from_millis(20),
        ..Default::default()
    })
    .await
    .unwrap();
    let client = Client::new(&sim);
    create_frontend(
        &client,
        "http",
        json!({"port": "80", "zone": "all", "redirectLocation": "https://example.com"}),
    )
    .await;
    let comment = refused_refresh(&client, LB).await;
    assert!(comment.contains("farm 11 (http)"), "{comment}");
}
