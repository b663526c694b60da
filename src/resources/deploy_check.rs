//! The conditions OVH puts on deploying an IP Load Balancer's configuration (the simulator enforces the same
//! ones: `crates/ovh-api-sim/BEHAVIOUR.md`, "Refresh and pending changes"), checked before `POST /refresh` so
//! that a refresh that cannot succeed fails with a message naming the frontend or farm at fault instead of a
//! failed task.
//!
//! [`problems`] is a pure function over an [`LbSnapshot`]; [`snapshot`] reads one from the API, except the
//! frontends this provider process wrote and still trusts ([`WrittenFrontends`]). The conditions are evaluated
//! over the whole LB, every zone, as OVH (and the simulator) evaluates them.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;

use ovh_client::{Client, Error, Frontend as ApiFrontend, FrontendFilter, Protocol};
use tokio::task::JoinSet;

use super::frontend::WrittenFrontends;

/// Calls run at once while reading the frontends and farms of an LB: Terraform's default parallelism, so the check
/// reads as fast as the applies before it wrote (100 frontends: 10 round trips), and never looks like more of a
/// burst to the API's rate limiter than they did.
const CONCURRENT_READS: usize = 10;

/// What the deploy conditions look at.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LbSnapshot {
    pub service_name: String,
    /// The vRack the LB is attached to, if any.
    pub vrack_name: Option<String>,
    /// The LB's vRack network ids (only read when the LB is in a vRack).
    pub vrack_networks: Vec<i64>,
    pub farms: Vec<FarmFacts>,
    pub frontends: Vec<FrontendFacts>,
}

/// What the deploy check needs to know of a farm.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FarmFacts {
    pub protocol: Protocol,
    pub farm_id: i64,
    pub vrack_network_id: Option<i64>,
}

/// What the deploy check needs to know of a frontend.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FrontendFacts {
    pub protocol: Protocol,
    pub frontend_id: i64,
    pub display_name: Option<String>,
    pub default_farm_id: Option<i64>,
    pub redirect_location: Option<String>,
    /// Whether at least one route is attached to it.
    pub has_route: bool,
}

impl FrontendFacts {
    /// The facts of `frontend`, before its routes are looked up.
    fn of(protocol: Protocol, frontend_id: i64, frontend: ApiFrontend) -> Self {
        Self {
            protocol,
            frontend_id,
            display_name: frontend.display_name,
            default_farm_id: frontend.default_farm_id,
            redirect_location: frontend.redirect_location,
            has_route: false,
        }
    }

    /// Valid per OVH: it sends traffic somewhere (a route, a redirection or a default farm).
    fn is_valid(&self) -> bool {
        self.has_route
            || self.default_farm_id.is_some()
            || self
                .redirect_location
                .as_deref()
                .is_some_and(|s| !s.trim().is_empty())
    }
}

/// One violated deploy condition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DeployProblem {
    /// The LB is in a vRack and this farm is not.
    FarmOutsideVrack {
        protocol: Protocol,
        farm_id: i64,
        vrack_name: String,
    },
    /// The farm names a vRack network the LB does not have.
    FarmUnknownVrackNetwork {
        protocol: Protocol,
        farm_id: i64,
        network: i64,
    },
    /// The farm is in a vRack network while the LB is in no vRack.
    FarmInVrackWithoutLbVrack {
        protocol: Protocol,
        farm_id: i64,
        network: i64,
    },
    NoFrontend,
    /// The frontend has no route, no redirection and no default farm.
    InvalidFrontend {
        protocol: Protocol,
        frontend_id: i64,
        display_name: Option<String>,
    },
}

impl fmt::Display for DeployProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::FarmOutsideVrack {
                protocol,
                farm_id,
                vrack_name,
            } => write!(
                f,
                "{protocol} farm {farm_id} is outside the vRack: the load balancer is attached to vRack \
                 {vrack_name}, so every farm needs a vrack_network_id"
            ),
            Self::FarmUnknownVrackNetwork {
                protocol,
                farm_id,
                network,
            } => write!(
                f,
                "{protocol} farm {farm_id} uses vRack network {network}, which is not a vRack network of the load \
                 balancer"
            ),
            Self::FarmInVrackWithoutLbVrack {
                protocol,
                farm_id,
                network,
            } => write!(
                f,
                "{protocol} farm {farm_id} is inside vRack network {network}, but the load balancer is not attached \
                 to a vRack: remove its vrack_network_id or attach the load balancer to the vRack"
            ),
            Self::NoFrontend => {
                f.write_str("the load balancer has no frontend: at least one is needed to deploy")
            }
            Self::InvalidFrontend {
                protocol,
                frontend_id,
                display_name,
            } => {
                write!(f, "{protocol} frontend {frontend_id}")?;
                if let Some(name) = display_name.as_deref().filter(|n| !n.is_empty()) {
                    write!(f, " ({name:?})")?;
                }
                f.write_str(
                    " is invalid: it has no route, no redirect_location and no default_farm_id",
                )
            }
        }
    }
}

/// Every violated deploy condition of `lb`, farms first, in a stable order; empty when it can be deployed.
pub fn problems(lb: &LbSnapshot) -> Vec<DeployProblem> {
    let mut found = Vec::new();
    for farm in &lb.farms {
        let (protocol, farm_id) = (farm.protocol, farm.farm_id);
        match (&lb.vrack_name, farm.vrack_network_id) {
            (Some(vrack_name), None) => {
                found.push(DeployProblem::FarmOutsideVrack {
                    protocol,
                    farm_id,
                    vrack_name: vrack_name.clone(),
                });
            }
            (Some(_), Some(network)) if !lb.vrack_networks.contains(&network) => {
                found.push(DeployProblem::FarmUnknownVrackNetwork {
                    protocol,
                    farm_id,
                    network,
                });
            }
            (None, Some(network)) => {
                found.push(DeployProblem::FarmInVrackWithoutLbVrack {
                    protocol,
                    farm_id,
                    network,
                });
            }
            _ => {}
        }
    }
    if lb.frontends.is_empty() {
        found.push(DeployProblem::NoFrontend);
    }
    found.extend(lb.frontends.iter().filter(|f| !f.is_valid()).map(|f| {
        DeployProblem::InvalidFrontend {
            protocol: f.protocol,
            frontend_id: f.frontend_id,
            display_name: f.display_name.clone(),
        }
    }));
    found
}

/// Reads what [`problems`] needs of `service_name`: the LB, its farms and frontends of every protocol, and, for
/// frontends with neither default farm nor redirection, whether a route points at them. Objects deleted while
/// being read are skipped.
///
/// Which frontends exist always comes from OVH's lists. Of the listed frontends, those this provider process wrote
/// and still trusts (`written`, see `frontend/written.rs`) are taken as it wrote them, without a GET, when they
/// pass the conditions as written and their default farm is still listed; every other one is read from OVH, which
/// therefore names any frontend that fails (a trusted one that looks invalid is read again rather than reported).
/// Farms and routes, which this provider does not write, are always read.
///
/// Independent calls run concurrently, so that the check costs two round trips (three when a frontend needs its
/// routes looked up) plus the object reads (at [`CONCURRENT_READS`] a time per kind) rather than one round trip
/// per call: with OVH's latency the sequential version made the check the longest step of a deploy (BENCHMARKS.md
/// "Latency"). The farms that trusted frontends name are read together with the lists, before the lists say
/// which farms exist (a farm deleted meanwhile answers 404 and is dropped, one no longer listed is ignored): when
/// every farm is named by a frontend this process wrote, as in a configuration that creates its frontends, the
/// check is one round trip.
pub async fn snapshot(
    client: &Client,
    service_name: &str,
    written: &WrittenFrontends,
) -> Result<LbSnapshot, Error> {
    let [first, second, third] = Protocol::ALL;
    let (lb, first, second, third, early_farms) = tokio::try_join!(
        client.get_load_balancer(service_name),
        list_ids(client, service_name, first),
        list_ids(client, service_name, second),
        list_ids(client, service_name, third),
        read_farms(client, service_name, written.default_farms(service_name)),
    )?;
    let vrack_name = lb.vrack_name.filter(|name| !name.is_empty());
    let (mut farm_ids, mut frontend_ids) = (Vec::new(), Vec::new());
    for (farms, frontends) in [first, second, third] {
        farm_ids.extend(farms);
        frontend_ids.extend(frontends);
    }
    let trusted = trusted_frontends(written, service_name, &frontend_ids, &farm_ids);
    let unknown: Vec<(Protocol, i64)> = frontend_ids
        .iter()
        .filter(|key| !trusted.contains_key(key))
        .copied()
        .collect();

    let vrack_networks = async {
        match &vrack_name {
            Some(_) => client.list_vrack_networks(service_name).await,
            None => Ok(Vec::new()),
        }
    };
    let early_farms = by_key(early_farms, |facts| (facts.protocol, facts.farm_id));
    let unread_farms = farm_ids
        .iter()
        .filter(|key| !early_farms.contains_key(key))
        .copied()
        .collect();
    let farms = read_farms(client, service_name, unread_farms);
    let frontends = read_all(
        client,
        service_name,
        unknown,
        |client, sn, (protocol, frontend_id)| async move {
            let frontend = client.get_frontend(&sn, protocol, frontend_id).await?;
            let mut facts = FrontendFacts::of(protocol, frontend_id, frontend);
            // Only a frontend with no other target needs its routes looked up.
            if !facts.is_valid() {
                facts.has_route = !client
                    .list_routes(&sn, protocol, Some(frontend_id))
                    .await?
                    .is_empty();
            }
            Ok(facts)
        },
    );
    let (vrack_networks, farms, read) = tokio::try_join!(vrack_networks, farms, frontends)?;
    // In the listed order, whichever way each was learnt.
    let read = by_key(read, |facts| (facts.protocol, facts.frontend_id));
    let frontends = in_listed_order(&frontend_ids, trusted, read);
    let farms = by_key(farms, |facts| (facts.protocol, facts.farm_id));
    let farms = in_listed_order(&farm_ids, early_farms, farms);

    Ok(LbSnapshot {
        service_name: service_name.to_owned(),
        vrack_name,
        vrack_networks,
        farms,
        frontends,
    })
}

/// Facts by their `(protocol, id)`, so that [`in_listed_order`] can pick them.
fn by_key<T>(facts: Vec<T>, key: impl Fn(&T) -> (Protocol, i64)) -> HashMap<(Protocol, i64), T> {
    facts
        .into_iter()
        .map(|facts| (key(&facts), facts))
        .collect()
}

/// The facts of the listed `ids`, in the listed order, each from `first` or else from `then` (learnt two ways:
/// trusted or read early, and read now); an id in neither (deleted meanwhile) is left out.
fn in_listed_order<T>(
    ids: &[(Protocol, i64)],
    mut first: HashMap<(Protocol, i64), T>,
    mut then: HashMap<(Protocol, i64), T>,
) -> Vec<T> {
    ids.iter()
        .filter_map(|key| first.remove(key).or_else(|| then.remove(key)))
        .collect()
}

/// The facts of the listed `frontend_ids` that can be taken from what this process wrote: trusted objects that
/// are valid as written and whose default farm, if any, is among the listed `farm_ids`.
fn trusted_frontends(
    written: &WrittenFrontends,
    service_name: &str,
    frontend_ids: &[(Protocol, i64)],
    farm_ids: &[(Protocol, i64)],
) -> HashMap<(Protocol, i64), FrontendFacts> {
    let mut found = HashMap::new();
    for protocol in Protocol::ALL {
        let ids = frontend_ids
            .iter()
            .filter(|(p, _)| *p == protocol)
            .map(|(_, id)| *id);
        for (id, object) in written.trusted(service_name, protocol, ids) {
            let facts = FrontendFacts::of(protocol, id, object);
            let farm_listed = facts
                .default_farm_id
                .is_none_or(|farm| farm_ids.contains(&(protocol, farm)));
            if facts.is_valid() && farm_listed {
                found.insert((protocol, id), facts);
            }
        }
    }
    found
}

/// What the check needs of the farms `keys` of `service_name` (a farm deleted since it was named is dropped).
async fn read_farms(
    client: &Client,
    service_name: &str,
    keys: Vec<(Protocol, i64)>,
) -> Result<Vec<FarmFacts>, Error> {
    read_all(
        client,
        service_name,
        keys,
        |client, sn, (protocol, farm_id)| async move {
            let farm = client.get_farm(&sn, protocol, farm_id).await?;
            Ok(FarmFacts {
                protocol,
                farm_id,
                vrack_network_id: farm.vrack_network_id,
            })
        },
    )
    .await
}

/// The farm and frontend ids of `protocol` on `service_name`, each tagged with the protocol.
async fn list_ids(
    client: &Client,
    service_name: &str,
    protocol: Protocol,
) -> Result<(Vec<(Protocol, i64)>, Vec<(Protocol, i64)>), Error> {
    let all = FrontendFilter::default();
    let (farms, frontends) = tokio::try_join!(
        client.list_farms(service_name, protocol, None),
        client.list_frontends(service_name, protocol, &all),
    )?;
    let tag = |ids: Vec<i64>| ids.into_iter().map(|id| (protocol, id)).collect();
    Ok((tag(farms), tag(frontends)))
}

/// Runs `read` for every key, [`CONCURRENT_READS`] at a time; results come back in key order. A 404 (the object
/// was deleted since it was listed) drops that key; any other error stops everything.
pub(crate) async fn read_all<K, T, F, Fut>(
    client: &Client,
    service_name: &str,
    keys: Vec<K>,
    read: F,
) -> Result<Vec<T>, Error>
where
    K: Send + 'static,
    T: Send + 'static,
    F: Fn(Client, String, K) -> Fut,
    Fut: Future<Output = Result<T, Error>> + Send + 'static,
{
    let total = keys.len();
    let mut results: Vec<Option<T>> = std::iter::repeat_with(|| None).take(total).collect();
    let mut pending = keys.into_iter().enumerate();
    let mut running = JoinSet::new();
    loop {
        while running.len() < CONCURRENT_READS {
            let Some((index, key)) = pending.next() else {
                break;
            };
            let future = read(client.clone(), service_name.to_owned(), key);
            running.spawn(async move { (index, future.await) });
        }
        let Some(joined) = running.join_next().await else {
            break;
        };
        let (index, outcome) = joined.map_err(|e| Error::Internal {
            what: format!("reading the configuration of {service_name}"),
            message: format!("a read task stopped unexpectedly: {e}"),
        })?;
        match outcome {
            Ok(value) => results[index] = Some(value),
            Err(e) if e.is_not_found() => {}
            Err(e) => return Err(e),
        }
    }
    Ok(results.into_iter().flatten().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frontend(protocol: Protocol, id: i64) -> FrontendFacts {
        FrontendFacts {
            protocol,
            frontend_id: id,
            display_name: None,
            default_farm_id: None,
            redirect_location: None,
            has_route: false,
        }
    }

    fn farm(id: i64, network: Option<i64>) -> FarmFacts {
        FarmFacts {
            protocol: Protocol::Http,
            farm_id: id,
            vrack_network_id: network,
        }
    }

    fn lb(farms: Vec<FarmFacts>, frontends: Vec<FrontendFacts>) -> LbSnapshot {
        LbSnapshot {
            service_name: "loadbalancer-1".into(),
            farms,
            frontends,
            ..Default::default()
        }
    }

    #[test]
    fn a_frontend_is_valid_with_a_route_a_redirection_or_a_default_farm() {
        let routed = FrontendFacts {
            has_route: true,
            ..frontend(Protocol::Tcp, 1)
        };
        let redirecting = FrontendFacts {
            redirect_location: Some("https://x/".into()),
            ..frontend(Protocol::Http, 2)
        };
        let farmed = FrontendFacts {
            default_farm_id: Some(11),
            ..frontend(Protocol::Udp, 3)
        };
        assert_eq!(
            problems(&lb(vec![farm(11, None)], vec![routed, redirecting, farmed])),
            vec![]
        );
    }

    #[test]
    fn invalid_frontends_are_named() {
        let blank_redirect = FrontendFacts {
            redirect_location: Some(" ".into()),
            display_name: Some("web".into()),
            ..frontend(Protocol::Http, 7)
        };
        let found = problems(&lb(
            vec![],
            vec![blank_redirect, frontend(Protocol::Udp, 8)],
        ));
        assert_eq!(found.len(), 2);
        assert_eq!(
            found[0].to_string(),
            "http frontend 7 (\"web\") is invalid: it has no route, no redirect_location and no default_farm_id"
        );
        assert!(
            found[1]
                .to_string()
                .starts_with("udp frontend 8 is invalid"),
            "{}",
            found[1]
        );
    }

    #[test]
    fn no_frontend_at_all() {
        let found = problems(&lb(vec![farm(11, None)], vec![]));
        assert_eq!(found, vec![DeployProblem::NoFrontend]);
        assert!(found[0].to_string().contains("no frontend"));
    }

    #[test]
    fn farms_and_the_vrack() {
        let frontends = vec![FrontendFacts {
            has_route: true,
            ..frontend(Protocol::Http, 1)
        }];
        // Outside a vRack, no farm may be in one.
        let found = problems(&lb(
            vec![farm(11, None), farm(12, Some(7))],
            frontends.clone(),
        ));
        assert_eq!(
            found,
            vec![DeployProblem::FarmInVrackWithoutLbVrack {
                protocol: Protocol::Http,
                farm_id: 12,
                network: 7
            }]
        );
        assert!(
            found[0]
                .to_string()
                .contains("farm 12 is inside vRack network 7"),
            "{}",
            found[0]
        );

        // In a vRack, every farm must be in one of the LB's networks.
        let mut in_vrack = lb(
            vec![farm(11, None), farm(12, Some(7)), farm(13, Some(9))],
            frontends,
        );
        in_vrack.vrack_name = Some("pn-123".into());
        in_vrack.vrack_networks = vec![7];
        let found = problems(&in_vrack);
        assert_eq!(
            found,
            vec![
                DeployProblem::FarmOutsideVrack {
                    protocol: Protocol::Http,
                    farm_id: 11,
                    vrack_name: "pn-123".into()
                },
                DeployProblem::FarmUnknownVrackNetwork {
                    protocol: Protocol::Http,
                    farm_id: 13,
                    network: 9
                },
            ]
        );
        assert!(
            found[0]
                .to_string()
                .contains("farm 11 is outside the vRack"),
            "{}",
            found[0]
        );
    }
}
