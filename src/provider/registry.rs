//! The resource and data source types this provider serves. Adding one is one line here.

use std::sync::Arc;

use crate::resources::ProviderData;
use tfplugin5_runtime::framework::{Action, DataSource, ListResource, Resource};

/// Managed resource types.
pub fn resources() -> Vec<Arc<dyn Resource<ProviderData>>> {
    vec![
        Arc::new(crate::resources::frontend::FrontendResource::new(
            ovh_client::Protocol::Http,
        )),
        Arc::new(crate::resources::frontend::FrontendResource::new(
            ovh_client::Protocol::Tcp,
        )),
        Arc::new(crate::resources::frontend::FrontendResource::new(
            ovh_client::Protocol::Udp,
        )),
        Arc::new(crate::resources::refresh::Refresh),
        Arc::new(crate::resources::deploy_on_destroy::DeployOnDestroy),
        Arc::new(crate::resources::failover_ip_attachment::FailoverIpAttachment),
    ]
}

/// Data source types.
pub fn data_sources() -> Vec<Arc<dyn DataSource<ProviderData>>> {
    vec![
        Arc::new(crate::resources::failover_ips::FailoverIps),
        Arc::new(crate::resources::load_balancer::LoadBalancerSource),
    ]
}

/// List resource types (`terraform query`), one per managed resource type with an identity that users adopt in
/// bulk.
pub fn list_resources() -> Vec<Arc<dyn ListResource<ProviderData>>> {
    vec![
        Arc::new(crate::resources::frontend::FrontendList::new(
            ovh_client::Protocol::Http,
        )),
        Arc::new(crate::resources::frontend::FrontendList::new(
            ovh_client::Protocol::Tcp,
        )),
        Arc::new(crate::resources::frontend::FrontendList::new(
            ovh_client::Protocol::Udp,
        )),
        Arc::new(crate::resources::failover_ip_attachment::AttachmentList),
    ]
}

/// Action types (Terraform >= 1.14).
pub fn actions() -> Vec<Arc<dyn Action<ProviderData>>> {
    vec![Arc::new(crate::resources::deploy_action::DeployAction)]
}
