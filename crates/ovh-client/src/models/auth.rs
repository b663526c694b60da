//! `GET /auth/details`: who the credentials belong to; used to check credentials at configure time.

use serde::{Deserialize, Serialize};

/// `auth.Details`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthDetails {
    /// The account (NIC handle).
    pub account: String,
    /// `account`, `provider`, `user` or `oauth2`-style method name.
    pub method: String,
    #[serde(default)]
    pub identities: Vec<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub user: Option<String>,
    #[serde(default)]
    pub roles: Option<Vec<String>>,
    #[serde(default)]
    pub allowed_routes: Option<Vec<AccessRule>>,
}

/// `auth.AccessRule`: one method and path pattern the consumer key may call.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessRule {
    pub method: String,
    pub path: String,
}
