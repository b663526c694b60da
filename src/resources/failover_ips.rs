//! Data source `ovhiplb_failover_ips`: the failover IPs and blocks routed to an IP Load Balancer, as
//! `GET /ipLoadbalancing/{sn}/failover` lists them (CIDR form, unordered, hence a set).

use async_trait::async_trait;

use super::common::{call, get_string, service_name_validator};
use crate::resources::ProviderData;
use tfplugin5_runtime::diag::Diagnostics;
use tfplugin5_runtime::framework::{Ctx, DataSource};
use tfplugin5_runtime::schema::{Attribute, Block, Schema};
use tfplugin5_runtime::value::{Type, Value};

/// The `ovhiplb_failover_ips` data source type.
#[derive(Clone, Copy, Debug, Default)]
pub struct FailoverIps;

#[async_trait]
impl DataSource<ProviderData> for FailoverIps {
    fn type_name(&self) -> &'static str {
        "ovhiplb_failover_ips"
    }

    fn schema(&self) -> Schema {
        Schema::new(
            Block::new()
                .description("The failover IPs and IP blocks routed to an IP Load Balancer.")
                .attr(Attribute::string("id").computed().description("The load balancer's service name."))
                .attr(
                    Attribute::string("service_name")
                        .required()
                        .validate(service_name_validator())
                        .markdown("Service name of the IP Load Balancer, e.g. `loadbalancer-0123abcd`."),
                )
                .attr(Attribute::new("ips", Type::set(Type::String)).computed().markdown(
                    "The failover IPs and blocks routed to the load balancer, in CIDR form (`203.0.113.7/32`).",
                )),
        )
    }

    async fn read(
        &self,
        ctx: &Ctx<&ProviderData>,
        config: &Value,
        diags: &mut Diagnostics,
    ) -> Option<Value> {
        let service_name = get_string(config, "service_name")?;
        match call(ctx, ctx.data.client.list_failover_ips(&service_name)).await {
            Ok(ips) => Some(Value::object([
                ("id", Value::from(service_name.as_str())),
                ("ips", Value::set(ips)),
            ])),
            Err(e) => {
                e.report(
                    diags,
                    format!("Cannot list the failover IPs of {service_name}"),
                );
                None
            }
        }
    }
}
