//! The `tfplugin5.Provider` gRPC service for any framework [`Provider`]: decodes requests with the schemas,
//! hands decoded values to the framework and encodes the results. Every problem (unknown type name, undecodable
//! value, unconfigured provider) is an error diagnostic in the response, never a gRPC error or a panic.
//!
//! Every RPC has the same shape, carried by [`Call`]: look the type up, decode the request's values with its
//! schema, run the framework, encode the result, and answer with the diagnostics gathered on the way.
//!
//! Calls run concurrently: the only shared mutable state is the provider's configured data, behind a lock held
//! just long enough to clone an `Arc`. `Stop` cancels a token every operation's context carries.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use tokio_util::sync::CancellationToken;
use tonic::{Request, Response, Status};

use super::diag::Diagnostics;
use super::framework::validate::validate_config;
use super::framework::{
    ActionEvent, ActionRuntime, Configurable, Ctx, DataSourceRuntime, ListRuntime, ManagedResource,
    Provider,
};
use super::proto::tfplugin5 as pb;
use super::proto::tfplugin5::provider_server::Provider as ProviderRpc;
use super::schema::Schema;
use super::value::{Type, Value};
use super::wire;

/// Where the provider is in its configuration.
enum Configured<D> {
    /// `Configure` was not called (yet).
    No,
    /// The configuration held values unknown until apply, so the client could not be built.
    Unknown,
    /// `Configure` reported errors.
    Failed,
    Ready(Arc<D>),
}

/// The tfplugin5 service of a framework provider.
pub struct ProviderService<P: Provider> {
    provider: P,
    provider_schema: Schema,
    provider_type: Type,
    resources: HashMap<&'static str, ManagedResource<P::Data>>,
    data_sources: HashMap<&'static str, DataSourceRuntime<P::Data>>,
    list_resources: HashMap<&'static str, Arc<ListRuntime<P::Data>>>,
    actions: HashMap<&'static str, Arc<ActionRuntime<P::Data>>>,
    configured: RwLock<Configured<P::Data>>,
    stop: CancellationToken,
}

impl<P: Provider> ProviderService<P> {
    /// Builds the service; schemas are computed once here.
    pub fn new(provider: P) -> Self {
        let provider_schema = provider.schema();
        let provider_type = provider_schema.value_type();
        let resources: HashMap<_, _> = provider
            .resources()
            .into_iter()
            .map(|r| {
                let managed = ManagedResource::new(r);
                (managed.type_name(), managed)
            })
            .collect();
        let data_sources = provider
            .data_sources()
            .into_iter()
            .map(|d| {
                let runtime = DataSourceRuntime::new(d);
                (runtime.type_name(), runtime)
            })
            .collect();
        let list_resources = provider
            .list_resources()
            .into_iter()
            .map(|l| {
                let target = resources
                    .get(l.type_name())
                    .and_then(|r: &ManagedResource<_>| {
                        r.identity()
                            .map(|identity| (identity.clone(), r.value_type().clone()))
                    });
                let runtime = ListRuntime::new(l, target);
                (runtime.type_name(), Arc::new(runtime))
            })
            .collect();
        let actions = provider
            .actions()
            .into_iter()
            .map(|a| {
                let runtime = ActionRuntime::new(a);
                (runtime.type_name(), Arc::new(runtime))
            })
            .collect();
        Self {
            provider,
            provider_schema,
            provider_type,
            resources,
            data_sources,
            list_resources,
            actions,
            configured: RwLock::new(Configured::No),
            stop: CancellationToken::new(),
        }
    }

    /// The token `Stop` cancels.
    #[cfg(feature = "wire")]
    pub fn stop_token(&self) -> CancellationToken {
        self.stop.clone()
    }

    fn capabilities() -> pb::ServerCapabilities {
        pb::ServerCapabilities {
            // We answer destroy plans ourselves (null), which lets resources refuse or warn in future.
            plan_destroy: true,
            get_provider_schema_optional: true,
            move_resource_state: false,
            generate_resource_config: true,
        }
    }

    /// The configured data, if any (plan-time hooks run without it).
    fn data_if_configured(&self) -> Option<Arc<P::Data>> {
        match &*self
            .configured
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
        {
            Configured::Ready(data) => Some(Arc::clone(data)),
            _ => None,
        }
    }

    /// The configured data, or an error diagnostic explaining why there is none.
    fn data(&self, diags: &mut Diagnostics) -> Option<Arc<P::Data>> {
        let guard = self
            .configured
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match &*guard {
            Configured::Ready(data) => return Some(Arc::clone(data)),
            Configured::Unknown => diags.error(
                "Provider configuration not known yet",
                "The provider block uses values that are only known after apply, so the provider cannot reach \
                 the API now. Use values known at plan time in the provider block, or apply the resources they \
                 come from first (terraform apply -target=...).",
            ),
            Configured::Failed => {
                diags.error("Provider not configured", "The provider configuration failed; see the errors above.")
            }
            Configured::No => {
                diags.error("Provider not configured", "Terraform did not configure the provider before using it.")
            }
        }
        None
    }

    fn set_configured(&self, state: Configured<P::Data>) {
        *self
            .configured
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = state;
    }
}

type RpcResult<T> = Result<Response<T>, Status>;

/// A tfplugin5 response: every one carries the call's diagnostics.
trait Reply {
    fn set_diagnostics(&mut self, diagnostics: Vec<pb::Diagnostic>);
}

macro_rules! replies {
    ($($response:ty),* $(,)?) => {
        $(impl Reply for $response {
            fn set_diagnostics(&mut self, diagnostics: Vec<pb::Diagnostic>) {
                self.diagnostics = diagnostics;
            }
        })*
    };
}

replies!(
    pb::get_metadata::Response,
    pb::get_provider_schema::Response,
    pb::prepare_provider_config::Response,
    pb::validate_resource_type_config::Response,
    pb::validate_data_source_config::Response,
    pb::upgrade_resource_state::Response,
    pb::configure::Response,
    pb::read_resource::Response,
    pb::plan_resource_change::Response,
    pb::apply_resource_change::Response,
    pb::import_resource_state::Response,
    pb::read_data_source::Response,
    pb::get_resource_identity_schemas::Response,
    pb::upgrade_resource_identity::Response,
    pb::generate_resource_config::Response,
    pb::validate_list_resource_config::Response,
    pb::plan_action::Response,
    pb::validate_action_config::Response,
);

/// The stream type of the server-streaming RPCs (tonic's boxed stream).
type EventStream<T> = tonic::codegen::BoxStream<T>;

/// One RPC in progress: the diagnostics it has gathered, and the lookups and conversions every RPC needs, each
/// reporting its problem as a diagnostic (so that a handler only says what it does with what it got).
struct Call<'a, P: Provider> {
    service: &'a ProviderService<P>,
    diags: Diagnostics,
}

impl<'a, P: Provider> Call<'a, P> {
    /// The type `type_name` of `kind` ("resource type", "data source"...) in `types`, or an error.
    fn lookup<T>(
        &mut self,
        types: &'a HashMap<&'static str, T>,
        kind: &str,
        type_name: &str,
    ) -> Option<&'a T> {
        let found = types.get(type_name);
        if found.is_none() {
            self.diags.error(
                format!("Unknown {kind}"),
                format!("This provider has no {kind} {type_name:?}."),
            );
        }
        found
    }

    fn resource(&mut self, type_name: &str) -> Option<&'a ManagedResource<P::Data>> {
        self.lookup(&self.service.resources, "resource type", type_name)
    }

    fn data_source(&mut self, type_name: &str) -> Option<&'a DataSourceRuntime<P::Data>> {
        self.lookup(&self.service.data_sources, "data source", type_name)
    }

    fn list_resource(&mut self, type_name: &str) -> Option<&'a Arc<ListRuntime<P::Data>>> {
        self.lookup(
            &self.service.list_resources,
            "list resource type",
            type_name,
        )
    }

    fn action(&mut self, type_name: &str) -> Option<&'a Arc<ActionRuntime<P::Data>>> {
        self.lookup(&self.service.actions, "action type", type_name)
    }

    /// The identity of the object whose state is `state`, for an answer: none when the resource has no identity,
    /// `state` names no object yet (an attribute required for import is null) or part of it is unknown (a planned
    /// create or replace). Terraform allows unknowns in a planned identity, but OpenTofu 1.12 writes the planned
    /// object into its working state and fails to encode one ("value is not known"); a null planned identity is
    /// valid for both, and the apply's answer carries the known one.
    fn identity_of(
        &mut self,
        resource: &ManagedResource<P::Data>,
        state: &Value,
    ) -> Option<pb::ResourceIdentityData> {
        let identity = resource.identity()?;
        let value = identity.of(state);
        let unnamed = identity
            .declaration
            .attributes
            .iter()
            .any(|a| a.required_for_import && value.get(&a.name).is_null());
        if value.is_null() || unnamed || !value.is_wholly_known() {
            return None;
        }
        wire::identity(&value, &identity.ty, &mut self.diags)
    }

    /// `config` decoded as a configuration of `target`, with `target`; none when there is no such type (see the
    /// lookups) or the value does not decode, the diagnostics saying why.
    fn configuration<T: Configurable>(
        &mut self,
        target: Option<&'a T>,
        config: Option<&pb::DynamicValue>,
    ) -> Option<(&'a T, Value)> {
        let target = target?;
        let config = self.decode(config, target.value_type(), "configuration")?;
        Some((target, config))
    }

    fn decode(&mut self, value: Option<&pb::DynamicValue>, ty: &Type, what: &str) -> Option<Value> {
        wire::decode(value, ty, what, &mut self.diags)
    }

    fn encode(&mut self, value: &Value, ty: &Type, what: &str) -> Option<pb::DynamicValue> {
        wire::encode(value, ty, what, &mut self.diags)
    }

    /// The configured provider data, or an error saying why there is none.
    fn data(&mut self) -> Option<Arc<P::Data>> {
        self.service.data(&mut self.diags)
    }

    /// An operation context carrying `data` and the service's Stop.
    fn ctx<T>(&self, data: T) -> Ctx<T> {
        Ctx::new(data, self.service.stop.clone())
    }

    /// Answers with `response` and the diagnostics gathered.
    fn reply<R: Reply>(self, mut response: R) -> RpcResult<R> {
        response.set_diagnostics(wire::diagnostics(&self.diags));
        Ok(Response::new(response))
    }
}

/// A lookup of a driven type by name, e.g. [`Call::resource`].
type Lookup<'a, P, T> = fn(&mut Call<'a, P>, &str) -> Option<&'a T>;

impl<P: Provider> ProviderService<P> {
    /// The validate RPCs: the type named `type_name`, found by `lookup`, checks `config`.
    fn validate<'a, T: Configurable, R: Reply + Default>(
        &'a self,
        type_name: &str,
        config: Option<&pb::DynamicValue>,
        lookup: Lookup<'a, P, T>,
    ) -> RpcResult<R> {
        let mut call = Call {
            service: self,
            diags: Diagnostics::new(),
        };
        let target = lookup(&mut call, type_name);
        if let Some((target, config)) = call.configuration(target, config) {
            target.validate(&config, &mut call.diags);
        }
        call.reply(R::default())
    }

    /// Starts an RPC: the request's message and a [`Call`] to gather its diagnostics.
    fn begin<T>(&self, request: Request<T>) -> (Call<'_, P>, T) {
        let call = Call {
            service: self,
            diags: Diagnostics::new(),
        };
        (call, request.into_inner())
    }
}

#[tonic::async_trait]
impl<P: Provider> ProviderRpc for ProviderService<P> {
    async fn get_metadata(
        &self,
        request: Request<pb::get_metadata::Request>,
    ) -> RpcResult<pb::get_metadata::Response> {
        let (call, _) = self.begin(request);
        call.reply(pb::get_metadata::Response {
            server_capabilities: Some(Self::capabilities()),
            data_sources: self
                .data_sources
                .keys()
                .map(|name| pb::get_metadata::DataSourceMetadata {
                    type_name: (*name).to_owned(),
                })
                .collect(),
            resources: self
                .resources
                .keys()
                .map(|name| pb::get_metadata::ResourceMetadata {
                    type_name: (*name).to_owned(),
                })
                .collect(),
            list_resources: self
                .list_resources
                .keys()
                .map(|name| pb::get_metadata::ListResourceMetadata {
                    type_name: (*name).to_owned(),
                })
                .collect(),
            actions: self
                .actions
                .keys()
                .map(|name| pb::get_metadata::ActionMetadata {
                    type_name: (*name).to_owned(),
                })
                .collect(),
            ..Default::default()
        })
    }

    async fn get_schema(
        &self,
        request: Request<pb::get_provider_schema::Request>,
    ) -> RpcResult<pb::get_provider_schema::Response> {
        let (call, _) = self.begin(request);
        call.reply(pb::get_provider_schema::Response {
            provider: Some(wire::schema(&self.provider_schema)),
            resource_schemas: self
                .resources
                .iter()
                .map(|(name, r)| ((*name).to_owned(), wire::schema(r.schema())))
                .collect(),
            data_source_schemas: self
                .data_sources
                .iter()
                .map(|(name, d)| ((*name).to_owned(), wire::schema(d.schema())))
                .collect(),
            list_resource_schemas: self
                .list_resources
                .iter()
                .map(|(name, l)| ((*name).to_owned(), wire::schema(l.schema())))
                .collect(),
            action_schemas: self
                .actions
                .iter()
                .map(|(name, a)| {
                    (
                        (*name).to_owned(),
                        pb::ActionSchema {
                            schema: Some(wire::schema(a.schema())),
                        },
                    )
                })
                .collect(),
            server_capabilities: Some(Self::capabilities()),
            ..Default::default()
        })
    }

    async fn prepare_provider_config(
        &self,
        request: Request<pb::prepare_provider_config::Request>,
    ) -> RpcResult<pb::prepare_provider_config::Response> {
        let (mut call, request) = self.begin(request);
        if let Some(config) = call.decode(
            request.config.as_ref(),
            &self.provider_type,
            "provider configuration",
        ) {
            validate_config(&self.provider_schema.block, &config, &mut call.diags);
            self.provider.validate(&config, &mut call.diags);
        }
        // Terraform ignores prepared_config (and warns when it differs), so echo the input.
        call.reply(pb::prepare_provider_config::Response {
            prepared_config: request.config,
            ..Default::default()
        })
    }

    async fn validate_resource_type_config(
        &self,
        request: Request<pb::validate_resource_type_config::Request>,
    ) -> RpcResult<pb::validate_resource_type_config::Response> {
        let request = request.into_inner();
        self.validate(&request.type_name, request.config.as_ref(), Call::resource)
    }

    async fn validate_data_source_config(
        &self,
        request: Request<pb::validate_data_source_config::Request>,
    ) -> RpcResult<pb::validate_data_source_config::Response> {
        let request = request.into_inner();
        self.validate(
            &request.type_name,
            request.config.as_ref(),
            Call::data_source,
        )
    }

    async fn upgrade_resource_state(
        &self,
        request: Request<pb::upgrade_resource_state::Request>,
    ) -> RpcResult<pb::upgrade_resource_state::Response> {
        let (mut call, request) = self.begin(request);
        let mut upgraded_state = None;
        if let Some(resource) = call.resource(&request.type_name) {
            let raw = request.raw_state.unwrap_or_default();
            if raw.json.is_empty() && !raw.flatmap.is_empty() {
                call.diags.error(
                    "Unsupported state format",
                    "This state was written by Terraform 0.11 or older (flatmap); it cannot be upgraded here.",
                );
            } else if let Some(value) =
                resource.upgrade(request.version, &raw.json, &mut call.diags)
            {
                upgraded_state = call.encode(&value, resource.value_type(), "upgraded state");
            }
        }
        call.reply(pb::upgrade_resource_state::Response {
            upgraded_state,
            ..Default::default()
        })
    }

    async fn configure(
        &self,
        request: Request<pb::configure::Request>,
    ) -> RpcResult<pb::configure::Response> {
        let (mut call, request) = self.begin(request);
        let state = match call.decode(
            request.config.as_ref(),
            &self.provider_type,
            "provider configuration",
        ) {
            None => Configured::Failed,
            // Plan with a provider config depending on unknown values: defer; operations needing the client
            // explain why it is missing.
            Some(config) if !config.is_wholly_known() => Configured::Unknown,
            Some(config) => {
                let ctx = call.ctx(());
                match self
                    .provider
                    .configure(&ctx, &config, &mut call.diags)
                    .await
                {
                    Some(data) if !call.diags.has_errors() => Configured::Ready(Arc::new(data)),
                    _ => {
                        if !call.diags.has_errors() {
                            call.diags.error(
                                "Provider configuration failed",
                                "The provider could not be configured.",
                            );
                        }
                        Configured::Failed
                    }
                }
            }
        };
        self.set_configured(state);
        call.reply(pb::configure::Response::default())
    }

    async fn read_resource(
        &self,
        request: Request<pb::read_resource::Request>,
    ) -> RpcResult<pb::read_resource::Response> {
        let (mut call, request) = self.begin(request);
        let mut new_state = request.current_state.clone();
        let mut new_identity = None;
        if let Some(resource) = call.resource(&request.type_name)
            && let Some(state) = call.decode(
                request.current_state.as_ref(),
                resource.value_type(),
                "current state",
            )
            && !state.is_null()
            && let Some(data) = call.data()
        {
            let ctx = call.ctx(&*data);
            let fresh = resource.read(&ctx, state, &mut call.diags).await;
            new_identity = call.identity_of(resource, &fresh);
            new_state = call
                .encode(&fresh, resource.value_type(), "state")
                .or(new_state);
        }
        call.reply(pb::read_resource::Response {
            new_state,
            private: request.private,
            new_identity,
            ..Default::default()
        })
    }

    async fn plan_resource_change(
        &self,
        request: Request<pb::plan_resource_change::Request>,
    ) -> RpcResult<pb::plan_resource_change::Response> {
        let (mut call, request) = self.begin(request);
        let mut planned_state = None;
        let mut planned_identity = None;
        let mut requires_replace = Vec::new();
        if let Some(resource) = call.resource(&request.type_name) {
            let ty = resource.value_type();
            let prior = call.decode(request.prior_state.as_ref(), ty, "prior state");
            let proposed = call.decode(
                request.proposed_new_state.as_ref(),
                ty,
                "proposed new state",
            );
            let config = call.decode(request.config.as_ref(), ty, "configuration");
            if let (Some(prior), Some(proposed), Some(config)) = (prior, proposed, config) {
                let data = self.data_if_configured();
                let ctx = call.ctx(data.as_deref());
                // A destroy keeps the identity of what is destroyed.
                let named = if proposed.is_null() {
                    prior.clone()
                } else {
                    Value::Null
                };
                let (planned, replace) = resource
                    .plan(&ctx, prior, proposed, config, &mut call.diags)
                    .await;
                let identity_source = if planned.is_null() { &named } else { &planned };
                planned_identity = call.identity_of(resource, identity_source);
                planned_state = call.encode(&planned, ty, "plan");
                requires_replace = replace.iter().map(wire::path).collect();
            }
        }
        call.reply(pb::plan_resource_change::Response {
            planned_state,
            requires_replace,
            planned_private: request.prior_private,
            planned_identity,
            ..Default::default()
        })
    }

    async fn apply_resource_change(
        &self,
        request: Request<pb::apply_resource_change::Request>,
    ) -> RpcResult<pb::apply_resource_change::Response> {
        let (mut call, request) = self.begin(request);
        // Until the operation runs, the answer is "nothing changed".
        let mut new_state = request.prior_state.clone();
        let mut new_identity = None;
        if let Some(resource) = call.resource(&request.type_name) {
            let ty = resource.value_type();
            let prior = call.decode(request.prior_state.as_ref(), ty, "prior state");
            let planned = call.decode(request.planned_state.as_ref(), ty, "planned state");
            let config = call.decode(request.config.as_ref(), ty, "configuration");
            if let (Some(prior), Some(planned), Some(config)) = (prior, planned, config)
                && let Some(data) = call.data()
            {
                let ctx = call.ctx(&*data);
                let state = resource
                    .apply(&ctx, prior, planned, config, &mut call.diags)
                    .await;
                new_identity = call.identity_of(resource, &state);
                new_state = call.encode(&state, ty, "new state").or(new_state);
            }
        }
        call.reply(pb::apply_resource_change::Response {
            new_state,
            private: request.planned_private,
            new_identity,
            ..Default::default()
        })
    }

    async fn import_resource_state(
        &self,
        request: Request<pb::import_resource_state::Request>,
    ) -> RpcResult<pb::import_resource_state::Response> {
        let (mut call, request) = self.begin(request);
        let mut imported_resources = Vec::new();
        if let Some(resource) = call.resource(&request.type_name)
            && let Some(data) = call.data()
        {
            // `import { identity = {…} }` sends an identity and no id (Terraform ≥ 1.12).
            let by_identity = request
                .identity
                .as_ref()
                .and_then(|identity| identity.identity_data.as_ref())
                .filter(|_| request.id.is_empty());
            let state = match (by_identity, resource.identity()) {
                (Some(identity), Some(resolved)) => call
                    .decode(Some(identity), &resolved.ty, "identity")
                    .and_then(|identity| resource.import_identity(&identity, &mut call.diags)),
                (Some(_), None) => resource.import_identity(&Value::Null, &mut call.diags),
                (None, _) => {
                    let ctx = call.ctx(&*data);
                    resource.import(&ctx, &request.id, &mut call.diags).await
                }
            };
            if let Some(state) = state {
                let identity = call.identity_of(resource, &state);
                if let Some(state) = call.encode(&state, resource.value_type(), "imported state") {
                    imported_resources.push(pb::import_resource_state::ImportedResource {
                        type_name: request.type_name.clone(),
                        state: Some(state),
                        identity,
                        ..Default::default()
                    });
                }
            }
        }
        call.reply(pb::import_resource_state::Response {
            imported_resources,
            ..Default::default()
        })
    }

    async fn read_data_source(
        &self,
        request: Request<pb::read_data_source::Request>,
    ) -> RpcResult<pb::read_data_source::Response> {
        let (mut call, request) = self.begin(request);
        let mut state = None;
        let source = call.data_source(&request.type_name);
        if let Some((source, config)) = call.configuration(source, request.config.as_ref())
            && let Some(data) = call.data()
        {
            let ctx = call.ctx(&*data);
            let result = source.read(&ctx, config, &mut call.diags).await;
            if !call.diags.has_errors() {
                state = call.encode(&result, source.value_type(), "data source state");
            }
        }
        call.reply(pb::read_data_source::Response {
            state,
            ..Default::default()
        })
    }

    async fn get_resource_identity_schemas(
        &self,
        request: Request<pb::get_resource_identity_schemas::Request>,
    ) -> RpcResult<pb::get_resource_identity_schemas::Response> {
        let (call, _) = self.begin(request);
        call.reply(pb::get_resource_identity_schemas::Response {
            identity_schemas: self
                .resources
                .iter()
                .filter_map(|(name, r)| {
                    r.identity()
                        .map(|identity| ((*name).to_owned(), wire::identity_schema(identity)))
                })
                .collect(),
            ..Default::default()
        })
    }

    async fn upgrade_resource_identity(
        &self,
        request: Request<pb::upgrade_resource_identity::Request>,
    ) -> RpcResult<pb::upgrade_resource_identity::Response> {
        let (mut call, request) = self.begin(request);
        let mut upgraded_identity = None;
        if let Some(resource) = call.resource(&request.type_name) {
            let raw = request.raw_identity.unwrap_or_default();
            if let Some(value) =
                resource.upgrade_identity(request.version, &raw.json, &mut call.diags)
                && let Some(identity) = resource.identity()
            {
                upgraded_identity = wire::identity(&value, &identity.ty, &mut call.diags);
            }
        }
        call.reply(pb::upgrade_resource_identity::Response {
            upgraded_identity,
            ..Default::default()
        })
    }

    async fn generate_resource_config(
        &self,
        request: Request<pb::generate_resource_config::Request>,
    ) -> RpcResult<pb::generate_resource_config::Response> {
        let (mut call, request) = self.begin(request);
        let mut config = None;
        if let Some(resource) = call.resource(&request.type_name)
            && let Some(state) = call.decode(request.state.as_ref(), resource.value_type(), "state")
        {
            let generated = resource.generate_config(&state);
            config = call.encode(&generated, resource.value_type(), "generated configuration");
        }
        call.reply(pb::generate_resource_config::Response {
            config,
            ..Default::default()
        })
    }

    async fn validate_list_resource_config(
        &self,
        request: Request<pb::validate_list_resource_config::Request>,
    ) -> RpcResult<pb::validate_list_resource_config::Response> {
        let request = request.into_inner();
        self.validate(
            &request.type_name,
            request.config.as_ref(),
            Call::list_resource,
        )
    }

    async fn list_resource(
        &self,
        request: Request<pb::list_resource::Request>,
    ) -> Result<Response<EventStream<pb::list_resource::Event>>, Status> {
        use tokio_stream::StreamExt as _;
        let (mut call, request) = self.begin(request);
        let mut listing = None;
        let list = call.list_resource(&request.type_name);
        if let Some((list, config)) = call.configuration(list, request.config.as_ref())
            && let Some(data) = call.data()
        {
            let items = list.start(
                call.ctx(data),
                config,
                request.include_resource_object,
                request.limit,
            );
            listing = Some((Arc::clone(list), items));
        }
        // What went wrong before the listing started is the stream's one event.
        let head = (!call.diags.is_empty()).then(|| pb::list_resource::Event {
            diagnostic: wire::diagnostics(&call.diags),
            ..Default::default()
        });
        let head = tokio_stream::iter(head.map(Ok));
        let Some((list, items)) = listing else {
            return Ok(Response::new(Box::pin(head)));
        };
        let events = tokio_stream::wrappers::ReceiverStream::new(items).map(move |item| {
            Ok(wire::list_event(
                item,
                list.identity_type(),
                list.object_type(),
            ))
        });
        Ok(Response::new(Box::pin(head.chain(events))))
    }

    async fn validate_action_config(
        &self,
        request: Request<pb::validate_action_config::Request>,
    ) -> RpcResult<pb::validate_action_config::Response> {
        let request = request.into_inner();
        self.validate(&request.type_name, request.config.as_ref(), Call::action)
    }

    async fn plan_action(
        &self,
        request: Request<pb::plan_action::Request>,
    ) -> RpcResult<pb::plan_action::Response> {
        let (mut call, request) = self.begin(request);
        let action = call.action(&request.action_type);
        if let Some((action, config)) = call.configuration(action, request.config.as_ref()) {
            let data = self.data_if_configured();
            let ctx = call.ctx(data.as_deref());
            action.plan(&ctx, &config, &mut call.diags).await;
        }
        call.reply(pb::plan_action::Response::default())
    }

    async fn invoke_action(
        &self,
        request: Request<pb::invoke_action::Request>,
    ) -> Result<Response<EventStream<pb::invoke_action::Event>>, Status> {
        use tokio_stream::StreamExt as _;
        let (mut call, request) = self.begin(request);
        let action = call.action(&request.action_type);
        if let Some((action, config)) = call.configuration(action, request.config.as_ref())
            && let Some(data) = call.data()
        {
            let events = action.start(call.ctx(data), config);
            let events = tokio_stream::wrappers::UnboundedReceiverStream::new(events)
                .map(|event| Ok(wire::action_event(event)));
            return Ok(Response::new(Box::pin(events)));
        }
        // It could not start: its only event says why.
        let completed = wire::action_event(ActionEvent::Completed(call.diags));
        Ok(Response::new(Box::pin(tokio_stream::iter([Ok(completed)]))))
    }

    async fn stop(&self, _: Request<pb::stop::Request>) -> RpcResult<pb::stop::Response> {
        tracing::info!("Terraform asked the provider to stop; cancelling operations in flight");
        self.stop.cancel();
        Ok(Response::new(pb::stop::Response::default()))
    }
}

#[cfg(test)]
mod tests;
