//! The tfplugin6 gRPC service: decodes each request's dynamic values with the schema's type,
//! calls the [`ProviderHandler`], and encodes the answer. A value that does not fit its
//! schema becomes an error diagnostic, never a panic or a transport error.
//!
//! This module is the service itself, one method per RPC; the decoding and encoding every RPC
//! does the same way is in `values`.

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

use tonic::{Request, Response, Status};

use super::diagnostics::{AttributePath, Diagnostics};
use super::dynamic::{Dynamic, Type};
use super::proto::tfplugin6 as pb;
use super::service::{
    ApplyRequest, ConfigureRequest, EphemeralPrivateRequest, ImportRequest, MoveRequest,
    OpenEphemeralRequest, PlanRequest, ProviderHandler, ProviderSchemas, ReadDataRequest,
    ReadRequest, UpgradeIdentityRequest, UpgradeStateRequest, ValidateResourceRequest,
};

mod values;

use values::{
    capabilities, decode, decode_optional, encode, encode_identity, identity_data, timestamp,
};

/// The types of everything served, computed once from the schemas.
struct Types {
    provider: Type,
    provider_meta: Option<Type>,
    resources: BTreeMap<String, Type>,
    data_sources: BTreeMap<String, Type>,
    ephemeral_resources: BTreeMap<String, Type>,
    identities: BTreeMap<String, Type>,
}

/// The tfplugin6 `Provider` service over a [`ProviderHandler`].
pub struct ProviderService {
    handler: Arc<dyn ProviderHandler>,
    /// The schemas and their types, built on first use (or by [`ProviderService::warm`] right
    /// after the handshake, while Terraform connects): the handshake does not wait for them.
    loaded: OnceLock<Loaded>,
}

struct Loaded {
    schemas: ProviderSchemas,
    types: Types,
}

impl ProviderService {
    pub fn new(handler: Arc<dyn ProviderHandler>) -> Self {
        Self {
            handler,
            loaded: OnceLock::new(),
        }
    }

    /// Builds the schemas and types now, if no request has yet.
    pub fn warm(&self) {
        self.loaded();
    }

    fn loaded(&self) -> &Loaded {
        self.loaded.get_or_init(|| {
            let schemas = self.handler.schemas();
            let types = Types {
                provider: schemas.provider.value_type(),
                provider_meta: schemas.provider_meta.as_ref().map(|s| s.value_type()),
                resources: types_of(&schemas.resources),
                data_sources: types_of(&schemas.data_sources),
                ephemeral_resources: types_of(&schemas.ephemeral_resources),
                identities: schemas
                    .identities
                    .iter()
                    .map(|(name, identity)| (name.clone(), identity.value_type()))
                    .collect(),
            };
            Loaded { schemas, types }
        })
    }

    pub fn schemas(&self) -> &ProviderSchemas {
        &self.loaded().schemas
    }

    fn types(&self) -> &Types {
        &self.loaded().types
    }

    fn server_capabilities(&self) -> pb::ServerCapabilities {
        let capabilities = self.schemas().capabilities;
        pb::ServerCapabilities {
            plan_destroy: capabilities.plan_destroy,
            get_provider_schema_optional: capabilities.get_provider_schema_optional,
            move_resource_state: capabilities.move_resource_state,
        }
    }
}

impl Types {
    /// The type of the resource `type_name`; an error diagnostic when there is none.
    fn resource(&self, type_name: &str, diags: &mut Diagnostics) -> Option<&Type> {
        type_of(&self.resources, "resource", type_name, diags)
    }

    fn data_source(&self, type_name: &str, diags: &mut Diagnostics) -> Option<&Type> {
        type_of(&self.data_sources, "data source", type_name, diags)
    }

    fn ephemeral_resource(&self, type_name: &str, diags: &mut Diagnostics) -> Option<&Type> {
        type_of(
            &self.ephemeral_resources,
            "ephemeral resource",
            type_name,
            diags,
        )
    }

    /// The request's `provider_meta`, when the provider has a schema for it and Terraform sent
    /// one.
    fn decode_meta(
        &self,
        value: Option<pb::DynamicValue>,
        diags: &mut Diagnostics,
    ) -> Option<Dynamic> {
        decode_optional(value, self.provider_meta.as_ref(), "provider_meta", diags)
    }
}

fn types_of(schemas: &BTreeMap<String, super::schema::Schema>) -> BTreeMap<String, Type> {
    schemas
        .iter()
        .map(|(name, schema)| (name.clone(), schema.value_type()))
        .collect()
}

/// Looks up the type of `type_name`, or reports it as unknown.
fn type_of<'a>(
    types: &'a BTreeMap<String, Type>,
    kind: &str,
    type_name: &str,
    diags: &mut Diagnostics,
) -> Option<&'a Type> {
    let found = types.get(type_name);
    if found.is_none() {
        diags.root_error(
            format!("Unknown {kind} type"),
            format!("This provider has no {kind} type named {type_name:?}."),
        );
    }
    found
}

type Reply<T> = Result<Response<T>, Status>;

#[tonic::async_trait]
impl pb::provider_server::Provider for ProviderService {
    async fn get_metadata(
        &self,
        _request: Request<pb::get_metadata::Request>,
    ) -> Reply<pb::get_metadata::Response> {
        use pb::get_metadata as m;
        Ok(Response::new(m::Response {
            server_capabilities: Some(self.server_capabilities()),
            diagnostics: Vec::new(),
            data_sources: self
                .schemas()
                .data_sources
                .keys()
                .map(|name| m::DataSourceMetadata {
                    type_name: name.clone(),
                })
                .collect(),
            resources: self
                .schemas()
                .resources
                .keys()
                .map(|name| m::ResourceMetadata {
                    type_name: name.clone(),
                })
                .collect(),
            functions: Vec::new(),
            ephemeral_resources: self
                .schemas()
                .ephemeral_resources
                .keys()
                .map(|name| m::EphemeralMetadata {
                    type_name: name.clone(),
                })
                .collect(),
        }))
    }

    async fn get_provider_schema(
        &self,
        _request: Request<pb::get_provider_schema::Request>,
    ) -> Reply<pb::get_provider_schema::Response> {
        let encode_all = |schemas: &BTreeMap<String, super::schema::Schema>| {
            schemas
                .iter()
                .map(|(name, schema)| (name.clone(), schema.to_proto()))
                .collect()
        };
        Ok(Response::new(pb::get_provider_schema::Response {
            provider: Some(self.schemas().provider.to_proto()),
            resource_schemas: encode_all(&self.schemas().resources),
            data_source_schemas: encode_all(&self.schemas().data_sources),
            functions: Default::default(),
            ephemeral_resource_schemas: encode_all(&self.schemas().ephemeral_resources),
            diagnostics: Vec::new(),
            provider_meta: self.schemas().provider_meta.as_ref().map(|s| s.to_proto()),
            server_capabilities: Some(self.server_capabilities()),
        }))
    }

    async fn get_resource_identity_schemas(
        &self,
        _request: Request<pb::get_resource_identity_schemas::Request>,
    ) -> Reply<pb::get_resource_identity_schemas::Response> {
        Ok(Response::new(pb::get_resource_identity_schemas::Response {
            identity_schemas: self
                .schemas()
                .identities
                .iter()
                .map(|(name, identity)| (name.clone(), identity.to_proto()))
                .collect(),
            diagnostics: Vec::new(),
        }))
    }

    async fn validate_provider_config(
        &self,
        request: Request<pb::validate_provider_config::Request>,
    ) -> Reply<pb::validate_provider_config::Response> {
        let request = request.into_inner();
        let mut diags = Diagnostics::default();
        if let Some(config) = decode(
            request.config,
            &self.types().provider,
            "provider configuration",
            &mut diags,
        ) {
            diags.extend(self.handler.validate_provider_config(config).await);
        }
        Ok(Response::new(pb::validate_provider_config::Response {
            diagnostics: diags.to_proto(),
        }))
    }

    async fn validate_resource_config(
        &self,
        request: Request<pb::validate_resource_config::Request>,
    ) -> Reply<pb::validate_resource_config::Response> {
        let request = request.into_inner();
        let mut diags = Diagnostics::default();
        if let Some(ty) = self.types().resource(&request.type_name, &mut diags) {
            if let Some(config) = decode(request.config, ty, "configuration", &mut diags) {
                diags.extend(
                    self.handler
                        .validate_resource_config(ValidateResourceRequest {
                            type_name: request.type_name,
                            config,
                            client_capabilities: capabilities(request.client_capabilities),
                        })
                        .await,
                );
            }
        }
        Ok(Response::new(pb::validate_resource_config::Response {
            diagnostics: diags.to_proto(),
        }))
    }

    async fn validate_data_resource_config(
        &self,
        request: Request<pb::validate_data_resource_config::Request>,
    ) -> Reply<pb::validate_data_resource_config::Response> {
        let request = request.into_inner();
        let mut diags = Diagnostics::default();
        if let Some(ty) = self.types().data_source(&request.type_name, &mut diags) {
            if let Some(config) = decode(request.config, ty, "configuration", &mut diags) {
                diags.extend(
                    self.handler
                        .validate_data_source_config(&request.type_name, config)
                        .await,
                );
            }
        }
        Ok(Response::new(pb::validate_data_resource_config::Response {
            diagnostics: diags.to_proto(),
        }))
    }

    async fn validate_ephemeral_resource_config(
        &self,
        request: Request<pb::validate_ephemeral_resource_config::Request>,
    ) -> Reply<pb::validate_ephemeral_resource_config::Response> {
        let request = request.into_inner();
        let mut diags = Diagnostics::default();
        if let Some(ty) = self
            .types()
            .ephemeral_resource(&request.type_name, &mut diags)
        {
            if let Some(config) = decode(request.config, ty, "configuration", &mut diags) {
                diags.extend(
                    self.handler
                        .validate_ephemeral_resource_config(&request.type_name, config)
                        .await,
                );
            }
        }
        Ok(Response::new(
            pb::validate_ephemeral_resource_config::Response {
                diagnostics: diags.to_proto(),
            },
        ))
    }

    async fn upgrade_resource_state(
        &self,
        request: Request<pb::upgrade_resource_state::Request>,
    ) -> Reply<pb::upgrade_resource_state::Response> {
        let request = request.into_inner();
        let mut diags = Diagnostics::default();
        let mut upgraded_state = None;
        if let Some(ty) = self.types().resource(&request.type_name, &mut diags) {
            let raw = request.raw_state.unwrap_or_default();
            let (state, more) = self
                .handler
                .upgrade_resource_state(UpgradeStateRequest {
                    type_name: request.type_name,
                    version: request.version,
                    raw_json: raw.json,
                    raw_flatmap: raw.flatmap.into_iter().collect(),
                })
                .await;
            diags.extend(more);
            if let Some(state) = state {
                upgraded_state = encode(&state, ty, "upgraded state", &mut diags);
            }
        }
        Ok(Response::new(pb::upgrade_resource_state::Response {
            upgraded_state,
            diagnostics: diags.to_proto(),
        }))
    }

    async fn upgrade_resource_identity(
        &self,
        request: Request<pb::upgrade_resource_identity::Request>,
    ) -> Reply<pb::upgrade_resource_identity::Response> {
        let request = request.into_inner();
        let mut diags = Diagnostics::default();
        let ty = self.types().identities.get(&request.type_name);
        let (identity, more) = self
            .handler
            .upgrade_resource_identity(UpgradeIdentityRequest {
                type_name: request.type_name,
                version: request.version,
                raw_json: request.raw_identity.unwrap_or_default().json,
            })
            .await;
        diags.extend(more);
        let upgraded_identity = encode_identity(identity, ty, &mut diags);
        Ok(Response::new(pb::upgrade_resource_identity::Response {
            upgraded_identity,
            diagnostics: diags.to_proto(),
        }))
    }

    async fn configure_provider(
        &self,
        request: Request<pb::configure_provider::Request>,
    ) -> Reply<pb::configure_provider::Response> {
        let request = request.into_inner();
        let mut diags = Diagnostics::default();
        if let Some(config) = decode(
            request.config,
            &self.types().provider,
            "provider configuration",
            &mut diags,
        ) {
            diags.extend(
                self.handler
                    .configure_provider(ConfigureRequest {
                        terraform_version: request.terraform_version,
                        config,
                        client_capabilities: capabilities(request.client_capabilities),
                    })
                    .await,
            );
        }
        Ok(Response::new(pb::configure_provider::Response {
            diagnostics: diags.to_proto(),
        }))
    }

    async fn read_resource(
        &self,
        request: Request<pb::read_resource::Request>,
    ) -> Reply<pb::read_resource::Response> {
        let request = request.into_inner();
        let mut diags = Diagnostics::default();
        let mut response = pb::read_resource::Response::default();
        if let Some(ty) = self.types().resource(&request.type_name, &mut diags) {
            let identity_type = self.types().identities.get(&request.type_name);
            let state = decode(request.current_state, ty, "state", &mut diags);
            let meta = self.types().decode_meta(request.provider_meta, &mut diags);
            let identity = identity_data(request.current_identity, identity_type, &mut diags);
            if let Some(current_state) = state.filter(|_| !diags.has_errors()) {
                let answer = self
                    .handler
                    .read_resource(ReadRequest {
                        type_name: request.type_name,
                        current_state,
                        private: request.private,
                        provider_meta: meta,
                        client_capabilities: capabilities(request.client_capabilities),
                        current_identity: identity,
                    })
                    .await;
                diags.extend(answer.diagnostics);
                response.new_state = encode(&answer.new_state, ty, "state", &mut diags);
                response.private = answer.private;
                response.new_identity =
                    encode_identity(answer.new_identity, identity_type, &mut diags);
            }
        }
        response.diagnostics = diags.to_proto();
        Ok(Response::new(response))
    }

    async fn plan_resource_change(
        &self,
        request: Request<pb::plan_resource_change::Request>,
    ) -> Reply<pb::plan_resource_change::Response> {
        let request = request.into_inner();
        let mut diags = Diagnostics::default();
        let mut response = pb::plan_resource_change::Response::default();
        if let Some(ty) = self.types().resource(&request.type_name, &mut diags) {
            let identity_type = self.types().identities.get(&request.type_name);
            let prior = decode(request.prior_state, ty, "prior state", &mut diags);
            let proposed = decode(
                request.proposed_new_state,
                ty,
                "proposed new state",
                &mut diags,
            );
            let config = decode(request.config, ty, "configuration", &mut diags);
            let meta = self.types().decode_meta(request.provider_meta, &mut diags);
            let identity = identity_data(request.prior_identity, identity_type, &mut diags);
            if let (Some(prior_state), Some(proposed_new_state), Some(config), false) =
                (prior, proposed, config, diags.has_errors())
            {
                let answer = self
                    .handler
                    .plan_resource_change(PlanRequest {
                        type_name: request.type_name,
                        prior_state,
                        proposed_new_state,
                        config,
                        prior_private: request.prior_private,
                        provider_meta: meta,
                        client_capabilities: capabilities(request.client_capabilities),
                        prior_identity: identity,
                    })
                    .await;
                diags.extend(answer.diagnostics);
                if !diags.has_errors() {
                    response.planned_state = encode(&answer.planned_state, ty, "plan", &mut diags);
                    response.requires_replace = answer
                        .requires_replace
                        .iter()
                        .map(AttributePath::to_proto)
                        .collect();
                    response.planned_private = answer.planned_private;
                    response.planned_identity =
                        encode_identity(answer.planned_identity, identity_type, &mut diags);
                }
            }
        }
        response.diagnostics = diags.to_proto();
        Ok(Response::new(response))
    }

    async fn apply_resource_change(
        &self,
        request: Request<pb::apply_resource_change::Request>,
    ) -> Reply<pb::apply_resource_change::Response> {
        let request = request.into_inner();
        let mut diags = Diagnostics::default();
        let mut response = pb::apply_resource_change::Response::default();
        if let Some(ty) = self.types().resource(&request.type_name, &mut diags) {
            let identity_type = self.types().identities.get(&request.type_name);
            let prior = decode(request.prior_state, ty, "prior state", &mut diags);
            let planned = decode(request.planned_state, ty, "planned state", &mut diags);
            let config = decode(request.config, ty, "configuration", &mut diags);
            let meta = self.types().decode_meta(request.provider_meta, &mut diags);
            let identity = identity_data(request.planned_identity, identity_type, &mut diags);
            if let (Some(prior_state), Some(planned_state), Some(config), false) =
                (prior, planned, config, diags.has_errors())
            {
                let answer = self
                    .handler
                    .apply_resource_change(ApplyRequest {
                        type_name: request.type_name,
                        prior_state,
                        planned_state,
                        config,
                        planned_private: request.planned_private,
                        provider_meta: meta,
                        planned_identity: identity,
                    })
                    .await;
                diags.extend(answer.diagnostics);
                response.new_state = encode(&answer.new_state, ty, "new state", &mut diags);
                response.private = answer.private;
                response.new_identity =
                    encode_identity(answer.new_identity, identity_type, &mut diags);
            }
        }
        response.diagnostics = diags.to_proto();
        Ok(Response::new(response))
    }

    async fn import_resource_state(
        &self,
        request: Request<pb::import_resource_state::Request>,
    ) -> Reply<pb::import_resource_state::Response> {
        let request = request.into_inner();
        let mut diags = Diagnostics::default();
        let mut response = pb::import_resource_state::Response::default();
        if self
            .types()
            .resource(&request.type_name, &mut diags)
            .is_some()
        {
            let identity_type = self.types().identities.get(&request.type_name);
            let identity = identity_data(request.identity, identity_type, &mut diags);
            if !diags.has_errors() {
                let answer = self
                    .handler
                    .import_resource_state(ImportRequest {
                        type_name: request.type_name,
                        id: request.id,
                        client_capabilities: capabilities(request.client_capabilities),
                        identity,
                    })
                    .await;
                diags.extend(answer.diagnostics);
                for imported in answer.imported {
                    let Some(ty) = self.types().resources.get(&imported.type_name) else {
                        continue;
                    };
                    let identity_type = self.types().identities.get(&imported.type_name);
                    let state = encode(&imported.state, ty, "imported state", &mut diags);
                    let identity = encode_identity(imported.identity, identity_type, &mut diags);
                    response
                        .imported_resources
                        .push(pb::import_resource_state::ImportedResource {
                            type_name: imported.type_name,
                            state,
                            private: imported.private,
                            identity,
                        });
                }
            }
        }
        response.diagnostics = diags.to_proto();
        Ok(Response::new(response))
    }

    async fn move_resource_state(
        &self,
        request: Request<pb::move_resource_state::Request>,
    ) -> Reply<pb::move_resource_state::Response> {
        let request = request.into_inner();
        let mut diags = Diagnostics::default();
        let mut response = pb::move_resource_state::Response::default();
        if let Some(ty) = self.types().resource(&request.target_type_name, &mut diags) {
            let identity_type = self.types().identities.get(&request.target_type_name);
            let answer = self
                .handler
                .move_resource_state(MoveRequest {
                    source_provider_address: request.source_provider_address,
                    source_type_name: request.source_type_name,
                    source_schema_version: request.source_schema_version,
                    source_state_json: request.source_state.unwrap_or_default().json,
                    target_type_name: request.target_type_name,
                    source_private: request.source_private,
                    source_identity_json: request.source_identity.map(|raw| raw.json),
                    source_identity_schema_version: request.source_identity_schema_version,
                })
                .await;
            diags.extend(answer.diagnostics);
            if !diags.has_errors() {
                response.target_state = encode(&answer.target_state, ty, "moved state", &mut diags);
                response.target_private = answer.target_private;
                response.target_identity =
                    encode_identity(answer.target_identity, identity_type, &mut diags);
            }
        }
        response.diagnostics = diags.to_proto();
        Ok(Response::new(response))
    }

    async fn read_data_source(
        &self,
        request: Request<pb::read_data_source::Request>,
    ) -> Reply<pb::read_data_source::Response> {
        let request = request.into_inner();
        let mut diags = Diagnostics::default();
        let mut response = pb::read_data_source::Response::default();
        if let Some(ty) = self.types().data_source(&request.type_name, &mut diags) {
            let config = decode(request.config, ty, "configuration", &mut diags);
            let meta = self.types().decode_meta(request.provider_meta, &mut diags);
            if let (Some(config), false) = (config, diags.has_errors()) {
                let (state, more) = self
                    .handler
                    .read_data_source(ReadDataRequest {
                        type_name: request.type_name,
                        config,
                        provider_meta: meta,
                        client_capabilities: capabilities(request.client_capabilities),
                    })
                    .await;
                diags.extend(more);
                if let Some(state) = state {
                    response.state = encode(&state, ty, "data source state", &mut diags);
                }
            }
        }
        response.diagnostics = diags.to_proto();
        Ok(Response::new(response))
    }

    async fn open_ephemeral_resource(
        &self,
        request: Request<pb::open_ephemeral_resource::Request>,
    ) -> Reply<pb::open_ephemeral_resource::Response> {
        let request = request.into_inner();
        let mut diags = Diagnostics::default();
        let mut response = pb::open_ephemeral_resource::Response::default();
        if let Some(ty) = self
            .types()
            .ephemeral_resource(&request.type_name, &mut diags)
        {
            if let Some(config) = decode(request.config, ty, "configuration", &mut diags) {
                let answer = self
                    .handler
                    .open_ephemeral_resource(OpenEphemeralRequest {
                        type_name: request.type_name,
                        config,
                        client_capabilities: capabilities(request.client_capabilities),
                    })
                    .await;
                diags.extend(answer.diagnostics);
                if !diags.has_errors() {
                    response.result = encode(&answer.result, ty, "ephemeral result", &mut diags);
                    response.private = answer.private;
                    response.renew_at = answer.renew_at.map(timestamp);
                }
            }
        }
        response.diagnostics = diags.to_proto();
        Ok(Response::new(response))
    }

    async fn renew_ephemeral_resource(
        &self,
        request: Request<pb::renew_ephemeral_resource::Request>,
    ) -> Reply<pb::renew_ephemeral_resource::Response> {
        let request = request.into_inner();
        let answer = self
            .handler
            .renew_ephemeral_resource(EphemeralPrivateRequest {
                type_name: request.type_name,
                private: request.private,
            })
            .await;
        Ok(Response::new(pb::renew_ephemeral_resource::Response {
            diagnostics: answer.diagnostics.to_proto(),
            renew_at: answer.renew_at.map(timestamp),
            private: answer.private,
        }))
    }

    async fn close_ephemeral_resource(
        &self,
        request: Request<pb::close_ephemeral_resource::Request>,
    ) -> Reply<pb::close_ephemeral_resource::Response> {
        let request = request.into_inner();
        let diags = self
            .handler
            .close_ephemeral_resource(EphemeralPrivateRequest {
                type_name: request.type_name,
                private: request.private,
            })
            .await;
        Ok(Response::new(pb::close_ephemeral_resource::Response {
            diagnostics: diags.to_proto(),
        }))
    }

    async fn get_functions(
        &self,
        _request: Request<pb::get_functions::Request>,
    ) -> Reply<pb::get_functions::Response> {
        Ok(Response::new(pb::get_functions::Response::default()))
    }

    async fn call_function(
        &self,
        request: Request<pb::call_function::Request>,
    ) -> Reply<pb::call_function::Response> {
        let name = request.into_inner().name;
        Ok(Response::new(pb::call_function::Response {
            result: None,
            error: Some(pb::FunctionError {
                text: format!("This provider has no function named {name:?}."),
                function_argument: None,
            }),
        }))
    }

    async fn stop_provider(
        &self,
        _request: Request<pb::stop_provider::Request>,
    ) -> Reply<pb::stop_provider::Response> {
        self.handler.stop();
        Ok(Response::new(pb::stop_provider::Response {
            error: String::new(),
        }))
    }
}
