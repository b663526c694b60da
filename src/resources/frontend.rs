//! `ovhiplb_http_frontend`, `ovhiplb_tcp_frontend` and `ovhiplb_udp_frontend`: one implementation parameterised by
//! the [`Protocol`], whose schema and API mapping hold only the fields the protocol has. Create is a POST, update a
//! PUT in place with every writable field (so a value cleared in config is cleared in the API), delete a DELETE;
//! the id is `service_name/frontend_id`.

use async_trait::async_trait;
use ovh_client::{Frontend as ApiFrontend, Protocol};

use super::common::{
    CallError, call, check_zone, format_id, invalid_import_id, ip_block_validator, ip_semantic_eq,
    parse_id,
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
        service_name: String => |a| super::common::lb_argument(
            a.requires_replace(),
            " Changing it replaces the frontend.",
        ),
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
            super::common::lb_identity(attr_name!(FrontendIdentity, service_name)).attr(
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
                e.lb_diagnostic(service_name, "read the load balancer")
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
            Ok(()) => ctx.data.deletions.record(
                &service_name,
                list::display_name(self.protocol, frontend_id, prior),
            ),
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
mod tests;
