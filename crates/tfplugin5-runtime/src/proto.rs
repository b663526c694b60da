//! Rust types generated from our hand-written `proto/` files (see `build.rs`): the `tfplugin5.Provider`
//! service and its messages, and go-plugin's auxiliary `plugin.GRPCController` / `plugin.GRPCStdio` services.
//! Server and client code are both generated; the client is used by tests.

/// Declares a module holding the code generated for a protobuf package, exempt from our lints.
macro_rules! generated_package {
    ($(#[$attr:meta])* $module:ident = $package:literal) => {
        $(#[$attr])*
        #[allow(
            missing_docs,
            clippy::all,
            clippy::pedantic,
            rustdoc::all,
            unreachable_pub,
            dead_code,
            reason = "generated code"
        )]
        pub mod $module {
            tonic::include_proto!($package);
        }
    };
}

generated_package! {
    /// Terraform plugin protocol 5: `tfplugin5.Provider` and its messages.
    tfplugin5 = "tfplugin5"
}

generated_package! {
    /// go-plugin's auxiliary services (`plugin.GRPCController`, `plugin.GRPCStdio`).
    plugin = "plugin"
}
