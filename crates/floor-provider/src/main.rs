//! `terraform-provider-floor`: the floor providers of the overhead benchmark, served by the plugin runtime (see the
//! library's documentation).

use std::process::ExitCode;

fn main() -> ExitCode {
    tfplugin5_runtime::cli::run(&floor_provider::PLUGIN, || floor_provider::Floor)
}
