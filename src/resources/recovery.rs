//! The one answer to "did OVH act on this request?", shared by every resource that POSTs: frontend creation
//! (`frontend/adoption.rs`), IP moves and parks (`failover_ip_attachment.rs`) and deploys (`refresh.rs`); and the
//! one way they wait for the tasks those POSTs start.
//!
//! OVH's POSTs carry no client token, and the client never repeats one that may have reached OVH (see
//! `ovh_client::Delivery`). So when a POST fails, [`outcome`] reads its error by a single rule:
//!
//! | the error                                                             | [`Outcome`] | then                       |
//! |-----------------------------------------------------------------------|-------------|----------------------------|
//! | not sent (connection or TLS refused, body not encodable)              | `Final`     | the error, at once         |
//! | answered 4xx, whatever its size (OVH refused), or 429 after retries   | `Final`     | the error, at once         |
//! | Stop or the operation's deadline                                      | `Final`     | the error: no time to look |
//! | maybe sent, no answer (connection dropped or timed out after sending) | `Unknown`   | look; adopt or re-send     |
//! | answered 5xx (a gateway's 502/504 says nothing of what OVH did)       | `Unknown`   | look; adopt or re-send     |
//! | answered 2xx with a body that cannot be read (bad shape, too large)   | `Unread`    | look; adopt, never re-send |
//! | 409 where it means "a task of this object is running" ([`Conflict`])  | `Busy`      | look; follow or re-send    |
//!
//! [`post`] runs it: send; unless the outcome is final, the caller's lookup finds out what OVH did (the frontends
//! outside the ledger, the IP's tasks and routing, the LB's running refreshes) and its result is adopted; when it
//! established that nothing was done, the POST is sent again, [`MAX_POSTS`] in all.
//!
//! [`wait_task`] is the one task-wait policy: the operation's `timeouts` (the [`Ctx`] deadline) and Stop bound
//! every wait, and a failed task is an error at once, naming the task (`ovh_client::Error::TaskFailed`).

use std::future::Future;
use std::time::Duration;

use ovh_client::{CancellationToken, Delivery, Error};
use tokio::time::Instant;

use crate::resources::common::CallError;
use tfplugin5_runtime::framework::{Ctx, Interrupted};

/// POSTs per operation: the first, plus re-sends after a lookup established that the last one did nothing.
pub const MAX_POSTS: u32 = 4;

/// Pause before a re-send, times the number of POSTs sent so far: a server that failed may need a moment.
pub const RESEND_PAUSE: Duration = Duration::from_millis(300);

/// A task wait's own deadline falls this long after the operation's, so that the operation's deadline, whose
/// message names the `timeouts` setting, is the one that ends the wait; the client's is a safety net.
const DEADLINE_GRACE: Duration = Duration::from_secs(1);

/// The client's task-wait deadline when the operation has none: Stop alone ends the wait.
const NO_DEADLINE: Duration = Duration::from_secs(365 * 24 * 3600);

/// What a 409 answer to the caller's POST means.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Conflict {
    /// A refusal like any other 4xx (a frontend port already in use).
    Refusal,
    /// Another operation of the same object is running (an IP move or park, a refresh): the lookup finds it and
    /// it is followed, or, once it has ended, the POST is sent again.
    Busy,
}

/// What a failed POST's error says about OVH's side (the table in the module docs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The error says what happened, or there is no time left to find out: it is returned as is.
    Final,
    /// OVH may or may not have acted: look, then adopt or send again.
    Unknown,
    /// OVH acted (it answered 2xx) but its answer cannot be read: look and adopt; sending again could do it twice.
    Unread,
    /// OVH refused because another operation of the object is running: look, then follow it or send again.
    Busy,
}

/// The single rule: what `error`, the failure of a POST, says about OVH's side.
pub fn outcome(error: &CallError, conflict: Conflict) -> Outcome {
    let error = match error {
        CallError::Interrupted(_) => return Outcome::Final,
        CallError::Api(error) => error,
    };
    match error.delivery() {
        Delivery::NotSent => Outcome::Final,
        // Stop during the POST: no time to look (the caller's message says the request may have reached OVH).
        Delivery::MaybeSent if matches!(error, Error::Cancelled { .. }) => Outcome::Final,
        Delivery::MaybeSent => Outcome::Unknown,
        Delivery::Answered => {
            let status = match error {
                Error::Api(api) => api.status,
                Error::TooLarge { status, .. } => *status,
                // A 2xx whose body has the wrong shape.
                Error::Decode { .. } => return Outcome::Unread,
                // Not an answer to the POST (task waits): nothing to look for.
                _ => return Outcome::Final,
            };
            match status {
                200..=299 => Outcome::Unread,
                409 if conflict == Conflict::Busy => Outcome::Busy,
                500..=599 => Outcome::Unknown,
                _ => Outcome::Final,
            }
        }
    }
}

/// What the caller's lookup found out after a POST whose answer was lost.
#[derive(Debug, PartialEq, Eq)]
pub enum Found<T> {
    /// OVH did act (or is acting): this is its result, adopted as the POST's.
    Adopt(T),
    /// OVH did nothing: sending the POST again cannot do it twice.
    Nothing,
}

/// Why [`post`] ended without a result.
#[derive(Debug)]
pub enum PostFailure<E> {
    /// The POST's error, as is: the outcome was final, or every lookup found nothing done and the [`MAX_POSTS`]
    /// were spent (the last POST's error), or the operation was interrupted.
    Post(CallError),
    /// OVH answered 2xx but its answer could not be read, and the lookup found nothing to adopt: it did act, so
    /// nothing is sent again.
    Unaccounted(CallError),
    /// Finding out what OVH did after the POST failed.
    Lookup { post: CallError, lookup: E },
}

/// Sends a POST (`send`) and, when its answer is lost (see [`outcome`]), finds out with `look` what OVH did and
/// adopts that, or sends it again once `look` has established that nothing was done, [`MAX_POSTS`] in all. Stop
/// and the operation's deadline end it between steps as well as within them. `what` names the request in logs.
pub async fn post<D, T, E, S, SFut, L, LFut>(
    ctx: &Ctx<D>,
    what: &str,
    conflict: Conflict,
    mut send: S,
    mut look: L,
) -> Result<T, PostFailure<E>>
where
    S: FnMut() -> SFut,
    SFut: Future<Output = Result<T, CallError>>,
    L: FnMut() -> LFut,
    LFut: Future<Output = Result<Found<T>, E>>,
{
    let mut sent = 0;
    loop {
        sent += 1;
        let error = match send().await {
            Ok(done) => return Ok(done),
            Err(error) => error,
        };
        let outcome = outcome(&error, conflict);
        if outcome == Outcome::Final || ctx.is_cancelled() {
            return Err(PostFailure::Post(error));
        }
        tracing::info!(what, %error, ?outcome, "finding out what OVH did with the request");
        match look().await {
            Err(lookup) => {
                return Err(PostFailure::Lookup {
                    post: error,
                    lookup,
                });
            }
            Ok(Found::Adopt(done)) => {
                tracing::info!(what, "adopting what OVH did");
                return Ok(done);
            }
            Ok(Found::Nothing) if outcome == Outcome::Unread => {
                return Err(PostFailure::Unaccounted(error));
            }
            Ok(Found::Nothing) if sent >= MAX_POSTS => return Err(PostFailure::Post(error)),
            Ok(Found::Nothing) => {
                tracing::info!(
                    what,
                    sent,
                    "OVH did nothing with the request; sending it again"
                );
                ctx.run(tokio::time::sleep(RESEND_PAUSE.saturating_mul(sent)))
                    .await
                    .map_err(|why| PostFailure::Post(CallError::Interrupted(why)))?;
            }
        }
    }
}

/// Waits for a task with `wait` (a client task wait, given its deadline and the cancellation token), bounded by
/// the operation's `timeouts` and Stop: either ends it with [`CallError::Interrupted`], naming the setting or
/// Stop, and the task goes on at OVH. A failed task is an error at once ([`Error::TaskFailed`], naming it); so is
/// a status the client does not know.
pub async fn wait_task<D, T, F, Fut>(ctx: &Ctx<D>, wait: F) -> Result<T, CallError>
where
    F: FnOnce(Instant, CancellationToken) -> Fut,
    Fut: Future<Output = Result<T, Error>>,
{
    let deadline = match ctx.deadline() {
        Some(at) => at.checked_add(DEADLINE_GRACE).unwrap_or(at),
        None => Instant::now() + NO_DEADLINE,
    };
    match ctx.run(wait(deadline, ctx.cancellation().clone())).await {
        Err(why) => Err(CallError::Interrupted(why)),
        // Stop reached the client's own wait first: the same event, reported the same way.
        Ok(Err(Error::Cancelled { .. })) => Err(CallError::Interrupted(Interrupted::Cancelled)),
        Ok(waited) => waited.map_err(CallError::Api),
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use super::*;
    use crate::resources::common::testing::{api_error, create_ctx, transport_error};

    fn too_large(status: u16) -> CallError {
        CallError::Api(Error::TooLarge {
            route: "POST /1.0/ipLoadbalancing/lb/udp/frontend".into(),
            status,
            limit: ovh_client::MAX_RESPONSE_BODY,
        })
    }

    /// Every kind of POST failure, with the outcome the rule gives it whatever a 409 means.
    fn cases() -> Vec<(CallError, Outcome)> {
        use Outcome::{Final, Unknown, Unread};
        vec![
            (api_error(400), Final),
            (api_error(404), Final),
            (api_error(429), Final),
            (api_error(500), Unknown),
            (api_error(504), Unknown),
            (transport_error(Delivery::NotSent), Final),
            (transport_error(Delivery::MaybeSent), Unknown),
            (
                CallError::Api(Error::Decode {
                    route: "POST /1.0/ip/x/move".into(),
                    message: "EOF".into(),
                }),
                Unread,
            ),
            (
                CallError::Api(Error::Encode {
                    route: "POST /1.0/ip/x/move".into(),
                    message: "key must be a string".into(),
                }),
                Final,
            ),
            (too_large(400), Final),
            (too_large(200), Unread),
            (too_large(503), Unknown),
            (
                CallError::Api(Error::Cancelled {
                    what: "sending POST /1.0/ip/x/move".into(),
                    delivery: Delivery::MaybeSent,
                }),
                Final,
            ),
            (CallError::Interrupted(Interrupted::Cancelled), Final),
        ]
    }

    #[test]
    fn the_single_rule() {
        for conflict in [Conflict::Refusal, Conflict::Busy] {
            for (error, expected) in cases() {
                assert_eq!(
                    outcome(&error, conflict),
                    expected,
                    "{error} ({conflict:?})"
                );
            }
        }
        assert_eq!(outcome(&api_error(409), Conflict::Refusal), Outcome::Final);
        assert_eq!(outcome(&api_error(409), Conflict::Busy), Outcome::Busy);
        assert_eq!(outcome(&too_large(409), Conflict::Busy), Outcome::Busy);
    }

    /// Runs [`post`] with `sends` as the successive results of the POST and `looks` as those of the lookup;
    /// returns its result and how many POSTs and lookups were made.
    async fn run(
        ctx: &Ctx<()>,
        sends: Vec<Result<&'static str, CallError>>,
        looks: Vec<Result<Found<&'static str>, &'static str>>,
    ) -> (
        Result<&'static str, PostFailure<&'static str>>,
        usize,
        usize,
    ) {
        let sends = std::cell::RefCell::new(sends.into_iter());
        let looks = std::cell::RefCell::new(looks.into_iter());
        let (posted, looked) = (Cell::new(0), Cell::new(0));
        let result = post(
            ctx,
            "test",
            Conflict::Refusal,
            || {
                posted.set(posted.get() + 1);
                let next = sends.borrow_mut().next().expect("an unexpected POST");
                async move { next }
            },
            || {
                looked.set(looked.get() + 1);
                let next = looks.borrow_mut().next().expect("an unexpected lookup");
                async move { next }
            },
        )
        .await;
        (result, posted.get(), looked.get())
    }

    #[tokio::test]
    async fn a_lost_answer_adopts_what_ovh_did() {
        let (result, posts, looks) = run(
            &create_ctx(()),
            vec![Err(transport_error(Delivery::MaybeSent))],
            vec![Ok(Found::Adopt("created"))],
        )
        .await;
        assert_eq!((result.unwrap(), posts, looks), ("created", 1, 1));
    }

    #[tokio::test]
    async fn a_lost_answer_with_nothing_done_is_sent_again() {
        let (result, posts, looks) = run(
            &create_ctx(()),
            vec![Err(api_error(502)), Ok("created")],
            vec![Ok(Found::Nothing)],
        )
        .await;
        assert_eq!((result.unwrap(), posts, looks), ("created", 2, 1));
    }

    #[tokio::test]
    async fn the_budget_is_max_posts() {
        let posts = usize::try_from(MAX_POSTS).unwrap();
        // One more of each than the budget: the helper must stop on its own.
        let (mut failing, mut nothing) = (Vec::new(), Vec::new());
        for _ in 0..=posts {
            failing.push(Err(api_error(503)));
            nothing.push(Ok(Found::Nothing));
        }
        let (result, sent, looks) = run(&create_ctx(()), failing, nothing).await;
        assert!(
            matches!(&result, Err(PostFailure::Post(e)) if e.to_string().contains("503")),
            "{result:?}"
        );
        assert_eq!((sent, looks), (posts, posts));
    }

    #[tokio::test]
    async fn an_answered_error_is_returned_at_once() {
        for error in [
            api_error(400),
            api_error(409),
            too_large(400),
            transport_error(Delivery::NotSent),
        ] {
            let text = error.to_string();
            let (result, posts, looks) = run(&create_ctx(()), vec![Err(error)], vec![]).await;
            assert!(
                matches!(&result, Err(PostFailure::Post(e)) if e.to_string() == text),
                "{result:?}"
            );
            assert_eq!((posts, looks), (1, 0), "{text}");
        }
    }

    #[tokio::test]
    async fn an_unread_2xx_is_adopted_never_sent_again() {
        let (result, posts, looks) = run(
            &create_ctx(()),
            vec![Err(too_large(201))],
            vec![Ok(Found::Nothing)],
        )
        .await;
        assert!(
            matches!(result, Err(PostFailure::Unaccounted(_))),
            "{result:?}"
        );
        assert_eq!((posts, looks), (1, 1));
    }

    #[tokio::test]
    async fn a_failed_lookup_is_reported_with_the_post() {
        let (result, posts, looks) = run(
            &create_ctx(()),
            vec![Err(api_error(500))],
            vec![Err("list failed")],
        )
        .await;
        assert!(
            matches!(&result, Err(PostFailure::Lookup { post, lookup: "list failed" })
                if post.to_string().contains("500")),
            "{result:?}"
        );
        assert_eq!((posts, looks), (1, 1));
    }

    #[tokio::test]
    async fn stop_is_honoured() {
        // Stopped before the lookup: the POST's error, no lookup.
        let token = CancellationToken::new();
        let stopped = Ctx::new((), token.clone());
        token.cancel();
        let (result, posts, looks) = run(&stopped, vec![Err(api_error(502))], vec![]).await;
        assert!(matches!(result, Err(PostFailure::Post(_))), "{result:?}");
        assert_eq!((posts, looks), (1, 0));

        // Stopped during the pause before a re-send: interrupted at once, nothing sent again.
        let token = CancellationToken::new();
        let stopping = Ctx::new((), token.clone());
        let trigger = async {
            tokio::time::sleep(Duration::from_millis(50)).await;
            token.cancel();
        };
        let started = std::time::Instant::now();
        let ((result, posts, looks), ()) = tokio::join!(
            run(
                &stopping,
                vec![
                    Err(api_error(502)),
                    Err(api_error(502)),
                    Err(api_error(502)),
                    Err(api_error(502))
                ],
                vec![Ok(Found::Nothing), Ok(Found::Nothing), Ok(Found::Nothing)],
            ),
            trigger
        );
        assert!(
            matches!(
                result,
                Err(PostFailure::Post(CallError::Interrupted(
                    Interrupted::Cancelled
                )))
            ),
            "{result:?}"
        );
        assert!(
            posts < usize::try_from(MAX_POSTS).unwrap(),
            "{posts} {looks}"
        );
        assert!(started.elapsed() < Duration::from_secs(2));
    }

    #[tokio::test]
    async fn a_task_wait_is_bounded_by_the_operation() {
        // The operation's deadline ends the wait, naming the setting, although the client's lies later.
        let short = Ctx::new((), CancellationToken::new())
            .with_timeout(Duration::from_millis(30), "timeouts.create");
        let err = wait_task(&short, |deadline, _| async move {
            assert!(deadline > Instant::now() + Duration::from_millis(500));
            std::future::pending::<Result<(), Error>>().await
        })
        .await
        .unwrap_err();
        assert!(
            matches!(
                &err,
                CallError::Interrupted(Interrupted::TimedOut {
                    source: "timeouts.create",
                    ..
                })
            ),
            "{err}"
        );

        // Stop seen by the client's wait first is reported as Stop.
        let token = CancellationToken::new();
        let stopping = Ctx::new((), token.clone());
        token.cancel();
        let err = wait_task(&stopping, |_, cancel| async move {
            assert!(cancel.is_cancelled());
            Err::<(), _>(Error::Cancelled {
                what: "waiting for IP task 1 of 203.0.113.7/32".into(),
                delivery: Delivery::Answered,
            })
        })
        .await
        .unwrap_err();
        assert!(
            matches!(err, CallError::Interrupted(Interrupted::Cancelled)),
            "{err}"
        );

        // A failed task is returned as is, at once.
        let failed = wait_task(&create_ctx(()), |_, _| async {
            Err::<(), _>(Error::TaskFailed {
                kind: ovh_client::TaskKind::Ip,
                id: 7,
                subject: "genericMoveFloatingIp".into(),
                status: "ovhError".into(),
                details: "no".into(),
            })
        })
        .await
        .unwrap_err();
        assert!(failed.to_string().starts_with("IP task 7"), "{failed}");
    }
}
