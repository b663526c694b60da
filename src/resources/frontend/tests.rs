//! Tests of the frontend resources: ports, ids, the field table against the models and the client, plans, and
//! the operations against the in-process simulator.

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
    assert!(!tcp.contains(&"hsts".to_owned()) && http.contains(&"redirect_location".to_owned()));
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
    assert_eq!(
        http.get("dedicated_ipfo"),
        &Value::set(["203.0.113.7"]),
        "with no prior form to keep, a single address reads as configurations write it"
    );
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

/// `http_planned()` cut to `resource`'s attributes, as frontend 5 of `lb` once created.
fn created_planned(resource: FrontendResource) -> Value {
    let Type::Object(attributes) = resource.block().value_type() else {
        panic!("a frontend's value type is an object")
    };
    Value::Object(
        attributes
            .keys()
            .map(|k| (k.clone(), http_planned().get(k).clone()))
            .collect(),
    )
    .with_attr("id", "lb/5".into())
    .with_attr("frontend_id", 5_i64.into())
}

/// The state `resource` stores for frontend 5 of `lb` as the API returns it for `planned`, after `prior`
/// (null: an import), with the framework's semantic reconciliation (it keeps the prior form of equal IPs).
fn stored(resource: FrontendResource, planned: &Value, prior: &Value) -> Value {
    let mut api = resource.api_from_state(planned);
    api.frontend_id = Some(5);
    let state = resource.state_from_api("lb", 5, &api, prior);
    tfplugin5_runtime::framework::semantic::reconcile(&resource.block(), prior, state)
}

/// An import reads what a create stored: the same strings, so that whatever digests the resource (the quickstart's
/// refresh `triggers`) sees no change after `terraform import` of a frontend that a configuration created.
#[test]
fn import_reads_the_strings_a_create_stored() {
    for protocol in ALL {
        let resource = FrontendResource::new(protocol);
        let planned = created_planned(resource)
            .with_attr(
                "dedicated_ipfo",
                Value::set(["203.0.113.7", "198.51.100.0/24"]),
            )
            .with_attr("allowed_source", Value::set(["10.0.0.0/8", "192.0.2.1"]));
        let created = stored(resource, &planned, &planned);
        let imported = stored(resource, &planned, &Value::Null);
        assert_eq!(imported, created, "{protocol}");
    }
}

#[test]
fn round_trip_of_every_protocol_keeps_the_plan() {
    for protocol in ALL {
        let resource = FrontendResource::new(protocol);
        let planned = created_planned(resource);
        assert_eq!(stored(resource, &planned, &planned), planned, "{protocol}");
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

/// The operations against the in-process simulator: what Terraform cannot easily show (lost answers, call counts).
mod sim_tests {

    use ovh_api_sim::Simulator;
    use serde_json::json;

    use super::*;
    use crate::resources::common::testing::{create_ctx, sim_with_lb, unacted_post_faults};

    const LB: &str = "loadbalancer-0123abcd";

    async fn setup() -> (Simulator, ProviderData) {
        sim_with_lb(LB, &["gra", "rbx"]).await
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
            .create(
                &create_ctx(&data),
                &planned("53", "rbx"),
                &Value::Null,
                &mut diags,
            )
            .await;
        assert!(other.is_some(), "{diags:?}");
        sim.add_faults(vec![serde_json::from_value(rule).unwrap()])
            .unwrap();
        let created = resource
            .create(
                &create_ctx(&data),
                &planned("53", "gra"),
                &Value::Null,
                &mut diags,
            )
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
        for rule in unacted_post_faults("/ipLoadbalancing/*/udp/frontend", 502, 2) {
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
            .create(
                &create_ctx(&data),
                &planned("53", "gra"),
                &Value::Null,
                &mut diags,
            )
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
                &create_ctx(&data),
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
            resource.read(&create_ctx(&data), &state, &mut diags).await,
            Some(state.clone())
        );

        let changed = state
            .clone()
            .with_attr("port", "444".into())
            .with_attr("display_name", "x".into());
        let updated = resource
            .update(
                &create_ctx(&data),
                &state,
                &changed,
                &Value::Null,
                &mut diags,
            )
            .await;
        assert_eq!(updated.as_ref(), Some(&changed));
        let read = resource
            .read(&create_ctx(&data), &state, &mut diags)
            .await
            .unwrap();
        assert_eq!(
            (read.get("port").as_str(), read.get("display_name").as_str()),
            (Some("444"), Some("x"))
        );

        resource.delete(&create_ctx(&data), &read, &mut diags).await;
        assert_eq!(
            resource.read(&create_ctx(&data), &read, &mut diags).await,
            None,
            "gone is not an error"
        );
        resource.delete(&create_ctx(&data), &read, &mut diags).await;
        assert!(
            diags.is_empty(),
            "deleting a gone frontend is a success: {diags:?}"
        );
        let imported = resource
            .import(&create_ctx(&data), &format!("{LB}/{id}"), &mut diags)
            .await
            .unwrap();
        assert_eq!(imported.get("frontend_id").as_i64(), Some(id));
        assert!(
            resource
                .import(&create_ctx(&data), "nope", &mut diags)
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
                    &create_ctx(Some(&data)),
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
            .modify_plan(&create_ctx(Some(&data)), &mut unchanged, &mut diags)
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
            .modify_plan(&create_ctx(Some(&data)), &mut plan, &mut diags)
            .await;
        assert_eq!(
            diags.iter().next().and_then(|d| d.path.clone()),
            Some(AttrPath::attr("service_name"))
        );
        // Without a configured provider there is nothing to check against.
        resource
            .modify_plan(
                &create_ctx(None),
                &mut plan_of(Value::Null, "bhs"),
                &mut Diagnostics::new(),
            )
            .await;
    }
}
