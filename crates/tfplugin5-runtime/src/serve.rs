//! The plugin process: go-plugin handshake, AutoMTLS, the gRPC server (provider, health, controller, stdio),
//! signal handling, shutdown, and debug (reattach) mode.
//!
//! Entry point: [`serve`]. It owns the tokio runtime and returns the process exit code.
//!
//! Protocol choice: when `PLUGIN_PROTOCOL_VERSIONS` is absent we announce 5 anyway; when it lacks 5 we log an
//! error and still announce 5, as go-plugin does, so that Terraform reports the version mismatch itself.

use std::io::Write as _;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use serde::Serialize;
use tokio_util::sync::CancellationToken;
use tonic::transport::Server;

use super::controller::{Controller, Stdio};
use super::framework::Provider;
use super::grpc::ProviderService;
use super::handshake::{self, HandshakeLine, Negotiation, PortRange};
use super::incoming::accept_connections;
use super::proto::plugin::grpc_controller_server::GrpcControllerServer;
use super::proto::plugin::grpc_stdio_server::GrpcStdioServer;
use super::proto::tfplugin5::provider_server::ProviderServer;
use super::tls::{self, ServerIdentity, TlsSetupError};
use crate::PluginInfo;

/// The largest gRPC message accepted or sent, as terraform-plugin-go does (tonic's default decode limit, 4 MiB,
/// is too small for big states).
pub const MAX_MESSAGE_SIZE: usize = 256 << 20;

/// How long in-flight calls get to finish after `Shutdown` (Terraform kills us after 2 s).
pub const SHUTDOWN_GRACE: Duration = Duration::from_millis(500);

/// The gRPC health service name go-plugin clients expect.
pub const HEALTH_SERVICE_NAME: &str = "plugin";

/// Options for [`serve`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServeOptions {
    /// The provider's source address, e.g. `registry.terraform.io/example/example` (key of the reattach JSON).
    pub provider_address: String,
    /// The executable's name, for the message shown to whoever runs it by hand.
    pub binary_name: String,
    /// Debug (reattach) mode: no cookie check, no TLS, instructions on stdout, stop on SIGINT.
    pub debug: bool,
}

impl ServeOptions {
    /// Options for a Terraform-launched process of the provider `info`.
    pub fn new(info: &PluginInfo) -> Self {
        Self {
            provider_address: info.address.to_owned(),
            binary_name: info.binary_name.to_owned(),
            debug: false,
        }
    }

    /// The same options, with debug mode set to `debug`.
    #[must_use]
    pub fn with_debug(mut self, debug: bool) -> Self {
        self.debug = debug;
        self
    }
}

/// Why the plugin could not be served.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The tokio runtime could not be created.
    #[error("cannot start the async runtime: {0}")]
    Runtime(std::io::Error),
    /// No loopback port could be bound.
    #[error("cannot listen on 127.0.0.1: {0}")]
    Bind(std::io::Error),
    /// AutoMTLS could not be set up.
    #[error(transparent)]
    Tls(#[from] TlsSetupError),
    /// The handshake could not be written to stdout.
    #[error("cannot write the handshake to stdout: {0}")]
    Stdout(std::io::Error),
    /// The debug-mode reattach JSON could not be produced.
    #[error("cannot encode the reattach configuration: {0}")]
    Reattach(serde_json::Error),
    /// The gRPC server failed.
    #[error("gRPC server failed: {0}")]
    Server(#[from] tonic::transport::Error),
    /// The gRPC server task panicked or was cancelled.
    #[error("gRPC server task ended abnormally: {0}")]
    ServerTask(#[from] tokio::task::JoinError),
}

/// The plugin-related environment, read once.
#[derive(Debug, Clone, Default)]
struct PluginEnv {
    cookie: Option<String>,
    protocol_versions: Option<String>,
    min_port: Option<String>,
    max_port: Option<String>,
    client_cert_pem: Option<String>,
}

impl PluginEnv {
    fn from_process() -> Self {
        let var = |key| std::env::var(key).ok();
        Self {
            cookie: var(handshake::MAGIC_COOKIE_KEY),
            protocol_versions: var(handshake::PROTOCOL_VERSIONS_KEY),
            min_port: var(handshake::MIN_PORT_KEY),
            max_port: var(handshake::MAX_PORT_KEY),
            client_cert_pem: var(handshake::CLIENT_CERT_KEY).filter(|pem| !pem.trim().is_empty()),
        }
    }
}

/// Serves `provider` until Terraform asks us to stop (or, in debug mode, until SIGINT), and returns the exit
/// code. Logging should be initialised first (see [`super::logging::init`]); nothing but the handshake (or the
/// debug instructions) is ever written to stdout. [`crate::cli::run`] does both.
pub fn serve<P: Provider>(provider: P, options: ServeOptions) -> ExitCode {
    let env = PluginEnv::from_process();
    if !options.debug && !handshake::cookie_is_valid(env.cookie.as_deref()) {
        eprintln!("{}", handshake::not_a_command_message(&options.binary_name));
        return ExitCode::FAILURE;
    }
    let service = ProviderService::new(provider);
    // One thread: every launch pays for the runtime before its handshake line, and Terraform launches a provider
    // 3-5 times per command. A multi-thread runtime starts one worker per CPU (after reading the cgroup quota to
    // count them), while the provider's work is waiting on Terraform and the API with little CPU between
    // (0.1 s of CPU for a 1000-frontend plan): calls still run concurrently, as tasks, at any parallelism.
    let result = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(ServeError::Runtime)
        .and_then(|runtime| {
            let result = runtime.block_on(run(service, options, env));
            // Calls still running after the grace period must not hold the process (Terraform is waiting).
            runtime.shutdown_timeout(Duration::from_millis(100));
            result
        });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(%error, "plugin server failed");
            ExitCode::FAILURE
        }
    }
}

async fn run<P: Provider>(
    service: ProviderService<P>,
    options: ServeOptions,
    env: PluginEnv,
) -> Result<(), ServeError> {
    match handshake::negotiate_protocol(env.protocol_versions.as_deref()) {
        Negotiation::Agreed => {}
        Negotiation::NotOffered => {
            tracing::debug!("PLUGIN_PROTOCOL_VERSIONS not set, announcing protocol 5");
        }
        Negotiation::Mismatch(offered) => tracing::error!(
            ?offered,
            "the plugin client does not offer protocol 5, the only one this provider speaks"
        ),
    }

    let range = if options.debug {
        None
    } else {
        PortRange::from_env_values(env.min_port.as_deref(), env.max_port.as_deref()).unwrap_or_else(
            |error| {
                tracing::warn!(%error, "ignoring the requested port range");
                None
            },
        )
    };
    let listener = handshake::bind_loopback(range).map_err(ServeError::Bind)?;
    listener.set_nonblocking(true).map_err(ServeError::Bind)?;
    let listener = tokio::net::TcpListener::from_std(listener).map_err(ServeError::Bind)?;
    let addr = listener.local_addr().map_err(ServeError::Bind)?;

    let shutdown = CancellationToken::new();
    let router = router(service, &shutdown).await;
    let tls = match env.client_cert_pem.as_deref().filter(|_| !options.debug) {
        Some(pem) => {
            let identity = ServerIdentity::generate()?;
            let config = tls::server_config(&identity, tls::parse_client_cert_pem(pem)?)?;
            Some((identity, tokio_rustls::TlsAcceptor::from(config)))
        }
        None => None,
    };

    let server = match &tls {
        Some((_, acceptor)) => {
            let acceptor = acceptor.clone();
            let incoming =
                accept_connections(listener, move |tcp| acceptor.accept(tcp), shutdown.clone());
            tokio::spawn(
                router.serve_with_incoming_shutdown(incoming, shutdown.clone().cancelled_owned()),
            )
        }
        None => {
            let incoming = accept_connections(
                listener,
                |tcp| std::future::ready(Ok(tcp)),
                shutdown.clone(),
            );
            tokio::spawn(
                router.serve_with_incoming_shutdown(incoming, shutdown.clone().cancelled_owned()),
            )
        }
    };

    handle_interrupts(options.debug, shutdown.clone());
    if options.debug {
        announce_debug(&options.provider_address, addr)?;
    } else {
        let line = HandshakeLine {
            addr,
            server_cert_der: tls.as_ref().map(|(identity, _)| identity.cert_der.as_ref()),
        };
        announce(&line.to_string())?;
        tracing::debug!(%addr, tls = tls.is_some(), "plugin serving");
    }

    wait_for_server(server, &shutdown).await
}

/// The gRPC services: the provider, health ("plugin" = SERVING), controller and stdio.
async fn router<P: Provider>(
    service: ProviderService<P>,
    shutdown: &CancellationToken,
) -> tonic::transport::server::Router {
    let (health, health_service) = tonic_health::server::health_reporter();
    health
        .set_service_status(HEALTH_SERVICE_NAME, tonic_health::ServingStatus::Serving)
        .await;
    let provider = ProviderServer::new(service)
        .max_decoding_message_size(MAX_MESSAGE_SIZE)
        .max_encoding_message_size(MAX_MESSAGE_SIZE);
    Server::builder()
        .add_service(health_service)
        .add_service(provider)
        .add_service(GrpcControllerServer::new(Controller::new(shutdown.clone())))
        .add_service(GrpcStdioServer::new(Stdio::new(shutdown.clone())))
}

/// Waits for the server to end by itself, or for shutdown; after shutdown, in-flight calls get
/// [`SHUTDOWN_GRACE`] to finish before we give up on them.
async fn wait_for_server(
    mut server: tokio::task::JoinHandle<Result<(), tonic::transport::Error>>,
    shutdown: &CancellationToken,
) -> Result<(), ServeError> {
    tokio::select! {
        ended = &mut server => return Ok(ended??),
        () = shutdown.cancelled() => {}
    }
    match tokio::time::timeout(SHUTDOWN_GRACE, server).await {
        Ok(ended) => Ok(ended??),
        Err(_) => {
            tracing::warn!(grace = ?SHUTDOWN_GRACE, "connections still open after shutdown, exiting anyway");
            Ok(())
        }
    }
}

/// Writes `text` and a newline to stdout and flushes: Terraform waits for this line.
fn announce(text: &str) -> Result<(), ServeError> {
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{text}")
        .and_then(|()| stdout.flush())
        .map_err(ServeError::Stdout)
}

/// Go-plugin's Ctrl-C behaviour: the terminal sends SIGINT to Terraform *and* to us; Terraform then calls `Stop`
/// and waits for running operations, so dying here would lose state. Only debug mode stops on SIGINT.
///
/// The handler is installed before this returns (not when the task first runs), so that an interrupt arriving
/// right after the handshake cannot kill the process with the default action.
fn handle_interrupts(debug: bool, shutdown: CancellationToken) {
    let mut interrupts = match Interrupts::install() {
        Ok(interrupts) => interrupts,
        Err(error) => {
            tracing::warn!(%error, "cannot listen for interrupts");
            return;
        }
    };
    tokio::spawn(async move {
        while interrupts.recv().await {
            if debug {
                tracing::info!("interrupted, stopping");
                shutdown.cancel();
                return;
            }
            tracing::info!("ignoring interrupt; Terraform stops the provider through the Stop RPC");
        }
    });
}

/// SIGINT (Ctrl-C on Windows), registered eagerly.
#[cfg(unix)]
struct Interrupts(tokio::signal::unix::Signal);

#[cfg(unix)]
impl Interrupts {
    fn install() -> std::io::Result<Self> {
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt()).map(Self)
    }

    async fn recv(&mut self) -> bool {
        self.0.recv().await.is_some()
    }
}

/// SIGINT (Ctrl-C on Windows), registered eagerly.
#[cfg(windows)]
struct Interrupts(tokio::signal::windows::CtrlC);

#[cfg(windows)]
impl Interrupts {
    fn install() -> std::io::Result<Self> {
        tokio::signal::windows::ctrl_c().map(Self)
    }

    async fn recv(&mut self) -> bool {
        self.0.recv().await.is_some()
    }
}

/// One entry of Terraform's `TF_REATTACH_PROVIDERS` map (`internal/getproviders/reattach`).
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct ReattachConfig<'a> {
    protocol: &'a str,
    protocol_version: u32,
    pid: u32,
    test: bool,
    addr: ReattachAddr,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct ReattachAddr {
    network: &'static str,
    string: String,
}

/// The `TF_REATTACH_PROVIDERS` JSON for this process.
fn reattach_json(
    provider_address: &str,
    addr: SocketAddr,
    pid: u32,
) -> Result<String, serde_json::Error> {
    let config = ReattachConfig {
        protocol: "grpc",
        protocol_version: handshake::APP_PROTOCOL_VERSION,
        pid,
        // Test: Terraform must not kill a process it did not start.
        test: true,
        addr: ReattachAddr {
            network: "tcp",
            string: addr.to_string(),
        },
    };
    // Serialised directly (not through `serde_json::Value`) to keep Go's field order.
    serde_json::to_string(&std::collections::BTreeMap::from([(
        provider_address,
        config,
    )]))
}

/// Prints the same instructions as Go providers started with `-debug`.
fn announce_debug(provider_address: &str, addr: SocketAddr) -> Result<(), ServeError> {
    let json =
        reattach_json(provider_address, addr, std::process::id()).map_err(ServeError::Reattach)?;
    announce(&format!(
        "Provider started. To attach Terraform CLI, set the TF_REATTACH_PROVIDERS environment variable with the \
         following:\n\n\tTF_REATTACH_PROVIDERS='{json}'\n"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reattach_json_matches_terraforms_format() {
        let json = reattach_json(
            "registry.terraform.io/example/example",
            "127.0.0.1:41685".parse().unwrap(),
            42,
        )
        .unwrap();
        assert_eq!(
            json,
            r#"{"registry.terraform.io/example/example":{"Protocol":"grpc","ProtocolVersion":5,"Pid":42,"Test":true,"Addr":{"Network":"tcp","String":"127.0.0.1:41685"}}}"#
        );
    }

    #[test]
    fn options_builder() {
        let info = PluginInfo {
            binary_name: "terraform-provider-example",
            version: "1.2.3",
            address: "registry.terraform.io/example/example",
        };
        let options = ServeOptions::new(&info).with_debug(true);
        assert!(options.debug);
        assert_eq!(
            options.provider_address,
            "registry.terraform.io/example/example"
        );
        assert_eq!(options.binary_name, "terraform-provider-example");
    }
}
