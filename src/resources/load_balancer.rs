//! Data source `ovhiplb_load_balancer`: the facts of an IP Load Balancer (`GET /ipLoadbalancing/{sn}`): its
//! addresses, zones, state, offer, vRack and display name.

use async_trait::async_trait;
use ovh_client::LoadBalancer;

use super::common::{call, get_string, service_name_validator};
use crate::resources::ProviderData;
use tfplugin5_runtime::diag::Diagnostics;
use tfplugin5_runtime::framework::{Ctx, DataSource};
use tfplugin5_runtime::schema::{Attribute, Block, Schema};
use tfplugin5_runtime::value::{Type, Value};

/// The `ovhiplb_load_balancer` data source type.
#[derive(Clone, Copy, Debug, Default)]
pub struct LoadBalancerSource;

/// Reads one optional string fact of a load balancer.
type FactReader = fn(&LoadBalancer) -> Option<&String>;

/// The optional string facts: attribute name, description, and how to read it.
const OPTIONAL_FACTS: &[(&str, &str, FactReader)] = &[
    ("ipv4", "The load balancer's IPv4 address.", |lb| {
        lb.ipv4.as_ref()
    }),
    (
        "ipv6",
        "The load balancer's IPv6 address, if it has one.",
        |lb| lb.ipv6.as_ref(),
    ),
    ("state", "The service state, e.g. `ok`.", |lb| {
        lb.state.as_ref()
    }),
    ("offer", "The commercial offer, e.g. `iplb-lb1`.", |lb| {
        lb.offer.as_ref()
    }),
    (
        "vrack_name",
        "The vRack the load balancer is attached to; null when it is in none.",
        |lb| lb.vrack_name.as_ref(),
    ),
    (
        "display_name",
        "The name shown in the Control Panel; null when none is set.",
        |lb| lb.display_name.as_ref(),
    ),
];

#[async_trait]
impl DataSource<ProviderData> for LoadBalancerSource {
    fn type_name(&self) -> &'static str {
        "ovhiplb_load_balancer"
    }

    fn schema(&self) -> Schema {
        let mut block = Block::new()
            .description("The facts of an IP Load Balancer: addresses, zones, state, offer, vRack and display name.")
            .attr(Attribute::string("id").computed().description("The load balancer's service name."))
            .attr(
                Attribute::string("service_name")
                    .required()
                    .validate(service_name_validator())
                    .markdown("Service name of the IP Load Balancer, e.g. `loadbalancer-0123abcd`."),
            )
            .attr(
                Attribute::new("zones", Type::set(Type::String))
                    .computed()
                    .markdown("The zones the load balancer runs in, e.g. `gra`, `rbx`."),
            );
        for (name, description, _) in OPTIONAL_FACTS {
            block = block.attr(Attribute::string(*name).computed().markdown(*description));
        }
        Schema::new(block)
    }

    async fn read(
        &self,
        ctx: &Ctx<&ProviderData>,
        config: &Value,
        diags: &mut Diagnostics,
    ) -> Option<Value> {
        let service_name = get_string(config, "service_name")?;
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
    let mut value = Value::object([
        ("id", Value::from(service_name)),
        ("zones", Value::set(&lb.zone)),
    ]);
    for (name, _, read) in OPTIONAL_FACTS {
        value.set_attr(*name, read(lb).map_or(Value::Null, Value::from));
    }
    value
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
