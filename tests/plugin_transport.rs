//! Integration tests of the plugin process and transport: the built binary is started the way Terraform starts
//! it (magic cookie, protocol versions, port range, an AutoMTLS client certificate shaped like go-plugin's),
//! and driven with a tonic client over rustls mutual TLS.

use std::io::{BufRead as _, BufReader, Read as _};
use std::process::{Child, ChildStdout, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use tfplugin5_runtime::wire_types::plugin::Empty;
use tfplugin5_runtime::wire_types::plugin::grpc_controller_client::GrpcControllerClient;
use tfplugin5_runtime::wire_types::tfplugin5::provider_client::ProviderClient;
use tfplugin5_runtime::wire_types::tfplugin5::{configure, get_provider_schema};
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint, Identity};
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

const BINARY: &str = env!("CARGO_BIN_EXE_terraform-provider-ovhiplb");
const COOKIE: &str = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";

/// A client certificate made like go-plugin's (`mtls.go`): self-signed ECDSA P-521, a CA, for localhost.
struct ClientCert {
    cert_pem: String,
    key_pem: String,
}

impl ClientCert {
    fn generate() -> Self {
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P521_SHA512).unwrap();
        let mut params = rcgen::CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "localhost");
        params
            .distinguished_name
            .push(rcgen::DnType::OrganizationName, "HashiCorp");
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params.key_usages = vec![
            rcgen::KeyUsagePurpose::DigitalSignature,
            rcgen::KeyUsagePurpose::KeyEncipherment,
            rcgen::KeyUsagePurpose::KeyAgreement,
            rcgen::KeyUsagePurpose::KeyCertSign,
        ];
        params.extended_key_usages = vec![
            rcgen::ExtendedKeyUsagePurpose::ClientAuth,
            rcgen::ExtendedKeyUsagePurpose::ServerAuth,
        ];
        let cert = params.self_signed(&key).unwrap();
        Self {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
        }
    }
}

/// A running plugin process, killed if the test ends early.
struct Plugin {
    child: Child,
    stdout: BufReader<ChildStdout>,
}

impl Plugin {
    /// Starts the binary as Terraform does; `client_cert` = `None` is `TF_DISABLE_PLUGIN_TLS`.
    fn start(client_cert: Option<&ClientCert>) -> Self {
        let mut command = Command::new(BINARY);
        command
            .env_clear()
            .env("TF_PLUGIN_MAGIC_COOKIE", COOKIE)
            .env("PLUGIN_PROTOCOL_VERSIONS", "5,6")
            .env("PLUGIN_MIN_PORT", "10000")
            .env("PLUGIN_MAX_PORT", "25000")
            .env("TF_LOG", "debug");
        if let Some(cert) = client_cert {
            command.env("PLUGIN_CLIENT_CERT", &cert.cert_pem);
        }
        Self::spawn(command)
    }

    fn spawn(mut command: Command) -> Self {
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        Self { child, stdout }
    }

    fn read_line(&mut self) -> String {
        let mut line = String::new();
        self.stdout.read_line(&mut line).unwrap();
        line
    }

    /// Waits at most `limit` for the process to exit.
    fn wait_exit(&mut self, limit: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().unwrap() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        None
    }

    /// Panics unless the process exits successfully within 2 s; `why` says why it should.
    #[track_caller]
    fn assert_exits_within_2s(&mut self, why: &str) {
        let status = self
            .wait_exit(Duration::from_secs(2))
            .unwrap_or_else(|| panic!("{why}: still running after 2 s"));
        assert!(status.success(), "exit status {status}");
    }

    fn stderr(&mut self) -> String {
        let mut text = String::new();
        if let Some(mut stderr) = self.child.stderr.take() {
            stderr.read_to_string(&mut text).unwrap();
        }
        text
    }
}

impl Drop for Plugin {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The parsed `1|5|tcp|ADDR|grpc|CERT` line.
struct Handshake {
    addr: String,
    server_cert_der: Vec<u8>,
}

fn parse_handshake(line: &str) -> Handshake {
    assert!(
        line.ends_with('\n'),
        "handshake must be a full line: {line:?}"
    );
    let fields: Vec<&str> = line.trim_end().split('|').collect();
    assert_eq!(fields.len(), 6, "{line:?}");
    assert_eq!(fields[..3], ["1", "5", "tcp"], "{line:?}");
    assert_eq!(fields[4], "grpc", "{line:?}");
    assert!(fields[3].starts_with("127.0.0.1:"), "{line:?}");
    let port: u16 = fields[3]["127.0.0.1:".len()..].parse().unwrap();
    assert!(
        (10000..=25000).contains(&port),
        "port {port} outside PLUGIN_MIN_PORT..PLUGIN_MAX_PORT"
    );
    assert!(
        !fields[5].contains('='),
        "certificate must be unpadded base64: {line:?}"
    );
    Handshake {
        addr: fields[3].to_owned(),
        server_cert_der: STANDARD_NO_PAD.decode(fields[5]).unwrap(),
    }
}

fn der_to_pem(der: &[u8]) -> String {
    let body = STANDARD.encode(der);
    let lines: Vec<&str> = body
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    format!(
        "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
        lines.join("\n")
    )
}

/// A channel like Terraform's: trusts only the announced server certificate, for name `localhost`, ALPN h2
/// (tonic insists on it), presenting `identity` if any.
async fn tls_channel(
    handshake: &Handshake,
    identity: Option<&ClientCert>,
) -> Result<Channel, tonic::transport::Error> {
    let mut tls = ClientTlsConfig::new()
        .domain_name("localhost")
        .ca_certificate(Certificate::from_pem(der_to_pem(
            &handshake.server_cert_der,
        )));
    if let Some(cert) = identity {
        tls = tls.identity(Identity::from_pem(&cert.cert_pem, &cert.key_pem));
    }
    Endpoint::from_shared(format!("https://{}", handshake.addr))?
        .tls_config(tls)?
        .connect_timeout(Duration::from_secs(5))
        .connect()
        .await
}

/// A channel to a plugin serving without TLS (no client certificate, or reattached in debug mode) at `addr`.
async fn plain_channel(addr: &str) -> Channel {
    Endpoint::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect()
        .await
        .unwrap()
}

/// Health check of "plugin" (go-plugin's liveness probe), GetSchema, then an empty Configure (must be answered at the gRPC level, with or without diagnostics), then
/// Shutdown; the process must exit within 2 s like Terraform demands.
async fn exercise_and_shut_down(plugin: &mut Plugin, channel: Channel) {
    let health = HealthClient::new(channel.clone())
        .check(HealthCheckRequest {
            service: "plugin".to_owned(),
        })
        .await
        .expect("health check")
        .into_inner();
    assert_eq!(health.status(), ServingStatus::Serving);

    let mut provider = ProviderClient::new(channel.clone());
    let schema = provider
        .get_schema(get_provider_schema::Request {})
        .await
        .expect("GetSchema over the plugin transport")
        .into_inner();
    assert!(
        schema.provider.is_some(),
        "GetSchema must describe the provider"
    );

    let configure = provider
        .configure(configure::Request {
            terraform_version: "1.11.4".to_owned(),
            config: None,
            client_capabilities: None,
        })
        .await;
    assert!(
        configure.is_ok(),
        "Configure must answer with diagnostics, not a gRPC error: {configure:?}"
    );

    GrpcControllerClient::new(channel)
        .shutdown(Empty {})
        .await
        .unwrap();
    plugin.assert_exits_within_2s("plugin must exit on Shutdown");
}

#[tokio::test]
async fn serves_over_mutual_tls_and_exits_on_shutdown() {
    let client = ClientCert::generate();
    let mut plugin = Plugin::start(Some(&client));
    let handshake = parse_handshake(&plugin.read_line());
    assert!(
        handshake.server_cert_der.len() > 50,
        "AutoMTLS must announce a certificate"
    );

    let channel = tls_channel(&handshake, Some(&client)).await.unwrap();
    exercise_and_shut_down(&mut plugin, channel).await;
    let stderr = plugin.stderr();
    for line in stderr.lines() {
        let json: serde_json::Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("stderr line is not hclog JSON ({e}): {line}"));
        assert!(
            json["@level"].is_string() && json["@timestamp"].is_string(),
            "{line}"
        );
    }
}

#[tokio::test]
async fn serves_plaintext_without_client_certificate() {
    let mut plugin = Plugin::start(None);
    let line = plugin.read_line();
    assert!(
        line.ends_with("|grpc|\n"),
        "no TLS means an empty certificate field: {line:?}"
    );
    let addr = line.split('|').nth(3).unwrap().to_owned();
    let channel = plain_channel(&addr).await;
    exercise_and_shut_down(&mut plugin, channel).await;
}

#[tokio::test]
async fn refuses_clients_without_the_pinned_certificate() {
    let pinned = ClientCert::generate();
    let intruder = ClientCert::generate();
    let mut plugin = Plugin::start(Some(&pinned));
    let handshake = parse_handshake(&plugin.read_line());

    for identity in [None, Some(&intruder)] {
        // With TLS 1.3 the client may consider the handshake done before the server rejects its certificate,
        // so the refusal can surface either at connect time or on the first call.
        if let Ok(channel) = tls_channel(&handshake, identity).await {
            let call = ProviderClient::new(channel)
                .get_schema(get_provider_schema::Request {})
                .await;
            assert!(
                call.is_err(),
                "a call without the pinned certificate succeeded"
            );
        }
    }

    // The refused handshakes must not have stopped the server.
    let channel = tls_channel(&handshake, Some(&pinned)).await.unwrap();
    exercise_and_shut_down(&mut plugin, channel).await;
    let stderr = plugin.stderr();
    assert!(
        stderr.contains("TLS handshake failed"),
        "refusals must be logged: {stderr}"
    );
}

#[test]
fn explains_itself_when_run_by_hand() {
    let output = Command::new(BINARY)
        .env_clear()
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(output.stdout.is_empty(), "nothing may go to stdout");
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("This binary is a plugin"), "{stderr}");
}

#[test]
fn version_and_unknown_arguments() {
    let version = Command::new(BINARY)
        .arg("--version")
        .env_clear()
        .output()
        .unwrap();
    assert!(version.status.success());
    assert_eq!(
        String::from_utf8(version.stdout).unwrap().trim(),
        format!("terraform-provider-ovhiplb {}", env!("CARGO_PKG_VERSION"))
    );
    let unknown = Command::new(BINARY)
        .arg("--frobnicate")
        .env_clear()
        .output()
        .unwrap();
    assert_eq!(unknown.status.code(), Some(2));
}

#[tokio::test]
async fn debug_mode_prints_reattach_instructions_and_stops_on_sigint() {
    let mut command = Command::new(BINARY);
    command.arg("-debug").env_clear();
    let mut plugin = Plugin::spawn(command);
    assert_eq!(
        plugin.read_line(),
        "Provider started. To attach Terraform CLI, set the TF_REATTACH_PROVIDERS environment variable with the \
         following:\n"
    );
    assert_eq!(plugin.read_line(), "\n");
    let line = plugin.read_line();
    let json = line
        .trim()
        .strip_prefix("TF_REATTACH_PROVIDERS='")
        .and_then(|rest| rest.strip_suffix('\''))
        .unwrap_or_else(|| panic!("unexpected reattach line {line:?}"));
    let reattach: serde_json::Value = serde_json::from_str(json).unwrap();
    let config = &reattach["registry.terraform.io/ovhiplb/ovhiplb"];
    assert_eq!(config["Protocol"], "grpc");
    assert_eq!(config["ProtocolVersion"], 5);
    assert_eq!(config["Pid"], plugin.child.id());
    assert_eq!(config["Test"], true);
    assert_eq!(config["Addr"]["Network"], "tcp");
    let addr = config["Addr"]["String"].as_str().unwrap();

    // Reattached providers are reached without TLS.
    let channel = plain_channel(addr).await;
    let schema = ProviderClient::new(channel)
        .get_schema(get_provider_schema::Request {})
        .await;
    assert!(schema.is_ok(), "{schema:?}");

    let killed = Command::new("kill")
        .args(["-INT", &plugin.child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    plugin.assert_exits_within_2s("debug mode must stop on SIGINT");
}

#[tokio::test]
async fn ignores_sigint_when_launched_by_terraform() {
    let mut plugin = Plugin::start(None);
    let line = plugin.read_line();
    let addr = line.split('|').nth(3).unwrap().to_owned();
    let killed = Command::new("kill")
        .args(["-INT", &plugin.child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    assert!(
        plugin.wait_exit(Duration::from_millis(300)).is_none(),
        "SIGINT must not stop a managed plugin"
    );
    let channel = plain_channel(&addr).await;
    exercise_and_shut_down(&mut plugin, channel).await;
}
