"""Drives ovh-api-sim with OVH's official Python client (the PyPI package `ovh`).

The simulator is written from OVH's schema and from what is known of OVH's answers; this script
checks it against the client OVH itself ships: request signing with the /auth/time clock delta,
JSON bodies, `null` answers of void calls, and which exception class each error answer makes the
client raise (ovh/client.py maps the HTTP status, and for 403 the `errorCode`, to a class).

It runs the provider's whole workflow on one load balancer: auth introspection, the load balancer,
moving a failover IP to it and waiting for the task, its failover list, one frontend per protocol
on that IP, pending changes, a refresh and its task, parking the IP; then the error answers.

Usage (tests/ovh_python.rs does this with scripts/ensure-ovh-python's python):

    python workflow.py '<settings JSON>'

The settings name the simulator's URLs and the fixture's objects and credentials; see `main`.
Progress goes to stdout one step a line; the last line is `RESULT <json>` with the ids the workflow
created, for the caller's own checks. Any failure raises (traceback on stderr, exit status 1).
"""

import json
import os
import sys
import tempfile
import time
import urllib.parse

import ovh
import ovh.client
import ovh.exceptions

# The name the simulator is registered under. `ovh` accepts only endpoint names, looked up in
# ovh.client.ENDPOINTS (an unknown name raises InvalidRegion), so a custom URL needs a new entry.
ENDPOINT_NAME = "ovh-api-sim"

# Long enough for every task to be polled a few times, short enough to keep the test quick.
POLL_INTERVAL_S = 0.05
TASK_TIMEOUT_S = 30


def register_endpoint(api_url, token_url):
    """Registers the simulator as an endpoint name, as a user of the `ovh` package would."""
    ovh.client.ENDPOINTS[ENDPOINT_NAME] = api_url
    # OAuth2 (client credentials) is refused for names without a token URL.
    ovh.client.OAUTH2_TOKEN_URLS[ENDPOINT_NAME] = token_url
    # oauthlib refuses plain http unless told otherwise; the simulator is http on loopback.
    os.environ["OAUTHLIB_INSECURE_TRANSPORT"] = "1"


def client_for(credential, **kwargs):
    return ovh.Client(
        endpoint=ENDPOINT_NAME,
        application_key=credential["application_key"],
        application_secret=credential["application_secret"],
        consumer_key=credential["consumer_key"],
        **kwargs,
    )


def quoted(ip):
    """`{ip}` is an ipBlock: its `/` must be percent-encoded (an unencoded one is a 404)."""
    return urllib.parse.quote(ip, safe="")


class Steps:
    """Numbers and prints the steps, so a failure's output shows how far the workflow got."""

    def __init__(self):
        self.count = 0

    def __call__(self, title):
        self.count += 1
        print(f"step {self.count}: {title}", flush=True)


def check(condition, what, got=None):
    if not condition:
        raise AssertionError(f"{what}; got: {got!r}")


def expect_error(expected_class, call, message=None):
    """Runs `call`, which must raise exactly `expected_class` (not a subclass or a parent:
    every class derives from APIError, so isinstance would accept the wrong mapping)."""
    try:
        answer = call()
    except ovh.exceptions.APIError as error:
        check(
            type(error) is expected_class,
            f"expected {expected_class.__name__}",
            f"{type(error).__name__}: {error}",
        )
        if message is not None:
            check(message in str(error), f"{expected_class.__name__} message contains {message!r}", str(error))
        # Every answer of the simulator carries OVH's query id; the client exposes it on errors.
        if expected_class is not ovh.exceptions.OAuth2FailureError:
            check(
                (error.query_id or "").startswith("EU.ext-"),
                "the error carries X-Ovh-QueryID",
                error.query_id,
            )
        print(f"    raised {type(error).__name__}: {str(error).splitlines()[0].rstrip()}", flush=True)
        return error
    raise AssertionError(f"expected {expected_class.__name__}, the call answered {answer!r}")


def wait_task(client, path, pending):
    """Polls a task until its status leaves `pending`; returns it and the statuses seen."""
    seen = []
    deadline = time.monotonic() + TASK_TIMEOUT_S
    while True:
        task = client.get(path)
        if not seen or seen[-1] != task["status"]:
            seen.append(task["status"])
        if task["status"] not in pending:
            return task, seen
        check(time.monotonic() < deadline, f"task {path} ends within {TASK_TIMEOUT_S} s", task)
        time.sleep(POLL_INTERVAL_S)


def main(settings):
    """`settings` keys: `api_url`, `token_url`, `clock_offset_secs` (the simulator's server clock
    offset), `account`, `load_balancer` (service name), `zones`, `ip` (a parked failover IP of
    the account, CIDR form), `farms` ({protocol: farm id on the load balancer}), `credentials`
    ({"valid", "read_only", "pending": {application_key, application_secret, consumer_key}}),
    `oauth2` ({client_id, client_secret})."""
    register_endpoint(settings["api_url"], settings["token_url"])
    creds = settings["credentials"]
    sn = settings["load_balancer"]
    lb = f"/ipLoadbalancing/{sn}"
    ip = settings["ip"]
    ip_path = f"/ip/{quoted(ip)}"
    bare_ip = ip.split("/")[0]
    offset = settings["clock_offset_secs"]
    step = Steps()
    result = {}

    client = client_for(creds["valid"])

    step("GET /auth/time (unauthenticated) and the client's clock delta")
    server_time = client.get("/auth/time", _need_auth=False)
    check(isinstance(server_time, int), "/auth/time is an integer", server_time)
    check(abs(server_time - time.time() - offset) < 5, "server time is local time + the offset", server_time)
    # Every signed call below depends on this delta: the offset is larger than the accepted window.
    check(abs(client.time_delta - offset) <= 2, "time_delta matches the server offset", client.time_delta)

    step("GET /auth/details, with the endpoint named in an ovh.conf file")
    with tempfile.TemporaryDirectory() as tmp:
        conf = os.path.join(tmp, "ovh.conf")
        with open(conf, "w") as f:
            f.write(
                f"[default]\nendpoint={ENDPOINT_NAME}\n\n[{ENDPOINT_NAME}]\n"
                f"application_key={creds['valid']['application_key']}\n"
                f"application_secret={creds['valid']['application_secret']}\n"
                f"consumer_key={creds['valid']['consumer_key']}\n"
            )
        from_file = ovh.Client(config_file=conf)
    details = from_file.get("/auth/details")
    check(details["account"] == settings["account"], "account", details)
    check(details["method"] == "account", "method", details)
    check(details["identities"] == [f"urn:v1:eu:identity:account:{settings['account']}"], "identities", details)
    check(details["allowedRoutes"] is None, "allowedRoutes null (every route)", details)
    # The client strips the endpoint's /1.0 for paths starting with /v1; the simulator has both.
    check(from_file.get("/v1/auth/details") == details, "/v1 alias answers the same", None)

    step("GET /auth/currentCredential")
    credential = client.get("/auth/currentCredential")
    check(credential["status"] == "validated", "credential status", credential)

    step(f"GET /ipLoadbalancing and {lb}")
    check(sn in client.get("/ipLoadbalancing"), f"{sn} is listed", None)
    details = client.get(lb)
    check(details["serviceName"] == sn and details["state"] == "ok", "service name and state", details)
    check(details["zone"] == settings["zones"], "zones", details)
    check(details["iam"]["urn"] == f"urn:v1:eu:resource:loadbalancer:{sn}", "IAM URN", details)
    check("tags" in details["iam"] and details["iam"]["tags"] is None, "iam.tags present and null", details)

    step(f"GET /ip?type=failover and {ip_path} (parked)")
    check(ip in client.get("/ip", type="failover"), f"{ip} is listed", None)
    before = client.get(ip_path)
    check(before["routedTo"] == {"serviceName": None}, "parked IP routes nowhere", before)
    destinations = client.get(f"{ip_path}/move")
    check(
        any(d["service"] == sn for d in destinations["ipLoadbalancing"]),
        "the load balancer is a move destination",
        destinations,
    )

    step(f"POST {ip_path}/move to {sn}, then its task until done")
    task = client.post(f"{ip_path}/move", to=sn)
    check(task["function"] == "genericMoveFloatingIp", "move task function", task)
    check(task["destination"] == {"serviceName": sn}, "move task destination", task)
    expect_error(
        ovh.exceptions.ResourceConflictError,
        lambda: client.post(f"{ip_path}/move", to=sn),
        "already running",
    )
    done, seen = wait_task(client, f"{ip_path}/task/{task['taskId']}", {"init", "todo", "doing"})
    check(done["status"] == "done" and done["doneDate"], "move task done", done)
    print(f"    statuses seen: {' -> '.join(seen)}", flush=True)
    listed = client.get(f"{ip_path}/task", function="genericMoveFloatingIp", status="done")
    check(task["taskId"] in listed, "task list filtered on function and status", listed)
    result["move_task"] = task["taskId"]

    step(f"GET {lb}/failover lists the IP")
    check(ip in client.get(f"{lb}/failover"), f"{ip} is routed to {sn}", None)
    check(client.get(ip_path)["routedTo"] == {"serviceName": sn}, "routedTo", None)

    frontends = {}
    for proto, port in [("http", "80,443"), ("tcp", "8443"), ("udp", "53")]:
        step(f"POST {lb}/{proto}/frontend on the failover IP, read it back")
        created = client.post(
            f"{lb}/{proto}/frontend",
            port=port,
            zone="all",
            displayName=f"python-{proto}",
            defaultFarmId=settings["farms"][proto],
            # A bare IP is accepted and stored in CIDR form.
            dedicatedIpfo=[bare_ip],
        )
        check(created["dedicatedIpfo"] == [ip], "dedicatedIpfo in CIDR form", created)
        check(created["port"] == port and created["zone"] == "all", "port and zone", created)
        frontend_id = created["frontendId"]
        check(client.get(f"{lb}/{proto}/frontend/{frontend_id}") == created, "GET answers the created object", None)
        check(frontend_id in client.get(f"{lb}/{proto}/frontend", port=port), "listed, filtered on port", None)
        frontends[proto] = frontend_id
    result["frontends"] = frontends

    step(f"PUT {lb}/http/frontend/{frontends['http']} (void: the client gets None)")
    answer = client.put(f"{lb}/http/frontend/{frontends['http']}", displayName="python-web")
    check(answer is None, "void answer", answer)

    step(f"GET {lb}/pendingChanges")
    pending = client.get(f"{lb}/pendingChanges")
    # Three creates and one update of frontends in zone `all`: four changes in each zone.
    expected = [{"number": 4, "zone": zone} for zone in sorted(settings["zones"])]
    check(pending == expected, f"pending changes are {expected}", pending)

    step(f"POST {lb}/refresh (no body), then its task until done")
    task = client.post(f"{lb}/refresh")
    check(task["action"] == "refreshIplb", "refresh task action", task)
    check(sorted(task["zones"]) == sorted(settings["zones"]), "refresh task zones", task)
    expect_error(ovh.exceptions.ResourceConflictError, lambda: client.post(f"{lb}/refresh"), "already running")
    done, seen = wait_task(client, f"{lb}/task/{task['id']}", {"todo", "doing"})
    check(done["status"] == "done" and done["progress"] == 100, "refresh task done", done)
    print(f"    statuses seen: {' -> '.join(seen)}", flush=True)
    check(task["id"] in client.get(f"{lb}/task", action="refreshIplb", status="done"), "task list filter", None)
    check(client.get(f"{lb}/pendingChanges") == [], "no pending change left", None)
    result["refresh_task"] = task["id"]

    step(f"POST {ip_path}/park, then its task until done")
    task = client.post(f"{ip_path}/park")
    check(task["destination"] is None, "a park has no destination", task)
    done, seen = wait_task(client, f"{ip_path}/task/{task['taskId']}", {"init", "todo", "doing"})
    check(done["status"] == "done", "park task done", done)
    print(f"    statuses seen: {' -> '.join(seen)}", flush=True)
    check(client.get(ip_path)["routedTo"] == {"serviceName": None}, "parked again", None)
    check(ip not in client.get(f"{lb}/failover"), "no longer in the failover list", None)
    result["park_task"] = task["taskId"]

    step("404s: ResourceNotFoundError")
    expect_error(
        ovh.exceptions.ResourceNotFoundError,
        lambda: client.get("/ipLoadbalancing/loadbalancer-nope"),
        "This service does not exist",
    )
    expect_error(ovh.exceptions.ResourceNotFoundError, lambda: client.get(f"{lb}/udp/frontend/999999"))

    step("400s: BadParametersError (invalid body, park of a parked IP)")
    expect_error(
        ovh.exceptions.BadParametersError,
        lambda: client.post(f"{lb}/tcp/frontend", port="0", zone="all"),
        "[port]",
    )
    expect_error(ovh.exceptions.BadParametersError, lambda: client.post(f"{ip_path}/park"))

    step("wrong application secret: 400 INVALID_SIGNATURE, BadParametersError")
    wrong_secret = dict(creds["valid"], application_secret="not-the-secret")
    expect_error(
        ovh.exceptions.BadParametersError,
        lambda: client_for(wrong_secret).get(lb),
        "Invalid signature",
    )

    step("timestamp outside the window: 400 QUERY_TIME_OUT, BadParametersError")
    stale = client_for(creds["valid"])
    # As if the client had not asked /auth/time: its local clock is `offset` seconds off the
    # server's. (The attribute is private; setting it is the only way to skip the lookup.)
    stale._time_delta = 0
    expect_error(ovh.exceptions.BadParametersError, lambda: stale.get(lb), "Query out of time")

    step("unknown application key: 403 INVALID_KEY, InvalidKey")
    unknown_key = dict(creds["valid"], application_key="no-such-key")
    expect_error(ovh.exceptions.InvalidKey, lambda: client_for(unknown_key).get(lb))

    step("unknown consumer key: 403 NOT_CREDENTIAL, NotCredential")
    unknown_ck = dict(creds["valid"], consumer_key="no-such-consumer-key")
    expect_error(
        ovh.exceptions.NotCredential,
        lambda: client_for(unknown_ck).get(lb),
        "This credential does not exist",
    )

    step("consumer key pending validation: 403 INVALID_CREDENTIAL, InvalidCredential")
    expect_error(
        ovh.exceptions.InvalidCredential,
        lambda: client_for(creds["pending"]).get(lb),
        "This credential is not valid",
    )

    step("call outside the consumer key's access rules: 403 NOT_GRANTED_CALL, NotGrantedCall")
    read_only = client_for(creds["read_only"])
    check(read_only.get(lb)["serviceName"] == sn, "a granted GET works", None)
    expect_error(
        ovh.exceptions.NotGrantedCall,
        lambda: read_only.post(f"{lb}/refresh"),
        "This call has not been granted",
    )

    step("unsigned call: 401 NOT_AUTHENTICATED, plain APIError (the client maps no 401)")
    error = expect_error(
        ovh.exceptions.APIError,
        lambda: client.get("/ipLoadbalancing", _need_auth=False),
        "You must login first",
    )
    check(error.response.status_code == 401, "status 401", error.response.status_code)

    step("OAuth2 client credentials: token from the simulator, then GET /auth/details")
    oauth2 = settings["oauth2"]
    service_account = ovh.Client(
        endpoint=ENDPOINT_NAME, client_id=oauth2["client_id"], client_secret=oauth2["client_secret"]
    )
    details = service_account.get("/auth/details")
    check(details["method"] == "oauth2_client_credentials", "OAuth2 method", details)
    check(service_account.get(lb)["serviceName"] == sn, "a bearer call works", None)

    step("OAuth2 with a wrong client secret: OAuth2FailureError")
    wrong = ovh.Client(endpoint=ENDPOINT_NAME, client_id=oauth2["client_id"], client_secret="wrong")
    expect_error(ovh.exceptions.OAuth2FailureError, lambda: wrong.get(lb), "invalid_client")

    print(f"workflow: {step.count} steps ok", flush=True)
    print("RESULT " + json.dumps(result, sort_keys=True), flush=True)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(json.loads(sys.argv[1]))
