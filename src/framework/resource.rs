//! The managed-resource adapter: a resource states its model, schema, validation, plan rules
//! and API calls; this module owns everything around them — decoding and encoding values,
//! the "unexpected request" guards, private state, the read and import tails, deadlines from
//! the `timeouts` block, cancellation, and write-only attributes (never in plan or state).

use std::sync::{Arc, OnceLock};

use async_trait::async_trait;
use serde::de::DeserializeOwned;
use serde::Serialize;
use tokio::time::Instant;

use crate::api::deadline;
use crate::plugin::dynamic::Dynamic;
use crate::plugin::schema::{AttributeType, IdentityAttribute, IdentitySchema, Schema};
use crate::plugin::service::{
    ApplyRequest, ApplyResponse, ImportRequest, ImportResponse, ImportedResource, MoveRequest,
    MoveResponse, PlanRequest, PlanResponse, ReadRequest, ReadResponse, UpgradeIdentityRequest,
    UpgradeStateRequest, ValidateResourceRequest,
};
use crate::plugin::value::{from_dynamic, to_dynamic, Value};
use crate::plugin::{json, AttributePath, Diagnostics};

use super::context::{Platform, ProviderData, RequestContext};
use super::diag::DiagExt;
use super::timeouts::{timeout_for, Operation, TimeoutDefaults, Timeouts};
use super::{run, secrets, write_only};

/// A managed resource type.
#[async_trait]
pub trait ManagedResource: Send + Sync + 'static {
    /// The state, field for field as in the schema.
    type Model: Serialize + DeserializeOwned + Clone + Send + Sync + 'static;

    /// The full type name, e.g. `dbaas_database_cluster`.
    const TYPE_NAME: &'static str;
    /// Default time limits of the `timeouts` block.
    const TIMEOUTS: TimeoutDefaults;

    /// The platform whose API the resource manages: a new object is not planned while that
    /// platform's provider settings are missing.
    const PLATFORM: Platform = Platform::DigitalOcean;

    fn schema(&self) -> Schema;

    /// What identifies an object apart from the rest of its state (protocol 6.9 resource
    /// identity): top-level string attributes of the schema, in the order the import ID joins
    /// them with commas, so that importing by identity is importing by that ID. The identity
    /// schema, the identity returned by plan, apply, read, import and move, and import by
    /// identity all follow from this list; empty means no identity.
    const IDENTITY: &'static [&'static str] = &[];

    /// Top-level attributes that hold a password or a password-bearing URI: null in every
    /// plan and state when the provider's `secrets_in_state` is false, and described so.
    const SECRETS: &'static [&'static str] = &[];

    /// The model's `timeouts` block, so that the framework can set each request's deadline.
    fn timeouts(model: &Self::Model) -> &Value<Timeouts>;

    /// Checks the configuration; unknown values must be skipped.
    async fn validate(&self, _diags: &mut Diagnostics, _config: &Self::Model) {}

    /// The plan for a new object: `proposed` is the configuration with computed values
    /// unknown. The default plans exactly that.
    async fn plan_create(
        &self,
        _ctx: &RequestContext,
        _diags: &mut Diagnostics,
        proposed: Self::Model,
        _config: &Self::Model,
    ) -> Option<Self::Model> {
        Some(proposed)
    }

    /// The plan for an existing object, and the attributes whose change forces replacement.
    async fn plan_update(
        &self,
        ctx: &RequestContext,
        diags: &mut Diagnostics,
        prior: &Self::Model,
        proposed: Self::Model,
        config: &Self::Model,
    ) -> Option<(Self::Model, Vec<AttributePath>)>;

    /// Checks before a destroy is planned (e.g. deletion protection).
    async fn plan_destroy(&self, _diags: &mut Diagnostics, _prior: &Self::Model) {}

    /// Creates the object. Returning the object together with an error keeps it in state
    /// (tainted), which is how a create whose wait failed avoids orphaning it.
    async fn create(
        &self,
        ctx: &RequestContext,
        diags: &mut Diagnostics,
        planned: Self::Model,
        config: &Self::Model,
    ) -> Option<Self::Model>;

    /// Reads the object: `Some(None)` when it is gone, `None` when reading failed.
    async fn read(
        &self,
        ctx: &RequestContext,
        diags: &mut Diagnostics,
        state: Self::Model,
    ) -> Option<Option<Self::Model>>;

    /// Updates the object in place. `None` leaves the prior state as it was.
    async fn update(
        &self,
        ctx: &RequestContext,
        diags: &mut Diagnostics,
        prior: Self::Model,
        planned: Self::Model,
        config: &Self::Model,
    ) -> Option<Self::Model>;

    /// Deletes the object and waits until it is gone. `None` keeps it in state.
    async fn delete(
        &self,
        ctx: &RequestContext,
        diags: &mut Diagnostics,
        prior: Self::Model,
    ) -> Option<()>;

    /// The state of an existing object named by an import ID.
    async fn import(
        &self,
        ctx: &RequestContext,
        diags: &mut Diagnostics,
        id: &str,
    ) -> Option<Self::Model>;

    /// A stored state of an older schema version (`raw` is its JSON). The default accepts
    /// only the current version.
    fn upgrade_state(&self, diags: &mut Diagnostics, version: i64, _raw: &[u8]) -> Option<Dynamic> {
        diags.root_err(
            "Unsupported state version",
            format!(
                "The state of this {} was written with schema version {version}, which this \
                 version of the provider cannot read. Use the provider version that wrote it, \
                 or remove the resource from state and import it again.",
                Self::TYPE_NAME
            ),
        );
        None
    }

    /// A state moved from another provider's resource type (`moved` blocks).
    async fn move_state(
        &self,
        _ctx: &RequestContext,
        diags: &mut Diagnostics,
        request: &MoveRequest,
    ) -> Option<Self::Model> {
        diags.root_err(
            "Cannot move this resource here",
            format!(
                "{} does not accept state moved from {} ({}).",
                Self::TYPE_NAME,
                request.source_type_name,
                request.source_provider_address
            ),
        );
        None
    }
}

/// A resource behind the protocol, with values as dynamic trees.
#[async_trait]
pub trait DynResource: Send + Sync {
    fn type_name(&self) -> &'static str;
    fn schema(&self) -> Schema;
    fn identity_schema(&self) -> Option<IdentitySchema>;
    async fn validate(
        &self,
        data: Arc<ProviderData>,
        request: ValidateResourceRequest,
    ) -> Diagnostics;
    async fn upgrade(&self, request: UpgradeStateRequest) -> (Option<Dynamic>, Diagnostics);
    async fn upgrade_identity(
        &self,
        request: UpgradeIdentityRequest,
    ) -> (Option<Dynamic>, Diagnostics);
    async fn read(&self, data: Arc<ProviderData>, request: ReadRequest) -> ReadResponse;
    async fn plan(&self, data: Arc<ProviderData>, request: PlanRequest) -> PlanResponse;
    async fn apply(&self, data: Arc<ProviderData>, request: ApplyRequest) -> ApplyResponse;
    async fn import(&self, data: Arc<ProviderData>, request: ImportRequest) -> ImportResponse;
    async fn move_state(&self, data: Arc<ProviderData>, request: MoveRequest) -> MoveResponse;
}

/// The key of the private data every plan of an existing object returns: the object's import
/// ID. When Terraform replaces the object (a change that forces it, a taint, `-replace`), it
/// plans the create half with that private data as the prior one, so the create's plan knows
/// which object it replaces. It is never stored: the create's plan has no private data, and
/// an update's apply drops it.
const REPLACING_KEY: &str = "dbaas_replaces";

fn replacing_marker(import_id: &str) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({ REPLACING_KEY: import_id })).unwrap_or_default()
}

/// The import ID in [`replacing_marker`] private data.
fn replaced_by(private: &[u8]) -> Option<String> {
    let value: serde_json::Value = serde_json::from_slice(private).ok()?;
    value.get(REPLACING_KEY)?.as_str().map(str::to_string)
}

/// Wraps a [`ManagedResource`] for the protocol.
pub struct Adapter<R: ManagedResource> {
    resource: R,
    /// The schema and its write-only paths, built on first use: nothing of it is needed
    /// before the handshake, and start-up is on the path of every Terraform command.
    built: OnceLock<Built>,
}

struct Built {
    schema: Schema,
    write_only: Vec<Vec<String>>,
    identity: Option<IdentitySchema>,
}

impl<R: ManagedResource> Adapter<R> {
    pub fn new(resource: R) -> Self {
        Self {
            resource,
            built: OnceLock::new(),
        }
    }

    fn built(&self) -> &Built {
        self.built.get_or_init(|| {
            let mut schema = self.resource.schema();
            secrets::mark(&mut schema, R::SECRETS);
            let write_only = schema.block.write_only_paths();
            let identity = identity_schema(&schema, R::IDENTITY);
            Built {
                schema,
                write_only,
                identity,
            }
        })
    }

    pub fn boxed(resource: R) -> Arc<dyn DynResource> {
        Arc::new(Self::new(resource))
    }

    fn model(&self, value: Dynamic, what: &str, diags: &mut Diagnostics) -> Option<R::Model> {
        match from_dynamic::<R::Model>(value) {
            Ok(model) => Some(model),
            Err(error) => {
                diags.root_err(
                    format!("Unreadable {what}"),
                    format!(
                        "The provider could not read the {what} of this {}: {error}. Please \
                         report this as a bug in terraform-provider-dbaas.",
                        R::TYPE_NAME
                    ),
                );
                None
            }
        }
    }

    /// The value for Terraform, with every write-only attribute null.
    fn value(&self, model: &R::Model, what: &str, diags: &mut Diagnostics) -> Dynamic {
        match to_dynamic(model) {
            Ok(mut value) => {
                for path in &self.built().write_only {
                    write_only::set_null(&mut value, path);
                }
                value
            }
            Err(error) => {
                diags.root_err(
                    format!("Invalid {what}"),
                    format!(
                        "The provider could not encode the {what} of this {}: {error}. Please \
                         report this as a bug in terraform-provider-dbaas.",
                        R::TYPE_NAME
                    ),
                );
                Dynamic::Null
            }
        }
    }

    /// [`Self::value`] for Terraform to store: also without secrets unless they may be kept.
    fn stored(
        &self,
        keep_secrets: bool,
        model: &R::Model,
        what: &str,
        diags: &mut Diagnostics,
    ) -> Dynamic {
        let mut value = self.value(model, what, diags);
        if !keep_secrets {
            secrets::scrub(&mut value, R::SECRETS);
        }
        value
    }

    fn context(&self, data: Arc<ProviderData>, model: &R::Model, op: Operation) -> RequestContext {
        let limit = timeout_for(R::timeouts(model), op, R::TIMEOUTS);
        RequestContext::new(data).with_deadline(Instant::now() + limit)
    }

    /// The identity of `state`: its identity attributes, unknown where the state has them
    /// unknown (a plan to create); none for no object or a resource without identity.
    fn identity_of(&self, state: &Dynamic) -> Option<Dynamic> {
        if state.is_null() || R::IDENTITY.is_empty() {
            return None;
        }
        Some(Dynamic::Object(
            R::IDENTITY
                .iter()
                .map(|name| {
                    let value = state.attribute(name).cloned().unwrap_or(Dynamic::Null);
                    (name.to_string(), value)
                })
                .collect(),
        ))
    }

    /// The import ID an identity stands for (its attributes joined by commas), or why there is
    /// none.
    fn import_id_of(&self, identity: &Dynamic) -> Result<String, String> {
        if R::IDENTITY.is_empty() {
            return Err(format!("{} has no resource identity.", R::TYPE_NAME));
        }
        let mut parts = Vec::with_capacity(R::IDENTITY.len());
        for name in R::IDENTITY {
            match identity.attribute(name) {
                Some(Dynamic::String(value)) if !value.trim().is_empty() => {
                    parts.push(value.trim().to_string())
                }
                Some(Dynamic::Unknown) => {
                    return Err(format!(
                        "The identity attribute {name:?} is not known yet; importing needs every \
                         identity attribute ({}) known at plan time.",
                        R::IDENTITY.join(", ")
                    ))
                }
                _ => {
                    return Err(format!(
                        "The identity attribute {name:?} is required and must be a non-empty \
                         string; {} is identified by {}.",
                        R::TYPE_NAME,
                        R::IDENTITY.join(", ")
                    ))
                }
            }
        }
        Ok(parts.join(","))
    }
}

/// The identity schema of `names` in `schema`: every one a required string, described as the
/// attribute it mirrors.
fn identity_schema(schema: &Schema, names: &[&str]) -> Option<IdentitySchema> {
    if names.is_empty() {
        return None;
    }
    let attributes = names
        .iter()
        .map(|name| {
            let description = schema
                .block
                .attributes
                .get(*name)
                .map(|attribute| attribute.description.content.clone())
                .unwrap_or_default();
            IdentityAttribute {
                name: name.to_string(),
                attr_type: AttributeType::String,
                required_for_import: true,
                optional_for_import: false,
                description,
            }
        })
        .collect();
    Some(IdentitySchema {
        version: 0,
        attributes,
    })
}

fn unexpected(diags: &mut Diagnostics, request: &str, detail: &str) {
    diags.root_err(
        format!("Unexpected {request} request"),
        format!("{detail} Please report this as a bug in terraform-provider-dbaas."),
    );
}

#[async_trait]
impl<R: ManagedResource> DynResource for Adapter<R> {
    fn type_name(&self) -> &'static str {
        R::TYPE_NAME
    }

    fn schema(&self) -> Schema {
        self.built().schema.clone()
    }

    fn identity_schema(&self) -> Option<IdentitySchema> {
        self.built().identity.clone()
    }

    async fn validate(
        &self,
        _data: Arc<ProviderData>,
        request: ValidateResourceRequest,
    ) -> Diagnostics {
        let mut diags = Diagnostics::default();
        if !request.client_capabilities.write_only_attributes_allowed {
            write_only::refuse_unsupported(&mut diags, &request.config, &self.built().write_only);
        }
        if let Some(config) = self.model(request.config, "configuration", &mut diags) {
            self.resource.validate(&mut diags, &config).await;
        }
        diags
    }

    /// A stored identity, as Terraform ≥ 1.12 hands it back before using it: the current
    /// version is read as it is; there has been no other.
    async fn upgrade_identity(
        &self,
        request: UpgradeIdentityRequest,
    ) -> (Option<Dynamic>, Diagnostics) {
        let mut diags = Diagnostics::default();
        let Some(identity) = &self.built().identity else {
            diags.root_err(
                "No resource identity",
                format!(
                    "{} has no resource identity, so there is no stored identity to upgrade.",
                    R::TYPE_NAME
                ),
            );
            return (None, diags);
        };
        if request.version != identity.version {
            diags.root_err(
                "Unsupported identity version",
                format!(
                    "The identity of this {} was written with identity schema version {}, which \
                     this version of the provider cannot read (it writes version {}). Use the \
                     provider version that wrote it, or remove the resource from state and \
                     import it again.",
                    R::TYPE_NAME,
                    request.version,
                    identity.version
                ),
            );
            return (None, diags);
        }
        match json::decode_lenient(&request.raw_json, &identity.value_type()) {
            Ok(value) => (Some(value), diags),
            Err(error) => {
                diags.root_err(
                    "Unreadable identity",
                    format!(
                        "The stored identity of this {} could not be read: {error}.",
                        R::TYPE_NAME
                    ),
                );
                (None, diags)
            }
        }
    }

    async fn upgrade(&self, request: UpgradeStateRequest) -> (Option<Dynamic>, Diagnostics) {
        let mut diags = Diagnostics::default();
        if request.raw_json.is_empty() {
            diags.root_err(
                "Unsupported state format",
                format!(
                    "The state of this {} is in the flatmap format of Terraform 0.11, which this \
                     provider never wrote. Remove it from state and import it again.",
                    R::TYPE_NAME
                ),
            );
            return (None, diags);
        }
        let schema = &self.built().schema;
        let upgraded = if request.version == schema.version {
            match json::decode_lenient(&request.raw_json, &schema.value_type()) {
                Ok(value) => Some(value),
                Err(error) => {
                    diags.root_err(
                        "Unreadable state",
                        format!(
                            "The stored state of this {} could not be read: {error}.",
                            R::TYPE_NAME
                        ),
                    );
                    None
                }
            }
        } else {
            self.resource
                .upgrade_state(&mut diags, request.version, &request.raw_json)
        };
        // Through the model and back, so the upgraded value has exactly the current shape.
        let upgraded = upgraded
            .and_then(|value| self.model(value, "stored state", &mut diags))
            .map(|model| self.value(&model, "upgraded state", &mut diags));
        (upgraded, diags)
    }

    async fn read(&self, data: Arc<ProviderData>, request: ReadRequest) -> ReadResponse {
        let mut diags = Diagnostics::default();
        if request.current_state.is_null() {
            return ReadResponse {
                private: request.private,
                ..Default::default()
            };
        }
        let current = request.current_state.clone();
        let Some(state) = self.model(request.current_state, "state", &mut diags) else {
            return ReadResponse {
                new_state: current,
                private: request.private,
                diagnostics: diags,
                ..Default::default()
            };
        };
        let keep = data.secrets_in_state();
        let ctx = RequestContext::new(data.clone()).with_capabilities(request.client_capabilities);
        let (new_state, model) = match self.resource.read(&ctx, &mut diags, state).await {
            Some(Some(model)) => (self.stored(keep, &model, "state", &mut diags), Some(model)),
            Some(None) => (Dynamic::Null, None),
            None => (current, None),
        };
        let new_identity = match &model {
            Some(_) => self.identity_of(&new_state),
            None if !new_state.is_null() => request.current_identity,
            None => None,
        };
        if let Some(id) = new_identity
            .as_ref()
            .and_then(|identity| self.import_id_of(identity).ok())
        {
            data.note_in_state(R::TYPE_NAME, id);
        }
        ReadResponse {
            new_state,
            private: request.private,
            new_identity,
            diagnostics: diags,
        }
    }

    async fn plan(&self, data: Arc<ProviderData>, request: PlanRequest) -> PlanResponse {
        let mut diags = Diagnostics::default();
        let keep = data.secrets_in_state();
        let ctx = RequestContext::new(data).with_capabilities(request.client_capabilities);
        let mut response = PlanResponse {
            planned_private: request.prior_private.clone(),
            ..Default::default()
        };
        let proposed_value = request.proposed_new_state.clone();
        let prior_import_id = self
            .identity_of(&request.prior_state)
            .and_then(|identity| self.import_id_of(&identity).ok());
        match (
            request.prior_state.is_null(),
            request.proposed_new_state.is_null(),
        ) {
            (true, true) => unexpected(
                &mut diags,
                "plan",
                "Terraform asked to plan a change from nothing to nothing.",
            ),
            (false, true) => {
                if let Some(prior) = self.model(request.prior_state, "prior state", &mut diags) {
                    self.resource.plan_destroy(&mut diags, &prior).await;
                }
                response.planned_state = Dynamic::Null;
            }
            (true, false) => {
                // Terraform plans a replacement's create half with the private data the
                // update half returned, which says so (see below).
                let ctx = ctx
                    .clone()
                    .with_replacing(replaced_by(&request.prior_private));
                if let Some(missing) = ctx.data().missing_setting(R::PLATFORM) {
                    diags.root_err(missing.summary, missing.detail);
                }
                let proposed = self.model(request.proposed_new_state, "proposed state", &mut diags);
                let config = self.model(request.config, "configuration", &mut diags);
                if let (Some(proposed), Some(config)) = (proposed, config) {
                    if let Some(planned) = self
                        .resource
                        .plan_create(&ctx, &mut diags, proposed, &config)
                        .await
                    {
                        response.planned_state = self.stored(keep, &planned, "plan", &mut diags);
                        response.planned_identity = self.identity_of(&response.planned_state);
                    }
                }
                response.planned_private = Vec::new();
            }
            (false, false) => {
                let prior = self.model(request.prior_state, "prior state", &mut diags);
                let proposed = self.model(request.proposed_new_state, "proposed state", &mut diags);
                let config = self.model(request.config, "configuration", &mut diags);
                if let (Some(prior), Some(proposed), Some(config)) = (prior, proposed, config) {
                    if let Some((planned, replace)) = self
                        .resource
                        .plan_update(&ctx, &mut diags, &prior, proposed, &config)
                        .await
                    {
                        response.planned_state = self.stored(keep, &planned, "plan", &mut diags);
                        // Terraform may still replace the object when nothing forces it (a
                        // taint, `-replace`), so every update plan says which object it is.
                        if let Some(id) = &prior_import_id {
                            response.planned_private = replacing_marker(id);
                        }
                        response.requires_replace = replace;
                        response.planned_identity = if response.requires_replace.is_empty() {
                            self.identity_of(&response.planned_state)
                                .or(request.prior_identity)
                        } else {
                            None
                        };
                    }
                }
            }
        }
        if diags.has_errors() && !proposed_value.is_null() && run::destroying() {
            // The pre-destroy refresh of `terraform destroy` plans the configuration and fails
            // the destroy on any error, though it discards the plan (see `run`). Checks of a
            // change (storage cannot shrink, …) must not keep a destroy from running; the
            // destroy plan that follows still checks `deletion_protection`.
            tracing::debug!(
                resource = R::TYPE_NAME,
                errors = diags.errors.len(),
                "destroy run: the errors of this plan are not reported"
            );
            diags.errors.clear();
            response.planned_identity = self.identity_of(&proposed_value);
            response.planned_state = proposed_value;
            response.requires_replace = Vec::new();
        }
        response.diagnostics = diags;
        response
    }

    async fn apply(&self, data: Arc<ProviderData>, request: ApplyRequest) -> ApplyResponse {
        let mut diags = Diagnostics::default();
        let keep = data.secrets_in_state();
        let mut response = ApplyResponse {
            // The replacement marker of an update plan is for the plan only.
            private: if replaced_by(&request.planned_private).is_some() {
                Vec::new()
            } else {
                request.planned_private.clone()
            },
            ..Default::default()
        };
        match (
            request.prior_state.is_null(),
            request.planned_state.is_null(),
        ) {
            (true, true) => unexpected(
                &mut diags,
                "apply",
                "Terraform asked to apply a change from nothing to nothing.",
            ),
            (false, true) => {
                let prior_value = request.prior_state.clone();
                if let Some(prior) = self.model(request.prior_state, "prior state", &mut diags) {
                    let ctx = self.context(data, &prior, Operation::Delete);
                    let deleted = deadline::within(
                        ctx.deadline(),
                        self.resource.delete(&ctx, &mut diags, prior),
                    )
                    .await;
                    if deleted.is_none() || diags.has_errors() {
                        // Still there (or not known to be gone): Terraform keeps it in state.
                        response.new_state = prior_value;
                        response.new_identity = request.planned_identity;
                    }
                } else {
                    response.new_state = prior_value;
                }
            }
            (true, false) => {
                let planned = self.model(request.planned_state, "plan", &mut diags);
                let config = self.model(request.config, "configuration", &mut diags);
                if let (Some(planned), Some(config)) = (planned, config) {
                    let ctx = self.context(data, &planned, Operation::Create);
                    if let Some(created) = deadline::within(
                        ctx.deadline(),
                        self.resource.create(&ctx, &mut diags, planned, &config),
                    )
                    .await
                    {
                        response.new_state = self.stored(keep, &created, "new state", &mut diags);
                        response.new_identity = self.identity_of(&response.new_state);
                    }
                }
            }
            (false, false) => {
                let prior_value = request.prior_state.clone();
                let prior = self.model(request.prior_state, "prior state", &mut diags);
                let planned = self.model(request.planned_state, "plan", &mut diags);
                let config = self.model(request.config, "configuration", &mut diags);
                response.new_state = prior_value;
                if let (Some(prior), Some(planned), Some(config)) = (prior, planned, config) {
                    let ctx = self.context(data, &planned, Operation::Update);
                    if let Some(updated) = deadline::within(
                        ctx.deadline(),
                        self.resource
                            .update(&ctx, &mut diags, prior, planned, &config),
                    )
                    .await
                    {
                        response.new_state = self.stored(keep, &updated, "new state", &mut diags);
                        response.new_identity = self.identity_of(&response.new_state);
                    }
                }
            }
        }
        response.diagnostics = diags;
        response
    }

    async fn import(&self, data: Arc<ProviderData>, request: ImportRequest) -> ImportResponse {
        let mut diags = Diagnostics::default();
        let keep = data.secrets_in_state();
        let ctx = RequestContext::new(data).with_capabilities(request.client_capabilities);
        let mut imported = Vec::new();
        // Terraform ≥ 1.12 imports by identity (an `import` block with `identity`) and then
        // sends no ID: the identity stands for the ID it is made of.
        let id = match (&request.identity, request.id.is_empty()) {
            (Some(identity), true) if !identity.is_null() => match self.import_id_of(identity) {
                Ok(id) => Some(id),
                Err(message) => {
                    diags.root_err("Invalid import identity", message);
                    None
                }
            },
            (_, true) => {
                diags.root_err(
                    "Import ID required",
                    format!(
                        "Importing a {} needs an ID or an identity; see the resource's \
                         documentation for their form.",
                        R::TYPE_NAME
                    ),
                );
                None
            }
            (_, false) => Some(request.id.clone()),
        };
        if let Some(id) = id {
            if let Some(model) = self.resource.import(&ctx, &mut diags, &id).await {
                let state = self.stored(keep, &model, "imported state", &mut diags);
                let identity = self.identity_of(&state);
                imported.push(ImportedResource {
                    type_name: R::TYPE_NAME.to_string(),
                    state,
                    private: Vec::new(),
                    identity,
                });
            }
        }
        ImportResponse {
            imported,
            diagnostics: diags,
        }
    }

    async fn move_state(&self, data: Arc<ProviderData>, request: MoveRequest) -> MoveResponse {
        let mut diags = Diagnostics::default();
        let keep = data.secrets_in_state();
        let ctx = RequestContext::new(data);
        let mut response = MoveResponse::default();
        if let Some(model) = self.resource.move_state(&ctx, &mut diags, &request).await {
            response.target_state = self.stored(keep, &model, "moved state", &mut diags);
            response.target_identity = self.identity_of(&response.target_state);
        }
        response.diagnostics = diags;
        response
    }
}
