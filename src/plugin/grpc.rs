//! The `tfplugin5.Provider` gRPC service for any framework [`Provider`]: decodes requests with the schemas,
//! hands decoded values to the framework and encodes the results. Every problem (unknown type name, undecodable
//! value, unconfigured provider) is an error diagnostic in the response, never a gRPC error or a panic.
//!
//! Calls run concurrently: the only shared mutable state is the provider's configured data, behind a lock held
//! just long enough to clone an `Arc`. `Stop` cancels a token every operation's context carries.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use tokio_util::sync::CancellationToken;
use tonic::{Request, Response, Status};

use super::diag::Diagnostics;
use super::framework::validate::validate_config;
use super::framework::{Ctx, DataSourceRuntime, ManagedResource, Provider};
use super::proto::tfplugin5 as pb;
use super::proto::tfplugin5::provider_server::Provider as ProviderRpc;
use super::schema::Schema;
use super::value::{Type, Value, json, msgpack};

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
    configured: RwLock<Configured<P::Data>>,
    stop: CancellationToken,
}

type RpcResult<T> = Result<Response<T>, Status>;

fn reply<T>(message: T) -> RpcResult<T> {
    Ok(Response::new(message))
}

/// Decodes a request value; an absent or empty value is null. Terraform sends msgpack; JSON is accepted too.
fn decode(
    value: Option<&pb::DynamicValue>,
    ty: &Type,
    what: &str,
    diags: &mut Diagnostics,
) -> Option<Value> {
    let Some(value) = value else {
        return Some(Value::Null);
    };
    let decoded = if !value.msgpack.is_empty() {
        msgpack::decode(&value.msgpack, ty)
    } else if !value.json.is_empty() {
        json::decode(&value.json, ty)
    } else {
        Ok(Value::Null)
    };
    decoded.map_err(|e| diags.value_error(what, &e)).ok()
}

/// Encodes a response value as msgpack.
fn encode(
    value: &Value,
    ty: &Type,
    what: &str,
    diags: &mut Diagnostics,
) -> Option<pb::DynamicValue> {
    match msgpack::encode(value, ty) {
        Ok(bytes) => Some(pb::DynamicValue {
            msgpack: bytes,
            json: Vec::new(),
        }),
        Err(e) => {
            diags.error(
                format!("Provider produced an invalid {what}"),
                format!("{e}; this is a bug in the provider."),
            );
            None
        }
    }
}

impl<P: Provider> ProviderService<P> {
    /// Builds the service; schemas are computed once here.
    pub fn new(provider: P) -> Self {
        let provider_schema = provider.schema();
        let provider_type = provider_schema.value_type();
        let resources = provider
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
        Self {
            provider,
            provider_schema,
            provider_type,
            resources,
            data_sources,
            configured: RwLock::new(Configured::No),
            stop: CancellationToken::new(),
        }
    }

    /// The token `Stop` cancels.
    pub fn stop_token(&self) -> CancellationToken {
        self.stop.clone()
    }

    fn capabilities() -> pb::ServerCapabilities {
        pb::ServerCapabilities {
            // We answer destroy plans ourselves (null), which lets resources refuse or warn in future.
            plan_destroy: true,
            get_provider_schema_optional: true,
            move_resource_state: false,
            generate_resource_config: false,
        }
    }

    fn resource(
        &self,
        type_name: &str,
        diags: &mut Diagnostics,
    ) -> Option<&ManagedResource<P::Data>> {
        let found = self.resources.get(type_name);
        if found.is_none() {
            diags.error(
                "Unknown resource type",
                format!("This provider has no resource type {type_name:?}."),
            );
        }
        found
    }

    fn data_source(
        &self,
        type_name: &str,
        diags: &mut Diagnostics,
    ) -> Option<&DataSourceRuntime<P::Data>> {
        let found = self.data_sources.get(type_name);
        if found.is_none() {
            diags.error(
                "Unknown data source",
                format!("This provider has no data source {type_name:?}."),
            );
        }
        found
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

#[tonic::async_trait]
impl<P: Provider> ProviderRpc for ProviderService<P> {
    async fn get_metadata(
        &self,
        _: Request<pb::get_metadata::Request>,
    ) -> RpcResult<pb::get_metadata::Response> {
        reply(pb::get_metadata::Response {
            server_capabilities: Some(Self::capabilities()),
            diagnostics: Vec::new(),
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
            functions: Vec::new(),
        })
    }

    async fn get_schema(
        &self,
        _: Request<pb::get_provider_schema::Request>,
    ) -> RpcResult<pb::get_provider_schema::Response> {
        reply(pb::get_provider_schema::Response {
            provider: Some(self.provider_schema.to_proto()),
            resource_schemas: self
                .resources
                .iter()
                .map(|(name, r)| ((*name).to_owned(), r.schema().to_proto()))
                .collect(),
            data_source_schemas: self
                .data_sources
                .iter()
                .map(|(name, d)| ((*name).to_owned(), d.schema().to_proto()))
                .collect(),
            diagnostics: Vec::new(),
            provider_meta: None,
            server_capabilities: Some(Self::capabilities()),
            functions: HashMap::new(),
        })
    }

    async fn prepare_provider_config(
        &self,
        request: Request<pb::prepare_provider_config::Request>,
    ) -> RpcResult<pb::prepare_provider_config::Response> {
        let request = request.into_inner();
        let mut diags = Diagnostics::new();
        if let Some(config) = decode(
            request.config.as_ref(),
            &self.provider_type,
            "provider configuration",
            &mut diags,
        ) {
            validate_config(&self.provider_schema.block, &config, &mut diags);
            self.provider.validate(&config, &mut diags);
        }
        // Terraform ignores prepared_config (and warns when it differs), so echo the input.
        reply(pb::prepare_provider_config::Response {
            prepared_config: request.config,
            diagnostics: diags.to_proto(),
        })
    }

    async fn validate_resource_type_config(
        &self,
        request: Request<pb::validate_resource_type_config::Request>,
    ) -> RpcResult<pb::validate_resource_type_config::Response> {
        let request = request.into_inner();
        let mut diags = Diagnostics::new();
        if let Some(resource) = self.resource(&request.type_name, &mut diags)
            && let Some(config) = decode(
                request.config.as_ref(),
                resource.value_type(),
                "configuration",
                &mut diags,
            )
        {
            resource.validate(&config, &mut diags);
        }
        reply(pb::validate_resource_type_config::Response {
            diagnostics: diags.to_proto(),
        })
    }

    async fn validate_data_source_config(
        &self,
        request: Request<pb::validate_data_source_config::Request>,
    ) -> RpcResult<pb::validate_data_source_config::Response> {
        let request = request.into_inner();
        let mut diags = Diagnostics::new();
        if let Some(source) = self.data_source(&request.type_name, &mut diags)
            && let Some(config) = decode(
                request.config.as_ref(),
                source.value_type(),
                "configuration",
                &mut diags,
            )
        {
            source.validate(&config, &mut diags);
        }
        reply(pb::validate_data_source_config::Response {
            diagnostics: diags.to_proto(),
        })
    }

    async fn upgrade_resource_state(
        &self,
        request: Request<pb::upgrade_resource_state::Request>,
    ) -> RpcResult<pb::upgrade_resource_state::Response> {
        let request = request.into_inner();
        let mut diags = Diagnostics::new();
        let mut upgraded_state = None;
        if let Some(resource) = self.resource(&request.type_name, &mut diags) {
            let raw = request.raw_state.unwrap_or_default();
            if raw.json.is_empty() && !raw.flatmap.is_empty() {
                diags.error(
                    "Unsupported state format",
                    "This state was written by Terraform 0.11 or older (flatmap); it cannot be upgraded here.",
                );
            } else if let Some(value) = resource.upgrade(request.version, &raw.json, &mut diags) {
                upgraded_state =
                    encode(&value, resource.value_type(), "upgraded state", &mut diags);
            }
        }
        reply(pb::upgrade_resource_state::Response {
            upgraded_state,
            diagnostics: diags.to_proto(),
        })
    }

    async fn configure(
        &self,
        request: Request<pb::configure::Request>,
    ) -> RpcResult<pb::configure::Response> {
        let request = request.into_inner();
        let mut diags = Diagnostics::new();
        let Some(config) = decode(
            request.config.as_ref(),
            &self.provider_type,
            "provider configuration",
            &mut diags,
        ) else {
            self.set_configured(Configured::Failed);
            return reply(pb::configure::Response {
                diagnostics: diags.to_proto(),
            });
        };
        if !config.is_wholly_known() {
            // Plan with a provider config depending on unknown values: defer; operations needing the client
            // explain why it is missing.
            self.set_configured(Configured::Unknown);
            return reply(pb::configure::Response {
                diagnostics: Vec::new(),
            });
        }
        let ctx = Ctx::new((), self.stop.clone());
        let state = match self.provider.configure(&ctx, &config, &mut diags).await {
            Some(data) if !diags.has_errors() => Configured::Ready(Arc::new(data)),
            _ => {
                if !diags.has_errors() {
                    diags.error(
                        "Provider configuration failed",
                        "The provider could not be configured.",
                    );
                }
                Configured::Failed
            }
        };
        self.set_configured(state);
        reply(pb::configure::Response {
            diagnostics: diags.to_proto(),
        })
    }

    async fn read_resource(
        &self,
        request: Request<pb::read_resource::Request>,
    ) -> RpcResult<pb::read_resource::Response> {
        let request = request.into_inner();
        let mut diags = Diagnostics::new();
        let mut new_state = request.current_state.clone();
        if let Some(resource) = self.resource(&request.type_name, &mut diags)
            && let Some(state) = decode(
                request.current_state.as_ref(),
                resource.value_type(),
                "current state",
                &mut diags,
            )
            && !state.is_null()
            && let Some(data) = self.data(&mut diags)
        {
            let ctx = Ctx::new(&*data, self.stop.clone());
            let fresh = resource.read(&ctx, state, &mut diags).await;
            new_state = encode(&fresh, resource.value_type(), "state", &mut diags).or(new_state);
        }
        reply(pb::read_resource::Response {
            new_state,
            diagnostics: diags.to_proto(),
            private: request.private,
            deferred: None,
            new_identity: None,
        })
    }

    async fn plan_resource_change(
        &self,
        request: Request<pb::plan_resource_change::Request>,
    ) -> RpcResult<pb::plan_resource_change::Response> {
        let request = request.into_inner();
        let mut diags = Diagnostics::new();
        let mut planned_state = None;
        let mut requires_replace = Vec::new();
        if let Some(resource) = self.resource(&request.type_name, &mut diags) {
            let ty = resource.value_type();
            let prior = decode(request.prior_state.as_ref(), ty, "prior state", &mut diags);
            let proposed = decode(
                request.proposed_new_state.as_ref(),
                ty,
                "proposed new state",
                &mut diags,
            );
            let config = decode(request.config.as_ref(), ty, "configuration", &mut diags);
            if let (Some(prior), Some(proposed), Some(config)) = (prior, proposed, config) {
                let data = self.data_if_configured();
                let ctx = Ctx::new(data.as_deref(), self.stop.clone());
                let (planned, replace) = resource
                    .plan(&ctx, prior, proposed, config, &mut diags)
                    .await;
                planned_state = encode(&planned, ty, "plan", &mut diags);
                requires_replace = replace.iter().map(super::diag::path_to_proto).collect();
            }
        }
        reply(pb::plan_resource_change::Response {
            planned_state,
            requires_replace,
            planned_private: request.prior_private,
            diagnostics: diags.to_proto(),
            legacy_type_system: false,
            deferred: None,
            planned_identity: None,
        })
    }

    async fn apply_resource_change(
        &self,
        request: Request<pb::apply_resource_change::Request>,
    ) -> RpcResult<pb::apply_resource_change::Response> {
        let request = request.into_inner();
        let mut diags = Diagnostics::new();
        // Until the operation runs, the answer is "nothing changed".
        let mut new_state = request.prior_state.clone();
        if let Some(resource) = self.resource(&request.type_name, &mut diags) {
            let ty = resource.value_type();
            let prior = decode(request.prior_state.as_ref(), ty, "prior state", &mut diags);
            let planned = decode(
                request.planned_state.as_ref(),
                ty,
                "planned state",
                &mut diags,
            );
            let config = decode(request.config.as_ref(), ty, "configuration", &mut diags);
            if let (Some(prior), Some(planned), Some(config)) = (prior, planned, config)
                && let Some(data) = self.data(&mut diags)
            {
                let ctx = Ctx::new(&*data, self.stop.clone());
                let state = resource
                    .apply(&ctx, prior, planned, config, &mut diags)
                    .await;
                new_state = encode(&state, ty, "new state", &mut diags).or(new_state);
            }
        }
        reply(pb::apply_resource_change::Response {
            new_state,
            private: request.planned_private,
            diagnostics: diags.to_proto(),
            legacy_type_system: false,
            new_identity: None,
        })
    }

    async fn import_resource_state(
        &self,
        request: Request<pb::import_resource_state::Request>,
    ) -> RpcResult<pb::import_resource_state::Response> {
        let request = request.into_inner();
        let mut diags = Diagnostics::new();
        let mut imported_resources = Vec::new();
        if let Some(resource) = self.resource(&request.type_name, &mut diags)
            && let Some(data) = self.data(&mut diags)
        {
            let ctx = Ctx::new(&*data, self.stop.clone());
            if let Some(state) = resource.import(&ctx, &request.id, &mut diags).await
                && let Some(state) =
                    encode(&state, resource.value_type(), "imported state", &mut diags)
            {
                imported_resources.push(pb::import_resource_state::ImportedResource {
                    type_name: request.type_name.clone(),
                    state: Some(state),
                    private: Vec::new(),
                    identity: None,
                });
            }
        }
        reply(pb::import_resource_state::Response {
            imported_resources,
            diagnostics: diags.to_proto(),
            deferred: None,
        })
    }

    async fn read_data_source(
        &self,
        request: Request<pb::read_data_source::Request>,
    ) -> RpcResult<pb::read_data_source::Response> {
        let request = request.into_inner();
        let mut diags = Diagnostics::new();
        let mut state = None;
        if let Some(source) = self.data_source(&request.type_name, &mut diags)
            && let Some(config) = decode(
                request.config.as_ref(),
                source.value_type(),
                "configuration",
                &mut diags,
            )
            && let Some(data) = self.data(&mut diags)
        {
            let ctx = Ctx::new(&*data, self.stop.clone());
            let result = source.read(&ctx, config, &mut diags).await;
            if !diags.has_errors() {
                state = encode(
                    &result,
                    source.value_type(),
                    "data source state",
                    &mut diags,
                );
            }
        }
        reply(pb::read_data_source::Response {
            state,
            diagnostics: diags.to_proto(),
            deferred: None,
        })
    }

    async fn stop(&self, _: Request<pb::stop::Request>) -> RpcResult<pb::stop::Response> {
        tracing::info!("Terraform asked the provider to stop; cancelling operations in flight");
        self.stop.cancel();
        reply(pb::stop::Response {
            error: String::new(),
        })
    }
}
