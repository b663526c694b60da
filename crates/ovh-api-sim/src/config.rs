//! Simulator settings (the in-process equivalent of the CLI flags).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use crate::fixture::Fixture;

/// How a simulator runs: where it listens, what it starts with, how tasks and clocks behave.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// Where to listen; port 0 picks a free port.
    pub listen: SocketAddr,
    pub fixture: Fixture,
    /// Time a task takes from creation (`todo`/`init`) to its end (`done` or failure).
    pub task_duration: Duration,
    /// Accepted distance between `X-Ovh-Timestamp` and the server clock.
    pub timestamp_window: Duration,
    /// Latency added to every OVH call (not to `/_sim/` calls).
    pub latency: Duration,
    /// State file: loaded at start if it exists, written after every change.
    pub persist: Option<PathBuf>,
    /// Seconds added to the server clock (`/auth/time` and the timestamp check), to exercise
    /// clients' clock-delta logic.
    pub clock_offset_secs: i64,
    /// Seed of the RNG behind fault `probability`.
    pub fault_seed: u64,
    /// Scheme and authority clients use to reach the simulator (e.g. `http://sim:8080`), when a
    /// proxy or name stands in between; by default `http://` + the request's `Host` header.
    pub public_base: Option<String>,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            fixture: Fixture::default(),
            task_duration: Duration::from_millis(300),
            timestamp_window: Duration::from_secs(300),
            latency: Duration::ZERO,
            persist: None,
            clock_offset_secs: 0,
            fault_seed: 0,
            public_base: None,
        }
    }
}
