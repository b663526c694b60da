//! Typed request and response bodies of the OVH API calls the provider makes, with the schema's camelCase field
//! names; a field the schema marks `canBeNull` is an `Option`.

mod auth;
mod frontend;
mod ip;
mod iplb;

pub use auth::{AccessRule, AuthDetails};
pub use frontend::{Frontend, FrontendFilter, Protocol};
pub use ip::{Ip, IpTask, IpTaskStatus, RoutedTo};
pub use iplb::{Farm, IplbTask, IplbTaskStatus, LoadBalancer, PendingChanges, Route, RouteAction};

/// Where a task status stands, for the generic waiting loop.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Progress {
    Pending,
    Done,
    Failed,
    Unknown,
}

/// Defines a string enum of the API that keeps values it does not know (`Other`) instead of failing to decode, so
/// that the caller decides what an unexpected value means.
macro_rules! api_string_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
        #[serde(from = "String", into = "String")]
        pub enum $name {
            $($variant,)+
            /// A value this client does not know.
            Other(String),
        }

        impl $name {
            /// The API's spelling of the value.
            pub fn as_str(&self) -> &str {
                match self {
                    $(Self::$variant => $text,)+
                    Self::Other(s) => s,
                }
            }
        }

        impl From<String> for $name {
            fn from(s: String) -> Self {
                match s.as_str() {
                    $($text => Self::$variant,)+
                    _ => Self::Other(s),
                }
            }
        }

        impl From<$name> for String {
            fn from(v: $name) -> String {
                v.as_str().to_owned()
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
pub(crate) use api_string_enum;
