//! The fixture: the JSON file that seeds the simulated OVH account (credentials, load balancers,
//! failover IPs, farms, and optionally frontends and routes). Every field has a default, so a
//! fixture names only what a test needs. The format is documented in the crate README.

use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::secret::Secret;

/// The example fixture shipped with the crate (`fixtures/example.json`); the CLI's default.
pub const EXAMPLE_FIXTURE: &str = include_str!("../fixtures/example.json");

/// What a simulator starts with: credentials, load balancers, failover IPs, farms, frontends, routes (JSON; format in the crate README).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Fixture {
    /// The OVH account (NIC handle) `/auth/details` reports; `xx1111-ovh` when empty.
    pub account: String,
    pub credentials: Vec<CredentialFixture>,
    pub oauth2_clients: Vec<OAuth2ClientFixture>,
    /// Static bearer tokens accepted on every call (like `OVH_ACCESS_TOKEN`).
    pub access_tokens: Vec<Secret>,
    pub load_balancers: Vec<LoadBalancerFixture>,
    pub failover_ips: Vec<FailoverIpFixture>,
    pub farms: Vec<FarmFixture>,
    pub frontends: Vec<FrontendFixture>,
    pub routes: Vec<RouteFixture>,
}

/// Why a fixture file could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum FixtureError {
    #[error("cannot read fixture {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("invalid fixture {path}: {source}")]
    Parse {
        path: String,
        source: serde_json::Error,
    },
}

impl Fixture {
    /// Reads and parses a fixture file.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Fixture, FixtureError> {
        let path = path.as_ref();
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| FixtureError::Read {
            path: shown.clone(),
            source,
        })?;
        serde_json::from_str(&text).map_err(|source| FixtureError::Parse {
            path: shown,
            source,
        })
    }

    /// The shipped example fixture.
    pub fn example() -> Fixture {
        // The example is part of the crate and covered by a test; an empty fixture is a safe fallback.
        serde_json::from_str(EXAMPLE_FIXTURE).unwrap_or_default()
    }
}

/// An application key/secret with a consumer key (the v1 signature scheme).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CredentialFixture {
    pub application_key: String,
    pub application_secret: Secret,
    pub consumer_key: Secret,
    /// Access rules of the consumer key; every method on `/*` when absent.
    pub rules: Option<Vec<AccessRule>>,
    /// `validated` (default), `pendingValidation`, `expired` or `refused`.
    pub status: Option<String>,
}

/// One access rule of a consumer key (`method` + `path`, `*` as a wildcard).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AccessRule {
    pub method: String,
    pub path: String,
}

/// An OAuth2 service account (client-credentials flow).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct OAuth2ClientFixture {
    pub client_id: String,
    pub client_secret: Secret,
}

/// A load balancer of the fixture.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct LoadBalancerFixture {
    pub service_name: String,
    pub zones: Vec<String>,
    pub ipv4: Option<String>,
    pub ipv6: Option<String>,
    pub vrack_name: Option<String>,
    pub display_name: Option<String>,
    /// `ok` when absent.
    pub state: Option<String>,
    /// `iplb-lb1` when absent.
    pub offer: Option<String>,
    pub ssl_configuration: Option<String>,
    pub vrack_networks: Vec<VrackNetworkFixture>,
}

/// A vRack network of a load balancer in the fixture.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct VrackNetworkFixture {
    pub vrack_network_id: u64,
    pub subnet: String,
    pub nat_ip: String,
    pub vlan: u64,
    pub display_name: Option<String>,
}

/// A failover IP and the load balancer it is routed to, if any.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct FailoverIpFixture {
    /// `a.b.c.d`, `a.b.c.d/32` or a block; stored in CIDR form.
    pub ip: String,
    /// Service name of the load balancer the IP is routed to, or null (parked).
    pub routed_to: Option<String>,
    /// `failover` when absent.
    #[serde(rename = "type")]
    pub ip_type: Option<String>,
    pub description: Option<String>,
    pub country: Option<String>,
}

/// Protocol of a frontend, farm or route.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    #[default]
    Http,
    Tcp,
    Udp,
}

impl Protocol {
    /// The protocol's path segment (`http`, `tcp`, `udp`).
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Http => "http",
            Protocol::Tcp => "tcp",
            Protocol::Udp => "udp",
        }
    }

    /// The protocol of a path segment.
    pub fn parse(text: &str) -> Option<Protocol> {
        match text {
            "http" => Some(Protocol::Http),
            "tcp" => Some(Protocol::Tcp),
            "udp" => Some(Protocol::Udp),
            _ => None,
        }
    }
}

/// A farm; more OVH fields (camelCase, e.g. `balance`, `displayName`) may be given inline.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct FarmFixture {
    pub service_name: String,
    pub protocol: Protocol,
    pub farm_id: u64,
    pub zone: String,
    pub port: Option<u64>,
    pub vrack_network_id: Option<u64>,
    #[serde(flatten)]
    pub fields: Map<String, Value>,
}

/// A frontend: `service_name`, `protocol`, optional `frontend_id`, then OVH's camelCase fields
/// (`port` and `zone` required, as on POST).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct FrontendFixture {
    pub service_name: String,
    pub protocol: Protocol,
    pub frontend_id: Option<u64>,
    #[serde(flatten)]
    pub fields: Map<String, Value>,
}

/// A route (http or tcp): `service_name`, `protocol`, optional `route_id`, then OVH's fields
/// (`action` required; `frontendId`, `weight`, `displayName`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RouteFixture {
    pub service_name: String,
    pub protocol: Protocol,
    pub route_id: Option<u64>,
    #[serde(flatten)]
    pub fields: Map<String, Value>,
}
