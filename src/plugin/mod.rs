//! The tfplugin5 plugin runtime: wire types, go-plugin handshake, AutoMTLS, gRPC serving, values,
//! schema, diagnostics and a small resource framework. Nothing in here knows about OVH.

// Transport and process (handshake, TLS, gRPC serving, logging, debug mode).
pub mod cli;
pub mod controller;
pub mod handshake;
pub mod incoming;
pub mod logging;
pub mod proto;
pub mod serve;
pub mod tls;

// Values, schema, diagnostics, framework and the tfplugin5 service that drives it.
pub mod diag;
pub mod framework;
pub mod grpc;
pub mod schema;
pub mod value;
