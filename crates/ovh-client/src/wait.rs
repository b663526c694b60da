//! Waiting for asynchronous API tasks (IP moves and parks, IPLB refreshes): polls with a growing interval until the
//! task ends, fails at once on a failure status or an unknown one, and stops at the deadline or on cancellation.

use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::error::{Delivery, Error, TaskKind};
use crate::models::Progress;

/// How task waits poll: the first interval, its growth factor and its ceiling.
#[derive(Clone, Debug, PartialEq)]
pub struct PollPolicy {
    pub initial: Duration,
    pub factor: f64,
    pub max: Duration,
}

impl Default for PollPolicy {
    fn default() -> Self {
        Self {
            initial: Duration::from_millis(200),
            factor: 1.5,
            max: Duration::from_secs(5),
        }
    }
}

impl PollPolicy {
    fn next(&self, current: Duration) -> Duration {
        current.mul_f64(self.factor.max(1.0)).min(self.max)
    }
}

/// What the generic loop needs to know of a task snapshot.
pub(crate) struct Snapshot<T> {
    pub(crate) task: T,
    pub(crate) progress: Progress,
    pub(crate) status: String,
    /// What the task is about (function or action), for messages.
    pub(crate) subject: String,
    /// Everything useful to explain a failure.
    pub(crate) details: String,
}

/// Identifies the waited-for task in messages.
pub(crate) struct TaskRef<'a> {
    pub(crate) kind: TaskKind,
    pub(crate) id: i64,
    pub(crate) owner: &'a str,
}

/// Polls `fetch` until the task is done (returning its last snapshot), failed (`TaskFailed`), of an unknown status
/// (`UnknownTaskStatus`), past `deadline` (`Timeout`) or cancelled (`Cancelled`).
pub(crate) async fn wait_for<T, F, Fut>(
    task: TaskRef<'_>,
    policy: &PollPolicy,
    deadline: Instant,
    cancel: &CancellationToken,
    mut fetch: F,
) -> Result<T, Error>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Snapshot<T>, Error>>,
{
    let what = format!("{} {} of {}", task.kind, task.id, task.owner);
    let started = Instant::now();
    let mut interval = policy.initial;
    loop {
        let snapshot = tokio::select! {
            s = fetch() => s?,
            _ = cancel.cancelled() => return Err(Error::Cancelled {
                what: format!("waiting for {what}"),
                delivery: Delivery::MaybeSent,
            }),
        };
        match snapshot.progress {
            Progress::Done => return Ok(snapshot.task),
            Progress::Failed => {
                return Err(Error::TaskFailed {
                    kind: task.kind,
                    id: task.id,
                    subject: snapshot.subject,
                    status: snapshot.status,
                    details: snapshot.details,
                });
            }
            Progress::Unknown => {
                return Err(Error::UnknownTaskStatus {
                    kind: task.kind,
                    id: task.id,
                    owner: task.owner.to_owned(),
                    status: snapshot.status,
                });
            }
            Progress::Pending => {}
        }
        let now = Instant::now();
        if now >= deadline {
            return Err(Error::Timeout {
                what,
                waited: now - started,
                last_status: snapshot.status,
            });
        }
        tracing::debug!(task = %what, status = %snapshot.status, ?interval, "task pending");
        tokio::select! {
            _ = tokio::time::sleep_until(deadline.min(now + interval)) => {}
            // Between polls: the last one was answered.
            _ = cancel.cancelled() => return Err(Error::Cancelled {
                what: format!("waiting for {what}"),
                delivery: Delivery::Answered,
            }),
        }
        interval = policy.next(interval);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    fn fast() -> PollPolicy {
        PollPolicy {
            initial: Duration::from_millis(1),
            factor: 2.0,
            max: Duration::from_millis(4),
        }
    }

    fn snap(progress: Progress, status: &str) -> Snapshot<&'static str> {
        Snapshot {
            task: "t",
            progress,
            status: status.into(),
            subject: "s".into(),
            details: "why".into(),
        }
    }

    /// Waits, polling fast until `deadline`, on a task that always reports `progress` and `status`; the error
    /// the wait ends with.
    async fn wait_until_error(
        deadline: Instant,
        progress: Progress,
        status: &'static str,
    ) -> Error {
        wait_for(
            task(),
            &fast(),
            deadline,
            &CancellationToken::new(),
            || async move { Ok(snap(progress, status)) },
        )
        .await
        .unwrap_err()
    }

    fn task() -> TaskRef<'static> {
        TaskRef {
            kind: TaskKind::Ip,
            id: 9,
            owner: "1.2.3.4/32",
        }
    }

    #[tokio::test]
    async fn pending_then_done() {
        let calls = AtomicUsize::new(0);
        let deadline = Instant::now() + Duration::from_secs(5);
        let out = wait_for(task(), &fast(), deadline, &CancellationToken::new(), || {
            let n = calls.fetch_add(1, Ordering::SeqCst);
            async move {
                Ok(snap(
                    if n < 3 {
                        Progress::Pending
                    } else {
                        Progress::Done
                    },
                    "x",
                ))
            }
        })
        .await
        .unwrap();
        assert_eq!(out, "t");
        assert_eq!(calls.load(Ordering::SeqCst), 4);
    }

    #[tokio::test]
    async fn failure_and_unknown_status_end_at_once() {
        let deadline = Instant::now() + Duration::from_secs(5);
        let err = wait_until_error(deadline, Progress::Failed, "ovhError").await;
        assert_eq!(
            err.to_string(),
            "IP task 9 (s) failed with status ovhError: why"
        );
        let err = wait_until_error(deadline, Progress::Unknown, "weird").await;
        assert!(
            err.to_string().contains("unknown task status \"weird\""),
            "{err}"
        );
    }

    #[tokio::test]
    async fn deadline_gives_timeout_with_last_status() {
        let deadline = Instant::now() + Duration::from_millis(30);
        let err = wait_until_error(deadline, Progress::Pending, "doing").await;
        assert!(
            matches!(&err, Error::Timeout { last_status, .. } if last_status == "doing"),
            "{err}"
        );
        assert!(err.to_string().contains("IP task 9 of 1.2.3.4/32"), "{err}");
    }

    #[tokio::test]
    async fn cancellation_stops_a_wait() {
        let cancel = CancellationToken::new();
        let slow = PollPolicy {
            initial: Duration::from_secs(60),
            factor: 1.0,
            max: Duration::from_secs(60),
        };
        let deadline = Instant::now() + Duration::from_secs(600);
        let trigger = cancel.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(20)).await;
            trigger.cancel();
        });
        let started = std::time::Instant::now();
        let err = wait_for(task(), &slow, deadline, &cancel, || async {
            Ok(snap(Progress::Pending, "todo"))
        })
        .await
        .unwrap_err();
        assert!(matches!(err, Error::Cancelled { .. }), "{err}");
        assert!(started.elapsed() < Duration::from_secs(5));
    }
}
