//! `/ipLoadbalancing/{sn}` calls other than frontends: the service, its failover IPs and zones, farms, routes,
//! vRack networks, pending changes, refresh and tasks.

use reqwest::Method;
use serde::Serialize;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::client::Client;
use crate::error::{Error, TaskKind};
use crate::models::{Farm, IplbTask, LoadBalancer, PendingChanges, Protocol, Route};
use crate::path::{encode, filters};
use crate::wait::{Snapshot, TaskRef, wait_for};

/// `/ipLoadbalancing/{sn}` with the service name encoded, plus `suffix`.
pub(crate) fn iplb_path(service_name: &str, suffix: &str) -> String {
    format!("/ipLoadbalancing/{}{suffix}", encode(service_name))
}

#[derive(Serialize)]
struct RefreshBody<'a> {
    zone: &'a str,
}

impl Client {
    /// `GET /ipLoadbalancing/{sn}`.
    pub async fn get_load_balancer(&self, service_name: &str) -> Result<LoadBalancer, Error> {
        self.get(&iplb_path(service_name, ""), &[]).await
    }

    /// `GET /ipLoadbalancing/{sn}/failover`: the failover IP blocks routed to the LB.
    pub async fn list_failover_ips(&self, service_name: &str) -> Result<Vec<String>, Error> {
        self.get(&iplb_path(service_name, "/failover"), &[]).await
    }

    /// `GET /ipLoadbalancing/{sn}/zone`: the LB's zone names.
    pub async fn list_zones(&self, service_name: &str) -> Result<Vec<String>, Error> {
        self.get(&iplb_path(service_name, "/zone"), &[]).await
    }

    /// `GET /ipLoadbalancing/{sn}/{proto}/farm`, optionally filtered by zone.
    pub async fn list_farms(
        &self,
        service_name: &str,
        protocol: Protocol,
        zone: Option<&str>,
    ) -> Result<Vec<i64>, Error> {
        let query = filters(&[("zone", zone.map(str::to_owned))]);
        self.get(
            &iplb_path(service_name, &format!("/{protocol}/farm")),
            &query,
        )
        .await
    }

    /// `GET /ipLoadbalancing/{sn}/{proto}/farm/{farmId}`.
    pub async fn get_farm(
        &self,
        service_name: &str,
        protocol: Protocol,
        farm_id: i64,
    ) -> Result<Farm, Error> {
        self.get(
            &iplb_path(service_name, &format!("/{protocol}/farm/{farm_id}")),
            &[],
        )
        .await
    }

    /// `GET /ipLoadbalancing/{sn}/{proto}/route?frontendId=`: route ids (HTTP and TCP only; UDP has no routes and
    /// gives an empty list without calling the API).
    pub async fn list_routes(
        &self,
        service_name: &str,
        protocol: Protocol,
        frontend_id: Option<i64>,
    ) -> Result<Vec<i64>, Error> {
        if !protocol.has_routes() {
            return Ok(Vec::new());
        }
        let query = filters(&[("frontendId", frontend_id.map(|id| id.to_string()))]);
        self.get(
            &iplb_path(service_name, &format!("/{protocol}/route")),
            &query,
        )
        .await
    }

    /// `GET /ipLoadbalancing/{sn}/{proto}/route/{routeId}` (HTTP and TCP).
    pub async fn get_route(
        &self,
        service_name: &str,
        protocol: Protocol,
        route_id: i64,
    ) -> Result<Route, Error> {
        self.get(
            &iplb_path(service_name, &format!("/{protocol}/route/{route_id}")),
            &[],
        )
        .await
    }

    /// `GET /ipLoadbalancing/{sn}/vrack/network`: the LB's vRack network ids.
    pub async fn list_vrack_networks(&self, service_name: &str) -> Result<Vec<i64>, Error> {
        self.get(&iplb_path(service_name, "/vrack/network"), &[])
            .await
    }

    /// `GET /ipLoadbalancing/{sn}/pendingChanges`: undeployed changes per zone (zones without any are absent).
    pub async fn pending_changes(&self, service_name: &str) -> Result<Vec<PendingChanges>, Error> {
        self.get(&iplb_path(service_name, "/pendingChanges"), &[])
            .await
    }

    /// `POST /ipLoadbalancing/{sn}/refresh`: deploys the configuration, of one zone or (no body) of all.
    pub async fn refresh(&self, service_name: &str, zone: Option<&str>) -> Result<IplbTask, Error> {
        let path = iplb_path(service_name, "/refresh");
        let request = match zone {
            Some(zone) => self.json_request(Method::POST, &path, &RefreshBody { zone })?,
            None => self.request(Method::POST, &path, &[], None)?,
        };
        self.call(request).await
    }

    /// `GET /ipLoadbalancing/{sn}/task?action=&status=`: task ids, optionally filtered.
    pub async fn list_iplb_tasks(
        &self,
        service_name: &str,
        action: Option<&str>,
        status: Option<&str>,
    ) -> Result<Vec<i64>, Error> {
        let query = filters(&[
            ("action", action.map(str::to_owned)),
            ("status", status.map(str::to_owned)),
        ]);
        self.get(&iplb_path(service_name, "/task"), &query).await
    }

    /// `GET /ipLoadbalancing/{sn}/task/{id}`.
    pub async fn get_iplb_task(&self, service_name: &str, task_id: i64) -> Result<IplbTask, Error> {
        self.get(&iplb_path(service_name, &format!("/task/{task_id}")), &[])
            .await
    }

    /// Polls an IPLB task until it is `done`. `error`, `cancelled` and `blocked` end the wait at once with
    /// [`Error::TaskFailed`]; an unknown status is an error; `deadline` gives [`Error::Timeout`]; `cancel` (or
    /// dropping the future) stops it at once.
    pub async fn wait_iplb_task(
        &self,
        service_name: &str,
        task_id: i64,
        deadline: Instant,
        cancel: &CancellationToken,
    ) -> Result<IplbTask, Error> {
        self.wait_iplb_task_observed(service_name, task_id, deadline, cancel, &|_| {})
            .await
    }

    /// [`Client::wait_iplb_task`], showing `observe` every state of the task it reads (its status and progress,
    /// for someone watching the deploy).
    pub async fn wait_iplb_task_observed(
        &self,
        service_name: &str,
        task_id: i64,
        deadline: Instant,
        cancel: &CancellationToken,
        observe: &(dyn Fn(&IplbTask) + Send + Sync),
    ) -> Result<IplbTask, Error> {
        let task = TaskRef {
            kind: TaskKind::IpLoadbalancing,
            id: task_id,
            owner: service_name,
        };
        wait_for(task, &self.options().poll, deadline, cancel, || async {
            let task = self.get_iplb_task(service_name, task_id).await?;
            observe(&task);
            Ok(Snapshot::from(task))
        })
        .await
    }
}

impl From<IplbTask> for Snapshot<IplbTask> {
    fn from(task: IplbTask) -> Self {
        Snapshot {
            progress: task.status.progress(),
            status: task.status.to_string(),
            subject: task.action.clone(),
            details: iplb_task_details(&task),
            task,
        }
    }
}

/// The facts of an IPLB task worth showing when it failed: zones, progress and any field outside the schema.
fn iplb_task_details(task: &IplbTask) -> String {
    let mut parts = Vec::new();
    if !task.zones.is_empty() {
        parts.push(format!("zones {}", task.zones.join(", ")));
    }
    if let Some(p) = task.progress {
        parts.push(format!("progress {p}%"));
    }
    for (key, value) in &task.extra {
        let text = value
            .as_str()
            .map_or_else(|| value.to_string(), str::to_owned);
        parts.push(format!("{key}: {text}"));
    }
    if parts.is_empty() {
        "no details given".to_owned()
    } else {
        parts.join("; ")
    }
}
