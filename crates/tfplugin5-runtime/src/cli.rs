//! The plugin binary's `main`: who the provider is ([`PluginInfo`]), its command-line arguments and [`run`].
//! Terraform passes no argument; people use `-debug` (reattach mode, like Go providers' `-debug` flag) and
//! `--version`.

use std::ffi::OsString;
use std::process::ExitCode;

use crate::framework::Provider;
use crate::logging;
use crate::serve::{ServeOptions, serve};

/// Who the provider is: what the binary prints about itself, and the address Terraform knows it by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PluginInfo {
    /// The executable's name, e.g. `terraform-provider-example`.
    pub binary_name: &'static str,
    /// The provider's version, printed by `--version`.
    pub version: &'static str,
    /// The source address users write in `required_providers`, e.g. `registry.terraform.io/example/example`; the
    /// key of the debug-mode reattach JSON.
    pub address: &'static str,
}

/// The whole `main` of a provider binary: parses the arguments, answers `--version` and `--help`, or initialises
/// hclog logging on stderr and serves `provider()` until Terraform is done with it.
pub fn run<P: Provider>(info: &PluginInfo, provider: impl FnOnce() -> P) -> ExitCode {
    let debug = match parse_args(std::env::args_os().skip(1)) {
        Ok(Invocation::Serve { debug }) => debug,
        Ok(Invocation::Version) => {
            println!("{} {}", info.binary_name, info.version);
            return ExitCode::SUCCESS;
        }
        Ok(Invocation::Help) => {
            println!("{}", usage(info.binary_name));
            return ExitCode::SUCCESS;
        }
        Err(error) => {
            eprintln!("{error}\n\n{}", usage(info.binary_name));
            return ExitCode::from(2);
        }
    };
    logging::init();
    serve(provider(), ServeOptions::new(info).with_debug(debug))
}

/// What the binary was asked to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Invocation {
    /// Serve the plugin; `debug` selects reattach mode.
    Serve {
        /// Serve for a manually started debugging session instead of for a Terraform-launched one.
        debug: bool,
    },
    /// Print the version and exit.
    Version,
    /// Print the usage and exit.
    Help,
}

/// An argument we do not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown argument {argument:?}")]
pub struct UsageError {
    /// The offending argument, lossily converted to UTF-8.
    pub argument: String,
}

/// Usage text of the binary `binary_name`, printed for `--help` and after a usage error.
pub fn usage(binary_name: &str) -> String {
    format!(
        "Usage: {binary_name} [-debug | --version | --help]\n\n\
         Terraform starts this binary itself. Run it by hand only with -debug, then export the\n\
         TF_REATTACH_PROVIDERS value it prints in the shell where you run terraform."
    )
}

/// Parses the arguments (without the program name). Single and double dashes are both accepted, as Go's
/// `flag` package does.
pub fn parse_args(args: impl IntoIterator<Item = OsString>) -> Result<Invocation, UsageError> {
    let mut invocation = Invocation::Serve { debug: false };
    for arg in args {
        let arg = arg.to_string_lossy();
        let flag = arg.strip_prefix("--").or_else(|| arg.strip_prefix('-'));
        invocation = match flag {
            Some("debug" | "debug=true") => Invocation::Serve { debug: true },
            Some("debug=false") => Invocation::Serve { debug: false },
            Some("version" | "v") => return Ok(Invocation::Version),
            Some("help" | "h") => return Ok(Invocation::Help),
            _ => {
                return Err(UsageError {
                    argument: arg.into_owned(),
                });
            }
        };
    }
    Ok(invocation)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Invocation, UsageError> {
        parse_args(args.iter().map(OsString::from))
    }

    #[test]
    fn flags() {
        assert_eq!(parse(&[]), Ok(Invocation::Serve { debug: false }));
        assert_eq!(parse(&["-debug"]), Ok(Invocation::Serve { debug: true }));
        assert_eq!(parse(&["--debug"]), Ok(Invocation::Serve { debug: true }));
        assert_eq!(
            parse(&["-debug=false"]),
            Ok(Invocation::Serve { debug: false })
        );
        assert_eq!(parse(&["--version"]), Ok(Invocation::Version));
        assert_eq!(parse(&["-debug", "-version"]), Ok(Invocation::Version));
        assert_eq!(parse(&["-h"]), Ok(Invocation::Help));
        let err = parse(&["serve"]).unwrap_err();
        assert_eq!(err.argument, "serve");
        assert_eq!(err.to_string(), "unknown argument \"serve\"");
        assert!(usage("terraform-provider-x").starts_with("Usage: terraform-provider-x [-debug"));
        assert!(parse(&["---debug"]).is_err());
    }
}
