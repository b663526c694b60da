//! The resources and data sources of the provider, one module each, plus [`common`], the helpers they share (IP
//! blocks, composite ids, API call diagnostics, attribute values, the zone cache), [`recovery`], the one path
//! for POSTs whose answer is lost and for task waits, and [`ProviderData`], what every operation gets once the
//! provider is configured: the API client and the per-process state the resources keep (caches, locks, ledgers).

use std::fmt;

pub mod common;
pub mod deploy;
pub mod deploy_action;
pub mod deploy_check;
pub mod deploy_on_destroy;
pub mod failover_ip_attachment;
pub mod failover_ips;
pub mod frontend;
pub mod load_balancer;
pub mod recovery;
pub mod refresh;

#[cfg(test)]
mod model_checks;

/// What every resource operation gets once the provider is configured.
pub struct ProviderData {
    pub client: ovh_client::Client,
    /// Zones of each load balancer, fetched once per provider process (plan-time zone checks).
    pub zones: common::ZoneCache,
    /// One lock per load balancer, so that refreshes of one LB never overlap within this process.
    pub refresh_locks: deploy::RefreshLocks,
    /// What this process deleted on each LB, for the warning of a deploy on destroy that OVH refused.
    pub deletions: deploy::Deletions,
    /// Per LB and protocol, the frontends this process must never adopt after a lost create answer.
    pub frontends: frontend::FrontendLedgers,
    /// The frontends this process wrote, as it wrote them: what the deploy check need not read back.
    pub written_frontends: frontend::WrittenFrontends,
}

impl ProviderData {
    /// The data of a provider process that has just been configured with `client`.
    pub fn new(client: ovh_client::Client) -> Self {
        Self {
            client,
            zones: Default::default(),
            refresh_locks: Default::default(),
            deletions: Default::default(),
            frontends: Default::default(),
            written_frontends: Default::default(),
        }
    }
}

impl fmt::Debug for ProviderData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The client holds credentials; show only where it points.
        f.debug_struct("ProviderData")
            .field("endpoint", &self.client.base_url())
            .finish_non_exhaustive()
    }
}
