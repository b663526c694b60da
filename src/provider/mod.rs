//! The OVH IPLB provider: its configuration schema ([`schema`]), how Configure builds the OVH API client
//! ([`config`]), and the registry of resources and data sources ([`registry`]). [`service`] is what the binary
//! serves.

pub mod config;
pub mod registry;
pub mod schema;

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;

use crate::plugin::diag::Diagnostics;
use crate::plugin::framework::{Ctx, DataSource, Provider, Resource};
use crate::plugin::grpc::ProviderService;
use crate::plugin::schema::Schema;
use crate::plugin::value::Value;

/// The provider's type name, the prefix of every resource type name.
pub const TYPE_NAME: &str = "ovhiplb";

/// What every resource operation gets once the provider is configured.
pub struct ProviderData {
    pub client: ovh_client::Client,
    /// Zones of each load balancer, fetched once per provider process (plan-time zone checks).
    pub zones: crate::resources::common::ZoneCache,
    /// One lock per load balancer, so that refreshes of one LB never overlap within this process.
    pub refresh_locks: crate::resources::refresh::RefreshLocks,
    /// Per LB and protocol, the frontends this process must never adopt after a lost create answer.
    pub frontends: crate::resources::frontend::FrontendLedgers,
}

impl ProviderData {
    /// The data of a provider process that has just been configured with `client`.
    pub fn new(client: ovh_client::Client) -> Self {
        Self {
            client,
            zones: Default::default(),
            refresh_locks: Default::default(),
            frontends: Default::default(),
        }
    }
}

impl fmt::Debug for ProviderData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The client holds credentials; show only where it points.
        f.debug_struct("ProviderData")
            .field("endpoint", &self.client.base_url())
            .finish_non_exhaustive()
    }
}

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
            config::build_client(config, self.resolver, ctx.cancellation().clone(), diags)?;
        Some(ProviderData::new(client))
    }

    fn resources(&self) -> Vec<Arc<dyn Resource<ProviderData>>> {
        registry::resources()
    }

    fn data_sources(&self) -> Vec<Arc<dyn DataSource<ProviderData>>> {
        registry::data_sources()
    }
}

/// The tfplugin5 service of the provider, as served by the binary.
pub fn service() -> ProviderService<OvhProvider> {
    ProviderService::new(OvhProvider::default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plugin::framework::{DataSourceRuntime, ManagedResource};

    /// Every schema the provider ships passes Terraform's checks and our house rules (descriptions...).
    #[test]
    fn every_shipped_schema_is_valid() {
        let provider = OvhProvider::default();
        assert_eq!(provider.schema().block.problems(), Vec::<String>::new());
        for resource in provider.resources() {
            let managed = ManagedResource::new(resource);
            assert!(
                managed.type_name().starts_with("ovhiplb_"),
                "{}",
                managed.type_name()
            );
            assert_eq!(
                managed.schema().block.problems(),
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
