//! What this provider process wrote to each frontend in this command, so that the deploy check
//! ([`crate::resources::deploy_check::snapshot`]) need not read back, one GET each, the frontends the same process has
//! just created or updated (100 frontends: 100 GETs, 10 serial round trips at Terraform's parallelism).
//!
//! Per (LB, protocol) and frontend id, an entry holds the object as this process last wrote it:
//! - a create: the object the POST answered (only a POST that answered: a frontend adopted after a lost answer is
//!   not trusted, see [`super::adoption`]);
//! - an update: the body the PUT sent (every writable field of the protocol, cleared ones as null) merged over
//!   what the process knew of the object (the PUT answers nothing);
//! - a read of an object it wrote replaces it (a fresher view); a read of any other object adds nothing, and a
//!   read answered by 404 drops it.
//!
//! An object is **trusted** (used instead of a GET) only when its last write in this process succeeded and no write
//! of it is in flight. A write whose outcome is unknown or failed (lost answer, 5xx, refusal, Stop, a dropped
//! future), a delete (whatever its outcome), and two writes of one object overlapping leave it untrusted: the check
//! reads it from OVH. Ids this process never wrote are always read from OVH, so changes made elsewhere (another
//! configuration sharing the LB, the Control Panel) to objects this process did not write are seen as before. The
//! check itself uses a trusted object only to pass it: one that breaks a condition as written, or whose default
//! farm is no longer listed, is read from OVH, which then has the last word on what the check reports.
//!
//! The limit, by design: a change made behind the process's back to an object it wrote, after its write and
//! before the deploy in the same command, is not seen by the pre-check (only a read by this process would see it).
//! OVH's refresh task is the final judge of the deploy conditions: it then fails, and the deploy reports that
//! failure at once, naming the frontend, with the changes still pending.
//!
//! One std mutex guards the whole map; it is held for a lookup or an insert only, never across an await, so the
//! provider's single-threaded runtime never waits on it.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

use ovh_client::{Frontend as ApiFrontend, Protocol};

/// The frontends a provider process wrote, per (LB, protocol) and id.
#[derive(Debug, Default)]
pub struct WrittenFrontends {
    objects: Mutex<HashMap<(String, Protocol), HashMap<i64, Entry>>>,
}

/// What the process knows of one frontend it wrote or is writing.
#[derive(Debug, Default)]
struct Entry {
    /// The object as last written (or read after a write), when that write succeeded.
    object: Option<ApiFrontend>,
    /// Writes sent and not finished.
    in_flight: u32,
    /// Another write of the object started, or one ended badly, while a write was in flight: the ones still in
    /// flight cannot tell what OVH holds once they end.
    contended: bool,
    /// Bumped by every write: a read started before a write does not overwrite what the write recorded.
    generation: u64,
}

impl Entry {
    fn trusted(&self) -> Option<&ApiFrontend> {
        self.object.as_ref().filter(|_| self.in_flight == 0)
    }
}

impl WrittenFrontends {
    fn lock(&self) -> MutexGuard<'_, HashMap<(String, Protocol), HashMap<i64, Entry>>> {
        // Every change below is a few field assignments: a panic cannot leave an entry half-changed.
        self.objects.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn with_entry<T>(
        &self,
        service_name: &str,
        protocol: Protocol,
        id: i64,
        f: impl FnOnce(&mut Entry) -> T,
    ) -> T {
        let mut objects = self.lock();
        let entry = objects
            .entry((service_name.to_owned(), protocol))
            .or_default()
            .entry(id)
            .or_default();
        f(entry)
    }

    /// Records the object a create's POST answered with (the frontend is new: nothing else can be in flight).
    pub(crate) fn created(&self, service_name: &str, protocol: Protocol, object: &ApiFrontend) {
        let Some(id) = object.frontend_id else { return };
        self.with_entry(service_name, protocol, id, |entry| {
            entry.generation += 1;
            entry.object = (entry.in_flight == 0).then(|| object.clone());
        });
    }

    /// Starts a PUT or DELETE of frontend `id`: untrusted until the returned ticket says how it ended. The ticket
    /// holds what the process knew of the object before, for an update to merge its body over.
    pub(crate) fn start_write(
        &self,
        service_name: &str,
        protocol: Protocol,
        id: i64,
    ) -> WriteTicket<'_> {
        let before = self.with_entry(service_name, protocol, id, |entry| {
            entry.generation += 1;
            if entry.in_flight > 0 {
                entry.contended = true;
            }
            entry.in_flight += 1;
            entry.object.take()
        });
        WriteTicket {
            written: self,
            service_name: service_name.to_owned(),
            protocol,
            id,
            before,
            finished: false,
        }
    }

    /// Marks the start of a GET of frontend `id`; pass the result to [`WrittenFrontends::read`] with its answer.
    pub(crate) fn start_read(&self, service_name: &str, protocol: Protocol, id: i64) -> ReadMark {
        let generation = self
            .lock()
            .get(&(service_name.to_owned(), protocol))
            .and_then(|objects| objects.get(&id))
            .map_or(0, |entry| entry.generation);
        ReadMark(generation)
    }

    /// Records the answer of a GET started at `mark`: the object (`None`: a 404). It replaces the object of a
    /// frontend this process wrote, unless a write started since; a frontend it did not write stays unknown. A 404
    /// drops the frontend whatever else happened.
    pub(crate) fn read(
        &self,
        service_name: &str,
        protocol: Protocol,
        id: i64,
        mark: ReadMark,
        answer: Option<&ApiFrontend>,
    ) {
        let mut objects = self.lock();
        let Some(entry) = objects
            .get_mut(&(service_name.to_owned(), protocol))
            .and_then(|objects| objects.get_mut(&id))
        else {
            return;
        };
        match answer {
            None => entry.object = None,
            Some(object) => {
                if entry.generation == mark.0 && entry.trusted().is_some() {
                    let mut object = object.clone();
                    object.frontend_id = Some(id);
                    entry.object = Some(object);
                }
            }
        }
    }

    /// The trusted objects among `ids` (frontends of `protocol` on `service_name`), by id: one lock for them all.
    pub fn trusted(
        &self,
        service_name: &str,
        protocol: Protocol,
        ids: impl IntoIterator<Item = i64>,
    ) -> HashMap<i64, ApiFrontend> {
        let objects = self.lock();
        let Some(objects) = objects.get(&(service_name.to_owned(), protocol)) else {
            return HashMap::new();
        };
        ids.into_iter()
            .filter_map(|id| Some((id, objects.get(&id)?.trusted()?.clone())))
            .collect()
    }

    /// The default farms that the trusted frontends of `service_name` name, each once: the farms a deploy check
    /// will most likely need.
    pub fn default_farms(&self, service_name: &str) -> Vec<(Protocol, i64)> {
        let objects = self.lock();
        let mut farms = Vec::new();
        for ((sn, protocol), entries) in objects.iter() {
            if sn != service_name {
                continue;
            }
            for entry in entries.values() {
                let farm = entry.trusted().and_then(|object| object.default_farm_id);
                if let Some(key) = farm.map(|id| (*protocol, id))
                    && !farms.contains(&key)
                {
                    farms.push(key);
                }
            }
        }
        // In a stable order, for request logs that read the same from one run to the next.
        farms.sort_unstable_by_key(|(protocol, id)| (protocol.as_str(), *id));
        farms
    }

    /// Whether this process wrote, or tried to write, a frontend of `service_name`: a deploy of it then almost
    /// surely has something to deploy.
    pub fn wrote_to(&self, service_name: &str) -> bool {
        self.lock()
            .iter()
            .any(|((sn, _), entries)| sn == service_name && !entries.is_empty())
    }

    fn finish_write(&self, ticket: &WriteTicket<'_>, after: Option<ApiFrontend>) {
        self.with_entry(&ticket.service_name, ticket.protocol, ticket.id, |entry| {
            entry.in_flight = entry.in_flight.saturating_sub(1);
            match after {
                Some(object) if entry.in_flight == 0 && !entry.contended => {
                    entry.object = Some(object);
                }
                Some(_) => {}
                None => {
                    entry.object = None;
                    // A write still in flight cannot know whether this one reached OVH after it.
                    entry.contended = entry.in_flight > 0;
                }
            }
            if entry.in_flight == 0 {
                entry.contended = false;
            }
        });
    }
}

/// The mark of a read's start (see [`WrittenFrontends::start_read`]).
#[derive(Clone, Copy, Debug)]
pub(crate) struct ReadMark(u64);

/// A PUT or DELETE in flight. Unless [`WriteTicket::updated`] says the PUT succeeded, the frontend stays untrusted
/// when the ticket ends (dropped: a failure, an unknown outcome, a delete, a cancelled operation).
#[derive(Debug)]
pub(crate) struct WriteTicket<'a> {
    written: &'a WrittenFrontends,
    service_name: String,
    protocol: Protocol,
    id: i64,
    before: Option<ApiFrontend>,
    finished: bool,
}

impl WriteTicket<'_> {
    /// The PUT of `body` succeeded: the object is now `body`'s fields over what the process knew of it.
    pub(crate) fn updated(mut self, body: &ApiFrontend) {
        let after = merge(self.before.take(), body, self.protocol, self.id);
        self.finished = true;
        self.written.finish_write(&self, after);
    }
}

impl Drop for WriteTicket<'_> {
    fn drop(&mut self) {
        if !self.finished {
            self.written.finish_write(self, None);
        }
    }
}

/// What a PUT of `body` leaves: the fields the PUT sends (every writable field of `protocol`; nullable ones as
/// null when unset, which clears them) over `before`, the rest (read-only fields) from `before`. `None` when the
/// result cannot be built (it then is not trusted).
fn merge(
    before: Option<ApiFrontend>,
    body: &ApiFrontend,
    protocol: Protocol,
    id: i64,
) -> Option<ApiFrontend> {
    let mut object = match serde_json::to_value(before.unwrap_or_default()) {
        Ok(serde_json::Value::Object(object)) => object,
        _ => return None,
    };
    let serde_json::Value::Object(sent) = body.update_body(protocol) else {
        return None;
    };
    object.extend(sent);
    let mut merged: ApiFrontend = serde_json::from_value(serde_json::Value::Object(object)).ok()?;
    merged.frontend_id = Some(id);
    Some(merged)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LB: &str = "loadbalancer-1";

    fn object(id: i64, name: &str, farm: Option<i64>) -> ApiFrontend {
        ApiFrontend {
            frontend_id: Some(id),
            port: Some("80".into()),
            zone: Some("all".into()),
            display_name: Some(name.into()),
            default_farm_id: farm,
            vrack_network_id: Some(5),
            ..ApiFrontend::default()
        }
    }

    fn trusted_ids(written: &WrittenFrontends, protocol: Protocol) -> Vec<i64> {
        let mut ids: Vec<i64> = written.trusted(LB, protocol, 1..=10).into_keys().collect();
        ids.sort_unstable();
        ids
    }

    #[test]
    fn a_create_is_trusted_other_ids_lbs_and_protocols_are_not() {
        let written = WrittenFrontends::default();
        written.created(LB, Protocol::Http, &object(1, "a", Some(11)));
        // An answer without an id names nothing.
        written.created(LB, Protocol::Http, &ApiFrontend::default());
        assert_eq!(
            written.trusted(LB, Protocol::Http, [1, 2]),
            HashMap::from([(1, object(1, "a", Some(11)))])
        );
        assert!(written.trusted(LB, Protocol::Tcp, [1]).is_empty());
        assert!(
            written
                .trusted("loadbalancer-2", Protocol::Http, [1])
                .is_empty()
        );
    }

    #[test]
    fn an_update_is_its_body_over_what_was_known() {
        let written = WrittenFrontends::default();
        written.created(LB, Protocol::Http, &object(1, "a", Some(11)));
        let body = ApiFrontend {
            display_name: None,
            redirect_location: Some("https://x/".into()),
            ..object(0, "", None)
        };
        let ticket = written.start_write(LB, Protocol::Http, 1);
        // While the PUT is in flight, nothing is trusted.
        assert!(written.trusted(LB, Protocol::Http, [1]).is_empty());
        ticket.updated(&body);
        let now = &written.trusted(LB, Protocol::Http, [1])[&1];
        assert_eq!(now.frontend_id, Some(1));
        // Cleared by the PUT (sent as null), set by it, and read-only fields kept from before.
        assert_eq!(now.display_name, None);
        assert_eq!(now.default_farm_id, None);
        assert_eq!(now.redirect_location.as_deref(), Some("https://x/"));
        assert_eq!(now.vrack_network_id, Some(5));

        // An object the process never saw: the body alone (it holds every writable field).
        let ticket = written.start_write(LB, Protocol::Udp, 7);
        ticket.updated(&object(0, "u", Some(13)));
        let udp = &written.trusted(LB, Protocol::Udp, [7])[&7];
        assert_eq!(
            (udp.frontend_id, udp.default_farm_id, udp.vrack_network_id),
            (Some(7), Some(13), None)
        );
    }

    #[test]
    fn a_write_that_failed_or_whose_outcome_is_unknown_is_not_trusted() {
        let written = WrittenFrontends::default();
        written.created(LB, Protocol::Http, &object(1, "a", Some(11)));
        // The PUT failed, its answer was lost, or the operation was cancelled: the ticket is dropped.
        drop(written.start_write(LB, Protocol::Http, 1));
        assert!(written.trusted(LB, Protocol::Http, [1]).is_empty());
        // A later successful PUT trusts it again.
        written
            .start_write(LB, Protocol::Http, 1)
            .updated(&object(0, "b", Some(11)));
        assert_eq!(trusted_ids(&written, Protocol::Http), vec![1]);
    }

    #[test]
    fn a_delete_forgets_whatever_its_outcome() {
        let written = WrittenFrontends::default();
        written.created(LB, Protocol::Tcp, &object(1, "a", Some(12)));
        written.created(LB, Protocol::Tcp, &object(2, "b", Some(12)));
        // A delete is a write that never says "updated".
        drop(written.start_write(LB, Protocol::Tcp, 1));
        assert_eq!(trusted_ids(&written, Protocol::Tcp), vec![2]);
    }

    #[test]
    fn overlapping_writes_of_one_object_are_not_trusted() {
        let written = WrittenFrontends::default();
        let first = written.start_write(LB, Protocol::Http, 1);
        let second = written.start_write(LB, Protocol::Http, 1);
        second.updated(&object(0, "second", Some(11)));
        first.updated(&object(0, "first", Some(11)));
        assert!(written.trusted(LB, Protocol::Http, [1]).is_empty());
        // One that failed while another was in flight: the other cannot be trusted either.
        let first = written.start_write(LB, Protocol::Http, 2);
        let second = written.start_write(LB, Protocol::Http, 2);
        drop(first);
        second.updated(&object(0, "second", Some(11)));
        assert!(written.trusted(LB, Protocol::Http, [2]).is_empty());
        // Once they are over, the next write alone counts again.
        written
            .start_write(LB, Protocol::Http, 2)
            .updated(&object(0, "third", Some(11)));
        assert_eq!(trusted_ids(&written, Protocol::Http), vec![2]);
    }

    #[test]
    fn reads_refresh_what_was_written_and_nothing_else() {
        let written = WrittenFrontends::default();
        written.created(LB, Protocol::Http, &object(1, "a", Some(11)));
        // A read of a frontend the process wrote: the fresher view replaces what it wrote.
        let mark = written.start_read(LB, Protocol::Http, 1);
        written.read(
            LB,
            Protocol::Http,
            1,
            mark,
            Some(&object(1, "changed elsewhere", None)),
        );
        assert_eq!(
            written.trusted(LB, Protocol::Http, [1])[&1]
                .display_name
                .as_deref(),
            Some("changed elsewhere")
        );
        // A read of one it did not write teaches nothing: it is read from OVH when needed.
        let mark = written.start_read(LB, Protocol::Http, 2);
        written.read(LB, Protocol::Http, 2, mark, Some(&object(2, "b", Some(11))));
        assert_eq!(trusted_ids(&written, Protocol::Http), vec![1]);
        // A read that started before a write and answers after it is older than the write: ignored.
        let mark = written.start_read(LB, Protocol::Http, 1);
        written
            .start_write(LB, Protocol::Http, 1)
            .updated(&object(0, "written", Some(11)));
        written.read(LB, Protocol::Http, 1, mark, Some(&object(1, "stale", None)));
        assert_eq!(
            written.trusted(LB, Protocol::Http, [1])[&1]
                .display_name
                .as_deref(),
            Some("written")
        );
        // A 404 drops it.
        let mark = written.start_read(LB, Protocol::Http, 1);
        written.read(LB, Protocol::Http, 1, mark, None);
        assert!(written.trusted(LB, Protocol::Http, [1]).is_empty());
    }

    /// The deploy check against the in-process simulator, after creates and updates of this process.
    mod against_the_simulator {
        use std::time::Duration;

        use ovh_api_sim::{Fixture, SimConfig, Simulator};
        use serde_json::json;
        use tfplugin5_runtime::diag::Diagnostics;
        use tfplugin5_runtime::framework::{Ctx, Resource};
        use tfplugin5_runtime::value::Value;
        use tokio_util::sync::CancellationToken;

        use super::*;
        use crate::resources::ProviderData;
        use crate::resources::common::testing::{create_ctx, sim_client};
        use crate::resources::deploy_check::{self, DeployProblem};
        use crate::resources::frontend::FrontendResource;
        use crate::resources::refresh::Refresh;

        const LB: &str = "loadbalancer-0123abcd";
        const HTTP_FARM: i64 = 11;
        const TCP_FARM: i64 = 12;
        /// A TCP frontend of the fixture: one this process never wrote.
        const FOREIGN: i64 = 100;

        async fn sim() -> (Simulator, ProviderData) {
            let fixture: Fixture = serde_json::from_value(json!({
                "credentials": [{"application_key": "AK", "application_secret": "AS", "consumer_key": "CK"}],
                "load_balancers": [{"service_name": LB, "zones": ["gra"]}],
                "farms": [
                    {"service_name": LB, "protocol": "http", "farm_id": HTTP_FARM, "zone": "all", "port": 80},
                    {"service_name": LB, "protocol": "tcp", "farm_id": TCP_FARM, "zone": "all", "port": 80}
                ],
                "frontends": [{"service_name": LB, "protocol": "tcp", "frontend_id": FOREIGN, "port": "22",
                               "zone": "all", "defaultFarmId": TCP_FARM}]
            }))
            .unwrap();
            let sim = Simulator::start(SimConfig {
                fixture,
                task_duration: Duration::from_millis(50),
                ..SimConfig::default()
            })
            .await
            .unwrap();
            let data = ProviderData::new(sim_client(sim.base_url()));
            (sim, data)
        }

        fn planned(port: u32, name: &str) -> Value {
            Value::object([
                ("service_name", Value::from(LB)),
                ("port", Value::from(port.to_string())),
                ("zone", Value::from("all")),
                ("display_name", Value::from(name)),
                ("default_farm_id", Value::from(HTTP_FARM)),
                ("disabled", Value::from(false)),
            ])
        }

        /// Creates an HTTP frontend through the resource, as Terraform would: its state.
        async fn create(data: &ProviderData, port: u32, name: &str) -> Value {
            let mut diags = Diagnostics::new();
            let state = FrontendResource::new(Protocol::Http)
                .create(
                    &create_ctx(data),
                    &planned(port, name),
                    &Value::Null,
                    &mut diags,
                )
                .await;
            state.unwrap_or_else(|| panic!("{diags:?}"))
        }

        fn id_of(state: &Value) -> i64 {
            state.get("frontend_id").as_i64().unwrap()
        }

        /// Another manager of the LB (the Control Panel, another configuration): clears the default farm of a
        /// frontend, which makes it invalid.
        async fn break_behind_the_back(sim: &Simulator, protocol: Protocol, id: i64) {
            let other = sim_client(sim.base_url());
            let mut frontend = other.get_frontend(LB, protocol, id).await.unwrap();
            frontend.default_farm_id = None;
            other
                .update_frontend(LB, protocol, id, &frontend)
                .await
                .unwrap();
        }

        /// The calls logged from `from` on, as `METHOD path-after-the-LB`, sorted.
        fn calls_since(sim: &Simulator, from: usize) -> Vec<String> {
            let mut calls: Vec<String> = sim.requests()[from..]
                .iter()
                .map(|r| {
                    let path = r.path.split(LB).nth(1).unwrap_or(&r.path);
                    format!("{} {path}", r.method)
                })
                .collect();
            calls.sort();
            calls
        }

        /// The farm a written frontend names is read together with the lists: with 1 s added to the HTTP
        /// frontend list and to that farm's read, the check takes a little over 1 s, where reading the farm after
        /// the lists took 2 s. The TCP farm, which no written frontend names, is read after the lists as before.
        #[tokio::test]
        async fn the_farms_written_frontends_name_are_read_with_the_lists() {
            let (sim, data) = sim().await;
            create(&data, 8000, "web").await;
            assert_eq!(
                data.written_frontends.default_farms(LB),
                [(Protocol::Http, HTTP_FARM)]
            );
            assert!(data.written_frontends.wrote_to(LB));
            assert!(!data.written_frontends.wrote_to("loadbalancer-other"));
            let slow = |path: String| -> ovh_api_sim::FaultRule {
                serde_json::from_value(
                    json!({"method": "GET", "path": path, "kind": "latency", "ms": 1000, "times": 1}),
                )
                .unwrap()
            };
            sim.add_faults(vec![
                slow(format!("/ipLoadbalancing/{LB}/http/frontend")),
                slow(format!("/ipLoadbalancing/{LB}/http/farm/{HTTP_FARM}")),
            ])
            .unwrap();
            let started = tokio::time::Instant::now();
            let checked = deploy_check::snapshot(&data.client, LB, &data.written_frontends)
                .await
                .unwrap();
            let elapsed = started.elapsed();
            assert!(elapsed < Duration::from_millis(1800), "{elapsed:?}");
            // The same facts as reading everything from OVH.
            let from_ovh = deploy_check::snapshot(&data.client, LB, &WrittenFrontends::default())
                .await
                .unwrap();
            assert_eq!(checked, from_ovh);
            assert_eq!(checked.farms.len(), 2);
        }

        #[tokio::test]
        async fn after_creates_the_check_lists_and_reads_only_what_it_did_not_write() {
            let (sim, data) = sim().await;
            const CREATES: u32 = 6;
            let mut ours = Vec::new();
            for n in 0..CREATES {
                ours.push(id_of(&create(&data, 8000 + n, &format!("web-{n}")).await));
            }
            // Created meanwhile by another client: unknown to this process, like the fixture's TCP frontend.
            let other = sim_client(sim.base_url());
            let theirs = other
                .create_frontend(
                    LB,
                    Protocol::Http,
                    &ApiFrontend {
                        port: Some("9000".into()),
                        zone: Some("all".into()),
                        default_farm_id: Some(HTTP_FARM),
                        ..ApiFrontend::default()
                    },
                )
                .await
                .unwrap()
                .frontend_id
                .unwrap();

            let from = sim.requests().len();
            let checked = deploy_check::snapshot(&data.client, LB, &data.written_frontends)
                .await
                .unwrap();
            let mut expected: Vec<String> = [
                String::new(),
                "/http/farm".into(),
                "/tcp/farm".into(),
                "/udp/farm".into(),
                "/http/frontend".into(),
                "/tcp/frontend".into(),
                "/udp/frontend".into(),
                format!("/http/farm/{HTTP_FARM}"),
                format!("/tcp/farm/{TCP_FARM}"),
                format!("/http/frontend/{theirs}"),
                format!("/tcp/frontend/{FOREIGN}"),
            ]
            .into_iter()
            .map(|path| format!("GET {path}"))
            .collect();
            expected.sort();
            assert_eq!(calls_since(&sim, from), expected);

            // The same facts as reading everything from OVH, in the same order.
            let from_ovh = deploy_check::snapshot(&data.client, LB, &WrittenFrontends::default())
                .await
                .unwrap();
            assert_eq!(checked, from_ovh);
            assert_eq!(checked.frontends.len(), ours.len() + 2);
            assert!(deploy_check::problems(&checked).is_empty());

            // A frontend deleted by this process is forgotten, and an update is trusted as sent.
            let mut diags = Diagnostics::new();
            let resource = FrontendResource::new(Protocol::Http);
            let first = create(&data, 7000, "first").await;
            resource
                .delete(&create_ctx(&data), &first, &mut diags)
                .await;
            let second = create(&data, 7001, "second").await;
            let renamed = second.clone().with_attr("display_name", "renamed".into());
            resource
                .update(
                    &create_ctx(&data),
                    &second,
                    &renamed,
                    &Value::Null,
                    &mut diags,
                )
                .await
                .unwrap();
            assert!(diags.is_empty(), "{diags:?}");
            assert!(
                data.written_frontends
                    .trusted(LB, Protocol::Http, [id_of(&first)])
                    .is_empty()
            );
            let from = sim.requests().len();
            let checked = deploy_check::snapshot(&data.client, LB, &data.written_frontends)
                .await
                .unwrap();
            let frontend_reads = calls_since(&sim, from)
                .into_iter()
                .filter(|call| call.starts_with("GET /http/frontend/"))
                .count();
            assert_eq!(frontend_reads, 1, "only the other client's frontend");
            let facts = checked
                .frontends
                .iter()
                .find(|f| f.frontend_id == id_of(&second))
                .unwrap();
            assert_eq!(facts.display_name.as_deref(), Some("renamed"));
            assert!(
                !checked
                    .frontends
                    .iter()
                    .any(|f| f.frontend_id == id_of(&first))
            );
        }

        /// The deploy through the `ovhiplb_refresh` resource: its diagnostics.
        async fn deploy(data: &ProviderData) -> Diagnostics {
            let planned = Value::object([
                ("id", Value::Unknown),
                ("service_name", Value::from(LB)),
                ("zone", Value::Null),
                ("triggers", Value::Null),
                ("pending_changes", Value::Unknown),
            ]);
            let mut diags = Diagnostics::new();
            Refresh
                .create(&create_ctx(data), &planned, &Value::Null, &mut diags)
                .await;
            diags
        }

        fn invalid(protocol: Protocol, frontend_id: i64, name: Option<&str>) -> DeployProblem {
            DeployProblem::InvalidFrontend {
                protocol,
                frontend_id,
                display_name: name.map(str::to_owned),
            }
        }

        /// By design the pre-check trusts what this process wrote last: a change made behind its back to a
        /// frontend it wrote is not seen by the check, and OVH's refresh task, the final judge, fails on it and is
        /// reported at once. A change to a frontend it did not write is seen, and so is one it read since.
        #[tokio::test]
        async fn a_change_behind_the_process_back_is_seen_unless_the_process_wrote_the_object_last()
        {
            let (sim, data) = sim().await;
            let web = create(&data, 8000, "web").await;
            let web_id = id_of(&web);
            break_behind_the_back(&sim, Protocol::Http, web_id).await;
            break_behind_the_back(&sim, Protocol::Tcp, FOREIGN).await;

            // Not written by this process: read, and named. Written by it: taken as written.
            let snapshot = deploy_check::snapshot(&data.client, LB, &data.written_frontends)
                .await
                .unwrap();
            assert_eq!(
                deploy_check::problems(&snapshot),
                vec![invalid(Protocol::Tcp, FOREIGN, None)]
            );
            let diags = deploy(&data).await;
            let error = diags.iter().next().expect("an error");
            assert!(
                error.summary.contains("Cannot deploy")
                    && error.detail.contains("tcp frontend 100"),
                "{error}"
            );

            // Once the foreign one is fixed, the pre-check passes on ours as written; OVH's task fails on it,
            // and the deploy says so at once, naming it.
            let other = sim_client(sim.base_url());
            let mut foreign = other
                .get_frontend(LB, Protocol::Tcp, FOREIGN)
                .await
                .unwrap();
            foreign.default_farm_id = Some(TCP_FARM);
            other
                .update_frontend(LB, Protocol::Tcp, FOREIGN, &foreign)
                .await
                .unwrap();
            let diags = deploy(&data).await;
            let error = diags.iter().next().expect("an error");
            assert!(
                error
                    .summary
                    .contains("Deploying loadbalancer-0123abcd failed")
                    && error
                        .detail
                        .contains(&format!("frontend {web_id} (http) is not valid")),
                "{error}"
            );

            // A read by this process since the change: the check sees it and names the frontend.
            let resource = FrontendResource::new(Protocol::Http);
            let mut diags = Diagnostics::new();
            let read = resource
                .read(&create_ctx(&data), &web, &mut diags)
                .await
                .unwrap();
            let snapshot = deploy_check::snapshot(&data.client, LB, &data.written_frontends)
                .await
                .unwrap();
            assert_eq!(
                deploy_check::problems(&snapshot),
                vec![invalid(Protocol::Http, web_id, Some("web"))]
            );

            // This process writes it again (the last write is its own): trusted, and the deploy succeeds.
            resource
                .update(&create_ctx(&data), &read, &web, &Value::Null, &mut diags)
                .await
                .unwrap();
            let from = sim.requests().len();
            let diags = deploy(&data).await;
            assert!(diags.is_empty(), "{diags:?}");
            assert!(
                !calls_since(&sim, from).contains(&format!("GET /http/frontend/{web_id}")),
                "{:#?}",
                &sim.requests()[from..]
            );
        }

        #[tokio::test]
        async fn a_write_whose_outcome_is_unknown_is_read_back() {
            let (sim, data) = sim().await;
            let web = create(&data, 8000, "web").await;
            let web_id = id_of(&web);
            // The PUT is still on its way when the operation times out: whether OVH applied it is unknown.
            sim.add_faults(vec![
                serde_json::from_value(
                    json!({"method": "PUT", "path": "/ipLoadbalancing/*/http/frontend/*",
                                              "kind": "latency", "ms": 1000, "times": 1}),
                )
                .unwrap(),
            ])
            .unwrap();
            let hurried = Ctx::new(&data, CancellationToken::new())
                .with_timeout(Duration::from_millis(100), "timeouts.update");
            let mut diags = Diagnostics::new();
            let renamed = web.clone().with_attr("display_name", "renamed".into());
            let updated = FrontendResource::new(Protocol::Http)
                .update(&hurried, &web, &renamed, &Value::Null, &mut diags)
                .await;
            assert!(updated.is_none() && !diags.is_empty());
            assert!(
                data.written_frontends
                    .trusted(LB, Protocol::Http, [web_id])
                    .is_empty()
            );
            let from = sim.requests().len();
            deploy_check::snapshot(&data.client, LB, &data.written_frontends)
                .await
                .unwrap();
            assert!(
                calls_since(&sim, from).contains(&format!("GET /http/frontend/{web_id}")),
                "{:#?}",
                &sim.requests()[from..]
            );
        }
    }
}
