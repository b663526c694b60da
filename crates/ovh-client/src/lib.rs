//! OVHcloud API v1 client for IP Load Balancers and failover IPs: settings resolution as go-ovh does it, request
//! signing or OAuth2, retries with backoff, typed calls, and task waiting. It knows nothing of Terraform.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use ovh_client::{Client, ClientOptions, ConfigInput, resolve_default};
//! let config = resolve_default(&ConfigInput::default())?;
//! let client = Client::new(config, ClientOptions::default())?;
//! let lb = client.get_load_balancer("loadbalancer-0123abcd").await?;
//! println!("{:?}", lb.ipv4);
//! # Ok(()) }
//! ```

// `Error::Api` holds the `ApiError` unboxed so callers can build and match it directly; the larger `Result` is
// irrelevant next to the network round trip every call makes.
#![allow(clippy::result_large_err)]

mod api;
mod auth;
mod client;
pub mod config;
mod error;
pub mod models;
mod path;
mod retry;
pub mod secret;
pub mod signature;
mod wait;

pub use client::{Client, ClientOptions, MAX_RESPONSE_BODY};
pub use config::{
    Auth, ConfigError, ConfigInput, Endpoint, ResolvedConfig, resolve, resolve_default,
};
pub use error::{ApiError, Delivery, Error, TaskKind};
pub use models::*;
pub use path::encode as encode_path_segment;
pub use retry::RetryPolicy;
pub use secret::Secret;
pub use tokio_util::sync::CancellationToken;
pub use wait::PollPolicy;
