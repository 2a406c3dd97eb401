//! What a provider implements to be served: one method per protocol RPC, with values already
//! decoded into [`Dynamic`] trees by the schema's type.
//!
//! Every method has a default that answers with a clear "not supported" error, so a provider
//! implements only the features it offers and every RPC of protocol 6.9 still gets an answer.

use std::collections::BTreeMap;
use std::time::SystemTime;

use async_trait::async_trait;

use super::diagnostics::Diagnostics;
use super::dynamic::Dynamic;
use super::schema::{IdentitySchema, Schema};

/// What Terraform says it can handle (sent with some requests; all false on old versions).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ClientCapabilities {
    pub deferral_allowed: bool,
    pub write_only_attributes_allowed: bool,
}

/// What the provider offers beyond the basics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ServerCapabilities {
    /// Terraform should call PlanResourceChange for destroys too.
    pub plan_destroy: bool,
    /// Terraform may reuse a cached schema instead of calling GetProviderSchema.
    pub get_provider_schema_optional: bool,
    /// The provider answers MoveResourceState.
    pub move_resource_state: bool,
}

/// Everything the provider serves, by type name.
#[derive(Debug, Clone, Default)]
pub struct ProviderSchemas {
    pub provider: Schema,
    pub provider_meta: Option<Schema>,
    pub resources: BTreeMap<String, Schema>,
    pub data_sources: BTreeMap<String, Schema>,
    pub ephemeral_resources: BTreeMap<String, Schema>,
    /// Identity schemas of managed resources (protocol 6.9), for those that have one.
    pub identities: BTreeMap<String, IdentitySchema>,
    pub capabilities: ServerCapabilities,
}

#[derive(Debug, Clone)]
pub struct ConfigureRequest {
    pub terraform_version: String,
    pub config: Dynamic,
    pub client_capabilities: ClientCapabilities,
}

#[derive(Debug, Clone)]
pub struct ValidateResourceRequest {
    pub type_name: String,
    pub config: Dynamic,
    pub client_capabilities: ClientCapabilities,
}

/// A stored state to bring up to the current schema version; `raw_json` is the state as
/// Terraform stored it (the provider interprets it with the schema of `version`).
#[derive(Debug, Clone)]
pub struct UpgradeStateRequest {
    pub type_name: String,
    pub version: i64,
    pub raw_json: Vec<u8>,
    /// The legacy flatmap form, only for states written by Terraform 0.11 providers.
    pub raw_flatmap: BTreeMap<String, String>,
}

#[derive(Debug, Clone)]
pub struct UpgradeIdentityRequest {
    pub type_name: String,
    pub version: i64,
    pub raw_json: Vec<u8>,
}

#[derive(Debug, Clone)]
pub struct ReadRequest {
    pub type_name: String,
    pub current_state: Dynamic,
    pub private: Vec<u8>,
    pub provider_meta: Option<Dynamic>,
    pub client_capabilities: ClientCapabilities,
    pub current_identity: Option<Dynamic>,
}

#[derive(Debug, Clone, Default)]
pub struct ReadResponse {
    /// Null when the object is gone.
    pub new_state: Dynamic,
    pub private: Vec<u8>,
    pub new_identity: Option<Dynamic>,
    pub diagnostics: Diagnostics,
}

#[derive(Debug, Clone)]
pub struct PlanRequest {
    pub type_name: String,
    /// Null for a create.
    pub prior_state: Dynamic,
    /// Null for a destroy.
    pub proposed_new_state: Dynamic,
    pub config: Dynamic,
    pub prior_private: Vec<u8>,
    pub provider_meta: Option<Dynamic>,
    pub client_capabilities: ClientCapabilities,
    pub prior_identity: Option<Dynamic>,
}

#[derive(Debug, Clone, Default)]
pub struct PlanResponse {
    pub planned_state: Dynamic,
    pub requires_replace: Vec<super::diagnostics::AttributePath>,
    pub planned_private: Vec<u8>,
    pub planned_identity: Option<Dynamic>,
    pub diagnostics: Diagnostics,
}

#[derive(Debug, Clone)]
pub struct ApplyRequest {
    pub type_name: String,
    /// Null for a create.
    pub prior_state: Dynamic,
    /// Null for a destroy.
    pub planned_state: Dynamic,
    pub config: Dynamic,
    pub planned_private: Vec<u8>,
    pub provider_meta: Option<Dynamic>,
    pub planned_identity: Option<Dynamic>,
}

#[derive(Debug, Clone, Default)]
pub struct ApplyResponse {
    pub new_state: Dynamic,
    pub private: Vec<u8>,
    pub new_identity: Option<Dynamic>,
    pub diagnostics: Diagnostics,
}

#[derive(Debug, Clone)]
pub struct ImportRequest {
    pub type_name: String,
    /// Empty when the import is by identity.
    pub id: String,
    pub client_capabilities: ClientCapabilities,
    pub identity: Option<Dynamic>,
}

#[derive(Debug, Clone)]
pub struct ImportedResource {
    pub type_name: String,
    pub state: Dynamic,
    pub private: Vec<u8>,
    pub identity: Option<Dynamic>,
}

#[derive(Debug, Clone, Default)]
pub struct ImportResponse {
    pub imported: Vec<ImportedResource>,
    pub diagnostics: Diagnostics,
}

#[derive(Debug, Clone, Default)]
pub struct MoveRequest {
    pub source_provider_address: String,
    pub source_type_name: String,
    pub source_schema_version: i64,
    pub source_state_json: Vec<u8>,
    pub target_type_name: String,
    pub source_private: Vec<u8>,
    /// The source resource's identity as JSON, in the source provider's identity schema.
    pub source_identity_json: Option<Vec<u8>>,
    pub source_identity_schema_version: i64,
}

#[derive(Debug, Clone, Default)]
pub struct MoveResponse {
    pub target_state: Dynamic,
    pub target_private: Vec<u8>,
    pub target_identity: Option<Dynamic>,
    pub diagnostics: Diagnostics,
}

#[derive(Debug, Clone)]
pub struct ReadDataRequest {
    pub type_name: String,
    pub config: Dynamic,
    pub provider_meta: Option<Dynamic>,
    pub client_capabilities: ClientCapabilities,
}

#[derive(Debug, Clone)]
pub struct OpenEphemeralRequest {
    pub type_name: String,
    pub config: Dynamic,
    pub client_capabilities: ClientCapabilities,
}

#[derive(Debug, Clone, Default)]
pub struct OpenEphemeralResponse {
    pub result: Dynamic,
    pub private: Option<Vec<u8>>,
    pub renew_at: Option<SystemTime>,
    pub diagnostics: Diagnostics,
}

#[derive(Debug, Clone)]
pub struct EphemeralPrivateRequest {
    pub type_name: String,
    pub private: Option<Vec<u8>>,
}

#[derive(Debug, Clone, Default)]
pub struct RenewEphemeralResponse {
    pub private: Option<Vec<u8>>,
    pub renew_at: Option<SystemTime>,
    pub diagnostics: Diagnostics,
}

/// The answer to an RPC for a feature this provider does not offer.
pub fn not_supported(what: &str) -> Diagnostics {
    Diagnostics::from_error(
        format!("{what} is not supported by this provider"),
        format!(
            "terraform-provider-dbaas received a {what} request, a feature it does not offer \
             (yet). If your configuration does not ask for it, please report this as a bug."
        ),
    )
}

fn unknown_type(kind: &str, type_name: &str) -> Diagnostics {
    Diagnostics::from_error(
        format!("Unknown {kind} type"),
        format!("This provider has no {kind} type named {type_name:?}."),
    )
}

/// A provider, as the protocol layer serves it.
#[async_trait]
pub trait ProviderHandler: Send + Sync + 'static {
    /// Every schema the provider serves; called once when serving starts.
    fn schemas(&self) -> ProviderSchemas;

    async fn validate_provider_config(&self, _config: Dynamic) -> Diagnostics {
        Diagnostics::default()
    }

    async fn configure_provider(&self, _request: ConfigureRequest) -> Diagnostics {
        Diagnostics::default()
    }

    async fn validate_resource_config(&self, request: ValidateResourceRequest) -> Diagnostics {
        unknown_type("resource", &request.type_name)
    }

    async fn validate_data_source_config(&self, type_name: &str, _config: Dynamic) -> Diagnostics {
        unknown_type("data source", type_name)
    }

    async fn validate_ephemeral_resource_config(
        &self,
        type_name: &str,
        _config: Dynamic,
    ) -> Diagnostics {
        unknown_type("ephemeral resource", type_name)
    }

    async fn upgrade_resource_state(
        &self,
        request: UpgradeStateRequest,
    ) -> (Option<Dynamic>, Diagnostics) {
        (None, unknown_type("resource", &request.type_name))
    }

    async fn upgrade_resource_identity(
        &self,
        _request: UpgradeIdentityRequest,
    ) -> (Option<Dynamic>, Diagnostics) {
        (None, not_supported("UpgradeResourceIdentity"))
    }

    async fn read_resource(&self, request: ReadRequest) -> ReadResponse {
        ReadResponse {
            diagnostics: unknown_type("resource", &request.type_name),
            ..Default::default()
        }
    }

    async fn plan_resource_change(&self, request: PlanRequest) -> PlanResponse {
        PlanResponse {
            diagnostics: unknown_type("resource", &request.type_name),
            ..Default::default()
        }
    }

    async fn apply_resource_change(&self, request: ApplyRequest) -> ApplyResponse {
        ApplyResponse {
            diagnostics: unknown_type("resource", &request.type_name),
            ..Default::default()
        }
    }

    async fn import_resource_state(&self, request: ImportRequest) -> ImportResponse {
        ImportResponse {
            diagnostics: unknown_type("resource", &request.type_name),
            ..Default::default()
        }
    }

    async fn move_resource_state(&self, _request: MoveRequest) -> MoveResponse {
        MoveResponse {
            diagnostics: not_supported("MoveResourceState"),
            ..Default::default()
        }
    }

    async fn read_data_source(&self, request: ReadDataRequest) -> (Option<Dynamic>, Diagnostics) {
        (None, unknown_type("data source", &request.type_name))
    }

    async fn open_ephemeral_resource(
        &self,
        request: OpenEphemeralRequest,
    ) -> OpenEphemeralResponse {
        OpenEphemeralResponse {
            diagnostics: unknown_type("ephemeral resource", &request.type_name),
            ..Default::default()
        }
    }

    async fn renew_ephemeral_resource(
        &self,
        request: EphemeralPrivateRequest,
    ) -> RenewEphemeralResponse {
        RenewEphemeralResponse {
            diagnostics: unknown_type("ephemeral resource", &request.type_name),
            ..Default::default()
        }
    }

    async fn close_ephemeral_resource(&self, request: EphemeralPrivateRequest) -> Diagnostics {
        unknown_type("ephemeral resource", &request.type_name)
    }

    /// Terraform asked every in-flight operation to stop (the user interrupted the run).
    fn stop(&self) {}
}
