//! Authentication: signatures, timestamps, credentials, bearer tokens, and OVH's error bodies.

mod common;

use common::*;
use serde_json::{Value, json};

fn assert_auth_error(reply: &Reply, status: u16, code: &str) {
    assert_eq!(reply.status, status, "{:?}", reply.body);
    let body = reply.body.as_object().unwrap();
    for key in ["class", "errorCode", "httpCode", "message"] {
        assert!(body.contains_key(key), "{key} missing in {body:?}");
    }
    assert_eq!(body["errorCode"], code);
    assert!(
        body["httpCode"]
            .as_str()
            .unwrap()
            .starts_with(&status.to_string())
    );
}

#[tokio::test]
async fn a_signed_call_works_and_has_a_query_id() {
    let (_sim, client) = start_with_client(100).await;
    let reply = client.call("GET", "/ipLoadbalancing", None).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body, json!([LB, VRACK_LB]));
    let query_id = reply.headers["x-ovh-queryid"].to_str().unwrap();
    assert!(query_id.starts_with("EU.ext-"), "{query_id}");
}

#[tokio::test]
async fn wrong_signature_is_invalid_signature_with_the_four_keys() {
    let sim = start(100).await;
    let mut client = Client::new(&sim);
    client.secret = "WRONG".into();
    let reply = client.call("GET", "/ipLoadbalancing", None).await;
    assert_auth_error(&reply, 400, "INVALID_SIGNATURE");
    assert_eq!(reply.body["message"], "Invalid signature");
    assert!(reply.headers.contains_key("x-ovh-queryid"));
}

#[tokio::test]
async fn the_signature_covers_the_raw_path_query_and_body() {
    let (sim, client) = start_with_client(100).await;
    // Same call, signed over a differently encoded URL: refused.
    let url = format!("{}/ip/203.0.113.7%2F32", sim.base_url());
    let ts = now().to_string();
    let signed_over = format!("{}/ip/203.0.113.7%2f32", sim.base_url());
    let reply = reply(
        client
            .http
            .get(&url)
            .header("X-Ovh-Application", "AK")
            .header("X-Ovh-Consumer", "CK")
            .header("X-Ovh-Timestamp", &ts)
            .header(
                "X-Ovh-Signature",
                sign("AS", "CK", "GET", &signed_over, "", &ts),
            )
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_auth_error(&reply, 400, "INVALID_SIGNATURE");
    assert_eq!(
        client.get("/ip?type=failover").await,
        json!(["203.0.113.7/32", "203.0.113.8/32"])
    );
    assert_eq!(
        client.get("/ip/203.0.113.7%2F32").await["ip"],
        "203.0.113.7/32"
    );
}

#[tokio::test]
async fn stale_timestamp_is_refused() {
    let sim = start(100).await;
    let mut client = Client::new(&sim);
    client.skew = -400;
    let reply = client.call("GET", "/ipLoadbalancing", None).await;
    assert_auth_error(&reply, 400, "QUERY_TIME_OUT");
    client.skew = 250;
    assert_eq!(
        client.call("GET", "/ipLoadbalancing", None).await.status,
        200
    );
}

#[tokio::test]
async fn unknown_keys_and_missing_headers_are_refused() {
    let sim = start(100).await;
    let mut client = Client::new(&sim);
    client.ck = "NOPE".into();
    assert_auth_error(
        &client.call("GET", "/ipLoadbalancing", None).await,
        403,
        "NOT_CREDENTIAL",
    );
    client.ck = "CK".into();
    client.ak = "NOPE".into();
    assert_auth_error(
        &client.call("GET", "/ipLoadbalancing", None).await,
        403,
        "INVALID_KEY",
    );
    let unsigned = reply(
        reqwest::get(format!("{}/ipLoadbalancing", sim.base_url()))
            .await
            .unwrap(),
    )
    .await;
    assert_auth_error(&unsigned, 401, "NOT_AUTHENTICATED");
    // /auth/time needs no signature.
    let time = reply(
        reqwest::get(format!("{}/auth/time", sim.base_url()))
            .await
            .unwrap(),
    )
    .await;
    assert!((time.body.as_i64().unwrap() - now()).abs() <= 2);
}

#[tokio::test]
async fn bearer_tokens_from_the_token_endpoint_and_the_fixture_work() {
    let sim = start(100).await;
    let http = reqwest::Client::new();
    let token_reply = reply(
        http.post(sim.token_url())
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body("grant_type=client_credentials&client_id=ID&client_secret=SECRET&scope=all")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(token_reply.status, 200, "{:?}", token_reply.body);
    assert_eq!(token_reply.body["token_type"], "Bearer");
    assert!(token_reply.body["expires_in"].as_u64().unwrap() > 0);
    let token = token_reply.body["access_token"].as_str().unwrap();

    // Basic authentication under /1.0 works too.
    let basic = reply(
        http.post(format!("{}/auth/oauth2/token", sim.base_url()))
            .basic_auth("ID", Some("SECRET"))
            .body("grant_type=client_credentials")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(basic.status, 200);

    let details = reply(
        http.get(format!("{}/auth/details", sim.base_url()))
            .bearer_auth(token)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(details.status, 200);
    assert_eq!(details.body["method"], "oauth2_client_credentials");
    let lbs = reply(
        http.get(format!("{}/ipLoadbalancing", sim.base_url()))
            .bearer_auth("STATIC-TOKEN")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(lbs.status, 200);
    let bad = reply(
        http.get(format!("{}/ipLoadbalancing", sim.base_url()))
            .bearer_auth("nope")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(bad.status, 401);

    let wrong = reply(
        http.post(sim.token_url())
            .body("grant_type=client_credentials&client_id=ID&client_secret=bad")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(wrong.status, 401);
    assert_eq!(wrong.body["error"], "invalid_client");
    // The request log never shows the client secret.
    let log = admin(&sim, "GET", "/_sim/requests", None)
        .await
        .body
        .to_string();
    assert!(!log.contains("SECRET"), "{log}");
}

#[tokio::test]
async fn v1_alias_and_auth_introspection() {
    let sim = start(100).await;
    let mut client = Client::new(&sim);
    client.base = format!("{}/v1", sim.root_url());
    assert_eq!(client.get("/ipLoadbalancing").await, json!([LB, VRACK_LB]));
    let details = client.get("/auth/details").await;
    assert_eq!(details["method"], "account");
    let credential = client.get("/auth/currentCredential").await;
    assert_eq!(credential["status"], "validated");
    assert!(
        credential["rules"]
            .as_array()
            .is_some_and(|r| !r.is_empty())
    );
    assert_ne!(details["account"], Value::Null);
}
