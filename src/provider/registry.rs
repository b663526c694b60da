//! The resource, data source, list resource and action types this provider serves. Adding one is a line in its
//! list here, and its module in the `use` below.

use std::sync::Arc;

use ovh_client::Protocol;
use tfplugin5_runtime::framework::{Action, DataSource, ListResource, Resource};

use crate::resources::{
    ProviderData, deploy_action, deploy_on_destroy, failover_ip_attachment, failover_ips, frontend,
    load_balancer, refresh,
};

/// Managed resource types.
pub fn resources() -> Vec<Arc<dyn Resource<ProviderData>>> {
    let frontends = Protocol::ALL.map(|protocol| {
        Arc::new(frontend::FrontendResource::new(protocol)) as Arc<dyn Resource<ProviderData>>
    });
    let others: Vec<Arc<dyn Resource<ProviderData>>> = vec![
        Arc::new(refresh::Refresh),
        Arc::new(deploy_on_destroy::DeployOnDestroy),
        Arc::new(failover_ip_attachment::FailoverIpAttachment),
    ];
    frontends.into_iter().chain(others).collect()
}

/// Data source types.
pub fn data_sources() -> Vec<Arc<dyn DataSource<ProviderData>>> {
    vec![
        Arc::new(failover_ips::FailoverIps),
        Arc::new(load_balancer::LoadBalancerSource),
    ]
}

/// List resource types (`terraform query`), one per managed resource type with an identity that users adopt in
/// bulk.
pub fn list_resources() -> Vec<Arc<dyn ListResource<ProviderData>>> {
    let frontends = Protocol::ALL.map(|protocol| {
        Arc::new(frontend::FrontendList::new(protocol)) as Arc<dyn ListResource<ProviderData>>
    });
    frontends
        .into_iter()
        .chain([Arc::new(failover_ip_attachment::AttachmentList) as Arc<dyn ListResource<_>>])
        .collect()
}

/// Action types (Terraform >= 1.14).
pub fn actions() -> Vec<Arc<dyn Action<ProviderData>>> {
    vec![Arc::new(deploy_action::DeployAction)]
}
