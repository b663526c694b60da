//! `/ip/{ip}` calls: read an IP, move it to a service, park it, and follow its tasks.

use reqwest::Method;
use serde::Serialize;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::client::Client;
use crate::error::{Error, TaskKind};
use crate::models::{Ip, IpTask};
use crate::path::{encode, filters};
use crate::wait::{Snapshot, TaskRef, wait_for};

#[derive(Serialize)]
struct MoveBody<'a> {
    to: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    nexthop: Option<&'a str>,
}

fn ip_path(ip: &str) -> String {
    format!("/ip/{}", encode(ip))
}

impl Client {
    /// `GET /ip/{ip}`; `ip` may be a bare address or a block (`1.2.3.4/32`).
    pub async fn get_ip(&self, ip: &str) -> Result<Ip, Error> {
        self.get(&ip_path(ip), &[]).await
    }

    /// `POST /ip/{ip}/move` with `{"to": service_name}`: starts routing the IP to the service.
    pub async fn move_ip(
        &self,
        ip: &str,
        service_name: &str,
        nexthop: Option<&str>,
    ) -> Result<IpTask, Error> {
        let body = MoveBody {
            to: service_name,
            nexthop,
        };
        self.call(self.json_request(Method::POST, &format!("{}/move", ip_path(ip)), &body)?)
            .await
    }

    /// `POST /ip/{ip}/park` (no body): routes the IP to nothing.
    pub async fn park_ip(&self, ip: &str) -> Result<IpTask, Error> {
        self.call(self.request(Method::POST, &format!("{}/park", ip_path(ip)), &[], None)?)
            .await
    }

    /// `GET /ip/{ip}/task?function=&status=`: ids of the IP's tasks, optionally filtered.
    pub async fn list_ip_tasks(
        &self,
        ip: &str,
        function: Option<&str>,
        status: Option<&str>,
    ) -> Result<Vec<i64>, Error> {
        let query = filters(&[
            ("function", function.map(str::to_owned)),
            ("status", status.map(str::to_owned)),
        ]);
        self.get(&format!("{}/task", ip_path(ip)), &query).await
    }

    /// `GET /ip/{ip}/task/{id}`.
    pub async fn get_ip_task(&self, ip: &str, task_id: i64) -> Result<IpTask, Error> {
        self.get(&format!("{}/task/{task_id}", ip_path(ip)), &[])
            .await
    }

    /// Polls an IP task until it is `done`. `cancelled`, `customerError` and `ovhError` end the wait at once with
    /// [`Error::TaskFailed`] carrying the task's comment; an unknown status is an error; `deadline` gives
    /// [`Error::Timeout`]; `cancel` (or dropping the future) stops it at once.
    pub async fn wait_ip_task(
        &self,
        ip: &str,
        task_id: i64,
        deadline: Instant,
        cancel: &CancellationToken,
    ) -> Result<IpTask, Error> {
        let task = TaskRef {
            kind: TaskKind::Ip,
            id: task_id,
            owner: ip,
        };
        wait_for(task, &self.options().poll, deadline, cancel, || async {
            self.get_ip_task(ip, task_id).await.map(Snapshot::from)
        })
        .await
    }
}

impl From<IpTask> for Snapshot<IpTask> {
    fn from(task: IpTask) -> Self {
        Snapshot {
            progress: task.status.progress(),
            status: task.status.to_string(),
            subject: task.function.clone(),
            details: task
                .comment
                .clone()
                .unwrap_or_else(|| "no comment given".to_owned()),
            task,
        }
    }
}
