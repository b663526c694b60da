//! The tfplugin5 plugin runtime: wire types, go-plugin handshake, AutoMTLS, gRPC serving, values,
//! schema, diagnostics and a small resource framework. Nothing in here knows about OVH.

// Transport and process (handshake, TLS, gRPC serving, logging, debug mode).
pub mod proto;
pub mod handshake;
pub mod tls;
pub mod serve;
pub mod logging;
pub mod incoming;
pub mod controller;
pub mod cli;

// Values, schema, diagnostics, framework and the tfplugin5 service that drives it.
pub mod value;
pub mod schema;
pub mod diag;
pub mod framework;
pub mod grpc;
