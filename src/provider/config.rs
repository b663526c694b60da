//! Configure: turns the provider block into an OVH API client. Unset settings fall back to `OVH_*` variables and
//! ovh.conf files (resolution is the OVH client's, go-ovh compatible); a mixed or half-given set of credentials is
//! an error naming what is missing, where each setting came from, and pointing at the provider block's attribute
//! involved. (Conflicts the block shows by itself are reported earlier, by validate: `super::schema`.)
//!
//! The client's HTTP stack is built by its first API call, so Configure costs nothing in launches that make none.

use crate::provider::schema::{AUTH_METHODS, is_set_in_block};
use ovh_client::{Client, ClientOptions, ConfigError, ConfigInput, ResolvedConfig, RetryPolicy};
use tfplugin5_runtime::diag::Diagnostics;
use tfplugin5_runtime::value::{AttrPath, Value};
use tokio_util::sync::CancellationToken;

/// How settings are completed from the environment and files; swapped out in tests.
pub type Resolver = fn(&ConfigInput) -> Result<ResolvedConfig, ConfigError>;

/// A string setting; empty strings count as unset, as in go-ovh.
fn setting(config: &Value, name: &str) -> Option<String> {
    config
        .get(name)
        .as_str()
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// The explicit settings of the provider block.
pub fn config_input(config: &Value) -> ConfigInput {
    ConfigInput {
        endpoint: setting(config, "endpoint"),
        application_key: setting(config, "application_key"),
        application_secret: setting(config, "application_secret"),
        consumer_key: setting(config, "consumer_key"),
        client_id: setting(config, "client_id"),
        client_secret: setting(config, "client_secret"),
        access_token: setting(config, "access_token"),
    }
}

/// Client options from the provider block; `cancel` is Terraform's stop signal.
pub fn client_options(
    config: &Value,
    cancel: CancellationToken,
    diags: &mut Diagnostics,
) -> ClientOptions {
    let mut retry = RetryPolicy::default();
    if let Some(number) = config.get("max_retries").as_number() {
        match number.as_u64().and_then(|n| u32::try_from(n).ok()) {
            Some(max) => retry.max_retries = max,
            None => diags.error_at(
                &AttrPath::attr("max_retries"),
                "Invalid max_retries",
                format!("{number} is not a whole number of retries."),
            ),
        }
    }
    ClientOptions {
        retry,
        user_agent_extra: setting(config, "user_agent_extra"),
        cancel,
        ..ClientOptions::default()
    }
}

/// Builds the client, or reports why it cannot be built.
pub async fn build_client(
    config: &Value,
    resolver: Resolver,
    cancel: CancellationToken,
    diags: &mut Diagnostics,
) -> Option<Client> {
    let options = client_options(config, cancel, diags);
    let input = config_input(config);
    // Resolving reads the process environment and ovh.conf files: blocking I/O, kept off the runtime's one thread
    // (other calls of this process run on it meanwhile).
    let resolved = match tokio::task::spawn_blocking(move || resolver(&input)).await {
        Ok(Ok(resolved)) => resolved,
        Err(join_error) => {
            diags.error(
                "Cannot read the OVH settings",
                format!("Resolving the provider settings stopped unexpectedly: {join_error}."),
            );
            return None;
        }
        Ok(Err(error)) => {
            let summary = match error {
                ConfigError::TrailingSlash { .. }
                | ConfigError::UnknownEndpoint { .. }
                | ConfigError::InvalidEndpointUrl { .. } => "Invalid OVH endpoint",
                ConfigError::File { .. } => "Cannot read OVH configuration file",
                _ => "Invalid OVH credentials",
            };
            // The client's messages start with a setting name (`application_key is set ...`): keep its case.
            let mut detail = error.to_string();
            if !detail.ends_with('.') {
                detail.push('.');
            }
            match error_attribute(&error, config) {
                Some(attribute) => diags.error_at(&AttrPath::attr(attribute), summary, detail),
                None => diags.error(summary, detail),
            }
            return None;
        }
    };
    if diags.has_errors() {
        return None;
    }
    tracing::info!(endpoint = %resolved.endpoint, auth = resolved.auth.method_name(), "configuring the OVH API client");
    match Client::new(resolved, options) {
        Ok(client) => Some(client),
        Err(error) => {
            diags.error("Cannot build the OVH API client", error.to_string());
            None
        }
    }
}

/// The provider block attribute a settings error is about: the one the block sets, else the one to add to fix it;
/// none when the block has nothing to do with it (all from `OVH_*` variables or ovh.conf, or a file error).
fn error_attribute(error: &ConfigError, config: &Value) -> Option<&'static str> {
    let set = |name: &'static str| is_set_in_block(config, name).then_some(name);
    match error {
        ConfigError::TrailingSlash { .. }
        | ConfigError::UnknownEndpoint { .. }
        | ConfigError::InvalidEndpointUrl { .. } => set("endpoint"),
        // The block sets at most one method (validate rejects more); the rest came from elsewhere.
        ConfigError::MultipleAuthMethods { .. } => AUTH_METHODS
            .iter()
            .flat_map(|(_, attributes)| attributes.iter().copied())
            .find_map(set),
        ConfigError::IncompletePair { given, missing, .. } => Some(set(given).unwrap_or(missing)),
        ConfigError::ConsumerKeyWithoutApplication { .. } => {
            Some(set("consumer_key").unwrap_or("application_key"))
        }
        ConfigError::OAuth2Unsupported { .. } => set("client_id")
            .or_else(|| set("client_secret"))
            .or_else(|| set("endpoint")),
        ConfigError::NoAuthentication | ConfigError::File { .. } => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The attribute and message of the settings error for `block` in an environment of `env` (no ovh.conf).
    fn configure_error(block: &[(&str, &str)], env: &[(&str, &str)]) -> (Option<String>, String) {
        let config = Value::object(block.iter().map(|(k, v)| (*k, Value::from(*v))));
        let lookup = |name: &str| {
            env.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        };
        let error = ovh_client::resolve(&config_input(&config), &lookup, &[])
            .expect_err("settings must be refused");
        (
            error_attribute(&error, &config).map(str::to_owned),
            error.to_string(),
        )
    }

    #[tokio::test]
    async fn configure_leaves_the_http_stack_to_the_first_api_call() {
        let config = Value::object([
            ("endpoint", Value::from("ovh-eu")),
            ("access_token", Value::from("T")),
        ]);
        let resolver: Resolver = |input| ovh_client::resolve(input, &|_| None, &[]);
        let mut diags = Diagnostics::new();
        let client = build_client(&config, resolver, CancellationToken::new(), &mut diags)
            .await
            .expect("configured");
        assert!(diags.is_empty(), "{diags:?}");
        assert!(
            !client.http_client_built(),
            "Configure must not pay for TLS roots in launches without API calls"
        );
    }

    #[tokio::test]
    async fn configure_reports_the_attribute_path() {
        let config = Value::object([
            ("application_key", Value::from("AK")),
            ("application_secret", Value::from("AS")),
        ]);
        let resolver: Resolver = |input| {
            ovh_client::resolve(
                input,
                &|name| (name == "OVH_ACCESS_TOKEN").then(|| "T".to_owned()),
                &[],
            )
        };
        let mut diags = Diagnostics::new();
        assert!(
            build_client(&config, resolver, CancellationToken::new(), &mut diags)
                .await
                .is_none()
        );
        let error = diags.iter().next().expect("an error");
        assert_eq!(error.summary, "Invalid OVH credentials");
        assert_eq!(
            error.path.as_ref().map(ToString::to_string).as_deref(),
            Some("application_key")
        );
        assert!(
            error
                .detail
                .contains("access_token from environment variable OVH_ACCESS_TOKEN"),
            "{}",
            error.detail
        );
    }

    #[test]
    fn conflicts_with_the_environment_name_the_attribute_and_the_variable() {
        let (path, detail) = configure_error(
            &[("application_key", "AK"), ("application_secret", "AS")],
            &[("OVH_ACCESS_TOKEN", "T")],
        );
        assert_eq!(path.as_deref(), Some("application_key"));
        assert!(
            detail.contains("environment variable OVH_ACCESS_TOKEN"),
            "{detail}"
        );

        let (path, detail) = configure_error(&[("client_id", "ID")], &[]);
        assert_eq!(path.as_deref(), Some("client_id"));
        assert!(detail.contains("client_secret is missing"), "{detail}");

        // The half given comes from the environment: point at the attribute that would complete it.
        let (path, detail) = configure_error(&[], &[("OVH_CLIENT_SECRET", "S")]);
        assert_eq!(path.as_deref(), Some("client_id"));
        assert!(
            detail.contains("environment variable OVH_CLIENT_SECRET"),
            "{detail}"
        );

        let (path, _) = configure_error(&[("consumer_key", "CK")], &[]);
        assert_eq!(path.as_deref(), Some("consumer_key"));

        let oauth2 = [("OVH_CLIENT_ID", "I"), ("OVH_CLIENT_SECRET", "S")];
        let (path, _) = configure_error(&[("endpoint", "kimsufi-ca")], &oauth2);
        assert_eq!(path.as_deref(), Some("endpoint"));

        // Nothing in the block to point at.
        let (path, _) = configure_error(&[], &[("OVH_ACCESS_TOKEN", "T"), oauth2[0], oauth2[1]]);
        assert_eq!(path, None);
        let (path, _) = configure_error(&[], &[]);
        assert_eq!(path, None);
    }
}
