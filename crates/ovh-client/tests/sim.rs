//! The client against the in-process OVH API simulator: every call the provider needs, each authentication
//! method, retries under injected faults, POST safety, task failures, cancellation and error rendering.

use std::time::Duration;

use ovh_api_sim::{FaultKind, FaultRule, Fixture, SimConfig, Simulator};
use ovh_client::{
    Auth, CancellationToken, Client, ClientOptions, ConfigInput, Delivery, Endpoint, Error,
    Frontend, FrontendFilter, IpTaskStatus, IplbTaskStatus, MAX_RESPONSE_BODY, PollPolicy,
    Protocol, ResolvedConfig, RetryPolicy, Secret, TaskKind, resolve,
};
use tokio::time::Instant;

const LB: &str = "loadbalancer-0123abcd";
const FREE_IP: &str = "203.0.113.7/32";

/// The example fixture with quick tasks.
fn base_config() -> SimConfig {
    SimConfig {
        fixture: Fixture::example(),
        task_duration: Duration::from_millis(150),
        ..SimConfig::default()
    }
}

async fn sim_with(config: SimConfig) -> Simulator {
    Simulator::start(config).await.expect("simulator starts")
}

async fn sim() -> Simulator {
    sim_with(base_config()).await
}

fn fast_options() -> ClientOptions {
    ClientOptions {
        retry: RetryPolicy {
            max_retries: 4,
            base_delay: Duration::from_millis(5),
            max_delay: Duration::from_millis(40),
            ..RetryPolicy::default()
        },
        poll: PollPolicy {
            initial: Duration::from_millis(20),
            factor: 1.5,
            max: Duration::from_millis(100),
        },
        request_timeout: Duration::from_secs(10),
        ..ClientOptions::default()
    }
}

fn app_config(base_url: &str, secret: &str) -> ResolvedConfig {
    let input = ConfigInput {
        endpoint: Some(base_url.to_owned()),
        application_key: Some("AK".into()),
        application_secret: Some(secret.into()),
        consumer_key: Some("CK".into()),
        ..ConfigInput::default()
    };
    resolve(&input, &|_| None, &[]).expect("valid settings")
}

fn client(sim: &Simulator) -> Client {
    Client::new(app_config(&sim.base_url(), "AS"), fast_options()).expect("client builds")
}

fn rule(method: &str, path: &str, kind: FaultKind, times: u32) -> FaultRule {
    FaultRule {
        id: 0,
        method: Some(method.to_owned()),
        path: path.to_owned(),
        kind,
        times: Some(times),
        probability: None,
        fired: 0,
    }
}

fn status_fault(status: u16, retry_after: Option<u64>) -> FaultKind {
    FaultKind::Status {
        status,
        retry_after,
    }
}

/// How many requests of `method` whose raw path ends with `suffix` the simulator received.
fn count(sim: &Simulator, method: &str, suffix: &str) -> usize {
    sim.requests()
        .iter()
        .filter(|r| r.method == method && r.path.ends_with(suffix))
        .count()
}

fn deadline() -> Instant {
    Instant::now() + Duration::from_secs(10)
}

fn http_frontend(port: &str) -> Frontend {
    Frontend {
        port: Some(port.into()),
        zone: Some("all".into()),
        display_name: Some("web".into()),
        default_farm_id: Some(11),
        dedicated_ipfo: Some(vec!["203.0.113.8/32".into()]),
        ..Frontend::default()
    }
}

#[tokio::test]
async fn credentials_and_load_balancer_reads() {
    let sim = sim().await;
    let c = client(&sim);
    let details = c.check_credentials().await.unwrap();
    assert!(!details.account.is_empty());

    let lb = c.get_load_balancer(LB).await.unwrap();
    assert_eq!(lb.service_name, LB);
    assert_eq!(lb.ipv4.as_deref(), Some("198.51.100.10"));
    assert_eq!(lb.zone, vec!["gra", "rbx"]);
    assert_eq!(c.list_zones(LB).await.unwrap(), vec!["gra", "rbx"]);
    assert_eq!(
        c.list_failover_ips(LB).await.unwrap(),
        vec!["203.0.113.8/32"]
    );

    let err = c.get_load_balancer("loadbalancer-nope").await.unwrap_err();
    assert!(err.is_not_found(), "{err}");

    // One /auth/time for the whole client: the delta is fetched once and shared.
    assert_eq!(count(&sim, "GET", "/auth/time"), 1);
    let clone = c.clone();
    clone.list_zones(LB).await.unwrap();
    assert_eq!(count(&sim, "GET", "/auth/time"), 1);
}

#[tokio::test]
async fn farms_routes_and_vrack_networks() {
    let sim = sim().await;
    let c = client(&sim);
    assert_eq!(
        c.list_farms(LB, Protocol::Http, None).await.unwrap(),
        vec![11]
    );
    assert_eq!(
        c.list_farms(LB, Protocol::Tcp, Some("all")).await.unwrap(),
        vec![12]
    );
    let farm = c.get_farm(LB, Protocol::Udp, 13).await.unwrap();
    assert_eq!(
        (
            farm.farm_id,
            farm.zone.as_str(),
            farm.port,
            farm.vrack_network_id
        ),
        (13, "all", Some(53), None)
    );
    let vrack_farm = c
        .get_farm("loadbalancer-4567ef01", Protocol::Http, 21)
        .await
        .unwrap();
    assert_eq!(vrack_farm.vrack_network_id, Some(7));
    assert_eq!(
        c.list_vrack_networks("loadbalancer-4567ef01")
            .await
            .unwrap(),
        vec![7]
    );

    assert!(
        c.list_routes(LB, Protocol::Http, Some(1))
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        c.list_routes(LB, Protocol::Udp, None)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        sim.requests()
            .iter()
            .all(|r| !r.path.contains("/udp/route")),
        "UDP has no routes to call"
    );
}

#[tokio::test]
async fn routes_are_listed_by_frontend() {
    let mut fixture = Fixture::example();
    fixture.frontends = serde_json::from_value(serde_json::json!([
        {"service_name": LB, "protocol": "http", "frontend_id": 100, "port": "80", "zone": "all"}
    ]))
    .unwrap();
    fixture.routes = serde_json::from_value(serde_json::json!([
        {"service_name": LB, "protocol": "http", "route_id": 5, "frontendId": 100,
         "action": {"type": "farm", "target": "11"}, "weight": 1}
    ]))
    .unwrap();
    let sim = sim_with(SimConfig {
        fixture,
        ..base_config()
    })
    .await;
    let c = client(&sim);
    assert_eq!(
        c.list_routes(LB, Protocol::Http, Some(100)).await.unwrap(),
        vec![5]
    );
    assert!(
        c.list_routes(LB, Protocol::Http, Some(999))
            .await
            .unwrap()
            .is_empty()
    );
    let route = c.get_route(LB, Protocol::Http, 5).await.unwrap();
    assert_eq!(
        (route.frontend_id, route.action.action_type.as_str()),
        (Some(100), "farm")
    );
    assert!(
        sim.requests()
            .iter()
            .any(|r| r.query.as_deref() == Some("frontendId=100"))
    );
}

#[tokio::test]
async fn frontend_lifecycle_for_every_protocol() {
    let sim = sim().await;
    let c = client(&sim);
    for (protocol, farm) in [
        (Protocol::Http, 11),
        (Protocol::Tcp, 12),
        (Protocol::Udp, 13),
    ] {
        let wanted = Frontend {
            default_farm_id: Some(farm),
            ..http_frontend("8080")
        };
        let created = c.create_frontend(LB, protocol, &wanted).await.unwrap();
        let id = created.frontend_id.expect("created frontend has an id");
        assert_eq!(created.port.as_deref(), Some("8080"), "{protocol}");

        let got = c.get_frontend(LB, protocol, id).await.unwrap();
        assert_eq!(got.display_name.as_deref(), Some("web"));
        assert_eq!(got.dedicated_ipfo, Some(vec!["203.0.113.8/32".to_owned()]));
        assert_eq!(got.default_farm_id, Some(farm));

        let filter = FrontendFilter {
            zone: Some("all".into()),
            port: Some("8080".into()),
            ..Default::default()
        };
        assert_eq!(
            c.list_frontends(LB, protocol, &filter).await.unwrap(),
            vec![id]
        );

        // Clearing optionals: None is sent as null and the API forgets the value.
        let update = Frontend {
            display_name: None,
            default_farm_id: None,
            dedicated_ipfo: None,
            ..got.clone()
        };
        c.update_frontend(LB, protocol, id, &update).await.unwrap();
        let got = c.get_frontend(LB, protocol, id).await.unwrap();
        assert_eq!(got.display_name, None, "{protocol}");
        assert_eq!(got.default_farm_id, None, "{protocol}");
        assert!(
            got.dedicated_ipfo.unwrap_or_default().is_empty(),
            "{protocol}"
        );

        c.delete_frontend(LB, protocol, id).await.unwrap();
        assert!(
            c.get_frontend(LB, protocol, id)
                .await
                .unwrap_err()
                .is_not_found()
        );
    }
    let puts: Vec<_> = sim
        .requests()
        .into_iter()
        .filter(|r| r.method == "PUT")
        .collect();
    assert_eq!(puts.len(), 3);
    for put in puts {
        let body = put.body.as_object().unwrap();
        assert!(
            body.get("displayName").is_some_and(|v| v.is_null()),
            "{body:?}"
        );
        for read_only in ["frontendId", "vrackNetworkId", "vrackVrouterId"] {
            assert!(
                !body.contains_key(read_only),
                "{read_only} sent in {body:?}"
            );
        }
    }
}

#[tokio::test]
async fn refresh_waits_for_the_task_and_clears_pending_changes() {
    let sim = sim().await;
    let c = client(&sim);
    c.create_frontend(LB, Protocol::Http, &http_frontend("80"))
        .await
        .unwrap();
    let pending = c.pending_changes(LB).await.unwrap();
    assert!(pending.iter().any(|p| p.number > 0), "{pending:?}");

    let task = c.refresh(LB, None).await.unwrap();
    assert_eq!(task.action, "refreshIplb");
    let running = c
        .list_iplb_tasks(LB, Some("refreshIplb"), None)
        .await
        .unwrap();
    assert!(running.contains(&task.id));
    let done = c
        .wait_iplb_task(LB, task.id, deadline(), &CancellationToken::new())
        .await
        .unwrap();
    assert_eq!(done.status, IplbTaskStatus::Done);
    assert_eq!(
        c.get_iplb_task(LB, task.id).await.unwrap().status,
        IplbTaskStatus::Done
    );
    assert!(
        c.list_iplb_tasks(LB, Some("refreshIplb"), Some("todo"))
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        c.pending_changes(LB)
            .await
            .unwrap()
            .iter()
            .all(|p| p.number == 0)
    );

    // A zone-scoped refresh sends {"zone": ...}.
    c.create_frontend(
        LB,
        Protocol::Tcp,
        &Frontend {
            default_farm_id: Some(12),
            ..http_frontend("22")
        },
    )
    .await
    .unwrap();
    let task = c.refresh(LB, Some("gra")).await.unwrap();
    c.wait_iplb_task(LB, task.id, deadline(), &CancellationToken::new())
        .await
        .unwrap();
    let last_refresh = sim
        .requests()
        .into_iter()
        .rfind(|r| r.path.ends_with("/refresh"))
        .unwrap();
    assert_eq!(last_refresh.body, serde_json::json!({"zone": "gra"}));
}

#[tokio::test]
async fn move_and_park_a_failover_ip() {
    let sim = sim().await;
    let c = client(&sim);
    let ip = c.get_ip(FREE_IP).await.unwrap();
    assert_eq!(
        (ip.ip.as_str(), ip.ip_type.as_str(), ip.routed_to_service()),
        (FREE_IP, "failover", None)
    );

    let task = c.move_ip(FREE_IP, LB, None).await.unwrap();
    let pending = c
        .list_ip_tasks(FREE_IP, Some(&task.function), None)
        .await
        .unwrap();
    assert!(pending.contains(&task.task_id));
    let done = c
        .wait_ip_task(FREE_IP, task.task_id, deadline(), &CancellationToken::new())
        .await
        .unwrap();
    assert_eq!(done.status, IpTaskStatus::Done);
    assert_eq!(
        c.get_ip_task(FREE_IP, task.task_id).await.unwrap().status,
        IpTaskStatus::Done
    );
    assert!(
        c.list_failover_ips(LB)
            .await
            .unwrap()
            .contains(&FREE_IP.to_owned())
    );
    assert_eq!(
        c.get_ip(FREE_IP).await.unwrap().routed_to_service(),
        Some(LB)
    );

    let task = c.park_ip(FREE_IP).await.unwrap();
    c.wait_ip_task(FREE_IP, task.task_id, deadline(), &CancellationToken::new())
        .await
        .unwrap();
    assert!(
        !c.list_failover_ips(LB)
            .await
            .unwrap()
            .contains(&FREE_IP.to_owned())
    );

    let moves: Vec<_> = sim
        .requests()
        .into_iter()
        .filter(|r| r.path.ends_with("/move"))
        .collect();
    assert_eq!(moves.len(), 1);
    assert_eq!(
        moves[0].path, "/1.0/ip/203.0.113.7%2F32/move",
        "the block's slash is percent-encoded"
    );
    assert_eq!(moves[0].body, serde_json::json!({"to": LB}));
    let park = sim
        .requests()
        .into_iter()
        .find(|r| r.path.ends_with("/park"))
        .unwrap();
    assert!(park.body.is_null(), "park has no body");
}

#[tokio::test]
async fn oauth2_and_access_token() {
    let sim = sim().await;
    let oauth = ResolvedConfig {
        endpoint: Endpoint::parse(&sim.base_url()).unwrap(),
        auth: Auth::OAuth2 {
            client_id: "ID".into(),
            client_secret: Secret::from("SECRET"),
            token_url: sim.token_url(),
        },
    };
    let c = Client::new(oauth, fast_options()).unwrap();
    c.check_credentials().await.unwrap();
    c.get_load_balancer(LB).await.unwrap();
    assert_eq!(
        count(&sim, "POST", "/auth/oauth2/token"),
        1,
        "the token is cached"
    );

    let resolved = resolve(
        &ConfigInput {
            endpoint: Some(sim.base_url()),
            client_id: Some("ID".into()),
            client_secret: Some("SECRET".into()),
            ..Default::default()
        },
        &|_| None,
        &[],
    )
    .unwrap();
    assert!(
        matches!(&resolved.auth, Auth::OAuth2 { token_url, .. } if *token_url == sim.token_url())
    );

    let bad = ResolvedConfig {
        endpoint: Endpoint::parse(&sim.base_url()).unwrap(),
        auth: Auth::OAuth2 {
            client_id: "ID".into(),
            client_secret: Secret::from("WRONG"),
            token_url: sim.token_url(),
        },
    };
    let err = Client::new(bad, fast_options())
        .unwrap()
        .check_credentials()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::OAuth2 { .. }), "{err}");
    assert!(!err.to_string().contains("WRONG"), "{err}");

    let token = ResolvedConfig {
        endpoint: Endpoint::parse(&sim.base_url()).unwrap(),
        auth: Auth::AccessToken(Secret::from("TOKEN")),
    };
    Client::new(token, fast_options())
        .unwrap()
        .get_load_balancer(LB)
        .await
        .unwrap();
}

#[tokio::test]
async fn wrong_secret_gives_the_api_error_in_one_line() {
    let sim = sim().await;
    let c = Client::new(
        app_config(&sim.base_url(), "NOT-THE-SECRET"),
        fast_options(),
    )
    .unwrap();
    let err = c.check_credentials().await.unwrap_err();
    let api = err.api_error().expect("an API error");
    assert_eq!(api.status, 400);
    assert_eq!(api.error_code.as_deref(), Some("INVALID_SIGNATURE"));
    let line = err.to_string();
    assert!(line.starts_with("OVH API error 400"), "{line}");
    assert!(
        line.contains("query id ") && !line.contains("no query id"),
        "{line}"
    );
    assert!(
        !line.contains('\n') && !line.contains("NOT-THE-SECRET"),
        "{line}"
    );
    assert_eq!(
        count(&sim, "GET", "/auth/details"),
        1,
        "a 400 is not retried"
    );
}

#[tokio::test]
async fn server_clock_offset_is_compensated() {
    let sim = sim_with(SimConfig {
        clock_offset_secs: 3 * 3600,
        ..base_config()
    })
    .await;
    client(&sim).check_credentials().await.unwrap();
    // The check went out at once with the local clock, was refused as stale, and was sent again with the server's.
    assert_eq!(count(&sim, "GET", "/auth/details"), 2);
    assert_eq!(count(&sim, "GET", "/auth/time"), 1);
    // A wrong secret is still reported as the API words it, from the check stamped with the server time.
    assert_wrong_secret_refused(&sim, 2).await;
}

/// A client with a wrong application secret fails its credential check with the API's `INVALID_SIGNATURE`, after
/// `checks` calls of `GET /auth/details`.
async fn assert_wrong_secret_refused(sim: &Simulator, checks: usize) {
    let before = count(sim, "GET", "/auth/details");
    let wrong = Client::new(app_config(&sim.base_url(), "WRONG"), fast_options()).unwrap();
    let error = wrong.check_credentials().await.unwrap_err();
    assert!(error.to_string().contains("INVALID_SIGNATURE"), "{error}");
    assert_eq!(count(sim, "GET", "/auth/details") - before, checks);
}

#[tokio::test]
async fn the_credential_check_does_not_wait_for_the_server_time() {
    // One second per call: sending the check after GET /auth/time would take two.
    let sim = sim_with(SimConfig {
        latency: Duration::from_secs(1),
        ..base_config()
    })
    .await;
    let c = client(&sim);
    let started = Instant::now();
    c.check_credentials().await.unwrap();
    let took = started.elapsed();
    assert!(took < Duration::from_millis(1800), "took {took:?}");
    assert_eq!(
        count(&sim, "GET", "/auth/details"),
        1,
        "the clock is in step: sent once"
    );
    assert_eq!(count(&sim, "GET", "/auth/time"), 1);
    // Once the server time is known, later checks are stamped with it directly.
    c.check_credentials().await.unwrap();
    assert_eq!(count(&sim, "GET", "/auth/details"), 2);
    assert_eq!(count(&sim, "GET", "/auth/time"), 1);
    // A wrong secret with a clock in step: the early answer stands, the refusal is not sent again.
    assert_wrong_secret_refused(&sim, 1).await;
}

#[tokio::test]
async fn reads_converge_under_429_503_and_dropped_connections() {
    let sim = sim().await;
    let c = client(&sim);
    sim.add_faults(vec![
        rule("GET", "/ipLoadbalancing/*", status_fault(503, None), 1),
        rule("GET", "/ipLoadbalancing/*", status_fault(429, Some(0)), 1),
        rule(
            "GET",
            "/ipLoadbalancing/*",
            FaultKind::Drop {
                after_handling: false,
            },
            1,
        ),
        rule(
            "GET",
            "/ipLoadbalancing/*",
            FaultKind::Drop {
                after_handling: true,
            },
            1,
        ),
    ])
    .unwrap();
    let lb = c.get_load_balancer(LB).await.unwrap();
    assert_eq!(lb.service_name, LB);
    assert_eq!(
        count(&sim, "GET", "/ipLoadbalancing/loadbalancer-0123abcd"),
        5
    );
}

#[tokio::test]
async fn retry_after_is_honoured() {
    let sim = sim().await;
    let c = client(&sim);
    sim.add_faults(vec![rule(
        "GET",
        "/ipLoadbalancing/*/zone",
        status_fault(429, Some(1)),
        1,
    )])
    .unwrap();
    let started = std::time::Instant::now();
    c.list_zones(LB).await.unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(950),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn puts_and_deletes_are_retried_after_5xx() {
    let sim = sim().await;
    let c = client(&sim);
    let created = c
        .create_frontend(LB, Protocol::Http, &http_frontend("80"))
        .await
        .unwrap();
    let id = created.frontend_id.unwrap();
    sim.add_faults(vec![
        rule("PUT", "/ipLoadbalancing/**", status_fault(502, None), 2),
        rule(
            "DELETE",
            "/ipLoadbalancing/**",
            FaultKind::Drop {
                after_handling: false,
            },
            1,
        ),
    ])
    .unwrap();
    c.update_frontend(
        LB,
        Protocol::Http,
        id,
        &Frontend {
            display_name: Some("x".into()),
            ..created
        },
    )
    .await
    .unwrap();
    c.delete_frontend(LB, Protocol::Http, id).await.unwrap();
    assert_eq!(count(&sim, "PUT", &format!("/frontend/{id}")), 3);
    assert_eq!(count(&sim, "DELETE", &format!("/frontend/{id}")), 2);
}

#[tokio::test]
async fn a_post_that_reached_the_server_is_not_retried() {
    let sim = sim().await;
    let c = client(&sim);

    sim.add_faults(vec![rule(
        "POST",
        "/ipLoadbalancing/*/http/frontend",
        status_fault(503, None),
        1,
    )])
    .unwrap();
    let err = c
        .create_frontend(LB, Protocol::Http, &http_frontend("80"))
        .await
        .unwrap_err();
    assert_eq!(err.api_error().map(|e| e.status), Some(503), "{err}");
    assert_eq!(count(&sim, "POST", "/http/frontend"), 1);

    sim.add_faults(vec![rule(
        "POST",
        "/ipLoadbalancing/*/http/frontend",
        FaultKind::Drop {
            after_handling: true,
        },
        1,
    )])
    .unwrap();
    let err = c
        .create_frontend(LB, Protocol::Http, &http_frontend("81"))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Transport { attempts: 1, .. }), "{err}");
    assert_eq!(count(&sim, "POST", "/http/frontend"), 2);
    // The server did act on it: exactly one frontend with that port exists, none was created twice.
    let filter = FrontendFilter {
        port: Some("81".into()),
        ..Default::default()
    };
    assert_eq!(
        c.list_frontends(LB, Protocol::Http, &filter)
            .await
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn a_throttled_post_is_retried() {
    let sim = sim().await;
    let c = client(&sim);
    sim.add_faults(vec![rule(
        "POST",
        "/ip/*/move",
        status_fault(429, Some(0)),
        2,
    )])
    .unwrap();
    let task = c.move_ip(FREE_IP, LB, None).await.unwrap();
    c.wait_ip_task(FREE_IP, task.task_id, deadline(), &CancellationToken::new())
        .await
        .unwrap();
    assert_eq!(count(&sim, "POST", "/move"), 3);
}

#[tokio::test]
async fn a_post_that_could_not_connect_is_retried_then_reported() {
    // Bind then drop a listener: connecting to its port is refused.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let c = Client::new(
        app_config(&format!("http://127.0.0.1:{port}/1.0"), "AS"),
        fast_options(),
    )
    .unwrap();
    let err = c.refresh(LB, None).await.unwrap_err();
    // The first failure is the /auth/time GET, retried max_retries times.
    assert!(
        matches!(&err, Error::Transport { attempts: 5, route, .. } if route.contains("/auth/time")),
        "{err}"
    );
    let token = ResolvedConfig {
        endpoint: Endpoint::parse(&format!("http://127.0.0.1:{port}/1.0")).unwrap(),
        auth: Auth::AccessToken(Secret::from("TOKEN")),
    };
    let err = Client::new(token, fast_options())
        .unwrap()
        .refresh(LB, None)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Transport { attempts: 5, method, .. } if method == "POST"),
        "{err}"
    );
    assert!(err.to_string().contains("refresh"), "{err}");
}

#[tokio::test]
async fn failed_tasks_surface_at_once_with_details() {
    let sim = sim().await;
    let c = client(&sim);
    let far = Instant::now() + Duration::from_secs(60);
    sim.add_faults(vec![rule(
        "POST",
        "/ip/*/move",
        FaultKind::TaskStatus {
            status: "customerError".into(),
            comment: Some("destination refused".into()),
        },
        1,
    )])
    .unwrap();
    let task = c.move_ip(FREE_IP, LB, None).await.unwrap();
    let started = std::time::Instant::now();
    let err = c
        .wait_ip_task(FREE_IP, task.task_id, far, &CancellationToken::new())
        .await
        .unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "failed when the API said so, not at the deadline"
    );
    match &err {
        Error::TaskFailed {
            kind: TaskKind::Ip,
            status,
            details,
            ..
        } => {
            assert_eq!(status, "customerError");
            assert!(details.contains("destination refused"), "{err}");
        }
        other => panic!("{other}"),
    }

    c.create_frontend(LB, Protocol::Http, &http_frontend("80"))
        .await
        .unwrap();
    let fault = FaultKind::TaskStatus {
        status: "blocked".into(),
        comment: Some("maintenance".into()),
    };
    sim.add_faults(vec![rule("POST", "/ipLoadbalancing/*/refresh", fault, 1)])
        .unwrap();
    let task = c.refresh(LB, None).await.unwrap();
    let err = c
        .wait_iplb_task(LB, task.id, far, &CancellationToken::new())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::TaskFailed { kind: TaskKind::IpLoadbalancing, status, details, .. }
            if status == "blocked" && details.contains("maintenance")),
        "{err}"
    );
}

#[tokio::test]
async fn a_refresh_violating_deploy_conditions_fails_with_the_reason() {
    let sim = sim().await;
    let c = client(&sim);
    // No default farm, no route, no redirect: the frontend is invalid, so the deploy task ends in error.
    let invalid = Frontend {
        default_farm_id: None,
        ..http_frontend("80")
    };
    c.create_frontend(LB, Protocol::Http, &invalid)
        .await
        .unwrap();
    let task = c.refresh(LB, None).await.unwrap();
    let err = c
        .wait_iplb_task(LB, task.id, deadline(), &CancellationToken::new())
        .await
        .unwrap_err();
    match &err {
        Error::TaskFailed {
            status, details, ..
        } => {
            assert_eq!(status, "error");
            assert!(
                details.contains("comment: "),
                "the simulator's reason is shown: {err}"
            );
        }
        other => panic!("{other}"),
    }
}

#[tokio::test]
async fn a_wait_times_out_with_its_last_status_and_can_be_cancelled() {
    let sim = sim().await;
    let c = client(&sim);
    sim.add_faults(vec![rule("POST", "/ip/*/move", FaultKind::TaskStuck, 1)])
        .unwrap();
    let task = c.move_ip(FREE_IP, LB, None).await.unwrap();

    let err = c
        .wait_ip_task(
            FREE_IP,
            task.task_id,
            Instant::now() + Duration::from_millis(300),
            &CancellationToken::new(),
        )
        .await
        .unwrap_err();
    assert!(matches!(&err, Error::Timeout { .. }), "{err}");
    assert!(
        err.to_string()
            .contains(&format!("IP task {}", task.task_id)),
        "{err}"
    );

    let cancel = CancellationToken::new();
    let trigger = cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(100)).await;
        trigger.cancel();
    });
    let started = std::time::Instant::now();
    let far = Instant::now() + Duration::from_secs(600);
    let err = c
        .wait_ip_task(FREE_IP, task.task_id, far, &cancel)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Cancelled { .. }), "{err}");
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn the_client_cancel_token_stops_a_backoff() {
    let sim = sim().await;
    let options = ClientOptions {
        retry: RetryPolicy {
            max_retries: 3,
            ..RetryPolicy::default()
        },
        ..fast_options()
    };
    let cancel = options.cancel.clone();
    let c = Client::new(app_config(&sim.base_url(), "AS"), options).unwrap();
    sim.add_faults(vec![rule(
        "GET",
        "/ipLoadbalancing/*/zone",
        status_fault(429, Some(60)),
        1,
    )])
    .unwrap();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(100)).await;
        cancel.cancel();
    });
    let started = std::time::Instant::now();
    let err = c.list_zones(LB).await.unwrap_err();
    assert!(matches!(err, Error::Cancelled { .. }), "{err}");
    assert!(started.elapsed() < Duration::from_secs(5));
}

/// A `body` fault: the answer replaced by `body`, or by `huge_bytes` of JSON, with `status`.
fn body_fault(
    status: u16,
    body: Option<&str>,
    huge_bytes: Option<u64>,
    after_handling: bool,
) -> FaultKind {
    FaultKind::Body {
        status,
        body: body.map(str::to_owned),
        huge_bytes,
        after_handling,
    }
}

#[tokio::test]
async fn every_failure_says_whether_the_request_may_have_reached_ovh() {
    let sim = sim().await;
    let c = client(&sim);
    const POST: &str = "/ipLoadbalancing/*/http/frontend";
    let over_the_limit = u64::try_from(MAX_RESPONSE_BODY).unwrap() + 1024;
    let cases: Vec<(&str, FaultKind, Delivery)> = vec![
        ("503", status_fault(503, None), Delivery::Answered),
        (
            "dropped before handling",
            FaultKind::Drop {
                after_handling: false,
            },
            Delivery::MaybeSent,
        ),
        (
            "dropped after handling",
            FaultKind::Drop {
                after_handling: true,
            },
            Delivery::MaybeSent,
        ),
        (
            "an oversized 400",
            body_fault(400, None, Some(over_the_limit), false),
            Delivery::Answered,
        ),
        (
            "an oversized 201",
            body_fault(201, None, Some(over_the_limit), true),
            Delivery::Answered,
        ),
        (
            "a 200 of the wrong shape",
            body_fault(200, Some(r#"{"frontendId": "eleven"}"#), None, true),
            Delivery::Answered,
        ),
    ];
    for (port, (what, fault, delivery)) in (8001..).zip(cases) {
        sim.clear_faults();
        sim.add_faults(vec![rule("POST", POST, fault, 1)]).unwrap();
        let before = count(&sim, "POST", "/http/frontend");
        let err = c
            .create_frontend(LB, Protocol::Http, &http_frontend(&port.to_string()))
            .await
            .unwrap_err();
        assert_eq!(err.delivery(), delivery, "{what}: {err}");
        assert_eq!(
            count(&sim, "POST", "/http/frontend"),
            before + 1,
            "{what}: a POST is sent once"
        );
        assert!(!err.to_string().contains('\n'), "{what}: {err}");
        match what {
            "an oversized 400" | "an oversized 201" => {
                let status = if what == "an oversized 400" { 400 } else { 201 };
                assert!(
                    matches!(&err, Error::TooLarge { status: s, route, .. }
                        if *s == status && route.starts_with("POST /1.0/ipLoadbalancing/")),
                    "{what}: {err}"
                );
            }
            "a 200 of the wrong shape" => {
                assert!(matches!(err, Error::Decode { .. }), "{what}: {err}")
            }
            _ => {}
        }
    }

    // Refused connections: not sent, whichever request failed first (here the server time, for a signed call).
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let refused = Client::new(
        app_config(&format!("http://127.0.0.1:{port}/1.0"), "AS"),
        fast_options(),
    )
    .unwrap();
    let err = refused.refresh(LB, None).await.unwrap_err();
    assert_eq!(err.delivery(), Delivery::NotSent, "{err}");

    // The server-time request maybe sent and never answered: the POST itself was not sent.
    let sim = sim_with(base_config()).await;
    let c = client(&sim);
    sim.add_faults(vec![rule(
        "GET",
        "/auth/time",
        FaultKind::Drop {
            after_handling: true,
        },
        5,
    )])
    .unwrap();
    let err = c.refresh(LB, None).await.unwrap_err();
    assert!(
        matches!(&err, Error::Transport { route, .. } if route.contains("/auth/time")),
        "{err}"
    );
    assert_eq!(err.delivery(), Delivery::NotSent, "{err}");
    assert_eq!(count(&sim, "POST", "/refresh"), 0);
}

#[tokio::test]
async fn a_cancelled_retry_remembers_an_earlier_attempt_that_may_have_reached_ovh() {
    let sim = sim().await;
    let slow_retries = || ClientOptions {
        retry: RetryPolicy {
            max_retries: 3,
            base_delay: Duration::from_secs(60),
            max_delay: Duration::from_secs(60),
            ..RetryPolicy::default()
        },
        ..fast_options()
    };
    let cancel_soon = |cancel: CancellationToken| {
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(200)).await;
            cancel.cancel();
        })
    };
    let c = client(&sim);
    let id = c
        .create_frontend(LB, Protocol::Http, &http_frontend("8080"))
        .await
        .unwrap()
        .frontend_id
        .unwrap();

    // A PUT dropped after the server handled it, then cancelled while waiting to retry: maybe sent.
    let options = slow_retries();
    cancel_soon(options.cancel.clone());
    let put = Client::new(app_config(&sim.base_url(), "AS"), options).unwrap();
    sim.add_faults(vec![rule(
        "PUT",
        "/ipLoadbalancing/*/http/frontend/*",
        FaultKind::Drop {
            after_handling: true,
        },
        1,
    )])
    .unwrap();
    let err = put
        .update_frontend(LB, Protocol::Http, id, &http_frontend("8081"))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Cancelled { .. }), "{err}");
    assert_eq!(err.delivery(), Delivery::MaybeSent, "{err}");

    // A POST throttled, then cancelled while waiting to retry: not sent (a 429 is a refusal).
    let options = slow_retries();
    cancel_soon(options.cancel.clone());
    let post = Client::new(app_config(&sim.base_url(), "AS"), options).unwrap();
    sim.add_faults(vec![rule(
        "POST",
        "/ip/*/move",
        status_fault(429, Some(60)),
        1,
    )])
    .unwrap();
    let err = post.move_ip(FREE_IP, LB, None).await.unwrap_err();
    assert!(matches!(err, Error::Cancelled { .. }), "{err}");
    assert_eq!(err.delivery(), Delivery::NotSent, "{err}");
}
