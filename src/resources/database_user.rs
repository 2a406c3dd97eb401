//! `dbaas_database_user`: a database user of a cluster, and [`register`] for this group's
//! resources and data sources (`dbaas_database_user`, `dbaas_database_db` and the data sources
//! `dbaas_database_user` and `dbaas_database_connection_pool`).
//!
//! The schema is DigitalOcean's (`digitalocean_database_user`), so a module written for it runs
//! after renaming the prefix. Where it deviates, it does so because DigitalOcean's is wrong:
//! - `settings` is read back on every refresh (DigitalOcean's provider only takes it from the
//!   create response, their issue #1610), so a change made outside Terraform shows as drift;
//! - settings that do not fit the cluster's engine (Kafka ACLs on PostgreSQL, …) and a
//!   `mysql_auth_plugin` on another engine are plan-time errors, not API errors at apply;
//! - `settings` may appear once (DigitalOcean accepts several blocks and silently uses the
//!   first);
//! - `mongo_user_settings` and `pg_allow_replication`, which the API has and DigitalOcean's
//!   provider lacks, are there.
//!
//! Only identity (`cluster_id`, `name`) forces replacement: settings change in place with one
//! `PUT`, the MySQL authentication plugin through `reset_auth` (which also issues a new
//! password). A password the API stops returning (MongoDB returns it only on create) is kept.

use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::api::models::{
    Cluster, CreateUserRequest, DatabaseUser, KafkaAcl, MongoUserSettings, MysqlSettings,
    OpenSearchAcl, ResetUserAuthRequest, UpdateUserRequest, UserSettings,
};
use crate::api::wait::conditions;
use crate::api::Found;
use crate::framework::attr as at;
use crate::framework::child::{self, ChildKind};
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
use crate::framework::{plan, validate};
use crate::map;
use crate::plugin::schema::{AttributeType, Block, Description, NestedBlock, Schema};
use crate::plugin::service::MoveRequest;
use crate::plugin::value::{self, Value};
use crate::plugin::{AttributePath, Diagnostics};
use crate::provider::DbaasProvider;

use super::database_db::DatabaseDbResource;
use super::moved::{self, SourceState};
use super::schema_util::{computed, optional, optional_computed, required, sensitive};
use crate::data_sources::database_connection_pool::DatabaseConnectionPoolDataSource;
use crate::data_sources::database_user::DatabaseUserDataSource;

/// Adds this group's resources and data sources to the provider.
pub fn register(host: Host<DbaasProvider>) -> Host<DbaasProvider> {
    host.resource(Adapter::boxed(DatabaseUserResource))
        .resource(Adapter::boxed(DatabaseDbResource))
        .data_source(DataSourceAdapter::boxed(DatabaseUserDataSource))
        .data_source(DataSourceAdapter::boxed(DatabaseConnectionPoolDataSource))
}

/// MySQL's authentication plugins, in the API's spelling.
pub const AUTH_PLUGINS: [&str; 2] = ["mysql_native_password", "caching_sha2_password"];
/// The plugin a MySQL user gets when none is asked for (MySQL 8's default).
pub const DEFAULT_AUTH_PLUGIN: &str = "caching_sha2_password";
/// Permissions of a Kafka topic ACL.
pub const KAFKA_PERMISSIONS: [&str; 4] = ["admin", "consume", "produce", "produceconsume"];
/// Permissions of an OpenSearch index ACL.
pub const OPENSEARCH_PERMISSIONS: [&str; 5] = ["deny", "admin", "read", "readwrite", "write"];
/// MongoDB roles a user can be given.
pub const MONGO_ROLES: [&str; 3] = ["readOnly", "readWrite", "dbAdmin"];

/// Engines whose clusters have no database users (only the built-in `default` user).
const ENGINES_WITHOUT_USERS: [&str; 2] = ["redis", "valkey"];

const TIMEOUTS: TimeoutDefaults = TimeoutDefaults {
    create: Duration::from_secs(20 * 60),
    update: Duration::from_secs(20 * 60),
    delete: Duration::from_secs(10 * 60),
};

fn is_engine(engine: &str, family: &[&str]) -> bool {
    family.iter().any(|e| same_ignoring_case(e, engine))
}

fn is_mysql(engine: &str) -> bool {
    is_engine(engine, &["mysql", "advanced_mysql"])
}

fn is_postgres(engine: &str) -> bool {
    is_engine(engine, &["pg", "advanced_pg"])
}

fn is_kafka(engine: &str) -> bool {
    is_engine(engine, &["kafka"])
}

fn is_opensearch(engine: &str) -> bool {
    is_engine(engine, &["opensearch"])
}

fn is_mongodb(engine: &str) -> bool {
    is_engine(engine, &["mongodb"])
}

// ---------------------------------------------------------------------------------------------
// Model
// ---------------------------------------------------------------------------------------------

/// The resource's state, field for field as in the schema.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct UserModel {
    pub id: Value<String>,
    pub cluster_id: Value<String>,
    pub name: Value<String>,
    pub role: Value<String>,
    pub password: Value<String>,
    pub access_cert: Value<String>,
    pub access_key: Value<String>,
    pub mysql_auth_plugin: Value<String>,
    #[serde(with = "value::serde_as_vec")]
    pub settings: Value<SettingsBlock>,
    #[serde(with = "value::serde_as_vec")]
    pub timeouts: Value<Timeouts>,
}

/// The `settings` block.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SettingsBlock {
    pub acl: Value<Vec<AclBlock>>,
    pub opensearch_acl: Value<Vec<OpenSearchAclBlock>>,
    #[serde(with = "value::serde_as_vec")]
    pub mongo_user_settings: Value<MongoBlock>,
    pub pg_allow_replication: Value<bool>,
}

/// One `settings.acl` block (Kafka).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AclBlock {
    pub id: Value<String>,
    pub topic: Value<String>,
    pub permission: Value<String>,
}

/// One `settings.opensearch_acl` block.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct OpenSearchAclBlock {
    pub index: Value<String>,
    pub permission: Value<String>,
}

/// The `settings.mongo_user_settings` block.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MongoBlock {
    pub databases: Value<Vec<Value<String>>>,
    pub role: Value<String>,
}

/// The resource ID, which is also the import ID.
pub fn user_id(cluster_id: &str, name: &str) -> String {
    child::child_id(cluster_id, name)
}

/// The blocks of a list block; an absent one (null) is the empty list Terraform expects.
fn blocks<T: Clone>(list: &Value<Vec<T>>) -> Vec<T> {
    list.as_ref_option().cloned().unwrap_or_default()
}

/// DigitalOcean's spellings of Kafka permissions (`produce_consume`, `readwrite`) as the API's.
fn kafka_permission(api: &str) -> String {
    match api.to_ascii_lowercase().as_str() {
        "produceconsume" | "produce_consume" | "readwrite" | "read_write" => {
            "produceconsume".to_string()
        }
        other => other.to_string(),
    }
}

fn opensearch_permission(api: &str) -> String {
    match api.to_ascii_lowercase().as_str() {
        "readwrite" | "read_write" => "readwrite".to_string(),
        other => other.to_string(),
    }
}

fn non_empty(text: Option<&String>) -> Option<&str> {
    text.map(String::as_str).filter(|t| !t.is_empty())
}

/// Whether two lists hold the same elements, in any order.
fn same_elements<T: PartialEq>(a: &[T], b: &[T]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut unused: Vec<&T> = b.iter().collect();
    a.iter().all(|x| match unused.iter().position(|y| *y == x) {
        Some(i) => {
            unused.swap_remove(i);
            true
        }
        None => false,
    })
}

fn acl_key(block: &AclBlock) -> (Value<String>, Value<String>) {
    (block.topic.clone(), block.permission.clone())
}

/// The API's Kafka ACLs, in the order of `reference` when they are the same ones.
fn acls_from_api(api: &[KafkaAcl], reference: &[AclBlock]) -> Vec<AclBlock> {
    let read: Vec<AclBlock> = api
        .iter()
        .map(|acl| AclBlock {
            id: known(acl.id.clone().filter(|id| !id.is_empty())),
            topic: Value::Value(acl.topic.clone()),
            permission: Value::Value(kafka_permission(&acl.permission)),
        })
        .collect();
    let read_keys: Vec<_> = read.iter().map(acl_key).collect();
    let reference_keys: Vec<_> = reference.iter().map(acl_key).collect();
    if !same_elements(&read_keys, &reference_keys) {
        return read;
    }
    let mut unused = read;
    reference
        .iter()
        .map(|wanted| {
            let i = unused
                .iter()
                .position(|acl| acl_key(acl) == acl_key(wanted))
                .unwrap_or(0);
            unused.swap_remove(i)
        })
        .collect()
}

fn opensearch_acls_from_api(
    api: &[OpenSearchAcl],
    reference: &[OpenSearchAclBlock],
) -> Vec<OpenSearchAclBlock> {
    let read: Vec<OpenSearchAclBlock> = api
        .iter()
        .map(|acl| OpenSearchAclBlock {
            index: known(acl.index.clone()),
            permission: known(acl.permission.as_deref().map(opensearch_permission)),
        })
        .collect();
    if same_elements(&read, reference) {
        reference.to_vec()
    } else {
        read
    }
}

/// The MongoDB settings the API reports, for a state whose `reference` block says what is
/// managed: an attribute left out of the configuration is not read (the API fills in defaults
/// of its own), and without a block nothing is.
fn mongo_from_api(
    api: Option<&MongoUserSettings>,
    reference: &Value<MongoBlock>,
) -> Value<MongoBlock> {
    let Value::Value(reference) = reference else {
        return Value::Null;
    };
    let databases = match (&reference.databases, api.and_then(|m| m.databases.as_ref())) {
        (Value::Null, _) => Value::Null,
        (wanted, Some(databases)) => {
            let read: Vec<Value<String>> = databases.iter().cloned().map(Value::Value).collect();
            match wanted {
                Value::Value(wanted) if same_elements(wanted, &read) => {
                    Value::Value(wanted.clone())
                }
                _ => Value::Value(read),
            }
        }
        (_, None) => Value::Value(Vec::new()),
    };
    let role = match &reference.role {
        Value::Null => Value::Null,
        _ => known(api.and_then(|m| m.role.clone())),
    };
    Value::Value(MongoBlock { databases, role })
}

/// The `settings` block from what the API says. `reference` (plan, prior state, or nothing on
/// import) decides the block's presence and the order of equivalent lists: without a block in
/// it, a block appears only when the API reports something beyond the defaults (ACLs, or
/// replication granted), which is then drift to show.
pub fn settings_from_api(
    api: Option<&UserSettings>,
    reference: &Value<SettingsBlock>,
) -> Value<SettingsBlock> {
    let empty = SettingsBlock::default();
    let wanted = reference.as_ref_option().unwrap_or(&empty);
    let acl = acls_from_api(
        api.and_then(|s| s.acl.as_deref()).unwrap_or_default(),
        &blocks(&wanted.acl),
    );
    let opensearch_acl = opensearch_acls_from_api(
        api.and_then(|s| s.opensearch_acl.as_deref())
            .unwrap_or_default(),
        &blocks(&wanted.opensearch_acl),
    );
    let replication = api.and_then(|s| s.pg_allow_replication).unwrap_or(false);
    let pg_allow_replication = match (replication, &wanted.pg_allow_replication) {
        (true, _) => Value::Value(true),
        (false, Value::Value(_)) => Value::Value(false),
        (false, _) => Value::Null,
    };
    let block = SettingsBlock {
        mongo_user_settings: mongo_from_api(
            api.and_then(|s| s.mongo_user_settings.as_ref()),
            &wanted.mongo_user_settings,
        ),
        acl: Value::Value(acl),
        opensearch_acl: Value::Value(opensearch_acl),
        pg_allow_replication,
    };
    let beyond_defaults = !blocks(&block.acl).is_empty()
        || !blocks(&block.opensearch_acl).is_empty()
        || block.pg_allow_replication == Value::Value(true);
    if reference.is_value() || beyond_defaults {
        Value::Value(block)
    } else {
        Value::Null
    }
}

/// Builds the state from what the API says. `reference` is the plan (after create/update),
/// the prior state (read), or empty (import): its spellings win where the API's value is
/// equivalent, and its secrets are kept when the answer carries none.
pub fn state_from_api(cluster_id: &str, user: &DatabaseUser, reference: &UserModel) -> UserModel {
    let cluster_id = match &reference.cluster_id {
        Value::Value(wanted) if same_ignoring_case(wanted, cluster_id) => {
            Value::Value(wanted.clone())
        }
        _ => Value::Value(cluster_id.to_string()),
    };
    let name = Value::Value(user.name.clone());
    let secret = |answer: Option<&String>, kept: &Value<String>| match non_empty(answer) {
        Some(value) => Value::Value(value.to_string()),
        None => settled(kept),
    };
    UserModel {
        id: Value::Value(user_id(text(&cluster_id).unwrap_or_default(), &user.name)),
        cluster_id,
        name,
        // DigitalOcean's provider reads an empty role as `normal`, and so does this one.
        role: Value::Value(
            non_empty(user.role.as_ref())
                .unwrap_or("normal")
                .to_string(),
        ),
        password: secret(user.password.as_ref(), &reference.password),
        access_cert: secret(user.access_cert.as_ref(), &reference.access_cert),
        access_key: secret(user.access_key.as_ref(), &reference.access_key),
        mysql_auth_plugin: known(
            user.mysql_settings
                .as_ref()
                .map(|m| m.auth_plugin.clone())
                .filter(|p| !p.is_empty()),
        )
        .or(settled(&reference.mysql_auth_plugin)),
        settings: settings_from_api(user.settings.as_ref(), &reference.settings),
        timeouts: settled(&reference.timeouts),
    }
}

/// An apply must return exactly what the plan promised: known planned values are kept even
/// when the answer differs (the next refresh reports such a difference as drift), and what
/// the plan left unknown (ACL IDs, a new password) comes from the answer.
fn conform_to_plan(mut state: UserModel, planned: &UserModel) -> UserModel {
    let keep = |actual: &mut Value<String>, promised: &Value<String>| {
        if promised.is_value() {
            *actual = promised.clone();
        }
    };
    keep(&mut state.role, &planned.role);
    keep(&mut state.password, &planned.password);
    keep(&mut state.access_cert, &planned.access_cert);
    keep(&mut state.access_key, &planned.access_key);
    if !planned.mysql_auth_plugin.is_unknown() {
        state.mysql_auth_plugin = planned.mysql_auth_plugin.clone();
    }
    state.settings = match &planned.settings {
        Value::Value(promised) => {
            let mut read = blocks(
                &state
                    .settings
                    .as_ref_option()
                    .map(|s| s.acl.clone())
                    .unwrap_or_default(),
            );
            let mut settings = promised.clone();
            if let Value::Value(acls) = &mut settings.acl {
                for acl in acls.iter_mut() {
                    if acl.id.is_unknown() {
                        acl.id = match read.iter().position(|r| acl_key(r) == acl_key(acl)) {
                            Some(i) => read.swap_remove(i).id,
                            None => Value::Null,
                        };
                    }
                }
            }
            Value::Value(settings)
        }
        _ => Value::Null,
    };
    state.timeouts = planned.timeouts.clone();
    state
}

// ---------------------------------------------------------------------------------------------
// Schema
// ---------------------------------------------------------------------------------------------

const TIMEOUT_WORDING: TimeoutWording = TimeoutWording {
    create: "How long to wait for the cluster to be online and accept the new user",
    update: "How long to keep retrying a settings or authentication change while the cluster \
             is busy",
    delete: "How long to wait for the user to be deleted",
    block: "Time limits for creating, updating and deleting the user. A cluster that is busy or \
            not ready yet is retried until the limit.",
};

/// The `settings` block, shared with the data source's description of the same shape.
pub fn settings_block() -> Block {
    use AttributeType::{Bool, String as Str};
    let acl = Block {
        attributes: map! {
            "id" => computed(Str, "The ID the API gave the ACL."),
            "topic" => required(Str,
                "A regular expression for the topics the ACL applies to, such as `events-.*`."),
            "permission" => required(Str,
                "What the user may do on those topics: `admin`, `consume`, `produce` or \
                 `produceconsume`."),
        },
        description: Description::markdown("A Kafka topic ACL. Kafka clusters only."),
        ..Default::default()
    };
    let opensearch_acl = Block {
        attributes: map! {
            "index" => required(Str,
                "A regular expression for the indexes the ACL applies to, such as `logs-*`."),
            "permission" => required(Str,
                "What the user may do on those indexes: `deny`, `admin`, `read`, `write` or \
                 `readwrite`."),
        },
        description: Description::markdown("An OpenSearch index ACL. OpenSearch clusters only."),
        ..Default::default()
    };
    let mongo = Block {
        attributes: map! {
            "databases" => optional(AttributeType::List(Box::new(Str)),
                "The databases the user may access. Left out, the API's default applies and \
                 is not managed."),
            "role" => optional(Str,
                "The user's role on those databases: `readOnly`, `readWrite` or `dbAdmin`. \
                 Left out, the API's default applies and is not managed."),
        },
        description: Description::markdown(
            "MongoDB access of the user (not in DigitalOcean's provider). MongoDB clusters only.",
        ),
        ..Default::default()
    };
    Block {
        attributes: map! {
            "pg_allow_replication" => optional(Bool,
                "Whether the user may open replication connections (not in DigitalOcean's \
                 provider). PostgreSQL clusters only. Left out, replication is not granted."),
        },
        blocks: map! {
            "acl" => NestedBlock::List(acl),
            "opensearch_acl" => NestedBlock::List(opensearch_acl),
            "mongo_user_settings" => NestedBlock::Optional(mongo),
        },
        description: Description::markdown(
            "Engine-specific settings of the user, changed in place and read back on every \
             refresh, so a change made outside Terraform shows as drift (DigitalOcean's \
             provider never reads them back). Each setting belongs to one engine, and a setting \
             for another engine than the cluster's is rejected at plan time. At most one \
             `settings` block (DigitalOcean's provider accepts several and uses the first). \
             Removing an ACL, or the block, removes it from the user.",
        ),
        ..Default::default()
    }
}

pub fn user_schema() -> Schema {
    use AttributeType::String as Str;
    let attributes = map! {
        "id" => computed(Str,
            "The user's ID, `<cluster_id>,<name>`: the same string `terraform import` takes. \
             (DigitalOcean's provider uses `<cluster_id>/user/<name>`; a `moved` block converts \
             it.)"),
        "cluster_id" => required(Str,
            "The UUID of the cluster the user belongs to. Changing it replaces the user. \
             Redis and Valkey clusters have no database users; such a cluster is rejected at \
             plan time when the ID is known then."),
        "name" => required(Str,
            "The user's name: 1 to 63 characters, without whitespace, `/` or `,`. Changing it \
             replaces the user."),
        "role" => computed(Str,
            "The user's role: `primary` for the cluster's admin user, `normal` for the others."),
        "password" => sensitive(computed(Str,
            "The user's password. Kept from the create response when later answers leave it \
             out (MongoDB returns it only then; read-only tokens never see it). Known only \
             after apply when `mysql_auth_plugin` changes, because that issues a new \
             password.")),
        "access_cert" => sensitive(computed(Str,
            "Kafka only: the certificate for the user's TLS client authentication (PEM).")),
        "access_key" => sensitive(computed(Str,
            "Kafka only: the private key for the user's TLS client authentication (PEM).")),
        "mysql_auth_plugin" => optional_computed(Str,
            "MySQL only: how the user authenticates, `caching_sha2_password` (the default) or \
             `mysql_native_password` (for older clients). Changed in place through the API's \
             `reset_auth`, which also issues a new password; removing it returns the user to \
             `caching_sha2_password`. Set on another engine, it is a plan-time error."),
    };
    Schema {
        version: 0,
        block: Block {
            version: 0,
            attributes,
            blocks: map! {
                "settings" => NestedBlock::Optional(settings_block()),
                "timeouts" => NestedBlock::Optional(timeouts_block(TIMEOUTS, TIMEOUT_WORDING)),
            },
            description: Description::markdown(
                "A database user of a cluster (any engine but Redis and Valkey), with its \
                 generated password and, on Kafka, its client certificate. `settings` and \
                 `mysql_auth_plugin` change in place; a new `cluster_id` or `name` replaces the \
                 user. Import an existing user with `<cluster_id>,<name>`.",
            ),
            ..Default::default()
        },
    }
}

// ---------------------------------------------------------------------------------------------
// Validation (configuration only, unknown values skipped)
// ---------------------------------------------------------------------------------------------

/// User and database names as the API accepts them: 1 to 63 characters without whitespace
/// or `/`; and without `,`, which the import ID `<cluster_id>,<name>` relies on.
pub fn is_child_name(name: &str) -> bool {
    validate::is_made_of(name, 1, 63, |c| !c.is_whitespace() && c != '/' && c != ',')
}

fn settings_path(name: &'static str) -> AttributePath {
    at("settings").index(0).attribute(name)
}

pub fn validate_config(diags: &mut Diagnostics, config: &UserModel) {
    validate::uuid(diags, at("cluster_id"), &config.cluster_id);
    validate::matches(
        diags,
        at("name"),
        &config.name,
        is_child_name,
        "1 to 63 characters without whitespace, '/' or ','",
    );
    validate::one_of(
        diags,
        at("mysql_auth_plugin"),
        &config.mysql_auth_plugin,
        &AUTH_PLUGINS,
        false,
    );
    if let Value::Value(settings) = &config.settings {
        for (i, acl) in blocks(&settings.acl).iter().enumerate() {
            let path = |name: &'static str| settings_path("acl").index(i as i64).attribute(name);
            validate::not_blank(diags, path("topic"), &acl.topic);
            validate::one_of(
                diags,
                path("permission"),
                &acl.permission,
                &KAFKA_PERMISSIONS,
                false,
            );
        }
        for (i, acl) in blocks(&settings.opensearch_acl).iter().enumerate() {
            let path = |name: &'static str| {
                settings_path("opensearch_acl")
                    .index(i as i64)
                    .attribute(name)
            };
            validate::not_blank(diags, path("index"), &acl.index);
            validate::one_of(
                diags,
                path("permission"),
                &acl.permission,
                &OPENSEARCH_PERMISSIONS,
                false,
            );
        }
        if let Value::Value(mongo) = &settings.mongo_user_settings {
            let path = |name: &'static str| {
                settings_path("mongo_user_settings")
                    .index(0)
                    .attribute(name)
            };
            validate::one_of(diags, path("role"), &mongo.role, &MONGO_ROLES, false);
            if let Value::Value(databases) = &mongo.databases {
                for database in databases {
                    validate::not_blank(diags, path("databases"), database);
                }
            }
        }
    }
    validate_timeouts(diags, &config.timeouts);
}

/// A setting that only one engine has: where it is, the engine's name, and the engine test.
type EngineSetting = (AttributePath, &'static str, fn(&str) -> bool);

/// The settings a configuration (or plan) uses, each with the engine it needs.
fn engine_specific_settings(config: &UserModel) -> Vec<EngineSetting> {
    let mut used: Vec<EngineSetting> = Vec::new();
    if config.mysql_auth_plugin.is_value() {
        used.push((at("mysql_auth_plugin"), "MySQL", is_mysql));
    }
    if let Value::Value(settings) = &config.settings {
        if !blocks(&settings.acl).is_empty() {
            used.push((settings_path("acl"), "Kafka", is_kafka));
        }
        if !blocks(&settings.opensearch_acl).is_empty() {
            used.push((settings_path("opensearch_acl"), "OpenSearch", is_opensearch));
        }
        if settings.mongo_user_settings.is_value() {
            used.push((settings_path("mongo_user_settings"), "MongoDB", is_mongodb));
        }
        if settings.pg_allow_replication.is_value() {
            used.push((
                settings_path("pg_allow_replication"),
                "PostgreSQL",
                is_postgres,
            ));
        }
    }
    used
}

/// Errors for a cluster that has no users, and for settings of another engine. Returns
/// whether the configuration fits the cluster.
fn check_engine(diags: &mut Diagnostics, cluster: &Cluster, config: &UserModel) -> bool {
    if is_engine(&cluster.engine, &ENGINES_WITHOUT_USERS) {
        diags.err(
            "Database users need a cluster that has them",
            format!(
                "`cluster_id` {:?} is the {} cluster {:?}. Redis and Valkey clusters have only \
                 their built-in `default` user; database users exist on PostgreSQL, MySQL, \
                 MongoDB, Kafka and OpenSearch clusters.",
                cluster.id, cluster.engine, cluster.name
            ),
            at("cluster_id"),
        );
        return false;
    }
    let mut fits = true;
    for (path, engine_name, fits_engine) in engine_specific_settings(config) {
        if !fits_engine(&cluster.engine) {
            let name = validate::path_name(&path);
            diags.err(
                format!("Invalid {name}"),
                format!(
                    "`{name}` is for {engine_name} clusters only, but `cluster_id` {:?} is the \
                     {} cluster {:?}. Remove it, or point `cluster_id` at a {engine_name} \
                     cluster.",
                    cluster.id, cluster.engine, cluster.name
                ),
                path,
            );
            fits = false;
        }
    }
    fits
}

// ---------------------------------------------------------------------------------------------
// Plan
// ---------------------------------------------------------------------------------------------

fn unknown_acl_ids(settings: &mut Value<SettingsBlock>) {
    if let Value::Value(settings) = settings {
        if let Value::Value(acls) = &mut settings.acl {
            for acl in acls {
                acl.id = Value::Unknown;
            }
        }
    }
}

/// The settings without what the server assigns (ACL IDs), to tell whether they change.
fn settings_as_written(settings: &Value<SettingsBlock>) -> Value<SettingsBlock> {
    let mut settings = settings.clone();
    if let Value::Value(block) = &mut settings {
        block.acl = Value::Value(
            blocks(&block.acl)
                .into_iter()
                .map(|acl| AclBlock {
                    id: Value::Null,
                    ..acl
                })
                .collect(),
        );
        block.opensearch_acl = Value::Value(blocks(&block.opensearch_acl));
    }
    settings
}

/// The plan for a new user: the configuration, the ID (known as soon as its parts are), and
/// unknown credentials. `engine` is the cluster's when the plan could read it: a MySQL user
/// left without a plugin then shows the default it will get.
pub fn plan_new(mut planned: UserModel, engine: Option<&str>) -> UserModel {
    planned.id = match (text(&planned.cluster_id), text(&planned.name)) {
        (Some(cluster_id), Some(name)) => Value::Value(user_id(cluster_id, name)),
        _ => Value::Unknown,
    };
    for value in [
        &mut planned.role,
        &mut planned.password,
        &mut planned.access_cert,
        &mut planned.access_key,
    ] {
        *value = Value::Unknown;
    }
    if planned.mysql_auth_plugin.is_null() || planned.mysql_auth_plugin.is_unknown() {
        planned.mysql_auth_plugin = match (&planned.mysql_auth_plugin, engine) {
            (Value::Null, Some(engine)) if is_mysql(engine) => {
                Value::Value(DEFAULT_AUTH_PLUGIN.to_string())
            }
            (Value::Null, Some(_)) => Value::Null,
            _ => Value::Unknown,
        };
    }
    unknown_acl_ids(&mut planned.settings);
    planned
}

/// Adjusts the plan for an existing user; returns the attributes that force replacement.
///
/// A `mysql_auth_plugin` removed from the configuration goes back to the default; changing it
/// issues a new password. New settings may get new ACL IDs.
pub fn plan_existing(
    prior: &UserModel,
    planned: &mut UserModel,
    config: &UserModel,
) -> Vec<AttributePath> {
    let mut replace = plan::Replacements::default();
    if other_cluster(&prior.cluster_id, &planned.cluster_id) {
        replace.add("cluster_id");
    }
    if plan::differs(&prior.name, &planned.name) {
        replace.add("name");
    }
    if !replace.is_empty() {
        return replace.into_paths();
    }
    if config.mysql_auth_plugin.is_null() {
        planned.mysql_auth_plugin = match &prior.mysql_auth_plugin {
            Value::Value(_) => Value::Value(DEFAULT_AUTH_PLUGIN.to_string()),
            other => other.clone(),
        };
    }
    if plan::differs(&prior.mysql_auth_plugin, &planned.mysql_auth_plugin) {
        planned.password = Value::Unknown;
    }
    if settings_change(prior, planned) {
        unknown_acl_ids(&mut planned.settings);
    }
    Vec::new()
}

fn settings_change(prior: &UserModel, planned: &UserModel) -> bool {
    settings_as_written(&prior.settings) != settings_as_written(&planned.settings)
}

fn auth_plugin_changes(prior: &UserModel, planned: &UserModel) -> bool {
    plan::differs(&prior.mysql_auth_plugin, &planned.mysql_auth_plugin)
}

// ---------------------------------------------------------------------------------------------
// API orchestration
// ---------------------------------------------------------------------------------------------

fn describe(state: &UserModel) -> String {
    match (text(&state.name), text(&state.cluster_id)) {
        (Some(name), Some(cluster)) => format!("database user {name:?} of cluster {cluster}"),
        (Some(name), None) => format!("database user {name:?}"),
        _ => "database user".to_string(),
    }
}

/// The settings to send for a cluster of `engine`: exactly the ones that engine has, so that
/// a removed ACL (or a removed block) really goes. MongoDB settings are sent only when
/// written, since the API chooses their defaults.
pub fn settings_request(engine: &str, settings: &Value<SettingsBlock>) -> UserSettings {
    let empty = SettingsBlock::default();
    let written = settings.as_ref_option().unwrap_or(&empty);
    let mut request = UserSettings::default();
    if is_kafka(engine) {
        request.acl = Some(
            blocks(&written.acl)
                .iter()
                .map(|acl| KafkaAcl {
                    id: None,
                    topic: text(&acl.topic).unwrap_or_default().to_string(),
                    permission: text(&acl.permission).unwrap_or_default().to_string(),
                })
                .collect(),
        );
    } else if is_opensearch(engine) {
        request.opensearch_acl = Some(
            blocks(&written.opensearch_acl)
                .iter()
                .map(|acl| OpenSearchAcl {
                    index: text(&acl.index).map(str::to_string),
                    permission: text(&acl.permission).map(str::to_string),
                })
                .collect(),
        );
    } else if is_postgres(engine) {
        request.pg_allow_replication = Some(
            written
                .pg_allow_replication
                .as_ref_option()
                .copied()
                .unwrap_or(false),
        );
    } else if is_mongodb(engine) {
        request.mongo_user_settings =
            written
                .mongo_user_settings
                .as_ref_option()
                .map(|mongo| MongoUserSettings {
                    databases: mongo.databases.as_ref_option().map(|databases| {
                        databases
                            .iter()
                            .filter_map(|d| d.as_ref_option().cloned())
                            .collect()
                    }),
                    role: text(&mongo.role).map(str::to_string),
                });
    }
    request
}

/// The `dbaas_database_user` resource.
#[derive(Debug, Clone, Default)]
pub struct DatabaseUserResource;

/// Plan-time check of a known `cluster_id`: it must exist, have users, and run the engine the
/// settings are for. Returns the engine when the cluster could be read; a cluster that cannot
/// be read for another reason is left to the apply, which checks again.
async fn check_cluster(
    ctx: &RequestContext,
    diags: &mut Diagnostics,
    cluster_id: &str,
    config: &UserModel,
) -> Option<String> {
    let cluster = child::parent_cluster(ctx, diags, cluster_id).await?;
    check_engine(diags, &cluster, config);
    Some(cluster.engine)
}

/// How messages name a database user.
const KIND: ChildKind = ChildKind {
    noun: "database user",
    title: "Database user",
    import_noun: "database user",
};

/// Reads the cluster for an apply, waiting until it is online.
async fn online_cluster(
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

#[async_trait]
impl ManagedResource for DatabaseUserResource {
    type Model = UserModel;
    const TYPE_NAME: &'static str = "dbaas_database_user";
    const IDENTITY: &'static [&'static str] = &["cluster_id", "name"];
    const SECRETS: &'static [&'static str] = &["password", "access_key"];
    const TIMEOUTS: TimeoutDefaults = TIMEOUTS;

    fn schema(&self) -> Schema {
        user_schema()
    }

    fn timeouts(model: &UserModel) -> &Value<Timeouts> {
        &model.timeouts
    }

    async fn validate(&self, diags: &mut Diagnostics, config: &UserModel) {
        validate_config(diags, config);
    }

    async fn plan_create(
        &self,
        ctx: &RequestContext,
        diags: &mut Diagnostics,
        proposed: UserModel,
        config: &UserModel,
    ) -> Option<UserModel> {
        let engine = match text(&proposed.cluster_id) {
            Some(cluster_id) => check_cluster(ctx, diags, cluster_id, config).await,
            None => None,
        };
        Some(plan_new(proposed, engine.as_deref()))
    }

    async fn plan_update(
        &self,
        ctx: &RequestContext,
        diags: &mut Diagnostics,
        prior: &UserModel,
        mut proposed: UserModel,
        config: &UserModel,
    ) -> Option<(UserModel, Vec<AttributePath>)> {
        let replace = plan_existing(prior, &mut proposed, config);
        if replace.is_empty()
            && (settings_change(prior, &proposed) || auth_plugin_changes(prior, &proposed))
        {
            if let Some(cluster_id) = text(&proposed.cluster_id) {
                check_cluster(ctx, diags, cluster_id, config).await;
            }
        }
        Some((proposed, replace))
    }

    async fn create(
        &self,
        ctx: &RequestContext,
        diags: &mut Diagnostics,
        planned: UserModel,
        _config: &UserModel,
    ) -> Option<UserModel> {
        let api = ctx.api(diags)?;
        let cluster_id = text(&planned.cluster_id)?.to_string();
        let doing = format!("the {} cannot be created", describe(&planned));
        let cluster = online_cluster(ctx, diags, &api, &cluster_id, &doing).await?;
        if !check_engine(diags, &cluster, &planned) {
            return None;
        }
        let request = CreateUserRequest {
            name: text(&planned.name)?.to_string(),
            mysql_settings: text(&planned.mysql_auth_plugin)
                .filter(|_| is_mysql(&cluster.engine))
                .map(|plugin| MysqlSettings {
                    auth_plugin: plugin.to_string(),
                }),
            settings: planned
                .settings
                .is_value()
                .then(|| settings_request(&cluster.engine, &planned.settings)),
            readonly: None,
        };
        let users = api.client.users(&cluster_id);
        let created = ctx
            .change_cluster(&api, &cluster_id, "create database user", || {
                users.create(&request)
            })
            .await;
        let user = match created {
            Ok(user) => user,
            Err(error) => {
                child::report_create_failure(
                    diags,
                    KIND,
                    (&cluster_id, &request.name),
                    &describe(&planned),
                    &error,
                    || async { users.get(&request.name).await.found() },
                )
                .await;
                return None;
            }
        };
        tracing::info!(cluster = %cluster_id, user = %request.name, "database user created");
        // From here on the user exists: every path returns it, so it is never orphaned.
        Some(conform_to_plan(
            state_from_api(&cluster_id, &user, &planned),
            &planned,
        ))
    }

    async fn read(
        &self,
        ctx: &RequestContext,
        diags: &mut Diagnostics,
        state: UserModel,
    ) -> Option<Option<UserModel>> {
        let (Some(cluster_id), Some(name)) = (text(&state.cluster_id), text(&state.name)) else {
            return Some(Some(state));
        };
        let api = ctx.api(diags)?;
        let read = api.client.users(cluster_id).get(name).await.found();
        let user = child::read_outcome(diags, KIND, (cluster_id, name), &describe(&state), read)?;
        Some(user.map(|user| state_from_api(cluster_id, &user, &state)))
    }

    async fn update(
        &self,
        ctx: &RequestContext,
        diags: &mut Diagnostics,
        prior: UserModel,
        planned: UserModel,
        _config: &UserModel,
    ) -> Option<UserModel> {
        let new_plugin = auth_plugin_changes(&prior, &planned);
        let new_settings = settings_change(&prior, &planned);
        if !new_plugin && !new_settings {
            return Some(planned);
        }
        let api = ctx.api(diags)?;
        let cluster_id = text(&prior.cluster_id)?.to_string();
        let name = text(&prior.name)?.to_string();
        let doing = format!("the {} cannot be changed", describe(&prior));
        let cluster = online_cluster(ctx, diags, &api, &cluster_id, &doing).await?;
        if !check_engine(diags, &cluster, &planned) {
            return None;
        }
        let users = api.client.users(&cluster_id);
        // What the answers said, as the reference of the final read (the new password of a
        // `reset_auth` may only be in its answer).
        let mut reference = planned.clone();
        let mut failed = false;
        if new_plugin {
            let request = ResetUserAuthRequest {
                mysql_settings: text(&planned.mysql_auth_plugin).map(|plugin| MysqlSettings {
                    auth_plugin: plugin.to_string(),
                }),
            };
            match ctx
                .change_cluster(
                    &api,
                    &cluster_id,
                    "reset database user authentication",
                    || users.reset_auth(&name, &request),
                )
                .await
            {
                Ok(answer) => {
                    if let Some(user) = answer {
                        reference = state_from_api(&cluster_id, &user, &reference);
                        reference.settings = planned.settings.clone();
                    }
                }
                Err(error) => {
                    diags.wait_err(
                        format!(
                            "Could not change the authentication plugin of the {}",
                            describe(&prior)
                        ),
                        &error,
                    );
                    failed = true;
                }
            }
        }
        if new_settings && !failed {
            let request = UpdateUserRequest {
                settings: settings_request(&cluster.engine, &planned.settings),
            };
            if let Err(error) = ctx
                .change_cluster(&api, &cluster_id, "update database user", || {
                    users.update(&name, &request)
                })
                .await
            {
                diags.wait_err(
                    format!("Could not change the settings of the {}", describe(&prior)),
                    &error,
                );
                failed = true;
            }
        }

        // After a failure the state must say what is true now, so the reference is the prior
        // state (with whatever succeeded); after success it is the plan.
        let reference = if failed {
            UserModel {
                password: reference.password.clone().or(prior.password.clone()),
                ..prior.clone()
            }
        } else {
            reference
        };
        match users.get(&name).await.found() {
            Ok(Some(user)) => {
                let state = state_from_api(&cluster_id, &user, &reference);
                Some(if failed {
                    state
                } else {
                    conform_to_plan(state, &reference)
                })
            }
            Ok(None) => {
                diags.root_err(
                    "Database user disappeared",
                    format!("The {} was not found after the update.", describe(&prior)),
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
        prior: UserModel,
    ) -> Option<()> {
        let api = ctx.api(diags)?;
        let cluster_id = text(&prior.cluster_id)?.to_string();
        let name = text(&prior.name)?.to_string();
        let users = api.client.users(&cluster_id);
        child::delete_until_gone(
            ctx,
            diags,
            &api,
            KIND,
            (&cluster_id, &describe(&prior)),
            || users.delete(&name),
            || async { users.get(&name).await.found() },
        )
        .await
    }

    async fn import(
        &self,
        ctx: &RequestContext,
        diags: &mut Diagnostics,
        id: &str,
    ) -> Option<UserModel> {
        let (cluster_id, name) = child::parse_import_id(diags, KIND, id)?;
        let api = ctx.api(diags)?;
        let read = api.client.users(&cluster_id).get(&name).await.found();
        let user = child::import_outcome(diags, KIND, (&cluster_id, &name), read)?;
        Some(state_from_api(&cluster_id, &user, &UserModel::default()))
    }

    async fn move_state(
        &self,
        _ctx: &RequestContext,
        diags: &mut Diagnostics,
        request: &MoveRequest,
    ) -> Option<UserModel> {
        let source = moved::source_state(diags, request, Self::TYPE_NAME)?;
        moved_from_digitalocean(diags, &source)
    }
}

/// A `digitalocean_database_user` (schema version 0) as this resource's state: the same
/// attributes; DigitalOcean's ID `<cluster_id>/user/<name>` becomes `<cluster_id>,<name>`, and
/// a `settings` block that holds nothing (DigitalOcean stores the create response's empty
/// settings) is dropped, so that a configuration without one plans no change.
pub fn moved_from_digitalocean(diags: &mut Diagnostics, source: &SourceState) -> Option<UserModel> {
    const SOURCE: &str = "digitalocean_database_user";
    let cluster_id = moved::required(diags, source, SOURCE, "cluster_id")?;
    let name = moved::required(diags, source, SOURCE, "name")?;
    let settings = source.block("settings").map(|settings| SettingsBlock {
        acl: Value::Value(
            settings
                .blocks("acl")
                .iter()
                .map(|acl| AclBlock {
                    id: acl.string("id"),
                    topic: acl.string("topic"),
                    permission: acl.string("permission").map(|p| kafka_permission(&p)),
                })
                .collect(),
        ),
        opensearch_acl: Value::Value(
            settings
                .blocks("opensearch_acl")
                .iter()
                .map(|acl| OpenSearchAclBlock {
                    index: acl.string("index"),
                    permission: acl.string("permission").map(|p| opensearch_permission(&p)),
                })
                .collect(),
        ),
        mongo_user_settings: Value::Null,
        pg_allow_replication: Value::Null,
    });
    let settings = match settings {
        Some(block)
            if !blocks(&block.acl).is_empty() || !blocks(&block.opensearch_acl).is_empty() =>
        {
            Value::Value(block)
        }
        _ => Value::Null,
    };
    Some(UserModel {
        id: Value::Value(user_id(&cluster_id, &name)),
        cluster_id: Value::Value(cluster_id),
        name: Value::Value(name),
        role: source.string("role"),
        password: source.string("password"),
        access_cert: source.string("access_cert"),
        access_key: source.string("access_key"),
        mysql_auth_plugin: source.string("mysql_auth_plugin"),
        settings,
        timeouts: Value::Null,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const CLUSTER: &str = "9cc10173-e9ea-4176-9dbc-a4cee4c4ff30";

    fn s(text: &str) -> Value<String> {
        Value::Value(text.to_string())
    }

    fn acl(topic: &str, permission: &str) -> AclBlock {
        AclBlock {
            id: Value::Null,
            topic: s(topic),
            permission: s(permission),
        }
    }

    fn with_acls(acls: Vec<AclBlock>) -> Value<SettingsBlock> {
        Value::Value(SettingsBlock {
            acl: Value::Value(acls),
            opensearch_acl: Value::Value(Vec::new()),
            ..SettingsBlock::default()
        })
    }

    fn configured() -> UserModel {
        UserModel {
            cluster_id: s(CLUSTER),
            name: s("app"),
            ..UserModel::default()
        }
    }

    fn existing() -> UserModel {
        UserModel {
            id: s(&format!("{CLUSTER},app")),
            role: s("normal"),
            password: s("pw"),
            ..configured()
        }
    }

    fn errors_for(config: &UserModel) -> Vec<(String, String)> {
        let mut diags = Diagnostics::default();
        validate_config(&mut diags, config);
        diags
            .errors
            .iter()
            .map(|d| (d.summary.to_string(), d.detail.to_string()))
            .collect()
    }

    fn cluster(engine: &str) -> Cluster {
        Cluster {
            id: CLUSTER.into(),
            name: "main".into(),
            engine: engine.into(),
            ..Cluster::default()
        }
    }

    #[test]
    fn bad_inputs_fail_naming_the_attribute_and_unknowns_pass() {
        assert!(errors_for(&configured()).is_empty());
        let settings = |block: SettingsBlock| UserModel {
            settings: Value::Value(block),
            ..configured()
        };
        let cases: Vec<(&str, UserModel)> = vec![
            (
                "cluster_id",
                UserModel {
                    cluster_id: s("x"),
                    ..configured()
                },
            ),
            (
                "name",
                UserModel {
                    name: s(""),
                    ..configured()
                },
            ),
            (
                "name",
                UserModel {
                    name: s("a b"),
                    ..configured()
                },
            ),
            (
                "name",
                UserModel {
                    name: s("a,b"),
                    ..configured()
                },
            ),
            (
                "name",
                UserModel {
                    name: s(&"n".repeat(64)),
                    ..configured()
                },
            ),
            (
                "mysql_auth_plugin",
                UserModel {
                    mysql_auth_plugin: s("sha256_password"),
                    ..configured()
                },
            ),
            (
                "settings.acl.permission",
                settings(SettingsBlock {
                    acl: Value::Value(vec![acl("t", "readwrite")]),
                    ..SettingsBlock::default()
                }),
            ),
            (
                "settings.acl[1].topic",
                settings(SettingsBlock {
                    acl: Value::Value(vec![acl("t", "admin"), acl(" ", "admin")]),
                    ..SettingsBlock::default()
                }),
            ),
            (
                "settings.opensearch_acl.permission",
                settings(SettingsBlock {
                    opensearch_acl: Value::Value(vec![OpenSearchAclBlock {
                        index: s("logs-*"),
                        permission: s("all"),
                    }]),
                    ..SettingsBlock::default()
                }),
            ),
            (
                "settings.mongo_user_settings.role",
                settings(SettingsBlock {
                    mongo_user_settings: Value::Value(MongoBlock {
                        databases: Value::Null,
                        role: s("root"),
                    }),
                    ..SettingsBlock::default()
                }),
            ),
        ];
        for (attribute, config) in cases {
            let errors = errors_for(&config);
            assert_eq!(errors.len(), 1, "{attribute}: {errors:?}");
            assert_eq!(errors[0].0, format!("Invalid {attribute}"));
            assert!(
                errors[0].1.contains(&format!("`{attribute}`")),
                "{}",
                errors[0].1
            );
        }
        let unknown = UserModel {
            cluster_id: Value::Unknown,
            name: Value::Unknown,
            mysql_auth_plugin: Value::Unknown,
            settings: Value::Value(SettingsBlock {
                acl: Value::Value(vec![AclBlock {
                    id: Value::Unknown,
                    topic: Value::Unknown,
                    permission: Value::Unknown,
                }]),
                opensearch_acl: Value::Unknown,
                ..SettingsBlock::default()
            }),
            ..UserModel::default()
        };
        assert!(errors_for(&unknown).is_empty());
    }

    #[test]
    fn settings_must_fit_the_clusters_engine() {
        let kafka_acls = UserModel {
            settings: with_acls(vec![acl("events", "admin")]),
            ..configured()
        };
        let mut diags = Diagnostics::default();
        assert!(check_engine(&mut diags, &cluster("kafka"), &kafka_acls));
        assert!(!check_engine(&mut diags, &cluster("pg"), &kafka_acls));
        assert_eq!(diags.errors.len(), 1);
        assert_eq!(diags.errors[0].attribute, settings_path("acl"));
        assert!(diags.errors[0].detail.contains("Kafka clusters only"));

        let plugin = UserModel {
            mysql_auth_plugin: s("mysql_native_password"),
            ..configured()
        };
        let mut diags = Diagnostics::default();
        assert!(check_engine(
            &mut diags,
            &cluster("advanced_mysql"),
            &plugin
        ));
        assert!(!check_engine(&mut diags, &cluster("mongodb"), &plugin));
        assert_eq!(diags.errors[0].attribute, at("mysql_auth_plugin"));

        let replication = UserModel {
            settings: Value::Value(SettingsBlock {
                pg_allow_replication: Value::Value(false),
                ..SettingsBlock::default()
            }),
            ..configured()
        };
        let mut diags = Diagnostics::default();
        assert!(check_engine(&mut diags, &cluster("pg"), &replication));
        assert!(!check_engine(
            &mut diags,
            &cluster("opensearch"),
            &replication
        ));

        let mut diags = Diagnostics::default();
        assert!(!check_engine(&mut diags, &cluster("valkey"), &configured()));
        assert_eq!(diags.errors[0].attribute, at("cluster_id"));
        // An empty settings block fits every engine that has users.
        let empty = UserModel {
            settings: with_acls(Vec::new()),
            ..configured()
        };
        let mut diags = Diagnostics::default();
        for engine in ["pg", "mysql", "mongodb", "kafka", "opensearch"] {
            assert!(
                check_engine(&mut diags, &cluster(engine), &empty),
                "{engine}"
            );
        }
    }

    #[test]
    fn a_new_user_knows_its_id_and_a_mysql_users_default_plugin() {
        let planned = plan_new(
            UserModel {
                settings: with_acls(vec![acl("t", "admin")]),
                ..configured()
            },
            Some("kafka"),
        );
        assert_eq!(planned.id, s(&format!("{CLUSTER},app")));
        assert_eq!(planned.password, Value::Unknown);
        assert_eq!(planned.mysql_auth_plugin, Value::Null);
        let acls = blocks(&planned.settings.as_ref_option().unwrap().acl);
        assert_eq!(acls[0].id, Value::Unknown);

        let mysql = plan_new(configured(), Some("mysql"));
        assert_eq!(mysql.mysql_auth_plugin, s(DEFAULT_AUTH_PLUGIN));
        let unknown_engine = plan_new(configured(), None);
        assert_eq!(unknown_engine.mysql_auth_plugin, Value::Unknown);
        let chosen = plan_new(
            UserModel {
                mysql_auth_plugin: s("mysql_native_password"),
                ..configured()
            },
            None,
        );
        assert_eq!(chosen.mysql_auth_plugin, s("mysql_native_password"));
    }

    #[test]
    fn identity_changes_replace_and_the_rest_changes_in_place() {
        let prior = existing();
        let mut renamed = UserModel {
            name: s("other"),
            ..existing()
        };
        assert_eq!(
            plan_existing(&prior, &mut renamed, &configured()),
            vec![at("name")]
        );
        let mut moved = UserModel {
            cluster_id: Value::Unknown,
            ..existing()
        };
        assert_eq!(
            plan_existing(&prior, &mut moved, &configured()),
            vec![at("cluster_id")]
        );
        let mut upper = UserModel {
            cluster_id: s(&CLUSTER.to_ascii_uppercase()),
            ..existing()
        };
        assert!(plan_existing(&prior, &mut upper, &configured()).is_empty());

        // Settings change in place; the password stays known, ACL IDs may change.
        let prior = UserModel {
            settings: with_acls(vec![AclBlock {
                id: s("a1"),
                ..acl("t", "admin")
            }]),
            ..existing()
        };
        let mut planned = UserModel {
            settings: with_acls(vec![
                AclBlock {
                    id: s("a1"),
                    ..acl("t", "consume")
                },
                acl("u", "produce"),
            ]),
            ..existing()
        };
        assert!(plan_existing(&prior, &mut planned, &configured()).is_empty());
        assert_eq!(planned.password, s("pw"));
        let acls = blocks(&planned.settings.as_ref_option().unwrap().acl);
        assert!(acls.iter().all(|a| a.id.is_unknown()));
        // The same settings keep their IDs.
        let mut same = prior.clone();
        plan_existing(&prior, &mut same, &configured());
        assert_eq!(same, prior);
    }

    #[test]
    fn a_removed_plugin_returns_to_the_default_with_a_new_password() {
        let prior = UserModel {
            mysql_auth_plugin: s("mysql_native_password"),
            ..existing()
        };
        let mut planned = prior.clone();
        assert!(plan_existing(&prior, &mut planned, &configured()).is_empty());
        assert_eq!(planned.mysql_auth_plugin, s(DEFAULT_AUTH_PLUGIN));
        assert_eq!(planned.password, Value::Unknown);

        // Already the default: nothing changes.
        let prior = UserModel {
            mysql_auth_plugin: s(DEFAULT_AUTH_PLUGIN),
            ..existing()
        };
        let mut planned = prior.clone();
        plan_existing(&prior, &mut planned, &configured());
        assert_eq!(planned, prior);
        // Not MySQL: stays null.
        let mut planned = existing();
        plan_existing(&existing(), &mut planned, &configured());
        assert_eq!(planned.mysql_auth_plugin, Value::Null);
    }

    fn api_user() -> DatabaseUser {
        DatabaseUser {
            name: "app".into(),
            role: Some("normal".into()),
            password: Some("fresh".into()),
            ..DatabaseUser::default()
        }
    }

    #[test]
    fn settings_are_read_back_and_show_drift() {
        // Reordered but the same ACLs: the configured order stays, with the API's IDs.
        let reference = with_acls(vec![acl("a", "admin"), acl("b", "consume")]);
        let api = UserSettings {
            acl: Some(vec![
                KafkaAcl {
                    id: Some("2".into()),
                    topic: "b".into(),
                    permission: "consume".into(),
                },
                KafkaAcl {
                    id: Some("1".into()),
                    topic: "a".into(),
                    permission: "ADMIN".into(),
                },
            ]),
            ..UserSettings::default()
        };
        let read = settings_from_api(Some(&api), &reference);
        let acls = blocks(&read.as_ref_option().unwrap().acl);
        assert_eq!(acls[0].topic, s("a"));
        assert_eq!(acls[0].id, s("1"));
        assert_eq!(acls[1].id, s("2"));

        // Another ACL: the API's list, which the next plan shows as drift.
        let changed = UserSettings {
            acl: Some(vec![KafkaAcl {
                id: None,
                topic: ".*".into(),
                permission: "produce_consume".into(),
            }]),
            ..UserSettings::default()
        };
        let read = settings_from_api(Some(&changed), &reference);
        assert_eq!(
            blocks(&read.as_ref_option().unwrap().acl),
            vec![acl(".*", "produceconsume")]
        );

        // No block in state and nothing beyond the defaults: still no block.
        assert_eq!(settings_from_api(None, &Value::Null), Value::Null);
        let defaults = UserSettings {
            pg_allow_replication: Some(false),
            acl: Some(Vec::new()),
            ..UserSettings::default()
        };
        assert_eq!(
            settings_from_api(Some(&defaults), &Value::Null),
            Value::Null
        );
        // … but ACLs or replication granted outside Terraform appear.
        assert!(settings_from_api(Some(&changed), &Value::Null).is_value());
        let granted = UserSettings {
            pg_allow_replication: Some(true),
            ..UserSettings::default()
        };
        let read = settings_from_api(Some(&granted), &Value::Null);
        assert_eq!(
            read.as_ref_option().unwrap().pg_allow_replication,
            Value::Value(true)
        );
        // A block that says `false` keeps saying it.
        let written_false = Value::Value(SettingsBlock {
            pg_allow_replication: Value::Value(false),
            ..SettingsBlock::default()
        });
        let read = settings_from_api(None, &written_false);
        assert_eq!(
            read.as_ref_option().unwrap().pg_allow_replication,
            Value::Value(false)
        );
    }

    #[test]
    fn mongo_settings_are_managed_only_where_written() {
        let api = UserSettings {
            mongo_user_settings: Some(MongoUserSettings {
                databases: Some(vec!["b".into(), "a".into()]),
                role: Some("readWrite".into()),
            }),
            ..UserSettings::default()
        };
        assert_eq!(settings_from_api(Some(&api), &Value::Null), Value::Null);
        let written = Value::Value(SettingsBlock {
            mongo_user_settings: Value::Value(MongoBlock {
                databases: Value::Value(vec![s("a"), s("b")]),
                role: Value::Null,
            }),
            ..SettingsBlock::default()
        });
        let read = settings_from_api(Some(&api), &written);
        let mongo = read
            .as_ref_option()
            .unwrap()
            .mongo_user_settings
            .as_ref_option()
            .cloned()
            .unwrap();
        assert_eq!(mongo.databases, Value::Value(vec![s("a"), s("b")]));
        assert_eq!(mongo.role, Value::Null, "an unwritten role is not managed");
    }

    #[test]
    fn a_password_the_api_stops_returning_is_kept() {
        let mut user = api_user();
        user.password = None;
        let state = state_from_api(CLUSTER, &user, &existing());
        assert_eq!(state.password, s("pw"));
        user.password = Some(String::new());
        assert_eq!(
            state_from_api(CLUSTER, &user, &existing()).password,
            s("pw")
        );
        assert_eq!(
            state_from_api(CLUSTER, &api_user(), &existing()).password,
            s("fresh")
        );
        user.role = None;
        assert_eq!(
            state_from_api(CLUSTER, &user, &existing()).role,
            s("normal")
        );
        let imported = state_from_api(CLUSTER, &user, &UserModel::default());
        assert_eq!(imported.password, Value::Null);
        assert_eq!(imported.id, s(&format!("{CLUSTER},app")));
    }

    #[test]
    fn an_apply_returns_the_plan_with_what_it_left_unknown() {
        let planned = UserModel {
            password: Value::Unknown,
            role: Value::Unknown,
            settings: with_acls(vec![AclBlock {
                id: Value::Unknown,
                ..acl("t", "admin")
            }]),
            ..existing()
        };
        let answer = DatabaseUser {
            settings: Some(UserSettings {
                acl: Some(vec![KafkaAcl {
                    id: Some("new".into()),
                    topic: "t".into(),
                    permission: "admin".into(),
                }]),
                ..UserSettings::default()
            }),
            ..api_user()
        };
        let state = conform_to_plan(state_from_api(CLUSTER, &answer, &planned), &planned);
        assert_eq!(state.password, s("fresh"));
        assert_eq!(state.role, s("normal"));
        let acls = blocks(&state.settings.as_ref_option().unwrap().acl);
        assert_eq!(acls[0].id, s("new"));
        // Without IDs from the API, the unknown ID becomes null.
        let state = conform_to_plan(state_from_api(CLUSTER, &api_user(), &planned), &planned);
        let acls = blocks(&state.settings.as_ref_option().unwrap().acl);
        assert_eq!(acls[0].id, Value::Null);
        assert_eq!(acls[0].permission, s("admin"));
    }

    #[test]
    fn only_the_clusters_own_settings_are_sent() {
        let settings = Value::Value(SettingsBlock {
            acl: Value::Value(vec![AclBlock {
                id: s("x"),
                ..acl("t", "admin")
            }]),
            ..SettingsBlock::default()
        });
        let as_json = |engine: &str, settings: &Value<SettingsBlock>| {
            serde_json::to_value(settings_request(engine, settings)).unwrap()
        };
        assert_eq!(
            as_json("kafka", &settings),
            json!({"acl": [{"topic": "t", "permission": "admin"}]})
        );
        assert_eq!(as_json("kafka", &Value::Null), json!({"acl": []}));
        assert_eq!(
            as_json("opensearch", &Value::Null),
            json!({"opensearch_acl": []})
        );
        assert_eq!(
            as_json("pg", &Value::Null),
            json!({"pg_allow_replication": false})
        );
        assert_eq!(as_json("mysql", &settings), json!({}));
        assert_eq!(as_json("mongodb", &Value::Null), json!({}));
        let mongo = Value::Value(SettingsBlock {
            mongo_user_settings: Value::Value(MongoBlock {
                databases: Value::Value(vec![s("orders")]),
                role: Value::Null,
            }),
            ..SettingsBlock::default()
        });
        assert_eq!(
            as_json("mongodb", &mongo),
            json!({"mongo_user_settings": {"databases": ["orders"]}})
        );
    }

    fn source(value: serde_json::Value) -> SourceState {
        SourceState::from_json(value)
    }

    #[test]
    fn a_digitalocean_user_moves_with_its_settings() {
        let mut diags = Diagnostics::default();
        let state = moved_from_digitalocean(
            &mut diags,
            &source(json!({
                "id": format!("{CLUSTER}/user/events"),
                "cluster_id": CLUSTER,
                "name": "events",
                "role": "normal",
                "password": "pw",
                "access_cert": "CERT",
                "access_key": "KEY",
                "mysql_auth_plugin": "",
                "settings": [{
                    "acl": [{"id": "a1", "topic": "events-.*", "permission": "produceconsume"}],
                    "opensearch_acl": []
                }]
            })),
        )
        .unwrap();
        assert!(!diags.has_errors());
        assert_eq!(state.id, s(&format!("{CLUSTER},events")));
        assert_eq!(state.password, s("pw"));
        assert_eq!(state.access_key, s("KEY"));
        assert_eq!(state.mysql_auth_plugin, Value::Null);
        let acls = blocks(&state.settings.as_ref_option().unwrap().acl);
        assert_eq!(
            acls,
            vec![AclBlock {
                id: s("a1"),
                ..acl("events-.*", "produceconsume")
            }]
        );
        // The tree has the schema's type.
        let value = value::to_dynamic(&state).unwrap();
        crate::plugin::msgpack::encode(&value, &user_schema().block.value_type()).unwrap();

        // An empty settings block (what DigitalOcean stores from the create answer) goes.
        let plain = moved_from_digitalocean(
            &mut diags,
            &source(json!({
                "cluster_id": CLUSTER, "name": "app", "mysql_auth_plugin": "caching_sha2_password",
                "settings": [{"acl": [], "opensearch_acl": []}]
            })),
        )
        .unwrap();
        assert_eq!(plain.settings, Value::Null);
        assert_eq!(plain.mysql_auth_plugin, s(DEFAULT_AUTH_PLUGIN));

        assert!(
            moved_from_digitalocean(&mut diags, &source(json!({"cluster_id": CLUSTER}))).is_none()
        );
        assert!(format!("{diags:?}").contains("has no `name`"));
    }

    #[test]
    fn the_schema_matches_the_model_and_marks_secrets() {
        let schema = user_schema();
        let (attributes, fields) =
            crate::resources::schema_util::attribute_and_field_names::<UserModel>(&schema);
        let blocks: Vec<&String> = schema.block.blocks.keys().collect();
        let mut expected: Vec<String> = attributes;
        expected.extend(blocks.iter().map(|b| b.to_string()));
        expected.sort();
        assert_eq!(expected, fields);
        for secret in ["password", "access_key", "access_cert"] {
            assert!(schema.block.attributes[secret].sensitive, "{secret}");
        }
        for name in ["cluster_id", "name"] {
            assert_eq!(
                schema.block.attributes[name].constraint,
                crate::plugin::schema::AttributeConstraint::Required
            );
        }
        let value = value::to_dynamic(&plan_new(configured(), Some("pg"))).unwrap();
        assert!(value.attribute("settings").is_some());
    }
}
