//! Data source `ovhiplb_load_balancer`: the facts of an IP Load Balancer (`GET /ipLoadbalancing/{sn}`): its
//! addresses, zones, state, offer, vRack and display name.

use std::collections::BTreeSet;

use async_trait::async_trait;
use ovh_client::LoadBalancer;

use super::common::{call, get_string};
use crate::resources::ProviderData;
use tfplugin5_runtime::diag::Diagnostics;
use tfplugin5_runtime::framework::model::{Model, attr_name, model};
use tfplugin5_runtime::framework::{Ctx, DataSource};
use tfplugin5_runtime::schema::Schema;
use tfplugin5_runtime::value::Value;

/// The `ovhiplb_load_balancer` data source type.
#[derive(Clone, Copy, Debug, Default)]
pub struct LoadBalancerSource;

model! {
    /// What the data source reads.
    pub(crate) struct LoadBalancerFacts {
        id: String => |a| a.computed().description("The load balancer's service name."),
        service_name: String => |a| super::common::lb_argument(a, ""),
        zones: BTreeSet<String> => |a| a
            .computed()
            .markdown("The zones the load balancer runs in, e.g. `gra`, `rbx`."),
        ipv4: Option<String> => |a| a.computed().markdown("The load balancer's IPv4 address."),
        ipv6: Option<String> => |a| a.computed().markdown("The load balancer's IPv6 address, if it has one."),
        state: Option<String> => |a| a.computed().markdown("The service state, e.g. `ok`."),
        offer: Option<String> => |a| a.computed().markdown("The commercial offer, e.g. `iplb-lb1`."),
        vrack_name: Option<String> => |a| a
            .computed()
            .markdown("The vRack the load balancer is attached to; null when it is in none."),
        display_name: Option<String> => |a| a
            .computed()
            .markdown("The name shown in the Control Panel; null when none is set."),
    }
}

#[async_trait]
impl DataSource<ProviderData> for LoadBalancerSource {
    fn type_name(&self) -> &'static str {
        "ovhiplb_load_balancer"
    }

    fn schema(&self) -> Schema {
        Schema::new(LoadBalancerFacts::block().description(
            "The facts of an IP Load Balancer: addresses, zones, state, offer, vRack and display name.",
        ))
    }

    async fn read(
        &self,
        ctx: &Ctx<&ProviderData>,
        config: &Value,
        diags: &mut Diagnostics,
    ) -> Option<Value> {
        let service_name = get_string(config, attr_name!(LoadBalancerFacts, service_name))?;
        match call(ctx, ctx.data.client.get_load_balancer(&service_name)).await {
            Ok(lb) => Some(facts(&service_name, &lb)),
            Err(e) => {
                e.report(
                    diags,
                    format!("Cannot read the IP Load Balancer {service_name}"),
                );
                None
            }
        }
    }
}

/// The data source's value for `lb`.
fn facts(service_name: &str, lb: &LoadBalancer) -> Value {
    LoadBalancerFacts {
        id: service_name.to_owned(),
        service_name: service_name.to_owned(),
        zones: lb.zone.iter().cloned().collect(),
        ipv4: lb.ipv4.clone(),
        ipv6: lb.ipv6.clone(),
        state: lb.state.clone(),
        offer: lb.offer.clone(),
        vrack_name: lb.vrack_name.clone(),
        display_name: lb.display_name.clone(),
    }
    .to_value()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn facts_map_the_api_object() {
        let lb: LoadBalancer = serde_json::from_value(serde_json::json!({
            "serviceName": "loadbalancer-1", "ipv4": "198.51.100.10", "ipv6": null, "zone": ["rbx", "gra"],
            "offer": "iplb-lb1", "state": "ok", "vrackName": null, "displayName": "web"
        }))
        .unwrap();
        let value = facts("loadbalancer-1", &lb);
        assert_eq!(value.get("zones"), &Value::set(["gra", "rbx"]));
        assert_eq!(value.get("ipv4").as_str(), Some("198.51.100.10"));
        assert_eq!(value.get("display_name").as_str(), Some("web"));
        assert!(value.get("ipv6").is_null() && value.get("vrack_name").is_null());
        // Every schema attribute but the configured one is set, so the result is wholly known.
        let schema = LoadBalancerSource.schema();
        for attribute in schema
            .block
            .attributes
            .iter()
            .filter(|a| a.name != "service_name")
        {
            assert!(
                value.as_entries().unwrap().contains_key(&attribute.name),
                "{}",
                attribute.name
            );
        }
    }
}
