//! Command-line arguments of the plugin binary. Terraform passes none; people use `-debug` (reattach mode, like
//! Go providers' `-debug` flag) and `--version`.

use std::ffi::OsString;

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
#[error("unknown argument {argument:?}\n\n{USAGE}")]
pub struct UsageError {
    /// The offending argument, lossily converted to UTF-8.
    pub argument: String,
}

/// Usage text, printed for `--help` and after a usage error.
pub const USAGE: &str = "\
Usage: terraform-provider-ovhiplb [-debug | --version | --help]

Terraform starts this binary itself. Run it by hand only with -debug, then export the
TF_REATTACH_PROVIDERS value it prints in the shell where you run terraform.";

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
        assert!(err.to_string().contains("Usage:"));
        assert!(parse(&["---debug"]).is_err());
    }
}
