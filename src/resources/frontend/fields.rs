//! The machinery of the frontend field table ([`super::FIELDS`]): one row per field of the API object the
//! resource manages, saying which protocols have it, how it is typed in Terraform and converted both ways, and how
//! adoption compares it. The schema, the state → API and API → state mappings and adoption's comparison all read
//! the table, so a field, or a protocol's set of fields, is declared in one place; a unit test holds the table
//! against the client's own table of writable fields.
//!
//! A field's Terraform attribute has the name of the `ovh_client::Frontend` field it maps to, so the table's
//! declaration only compiles if each of its names is a field of the API object, of the type its kind converts.

use ovh_client::{Frontend as ApiFrontend, Protocol};

use crate::resources::common::{
    empty_as_prior, normalize_ip, same_ip_set, state_ip, string_list, string_set, strings,
};
use tfplugin5_runtime::schema::Attribute;
use tfplugin5_runtime::value::{Type, Value};

/// How adoption compares a field of a listed frontend with the request (see `adoption::is_what_was_asked`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Compare {
    /// Always: the list is narrowed by it, and a field absent on one side only is a difference.
    Always,
    /// Only when both sides have it, so that an API leaving a field out never makes our own frontend look foreign.
    WhenBoth,
}

/// One row of the table.
pub(crate) struct FrontendField {
    /// The Terraform attribute's name, which is also the API object's field name.
    pub name: &'static str,
    protocols: &'static [Protocol],
    ty: fn() -> Type,
    complete: fn(Attribute) -> Attribute,
    to_api: fn(&Value, &mut ApiFrontend),
    to_state: fn(&ApiFrontend, &Value) -> Value,
    matches: fn(&ApiFrontend, &ApiFrontend) -> bool,
}

impl FrontendField {
    /// Whether frontends of `protocol` have this field.
    pub fn has(&self, protocol: Protocol) -> bool {
        self.protocols.contains(&protocol)
    }

    /// Its schema attribute.
    pub fn attribute(&self) -> Attribute {
        (self.complete)(Attribute::new(self.name, (self.ty)()))
    }

    /// Sets the API object's field from the state's (or plan's) attribute.
    pub fn to_api(&self, state: &Value, api: &mut ApiFrontend) {
        (self.to_api)(state.get(self.name), api);
    }

    /// The attribute from the API object's field; `prior` (a state or plan) only decides the form of an empty
    /// collection.
    pub fn to_state(&self, api: &ApiFrontend, prior: &Value) -> Value {
        (self.to_state)(api, prior.get(self.name))
    }

    /// Whether `candidate`'s field agrees with `asked`'s, as the row's [`Compare`] says.
    pub fn matches(&self, candidate: &ApiFrontend, asked: &ApiFrontend) -> bool {
        (self.matches)(candidate, asked)
    }
}

/// How one kind of field is typed in Terraform, converted to and from its API type, and compared.
pub(crate) trait Kind {
    /// The type of the API object's field, inside its `Option`.
    type Api;

    fn ty() -> Type;

    /// The API value of an attribute; `None` for null (and unknown, which a plan at apply time does not hold
    /// here: these attributes are not computed).
    fn to_api(value: &Value) -> Option<Self::Api>;

    /// The attribute of an API value; `prior` is the attribute in the prior state or plan.
    fn to_state(api: Option<&Self::Api>, prior: &Value) -> Value;

    /// Whether two API values mean the same.
    fn same(a: &Self::Api, b: &Self::Api) -> bool;

    /// What an absent field stands for when compared [`Compare::Always`].
    fn absent() -> Option<Self::Api> {
        None
    }

    /// Adoption's comparison of the field (see [`Compare`]).
    fn matches(compare: Compare, candidate: Option<&Self::Api>, asked: Option<&Self::Api>) -> bool {
        match compare {
            Compare::Always => {
                let absent = Self::absent();
                match (candidate.or(absent.as_ref()), asked.or(absent.as_ref())) {
                    (Some(candidate), Some(asked)) => Self::same(candidate, asked),
                    (candidate, asked) => candidate.is_none() && asked.is_none(),
                }
            }
            Compare::WhenBoth => match (candidate, asked) {
                (Some(candidate), Some(asked)) => Self::same(candidate, asked),
                _ => true,
            },
        }
    }
}

/// A string compared exactly.
pub(crate) struct Text;

impl Kind for Text {
    type Api = String;

    fn ty() -> Type {
        Type::String
    }

    fn to_api(value: &Value) -> Option<String> {
        value.as_str().map(str::to_owned)
    }

    fn to_state(api: Option<&String>, _prior: &Value) -> Value {
        api.map_or(Value::Null, Value::from)
    }

    fn same(a: &String, b: &String) -> bool {
        a == b
    }
}

/// A zone name: a string compared without case, as OVH does.
pub(crate) struct ZoneName;

impl Kind for ZoneName {
    type Api = String;

    fn ty() -> Type {
        Type::String
    }

    fn to_api(value: &Value) -> Option<String> {
        Text::to_api(value)
    }

    fn to_state(api: Option<&String>, prior: &Value) -> Value {
        Text::to_state(api, prior)
    }

    fn same(a: &String, b: &String) -> bool {
        a.eq_ignore_ascii_case(b)
    }
}

/// The id of another object (farm, certificate).
pub(crate) struct Id;

impl Kind for Id {
    type Api = i64;

    fn ty() -> Type {
        Type::Number
    }

    fn to_api(value: &Value) -> Option<i64> {
        value.as_i64()
    }

    fn to_state(api: Option<&i64>, _prior: &Value) -> Value {
        Value::from(api.copied())
    }

    fn same(a: &i64, b: &i64) -> bool {
        a == b
    }
}

/// A flag with a `false` default: an API leaving it out means false.
pub(crate) struct Flag;

impl Kind for Flag {
    type Api = bool;

    fn ty() -> Type {
        Type::Bool
    }

    fn to_api(value: &Value) -> Option<bool> {
        value.as_bool()
    }

    fn to_state(api: Option<&bool>, _prior: &Value) -> Value {
        Value::from(api.copied().unwrap_or(false))
    }

    fn same(a: &bool, b: &bool) -> bool {
        a == b
    }
}

/// A set of IPs or blocks: sent in the CIDR form OVH stores, read into state in [`state_ip`]'s form (the prior's
/// form where it is the same IP), compared in any form and order. The API gives `[]`
/// and null alike for none, so the state keeps the prior's form of an empty set, and an absent set is empty.
pub(crate) struct IpSet;

impl Kind for IpSet {
    type Api = Vec<String>;

    fn ty() -> Type {
        Type::set(Type::String)
    }

    fn to_api(value: &Value) -> Option<Vec<String>> {
        strings(value).map(|ips| ips.iter().map(|ip| normalize_ip(ip)).collect())
    }

    fn to_state(api: Option<&Vec<String>>, prior: &Value) -> Value {
        let ips = api.map(|ips| ips.iter().map(|ip| state_ip(ip)).collect::<Vec<_>>());
        empty_as_prior(string_set(ips.as_deref()), prior)
    }

    fn same(a: &Vec<String>, b: &Vec<String>) -> bool {
        same_ip_set(a, b)
    }

    fn absent() -> Option<Vec<String>> {
        Some(Vec::new())
    }
}

/// An ordered list of strings (HTTP headers); an empty one keeps the prior's form, as for [`IpSet`].
pub(crate) struct Strings;

impl Kind for Strings {
    type Api = Vec<String>;

    fn ty() -> Type {
        Type::list(Type::String)
    }

    fn to_api(value: &Value) -> Option<Vec<String>> {
        strings(value)
    }

    fn to_state(api: Option<&Vec<String>>, prior: &Value) -> Value {
        empty_as_prior(string_list(api.map(Vec::as_slice)), prior)
    }

    fn same(a: &Vec<String>, b: &Vec<String>) -> bool {
        a == b
    }
}

/// Declares the table: `static NAME: Table = { field: Kind, [Protocol, ...], Compare => |attribute| ..., ... }`,
/// where the closure completes the schema attribute (flags, validators, description). It defines the struct
/// `Table` with one [`FrontendField`] per field, so rows are reached by name (`NAME.zone`) or all in order
/// (`NAME.all()`).
macro_rules! frontend_fields {
    (
        $(#[$meta:meta])*
        $vis:vis static $table:ident : $ty:ident = {
            $( $field:ident : $kind:ident, [$($protocol:ident),+], $compare:ident => $complete:expr ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        $vis struct $ty {
            $( pub $field: $crate::resources::frontend::fields::FrontendField, )+
        }

        impl $ty {
            /// Every row, in declaration order (the schema's).
            pub fn all(&self) -> impl Iterator<Item = &$crate::resources::frontend::fields::FrontendField> {
                [$( &self.$field ),+].into_iter()
            }
        }

        $vis static $table: $ty = $ty {
            $( $field: $crate::resources::frontend::fields::FrontendField::new_row(
                ::core::stringify!($field),
                &[$( ::ovh_client::Protocol::$protocol ),+],
                <$crate::resources::frontend::fields::$kind as $crate::resources::frontend::fields::Kind>::ty,
                $complete,
                |state, api| {
                    api.$field =
                        <$crate::resources::frontend::fields::$kind as $crate::resources::frontend::fields::Kind>::to_api(state);
                },
                |api, prior| {
                    <$crate::resources::frontend::fields::$kind as $crate::resources::frontend::fields::Kind>::to_state(
                        api.$field.as_ref(),
                        prior,
                    )
                },
                |candidate, asked| {
                    <$crate::resources::frontend::fields::$kind as $crate::resources::frontend::fields::Kind>::matches(
                        $crate::resources::frontend::fields::Compare::$compare,
                        candidate.$field.as_ref(),
                        asked.$field.as_ref(),
                    )
                },
            ), )+
        };
    };
}

pub(crate) use frontend_fields;

impl FrontendField {
    /// A row; for [`frontend_fields!`], which gives each argument from the declaration.
    pub const fn new_row(
        name: &'static str,
        protocols: &'static [Protocol],
        ty: fn() -> Type,
        complete: fn(Attribute) -> Attribute,
        to_api: fn(&Value, &mut ApiFrontend),
        to_state: fn(&ApiFrontend, &Value) -> Value,
        matches: fn(&ApiFrontend, &ApiFrontend) -> bool,
    ) -> Self {
        Self {
            name,
            protocols,
            ty,
            complete,
            to_api,
            to_state,
            matches,
        }
    }
}
