//! The planning, apply and read rules exercised through a tiny resource: a "widget" with a replace-forcing
//! name, an IP set with semantic equality, a default, computed attributes with and without use-state-for-unknown,
//! a plan hook and a timeouts block.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use tokio_util::sync::CancellationToken;

use super::*;
use crate::diag::Diagnostics;
use crate::schema::{Attribute, Block, Schema};
use crate::value::{AttrPath, Type, Value};

/// `1.2.3.4` and `1.2.3.4/32` are the same address.
fn same_ip(a: &Value, b: &Value) -> bool {
    let bare = |v: &Value| {
        v.as_str()
            .map(|s| s.strip_suffix("/32").unwrap_or(s).to_owned())
    };
    bare(a).is_some() && bare(a) == bare(b)
}

#[derive(Default)]
struct Widget {
    updates: AtomicUsize,
    /// The deadline left to the last create, to check timeouts reach the context.
    create_deadline: Mutex<Option<Duration>>,
}

/// The "API": it returns IPs in /32 form and fills in the computed values.
fn api_view(planned: &Value, id: &str) -> Value {
    let ips: Vec<Value> = planned
        .get("ips")
        .as_elements()
        .unwrap_or_default()
        .iter()
        .filter_map(Value::as_str)
        .map(|ip| {
            Value::from(if ip.contains('/') {
                ip.to_owned()
            } else {
                format!("{ip}/32")
            })
        })
        .collect();
    planned
        .clone()
        .with_attr("id", id.into())
        .with_attr("ips", Value::Set(ips))
        .with_attr("revision", Value::from(7_i64))
        .with_attr("pending", Value::from(0_i64))
}

#[async_trait]
impl Resource<String> for Widget {
    fn type_name(&self) -> &'static str {
        "test_widget"
    }

    fn schema(&self) -> Schema {
        Schema::new(
            Block::new()
                .attr(
                    Attribute::string("id")
                        .computed()
                        .use_state_for_unknown()
                        .description("Id."),
                )
                .attr(
                    Attribute::string("name")
                        .required()
                        .requires_replace()
                        .description("Name."),
                )
                .attr(
                    Attribute::new("ips", Type::set(Type::String))
                        .optional()
                        .semantic_eq(same_ip)
                        .validate(validators::each_element(validators::string(
                            "Invalid IP",
                            |s| {
                                if s.contains('.') {
                                    Ok(())
                                } else {
                                    Err(format!("{s:?} is not an IPv4 address"))
                                }
                            },
                        )))
                        .description("IPs."),
                )
                .attr(
                    Attribute::string("zone")
                        .default("all")
                        .description("Zone."),
                )
                .attr(
                    Attribute::number("revision")
                        .computed()
                        .description("Changes on every update."),
                )
                .attr(
                    Attribute::number("pending")
                        .computed()
                        .description("Set by the plan hook."),
                ),
        )
    }

    fn timeouts(&self) -> Option<TimeoutDefaults> {
        Some(TimeoutDefaults {
            create: Some(Duration::from_secs(600)),
            ..TimeoutDefaults::default()
        })
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        if config.get("name").as_str() == Some("forbidden") {
            diags.error_at(&AttrPath::attr("name"), "Forbidden name", "Pick another.");
        }
    }

    async fn modify_plan(
        &self,
        _ctx: &Ctx<Option<&String>>,
        plan: &mut PlanChange,
        _diags: &mut Diagnostics,
    ) {
        if plan.config.get("name").as_str() == Some("dirty") {
            plan.planned.set_attr("pending", Value::from(3_i64));
        }
    }

    async fn create(
        &self,
        ctx: &Ctx<&String>,
        planned: &Value,
        _config: &Value,
        _diags: &mut Diagnostics,
    ) -> Option<Value> {
        *self.create_deadline.lock().unwrap() = ctx.remaining();
        Some(api_view(planned, ctx.data))
    }

    async fn read(
        &self,
        _ctx: &Ctx<&String>,
        state: &Value,
        _diags: &mut Diagnostics,
    ) -> Option<Value> {
        if state.get("name").as_str() == Some("gone") {
            return None;
        }
        Some(api_view(state, state.get("id").as_str().unwrap_or("?")))
    }

    async fn update(
        &self,
        _ctx: &Ctx<&String>,
        prior: &Value,
        planned: &Value,
        _config: &Value,
        _diags: &mut Diagnostics,
    ) -> Option<Value> {
        self.updates.fetch_add(1, Ordering::SeqCst);
        Some(api_view(planned, prior.get("id").as_str().unwrap_or("?")))
    }

    async fn delete(&self, _ctx: &Ctx<&String>, _prior: &Value, _diags: &mut Diagnostics) {}
}

struct Fixture {
    widget: Arc<Widget>,
    managed: ManagedResource<String>,
    data: String,
}

impl Fixture {
    fn new() -> Self {
        let widget = Arc::new(Widget::default());
        let managed = ManagedResource::new(widget.clone() as Arc<dyn Resource<String>>);
        Self {
            widget,
            managed,
            data: "w-1".to_owned(),
        }
    }

    async fn plan(&self, prior: &Value, config: &Value) -> (Value, Vec<AttrPath>, Diagnostics) {
        let mut diags = Diagnostics::new();
        let ctx = Ctx::new(Some(&self.data), CancellationToken::new());
        let proposed = proposed_new(&self.managed, prior, config);
        let (planned, replace) = self
            .managed
            .plan(&ctx, prior.clone(), proposed, config.clone(), &mut diags)
            .await;
        (planned, replace, diags)
    }

    async fn apply(&self, prior: &Value, planned: &Value, config: &Value) -> (Value, Diagnostics) {
        let mut diags = Diagnostics::new();
        let ctx = Ctx::new(&self.data, CancellationToken::new());
        let state = self
            .managed
            .apply(
                &ctx,
                prior.clone(),
                planned.clone(),
                config.clone(),
                &mut diags,
            )
            .await;
        (state, diags)
    }

    async fn read(&self, state: &Value) -> Value {
        let mut diags = Diagnostics::new();
        let ctx = Ctx::new(&self.data, CancellationToken::new());
        let fresh = self.managed.read(&ctx, state.clone(), &mut diags).await;
        assert!(diags.is_empty(), "{diags:?}");
        fresh
    }

    /// Creates a widget from `config` and returns its state.
    async fn created(&self, config: &Value) -> Value {
        let (planned, _, diags) = self.plan(&Value::Null, config).await;
        assert!(diags.is_empty(), "{diags:?}");
        let (state, diags) = self.apply(&Value::Null, &planned, config).await;
        assert!(diags.is_empty(), "{diags:?}");
        state
    }
}

/// Terraform's ProposedNew, simplified for top-level attributes: optional+computed or computed attributes null in
/// config take the prior value.
fn proposed_new(managed: &ManagedResource<String>, prior: &Value, config: &Value) -> Value {
    let mut proposed = config.clone();
    if prior.is_null() {
        return proposed;
    }
    for attribute in &managed.schema().block.attributes {
        if attribute.computed && config.get(&attribute.name).is_null() {
            proposed.set_attr(attribute.name.clone(), prior.get(&attribute.name).clone());
        }
    }
    proposed
}

fn config(name: &str, ips: &[&str]) -> Value {
    Value::object([
        ("name", Value::from(name)),
        ("ips", Value::set(ips.iter().copied())),
    ])
}

#[tokio::test]
async fn create_plans_unknown_computed_values_and_defaults() {
    let fx = Fixture::new();
    let (planned, replace, diags) = fx.plan(&Value::Null, &config("a", &["1.2.3.4"])).await;
    assert!(diags.is_empty() && replace.is_empty());
    assert_eq!(planned.get("id"), &Value::Unknown);
    assert_eq!(planned.get("revision"), &Value::Unknown);
    assert_eq!(planned.get("zone").as_str(), Some("all"));
    assert_eq!(planned.get("ips"), &Value::set(["1.2.3.4"]));
}

#[tokio::test]
async fn apply_keeps_the_planned_representation_and_timeouts_reach_the_context() {
    let fx = Fixture::new();
    let cfg = config("a", &["1.2.3.4", "5.6.7.0/24"])
        .with_attr("timeouts", Value::object([("create", Value::from("2m"))]));
    let state = fx.created(&cfg).await;
    // The API said 1.2.3.4/32: the planned (config) form is kept, so Terraform sees no inconsistency.
    assert_eq!(state.get("ips"), &Value::set(["1.2.3.4", "5.6.7.0/24"]));
    assert_eq!(state.get("id").as_str(), Some("w-1"));
    assert_eq!(state.get("timeouts").get("create").as_str(), Some("2m"));
    let left = fx
        .widget
        .create_deadline
        .lock()
        .unwrap()
        .expect("no deadline");
    assert!(
        left <= Duration::from_secs(120) && left > Duration::from_secs(100),
        "{left:?}"
    );
}

#[tokio::test]
async fn unchanged_config_plans_no_change_even_with_a_semantically_equal_spelling() {
    let fx = Fixture::new();
    let state = fx.created(&config("a", &["1.2.3.4"])).await;
    // The user now writes the /32 form: same address, no diff, no replacement.
    let (planned, replace, diags) = fx.plan(&state, &config("a", &["1.2.3.4/32"])).await;
    assert!(diags.is_empty());
    assert_eq!(planned, state);
    assert!(replace.is_empty());
}

#[tokio::test]
async fn update_marks_computed_values_unknown_except_use_state_for_unknown() {
    let fx = Fixture::new();
    let state = fx.created(&config("a", &["1.2.3.4"])).await;
    let (planned, replace, _) = fx.plan(&state, &config("a", &["1.2.3.4", "9.9.9.9"])).await;
    assert!(replace.is_empty());
    assert_eq!(
        planned.get("id").as_str(),
        Some("w-1"),
        "use_state_for_unknown keeps the id"
    );
    assert_eq!(planned.get("revision"), &Value::Unknown);
    assert_eq!(
        planned.get("zone").as_str(),
        Some("all"),
        "defaults stay known"
    );
    let (new_state, diags) = fx
        .apply(&state, &planned, &config("a", &["1.2.3.4", "9.9.9.9"]))
        .await;
    assert!(diags.is_empty());
    assert_eq!(fx.widget.updates.load(Ordering::SeqCst), 1);
    assert!(new_state.is_wholly_known());
}

#[tokio::test]
async fn requires_replace_only_when_the_value_changes() {
    let fx = Fixture::new();
    let state = fx.created(&config("a", &[])).await;
    let (_, replace, _) = fx.plan(&state, &config("b", &[])).await;
    assert_eq!(replace, vec![AttrPath::attr("name")]);
    let (_, replace, _) = fx.plan(&state, &config("a", &["1.1.1.1"])).await;
    assert!(replace.is_empty());
}

#[tokio::test]
async fn destroy_plans_null_and_deletes() {
    let fx = Fixture::new();
    let state = fx.created(&config("a", &[])).await;
    let mut diags = Diagnostics::new();
    let ctx = Ctx::new(Some(&fx.data), CancellationToken::new());
    let (planned, replace) = fx
        .managed
        .plan(&ctx, state.clone(), Value::Null, Value::Null, &mut diags)
        .await;
    assert!(planned.is_null() && replace.is_empty());
    let (after, diags) = fx.apply(&state, &Value::Null, &Value::Null).await;
    assert!(after.is_null() && diags.is_empty());
}

#[tokio::test]
async fn plan_hook_and_validation() {
    let fx = Fixture::new();
    let (planned, _, _) = fx.plan(&Value::Null, &config("dirty", &[])).await;
    assert_eq!(planned.get("pending").as_i64(), Some(3));

    let (_, _, diags) = fx
        .plan(&Value::Null, &config("a", &["1.2.3.4", "nonsense"]))
        .await;
    let paths: Vec<String> = diags
        .iter()
        .map(|d| d.path.as_ref().unwrap().to_string())
        .collect();
    assert_eq!(paths, ["ips"]);
    let (_, _, diags) = fx.plan(&Value::Null, &config("forbidden", &[])).await;
    assert!(diags.has_errors());
    let bad_timeout = config("a", &[]).with_attr(
        "timeouts",
        Value::object([("create", Value::from("forever"))]),
    );
    let (_, _, diags) = fx.plan(&Value::Null, &bad_timeout).await;
    assert_eq!(
        diags
            .iter()
            .next()
            .unwrap()
            .path
            .as_ref()
            .unwrap()
            .to_string(),
        "timeouts.create"
    );
    // Unknown values are not validated.
    let unknown = Value::object([
        ("name", Value::from("a")),
        ("ips", Value::Set(vec![Value::Unknown])),
    ]);
    let (planned, _, diags) = fx.plan(&Value::Null, &unknown).await;
    assert!(diags.is_empty());
    assert_eq!(planned.get("ips"), &Value::Set(vec![Value::Unknown]));
}

#[tokio::test]
async fn a_timeouts_change_alone_needs_no_update_call() {
    let fx = Fixture::new();
    let state = fx.created(&config("a", &[])).await;
    let cfg =
        config("a", &[]).with_attr("timeouts", Value::object([("create", Value::from("1h"))]));
    let (planned, _, _) = fx.plan(&state, &cfg).await;
    assert_eq!(
        planned.get("revision").as_i64(),
        Some(7),
        "a timeouts change is not a change of the object"
    );
    let (after, diags) = fx.apply(&state, &planned, &cfg).await;
    assert!(diags.is_empty());
    assert_eq!(fx.widget.updates.load(Ordering::SeqCst), 0);
    assert_eq!(after.get("timeouts").get("create").as_str(), Some("1h"));
}

#[tokio::test]
async fn read_keeps_the_prior_representation_and_reports_gone_objects() {
    let fx = Fixture::new();
    let state = fx.created(&config("a", &["1.2.3.4"])).await;
    let fresh = fx.read(&state).await;
    assert_eq!(fresh, state);
    let gone = fx
        .read(&state.clone().with_attr("name", "gone".into()))
        .await;
    assert!(gone.is_null());
}

#[test]
fn upgrade_same_version_decodes_json_with_the_current_schema() {
    let fx = Fixture::new();
    let mut diags = Diagnostics::new();
    let raw =
        br#"{"id":"w-9","name":"a","ips":["1.2.3.4"],"zone":"all","revision":3,"old_attr":true}"#;
    let value = fx.managed.upgrade(0, raw, &mut diags).unwrap();
    assert!(diags.is_empty());
    assert_eq!(value.get("id").as_str(), Some("w-9"));
    assert!(value.get("pending").is_null() && value.get("timeouts").is_null());
    assert!(fx.managed.upgrade(1, raw, &mut diags).is_none());
    assert!(diags.has_errors());
    let mut diags = Diagnostics::new();
    assert!(fx.managed.upgrade(0, b"not json", &mut diags).is_none() && diags.has_errors());
}

#[test]
fn the_timeouts_block_is_added_to_the_schema() {
    let fx = Fixture::new();
    let block = &fx.managed.schema().block;
    assert!(block.nested_block("timeouts").is_some());
    assert_eq!(block.problems(), Vec::<String>::new());
}
