//! The bodies of the fuzz targets: each takes arbitrary bytes, drives one parser of untrusted input with them, and
//! panics only when the code under test misbehaves (a panic of its own, or a broken invariant such as a decoded
//! value that does not encode back to itself). Plain Rust with no fuzzing dependency: `cargo fuzz` runs these
//! coverage-guided (`fuzz_targets/`), and the normal test suite includes this file to feed it the seeds in
//! `fuzz/seeds/` and pseudo-random input (`tests/e2e_bad_input.rs`).

use std::sync::OnceLock;

use ovh_client::{
    Auth, CancellationToken, Client, ClientOptions, Endpoint, ResolvedConfig, Secret,
};
use ovhiplb::provider::{registry, schema};
use ovhiplb::resources::ProviderData;
use ovhiplb::resources::common::{IpBlock, check_service_name, normalize_ip, parse_id, same_ip};
use ovhiplb::resources::frontend::check_port;
use tfplugin5_runtime::diag::Diagnostics;
use tfplugin5_runtime::framework::{Configurable, Ctx, DataSourceRuntime, ManagedResource};
use tfplugin5_runtime::value::{Type, Value, json, msgpack};

/// A fuzz target's body.
pub type Target = fn(&[u8]);

/// Every target, by the name of its `fuzz_targets/` binary and `fuzz/seeds/` directory.
pub const TARGETS: &[(&str, Target)] = &[
    ("msgpack_value", msgpack_value),
    ("state_upgrade", state_upgrade),
    ("import_id", import_id),
    ("port_ip", port_ip),
];

struct Provider {
    resources: Vec<ManagedResource<ProviderData>>,
    data_sources: Vec<DataSourceRuntime<ProviderData>>,
    provider_type: Type,
    data: ProviderData,
    runtime: tokio::runtime::Runtime,
}

/// The provider's resources, built once: schemas are the expensive part and never change.
fn provider() -> &'static Provider {
    static PROVIDER: OnceLock<Provider> = OnceLock::new();
    PROVIDER.get_or_init(|| {
        // Import never calls the API; the client only has to exist. Port 9 (discard) on loopback, in case.
        let config = ResolvedConfig {
            endpoint: Endpoint::parse("http://127.0.0.1:9/1.0").expect("a valid endpoint"),
            auth: Auth::AccessToken(Secret::new("fuzz")),
        };
        let client = Client::new(config, ClientOptions::default()).expect("the client builds");
        Provider {
            resources: registry::resources()
                .into_iter()
                .map(ManagedResource::new)
                .collect(),
            data_sources: registry::data_sources()
                .into_iter()
                .map(DataSourceRuntime::new)
                .collect(),
            provider_type: schema::provider_schema().value_type(),
            data: ProviderData::new(client),
            runtime: tokio::runtime::Builder::new_current_thread()
                .build()
                .expect("a tokio runtime"),
        }
    })
}

/// `DynamicValue.msgpack` as Terraform sends configs, plans and states: the first byte picks a schema (the
/// provider's, a resource's or a data source's), the rest is decoded as a value of its type. A decoded value must
/// encode back to the same value, and validating it as a config must not panic.
pub fn msgpack_value(data: &[u8]) {
    let Some((&selector, bytes)) = data.split_first() else {
        return;
    };
    let p = provider();
    let kinds = 1 + p.resources.len() + p.data_sources.len();
    let index = usize::from(selector) % kinds;
    let ty = match index {
        0 => &p.provider_type,
        i if i <= p.resources.len() => p.resources[i - 1].value_type(),
        i => p.data_sources[i - 1 - p.resources.len()].value_type(),
    };
    let Ok(value) = msgpack::decode(bytes, ty) else {
        return;
    };
    assert_round_trip(&value, ty);
    let mut diags = Diagnostics::new();
    match index {
        0 => schema::validate(&value, &mut diags),
        i if i <= p.resources.len() => p.resources[i - 1].validate(&value, &mut diags),
        i => p.data_sources[i - 1 - p.resources.len()].validate(&value, &mut diags),
    }
}

/// A stored state as `UpgradeResourceState` receives it: the first byte picks a resource, the second a schema
/// version (up to one past the current one), the rest is the raw JSON. An upgraded state must conform to the
/// resource's type.
pub fn state_upgrade(data: &[u8]) {
    let [resource, version, raw @ ..] = data else {
        return;
    };
    let p = provider();
    let resource = &p.resources[usize::from(*resource) % p.resources.len()];
    let version = i64::from(*version) % (resource.schema().version + 2);
    let mut diags = Diagnostics::new();
    match resource.upgrade(version, raw, &mut diags) {
        Some(state) => {
            assert!(
                !diags.has_errors(),
                "{}: upgrade returned a state and errors",
                resource.type_name()
            );
            assert_round_trip(&state, resource.value_type());
        }
        None => assert!(
            diags.has_errors(),
            "{}: upgrade failed without saying why",
            resource.type_name()
        ),
    }
    // The same bytes as a current-version state, straight through the JSON codec.
    let _ = json::decode(raw, resource.value_type());
}

/// An import id, as `terraform import` passes it to every resource type. An accepted id must give a state whose
/// `id` is accepted again (the id Terraform stores is re-importable).
pub fn import_id(data: &[u8]) {
    let id = String::from_utf8_lossy(data);
    let p = provider();
    for resource in &p.resources {
        let Some(state) = import(p, resource, &id) else {
            continue;
        };
        let Some(stored_id) = state.get("id").as_str() else {
            panic!(
                "{}: import of {id:?} gave a state without an id: {state:?}",
                resource.type_name()
            )
        };
        assert!(
            import(p, resource, stored_id).is_some(),
            "{}: import of {id:?} gave the id {stored_id:?}, which is refused",
            resource.type_name()
        );
    }
}

fn import(p: &Provider, resource: &ManagedResource<ProviderData>, id: &str) -> Option<Value> {
    let ctx = Ctx::new(&p.data, CancellationToken::new());
    let mut diags = Diagnostics::new();
    let state = p.runtime.block_on(resource.import(&ctx, id, &mut diags));
    assert_eq!(
        state.is_some(),
        !diags.has_errors(),
        "{}: import of {id:?} must give a state or an error, not both or neither",
        resource.type_name()
    );
    state
}

/// Ports, IPs and IP blocks, composite ids and service names as users write them. A parsed block must print to a
/// form that parses to the same block.
pub fn port_ip(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if check_port(&text).is_ok() {
        assert!(
            !text.is_empty()
                && text
                    .bytes()
                    .all(|b| b.is_ascii_digit() || b == b'-' || b == b','),
            "port {text:?} accepted"
        );
    }
    if let Ok(block) = IpBlock::parse(&text) {
        let canonical = block.to_string();
        assert_eq!(
            IpBlock::parse(&canonical),
            Ok(block),
            "{text:?} → {canonical:?} does not parse back"
        );
        assert_eq!(normalize_ip(&text), canonical);
        assert!(same_ip(&text, &canonical) && same_ip(&canonical, &text));
    }
    if let Ok((service_name, rest)) = parse_id(&text, "service_name/ip") {
        assert_eq!(
            format!("{service_name}/{rest}"),
            text,
            "parse_id lost characters"
        );
    }
    let _ = check_service_name(&text);
}

/// A value that decoded as `ty` must encode as `ty` and decode to itself.
fn assert_round_trip(value: &Value, ty: &Type) {
    let bytes = msgpack::encode(value, ty)
        .unwrap_or_else(|e| panic!("decoded value does not encode: {e}: {value:?}"));
    let again = msgpack::decode(&bytes, ty)
        .unwrap_or_else(|e| panic!("encoded value does not decode: {e}"));
    assert_eq!(&again, value, "msgpack round trip changed the value");
}
