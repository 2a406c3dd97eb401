//! `dbaas_database_replica`: a read-only replica of a PostgreSQL or MySQL cluster, and
//! [`register`] for it and its data source.
//!
//! The schema is DigitalOcean's (`digitalocean_database_replica`), so a module written for it
//! runs after renaming the prefix. Where it deviates, it does so because DigitalOcean's is wrong:
//! - `storage_size_mib` is a number (DigitalOcean's is a string);
//! - `region` and `size` are optional *and computed*: left out, they are the primary's, known
//!   at plan time when the primary is (DigitalOcean's `region` is optional only, so a replica
//!   created without one plans a replacement on the next refresh);
//! - a password the API stops returning (it may be given on create only) is kept, and never
//!   blanked; the URIs keep it too;
//! - a primary that does not exist or cannot have replicas (Redis, Valkey, Kafka, MongoDB,
//!   OpenSearch) is a plan-time error naming `cluster_id`, and a region or size the API does
//!   not offer for the primary's engine is one naming the attribute;
//! - deleting waits until the replica is gone, so a replacement with the same name does not
//!   collide with it.
//!
//! `size` and `storage_size_mib` change in place (a resize of the replica, which then waits
//! until it is `online` again); storage cannot shrink (a plan-time error). `cluster_id`,
//! `name`, `region`, `private_network_uuid` and `tags` replace it: the API has no call that
//! moves a replica or changes its tags (the tags API tags clusters only), exactly as
//! DigitalOcean's provider has them.

use std::collections::BTreeSet;
use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use tokio::time::Instant;

use crate::api::models::replica::CreateReplicaRequest;
use crate::api::models::{Cluster, Connection, Options, ResizeRequest};
use crate::api::replicas::{online_and, Replica};
use crate::api::wait::{conditions, WaitError};
use crate::api::{deadline, ErrorKind, Found};
use crate::data_sources::database_replica::DatabaseReplicaDataSource;
use crate::framework::attr as at;
use crate::framework::context::{ApiContext, RequestContext};
use crate::framework::data_source::DataSourceAdapter;
use crate::framework::diag::DiagExt;
use crate::framework::host::Host;
use crate::framework::normalize::same_ignoring_case;
use crate::framework::plan::other_cluster;
use crate::framework::resource::{Adapter, ManagedResource};
use crate::framework::timeouts::{
    timeouts_block, validate_timeouts, TimeoutDefaults, TimeoutWording, Timeouts,
};
use crate::framework::values::{known, settled, text};
use crate::framework::{import, plan, validate};
use crate::map;
use crate::plugin::schema::{AttributeType, Block, Description, NestedBlock, Schema};
use crate::plugin::service::MoveRequest;
use crate::plugin::value::{self, Value};
use crate::plugin::{AttributePath, Diagnostics};
use crate::provider::DbaasProvider;

use super::database_cluster::{is_cluster_name, uri_with_password};
use super::moved::{self, SourceState};
use super::schema_util::{computed, optional, optional_computed, required, sensitive};

/// Adds this file's resource and data source to the provider.
pub fn register(host: Host<DbaasProvider>) -> Host<DbaasProvider> {
    host.resource(Adapter::boxed(DatabaseReplicaResource))
        .data_source(DataSourceAdapter::boxed(DatabaseReplicaDataSource))
}

/// Engines whose clusters can have read-only replicas (the contract: "To create a read-only
/// replica for a PostgreSQL or MySQL database cluster").
pub const ENGINES_WITH_REPLICAS: [&str; 4] = ["pg", "advanced_pg", "mysql", "advanced_mysql"];

/// The replica's passwords and password-bearing URIs.
pub const REPLICA_SECRETS: [&str; 3] = ["password", "uri", "private_uri"];

const TIMEOUTS: TimeoutDefaults = TimeoutDefaults {
    create: Duration::from_secs(30 * 60),
    update: Duration::from_secs(30 * 60),
    delete: Duration::from_secs(10 * 60),
};

/// How long a plan-time check against the options catalogue may take before it is skipped:
/// the check is a courtesy, and the API checks again at apply.
const PLAN_CHECK_BUDGET: Duration = Duration::from_secs(10);

// ---------------------------------------------------------------------------------------------
// Model
// ---------------------------------------------------------------------------------------------

/// The resource's state, field for field as in the schema.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ReplicaModel {
    pub id: Value<String>,
    pub cluster_id: Value<String>,
    pub name: Value<String>,
    pub uuid: Value<String>,
    pub region: Value<String>,
    pub size: Value<String>,
    pub storage_size_mib: Value<i64>,
    pub private_network_uuid: Value<String>,
    pub tags: Value<BTreeSet<Value<String>>>,
    pub host: Value<String>,
    pub port: Value<i64>,
    pub database: Value<String>,
    pub user: Value<String>,
    pub password: Value<String>,
    pub uri: Value<String>,
    pub private_host: Value<String>,
    pub private_uri: Value<String>,
    #[serde(with = "value::serde_as_vec")]
    pub timeouts: Value<Timeouts>,
}

/// The resource ID, which is also the import ID.
pub fn replica_id(cluster_id: &str, name: &str) -> String {
    format!("{cluster_id},{name}")
}

fn non_empty(text: Option<&String>) -> Option<&str> {
    text.map(String::as_str).filter(|t| !t.is_empty())
}

/// The API's value, spelled as `reference` spells it when the two are the same ignoring case;
/// the reference (settled) when the API says nothing.
fn spelled_like(api: Option<&str>, reference: &Value<String>) -> Value<String> {
    match (api.filter(|a| !a.is_empty()), reference) {
        (Some(api), Value::Value(wanted)) if same_ignoring_case(wanted, api) => {
            Value::Value(wanted.clone())
        }
        (Some(api), _) => Value::Value(api.to_string()),
        (None, reference) => settled(reference),
    }
}

/// The tags the API reports, spelled as the reference spells them. No tags read as null unless
/// the reference holds an empty set (`tags = []` in the configuration).
fn tags_from_api(
    api: Option<&Vec<String>>,
    reference: &Value<BTreeSet<Value<String>>>,
) -> Value<BTreeSet<Value<String>>> {
    let api_tags: Vec<&String> = api.into_iter().flatten().collect();
    if api_tags.is_empty() {
        return match reference {
            Value::Value(set) if set.is_empty() => Value::Value(BTreeSet::new()),
            _ => Value::Null,
        };
    }
    let wanted: Vec<&String> = reference
        .iter()
        .flatten()
        .filter_map(|t| t.as_ref_option())
        .collect();
    Value::Value(
        api_tags
            .into_iter()
            .map(|tag| {
                let spelled = wanted
                    .iter()
                    .find(|candidate| same_ignoring_case(candidate, tag))
                    .map_or(tag, |candidate| *candidate);
                Value::Value(spelled.clone())
            })
            .collect(),
    )
}

/// Builds the state from what the API says. `reference` is the plan (after create/update),
/// the prior state (read), or empty (import): its spellings win where the API's value is
/// equivalent, and its secrets are kept when the answer carries none.
pub fn state_from_api(
    cluster_id: &str,
    replica: &Replica,
    reference: &ReplicaModel,
) -> ReplicaModel {
    let cluster_id = spelled_like(Some(cluster_id), &reference.cluster_id);
    let connection: Option<&Connection> = replica.connection.as_ref();
    let private: Option<&Connection> = replica.private_connection.as_ref();
    let password = match non_empty(connection.and_then(|c| c.password.as_ref()))
        .or_else(|| non_empty(private.and_then(|c| c.password.as_ref())))
    {
        Some(password) => Value::Value(password.to_string()),
        None => settled(&reference.password),
    };
    let secret = password.as_ref_option().map(String::as_str);
    let uri_of = |connection: Option<&Connection>, reference: &Value<String>| match non_empty(
        connection.and_then(|c| c.uri.as_ref()),
    ) {
        Some(uri) => Value::Value(uri_with_password(uri, secret)),
        None => settled(reference),
    };
    let field = |value: Option<&String>, reference: &Value<String>| {
        known(value.cloned()).or(settled(reference))
    };
    ReplicaModel {
        id: Value::Value(replica_id(
            text(&cluster_id).unwrap_or_default(),
            &replica.name,
        )),
        cluster_id,
        name: Value::Value(replica.name.clone()),
        uuid: match replica.id.as_str() {
            "" => settled(&reference.uuid),
            id => Value::Value(id.to_string()),
        },
        region: spelled_like(replica.region.as_deref(), &reference.region),
        size: spelled_like(replica.size.as_deref(), &reference.size),
        storage_size_mib: known(replica.storage_size_mib).or(settled(&reference.storage_size_mib)),
        private_network_uuid: spelled_like(
            replica.private_network_uuid.as_deref(),
            &reference.private_network_uuid,
        ),
        tags: tags_from_api(replica.tags.as_ref(), &reference.tags),
        host: known(non_empty(connection.and_then(|c| c.host.as_ref())).map(str::to_string))
            .or(settled(&reference.host)),
        port: known(connection.and_then(|c| c.port)).or(settled(&reference.port)),
        database: field(
            connection.and_then(|c| c.database.as_ref()),
            &reference.database,
        ),
        user: field(connection.and_then(|c| c.user.as_ref()), &reference.user),
        uri: uri_of(connection, &reference.uri),
        private_host: known(non_empty(private.and_then(|c| c.host.as_ref())).map(str::to_string))
            .or(settled(&reference.private_host)),
        private_uri: uri_of(private, &reference.private_uri),
        password: password.clone(),
        timeouts: settled(&reference.timeouts),
    }
}

/// An apply must return exactly what the plan promised: every value the plan knew is kept (a
/// difference in the answer shows as drift on the next refresh instead of failing this apply),
/// and what the plan left unknown comes from the answer.
fn conform_to_plan(mut state: ReplicaModel, planned: &ReplicaModel) -> ReplicaModel {
    fn keep<T: Clone>(actual: &mut Value<T>, promised: &Value<T>) {
        if !promised.is_unknown() {
            *actual = promised.clone();
        }
    }
    keep(&mut state.id, &planned.id);
    keep(&mut state.cluster_id, &planned.cluster_id);
    keep(&mut state.name, &planned.name);
    keep(&mut state.uuid, &planned.uuid);
    keep(&mut state.region, &planned.region);
    keep(&mut state.size, &planned.size);
    keep(&mut state.storage_size_mib, &planned.storage_size_mib);
    keep(
        &mut state.private_network_uuid,
        &planned.private_network_uuid,
    );
    keep(&mut state.tags, &planned.tags);
    keep(&mut state.host, &planned.host);
    keep(&mut state.port, &planned.port);
    keep(&mut state.database, &planned.database);
    keep(&mut state.user, &planned.user);
    keep(&mut state.password, &planned.password);
    keep(&mut state.uri, &planned.uri);
    keep(&mut state.private_host, &planned.private_host);
    keep(&mut state.private_uri, &planned.private_uri);
    state.timeouts = planned.timeouts.clone();
    state
}

// ---------------------------------------------------------------------------------------------
// Schema
// ---------------------------------------------------------------------------------------------

const TIMEOUT_WORDING: TimeoutWording = TimeoutWording {
    create: "How long to wait for the primary to be online, accept the replica, and for the \
             replica to be online",
    update: "How long to wait for a resize of the replica to finish (online again)",
    delete: "How long to wait for the replica to be deleted",
    block: "Time limits for creating, resizing and deleting the replica. A primary that is \
            busy or not ready yet (the API answers 412 for a while after a cluster comes up) is \
            retried until the limit.",
};

pub fn replica_schema() -> Schema {
    use AttributeType::{Number, Set, String as Str};
    let attributes = map! {
        "id" => computed(Str,
            "The replica's ID, `<cluster_id>,<name>`: the same string `terraform import` takes. \
             (DigitalOcean's provider uses `<cluster_id>/replicas/<name>`; a `moved` block \
             converts it.)"),
        "cluster_id" => required(Str,
            "The UUID of the primary: a PostgreSQL or MySQL cluster (other engines have no \
             read-only replicas, which is rejected at plan time when the ID is known then). \
             Changing it replaces the replica."),
        "name" => required(Str,
            "The replica's name: 3 to 63 lowercase letters, digits and hyphens, starting with a \
             letter (it becomes part of the replica's host names, and no cluster or other \
             replica of the account may have it). Changing it replaces the replica."),
        "uuid" => computed(Str, "The replica's UUID."),
        "region" => optional_computed(Str,
            "The region slug, such as `nyc3` (case-insensitive). Defaults to the primary's \
             region. Changing it replaces the replica (the API cannot move one)."),
        "size" => optional_computed(Str,
            "The size slug of the replica's node, such as `db-s-2vcpu-4gb`; at least as large \
             as the primary's nodes. Defaults to the primary's size. Changing it resizes the \
             replica in place."),
        "storage_size_mib" => optional_computed(Number,
            "Disk size in MiB. Defaults to the primary's (at least the size's base storage). \
             It grows in place but cannot shrink (a plan-time error). A number here, where \
             DigitalOcean's provider has a string."),
        "private_network_uuid" => optional_computed(Str,
            "The UUID of the VPC to place the replica in. Defaults to the region's default \
             VPC. Changing it replaces the replica."),
        "tags" => optional(Set(Box::new(Str)),
            "Tags for the replica (letters, digits, `:`, `-`, `_`; up to 255 characters; \
             compared case-insensitively). The API sets them only when it creates a replica, \
             so changing them replaces the replica."),
        "host" => computed(Str, "The replica's public hostname."),
        "port" => computed(Number, "The replica's port."),
        "database" => computed(Str, "The default database's name, as the API reports it."),
        "user" => computed(Str, "The default (admin) user of the primary, which the replica \
             serves."),
        "password" => sensitive(computed(Str,
            "The default user's password. Kept from the create response when later answers \
             leave it out; never blanked by a read that lacks it.")),
        "uri" => sensitive(computed(Str,
            "The replica's public connection URI, with the password.")),
        "private_host" => computed(Str, "The replica's hostname inside the VPC."),
        "private_uri" => sensitive(computed(Str,
            "The replica's connection URI inside the VPC, with the password.")),
    };
    Schema {
        version: 0,
        block: Block {
            version: 0,
            attributes,
            blocks: map! {
                "timeouts" => NestedBlock::Optional(timeouts_block(TIMEOUTS, TIMEOUT_WORDING)),
            },
            description: Description::markdown(
                "A read-only replica of a PostgreSQL or MySQL cluster. `terraform apply` waits \
                 until it is online. `size` and `storage_size_mib` change in place (a resize); \
                 a new `cluster_id`, `name`, `region`, `private_network_uuid` or `tags` \
                 replaces it. Import an existing replica with `<cluster_id>,<name>`.",
            ),
            ..Default::default()
        },
    }
}

// ---------------------------------------------------------------------------------------------
// Validation (configuration only, unknown values skipped)
// ---------------------------------------------------------------------------------------------

pub fn validate_config(diags: &mut Diagnostics, config: &ReplicaModel) {
    validate::uuid(diags, at("cluster_id"), &config.cluster_id);
    validate::matches(
        diags,
        at("name"),
        &config.name,
        is_cluster_name,
        "3 to 63 lowercase letters, digits and hyphens, starting with a letter and not ending \
         with a hyphen (the name becomes part of the replica's host names)",
    );
    validate::not_blank(diags, at("region"), &config.region);
    validate::not_blank(diags, at("size"), &config.size);
    validate::int_at_least(
        diags,
        at("storage_size_mib"),
        &config.storage_size_mib,
        1024,
    );
    validate::uuid(
        diags,
        at("private_network_uuid"),
        &config.private_network_uuid,
    );
    if let Value::Value(tags) = &config.tags {
        for tag in tags {
            validate::matches(
                diags,
                at("tags"),
                tag,
                validate::is_tag,
                "1 to 255 letters, digits, ':', '-' or '_'",
            );
        }
    }
    validate_timeouts(diags, &config.timeouts);
}

/// The error for a primary that cannot have replicas.
fn check_engine(diags: &mut Diagnostics, cluster: &Cluster) -> bool {
    if ENGINES_WITH_REPLICAS
        .iter()
        .any(|engine| same_ignoring_case(engine, &cluster.engine))
    {
        return true;
    }
    diags.err(
        "This cluster cannot have read-only replicas",
        format!(
            "`cluster_id` {:?} is the {} cluster {:?}, and {} clusters have no read-only \
             replicas. Replicas exist for PostgreSQL and MySQL clusters (`pg`, `mysql`, \
             `advanced_pg`, `advanced_mysql`); point `cluster_id` at one.",
            cluster.id, cluster.engine, cluster.name, cluster.engine
        ),
        at("cluster_id"),
    );
    false
}

fn list(values: &[String]) -> String {
    if values.is_empty() {
        "none".to_string()
    } else {
        values.join(", ")
    }
}

/// Reports a known `region` (when `region` is set) or `size` (when `size` is set) that the
/// catalogue does not offer for `engine` with one node, naming the attribute and listing the
/// valid choices.
pub fn check_catalogue(
    diags: &mut Diagnostics,
    catalogue: &Options,
    engine: &str,
    planned: &ReplicaModel,
    region: bool,
    size: bool,
) {
    let Some(offer) = catalogue
        .options
        .iter()
        .find(|(name, _)| same_ignoring_case(name, engine))
        .map(|(_, offer)| offer)
    else {
        return;
    };
    if let Some(wanted) = text(&planned.region).filter(|_| region) {
        if !offer.regions.iter().any(|r| same_ignoring_case(r, wanted)) {
            diags.err(
                "Region not offered",
                format!(
                    "`region` {wanted:?} is not offered for {engine} replicas. Valid regions: {}.",
                    list(&offer.regions)
                ),
                at("region"),
            );
        }
    }
    if let Some(wanted) = text(&planned.size).filter(|_| size) {
        let sizes = offer
            .layouts
            .iter()
            .find(|layout| layout.num_nodes == 1)
            .map(|layout| layout.sizes.clone())
            .unwrap_or_default();
        if !sizes.iter().any(|s| same_ignoring_case(s, wanted)) {
            diags.err(
                "Size not offered",
                format!(
                    "`size` {wanted:?} is not offered for {engine} replicas (single-node \
                     sizes). Valid sizes: {}.",
                    list(&sizes)
                ),
                at("size"),
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Plan
// ---------------------------------------------------------------------------------------------

/// The plan for a new replica: the configuration, its ID (known as soon as its parts are),
/// unknown connection details, and the primary's region and size where the configuration
/// leaves them out and the primary is known.
pub fn plan_new(mut planned: ReplicaModel, primary: Option<&Cluster>) -> ReplicaModel {
    planned.id = match (text(&planned.cluster_id), text(&planned.name)) {
        (Some(cluster_id), Some(name)) => Value::Value(replica_id(cluster_id, name)),
        _ => Value::Unknown,
    };
    for value in [
        &mut planned.uuid,
        &mut planned.host,
        &mut planned.database,
        &mut planned.user,
        &mut planned.password,
        &mut planned.uri,
        &mut planned.private_host,
        &mut planned.private_uri,
    ] {
        *value = Value::Unknown;
    }
    planned.port = Value::Unknown;
    if planned.region.is_null() {
        planned.region = match primary {
            Some(cluster) if !cluster.region.is_empty() => {
                Value::Value(cluster.region.to_ascii_lowercase())
            }
            _ => Value::Unknown,
        };
    }
    if planned.size.is_null() {
        planned.size = match primary {
            Some(cluster) if !cluster.size.is_empty() => Value::Value(cluster.size.clone()),
            _ => Value::Unknown,
        };
    }
    if planned.storage_size_mib.is_null() {
        planned.storage_size_mib = Value::Unknown;
    }
    if planned.private_network_uuid.is_null() {
        planned.private_network_uuid = Value::Unknown;
    }
    planned
}

fn changed_ignoring_case(prior: &Value<String>, planned: &Value<String>) -> bool {
    match (prior, planned) {
        (Value::Value(a), Value::Value(b)) => !same_ignoring_case(a, b),
        (_, Value::Unknown) => true,
        (a, b) => a != b,
    }
}

/// The tags, lower-cased (tags compare without regard to case); `None` while unknown.
fn tag_set(tags: &Value<BTreeSet<Value<String>>>) -> Option<BTreeSet<String>> {
    match tags {
        Value::Unknown => None,
        Value::Null => Some(BTreeSet::new()),
        Value::Value(set) => set
            .iter()
            .map(|t| t.as_ref_option().map(|t| t.to_ascii_lowercase()))
            .collect(),
    }
}

/// Whether the tags really change (case aside; null and empty are the same).
fn tags_change(prior: &ReplicaModel, planned: &ReplicaModel) -> bool {
    match (tag_set(&prior.tags), tag_set(&planned.tags)) {
        (Some(a), Some(b)) => a != b,
        _ => true,
    }
}

/// Whether the update resizes the replica (a new size, or more storage).
fn resizes(prior: &ReplicaModel, planned: &ReplicaModel) -> bool {
    let storage_grows = match (&prior.storage_size_mib, &planned.storage_size_mib) {
        (Value::Value(a), Value::Value(b)) => a != b,
        _ => false,
    };
    changed_ignoring_case(&prior.size, &planned.size) || storage_grows
}

/// Checks and adjusts the plan for an existing replica; returns the attributes that force
/// replacement. Only a resize changes it in place, and a resize changes nothing of its
/// connection details, so they stay known.
pub fn plan_existing(
    diags: &mut Diagnostics,
    prior: &ReplicaModel,
    planned: &mut ReplicaModel,
    config: &ReplicaModel,
) -> Vec<AttributePath> {
    let mut replace = plan::Replacements::default();
    if other_cluster(&prior.cluster_id, &planned.cluster_id) {
        replace.add("cluster_id");
    }
    if plan::differs(&prior.name, &planned.name) {
        replace.add("name");
    }
    if changed_ignoring_case(&prior.region, &planned.region) {
        replace.add("region");
    }
    if changed_ignoring_case(&prior.private_network_uuid, &planned.private_network_uuid) {
        replace.add("private_network_uuid");
    }
    if tags_change(prior, planned) {
        replace.add("tags");
    }
    if !replace.is_empty() {
        return replace.into_paths();
    }
    if let (Value::Value(from), Value::Value(to)) =
        (&prior.storage_size_mib, &config.storage_size_mib)
    {
        if to < from {
            diags.err(
                "Storage cannot shrink",
                format!(
                    "`storage_size_mib` is {from} on the replica and the configuration asks \
                     for {to}. Disk storage can only grow; set `storage_size_mib = {from}` or \
                     more."
                ),
                at("storage_size_mib"),
            );
        }
    }
    if changed_ignoring_case(&prior.size, &planned.size) && config.storage_size_mib.is_null() {
        // A larger size may come with more base storage.
        planned.storage_size_mib = Value::Unknown;
    }
    Vec::new()
}

// ---------------------------------------------------------------------------------------------
// Resource
// ---------------------------------------------------------------------------------------------

fn describe(state: &ReplicaModel) -> String {
    match (text(&state.name), text(&state.cluster_id)) {
        (Some(name), Some(cluster)) => format!("read-only replica {name:?} of cluster {cluster}"),
        (Some(name), None) => format!("read-only replica {name:?}"),
        _ => "read-only replica".to_string(),
    }
}

/// The `dbaas_database_replica` resource.
#[derive(Debug, Clone, Default)]
pub struct DatabaseReplicaResource;

/// Plan-time check of a known `cluster_id`: it must exist and be able to have replicas.
/// Returns the primary when it could be read; one that cannot be read for another reason is
/// left to the apply, which checks again.
async fn check_cluster(
    ctx: &RequestContext,
    diags: &mut Diagnostics,
    cluster_id: &str,
) -> Option<Cluster> {
    let api = ctx.api_if_configured()?;
    match api
        .client
        .get_parent_cluster(cluster_id, &api.poll, &ctx.cancel)
        .await
    {
        Ok(cluster) => check_engine(diags, &cluster).then_some(cluster),
        Err(error) if error.is_not_found() => {
            diags.err(
                "Database cluster not found",
                format!(
                    "`cluster_id` {cluster_id:?} names no database cluster this token can see."
                ),
                at("cluster_id"),
            );
            None
        }
        Err(error) => {
            tracing::warn!(%error, cluster = cluster_id, "cluster not readable at plan time; the engine is checked at apply");
            None
        }
    }
}

/// Runs [`check_catalogue`] with the provider's cached catalogue; a catalogue that cannot be
/// fetched in time skips the check (the API still validates at apply).
async fn check_against_catalogue(
    ctx: &RequestContext,
    diags: &mut Diagnostics,
    engine: &str,
    planned: &ReplicaModel,
    region: bool,
    size: bool,
) {
    let Some(api) = ctx.api_if_configured() else {
        return;
    };
    match deadline::within(Instant::now() + PLAN_CHECK_BUDGET, api.catalogue()).await {
        Ok(catalogue) => check_catalogue(diags, &catalogue, engine, planned, region, size),
        Err(error) => {
            tracing::warn!(%error, "options catalogue unusable; the replica's region and size are checked at apply")
        }
    }
}

/// After a failed `POST`: how to adopt a replica that already exists, or the API's answer.
async fn report_create_failure(
    diags: &mut Diagnostics,
    api: &ApiContext,
    planned: &ReplicaModel,
    error: &WaitError,
) {
    let (Some(cluster_id), Some(name)) = (text(&planned.cluster_id), text(&planned.name)) else {
        return;
    };
    if let WaitError::Api(api_error) = error {
        if api_error.kind() == ErrorKind::Invalid {
            if let Ok(Some(_)) = api.client.replicas(cluster_id).get(name).await.found() {
                diags.err(
                    "Read-only replica already exists",
                    format!(
                        "Cluster {cluster_id} already has a read-only replica named {name:?} \
                         ({api_error}). Terraform does not take over existing objects silently: \
                         import it with `terraform import <address> {}`, or choose another \
                         `name`.",
                        replica_id(cluster_id, name)
                    ),
                    at("name"),
                );
                return;
            }
        }
    }
    diags.wait_err(format!("Could not create the {}", describe(planned)), error);
}

/// Reads the primary for an apply, waiting until it is online.
async fn online_primary(
    ctx: &RequestContext,
    diags: &mut Diagnostics,
    api: &ApiContext,
    cluster_id: &str,
    doing: &str,
) -> Option<Cluster> {
    match api
        .client
        .clusters()
        .wait(
            cluster_id,
            conditions::online(),
            &api.poll,
            ctx.deadline(),
            &ctx.cancel,
        )
        .await
    {
        Ok(cluster) => Some(cluster),
        Err(error) => {
            diags.wait_err(
                format!("Database cluster {cluster_id} is not online, so {doing}"),
                &error,
            );
            None
        }
    }
}

/// Whether `replica` shows the size and storage the plan asks for.
fn shows_plan(replica: &Replica, planned: &ReplicaModel) -> bool {
    let size = match (text(&planned.size), replica.size.as_deref()) {
        (Some(wanted), Some(actual)) => same_ignoring_case(wanted, actual),
        (Some(_), None) => false,
        (None, _) => true,
    };
    let storage = match planned.storage_size_mib.as_ref_option() {
        Some(wanted) => replica.storage_size_mib == Some(*wanted),
        None => true,
    };
    size && storage
}

#[async_trait]
impl ManagedResource for DatabaseReplicaResource {
    type Model = ReplicaModel;
    const TYPE_NAME: &'static str = "dbaas_database_replica";
    const IDENTITY: &'static [&'static str] = &["cluster_id", "name"];
    const SECRETS: &'static [&'static str] = &REPLICA_SECRETS;
    const TIMEOUTS: TimeoutDefaults = TIMEOUTS;

    fn schema(&self) -> Schema {
        replica_schema()
    }

    fn timeouts(model: &ReplicaModel) -> &Value<Timeouts> {
        &model.timeouts
    }

    async fn validate(&self, diags: &mut Diagnostics, config: &ReplicaModel) {
        validate_config(diags, config);
    }

    async fn plan_create(
        &self,
        ctx: &RequestContext,
        diags: &mut Diagnostics,
        proposed: ReplicaModel,
        config: &ReplicaModel,
    ) -> Option<ReplicaModel> {
        let primary = match text(&proposed.cluster_id) {
            Some(cluster_id) => check_cluster(ctx, diags, cluster_id).await,
            None => None,
        };
        let planned = plan_new(proposed, primary.as_ref());
        if let Some(primary) = &primary {
            check_against_catalogue(
                ctx,
                diags,
                &primary.engine,
                &planned,
                config.region.is_value(),
                config.size.is_value(),
            )
            .await;
        }
        Some(planned)
    }

    async fn plan_update(
        &self,
        ctx: &RequestContext,
        diags: &mut Diagnostics,
        prior: &ReplicaModel,
        mut proposed: ReplicaModel,
        config: &ReplicaModel,
    ) -> Option<(ReplicaModel, Vec<AttributePath>)> {
        let replace = plan_existing(diags, prior, &mut proposed, config);
        if replace.is_empty() && changed_ignoring_case(&prior.size, &proposed.size) {
            if let Some(cluster_id) = text(&proposed.cluster_id) {
                if let Some(primary) = check_cluster(ctx, diags, cluster_id).await {
                    check_against_catalogue(ctx, diags, &primary.engine, &proposed, false, true)
                        .await;
                }
            }
        }
        Some((proposed, replace))
    }

    async fn create(
        &self,
        ctx: &RequestContext,
        diags: &mut Diagnostics,
        planned: ReplicaModel,
        _config: &ReplicaModel,
    ) -> Option<ReplicaModel> {
        let api = ctx.api(diags)?;
        let cluster_id = text(&planned.cluster_id)?.to_string();
        let doing = format!("the {} cannot be created", describe(&planned));
        let primary = online_primary(ctx, diags, &api, &cluster_id, &doing).await?;
        if !check_engine(diags, &primary) {
            return None;
        }
        let request = CreateReplicaRequest {
            name: text(&planned.name)?.to_string(),
            region: text(&planned.region).map(str::to_string),
            // The contract requires a size; the primary's is the smallest the API accepts.
            size: Some(text(&planned.size).unwrap_or(&primary.size).to_string()),
            storage_size_mib: planned.storage_size_mib.as_ref_option().copied(),
            private_network_uuid: text(&planned.private_network_uuid).map(str::to_string),
            tags: planned.tags.as_ref_option().map(|tags| {
                tags.iter()
                    .filter_map(|t| t.as_ref_option().cloned())
                    .collect()
            }),
        };
        let replicas = api.client.replicas(&cluster_id);
        // A primary online moments ago may still refuse replicas (412 while its first backup
        // is made): the cluster's turn retries that within the create timeout.
        let created = ctx
            .change_cluster(&api, &cluster_id, "create read-only replica", || {
                replicas.create(&request)
            })
            .await;
        let replica = match created {
            Ok(replica) => replica,
            Err(error) => {
                report_create_failure(diags, &api, &planned, &error).await;
                return None;
            }
        };
        tracing::info!(cluster = %cluster_id, replica = %request.name, "read-only replica created");
        // From here on the replica exists: every path returns it, so it is never orphaned.
        // The create answer is the reference of what follows: it may be the only one with
        // the password.
        let created = state_from_api(&cluster_id, &replica, &planned);
        let online = replicas
            .wait(
                &request.name,
                false,
                online_and(|_| true),
                &api.poll,
                ctx.deadline(),
                &ctx.cancel,
            )
            .await;
        match online {
            Ok(replica) => Some(conform_to_plan(
                state_from_api(&cluster_id, &replica, &created),
                &planned,
            )),
            Err(error) => {
                diags.wait_err(
                    format!(
                        "The {} was created but is not online yet; it is kept in state as \
                         tainted",
                        describe(&planned)
                    ),
                    &error,
                );
                Some(created)
            }
        }
    }

    async fn read(
        &self,
        ctx: &RequestContext,
        diags: &mut Diagnostics,
        state: ReplicaModel,
    ) -> Option<Option<ReplicaModel>> {
        let (Some(cluster_id), Some(name)) = (text(&state.cluster_id), text(&state.name)) else {
            return Some(Some(state));
        };
        let api = ctx.api(diags)?;
        match api.client.replicas(cluster_id).get(name).await.found() {
            Ok(Some(replica)) => Some(Some(state_from_api(cluster_id, &replica, &state))),
            Ok(None) => {
                tracing::info!(
                    cluster = cluster_id,
                    replica = name,
                    "read-only replica is gone; removing it from state"
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
        prior: ReplicaModel,
        planned: ReplicaModel,
        _config: &ReplicaModel,
    ) -> Option<ReplicaModel> {
        if !resizes(&prior, &planned) {
            return Some(planned);
        }
        let api = ctx.api(diags)?;
        let cluster_id = text(&prior.cluster_id)?.to_string();
        let name = text(&prior.name)?.to_string();
        let replicas = api.client.replicas(&cluster_id);
        let replica_uuid = match text(&prior.uuid) {
            Some(uuid) => uuid.to_string(),
            None => match replicas.get(&name).await {
                Ok(replica) if !replica.id.is_empty() => replica.id,
                Ok(_) => {
                    diags.root_err(
                        "Cannot resize the replica",
                        format!(
                            "The API reports no UUID for the {}, which a resize needs.",
                            describe(&prior)
                        ),
                    );
                    return None;
                }
                Err(error) => {
                    diags.api_err(format!("Could not read the {}", describe(&prior)), &error);
                    return None;
                }
            },
        };
        let request = ResizeRequest {
            size: text(&planned.size).or(text(&prior.size))?.to_string(),
            num_nodes: 1,
            storage_size_mib: planned.storage_size_mib.as_ref_option().copied(),
        };
        let resized = ctx
            .change_cluster(&api, &replica_uuid, "resize read-only replica", || {
                replicas.resize(&replica_uuid, &request)
            })
            .await;
        let outcome = match resized {
            Ok(()) => replicas
                .wait(
                    &name,
                    false,
                    online_and(|replica| shows_plan(replica, &planned)),
                    &api.poll,
                    ctx.deadline(),
                    &ctx.cancel,
                )
                .await
                .map(|_| ()),
            Err(error) => Err(error),
        };
        if let Err(error) = &outcome {
            diags.wait_err(format!("Could not resize the {}", describe(&prior)), error);
        }

        // After a failure the state must say what is true now, so the reference is the prior
        // state; after success it is the plan.
        let reference = if outcome.is_ok() { &planned } else { &prior };
        match replicas.get(&name).await.found() {
            Ok(Some(replica)) => {
                let state = state_from_api(&cluster_id, &replica, reference);
                Some(if outcome.is_ok() {
                    conform_to_plan(state, &planned)
                } else {
                    state
                })
            }
            Ok(None) => {
                diags.root_err(
                    "Read-only replica disappeared",
                    format!("The {} was not found after the resize.", describe(&prior)),
                );
                None
            }
            Err(error) => {
                diags.api_err(
                    format!("Could not read the {} back", describe(&prior)),
                    &error,
                );
                Some(prior)
            }
        }
    }

    async fn delete(
        &self,
        ctx: &RequestContext,
        diags: &mut Diagnostics,
        prior: ReplicaModel,
    ) -> Option<()> {
        let api = ctx.api(diags)?;
        let cluster_id = text(&prior.cluster_id)?.to_string();
        let name = text(&prior.name)?.to_string();
        let replicas = api.client.replicas(&cluster_id);
        let deleted = ctx
            .change_cluster(&api, &cluster_id, "delete read-only replica", || async {
                match replicas.delete(&name).await {
                    Err(error) if error.is_not_found() => Ok(()),
                    other => other,
                }
            })
            .await;
        if let Err(error) = deleted {
            diags.wait_err(format!("Could not delete the {}", describe(&prior)), &error);
            return None;
        }
        // A replacement with the same name must not collide with the replica being removed.
        let gone = replicas
            .wait(
                &name,
                true,
                conditions::gone(),
                &api.poll,
                ctx.deadline(),
                &ctx.cancel,
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
    ) -> Option<ReplicaModel> {
        let (cluster_id, name) = match import::parse_cluster_child(id, "replica") {
            Ok(parts) => parts,
            Err(message) => {
                diags.root_err("Invalid import ID", message);
                return None;
            }
        };
        let api = ctx.api(diags)?;
        match api.client.replicas(&cluster_id).get(&name).await.found() {
            Ok(Some(replica)) => Some(state_from_api(
                &cluster_id,
                &replica,
                &ReplicaModel::default(),
            )),
            Ok(None) => {
                diags.root_err(
                    "Cannot import a read-only replica that does not exist",
                    format!(
                        "Cluster {cluster_id} has no read-only replica named {name:?} (or the \
                         cluster does not exist for this token)."
                    ),
                );
                None
            }
            Err(error) => {
                diags.api_err(
                    format!("Could not read replica {name:?} of cluster {cluster_id}"),
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
    ) -> Option<ReplicaModel> {
        let source = moved::source_state(diags, request, Self::TYPE_NAME)?;
        moved_from_digitalocean(diags, &source)
    }
}

/// A `digitalocean_database_replica` (schema version 0) as this resource's state: the same
/// attributes; DigitalOcean's ID `<cluster_id>/replicas/<name>` becomes `<cluster_id>,<name>`,
/// its string `storage_size_mib` a number, and an empty tag set null (DigitalOcean stores `[]`
/// for no tags, which a configuration without `tags` plans as null).
pub fn moved_from_digitalocean(
    diags: &mut Diagnostics,
    source: &SourceState,
) -> Option<ReplicaModel> {
    const SOURCE: &str = "digitalocean_database_replica";
    let cluster_id = moved::required(diags, source, SOURCE, "cluster_id")?;
    let name = moved::required(diags, source, SOURCE, "name")?;
    let tags = match source.strings("tags") {
        Some(tags) if !tags.is_empty() => {
            Value::Value(tags.into_iter().map(Value::Value).collect())
        }
        _ => Value::Null,
    };
    Some(ReplicaModel {
        id: Value::Value(replica_id(&cluster_id, &name)),
        cluster_id: Value::Value(cluster_id),
        name: Value::Value(name),
        uuid: source.string("uuid"),
        region: source.string("region"),
        size: source.string("size"),
        storage_size_mib: source.int("storage_size_mib"),
        private_network_uuid: source.string("private_network_uuid"),
        tags,
        host: source.string("host"),
        port: source.int("port"),
        database: source.string("database"),
        user: source.string("user"),
        password: source.string("password"),
        uri: source.string("uri"),
        private_host: source.string("private_host"),
        private_uri: source.string("private_uri"),
        timeouts: source.timeouts(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::models::{EngineOptions, Layout};
    use serde_json::json;

    const CLUSTER: &str = "9cc10173-e9ea-4176-9dbc-a4cee4c4ff30";
    const VPC: &str = "9423cbad-9211-442f-820b-ef6915e99b5f";

    fn s(text: &str) -> Value<String> {
        Value::Value(text.to_string())
    }

    fn tags(names: &[&str]) -> Value<BTreeSet<Value<String>>> {
        Value::Value(names.iter().map(|n| s(n)).collect())
    }

    fn configured() -> ReplicaModel {
        ReplicaModel {
            cluster_id: s(CLUSTER),
            name: s("read-1"),
            ..ReplicaModel::default()
        }
    }

    fn primary(engine: &str) -> Cluster {
        Cluster {
            id: CLUSTER.into(),
            name: "main".into(),
            engine: engine.into(),
            region: "NYC1".into(),
            size: "db-s-1vcpu-2gb".into(),
            ..Cluster::default()
        }
    }

    fn connection(host: &str, password: Option<&str>) -> Connection {
        Connection {
            uri: Some(format!(
                "postgresql://doadmin@{host}:25060/defaultdb?sslmode=require"
            )),
            database: Some("defaultdb".into()),
            host: Some(host.into()),
            port: Some(25060),
            user: Some("doadmin".into()),
            password: password.map(str::to_string),
            ssl: Some(true),
        }
    }

    fn api_replica(password: Option<&str>) -> Replica {
        Replica {
            id: "5d3b1c5a-8d4a-4a41-9c55-3b6a1f3d2e10".into(),
            name: "read-1".into(),
            region: Some("nyc1".into()),
            size: Some("db-s-1vcpu-2gb".into()),
            status: Some("online".into()),
            tags: Some(vec!["prod".into()]),
            private_network_uuid: Some(VPC.into()),
            connection: Some(connection("read-1.db", password)),
            private_connection: Some(connection("private-read-1.db", password)),
            storage_size_mib: Some(30720),
            ..Replica::default()
        }
    }

    fn existing() -> ReplicaModel {
        state_from_api(CLUSTER, &api_replica(Some("pw")), &configured())
    }

    fn errors_for(config: &ReplicaModel) -> Vec<String> {
        let mut diags = Diagnostics::default();
        validate_config(&mut diags, config);
        diags
            .errors
            .iter()
            .map(|e| validate::path_name(&e.attribute))
            .collect()
    }

    #[test]
    fn bad_inputs_fail_naming_the_attribute_and_unknowns_pass() {
        assert!(errors_for(&configured()).is_empty());
        for (attribute, config) in [
            (
                "name",
                ReplicaModel {
                    name: s("Read_1"),
                    ..configured()
                },
            ),
            (
                "name",
                ReplicaModel {
                    name: s("r"),
                    ..configured()
                },
            ),
            (
                "name",
                ReplicaModel {
                    name: s("a,b"),
                    ..configured()
                },
            ),
            (
                "cluster_id",
                ReplicaModel {
                    cluster_id: s("x"),
                    ..configured()
                },
            ),
            (
                "region",
                ReplicaModel {
                    region: s(" "),
                    ..configured()
                },
            ),
            (
                "size",
                ReplicaModel {
                    size: s(""),
                    ..configured()
                },
            ),
            (
                "storage_size_mib",
                ReplicaModel {
                    storage_size_mib: Value::Value(10),
                    ..configured()
                },
            ),
            (
                "private_network_uuid",
                ReplicaModel {
                    private_network_uuid: s("vpc-1"),
                    ..configured()
                },
            ),
            (
                "tags",
                ReplicaModel {
                    tags: tags(&["no spaces"]),
                    ..configured()
                },
            ),
        ] {
            assert_eq!(
                errors_for(&config),
                vec![attribute.to_string()],
                "{attribute}"
            );
        }
        assert!(errors_for(&ReplicaModel {
            cluster_id: Value::Unknown,
            name: Value::Unknown,
            size: Value::Unknown,
            tags: Value::Unknown,
            ..ReplicaModel::default()
        })
        .is_empty());
    }

    #[test]
    fn only_postgres_and_mysql_clusters_have_replicas() {
        let mut diags = Diagnostics::default();
        for engine in ENGINES_WITH_REPLICAS {
            assert!(check_engine(&mut diags, &primary(engine)), "{engine}");
        }
        for engine in ["redis", "valkey", "kafka", "mongodb", "opensearch"] {
            assert!(!check_engine(&mut diags, &primary(engine)), "{engine}");
        }
        assert_eq!(diags.errors.len(), 5);
        assert!(diags.errors.iter().all(|e| e.attribute == at("cluster_id")));
        assert!(diags.errors[0].detail.contains(CLUSTER));
    }

    #[test]
    fn the_catalogue_check_names_region_and_size_and_lists_the_choices() {
        let catalogue = Options {
            options: [(
                "pg".to_string(),
                EngineOptions {
                    regions: vec!["nyc1".into(), "ams3".into()],
                    layouts: vec![
                        Layout {
                            num_nodes: 1,
                            sizes: vec!["db-s-1vcpu-2gb".into()],
                        },
                        Layout {
                            num_nodes: 2,
                            sizes: vec!["db-s-2vcpu-4gb".into()],
                        },
                    ],
                    ..EngineOptions::default()
                },
            )]
            .into_iter()
            .collect(),
            ..Options::default()
        };
        let planned = ReplicaModel {
            region: s("mars1"),
            size: s("db-s-2vcpu-4gb"),
            ..configured()
        };
        let mut diags = Diagnostics::default();
        check_catalogue(&mut diags, &catalogue, "pg", &planned, true, true);
        let found: Vec<_> = diags
            .errors
            .iter()
            .map(|e| (e.attribute.clone(), e.detail.clone()))
            .collect();
        assert_eq!(found.len(), 2, "{found:?}");
        assert_eq!(found[0].0, at("region"));
        assert!(found[0].1.contains("nyc1, ams3"), "{}", found[0].1);
        assert_eq!(found[1].0, at("size"));
        assert!(found[1].1.contains("db-s-1vcpu-2gb"), "{}", found[1].1);
        let mut diags = Diagnostics::default();
        let fine = ReplicaModel {
            region: s("NYC1"),
            size: s("db-s-1vcpu-2gb"),
            ..configured()
        };
        check_catalogue(&mut diags, &catalogue, "pg", &fine, true, true);
        check_catalogue(&mut diags, &catalogue, "pg", &planned, false, false);
        assert!(diags.errors.is_empty());
    }

    #[test]
    fn a_new_replica_knows_its_id_and_takes_the_primarys_region_and_size() {
        let planned = plan_new(configured(), Some(&primary("pg")));
        assert_eq!(planned.id, s(&format!("{CLUSTER},read-1")));
        assert_eq!(planned.region, s("nyc1"));
        assert_eq!(planned.size, s("db-s-1vcpu-2gb"));
        for value in [
            &planned.uuid,
            &planned.host,
            &planned.password,
            &planned.uri,
        ] {
            assert!(value.is_unknown());
        }
        assert!(planned.storage_size_mib.is_unknown());
        assert!(planned.private_network_uuid.is_unknown());
        assert!(planned.port.is_unknown());
        assert_eq!(planned.tags, Value::Null);

        let unknown_primary = plan_new(
            ReplicaModel {
                cluster_id: Value::Unknown,
                size: s("db-s-2vcpu-4gb"),
                ..configured()
            },
            None,
        );
        assert!(unknown_primary.id.is_unknown());
        assert!(unknown_primary.region.is_unknown());
        assert_eq!(unknown_primary.size, s("db-s-2vcpu-4gb"));
    }

    #[test]
    fn identity_region_network_and_tags_replace_the_rest_resizes_in_place() {
        let prior = existing();
        let replaced = |planned: ReplicaModel| {
            let mut planned = planned;
            let mut diags = Diagnostics::default();
            let config = planned.clone();
            let paths = plan_existing(&mut diags, &prior, &mut planned, &config);
            assert!(diags.errors.is_empty());
            paths
        };
        assert_eq!(
            replaced(ReplicaModel {
                name: s("read-2"),
                ..prior.clone()
            }),
            vec![at("name")]
        );
        assert_eq!(
            replaced(ReplicaModel {
                cluster_id: Value::Unknown,
                ..prior.clone()
            }),
            vec![at("cluster_id")]
        );
        assert_eq!(
            replaced(ReplicaModel {
                region: s("ams3"),
                ..prior.clone()
            }),
            vec![at("region")]
        );
        assert_eq!(
            replaced(ReplicaModel {
                private_network_uuid: s(CLUSTER),
                ..prior.clone()
            }),
            vec![at("private_network_uuid")]
        );
        assert_eq!(
            replaced(ReplicaModel {
                tags: tags(&["prod", "new"]),
                ..prior.clone()
            }),
            vec![at("tags")]
        );
        // Case and spelling are no change.
        assert!(replaced(ReplicaModel {
            tags: tags(&["PROD"]),
            region: s("NYC1"),
            ..prior.clone()
        })
        .is_empty());
        assert!(replaced(ReplicaModel {
            cluster_id: s(&CLUSTER.to_uppercase()),
            ..prior.clone()
        })
        .is_empty());

        // A resize keeps the connection known; storage becomes unknown unless configured.
        let mut planned = ReplicaModel {
            size: s("db-s-2vcpu-4gb"),
            ..prior.clone()
        };
        let config = ReplicaModel {
            storage_size_mib: Value::Null,
            ..planned.clone()
        };
        let mut diags = Diagnostics::default();
        assert!(plan_existing(&mut diags, &prior, &mut planned, &config).is_empty());
        assert!(planned.storage_size_mib.is_unknown());
        assert_eq!(planned.host, prior.host);
        assert_eq!(planned.uri, prior.uri);
        assert!(resizes(&prior, &planned));
        assert!(!resizes(&prior, &prior.clone()));
    }

    #[test]
    fn storage_cannot_shrink() {
        let prior = existing();
        let mut planned = ReplicaModel {
            storage_size_mib: Value::Value(20480),
            ..prior.clone()
        };
        let config = planned.clone();
        let mut diags = Diagnostics::default();
        assert!(plan_existing(&mut diags, &prior, &mut planned, &config).is_empty());
        assert_eq!(diags.errors.len(), 1);
        assert_eq!(diags.errors[0].attribute, at("storage_size_mib"));
        assert!(
            diags.errors[0].detail.contains("30720"),
            "{}",
            diags.errors[0].detail
        );

        let mut grown = ReplicaModel {
            storage_size_mib: Value::Value(40960),
            ..prior.clone()
        };
        let config = grown.clone();
        let mut diags = Diagnostics::default();
        assert!(plan_existing(&mut diags, &prior, &mut grown, &config).is_empty());
        assert!(diags.errors.is_empty());
        assert!(resizes(&prior, &grown));
    }

    #[test]
    fn the_state_reads_back_with_the_references_spelling_and_the_password_in_the_uris() {
        let reference = ReplicaModel {
            cluster_id: s(&CLUSTER.to_uppercase()),
            region: s("NYC1"),
            tags: tags(&["Prod"]),
            ..configured()
        };
        let state = state_from_api(CLUSTER, &api_replica(Some("pw")), &reference);
        assert_eq!(state.id, s(&format!("{},read-1", CLUSTER.to_uppercase())));
        assert_eq!(state.region, s("NYC1"));
        assert_eq!(state.tags, tags(&["Prod"]));
        assert_eq!(state.uuid, s("5d3b1c5a-8d4a-4a41-9c55-3b6a1f3d2e10"));
        assert_eq!(state.storage_size_mib, Value::Value(30720));
        assert_eq!(state.port, Value::Value(25060));
        assert_eq!(state.password, s("pw"));
        assert_eq!(
            state.uri,
            s("postgresql://doadmin:pw@read-1.db:25060/defaultdb?sslmode=require")
        );
        assert_eq!(state.private_host, s("private-read-1.db"));
        let untagged = Replica {
            tags: Some(vec![]),
            ..api_replica(None)
        };
        assert_eq!(
            state_from_api(CLUSTER, &untagged, &configured()).tags,
            Value::Null
        );
        let empty = ReplicaModel {
            tags: Value::Value(BTreeSet::new()),
            ..configured()
        };
        assert_eq!(
            state_from_api(CLUSTER, &untagged, &empty).tags,
            Value::Value(BTreeSet::new())
        );
    }

    #[test]
    fn a_password_the_api_stops_returning_is_kept() {
        let prior = existing();
        let mut silent = api_replica(None);
        for connection in [&mut silent.connection, &mut silent.private_connection]
            .into_iter()
            .flatten()
        {
            connection.uri = Some(String::new());
        }
        let state = state_from_api(CLUSTER, &silent, &prior);
        assert_eq!(state.password, s("pw"));
        assert_eq!(state.uri, prior.uri);
        assert_eq!(state.private_uri, prior.private_uri);
        // A URI without the password gets the kept one.
        let state = state_from_api(CLUSTER, &api_replica(None), &prior);
        assert_eq!(state.uri, prior.uri);
        assert!(text(&state.uri).unwrap().contains(":pw@"));
    }

    #[test]
    fn an_apply_returns_the_plan_with_what_it_left_unknown() {
        let planned = plan_new(
            ReplicaModel {
                region: s("NYC1"),
                ..configured()
            },
            Some(&primary("pg")),
        );
        let state = conform_to_plan(
            state_from_api(CLUSTER, &api_replica(Some("pw")), &planned),
            &planned,
        );
        assert_eq!(state.region, s("NYC1"));
        assert_eq!(state.size, s("db-s-1vcpu-2gb"));
        assert_eq!(state.storage_size_mib, Value::Value(30720));
        assert_eq!(state.password, s("pw"));
        assert_eq!(state.tags, Value::Null, "the plan had no tags");
        assert!(!format!("{state:?}").contains("Unknown"), "{state:?}");
    }

    #[test]
    fn a_resize_is_done_when_the_replica_shows_the_plan() {
        let planned = ReplicaModel {
            size: s("db-s-2vcpu-4gb"),
            storage_size_mib: Value::Unknown,
            ..existing()
        };
        assert!(!shows_plan(&api_replica(None), &planned));
        let resized = Replica {
            size: Some("DB-S-2VCPU-4GB".into()),
            ..api_replica(None)
        };
        assert!(shows_plan(&resized, &planned));
        let grown = ReplicaModel {
            storage_size_mib: Value::Value(40960),
            ..existing()
        };
        assert!(!shows_plan(&api_replica(None), &grown));
    }

    #[test]
    fn a_digitalocean_replica_moves() {
        let mut diags = Diagnostics::default();
        let state = moved_from_digitalocean(
            &mut diags,
            &SourceState::from_json(json!({
                "id": format!("{CLUSTER}/replicas/read-1"),
                "cluster_id": CLUSTER,
                "name": "read-1",
                "uuid": "5d3b1c5a-8d4a-4a41-9c55-3b6a1f3d2e10",
                "region": "nyc1",
                "size": "db-s-1vcpu-2gb",
                "storage_size_mib": "30720",
                "private_network_uuid": VPC,
                "tags": [],
                "host": "read-1.db",
                "port": 25060,
                "database": "defaultdb",
                "user": "doadmin",
                "password": "pw",
                "uri": "postgresql://doadmin:pw@read-1.db:25060/defaultdb?sslmode=require",
                "private_host": "private-read-1.db",
                "private_uri": "postgresql://doadmin:pw@private-read-1.db:25060/defaultdb?sslmode=require"
            })),
        )
        .unwrap();
        assert_eq!(state.id, s(&format!("{CLUSTER},read-1")));
        assert_eq!(state.storage_size_mib, Value::Value(30720));
        assert_eq!(state.tags, Value::Null);
        assert_eq!(state.port, Value::Value(25060));
        assert_eq!(state.timeouts, Value::Null);
        assert_eq!(state, existing_moved_shape(&state));
        assert!(
            moved_from_digitalocean(&mut diags, &SourceState::from_json(json!({"name": "x"})))
                .is_none()
        );
        assert!(format!("{diags:?}").contains("has no `cluster_id`"));
    }

    /// The moved state equals what a read of the same replica would store.
    fn existing_moved_shape(moved: &ReplicaModel) -> ReplicaModel {
        let mut read = state_from_api(CLUSTER, &api_replica(Some("pw")), moved);
        read.tags = Value::Null;
        read
    }

    #[test]
    fn the_schema_matches_the_model_and_marks_secrets() {
        let schema = replica_schema();
        let (mut attributes, fields) =
            crate::resources::schema_util::attribute_and_field_names::<ReplicaModel>(&schema);
        attributes.push("timeouts".into());
        attributes.sort();
        assert_eq!(attributes, fields);
        for secret in REPLICA_SECRETS {
            assert!(schema.block.attributes[secret].sensitive, "{secret}");
        }
        for name in DatabaseReplicaResource::IDENTITY {
            assert_eq!(
                schema.block.attributes[*name].constraint,
                crate::plugin::schema::AttributeConstraint::Required,
                "{name}"
            );
        }
    }
}
