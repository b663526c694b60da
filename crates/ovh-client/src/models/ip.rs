//! `/ip` models: a failover IP and its move/park tasks.

use serde::{Deserialize, Serialize};

use super::{Progress, api_string_enum};

/// `ip.RoutedTo`: the service an IP is routed to (none when parked).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RoutedTo {
    #[serde(default)]
    pub service_name: Option<String>,
}

/// `ip.Ip` (the fields the provider uses; others are ignored).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Ip {
    /// The block in CIDR form, e.g. `203.0.113.7/32`.
    pub ip: String,
    /// `ip.IpTypeEnum`, e.g. `failover`.
    #[serde(rename = "type")]
    pub ip_type: String,
    #[serde(default)]
    pub routed_to: Option<RoutedTo>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub country: Option<String>,
    #[serde(default)]
    pub organisation_id: Option<String>,
    #[serde(default)]
    pub can_be_terminated: Option<bool>,
    #[serde(default)]
    pub is_additional_ip: Option<bool>,
    #[serde(default)]
    pub campus: Option<String>,
}

impl Ip {
    /// The service the IP is routed to, if any.
    pub fn routed_to_service(&self) -> Option<&str> {
        self.routed_to
            .as_ref()
            .and_then(|r| r.service_name.as_deref())
            .filter(|s| !s.is_empty())
    }
}

api_string_enum!(
    /// `ip.TaskStatusEnum`.
    IpTaskStatus {
        Init => "init",
        Todo => "todo",
        Doing => "doing",
        Done => "done",
        Cancelled => "cancelled",
        CustomerError => "customerError",
        OvhError => "ovhError",
    }
);

impl IpTaskStatus {
    pub(crate) fn progress(&self) -> Progress {
        match self {
            Self::Init | Self::Todo | Self::Doing => Progress::Pending,
            Self::Done => Progress::Done,
            Self::Cancelled | Self::CustomerError | Self::OvhError => Progress::Failed,
            Self::Other(_) => Progress::Unknown,
        }
    }
}

/// `ip.IpTask`: returned by move and park, and polled until it ends.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IpTask {
    pub task_id: i64,
    /// `ip.TaskFunctionEnum`, e.g. `genericMoveFloatingIp`.
    pub function: String,
    pub status: IpTaskStatus,
    #[serde(default)]
    pub start_date: Option<String>,
    #[serde(default)]
    pub done_date: Option<String>,
    #[serde(default)]
    pub last_update: Option<String>,
    #[serde(default)]
    pub comment: Option<String>,
    #[serde(default)]
    pub destination: Option<RoutedTo>,
}
