//! The list resources of the three frontend types (`terraform query`): the frontends of one protocol on a load
//! balancer, narrowed by zone, port and display name, each as the state a read gives and a name such as
//! `http 443 web (gra) #12`. With `terraform query -generate-config-out` they become `import` and resource blocks.

use async_trait::async_trait;
use ovh_client::{FrontendFilter, Protocol};
use tfplugin5_runtime::diag::Diagnostics;
use tfplugin5_runtime::framework::model::{Model, attr_name, model};
use tfplugin5_runtime::framework::{Ctx, ListResource, ListResults};
use tfplugin5_runtime::schema::Schema;
use tfplugin5_runtime::value::{AttrPath, Value};

use super::{FIELDS, FrontendResource};
use crate::resources::ProviderData;
use crate::resources::common::{call, lb_argument, list_config};
use crate::resources::deploy_check::read_all;

model! {
    /// The `config` block of a frontend `list` block.
    pub(crate) struct FrontendListConfig {
        service_name: String => |a| lb_argument(a, ""),
        zone: Option<String> => |a| a
            .optional()
            .markdown("Only frontends of this zone (e.g. `gra`, or `all`)."),
        port: Option<String> => |a| a
            .optional()
            .markdown("Only frontends whose `port` is exactly this, e.g. `443` or `8000-8010`."),
        display_name: Option<String> => |a| a
            .optional()
            .markdown("Only frontends with exactly this display name."),
    }
}

fn service_name_path() -> AttrPath {
    AttrPath::attr(attr_name!(FrontendListConfig, service_name))
}

/// The list resource of one frontend type.
#[derive(Clone, Copy, Debug)]
pub struct FrontendList {
    resource: FrontendResource,
}

impl FrontendList {
    /// The list resource of `protocol`'s frontends (`ovhiplb_<protocol>_frontend`).
    pub const fn new(protocol: Protocol) -> Self {
        Self {
            resource: FrontendResource::new(protocol),
        }
    }
}

/// How a person recognises a frontend: `http 443 web (gra) #12`.
pub(super) fn display_name(protocol: Protocol, frontend_id: i64, state: &Value) -> String {
    let text = |name: &str| state.get(name).as_str().unwrap_or_default().to_owned();
    let mut words = vec![protocol.to_string(), text(FIELDS.port.name)];
    let name = text(FIELDS.display_name.name);
    if !name.is_empty() {
        words.push(name);
    }
    format!(
        "{} ({}) #{frontend_id}",
        words.join(" "),
        text(FIELDS.zone.name)
    )
}

#[async_trait]
impl ListResource<ProviderData> for FrontendList {
    fn type_name(&self) -> &'static str {
        use tfplugin5_runtime::framework::Resource as _;
        self.resource.type_name()
    }

    fn schema(&self) -> Schema {
        Schema::new(FrontendListConfig::block().markdown(format!(
            "Lists the {} frontends of a load balancer.",
            self.resource.label()
        )))
    }

    async fn list(&self, ctx: &Ctx<&ProviderData>, config: &Value, results: &mut ListResults) {
        let Some(config) = list_config::<FrontendListConfig>(config, results).await else {
            return;
        };
        let protocol = self.resource.protocol;
        let service_name = config.service_name.as_str();
        let filter = FrontendFilter {
            zone: config.zone.clone(),
            port: config.port.clone(),
            ..Default::default()
        };
        let client = &ctx.data.client;
        let mut ids = match call(ctx, client.list_frontends(service_name, protocol, &filter)).await
        {
            Ok(ids) => ids,
            Err(e) => {
                let doing = format!("list the {protocol} frontends of {service_name}");
                let error = e.lb_diagnostic(service_name, &doing);
                results.diagnostic(error.at(service_name_path())).await;
                return;
            }
        };
        ids.sort_unstable();
        if config.display_name.is_none() {
            // Without a filter on what only the objects hold, read no more than Terraform will take.
            ids.truncate(usize::try_from(results.remaining()).unwrap_or(usize::MAX));
        }
        let read = read_all(
            client,
            service_name,
            ids,
            move |client, sn, id| async move {
                client
                    .get_frontend(&sn, protocol, id)
                    .await
                    .map(|frontend| (id, frontend))
            },
        );
        let frontends = match call(ctx, read).await {
            Ok(frontends) => frontends,
            Err(e) => {
                let mut diags = Diagnostics::new();
                e.report(
                    &mut diags,
                    format!("Cannot read the {protocol} frontends of {service_name}"),
                );
                results.diagnostics(diags).await;
                return;
            }
        };
        for (frontend_id, api) in frontends {
            // The API filter on the port is a pattern; the list block asks for that port exactly.
            let port_matches = config.port.is_none() || api.port == config.port;
            let name_matches =
                config.display_name.is_none() || api.display_name == config.display_name;
            if !port_matches || !name_matches {
                continue;
            }
            let state = self
                .resource
                .state_from_api(service_name, frontend_id, &api, &Value::Null);
            if !results
                .push(display_name(protocol, frontend_id, &state), state)
                .await
            {
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frontends_are_named_as_a_person_would() {
        let state = Value::object([
            ("port", Value::from("443")),
            ("zone", Value::from("gra")),
            ("display_name", Value::from("web")),
        ]);
        assert_eq!(
            display_name(Protocol::Http, 12, &state),
            "http 443 web (gra) #12"
        );
        let unnamed = state.with_attr("display_name", Value::Null);
        assert_eq!(display_name(Protocol::Udp, 7, &unnamed), "udp 443 (gra) #7");
    }
}
