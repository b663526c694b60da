//! Every resource and data source the provider serves, held against its models: the schema Terraform gets and the
//! structs the code reads and writes must name the same attributes with the same types, and the models' values
//! must go through the codec unchanged. A type without an entry here fails the test, so a new one gets checked.

use std::collections::BTreeSet;

use ovh_client::Protocol;

use super::deploy_on_destroy::{DeployOnDestroy, DeployOnDestroyState};
use super::failover_ip_attachment::{self, AttachmentState, FailoverIpAttachment};
use super::failover_ips::{FailoverIps, FailoverIpsData};
use super::frontend::FrontendResource;
use super::load_balancer::{LoadBalancerFacts, LoadBalancerSource};
use super::refresh::{Refresh, RefreshState};
use crate::provider::registry;
use tfplugin5_runtime::framework::model::Coverage::{All, Subset};
use tfplugin5_runtime::framework::model::{Model, mismatches};
use tfplugin5_runtime::framework::{DataSource, Resource};

/// The disagreements of a resource that deploys: its state model, and the target it deploys.
fn deploying<M: Model + PartialEq + std::fmt::Debug>(
    resource: &dyn Resource<super::ProviderData>,
) -> (&'static str, Vec<String>) {
    let block = resource.schema().block;
    let found = [
        mismatches::<M>(&block, All),
        mismatches::<super::deploy::DeployTarget>(&block, Subset),
    ];
    (resource.type_name(), found.concat())
}

/// The disagreements of each type, by type name.
fn checked() -> Vec<(&'static str, Vec<String>)> {
    let mut checked: Vec<(&'static str, Vec<String>)> = Protocol::ALL
        .into_iter()
        .map(|protocol| {
            let resource = FrontendResource::new(protocol);
            (resource.type_name(), resource.model_mismatches())
        })
        .collect();
    let attachment = FailoverIpAttachment.schema().block;
    checked.push((
        FailoverIpAttachment.type_name(),
        [
            mismatches::<AttachmentState>(&attachment, All),
            mismatches::<failover_ip_attachment::IpRoute>(&attachment, Subset),
        ]
        .concat(),
    ));
    checked.push(deploying::<RefreshState>(&Refresh));
    checked.push(deploying::<DeployOnDestroyState>(&DeployOnDestroy));
    checked.push((
        FailoverIps.type_name(),
        mismatches::<FailoverIpsData>(&FailoverIps.schema().block, All),
    ));
    checked.push((
        LoadBalancerSource.type_name(),
        mismatches::<LoadBalancerFacts>(&LoadBalancerSource.schema().block, All),
    ));
    checked
}

#[test]
fn every_schema_agrees_with_its_models() {
    let checked = checked();
    for (type_name, found) in &checked {
        assert!(found.is_empty(), "{type_name}: {found:#?}");
    }
    let served: BTreeSet<&str> = registry::resources()
        .iter()
        .map(|r| r.type_name())
        .chain(registry::data_sources().iter().map(|d| d.type_name()))
        .collect();
    let covered: BTreeSet<&str> = checked.iter().map(|(type_name, _)| *type_name).collect();
    assert_eq!(
        served, covered,
        "every type served has its models checked here"
    );
}
