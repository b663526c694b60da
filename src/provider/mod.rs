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
    sources: config::SourceLister,
    /// The settings whose credentials this process has checked: Terraform configures a provider once per process,
    /// and should it configure it again with the same settings, they are not checked twice.
    checked: tokio::sync::Mutex<Option<ovh_client::ResolvedConfig>>,
}

impl Default for OvhProvider {
    fn default() -> Self {
        Self {
            resolver: ovh_client::resolve_default,
            sources: ovh_client::config::setting_sources_default,
            checked: Default::default(),
        }
    }
}

impl OvhProvider {
    /// A provider that completes settings with `resolver` instead of the process environment and ovh.conf files
    /// (credential errors then name only the provider block's arguments as sources).
    pub fn with_resolver(resolver: config::Resolver) -> Self {
        Self {
            resolver,
            sources: |input| ovh_client::config::setting_sources(input, &|_| None, &[]),
            checked: Default::default(),
        }
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
        // A provider block with values unknown until apply never gets here: the plugin runtime defers it, without
        // an API call, and the operations that need the API then say why they cannot run.
        let configured =
            config::build_client(config, self.resolver, ctx.cancellation().clone(), diags).await?;
        let mut checked = self.checked.lock().await;
        if checked.as_ref() != Some(&configured.settings) {
            let input = config::config_input(config);
            if !config::check_credentials(&configured, &input, self.sources, diags).await {
                return None;
            }
            *checked = Some(configured.settings.clone());
        }
        Some(ProviderData::new(configured.client))
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
    use ovh_client::ConfigInput;
    use tfplugin5_runtime::framework::{
        Configurable, DataSourceRuntime, ListRuntime, ManagedResource,
    };

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

    /// Every type served takes its `service_name` through the one checked argument, so the end-to-end cases of a
    /// malformed name (`e2e_bad_input`, on an HTTP frontend) stand for every type.
    #[test]
    fn every_service_name_argument_is_checked() {
        let provider = OvhProvider::default();
        let schemas = (provider.resources().into_iter())
            .map(|r| (r.type_name(), r.schema()))
            .chain((provider.data_sources().into_iter()).map(|d| (d.type_name(), d.schema())))
            .chain((provider.list_resources().into_iter()).map(|l| (l.type_name(), l.schema())))
            .chain((provider.actions().into_iter()).map(|a| (a.type_name(), a.schema())));
        let mut checked = 0;
        for (type_name, schema) in schemas {
            let Some(argument) = schema
                .block
                .attributes
                .iter()
                .find(|a| a.name == "service_name")
            else {
                panic!("{type_name} has no service_name argument");
            };
            let mut diags = Diagnostics::new();
            for validator in &argument.validators {
                validator.validate(
                    &Value::from("loadbalancer-0123abcd/http"),
                    &tfplugin5_runtime::value::AttrPath::attr("service_name"),
                    &mut diags,
                );
            }
            assert!(
                diags.has_errors(),
                "{type_name}: a service name with '/' passes"
            );
            checked += 1;
        }
        assert!(checked >= 10, "only {checked} types checked");
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

    /// A simulator whose account has one application key (`AK`/`AS`/`CK`, with `rules` if given) and one static
    /// access token (`TOPSECRET`).
    async fn sim(rules: Option<serde_json::Value>) -> ovh_api_sim::Simulator {
        let fixture: ovh_api_sim::Fixture = serde_json::from_value(serde_json::json!({
            "credentials": [{"application_key": "AK", "application_secret": "AS", "consumer_key": "CK", "rules": rules}],
            "access_tokens": ["TOPSECRET"],
        }))
        .unwrap();
        ovh_api_sim::Simulator::start(ovh_api_sim::SimConfig {
            fixture,
            ..Default::default()
        })
        .await
        .unwrap()
    }

    /// A provider that reads no environment variable and no ovh.conf file.
    fn isolated() -> OvhProvider {
        OvhProvider::with_resolver(|input| ovh_client::resolve(input, &|_| None, &[]))
    }

    fn app_config(sim: &ovh_api_sim::Simulator, secret: &str) -> Value {
        Value::object([
            ("endpoint", Value::from(sim.base_url())),
            ("application_key", Value::from("AK")),
            ("application_secret", Value::from(secret)),
            ("consumer_key", Value::from("CK")),
            ("max_retries", Value::from(0_i64)),
        ])
    }

    async fn configure(
        provider: &OvhProvider,
        config: &Value,
    ) -> (Option<ProviderData>, Diagnostics) {
        let mut diags = Diagnostics::new();
        let data = provider
            .configure(&Ctx::new((), Default::default()), config, &mut diags)
            .await;
        (data, diags)
    }

    fn calls(sim: &ovh_api_sim::Simulator, path: &str) -> usize {
        sim.requests()
            .iter()
            .filter(|r| r.path == format!("/1.0{path}"))
            .count()
    }

    #[tokio::test]
    async fn configured_data_does_not_print_secrets() {
        let sim = sim(None).await;
        let config = Value::object([
            ("endpoint", Value::from(sim.base_url())),
            ("access_token", Value::from("TOPSECRET")),
        ]);
        let (data, diags) = configure(&isolated(), &config).await;
        assert!(diags.is_empty(), "{diags:?}");
        let shown = format!("{:?}", data.unwrap());
        assert!(
            shown.contains("127.0.0.1") && !shown.contains("TOPSECRET"),
            "{shown}"
        );
    }

    #[tokio::test]
    async fn configure_checks_the_credentials_once_per_process() {
        let sim = sim(None).await;
        let provider = isolated();
        let (data, diags) = configure(&provider, &app_config(&sim, "AS")).await;
        assert!(data.is_some() && diags.is_empty(), "{diags:?}");
        assert_eq!(calls(&sim, "/auth/details"), 1);
        // Configured again with the same settings (Terraform does not, but nothing forbids it): no second check.
        let (data, _) = configure(&provider, &app_config(&sim, "AS")).await;
        assert!(data.is_some());
        assert_eq!(calls(&sim, "/auth/details"), 1);
    }

    #[tokio::test]
    async fn a_wrong_secret_fails_configure_naming_the_credentials_and_a_hint() {
        let sim = sim(None).await;
        let (data, diags) = configure(&isolated(), &app_config(&sim, "not-the-secret")).await;
        assert!(data.is_none());
        let error = diags.iter().next().expect("an error");
        assert_eq!(error.summary, "OVH refused the credentials");
        let detail = &error.detail;
        for expected in [
            "INVALID_SIGNATURE",
            "GET /auth/details",
            "application_key/application_secret on http://127.0.0.1:",
            "endpoint from argument endpoint",
            "application_key \"AK\", from argument application_key",
            "application_secret (secret, not shown), from argument application_secret",
            "consumer_key (secret, not shown), from argument consumer_key",
            "check application_secret",
            "clock",
        ] {
            assert!(
                detail.contains(expected),
                "{expected:?} missing from:\n{detail}"
            );
        }
        assert!(
            !detail.contains("not-the-secret") && !detail.contains("\"CK\""),
            "{detail}"
        );
    }

    #[test]
    fn errors_name_environment_variables_as_sources() {
        let settings = ovh_client::resolve(
            &ConfigInput::default(),
            &|name| match name {
                "OVH_ENDPOINT" => Some("ovh-ca".to_owned()),
                "OVH_ACCESS_TOKEN" => Some("T".to_owned()),
                _ => None,
            },
            &[],
        )
        .unwrap();
        let text = config::describe_credentials(
            &settings,
            &[
                ("endpoint", "environment variable OVH_ENDPOINT".to_owned()),
                (
                    "access_token",
                    "environment variable OVH_ACCESS_TOKEN".to_owned(),
                ),
            ],
        );
        assert_eq!(
            text,
            "Credentials used: access_token on https://ca.api.ovh.com/1.0 (endpoint from environment variable \
             OVH_ENDPOINT):\n  - access_token (secret, not shown), from environment variable OVH_ACCESS_TOKEN"
        );
    }

    #[tokio::test]
    async fn a_key_not_granted_auth_details_still_configures() {
        // Rules without GET /auth/*: the signature and consumer key were accepted, only the route is not granted.
        let sim = sim(Some(
            serde_json::json!([{"method": "GET", "path": "/ipLoadbalancing/*"}]),
        ))
        .await;
        let (data, diags) = configure(&isolated(), &app_config(&sim, "AS")).await;
        assert!(data.is_some() && diags.is_empty(), "{diags:?}");
    }

    #[tokio::test]
    async fn an_unreachable_endpoint_says_the_check_could_not_run() {
        let config = Value::object([
            ("endpoint", Value::from("http://127.0.0.1:9/1.0")),
            ("access_token", Value::from("T")),
            ("max_retries", Value::from(0_i64)),
        ]);
        let (data, diags) = configure(&isolated(), &config).await;
        assert!(data.is_none());
        let error = diags.iter().next().expect("an error");
        assert_eq!(error.summary, "Cannot check the OVH credentials");
        assert!(error.detail.contains("127.0.0.1:9"), "{}", error.detail);
    }
}
