//! `dbaas_database_cluster`: a managed database cluster.
//!
//! Only identity forces replacement (`name`, `engine`, and the create-only
//! `private_network_uuid`, `project_id`, `backup_restore`); everything the API can change in
//! place is changed in place, in a fixed order (resize, migrate, upgrade, then settings), waiting
//! for the cluster to be `online` after each long-running step. Reads fetch every attribute,
//! including the ones behind their own endpoints, so import and drift detection are complete.

use std::cmp::Ordering;
use std::collections::BTreeSet;
use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::api::models::{
    Autoscale, BackupRestore, Cluster, Connection, CreateClusterRequest, MaintenanceWindowRequest,
    MigrateRequest, Options, ResizeRequest, StorageAutoscale, TagResource,
};
use crate::api::wait::conditions;
use crate::api::{deadline, ApiError, Client, ErrorKind, Found};
use crate::framework::attr as at;
use crate::framework::context::{ApiContext, RequestContext};
use crate::framework::diag::DiagExt;
use crate::framework::normalize::{
    canonical_hour, compare_versions, parse_hour, same_engine, same_hour, same_ignoring_case,
    same_sql_mode, WEEKDAYS,
};
use crate::framework::resource::ManagedResource;
use crate::framework::timeouts::{
    timeouts_block, validate_timeouts, TimeoutDefaults, TimeoutWording, Timeouts,
};
use crate::framework::validate;
use crate::framework::values::{known, settled, text};
use crate::framework::{import, plan};
use crate::map;
use crate::plugin::schema::{AttributeType, Block, Description, NestedBlock, Schema};
use crate::plugin::service::MoveRequest;
use crate::plugin::value::{self, Value};
use crate::plugin::{json, AttributePath, Diagnostics, Dynamic};

use super::moved::{self, SourceState};
use super::schema_util::{computed, optional, optional_computed, required, sensitive};

/// Engines of the contract, in the API's spelling.
pub const ENGINES: [&str; 9] = [
    "pg",
    "mysql",
    "redis",
    "valkey",
    "mongodb",
    "kafka",
    "opensearch",
    "advanced_pg",
    "advanced_mysql",
];
pub const EVICTION_POLICIES: [&str; 6] = [
    "noeviction",
    "allkeys_lru",
    "allkeys_random",
    "volatile_lru",
    "volatile_random",
    "volatile_ttl",
];

const TIMEOUT_WORDING: TimeoutWording = TimeoutWording {
    create: "How long to wait for the cluster to be created and online",
    update: "How long to wait for an update (resize, migration, upgrade) to finish",
    delete: "How long to wait for the cluster to be gone",
    block: "Time limits for the slow operations of this resource.",
};

/// The attributes `secrets_in_state = false` keeps out of state: the admin password and every
/// URI that carries a password.
pub const CLUSTER_SECRETS: [&str; 5] = ["password", "uri", "private_uri", "ui_password", "ui_uri"];

const TIMEOUTS: TimeoutDefaults = TimeoutDefaults {
    create: Duration::from_secs(60 * 60),
    update: Duration::from_secs(60 * 60),
    delete: Duration::from_secs(30 * 60),
};

fn supports_eviction_policy(engine: &str) -> bool {
    matches!(engine.to_ascii_lowercase().as_str(), "redis" | "valkey")
}

fn supports_sql_mode(engine: &str) -> bool {
    matches!(
        engine.to_ascii_lowercase().as_str(),
        "mysql" | "advanced_mysql"
    )
}

/// The node counts an engine allows at all (the catalogue narrows them per size).
fn node_count_range(engine: Option<&str>) -> (i64, i64) {
    match engine {
        Some("kafka") => (3, 15),
        Some("opensearch") => (1, 15),
        _ => (1, 3),
    }
}

// ---------------------------------------------------------------------------------------------
// Model
// ---------------------------------------------------------------------------------------------

/// The `maintenance_window` block.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MaintenanceWindowValue {
    pub day: Value<String>,
    pub hour: Value<String>,
}

/// The `backup_restore` block.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackupRestoreBlock {
    pub database_name: Value<String>,
    pub backup_created_at: Value<String>,
}

/// The `storage_autoscale` block.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StorageAutoscaleBlock {
    pub enabled: Value<bool>,
    pub threshold_percent: Value<i64>,
    pub increment_gib: Value<i64>,
}

/// The resource's state, field for field as in the schema.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ClusterModel {
    pub id: Value<String>,
    pub name: Value<String>,
    pub engine: Value<String>,
    pub version: Value<String>,
    pub size: Value<String>,
    pub region: Value<String>,
    pub node_count: Value<i64>,
    pub tags: Value<BTreeSet<Value<String>>>,
    pub private_network_uuid: Value<String>,
    pub project_id: Value<String>,
    #[serde(with = "value::serde_as_vec")]
    pub maintenance_window: Value<MaintenanceWindowValue>,
    pub eviction_policy: Value<String>,
    pub sql_mode: Value<String>,
    pub storage_size_mib: Value<i64>,
    pub deletion_protection: Value<bool>,
    #[serde(with = "value::serde_as_vec")]
    pub backup_restore: Value<BackupRestoreBlock>,
    #[serde(with = "value::serde_as_vec")]
    pub storage_autoscale: Value<StorageAutoscaleBlock>,
    pub urn: Value<String>,
    pub host: Value<String>,
    pub port: Value<i64>,
    pub uri: Value<String>,
    pub database: Value<String>,
    pub user: Value<String>,
    pub password: Value<String>,
    pub private_host: Value<String>,
    pub private_uri: Value<String>,
    pub ui_host: Value<String>,
    pub ui_port: Value<i64>,
    pub ui_uri: Value<String>,
    pub ui_database: Value<String>,
    pub ui_user: Value<String>,
    pub ui_password: Value<String>,
    pub metrics_endpoints: Value<Vec<Value<String>>>,
    #[serde(with = "value::serde_as_vec")]
    pub timeouts: Value<Timeouts>,
}

/// Everything a read gathers about a cluster: the cluster object and the settings that live
/// behind their own endpoints.
#[derive(Debug, Clone)]
pub struct ClusterView {
    pub cluster: Cluster,
    pub eviction_policy: Option<String>,
    pub sql_mode: Option<String>,
    /// `None` when the engine has no storage autoscaling.
    pub autoscale: Option<StorageAutoscale>,
}

/// Puts `password` into a connection URI that names its user but lacks the password (the API
/// leaves it out of some answers); other URIs are returned unchanged.
pub fn uri_with_password(uri: &str, password: Option<&str>) -> String {
    let Some(password) = password.filter(|p| !p.is_empty()) else {
        return uri.to_string();
    };
    match url::Url::parse(uri) {
        Ok(mut parsed) if !parsed.username().is_empty() && parsed.password().is_none() => {
            if parsed.set_password(Some(password)).is_ok() {
                parsed.to_string()
            } else {
                uri.to_string()
            }
        }
        _ => uri.to_string(),
    }
}

/// The password the API gave for this connection, if any: the connection's own, else the
/// matching user's.
fn connection_password(cluster: &Cluster, connection: Option<&Connection>) -> Option<String> {
    let connection = connection?;
    if let Some(password) = connection.password.as_ref().filter(|p| !p.is_empty()) {
        return Some(password.clone());
    }
    let user = connection.user.as_deref()?;
    cluster
        .users
        .iter()
        .flatten()
        .find(|candidate| candidate.name == user)
        .and_then(|candidate| candidate.password.clone())
        .filter(|p| !p.is_empty())
}

fn reconcile_text(
    api: Option<&str>,
    reference: &Value<String>,
    same: impl Fn(&str, &str) -> bool,
) -> Value<String> {
    match (api, reference) {
        (Some(api), Value::Value(reference)) if same(api, reference) => {
            Value::Value(reference.clone())
        }
        (Some(api), _) => Value::Value(api.to_string()),
        (None, reference) => settled(reference),
    }
}

/// Builds the state from what the API says, keeping the reference's spelling wherever the API's
/// value is equivalent. `reference` is the plan (after create/update), the prior state (read),
/// or empty (import).
pub fn state_from_api(view: &ClusterView, reference: &ClusterModel) -> ClusterModel {
    let cluster = &view.cluster;
    let engine = reconcile_text(Some(&cluster.engine), &reference.engine, same_engine);
    let engine_name = text(&engine).unwrap_or(&cluster.engine).to_string();

    let version = match (cluster.version.as_deref(), &reference.version) {
        (Some(api), Value::Value(wanted)) if api == wanted => Value::Value(wanted.clone()),
        // A Redis cluster that DigitalOcean moved to Valkey also moved to a newer version; that
        // is the provider's doing, not the practitioner's, so the configured version stays.
        (Some(api), Value::Value(wanted))
            if cluster.engine.eq_ignore_ascii_case("valkey")
                && reference
                    .engine
                    .as_ref_option()
                    .is_some_and(|e| e.eq_ignore_ascii_case("redis"))
                && compare_versions(api, wanted) == Some(Ordering::Greater) =>
        {
            Value::Value(wanted.clone())
        }
        (Some(api), _) => Value::Value(api.to_string()),
        (None, reference) => settled(reference),
    };

    let tags = {
        let api_tags: Vec<&String> = cluster.tags.iter().flatten().collect();
        if api_tags.is_empty() {
            match &reference.tags {
                Value::Value(set) if set.is_empty() => Value::Value(BTreeSet::new()),
                _ => Value::Null,
            }
        } else {
            let reference_tags: Vec<&String> = reference
                .tags
                .iter()
                .flatten()
                .filter_map(|t| t.as_ref_option())
                .collect();
            Value::Value(
                api_tags
                    .into_iter()
                    .map(|tag| {
                        let spelled = reference_tags
                            .iter()
                            .find(|candidate| same_ignoring_case(candidate, tag))
                            .map_or(tag, |candidate| *candidate);
                        Value::Value(spelled.clone())
                    })
                    .collect(),
            )
        }
    };

    // The API always has a window, but the state holds one only where the reference does
    // (the configuration manages it); an unknown reference asks for the API's.
    let maintenance_window = match (&cluster.maintenance_window, &reference.maintenance_window) {
        (_, Value::Null) => Value::Null,
        (Some(api), Value::Value(wanted))
            if text(&wanted.day).is_some_and(|day| same_ignoring_case(day, &api.day))
                && text(&wanted.hour).is_some_and(|hour| same_hour(hour, &api.hour)) =>
        {
            Value::Value(wanted.clone())
        }
        (Some(api), _) => Value::Value(MaintenanceWindowValue {
            day: Value::Value(api.day.to_ascii_lowercase()),
            hour: Value::Value(canonical_hour(&api.hour)),
        }),
        (None, reference) => settled(reference).map(|window| MaintenanceWindowValue {
            day: settled(&window.day),
            hour: settled(&window.hour),
        }),
    };

    let eviction_policy = if supports_eviction_policy(&engine_name) {
        reconcile_text(
            view.eviction_policy.as_deref(),
            &reference.eviction_policy,
            |a, b| a == b,
        )
    } else {
        Value::Null
    };
    let sql_mode = if supports_sql_mode(&engine_name) {
        reconcile_text(view.sql_mode.as_deref(), &reference.sql_mode, same_sql_mode)
    } else {
        Value::Null
    };

    let autoscale_enabled = view.autoscale.as_ref().is_some_and(|a| a.enabled);
    let storage_size_mib = match (cluster.storage_size_mib, &reference.storage_size_mib) {
        // With autoscaling on, the configured size is a floor the cluster may grow past.
        (Some(api), Value::Value(floor)) if autoscale_enabled && api >= *floor => {
            Value::Value(*floor)
        }
        (Some(api), _) => Value::Value(api),
        (None, reference) => settled(reference),
    };

    let storage_autoscale = match (&view.autoscale, &reference.storage_autoscale) {
        (Some(api), reference_block) if api.enabled || reference_block.is_value() => {
            let prior = reference_block.as_ref_option();
            let pick = |api: Option<i64>, prior: Option<&Value<i64>>| match api {
                Some(v) => Value::Value(v),
                None => prior.map_or(Value::Null, settled),
            };
            Value::Value(StorageAutoscaleBlock {
                enabled: Value::Value(api.enabled),
                threshold_percent: pick(api.threshold_percent, prior.map(|p| &p.threshold_percent)),
                increment_gib: pick(api.increment_gib, prior.map(|p| &p.increment_gib)),
            })
        }
        (Some(_), _) => Value::Null,
        (None, Value::Value(block)) => Value::Value(StorageAutoscaleBlock {
            enabled: settled(&block.enabled),
            threshold_percent: settled(&block.threshold_percent),
            increment_gib: settled(&block.increment_gib),
        }),
        (None, _) => Value::Null,
    };

    let password = known(connection_password(cluster, cluster.connection.as_ref()))
        .or(settled(&reference.password));
    let secret_owned = password.as_ref_option().cloned();
    let secret = secret_owned.as_deref();
    let uri_of = |connection: Option<&Connection>, reference: &Value<String>| match connection
        .and_then(|c| c.uri.as_deref())
    {
        Some(uri) => Value::Value(uri_with_password(uri, secret)),
        None => settled(reference),
    };
    let connection = cluster.connection.as_ref();
    let private = cluster.private_connection.as_ref();
    let ui = cluster.ui_connection.as_ref();
    let ui_password = known(connection_password(cluster, ui)).or(if ui.is_some() {
        settled(&reference.ui_password)
    } else {
        Value::Null
    });
    let ui_uri = match ui.and_then(|c| c.uri.as_deref()) {
        Some(uri) => Value::Value(uri_with_password(uri, text(&ui_password))),
        None => Value::Null,
    };

    let id = cluster.id.clone();
    ClusterModel {
        urn: Value::Value(format!("do:dbaas:{id}")),
        id: Value::Value(id),
        name: Value::Value(cluster.name.clone()),
        engine,
        version,
        size: reconcile_text(Some(&cluster.size), &reference.size, same_ignoring_case),
        region: reconcile_text(Some(&cluster.region), &reference.region, same_ignoring_case),
        node_count: Value::Value(cluster.num_nodes),
        tags,
        private_network_uuid: reconcile_text(
            cluster
                .private_network_uuid
                .as_deref()
                .filter(|u| !u.is_empty()),
            &reference.private_network_uuid,
            same_ignoring_case,
        ),
        project_id: reconcile_text(
            cluster.project_id.as_deref().filter(|p| !p.is_empty()),
            &reference.project_id,
            same_ignoring_case,
        ),
        maintenance_window,
        eviction_policy,
        sql_mode,
        storage_size_mib,
        backup_restore: settled(&reference.backup_restore),
        deletion_protection: settled(&reference.deletion_protection),
        storage_autoscale,
        host: known(connection.and_then(|c| c.host.clone())),
        port: known(connection.and_then(|c| c.port)),
        uri: uri_of(connection, &reference.uri),
        database: known(connection.and_then(|c| c.database.clone())),
        user: known(connection.and_then(|c| c.user.clone())),
        password,
        private_host: known(private.and_then(|c| c.host.clone())),
        private_uri: match private.and_then(|c| c.uri.as_deref()) {
            Some(uri) => Value::Value(uri_with_password(uri, secret)),
            None => Value::Null,
        },
        ui_host: known(ui.and_then(|c| c.host.clone())),
        ui_port: known(ui.and_then(|c| c.port)),
        ui_uri,
        ui_database: known(ui.and_then(|c| c.database.clone())),
        ui_user: known(ui.and_then(|c| c.user.clone())),
        ui_password,
        metrics_endpoints: Value::Value(
            cluster
                .metrics_endpoints
                .iter()
                .flatten()
                .filter_map(|endpoint| {
                    let host = endpoint.host.as_deref()?;
                    Some(Value::Value(match endpoint.port {
                        Some(port) => format!("https://{host}:{port}/metrics"),
                        None => format!("https://{host}/metrics"),
                    }))
                })
                .collect(),
        ),
        timeouts: settled(&reference.timeouts),
    }
}

// ---------------------------------------------------------------------------------------------
// Schema
// ---------------------------------------------------------------------------------------------

/// The schema version: 2 since `maintenance_window` became a block (version 1 had an object
/// attribute); [`upgrade_state`] reads version 1.
pub const SCHEMA_VERSION: i64 = 2;

pub fn cluster_schema() -> Schema {
    use AttributeType::{Bool, List, Number, Set, String as Str};
    let attributes = map! {
        "id" => computed(Str, "The cluster's UUID."),
        "urn" => computed(Str, "The cluster's uniform resource name, `do:dbaas:<id>`."),
        "name" => required(Str,
            "The cluster's name, unique in the account. Changing it replaces the cluster."),
        "engine" => required(Str,
            "The database engine: `pg`, `mysql`, `redis`, `valkey`, `mongodb`, `kafka`, \
             `opensearch`, `advanced_pg` or `advanced_mysql`. Changing it replaces the cluster (a Redis cluster that DigitalOcean \
             reports as `valkey` is not a change)."),
        "version" => optional_computed(Str,
            "The engine's major version (e.g. `16` for PostgreSQL). Defaults to the newest the \
             API offers. Raising it upgrades the cluster in place; lowering it is a plan-time \
             error, because the API cannot downgrade."),
        "size" => required(Str,
            "The size slug of each node, such as `db-s-1vcpu-1gb` (case-insensitive). Changing \
             it resizes the cluster in place."),
        "region" => required(Str,
            "The region slug, such as `nyc1` (case-insensitive). Changing it migrates the cluster \
             in place; its hosts and private network may change."),
        "node_count" => required(Number,
            "The number of nodes: 1 to 3 for most engines, 3 to 15 for Kafka, 1 to 15 for OpenSearch. Changing it resizes in place."),
        "tags" => optional(Set(Box::new(Str)),
            "Tags for the cluster (letters, digits, `:`, `-`, `_`; up to 255 characters; \
             compared case-insensitively). Changed in place through the tags API."),
        "private_network_uuid" => optional_computed(Str,
            "The UUID of the VPC to place the cluster in. Defaults to the region's default VPC. \
             Changing it without changing `region` replaces the cluster."),
        "project_id" => optional_computed(Str,
            "The UUID of the project the cluster belongs to. Defaults to the account's default \
             project. Changing it replaces the cluster."),
        "eviction_policy" => optional_computed(Str,
            "Redis/Valkey only: what happens when memory is full: `noeviction`, `allkeys_lru`, \
             `allkeys_random`, `volatile_lru`, `volatile_random` or `volatile_ttl`."),
        "sql_mode" => optional_computed(Str,
            "MySQL only (`mysql`, `advanced_mysql`): a comma-separated list of SQL modes (compared without regard to order \
             or case)."),
        "deletion_protection" => optional(Bool,
            "When `true`, the provider refuses to delete the cluster: `terraform destroy`, and \
             any plan that would replace it, fail at plan time and no DELETE is sent. Set it to \
             `false` (and apply) first to delete the cluster on purpose. Kept in Terraform only."),
        "storage_size_mib" => optional_computed(Number,
            "Disk size in MiB. Defaults to the size's base storage. It can grow in place but not \
             shrink (a plan-time error). With `storage_autoscale` enabled it is a floor the \
             cluster may grow past without a diff."),
        "host" => computed(Str, "The public hostname."),
        "port" => computed(Number, "The port."),
        "uri" => sensitive(computed(Str, "The public connection URI, with the password.")),
        "database" => computed(Str, "The default database's name."),
        "user" => computed(Str, "The default (admin) user."),
        "password" => sensitive(computed(Str,
            "The default user's password. Kept from the create response; never blanked by a \
             read that lacks it.")),
        "private_host" => computed(Str, "The hostname inside the VPC."),
        "private_uri" => sensitive(computed(Str, "The connection URI inside the VPC, with the password.")),
        "ui_host" => computed(Str, "OpenSearch only: the dashboard's hostname."),
        "ui_port" => computed(Number, "OpenSearch only: the dashboard's port."),
        "ui_uri" => sensitive(computed(Str, "OpenSearch only: the dashboard's URI.")),
        "ui_database" => computed(Str, "OpenSearch only: the dashboard's database."),
        "ui_user" => computed(Str, "OpenSearch only: the dashboard's user."),
        "ui_password" => sensitive(computed(Str, "OpenSearch only: the dashboard user's password.")),
        "metrics_endpoints" => computed(List(Box::new(Str)),
            "The Prometheus metrics endpoints, `https://<host>:<port>/metrics`, one per node \
             (empty when the API lists none)."),
    };
    let backup_restore = Block {
        attributes: map! {
            "database_name" => required(Str, "The name of the cluster whose backup to restore."),
            "backup_created_at" => optional(Str,
                "Which backup (RFC 3339 timestamp). Defaults to the latest."),
        },
        description: Description::markdown(
            "Create the cluster from a backup of another cluster. Only used at creation: \
             changing it afterwards replaces the cluster (except right after an import, when it \
             is only recorded).",
        ),
        ..Default::default()
    };
    let maintenance_window = Block {
        attributes: map! {
            "day" => required(Str,
                "The day of the week: `monday`…`sunday` (case-insensitive)."),
            "hour" => required(Str,
                "The UTC time of day the window starts, `HH:MM` or `HH:MM:SS` (`02:00` and \
                 `02:00:00` are the same)."),
        },
        description: Description::markdown(
            "When the weekly maintenance happens. The API always has a window: without this \
             block it keeps the one it picked (or the one set before) and the provider does not \
             track it; with it, the window is set in place and drift is repaired. Removing the \
             block leaves the window as it is and stops tracking it.",
        ),
        ..Default::default()
    };
    let storage_autoscale = Block {
        attributes: map! {
            "enabled" => required(Bool, "Whether storage grows automatically."),
            "threshold_percent" => optional_computed(Number,
                "Disk usage (15–95 %) at which storage grows. Defaults to the API's choice."),
            "increment_gib" => optional_computed(Number,
                "How much to grow each time, in GiB (10–500, rounded by the API to 10 GiB). \
                 Defaults to the API's choice."),
        },
        description: Description::markdown(
            "Storage autoscaling. Removing the block disables autoscaling.",
        ),
        ..Default::default()
    };
    Schema {
        version: SCHEMA_VERSION,
        block: Block {
            version: SCHEMA_VERSION,
            attributes,
            blocks: map! {
                "backup_restore" => NestedBlock::Optional(backup_restore),
                "maintenance_window" => NestedBlock::Optional(maintenance_window),
                "storage_autoscale" => NestedBlock::Optional(storage_autoscale),
                "timeouts" => NestedBlock::Optional(timeouts_block(TIMEOUTS, TIMEOUT_WORDING)),
            },
            description: Description::markdown(
                "A managed database cluster. `terraform apply` waits until it is online; resizes, \
                 region migrations and version upgrades happen in place.",
            ),
            ..Default::default()
        },
    }
}

// ---------------------------------------------------------------------------------------------
// Validation (configuration only, unknown values skipped)
// ---------------------------------------------------------------------------------------------

pub fn validate_config(diags: &mut Diagnostics, config: &ClusterModel) {
    validate::matches(
        diags,
        at("name"),
        &config.name,
        is_cluster_name,
        "3 to 63 lowercase letters, digits and hyphens, starting with a letter and not ending \
         with a hyphen (the name becomes part of the cluster's host names)",
    );
    validate::one_of(diags, at("engine"), &config.engine, &ENGINES, false);
    validate::not_blank(diags, at("version"), &config.version);
    validate::not_blank(diags, at("size"), &config.size);
    validate::not_blank(diags, at("region"), &config.region);
    let (fewest, most) = node_count_range(text(&config.engine));
    validate::int_between(diags, at("node_count"), &config.node_count, fewest, most);
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
    validate::uuid(
        diags,
        at("private_network_uuid"),
        &config.private_network_uuid,
    );
    validate::uuid(diags, at("project_id"), &config.project_id);
    if let Value::Value(window) = &config.maintenance_window {
        let path = |name: &'static str| at("maintenance_window").index(0).attribute(name);
        validate::one_of(diags, path("day"), &window.day, &WEEKDAYS, true);
        if let Value::Value(hour) = &window.hour {
            if parse_hour(hour).is_none() {
                diags.err(
                    "Invalid maintenance_window.hour",
                    format!(
                        "`maintenance_window.hour` must be a UTC time of day as HH:MM or \
                         HH:MM:SS, such as \"02:00\"; got {hour:?}."
                    ),
                    path("hour"),
                );
            }
        }
    }
    validate::one_of(
        diags,
        at("eviction_policy"),
        &config.eviction_policy,
        &EVICTION_POLICIES,
        false,
    );
    if let (Value::Value(engine), Value::Value(_)) = (&config.engine, &config.eviction_policy) {
        if !supports_eviction_policy(engine) {
            diags.err(
                "eviction_policy is not supported for this engine",
                format!(
                    "`eviction_policy` applies only to `redis` and `valkey` clusters; this \
                     cluster's engine is {engine:?}. Remove the attribute."
                ),
                at("eviction_policy"),
            );
        }
    }
    if let Value::Value(mode) = &config.sql_mode {
        if mode.split(',').any(|part| part.trim().is_empty()) {
            diags.err(
                "Invalid sql_mode",
                format!(
                    "`sql_mode` must be a comma-separated list of SQL modes such as \
                     \"ANSI,STRICT_ALL_TABLES\"; got {mode:?}."
                ),
                at("sql_mode"),
            );
        } else {
            let unknown: Vec<&str> = mode
                .split(',')
                .map(str::trim)
                .filter(|part| {
                    !SQL_MODES
                        .iter()
                        .any(|known| known.eq_ignore_ascii_case(part))
                })
                .collect();
            if !unknown.is_empty() {
                diags.err(
                    "Invalid sql_mode",
                    format!(
                        "`sql_mode` names {} that MySQL does not have. Allowed modes: {}.",
                        unknown
                            .iter()
                            .map(|m| format!("{m:?}"))
                            .collect::<Vec<_>>()
                            .join(", "),
                        SQL_MODES.join(", ")
                    ),
                    at("sql_mode"),
                );
            }
        }
        if let Value::Value(engine) = &config.engine {
            if !supports_sql_mode(engine) {
                diags.err(
                    "sql_mode is not supported for this engine",
                    format!(
                        "`sql_mode` applies only to `mysql` clusters; this cluster's engine is \
                         {engine:?}. Remove the attribute."
                    ),
                    at("sql_mode"),
                );
            }
        }
    }
    validate::int_at_least(
        diags,
        at("storage_size_mib"),
        &config.storage_size_mib,
        1024,
    );
    if let Value::Value(block) = &config.backup_restore {
        validate::not_blank(
            diags,
            at("backup_restore").index(0).attribute("database_name"),
            &block.database_name,
        );
        if let Value::Value(when) = &block.backup_created_at {
            if time::OffsetDateTime::parse(when, &time::format_description::well_known::Rfc3339)
                .is_err()
            {
                diags.err(
                    "Invalid backup_restore.backup_created_at",
                    format!(
                        "`backup_restore.backup_created_at` must be an RFC 3339 timestamp such \
                         as \"2025-01-31T02:00:00Z\"; got {when:?}."
                    ),
                    at("backup_restore").index(0).attribute("backup_created_at"),
                );
            }
        }
    }
    if let Value::Value(block) = &config.storage_autoscale {
        let path = |name: &'static str| at("storage_autoscale").index(0).attribute(name);
        validate::int_between(
            diags,
            path("threshold_percent"),
            &block.threshold_percent,
            15,
            95,
        );
        validate::int_between(diags, path("increment_gib"), &block.increment_gib, 10, 500);
    }
    validate_timeouts(diags, &config.timeouts);
}

// ---------------------------------------------------------------------------------------------
// Plan
// ---------------------------------------------------------------------------------------------

/// The plan for a new cluster: what the configuration says, everything else unknown (or null
/// where the engine can never have it).
pub fn plan_new(mut planned: ClusterModel) -> ClusterModel {
    let engine = text(&planned.engine).map(str::to_string);
    for value in [
        &mut planned.id,
        &mut planned.urn,
        &mut planned.host,
        &mut planned.uri,
        &mut planned.database,
        &mut planned.user,
        &mut planned.password,
        &mut planned.private_host,
        &mut planned.private_uri,
        &mut planned.ui_host,
        &mut planned.ui_uri,
        &mut planned.ui_database,
        &mut planned.ui_user,
        &mut planned.ui_password,
    ] {
        *value = Value::Unknown;
    }
    planned.port = Value::Unknown;
    planned.ui_port = Value::Unknown;
    planned.metrics_endpoints = Value::Unknown;
    for value in [
        &mut planned.version,
        &mut planned.private_network_uuid,
        &mut planned.project_id,
    ] {
        if value.is_null() {
            *value = Value::Unknown;
        }
    }
    if planned.storage_size_mib.is_null() {
        planned.storage_size_mib = Value::Unknown;
    }
    let unknown_unless = |value: &mut Value<String>, applies: Option<bool>| {
        if value.is_null() && applies != Some(false) {
            *value = Value::Unknown;
        }
    };
    unknown_unless(
        &mut planned.eviction_policy,
        engine.as_deref().map(supports_eviction_policy),
    );
    unknown_unless(
        &mut planned.sql_mode,
        engine.as_deref().map(supports_sql_mode),
    );
    if let Value::Value(block) = &mut planned.storage_autoscale {
        if block.threshold_percent.is_null() {
            block.threshold_percent = Value::Unknown;
        }
        if block.increment_gib.is_null() {
            block.increment_gib = Value::Unknown;
        }
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

/// What an update will do, derived from the prior state and the plan. Shared by plan (to mark
/// what becomes unknown) and apply (to decide which calls to make).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Changes {
    pub resize: bool,
    pub migrate: bool,
    pub upgrade: bool,
    pub maintenance: bool,
    pub eviction_policy: bool,
    pub sql_mode: bool,
    pub tags: bool,
    pub autoscale: bool,
}

pub fn changes(prior: &ClusterModel, planned: &ClusterModel) -> Changes {
    let storage_grows = match (&prior.storage_size_mib, &planned.storage_size_mib) {
        (Value::Value(a), Value::Value(b)) => a != b,
        _ => false,
    };
    let maintenance = match (&prior.maintenance_window, &planned.maintenance_window) {
        (Value::Value(a), Value::Value(b)) => {
            !(matches!((text(&a.day), text(&b.day)), (Some(x), Some(y)) if same_ignoring_case(x, y))
                && matches!((text(&a.hour), text(&b.hour)), (Some(x), Some(y)) if same_hour(x, y)))
        }
        (_, Value::Value(_)) => true,
        _ => false,
    };
    let setting_changed =
        |prior: &Value<String>, planned: &Value<String>, same: fn(&str, &str) -> bool| match (
            prior, planned,
        ) {
            (Value::Value(a), Value::Value(b)) => !same(a, b),
            (_, Value::Value(_)) => true,
            _ => false,
        };
    let tag_set = |state: &ClusterModel| -> BTreeSet<String> {
        state
            .tags
            .iter()
            .flatten()
            .filter_map(|t| t.as_ref_option().map(|t| t.to_ascii_lowercase()))
            .collect()
    };
    let autoscale = {
        let enabled = |state: &ClusterModel| {
            state
                .storage_autoscale
                .as_ref_option()
                .and_then(|b| b.enabled.as_ref_option().copied())
        };
        match (&prior.storage_autoscale, &planned.storage_autoscale) {
            (Value::Value(a), Value::Value(b)) => a != b,
            (Value::Value(_), _) => enabled(prior) == Some(true),
            (_, Value::Value(_)) => true,
            _ => false,
        }
    };
    Changes {
        resize: changed_ignoring_case(&prior.size, &planned.size)
            || plan::differs(&prior.node_count, &planned.node_count)
            || storage_grows,
        migrate: changed_ignoring_case(&prior.region, &planned.region),
        upgrade: setting_changed(&prior.version, &planned.version, |a, b| a == b),
        maintenance,
        eviction_policy: setting_changed(
            &prior.eviction_policy,
            &planned.eviction_policy,
            |a, b| a == b,
        ),
        sql_mode: setting_changed(&prior.sql_mode, &planned.sql_mode, same_sql_mode),
        tags: tag_set(prior) != tag_set(planned),
        autoscale,
    }
}

/// Checks and adjusts the plan for an existing cluster; returns the attributes that force
/// replacement.
pub fn plan_existing(
    diags: &mut Diagnostics,
    prior: &ClusterModel,
    planned: &mut ClusterModel,
    config: &ClusterModel,
) -> Vec<AttributePath> {
    let mut replace = plan::Replacements::default();
    replace.if_changed("name", &prior.name, &planned.name);
    if let (Value::Value(a), Value::Value(b)) = (&prior.engine, &planned.engine) {
        if !same_engine(a, b) {
            replace.add("engine");
        }
    }
    let migrating = changed_ignoring_case(&prior.region, &planned.region);
    if !migrating {
        if let (Value::Value(a), Value::Value(b)) =
            (&prior.private_network_uuid, &planned.private_network_uuid)
        {
            if !same_ignoring_case(a, b) {
                replace.add("private_network_uuid");
            }
        }
    }
    if let (Value::Value(a), Value::Value(b)) = (&prior.project_id, &planned.project_id) {
        if !same_ignoring_case(a, b) {
            replace.add("project_id");
        }
    }
    if prior.backup_restore.is_value() && prior.backup_restore != planned.backup_restore {
        replace.add("backup_restore");
    }
    if !replace.is_empty() {
        if is_protected(prior) {
            diags.root_err(
                format!(
                    "{} is protected from deletion",
                    capitalised(&describe(prior))
                ),
                "This change would replace the cluster (destroying it and its data), and \
                 `deletion_protection` is true. Set `deletion_protection = false` and apply \
                 that first if the replacement is intended.",
            );
        }
        return replace.into_paths();
    }

    if let (Value::Value(from), Value::Value(to)) = (&prior.version, &config.version) {
        if compare_versions(to, from) == Some(Ordering::Less) {
            diags.err(
                "Version downgrade is not possible",
                format!(
                    "`version` is {from:?} on the cluster and the configuration asks for {to:?}. \
                     The API can only upgrade a cluster; set `version = {from:?}` (or higher), \
                     or create a new cluster and restore a backup into it."
                ),
                at("version"),
            );
        }
    }
    if let (Value::Value(from), Value::Value(to)) =
        (&prior.storage_size_mib, &config.storage_size_mib)
    {
        if to < from {
            diags.err(
                "Storage cannot shrink",
                format!(
                    "`storage_size_mib` is {from} on the cluster and the configuration asks for \
                     {to}. Disk storage can only grow; set `storage_size_mib = {from}` or more."
                ),
                at("storage_size_mib"),
            );
        }
    }

    let resized = changed_ignoring_case(&prior.size, &planned.size)
        || plan::differs(&prior.node_count, &planned.node_count);
    if resized && config.storage_size_mib.is_null() {
        planned.storage_size_mib = Value::Unknown;
    }
    if plan::differs(&prior.node_count, &planned.node_count) {
        planned.metrics_endpoints = Value::Unknown;
    }
    if migrating {
        for value in [
            &mut planned.host,
            &mut planned.uri,
            &mut planned.private_host,
            &mut planned.private_uri,
            &mut planned.ui_host,
            &mut planned.ui_uri,
        ] {
            *value = Value::Unknown;
        }
        planned.metrics_endpoints = Value::Unknown;
        if config.private_network_uuid.is_null() {
            planned.private_network_uuid = Value::Unknown;
        }
    }
    if let Value::Value(block) = &mut planned.storage_autoscale {
        if block.threshold_percent.is_null() {
            block.threshold_percent = Value::Unknown;
        }
        if block.increment_gib.is_null() {
            block.increment_gib = Value::Unknown;
        }
    }
    Vec::new()
}

// ---------------------------------------------------------------------------------------------
// Plan-time validation against the live options catalogue
// ---------------------------------------------------------------------------------------------

/// Which attributes a plan sets and should therefore be checked against the catalogue: all of
/// them for a new cluster, only the changing ones for an existing cluster (whose current size or
/// version may no longer be offered to new clusters, which is not the practitioner's problem).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CatalogueScope {
    pub region: bool,
    pub layout: bool,
    pub version: bool,
}

impl CatalogueScope {
    pub const ALL: CatalogueScope = CatalogueScope {
        region: true,
        layout: true,
        version: true,
    };
}

fn list(values: &[String]) -> String {
    if values.is_empty() {
        "none".to_string()
    } else {
        values.join(", ")
    }
}

/// Reports every known value of `planned` that the catalogue does not offer, naming the
/// attribute and listing the valid choices. Unknown values are skipped.
pub fn check_catalogue(
    diags: &mut Diagnostics,
    catalogue: &Options,
    planned: &ClusterModel,
    scope: CatalogueScope,
) {
    let Some(engine) = text(&planned.engine) else {
        return;
    };
    let Some(offer) = catalogue
        .options
        .iter()
        .find(|(name, _)| same_ignoring_case(name, engine))
        .map(|(_, offer)| offer)
    else {
        let engines: Vec<String> = catalogue.options.keys().cloned().collect();
        diags.err(
            "Engine not offered",
            format!(
                "`engine` {engine:?} is not in the API's options catalogue. Valid engines: {}.",
                list(&engines)
            ),
            at("engine"),
        );
        return;
    };
    if scope.region {
        if let Some(region) = text(&planned.region) {
            if !offer.regions.iter().any(|r| same_ignoring_case(r, region)) {
                diags.err(
                    "Region not offered",
                    format!(
                        "`region` {region:?} is not offered for {engine} clusters. Valid \
                         regions: {}.",
                        list(&offer.regions)
                    ),
                    at("region"),
                );
            }
        }
    }
    if scope.version {
        if let Some(version) = text(&planned.version) {
            if !offer.versions.iter().any(|v| v == version) {
                diags.err(
                    "Version not offered",
                    format!(
                        "`version` {version:?} is not offered for {engine} clusters. Valid \
                         versions: {}.",
                        list(&offer.versions)
                    ),
                    at("version"),
                );
            }
        }
    }
    if !scope.layout {
        return;
    }
    let Some(nodes) = planned.node_count.as_ref_option().copied() else {
        return;
    };
    let Some(layout) = offer.layouts.iter().find(|l| l.num_nodes == nodes) else {
        let counts: Vec<String> = offer
            .layouts
            .iter()
            .map(|l| l.num_nodes.to_string())
            .collect();
        diags.err(
            "Node count not offered",
            format!(
                "`node_count` {nodes} is not offered for {engine} clusters. Valid node counts: {}.",
                list(&counts)
            ),
            at("node_count"),
        );
        return;
    };
    if let Some(size) = text(&planned.size) {
        if !layout
            .sizes
            .iter()
            .any(|candidate| same_ignoring_case(candidate, size))
        {
            diags.err(
                "Size not offered",
                format!(
                    "`size` {size:?} is not offered for {engine} clusters of {nodes} node(s). \
                     Valid sizes: {}.",
                    list(&layout.sizes)
                ),
                at("size"),
            );
        }
    }
}

/// Runs [`check_catalogue`] with the provider's cached catalogue. A catalogue that cannot be
/// fetched skips the check (the API still validates at apply) rather than blocking the plan.
async fn check_against_catalogue(
    diags: &mut Diagnostics,
    api: &ApiContext,
    planned: &ClusterModel,
    scope: CatalogueScope,
) {
    let problem = match deadline::within(Instant::now() + PLAN_CHECK_BUDGET, api.catalogue()).await
    {
        Ok(catalogue) if !catalogue.options.is_empty() => {
            return check_catalogue(diags, &catalogue, planned, scope)
        }
        Ok(_) => "it lists no engines".to_string(),
        Err(error) => error.to_string(),
    };
    tracing::warn!(problem = %problem, "options catalogue unusable; plan-time checks skipped");
    let mut skipped = vec!["`engine`"];
    if scope.region {
        skipped.push("`region`");
    }
    if scope.layout {
        skipped.push("`size` and `node_count`");
    }
    if scope.version {
        skipped.push("`version`");
    }
    diags.warn(
        "Plan-time checks against the options catalogue skipped",
        format!(
            "The API's options catalogue (GET /v2/databases/options) is unusable: {problem}. \
             So {} could not be checked at plan time; the API checks them when the change is \
             applied.",
            list(&skipped.iter().map(|s| s.to_string()).collect::<Vec<_>>())
        ),
        AttributePath::root(),
    );
}

/// How long a plan-time check retries a failing API before it gives up with a warning: the
/// checks are a courtesy, and Terraform plans again during apply.
const PLAN_CHECK_BUDGET: Duration = Duration::from_secs(10);

/// Refuses, at plan time, a new cluster whose name another cluster of the account already
/// has (the API would refuse the create). A cluster of this configuration's own state does
/// not count: it is the one being replaced, which carries the name until it is deleted (or a
/// second block with the same name, which the API refuses at apply). A failed lookup is a
/// warning.
async fn check_name_is_free(
    diags: &mut Diagnostics,
    ctx: &RequestContext,
    api: &ApiContext,
    planned: &ClusterModel,
) {
    let Some(name) = text(&planned.name) else {
        return;
    };
    if !is_cluster_name(name) {
        return;
    }
    // The run's one list first; a name found there is confirmed live (a cluster deleted
    // earlier in this run, such as the one a replacement removes, may still be in it).
    let listed = deadline::within(Instant::now() + PLAN_CHECK_BUDGET, async {
        let listed = api.clusters_listed_once().await?;
        if !listed.iter().any(|cluster| cluster.name == name) {
            return Ok(None);
        }
        api.client.clusters().find_by_name(name).await
    })
    .await;
    match listed {
        // The cluster this one replaces keeps the name until it is deleted: the one whose
        // update plan said so, or (a tainted cluster, whose replacement Terraform plans as a
        // plain create) one this run read from this configuration's state.
        Ok(Some(existing))
            if ctx.replacing.as_deref() == Some(existing.id.as_str())
                || ctx
                    .data()
                    .is_in_state(DatabaseClusterResource::TYPE_NAME, &existing.id) => {}
        Ok(Some(existing)) => diags.err(
            "Cluster name already in use",
            format!(
                "A database cluster named {name:?} already exists in this account ({}, engine \
                 {}, region {}); cluster names are unique. Choose another `name`, or bring the \
                 existing cluster under Terraform with `terraform import \
                 dbaas_database_cluster.<resource name> {}`.",
                existing.id, existing.engine, existing.region, existing.id
            ),
            at("name"),
        ),
        Ok(None) => {}
        Err(error) => diags.warn(
            "Could not check whether the cluster name is free",
            format!(
                "Listing the account's clusters failed ({error}), so whether {name:?} is taken \
                 was not checked at plan time; the API refuses the create if it is."
            ),
            at("name"),
        ),
    }
}

/// The API's rule for cluster names, which become host names: 3 to 63 lowercase letters,
/// digits and hyphens, starting with a letter and not ending with a hyphen.
pub fn is_cluster_name(name: &str) -> bool {
    (3..=63).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && !name.ends_with('-')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// MySQL 8's SQL modes, the combination modes `ANSI` and `TRADITIONAL` included: what the API
/// accepts in `sql_mode`.
pub const SQL_MODES: [&str; 21] = [
    "ALLOW_INVALID_DATES",
    "ANSI",
    "ANSI_QUOTES",
    "ERROR_FOR_DIVISION_BY_ZERO",
    "HIGH_NOT_PRECEDENCE",
    "IGNORE_SPACE",
    "NO_AUTO_VALUE_ON_ZERO",
    "NO_BACKSLASH_ESCAPES",
    "NO_DIR_IN_CREATE",
    "NO_ENGINE_SUBSTITUTION",
    "NO_UNSIGNED_SUBTRACTION",
    "NO_ZERO_DATE",
    "NO_ZERO_IN_DATE",
    "ONLY_FULL_GROUP_BY",
    "PAD_CHAR_TO_FULL_LENGTH",
    "PIPES_AS_CONCAT",
    "REAL_AS_FLOAT",
    "STRICT_ALL_TABLES",
    "STRICT_TRANS_TABLES",
    "TIME_TRUNCATE_FRACTIONAL",
    "TRADITIONAL",
];

// ---------------------------------------------------------------------------------------------
// API orchestration
// ---------------------------------------------------------------------------------------------

fn describe(cluster: &ClusterModel) -> String {
    match (text(&cluster.name), text(&cluster.id)) {
        (Some(name), Some(id)) => format!("database cluster {name:?} ({id})"),
        (Some(name), None) => format!("database cluster {name:?}"),
        (None, Some(id)) => format!("database cluster {id}"),
        (None, None) => "database cluster".to_string(),
    }
}

/// Reads the cluster and the settings behind their own endpoints. `Ok(None)` when it is gone.
/// `with_autoscale` says whether to read the storage autoscaling settings (see
/// [`fetch_settings`]).
pub async fn fetch(
    client: &Client,
    id: &str,
    with_autoscale: bool,
) -> Result<Option<ClusterView>, ApiError> {
    let Some(cluster) = client.clusters().get(id).await.found()? else {
        return Ok(None);
    };
    fetch_settings(client, cluster, with_autoscale)
        .await
        .map(Some)
}

/// Whether a read of a cluster whose state (or plan) is `reference` reads the autoscaling
/// settings: only when it has the `storage_autoscale` block. They live behind their own
/// endpoint, and the cluster object does not carry them, so reading them always would double
/// the requests of every refresh; like DigitalOcean's provider, a cluster whose configuration
/// leaves autoscaling alone does not track it (import and the data source still read it).
fn tracks_autoscale(reference: &ClusterModel) -> bool {
    !reference.storage_autoscale.is_null()
}

/// The settings of `cluster` that live behind their own endpoints: the eviction policy and
/// SQL mode where the engine has them, and the autoscaling settings if `with_autoscale` (else
/// `autoscale` is `None`, as for an engine without them).
async fn fetch_settings(
    client: &Client,
    cluster: Cluster,
    with_autoscale: bool,
) -> Result<ClusterView, ApiError> {
    let clusters = client.clusters();
    let eviction_policy = if supports_eviction_policy(&cluster.engine) {
        Some(clusters.get_eviction_policy(&cluster.id).await?)
    } else {
        None
    };
    let sql_mode = if supports_sql_mode(&cluster.engine) {
        Some(clusters.get_sql_mode(&cluster.id).await?)
    } else {
        None
    };
    let autoscale = if !with_autoscale {
        None
    } else {
        match clusters.get_autoscale(&cluster.id).await {
            Ok(settings) => Some(settings.storage.unwrap_or_default()),
            // Engines without storage autoscaling answer with a 4xx; that means "not available".
            Err(error) if error.kind() == ErrorKind::Invalid => None,
            Err(error) => return Err(error),
        }
    };
    Ok(ClusterView {
        cluster,
        eviction_policy,
        sql_mode,
        autoscale,
    })
}

fn autoscale_request(block: &Value<StorageAutoscaleBlock>) -> Autoscale {
    let storage = match block {
        Value::Value(block) => StorageAutoscale {
            enabled: block.enabled.as_ref_option().copied().unwrap_or(false),
            threshold_percent: block.threshold_percent.as_ref_option().copied(),
            increment_gib: block.increment_gib.as_ref_option().copied(),
        },
        _ => StorageAutoscale {
            enabled: false,
            threshold_percent: None,
            increment_gib: None,
        },
    };
    Autoscale {
        storage: Some(storage),
    }
}

/// SQL modes as MySQL spells them: upper case, no spaces, in the configured order.
pub fn canonical_sql_mode(text: &str) -> String {
    text.split(',')
        .map(|mode| mode.trim().to_ascii_uppercase())
        .filter(|mode| !mode.is_empty())
        .collect::<Vec<_>>()
        .join(",")
}

/// One step of an apply, for error messages: which call failed and what was already done.
struct Step<'a> {
    api: &'a ApiContext,
    id: String,
    deadline: Instant,
    /// Cancelled when Terraform asks the provider to stop.
    cancel: &'a CancellationToken,
    what: String,
}

impl Step<'_> {
    /// Waits until the cluster is online *and* shows the change (`done`), so that an `online`
    /// read taken before the API has started the operation is not mistaken for its end.
    async fn wait_online(
        &self,
        diags: &mut Diagnostics,
        after: &str,
        done: impl Fn(&Cluster) -> bool,
    ) -> bool {
        match self
            .api
            .client
            .clusters()
            .wait(
                &self.id,
                conditions::online_and(done),
                &self.api.poll,
                self.deadline,
                self.cancel,
            )
            .await
        {
            Ok(_) => true,
            Err(error) => {
                diags.wait_err(
                    format!("The {} did not come back online after {after}", self.what),
                    &error,
                );
                false
            }
        }
    }
}

async fn apply_settings(
    diags: &mut Diagnostics,
    step: &Step<'_>,
    planned: &ClusterModel,
    changes: &Changes,
) {
    let clusters = step.api.client.clusters();
    let id = step.id.as_str();
    if changes.maintenance {
        if let Value::Value(window) = &planned.maintenance_window {
            let request = MaintenanceWindowRequest {
                day: text(&window.day).unwrap_or_default().to_ascii_lowercase(),
                hour: text(&window.hour).unwrap_or_default().to_string(),
            };
            if let Err(error) = clusters.set_maintenance_window(id, &request).await {
                diags.api_err(
                    format!("Could not set the maintenance window of the {}", step.what),
                    &error,
                );
                return;
            }
        }
    }
    if changes.eviction_policy {
        if let Some(policy) = text(&planned.eviction_policy) {
            if let Err(error) = clusters.set_eviction_policy(id, policy).await {
                diags.api_err(
                    format!("Could not set the eviction policy of the {}", step.what),
                    &error,
                );
                return;
            }
        }
    }
    if changes.sql_mode {
        if let Some(mode) = text(&planned.sql_mode) {
            if let Err(error) = clusters.set_sql_mode(id, &canonical_sql_mode(mode)).await {
                diags.api_err(
                    format!("Could not set the SQL mode of the {}", step.what),
                    &error,
                );
                return;
            }
        }
    }
    if changes.tags {
        if let Err(error) = sync_tags(&step.api.client, id, planned).await {
            diags.api_err(
                format!("Could not update the tags of the {}", step.what),
                &error,
            );
            return;
        }
    }
    if changes.autoscale {
        if let Err(error) = clusters
            .set_autoscale(id, &autoscale_request(&planned.storage_autoscale))
            .await
        {
            diags.api_err(
                format!(
                    "Could not configure storage autoscaling of the {}",
                    step.what
                ),
                &error,
            );
        }
    }
}

/// Makes the cluster's tags match the plan, working from the tags the API reports (not the
/// prior state), so that a tag spelled differently in state is still found, and drift is
/// repaired too. Tags compare without regard to case.
async fn sync_tags(client: &Client, id: &str, planned: &ClusterModel) -> Result<(), ApiError> {
    let current = client.clusters().get(id).await?.tags.unwrap_or_default();
    let wanted: Vec<&String> = planned
        .tags
        .iter()
        .flatten()
        .filter_map(|t| t.as_ref_option())
        .collect();
    let resource = [TagResource {
        resource_id: id.to_string(),
        resource_type: "database".to_string(),
    }];
    for name in &wanted {
        if !current.iter().any(|tag| same_ignoring_case(tag, name)) {
            client.tags().create(name).await?;
            client.tags().tag_resources(name, &resource).await?;
        }
    }
    for name in &current {
        if !wanted.iter().any(|tag| same_ignoring_case(tag, name)) {
            match client.tags().untag_resources(name, &resource).await {
                Ok(()) => {}
                Err(error) if error.is_not_found() => {}
                Err(error) => return Err(error),
            }
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Resource
// ---------------------------------------------------------------------------------------------

/// The `dbaas_database_cluster` resource. It holds nothing: the API client, the deadline and
/// the cancellation all come with each request's context.
#[derive(Debug, Clone, Default)]
pub struct DatabaseClusterResource;

/// Reads the cluster back after a change and reconciles it with `reference`. Errors are
/// reported; the fallback state is returned so that nothing is lost.
async fn read_back(
    diags: &mut Diagnostics,
    api: &ApiContext,
    id: &str,
    reference: &ClusterModel,
    fallback: ClusterModel,
) -> ClusterModel {
    match fetch(&api.client, id, tracks_autoscale(reference)).await {
        Ok(Some(view)) => state_from_api(&view, reference),
        Ok(None) => {
            diags.root_err(
                "Database cluster disappeared",
                format!("Database cluster {id} was not found right after it was changed."),
            );
            fallback
        }
        Err(error) => {
            diags.api_err(format!("Could not read database cluster {id} back"), &error);
            fallback
        }
    }
}

fn settled_state(state: &ClusterModel) -> ClusterModel {
    let mut state = state.clone();
    for value in [
        &mut state.id,
        &mut state.urn,
        &mut state.version,
        &mut state.private_network_uuid,
        &mut state.project_id,
        &mut state.eviction_policy,
        &mut state.sql_mode,
        &mut state.host,
        &mut state.uri,
        &mut state.database,
        &mut state.user,
        &mut state.password,
        &mut state.private_host,
        &mut state.private_uri,
        &mut state.ui_host,
        &mut state.ui_uri,
        &mut state.ui_database,
        &mut state.ui_user,
        &mut state.ui_password,
    ] {
        *value = settled(value);
    }
    state.port = settled(&state.port);
    state.ui_port = settled(&state.ui_port);
    state.storage_size_mib = settled(&state.storage_size_mib);
    state.maintenance_window =
        settled(&state.maintenance_window).map(|window| MaintenanceWindowValue {
            day: settled(&window.day),
            hour: settled(&window.hour),
        });
    state.metrics_endpoints = settled(&state.metrics_endpoints);
    if let Value::Value(block) = &mut state.storage_autoscale {
        block.threshold_percent = settled(&block.threshold_percent);
        block.increment_gib = settled(&block.increment_gib);
    }
    state
}

#[async_trait]
impl ManagedResource for DatabaseClusterResource {
    type Model = ClusterModel;
    const TYPE_NAME: &'static str = "dbaas_database_cluster";
    const IDENTITY: &'static [&'static str] = &["id"];
    const SECRETS: &'static [&'static str] = &CLUSTER_SECRETS;
    const TIMEOUTS: TimeoutDefaults = TIMEOUTS;

    fn schema(&self) -> Schema {
        cluster_schema()
    }

    fn timeouts(model: &ClusterModel) -> &Value<Timeouts> {
        &model.timeouts
    }

    fn upgrade_state(&self, diags: &mut Diagnostics, version: i64, raw: &[u8]) -> Option<Dynamic> {
        upgrade_state(diags, version, raw)
    }

    async fn validate(&self, diags: &mut Diagnostics, config: &ClusterModel) {
        validate_config(diags, config);
    }

    async fn read(
        &self,
        ctx: &RequestContext,
        diags: &mut Diagnostics,
        state: ClusterModel,
    ) -> Option<Option<ClusterModel>> {
        let api = ctx.api(diags)?;
        let Some(id) = text(&state.id).map(str::to_string) else {
            return Some(Some(state));
        };
        match fetch(&api.client, &id, tracks_autoscale(&state)).await {
            Ok(Some(view)) => Some(Some(state_from_api(&view, &state))),
            Ok(None) => {
                tracing::info!(cluster = %id, "database cluster is gone; removing it from state");
                Some(None)
            }
            Err(error) => {
                diags.api_err(format!("Could not read {}", describe(&state)), &error);
                None
            }
        }
    }

    async fn plan_create(
        &self,
        ctx: &RequestContext,
        diags: &mut Diagnostics,
        proposed: ClusterModel,
        _config: &ClusterModel,
    ) -> Option<ClusterModel> {
        let planned = plan_new(proposed);
        if let Some(api) = ctx.api_if_configured() {
            check_against_catalogue(diags, &api, &planned, CatalogueScope::ALL).await;
            check_name_is_free(diags, ctx, &api, &planned).await;
        }
        Some(planned)
    }

    async fn plan_update(
        &self,
        ctx: &RequestContext,
        diags: &mut Diagnostics,
        prior: &ClusterModel,
        mut proposed: ClusterModel,
        config: &ClusterModel,
    ) -> Option<(ClusterModel, Vec<AttributePath>)> {
        let replace = plan_existing(diags, prior, &mut proposed, config);
        if replace.is_empty() {
            let scope = CatalogueScope {
                region: changed_ignoring_case(&prior.region, &proposed.region),
                layout: changed_ignoring_case(&prior.size, &proposed.size)
                    || prior.node_count != proposed.node_count,
                version: prior.version != proposed.version,
            };
            if scope
                != (CatalogueScope {
                    region: false,
                    layout: false,
                    version: false,
                })
            {
                if let Some(api) = ctx.api_if_configured() {
                    check_against_catalogue(diags, &api, &proposed, scope).await;
                }
            }
        }
        Some((proposed, replace))
    }

    async fn plan_destroy(&self, diags: &mut Diagnostics, prior: &ClusterModel) {
        refuse_if_protected(diags, prior);
    }

    async fn create(
        &self,
        ctx: &RequestContext,
        diags: &mut Diagnostics,
        planned_state: ClusterModel,
        _config: &ClusterModel,
    ) -> Option<ClusterModel> {
        let api = ctx.api(diags)?;
        let deadline = ctx.deadline();
        let request = CreateClusterRequest {
            name: text(&planned_state.name)?.to_string(),
            engine: text(&planned_state.engine)?.to_string(),
            version: text(&planned_state.version).map(str::to_string),
            num_nodes: planned_state.node_count.as_ref_option().copied()?,
            size: text(&planned_state.size)?.to_ascii_lowercase(),
            region: text(&planned_state.region)?.to_ascii_lowercase(),
            private_network_uuid: text(&planned_state.private_network_uuid).map(str::to_string),
            project_id: text(&planned_state.project_id).map(str::to_string),
            tags: planned_state.tags.as_ref_option().map(|tags| {
                tags.iter()
                    .filter_map(|t| t.as_ref_option().cloned())
                    .collect()
            }),
            storage_size_mib: planned_state.storage_size_mib.as_ref_option().copied(),
            backup_restore: planned_state.backup_restore.as_ref_option().map(|block| {
                BackupRestore {
                    database_name: text(&block.database_name).unwrap_or_default().to_string(),
                    backup_created_at: text(&block.backup_created_at).map(str::to_string),
                }
            }),
            autoscale: None,
        };
        let created = match api.client.clusters().create(&request).await {
            Ok(cluster) => cluster,
            Err(error) => {
                diags.api_err(
                    format!("Could not create {}", describe(&planned_state)),
                    &error,
                );
                return None;
            }
        };
        let id = created.id.clone();
        tracing::info!(cluster = %id, "database cluster created; waiting for it to come online");

        // From here on the cluster exists: every path returns it, so Terraform keeps it in state
        // (tainted when there is an error) and nothing is orphaned.
        let initial = ClusterView {
            cluster: created,
            eviction_policy: None,
            sql_mode: None,
            autoscale: None,
        };
        let mut fallback = settled_state(&state_from_api(&initial, &planned_state));
        let step = Step {
            api: &api,
            id: id.clone(),
            deadline,
            cancel: &ctx.cancel,
            what: describe(&fallback),
        };
        let created_and_waiting = api
            .client
            .clusters()
            .wait(&id, conditions::online(), &api.poll, deadline, &ctx.cancel)
            .await;
        let online = match created_and_waiting {
            Ok(cluster) => cluster,
            Err(error) => {
                diags.wait_err(
                    format!("{} was created but is not online", capitalised(&step.what)),
                    &error,
                );
                diags.root_err(
                    "The new cluster is kept in state as tainted",
                    format!(
                        "Database cluster {id} exists. Terraform records it as tainted, so the \
                         next apply replaces it. If it comes online later and you want to keep \
                         it, run `terraform untaint` on this resource, then apply again."
                    ),
                );
                return Some(fallback);
            }
        };

        let empty = ClusterModel {
            tags: planned_state.tags.clone(),
            ..ClusterModel::default()
        };
        let changes = changes(&empty, &planned_state);
        let settings = Changes {
            resize: false,
            migrate: false,
            upgrade: false,
            tags: false,
            ..changes
        };
        apply_settings(diags, &step, &planned_state, &settings).await;
        // The wait already returned the online cluster; it is read again only when a setting
        // changed it, and then through the wait, which rides out the 404s an eventually
        // consistent API may still give for a new cluster.
        let latest = if settings.maintenance && !diags.has_errors() {
            api.client
                .clusters()
                .wait(&id, conditions::online(), &api.poll, deadline, &ctx.cancel)
                .await
        } else {
            Ok(online)
        };
        match latest {
            Ok(cluster) => {
                match fetch_settings(&api.client, cluster, tracks_autoscale(&planned_state)).await {
                    Ok(view) => fallback = state_from_api(&view, &planned_state),
                    Err(error) => diags.api_err(
                        format!("Could not read the settings of database cluster {id}"),
                        &error,
                    ),
                }
            }
            Err(error) => diags.wait_err(
                format!("Could not read database cluster {id} back after creating it"),
                &error,
            ),
        }
        if diags.has_errors() {
            diags.root_err(
                "The new cluster is kept in state as tainted",
                format!(
                    "Database cluster {id} is online but not every setting could be applied. \
                     Terraform records it as tainted, so the next apply replaces it; run \
                     `terraform untaint` on this resource to keep it and apply the settings \
                     again instead."
                ),
            );
        }
        Some(settled_state(&fallback))
    }

    async fn update(
        &self,
        ctx: &RequestContext,
        diags: &mut Diagnostics,
        prior_state: ClusterModel,
        planned_state: ClusterModel,
        _config: &ClusterModel,
    ) -> Option<ClusterModel> {
        let api = ctx.api(diags)?;
        let id = text(&prior_state.id)?.to_string();
        let step = Step {
            api: &api,
            id: id.clone(),
            deadline: ctx.deadline(),
            cancel: &ctx.cancel,
            what: describe(&prior_state),
        };
        let changes = changes(&prior_state, &planned_state);
        let clusters = api.client.clusters();
        // Pools, topics and firewall changes on this cluster wait until the update is done.
        let _turn = api.client.cluster_turn(&id).await;

        let long_running = async {
            if changes.resize {
                let storage_size_mib = match (
                    &prior_state.storage_size_mib,
                    &planned_state.storage_size_mib,
                ) {
                    (Value::Value(a), Value::Value(b)) if a != b => Some(*b),
                    _ => None,
                };
                let request = ResizeRequest {
                    size: text(&planned_state.size)
                        .unwrap_or_default()
                        .to_ascii_lowercase(),
                    num_nodes: planned_state
                        .node_count
                        .as_ref_option()
                        .copied()
                        .unwrap_or(1),
                    storage_size_mib,
                };
                if let Err(error) = clusters.resize(&id, &request).await {
                    diags.api_err(format!("Could not resize the {}", step.what), &error);
                    return;
                }
                let (size, nodes) = (request.size.clone(), request.num_nodes);
                let resized =
                    |c: &Cluster| c.size.eq_ignore_ascii_case(&size) && c.num_nodes == nodes;
                if !step.wait_online(diags, "the resize", resized).await {
                    return;
                }
            }
            if changes.migrate {
                let request = MigrateRequest {
                    region: text(&planned_state.region)
                        .unwrap_or_default()
                        .to_ascii_lowercase(),
                    private_network_uuid: text(&planned_state.private_network_uuid)
                        .map(str::to_string),
                };
                if let Err(error) = clusters.migrate(&id, &request).await {
                    diags.api_err(format!("Could not migrate the {}", step.what), &error);
                    return;
                }
                let region = request.region.clone();
                let moved = |c: &Cluster| c.region.eq_ignore_ascii_case(&region);
                if !step.wait_online(diags, "the region migration", moved).await {
                    return;
                }
            }
            if changes.upgrade {
                if let Some(version) = text(&planned_state.version) {
                    if let Err(error) = clusters.upgrade(&id, version).await {
                        diags.api_err(format!("Could not upgrade the {}", step.what), &error);
                        return;
                    }
                    let upgraded = |c: &Cluster| c.version.as_deref() == Some(version);
                    if !step
                        .wait_online(diags, "the version upgrade", upgraded)
                        .await
                    {
                        return;
                    }
                }
            }
            apply_settings(diags, &step, &planned_state, &changes).await;
        };
        long_running.await;

        let failed = diags.has_errors();
        // After a failure the state must say what is true now, so the reference is the prior
        // state (keeping only its spellings), not the plan.
        let reference = if failed { &prior_state } else { &planned_state };
        let fallback = settled_state(if failed { &prior_state } else { &planned_state });
        let mut state = read_back(diags, &api, &id, reference, fallback).await;
        state.timeouts = planned_state.timeouts.clone();
        state.backup_restore = planned_state.backup_restore.clone();
        Some(state)
    }

    async fn delete(
        &self,
        ctx: &RequestContext,
        diags: &mut Diagnostics,
        prior_state: ClusterModel,
    ) -> Option<()> {
        // Terraform older than 1.3 does not plan destroys through the provider.
        if refuse_if_protected(diags, &prior_state) {
            return None;
        }
        let api = ctx.api(diags)?;
        let id = text(&prior_state.id)?.to_string();
        let deadline = ctx.deadline();
        // In the cluster's turn like every other change to it, so it never overlaps the
        // deletes of its pools, topics or firewall rules in the same run; an answer that the
        // cluster is busy is retried within the delete timeout.
        let clusters = api.client.clusters();
        let deleted = ctx
            .change_cluster(&api, &id, "delete database cluster", || async {
                match clusters.delete(&id).await {
                    Err(error) if error.is_not_found() => Ok(false),
                    other => other.map(|()| true),
                }
            })
            .await;
        match deleted {
            Ok(true) => {}
            Ok(false) => return Some(()),
            Err(error) => {
                diags.wait_err(
                    format!("Could not delete {}", describe(&prior_state)),
                    &error,
                );
                return None;
            }
        }
        if let Err(error) = api
            .client
            .clusters()
            .wait_gone(&id, &api.poll, deadline, &ctx.cancel)
            .await
        {
            diags.wait_err(
                format!(
                    "{} is being deleted but is not gone yet",
                    capitalised(&describe(&prior_state))
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
    ) -> Option<ClusterModel> {
        let id = match import::parse_uuid(id, "database cluster") {
            Ok(id) => id,
            Err(message) => {
                diags.root_err("Invalid import ID", message);
                return None;
            }
        };
        let api = ctx.api(diags)?;
        match fetch(&api.client, &id, true).await {
            Ok(Some(view)) => Some(state_from_api(&view, &ClusterModel::default())),
            Ok(None) => {
                diags.root_err(
                    "Cannot import a database cluster that does not exist",
                    format!("No database cluster with ID {id} exists for this token."),
                );
                None
            }
            Err(error) => {
                diags.api_err(format!("Could not read database cluster {id}"), &error);
                None
            }
        }
    }

    async fn move_state(
        &self,
        _ctx: &RequestContext,
        diags: &mut Diagnostics,
        request: &MoveRequest,
    ) -> Option<ClusterModel> {
        let source = moved::source_state(diags, request, Self::TYPE_NAME)?;
        moved_from_digitalocean(diags, &source)
    }
}

// ---------------------------------------------------------------------------------------------
// State upgrade
// ---------------------------------------------------------------------------------------------

/// A state stored at an older schema version, as the current version's value. Version 1 had
/// `maintenance_window` as an object attribute (or null) and always stored a window, the
/// API's or the configuration's; version 2 stores the block only when the configuration has
/// it. A version 1 window spelled as a window taken from the API is never stored (a day with
/// capitals, an hour such as `02:00:00`, stored from the API as `02:00`) was the
/// configuration's and becomes the block, day and hour unchanged, so the plan after the
/// upgrade is empty. Any other window cannot be told apart from the API's
/// choice and is left untracked: a configuration without the block plans empty, and one with
/// it plans to add the block, whose apply sets the window it already has. Everything else is
/// as it was.
pub fn upgrade_state(diags: &mut Diagnostics, version: i64, raw: &[u8]) -> Option<Dynamic> {
    if version != 1 {
        diags.root_err(
            "Unsupported state version",
            format!(
                "The state of this {} was written with schema version {version}; this version \
                 of the provider reads versions 1 and {SCHEMA_VERSION}. Use the provider version \
                 that wrote it, or remove the resource from state and import it again.",
                DatabaseClusterResource::TYPE_NAME
            ),
        );
        return None;
    }
    let unreadable = |diags: &mut Diagnostics, problem: String| {
        diags.root_err(
            "Unreadable state",
            format!(
                "The stored state of this {} (schema version 1) could not be upgraded: \
                 {problem}. Remove the resource from state and import it again.",
                DatabaseClusterResource::TYPE_NAME
            ),
        );
    };
    let mut state = match serde_json::from_slice::<serde_json::Value>(raw) {
        Ok(serde_json::Value::Object(state)) => state,
        Ok(_) => {
            unreadable(diags, "it is not a JSON object".to_string());
            return None;
        }
        Err(error) => {
            unreadable(diags, error.to_string());
            return None;
        }
    };
    let blocks = match state.remove("maintenance_window") {
        None | Some(serde_json::Value::Null) => Vec::new(),
        Some(serde_json::Value::Object(window)) => {
            let spelled = |name: &str| window.get(name).and_then(serde_json::Value::as_str);
            let configured = match (spelled("day"), spelled("hour")) {
                (Some(day), Some(hour)) => {
                    day != day.to_ascii_lowercase() || hour != canonical_hour(hour)
                }
                _ => false,
            };
            if configured {
                vec![serde_json::Value::Object(window)]
            } else {
                Vec::new()
            }
        }
        Some(other) => {
            unreadable(
                diags,
                format!("`maintenance_window` is {other}, not an object"),
            );
            return None;
        }
    };
    state.insert(
        "maintenance_window".to_string(),
        serde_json::Value::Array(blocks),
    );
    let bytes = serde_json::Value::Object(state).to_string();
    match json::decode_lenient(bytes.as_bytes(), &cluster_schema().value_type()) {
        Ok(value) => Some(value),
        Err(error) => {
            unreadable(diags, error.to_string());
            None
        }
    }
}

/// A `digitalocean_database_cluster` (schema version 0) as this resource's state: the same
/// attributes, with `storage_size_mib` a number again.
pub fn moved_from_digitalocean(
    diags: &mut Diagnostics,
    source: &SourceState,
) -> Option<ClusterModel> {
    let id = moved::required(diags, source, "digitalocean_database_cluster", "id")?;
    let strings = |name: &str| {
        source.strings(name).map_or(Value::Null, |items| {
            Value::Value(items.into_iter().map(Value::Value).collect::<Vec<_>>())
        })
    };
    Some(ClusterModel {
        id: Value::Value(id),
        name: source.string("name"),
        engine: source.string("engine"),
        version: source.string("version"),
        size: source.string("size"),
        region: source.string("region"),
        node_count: source.int("node_count"),
        tags: source.strings("tags").map_or(Value::Null, |tags| {
            Value::Value(tags.into_iter().map(Value::Value).collect())
        }),
        private_network_uuid: source.string("private_network_uuid"),
        project_id: source.string("project_id"),
        maintenance_window: source
            .block("maintenance_window")
            .map_or(Value::Null, |window| {
                Value::Value(MaintenanceWindowValue {
                    day: window.string("day"),
                    hour: window.string("hour"),
                })
            }),
        eviction_policy: source.string("eviction_policy"),
        sql_mode: source.string("sql_mode"),
        storage_size_mib: source.int("storage_size_mib"),
        // DigitalOcean's provider has no deletion protection; it starts off, as when unset.
        deletion_protection: Value::Null,
        backup_restore: source.block("backup_restore").map_or(Value::Null, |block| {
            Value::Value(BackupRestoreBlock {
                database_name: block.string("database_name"),
                backup_created_at: block.string("backup_created_at"),
            })
        }),
        storage_autoscale: source
            .block("storage_autoscale")
            .map_or(Value::Null, |block| {
                Value::Value(StorageAutoscaleBlock {
                    enabled: block.bool("enabled"),
                    threshold_percent: block.int("threshold_percent"),
                    increment_gib: block.int("increment_gib"),
                })
            }),
        urn: source.string("urn"),
        host: source.string("host"),
        port: source.int("port"),
        uri: source.string("uri"),
        database: source.string("database"),
        user: source.string("user"),
        password: source.string("password"),
        private_host: source.string("private_host"),
        private_uri: source.string("private_uri"),
        ui_host: source.string("ui_host"),
        ui_port: source.int("ui_port"),
        ui_uri: source.string("ui_uri"),
        ui_database: source.string("ui_database"),
        ui_user: source.string("ui_user"),
        ui_password: source.string("ui_password"),
        metrics_endpoints: strings("metrics_endpoints"),
        timeouts: source.timeouts(),
    })
}

fn is_protected(state: &ClusterModel) -> bool {
    state.deletion_protection == Value::Value(true)
}

/// Reports an error and returns true when the cluster must not be deleted.
fn refuse_if_protected(diags: &mut Diagnostics, state: &ClusterModel) -> bool {
    if !is_protected(state) {
        return false;
    }
    diags.err(
        format!(
            "{} is protected from deletion",
            capitalised(&describe(state))
        ),
        "`deletion_protection` is true, so the provider will not delete this cluster. Set \
         `deletion_protection = false` and apply, then destroy it.",
        at("deletion_protection"),
    );
    true
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::models::{MaintenanceWindow, ServiceEndpoint};

    fn s(text: &str) -> Value<String> {
        Value::Value(text.to_string())
    }

    fn api_cluster() -> Cluster {
        Cluster {
            id: "9cc10173-e9ea-4176-9dbc-a4cee4c4ff30".into(),
            name: "backend".into(),
            engine: "pg".into(),
            version: Some("16".into()),
            num_nodes: 2,
            size: "db-s-1vcpu-1gb".into(),
            region: "nyc1".into(),
            status: Some("online".into()),
            tags: Some(vec!["prod".into()]),
            connection: Some(Connection {
                uri: Some("postgresql://doadmin@host.db:25060/defaultdb?sslmode=require".into()),
                database: Some("defaultdb".into()),
                host: Some("host.db".into()),
                port: Some(25060),
                user: Some("doadmin".into()),
                password: None,
                ssl: Some(true),
            }),
            private_connection: Some(Connection {
                uri: Some("postgresql://doadmin@private-host.db:25060/defaultdb".into()),
                host: Some("private-host.db".into()),
                ..Connection::default()
            }),
            maintenance_window: Some(MaintenanceWindow {
                day: "Monday".into(),
                hour: "02:00:00".into(),
                ..MaintenanceWindow::default()
            }),
            storage_size_mib: Some(20480),
            metrics_endpoints: Some(vec![ServiceEndpoint {
                host: Some("host.db".into()),
                port: Some(9273),
            }]),
            ..Cluster::default()
        }
    }

    fn view(cluster: Cluster) -> ClusterView {
        ClusterView {
            cluster,
            eviction_policy: None,
            sql_mode: None,
            autoscale: Some(StorageAutoscale::default()),
        }
    }

    fn configured() -> ClusterModel {
        ClusterModel {
            name: s("backend"),
            engine: s("pg"),
            version: s("16"),
            size: s("DB-S-1VCPU-1GB"),
            region: s("NYC1"),
            node_count: Value::Value(2),
            tags: Value::Value([s("Prod")].into_iter().collect()),
            maintenance_window: Value::Value(MaintenanceWindowValue {
                day: s("monday"),
                hour: s("02:00"),
            }),
            password: s("kept-secret"),
            ..ClusterModel::default()
        }
    }

    #[test]
    fn equivalent_api_spellings_keep_the_configured_ones() {
        let state = state_from_api(&view(api_cluster()), &configured());
        assert_eq!(state.size, s("DB-S-1VCPU-1GB"));
        assert_eq!(state.region, s("NYC1"));
        assert_eq!(state.tags, Value::Value([s("Prod")].into_iter().collect()));
        assert_eq!(
            state.maintenance_window,
            Value::Value(MaintenanceWindowValue {
                day: s("monday"),
                hour: s("02:00")
            })
        );
        assert_eq!(
            state.urn,
            s("do:dbaas:9cc10173-e9ea-4176-9dbc-a4cee4c4ff30")
        );
        assert_eq!(
            state.metrics_endpoints,
            Value::Value(vec![s("https://host.db:9273/metrics")])
        );
        assert_eq!(state.storage_autoscale, Value::Null);
        assert_eq!(state.eviction_policy, Value::Null);
    }

    #[test]
    fn import_canonicalises_what_the_api_says() {
        let state = state_from_api(&view(api_cluster()), &ClusterModel::default());
        assert_eq!(state.region, s("nyc1"));
        assert_eq!(state.tags, Value::Value([s("prod")].into_iter().collect()));
        // The window is tracked only where the configuration has the block.
        assert_eq!(state.maintenance_window, Value::Null);
        let asked = ClusterModel {
            maintenance_window: Value::Unknown,
            ..ClusterModel::default()
        };
        assert_eq!(
            state_from_api(&view(api_cluster()), &asked).maintenance_window,
            Value::Value(MaintenanceWindowValue {
                day: s("monday"),
                hour: s("02:00")
            })
        );
        assert_eq!(state.password, Value::Null);
        assert_eq!(state.backup_restore, Value::Null);
    }

    #[test]
    fn a_password_missing_from_the_answer_is_kept_and_put_into_uris() {
        let state = state_from_api(&view(api_cluster()), &configured());
        assert_eq!(state.password, s("kept-secret"));
        assert_eq!(
            state.uri,
            s("postgresql://doadmin:kept-secret@host.db:25060/defaultdb?sslmode=require")
        );
        assert_eq!(
            state.private_uri,
            s("postgresql://doadmin:kept-secret@private-host.db:25060/defaultdb")
        );

        let mut fresh = api_cluster();
        fresh.connection.as_mut().unwrap().password = Some("from-api".into());
        let state = state_from_api(&view(fresh), &configured());
        assert_eq!(state.password, s("from-api"));
    }

    #[test]
    fn drift_shows_when_values_really_differ() {
        let mut drifted = api_cluster();
        drifted.region = "ams3".into();
        drifted.tags = Some(vec!["prod".into(), "added".into()]);
        drifted.maintenance_window.as_mut().unwrap().hour = "03:30:00".into();
        let state = state_from_api(&view(drifted), &configured());
        assert_eq!(state.region, s("ams3"));
        assert_eq!(
            state.tags,
            Value::Value([s("Prod"), s("added")].into_iter().collect())
        );
        assert_eq!(
            state.maintenance_window.as_ref_option().unwrap().hour,
            s("03:30")
        );
    }

    #[test]
    fn autoscale_makes_storage_a_floor() {
        let mut grown = api_cluster();
        grown.storage_size_mib = Some(40960);
        let mut reference = configured();
        reference.storage_size_mib = Value::Value(20480);
        let mut v = view(grown);
        v.autoscale = Some(StorageAutoscale {
            enabled: true,
            threshold_percent: Some(80),
            increment_gib: Some(10),
        });
        let state = state_from_api(&v, &reference);
        assert_eq!(state.storage_size_mib, Value::Value(20480));
        assert_eq!(
            state.storage_autoscale,
            Value::Value(StorageAutoscaleBlock {
                enabled: Value::Value(true),
                threshold_percent: Value::Value(80),
                increment_gib: Value::Value(10),
            })
        );
        v.autoscale = Some(StorageAutoscale::default());
        assert_eq!(
            state_from_api(&v, &reference).storage_size_mib,
            Value::Value(40960)
        );
    }

    #[test]
    fn sql_mode_order_and_redis_as_valkey_are_not_changes() {
        let mut mysql = api_cluster();
        mysql.engine = "mysql".into();
        let mut v = view(mysql);
        v.sql_mode = Some("STRICT_ALL_TABLES,ANSI".into());
        let mut reference = configured();
        reference.engine = s("mysql");
        reference.sql_mode = s("ansi, strict_all_tables");
        assert_eq!(
            state_from_api(&v, &reference).sql_mode,
            s("ansi, strict_all_tables")
        );

        let mut valkey = api_cluster();
        valkey.engine = "valkey".into();
        valkey.version = Some("8".into());
        let mut v = view(valkey);
        v.eviction_policy = Some("allkeys_lru".into());
        let mut reference = configured();
        reference.engine = s("redis");
        reference.version = s("7");
        let state = state_from_api(&v, &reference);
        assert_eq!(state.engine, s("redis"));
        assert_eq!(state.version, s("7"));
        assert_eq!(state.eviction_policy, s("allkeys_lru"));
    }

    fn errors_for(config: ClusterModel) -> Vec<String> {
        let mut diags = Diagnostics::default();
        validate_config(&mut diags, &config);
        diags
            .errors
            .iter()
            .map(|d| format!("{} | {}", d.summary, d.detail))
            .collect()
    }

    type Breakage = Box<dyn Fn(&mut ClusterModel)>;

    #[test]
    fn validation_names_the_attribute() {
        let cases: Vec<(&str, Breakage)> = vec![
            ("engine", Box::new(|c| c.engine = s("oracle"))),
            ("node_count", Box::new(|c| c.node_count = Value::Value(0))),
            (
                "tags",
                Box::new(|c| c.tags = Value::Value([s("has space")].into_iter().collect())),
            ),
            (
                "private_network_uuid",
                Box::new(|c| c.private_network_uuid = s("nope")),
            ),
            (
                "maintenance_window.day",
                Box::new(|c| {
                    c.maintenance_window = Value::Value(MaintenanceWindowValue {
                        day: s("funday"),
                        hour: s("02:00"),
                    })
                }),
            ),
            (
                "maintenance_window.hour",
                Box::new(|c| {
                    c.maintenance_window = Value::Value(MaintenanceWindowValue {
                        day: s("monday"),
                        hour: s("25:00"),
                    })
                }),
            ),
            (
                "eviction_policy",
                Box::new(|c| c.eviction_policy = s("allkeys_lru")),
            ),
            ("sql_mode", Box::new(|c| c.sql_mode = s("ANSI"))),
            (
                "storage_size_mib",
                Box::new(|c| c.storage_size_mib = Value::Value(10)),
            ),
        ];
        for (attribute, break_it) in cases {
            let mut config = configured();
            break_it(&mut config);
            let errors = errors_for(config);
            assert_eq!(errors.len(), 1, "{attribute}: {errors:?}");
            assert!(errors[0].contains(attribute), "{attribute}: {errors:?}");
        }
        assert!(errors_for(configured()).is_empty());
    }

    #[test]
    fn validation_skips_unknown_values() {
        let mut config = configured();
        config.engine = Value::Unknown;
        config.eviction_policy = s("allkeys_lru");
        config.node_count = Value::Unknown;
        assert!(errors_for(config).is_empty());
    }

    fn prior() -> ClusterModel {
        let mut prior = state_from_api(&view(api_cluster()), &configured());
        prior.id = s("9cc10173-e9ea-4176-9dbc-a4cee4c4ff30");
        prior
    }

    #[test]
    fn in_place_changes_do_not_replace_and_keep_unaffected_values_known() {
        let prior = prior();
        let mut planned = prior.clone();
        planned.size = s("db-s-2vcpu-4gb");
        let config = ClusterModel {
            storage_size_mib: Value::Null,
            ..planned.clone()
        };
        let mut diags = Diagnostics::default();
        let replace = plan_existing(&mut diags, &prior, &mut planned, &config);
        assert!(replace.is_empty() && diags.errors.is_empty());
        assert_eq!(planned.storage_size_mib, Value::Unknown);
        assert_eq!(planned.host, prior.host);
        assert_eq!(planned.metrics_endpoints, prior.metrics_endpoints);
        assert!(changes(&prior, &planned).resize);

        let mut planned = prior.clone();
        planned.region = s("ams3");
        let replace = {
            let config = planned.clone();
            plan_existing(&mut diags, &prior, &mut planned, &config)
        };
        assert!(replace.is_empty());
        assert_eq!(planned.private_host, Value::Unknown);
        assert_eq!(planned.password, prior.password);
        let c = changes(&prior, &planned);
        assert!(c.migrate && !c.resize);
    }

    #[test]
    fn identity_changes_replace() {
        let prior = prior();
        let mut planned = prior.clone();
        planned.name = s("renamed");
        let mut diags = Diagnostics::default();
        let replace = {
            let config = planned.clone();
            plan_existing(&mut diags, &prior, &mut planned, &config)
        };
        assert_eq!(replace, vec![AttributePath::new("name")]);

        let mut planned = prior.clone();
        planned.engine = s("valkey");
        let mut redis = prior.clone();
        redis.engine = s("redis");
        assert!({
            let config = planned.clone();
            plan_existing(&mut diags, &redis, &mut planned, &config)
        }
        .is_empty());
    }

    #[test]
    fn downgrades_and_shrinks_are_plan_errors() {
        let prior = prior();
        let mut planned = prior.clone();
        planned.version = s("15");
        planned.storage_size_mib = Value::Value(10240);
        let mut diags = Diagnostics::default();
        {
            let config = planned.clone();
            plan_existing(&mut diags, &prior, &mut planned, &config)
        };
        let attributes: Vec<String> = diags
            .errors
            .iter()
            .map(|d| crate::framework::validate::path_name(&d.attribute))
            .collect();
        assert_eq!(attributes, vec!["version", "storage_size_mib"]);
    }

    #[test]
    fn equivalent_settings_are_not_changes() {
        let prior = prior();
        let mut planned = prior.clone();
        planned.maintenance_window = Value::Value(MaintenanceWindowValue {
            day: s("MONDAY"),
            hour: s("02:00:00"),
        });
        planned.tags = Value::Value([s("PROD")].into_iter().collect());
        assert_eq!(changes(&prior, &planned), Changes::default());
    }

    #[test]
    fn plan_for_a_new_cluster_marks_engine_specific_settings() {
        let planned = plan_new(configured());
        assert_eq!(planned.id, Value::Unknown);
        assert_eq!(planned.eviction_policy, Value::Null);
        assert_eq!(planned.sql_mode, Value::Null);
        assert_eq!(planned.storage_size_mib, Value::Unknown);
        let mut redis = configured();
        redis.engine = s("redis");
        assert_eq!(plan_new(redis).eviction_policy, Value::Unknown);
    }

    #[test]
    fn passwords_go_into_uris_only_when_missing() {
        assert_eq!(
            uri_with_password("mongodb+srv://doadmin@h/admin", Some("p")),
            "mongodb+srv://doadmin:p@h/admin"
        );
        assert_eq!(
            uri_with_password("rediss://default:x@h:25061", Some("p")),
            "rediss://default:x@h:25061"
        );
        assert_eq!(
            uri_with_password("https://h:443", Some("p")),
            "https://h:443"
        );
    }

    fn catalogue() -> Options {
        serde_json::from_value(serde_json::json!({
            "options": {"pg": {
                "regions": ["nyc1", "ams3"],
                "versions": ["15", "16"],
                "layouts": [
                    {"num_nodes": 1, "sizes": ["db-s-1vcpu-1gb"]},
                    {"num_nodes": 2, "sizes": ["db-s-2vcpu-4gb"]}
                ]
            }}
        }))
        .unwrap()
    }

    fn catalogue_errors(change: impl Fn(&mut ClusterModel), scope: CatalogueScope) -> Vec<String> {
        let mut planned = configured();
        planned.node_count = Value::Value(1);
        change(&mut planned);
        let mut diags = Diagnostics::default();
        check_catalogue(&mut diags, &catalogue(), &planned, scope);
        diags
            .errors
            .iter()
            .map(|d| {
                format!(
                    "{}: {}",
                    crate::framework::validate::path_name(&d.attribute),
                    d.detail
                )
            })
            .collect()
    }

    #[test]
    fn the_catalogue_names_the_attribute_and_the_valid_choices() {
        assert!(catalogue_errors(|_| {}, CatalogueScope::ALL).is_empty());
        let errors = catalogue_errors(|c| c.region = s("sfo9"), CatalogueScope::ALL);
        assert_eq!(errors.len(), 1);
        assert!(
            errors[0].starts_with("region:") && errors[0].contains("nyc1, ams3"),
            "{errors:?}"
        );
        let errors = catalogue_errors(|c| c.node_count = Value::Value(2), CatalogueScope::ALL);
        assert!(
            errors[0].starts_with("size:") && errors[0].contains("db-s-2vcpu-4gb"),
            "{errors:?}"
        );
        let errors = catalogue_errors(|c| c.node_count = Value::Value(3), CatalogueScope::ALL);
        assert!(
            errors[0].starts_with("node_count:") && errors[0].contains("1, 2"),
            "{errors:?}"
        );
        let errors = catalogue_errors(|c| c.version = s("9"), CatalogueScope::ALL);
        assert!(
            errors[0].starts_with("version:") && errors[0].contains("15, 16"),
            "{errors:?}"
        );
        let errors = catalogue_errors(|c| c.engine = s("mysql"), CatalogueScope::ALL);
        assert!(
            errors[0].starts_with("engine:") && errors[0].contains("pg"),
            "{errors:?}"
        );
        let unchanged = CatalogueScope {
            region: false,
            layout: true,
            version: false,
        };
        assert!(catalogue_errors(|c| c.version = s("9"), unchanged).is_empty());
        assert!(catalogue_errors(|c| c.size = Value::Unknown, CatalogueScope::ALL).is_empty());
    }

    #[test]
    fn protection_turns_a_replacement_into_an_error() {
        let mut protected = prior();
        protected.deletion_protection = Value::Value(true);
        let mut planned = protected.clone();
        planned.name = s("renamed");
        let config = planned.clone();
        let mut diags = Diagnostics::default();
        let replace = plan_existing(&mut diags, &protected, &mut planned, &config);
        assert_eq!(replace, vec![AttributePath::new("name")]);
        assert_eq!(diags.errors.len(), 1);
        assert!(diags.errors[0].detail.contains("deletion_protection"));

        let mut diags = Diagnostics::default();
        assert!(refuse_if_protected(&mut diags, &protected));
        assert!(!refuse_if_protected(&mut diags, &prior()));
        assert_eq!(diags.errors.len(), 1);
    }
}
