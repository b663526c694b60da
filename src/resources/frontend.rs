//! `ovhiplb_http_frontend`, `ovhiplb_tcp_frontend` and `ovhiplb_udp_frontend`: one implementation parameterised by
//! the [`Protocol`], whose schema and API mapping hold only the fields the protocol has. Create is a POST, update a
//! PUT in place with every writable field (so a value cleared in config is cleared in the API), delete a DELETE;
//! the id is `service_name/frontend_id`.

use async_trait::async_trait;
use ovh_client::{Frontend as ApiFrontend, Protocol};

use super::common::{
    CallError, call, check_zone, format_id, invalid_import_id, ip_block_validator, ip_semantic_eq,
    parse_id, service_name_validator,
};
use crate::resources::ProviderData;
use fields::frontend_fields;
use tfplugin5_runtime::diag::Diagnostics;
use tfplugin5_runtime::framework::model::{MaybeUnknown, Model, attr_name, model};
use tfplugin5_runtime::framework::validators::{each_element, int_between, string};
use tfplugin5_runtime::framework::{Ctx, Identity, PlanChange, Resource};
use tfplugin5_runtime::schema::{Attribute, Block, Schema};
use tfplugin5_runtime::value::{AttrPath, Value};

mod adoption;
mod fields;
mod ledger;
mod list;
mod written;

pub use ledger::FrontendLedgers;
pub use list::FrontendList;
pub use written::WrittenFrontends;

/// The id form, for import errors.
const ID_FORM: &str = "service_name/frontend_id";

/// Highest port a frontend may listen on (OVH reserves the ports above).
const MAX_PORT: u32 = 49151;

model! {
    /// The attributes of a frontend that are not fields of the API object: where it is and its ids. The state is
    /// these plus the protocol's [`FIELDS`].
    pub(crate) struct FrontendKeys {
        id: MaybeUnknown<String> => |a| a
            .computed()
            .use_state_for_unknown()
            .markdown("`service_name/frontend_id`, e.g. `loadbalancer-0123abcd/12345`; the import id."),
        service_name: String => |a| a
            .required()
            .requires_replace()
            .validate(service_name_validator())
            .markdown("The IP Load Balancer's service name, e.g. `loadbalancer-0123abcd`. Changing it \
                       replaces the frontend."),
        frontend_id: MaybeUnknown<i64> => |a| a
            .computed()
            .use_state_for_unknown()
            .description("The frontend's id, assigned by OVH."),
    }
}

model! {
    /// What identifies a frontend.
    pub(crate) struct FrontendIdentity {
        service_name: String,
        frontend_id: i64,
    }
}

frontend_fields! {
    /// The fields of the API object the resource manages, one attribute each: which protocols have it (the client's
    /// own table of writable fields must agree, see the tests), its kind (Terraform type, conversions, comparison),
    /// how adoption compares it, and the rest of its schema attribute. In the schema's order.
    pub(crate) static FIELDS: FrontendFields = {
        port: Text, [Http, Tcp, Udp], Always => |a| a
            .required()
            .validate(string("Invalid port", check_port))
            .markdown(format!(
                "The port(s) to listen on: a port (`80`), a range (`8000-8010`) or a comma-separated list of \
                 those (`80,443,8000-8010`); each from 1 to {MAX_PORT}."
            )),
        zone: ZoneName, [Http, Tcp, Udp], Always => |a| a
            .required()
            .validate(string("Invalid zone", check_zone_syntax))
            .markdown("The zone to listen in: one of the load balancer's zones (e.g. `gra`) or `all`."),
        dedicated_ipfo: IpSet, [Http, Tcp, Udp], Always => |a| a
            .optional()
            .validate(each_element(ip_block_validator()))
            .semantic_eq(ip_semantic_eq)
            .markdown(
                "Failover IPs (or blocks) the frontend listens on, instead of the load balancer's own \
                 addresses. They must be routed to the load balancer (`ovhiplb_failover_ip_attachment`). \
                 `203.0.113.7` and `203.0.113.7/32` are the same value.",
            ),
        default_farm_id: Id, [Http, Tcp, Udp], WhenBoth => |a| a
            .optional()
            .validate(int_between(1, i64::MAX))
            .description("The farm that receives traffic no route sends elsewhere."),
        disabled: Flag, [Http, Tcp, Udp], WhenBoth => |a| a
            .default(false)
            .description("Whether the frontend is disabled (it then does not listen). Defaults to false."),
        display_name: Text, [Http, Tcp, Udp], WhenBoth => |a| a
            .optional()
            .description("A human-readable name."),
        allowed_source: IpSet, [Http, Tcp], WhenBoth => |a| source_filter(
            a,
            "Only these IP blocks may connect (empty: everyone). Cannot be combined with `denied_source`.",
        ),
        denied_source: IpSet, [Http, Tcp], WhenBoth => |a| source_filter(
            a,
            "These IP blocks may not connect. Cannot be combined with `allowed_source`.",
        ),
        default_ssl_id: Id, [Http, Tcp], WhenBoth => |a| a
            .optional()
            .validate(int_between(1, i64::MAX))
            .description("The SSL certificate served when no SNI matches."),
        ssl: Flag, [Http, Tcp], WhenBoth => |a| a
            .default(false)
            .description("Whether the frontend terminates SSL/TLS. Defaults to false."),
        hsts: Flag, [Http], WhenBoth => |a| a
            .default(false)
            .description("Whether to send the HTTP Strict Transport Security header. Defaults to false."),
        http_header: Strings, [Http], WhenBoth => |a| a
            .optional()
            .markdown("HTTP headers added to requests forwarded to the farms, e.g. `X-Forwarded-Port: %fp`."),
        redirect_location: Text, [Http], WhenBoth => |a| a
            .optional()
            .markdown("Redirect every request to this URL instead of forwarding it, e.g. `https://%host%path`."),
    }
}

/// A frontend resource type of one protocol.
#[derive(Clone, Copy, Debug)]
pub struct FrontendResource {
    protocol: Protocol,
}

impl FrontendResource {
    /// The frontend resource type of `protocol` (`ovhiplb_<protocol>_frontend`).
    pub const fn new(protocol: Protocol) -> Self {
        Self { protocol }
    }

    /// `HTTP`, `TCP` or `UDP`, for descriptions and messages.
    fn label(self) -> &'static str {
        match self.protocol {
            Protocol::Http => "HTTP",
            Protocol::Tcp => "TCP",
            Protocol::Udp => "UDP",
        }
    }

    /// The rows of [`FIELDS`] that the protocol has.
    fn fields(self) -> impl Iterator<Item = &'static fields::FrontendField> {
        FIELDS.all().filter(move |field| field.has(self.protocol))
    }

    fn block(self) -> Block {
        let label = self.label();
        let mut block = FrontendKeys::block().markdown(format!(
            "Manages an OVHcloud IP Load Balancer {label} frontend: the port(s) and zone it listens on, its \
             dedicated failover IPs and default farm. Changes are pending until the configuration is deployed \
             (see `ovhiplb_refresh`)."
        ));
        block
            .attributes
            .extend(self.fields().map(fields::FrontendField::attribute));
        block
    }

    /// The API object for a POST or PUT, from a planned state. Fields of other protocols stay unset (the client
    /// sends only the protocol's fields anyway); IPs are sent in the CIDR form OVH stores.
    fn api_from_state(self, planned: &Value) -> ApiFrontend {
        let mut frontend = ApiFrontend::default();
        for field in self.fields() {
            field.to_api(planned, &mut frontend);
        }
        frontend
    }

    /// The state of a frontend as the API returned it. `prior` (the prior state, or the plan after a create) only
    /// decides the form of empty collections, which the API gives as `[]` for a null config value.
    fn state_from_api(
        self,
        service_name: &str,
        frontend_id: i64,
        api: &ApiFrontend,
        prior: &Value,
    ) -> Value {
        let keys = FrontendKeys {
            id: format_id(service_name, frontend_id).into(),
            service_name: service_name.to_owned(),
            frontend_id: frontend_id.into(),
        };
        let mut state = keys.to_value();
        for field in self.fields() {
            state.set_attr(field.name, field.to_state(api, prior));
        }
        state
    }

    /// `service_name` and `frontend_id` of a state, from its attributes or, failing that, its id.
    fn object_ids(self, state: &Value, diags: &mut Diagnostics) -> Option<(String, i64)> {
        if let Ok(FrontendIdentity {
            service_name,
            frontend_id,
        }) = FrontendIdentity::from_value(state)
        {
            return Some((service_name, frontend_id));
        }
        match state
            .get(attr_name!(FrontendKeys, id))
            .as_str()
            .map(parse_frontend_id)
        {
            Some(Ok(identity)) => Some(identity),
            Some(Err(reason)) => {
                diags.error(format!("Invalid state of {}", self.type_name()), reason);
                None
            }
            None => {
                diags.error(
                    format!("Invalid state of {}", self.type_name()),
                    "The state has neither service_name and frontend_id nor an id.",
                );
                None
            }
        }
    }

    /// `on loadbalancer-x` or `loadbalancer-x/12`, for error summaries.
    fn failure(self, action: &str, object: &str) -> String {
        format!("Cannot {action} {} {object}", self.type_name())
    }
}

/// Completes an IP block set attribute (`allowed_source`, `denied_source`).
fn source_filter(attribute: Attribute, description: &str) -> Attribute {
    attribute
        .optional()
        .validate(each_element(ip_block_validator()))
        .semantic_eq(ip_semantic_eq)
        .markdown(format!("{description} Bare IPs mean their `/32` (`/128`)."))
}

/// Parses `service_name/frontend_id`.
fn parse_frontend_id(id: &str) -> Result<(String, i64), String> {
    let (service_name, rest) = parse_id(id, ID_FORM)?;
    super::common::check_service_name(service_name)?;
    match rest.parse::<i64>() {
        Ok(frontend_id) if frontend_id > 0 => Ok((service_name.to_owned(), frontend_id)),
        _ => Err(format!(
            "{id:?}: the frontend id {rest:?} is not a positive integer (expected {ID_FORM}, e.g. loadbalancer-0123abcd/12345)"
        )),
    }
}

/// Why `port` is not a valid frontend port specification, if it is not: a port, an increasing `a-b` range, or a
/// comma-separated list of those, each from 1 to 49151.
pub fn check_port(port: &str) -> Result<(), String> {
    if port.is_empty() {
        return Err(
            "the port is empty: expected a port (80), a range (8000-8010) or a list (80,443)"
                .to_owned(),
        );
    }
    let number = |text: &str| -> Result<u32, String> {
        match text.parse::<u32>() {
            Ok(n) if (1..=MAX_PORT).contains(&n) && text.bytes().all(|b| b.is_ascii_digit()) => {
                Ok(n)
            }
            Ok(n) if text.bytes().all(|b| b.is_ascii_digit()) => Err(format!(
                "port {n} in {port:?} is out of range: each port must be from 1 to {MAX_PORT}"
            )),
            _ => Err(format!(
                "{text:?} in {port:?} is not a port number: expected a port (80), a range (8000-8010) or a \
                 comma-separated list of those (80,443), without spaces"
            )),
        }
    };
    for item in port.split(',') {
        match item.split_once('-') {
            Some((low, high)) => {
                let (low, high) = (number(low)?, number(high)?);
                if low >= high {
                    return Err(format!(
                        "the range {item:?} in {port:?} must go from a lower to a higher port"
                    ));
                }
            }
            None => {
                number(item)?;
            }
        }
    }
    Ok(())
}

/// Zone names are checked against the LB at plan time; statically only their shape.
fn check_zone_syntax(zone: &str) -> Result<(), String> {
    if zone.is_empty() || zone.trim() != zone {
        Err(format!(
            "{zone:?} is not a zone name: expected \"all\" or one of the load balancer's zones, e.g. gra"
        ))
    } else {
        Ok(())
    }
}

/// Whether a configured set holds at least one element (unknown counts as not known to be empty: skip).
fn non_empty(value: &Value) -> bool {
    value.as_elements().is_some_and(|items| !items.is_empty())
}

#[async_trait]
impl Resource<ProviderData> for FrontendResource {
    fn type_name(&self) -> &'static str {
        match self.protocol {
            Protocol::Http => "ovhiplb_http_frontend",
            Protocol::Tcp => "ovhiplb_tcp_frontend",
            Protocol::Udp => "ovhiplb_udp_frontend",
        }
    }

    fn schema(&self) -> Schema {
        Schema::new(self.block())
    }

    fn identity(&self) -> Option<Identity> {
        Some(
            Identity::new()
                .attr(
                    attr_name!(FrontendIdentity, service_name),
                    "The load balancer's service name, e.g. `loadbalancer-0123abcd`.",
                )
                .attr(
                    attr_name!(FrontendIdentity, frontend_id),
                    "The frontend's id, e.g. `12345`.",
                ),
        )
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        let (allowed, denied) = (&FIELDS.allowed_source, &FIELDS.denied_source);
        if allowed.has(self.protocol)
            && non_empty(config.get(allowed.name))
            && non_empty(config.get(denied.name))
        {
            diags.error_at(
                &AttrPath::attr(denied.name),
                "Conflicting source filters",
                "allowed_source and denied_source cannot both be set: OVH applies one or the other. Keep one.",
            );
        }
    }

    async fn modify_plan(
        &self,
        ctx: &Ctx<Option<&ProviderData>>,
        plan: &mut PlanChange,
        diags: &mut Diagnostics,
    ) {
        let Some(data) = ctx.data else { return };
        // Single attributes: anything else in the plan may still be unknown.
        let (service_name_attr, zone_attr) =
            (attr_name!(FrontendKeys, service_name), FIELDS.zone.name);
        let (Some(service_name), Some(zone)) = (
            plan.planned.get(service_name_attr).as_str(),
            plan.planned.get(zone_attr).as_str(),
        ) else {
            return;
        };
        // Only a new zone (or a new LB) needs checking: an unchanged plan costs no API call.
        let unchanged = plan.prior.get(service_name_attr).as_str() == Some(service_name)
            && plan.prior.get(zone_attr).as_str() == Some(zone);
        if unchanged || zone == "all" {
            return;
        }
        let fetched = data
            .zones
            .get_or_fetch(service_name, || {
                call(ctx, data.client.list_zones(service_name))
            })
            .await;
        match fetched {
            Ok(zones) => check_zone(
                zone,
                &zones,
                service_name,
                &AttrPath::attr(zone_attr),
                diags,
            ),
            Err(e) if e.is_not_found() => diags.push(
                e.to_diagnostic(format!("No load balancer {service_name}"))
                    .at(AttrPath::attr(service_name_attr)),
            ),
            Err(e) => diags.warning(
                format!(
                    "Cannot check the zone of {} against {service_name}'s zones",
                    self.type_name()
                ),
                format!("{e}. The zone is checked by OVH on apply."),
            ),
        }
    }

    async fn create(
        &self,
        ctx: &Ctx<&ProviderData>,
        planned: &Value,
        _config: &Value,
        diags: &mut Diagnostics,
    ) -> Option<Value> {
        let service_name = planned
            .get(attr_name!(FrontendKeys, service_name))
            .as_str()?;
        let body = self.api_from_state(planned);
        let created = match adoption::create(ctx, self.protocol, service_name, &body).await {
            Ok(created) => created,
            Err(failure) => {
                diags.push(failure.into_diagnostic(
                    self.failure("create", &format!("on {service_name}")),
                    self.label(),
                    service_name,
                    &body,
                ));
                return None;
            }
        };
        match created.frontend_id {
            Some(frontend_id) => {
                Some(self.state_from_api(service_name, frontend_id, &created, planned))
            }
            None => {
                diags.error(
                    self.failure("create", &format!("on {service_name}")),
                    "The API answered the creation without a frontendId, so the new frontend cannot be \
                     tracked. Find it in the load balancer's frontends and import it.",
                );
                None
            }
        }
    }

    async fn read(
        &self,
        ctx: &Ctx<&ProviderData>,
        state: &Value,
        diags: &mut Diagnostics,
    ) -> Option<Value> {
        let (service_name, frontend_id) = self.object_ids(state, diags)?;
        let written = &ctx.data.written_frontends;
        let mark = written.start_read(&service_name, self.protocol, frontend_id);
        let outcome = call(
            ctx,
            ctx.data
                .client
                .get_frontend(&service_name, self.protocol, frontend_id),
        )
        .await;
        match &outcome {
            Ok(api) => written.read(&service_name, self.protocol, frontend_id, mark, Some(api)),
            Err(e) if e.is_not_found() => {
                written.read(&service_name, self.protocol, frontend_id, mark, None);
            }
            Err(_) => {}
        }
        match outcome {
            Ok(api) => Some(self.state_from_api(&service_name, frontend_id, &api, state)),
            Err(e) if e.is_not_found() => None,
            Err(e) => {
                e.report(
                    diags,
                    self.failure("read", &format_id(&service_name, frontend_id)),
                );
                None
            }
        }
    }

    async fn update(
        &self,
        ctx: &Ctx<&ProviderData>,
        prior: &Value,
        planned: &Value,
        _config: &Value,
        diags: &mut Diagnostics,
    ) -> Option<Value> {
        let (service_name, frontend_id) = self.object_ids(prior, diags)?;
        let body = self.api_from_state(planned);
        // Untrusted by the deploy check until the PUT is known to have succeeded.
        let write =
            ctx.data
                .written_frontends
                .start_write(&service_name, self.protocol, frontend_id);
        let outcome = call(
            ctx,
            ctx.data
                .client
                .update_frontend(&service_name, self.protocol, frontend_id, &body),
        )
        .await;
        match outcome {
            // The PUT answers nothing; the plan is what the frontend now is (the next read catches any change).
            Ok(()) => {
                write.updated(&body);
                Some(planned.clone())
            }
            Err(e) => {
                report_write(
                    &e,
                    diags,
                    self.failure("update", &format_id(&service_name, frontend_id)),
                );
                None
            }
        }
    }

    async fn delete(&self, ctx: &Ctx<&ProviderData>, prior: &Value, diags: &mut Diagnostics) {
        let Some((service_name, frontend_id)) = self.object_ids(prior, diags) else {
            return;
        };
        // Whatever the DELETE's outcome, the deploy check no longer trusts what this process knew of it.
        let _forget =
            ctx.data
                .written_frontends
                .start_write(&service_name, self.protocol, frontend_id);
        match call(
            ctx,
            ctx.data
                .client
                .delete_frontend(&service_name, self.protocol, frontend_id),
        )
        .await
        {
            Ok(()) => {}
            Err(e) if e.is_not_found() => {}
            Err(e) => report_write(
                &e,
                diags,
                self.failure("delete", &format_id(&service_name, frontend_id)),
            ),
        }
    }

    async fn import(
        &self,
        _ctx: &Ctx<&ProviderData>,
        id: &str,
        diags: &mut Diagnostics,
    ) -> Option<Value> {
        match parse_frontend_id(id) {
            Ok((service_name, frontend_id)) => Some(
                FrontendKeys {
                    id: format_id(&service_name, frontend_id).into(),
                    service_name,
                    frontend_id: frontend_id.into(),
                }
                .to_value(),
            ),
            Err(reason) => {
                invalid_import_id(diags, self.type_name(), reason);
                None
            }
        }
    }
}

/// Reports a failed PUT or DELETE; when its outcome is unknown, says so (the next plan shows what happened).
fn report_write(error: &CallError, diags: &mut Diagnostics, summary: String) {
    let mut diagnostic = error.to_diagnostic(summary);
    if error.outcome_unknown() {
        diagnostic.detail.push_str(
            " The change may have reached OVH; the next plan shows the frontend as it is.",
        );
    }
    diags.push(diagnostic);
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use std::collections::BTreeSet;

    use super::*;
    use tfplugin5_runtime::framework::model::{Coverage, mismatches};
    use tfplugin5_runtime::value::{Type, msgpack};

    const ALL: [Protocol; 3] = [Protocol::Http, Protocol::Tcp, Protocol::Udp];

    #[test]
    fn ports() {
        for good in [
            "80",
            "1",
            "49151",
            "80,443",
            "8000-8010",
            "80,443,8000-8010",
            "1-49151",
        ] {
            assert_eq!(check_port(good), Ok(()), "{good}");
        }
        let cases = [
            ("", "empty"),
            ("0", "port 0 in \"0\" is out of range"),
            ("49152", "port 49152 in \"49152\" is out of range"),
            ("80,70000", "port 70000 in \"80,70000\""),
            ("90-80", "range \"90-80\""),
            ("80-80", "range \"80-80\""),
            ("80, 443", "\" 443\" in \"80, 443\" is not a port number"),
            ("80,", "\"\" in \"80,\" is not a port number"),
            ("http", "\"http\" in \"http\""),
            ("+80", "not a port number"),
            ("1-2-3", "not a port number"),
        ];
        for (bad, expected) in cases {
            let err = check_port(bad).unwrap_err();
            assert!(err.contains(expected), "{bad:?}: {err}");
        }
    }

    #[test]
    fn import_ids() {
        assert_eq!(parse_frontend_id("lb/12"), Ok(("lb".to_owned(), 12)));
        for bad in ["lb", "lb/x", "lb/0", "lb/-3", "/12", "lb/12/3"] {
            let err = parse_frontend_id(bad).unwrap_err();
            assert!(err.contains(ID_FORM), "{bad:?}: {err}");
        }
    }

    #[test]
    fn schemas_hold_only_the_protocols_fields() {
        let names = |protocol| -> Vec<String> {
            FrontendResource::new(protocol)
                .block()
                .attributes
                .iter()
                .map(|a| a.name.clone())
                .collect()
        };
        let (http, tcp, udp) = (
            names(Protocol::Http),
            names(Protocol::Tcp),
            names(Protocol::Udp),
        );
        assert_eq!(udp.len(), 9, "{udp:?}");
        assert_eq!(tcp.len(), 13, "{tcp:?}");
        assert_eq!(http.len(), 16, "{http:?}");
        assert!(!udp.contains(&"ssl".to_owned()) && tcp.contains(&"ssl".to_owned()));
        assert!(
            !tcp.contains(&"hsts".to_owned()) && http.contains(&"redirect_location".to_owned())
        );
        for protocol in ALL {
            assert_eq!(
                FrontendResource::new(protocol).block().problems(),
                Vec::<String>::new()
            );
        }
    }

    fn http_planned() -> Value {
        Value::object([
            ("id", Value::Unknown),
            ("service_name", Value::from("lb")),
            ("frontend_id", Value::Unknown),
            ("port", Value::from("80,443")),
            ("zone", Value::from("gra")),
            (
                "dedicated_ipfo",
                Value::set(["203.0.113.7", "203.0.113.8/32"]),
            ),
            ("default_farm_id", Value::from(11_i64)),
            ("disabled", Value::from(false)),
            ("display_name", Value::Null),
            ("allowed_source", Value::set(["10.0.0.0/8"])),
            ("denied_source", Value::Null),
            ("default_ssl_id", Value::Null),
            ("ssl", Value::from(false)),
            ("hsts", Value::from(true)),
            ("http_header", Value::list(["X-A: 1"])),
            ("redirect_location", Value::Null),
        ])
    }

    fn sorted_ipfo(mut body: serde_json::Value) -> serde_json::Value {
        if let Some(ips) = body
            .get_mut("dedicatedIpfo")
            .and_then(serde_json::Value::as_array_mut)
        {
            ips.sort_by_key(ToString::to_string);
        }
        body
    }

    #[test]
    fn planned_state_to_api_bodies_per_protocol() {
        let planned = http_planned();
        let http = FrontendResource::new(Protocol::Http).api_from_state(&planned);
        assert_eq!(
            sorted_ipfo(http.create_body(Protocol::Http)),
            json!({"port":"80,443","zone":"gra","dedicatedIpfo":["203.0.113.7/32","203.0.113.8/32"],
                   "defaultFarmId":11,"disabled":false,"allowedSource":["10.0.0.0/8"],"ssl":false,"hsts":true,
                   "httpHeader":["X-A: 1"]})
        );
        let update = sorted_ipfo(http.update_body(Protocol::Http));
        for cleared in [
            "displayName",
            "deniedSource",
            "defaultSslId",
            "redirectLocation",
        ] {
            assert_eq!(
                update[cleared],
                serde_json::Value::Null,
                "{cleared} must be sent as null to clear it"
            );
        }
        // The same planned values through the UDP resource: only UDP's fields exist.
        let udp = FrontendResource::new(Protocol::Udp).api_from_state(&planned);
        assert_eq!(
            sorted_ipfo(udp.update_body(Protocol::Udp)),
            json!({"port":"80,443","zone":"gra","dedicatedIpfo":["203.0.113.7/32","203.0.113.8/32"],
                   "defaultFarmId":11,"disabled":false,"displayName":null})
        );
        let tcp = FrontendResource::new(Protocol::Tcp).api_from_state(&planned);
        assert_eq!(tcp.hsts, None);
        assert_eq!(tcp.allowed_source, Some(vec!["10.0.0.0/8".to_owned()]));
    }

    #[test]
    fn api_object_to_state_per_protocol() {
        let api: ApiFrontend = serde_json::from_value(json!({
            "frontendId": 42, "port": "80", "zone": "all", "displayName": null, "defaultFarmId": null,
            "defaultSslId": null, "allowedSource": [], "deniedSource": null, "dedicatedIpfo": ["203.0.113.7/32"],
            "disabled": true, "ssl": false, "hsts": false, "httpHeader": [], "redirectLocation": "https://x",
            "vrackNetworkId": null, "vrackVrouterId": null
        }))
        .unwrap();
        let prior = Value::object([("http_header", Value::list(Vec::<Value>::new()))]);
        let http = FrontendResource::new(Protocol::Http).state_from_api("lb", 42, &api, &prior);
        assert_eq!(http.get("id").as_str(), Some("lb/42"));
        assert_eq!(http.get("frontend_id").as_i64(), Some(42));
        assert_eq!(http.get("disabled").as_bool(), Some(true));
        assert!(
            http.get("allowed_source").is_null(),
            "an empty API list is a null config"
        );
        assert_eq!(
            http.get("http_header"),
            &Value::list(Vec::<Value>::new()),
            "`[]` in config stays `[]`"
        );
        assert_eq!(http.get("dedicated_ipfo"), &Value::set(["203.0.113.7/32"]));
        assert_eq!(http.get("redirect_location").as_str(), Some("https://x"));
        let udp = FrontendResource::new(Protocol::Udp).state_from_api("lb", 42, &api, &Value::Null);
        let Value::Object(entries) = &udp else {
            panic!("not an object")
        };
        assert_eq!(entries.len(), 9);
        assert!(udp.get("ssl").is_null() && udp.get("hsts").is_null());
        let tcp = FrontendResource::new(Protocol::Tcp).state_from_api("lb", 42, &api, &Value::Null);
        assert_eq!(tcp.get("ssl").as_bool(), Some(false));
        assert!(tcp.get("hsts").is_null());
    }

    #[test]
    fn round_trip_of_every_protocol_keeps_the_plan() {
        for protocol in ALL {
            let resource = FrontendResource::new(protocol);
            let ty = resource.block().value_type();
            let Type::Object(attributes) = ty else {
                panic!()
            };
            let planned = Value::Object(
                attributes
                    .keys()
                    .map(|k| (k.clone(), http_planned().get(k).clone()))
                    .collect(),
            )
            .with_attr("id", "lb/5".into())
            .with_attr("frontend_id", 5_i64.into());
            let mut api = resource.api_from_state(&planned);
            api.frontend_id = Some(5);
            let state = resource.state_from_api("lb", 5, &api, &planned);
            // The framework keeps the planned form of IPs that are semantically equal.
            let state = tfplugin5_runtime::framework::semantic::reconcile(
                &resource.block(),
                &planned,
                state,
            );
            assert_eq!(state, planned, "{protocol}");
        }
    }

    impl FrontendResource {
        /// Where the schema and what it is made of disagree (see `model::mismatches`): the keys models, the
        /// protocol's rows of the table, and a round trip of an API object through the state, the codec and back.
        pub(crate) fn model_mismatches(self) -> Vec<String> {
            let block = self.block();
            let mut found = mismatches::<FrontendKeys>(&block, Coverage::Subset);
            found.extend(mismatches::<FrontendIdentity>(&block, Coverage::Subset));
            let made_of: Vec<(String, Type)> = FrontendKeys::attributes()
                .into_iter()
                .chain(self.fields().map(fields::FrontendField::attribute))
                .map(|a| (a.name, a.ty))
                .collect();
            let schema: Vec<(String, Type)> = block
                .attributes
                .iter()
                .map(|a| (a.name.clone(), a.ty.clone()))
                .collect();
            if schema != made_of {
                found.push(format!(
                    "the schema {schema:?} is not the keys and the protocol's fields {made_of:?}"
                ));
            }
            let ty = block.value_type();
            let api = self.api_from_state(&every_field_set());
            let state = self.state_from_api("lb", 5, &api, &Value::Null);
            match msgpack::encode(&state, &ty).and_then(|bytes| msgpack::decode(&bytes, &ty)) {
                Ok(decoded) if decoded == state && self.api_from_state(&decoded) == api => {}
                Ok(decoded) => found.push(format!("{api:?} came back as {decoded:?}")),
                Err(e) => found.push(format!("{state:?} does not fit the schema: {e}")),
            }
            found
        }
    }

    /// A value of `ty` that the conversions leave as it is: strings are not IPs, so they are not normalised.
    fn sample(ty: &Type, text: &str) -> Value {
        match ty {
            Type::String => text.into(),
            Type::Number => i64::try_from(text.len()).unwrap().into(),
            Type::Bool => (text.len() % 2 == 1).into(),
            Type::Set(element) => Value::set([sample(element, text)]),
            Type::List(element) => Value::list([sample(element, text)]),
            other => panic!("no sample of {other}"),
        }
    }

    /// A plan with every field of the table set, whatever its protocol.
    fn every_field_set() -> Value {
        Value::Object(
            FIELDS
                .all()
                .map(|f| (f.name.to_owned(), sample(&f.attribute().ty, "x")))
                .collect(),
        )
    }

    #[test]
    fn every_protocol_agrees_with_its_models() {
        for protocol in ALL {
            let found = FrontendResource::new(protocol).model_mismatches();
            assert!(found.is_empty(), "{protocol}: {found:#?}");
        }
    }

    #[test]
    fn the_field_table_agrees_with_the_clients_writable_fields() {
        for protocol in ALL {
            let ours: BTreeSet<String> = FrontendResource::new(protocol)
                .fields()
                .map(|field| {
                    let mut api = ApiFrontend::default();
                    field.to_api(&every_field_set(), &mut api);
                    let json = serde_json::to_value(&api).unwrap();
                    let set: Vec<&String> = json
                        .as_object()
                        .unwrap()
                        .iter()
                        .filter(|(_, value)| !value.is_null())
                        .map(|(name, _)| name)
                        .collect();
                    assert_eq!(set.len(), 1, "{} sets {set:?}", field.name);
                    set[0].clone()
                })
                .collect();
            let theirs: BTreeSet<String> = ApiFrontend::writable_fields(protocol)
                .map(str::to_owned)
                .collect();
            assert_eq!(ours, theirs, "{protocol}");
        }
    }

    #[test]
    fn adoption_compares_every_field_as_the_table_says() {
        let asked = FrontendResource::new(Protocol::Http).api_from_state(&every_field_set());
        let matches = |candidate: &ApiFrontend| FIELDS.all().all(|f| f.matches(candidate, &asked));
        assert!(matches(&asked));
        for field in FIELDS.all() {
            let mut other = asked.clone();
            let different = Value::object([(field.name, sample(&field.attribute().ty, "yy"))]);
            field.to_api(&different, &mut other);
            assert!(!matches(&other), "a different {} matched", field.name);
            let mut absent = asked.clone();
            field.to_api(&Value::Null, &mut absent);
            let always = ["port", "zone", "dedicated_ipfo"].contains(&field.name);
            assert_eq!(matches(&absent), !always, "{} left out", field.name);
        }
    }

    #[test]
    fn source_filters_are_exclusive() {
        let resource = FrontendResource::new(Protocol::Tcp);
        let mut diags = Diagnostics::new();
        let both = Value::object([
            ("allowed_source", Value::set(["1.0.0.0/8"])),
            ("denied_source", Value::set(["2.0.0.0/8"])),
        ]);
        resource.validate(&both, &mut diags);
        assert_eq!(
            diags.iter().next().and_then(|d| d.path.clone()),
            Some(AttrPath::attr("denied_source"))
        );
        let mut diags = Diagnostics::new();
        let one = Value::object([
            ("allowed_source", Value::set(["1.0.0.0/8"])),
            ("denied_source", Value::Set(vec![])),
        ]);
        resource.validate(&one, &mut diags);
        assert!(diags.is_empty());
    }
}

/// The operations against the in-process simulator: what Terraform cannot easily show (lost answers, call counts).
#[cfg(test)]
mod sim_tests {
    use std::time::Duration;

    use ovh_api_sim::Simulator;
    use serde_json::json;
    use tokio_util::sync::CancellationToken;

    use super::*;
    use crate::resources::common::testing::sim_with_lb;

    const LB: &str = "loadbalancer-0123abcd";

    async fn setup() -> (Simulator, ProviderData) {
        sim_with_lb(LB, &["gra", "rbx"]).await
    }

    fn ctx<T>(data: T) -> Ctx<T> {
        Ctx::new(data, CancellationToken::new())
            .with_timeout(Duration::from_secs(20), "timeouts.create")
    }

    fn planned(port: &str, zone: &str) -> Value {
        Value::object([
            ("service_name", Value::from(LB)),
            ("port", Value::from(port)),
            ("zone", Value::from(zone)),
            ("disabled", Value::from(false)),
        ])
    }

    fn posts(sim: &Simulator) -> usize {
        sim.requests().iter().filter(|r| r.method == "POST").count()
    }

    /// A UDP frontend on port 53 with the fault `rule` on its POST: returns the created state and the POST count.
    async fn create_under(rule: serde_json::Value) -> (Simulator, Option<Value>, Diagnostics) {
        let (sim, data) = setup().await;
        let resource = FrontendResource::new(Protocol::Udp);
        let mut diags = Diagnostics::new();
        // A frontend on the same port in another zone, made before: it must not be mistaken for ours.
        let other = resource
            .create(&ctx(&data), &planned("53", "rbx"), &Value::Null, &mut diags)
            .await;
        assert!(other.is_some(), "{diags:?}");
        sim.add_faults(vec![serde_json::from_value(rule).unwrap()])
            .unwrap();
        let created = resource
            .create(&ctx(&data), &planned("53", "gra"), &Value::Null, &mut diags)
            .await;
        (sim, created, diags)
    }

    #[tokio::test]
    async fn a_lost_create_answer_is_adopted_not_repeated() {
        let rule = json!({"method": "POST", "path": "/ipLoadbalancing/*/udp/frontend", "kind": "drop",
                          "after_handling": true, "times": 1});
        let (sim, created, diags) = create_under(rule).await;
        let state = created.unwrap_or_else(|| panic!("{diags:?}"));
        assert_eq!(
            posts(&sim),
            2,
            "one POST each, none repeated: {:#?}",
            sim.requests()
        );
        let frontends = sim.state()["frontends"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert_eq!(frontends.len(), 2, "{frontends:#?}");
        let adopted = frontends
            .iter()
            .find(|f| f["object"]["zone"] == "gra")
            .expect("the gra frontend");
        assert_eq!(
            state.get("frontend_id").as_i64(),
            adopted["object"]["frontendId"].as_i64()
        );
        assert_eq!(state.get("zone").as_str(), Some("gra"));
    }

    #[tokio::test]
    async fn a_create_that_did_not_happen_is_sent_again() {
        for rule in [
            json!({"method": "POST", "path": "/ipLoadbalancing/*/udp/frontend", "kind": "drop", "times": 2}),
            json!({"method": "POST", "path": "/ipLoadbalancing/*/udp/frontend", "kind": "status", "status": 502,
                   "times": 2}),
        ] {
            // Two failed POSTs before the answer: three in all for the gra frontend, plus the rbx one.
            let (sim, created, diags) = create_under(rule.clone()).await;
            assert!(created.is_some(), "{rule}: {diags:?}");
            assert_eq!(posts(&sim), 4, "{rule}: {:#?}", sim.requests());
            assert_eq!(
                sim.state()["frontends"].as_array().map(Vec::len),
                Some(2),
                "{rule}"
            );
        }
    }

    #[tokio::test]
    async fn a_create_failing_every_time_gives_up_with_a_clear_error() {
        let rule = json!({"method": "POST", "path": "/ipLoadbalancing/*/udp/frontend", "kind": "status",
                          "status": 503});
        let (sim, data) = setup().await;
        sim.add_faults(vec![serde_json::from_value(rule).unwrap()])
            .unwrap();
        let mut diags = Diagnostics::new();
        let created = FrontendResource::new(Protocol::Udp)
            .create(&ctx(&data), &planned("53", "gra"), &Value::Null, &mut diags)
            .await;
        assert!(created.is_none());
        let error = diags.iter().next().expect("an error");
        assert!(
            error
                .summary
                .contains("Cannot create ovhiplb_udp_frontend on loadbalancer-0123abcd"),
            "{error}"
        );
        assert!(error.detail.contains("503"), "{error}");
        assert_eq!(posts(&sim), adoption_max_posts());
        assert_eq!(sim.state()["frontends"].as_array().map(Vec::len), Some(0));
    }

    fn adoption_max_posts() -> usize {
        usize::try_from(super::adoption::MAX_POSTS).unwrap()
    }

    #[tokio::test]
    async fn crud_and_gone_objects() {
        let (_sim, data) = setup().await;
        let resource = FrontendResource::new(Protocol::Tcp);
        let mut diags = Diagnostics::new();
        let state = resource
            .create(
                &ctx(&data),
                &planned("443", "all"),
                &Value::Null,
                &mut diags,
            )
            .await
            .unwrap();
        assert!(diags.is_empty(), "{diags:?}");
        let id = state.get("frontend_id").as_i64().unwrap();
        assert_eq!(
            state.get("id").as_str(),
            Some(format!("{LB}/{id}").as_str())
        );
        assert_eq!(
            resource.read(&ctx(&data), &state, &mut diags).await,
            Some(state.clone())
        );

        let changed = state
            .clone()
            .with_attr("port", "444".into())
            .with_attr("display_name", "x".into());
        let updated = resource
            .update(&ctx(&data), &state, &changed, &Value::Null, &mut diags)
            .await;
        assert_eq!(updated.as_ref(), Some(&changed));
        let read = resource
            .read(&ctx(&data), &state, &mut diags)
            .await
            .unwrap();
        assert_eq!(
            (read.get("port").as_str(), read.get("display_name").as_str()),
            (Some("444"), Some("x"))
        );

        resource.delete(&ctx(&data), &read, &mut diags).await;
        assert_eq!(
            resource.read(&ctx(&data), &read, &mut diags).await,
            None,
            "gone is not an error"
        );
        resource.delete(&ctx(&data), &read, &mut diags).await;
        assert!(
            diags.is_empty(),
            "deleting a gone frontend is a success: {diags:?}"
        );
        let imported = resource
            .import(&ctx(&data), &format!("{LB}/{id}"), &mut diags)
            .await
            .unwrap();
        assert_eq!(imported.get("frontend_id").as_i64(), Some(id));
        assert!(
            resource
                .import(&ctx(&data), "nope", &mut diags)
                .await
                .is_none()
        );
        assert!(diags.iter().next().unwrap().detail.contains(ID_FORM));
    }

    #[tokio::test]
    async fn zones_are_checked_once_per_lb_and_only_when_they_change() {
        let (sim, data) = setup().await;
        let resource = FrontendResource::new(Protocol::Http);
        let plan_of = |prior: Value, zone: &str| PlanChange {
            prior,
            config: Value::Null,
            planned: planned("80", zone),
            requires_replace: Vec::new(),
        };
        let mut diags = Diagnostics::new();
        for zone in ["gra", "RBX", "bhs"] {
            resource
                .modify_plan(
                    &ctx(Some(&data)),
                    &mut plan_of(Value::Null, zone),
                    &mut diags,
                )
                .await;
        }
        let errors: Vec<_> = diags.iter().collect();
        assert_eq!(errors.len(), 1, "{diags:?}");
        assert_eq!(errors[0].path, Some(AttrPath::attr("zone")));
        assert!(
            errors[0]
                .detail
                .contains("\"bhs\" is not a zone of loadbalancer-0123abcd"),
            "{}",
            errors[0]
        );
        let mut unchanged = plan_of(planned("80", "bhs"), "bhs");
        resource
            .modify_plan(&ctx(Some(&data)), &mut unchanged, &mut diags)
            .await;
        let zone_calls = sim
            .requests()
            .iter()
            .filter(|r| r.path.ends_with("/zone"))
            .count();
        assert_eq!(zone_calls, 1, "one zone call: {:?}", sim.requests());

        let missing = planned("80", "gra").with_attr("service_name", "loadbalancer-nope".into());
        let mut diags = Diagnostics::new();
        let mut plan = PlanChange {
            planned: missing,
            ..plan_of(Value::Null, "gra")
        };
        resource
            .modify_plan(&ctx(Some(&data)), &mut plan, &mut diags)
            .await;
        assert_eq!(
            diags.iter().next().and_then(|d| d.path.clone()),
            Some(AttrPath::attr("service_name"))
        );
        // Without a configured provider there is nothing to check against.
        resource
            .modify_plan(
                &ctx(None),
                &mut plan_of(Value::Null, "bhs"),
                &mut Diagnostics::new(),
            )
            .await;
    }
}
