//! The `provider "ovhiplb"` block: the same settings as OVH's official provider, so a user switches with no
//! change, plus retries and a User-Agent suffix. Static checks run at validate time (PrepareProviderConfig), so
//! `terraform validate` reports them on the attribute at fault: bad values, and credentials that conflict within
//! the block. What needs the environment or ovh.conf to decide is checked at Configure (`super::config`).

use tfplugin5_runtime::diag::Diagnostics;
use tfplugin5_runtime::framework::validators;
use tfplugin5_runtime::schema::{Attribute, Block, Schema};
use tfplugin5_runtime::value::{AttrPath, Value};

/// The largest `max_retries` accepted: beyond it a broken API would hold a run for hours.
pub const MAX_RETRIES_LIMIT: i64 = 50;

/// The authentication methods (as the OVH client names them in messages) and the attributes of each, in the order
/// conflicts are reported: the first method set is kept, the attributes of the others are the ones at fault.
pub const AUTH_METHODS: [(&str, &[&str]); 3] = [
    (
        "application_key/application_secret",
        &["application_key", "application_secret", "consumer_key"],
    ),
    ("client_id/client_secret", &["client_id", "client_secret"]),
    ("access_token", &["access_token"]),
];

/// Whether the provider block itself sets `name` to a known, non-empty string (empty counts as unset, as in go-ovh;
/// an unknown value may turn out empty, so it is not counted).
pub fn is_set_in_block(config: &Value, name: &str) -> bool {
    config.get(name).as_str().is_some_and(|s| !s.is_empty())
}

/// Where unset settings come from, shared by every credential's description.
const FALLBACK: &str = "If unset, the `OVH_{ENV}` environment variable is used, then `{KEY}` in the section of the \
endpoint in `./ovh.conf`, `~/.ovh.conf` or `/etc/ovh.conf` (as go-ovh and the official OVH provider do).";

fn fallback(key: &str) -> String {
    FALLBACK
        .replace("{ENV}", &key.to_uppercase())
        .replace("{KEY}", key)
}

fn credential(name: &str, what: &str, sensitive: bool) -> Attribute {
    let attribute = Attribute::string(name)
        .optional()
        .markdown(format!("{what} {}", fallback(name)));
    if sensitive {
        attribute.sensitive()
    } else {
        attribute
    }
}

/// The provider's schema.
pub fn provider_schema() -> Schema {
    let block = Block::new()
        .markdown(
            "Routes OVHcloud failover IPs to IP Load Balancers, pins them to frontends and deploys the load \
             balancer configuration. Authenticate with one method: an application key/secret (with a consumer \
             key), an OAuth2 service account (client ID/secret), or an access token.",
        )
        .attr(
            Attribute::string("endpoint")
                .optional()
                .markdown(
                    "The OVHcloud API to use: `ovh-eu` (default), `ovh-ca`, `ovh-us`, `kimsufi-eu`, `kimsufi-ca`, \
                     `soyoustart-eu`, `soyoustart-ca`, or a full base URL without a trailing slash such as \
                     `http://127.0.0.1:8080/1.0` (e.g. the ovh-api-sim simulator). If unset, the `OVH_ENDPOINT` \
                     environment variable is used, then `endpoint` in the `[default]` section of `./ovh.conf`, \
                     `~/.ovh.conf` or `/etc/ovh.conf`.",
                )
                .validate(validators::string("Invalid endpoint", check_endpoint)),
        )
        .attr(credential("application_key", "The application key of v1 request signing.", false))
        .attr(credential("application_secret", "The application secret of v1 request signing.", true))
        .attr(credential("consumer_key", "The consumer key of v1 request signing.", true))
        .attr(credential("client_id", "The client ID of an OAuth2 service account.", false))
        .attr(credential("client_secret", "The client secret of an OAuth2 service account.", true))
        .attr(credential("access_token", "A ready-made OAuth2 access token, sent as a bearer token.", true))
        .attr(
            Attribute::number("max_retries")
                .optional()
                .markdown(format!(
                    "How many times a failed API call (connection error, HTTP 429 or 5xx) is retried, with \
                     exponential backoff, honouring `Retry-After`. From 0 to {MAX_RETRIES_LIMIT}; default 5."
                ))
                .validate(validators::int_between(0, MAX_RETRIES_LIMIT)),
        )
        .attr(
            Attribute::string("user_agent_extra")
                .optional()
                .markdown("Text appended to the User-Agent of API calls, e.g. to identify a CI pipeline.")
                .validate(validators::string("Invalid user_agent_extra", check_user_agent_extra)),
        );
    Schema::new(block)
}

/// An endpoint alias or base URL, checked as the OVH client will parse it.
fn check_endpoint(endpoint: &str) -> Result<(), String> {
    ovh_client::Endpoint::parse(endpoint)
        .map(drop)
        .map_err(|e| capitalise(&e.to_string()))
}

/// Text that fits in an HTTP header.
fn check_user_agent_extra(extra: &str) -> Result<(), String> {
    if extra.chars().any(|c| c.is_control() || !c.is_ascii()) {
        return Err(
            "Use printable ASCII characters only (it goes into an HTTP header).".to_owned(),
        );
    }
    Ok(())
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => format!(
            "{}{}.",
            first.to_uppercase(),
            chars.as_str().trim_end_matches('.')
        ),
        None => String::new(),
    }
}

/// Checks across attributes that the schema cannot express.
pub fn validate(config: &Value, diags: &mut Diagnostics) {
    check_auth_conflicts(config, diags);
    check_oauth2_endpoint(config, diags);
    // OVH's aliases are lower-case; a near miss deserves a hint rather than "unknown endpoint".
    if let Some(endpoint) = config.get("endpoint").as_str()
        && endpoint != endpoint.to_lowercase()
        && ovh_client::Endpoint::parse(&endpoint.to_lowercase()).is_ok()
    {
        diags.warning_at(
            &AttrPath::attr("endpoint"),
            "Endpoint alias in upper case",
            format!("Use {:?}; aliases are lower case.", endpoint.to_lowercase()),
        );
    }
}

/// Attributes of two authentication methods set in the block: an error on each attribute of every method after
/// the first one set. Only what the block sets counts; a conflict with `OVH_*` variables or ovh.conf is Configure's.
fn check_auth_conflicts(config: &Value, diags: &mut Diagnostics) {
    let mut methods = AUTH_METHODS.iter().filter_map(|(method, attributes)| {
        let set: Vec<&str> = attributes
            .iter()
            .copied()
            .filter(|a| is_set_in_block(config, a))
            .collect();
        (!set.is_empty()).then_some((*method, set))
    });
    let Some((kept, kept_attributes)) = methods.next() else {
        return;
    };
    for (method, attributes) in methods {
        for attribute in attributes {
            diags.error_at(
                &AttrPath::attr(attribute),
                "Conflicting credentials",
                format!(
                    "{attribute} belongs to the {method} authentication method, but this provider block also sets \
                     {} ({kept}). Keep only one authentication method.",
                    kept_attributes.join(", ")
                ),
            );
        }
    }
}

/// OAuth2 settings with an endpoint the block names and which has no OAuth2 token service (Kimsufi, So you Start).
fn check_oauth2_endpoint(config: &Value, diags: &mut Diagnostics) {
    let Some(endpoint) = config
        .get("endpoint")
        .as_str()
        .and_then(|e| ovh_client::Endpoint::parse(e).ok())
    else {
        return;
    };
    if endpoint.oauth2_token_url().is_some() {
        return;
    }
    for attribute in ["client_id", "client_secret"] {
        if is_set_in_block(config, attribute) {
            diags.error_at(
                &AttrPath::attr(attribute),
                "OAuth2 not available on this endpoint",
                format!(
                    "Endpoint {endpoint} has no OAuth2 service, so {attribute} cannot be used there. Use \
                     application_key/application_secret/consumer_key or access_token with this endpoint."
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors(config: &Value) -> Vec<(String, String, String)> {
        let mut diags = Diagnostics::new();
        validate(config, &mut diags);
        diags
            .iter()
            .filter(|d| d.is_error())
            .map(|d| {
                let path = d.path.as_ref().map(ToString::to_string).unwrap_or_default();
                (path, d.summary.clone(), d.detail.clone())
            })
            .collect()
    }

    fn block(settings: &[(&str, Value)]) -> Value {
        Value::object(settings.iter().map(|(k, v)| (*k, v.clone())))
    }

    fn s(text: &str) -> Value {
        Value::from(text)
    }

    #[test]
    fn conflicting_methods_are_reported_on_the_attributes_of_the_later_method() {
        let found = errors(&block(&[
            ("application_key", s("AK")),
            ("application_secret", s("AS")),
            ("access_token", s("T")),
        ]));
        assert_eq!(found.len(), 1, "{found:?}");
        let (path, summary, detail) = &found[0];
        assert_eq!(
            (path.as_str(), summary.as_str()),
            ("access_token", "Conflicting credentials")
        );
        assert!(
            detail.contains("application_key, application_secret"),
            "{detail}"
        );
        assert!(
            detail.contains("Keep only one authentication method"),
            "{detail}"
        );

        let found = errors(&block(&[
            ("consumer_key", s("CK")),
            ("client_id", s("ID")),
            ("client_secret", s("SECRET")),
            ("access_token", s("T")),
        ]));
        let paths: Vec<&str> = found.iter().map(|(p, ..)| p.as_str()).collect();
        assert_eq!(paths, ["client_id", "client_secret", "access_token"]);
        assert!(
            found.iter().all(|(.., detail)| !detail.contains("SECRET")),
            "no value in messages: {found:?}"
        );
    }

    #[test]
    fn one_method_empty_strings_and_unknown_values_are_no_conflict() {
        assert_eq!(
            errors(&block(&[("client_id", s("ID")), ("client_secret", s("S"))])),
            []
        );
        assert_eq!(
            errors(&block(&[
                ("application_key", s("AK")),
                ("access_token", s(""))
            ])),
            []
        );
        // `var.token` not known at validate: it may be empty, so it cannot be called a conflict.
        assert_eq!(
            errors(&block(&[
                ("application_key", s("AK")),
                ("access_token", Value::Unknown)
            ])),
            []
        );
        // Half of a pair may be completed by OVH_* variables or ovh.conf: Configure decides.
        assert_eq!(errors(&block(&[("client_id", s("ID"))])), []);
    }

    #[test]
    fn oauth2_on_an_endpoint_without_it_is_reported_on_the_oauth2_attribute() {
        let found = errors(&block(&[
            ("endpoint", s("kimsufi-eu")),
            ("client_id", s("ID")),
            ("client_secret", s("S")),
        ]));
        let paths: Vec<&str> = found.iter().map(|(p, ..)| p.as_str()).collect();
        assert_eq!(paths, ["client_id", "client_secret"]);
        assert!(
            found[0]
                .2
                .contains("https://eu.api.kimsufi.com/1.0 has no OAuth2 service"),
            "{found:?}"
        );
        assert_eq!(
            errors(&block(&[("endpoint", s("ovh-ca")), ("client_id", s("ID"))])),
            []
        );
        assert_eq!(
            errors(&block(&[
                ("endpoint", Value::Unknown),
                ("client_id", s("ID"))
            ])),
            []
        );
    }
}
