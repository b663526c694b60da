//! Security (issue 5): secrets never leave the provider — not in Terraform's output, not in its trace log (which
//! carries the provider's own log lines), not in the state, not in the error of a refused credential — for each
//! authentication method; and the OVH API's TLS certificate is verified (a self-signed endpoint is refused).
//! AutoMTLS pinning of Terraform's client certificate is covered by `tests/plugin_transport.rs`.

mod support;

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use ovh_api_sim::Fixture;
use serde_json::json;
use support::{LB, TestSim, TfOutput, TfWorkdir, hcl_string, provider_block_with, with_provider};

/// Values unique to this run, so a match can only be a leak.
fn unique(label: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("{label}-{:x}-{nanos:x}-leakcheck", std::process::id())
}

struct Secrets {
    application_key: String,
    application_secret: String,
    consumer_key: String,
    client_id: String,
    client_secret: String,
    access_token: String,
}

impl Secrets {
    fn new() -> Self {
        Self {
            application_key: unique("ak"),
            application_secret: unique("as"),
            consumer_key: unique("ck"),
            client_id: unique("id"),
            client_secret: unique("cs"),
            access_token: unique("at"),
        }
    }

    /// The values that must never be shown (the application key and client id are identifiers, not secrets).
    fn secret_values(&self) -> [&str; 4] {
        [
            &self.application_secret,
            &self.consumer_key,
            &self.client_secret,
            &self.access_token,
        ]
    }

    fn fixture(&self) -> Fixture {
        serde_json::from_value(json!({
            "credentials": [{"application_key": self.application_key, "application_secret": self.application_secret,
                             "consumer_key": self.consumer_key}],
            "oauth2_clients": [{"client_id": self.client_id, "client_secret": self.client_secret}],
            "access_tokens": [self.access_token],
            "load_balancers": [{"service_name": LB, "zones": ["gra", "rbx"], "ipv4": "198.51.100.10",
                                "vrack_name": null, "display_name": "web"}],
            "failover_ips": [],
            "farms": [{"service_name": LB, "protocol": "http", "farm_id": 11, "zone": "gra", "port": 80,
                       "vrack_network_id": null}]
        }))
        .expect("the fixture deserialises")
    }
}

/// Everything a user or a CI log could see: every command's output, Terraform's trace log and the state files.
struct Exposure {
    outputs: Vec<TfOutput>,
    log: std::path::PathBuf,
}

impl Exposure {
    fn new(workdir: &mut TfWorkdir) -> Self {
        let log = workdir.path().join("terraform-trace.log");
        workdir
            .set_env("TF_LOG", "trace")
            .set_env("TF_LOG_PATH", log.clone());
        Self {
            outputs: Vec::new(),
            log,
        }
    }

    #[track_caller]
    fn assert_nothing_leaked(&self, workdir: &TfWorkdir, secrets: &[&str]) {
        let log = std::fs::read_to_string(&self.log).expect("Terraform wrote its trace log");
        // A log without the provider's own lines would prove nothing.
        assert!(
            log.contains("terraform-provider-ovhiplb") && log.contains("OVH API request"),
            "the trace log lacks the provider's log lines"
        );
        let mut places: Vec<(String, String)> = vec![("trace log".into(), log)];
        for output in &self.outputs {
            places.push((output.command.clone(), output.combined()));
        }
        for file in ["terraform.tfstate", "terraform.tfstate.backup"] {
            if let Ok(text) = std::fs::read_to_string(workdir.path().join(file)) {
                places.push((file.into(), text));
            }
        }
        for (place, text) in &places {
            for secret in secrets {
                assert!(
                    !text.contains(secret),
                    "a secret ({secret}) appears in the {place}"
                );
            }
        }
    }
}

fn frontend_config(provider: &str) -> String {
    with_provider(
        provider,
        &format!(
            "resource \"ovhiplb_http_frontend\" \"web\" {{\n  service_name = {lb}\n  port = \"80\"\n  zone = \"all\"\n  \
             default_farm_id = 11\n}}\n\ndata \"ovhiplb_load_balancer\" \"lb\" {{\n  service_name = {lb}\n}}\n",
            lb = hcl_string(LB)
        ),
    )
}

/// apply, plan, destroy with `settings` at TF_LOG=trace, then looks for every secret everywhere.
fn assert_full_cycle_leaks_nothing(sim: &TestSim, secrets: &Secrets, settings: &[(&str, &str)]) {
    let mut workdir = TfWorkdir::new();
    let mut exposure = Exposure::new(&mut workdir);
    workdir.write(
        "main.tf",
        &frontend_config(&provider_block_with(sim, settings)),
    );
    exposure.outputs.push(workdir.apply());
    exposure.outputs.push(workdir.plan_detailed_exitcode());
    exposure.outputs.push(workdir.destroy());
    exposure.assert_nothing_leaked(&workdir, &secrets.secret_values());
}

#[test]
fn secrets_never_appear_in_output_trace_logs_or_state() {
    let secrets = Secrets::new();
    let sim = TestSim::with_fixture(secrets.fixture());
    assert_full_cycle_leaks_nothing(
        &sim,
        &secrets,
        &[
            ("application_key", &secrets.application_key),
            ("application_secret", &secrets.application_secret),
            ("consumer_key", &secrets.consumer_key),
        ],
    );
    assert_full_cycle_leaks_nothing(
        &sim,
        &secrets,
        &[
            ("client_id", &secrets.client_id),
            ("client_secret", &secrets.client_secret),
        ],
    );
    assert_full_cycle_leaks_nothing(&sim, &secrets, &[("access_token", &secrets.access_token)]);
}

#[test]
fn refused_credentials_are_not_echoed() {
    let secrets = Secrets::new();
    let sim = TestSim::with_fixture(secrets.fixture());
    let wrong = unique("wrong");
    let cases: [(&str, Vec<(&str, &str)>); 4] = [
        (
            "wrong application secret",
            vec![
                ("application_key", &secrets.application_key),
                ("application_secret", &wrong),
                ("consumer_key", &secrets.consumer_key),
            ],
        ),
        (
            "wrong consumer key",
            vec![
                ("application_key", &secrets.application_key),
                ("application_secret", &secrets.application_secret),
                ("consumer_key", &wrong),
            ],
        ),
        (
            "wrong client secret",
            vec![("client_id", &secrets.client_id), ("client_secret", &wrong)],
        ),
        ("wrong access token", vec![("access_token", &wrong)]),
    ];
    for (what, settings) in cases {
        let mut workdir = TfWorkdir::new();
        let mut exposure = Exposure::new(&mut workdir);
        workdir.write(
            "main.tf",
            &frontend_config(&provider_block_with(&sim, &settings)),
        );
        // Refused, by OVH.
        let plan = workdir.plan();
        eprintln!("case: {what}");
        plan.assert_failure().assert_mentions(&["OVH API error 40"]);
        exposure.outputs.push(plan);
        let mut leaked = secrets.secret_values().to_vec();
        leaked.push(&wrong);
        exposure.assert_nothing_leaked(&workdir, &leaked);
    }
}

// ---------------------------------------------------------------------------------------------------------------
// API TLS
// ---------------------------------------------------------------------------------------------------------------

/// An HTTPS server on loopback with a self-signed certificate for 127.0.0.1; counts completed TLS handshakes.
struct SelfSignedServer {
    addr: SocketAddr,
    handshakes: Arc<AtomicUsize>,
    attempts: Arc<AtomicUsize>,
}

impl SelfSignedServer {
    fn start() -> Self {
        let key = rcgen::KeyPair::generate().expect("a key");
        let params =
            rcgen::CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
                .expect("certificate parameters");
        let cert = params.self_signed(&key).expect("a self-signed certificate");
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("TLS versions")
            .with_no_client_auth()
            .with_single_cert(
                vec![cert.der().clone()],
                rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
            )
            .expect("a server config");
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.set_nonblocking(true).expect("non-blocking");
        let addr = listener.local_addr().expect("address");
        let handshakes = Arc::new(AtomicUsize::new(0));
        let attempts = Arc::new(AtomicUsize::new(0));
        let (done, tried) = (handshakes.clone(), attempts.clone());
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("tokio listener");
                while let Ok((stream, _)) = listener.accept().await {
                    tried.fetch_add(1, Ordering::SeqCst);
                    if acceptor.accept(stream).await.is_ok() {
                        done.fetch_add(1, Ordering::SeqCst);
                    }
                }
            });
        });
        Self {
            addr,
            handshakes,
            attempts,
        }
    }
}

#[test]
fn an_api_endpoint_with_an_untrusted_certificate_is_refused() {
    let server = SelfSignedServer::start();
    let workdir = TfWorkdir::new();
    let provider = format!(
        "provider \"ovhiplb\" {{\n  endpoint = {}\n  access_token = \"T\"\n  max_retries = 0\n}}\n",
        hcl_string(&format!("https://{}/1.0", server.addr))
    );
    workdir.write(
        "main.tf",
        &with_provider(
            &provider,
            &format!(
                "data \"ovhiplb_load_balancer\" \"lb\" {{\n  service_name = {}\n}}\n",
                hcl_string(LB)
            ),
        ),
    );
    // A self-signed API endpoint is refused, saying the certificate is not trusted.
    let plan = workdir.plan();
    plan.assert_failure().assert_mentions(&["certificate"]);
    assert!(
        server.attempts.load(Ordering::SeqCst) > 0,
        "the provider never reached the server:\n{plan}"
    );
    assert_eq!(
        server.handshakes.load(Ordering::SeqCst),
        0,
        "a TLS session was established with an untrusted certificate"
    );
    // The client has no switch to turn verification off: no such setting exists in the provider schema.
    let schema = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("src/provider/schema.rs"),
    )
    .expect("the provider schema source");
    for switch in ["insecure", "skip_tls", "tls_skip", "danger"] {
        assert!(
            !schema.contains(switch),
            "the provider schema mentions {switch:?}"
        );
    }
}

/// An untrusted certificate does not heal by retrying: with the default retry policy, the client gives up after
/// the first handshake, saying why, and the request is known not to have been sent.
#[test]
fn an_untrusted_certificate_is_not_retried() {
    let server = SelfSignedServer::start();
    let config = ovh_client::ResolvedConfig {
        endpoint: ovh_client::Endpoint::parse(&format!("https://{}/1.0", server.addr))
            .expect("an endpoint"),
        auth: ovh_client::Auth::Application {
            application_key: "AK".to_owned(),
            application_secret: ovh_client::Secret::from("AS"),
            consumer_key: Some(ovh_client::Secret::from("CK")),
        },
    };
    let client =
        ovh_client::Client::new(config, ovh_client::ClientOptions::default()).expect("a client");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let started = std::time::Instant::now();
    let error = runtime
        .block_on(client.get_load_balancer(LB))
        .expect_err("a self-signed endpoint must be refused");
    // The first request is the signature's server time.
    assert!(
        matches!(&error, ovh_client::Error::Transport { attempts: 1, route, message, .. }
            if route.ends_with("/auth/time") && message.contains("certificate")),
        "{error}"
    );
    assert_eq!(error.delivery(), ovh_client::Delivery::NotSent, "{error}");
    assert_eq!(server.attempts.load(Ordering::SeqCst), 1, "{error}");
    assert_eq!(server.handshakes.load(Ordering::SeqCst), 0);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(5),
        "{error}"
    );
}
