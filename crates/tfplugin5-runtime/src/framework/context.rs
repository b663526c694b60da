//! The context every operation receives: the provider's configured data (when the operation may need it), the
//! cancellation token that `Stop` cancels, and the deadline from the resource's `timeouts` block.

use std::fmt;
use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// Context of one operation. `T` is what the operation gets of the provider's data: `&D` for create, read,
/// update, delete, import and data source reads (the framework ensures the provider is configured first),
/// `Option<&D>` for plan-time hooks (the provider may not be configured yet) and `()` where it is not needed.
#[derive(Clone, Debug)]
pub struct Ctx<T> {
    pub data: T,
    cancel: CancellationToken,
    deadline: Option<Deadline>,
}

/// When an operation must be over, and where that limit came from (for the error message).
#[derive(Clone, Debug)]
struct Deadline {
    at: Instant,
    after: Duration,
    /// e.g. `timeouts.create`.
    source: &'static str,
}

/// Why [`Ctx::run`] gave up on a future.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Interrupted {
    /// Terraform asked the provider to stop (Ctrl-C).
    Cancelled,
    /// The operation's timeout elapsed.
    TimedOut {
        after: Duration,
        source: &'static str,
    },
}

impl fmt::Display for Interrupted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Cancelled => {
                f.write_str("the operation was cancelled because Terraform is stopping")
            }
            Self::TimedOut { after, source } => write!(
                f,
                "the operation did not finish within {} (set by {source}); it may still complete on the remote \
                 side, so refresh before retrying",
                humantime::format_duration(*after)
            ),
        }
    }
}

impl std::error::Error for Interrupted {}

impl<T> Ctx<T> {
    /// A context with no deadline.
    pub fn new(data: T, cancel: CancellationToken) -> Self {
        Self {
            data,
            cancel,
            deadline: None,
        }
    }

    /// The same context with a deadline `after` from now; `source` names the setting (e.g. `timeouts.create`).
    /// A duration too large to represent as an instant means no deadline.
    pub fn with_timeout(mut self, after: Duration, source: &'static str) -> Self {
        self.deadline = Instant::now()
            .checked_add(after)
            .map(|at| Deadline { at, after, source });
        self
    }

    /// The same limits with other data.
    pub fn with_data<U>(&self, data: U) -> Ctx<U> {
        Ctx {
            data,
            cancel: self.cancel.clone(),
            deadline: self.deadline.clone(),
        }
    }

    /// Cancelled when Terraform calls `Stop`; hand it to clients that support cancellation.
    pub fn cancellation(&self) -> &CancellationToken {
        &self.cancel
    }

    /// Whether Terraform has called `Stop`.
    pub fn is_cancelled(&self) -> bool {
        self.cancel.is_cancelled()
    }

    /// When the operation must be over, if it has a timeout.
    pub fn deadline(&self) -> Option<Instant> {
        self.deadline.as_ref().map(|d| d.at)
    }

    /// Time left before the deadline (zero once passed), if there is one.
    pub fn remaining(&self) -> Option<Duration> {
        self.deadline()
            .map(|at| at.saturating_duration_since(Instant::now()))
    }

    /// Runs `future` until it completes, `Stop` is called, or the deadline passes, whichever comes first.
    pub async fn run<F: Future>(&self, future: F) -> Result<F::Output, Interrupted> {
        let sleep = async {
            match &self.deadline {
                Some(deadline) => tokio::time::sleep_until(deadline.at).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            output = future => Ok(output),
            () = self.cancel.cancelled() => Err(Interrupted::Cancelled),
            () = sleep => {
                let (after, source) = self.deadline.as_ref().map_or((Duration::ZERO, ""), |d| (d.after, d.source));
                Err(Interrupted::TimedOut { after, source })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn run_completes_times_out_or_is_cancelled() {
        let token = CancellationToken::new();
        let ctx = Ctx::new((), token.clone());
        assert_eq!(ctx.run(async { 7 }).await, Ok(7));
        assert_eq!(ctx.remaining(), None);

        let timed = ctx
            .clone()
            .with_timeout(Duration::from_millis(20), "timeouts.create");
        let outcome = timed.run(std::future::pending::<()>()).await;
        assert!(matches!(
            outcome,
            Err(Interrupted::TimedOut {
                source: "timeouts.create",
                ..
            })
        ));
        assert!(outcome.unwrap_err().to_string().contains("20ms"));

        let waiting = ctx.run(std::future::pending::<()>());
        token.cancel();
        assert_eq!(waiting.await, Err(Interrupted::Cancelled));
        assert!(ctx.with_data(1).is_cancelled());
        assert_eq!(
            ctx.clone()
                .with_timeout(Duration::MAX, "timeouts.read")
                .remaining(),
            None
        );
    }
}
