//! Creating a frontend safely when the answer of the POST can be lost.
//!
//! OVH frontends carry no client token, and the client never repeats a POST whose outcome is unknown (a dropped
//! connection, a timeout, a 5xx: the API may have acted). So when an answer is lost or unreadable (the single rule
//! of [`crate::resources::recovery`], which also bounds the re-sends), the LB's frontends of that protocol on the
//! planned port and zone are listed, and the single one that is new and is what was asked (port, zone, dedicated
//! IPs, and every other field the API returns as sent) is adopted. When none is, the POST provably did nothing and
//! is sent again; when several are, nothing is guessed: the error says how to import the right one.
//!
//! "New" is decided by the process's [`super::ledger`], not by a list before each POST (one extra round trip per
//! create, +100 calls for 100 frontends): the first create of the process on an (LB, protocol) lists every frontend
//! id once, at the same time as its POST, and every id a create of the process gets back or adopts is added. So:
//! - siblings (other resources of the same apply, even with the same port, zone and fields) are never adopted: a
//!   POST that answered added its id; one whose answer is still on its way when a recovery lists is waited for
//!   before candidates are picked; two lost answers for identical frontends are the ambiguity error;
//! - a frontend the process deleted and recreated, or a replacement created before its predecessor is destroyed,
//!   gets a new id (OVH never reuses one), known as soon as its POST answers;
//! - a frontend created by someone else after the snapshot with the same port, zone, dedicated IPs, name, farm and
//!   options, while our POST's answer is lost, is the one case told wrong: if our POST did nothing we adopt theirs,
//!   if it did we report an ambiguity. The list-before-POST design had the same hole for one round trip; here it is
//!   open for the apply. Accepted: it needs a lost answer and, meanwhile, a second manager creating an identical
//!   frontend on the same LB, which is a conflict of ownership no API call can resolve; the state then tracks a
//!   frontend that is exactly what the configuration describes;
//! - for the POSTs sent before the snapshot's list was answered (the first ones of the process), the snapshot cannot
//!   tell their own frontend from one that existed before (the API may have handled the POST first), so its ids
//!   stay candidates for their recovery: an identical frontend that existed before the apply is then told wrong in
//!   the same way. The price of not waiting one round trip for the list before the first POSTs.

use std::sync::atomic::{AtomicU64, Ordering};

use ovh_client::{Frontend as ApiFrontend, FrontendFilter, Protocol};

use crate::resources::ProviderData;
use crate::resources::common::{CallError, call};
use crate::resources::recovery::{self, Conflict, Found, PostFailure};
use tfplugin5_runtime::diag::Diagnostic;
use tfplugin5_runtime::framework::Ctx;

use super::ledger::Ledger;

/// A 409 to a frontend POST is a refusal (e.g. the port is taken), never a lost answer.
const CONFLICT: Conflict = Conflict::Refusal;

/// The bound on POSTs per create, known to the frontend tests by this name.
#[cfg(test)]
pub(super) use recovery::MAX_POSTS;

/// Why a create did not end with a frontend to track.
#[derive(Debug)]
pub(super) enum CreateFailure {
    /// A call failed with a known outcome (nothing was created), or the operation was interrupted.
    Call(CallError),
    /// The POST's answer was lost and checking what happened failed too.
    Unverified { post: CallError, lookup: CallError },
    /// OVH answered that it created the frontend, but the answer could not be read and no new matching frontend
    /// was found.
    Unaccounted { post: CallError },
    /// The POST's answer was lost and several matching frontends appeared meanwhile.
    Ambiguous { post: CallError, ids: Vec<i64> },
}

impl CreateFailure {
    /// The diagnostic, under `summary` (which operation on which LB); `label` is `HTTP`, `TCP` or `UDP`.
    pub(super) fn into_diagnostic(
        self,
        summary: String,
        label: &str,
        service_name: &str,
        body: &ApiFrontend,
    ) -> Diagnostic {
        let port = body.port.as_deref().unwrap_or("?");
        let zone = body.zone.as_deref().unwrap_or("?");
        match self {
            Self::Call(error) => {
                let mut diagnostic = error.to_diagnostic(summary);
                if error.outcome_unknown() {
                    diagnostic.detail.push_str(&format!(
                        " The request may have reached OVH: check the {label} frontends of {service_name} on port \
                         {port} in zone {zone} and, if one was created, import it (service_name/frontend_id) \
                         instead of applying again."
                    ));
                }
                diagnostic
            }
            Self::Unverified { post, lookup } => Diagnostic::error(
                summary,
                format!(
                    "{post}. Checking whether the frontend was created anyway failed too ({lookup}): check the \
                     {label} frontends of {service_name} on port {port} in zone {zone} and, if one was created, \
                     import it (terraform import ADDRESS {service_name}/FRONTEND_ID) instead of applying again."
                ),
            ),
            Self::Unaccounted { post } => Diagnostic::error(
                summary,
                format!(
                    "{post}. OVH accepted the request, so it created a frontend, but none new matching it was found \
                     among the {label} frontends of {service_name} on port {port} in zone {zone}: find it and \
                     import it (terraform import ADDRESS {service_name}/FRONTEND_ID) instead of applying again."
                ),
            ),
            Self::Ambiguous { post, ids } => {
                let list: Vec<String> = ids
                    .iter()
                    .map(|id| format!("{service_name}/{id}"))
                    .collect();
                Diagnostic::error(
                    summary,
                    format!(
                        "{post}. The answer was lost, and meanwhile {} {label} frontends with port {port}, zone \
                         {zone} and the planned dedicated IPs appeared ({}), so which one this resource created \
                         cannot be told. Import the one to manage (terraform import ADDRESS ID, with one of these \
                         ids) and delete the others if they are unwanted.",
                        ids.len(),
                        list.join(", ")
                    ),
                )
            }
        }
    }
}

/// What the lookup after a lost answer could not settle.
enum Lookup {
    Call(CallError),
    /// Several new frontends match the request: their ids.
    Ambiguous(Vec<i64>),
}

/// Creates the frontend `body` describes, adopting it when the POST's answer is lost (see the module docs).
pub(super) async fn create(
    ctx: &Ctx<&ProviderData>,
    protocol: Protocol,
    service_name: &str,
    body: &ApiFrontend,
) -> Result<ApiFrontend, CreateFailure> {
    let client = &ctx.data.client;
    let ledger = ctx.data.frontends.get(service_name, protocol);
    let every = FrontendFilter::default();
    let snapshot = || {
        ledger.ensure_snapshot(|| call(ctx, client.list_frontends(service_name, protocol, &every)))
    };
    // The ticket of the last POST sent, for the lookup after its answer was lost.
    let last_ticket = AtomicU64::new(0);
    let send = || async {
        // Held while the POST is in flight; a lost answer drops it before the lookup starts.
        let ticket = ledger.start_post();
        last_ticket.store(ticket.number(), Ordering::Relaxed);
        let created = call(ctx, client.create_frontend(service_name, protocol, body)).await?;
        ticket.created(created.frontend_id);
        // Only an answered POST: a frontend adopted after a lost answer is not trusted by the deploy check.
        ctx.data
            .written_frontends
            .created(service_name, protocol, &created);
        Ok::<_, CallError>(created)
    };
    let look = || async {
        // The snapshot says which frontends are not ours: wait for it (taken, or being taken by this create).
        snapshot().await.map_err(Lookup::Call)?;
        let ticket = last_ticket.load(Ordering::Relaxed);
        let found = new_matching(ctx, &ledger, protocol, service_name, body, ticket)
            .await
            .map_err(Lookup::Call)?;
        match ledger.adopt_single(found) {
            Ok(adopted) => {
                tracing::info!(service_name, %protocol, frontend_id = ?adopted.frontend_id, "adopting the frontend created by the lost request");
                Ok(Found::Adopt(adopted))
            }
            Err(none) if none.is_empty() => Ok(Found::Nothing),
            Err(several) => Err(Lookup::Ambiguous(several)),
        }
    };
    // The first create takes the snapshot at the same time as its POST: the lookup, if any, waits for it. A failed
    // snapshot fails only a create that needs it; the next create tries again.
    let (_, posted) = tokio::join!(
        snapshot(),
        recovery::post(ctx, "frontend creation", CONFLICT, send, look)
    );
    posted.map_err(|failure| match failure {
        PostFailure::Post(error) => CreateFailure::Call(error),
        PostFailure::Unaccounted(post) => CreateFailure::Unaccounted { post },
        PostFailure::Lookup {
            post,
            lookup: Lookup::Call(lookup),
        } => CreateFailure::Unverified { post, lookup },
        PostFailure::Lookup {
            post,
            lookup: Lookup::Ambiguous(ids),
        } => CreateFailure::Ambiguous { post, ids },
    })
}

/// The frontends on the planned port and zone that the ledger does not rule out for the POST of `ticket` and that
/// are what `body` asked for.
async fn new_matching(
    ctx: &Ctx<&ProviderData>,
    ledger: &Ledger,
    protocol: Protocol,
    service_name: &str,
    body: &ApiFrontend,
    ticket: u64,
) -> Result<Vec<(i64, ApiFrontend)>, CallError> {
    let client = &ctx.data.client;
    let filter = FrontendFilter {
        zone: body.zone.clone(),
        port: body.port.clone(),
        ..FrontendFilter::default()
    };
    let listed = call(ctx, client.list_frontends(service_name, protocol, &filter)).await?;
    // A sibling POST in flight may have created one of the listed frontends: wait until its id is known.
    let in_flight = ledger.in_flight();
    ctx.run(ledger.settled(&in_flight))
        .await
        .map_err(CallError::Interrupted)?;
    let mut found = Vec::new();
    for id in ledger.unknown(listed, ticket) {
        match call(ctx, client.get_frontend(service_name, protocol, id)).await {
            Ok(mut frontend) if is_what_was_asked(&frontend, body) => {
                frontend.frontend_id = Some(id);
                found.push((id, frontend));
            }
            Ok(_) => {}
            // Deleted between the list and the get: not ours to adopt.
            Err(e) if e.is_not_found() => {}
            Err(e) => return Err(e),
        }
    }
    Ok(found)
}

/// Whether `candidate` is what the creation request asked for: its port, zone and dedicated IPs (the list filters
/// are loose: the port filter is a `like` match), and every other field the request set. Those the API returns as
/// sent (Terraform itself would reject a difference after apply) are compared only when the candidate has them
/// too, so that an API leaving one out never makes our own frontend look foreign, which would send it again.
fn is_what_was_asked(candidate: &ApiFrontend, body: &ApiFrontend) -> bool {
    // Which fields are compared, and how, is the `Compare` column of the field table.
    super::FIELDS
        .all()
        .all(|field| field.matches(candidate, body))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::common::testing::{api_error, transport_error};

    fn frontend(port: &str, zone: &str, ips: Option<&[&str]>) -> ApiFrontend {
        ApiFrontend {
            port: Some(port.to_owned()),
            zone: Some(zone.to_owned()),
            dedicated_ipfo: ips.map(|ips| ips.iter().map(|ip| (*ip).to_owned()).collect()),
            ..ApiFrontend::default()
        }
    }

    #[test]
    fn a_candidate_must_have_the_planned_port_zone_and_ips() {
        let asked = frontend("80", "gra", Some(&["203.0.113.7", "203.0.113.8/32"]));
        assert!(is_what_was_asked(
            &frontend("80", "GRA", Some(&["203.0.113.8/32", "203.0.113.7/32"])),
            &asked
        ));
        assert!(!is_what_was_asked(
            &frontend("8080", "gra", Some(&["203.0.113.7", "203.0.113.8"])),
            &asked
        ));
        assert!(!is_what_was_asked(
            &frontend("80", "rbx", Some(&["203.0.113.7", "203.0.113.8"])),
            &asked
        ));
        assert!(!is_what_was_asked(
            &frontend("80", "gra", Some(&["203.0.113.7"])),
            &asked
        ));
        // Any other field set in the request and returned by the API must agree; one left out cannot tell.
        let named = |name: &str, farm| ApiFrontend {
            display_name: Some(name.to_owned()),
            default_farm_id: farm,
            ..frontend("80", "gra", Some(&["203.0.113.7", "203.0.113.8"]))
        };
        assert!(is_what_was_asked(
            &named("web", Some(11)),
            &named("web", Some(11))
        ));
        assert!(!is_what_was_asked(
            &named("api", Some(11)),
            &named("web", Some(11))
        ));
        assert!(!is_what_was_asked(
            &named("web", Some(12)),
            &named("web", Some(11))
        ));
        assert!(is_what_was_asked(
            &named("web", None),
            &named("web", Some(11))
        ));
        // No dedicated IPs: `[]` and absent are the same.
        assert!(is_what_was_asked(
            &frontend("53", "all", Some(&[])),
            &frontend("53", "all", None)
        ));
    }

    /// The single rule ([`recovery::outcome`]) as frontend creation applies it: look unless the error is final.
    fn answer_may_be_lost(error: &CallError) -> bool {
        recovery::outcome(error, CONFLICT) != recovery::Outcome::Final
    }

    #[test]
    fn lost_answers_are_5xx_and_transport_failures_only() {
        assert!(answer_may_be_lost(&api_error(500)) && answer_may_be_lost(&api_error(504)));
        assert!(!answer_may_be_lost(&api_error(400)) && !answer_may_be_lost(&api_error(409)));
        let dropped = transport_error(ovh_client::Delivery::MaybeSent);
        assert!(answer_may_be_lost(&dropped));
        let stopped = CallError::Interrupted(tfplugin5_runtime::framework::Interrupted::Cancelled);
        assert!(!answer_may_be_lost(&stopped));
    }

    /// Sibling creates in one provider process (same LB, protocol, port, zone and fields, as two resources of one
    /// apply may plan) against the simulator: a lost answer never adopts the sibling's frontend.
    mod siblings {
        use std::time::Duration;

        use ovh_api_sim::Simulator;
        use serde_json::json;

        use super::*;
        use crate::resources::common::testing::{create_ctx, sim_with_lb};

        const LB: &str = "loadbalancer-0123abcd";
        const POST_UDP: &str = "/ipLoadbalancing/*/udp/frontend";

        async fn sim() -> (Simulator, ProviderData) {
            sim_with_lb(LB, &["gra"]).await
        }

        fn body() -> ApiFrontend {
            ApiFrontend {
                display_name: Some("same".into()),
                ..frontend("53", "gra", None)
            }
        }

        fn drop_post(after_handling: bool) -> ovh_api_sim::FaultRule {
            serde_json::from_value(json!({"method": "POST", "path": POST_UDP, "kind": "drop",
                                          "after_handling": after_handling, "times": 1}))
            .unwrap()
        }

        /// The POSTs made, and the ids of the frontends the simulator holds.
        fn outcome(sim: &Simulator) -> (usize, Vec<i64>) {
            let posts = sim.requests().iter().filter(|r| r.method == "POST").count();
            let mut ids: Vec<i64> = sim.state()["frontends"]
                .as_array()
                .map(|all| {
                    all.iter()
                        .filter_map(|f| f["object"]["frontendId"].as_i64())
                        .collect()
                })
                .unwrap_or_default();
            ids.sort_unstable();
            (posts, ids)
        }

        async fn create_one(data: &ProviderData) -> i64 {
            let created = create(&create_ctx(data), Protocol::Udp, LB, &body())
                .await
                .expect("created");
            created.frontend_id.expect("an id")
        }

        /// A simulator with `faults`, and the id of the one frontend created on it.
        async fn created_with(faults: Vec<ovh_api_sim::FaultRule>) -> (Simulator, i64) {
            let (sim, data) = sim().await;
            sim.add_faults(faults).unwrap();
            let id = create_one(&data).await;
            (sim, id)
        }

        /// Checks that `posts` POSTs were sent and that frontend `id` is the only one (showing the requests if not).
        #[track_caller]
        fn assert_outcome(sim: &Simulator, posts: usize, id: i64) {
            assert_eq!(outcome(sim), (posts, vec![id]), "{:#?}", sim.requests());
        }

        /// After an identical sibling was created: a POST dropped before the API acted is sent again (3 POSTs), one
        /// whose answer was lost after it acted adopts its own frontend (2 POSTs). Never the sibling's.
        #[tokio::test]
        async fn a_lost_answer_after_an_identical_sibling_never_adopts_the_siblings_frontend() {
            for (after_handling, posts) in [(false, 3), (true, 2)] {
                let (sim, data) = sim().await;
                let first = create_one(&data).await;
                sim.add_faults(vec![drop_post(after_handling)]).unwrap();
                let second = create_one(&data).await;
                assert_ne!(
                    first, second,
                    "after_handling {after_handling}: the sibling's frontend was adopted"
                );
                let mut both = vec![first, second];
                both.sort_unstable();
                assert_eq!(
                    outcome(&sim),
                    (posts, both),
                    "after_handling {after_handling}: {:#?}",
                    sim.requests()
                );
            }
        }

        #[tokio::test]
        async fn concurrent_identical_siblings_end_with_one_frontend_each() {
            for after_handling in [false, true] {
                let (sim, data) = sim().await;
                sim.add_faults(vec![drop_post(after_handling)]).unwrap();
                let (a, b) = tokio::join!(create_one(&data), create_one(&data));
                assert_ne!(
                    a, b,
                    "after_handling {after_handling}: one frontend adopted twice"
                );
                let mut both = vec![a, b];
                both.sort_unstable();
                let posts = if after_handling { 2 } else { 3 };
                assert_eq!(
                    outcome(&sim),
                    (posts, both),
                    "after_handling {after_handling}"
                );
            }
        }

        /// A `body` fault on the UDP frontend POST answering `status` with a body over the client's limit.
        fn oversized(status: u16, after_handling: bool) -> ovh_api_sim::FaultRule {
            let huge = u64::try_from(ovh_client::MAX_RESPONSE_BODY).unwrap() + 1024;
            serde_json::from_value(json!({"method": "POST", "path": POST_UDP, "kind": "body", "status": status,
                                          "huge_bytes": huge, "after_handling": after_handling, "times": 1}))
            .unwrap()
        }

        /// The LB calls made, as `METHOD last-segment?query`.
        fn calls(sim: &Simulator) -> Vec<String> {
            sim.requests()
                .iter()
                .filter(|r| r.path.contains("/ipLoadbalancing/"))
                .map(|r| {
                    let last = r.path.rsplit('/').next().unwrap_or_default();
                    match &r.query {
                        Some(query) => format!("{} {last}?{query}", r.method),
                        None => format!("{} {last}", r.method),
                    }
                })
                .collect()
        }

        /// An oversized 4xx answer is OVH refusing the request, read or not: the create fails at once, with no
        /// adoption lookup and no re-send.
        #[tokio::test]
        async fn an_oversized_4xx_answer_fails_at_once_without_lookup_or_resend() {
            let (sim, data) = sim().await;
            sim.add_faults(vec![oversized(400, false)]).unwrap();
            let failure = create(&create_ctx(&data), Protocol::Udp, LB, &body())
                .await
                .unwrap_err();
            assert!(
                matches!(
                    &failure,
                    CreateFailure::Call(CallError::Api(ovh_client::Error::TooLarge {
                        status: 400,
                        ..
                    }))
                ),
                "{failure:?}"
            );
            // The ledger's snapshot (before the POST), the POST, and nothing else.
            assert_eq!(calls(&sim), ["GET frontend", "POST frontend"]);
            assert_eq!(outcome(&sim), (1, vec![]));
            let diagnostic = failure.into_diagnostic("Cannot create".into(), "UDP", LB, &body());
            assert!(
                diagnostic
                    .detail
                    .contains("(HTTP 400) is larger than the 16 MiB")
                    && !diagnostic.detail.contains("may have reached OVH"),
                "{diagnostic}"
            );
        }

        /// An oversized 2xx is OVH saying it created the frontend: it is found and adopted, never sent again. An
        /// oversized 5xx says nothing of what OVH did: it is looked for, and sent again when nothing was created.
        #[tokio::test]
        async fn an_oversized_2xx_is_adopted_and_an_oversized_5xx_looked_for() {
            let (created_2xx, adopted) = created_with(vec![oversized(200, true)]).await;
            assert_outcome(&created_2xx, 1, adopted);
            assert_eq!(
                calls(&created_2xx),
                [
                    "GET frontend",
                    "POST frontend",
                    "GET frontend?zone=gra&port=53",
                    &format!("GET {adopted}")
                ]
            );

            let (again, created) = created_with(vec![oversized(502, false)]).await;
            assert_outcome(&again, 2, created);
        }

        fn slow(method: &str, ms: u64) -> ovh_api_sim::FaultRule {
            serde_json::from_value(
                json!({"method": method, "path": POST_UDP, "kind": "latency", "ms": ms,
                                          "times": 1}),
            )
            .unwrap()
        }

        /// The first create's snapshot and POST share one round trip: with 1 s added to each, the create takes a
        /// little over 1 s, where listing before the POST took 2 s.
        #[tokio::test]
        async fn the_first_post_does_not_wait_for_the_snapshot() {
            let (sim, data) = sim().await;
            sim.add_faults(vec![slow("GET", 1000), slow("POST", 1000)])
                .unwrap();
            let started = tokio::time::Instant::now();
            create_one(&data).await;
            let elapsed = started.elapsed();
            assert!(elapsed < Duration::from_millis(1800), "{elapsed:?}");
            assert_eq!(outcome(&sim).0, 1);
        }

        /// The API handles the first POST before the snapshot's list (slowed down here), and the POST's answer is
        /// lost: the snapshot lists the POST's own frontend, which is adopted all the same, not created twice.
        #[tokio::test]
        async fn a_lost_first_answer_whose_frontend_the_snapshot_listed_is_adopted() {
            let (sim, id) = created_with(vec![slow("GET", 300), drop_post(true)]).await;
            assert_outcome(&sim, 1, id);
            let snapshot = sim
                .requests()
                .into_iter()
                .find(|r| r.method == "GET" && r.query.is_none())
                .expect("the snapshot's list");
            assert_eq!(snapshot.status, Some(200));
        }

        #[tokio::test]
        async fn the_frontends_are_listed_once_per_process_not_before_each_post() {
            let (sim, data) = sim().await;
            for _ in 0..3 {
                create_one(&data).await;
            }
            let lists: Vec<_> = sim
                .requests()
                .into_iter()
                .filter(|r| r.method == "GET" && r.path.contains("/ipLoadbalancing/"))
                .collect();
            assert_eq!(lists.len(), 1, "{lists:#?}");
            assert!(
                lists[0].path.ends_with("/udp/frontend") && lists[0].query.is_none(),
                "{lists:#?}"
            );
        }
    }

    #[test]
    fn an_ambiguous_adoption_says_how_to_import() {
        let post = api_error(502);
        let failure = CreateFailure::Ambiguous {
            post,
            ids: vec![7, 9],
        };
        let diagnostic = failure.into_diagnostic(
            "Cannot create".into(),
            "TCP",
            "lb",
            &frontend("443", "gra", None),
        );
        assert!(diagnostic.detail.contains("lb/7, lb/9"), "{diagnostic}");
        assert!(
            diagnostic.detail.contains("terraform import"),
            "{diagnostic}"
        );
    }
}
