//! A runtime for Terraform providers speaking plugin protocol 5 (tfplugin5): the go-plugin handshake, AutoMTLS,
//! the gRPC server, cty values, schemas, diagnostics and a small resource framework. It knows nothing of any
//! particular provider: a provider implements [`framework::Provider`] and hands it to [`cli::run`] from `main`.
//!
//! The generated protobuf code is private (only the `wire` feature, for tests that talk to a provider the way
//! Terraform does, exposes it); [`wire`](crate::wire) is the one place where the runtime's types and the wire
//! types meet.

// Transport and process (handshake, TLS, gRPC serving, logging, debug mode).
pub mod cli;
mod controller;
pub mod handshake;
mod incoming;
pub mod logging;
mod proto;
pub mod serve;
pub mod tls;

// Values, schema, diagnostics, framework and the tfplugin5 service that drives it.
pub mod diag;
pub mod framework;
mod grpc;
pub mod schema;
pub mod value;
mod wire;

/// The wire level, for tests that drive a provider as Terraform does: the generated tfplugin5 and go-plugin
/// messages and clients, and the tfplugin5 service of a framework provider.
#[cfg(feature = "wire")]
pub mod wire_types {
    pub use crate::grpc::ProviderService;
    pub use crate::proto::{plugin, tfplugin5};
}

pub use cli::PluginInfo;
