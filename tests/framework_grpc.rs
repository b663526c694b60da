//! The tfplugin5 service called directly (no network) with msgpack-encoded requests: the OVH provider's schema,
//! config validation and Configure, and a tiny test provider for resource validation, plan and apply.

use std::sync::Arc;

use async_trait::async_trait;
use ovhiplb::provider::{OvhProvider, schema::provider_schema};
use tfplugin5_runtime::diag::Diagnostics;
use tfplugin5_runtime::framework::{Ctx, DataSource, Provider, Resource, validators};
use tfplugin5_runtime::schema::{Attribute, Block, Schema};
use tfplugin5_runtime::value::{Type, Value, msgpack};
use tfplugin5_runtime::wire_types::ProviderService;
use tfplugin5_runtime::wire_types::tfplugin5 as pb;
use tfplugin5_runtime::wire_types::tfplugin5::attribute_path::step::Selector;
use tfplugin5_runtime::wire_types::tfplugin5::provider_server::Provider as _;
use tonic::Request;

fn dynamic(value: &Value, ty: &Type) -> Option<pb::DynamicValue> {
    Some(pb::DynamicValue {
        msgpack: msgpack::encode(value, ty).unwrap(),
        json: Vec::new(),
    })
}

/// A provider that never looks at the process environment or ovh.conf files.
fn ovh_service() -> ProviderService<OvhProvider> {
    ProviderService::new(OvhProvider::with_resolver(|input| {
        ovh_client::resolve(input, &|_| None, &[])
    }))
}

fn provider_config(entries: &[(&str, Value)]) -> Option<pb::DynamicValue> {
    dynamic(
        &Value::object(entries.iter().cloned()),
        &provider_schema().value_type(),
    )
}

fn errors(diags: &[pb::Diagnostic]) -> Vec<&pb::Diagnostic> {
    diags
        .iter()
        .filter(|d| d.severity == pb::diagnostic::Severity::Error as i32)
        .collect()
}

fn path_names(diag: &pb::Diagnostic) -> Vec<String> {
    diag.attribute
        .iter()
        .flat_map(|p| &p.steps)
        .map(|s| match &s.selector {
            Some(Selector::AttributeName(n)) => n.clone(),
            Some(Selector::ElementKeyString(k)) => format!("[{k:?}]"),
            Some(Selector::ElementKeyInt(i)) => format!("[{i}]"),
            None => "?".into(),
        })
        .collect()
}

#[tokio::test]
async fn get_schema_describes_every_attribute_and_marks_secrets_sensitive() {
    let response = ProviderService::new(OvhProvider::default())
        .get_schema(Request::new(pb::get_provider_schema::Request {}))
        .await
        .unwrap()
        .into_inner();
    let caps = response.server_capabilities.unwrap();
    assert!(caps.get_provider_schema_optional && caps.plan_destroy);
    let block = response.provider.unwrap().block.unwrap();
    let mut names: Vec<&str> = block.attributes.iter().map(|a| a.name.as_str()).collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "access_token",
            "application_key",
            "application_secret",
            "client_id",
            "client_secret",
            "consumer_key",
            "endpoint",
            "max_retries",
            "user_agent_extra"
        ]
    );
    for attribute in &block.attributes {
        assert!(
            attribute.description.len() > 20,
            "{} lacks a description",
            attribute.name
        );
        assert!(
            attribute.optional && !attribute.required && !attribute.computed,
            "{}",
            attribute.name
        );
        let secret = matches!(
            attribute.name.as_str(),
            "application_secret" | "consumer_key" | "client_secret" | "access_token"
        );
        assert_eq!(
            attribute.sensitive, secret,
            "sensitive flag of {}",
            attribute.name
        );
        let ty = if attribute.name == "max_retries" {
            &b"\"number\""[..]
        } else {
            &b"\"string\""[..]
        };
        assert_eq!(attribute.r#type, ty);
    }
    let endpoint = block
        .attributes
        .iter()
        .find(|a| a.name == "endpoint")
        .unwrap();
    assert!(
        endpoint.description.contains("OVH_ENDPOINT") && endpoint.description.contains("ovh.conf")
    );
    let key = block
        .attributes
        .iter()
        .find(|a| a.name == "application_key")
        .unwrap();
    assert!(key.description.contains("OVH_APPLICATION_KEY"));
}

#[tokio::test]
async fn prepare_provider_config_checks_endpoint_and_max_retries_statically() {
    let service = ovh_service();
    let prepare = |config| {
        let request = Request::new(pb::prepare_provider_config::Request { config });
        async {
            service
                .prepare_provider_config(request)
                .await
                .unwrap()
                .into_inner()
        }
    };
    let ok = prepare(provider_config(&[
        ("endpoint", "ovh-ca".into()),
        ("max_retries", 3_i64.into()),
    ]))
    .await;
    assert!(ok.diagnostics.is_empty(), "{:?}", ok.diagnostics);
    let url = prepare(provider_config(&[(
        "endpoint",
        "http://127.0.0.1:8080/1.0".into(),
    )]))
    .await;
    assert!(url.diagnostics.is_empty(), "{:?}", url.diagnostics);

    let bad = prepare(provider_config(&[
        ("endpoint", "ovh-mars".into()),
        ("max_retries", (-1_i64).into()),
    ]))
    .await;
    let errs = errors(&bad.diagnostics);
    assert_eq!(errs.len(), 2, "{errs:?}");
    assert!(
        errs.iter()
            .any(|d| path_names(d) == ["endpoint"] && d.detail.contains("ovh-mars"))
    );
    assert!(errs.iter().any(|d| path_names(d) == ["max_retries"]));
    // Unknown values are skipped.
    let unknown = prepare(provider_config(&[("endpoint", Value::Unknown)])).await;
    assert!(unknown.diagnostics.is_empty());
    // Garbage bytes are an error diagnostic, not a failure of the call.
    let garbage = prepare(Some(pb::DynamicValue {
        msgpack: vec![0x93, 0x01],
        json: vec![],
    }))
    .await;
    assert_eq!(errors(&garbage.diagnostics).len(), 1);
}

#[tokio::test]
async fn configure_with_half_given_credentials_names_what_is_missing() {
    let service = ovh_service();
    let configure = |config| {
        let request = Request::new(pb::configure::Request {
            terraform_version: "1.9.0".into(),
            config,
            client_capabilities: None,
        });
        async { service.configure(request).await.unwrap().into_inner() }
    };
    let half = configure(provider_config(&[("application_key", "AK".into())])).await;
    let errs = errors(&half.diagnostics);
    assert_eq!(errs.len(), 1, "{:?}", half.diagnostics);
    assert!(
        errs[0].detail.contains("application_secret"),
        "{:?}",
        errs[0]
    );

    let oauth = configure(provider_config(&[("client_id", "ID".into())])).await;
    assert!(
        errors(&oauth.diagnostics)[0]
            .detail
            .contains("client_secret")
    );

    let none = configure(provider_config(&[])).await;
    assert!(
        errors(&none.diagnostics)[0]
            .detail
            .to_lowercase()
            .contains("missing authentication")
    );

    // Unknown values at plan time: configuration is deferred without error.
    let unknown = configure(provider_config(&[("access_token", Value::Unknown)])).await;
    assert!(unknown.diagnostics.is_empty());

    // Complete settings: Configure checks them with the API (GET /auth/details), here unreachable.
    let full = configure(provider_config(&[
        ("endpoint", "http://127.0.0.1:9/1.0".into()),
        ("application_key", "AK".into()),
        ("application_secret", "AS".into()),
        ("consumer_key", "CK".into()),
        ("max_retries", Value::from(0_i64)),
    ]))
    .await;
    let errs = errors(&full.diagnostics);
    assert_eq!(errs.len(), 1, "{:?}", full.diagnostics);
    assert_eq!(errs[0].summary, "Cannot check the OVH credentials");
    assert!(
        errs[0]
            .detail
            .contains("application_key \"AK\", from argument application_key"),
        "{:?}",
        errs[0]
    );
}

// ----- a tiny provider to drive resource RPCs -------------------------------------------------------------------

struct TestProvider;
struct Gadget;

#[async_trait]
impl Provider for TestProvider {
    type Data = String;

    fn schema(&self) -> Schema {
        Schema::new(Block::new().attr(Attribute::string("tag").optional().description("Tag.")))
    }

    async fn configure(
        &self,
        _ctx: &Ctx<()>,
        config: &Value,
        _diags: &mut Diagnostics,
    ) -> Option<String> {
        Some(config.get("tag").as_str().unwrap_or("none").to_owned())
    }

    fn resources(&self) -> Vec<Arc<dyn Resource<String>>> {
        vec![Arc::new(Gadget)]
    }

    fn data_sources(&self) -> Vec<Arc<dyn DataSource<String>>> {
        Vec::new()
    }
}

#[async_trait]
impl Resource<String> for Gadget {
    fn type_name(&self) -> &'static str {
        "test_gadget"
    }

    fn schema(&self) -> Schema {
        Schema::new(
            Block::new()
                .attr(Attribute::string("id").computed().description("Id."))
                .attr(
                    Attribute::number("port")
                        .required()
                        .validate(validators::int_between(1, 49151))
                        .description("Port."),
                )
                .attr(
                    Attribute::new("labels", Type::map(Type::String))
                        .optional()
                        .description("Labels."),
                ),
        )
    }

    async fn create(
        &self,
        ctx: &Ctx<&String>,
        planned: &Value,
        _: &Value,
        _: &mut Diagnostics,
    ) -> Option<Value> {
        if ctx.is_cancelled() {
            return None;
        }
        Some(
            planned
                .clone()
                .with_attr("id", Value::from(format!("{}-1", ctx.data))),
        )
    }

    async fn read(&self, _: &Ctx<&String>, state: &Value, _: &mut Diagnostics) -> Option<Value> {
        Some(state.clone())
    }

    async fn update(
        &self,
        _: &Ctx<&String>,
        _: &Value,
        planned: &Value,
        _: &Value,
        _: &mut Diagnostics,
    ) -> Option<Value> {
        Some(planned.clone())
    }

    async fn delete(&self, _: &Ctx<&String>, _: &Value, _: &mut Diagnostics) {}
}

fn gadget_type() -> Type {
    Type::object([
        ("id", Type::String),
        ("port", Type::Number),
        ("labels", Type::map(Type::String)),
    ])
}

#[tokio::test]
async fn validate_resource_config_reports_the_attribute_path() {
    let service = ProviderService::new(TestProvider);
    let validate = |type_name: &str, value: Value| {
        let request = Request::new(pb::validate_resource_type_config::Request {
            type_name: type_name.into(),
            config: dynamic(&value, &gadget_type()),
            client_capabilities: None,
        });
        async {
            service
                .validate_resource_type_config(request)
                .await
                .unwrap()
                .into_inner()
                .diagnostics
        }
    };
    let diags = validate(
        "test_gadget",
        Value::object([("port", Value::from(70000_i64))]),
    )
    .await;
    assert_eq!(errors(&diags).len(), 1);
    assert_eq!(path_names(&diags[0]), ["port"]);
    assert!(diags[0].detail.contains("70000"));
    assert!(
        validate("test_gadget", Value::object([("port", Value::Unknown)]))
            .await
            .is_empty()
    );
    assert!(
        validate(
            "test_gadget",
            Value::object([("port", Value::from(80_i64))])
        )
        .await
        .is_empty()
    );
    let unknown_type = validate("test_nothing", Value::Null).await;
    assert!(errors(&unknown_type)[0].detail.contains("test_nothing"));

    // A config with an attribute the schema lacks is an error naming it.
    let request = Request::new(pb::validate_resource_type_config::Request {
        type_name: "test_gadget".into(),
        config: dynamic(
            &Value::object([("bogus", Value::from(1_i64))]),
            &Type::object([("bogus", Type::Number)]),
        ),
        client_capabilities: None,
    });
    let diags = service
        .validate_resource_type_config(request)
        .await
        .unwrap()
        .into_inner()
        .diagnostics;
    assert_eq!(path_names(errors(&diags)[0]), ["bogus"]);
}

#[tokio::test]
async fn plan_and_apply_a_create_then_stop() {
    let service = ProviderService::new(TestProvider);
    let ty = gadget_type();
    let config = Value::object([("port", Value::from(80_i64))]);

    // Apply before Configure: a clear error, and the prior (null) state echoed.
    let apply = |planned: Option<pb::DynamicValue>| {
        let request = Request::new(pb::apply_resource_change::Request {
            type_name: "test_gadget".into(),
            prior_state: dynamic(&Value::Null, &ty),
            planned_state: planned,
            config: dynamic(&config, &ty),
            ..Default::default()
        });
        async {
            service
                .apply_resource_change(request)
                .await
                .unwrap()
                .into_inner()
        }
    };
    let early = apply(dynamic(&config, &ty)).await;
    assert!(
        errors(&early.diagnostics)[0]
            .summary
            .contains("not configured")
    );

    let plan = service
        .plan_resource_change(Request::new(pb::plan_resource_change::Request {
            type_name: "test_gadget".into(),
            prior_state: dynamic(&Value::Null, &ty),
            proposed_new_state: dynamic(&config, &ty),
            config: dynamic(&config, &ty),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    assert!(plan.diagnostics.is_empty(), "{:?}", plan.diagnostics);
    let planned_bytes = plan.planned_state.clone().unwrap().msgpack;
    // {"id": unknown, "labels": nil, "port": 80}: every attribute present, unknown as d4 00 00.
    assert_eq!(
        planned_bytes,
        [
            0x83, 0xa2, b'i', b'd', 0xd4, 0, 0, 0xa6, b'l', b'a', b'b', b'e', b'l', b's', 0xc0,
            0xa4, b'p', b'o', b'r', b't', 80
        ]
    );

    let configure = pb::configure::Request {
        terraform_version: "1.9.0".into(),
        config: dynamic(
            &Value::object([("tag", Value::from("t"))]),
            &Type::object([("tag", Type::String)]),
        ),
        client_capabilities: None,
    };
    assert!(
        service
            .configure(Request::new(configure))
            .await
            .unwrap()
            .into_inner()
            .diagnostics
            .is_empty()
    );
    let applied = apply(plan.planned_state).await;
    assert!(applied.diagnostics.is_empty(), "{:?}", applied.diagnostics);
    let state = msgpack::decode(&applied.new_state.unwrap().msgpack, &ty).unwrap();
    assert_eq!(state.get("id").as_str(), Some("t-1"));

    service
        .stop(Request::new(pb::stop::Request {}))
        .await
        .unwrap();
    assert!(service.stop_token().is_cancelled());
}
