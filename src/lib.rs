//! terraform-provider-ovhiplb: a Terraform provider (plugin protocol 5) for OVHcloud IP Load Balancers.
//!
//! Layers (see ARCHITECTURE.md), each enforced by Cargo: `tfplugin5_runtime` (a crate of its own) is the generic
//! plugin runtime and knows nothing of OVH; `ovh_client` (a crate of its own) is the OVH API client and knows
//! nothing of Terraform; [`resources`] is the only code that knows both, and [`provider`] configures the client and
//! registers the resources (it depends on `resources`, never the reverse).

pub mod provider;
pub mod resources;
