//! `dbaas_database_kafka_schema_registry`: a subject of a Kafka cluster's schema registry and
//! its latest schema.
//!
//! The schema is DigitalOcean's (`digitalocean_database_kafka_schema_registry`): `cluster_id`,
//! `subject_name`, `schema_type` (`avro`, `json`, `protobuf`) and `schema`, plus the computed
//! `version` and `schema_id` of the latest version. Where DigitalOcean replaces the subject
//! on every change, a new `schema` is registered in place as the subject's next version, as a
//! schema registry is meant to be used: replacing would delete the subject and every version
//! consumers may still read. Registering a schema the subject already has as an older version
//! does not make it the latest (the registry answers the old version), so that apply fails and
//! says how to proceed. `cluster_id`, `subject_name` and `schema_type` replace the subject.
//!
//! AVRO and JSON schemas are JSON documents: they must parse at plan time, and a reformatting
//! (spacing, key order) is no change: reads keep the configuration's text, and an update whose
//! schema is only reformatted records it without registering anything.

use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::api::models::schema_registry::{CreateSchemaRequest, KafkaSchema};
use crate::api::models::Cluster;
use crate::api::wait::{await_condition, conditions, Poll};
use crate::api::Found;
use crate::framework::attr as at;
use crate::framework::context::{ApiContext, RequestContext};
use crate::framework::diag::DiagExt;
use crate::framework::host::Host;
use crate::framework::normalize::same_ignoring_case;
use crate::framework::plan::other_cluster;
use crate::framework::resource::{Adapter, ManagedResource};
use crate::framework::timeouts::{
    timeouts_block, validate_timeouts, TimeoutDefaults, TimeoutWording, Timeouts,
};
use crate::framework::values::{settled, text};
use crate::framework::{import, plan, validate};
use crate::map;
use crate::plugin::schema::{AttributeType, Block, Description, NestedBlock, Schema};
use crate::plugin::service::MoveRequest;
use crate::plugin::value::{self, Value};
use crate::plugin::{AttributePath, Diagnostics};
use crate::provider::DbaasProvider;

use super::moved::{self, SourceState};
use super::schema_util::{computed, required};

/// Adds this file's types to the provider.
pub fn register(host: Host<DbaasProvider>) -> Host<DbaasProvider> {
    host.resource(Adapter::boxed(DatabaseKafkaSchemaRegistryResource))
}

/// Schema types in DigitalOcean's spelling; the API's is upper case.
pub const SCHEMA_TYPES: [&str; 3] = ["avro", "json", "protobuf"];

const TIMEOUTS: TimeoutDefaults = TimeoutDefaults {
    create: Duration::from_secs(20 * 60),
    update: Duration::from_secs(10 * 60),
    delete: Duration::from_secs(10 * 60),
};

// ---------------------------------------------------------------------------------------------
// Model
// ---------------------------------------------------------------------------------------------

/// The resource's state, field for field as in the schema.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SchemaRegistryModel {
    pub id: Value<String>,
    pub cluster_id: Value<String>,
    pub subject_name: Value<String>,
    pub schema_type: Value<String>,
    pub schema: Value<String>,
    pub version: Value<i64>,
    pub schema_id: Value<i64>,
    #[serde(with = "value::serde_as_vec")]
    pub timeouts: Value<Timeouts>,
}

/// The resource ID, which is also the import ID.
pub fn subject_id(cluster_id: &str, subject: &str) -> String {
    format!("{cluster_id},{subject}")
}

/// Whether two schema texts say the same: AVRO and JSON schemas compare as JSON documents
/// (spacing and key order do not matter), PROTOBUF ones as text without surrounding space.
pub fn same_schema(schema_type: &str, a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    if schema_type.eq_ignore_ascii_case("protobuf") {
        return a.trim() == b.trim();
    }
    match (
        serde_json::from_str::<serde_json::Value>(a),
        serde_json::from_str::<serde_json::Value>(b),
    ) {
        (Ok(x), Ok(y)) => x == y,
        _ => false,
    }
}

/// The state of `subject` of `cluster_id` as the API reports its latest version;
/// `reference` keeps its spelling of the cluster's ID, of the type and of an equivalent schema.
fn state_of(
    cluster_id: &str,
    subject: &KafkaSchema,
    reference: &SchemaRegistryModel,
) -> SchemaRegistryModel {
    let cluster_id = match &reference.cluster_id {
        Value::Value(wanted) if same_ignoring_case(wanted, cluster_id) => wanted.clone(),
        _ => cluster_id.to_string(),
    };
    let schema_type = match (&subject.schema_type, &reference.schema_type) {
        (Some(api), Value::Value(wanted)) if same_ignoring_case(api, wanted) => wanted.clone(),
        (Some(api), _) => api.to_ascii_lowercase(),
        (None, wanted) => text(wanted).unwrap_or_default().to_string(),
    };
    let schema = match (&subject.schema, &reference.schema) {
        (Some(api), Value::Value(wanted)) if same_schema(&schema_type, api, wanted) => {
            Value::Value(wanted.clone())
        }
        (Some(api), _) => Value::Value(api.clone()),
        (None, wanted) => settled(wanted),
    };
    SchemaRegistryModel {
        id: Value::Value(subject_id(&cluster_id, &subject.subject_name)),
        cluster_id: Value::Value(cluster_id),
        subject_name: Value::Value(subject.subject_name.clone()),
        schema_type: Value::Value(schema_type),
        schema,
        version: subject
            .version
            .as_deref()
            .and_then(|v| v.parse().ok())
            .map_or(Value::Null, Value::Value),
        schema_id: subject.schema_id.map_or(Value::Null, Value::Value),
        timeouts: settled(&reference.timeouts),
    }
}

// ---------------------------------------------------------------------------------------------
// Schema
// ---------------------------------------------------------------------------------------------

const TIMEOUT_WORDING: TimeoutWording = TimeoutWording {
    create: "How long to wait for the cluster to be online and accept the schema",
    update: "How long registering a new version of the schema may take",
    delete: "How long to wait for the subject to be deleted",
    block: "Time limits for registering and deleting the schema. A cluster that is busy or \
            not ready yet is retried until the limit.",
};

pub fn schema_registry_schema() -> Schema {
    use AttributeType::{Number, String as Str};
    Schema {
        version: 0,
        block: Block {
            version: 0,
            attributes: map! {
                "id" => computed(Str,
                    "`<cluster_id>,<subject_name>`: the same string `terraform import` takes. \
                     (DigitalOcean's provider uses `<cluster_id>/schema-registry/<subject_name>`; \
                     a `moved` block converts it.)"),
                "cluster_id" => required(Str,
                    "The UUID of the Kafka cluster whose schema registry holds the subject \
                     (checked at plan time when the ID is known then). Changing it replaces \
                     the subject."),
                "subject_name" => required(Str,
                    "The subject's name: 1 to 255 characters without `/`, `,` or control \
                     characters, and not `config`. Changing it replaces the subject."),
                "schema_type" => required(Str,
                    "`avro`, `json` or `protobuf`. Changing it replaces the subject (a \
                     subject's versions share one type)."),
                "schema" => required(Str,
                    "The schema's text. AVRO and JSON schemas must be JSON documents, and \
                     reformatting one (spacing, key order) is no change. A new schema is \
                     registered in place as the subject's next version (DigitalOcean's \
                     provider replaces the subject instead)."),
                "version" => computed(Number,
                    "The version of the subject that holds `schema`: 1 for a new subject, one \
                     more for each new schema."),
                "schema_id" => computed(Number,
                    "The registry's ID of the schema (shared by subjects with the same \
                     schema)."),
            },
            blocks: map! {
                "timeouts" => NestedBlock::Optional(timeouts_block(TIMEOUTS, TIMEOUT_WORDING)),
            },
            description: Description::markdown(
                "A subject of a Kafka cluster's schema registry, with its latest schema. A new \
                 `schema` is registered in place as the subject's next version; a new \
                 `cluster_id`, `subject_name` or `schema_type` replaces the subject, deleting \
                 every version of it. Import an existing subject with \
                 `<cluster_id>,<subject_name>`.",
            ),
            ..Default::default()
        },
    }
}

// ---------------------------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------------------------

/// A subject name the API accepts and the import ID can carry.
pub fn is_subject_name(name: &str) -> bool {
    name != "config"
        && validate::is_made_of(name, 1, 255, |c| c != '/' && c != ',' && !c.is_control())
}

pub fn validate_config(diags: &mut Diagnostics, config: &SchemaRegistryModel) {
    validate::uuid(diags, at("cluster_id"), &config.cluster_id);
    validate::matches(
        diags,
        at("subject_name"),
        &config.subject_name,
        is_subject_name,
        "1 to 255 characters without '/', ',' or control characters, and not \"config\"",
    );
    validate::one_of(
        diags,
        at("schema_type"),
        &config.schema_type,
        &SCHEMA_TYPES,
        false,
    );
    validate_timeouts(diags, &config.timeouts);
    let (Value::Value(schema_type), Value::Value(schema)) = (&config.schema_type, &config.schema)
    else {
        return;
    };
    let problem = match schema_type.as_str() {
        "avro" => serde_json::from_str::<serde_json::Value>(schema)
            .err()
            .map(|e| format!("an AVRO schema must be JSON, and this is not: {e}")),
        "json" => match serde_json::from_str::<serde_json::Value>(schema) {
            Ok(serde_json::Value::Object(_) | serde_json::Value::Bool(_)) => None,
            Ok(_) => Some("a JSON schema must be a JSON object (or true/false)".to_string()),
            Err(e) => Some(format!("a JSON schema must be JSON, and this is not: {e}")),
        },
        _ => schema
            .trim()
            .is_empty()
            .then(|| "a PROTOBUF schema must not be empty".to_string()),
    };
    if let Some(problem) = problem {
        diags.err(
            "Invalid schema",
            format!("`schema` is not a valid {schema_type} schema: {problem}."),
            at("schema"),
        );
    }
}

/// The error for a cluster without a schema registry.
fn check_engine(diags: &mut Diagnostics, cluster: &Cluster) -> bool {
    if same_ignoring_case(&cluster.engine, "kafka") {
        return true;
    }
    diags.err(
        "This cluster has no schema registry",
        format!(
            "`cluster_id` {:?} is the {} cluster {:?}; only Kafka clusters have a schema \
             registry. Point `cluster_id` at a Kafka cluster.",
            cluster.id, cluster.engine, cluster.name
        ),
        at("cluster_id"),
    );
    false
}

// ---------------------------------------------------------------------------------------------
// Plan
// ---------------------------------------------------------------------------------------------

/// The plan for a new subject: its ID once its parts are known; version and schema ID unknown.
pub fn plan_new(mut planned: SchemaRegistryModel) -> SchemaRegistryModel {
    planned.id = match (text(&planned.cluster_id), text(&planned.subject_name)) {
        (Some(cluster_id), Some(subject)) => Value::Value(subject_id(cluster_id, subject)),
        _ => Value::Unknown,
    };
    planned.version = Value::Unknown;
    planned.schema_id = Value::Unknown;
    planned
}

/// Whether the planned schema differs from the prior one in substance.
fn schema_changes(prior: &SchemaRegistryModel, planned: &SchemaRegistryModel) -> bool {
    match (&prior.schema, &planned.schema) {
        (Value::Value(a), Value::Value(b)) => {
            !same_schema(text(&planned.schema_type).unwrap_or_default(), a, b)
        }
        (a, b) => plan::differs(a, b),
    }
}

/// Adjusts the plan for an existing subject and returns the attributes that replace it.
pub fn plan_existing(
    prior: &SchemaRegistryModel,
    planned: &mut SchemaRegistryModel,
) -> Vec<AttributePath> {
    let mut replace = plan::Replacements::default();
    if other_cluster(&prior.cluster_id, &planned.cluster_id) {
        replace.add("cluster_id");
    }
    if plan::differs(&prior.subject_name, &planned.subject_name) {
        replace.add("subject_name");
    }
    if plan::differs(&prior.schema_type, &planned.schema_type) {
        replace.add("schema_type");
    }
    if !replace.is_empty() {
        *planned = plan_new(planned.clone());
    } else if schema_changes(prior, planned) {
        planned.version = Value::Unknown;
        planned.schema_id = Value::Unknown;
    }
    replace.into_paths()
}

// ---------------------------------------------------------------------------------------------
// Resource
// ---------------------------------------------------------------------------------------------

fn describe(state: &SchemaRegistryModel) -> String {
    match (text(&state.subject_name), text(&state.cluster_id)) {
        (Some(name), Some(cluster)) => format!("schema subject {name:?} of cluster {cluster}"),
        (Some(name), None) => format!("schema subject {name:?}"),
        _ => "schema subject".to_string(),
    }
}

fn create_request(planned: &SchemaRegistryModel) -> Option<CreateSchemaRequest> {
    Some(CreateSchemaRequest {
        subject_name: text(&planned.subject_name)?.to_string(),
        schema_type: text(&planned.schema_type)?.to_ascii_uppercase(),
        schema: text(&planned.schema)?.to_string(),
    })
}

/// The `dbaas_database_kafka_schema_registry` resource.
#[derive(Debug, Clone, Default)]
pub struct DatabaseKafkaSchemaRegistryResource;

/// Plan-time check of a known `cluster_id`: it must exist and be a Kafka cluster.
async fn check_cluster(ctx: &RequestContext, diags: &mut Diagnostics, cluster_id: &str) {
    let Some(api) = ctx.api_if_configured() else {
        return;
    };
    match api
        .client
        .get_parent_cluster(cluster_id, &api.poll, &ctx.cancel)
        .await
    {
        Ok(cluster) => {
            check_engine(diags, &cluster);
        }
        Err(error) if error.is_not_found() => diags.err(
            "Database cluster not found",
            format!("`cluster_id` {cluster_id:?} names no database cluster this token can see."),
            at("cluster_id"),
        ),
        Err(error) => {
            tracing::warn!(%error, cluster = cluster_id, "cluster not readable at plan time; the engine is checked at apply");
        }
    }
}

/// The error for a subject that exists before Terraform created it: registering into it would
/// silently add a version to someone else's subject.
fn report_existing(diags: &mut Diagnostics, cluster_id: &str, subject: &str) {
    diags.err(
        "Schema subject already exists",
        format!(
            "The schema registry of cluster {cluster_id} already has a subject named \
             {subject:?}. Terraform does not take over existing objects silently: import it \
             with `terraform import <address> {}`, or choose another `subject_name`.",
            subject_id(cluster_id, subject)
        ),
        at("subject_name"),
    );
}

/// After a failed registration: the API's answer, or the subject that appeared meanwhile.
async fn report_create_failure(
    diags: &mut Diagnostics,
    api: &ApiContext,
    planned: &SchemaRegistryModel,
    error: &crate::api::wait::WaitError,
) {
    let (Some(cluster_id), Some(subject)) =
        (text(&planned.cluster_id), text(&planned.subject_name))
    else {
        return;
    };
    if let crate::api::wait::WaitError::Api(api_error) = error {
        if api_error.kind() == crate::api::ErrorKind::Invalid {
            if let Ok(Some(_)) = api
                .client
                .schema_registry(cluster_id)
                .get(subject)
                .await
                .found()
            {
                report_existing(diags, cluster_id, subject);
                return;
            }
        }
    }
    diags.wait_err(
        format!("Could not register the {}", describe(planned)),
        error,
    );
}

/// Registers `request` and reads the subject back; an error when the subject's latest version
/// is not the schema just registered (it was an older version already).
async fn register_latest(
    ctx: &RequestContext,
    api: &ApiContext,
    cluster_id: &str,
    request: &CreateSchemaRequest,
) -> Result<Result<KafkaSchema, String>, crate::api::wait::WaitError> {
    let registry = api.client.schema_registry(cluster_id);
    let registered = ctx
        .change_cluster(api, cluster_id, "register schema", || {
            registry.register(request)
        })
        .await?;
    let latest = registry.get(&request.subject_name).await?;
    let schema_type = request.schema_type.to_ascii_lowercase();
    match &latest.schema {
        Some(schema) if same_schema(&schema_type, schema, &request.schema) => Ok(Ok(latest)),
        _ => {
            let registered_version = match (registered.version.as_deref(), registered.schema_id) {
                (Some(version), _) => format!("version {version}"),
                (None, Some(id)) => format!("an older version (schema ID {id})"),
                (None, None) => "an older version".to_string(),
            };
            Ok(Err(format!(
                "The subject already holds this schema as {registered_version}, and the \
                 registry does not register a schema twice, so its latest version (version \
                 {}) stays as it is. To make this schema the latest, replace the subject \
                 (`terraform apply -replace=<address>`, which deletes every version), or set \
                 `schema` to the latest version's.",
                latest.version.as_deref().unwrap_or("unknown")
            )))
        }
    }
}

#[async_trait]
impl ManagedResource for DatabaseKafkaSchemaRegistryResource {
    type Model = SchemaRegistryModel;
    const TYPE_NAME: &'static str = "dbaas_database_kafka_schema_registry";
    const IDENTITY: &'static [&'static str] = &["cluster_id", "subject_name"];
    const TIMEOUTS: TimeoutDefaults = TIMEOUTS;

    fn schema(&self) -> Schema {
        schema_registry_schema()
    }

    fn timeouts(model: &SchemaRegistryModel) -> &Value<Timeouts> {
        &model.timeouts
    }

    async fn validate(&self, diags: &mut Diagnostics, config: &SchemaRegistryModel) {
        validate_config(diags, config);
    }

    async fn plan_create(
        &self,
        ctx: &RequestContext,
        diags: &mut Diagnostics,
        proposed: SchemaRegistryModel,
        _config: &SchemaRegistryModel,
    ) -> Option<SchemaRegistryModel> {
        let planned = plan_new(proposed);
        if let Some(cluster_id) = text(&planned.cluster_id) {
            check_cluster(ctx, diags, cluster_id).await;
        }
        Some(planned)
    }

    async fn plan_update(
        &self,
        _ctx: &RequestContext,
        _diags: &mut Diagnostics,
        prior: &SchemaRegistryModel,
        mut proposed: SchemaRegistryModel,
        _config: &SchemaRegistryModel,
    ) -> Option<(SchemaRegistryModel, Vec<AttributePath>)> {
        let replace = plan_existing(prior, &mut proposed);
        Some((proposed, replace))
    }

    async fn create(
        &self,
        ctx: &RequestContext,
        diags: &mut Diagnostics,
        planned: SchemaRegistryModel,
        _config: &SchemaRegistryModel,
    ) -> Option<SchemaRegistryModel> {
        let api = ctx.api(diags)?;
        let cluster_id = text(&planned.cluster_id)?.to_string();
        let request = create_request(&planned)?;
        let cluster = match api
            .client
            .clusters()
            .wait(
                &cluster_id,
                conditions::online(),
                &api.poll,
                ctx.deadline(),
                &ctx.cancel,
            )
            .await
        {
            Ok(cluster) => cluster,
            Err(error) => {
                diags.wait_err(
                    format!(
                        "Database cluster {cluster_id} is not online, so the {} cannot be \
                         registered",
                        describe(&planned)
                    ),
                    &error,
                );
                return None;
            }
        };
        if !check_engine(diags, &cluster) {
            return None;
        }
        let registry = api.client.schema_registry(&cluster_id);
        match registry.get(&request.subject_name).await.found() {
            Ok(None) => {}
            Ok(Some(_)) => {
                report_existing(diags, &cluster_id, &request.subject_name);
                return None;
            }
            Err(error) => {
                diags.api_err(format!("Could not read the {}", describe(&planned)), &error);
                return None;
            }
        }
        match register_latest(ctx, &api, &cluster_id, &request).await {
            Ok(Ok(latest)) => {
                tracing::info!(cluster = %cluster_id, subject = %request.subject_name, "schema registered");
                Some(state_of(&cluster_id, &latest, &planned))
            }
            Ok(Err(message)) => {
                diags.err(
                    "Schema not registered as the latest version",
                    message,
                    at("schema"),
                );
                None
            }
            Err(error) => {
                report_create_failure(diags, &api, &planned, &error).await;
                None
            }
        }
    }

    async fn read(
        &self,
        ctx: &RequestContext,
        diags: &mut Diagnostics,
        state: SchemaRegistryModel,
    ) -> Option<Option<SchemaRegistryModel>> {
        let (Some(cluster_id), Some(subject)) =
            (text(&state.cluster_id), text(&state.subject_name))
        else {
            return Some(Some(state));
        };
        let api = ctx.api(diags)?;
        match api
            .client
            .schema_registry(cluster_id)
            .get(subject)
            .await
            .found()
        {
            Ok(Some(latest)) => Some(Some(state_of(cluster_id, &latest, &state))),
            Ok(None) => {
                tracing::info!(
                    cluster = cluster_id,
                    subject,
                    "schema subject is gone; removing it from state"
                );
                Some(None)
            }
            Err(error) => {
                diags.api_err(format!("Could not read the {}", describe(&state)), &error);
                None
            }
        }
    }

    async fn update(
        &self,
        ctx: &RequestContext,
        diags: &mut Diagnostics,
        prior: SchemaRegistryModel,
        planned: SchemaRegistryModel,
        _config: &SchemaRegistryModel,
    ) -> Option<SchemaRegistryModel> {
        if !schema_changes(&prior, &planned) {
            // Only `timeouts` or the schema's formatting changed: nothing to register.
            return Some(SchemaRegistryModel {
                version: prior.version,
                schema_id: prior.schema_id,
                ..planned
            });
        }
        let api = ctx.api(diags)?;
        let cluster_id = text(&planned.cluster_id)?.to_string();
        let request = create_request(&planned)?;
        match register_latest(ctx, &api, &cluster_id, &request).await {
            Ok(Ok(latest)) => {
                tracing::info!(cluster = %cluster_id, subject = %request.subject_name, "new schema version registered");
                Some(state_of(&cluster_id, &latest, &planned))
            }
            Ok(Err(message)) => {
                diags.err(
                    "Schema not registered as the latest version",
                    message,
                    at("schema"),
                );
                None
            }
            Err(error) => {
                diags.wait_err(
                    format!(
                        "Could not register a new version of the {}",
                        describe(&planned)
                    ),
                    &error,
                );
                None
            }
        }
    }

    async fn delete(
        &self,
        ctx: &RequestContext,
        diags: &mut Diagnostics,
        prior: SchemaRegistryModel,
    ) -> Option<()> {
        let api = ctx.api(diags)?;
        let cluster_id = text(&prior.cluster_id)?.to_string();
        let subject = text(&prior.subject_name)?.to_string();
        let registry = api.client.schema_registry(&cluster_id);
        let deleted = ctx
            .change_cluster(&api, &cluster_id, "delete schema", || async {
                match registry.delete(&subject).await {
                    Err(error) if error.is_not_found() => Ok(()),
                    other => other,
                }
            })
            .await;
        if let Err(error) = deleted {
            diags.wait_err(format!("Could not delete the {}", describe(&prior)), &error);
            return None;
        }
        let read = || async { registry.get(&subject).await.found() };
        let gone = await_condition(
            &api.poll,
            ctx.deadline(),
            &ctx.cancel,
            true,
            read,
            |object: Option<KafkaSchema>| match object {
                None => Poll::Ready(()),
                Some(_) => Poll::Pending("the subject can still be read".to_string()),
            },
        )
        .await;
        if let Err(error) = gone {
            diags.wait_err(
                format!(
                    "The {} is being deleted but is not gone yet",
                    describe(&prior)
                ),
                &error,
            );
            return None;
        }
        Some(())
    }

    async fn import(
        &self,
        ctx: &RequestContext,
        diags: &mut Diagnostics,
        id: &str,
    ) -> Option<SchemaRegistryModel> {
        let (cluster_id, subject) = match import::parse_cluster_child(id, "schema subject") {
            Ok(parts) => parts,
            Err(message) => {
                diags.root_err("Invalid import ID", message);
                return None;
            }
        };
        let api = ctx.api(diags)?;
        match api
            .client
            .schema_registry(&cluster_id)
            .get(&subject)
            .await
            .found()
        {
            Ok(Some(latest)) => Some(state_of(
                &cluster_id,
                &latest,
                &SchemaRegistryModel::default(),
            )),
            Ok(None) => {
                diags.root_err(
                    "Cannot import a schema subject that does not exist",
                    format!(
                        "The schema registry of cluster {cluster_id} has no subject named \
                         {subject:?} (or the cluster does not exist for this token, or is not \
                         a Kafka cluster)."
                    ),
                );
                None
            }
            Err(error) => {
                diags.api_err(
                    format!("Could not read schema subject {subject:?} of cluster {cluster_id}"),
                    &error,
                );
                None
            }
        }
    }

    async fn move_state(
        &self,
        _ctx: &RequestContext,
        diags: &mut Diagnostics,
        request: &MoveRequest,
    ) -> Option<SchemaRegistryModel> {
        let source = moved::source_state(diags, request, Self::TYPE_NAME)?;
        moved_from_digitalocean(diags, &source)
    }
}

/// A `digitalocean_database_kafka_schema_registry` (schema version 0) as this resource's
/// state: DigitalOcean's ID `<cluster_id>/schema-registry/<subject>` becomes
/// `<cluster_id>,<subject>`; the version and schema ID are read by the next refresh.
pub fn moved_from_digitalocean(
    diags: &mut Diagnostics,
    source: &SourceState,
) -> Option<SchemaRegistryModel> {
    const SOURCE: &str = "digitalocean_database_kafka_schema_registry";
    let cluster_id = moved::required(diags, source, SOURCE, "cluster_id")?;
    let subject = moved::required(diags, source, SOURCE, "subject_name")?;
    Some(SchemaRegistryModel {
        id: Value::Value(subject_id(&cluster_id, &subject)),
        cluster_id: Value::Value(cluster_id),
        subject_name: Value::Value(subject),
        schema_type: source.string("schema_type"),
        schema: source.string("schema"),
        version: Value::Null,
        schema_id: Value::Null,
        timeouts: source.timeouts(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const CLUSTER: &str = "9cc10173-e9ea-4176-9dbc-a4cee4c4ff30";
    const AVRO: &str =
        r#"{"type": "record", "name": "Customer", "fields": [{"name": "id", "type": "string"}]}"#;

    fn s(text: &str) -> Value<String> {
        Value::Value(text.to_string())
    }

    fn configured() -> SchemaRegistryModel {
        SchemaRegistryModel {
            cluster_id: s(CLUSTER),
            subject_name: s("customer"),
            schema_type: s("avro"),
            schema: s(AVRO),
            ..SchemaRegistryModel::default()
        }
    }

    #[test]
    fn names_types_and_schemas_are_checked_at_plan_time() {
        let errors = |config: SchemaRegistryModel| {
            let mut diags = Diagnostics::default();
            validate_config(&mut diags, &config);
            diags.errors
        };
        assert!(errors(configured()).is_empty());
        for (attribute, config) in [
            (
                "subject_name",
                SchemaRegistryModel {
                    subject_name: s("a/b"),
                    ..configured()
                },
            ),
            (
                "subject_name",
                SchemaRegistryModel {
                    subject_name: s("config"),
                    ..configured()
                },
            ),
            (
                "subject_name",
                SchemaRegistryModel {
                    subject_name: s("a,b"),
                    ..configured()
                },
            ),
            (
                "schema_type",
                SchemaRegistryModel {
                    schema_type: s("AVRO"),
                    ..configured()
                },
            ),
            (
                "schema_type",
                SchemaRegistryModel {
                    schema_type: s("xml"),
                    ..configured()
                },
            ),
            (
                "schema",
                SchemaRegistryModel {
                    schema: s("{not json"),
                    ..configured()
                },
            ),
            (
                "schema",
                SchemaRegistryModel {
                    schema_type: s("json"),
                    schema: s("42"),
                    ..configured()
                },
            ),
            (
                "schema",
                SchemaRegistryModel {
                    schema_type: s("protobuf"),
                    schema: s(" "),
                    ..configured()
                },
            ),
            (
                "cluster_id",
                SchemaRegistryModel {
                    cluster_id: s("x"),
                    ..configured()
                },
            ),
        ] {
            let found = errors(config);
            assert_eq!(found.len(), 1, "{attribute}: {found:?}");
            assert_eq!(found[0].attribute, at(attribute));
            assert!(
                found[0].detail.contains(&format!("`{attribute}`")),
                "{found:?}"
            );
        }
        assert!(errors(SchemaRegistryModel {
            schema_type: s("protobuf"),
            schema: s("syntax = \"proto3\"; message M {}"),
            ..configured()
        })
        .is_empty());
        assert!(errors(SchemaRegistryModel {
            schema_type: Value::Unknown,
            schema: s("{not json"),
            subject_name: Value::Unknown,
            ..configured()
        })
        .is_empty());
    }

    #[test]
    fn reformatted_json_is_the_same_schema() {
        let compact =
            r#"{"fields":[{"type":"string","name":"id"}],"name":"Customer","type":"record"}"#;
        assert!(same_schema("avro", AVRO, compact));
        assert!(same_schema(
            "json",
            "{\n  \"type\": \"object\"\n}",
            r#"{"type":"object"}"#
        ));
        assert!(!same_schema("avro", AVRO, r#"{"type": "record"}"#));
        assert!(same_schema("protobuf", "message M {}\n", "message M {}"));
        assert!(!same_schema("protobuf", "message M {}", "message  M {}"));
    }

    #[test]
    fn a_new_schema_is_a_new_version_and_identity_changes_replace() {
        let prior = SchemaRegistryModel {
            version: Value::Value(1),
            schema_id: Value::Value(7),
            ..plan_new(configured())
        };
        assert_eq!(prior.id, s(&format!("{CLUSTER},customer")));
        let mut reformatted = SchemaRegistryModel {
            schema: s(
                r#"{"type":"record","name":"Customer","fields":[{"name":"id","type":"string"}]}"#,
            ),
            ..prior.clone()
        };
        assert!(plan_existing(&prior, &mut reformatted).is_empty());
        assert_eq!(reformatted.version, Value::Value(1));

        let mut evolved = SchemaRegistryModel {
            schema: s(r#"{"type": "record", "name": "Customer", "fields": []}"#),
            ..prior.clone()
        };
        assert!(plan_existing(&prior, &mut evolved).is_empty());
        assert_eq!(evolved.version, Value::Unknown);
        assert_eq!(evolved.schema_id, Value::Unknown);

        for (attribute, mut planned) in [
            (
                "subject_name",
                SchemaRegistryModel {
                    subject_name: s("other"),
                    ..prior.clone()
                },
            ),
            (
                "schema_type",
                SchemaRegistryModel {
                    schema_type: s("json"),
                    ..prior.clone()
                },
            ),
            (
                "cluster_id",
                SchemaRegistryModel {
                    cluster_id: Value::Unknown,
                    ..prior.clone()
                },
            ),
        ] {
            assert_eq!(plan_existing(&prior, &mut planned), vec![at(attribute)]);
            assert_eq!(planned.version, Value::Unknown);
        }
        let mut upper = SchemaRegistryModel {
            cluster_id: s(&CLUSTER.to_ascii_uppercase()),
            ..prior.clone()
        };
        assert!(plan_existing(&prior, &mut upper).is_empty());
    }

    #[test]
    fn reads_keep_the_configured_spelling() {
        let api = KafkaSchema {
            subject_name: "customer".into(),
            schema_type: Some("AVRO".into()),
            schema: Some(
                r#"{"type":"record","name":"Customer","fields":[{"name":"id","type":"string"}]}"#
                    .into(),
            ),
            schema_id: Some(7),
            version: Some("3".into()),
        };
        let state = state_of(CLUSTER, &api, &configured());
        assert_eq!(state.schema, s(AVRO));
        assert_eq!(state.schema_type, s("avro"));
        assert_eq!(state.version, Value::Value(3));
        assert_eq!(state.schema_id, Value::Value(7));
        let imported = state_of(CLUSTER, &api, &SchemaRegistryModel::default());
        assert_eq!(imported.schema_type, s("avro"));
        assert_eq!(imported.schema, s(api.schema.as_deref().unwrap()));
        let changed = KafkaSchema {
            schema: Some(r#"{"type":"string"}"#.into()),
            ..api
        };
        assert_eq!(
            state_of(CLUSTER, &changed, &configured()).schema,
            s(r#"{"type":"string"}"#)
        );
    }

    #[test]
    fn only_kafka_clusters_have_a_registry() {
        let cluster = |engine: &str| Cluster {
            id: CLUSTER.into(),
            name: "main".into(),
            engine: engine.into(),
            ..Cluster::default()
        };
        let mut diags = Diagnostics::default();
        assert!(check_engine(&mut diags, &cluster("kafka")));
        assert!(!check_engine(&mut diags, &cluster("pg")));
        assert_eq!(diags.errors.len(), 1);
        assert_eq!(diags.errors[0].attribute, at("cluster_id"));
        assert!(diags.errors[0].detail.contains("only Kafka clusters"));
    }

    #[test]
    fn a_digitalocean_subject_moves() {
        let mut diags = Diagnostics::default();
        let state = moved_from_digitalocean(
            &mut diags,
            &SourceState::from_json(json!({
                "id": format!("{CLUSTER}/schema-registry/customer"),
                "cluster_id": CLUSTER,
                "subject_name": "customer",
                "schema_type": "avro",
                "schema": AVRO
            })),
        )
        .unwrap();
        assert_eq!(
            state,
            SchemaRegistryModel {
                id: s(&format!("{CLUSTER},customer")),
                ..configured()
            }
        );
        assert!(moved_from_digitalocean(
            &mut diags,
            &SourceState::from_json(json!({"cluster_id": CLUSTER}))
        )
        .is_none());
    }

    #[test]
    fn the_schema_matches_the_model() {
        let schema = schema_registry_schema();
        let (mut attributes, fields) = crate::resources::schema_util::attribute_and_field_names::<
            SchemaRegistryModel,
        >(&schema);
        attributes.push("timeouts".into());
        attributes.sort();
        assert_eq!(attributes, fields);
    }
}
