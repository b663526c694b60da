//! Build script: compiles our hand-written `proto/*.proto` into Rust (prost messages, tonic server and client)
//! with `protox`, a pure-Rust protobuf compiler, so no system `protoc` is needed.

use std::error::Error;

const PROTOS: [&str; 2] = ["proto/tfplugin5.proto", "proto/plugin.proto"];

fn main() -> Result<(), Box<dyn Error>> {
    // `compile_fds` does not know the source paths, so declare them ourselves.
    println!("cargo:rerun-if-changed=proto");
    for proto in PROTOS {
        println!("cargo:rerun-if-changed={proto}");
    }

    let fds = protox::compile(PROTOS, ["proto"])?;
    tonic_prost_build::configure()
        .build_server(true)
        // The client is used by the integration tests to drive the binary as Terraform would.
        .build_client(true)
        // Every RPC we do not implement answers gRPC Unimplemented, which Terraform tolerates for optional RPCs.
        .generate_default_stubs(true)
        .emit_rerun_if_changed(false)
        .compile_fds(fds)?;
    Ok(())
}
