//! Configure: turns the provider block into an OVH API client. Unset settings fall back to `OVH_*` variables and
//! ovh.conf files (resolution is the OVH client's, go-ovh compatible); a mixed or half-given set of credentials is
//! an error naming what is missing, where each setting came from, and pointing at the provider block's attribute
//! involved. (Conflicts the block shows by itself are reported earlier, by validate: `super::schema`.)
//!
//! Configure then checks the credentials with one `GET /auth/details` ([`check_credentials`]), as OVH's official
//! provider does, so that wrong credentials fail `terraform plan` even when the plan itself needs no API call (a
//! new configuration), rather than the apply after it. Why at Configure and not lazily at the first API call: the
//! plan of a new configuration makes no API call at all, so a lazy check would never run there. Terraform configures
//! the provider once per process, and only in processes that use it (plan, apply, import, refresh; never schema or
//! `validate`), and a provider block holding values unknown until apply is deferred by the plugin runtime without
//! calling us. So the check costs one `GET /auth/details` per configured process (plus the `GET /auth/time` that
//! signing needs, which such a process usually makes anyway, sent at the same time: one round trip in all) and
//! nothing elsewhere; Terraform configures the
//! provider in some processes that then call nothing (the apply phase of a refresh-only apply, the destroy plan),
//! which pay it too: the price of failing early (BENCHMARKS.md "API economy").

use crate::provider::schema::{AUTH_METHODS, is_set_in_block};
use ovh_client::{
    ApiError, Auth, Client, ClientOptions, ConfigError, ConfigInput, ResolvedConfig, RetryPolicy,
};
use tfplugin5_runtime::diag::Diagnostics;
use tfplugin5_runtime::value::{AttrPath, Value};
use tokio_util::sync::CancellationToken;

/// How settings are completed from the environment and files; swapped out in tests.
pub type Resolver = fn(&ConfigInput) -> Result<ResolvedConfig, ConfigError>;

/// Where each setting comes from (`ovh_client::config::setting_sources`), to say which credentials a failed check
/// used; it must look where the [`Resolver`] looks.
pub type SourceLister = fn(&ConfigInput) -> Result<Vec<(&'static str, String)>, ConfigError>;

/// A built client and the settings it was built from.
pub struct Configured {
    pub client: Client,
    pub settings: ResolvedConfig,
}

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

/// Builds the client, or reports why it cannot be built. Makes no API call.
pub async fn build_client(
    config: &Value,
    resolver: Resolver,
    cancel: CancellationToken,
    diags: &mut Diagnostics,
) -> Option<Configured> {
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
    match Client::new(resolved.clone(), options) {
        Ok(client) => Some(Configured {
            client,
            settings: resolved,
        }),
        Err(error) => {
            diags.error("Cannot build the OVH API client", error.to_string());
            None
        }
    }
}

/// Checks that the API accepts the credentials, with one `GET /auth/details` (plus the `GET /auth/time` that the
/// first signed call of a process makes anyway, sent at the same time: `ovh_client::Client::check_credentials`, so
/// the check costs one round trip). On failure, reports what OVH answered, which credentials were used
/// and where each setting came from (`sources`, run off the runtime thread as it reads files), and a hint for the
/// error; returns whether the credentials work.
pub async fn check_credentials(
    configured: &Configured,
    input: &ConfigInput,
    sources: SourceLister,
    diags: &mut Diagnostics,
) -> bool {
    let error = match configured.client.check_credentials().await {
        Ok(details) => {
            tracing::info!(account = %details.account, method = %details.method, "OVH credentials checked");
            return true;
        }
        // The signature and the consumer key were accepted; only this route is outside the key's access rules
        // (which docs/index.md asks to include). The calls the resources make will say if they are refused.
        Err(ovh_client::Error::Api(e)) if e.error_code.as_deref() == Some("NOT_GRANTED_CALL") => {
            tracing::warn!(
                "GET /auth/details is not granted to this consumer key; credentials not checked"
            );
            return true;
        }
        Err(error) => error,
    };
    let input = input.clone();
    let described = match tokio::task::spawn_blocking(move || sources(&input)).await {
        Ok(Ok(sources)) => sources,
        _ => Vec::new(),
    };
    let (summary, hint) = failure_hint(&error, &configured.settings.auth);
    let mut detail = format!(
        "The provider checks the credentials when Terraform configures it, with GET /auth/details; that call \
         failed: {error}.\n\n{}",
        describe_credentials(&configured.settings, &described)
    );
    if let Some(hint) = hint {
        detail.push_str("\n\n");
        detail.push_str(hint);
    }
    diags.error(summary, detail);
    false
}

/// Which credentials were used and where each came from: the method, the endpoint, the identifiers that are not
/// secret (application key, client id) and, for secrets, only their source.
pub fn describe_credentials(
    settings: &ResolvedConfig,
    sources: &[(&'static str, String)],
) -> String {
    let source = |key: &str| {
        sources
            .iter()
            .find(|(k, _)| *k == key)
            .map_or_else(|| "source unknown".to_owned(), |(_, s)| s.clone())
    };
    let mut lines = vec![format!(
        "Credentials used: {} on {} (endpoint from {}):",
        settings.auth.method_name(),
        settings.endpoint,
        source("endpoint")
    )];
    let shown: Vec<(&str, Option<&str>)> = match &settings.auth {
        Auth::Application {
            application_key,
            consumer_key,
            ..
        } => {
            let mut keys = vec![
                ("application_key", Some(application_key.as_str())),
                ("application_secret", None),
            ];
            if consumer_key.is_some() {
                keys.push(("consumer_key", None));
            }
            keys
        }
        Auth::OAuth2 { client_id, .. } => {
            vec![
                ("client_id", Some(client_id.as_str())),
                ("client_secret", None),
            ]
        }
        Auth::AccessToken(_) => vec![("access_token", None)],
    };
    for (key, value) in shown {
        match value {
            Some(value) => lines.push(format!("  - {key} {value:?}, from {}", source(key))),
            None => lines.push(format!(
                "  - {key} (secret, not shown), from {}",
                source(key)
            )),
        }
    }
    lines.join("\n")
}

/// The summary of a failed check, and what to do about it.
fn failure_hint(error: &ovh_client::Error, auth: &Auth) -> (&'static str, Option<&'static str>) {
    const REFUSED: &str = "OVH refused the credentials";
    let api: Option<&ApiError> = error.api_error();
    let code = api.and_then(|e| e.error_code.as_deref());
    match (code, api.map(|e| e.status)) {
        (Some("INVALID_SIGNATURE"), _) => (
            REFUSED,
            Some(
                "Hint: an invalid signature almost always means that the application secret is not the one of this \
                 application key: check application_secret (and that no other OVH_APPLICATION_SECRET or ovh.conf \
                 entry is picked up instead, per the sources above). Otherwise the machine's clock may be far off: \
                 the signature covers a timestamp (the provider corrects for the offset it measures with \
                 GET /auth/time when it starts, not for a clock that jumps while it runs); check it with `date -u`.",
            ),
        ),
        (Some("QUERY_TIME_OUT"), _) => (
            REFUSED,
            Some(
                "Hint: OVH found the request's timestamp too far from its own clock: this machine's clock is far \
                 off or jumped during the run; check it with `date -u` and keep it synchronised (NTP).",
            ),
        ),
        (Some("INVALID_KEY"), _) => (
            REFUSED,
            Some(
                "Hint: OVH does not know this application key on this endpoint: check application_key and the \
                 endpoint (an application created for ovh-eu does not exist on ovh-ca or ovh-us).",
            ),
        ),
        (Some("NOT_CREDENTIAL" | "INVALID_CREDENTIAL"), _)
            if matches!(auth, Auth::Application { .. }) =>
        {
            (
                REFUSED,
                Some(
                    "Hint: the consumer key does not exist for this application, was revoked or has expired, or was \
                 never validated (its validation URL must be opened once): check consumer_key, or request a new one.",
                ),
            )
        }
        (_, Some(401 | 403)) => (
            REFUSED,
            Some(match auth {
                Auth::AccessToken(_) => {
                    "Hint: the access token is invalid or has expired: check access_token, or use \
                     client_id/client_secret so that the provider gets fresh tokens itself."
                }
                Auth::OAuth2 { .. } => {
                    "Hint: check client_id and client_secret, and that the service account exists on this endpoint."
                }
                Auth::Application { .. } => {
                    "Hint: check application_key, application_secret and consumer_key (a missing consumer_key only \
                     allows unauthenticated calls)."
                }
            }),
        ),
        _ if matches!(error, ovh_client::Error::OAuth2 { .. }) => (
            REFUSED,
            Some(
                "Hint: the OAuth2 token endpoint refused the service account: check client_id and client_secret, \
                 and that the account exists on this endpoint.",
            ),
        ),
        _ => (
            "Cannot check the OVH credentials",
            Some(
                "Hint: check the endpoint and that this machine can reach it (proxy, firewall, DNS); \
                 max_retries sets how often failed calls are retried.",
            ),
        ),
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
            .expect("configured")
            .client;
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
        type Settings<'a> = &'a [(&'a str, &'a str)];
        let oauth2 = [("OVH_CLIENT_ID", "I"), ("OVH_CLIENT_SECRET", "S")];
        // The settings and environment, then the attribute the error points at and a part of its detail.
        let cases: [(Settings, Settings, Option<&str>, &str); 7] = [
            (
                &[("application_key", "AK"), ("application_secret", "AS")],
                &[("OVH_ACCESS_TOKEN", "T")],
                Some("application_key"),
                "environment variable OVH_ACCESS_TOKEN",
            ),
            (
                &[("client_id", "ID")],
                &[],
                Some("client_id"),
                "client_secret is missing",
            ),
            // The half given comes from the environment: point at the attribute that would complete it.
            (
                &[],
                &[("OVH_CLIENT_SECRET", "S")],
                Some("client_id"),
                "environment variable OVH_CLIENT_SECRET",
            ),
            (&[("consumer_key", "CK")], &[], Some("consumer_key"), ""),
            (&[("endpoint", "kimsufi-ca")], &oauth2, Some("endpoint"), ""),
            // Nothing in the block to point at.
            (
                &[],
                &[("OVH_ACCESS_TOKEN", "T"), oauth2[0], oauth2[1]],
                None,
                "",
            ),
            (&[], &[], None, ""),
        ];
        for (settings, env, expected_path, expected_detail) in cases {
            let (path, detail) = configure_error(settings, env);
            assert_eq!(path.as_deref(), expected_path, "{settings:?} {env:?}");
            assert!(detail.contains(expected_detail), "{detail}");
        }
    }
}
