//! The go-plugin handshake as Terraform drives it: the magic cookie check, the protocol version negotiation, the
//! port range to bind in, and the one line announced on stdout (`1|5|tcp|ADDR|grpc|CERT`).
//!
//! Everything here is pure (environment values are passed in), so it is unit-tested without touching the process
//! environment.

use std::collections::BTreeSet;
use std::fmt;
use std::net::{Ipv4Addr, SocketAddr, TcpListener};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD_NO_PAD;

/// Environment variable carrying the magic cookie (Terraform's `internal/plugin/serve.go`).
pub const MAGIC_COOKIE_KEY: &str = "TF_PLUGIN_MAGIC_COOKIE";
/// The cookie value Terraform sets; upstream says it "should NEVER be changed".
pub const MAGIC_COOKIE_VALUE: &str =
    "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";
/// Comma-separated app protocol versions the client speaks (e.g. `5,6` or `6,5`: an unordered set).
pub const PROTOCOL_VERSIONS_KEY: &str = "PLUGIN_PROTOCOL_VERSIONS";
/// Lower bound of the TCP port range the client would like us to bind in.
pub const MIN_PORT_KEY: &str = "PLUGIN_MIN_PORT";
/// Upper bound of the TCP port range the client would like us to bind in.
pub const MAX_PORT_KEY: &str = "PLUGIN_MAX_PORT";
/// PEM of the client's AutoMTLS certificate; absent when TLS is disabled.
pub const CLIENT_CERT_KEY: &str = "PLUGIN_CLIENT_CERT";

/// go-plugin core protocol version (`CoreProtocolVersion`).
pub const CORE_PROTOCOL_VERSION: u32 = 1;
/// The Terraform plugin protocol this provider speaks.
pub const APP_PROTOCOL_VERSION: u32 = 5;

/// Told to whoever runs the binary `binary_name` by hand (same intent as Go providers' message).
pub fn not_a_command_message(binary_name: &str) -> String {
    format!(
        "This binary is a plugin. These are not meant to be executed directly.\n\
         Please execute the program that consumes these plugins, which will\n\
         load any plugins automatically.\n\n\
         ({binary_name} is a Terraform provider: declare it in a Terraform configuration and run\n\
         `terraform plan`. To debug it, run it with -debug and follow the instructions it prints.)"
    )
}

/// Whether the process was started by a go-plugin client (Terraform) rather than by hand.
pub fn cookie_is_valid(cookie: Option<&str>) -> bool {
    cookie == Some(MAGIC_COOKIE_VALUE)
}

/// Outcome of the protocol negotiation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Negotiation {
    /// The client offered protocol 5.
    Agreed,
    /// The client did not say what it speaks; go-plugin then announces its own version, and so do we.
    NotOffered,
    /// The client offered only other versions. We still announce 5 (as go-plugin does) so that the client
    /// reports the mismatch with its own, clearer message; the caller logs this.
    Mismatch(BTreeSet<u32>),
}

/// Parses `PLUGIN_PROTOCOL_VERSIONS` as a set and decides whether protocol 5 can be used.
///
/// Unparseable entries are ignored, as go-plugin does (it skips them with a warning).
pub fn negotiate_protocol(offered: Option<&str>) -> Negotiation {
    let Some(raw) = offered.filter(|s| !s.trim().is_empty()) else {
        return Negotiation::NotOffered;
    };
    let versions = parse_protocol_versions(raw);
    if versions.contains(&APP_PROTOCOL_VERSION) {
        Negotiation::Agreed
    } else {
        Negotiation::Mismatch(versions)
    }
}

/// The set of valid version numbers in a comma-separated list.
pub fn parse_protocol_versions(raw: &str) -> BTreeSet<u32> {
    raw.split(',')
        .filter_map(|v| v.trim().parse().ok())
        .collect()
}

/// An inclusive TCP port range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PortRange {
    /// First port to try.
    pub min: u16,
    /// Last port to try.
    pub max: u16,
}

/// Why `PLUGIN_MIN_PORT`/`PLUGIN_MAX_PORT` could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PortRangeError {
    /// A bound is not a port number.
    #[error("{key}={value:?} is not a port number (0-65535)")]
    NotAPort {
        /// The variable at fault.
        key: &'static str,
        /// Its value.
        value: String,
    },
    /// Only one bound is set.
    #[error("{present} is set but {missing} is not")]
    HalfOpen {
        /// The variable that is set.
        present: &'static str,
        /// The variable that is missing.
        missing: &'static str,
    },
    /// The bounds are reversed.
    #[error("PLUGIN_MIN_PORT={min} is greater than PLUGIN_MAX_PORT={max}")]
    Reversed {
        /// Lower bound.
        min: u16,
        /// Upper bound.
        max: u16,
    },
}

impl PortRange {
    /// Reads the range from the two environment values. `Ok(None)` means no range was asked for.
    pub fn from_env_values(
        min: Option<&str>,
        max: Option<&str>,
    ) -> Result<Option<Self>, PortRangeError> {
        let parse = |key: &'static str, value: &str| {
            value
                .trim()
                .parse::<u16>()
                .map_err(|_| PortRangeError::NotAPort {
                    key,
                    value: value.to_owned(),
                })
        };
        match (min, max) {
            (None, None) => Ok(None),
            (Some(_), None) => Err(PortRangeError::HalfOpen {
                present: MIN_PORT_KEY,
                missing: MAX_PORT_KEY,
            }),
            (None, Some(_)) => Err(PortRangeError::HalfOpen {
                present: MAX_PORT_KEY,
                missing: MIN_PORT_KEY,
            }),
            (Some(min), Some(max)) => {
                let (min, max) = (parse(MIN_PORT_KEY, min)?, parse(MAX_PORT_KEY, max)?);
                if min > max {
                    return Err(PortRangeError::Reversed { min, max });
                }
                Ok(Some(Self { min, max }))
            }
        }
    }
}

/// Binds a listener on 127.0.0.1, trying each port of `range` in turn like go-plugin servers do, and falling
/// back to an ephemeral port: the client does not enforce the range, so a full range must not be fatal.
pub fn bind_loopback(range: Option<PortRange>) -> std::io::Result<TcpListener> {
    if let Some(range) = range {
        for port in range.min..=range.max {
            if port == 0 {
                continue;
            }
            if let Ok(listener) = TcpListener::bind((Ipv4Addr::LOCALHOST, port)) {
                return Ok(listener);
            }
        }
        tracing::warn!(
            min = range.min,
            max = range.max,
            "no free port in the requested range, using an ephemeral port"
        );
    }
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
}

/// The handshake line Terraform reads from our stdout (without the trailing newline).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandshakeLine<'a> {
    /// Where the gRPC server listens.
    pub addr: SocketAddr,
    /// DER of the server certificate, when serving TLS.
    pub server_cert_der: Option<&'a [u8]>,
}

impl fmt::Display for HandshakeLine<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // go-plugin decodes the certificate with RawStdEncoding: a padded value is rejected.
        let cert = self
            .server_cert_der
            .map(|der| STANDARD_NO_PAD.encode(der))
            .unwrap_or_default();
        write!(
            f,
            "{CORE_PROTOCOL_VERSION}|{APP_PROTOCOL_VERSION}|tcp|{}|grpc|{cert}",
            self.addr
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookie_must_match_exactly() {
        assert!(cookie_is_valid(Some(MAGIC_COOKIE_VALUE)));
        assert!(!cookie_is_valid(None));
        assert!(!cookie_is_valid(Some("")));
        assert!(!cookie_is_valid(Some(&MAGIC_COOKIE_VALUE[1..])));
    }

    #[test]
    fn protocol_versions_are_a_set_in_any_order() {
        assert_eq!(negotiate_protocol(Some("5,6")), Negotiation::Agreed);
        assert_eq!(negotiate_protocol(Some("6,5")), Negotiation::Agreed);
        assert_eq!(negotiate_protocol(Some(" 6 , 5 ")), Negotiation::Agreed);
        assert_eq!(negotiate_protocol(Some("5")), Negotiation::Agreed);
        assert_eq!(negotiate_protocol(None), Negotiation::NotOffered);
        assert_eq!(negotiate_protocol(Some("  ")), Negotiation::NotOffered);
        assert_eq!(
            negotiate_protocol(Some("6")),
            Negotiation::Mismatch(BTreeSet::from([6]))
        );
        assert_eq!(
            negotiate_protocol(Some("x,6,,4")),
            Negotiation::Mismatch(BTreeSet::from([4, 6]))
        );
        assert_eq!(negotiate_protocol(Some("x,5")), Negotiation::Agreed);
        assert_eq!(parse_protocol_versions("55,05"), BTreeSet::from([5, 55]));
    }

    #[test]
    fn port_range_parsing() {
        assert_eq!(PortRange::from_env_values(None, None), Ok(None));
        assert_eq!(
            PortRange::from_env_values(Some("10000"), Some("25000")),
            Ok(Some(PortRange {
                min: 10000,
                max: 25000
            }))
        );
        assert_eq!(
            PortRange::from_env_values(Some("7"), Some("7")),
            Ok(Some(PortRange { min: 7, max: 7 }))
        );
        assert_eq!(
            PortRange::from_env_values(Some("25000"), Some("10000")),
            Err(PortRangeError::Reversed {
                min: 25000,
                max: 10000
            })
        );
        assert!(matches!(
            PortRange::from_env_values(Some("70000"), Some("80000")),
            Err(PortRangeError::NotAPort {
                key: MIN_PORT_KEY,
                ..
            })
        ));
        assert!(matches!(
            PortRange::from_env_values(Some("1"), Some("abc")),
            Err(PortRangeError::NotAPort {
                key: MAX_PORT_KEY,
                ..
            })
        ));
        assert!(matches!(
            PortRange::from_env_values(None, Some("1")),
            Err(PortRangeError::HalfOpen {
                present: MAX_PORT_KEY,
                ..
            })
        ));
    }

    #[test]
    fn binds_inside_the_range_and_falls_back_when_it_is_full() {
        let taken = bind_loopback(None).unwrap();
        let port = taken.local_addr().unwrap().port();
        let range = PortRange {
            min: port,
            max: port,
        };
        // The only port of the range is taken: we must still get a listener, elsewhere.
        let fallback = bind_loopback(Some(range)).unwrap();
        assert_ne!(fallback.local_addr().unwrap().port(), port);
        drop(taken);
        let inside = bind_loopback(Some(range)).unwrap();
        assert_eq!(inside.local_addr().unwrap().port(), port);
        assert!(inside.local_addr().unwrap().ip().is_loopback());
    }

    #[test]
    fn handshake_line_with_certificate() {
        // 4 bytes: STANDARD base64 would end in "==".
        let der = [0x30_u8, 0x82, 0x01, 0xff];
        let line = HandshakeLine {
            addr: "127.0.0.1:10001".parse().unwrap(),
            server_cert_der: Some(&der),
        }
        .to_string();
        let fields: Vec<&str> = line.split('|').collect();
        assert_eq!(fields[..5], ["1", "5", "tcp", "127.0.0.1:10001", "grpc"]);
        assert_eq!(fields.len(), 6);
        assert!(
            !fields[5].contains('='),
            "certificate must not be padded: {line}"
        );
        assert_eq!(STANDARD_NO_PAD.decode(fields[5]).unwrap(), der);
        assert!(!line.contains('\n'));
    }

    #[test]
    fn handshake_line_without_tls_has_an_empty_certificate_field() {
        let line = HandshakeLine {
            addr: "127.0.0.1:5".parse().unwrap(),
            server_cert_der: None,
        };
        assert_eq!(line.to_string(), "1|5|tcp|127.0.0.1:5|grpc|");
    }
}
