//! What a provider process knows about the frontends of each (load balancer, protocol) where it creates some:
//! the bookkeeping that lets [`super::adoption`] tell the frontend a lost POST created from every other one
//! without listing the LB before each POST.
//!
//! Per (LB, protocol), the first create of the process lists every frontend id once (the snapshot), at the same
//! time as its POST rather than before it (one round trip less); every id a POST of the process gets back, or that
//! a recovery adopts, is known. Known ids are never adopted, and neither are the snapshot's, except by the recovery
//! of a POST that was sent before the snapshot's answer came: the API may have handled that POST before the list,
//! so its own frontend may be among the snapshot's ids (one that existed before, identical in every field, is then
//! a candidate too: an ambiguity, or, if our POST did nothing, an adoption of what the configuration describes).
//! POSTs in flight hold a [`PostTicket`]: a recovery that lists the frontends waits for the POSTs that were in
//! flight when its list was answered, so that a sibling's frontend (created by a POST the API already handled but
//! whose answer was not read yet) is known before candidates are picked.

use std::collections::{BTreeSet, HashMap};
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use ovh_client::Protocol;
use tokio::sync::{OnceCell, watch};

/// The ledgers of every (LB, protocol) of the provider process, created on first use.
#[derive(Debug, Default)]
pub struct FrontendLedgers {
    ledgers: Mutex<HashMap<(String, Protocol), Arc<Ledger>>>,
}

impl FrontendLedgers {
    /// The ledger of `protocol` frontends on `service_name`.
    pub(super) fn get(&self, service_name: &str, protocol: Protocol) -> Arc<Ledger> {
        // A panic while holding this std mutex cannot leave the map inconsistent: recover it.
        let mut ledgers = self.ledgers.lock().unwrap_or_else(PoisonError::into_inner);
        Arc::clone(
            ledgers
                .entry((service_name.to_owned(), protocol))
                .or_default(),
        )
    }
}

/// The frontends of one (LB, protocol) that are not ours to adopt, and the POSTs in flight.
#[derive(Debug)]
pub(super) struct Ledger {
    snapshot: OnceCell<()>,
    state: Mutex<State>,
    /// Bumped whenever a ticket ends, to wake recoveries waiting for in-flight POSTs.
    ended: watch::Sender<u64>,
}

#[derive(Debug, Default)]
struct State {
    /// Frontend ids that a create of this process got back or adopted.
    known: BTreeSet<i64>,
    /// Frontend ids listed by the snapshot.
    snapshot: BTreeSet<i64>,
    /// The first ticket given after the snapshot was answered: the POSTs of earlier tickets may be in it.
    after_snapshot: u64,
    /// Tickets of the POSTs sent and not answered yet.
    in_flight: BTreeSet<u64>,
    next_ticket: u64,
}

impl Default for Ledger {
    fn default() -> Self {
        Self {
            snapshot: OnceCell::new(),
            state: Mutex::default(),
            ended: watch::Sender::new(0),
        }
    }
}

impl Ledger {
    fn state(&self) -> MutexGuard<'_, State> {
        // Every update below is a single insert or remove: a panic cannot leave the state half-changed.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Takes the snapshot with `list` unless it was taken: concurrent first creates share one call, a failed one
    /// is tried again by the next create, and a recovery waits for one in progress.
    pub(super) async fn ensure_snapshot<E, F, Fut>(&self, list: F) -> Result<(), E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Vec<i64>, E>>,
    {
        self.snapshot
            .get_or_try_init(|| async {
                let ids = list().await?;
                let mut state = self.state();
                state.snapshot.extend(ids);
                state.after_snapshot = state.next_ticket;
                Ok(())
            })
            .await
            .map(drop)
    }

    /// Marks a POST as in flight until the ticket is ended or dropped.
    pub(super) fn start_post(self: &Arc<Self>) -> PostTicket {
        let mut state = self.state();
        let ticket = state.next_ticket;
        state.next_ticket += 1;
        state.in_flight.insert(ticket);
        PostTicket {
            ledger: Arc::clone(self),
            ticket,
        }
    }

    /// The POSTs in flight now: call it once a recovery's list has been answered.
    pub(super) fn in_flight(&self) -> BTreeSet<u64> {
        self.state().in_flight.clone()
    }

    /// Waits until none of `tickets` is in flight any more.
    pub(super) async fn settled(&self, tickets: &BTreeSet<u64>) {
        // Subscribing before looking: a ticket ending after the look is a change `changed` sees.
        let mut ended = self.ended.subscribe();
        while !self.state().in_flight.is_disjoint(tickets) {
            if ended.changed().await.is_err() {
                // Unreachable while `self` holds the sender; nothing more to wait for if it were.
                return;
            }
        }
    }

    /// `ids` without those the recovery of the POST of `ticket` must not adopt: the known ones, and the snapshot's
    /// unless that POST was sent before the snapshot's answer came. Call it once the snapshot is taken.
    pub(super) fn unknown(&self, ids: Vec<i64>, ticket: u64) -> Vec<i64> {
        let state = self.state();
        let snapshot_excludes = ticket >= state.after_snapshot;
        ids.into_iter()
            .filter(|id| !state.known.contains(id))
            .filter(|id| !(snapshot_excludes && state.snapshot.contains(id)))
            .collect()
    }

    /// Claims the single candidate whose id is still unknown (another recovery may have adopted one meanwhile),
    /// or returns the ids left when there is not exactly one.
    pub(super) fn adopt_single<T>(&self, candidates: Vec<(i64, T)>) -> Result<T, Vec<i64>> {
        let mut state = self.state();
        let left: Vec<(i64, T)> = candidates
            .into_iter()
            .filter(|(id, _)| !state.known.contains(id))
            .collect();
        match <[(i64, T); 1]>::try_from(left) {
            Ok([(id, only)]) => {
                state.known.insert(id);
                Ok(only)
            }
            Err(left) => Err(left.into_iter().map(|(id, _)| id).collect()),
        }
    }
}

/// A POST in flight; ending it (or dropping it, for a POST whose answer was lost) wakes waiting recoveries.
#[derive(Debug)]
pub(super) struct PostTicket {
    ledger: Arc<Ledger>,
    ticket: u64,
}

impl PostTicket {
    /// The ticket's number, for [`Ledger::unknown`].
    pub(super) fn number(&self) -> u64 {
        self.ticket
    }

    /// Ends the ticket of a POST that answered with frontend `id`, which becomes known.
    pub(super) fn created(self, id: Option<i64>) {
        if let Some(id) = id {
            self.ledger.state().known.insert(id);
        }
    }
}

impl Drop for PostTicket {
    fn drop(&mut self) {
        self.ledger.state().in_flight.remove(&self.ticket);
        self.ledger
            .ended
            .send_modify(|ended| *ended = ended.wrapping_add(1));
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn one_snapshot_per_lb_and_protocol_retried_after_a_failure() {
        let ledgers = FrontendLedgers::default();
        let http = ledgers.get("lb", Protocol::Http);
        let failed: Result<(), &str> = http.ensure_snapshot(|| async { Err("503") }).await;
        assert_eq!(failed, Err("503"));
        http.ensure_snapshot(|| async { Ok::<_, ()>(vec![1, 2]) })
            .await
            .unwrap();
        // Taken: the list is not called again, by this handle or another of the same (LB, protocol).
        let again = ledgers.get("lb", Protocol::Http);
        again
            .ensure_snapshot(|| async { Err("called again") })
            .await
            .unwrap();
        let after = again.start_post();
        assert_eq!(again.unknown(vec![1, 2, 3], after.number()), vec![3]);
        // Another protocol or LB has its own.
        assert_eq!(
            ledgers.get("lb", Protocol::Tcp).unknown(vec![1], 0),
            vec![1]
        );
        assert_eq!(
            ledgers.get("lb-2", Protocol::Http).unknown(vec![1], 0),
            vec![1]
        );
    }

    #[tokio::test]
    async fn a_recovery_waits_for_the_posts_in_flight_at_its_list() {
        let ledger = Arc::new(Ledger::default());
        let sibling = ledger.start_post();
        let lost = ledger.start_post();
        drop(lost);
        // The recovery's list was answered while the sibling's POST was still in flight.
        let pending = ledger.in_flight();
        assert_eq!(pending.len(), 1);
        // A POST started after the list cannot have created a listed frontend: not waited for.
        let later = ledger.start_post();
        let wait = ledger.settled(&pending);
        tokio::pin!(wait);
        assert!(
            tokio::time::timeout(Duration::from_millis(50), &mut wait)
                .await
                .is_err(),
            "must wait"
        );
        sibling.created(Some(7));
        tokio::time::timeout(Duration::from_secs(5), wait)
            .await
            .expect("settled once the sibling answered");
        // The sibling's frontend is no candidate; the lost POST's one is.
        assert_eq!(ledger.unknown(vec![7, 8], later.number()), vec![8]);
        drop(later);
    }

    #[tokio::test]
    async fn the_snapshot_is_a_candidate_only_for_posts_sent_before_its_answer() {
        let ledger = Arc::new(Ledger::default());
        // Sent with the snapshot's list: the API may have handled it first, so its frontend (5) may be listed.
        let early = ledger.start_post();
        ledger
            .ensure_snapshot(|| async { Ok::<_, ()>(vec![4, 5]) })
            .await
            .unwrap();
        let late = ledger.start_post();
        assert_eq!(ledger.unknown(vec![4, 5, 6], early.number()), vec![4, 5, 6]);
        assert_eq!(ledger.unknown(vec![4, 5, 6], late.number()), vec![6]);
        // An adopted or answered id is known to every recovery.
        assert_eq!(ledger.adopt_single(vec![(5, 'x')]), Ok('x'));
        assert_eq!(ledger.unknown(vec![4, 5, 6], early.number()), vec![4, 6]);
    }

    #[test]
    fn an_id_is_adopted_once() {
        let ledger = Ledger::default();
        assert_eq!(
            ledger.adopt_single(vec![(4, 'a'), (5, 'b')]),
            Err(vec![4, 5])
        );
        assert_eq!(ledger.adopt_single(vec![(5, 'b')]), Ok('b'));
        // A second recovery that saw the same candidate finds it taken.
        assert_eq!(ledger.adopt_single(vec![(5, 'b')]), Err(vec![]));
        assert_eq!(ledger.adopt_single(vec![(4, 'a'), (5, 'b')]), Ok('a'));
    }
}
