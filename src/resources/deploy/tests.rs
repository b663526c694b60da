//! Tests of the deploy engine: ids, zones, the per-LB lock, and deploys against the simulator in process.

use super::*;
use std::time::Duration;

fn changes(list: &[(&str, i64)]) -> Vec<PendingChanges> {
    list.iter()
        .map(|(zone, number)| PendingChanges {
            zone: (*zone).to_owned(),
            number: *number,
        })
        .collect()
}

#[test]
fn ids_round_trip_and_bad_ids_are_explained() {
    let lb = DeployTarget::parse_id("loadbalancer-1").unwrap();
    assert_eq!(
        (lb.id(), lb.zone.clone()),
        ("loadbalancer-1".to_owned(), None)
    );
    let zoned = DeployTarget::parse_id("loadbalancer-1/gra").unwrap();
    assert_eq!(zoned.zone.as_deref(), Some("gra"));
    assert_eq!(zoned.id(), "loadbalancer-1/gra");
    assert_eq!(
        DeployTarget::parse_id("").unwrap_err(),
        "the service name must not be empty"
    );
    assert_eq!(
        DeployTarget::parse_id("lb/").unwrap_err(),
        "the zone must not be empty"
    );
    assert!(
        DeployTarget::parse_id("lb/gra/x")
            .unwrap_err()
            .contains("must not contain '/'")
    );
    assert!(
        DeployTarget::parse_id("lb 1")
            .unwrap_err()
            .contains("white space")
    );
}

#[test]
fn deletions_are_kept_per_load_balancer() {
    let deletions = Deletions::default();
    assert!(!deletions.any("lb-a"));
    deletions.record("lb-a", "http frontend 7".into());
    assert!(deletions.any("lb-a") && !deletions.any("lb-b"));
    assert_eq!(deletions.of("lb-a"), ["http frontend 7"]);
}

#[test]
fn pending_changes_are_counted_per_zone() {
    let list = changes(&[("gra", 2), ("rbx", 3)]);
    let all = DeployTarget {
        service_name: "lb".into(),
        zone: None,
    };
    assert_eq!(all.count(&list), 5);
    assert_eq!(
        DeployTarget {
            zone: Some("all".into()),
            ..all.clone()
        }
        .count(&list),
        5
    );
    assert_eq!(
        DeployTarget {
            zone: Some("GRA".into()),
            ..all.clone()
        }
        .count(&list),
        2
    );
    assert_eq!(
        DeployTarget {
            zone: Some("sbg".into()),
            ..all.clone()
        }
        .count(&list),
        0
    );
    assert_eq!(all.count(&[]), 0);
}

#[tokio::test]
async fn the_lock_serialises_one_lb_only() {
    let locks = RefreshLocks::default();
    let held = locks.lock("lb-1").await;
    // Another LB is not blocked.
    let other = tokio::time::timeout(Duration::from_millis(50), locks.lock("lb-2")).await;
    assert!(other.is_ok());
    // The same LB waits until the first guard is dropped.
    let same = tokio::time::timeout(Duration::from_millis(50), locks.lock("lb-1")).await;
    assert!(same.is_err());
    drop(held);
    assert!(
        tokio::time::timeout(Duration::from_millis(50), locks.lock("lb-1"))
            .await
            .is_ok()
    );
}

/// Deploys against the simulator, in process: what Terraform cannot show deterministically.
pub(crate) mod against_the_simulator {
    use ovh_api_sim::{Fixture, SimConfig, Simulator};
    use serde_json::json;
    use tokio::time::Instant;

    use super::*;
    use crate::resources::common::testing::{create_ctx, unacted_post_faults};

    pub(crate) const LB: &str = "loadbalancer-0123abcd";

    /// An LB with one valid frontend and a change pending on it.
    pub(crate) async fn sim(task: Duration) -> Simulator {
        let fixture: Fixture = serde_json::from_value(json!({
            "credentials": [{"application_key": "AK", "application_secret": "AS", "consumer_key": "CK"}],
            "load_balancers": [{"service_name": LB, "zones": ["gra"]}],
            "farms": [{"service_name": LB, "protocol": "tcp", "farm_id": 11, "zone": "gra", "port": 80}],
            "frontends": [{"service_name": LB, "protocol": "tcp", "frontend_id": 100, "port": "80",
                           "zone": "gra", "defaultFarmId": 11}]
        }))
        .unwrap();
        let sim = Simulator::start(SimConfig {
            fixture,
            task_duration: task,
            ..SimConfig::default()
        })
        .await
        .unwrap();
        let client = client(&sim);
        let mut current = client
            .get_frontend(LB, ovh_client::Protocol::Tcp, 100)
            .await
            .unwrap();
        current.display_name = Some("changed".into());
        client
            .update_frontend(LB, ovh_client::Protocol::Tcp, 100, &current)
            .await
            .unwrap();
        sim
    }

    fn client(sim: &Simulator) -> ovh_client::Client {
        crate::resources::common::testing::sim_client(sim.base_url())
    }

    pub(crate) fn data(sim: &Simulator) -> ProviderData {
        ProviderData::new(client(sim))
    }

    fn refreshes(sim: &Simulator) -> Vec<Option<u16>> {
        sim.requests()
            .iter()
            .filter(|r| r.method == "POST" && r.path.ends_with("/refresh"))
            .map(|r| r.status)
            .collect()
    }

    fn target() -> DeployTarget {
        DeployTarget {
            service_name: LB.into(),
            zone: None,
        }
    }

    #[tokio::test]
    async fn concurrent_deploys_of_one_lb_send_one_refresh() {
        let sim = sim(Duration::from_millis(200)).await;
        let data = data(&sim);
        let ctx = create_ctx(&data);
        let target = target();
        let (first, second) = tokio::join!(
            deploy(&ctx, &target, &log_steps),
            deploy(&ctx, &target, &log_steps)
        );
        assert_eq!((first.unwrap(), second.unwrap()), (0, 0));
        // The second waited for the first (the lock), then found nothing pending: no conflicting POST.
        assert_eq!(refreshes(&sim), vec![Some(200)]);
    }

    #[tokio::test]
    async fn a_refresh_started_elsewhere_meanwhile_is_waited_for() {
        let sim = sim(Duration::from_millis(600)).await;
        // Slow down the check before the POST, and start a refresh from "another process" meanwhile.
        let slow: ovh_api_sim::FaultRule = serde_json::from_value(
            json!({"method": "GET", "path": "/ipLoadbalancing/*", "kind": "latency", "ms": 400, "times": 1}),
        )
        .unwrap();
        sim.add_faults(vec![slow]).unwrap();
        let data = data(&sim);
        let other = client(&sim);
        let ctx = create_ctx(&data);
        let elsewhere = async {
            tokio::time::sleep(Duration::from_millis(150)).await;
            other.refresh(LB, None).await.unwrap()
        };
        let target = target();
        let (deployed, _) = tokio::join!(deploy(&ctx, &target, &log_steps), elsewhere);
        assert_eq!(deployed.unwrap(), 0);
        // Ours was refused while the other ran; it then waited and found everything deployed.
        assert_eq!(refreshes(&sim), vec![Some(200), Some(409)]);
    }

    /// Deploys with `rule` armed; returns the statuses of the refresh POSTs and the refresh tasks created.
    async fn deploy_under(rule: serde_json::Value) -> (Vec<Option<u16>>, usize) {
        let sim = sim(Duration::from_millis(150)).await;
        sim.add_faults(vec![serde_json::from_value(rule).unwrap()])
            .unwrap();
        let data = data(&sim);
        let ctx = create_ctx(&data);
        assert_eq!(
            deploy(&ctx, &target(), &log_steps).await.unwrap(),
            0,
            "{:#?}",
            sim.requests()
        );
        let tasks = sim.state()["iplb_tasks"].as_array().map_or(0, Vec::len);
        (refreshes(&sim), tasks)
    }

    #[tokio::test]
    async fn a_lost_refresh_answer_is_followed_not_repeated() {
        let rule = json!({"method": "POST", "path": "/ipLoadbalancing/*/refresh", "kind": "drop",
                          "after_handling": true, "times": 1});
        let (posts, tasks) = deploy_under(rule).await;
        assert_eq!(
            (posts, tasks),
            (vec![Some(200)], 1),
            "one refresh, waited for"
        );
    }

    #[tokio::test]
    async fn a_refresh_that_did_not_start_is_sent_again() {
        for rule in unacted_post_faults("/ipLoadbalancing/*/refresh", 500, 1) {
            let (posts, tasks) = deploy_under(rule.clone()).await;
            assert_eq!(posts.len(), 2, "{rule}: {posts:?}");
            assert_eq!(tasks, 1, "{rule}");
        }
    }

    #[tokio::test]
    async fn nothing_pending_means_a_single_round_trip_and_no_refresh() {
        let sim = sim(Duration::from_millis(50)).await;
        let data = data(&sim);
        let ctx = create_ctx(&data);
        assert_eq!(deploy(&ctx, &target(), &log_steps).await.unwrap(), 0);
        let before = sim.requests().len();
        assert_eq!(deploy(&ctx, &target(), &log_steps).await.unwrap(), 0);
        let after = sim.requests();
        let mut calls: Vec<String> = after[before..]
            .iter()
            .map(|r| {
                format!(
                    "{} {}",
                    r.path.rsplit('/').next().unwrap_or_default(),
                    r.query.as_deref().unwrap_or_default()
                )
            })
            .collect();
        calls.sort();
        // The pending changes and, at the same time, the running refreshes: nothing else.
        assert_eq!(
            calls,
            [
                "pendingChanges ",
                "task action=refreshIplb&status=doing",
                "task action=refreshIplb&status=todo"
            ],
            "{:#?}",
            &after[before..]
        );
    }

    /// After this process changed the LB, the first look at what is pending also reads what the deploy conditions
    /// need, at once: with 1 s added to the pending changes and to the LB's read (the check's first call), the
    /// deploy takes a little over 1 s; checking after the pending changes took 2 s.
    #[tokio::test]
    async fn after_a_change_here_the_check_shares_the_first_round_trip() {
        let sim = sim(Duration::from_millis(50)).await;
        let data = data(&sim);
        let written = data
            .client
            .get_frontend(LB, ovh_client::Protocol::Tcp, 100)
            .await
            .unwrap();
        data.written_frontends
            .created(LB, ovh_client::Protocol::Tcp, &written);
        let slow = |path: &str| -> ovh_api_sim::FaultRule {
            serde_json::from_value(
                json!({"method": "GET", "path": path, "kind": "latency", "ms": 1000, "times": 1}),
            )
            .unwrap()
        };
        sim.add_faults(vec![
            slow("/ipLoadbalancing/*/pendingChanges"),
            slow(&format!("/ipLoadbalancing/{LB}")),
        ])
        .unwrap();
        let ctx = create_ctx(&data);
        let started = Instant::now();
        assert_eq!(deploy(&ctx, &target(), &log_steps).await.unwrap(), 0);
        let elapsed = started.elapsed();
        assert!(elapsed < Duration::from_millis(1800), "{elapsed:?}");
        assert_eq!(refreshes(&sim), vec![Some(200)]);
    }

    /// The first pending-changes read and the two lists of running refreshes are made at once: with 1 s
    /// added to each of them, a deploy takes a little over 1 s (plus a fast rest: check, POST, two polls
    /// 200 ms apart, last read); any two of them one after the other would take 2 s.
    #[tokio::test]
    async fn the_first_reads_of_a_deploy_share_one_round_trip() {
        let sim = sim(Duration::from_millis(50)).await;
        let slow = |path: &str, times: u32| -> ovh_api_sim::FaultRule {
            serde_json::from_value(
                json!({"method": "GET", "path": path, "kind": "latency", "ms": 1000, "times": times}),
            )
            .unwrap()
        };
        sim.add_faults(vec![
            slow("/ipLoadbalancing/*/pendingChanges", 1),
            slow("/ipLoadbalancing/*/task", 2),
        ])
        .unwrap();
        let data = data(&sim);
        let ctx = create_ctx(&data);
        let started = Instant::now();
        assert_eq!(deploy(&ctx, &target(), &log_steps).await.unwrap(), 0);
        let elapsed = started.elapsed();
        assert!(elapsed < Duration::from_millis(2000), "{elapsed:?}");
    }
}
