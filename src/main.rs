//! The `terraform-provider-ovhiplb` executable: the plugin runtime's `main` for this provider.

use std::process::ExitCode;

fn main() -> ExitCode {
    tfplugin5_runtime::cli::run(
        &ovhiplb::provider::PLUGIN,
        ovhiplb::provider::OvhProvider::default,
    )
}
