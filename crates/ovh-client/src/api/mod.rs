//! The typed calls of the OVH API the provider needs, as methods of [`crate::Client`].

mod auth;
mod frontend;
mod ip;
mod iplb;
