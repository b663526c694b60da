//! `ovh-api-sim`: a local simulator of the OVHcloud API v1 calls used to route failover IPs to IP
//! Load Balancers, manage their frontends and deploy their configuration. A real HTTP server on
//! loopback, built from OVH's published schema: signatures and bearer tokens, OVH's objects and
//! errors, tasks with a lifecycle, pending changes and deploy conditions, faults on demand, and an
//! admin API under `/_sim/`. See README.md (usage, fixture format) and BEHAVIOUR.md (the choices
//! made where OVH's behaviour is not documented).

mod addr;
mod admin;
pub mod auth;
mod config;
mod error;
mod faults;
mod fixture;
mod ovh;
mod persist;
mod schema;
mod secret;
mod server;
mod state;
mod time;
mod validate;

pub use config::SimConfig;
pub use error::ApiError;
pub use faults::{FaultKind, FaultRule};
pub use fixture::{
    AccessRule, CredentialFixture, EXAMPLE_FIXTURE, FailoverIpFixture, FarmFixture, Fixture,
    FixtureError, FrontendFixture, LoadBalancerFixture, OAuth2ClientFixture, Protocol,
    RouteFixture, VrackNetworkFixture,
};
pub use secret::Secret;
pub use server::{RecordedRequest, SimError, Simulator};
