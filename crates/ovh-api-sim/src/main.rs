//! `ovh-api-sim` command line: serves the simulator until SIGINT/SIGTERM, printing its base URL
//! as the first line on stdout.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use ovh_api_sim::{Fixture, SimConfig, Simulator};

/// A local simulator of the OVHcloud API v1 (IP Load Balancer and failover IP calls).
///
/// Prints its base URL (e.g. http://127.0.0.1:41234/1.0) as the first line on stdout, then serves
/// until interrupted. The admin API is under /_sim/ (see the crate README).
#[derive(Debug, Parser)]
#[command(name = "ovh-api-sim", version)]
struct Cli {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: SocketAddr,
    /// Fixture file (JSON) seeding the account; the built-in example fixture when absent.
    #[arg(long, value_name = "FILE")]
    fixture: Option<PathBuf>,
    /// Time a task takes from creation to its end (e.g. 300ms, 2s).
    #[arg(long, value_name = "DURATION", default_value = "300ms", value_parser = humantime::parse_duration)]
    task_duration: Duration,
    /// Latency added to every OVH call (e.g. 50ms).
    #[arg(long, value_name = "DURATION", default_value = "0ms", value_parser = humantime::parse_duration)]
    latency: Duration,
    /// State file: loaded at start if it exists (it then wins over the fixture), saved after every change.
    #[arg(long = "state", value_name = "FILE")]
    state: Option<PathBuf>,
    /// Accepted distance between a request's X-Ovh-Timestamp and the server clock.
    #[arg(long, value_name = "DURATION", default_value = "300s", value_parser = humantime::parse_duration)]
    timestamp_window: Duration,
    /// Seconds added to the server clock (GET /auth/time and the timestamp check).
    #[arg(
        long,
        value_name = "SECONDS",
        default_value_t = 0,
        allow_hyphen_values = true
    )]
    clock_offset: i64,
    /// Seed of the random generator behind fault probabilities.
    #[arg(long, value_name = "N", default_value_t = 0)]
    seed: u64,
    /// Scheme and host clients use to reach the simulator, if not the Host header (e.g. http://sim:8080).
    #[arg(long, value_name = "URL")]
    public_base: Option<String>,
    /// Allow a --listen address other than loopback. The simulator speaks plain HTTP, holds the
    /// fixture's secrets and lets anyone who reaches /_sim/ change its state: only for isolated
    /// networks (e.g. a container network).
    #[arg(long)]
    allow_non_loopback: bool,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if !cli.listen.ip().is_loopback() {
        if !cli.allow_non_loopback {
            eprintln!(
                "ovh-api-sim: refusing to listen on {}: the simulator is plain HTTP with an unauthenticated \
                 admin API, so it listens on loopback only (e.g. 127.0.0.1:0); pass --allow-non-loopback to \
                 serve an isolated network anyway",
                cli.listen
            );
            return ExitCode::from(2);
        }
        eprintln!(
            "ovh-api-sim: warning: listening on {}, not loopback: anyone who can reach it can read and \
             change the simulated account through /_sim/",
            cli.listen
        );
    }
    let fixture = match &cli.fixture {
        Some(path) => match Fixture::from_file(path) {
            Ok(fixture) => fixture,
            Err(e) => {
                eprintln!("ovh-api-sim: {e}");
                return ExitCode::from(2);
            }
        },
        None => Fixture::example(),
    };
    let config = SimConfig {
        listen: cli.listen,
        fixture,
        task_duration: cli.task_duration,
        timestamp_window: cli.timestamp_window,
        latency: cli.latency,
        persist: cli.state,
        clock_offset_secs: cli.clock_offset,
        fault_seed: cli.seed,
        public_base: cli.public_base,
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("ovh-api-sim: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(run(config))
}

async fn run(config: SimConfig) -> ExitCode {
    let simulator = match Simulator::start(config).await {
        Ok(simulator) => simulator,
        Err(e) => {
            eprintln!("ovh-api-sim: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut stdout = std::io::stdout().lock();
    if writeln!(stdout, "{}", simulator.base_url())
        .and_then(|()| stdout.flush())
        .is_err()
    {
        eprintln!("ovh-api-sim: cannot write the base URL to stdout");
        return ExitCode::FAILURE;
    }
    drop(stdout);
    eprintln!(
        "ovh-api-sim: serving {} (admin API at {}/_sim/)",
        simulator.base_url(),
        simulator.root_url()
    );
    wait_for_signal().await;
    simulator.shutdown().await;
    ExitCode::SUCCESS
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = terminate.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
