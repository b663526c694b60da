//! The OVH IPLB provider: its configuration schema ([`schema`]), how Configure builds the OVH API client
//! ([`config`]), and the registry of resources and data sources ([`registry`]). [`PLUGIN`] and [`OvhProvider`] are
//! what the binary serves. It depends on `resources`, never the reverse.

pub mod config;
pub mod registry;
pub mod schema;

use std::sync::Arc;

use async_trait::async_trait;

use tfplugin5_runtime::PluginInfo;
use tfplugin5_runtime::diag::Diagnostics;
use tfplugin5_runtime::framework::{Action, Ctx, DataSource, ListResource, Provider, Resource};
use tfplugin5_runtime::schema::Schema;
use tfplugin5_runtime::value::Value;

use crate::resources::ProviderData;

/// Who this provider is, for the plugin runtime's `main`.
pub const PLUGIN: PluginInfo = PluginInfo {
    binary_name: "terraform-provider-ovhiplb",
    version: env!("CARGO_PKG_VERSION"),
    address: "registry.terraform.io/ovhiplb/ovhiplb",
};

/// The OVH IPLB provider.
pub struct OvhProvider {
    resolver: config::Resolver,
}

impl Default for OvhProvider {
    fn default() -> Self {
        Self {
            resolver: ovh_client::resolve_default,
        }
    }
}

impl OvhProvider {
    /// A provider that completes settings with `resolver` instead of the process environment and ovh.conf files.
    pub fn with_resolver(resolver: config::Resolver) -> Self {
        Self { resolver }
    }
}

#[async_trait]
impl Provider for OvhProvider {
    type Data = ProviderData;

    fn schema(&self) -> Schema {
        schema::provider_schema()
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        schema::validate(config, diags);
    }

    async fn configure(
        &self,
        ctx: &Ctx<()>,
        config: &Value,
        diags: &mut Diagnostics,
    ) -> Option<ProviderData> {
        let client =
            config::build_client(config, self.resolver, ctx.cancellation().clone(), diags).await?;
        Some(ProviderData::new(client))
    }

    fn resources(&self) -> Vec<Arc<dyn Resource<ProviderData>>> {
        registry::resources()
    }

    fn data_sources(&self) -> Vec<Arc<dyn DataSource<ProviderData>>> {
        registry::data_sources()
    }

    fn list_resources(&self) -> Vec<Arc<dyn ListResource<ProviderData>>> {
        registry::list_resources()
    }

    fn actions(&self) -> Vec<Arc<dyn Action<ProviderData>>> {
        registry::actions()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tfplugin5_runtime::framework::{DataSourceRuntime, ListRuntime, ManagedResource};

    /// Every schema the provider ships passes Terraform's checks and our house rules (descriptions...), every
    /// resource has an identity, and every list resource lists a resource with one.
    #[test]
    fn every_shipped_schema_is_valid() {
        let provider = OvhProvider::default();
        assert_eq!(provider.schema().block.problems(), Vec::<String>::new());
        let managed: Vec<ManagedResource<ProviderData>> = provider
            .resources()
            .into_iter()
            .map(ManagedResource::new)
            .collect();
        for list in provider.list_resources() {
            let target = managed
                .iter()
                .find(|m| m.type_name() == list.type_name())
                .and_then(|m| m.identity().map(|i| (i.clone(), m.value_type().clone())));
            let runtime = ListRuntime::new(list, target);
            assert_eq!(
                runtime.problems(),
                Vec::<String>::new(),
                "{}",
                runtime.type_name()
            );
        }
        for managed in managed {
            assert!(managed.identity().is_some(), "{}", managed.type_name());
            assert!(
                managed.type_name().starts_with("ovhiplb_"),
                "{}",
                managed.type_name()
            );
            assert_eq!(
                managed.problems(),
                Vec::<String>::new(),
                "{}",
                managed.type_name()
            );
        }
        for source in provider.data_sources() {
            let runtime = DataSourceRuntime::new(source);
            assert!(
                runtime.type_name().starts_with("ovhiplb_"),
                "{}",
                runtime.type_name()
            );
            assert_eq!(
                runtime.schema().block.problems(),
                Vec::<String>::new(),
                "{}",
                runtime.type_name()
            );
        }
    }

    #[test]
    fn settings_from_the_provider_block() {
        let config = Value::object([
            ("endpoint", Value::from("ovh-ca")),
            ("application_key", Value::from("")),
            ("max_retries", Value::from(2_i64)),
            ("user_agent_extra", Value::from("ci")),
        ]);
        let input = config::config_input(&config);
        assert_eq!(input.endpoint.as_deref(), Some("ovh-ca"));
        assert_eq!(input.application_key, None, "empty strings count as unset");
        let mut diags = Diagnostics::new();
        let options = config::client_options(&config, Default::default(), &mut diags);
        assert!(diags.is_empty());
        assert_eq!(options.retry.max_retries, 2);
        assert_eq!(options.user_agent_extra.as_deref(), Some("ci"));
    }

    #[test]
    fn static_validation_hints_at_upper_case_aliases() {
        let mut diags = Diagnostics::new();
        schema::validate(
            &Value::object([("endpoint", Value::from("OVH-EU"))]),
            &mut diags,
        );
        assert_eq!(
            diags
                .iter()
                .next()
                .map(|d| d.path.as_ref().unwrap().to_string())
                .as_deref(),
            Some("endpoint")
        );
    }

    #[tokio::test]
    async fn configured_data_does_not_print_secrets() {
        let provider =
            OvhProvider::with_resolver(|input| ovh_client::resolve(input, &|_| None, &[]));
        let config = Value::object([
            ("endpoint", Value::from("http://127.0.0.1:9/1.0")),
            ("access_token", Value::from("TOPSECRET")),
        ]);
        let mut diags = Diagnostics::new();
        let data = provider
            .configure(&Ctx::new((), Default::default()), &config, &mut diags)
            .await
            .unwrap();
        let shown = format!("{data:?}");
        assert!(
            shown.contains("127.0.0.1") && !shown.contains("TOPSECRET"),
            "{shown}"
        );
    }
}
