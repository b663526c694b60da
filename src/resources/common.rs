//! Helpers shared by the resources and data sources: IP and IP block parsing with the semantic equality that makes
//! `1.2.3.4` and `1.2.3.4/32` the same value, composite ids (`service_name/rest`), running OVH calls under the
//! operation's context and turning their failures into diagnostics, reading and building attribute values, and
//! the per-process cache of load balancer zones.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use tokio::sync::OnceCell;

use tfplugin5_runtime::diag::{Diagnostic, Diagnostics};
use tfplugin5_runtime::framework::{Ctx, Interrupted};
use tfplugin5_runtime::schema::{Attribute, Validator};
use tfplugin5_runtime::value::{AttrPath, Value};

// ---------------------------------------------------------------------------------------------------------------
// IPs and IP blocks
// ---------------------------------------------------------------------------------------------------------------

/// An IPv4 or IPv6 block in canonical form: a bare address is its `/32` (`/128`) block.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct IpBlock {
    pub addr: IpAddr,
    pub prefix: u8,
}

impl IpBlock {
    /// Parses `1.2.3.4`, `1.2.3.4/32`, `1.2.3.0/24`, `2001:db8::1`, `2001:db8::/64`. The address must be the
    /// first of its block (no host bits set), as OVH stores blocks.
    pub fn parse(text: &str) -> Result<Self, String> {
        let (addr_text, prefix_text) = match text.split_once('/') {
            Some((addr, prefix)) => (addr, Some(prefix)),
            None => (text, None),
        };
        let addr: IpAddr = addr_text
            .parse()
            .map_err(|_| format!("{text:?} is not an IP address or block: {addr_text:?} is not an IPv4 or IPv6 address"))?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix_text {
            None => max,
            Some(p) => match p.parse::<u8>() {
                Ok(prefix) if prefix <= max && !p.starts_with('+') => prefix,
                _ => {
                    return Err(format!(
                        "{text:?} has an invalid prefix length {p:?}: expected 0 to {max}"
                    ));
                }
            },
        };
        let block = Self { addr, prefix };
        let network = block.network();
        if network != addr {
            return Err(format!(
                "{text:?} has host bits set: the block starts at {network}/{prefix}"
            ));
        }
        Ok(block)
    }

    /// The first address of the block.
    fn network(&self) -> IpAddr {
        match self.addr {
            IpAddr::V4(v4) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                IpAddr::V4((u32::from(v4) & mask).into())
            }
            IpAddr::V6(v6) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                IpAddr::V6((u128::from(v6) & mask).into())
            }
        }
    }
}

/// The CIDR form OVH returns: `203.0.113.7/32`.
impl fmt::Display for IpBlock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

/// The CIDR form of an IP or block (`1.2.3.4` → `1.2.3.4/32`), or the text unchanged when it does not parse (the
/// validator reports that case; this is for comparisons and request bodies).
pub fn normalize_ip(text: &str) -> String {
    IpBlock::parse(text).map_or_else(|_| text.to_owned(), |block| block.to_string())
}

/// The form state keeps for an IP or block read from the API with no prior value to follow (import, list, adoption):
/// a single address as written in configurations (`203.0.113.7/32` → `203.0.113.7`), any other block in CIDR form,
/// text that does not parse unchanged. Create stores what the configuration says; reading it back keeps that form
/// (semantic equality), so an import of what a configuration created holds the same strings as its state, and
/// whatever digests the resource (a refresh's `triggers`) does not change.
pub fn state_ip(text: &str) -> String {
    match IpBlock::parse(text) {
        Ok(block) if u32::from(block.prefix) == if block.addr.is_ipv4() { 32 } else { 128 } => {
            block.addr.to_string()
        }
        Ok(block) => block.to_string(),
        Err(_) => text.to_owned(),
    }
}

/// Whether two strings are the same IP or block (`1.2.3.4` ≡ `1.2.3.4/32`, `2001:db8::1` ≡ `2001:DB8::1/128`).
pub fn same_ip(a: &str, b: &str) -> bool {
    a == b || matches!((IpBlock::parse(a), IpBlock::parse(b)), (Ok(x), Ok(y)) if x == y)
}

/// Semantic equality of IP attributes, for [`Attribute::semantic_eq`](tfplugin5_runtime::schema::Attribute::semantic_eq);
/// the framework applies it element by element to sets and lists of IPs.
pub fn ip_semantic_eq(a: &Value, b: &Value) -> bool {
    matches!((a.as_str(), b.as_str()), (Some(a), Some(b)) if same_ip(a, b))
}

/// Whether two lists of IPs hold the same blocks, in any order and in any form.
pub fn same_ip_set<A: AsRef<str>, B: AsRef<str>>(a: &[A], b: &[B]) -> bool {
    canonical_ips(a) == canonical_ips(b)
}

/// The CIDR forms of `items`, sorted and without duplicates.
fn canonical_ips<S: AsRef<str>>(items: &[S]) -> Vec<String> {
    let mut all: Vec<String> = items.iter().map(|s| normalize_ip(s.as_ref())).collect();
    all.sort();
    all.dedup();
    all
}

/// Validates an IP or IP block attribute (or each element of a set/list of them).
pub fn ip_block_validator() -> impl Validator {
    tfplugin5_runtime::framework::validators::string("Invalid IP address or block", |text| {
        IpBlock::parse(text).map(|_| ())
    })
}

// ---------------------------------------------------------------------------------------------------------------
// Composite ids
// ---------------------------------------------------------------------------------------------------------------

/// `service_name/rest`, the id form of objects under a load balancer.
pub fn format_id(service_name: &str, rest: impl fmt::Display) -> String {
    format!("{service_name}/{rest}")
}

/// Splits `service_name/rest` at the first `/` (`rest` may hold more, as in `lb/203.0.113.7/32`). `expected`
/// names the whole form for the error, e.g. `service_name/frontend_id`.
pub fn parse_id<'a>(id: &'a str, expected: &str) -> Result<(&'a str, &'a str), String> {
    match id.split_once('/') {
        Some((service_name, rest))
            if !service_name.trim().is_empty() && !rest.trim().is_empty() =>
        {
            Ok((service_name, rest))
        }
        _ => Err(format!(
            "{id:?} is not of the form {expected}, e.g. loadbalancer-0123abcd/{}",
            example_rest(expected)
        )),
    }
}

fn example_rest(expected: &str) -> &'static str {
    match expected.rsplit('/').next() {
        Some("ip") => "203.0.113.7/32",
        Some("zone") => "gra",
        _ => "12345",
    }
}

/// Why `name` is not a valid IPLB service name, if it is not.
pub fn check_service_name(name: &str) -> Result<(), String> {
    if name.trim().is_empty() {
        Err(
            "the service name is empty: expected the IPLB service name, e.g. loadbalancer-0123abcd"
                .to_owned(),
        )
    } else if name.contains('/') {
        Err(format!(
            "{name:?} contains '/': expected the IPLB service name alone, e.g. loadbalancer-0123abcd"
        ))
    } else if name.trim() != name {
        Err(format!("{name:?} has leading or trailing spaces"))
    } else {
        Ok(())
    }
}

/// Validates a `service_name` attribute.
pub fn service_name_validator() -> impl Validator {
    tfplugin5_runtime::framework::validators::string("Invalid service name", check_service_name)
}

/// Completes the `service_name` argument of a type: required, checked, described (with `more` after the common
/// sentence, e.g. what changing it does).
pub fn lb_argument(attribute: Attribute, more: &str) -> Attribute {
    attribute
        .required()
        .validate(service_name_validator())
        .markdown(format!(
            "The IP Load Balancer's service name, e.g. `loadbalancer-0123abcd`.{more}"
        ))
}

/// The `config` of a `list` block, decoded; when it lacks what the listing needs (its `service_name`), the
/// error goes to the results and there is none.
pub async fn list_config<M: tfplugin5_runtime::framework::model::Model>(
    config: &Value,
    results: &mut tfplugin5_runtime::framework::ListResults,
) -> Option<M> {
    let decoded = M::from_value(config).ok();
    if decoded.is_none() {
        let error = Diagnostic::error(
            "Missing service_name",
            "Listing needs the load balancer's service_name in the list block's config.",
        );
        results
            .diagnostic(error.at(AttrPath::attr("service_name")))
            .await;
    }
    decoded
}

/// An identity whose first attribute is the load balancer's service name, `attribute` of the resource.
pub fn lb_identity(attribute: &str) -> tfplugin5_runtime::framework::Identity {
    tfplugin5_runtime::framework::Identity::new().attr(
        attribute,
        "The load balancer's service name, e.g. `loadbalancer-0123abcd`.",
    )
}

/// An error for an import id that does not parse, saying why, at the root (import has no attribute to point at).
pub fn invalid_import_id(diags: &mut Diagnostics, type_name: &str, reason: impl Into<String>) {
    diags.error(format!("Invalid import id for {type_name}"), reason.into());
}

// ---------------------------------------------------------------------------------------------------------------
// Calling the API
// ---------------------------------------------------------------------------------------------------------------

/// Why an API call made under an operation's context did not succeed.
#[derive(Debug)]
pub enum CallError {
    /// Terraform is stopping or the operation's timeout elapsed.
    Interrupted(Interrupted),
    /// The call itself failed.
    Api(ovh_client::Error),
}

impl CallError {
    /// A 404 answer: the object does not exist (any more).
    pub fn is_not_found(&self) -> bool {
        matches!(self, Self::Api(e) if e.is_not_found())
    }

    /// Whether the request may have reached the API and taken effect although no answer came back (a dropped
    /// connection or a timeout after sending, an operation interrupted while it was in flight): a retried create
    /// could then make a duplicate.
    pub fn outcome_unknown(&self) -> bool {
        match self {
            Self::Interrupted(_) => true,
            Self::Api(error) => error.delivery() == ovh_client::Delivery::MaybeSent,
        }
    }

    /// An error diagnostic about a call on load balancer `service_name`: "No load balancer …" when it does not
    /// exist, else "Cannot {doing}".
    pub fn lb_diagnostic(&self, service_name: &str, doing: &str) -> Diagnostic {
        let summary = if self.is_not_found() {
            format!("No load balancer {service_name}")
        } else {
            format!("Cannot {doing}")
        };
        self.to_diagnostic(summary)
    }

    /// An error diagnostic: `summary` says which operation on which object failed (e.g. `Cannot create
    /// ovhiplb_http_frontend on loadbalancer-abc`); the detail is the error's one-line form with the query id.
    pub fn to_diagnostic(&self, summary: impl Into<String>) -> Diagnostic {
        match self {
            Self::Interrupted(why) => Diagnostic::error(summary, why.to_string()),
            Self::Api(error) => Diagnostic::error(summary, error.to_string()),
        }
    }

    /// Adds [`CallError::to_diagnostic`] to `diags`.
    pub fn report(&self, diags: &mut Diagnostics, summary: impl Into<String>) {
        diags.push(self.to_diagnostic(summary));
    }
}

impl fmt::Display for CallError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Interrupted(why) => why.fmt(f),
            Self::Api(error) => error.fmt(f),
        }
    }
}

impl From<ovh_client::Error> for CallError {
    fn from(error: ovh_client::Error) -> Self {
        Self::Api(error)
    }
}

/// Runs an API call until it ends, Terraform calls `Stop`, or the operation's timeout elapses.
pub async fn call<T, D>(
    ctx: &Ctx<D>,
    future: impl Future<Output = Result<T, ovh_client::Error>>,
) -> Result<T, CallError> {
    ctx.run(future)
        .await
        .map_err(CallError::Interrupted)?
        .map_err(CallError::Api)
}

// ---------------------------------------------------------------------------------------------------------------
// Attribute values
// ---------------------------------------------------------------------------------------------------------------

/// A string attribute as an owned string; `None` when null or unknown.
pub fn get_string(object: &Value, name: &str) -> Option<String> {
    object.get(name).as_str().map(str::to_owned)
}

/// The known string elements of a list or set attribute; `None` when it is null or unknown.
pub fn get_strings(object: &Value, name: &str) -> Option<Vec<String>> {
    strings(object.get(name))
}

/// The known string elements of a list or set; `None` when it is null or unknown.
pub fn strings(value: &Value) -> Option<Vec<String>> {
    value.as_elements().map(|_| {
        value
            .string_elements()
            .into_iter()
            .map(str::to_owned)
            .collect()
    })
}

/// A set of strings, or null.
pub fn string_set(items: Option<&[String]>) -> Value {
    items.map_or(Value::Null, |items| Value::set(items.iter()))
}

/// A list of strings, or null.
pub fn string_list(items: Option<&[String]>) -> Value {
    items.map_or(Value::Null, |items| Value::list(items.iter()))
}

/// A collection read from the API, in the form that makes no diff against `prior`: the API gives `[]` and `null`
/// interchangeably for "none", so an empty answer keeps the prior's emptiness form (null unless it was `[]`).
pub fn empty_as_prior(read: Value, prior: &Value) -> Value {
    let read_empty = read.is_null() || read.as_elements().is_some_and(<[Value]>::is_empty);
    if !read_empty {
        return read;
    }
    match prior.as_elements() {
        Some([]) => prior.clone(),
        _ => Value::Null,
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Load balancer zones
// ---------------------------------------------------------------------------------------------------------------

/// The zones of each load balancer, fetched once per provider process: a plan of many frontends on one LB makes a
/// single `GET /ipLoadbalancing/{sn}/zone`, even when Terraform plans them concurrently. Zones of an LB do not
/// change during a run. Failed fetches are not cached.
#[derive(Default)]
pub struct ZoneCache {
    by_service: Mutex<HashMap<String, Arc<OnceCell<Vec<String>>>>>,
}

impl fmt::Debug for ZoneCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let count = self.by_service.lock().map_or(0, |map| map.len());
        f.debug_struct("ZoneCache")
            .field("load_balancers", &count)
            .finish()
    }
}

impl ZoneCache {
    /// The zones of `service_name`, from the cache or from `fetch`.
    pub async fn get_or_fetch<F, Fut, E>(
        &self,
        service_name: &str,
        fetch: F,
    ) -> Result<Vec<String>, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Vec<String>, E>>,
    {
        let cell = {
            // A poisoned lock only means another task panicked while holding it; the map itself stays valid.
            let mut map = self
                .by_service
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            Arc::clone(map.entry(service_name.to_owned()).or_default())
        };
        cell.get_or_try_init(fetch).await.cloned()
    }
}

/// Checks a configured zone against the LB's zones (`all` is always accepted); reports at `path`.
pub fn check_zone(
    zone: &str,
    zones: &[String],
    service_name: &str,
    path: &AttrPath,
    diags: &mut Diagnostics,
) {
    if zone == "all" || zones.iter().any(|z| z.eq_ignore_ascii_case(zone)) {
        return;
    }
    diags.error_at(
        path,
        "Unknown zone",
        format!(
            "{zone:?} is not a zone of {service_name}: expected \"all\" or one of {}.",
            if zones.is_empty() {
                "(the LB reports no zones)".to_owned()
            } else {
                zones.join(", ")
            }
        ),
    );
}

/// Test helpers for resources that run against the in-process simulator.
#[cfg(test)]
pub(crate) mod testing {
    use std::time::Duration;

    /// A client of the simulator at `base_url` with its `AK`/`AS`/`CK` credentials and fast task polls.
    pub(crate) fn sim_client(base_url: String) -> ovh_client::Client {
        let input = ovh_client::ConfigInput {
            endpoint: Some(base_url),
            application_key: Some("AK".into()),
            application_secret: Some("AS".into()),
            consumer_key: Some("CK".into()),
            ..Default::default()
        };
        let config =
            ovh_client::resolve(&input, &|_| None, &[]).expect("simulator settings resolve");
        let fast = Duration::from_millis(10);
        let options = ovh_client::ClientOptions {
            poll: ovh_client::PollPolicy {
                initial: fast,
                factor: 1.0,
                max: fast,
            },
            ..Default::default()
        };
        ovh_client::Client::new(config, options).expect("the client builds")
    }

    /// The context of an operation on `data` with a 20 s deadline, reported as `timeouts.create`.
    pub(crate) fn create_ctx<T>(data: T) -> tfplugin5_runtime::framework::Ctx<T> {
        tfplugin5_runtime::framework::Ctx::new(data, tokio_util::sync::CancellationToken::new())
            .with_timeout(Duration::from_secs(20), "timeouts.create")
    }

    /// What a call returns when the API answered `status` (with an empty object): for the recovery rule's tests.
    pub(crate) fn api_error(status: u16) -> super::CallError {
        super::CallError::Api(ovh_client::Error::Api(ovh_client::ApiError::from_response(
            status, b"{}", None,
        )))
    }

    /// What a call returns when a POST failed in transport with `delivery` (`MaybeSent`: the connection closed
    /// after the request went out): for the recovery rule's tests.
    pub(crate) fn transport_error(delivery: ovh_client::Delivery) -> super::CallError {
        super::CallError::Api(ovh_client::Error::Transport {
            method: "POST".into(),
            route: "/ipLoadbalancing/lb/udp/frontend".into(),
            attempts: 1,
            message: "connection closed".into(),
            delivery,
        })
    }

    /// Simulator fault rules for the two ways a POST to `path` (a simulator path pattern) fails `times` times
    /// before the API acts on it: dropped unhandled, and answered with the 5xx `status`. A create or deploy must
    /// send it again after either.
    pub(crate) fn unacted_post_faults(
        path: &str,
        status: u16,
        times: u32,
    ) -> [serde_json::Value; 2] {
        [
            serde_json::json!({"method": "POST", "path": path, "kind": "drop", "times": times}),
            serde_json::json!({"method": "POST", "path": path, "kind": "status", "status": status,
                               "times": times}),
        ]
    }

    /// An in-process simulator holding one load balancer, `service_name` in `zones`, and the provider data of a
    /// [`sim_client`] of it.
    pub(crate) async fn sim_with_lb(
        service_name: &str,
        zones: &[&str],
    ) -> (ovh_api_sim::Simulator, crate::resources::ProviderData) {
        let fixture: ovh_api_sim::Fixture = serde_json::from_value(serde_json::json!({
            "credentials": [{"application_key": "AK", "application_secret": "AS", "consumer_key": "CK"}],
            "load_balancers": [{"service_name": service_name, "zones": zones}],
        }))
        .expect("a valid fixture");
        let sim = ovh_api_sim::Simulator::start(ovh_api_sim::SimConfig {
            fixture,
            ..Default::default()
        })
        .await
        .expect("the simulator starts");
        let data = crate::resources::ProviderData::new(sim_client(sim.base_url()));
        (sim, data)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_form_of_ips() {
        for (api, state) in [
            ("203.0.113.7/32", "203.0.113.7"),
            ("203.0.113.7", "203.0.113.7"),
            ("198.51.100.0/24", "198.51.100.0/24"),
            ("2001:DB8::1/128", "2001:db8::1"),
            ("2001:db8::/64", "2001:db8::/64"),
            ("not an ip", "not an ip"),
        ] {
            assert_eq!(state_ip(api), state, "{api}");
            assert!(same_ip(api, &state_ip(api)), "{api}");
        }
    }

    #[test]
    fn ip_blocks_parse_and_normalise() {
        for (given, normalised) in [
            ("1.2.3.4", "1.2.3.4/32"),
            ("10.0.0.0/8", "10.0.0.0/8"),
            ("0.0.0.0/0", "0.0.0.0/0"),
            ("2001:DB8::1", "2001:db8::1/128"),
            ("2001:db8::/64", "2001:db8::/64"),
        ] {
            assert_eq!(IpBlock::parse(given).unwrap().to_string(), normalised);
        }
        for bad in [
            "",
            "1.2.3",
            "1.2.3.4/33",
            "1.2.3.4/",
            "1.2.3.4/+3",
            "1.2.3.4/x",
            "::1/129",
            "host",
            "1.2.3.4 ",
        ] {
            assert!(IpBlock::parse(bad).is_err(), "{bad:?} accepted");
        }
        let err = IpBlock::parse("1.2.3.5/30").unwrap_err();
        assert!(err.contains("1.2.3.4/30"), "{err}");
        assert_eq!(normalize_ip("not an ip"), "not an ip");
    }

    #[test]
    fn ip_equality_is_semantic() {
        assert!(same_ip("1.2.3.4", "1.2.3.4/32"));
        assert!(same_ip("2001:db8::1", "2001:DB8:0::1/128"));
        assert!(!same_ip("1.2.3.4", "1.2.3.5/32"));
        assert!(!same_ip("1.2.3.0/24", "1.2.3.0/25"));
        assert!(same_ip("junk", "junk") && !same_ip("junk", "junk2"));
        assert!(ip_semantic_eq(&"1.2.3.4/32".into(), &"1.2.3.4".into()));
        assert!(!ip_semantic_eq(&Value::Null, &"1.2.3.4".into()));
        assert!(same_ip_set(
            &["1.2.3.4", "5.6.7.8/32"],
            &["5.6.7.8", "1.2.3.4/32"]
        ));
        assert!(!same_ip_set(&["1.2.3.4"], &["1.2.3.4", "5.6.7.8"]));
        let eq: tfplugin5_runtime::schema::SemanticEq = Arc::new(ip_semantic_eq);
        assert!(tfplugin5_runtime::framework::semantic::semantically_equal(
            &eq,
            &Value::set(["1.2.3.4", "2001:db8::1"]),
            &Value::set(["2001:db8::1/128", "1.2.3.4/32"]),
        ));
    }

    #[test]
    fn ip_validator_names_the_attribute() {
        let mut diags = Diagnostics::new();
        let path = AttrPath::attr("dedicated_ipfo");
        tfplugin5_runtime::framework::validators::each_element(ip_block_validator()).validate(
            &Value::set(["1.2.3.4", "300.1.1.1"]),
            &path,
            &mut diags,
        );
        let all: Vec<_> = diags.iter().collect();
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].path.as_ref(), Some(&path));
        assert!(all[0].detail.contains("300.1.1.1"), "{}", all[0].detail);
    }

    #[test]
    fn composite_ids() {
        assert_eq!(
            parse_id("lb-1/42", "service_name/frontend_id"),
            Ok(("lb-1", "42"))
        );
        assert_eq!(
            parse_id("lb-1/203.0.113.7/32", "service_name/ip"),
            Ok(("lb-1", "203.0.113.7/32"))
        );
        for bad in ["lb-1", "/42", "lb-1/", "", " /1"] {
            let err = parse_id(bad, "service_name/frontend_id").unwrap_err();
            assert!(
                err.contains("service_name/frontend_id")
                    && err.contains("loadbalancer-0123abcd/12345"),
                "{err}"
            );
        }
        assert!(
            parse_id("x", "service_name/ip")
                .unwrap_err()
                .contains("/203.0.113.7/32")
        );
        assert_eq!(format_id("lb", 7), "lb/7");
        assert!(check_service_name("loadbalancer-abc").is_ok());
        for bad in ["", " ", "a/b", " lb"] {
            assert!(check_service_name(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn values_in_and_out() {
        let object = Value::object([
            ("s", Value::from("x")),
            ("l", Value::list(["a", "b"])),
            ("n", Value::Null),
            ("u", Value::Unknown),
        ]);
        assert_eq!(get_string(&object, "s").as_deref(), Some("x"));
        assert_eq!(get_string(&object, "n"), None);
        assert_eq!(
            get_strings(&object, "l"),
            Some(vec!["a".to_owned(), "b".to_owned()])
        );
        assert_eq!(get_strings(&object, "u"), None);
        let items = vec!["b".to_owned(), "a".to_owned()];
        assert_eq!(string_set(Some(&items)), Value::set(["a", "b"]));
        assert_eq!(string_list(Some(&items)), Value::list(["b", "a"]));
        assert!(string_set(None).is_null());
        assert!(empty_as_prior(Value::set(Vec::<Value>::new()), &Value::Null).is_null());
        assert_eq!(
            empty_as_prior(Value::Null, &Value::set(Vec::<Value>::new())),
            Value::set(Vec::<Value>::new())
        );
        assert!(empty_as_prior(Value::Set(vec![]), &Value::set(["x"])).is_null());
        assert_eq!(
            empty_as_prior(Value::set(["x"]), &Value::Null),
            Value::set(["x"])
        );
    }

    #[tokio::test]
    async fn zones_are_fetched_once_per_lb() {
        let cache = ZoneCache::default();
        let calls = std::sync::atomic::AtomicUsize::new(0);
        let fetch = || async {
            calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            Ok::<_, String>(vec!["gra".to_owned()])
        };
        let (a, b) = tokio::join!(
            cache.get_or_fetch("lb", fetch),
            cache.get_or_fetch("lb", fetch)
        );
        assert_eq!(
            (a.unwrap(), b.unwrap()),
            (vec!["gra".to_owned()], vec!["gra".to_owned()])
        );
        assert_eq!(calls.load(std::sync::atomic::Ordering::SeqCst), 1);
        let failed: Result<Vec<String>, String> = cache
            .get_or_fetch("other", || async { Err("down".to_owned()) })
            .await;
        assert!(failed.is_err());
        assert_eq!(
            cache.get_or_fetch("other", fetch).await.unwrap(),
            vec!["gra".to_owned()]
        );

        let mut diags = Diagnostics::new();
        let zones = vec!["gra".to_owned(), "rbx".to_owned()];
        check_zone("all", &zones, "lb", &AttrPath::attr("zone"), &mut diags);
        check_zone("GRA", &zones, "lb", &AttrPath::attr("zone"), &mut diags);
        assert!(diags.is_empty());
        check_zone("bhs", &zones, "lb", &AttrPath::attr("zone"), &mut diags);
        let d = diags.iter().next().unwrap();
        assert!(
            d.detail.contains("gra, rbx") && d.path == Some(AttrPath::attr("zone")),
            "{d}"
        );
    }
}
