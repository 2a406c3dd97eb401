//! The provider as the protocol layer sees it: the provider block plus a registry of
//! resources, data sources and ephemeral resources, dispatched by type name.

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use serde::de::DeserializeOwned;

use crate::plugin::dynamic::Dynamic;
use crate::plugin::schema::Schema;
use crate::plugin::service::{
    ApplyRequest, ApplyResponse, ConfigureRequest, EphemeralPrivateRequest, ImportRequest,
    ImportResponse, MoveRequest, MoveResponse, OpenEphemeralRequest, OpenEphemeralResponse,
    PlanRequest, PlanResponse, ProviderHandler, ProviderSchemas, ReadDataRequest, ReadRequest,
    ReadResponse, RenewEphemeralResponse, ServerCapabilities, UpgradeIdentityRequest,
    UpgradeStateRequest, ValidateResourceRequest,
};
use crate::plugin::value::from_dynamic;
use crate::plugin::Diagnostics;

use super::context::ProviderData;
use super::data_source::DynDataSource;
use super::diag::DiagExt;
use super::ephemeral::DynEphemeral;
use super::resource::DynResource;
use super::stop::request_stop;

/// The provider block: its schema, validation and `configure`.
#[async_trait]
pub trait ProviderBlock: Send + Sync + 'static {
    type Config: DeserializeOwned + Send + Sync;

    fn schema(&self) -> Schema;

    /// Checks what the block itself says (the environment is read at configure time).
    async fn validate(&self, diags: &mut Diagnostics, config: &Self::Config);

    /// Builds what every request needs and installs it in `data`.
    async fn configure(
        &self,
        diags: &mut Diagnostics,
        request: &ConfigureRequest,
        config: Self::Config,
        data: &ProviderData,
    );
}

/// A provider: its block and everything it serves.
pub struct Host<P: ProviderBlock> {
    provider: P,
    data: Arc<ProviderData>,
    resources: BTreeMap<&'static str, Arc<dyn DynResource>>,
    data_sources: BTreeMap<&'static str, Arc<dyn DynDataSource>>,
    ephemerals: BTreeMap<&'static str, Arc<dyn DynEphemeral>>,
}

impl<P: ProviderBlock> Host<P> {
    pub fn new(provider: P, data: Arc<ProviderData>) -> Self {
        Self {
            provider,
            data,
            resources: BTreeMap::new(),
            data_sources: BTreeMap::new(),
            ephemerals: BTreeMap::new(),
        }
    }

    pub fn resource(mut self, resource: Arc<dyn DynResource>) -> Self {
        self.resources.insert(resource.type_name(), resource);
        self
    }

    pub fn data_source(mut self, data_source: Arc<dyn DynDataSource>) -> Self {
        self.data_sources
            .insert(data_source.type_name(), data_source);
        self
    }

    pub fn ephemeral(mut self, ephemeral: Arc<dyn DynEphemeral>) -> Self {
        self.ephemerals.insert(ephemeral.type_name(), ephemeral);
        self
    }

    pub fn data(&self) -> &Arc<ProviderData> {
        &self.data
    }

    fn config(&self, value: Dynamic, diags: &mut Diagnostics) -> Option<P::Config> {
        match from_dynamic(value) {
            Ok(config) => Some(config),
            Err(error) => {
                diags.root_err(
                    "Unreadable provider configuration",
                    format!(
                        "The provider could not read its configuration: {error}. Please report \
                         this as a bug in terraform-provider-dbaas."
                    ),
                );
                None
            }
        }
    }
}

fn unknown(kind: &str, type_name: &str) -> Diagnostics {
    Diagnostics::from_error(
        format!("Unknown {kind} type"),
        format!("This provider has no {kind} type named {type_name:?}."),
    )
}

#[async_trait]
impl<P: ProviderBlock> ProviderHandler for Host<P> {
    fn schemas(&self) -> ProviderSchemas {
        ProviderSchemas {
            provider: self.provider.schema(),
            provider_meta: None,
            resources: self
                .resources
                .iter()
                .map(|(name, r)| (name.to_string(), r.schema()))
                .collect(),
            data_sources: self
                .data_sources
                .iter()
                .map(|(name, d)| (name.to_string(), d.schema()))
                .collect(),
            ephemeral_resources: self
                .ephemerals
                .iter()
                .map(|(name, e)| (name.to_string(), e.schema()))
                .collect(),
            identities: self
                .resources
                .iter()
                .filter_map(|(name, r)| Some((name.to_string(), r.identity_schema()?)))
                .collect(),
            capabilities: ServerCapabilities {
                plan_destroy: true,
                get_provider_schema_optional: true,
                move_resource_state: true,
            },
        }
    }

    async fn validate_provider_config(&self, config: Dynamic) -> Diagnostics {
        let mut diags = Diagnostics::default();
        if let Some(config) = self.config(config, &mut diags) {
            self.provider.validate(&mut diags, &config).await;
        }
        diags
    }

    async fn configure_provider(&self, request: ConfigureRequest) -> Diagnostics {
        let mut diags = Diagnostics::default();
        if let Some(config) = self.config(request.config.clone(), &mut diags) {
            self.provider
                .configure(&mut diags, &request, config, &self.data)
                .await;
        }
        diags
    }

    async fn validate_resource_config(&self, request: ValidateResourceRequest) -> Diagnostics {
        match self.resources.get(request.type_name.as_str()) {
            Some(resource) => resource.validate(self.data.clone(), request).await,
            None => unknown("resource", &request.type_name),
        }
    }

    async fn validate_data_source_config(&self, type_name: &str, config: Dynamic) -> Diagnostics {
        match self.data_sources.get(type_name) {
            Some(data_source) => data_source.validate(config).await,
            None => unknown("data source", type_name),
        }
    }

    async fn validate_ephemeral_resource_config(
        &self,
        type_name: &str,
        config: Dynamic,
    ) -> Diagnostics {
        match self.ephemerals.get(type_name) {
            Some(ephemeral) => ephemeral.validate(config).await,
            None => unknown("ephemeral resource", type_name),
        }
    }

    async fn upgrade_resource_state(
        &self,
        request: UpgradeStateRequest,
    ) -> (Option<Dynamic>, Diagnostics) {
        match self.resources.get(request.type_name.as_str()) {
            Some(resource) => resource.upgrade(request).await,
            None => (None, unknown("resource", &request.type_name)),
        }
    }

    async fn upgrade_resource_identity(
        &self,
        request: UpgradeIdentityRequest,
    ) -> (Option<Dynamic>, Diagnostics) {
        match self.resources.get(request.type_name.as_str()) {
            Some(resource) => resource.upgrade_identity(request).await,
            None => (None, unknown("resource", &request.type_name)),
        }
    }

    async fn read_resource(&self, request: ReadRequest) -> ReadResponse {
        match self.resources.get(request.type_name.as_str()) {
            Some(resource) => resource.read(self.data.clone(), request).await,
            None => ReadResponse {
                diagnostics: unknown("resource", &request.type_name),
                ..Default::default()
            },
        }
    }

    async fn plan_resource_change(&self, request: PlanRequest) -> PlanResponse {
        match self.resources.get(request.type_name.as_str()) {
            Some(resource) => resource.plan(self.data.clone(), request).await,
            None => PlanResponse {
                diagnostics: unknown("resource", &request.type_name),
                ..Default::default()
            },
        }
    }

    async fn apply_resource_change(&self, request: ApplyRequest) -> ApplyResponse {
        match self.resources.get(request.type_name.as_str()) {
            Some(resource) => resource.apply(self.data.clone(), request).await,
            None => ApplyResponse {
                diagnostics: unknown("resource", &request.type_name),
                ..Default::default()
            },
        }
    }

    async fn import_resource_state(&self, request: ImportRequest) -> ImportResponse {
        match self.resources.get(request.type_name.as_str()) {
            Some(resource) => resource.import(self.data.clone(), request).await,
            None => ImportResponse {
                diagnostics: unknown("resource", &request.type_name),
                ..Default::default()
            },
        }
    }

    async fn move_resource_state(&self, request: MoveRequest) -> MoveResponse {
        match self.resources.get(request.target_type_name.as_str()) {
            Some(resource) => resource.move_state(self.data.clone(), request).await,
            None => MoveResponse {
                diagnostics: unknown("resource", &request.target_type_name),
                ..Default::default()
            },
        }
    }

    async fn read_data_source(&self, request: ReadDataRequest) -> (Option<Dynamic>, Diagnostics) {
        match self.data_sources.get(request.type_name.as_str()) {
            Some(data_source) => data_source.read(self.data.clone(), request).await,
            None => (None, unknown("data source", &request.type_name)),
        }
    }

    async fn open_ephemeral_resource(
        &self,
        request: OpenEphemeralRequest,
    ) -> OpenEphemeralResponse {
        match self.ephemerals.get(request.type_name.as_str()) {
            Some(ephemeral) => ephemeral.open(self.data.clone(), request).await,
            None => OpenEphemeralResponse {
                diagnostics: unknown("ephemeral resource", &request.type_name),
                ..Default::default()
            },
        }
    }

    async fn renew_ephemeral_resource(
        &self,
        request: EphemeralPrivateRequest,
    ) -> RenewEphemeralResponse {
        match self.ephemerals.get(request.type_name.as_str()) {
            Some(ephemeral) => ephemeral.renew(self.data.clone(), request).await,
            None => RenewEphemeralResponse {
                diagnostics: unknown("ephemeral resource", &request.type_name),
                ..Default::default()
            },
        }
    }

    async fn close_ephemeral_resource(&self, request: EphemeralPrivateRequest) -> Diagnostics {
        match self.ephemerals.get(request.type_name.as_str()) {
            Some(ephemeral) => ephemeral.close(self.data.clone(), request).await,
            None => unknown("ephemeral resource", &request.type_name),
        }
    }

    fn stop(&self) {
        request_stop();
    }
}
