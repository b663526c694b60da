//! API economy (issue 5, spec "Quality bars"): the OVH calls each Terraform operation makes, counted from the
//! simulator's request log, for a small configuration (three HTTP frontends and the deploy after them). The counts
//! are asserted exactly, route by route, so that any extra call is a failing test; only the polls of the refresh
//! task, which depend on timing, are bounded instead. `scripts/bench economy` prints the same breakdown for any
//! number of frontends (BENCHMARKS.md "API economy").

mod support;

use std::collections::BTreeMap;

use support::{LB, TestSim, TfWorkdir, hcl_string, tf_config};

const FRONTENDS: usize = 3;
/// The spec fixture's HTTP farm.
const FARM: u64 = 11;

/// The route of every task poll, the one count left to timing.
const TASK_POLL: &str = "GET /ipLoadbalancing/{sn}/task/{id}";
/// A 50 ms task is seen done by the first or second poll; three leaves room for a slow machine, not for a
/// poll loop without back-off.
const MAX_TASK_POLLS: usize = 3;

/// `count` HTTP frontends on distinct ports, and the deploy after them; frontend 0 is named `first_name`.
fn config(sim: &TestSim, first_name: &str) -> String {
    let lb = hcl_string(LB);
    tf_config(
        sim,
        &format!(
            r#"
resource "ovhiplb_http_frontend" "f" {{
  count           = {FRONTENDS}
  service_name    = {lb}
  display_name    = count.index == 0 ? {first} : "web-${{count.index}}"
  port            = tostring(8000 + count.index)
  zone            = "all"
  default_farm_id = {FARM}
}}

resource "ovhiplb_refresh" "deploy" {{
  service_name = {lb}
  triggers     = {{ frontends = sha1(jsonencode(ovhiplb_http_frontend.f)) }}
  depends_on   = [ovhiplb_http_frontend.f]
}}
"#,
            first = hcl_string(first_name),
        ),
    )
}

/// `METHOD /path` with the API prefix cut, numeric ids as `{id}` and the LB as `{sn}`, and the query's keys.
fn route(method: &str, path: &str, query: Option<&str>) -> String {
    let path = path
        .strip_prefix("/1.0")
        .or_else(|| path.strip_prefix("/v1"))
        .unwrap_or(path);
    let segments: Vec<&str> = path
        .split('/')
        .map(|segment| {
            if !segment.is_empty() && segment.bytes().all(|b| b.is_ascii_digit()) {
                "{id}"
            } else if segment == LB {
                "{sn}"
            } else {
                segment
            }
        })
        .collect();
    let keys: Vec<&str> = query
        .unwrap_or_default()
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| pair.split('=').next().unwrap_or(pair))
        .collect();
    let query = if keys.is_empty() {
        String::new()
    } else {
        format!("?{}", keys.join("&"))
    };
    format!("{method} {}{query}", segments.join("/"))
}

/// The calls logged since the last [`take_calls`], by route; clears the log.
fn take_calls(sim: &TestSim) -> BTreeMap<String, usize> {
    let mut calls = BTreeMap::new();
    for request in sim.requests() {
        assert!(
            request.status.is_some_and(|s| s < 400),
            "the provider made a refused call: {request:?}"
        );
        let key = route(&request.method, &request.path, request.query.as_deref());
        *calls.entry(key).or_default() += 1;
    }
    sim.admin("DELETE", "/requests", None);
    calls
}

/// Checks `calls` against `expected` exactly, except [`TASK_POLL`], which must be within 1..=[`MAX_TASK_POLLS`]
/// when `deploys` and absent otherwise.
#[track_caller]
fn assert_calls(
    operation: &str,
    mut calls: BTreeMap<String, usize>,
    expected: &[(&str, usize)],
    deploys: bool,
) {
    let polls = calls.remove(TASK_POLL).unwrap_or(0);
    let expected: BTreeMap<String, usize> = expected
        .iter()
        .map(|(r, n)| ((*r).to_owned(), *n))
        .collect();
    assert_eq!(calls, expected, "API calls of {operation}");
    if deploys {
        assert!(
            (1..=MAX_TASK_POLLS).contains(&polls),
            "{operation} polled the refresh task {polls} times (1..={MAX_TASK_POLLS} expected)"
        );
    } else {
        assert_eq!(polls, 0, "{operation} polled a task");
    }
}

/// The calls reading every frontend and the pending changes: what refreshing the state needs, no more.
fn state_refresh() -> Vec<(&'static str, usize)> {
    vec![
        ("GET /ipLoadbalancing/{sn}/http/frontend/{id}", FRONTENDS),
        ("GET /ipLoadbalancing/{sn}/pendingChanges", 1),
    ]
}

/// The calls of one deploy of [`LB`]: pending changes before and after, the running refreshes (one list per
/// running status, made in the same round trip as the first pending-changes read), the deploy check (the LB, the lists of farms and frontends of each protocol, each farm and
/// the `unknown` frontends) and one `POST /refresh`.
///
/// The check reads only the frontends the deploying provider process did not write itself: those its creates and
/// updates wrote are taken as written (src/resources/frontend/written.rs). Before, it read every frontend
/// (FRONTENDS GETs per deploy, one round trip per 10).
fn deploy(unknown: usize) -> Vec<(&'static str, usize)> {
    let mut calls = vec![
        ("GET /ipLoadbalancing/{sn}/pendingChanges", 2),
        ("GET /ipLoadbalancing/{sn}/task?action&status", 2),
        ("GET /ipLoadbalancing/{sn}", 1),
        ("GET /ipLoadbalancing/{sn}/http/farm", 1),
        ("GET /ipLoadbalancing/{sn}/tcp/farm", 1),
        ("GET /ipLoadbalancing/{sn}/udp/farm", 1),
        ("GET /ipLoadbalancing/{sn}/http/frontend", 1),
        ("GET /ipLoadbalancing/{sn}/tcp/frontend", 1),
        ("GET /ipLoadbalancing/{sn}/udp/frontend", 1),
        ("GET /ipLoadbalancing/{sn}/http/farm/{id}", 1),
        ("POST /ipLoadbalancing/{sn}/refresh", 1),
    ];
    if unknown > 0 {
        calls.push(("GET /ipLoadbalancing/{sn}/http/frontend/{id}", unknown));
    }
    calls
}

/// Adds up route counts given in several parts.
fn sum(parts: &[Vec<(&'static str, usize)>]) -> Vec<(&'static str, usize)> {
    let mut total: BTreeMap<&'static str, usize> = BTreeMap::new();
    for (route, count) in parts.iter().flatten() {
        *total.entry(route).or_default() += count;
    }
    total.into_iter().collect()
}

/// What each provider process that Terraform configures calls before any work: `GET /auth/details`, the credential
/// check of Configure (src/provider/config.rs), and the `GET /auth/time` its signature needs (the clock delta is
/// fetched once per process and shared by every later call; the check does not wait for it, and is sent again
/// only when the local clock turns out to be off: `ovh_client::Client::check_credentials`). Before the check, a process that signed no
/// call made neither, so these counts went up by the check: +1 `GET /auth/details` per configured process, and +1
/// `GET /auth/time` for the plan of a create, which made no call at all before (issue 12: wrong credentials must
/// fail that plan, not the apply after it).
fn configure(processes: usize) -> Vec<(&'static str, usize)> {
    vec![
        ("GET /auth/time", processes),
        ("GET /auth/details", processes),
    ]
}

#[test]
fn each_operation_makes_only_the_calls_it_needs() {
    let sim = TestSim::start();
    let workdir = TfWorkdir::new();
    workdir.write("main.tf", &config(&sim, "web-0"));

    // Create: the plan reads nothing but checks the credentials (zone "all" needs no check), the apply creates and
    // deploys once. The first
    // create of the process lists the LB's HTTP frontends once (no filter), so that a create whose answer is lost
    // can be adopted rather than repeated (src/resources/frontend/adoption.rs); this replaced one filtered
    // `…/frontend?zone&port` list before every POST (FRONTENDS calls, one serial round trip each). The deploy
    // check lists the same route again later (in deploy()): the frontends changed in between. It reads none of the
    // frontends: the same provider process has just created them all.
    workdir.apply();
    let create = sum(&[
        configure(2),
        vec![
            ("GET /ipLoadbalancing/{sn}/http/frontend", 1),
            ("POST /ipLoadbalancing/{sn}/http/frontend", FRONTENDS),
        ],
        deploy(0),
    ]);
    assert_calls("create", take_calls(&sim), &create, true);

    // No-op plan: the credential check, then one read per object, nothing else.
    assert_eq!(workdir.plan_detailed_exitcode().code, Some(0));
    assert_calls(
        "a no-op plan",
        take_calls(&sim),
        &sum(&[configure(1), state_refresh()]),
        false,
    );

    // Refresh-only apply: the same reads. Terraform configures the provider in its apply phase too, which reads and
    // writes nothing of the API: the credential check is that process's only work (2 calls, 0 before the check).
    workdir.run_ok(&[
        "apply",
        "-refresh-only",
        "-input=false",
        "-no-color",
        "-auto-approve",
    ]);
    assert_calls(
        "a refresh-only apply",
        take_calls(&sim),
        &sum(&[configure(2), state_refresh()]),
        false,
    );

    // Update of one frontend: the plan's reads, one PUT, one deploy. The apply's provider process wrote only the
    // renamed frontend (the reads were made by the plan's process): the deploy check reads the other two.
    workdir.write("main.tf", &config(&sim, "renamed"));
    workdir.apply();
    let update = sum(&[
        configure(2),
        state_refresh(),
        vec![("PUT /ipLoadbalancing/{sn}/http/frontend/{id}", 1)],
        deploy(FRONTENDS - 1),
    ]);
    assert_calls("an update of one frontend", take_calls(&sim), &update, true);

    // Destroy: the plan's reads and one DELETE per frontend; destroying the deploy calls nothing. Terraform
    // configures the provider in three processes (the refresh, the destroy plan, the apply): the check runs in each,
    // the destroy plan's being its only calls.
    workdir.destroy();
    let destroy = sum(&[
        configure(3),
        state_refresh(),
        vec![("DELETE /ipLoadbalancing/{sn}/http/frontend/{id}", FRONTENDS)],
    ]);
    assert_calls("destroy", take_calls(&sim), &destroy, false);
}

#[test]
fn routes_are_normalised() {
    assert_eq!(
        route(
            "GET",
            &format!("/1.0/ipLoadbalancing/{LB}/task"),
            Some("action=refreshIplb&status=todo")
        ),
        "GET /ipLoadbalancing/{sn}/task?action&status"
    );
    assert_eq!(
        route(
            "PUT",
            &format!("/v1/ipLoadbalancing/{LB}/http/frontend/42"),
            None
        ),
        "PUT /ipLoadbalancing/{sn}/http/frontend/{id}"
    );
    assert_eq!(route("GET", "/1.0/auth/time", Some("")), "GET /auth/time");
}
