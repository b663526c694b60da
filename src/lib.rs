//! terraform-provider-ovhiplb: a Terraform provider (plugin protocol 5) for OVHcloud IP Load Balancers.
//!
//! Layers (see ARCHITECTURE.md): `plugin` is the generic tfplugin5 runtime and knows nothing of OVH;
//! `ovh_client` (a crate of its own) is the OVH API client and knows nothing of Terraform; `provider` and
//! `resources` are the only code that knows both.

pub mod plugin;
pub mod provider;
pub mod resources;
