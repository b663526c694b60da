//! `/ipLoadbalancing` models other than frontends: the service, farms, routes, pending changes and tasks.

use serde::{Deserialize, Serialize};

use super::{Progress, api_string_enum};

/// `ipLoadbalancing.IpWithIAM` (the fields the provider uses; `metricsToken` is deliberately not kept).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LoadBalancer {
    pub service_name: String,
    #[serde(default)]
    pub ip_loadbalancing: Option<String>,
    #[serde(default)]
    pub ipv4: Option<String>,
    #[serde(default)]
    pub ipv6: Option<String>,
    #[serde(default)]
    pub zone: Vec<String>,
    #[serde(default)]
    pub offer: Option<String>,
    /// `ipLoadbalancing.IpStateEnum`, e.g. `ok`.
    #[serde(default)]
    pub state: Option<String>,
    #[serde(default)]
    pub vrack_eligibility: Option<bool>,
    #[serde(default)]
    pub vrack_name: Option<String>,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub ssl_configuration: Option<String>,
}

/// `ipLoadbalancing.PendingChanges`: how many undeployed changes a zone has.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingChanges {
    pub number: i64,
    pub zone: String,
}

/// A farm of any protocol (`backendHttp`/`backendTcp`/`backendUdp`); UDP farms have no balance or stickiness.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Farm {
    pub farm_id: i64,
    pub zone: String,
    #[serde(default)]
    pub port: Option<i64>,
    #[serde(default)]
    pub vrack_network_id: Option<i64>,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub balance: Option<String>,
    #[serde(default)]
    pub stickiness: Option<String>,
}

/// `ipLoadbalancing.RouteHttpAction` / `RouteTcpAction`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RouteAction {
    #[serde(rename = "type")]
    pub action_type: String,
    #[serde(default)]
    pub target: Option<String>,
    #[serde(default)]
    pub status: Option<i64>,
}

/// `ipLoadbalancing.RouteHttp.RouteHttp` / `RouteTcp.RouteTcp` (rules are not needed by the provider).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Route {
    pub route_id: i64,
    #[serde(default)]
    pub frontend_id: Option<i64>,
    pub action: RouteAction,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub weight: Option<i64>,
    #[serde(default)]
    pub status: Option<String>,
}

api_string_enum!(
    /// `ipLoadbalancing.TaskStatusEnum`.
    IplbTaskStatus {
        Todo => "todo",
        Doing => "doing",
        Done => "done",
        Error => "error",
        Cancelled => "cancelled",
        Blocked => "blocked",
    }
);

impl IplbTaskStatus {
    pub(crate) fn progress(&self) -> Progress {
        match self {
            Self::Todo | Self::Doing => Progress::Pending,
            Self::Done => Progress::Done,
            Self::Error | Self::Cancelled | Self::Blocked => Progress::Failed,
            Self::Other(_) => Progress::Unknown,
        }
    }
}

/// `ipLoadbalancing.Task.Task`, e.g. the `refreshIplb` task a refresh creates.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IplbTask {
    pub id: i64,
    /// `ipLoadbalancing.TaskActionEnum`, e.g. `refreshIplb`.
    pub action: String,
    pub status: IplbTaskStatus,
    #[serde(default)]
    pub progress: Option<i64>,
    #[serde(default)]
    pub creation_date: Option<String>,
    #[serde(default)]
    pub done_date: Option<String>,
    #[serde(default)]
    pub zones: Vec<String>,
    /// Fields outside the schema (an error message, say), kept so a failed task can be reported in full.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}
