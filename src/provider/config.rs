//! Configure: turns the provider block into an OVH API client. Unset settings fall back to `OVH_*` variables and
//! ovh.conf files (resolution is the OVH client's, go-ovh compatible); a mixed or half-given set of credentials is
//! an error naming what is missing.

use crate::plugin::diag::Diagnostics;
use crate::plugin::value::{AttrPath, Value};
use ovh_client::{Client, ClientOptions, ConfigError, ConfigInput, ResolvedConfig, RetryPolicy};
use tokio_util::sync::CancellationToken;

/// How settings are completed from the environment and files; swapped out in tests.
pub type Resolver = fn(&ConfigInput) -> Result<ResolvedConfig, ConfigError>;

/// A string setting; empty strings count as unset, as in go-ovh.
fn setting(config: &Value, name: &str) -> Option<String> {
    config.get(name).as_str().filter(|s| !s.is_empty()).map(str::to_owned)
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
pub fn client_options(config: &Value, cancel: CancellationToken, diags: &mut Diagnostics) -> ClientOptions {
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
    ClientOptions { retry, user_agent_extra: setting(config, "user_agent_extra"), cancel, ..ClientOptions::default() }
}

/// Builds the client, or reports why it cannot be built.
pub fn build_client(
    config: &Value,
    resolver: Resolver,
    cancel: CancellationToken,
    diags: &mut Diagnostics,
) -> Option<Client> {
    let options = client_options(config, cancel, diags);
    let resolved = match resolver(&config_input(config)) {
        Ok(resolved) => resolved,
        Err(error) => {
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
            diags.error(summary, detail);
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
