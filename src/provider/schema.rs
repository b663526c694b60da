//! The `provider "ovhiplb"` block: the same settings as OVH's official provider, so a user switches with no
//! change, plus retries and a User-Agent suffix. Static checks run at validate time (PrepareProviderConfig).

use crate::plugin::diag::Diagnostics;
use crate::plugin::framework::validators;
use crate::plugin::schema::{Attribute, Block, Schema};
use crate::plugin::value::{AttrPath, Value};

/// The largest `max_retries` accepted: beyond it a broken API would hold a run for hours.
pub const MAX_RETRIES_LIMIT: i64 = 50;

/// Where unset settings come from, shared by every credential's description.
const FALLBACK: &str = "If unset, the `OVH_{ENV}` environment variable is used, then `{KEY}` in the section of the \
endpoint in `./ovh.conf`, `~/.ovh.conf` or `/etc/ovh.conf` (as go-ovh and the official OVH provider do).";

fn fallback(key: &str) -> String {
    FALLBACK.replace("{ENV}", &key.to_uppercase()).replace("{KEY}", key)
}

fn credential(name: &str, what: &str, sensitive: bool) -> Attribute {
    let attribute = Attribute::string(name).optional().markdown(format!("{what} {}", fallback(name)));
    if sensitive { attribute.sensitive() } else { attribute }
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
    ovh_client::Endpoint::parse(endpoint).map(drop).map_err(|e| capitalise(&e.to_string()))
}

/// Text that fits in an HTTP header.
fn check_user_agent_extra(extra: &str) -> Result<(), String> {
    if extra.chars().any(|c| c.is_control() || !c.is_ascii()) {
        return Err("Use printable ASCII characters only (it goes into an HTTP header).".to_owned());
    }
    Ok(())
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => format!("{}{}.", first.to_uppercase(), chars.as_str().trim_end_matches('.')),
        None => String::new(),
    }
}

/// Checks across attributes that the schema cannot express.
pub fn validate(config: &Value, diags: &mut Diagnostics) {
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
