//! The `terraform-provider-ovhiplb` executable: parses the few flags, initialises hclog logging on stderr and
//! serves the provider over the go-plugin protocol until Terraform is done with it.

use std::process::ExitCode;

use ovhiplb::plugin::cli::{self, Invocation, USAGE};
use ovhiplb::plugin::logging;
use ovhiplb::plugin::serve::{ServeOptions, serve};

/// The source address users write in `required_providers`; the key of the debug-mode reattach JSON.
const PROVIDER_ADDRESS: &str = "registry.terraform.io/ovhiplb/ovhiplb";

fn main() -> ExitCode {
    let debug = match cli::parse_args(std::env::args_os().skip(1)) {
        Ok(Invocation::Serve { debug }) => debug,
        Ok(Invocation::Version) => {
            println!("{} {}", env!("CARGO_BIN_NAME"), env!("CARGO_PKG_VERSION"));
            return ExitCode::SUCCESS;
        }
        Ok(Invocation::Help) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(error) => {
            eprintln!("{error}");
            return ExitCode::from(2);
        }
    };
    logging::init();
    serve(
        ovhiplb::provider::service(),
        ServeOptions::new(PROVIDER_ADDRESS).with_debug(debug),
    )
}
