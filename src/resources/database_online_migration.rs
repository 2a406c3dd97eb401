//! `dbaas_database_online_migration`: copying an existing database server into a MySQL,
//! PostgreSQL, Caching or Valkey cluster, then replicating from it.
//!
//! The schema is DigitalOcean's (`digitalocean_database_online_migration`): `cluster_id`, a
//! `source` block (`host`, `port`, `db_name`, `username`, `password`), `disable_ssl`,
//! `ignore_dbs`, and the computed `id` (the migration's), `status` and `created_at`. The
//! source's password may instead be given write-only (`password_wo`, Terraform ≥ 1.11) with
//! `password_wo_version`; exactly one of the two is set.
//!
//! What the API offers decides the rest:
//! - Create starts the migration and waits until it is `syncing` (the copy is done and the
//!   cluster replicates from the source) or `done`. A migration that ends in `error` or
//!   `canceled` instead is an error; it is kept in state (tainted), so the next apply starts a
//!   new one. DigitalOcean's provider silently restarts failed migrations; this one reports.
//! - A migration cannot be changed: `PUT …/online-migration` starts a new one, with a new ID.
//!   So every change but `timeouts` replaces the resource (stop the old migration, start a new
//!   one) and the plan says so, where DigitalOcean's provider shows an in-place update that
//!   silently starts another migration.
//! - Destroy stops a migration still in progress and waits until it has stopped; a finished
//!   one (`done`, `canceled`, `error`) is only forgotten.
//! - Drift: a migration stopped or failed outside Terraform is read with that status, and the
//!   next plan replaces it (`status` forces replacement); one the cluster no longer reports
//!   (another migration started since) is removed from state.
//! - Import takes the cluster's UUID and adopts its most recent migration. The API never
//!   returns the source, so the first apply after an import records the configured `source`,
//!   `disable_ssl` and `ignore_dbs` in place without calling the API.

use std::collections::BTreeSet;
use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::api::models::migration::{MigrationSource, OnlineMigration, StartMigrationRequest};
use crate::api::models::Cluster;
use crate::api::wait::{await_condition, conditions, Poll, WaitError};
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
use crate::framework::values::{known, settled, text};
use crate::framework::{import, plan, validate};
use crate::map;
use crate::plugin::schema::{Attribute, AttributeType, Block, Description, NestedBlock, Schema};
use crate::plugin::service::MoveRequest;
use crate::plugin::value::{self, Value};
use crate::plugin::{AttributePath, Diagnostics};
use crate::provider::DbaasProvider;

use super::moved::{self, SourceState};
use super::schema_util::{computed, optional, required, sensitive};

/// Engines whose clusters accept an online migration.
const MIGRATABLE_ENGINES: [&str; 6] = [
    "pg",
    "advanced_pg",
    "mysql",
    "advanced_mysql",
    "redis",
    "valkey",
];

/// Statuses in which the migration has ended without success.
const FAILED: [&str; 2] = ["error", "canceled"];

/// Adds this file's types to the provider.
pub fn register(host: Host<DbaasProvider>) -> Host<DbaasProvider> {
    host.resource(Adapter::boxed(DatabaseOnlineMigrationResource))
}

const TIMEOUTS: TimeoutDefaults = TimeoutDefaults {
    create: Duration::from_secs(60 * 60),
    update: Duration::from_secs(5 * 60),
    delete: Duration::from_secs(10 * 60),
};

// ---------------------------------------------------------------------------------------------
// Model
// ---------------------------------------------------------------------------------------------

/// The `source` block.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SourceBlock {
    pub host: Value<String>,
    pub port: Value<i64>,
    pub db_name: Value<String>,
    pub username: Value<String>,
    pub password: Value<String>,
    pub password_wo: Value<String>,
    pub password_wo_version: Value<i64>,
}

/// The resource's state, field for field as in the schema.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MigrationModel {
    pub id: Value<String>,
    pub cluster_id: Value<String>,
    #[serde(with = "value::serde_as_vec")]
    pub source: Value<SourceBlock>,
    pub disable_ssl: Value<bool>,
    pub ignore_dbs: Value<BTreeSet<Value<String>>>,
    pub status: Value<String>,
    pub created_at: Value<String>,
    #[serde(with = "value::serde_as_vec")]
    pub timeouts: Value<Timeouts>,
}

/// `reference` with what the API reports of `migration`; `cluster_id` keeps the reference's
/// spelling when it names the same cluster.
fn state_of(
    cluster_id: &str,
    migration: &OnlineMigration,
    reference: &MigrationModel,
) -> MigrationModel {
    let cluster_id = match &reference.cluster_id {
        Value::Value(wanted) if same_ignoring_case(wanted, cluster_id) => wanted.clone(),
        _ => cluster_id.to_string(),
    };
    MigrationModel {
        id: Value::Value(migration.id.clone()),
        cluster_id: Value::Value(cluster_id),
        source: settled(&reference.source),
        disable_ssl: settled(&reference.disable_ssl),
        ignore_dbs: settled(&reference.ignore_dbs),
        status: known(migration.status.clone()),
        created_at: known(migration.created_at.clone()),
        timeouts: settled(&reference.timeouts),
    }
}

// ---------------------------------------------------------------------------------------------
// Schema
// ---------------------------------------------------------------------------------------------

const TIMEOUT_WORDING: TimeoutWording = TimeoutWording {
    create: "How long to wait for the cluster to be online and the migration to reach `syncing`",
    update: "Unused: a migration has nothing to change in place",
    delete: "How long to wait for a migration in progress to stop",
    block: "Time limits for starting and stopping the migration.",
};

fn write_only(attr_type: AttributeType, description: &str) -> Attribute {
    Attribute {
        write_only: true,
        sensitive: true,
        ..optional(attr_type, description)
    }
}

pub fn migration_schema() -> Schema {
    use AttributeType::{Bool, Number, String as Str};
    let source = Block {
        attributes: map! {
            "host" => required(Str,
                "The host name or address of the source database server."),
            "port" => required(Number, "The port the source server listens on."),
            "db_name" => required(Str, "The name of the source's default database."),
            "username" => required(Str, "The user to connect to the source as."),
            "password" => sensitive(optional(Str,
                "The user's password, stored in state like every sensitive value. Set this or \
                 `password_wo`, not both. The API never returns it.")),
            "password_wo" => write_only(Str,
                "The user's password, write-only: sent when the migration starts and never \
                 stored in plan or state (Terraform 1.11 or newer). Set this or `password`, \
                 not both; change `password_wo_version` to send a new one."),
            "password_wo_version" => optional(Number,
                "Any number, to be changed whenever `password_wo` changes: Terraform cannot see \
                 a write-only value change, so a new version is what starts a new migration \
                 with the new password (the migration is replaced)."),
        },
        description: Description::markdown(
            "The database server to copy from (exactly one block). Changing anything in it \
             replaces the migration, except right after an import, when it is only recorded.",
        ),
        ..Default::default()
    };
    Schema {
        version: 0,
        block: Block {
            version: 0,
            attributes: map! {
                "id" => computed(Str, "The migration's ID, as the API reports it."),
                "cluster_id" => required(Str,
                    "The UUID of the cluster to migrate into: a MySQL, PostgreSQL, Caching or \
                     Valkey cluster (checked at plan time when the ID is known then). Changing \
                     it replaces the migration."),
                "disable_ssl" => optional(Bool,
                    "Connect to the source without TLS. Changing it replaces the migration."),
                "ignore_dbs" => optional(AttributeType::Set(Box::new(Str)),
                    "Databases of the source not to migrate. Changing them replaces the \
                     migration."),
                "status" => computed(Str,
                    "The migration's status: `running`, `syncing`, `done`, `canceled` or \
                     `error`. A migration found `canceled` or `error` is replaced by the next \
                     apply."),
                "created_at" => computed(Str, "When the migration started (RFC 3339)."),
            },
            blocks: map! {
                "source" => NestedBlock::Optional(source),
                "timeouts" => NestedBlock::Optional(timeouts_block(TIMEOUTS, TIMEOUT_WORDING)),
            },
            description: Description::markdown(
                "An online migration: copies an existing database server into a MySQL, \
                 PostgreSQL, Caching or Valkey cluster, then keeps replicating from it. Creating \
                 it waits until the migration is `syncing` (or `done`); a migration that fails \
                 is an error. The API cannot change a migration, only start a new one, so any \
                 change replaces it (DigitalOcean's provider shows such changes as in-place \
                 updates). Destroying it stops a migration still in progress; a finished one is \
                 only forgotten. A migration stopped or failed outside Terraform is replaced by \
                 the next apply. Give the source's password as `password` or, kept out of plan \
                 and state, as the write-only `password_wo` (Terraform 1.11 or newer). Import \
                 the cluster's most recent migration with the cluster's UUID.",
            ),
            ..Default::default()
        },
    }
}

// ---------------------------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------------------------

fn source_path(name: &'static str) -> AttributePath {
    at("source").index(0).attribute(name)
}

pub fn validate_config(diags: &mut Diagnostics, config: &MigrationModel) {
    validate::uuid(diags, at("cluster_id"), &config.cluster_id);
    validate_timeouts(diags, &config.timeouts);
    let source = match &config.source {
        Value::Value(source) => source,
        Value::Unknown => return,
        Value::Null => {
            diags.err(
                "Missing source block",
                "A `source` block is required: the `host`, `port`, `db_name`, `username` and \
                 `password` (or `password_wo`) of the database server to migrate from.",
                at("source"),
            );
            return;
        }
    };
    validate::not_blank(diags, source_path("host"), &source.host);
    validate::int_between(diags, source_path("port"), &source.port, 1, 65535);
    match (&source.password, &source.password_wo) {
        (Value::Value(_), Value::Value(_)) => diags.err(
            "Conflicting source passwords",
            "Set `source.password` or `source.password_wo`, not both: `password` is stored in \
             state, `password_wo` never is.",
            source_path("password_wo"),
        ),
        (Value::Null, Value::Null) => diags.err(
            "Missing source password",
            "Set `source.password` or, to keep it out of plan and state (Terraform 1.11 or \
             newer), `source.password_wo`.",
            source_path("password"),
        ),
        _ => {}
    }
    if source.password_wo_version.is_value() && source.password_wo.is_null() {
        diags.err(
            "password_wo_version without password_wo",
            "`source.password_wo_version` says when `source.password_wo` changed; it has no \
             meaning without `source.password_wo`.",
            source_path("password_wo_version"),
        );
    }
}

/// The error for a cluster that cannot take an online migration.
fn check_engine(diags: &mut Diagnostics, cluster: &Cluster) -> bool {
    if MIGRATABLE_ENGINES
        .iter()
        .any(|engine| same_ignoring_case(engine, &cluster.engine))
    {
        return true;
    }
    diags.err(
        "This cluster cannot take an online migration",
        format!(
            "`cluster_id` {:?} is the {} cluster {:?}. Online migration is offered for MySQL, \
             PostgreSQL, Caching and Valkey clusters; point `cluster_id` at one.",
            cluster.id, cluster.engine, cluster.name
        ),
        at("cluster_id"),
    );
    false
}

// ---------------------------------------------------------------------------------------------
// Plan
// ---------------------------------------------------------------------------------------------

/// The source as compared between plans: the write-only password is null in both anyway.
fn compared(source: &Value<SourceBlock>) -> Value<SourceBlock> {
    match source {
        Value::Value(block) => Value::Value(SourceBlock {
            password_wo: Value::Null,
            ..block.clone()
        }),
        other => other.clone(),
    }
}

/// Whether a prior status means the migration has ended without success.
fn has_failed(status: &Value<String>) -> bool {
    text(status).is_some_and(|status| FAILED.contains(&status))
}

/// Adjusts the plan for an existing migration and returns the attributes that replace it.
pub fn plan_existing(prior: &MigrationModel, planned: &mut MigrationModel) -> Vec<AttributePath> {
    let mut replace = plan::Replacements::default();
    if other_cluster(&prior.cluster_id, &planned.cluster_id) {
        replace.add("cluster_id");
    }
    // An imported migration has no source in state: the configured one is only recorded.
    let imported = prior.source.is_null();
    if !imported {
        if compared(&prior.source) != compared(&planned.source) {
            replace.add("source");
        }
        if plan::differs(&prior.disable_ssl, &planned.disable_ssl) {
            replace.add("disable_ssl");
        }
        if plan::differs(&prior.ignore_dbs, &planned.ignore_dbs) {
            replace.add("ignore_dbs");
        }
    }
    if has_failed(&prior.status) {
        // Terraform replaces only for a path whose value changes, so the status is unknown.
        planned.status = Value::Unknown;
        replace.add("status");
    }
    if !replace.is_empty() {
        planned.id = Value::Unknown;
        planned.status = Value::Unknown;
        planned.created_at = Value::Unknown;
    }
    replace.into_paths()
}

// ---------------------------------------------------------------------------------------------
// Resource
// ---------------------------------------------------------------------------------------------

fn describe(state: &MigrationModel) -> String {
    match text(&state.cluster_id) {
        Some(cluster) => format!("online migration into cluster {cluster}"),
        None => "online migration".to_string(),
    }
}

/// The start request from the configuration (where the write-only password is).
fn start_request(config: &MigrationModel) -> Option<StartMigrationRequest> {
    let source = config.source.as_ref_option()?;
    let password = match &source.password_wo {
        Value::Value(password) => Some(password.clone()),
        _ => source.password.as_ref_option().cloned(),
    };
    Some(StartMigrationRequest {
        source: MigrationSource {
            host: text(&source.host)?.to_string(),
            port: source.port.as_ref_option().copied(),
            dbname: source.db_name.as_ref_option().cloned(),
            username: source.username.as_ref_option().cloned(),
            password,
        },
        disable_ssl: config.disable_ssl.as_ref_option().copied(),
        ignore_dbs: config.ignore_dbs.as_ref_option().map(|dbs| {
            dbs.iter()
                .filter_map(|db| db.as_ref_option().cloned())
                .collect()
        }),
    })
}

/// The `dbaas_database_online_migration` resource.
#[derive(Debug, Clone, Default)]
pub struct DatabaseOnlineMigrationResource;

/// Plan-time check of a known `cluster_id`: it must exist and take online migrations.
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

/// After a refused start: the API's answer, and how to adopt a migration already running.
async fn report_create_failure(
    diags: &mut Diagnostics,
    api: &ApiContext,
    planned: &MigrationModel,
    error: &crate::api::ApiError,
) {
    let Some(cluster_id) = text(&planned.cluster_id) else {
        return;
    };
    if let Ok(Some(current)) = api.client.online_migration(cluster_id).get().await.found() {
        if current.in_progress() {
            diags.err(
                "An online migration is already in progress",
                format!(
                    "Cluster {cluster_id} is already migrating (migration {}, {}), and a cluster \
                     runs one migration at a time ({error}). Terraform does not take over \
                     existing migrations silently: import it with `terraform import <address> \
                     {cluster_id}`, or stop it first.",
                    current.id,
                    current.status.as_deref().unwrap_or("status unknown"),
                ),
                at("cluster_id"),
            );
            return;
        }
    }
    diags.api_err(format!("Could not start the {}", describe(planned)), error);
}

/// Waits until migration `id` has left `running`: `Ok` with the migration once it is
/// `syncing`, `done`, `error` or `canceled`.
async fn await_settled(
    ctx: &RequestContext,
    api: &ApiContext,
    cluster_id: &str,
    id: &str,
    wanted: fn(&OnlineMigration) -> bool,
) -> Result<Option<OnlineMigration>, WaitError> {
    let migrations = api.client.online_migration(cluster_id);
    let read = || async { migrations.get().await.found() };
    await_condition(
        &api.poll,
        ctx.deadline(),
        &ctx.cancel,
        false,
        read,
        |latest: Option<OnlineMigration>| match latest {
            Some(latest) if latest.id != id => Poll::Ready(None),
            Some(latest) if wanted(&latest) => Poll::Ready(Some(latest)),
            Some(latest) => Poll::Pending(latest.status.unwrap_or_else(|| "no status".into())),
            None => Poll::Pending("the cluster reports no migration yet".to_string()),
        },
    )
    .await
}

#[async_trait]
impl ManagedResource for DatabaseOnlineMigrationResource {
    type Model = MigrationModel;
    const TYPE_NAME: &'static str = "dbaas_database_online_migration";
    const IDENTITY: &'static [&'static str] = &["cluster_id"];
    const TIMEOUTS: TimeoutDefaults = TIMEOUTS;

    fn schema(&self) -> Schema {
        migration_schema()
    }

    fn timeouts(model: &MigrationModel) -> &Value<Timeouts> {
        &model.timeouts
    }

    async fn validate(&self, diags: &mut Diagnostics, config: &MigrationModel) {
        validate_config(diags, config);
    }

    async fn plan_create(
        &self,
        ctx: &RequestContext,
        diags: &mut Diagnostics,
        proposed: MigrationModel,
        _config: &MigrationModel,
    ) -> Option<MigrationModel> {
        if let Some(cluster_id) = text(&proposed.cluster_id) {
            check_cluster(ctx, diags, cluster_id).await;
        }
        Some(MigrationModel {
            id: Value::Unknown,
            status: Value::Unknown,
            created_at: Value::Unknown,
            ..proposed
        })
    }

    async fn plan_update(
        &self,
        _ctx: &RequestContext,
        _diags: &mut Diagnostics,
        prior: &MigrationModel,
        mut proposed: MigrationModel,
        _config: &MigrationModel,
    ) -> Option<(MigrationModel, Vec<AttributePath>)> {
        let replace = plan_existing(prior, &mut proposed);
        Some((proposed, replace))
    }

    async fn create(
        &self,
        ctx: &RequestContext,
        diags: &mut Diagnostics,
        planned: MigrationModel,
        config: &MigrationModel,
    ) -> Option<MigrationModel> {
        let api = ctx.api(diags)?;
        let cluster_id = text(&planned.cluster_id)?.to_string();
        let request = start_request(config)?;
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
                        "Database cluster {cluster_id} is not online, so the {} cannot start",
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
        let migrations = api.client.online_migration(&cluster_id);
        let previous = migrations.get().await.found().ok().flatten().map(|m| m.id);
        let started = match migrations.start(&request, previous.as_deref()).await {
            Ok(started) => started,
            Err(error) => {
                report_create_failure(diags, &api, &planned, &error).await;
                return None;
            }
        };
        tracing::info!(cluster = %cluster_id, migration = %started.id, "online migration started");
        let mut state = state_of(&cluster_id, &started, &planned);
        let settled = await_settled(ctx, &api, &cluster_id, &started.id, |m| {
            !matches!(m.status.as_deref(), Some("running"))
        })
        .await;
        match settled {
            Ok(Some(migration)) => {
                state = state_of(&cluster_id, &migration, &planned);
                if has_failed(&state.status) {
                    diags.err(
                        "The online migration failed",
                        format!(
                            "The {} ({}) ended with status {:?} instead of reaching `syncing`. \
                             Check that the source is reachable from the cluster, that its \
                             credentials and `disable_ssl` are right, and that it allows \
                             replication. It is kept in state as tainted: the next apply starts \
                             a new migration.",
                            describe(&planned),
                            migration.id,
                            migration.status.as_deref().unwrap_or("")
                        ),
                        at("status"),
                    );
                }
            }
            Ok(None) => diags.err(
                "The online migration was superseded",
                format!(
                    "Another migration into cluster {cluster_id} started while Terraform waited \
                     for migration {}, which the cluster no longer reports.",
                    started.id
                ),
                at("id"),
            ),
            Err(error) => diags.wait_err(
                format!(
                    "The {} ({}) started but did not reach `syncing`; it is kept in state as \
                     tainted, and replacing it stops it",
                    describe(&planned),
                    started.id
                ),
                &error,
            ),
        }
        Some(state)
    }

    async fn read(
        &self,
        ctx: &RequestContext,
        diags: &mut Diagnostics,
        state: MigrationModel,
    ) -> Option<Option<MigrationModel>> {
        let (Some(cluster_id), Some(id)) = (text(&state.cluster_id), text(&state.id)) else {
            return Some(Some(state));
        };
        let api = ctx.api(diags)?;
        match api.client.online_migration(cluster_id).get().await.found() {
            Ok(Some(latest)) if latest.id == id => {
                Some(Some(state_of(cluster_id, &latest, &state)))
            }
            Ok(latest) => {
                tracing::info!(
                    cluster = cluster_id,
                    migration = id,
                    latest = latest.map(|m| m.id).as_deref().unwrap_or("none"),
                    "the cluster no longer reports this migration; removing it from state"
                );
                Some(None)
            }
            // A cluster that is gone takes its migration with it.
            Err(error) if error.is_not_found() => Some(None),
            Err(error) => {
                diags.api_err(format!("Could not read the {}", describe(&state)), &error);
                None
            }
        }
    }

    async fn update(
        &self,
        _ctx: &RequestContext,
        _diags: &mut Diagnostics,
        _prior: MigrationModel,
        planned: MigrationModel,
        _config: &MigrationModel,
    ) -> Option<MigrationModel> {
        // Everything but `timeouts` (and what an import could not read) replaces, so an
        // update only records.
        Some(planned)
    }

    async fn delete(
        &self,
        ctx: &RequestContext,
        diags: &mut Diagnostics,
        prior: MigrationModel,
    ) -> Option<()> {
        let api = ctx.api(diags)?;
        let cluster_id = text(&prior.cluster_id)?.to_string();
        let id = text(&prior.id)?.to_string();
        let migrations = api.client.online_migration(&cluster_id);
        let latest = match migrations.get().await.found() {
            Ok(latest) => latest,
            Err(error) => {
                diags.api_err(format!("Could not read the {}", describe(&prior)), &error);
                return None;
            }
        };
        if !latest.is_some_and(|m| m.id == id && m.in_progress()) {
            tracing::info!(cluster = %cluster_id, migration = %id, "migration not in progress; forgetting it");
            return Some(());
        }
        match migrations.stop(&id).await {
            Ok(()) => {}
            Err(error) if error.is_not_found() => return Some(()),
            Err(error) => {
                diags.api_err(format!("Could not stop the {}", describe(&prior)), &error);
                return None;
            }
        }
        // A replacement must not find this migration still in progress.
        if let Err(error) = await_settled(ctx, &api, &cluster_id, &id, |m| !m.in_progress()).await {
            diags.wait_err(
                format!(
                    "The {} is stopping but has not stopped yet",
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
    ) -> Option<MigrationModel> {
        let cluster_id = match import::parse_uuid(id, "cluster") {
            Ok(cluster_id) => cluster_id,
            Err(message) => {
                diags.root_err(
                    "Invalid import ID",
                    format!("{message} An online migration is imported by its cluster's UUID."),
                );
                return None;
            }
        };
        let api = ctx.api(diags)?;
        match api.client.online_migration(&cluster_id).get().await.found() {
            Ok(Some(migration)) => Some(state_of(
                &cluster_id,
                &migration,
                &MigrationModel::default(),
            )),
            Ok(None) => {
                diags.root_err(
                    "Cannot import an online migration that does not exist",
                    format!(
                        "Cluster {cluster_id} has no online migration (or the cluster does not \
                         exist for this token)."
                    ),
                );
                None
            }
            Err(error) => {
                diags.api_err(
                    format!("Could not read the online migration of cluster {cluster_id}"),
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
    ) -> Option<MigrationModel> {
        let source = moved::source_state(diags, request, Self::TYPE_NAME)?;
        moved_from_digitalocean(diags, &source)
    }
}

/// A `digitalocean_database_online_migration` (schema version 0) as this resource's state:
/// the same attributes; the password stays `password` (DigitalOcean has no write-only one).
pub fn moved_from_digitalocean(
    diags: &mut Diagnostics,
    source: &SourceState,
) -> Option<MigrationModel> {
    const SOURCE: &str = "digitalocean_database_online_migration";
    let cluster_id = moved::required(diags, source, SOURCE, "cluster_id")?;
    let id = moved::required(diags, source, SOURCE, "id")?;
    let block = source.block("source").map_or(Value::Null, |block| {
        Value::Value(SourceBlock {
            host: block.string("host"),
            port: block.int("port"),
            db_name: block.string("db_name"),
            username: block.string("username"),
            password: block.string("password"),
            password_wo: Value::Null,
            password_wo_version: Value::Null,
        })
    });
    let ignore_dbs = match source.strings("ignore_dbs") {
        Some(dbs) if !dbs.is_empty() => Value::Value(dbs.into_iter().map(Value::Value).collect()),
        _ => Value::Null,
    };
    Some(MigrationModel {
        id: Value::Value(id),
        cluster_id: Value::Value(cluster_id),
        source: block,
        disable_ssl: match source.bool("disable_ssl") {
            Value::Value(true) => Value::Value(true),
            _ => Value::Null,
        },
        ignore_dbs,
        status: source.string("status"),
        created_at: source.string("created_at"),
        timeouts: source.timeouts(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plugin::schema::AttributeConstraint;
    use serde_json::json;

    const CLUSTER: &str = "9cc10173-e9ea-4176-9dbc-a4cee4c4ff30";

    fn s(text: &str) -> Value<String> {
        Value::Value(text.to_string())
    }

    fn source() -> SourceBlock {
        SourceBlock {
            host: s("old-db.example.com"),
            port: Value::Value(5432),
            db_name: s("defaultdb"),
            username: s("doadmin"),
            password: s("hunter2"),
            ..SourceBlock::default()
        }
    }

    fn configured() -> MigrationModel {
        MigrationModel {
            cluster_id: s(CLUSTER),
            source: Value::Value(source()),
            ..MigrationModel::default()
        }
    }

    fn errors(config: MigrationModel) -> Vec<crate::plugin::Diagnostic> {
        let mut diags = Diagnostics::default();
        validate_config(&mut diags, &config);
        diags.errors
    }

    #[test]
    fn exactly_one_password_and_a_source_are_required() {
        assert!(errors(configured()).is_empty());
        let with = |change: fn(&mut SourceBlock)| {
            let mut block = source();
            change(&mut block);
            MigrationModel {
                source: Value::Value(block),
                ..configured()
            }
        };
        for (path, config) in [
            (
                source_path("password_wo"),
                with(|b| b.password_wo = Value::Value("x".into())),
            ),
            (source_path("password"), with(|b| b.password = Value::Null)),
            (
                source_path("password_wo_version"),
                with(|b| b.password_wo_version = Value::Value(1)),
            ),
            (source_path("port"), with(|b| b.port = Value::Value(0))),
            (source_path("host"), with(|b| b.host = s(" "))),
            (
                at("source"),
                MigrationModel {
                    source: Value::Null,
                    ..configured()
                },
            ),
            (
                at("cluster_id"),
                MigrationModel {
                    cluster_id: s("x"),
                    ..configured()
                },
            ),
        ] {
            let found = errors(config);
            assert_eq!(found.len(), 1, "{path:?}: {found:?}");
            assert_eq!(found[0].attribute, path);
        }
        let write_only = with(|b| {
            b.password = Value::Null;
            b.password_wo = Value::Value("x".into());
            b.password_wo_version = Value::Value(1);
        });
        assert!(errors(write_only).is_empty());
        let unknown = with(|b| {
            b.password = Value::Unknown;
            b.port = Value::Unknown;
            b.host = Value::Unknown;
        });
        assert!(errors(unknown).is_empty());
    }

    #[test]
    fn the_write_only_password_wins_and_reaches_the_request() {
        let mut config = configured();
        if let Value::Value(block) = &mut config.source {
            block.password = Value::Null;
            block.password_wo = s("from-config");
        }
        config.ignore_dbs = Value::Value([s("tmp")].into_iter().collect());
        let request = start_request(&config).unwrap();
        assert_eq!(request.source.password.as_deref(), Some("from-config"));
        assert_eq!(request.source.dbname.as_deref(), Some("defaultdb"));
        assert_eq!(request.ignore_dbs, Some(vec!["tmp".to_string()]));
        assert_eq!(request.disable_ssl, None);
    }

    fn prior() -> MigrationModel {
        MigrationModel {
            id: s("m1"),
            status: s("syncing"),
            created_at: s("2026-01-01T00:00:00Z"),
            ..configured()
        }
    }

    #[test]
    fn every_change_replaces_but_an_imported_source_is_recorded() {
        let mut same = prior();
        assert!(plan_existing(&prior(), &mut same).is_empty());
        assert_eq!(same.id, s("m1"));

        let mut other_host = prior();
        if let Value::Value(block) = &mut other_host.source {
            block.host = s("elsewhere");
        }
        assert_eq!(plan_existing(&prior(), &mut other_host), vec![at("source")]);
        assert_eq!(other_host.id, Value::Unknown);

        let mut bumped = prior();
        if let Value::Value(block) = &mut bumped.source {
            block.password_wo_version = Value::Value(2);
        }
        assert_eq!(plan_existing(&prior(), &mut bumped), vec![at("source")]);

        let mut ssl = MigrationModel {
            disable_ssl: Value::Value(true),
            ..prior()
        };
        assert_eq!(plan_existing(&prior(), &mut ssl), vec![at("disable_ssl")]);

        let imported = MigrationModel {
            source: Value::Null,
            ..prior()
        };
        let mut recorded = MigrationModel {
            disable_ssl: Value::Value(true),
            ..prior()
        };
        assert!(plan_existing(&imported, &mut recorded).is_empty());

        let mut moved_cluster = MigrationModel {
            cluster_id: Value::Unknown,
            ..prior()
        };
        assert_eq!(
            plan_existing(&prior(), &mut moved_cluster),
            vec![at("cluster_id")]
        );
    }

    #[test]
    fn a_stopped_or_failed_migration_is_replaced() {
        for status in FAILED {
            let stopped = MigrationModel {
                status: s(status),
                ..prior()
            };
            let mut planned = stopped.clone();
            assert_eq!(plan_existing(&stopped, &mut planned), vec![at("status")]);
            assert_eq!(planned.status, Value::Unknown);
        }
        let done = MigrationModel {
            status: s("done"),
            ..prior()
        };
        assert!(plan_existing(&done, &mut done.clone()).is_empty());
    }

    #[test]
    fn only_migratable_engines_take_a_migration() {
        let cluster = |engine: &str| Cluster {
            id: CLUSTER.into(),
            name: "main".into(),
            engine: engine.into(),
            ..Cluster::default()
        };
        let mut diags = Diagnostics::default();
        for engine in MIGRATABLE_ENGINES {
            assert!(check_engine(&mut diags, &cluster(engine)), "{engine}");
        }
        for engine in ["kafka", "opensearch", "mongodb"] {
            assert!(!check_engine(&mut diags, &cluster(engine)), "{engine}");
        }
        assert_eq!(diags.errors.len(), 3);
        assert!(diags.errors.iter().all(|e| e.attribute == at("cluster_id")));
    }

    #[test]
    fn reads_keep_the_configuration_and_the_api_status() {
        let migration = OnlineMigration {
            id: "m2".into(),
            status: Some("done".into()),
            created_at: Some("2026-01-02T00:00:00Z".into()),
        };
        let upper = MigrationModel {
            cluster_id: s(&CLUSTER.to_ascii_uppercase()),
            ..prior()
        };
        let state = state_of(CLUSTER, &migration, &upper);
        assert_eq!(state.cluster_id, upper.cluster_id);
        assert_eq!(state.status, s("done"));
        assert_eq!(state.id, s("m2"));
        assert_eq!(state.source, prior().source);
    }

    #[test]
    fn a_digitalocean_migration_moves() {
        let mut diags = Diagnostics::default();
        let state = moved_from_digitalocean(
            &mut diags,
            &SourceState::from_json(json!({
                "id": "m1",
                "cluster_id": CLUSTER,
                "disable_ssl": false,
                "ignore_dbs": ["tmp"],
                "status": "syncing",
                "created_at": "2026-01-01T00:00:00Z",
                "source": [{
                    "host": "old-db.example.com", "port": 5432, "db_name": "defaultdb",
                    "username": "doadmin", "password": "hunter2"
                }]
            })),
        )
        .unwrap();
        assert_eq!(
            state,
            MigrationModel {
                ignore_dbs: Value::Value([s("tmp")].into_iter().collect()),
                ..prior()
            }
        );
        assert!(
            moved_from_digitalocean(&mut diags, &SourceState::from_json(json!({"id": "m"})))
                .is_none()
        );
    }

    #[test]
    fn the_schema_matches_the_model() {
        let schema = migration_schema();
        let (mut attributes, fields) =
            crate::resources::schema_util::attribute_and_field_names::<MigrationModel>(&schema);
        attributes.push("source".into());
        attributes.push("timeouts".into());
        attributes.sort();
        assert_eq!(attributes, fields);
        let source = schema.block.blocks["source"].block();
        let mut names: Vec<_> = source.attributes.keys().cloned().collect();
        names.sort();
        let mut fields: Vec<String> = serde_json::to_value(SourceBlock::default())
            .unwrap()
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect();
        fields.sort();
        assert_eq!(names, fields);
        assert!(source.attributes["password_wo"].write_only);
        assert!(source.attributes["password"].sensitive);
        assert_eq!(
            source.attributes["password"].constraint,
            AttributeConstraint::Optional
        );
    }
}
