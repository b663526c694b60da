//! The list resource of `ovhiplb_failover_ip_attachment` (`terraform query`): the failover IPs and blocks routed to
//! a load balancer, each as the attachment state a read gives, named `203.0.113.7/32 → loadbalancer-0123abcd`.

use async_trait::async_trait;
use tfplugin5_runtime::framework::model::{Model, attr_name, model};
use tfplugin5_runtime::framework::{Ctx, ListResource, ListResults};
use tfplugin5_runtime::schema::Schema;
use tfplugin5_runtime::value::{AttrPath, Value};

use super::{IpRoute, TYPE_NAME};
use crate::resources::ProviderData;
use crate::resources::common::{call, lb_argument, list_config};

model! {
    /// The `config` block of an attachment `list` block.
    pub(crate) struct AttachmentListConfig {
        service_name: String => |a| lb_argument(a, ""),
    }
}

/// The `ovhiplb_failover_ip_attachment` list resource type.
#[derive(Clone, Copy, Debug, Default)]
pub struct AttachmentList;

#[async_trait]
impl ListResource<ProviderData> for AttachmentList {
    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn schema(&self) -> Schema {
        Schema::new(
            AttachmentListConfig::block()
                .markdown("Lists the failover IPs and blocks routed to a load balancer."),
        )
    }

    async fn list(&self, ctx: &Ctx<&ProviderData>, config: &Value, results: &mut ListResults) {
        let service_name_path = AttrPath::attr(attr_name!(AttachmentListConfig, service_name));
        let Some(AttachmentListConfig { service_name }) = list_config(config, results).await else {
            return;
        };
        let mut ips = match call(ctx, ctx.data.client.list_failover_ips(&service_name)).await {
            Ok(ips) => ips,
            Err(e) => {
                let doing = format!("list the failover IPs of {service_name}");
                let error = e.lb_diagnostic(&service_name, &doing);
                results.diagnostic(error.at(service_name_path)).await;
                return;
            }
        };
        ips.sort_unstable();
        for ip in ips {
            let name = format!("{ip} → {service_name}");
            let target = IpRoute {
                service_name: service_name.clone(),
                ip,
            };
            if !results.push(name, target.state()).await {
                return;
            }
        }
    }
}
