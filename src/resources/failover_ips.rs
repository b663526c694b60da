//! Data source `ovhiplb_failover_ips`: the failover IPs and blocks routed to an IP Load Balancer, as
//! `GET /ipLoadbalancing/{sn}/failover` lists them (CIDR form, unordered, hence a set).

use std::collections::BTreeSet;

use async_trait::async_trait;

use super::common::{call, get_string};
use crate::resources::ProviderData;
use tfplugin5_runtime::diag::Diagnostics;
use tfplugin5_runtime::framework::model::{Model, attr_name, model};
use tfplugin5_runtime::framework::{Ctx, DataSource};
use tfplugin5_runtime::schema::Schema;
use tfplugin5_runtime::value::Value;

/// The `ovhiplb_failover_ips` data source type.
#[derive(Clone, Copy, Debug, Default)]
pub struct FailoverIps;

model! {
    /// What the data source reads.
    pub(crate) struct FailoverIpsData {
        id: String => |a| a.computed().description("The load balancer's service name."),
        service_name: String => |a| super::common::lb_argument(a, ""),
        ips: BTreeSet<String> => |a| a.computed().markdown(
            "The failover IPs and blocks routed to the load balancer, in CIDR form (`203.0.113.7/32`).",
        ),
    }
}

#[async_trait]
impl DataSource<ProviderData> for FailoverIps {
    fn type_name(&self) -> &'static str {
        "ovhiplb_failover_ips"
    }

    fn schema(&self) -> Schema {
        Schema::new(
            FailoverIpsData::block()
                .description("The failover IPs and IP blocks routed to an IP Load Balancer."),
        )
    }

    async fn read(
        &self,
        ctx: &Ctx<&ProviderData>,
        config: &Value,
        diags: &mut Diagnostics,
    ) -> Option<Value> {
        let service_name = get_string(config, attr_name!(FailoverIpsData, service_name))?;
        match call(ctx, ctx.data.client.list_failover_ips(&service_name)).await {
            Ok(ips) => Some(
                FailoverIpsData {
                    id: service_name.clone(),
                    service_name,
                    ips: ips.into_iter().collect(),
                }
                .to_value(),
            ),
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
