//! The service's newer RPCs driven with wire messages, as Terraform ≥ 1.12 sends them: identity in every answer,
//! import by identity, identity upgrade, configuration generation, list resources and actions. A small provider
//! whose `test_thing` objects live in memory stands in for a real one.

use std::sync::Arc;

use async_trait::async_trait;
use tokio_stream::StreamExt as _;
use tonic::Request;

use super::*;
use crate::diag::Diagnostic;
use crate::framework::{
    Action, DataSource, Identity, ListResource, ListResults, Progress, Resource,
};
use crate::schema::{Attribute, Block, Schema};
use crate::value::msgpack;

struct Things;
struct Thing;
struct ThingList;
struct Ping;

#[async_trait]
impl Provider for Things {
    type Data = Vec<(String, i64)>;

    fn schema(&self) -> Schema {
        Schema::new(Block::new())
    }

    async fn configure(
        &self,
        _: &Ctx<()>,
        _: &Value,
        _: &mut Diagnostics,
    ) -> Option<Vec<(String, i64)>> {
        Some(vec![("a".into(), 1), ("b".into(), 2), ("c".into(), 3)])
    }

    fn resources(&self) -> Vec<Arc<dyn Resource<Self::Data>>> {
        vec![Arc::new(Thing)]
    }

    fn data_sources(&self) -> Vec<Arc<dyn DataSource<Self::Data>>> {
        Vec::new()
    }

    fn list_resources(&self) -> Vec<Arc<dyn ListResource<Self::Data>>> {
        vec![Arc::new(ThingList)]
    }

    fn actions(&self) -> Vec<Arc<dyn Action<Self::Data>>> {
        vec![Arc::new(Ping)]
    }
}

fn thing(name: &str, serial: i64) -> Value {
    Value::object([
        ("name", Value::from(name)),
        ("serial", Value::from(serial)),
        ("colour", Value::from("blue")),
        ("note", Value::from("computed")),
    ])
}

#[async_trait]
impl Resource<Vec<(String, i64)>> for Thing {
    fn type_name(&self) -> &'static str {
        "test_thing"
    }

    fn schema(&self) -> Schema {
        Schema::new(
            Block::new()
                .attr(
                    Attribute::string("name")
                        .required()
                        .requires_replace()
                        .description("Name."),
                )
                .attr(
                    Attribute::number("serial")
                        .computed()
                        .use_state_for_unknown()
                        .description("Serial."),
                )
                .attr(
                    Attribute::string("colour")
                        .default("blue")
                        .description("Colour."),
                )
                .attr(Attribute::string("note").computed().description("Note.")),
        )
    }

    fn identity(&self) -> Option<Identity> {
        Some(
            Identity::new()
                .attr("name", "The name.")
                .optional_attr("serial", "The serial."),
        )
    }

    async fn create(
        &self,
        _: &Ctx<&Vec<(String, i64)>>,
        planned: &Value,
        _: &Value,
        _: &mut Diagnostics,
    ) -> Option<Value> {
        Some(
            planned
                .clone()
                .with_attr("serial", Value::from(9))
                .with_attr("note", Value::from("computed")),
        )
    }

    async fn read(
        &self,
        ctx: &Ctx<&Vec<(String, i64)>>,
        state: &Value,
        _: &mut Diagnostics,
    ) -> Option<Value> {
        let name = state.get("name").as_str()?;
        let (_, serial) = ctx.data.iter().find(|(n, _)| n == name)?;
        Some(thing(name, *serial))
    }

    async fn update(
        &self,
        _: &Ctx<&Vec<(String, i64)>>,
        _: &Value,
        planned: &Value,
        _: &Value,
        _: &mut Diagnostics,
    ) -> Option<Value> {
        Some(planned.clone())
    }

    async fn delete(&self, _: &Ctx<&Vec<(String, i64)>>, _: &Value, _: &mut Diagnostics) {}

    async fn import(
        &self,
        _: &Ctx<&Vec<(String, i64)>>,
        id: &str,
        _: &mut Diagnostics,
    ) -> Option<Value> {
        Some(thing(id, 1))
    }
}

#[async_trait]
impl ListResource<Vec<(String, i64)>> for ThingList {
    fn type_name(&self) -> &'static str {
        "test_thing"
    }

    fn schema(&self) -> Schema {
        Schema::new(
            Block::new().attr(
                Attribute::string("prefix")
                    .optional()
                    .description("Only names starting so."),
            ),
        )
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        if config.get("prefix").as_str() == Some("!") {
            diags.error_at(
                &crate::value::AttrPath::attr("prefix"),
                "Bad prefix",
                "No '!'.",
            );
        }
    }

    async fn list(
        &self,
        ctx: &Ctx<&Vec<(String, i64)>>,
        config: &Value,
        results: &mut ListResults,
    ) {
        let prefix = config.get("prefix").as_str().unwrap_or("");
        if prefix == "boom" {
            results
                .diagnostic(Diagnostic::error("Listing failed", "The API said no."))
                .await;
            return;
        }
        for (name, serial) in ctx.data.iter().filter(|(n, _)| n.starts_with(prefix)) {
            if !results
                .push(format!("thing {name}"), thing(name, *serial))
                .await
            {
                return;
            }
        }
    }
}

#[async_trait]
impl Action<Vec<(String, i64)>> for Ping {
    fn type_name(&self) -> &'static str {
        "test_ping"
    }

    fn schema(&self) -> Schema {
        Schema::new(
            Block::new().attr(
                Attribute::bool("fail")
                    .optional()
                    .description("Whether to fail."),
            ),
        )
    }

    async fn invoke(
        &self,
        ctx: &Ctx<&Vec<(String, i64)>>,
        config: &Value,
        progress: &Progress,
        diags: &mut Diagnostics,
    ) {
        progress.report(format!("pinging {} things", ctx.data.len()));
        progress.report("done");
        if config.get("fail").as_bool() == Some(true) {
            diags.error("Ping failed", "Asked to.");
        }
    }
}

fn dynamic(value: &Value, ty: &Type) -> Option<pb::DynamicValue> {
    Some(pb::DynamicValue {
        msgpack: msgpack::encode(value, ty).unwrap(),
        json: Vec::new(),
    })
}

fn identity_type() -> Type {
    Type::object([("name", Type::String), ("serial", Type::Number)])
}

fn identity_data(value: &Value) -> Option<pb::ResourceIdentityData> {
    Some(pb::ResourceIdentityData {
        identity_data: dynamic(value, &identity_type()),
    })
}

fn decode_identity(data: Option<pb::ResourceIdentityData>) -> Value {
    let bytes = data.expect("an identity").identity_data.unwrap().msgpack;
    msgpack::decode(&bytes, &identity_type()).unwrap()
}

async fn configured() -> ProviderService<Things> {
    let service = ProviderService::new(Things);
    let response = service
        .configure(Request::new(pb::configure::Request {
            config: dynamic(
                &Value::Object(Default::default()),
                &Type::Object(Default::default()),
            ),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    assert!(
        response.diagnostics.is_empty(),
        "{:?}",
        response.diagnostics
    );
    service
}

fn thing_type(service: &ProviderService<Things>) -> Type {
    service.resources["test_thing"].value_type().clone()
}

#[tokio::test]
async fn identity_schemas_name_the_attributes_and_their_types() {
    let service = ProviderService::new(Things);
    let schemas = service
        .get_resource_identity_schemas(Request::new(pb::get_resource_identity_schemas::Request {}))
        .await
        .unwrap()
        .into_inner();
    let schema = &schemas.identity_schemas["test_thing"];
    assert_eq!(schema.version, 0);
    let attributes: Vec<_> = schema
        .identity_attributes
        .iter()
        .map(|a| {
            (
                a.name.as_str(),
                String::from_utf8(a.r#type.clone()).unwrap(),
                a.required_for_import,
                a.optional_for_import,
            )
        })
        .collect();
    assert_eq!(
        attributes,
        [
            ("name", "\"string\"".to_owned(), true, false),
            ("serial", "\"number\"".to_owned(), false, true)
        ]
    );
    let metadata = service
        .get_metadata(Request::new(pb::get_metadata::Request {}))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(metadata.list_resources[0].type_name, "test_thing");
    assert_eq!(metadata.actions[0].type_name, "test_ping");
    let schema = service
        .get_schema(Request::new(pb::get_provider_schema::Request {}))
        .await
        .unwrap()
        .into_inner();
    assert!(schema.list_resource_schemas.contains_key("test_thing"));
    assert!(schema.action_schemas.contains_key("test_ping"));
    assert!(schema.server_capabilities.unwrap().generate_resource_config);
}

#[tokio::test]
async fn every_answer_carries_the_identity_derived_from_the_state() {
    let service = configured().await;
    let ty = thing_type(&service);
    let config = Value::object([
        ("name", Value::from("a")),
        ("serial", Value::Null),
        ("colour", Value::Null),
        ("note", Value::Null),
    ]);

    // A create's identity is not known before the apply: the plan gives none (OpenTofu 1.12 cannot store a planned
    // identity holding unknowns); Terraform ≤ 1.11 sends no prior identity.
    let plan = service
        .plan_resource_change(Request::new(pb::plan_resource_change::Request {
            type_name: "test_thing".into(),
            prior_state: dynamic(&Value::Null, &ty),
            proposed_new_state: dynamic(&config, &ty),
            config: dynamic(&config, &ty),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    assert!(plan.diagnostics.is_empty(), "{:?}", plan.diagnostics);
    assert_eq!(plan.planned_identity, None);

    let applied = service
        .apply_resource_change(Request::new(pb::apply_resource_change::Request {
            type_name: "test_thing".into(),
            prior_state: dynamic(&Value::Null, &ty),
            planned_state: plan.planned_state,
            config: dynamic(&config, &ty),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    assert!(applied.diagnostics.is_empty(), "{:?}", applied.diagnostics);
    assert_eq!(
        decode_identity(applied.new_identity),
        Value::object([("name", Value::from("a")), ("serial", Value::from(9))])
    );

    // Read with no current identity (an old client): the identity comes back all the same.
    let read = service
        .read_resource(Request::new(pb::read_resource::Request {
            type_name: "test_thing".into(),
            current_state: dynamic(&thing("b", 0), &ty),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    assert!(read.diagnostics.is_empty(), "{:?}", read.diagnostics);
    assert_eq!(
        decode_identity(read.new_identity),
        Value::object([("name", Value::from("b")), ("serial", Value::from(2))])
    );

    // A destroy keeps the identity of what it destroys.
    let destroy = service
        .plan_resource_change(Request::new(pb::plan_resource_change::Request {
            type_name: "test_thing".into(),
            prior_state: dynamic(&thing("c", 3), &ty),
            proposed_new_state: dynamic(&Value::Null, &ty),
            config: dynamic(&Value::Null, &ty),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        decode_identity(destroy.planned_identity),
        Value::object([("name", Value::from("c")), ("serial", Value::from(3))])
    );
}

#[tokio::test]
async fn import_by_identity_or_by_id() {
    let service = configured().await;
    let ty = thing_type(&service);
    let by_identity = service
        .import_resource_state(Request::new(pb::import_resource_state::Request {
            type_name: "test_thing".into(),
            identity: identity_data(&Value::object([
                ("name", Value::from("b")),
                ("serial", Value::Null),
            ])),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    assert!(
        by_identity.diagnostics.is_empty(),
        "{:?}",
        by_identity.diagnostics
    );
    let imported = &by_identity.imported_resources[0];
    let state = msgpack::decode(&imported.state.as_ref().unwrap().msgpack, &ty).unwrap();
    assert_eq!(state.get("name").as_str(), Some("b"));
    assert!(state.get("serial").is_null() && state.get("note").is_null());
    // What the import was given; Terraform gets the rest of the identity from the read.
    assert_eq!(
        decode_identity(imported.identity.clone()),
        Value::object([("name", Value::from("b")), ("serial", Value::Null)])
    );

    let missing = service
        .import_resource_state(Request::new(pb::import_resource_state::Request {
            type_name: "test_thing".into(),
            identity: identity_data(&Value::object([
                ("name", Value::Null),
                ("serial", Value::from(1)),
            ])),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    assert!(missing.imported_resources.is_empty());
    assert_eq!(missing.diagnostics[0].summary, "Missing identity attribute");

    let by_id = service
        .import_resource_state(Request::new(pb::import_resource_state::Request {
            type_name: "test_thing".into(),
            id: "c".into(),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        decode_identity(by_id.imported_resources[0].identity.clone()),
        Value::object([("name", Value::from("c")), ("serial", Value::from(1))])
    );
}

#[tokio::test]
async fn identities_of_the_current_version_upgrade_as_they_are() {
    let service = ProviderService::new(Things);
    let upgrade = |version: i64, json: &str| {
        let request = Request::new(pb::upgrade_resource_identity::Request {
            type_name: "test_thing".into(),
            version,
            raw_identity: Some(pb::RawState {
                json: json.as_bytes().to_vec(),
                ..Default::default()
            }),
        });
        let service = &service;
        async move {
            service
                .upgrade_resource_identity(request)
                .await
                .unwrap()
                .into_inner()
        }
    };
    let same = upgrade(0, r#"{"name":"a","serial":4}"#).await;
    assert!(same.diagnostics.is_empty(), "{:?}", same.diagnostics);
    assert_eq!(
        decode_identity(same.upgraded_identity),
        Value::object([("name", Value::from("a")), ("serial", Value::from(4))])
    );
    let newer = upgrade(3, r#"{"name":"a","serial":4}"#).await;
    assert_eq!(newer.diagnostics[0].summary, "Unsupported identity version");
    let broken = upgrade(0, "{").await;
    assert_eq!(broken.diagnostics[0].summary, "Invalid stored identity");
}

#[tokio::test]
async fn generated_configuration_holds_only_what_a_person_writes() {
    let service = ProviderService::new(Things);
    let ty = thing_type(&service);
    let generate = |state: Value| {
        let request = Request::new(pb::generate_resource_config::Request {
            type_name: "test_thing".into(),
            state: dynamic(&state, &ty),
        });
        let (service, ty) = (&service, &ty);
        async move {
            let response = service
                .generate_resource_config(request)
                .await
                .unwrap()
                .into_inner();
            assert!(
                response.diagnostics.is_empty(),
                "{:?}",
                response.diagnostics
            );
            msgpack::decode(&response.config.unwrap().msgpack, ty).unwrap()
        }
    };
    // Computed attributes and defaults are left out.
    assert_eq!(
        generate(thing("a", 1)).await,
        Value::object([
            ("name", Value::from("a")),
            ("serial", Value::Null),
            ("colour", Value::Null),
            ("note", Value::Null),
        ])
    );
    // A value other than the default is kept.
    assert_eq!(
        generate(thing("a", 1).with_attr("colour", Value::from("red")))
            .await
            .get("colour")
            .as_str(),
        Some("red")
    );
}

async fn list(
    service: &ProviderService<Things>,
    config: Value,
    include: bool,
    limit: i64,
) -> Vec<pb::list_resource::Event> {
    let config_type = service.list_resources["test_thing"].value_type().clone();
    let stream = service
        .list_resource(Request::new(pb::list_resource::Request {
            type_name: "test_thing".into(),
            config: dynamic(&config, &config_type),
            include_resource_object: include,
            limit,
        }))
        .await
        .unwrap()
        .into_inner();
    stream.map(Result::unwrap).collect().await
}

#[tokio::test]
async fn listing_sends_identities_names_and_objects_up_to_the_limit() {
    let service = configured().await;
    let ty = thing_type(&service);
    let all = list(&service, Value::Null, true, 100).await;
    let names: Vec<&str> = all.iter().map(|e| e.display_name.as_str()).collect();
    assert_eq!(names, ["thing a", "thing b", "thing c"]);
    assert_eq!(
        decode_identity(all[1].identity.clone()),
        Value::object([("name", Value::from("b")), ("serial", Value::from(2))])
    );
    let object = msgpack::decode(&all[2].resource_object.as_ref().unwrap().msgpack, &ty).unwrap();
    assert_eq!(object, thing("c", 3));

    let two = list(&service, Value::Null, false, 2).await;
    assert_eq!(two.len(), 2);
    assert!(
        two.iter()
            .all(|e| e.resource_object.is_none() && e.identity.is_some())
    );

    let filtered = list(
        &service,
        Value::object([("prefix", Value::from("c"))]),
        false,
        10,
    )
    .await;
    assert_eq!(filtered.len(), 1);
    assert_eq!(filtered[0].display_name, "thing c");
}

#[tokio::test]
async fn listing_errors_are_events_not_failures() {
    let service = configured().await;
    let failed = list(
        &service,
        Value::object([("prefix", Value::from("boom"))]),
        false,
        10,
    )
    .await;
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].diagnostic[0].summary, "Listing failed");
    assert!(failed[0].identity.is_none());

    let invalid = list(
        &service,
        Value::object([("prefix", Value::from("!"))]),
        false,
        10,
    )
    .await;
    assert_eq!(invalid[0].diagnostic[0].summary, "Bad prefix");

    let unconfigured = ProviderService::new(Things);
    let early = list(&unconfigured, Value::Null, false, 10).await;
    assert_eq!(early.len(), 1);
    assert!(early[0].diagnostic[0].summary.contains("not configured"));

    let validated = unconfigured
        .validate_list_resource_config(Request::new(pb::validate_list_resource_config::Request {
            type_name: "test_nothing".into(),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        validated.diagnostics[0].summary,
        "Unknown list resource type"
    );
}

async fn invoke(service: &ProviderService<Things>, fail: bool) -> Vec<pb::invoke_action::Event> {
    let ty = service.actions["test_ping"].value_type().clone();
    service
        .invoke_action(Request::new(pb::invoke_action::Request {
            action_type: "test_ping".into(),
            config: dynamic(&Value::object([("fail", Value::from(fail))]), &ty),
            client_capabilities: None,
        }))
        .await
        .unwrap()
        .into_inner()
        .map(Result::unwrap)
        .collect()
        .await
}

#[tokio::test]
async fn an_action_reports_progress_then_completes_with_its_diagnostics() {
    use pb::invoke_action::event::Type as Event;
    let service = configured().await;
    let events: Vec<Option<Event>> = invoke(&service, false)
        .await
        .into_iter()
        .map(|e| e.r#type)
        .collect();
    assert_eq!(events.len(), 3, "{events:?}");
    assert!(matches!(&events[0], Some(Event::Progress(p)) if p.message == "pinging 3 things"));
    assert!(matches!(&events[2], Some(Event::Completed(c)) if c.diagnostics.is_empty()));

    let failed = invoke(&service, true).await;
    let Some(Event::Completed(completed)) = &failed.last().unwrap().r#type else {
        panic!("no completion");
    };
    assert_eq!(completed.diagnostics[0].summary, "Ping failed");

    // Invoked before Configure: one completion that says why.
    let early = invoke(&ProviderService::new(Things), false).await;
    assert_eq!(early.len(), 1);
    let Some(Event::Completed(completed)) = &early[0].r#type else {
        panic!("no completion");
    };
    assert!(completed.diagnostics[0].summary.contains("not configured"));

    let planned = service
        .plan_action(Request::new(pb::plan_action::Request {
            action_type: "test_nothing".into(),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(planned.diagnostics[0].summary, "Unknown action type");
}
