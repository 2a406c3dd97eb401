//! `dbaas_uncloud_database`: a database instance on the self-hosted Uncloud platform
//! (`/api/v1/databases`, seed 002).
//!
//! The platform has no update endpoint, so every argument forces a replacement; only
//! `deletion_protection` and `timeouts`, which live in Terraform alone, change in place. The
//! create answers with a partial object, so the database is read back, then waited for until
//! `running` (a database that ends in `error` is kept in state, tainted, with the platform's
//! message), and its connection details come from `/credentials`. Deletes wait until the
//! database is gone.

use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::api::wait::{await_condition, Poll, WaitError};
use crate::api::{ApiError, ErrorKind, Found};
use crate::framework::attr as at;
use crate::framework::context::{Platform, RequestContext, UncloudContext};
use crate::framework::diag::DiagExt;
use crate::framework::resource::ManagedResource;
use crate::framework::timeouts::{
    timeouts_block, validate_timeouts, TimeoutDefaults, TimeoutWording, Timeouts,
};
use crate::framework::validate;
use crate::framework::values::{known, settled, text};
use crate::map;
use crate::plugin::schema::{AttributeType, Block, Description, NestedBlock, Schema};
use crate::plugin::value::{self, Value};
use crate::plugin::{AttributePath, Diagnostics};
use crate::uncloud::models::{status, CreateDatabase, Credentials, Database, DB_TYPES};
use crate::uncloud::{models, UncloudClient};

use super::schema_util::{computed, optional_computed, required, sensitive};

pub const DEFAULT_STORAGE_GB: i64 = 10;
pub const DEFAULT_REPLICAS: i64 = 1;
/// The platform's limits as dbaas-mock applies them (the seed gives none; see the page).
pub const STORAGE_GB_RANGE: (i64, i64) = (1, 16384);
pub const REPLICAS_RANGE: (i64, i64) = (1, 5);

const TIMEOUTS: TimeoutDefaults = TimeoutDefaults {
    create: Duration::from_secs(30 * 60),
    update: Duration::from_secs(5 * 60),
    delete: Duration::from_secs(20 * 60),
};

// ---------------------------------------------------------------------------------------------
// Model
// ---------------------------------------------------------------------------------------------

/// The resource's state, field for field as in the schema.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct UncloudDatabaseModel {
    pub id: Value<String>,
    pub name: Value<String>,
    pub db_type: Value<String>,
    pub version: Value<String>,
    pub plan_id: Value<String>,
    pub region: Value<String>,
    pub storage_gb: Value<i64>,
    pub replicas: Value<i64>,
    pub project_id: Value<String>,
    pub deletion_protection: Value<bool>,
    pub slug: Value<String>,
    pub status: Value<String>,
    pub created_at: Value<String>,
    pub host: Value<String>,
    pub port: Value<i64>,
    pub username: Value<String>,
    pub database: Value<String>,
    pub ssl_mode: Value<String>,
    pub password: Value<String>,
    pub connection_string: Value<String>,
    #[serde(with = "value::serde_as_vec")]
    pub timeouts: Value<Timeouts>,
}

/// The arguments, which the platform cannot change: a change of any replaces the database.
const ARGUMENTS: [&str; 8] = [
    "name",
    "db_type",
    "version",
    "plan_id",
    "region",
    "storage_gb",
    "replicas",
    "project_id",
];

/// Builds the state from the platform's object. `reference` is the plan (create), the prior
/// state (read) or empty (import): what the object leaves out is taken from it.
pub fn state_from_api(
    database: &Database,
    reference: &UncloudDatabaseModel,
) -> UncloudDatabaseModel {
    let or_reference = |api: &Option<String>, reference: &Value<String>| match api {
        Some(value) if !value.is_empty() => Value::Value(value.clone()),
        _ => settled(reference),
    };
    let non_empty = |value: &str, reference: &Value<String>| {
        if value.is_empty() {
            settled(reference)
        } else {
            Value::Value(value.to_string())
        }
    };
    UncloudDatabaseModel {
        id: Value::Value(database.id.clone()),
        name: non_empty(&database.name, &reference.name),
        db_type: non_empty(&database.db_type, &reference.db_type),
        version: or_reference(&database.version, &reference.version),
        plan_id: or_reference(&database.plan_id, &reference.plan_id),
        region: or_reference(&database.region, &reference.region),
        storage_gb: database
            .storage_gb
            .map_or_else(|| settled(&reference.storage_gb), Value::Value),
        replicas: database
            .replicas
            .map_or_else(|| settled(&reference.replicas), Value::Value),
        project_id: or_reference(&database.project_id, &reference.project_id),
        deletion_protection: match &reference.deletion_protection {
            Value::Value(protect) => Value::Value(*protect),
            _ => Value::Value(false),
        },
        slug: or_reference(&database.slug, &reference.slug),
        status: non_empty(&database.status, &reference.status),
        created_at: or_reference(&database.created_at, &reference.created_at),
        host: settled(&reference.host),
        port: settled(&reference.port),
        username: settled(&reference.username),
        database: settled(&reference.database),
        ssl_mode: settled(&reference.ssl_mode),
        password: settled(&reference.password),
        connection_string: settled(&reference.connection_string),
        timeouts: settled(&reference.timeouts),
    }
}

/// Fills the connection attributes from `/credentials`. Redis has no username or database:
/// those are null. A password the answer leaves out is kept.
pub fn with_credentials(
    mut state: UncloudDatabaseModel,
    credentials: &Credentials,
) -> UncloudDatabaseModel {
    let present = |value: &Option<String>| known(value.clone().filter(|v| !v.is_empty()));
    state.host = if credentials.host.is_empty() {
        state.host
    } else {
        Value::Value(credentials.host.clone())
    };
    state.port = known(credentials.port);
    state.username = present(&credentials.username);
    state.database = present(&credentials.database);
    state.ssl_mode = present(&credentials.ssl_mode);
    if let Value::Value(password) = present(&credentials.password) {
        state.password = Value::Value(password);
    }
    if let Value::Value(uri) = present(&credentials.connection_string) {
        state.connection_string = Value::Value(uri);
    }
    state
}

/// An apply returns what the plan promised for what the plan knew.
fn conform_to_plan(
    mut state: UncloudDatabaseModel,
    planned: &UncloudDatabaseModel,
) -> UncloudDatabaseModel {
    state.deletion_protection = planned.deletion_protection;
    state.timeouts = planned.timeouts.clone();
    state
}

// ---------------------------------------------------------------------------------------------
// Schema
// ---------------------------------------------------------------------------------------------

const TIMEOUT_WORDING: TimeoutWording = TimeoutWording {
    create: "How long to wait for the new database to be `running`",
    update: "How long an update (of `deletion_protection` or `timeouts` only, which need no request) may take",
    delete: "How long to wait for the database to be gone",
    block: "Time limits for creating and deleting the database.",
};

const REPLACES: &str =
    "The platform cannot change it: a new value replaces the database (and its data).";

pub fn uncloud_database_schema() -> Schema {
    use AttributeType::{Bool, Number, String as Str};
    let engines = DB_TYPES
        .iter()
        .map(|db_type| format!("`{db_type}` ({})", models::versions(db_type).join(", ")))
        .collect::<Vec<_>>()
        .join(", ");
    let attributes = map! {
        "id" => computed(Str, "The database's ID (`db_…`), which `terraform import` takes."),
        "name" => required(Str, &format!(
            "The database's name, 1 to 63 letters, digits, `-` or `_`, unique among the \
             project's databases. {REPLACES}")),
        "db_type" => required(Str, &format!(
            "The engine: `postgresql`, `mysql`, `redis` or `mongodb`. {REPLACES}")),
        "version" => optional_computed(Str, &format!(
            "The engine version; one of {engines}. Leave it out for the platform's default \
             (the newest). {REPLACES}")),
        "plan_id" => required(Str, &format!(
            "The plan (size) slug, such as `db-s-1vcpu-1gb`. {REPLACES}")),
        "region" => required(Str, &format!("The region slug, such as `nyc1`. {REPLACES}")),
        "storage_gb" => optional_computed(Number, &format!(
            "Disk size in GB, {} to {}. Default `{DEFAULT_STORAGE_GB}`. {REPLACES}",
            STORAGE_GB_RANGE.0, STORAGE_GB_RANGE.1)),
        "replicas" => optional_computed(Number, &format!(
            "How many instances run the database (more than 1 for high availability), {} to {}. \
             Default `{DEFAULT_REPLICAS}`. {REPLACES}", REPLICAS_RANGE.0, REPLICAS_RANGE.1)),
        "project_id" => optional_computed(Str, &format!(
            "The project (`proj_…`) the database belongs to. Leave it out for the platform's \
             default project (`proj_default`). {REPLACES}")),
        "deletion_protection" => optional_computed(Bool,
            "When true, the provider refuses to destroy or replace the database, at plan time. \
             Default `false`. Changed in place (it lives in Terraform only)."),
        "slug" => computed(Str, "The platform's slug for the database (its name in lower case)."),
        "status" => computed(Str,
            "The platform's status: `provisioning`, `running`, `stopped`, `error` or \
             `destroyed`. Applies wait for `running`; a refresh reports what the platform says."),
        "created_at" => computed(Str, "When the database was created (RFC 3339)."),
        "host" => computed(Str, "The host to connect to."),
        "port" => computed(Number,
            "The port: 5432 for PostgreSQL, 3306 for MySQL, 6379 for Redis, 27017 for MongoDB."),
        "username" => computed(Str, "The user to connect as; null for Redis, which has none."),
        "database" => computed(Str, "The database to connect to; null for Redis, which has none."),
        "ssl_mode" => computed(Str,
            "The TLS mode the platform asks clients for (`require`); null when it gives none."),
        "password" => sensitive(computed(Str, "The password of `username` (of the instance, for Redis).")),
        "connection_string" => sensitive(computed(Str,
            "A connection URI with the password, in the engine's scheme (`postgresql://`, \
             `mysql://`, `redis://`, `mongodb://`).")),
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
                "A database on the self-hosted Uncloud platform (`/api/v1/databases`): PostgreSQL, \
                 MySQL, Redis or MongoDB. Needs the provider's `uncloud_endpoint` and \
                 `uncloud_token`. The platform has no update operation, so a change to any \
                 argument replaces the database, and the plan says so. Applies wait until the \
                 database is `running`; one that ends in `error` is kept in state as tainted, \
                 with the platform's message, so nothing is orphaned. Import with the database's \
                 ID (`db_…`). For credentials that never enter state, use the ephemeral \
                 `dbaas_uncloud_database_credentials`.",
            ),
            ..Default::default()
        },
    }
}

// ---------------------------------------------------------------------------------------------
// Validation (configuration only, unknown values skipped)
// ---------------------------------------------------------------------------------------------

/// The platform's rule for names, as dbaas-mock applies it.
pub fn is_database_name(name: &str) -> bool {
    validate::is_made_of(name, 1, 63, |c| {
        c.is_ascii_alphanumeric() || c == '-' || c == '_'
    })
}

/// `db-s-<n>vcpu-<n>gb`.
pub fn is_plan_slug(plan: &str) -> bool {
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    plan.strip_prefix("db-s-")
        .and_then(|rest| rest.split_once("vcpu-"))
        .and_then(|(cpus, memory)| Some((cpus, memory.strip_suffix("gb")?)))
        .is_some_and(|(cpus, gigabytes)| digits(cpus) && digits(gigabytes))
}

/// Three lowercase letters and a digit (`nyc1`).
pub fn is_region_slug(region: &str) -> bool {
    let bytes = region.as_bytes();
    bytes.len() == 4 && bytes[..3].iter().all(u8::is_ascii_lowercase) && bytes[3].is_ascii_digit()
}

pub fn validate_config(diags: &mut Diagnostics, config: &UncloudDatabaseModel) {
    validate::matches(
        diags,
        at("name"),
        &config.name,
        is_database_name,
        "1 to 63 letters, digits, '-' or '_'",
    );
    validate::one_of(diags, at("db_type"), &config.db_type, &DB_TYPES, false);
    if let (Value::Value(db_type), Value::Value(version)) = (&config.db_type, &config.version) {
        let offered = models::versions(db_type);
        if !offered.is_empty() && !offered.contains(&version.as_str()) {
            diags.err(
                "Invalid version",
                format!(
                    "`version` {version:?} is not offered for {db_type}; the platform offers {}. \
                     Leave `version` out for the newest.",
                    offered.join(", ")
                ),
                at("version"),
            );
        }
    }
    validate::matches(
        diags,
        at("plan_id"),
        &config.plan_id,
        is_plan_slug,
        "a plan slug like \"db-s-1vcpu-1gb\"",
    );
    validate::matches(
        diags,
        at("region"),
        &config.region,
        is_region_slug,
        "a region slug like \"nyc1\"",
    );
    validate::int_between(
        diags,
        at("storage_gb"),
        &config.storage_gb,
        STORAGE_GB_RANGE.0,
        STORAGE_GB_RANGE.1,
    );
    validate::int_between(
        diags,
        at("replicas"),
        &config.replicas,
        REPLICAS_RANGE.0,
        REPLICAS_RANGE.1,
    );
    validate::matches(
        diags,
        at("project_id"),
        &config.project_id,
        |id| id.len() > 5 && id.starts_with("proj_"),
        "a project ID like \"proj_default\"",
    );
    validate_timeouts(diags, &config.timeouts);
}

// ---------------------------------------------------------------------------------------------
// Plan
// ---------------------------------------------------------------------------------------------

/// The plan for a new database: defaults filled in, everything the platform decides unknown.
pub fn plan_new(mut planned: UncloudDatabaseModel) -> UncloudDatabaseModel {
    if planned.storage_gb.is_null() {
        planned.storage_gb = Value::Value(DEFAULT_STORAGE_GB);
    }
    if planned.replicas.is_null() {
        planned.replicas = Value::Value(DEFAULT_REPLICAS);
    }
    if planned.deletion_protection.is_null() {
        planned.deletion_protection = Value::Value(false);
    }
    for value in [&mut planned.version, &mut planned.project_id] {
        if value.is_null() {
            *value = Value::Unknown;
        }
    }
    for value in [
        &mut planned.id,
        &mut planned.slug,
        &mut planned.status,
        &mut planned.created_at,
        &mut planned.host,
        &mut planned.username,
        &mut planned.database,
        &mut planned.ssl_mode,
        &mut planned.password,
        &mut planned.connection_string,
    ] {
        *value = Value::Unknown;
    }
    planned.port = Value::Unknown;
    planned
}

/// The arguments whose planned value differs from the prior one (an unknown value counts:
/// nothing can be changed in place, so a value that may differ must replace).
pub fn changed_arguments(
    prior: &UncloudDatabaseModel,
    planned: &UncloudDatabaseModel,
) -> Vec<AttributePath> {
    use crate::framework::plan::differs;
    let changed = [
        differs(&prior.name, &planned.name),
        differs(&prior.db_type, &planned.db_type),
        differs(&prior.version, &planned.version),
        differs(&prior.plan_id, &planned.plan_id),
        differs(&prior.region, &planned.region),
        differs(&prior.storage_gb, &planned.storage_gb),
        differs(&prior.replicas, &planned.replicas),
        differs(&prior.project_id, &planned.project_id),
    ];
    ARGUMENTS
        .iter()
        .zip(changed)
        .filter(|(_, changed)| *changed)
        .map(|(name, _)| AttributePath::new(*name))
        .collect()
}

/// Optional arguments left out of the configuration keep the value the platform chose.
fn keep_platform_choices(
    prior: &UncloudDatabaseModel,
    planned: &mut UncloudDatabaseModel,
    config: &UncloudDatabaseModel,
) {
    if config.version.is_null() {
        planned.version = prior.version.clone();
    }
    if config.project_id.is_null() {
        planned.project_id = prior.project_id.clone();
    }
    if config.storage_gb.is_null() {
        planned.storage_gb = Value::Value(DEFAULT_STORAGE_GB);
    }
    if config.replicas.is_null() {
        planned.replicas = Value::Value(DEFAULT_REPLICAS);
    }
    if config.deletion_protection.is_null() {
        planned.deletion_protection = Value::Value(false);
    }
}

fn is_protected(state: &UncloudDatabaseModel) -> bool {
    state.deletion_protection == Value::Value(true)
}

/// Reports an error and returns true when the database must not be deleted.
fn refuse_if_protected(diags: &mut Diagnostics, state: &UncloudDatabaseModel) -> bool {
    if !is_protected(state) {
        return false;
    }
    diags.err(
        format!("{} is protected from deletion", describe(state)),
        "`deletion_protection` is true, so the provider will not delete this database. Set \
         `deletion_protection = false` and apply, then destroy it.",
        at("deletion_protection"),
    );
    true
}

fn describe(state: &UncloudDatabaseModel) -> String {
    match (text(&state.name), text(&state.id)) {
        (Some(name), Some(id)) => format!("Uncloud database {name:?} ({id})"),
        (Some(name), None) => format!("Uncloud database {name:?}"),
        (None, Some(id)) => format!("Uncloud database {id}"),
        _ => "Uncloud database".to_string(),
    }
}

// ---------------------------------------------------------------------------------------------
// API orchestration
// ---------------------------------------------------------------------------------------------

/// Waits until the database is `running` (or ends in `error`, which is returned too).
async fn wait_settled(
    ctx: &RequestContext,
    uncloud: &UncloudContext,
    id: &str,
) -> Result<Database, WaitError> {
    let client = &uncloud.client;
    await_condition(
        &uncloud.poll,
        ctx.deadline(),
        &ctx.cancel,
        true,
        || async move { client.get_database(id).await.found() },
        |database: Option<Database>| match database {
            Some(db) if db.status == status::RUNNING || db.status == status::ERROR => {
                Poll::Ready(db)
            }
            Some(db) => Poll::Pending(db.status),
            None => Poll::Pending("not visible yet".to_string()),
        },
    )
    .await
}

/// Waits until the database is gone (not found, or `destroyed`).
async fn wait_gone(
    ctx: &RequestContext,
    uncloud: &UncloudContext,
    id: &str,
) -> Result<(), WaitError> {
    let client = &uncloud.client;
    await_condition(
        &uncloud.poll,
        ctx.deadline(),
        &ctx.cancel,
        false,
        || async move { client.get_database(id).await.found() },
        |database: Option<Database>| match database {
            None => Poll::Ready(()),
            Some(db) if db.status == status::DESTROYED => Poll::Ready(()),
            Some(db) => Poll::Pending(db.status),
        },
    )
    .await
}

/// The credentials of a running database; `None` (with a warning) when they cannot be read,
/// so that the state keeps what it had.
async fn read_credentials(
    diags: &mut Diagnostics,
    client: &UncloudClient,
    database: &Database,
) -> Option<Credentials> {
    if database.status != status::RUNNING {
        return None;
    }
    match client.credentials(&database.id).await {
        Ok(credentials) => Some(credentials),
        Err(error) => {
            diags.warn(
                "Connection details not refreshed",
                format!(
                    "The credentials of Uncloud database {} could not be read ({error}); the \
                     state keeps the previous ones.",
                    database.id
                ),
                AttributePath::new("password"),
            );
            None
        }
    }
}

/// The failure of a database that ended in `error`, with the platform's message.
fn report_error_status(diags: &mut Diagnostics, database: &Database) {
    let why = database
        .error_message
        .as_deref()
        .filter(|m| !m.trim().is_empty())
        .map_or_else(
            || "the platform gave no reason".to_string(),
            |m| format!("the platform says: {m}"),
        );
    diags.root_err(
        format!("Uncloud database {:?} failed to provision", database.name),
        format!(
            "Database {} ended in status `error`; {why}. It stays in state as tainted, so the \
             next apply replaces it (or `terraform destroy` removes it); nothing is left behind.",
            database.id
        ),
    );
}

async fn check_name_free(
    ctx: &RequestContext,
    diags: &mut Diagnostics,
    planned: &UncloudDatabaseModel,
) {
    let Some(name) = text(&planned.name) else {
        return;
    };
    let Some(uncloud) = ctx.data().uncloud_if_configured() else {
        return;
    };
    let project = text(&planned.project_id);
    match uncloud.client.find_by_name(name, project).await {
        Ok(Some(existing)) if ctx.replacing.as_deref() != Some(existing.id.as_str()) => {
            if ctx
                .data()
                .is_in_state(UncloudDatabaseResource::TYPE_NAME, &existing.id)
            {
                return;
            }
            diags.err(
                "Uncloud database name already used",
                format!(
                    "The project already has a database named {name:?} ({}). Names are unique \
                     within a project: choose another `name`, or bring the existing database \
                     under Terraform with `terraform import <address> {}`.",
                    existing.id, existing.id
                ),
                at("name"),
            );
        }
        Ok(_) => {}
        // A token the platform refuses will not do better at apply: say so now.
        Err(error) if error.kind() == ErrorKind::Unauthorized => {
            diags.api_err("The Uncloud platform refused the token", &error)
        }
        Err(error) => {
            tracing::warn!(%error, "could not list Uncloud databases at plan time; the name is checked at apply")
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Resource
// ---------------------------------------------------------------------------------------------

/// The `dbaas_uncloud_database` resource.
#[derive(Debug, Clone, Default)]
pub struct UncloudDatabaseResource;

#[async_trait]
impl ManagedResource for UncloudDatabaseResource {
    type Model = UncloudDatabaseModel;
    const TYPE_NAME: &'static str = "dbaas_uncloud_database";
    const IDENTITY: &'static [&'static str] = &["id"];
    const SECRETS: &'static [&'static str] = &["password", "connection_string"];
    const TIMEOUTS: TimeoutDefaults = TIMEOUTS;
    const PLATFORM: Platform = Platform::Uncloud;

    fn schema(&self) -> Schema {
        uncloud_database_schema()
    }

    fn timeouts(model: &UncloudDatabaseModel) -> &Value<Timeouts> {
        &model.timeouts
    }

    async fn validate(&self, diags: &mut Diagnostics, config: &UncloudDatabaseModel) {
        validate_config(diags, config);
    }

    async fn plan_create(
        &self,
        ctx: &RequestContext,
        diags: &mut Diagnostics,
        proposed: UncloudDatabaseModel,
        _config: &UncloudDatabaseModel,
    ) -> Option<UncloudDatabaseModel> {
        let planned = plan_new(proposed);
        check_name_free(ctx, diags, &planned).await;
        Some(planned)
    }

    async fn plan_update(
        &self,
        _ctx: &RequestContext,
        diags: &mut Diagnostics,
        prior: &UncloudDatabaseModel,
        mut proposed: UncloudDatabaseModel,
        config: &UncloudDatabaseModel,
    ) -> Option<(UncloudDatabaseModel, Vec<AttributePath>)> {
        keep_platform_choices(prior, &mut proposed, config);
        let replace = changed_arguments(prior, &proposed);
        if !replace.is_empty() {
            if is_protected(prior) {
                let names: Vec<String> = replace.iter().map(validate::path_name).collect();
                diags.err(
                    format!("{} is protected from deletion", describe(prior)),
                    format!(
                        "Changing {} replaces the database, which destroys it and its data, and \
                         `deletion_protection` is true. Set `deletion_protection = false` and \
                         apply first, or undo the change.",
                        names.join(", ")
                    ),
                    at("deletion_protection"),
                );
            }
            return Some((plan_new(proposed), replace));
        }
        Some((proposed, Vec::new()))
    }

    async fn plan_destroy(&self, diags: &mut Diagnostics, prior: &UncloudDatabaseModel) {
        refuse_if_protected(diags, prior);
    }

    async fn create(
        &self,
        ctx: &RequestContext,
        diags: &mut Diagnostics,
        planned: UncloudDatabaseModel,
        _config: &UncloudDatabaseModel,
    ) -> Option<UncloudDatabaseModel> {
        let uncloud = ctx.uncloud(diags)?;
        let request = CreateDatabase {
            name: text(&planned.name)?.to_string(),
            db_type: text(&planned.db_type)?.to_string(),
            version: text(&planned.version).map(str::to_string),
            plan_id: text(&planned.plan_id)?.to_string(),
            region: text(&planned.region)?.to_string(),
            storage_gb: planned
                .storage_gb
                .as_ref_option()
                .copied()
                .unwrap_or(DEFAULT_STORAGE_GB),
            replicas: planned
                .replicas
                .as_ref_option()
                .copied()
                .unwrap_or(DEFAULT_REPLICAS),
            project_id: text(&planned.project_id).map(str::to_string),
        };
        let created = match uncloud.client.create_database(&request).await {
            Ok(created) => created,
            Err(error) => {
                report_create_failure(diags, &error, &request);
                return None;
            }
        };
        tracing::info!(id = %created.id, name = %request.name, "Uncloud database created");
        // From here on the database exists: every path returns it, so it is never orphaned.
        let mut state = state_from_api(&created, &planned);
        let database = match wait_settled(ctx, &uncloud, &created.id).await {
            Ok(database) => database,
            Err(error) => {
                diags.wait_err(
                    format!(
                        "Uncloud database {} was created but is not running yet",
                        created.id
                    ),
                    &error,
                );
                return Some(conform_to_plan(state, &planned));
            }
        };
        state = state_from_api(&database, &state);
        if database.status == status::ERROR {
            report_error_status(diags, &database);
            return Some(conform_to_plan(state, &planned));
        }
        match uncloud.client.credentials(&database.id).await {
            Ok(credentials) => state = with_credentials(state, &credentials),
            Err(error) => diags.api_err(
                format!(
                    "Uncloud database {} is running but its credentials could not be read",
                    database.id
                ),
                &error,
            ),
        }
        Some(conform_to_plan(state, &planned))
    }

    async fn read(
        &self,
        ctx: &RequestContext,
        diags: &mut Diagnostics,
        state: UncloudDatabaseModel,
    ) -> Option<Option<UncloudDatabaseModel>> {
        let Some(id) = text(&state.id).map(str::to_string) else {
            return Some(Some(state));
        };
        let uncloud = ctx.uncloud(diags)?;
        let database = match uncloud.client.get_database(&id).await.found() {
            Ok(Some(database)) if database.status != status::DESTROYED => database,
            Ok(_) => {
                tracing::info!(id, "Uncloud database is gone; removing it from state");
                return Some(None);
            }
            Err(error) => {
                diags.api_err(format!("Could not read {}", describe(&state)), &error);
                return None;
            }
        };
        ctx.data().note_in_state(Self::TYPE_NAME, id);
        let mut refreshed = state_from_api(&database, &state);
        if let Some(credentials) = read_credentials(diags, &uncloud.client, &database).await {
            refreshed = with_credentials(refreshed, &credentials);
        }
        Some(Some(refreshed))
    }

    async fn update(
        &self,
        _ctx: &RequestContext,
        _diags: &mut Diagnostics,
        _prior: UncloudDatabaseModel,
        planned: UncloudDatabaseModel,
        _config: &UncloudDatabaseModel,
    ) -> Option<UncloudDatabaseModel> {
        // Only `deletion_protection` and `timeouts` change in place, and both live in
        // Terraform alone.
        Some(planned)
    }

    async fn delete(
        &self,
        ctx: &RequestContext,
        diags: &mut Diagnostics,
        prior: UncloudDatabaseModel,
    ) -> Option<()> {
        // Terraform before 1.3 does not plan destroys through the provider: checked here too.
        if refuse_if_protected(diags, &prior) {
            return None;
        }
        let uncloud = ctx.uncloud(diags)?;
        let id = text(&prior.id)?.to_string();
        match uncloud.client.delete_database(&id).await {
            Ok(()) => {}
            Err(error) if error.is_not_found() => return Some(()),
            Err(error) => {
                diags.api_err(format!("Could not delete {}", describe(&prior)), &error);
                return None;
            }
        }
        if let Err(error) = wait_gone(ctx, &uncloud, &id).await {
            diags.wait_err(
                format!("{} is being deleted but is not gone yet", describe(&prior)),
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
    ) -> Option<UncloudDatabaseModel> {
        let id = id.trim();
        if !(id.len() > 3
            && id.starts_with("db_")
            && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'))
        {
            diags.root_err(
                "Invalid import ID",
                format!("The import ID must be the Uncloud database's ID, such as \"db_3f9a1c2b7d4e5f60\"; got {id:?}."),
            );
            return None;
        }
        let uncloud = ctx.uncloud(diags)?;
        let database = match uncloud.client.get_database(id).await.found() {
            Ok(Some(database)) if database.status != status::DESTROYED => database,
            Ok(_) => {
                diags.root_err(
                    "Cannot import an Uncloud database that does not exist",
                    format!("The platform has no database {id} that this token can see."),
                );
                return None;
            }
            Err(error) => {
                diags.api_err(format!("Could not read Uncloud database {id}"), &error);
                return None;
            }
        };
        let mut state = state_from_api(&database, &UncloudDatabaseModel::default());
        if let Some(credentials) = read_credentials(diags, &uncloud.client, &database).await {
            state = with_credentials(state, &credentials);
        }
        Some(state)
    }
}

/// A create the platform refused, or whose outcome is unknown.
fn report_create_failure(diags: &mut Diagnostics, error: &ApiError, request: &CreateDatabase) {
    if error.status() == Some(409) {
        diags.err(
            "Uncloud database name already used",
            format!(
                "The platform refused to create {:?}: {}. Choose another `name`, or import the \
                 existing database with `terraform import <address> <db_id>`.",
                request.name,
                error.message()
            ),
            at("name"),
        );
        return;
    }
    diags.api_err(
        format!("Could not create Uncloud database {:?}", request.name),
        error,
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(text: &str) -> Value<String> {
        Value::Value(text.to_string())
    }

    fn configured() -> UncloudDatabaseModel {
        UncloudDatabaseModel {
            name: s("orders"),
            db_type: s("postgresql"),
            plan_id: s("db-s-1vcpu-1gb"),
            region: s("nyc1"),
            ..UncloudDatabaseModel::default()
        }
    }

    fn errors_for(config: &UncloudDatabaseModel) -> Vec<(String, String)> {
        let mut diags = Diagnostics::default();
        validate_config(&mut diags, config);
        diags
            .errors
            .iter()
            .map(|d| (validate::path_name(&d.attribute), d.detail.to_string()))
            .collect()
    }

    #[test]
    fn bad_arguments_are_named() {
        assert!(errors_for(&configured()).is_empty());
        let cases: Vec<(&str, UncloudDatabaseModel)> = vec![
            (
                "name",
                UncloudDatabaseModel {
                    name: s("no spaces"),
                    ..configured()
                },
            ),
            (
                "db_type",
                UncloudDatabaseModel {
                    db_type: s("postgres"),
                    ..configured()
                },
            ),
            (
                "version",
                UncloudDatabaseModel {
                    version: s("13"),
                    ..configured()
                },
            ),
            (
                "plan_id",
                UncloudDatabaseModel {
                    plan_id: s("small"),
                    ..configured()
                },
            ),
            (
                "region",
                UncloudDatabaseModel {
                    region: s("NYC1"),
                    ..configured()
                },
            ),
            (
                "storage_gb",
                UncloudDatabaseModel {
                    storage_gb: Value::Value(0),
                    ..configured()
                },
            ),
            (
                "replicas",
                UncloudDatabaseModel {
                    replicas: Value::Value(9),
                    ..configured()
                },
            ),
            (
                "project_id",
                UncloudDatabaseModel {
                    project_id: s("default"),
                    ..configured()
                },
            ),
        ];
        for (attribute, config) in cases {
            let errors = errors_for(&config);
            assert_eq!(errors.len(), 1, "{attribute}: {errors:?}");
            assert_eq!(errors[0].0, attribute, "{errors:?}");
        }
        let version = errors_for(&UncloudDatabaseModel {
            version: s("13"),
            ..configured()
        });
        assert!(version[0].1.contains("14, 15, 16"), "{version:?}");
        let unknown = UncloudDatabaseModel {
            name: Value::Unknown,
            db_type: Value::Unknown,
            version: s("13"),
            ..configured()
        };
        assert!(
            errors_for(&unknown).is_empty(),
            "unknown values are skipped"
        );
    }

    #[test]
    fn every_argument_change_replaces_and_left_out_ones_keep_the_platforms_choice() {
        let prior = UncloudDatabaseModel {
            id: s("db_1"),
            version: s("16"),
            project_id: s("proj_default"),
            storage_gb: Value::Value(10),
            replicas: Value::Value(1),
            deletion_protection: Value::Value(false),
            ..configured()
        };
        let mut same = prior.clone();
        keep_platform_choices(&prior, &mut same, &configured());
        assert!(changed_arguments(&prior, &same).is_empty());
        let mut bigger = UncloudDatabaseModel {
            storage_gb: Value::Value(20),
            ..prior.clone()
        };
        keep_platform_choices(
            &prior,
            &mut bigger,
            &UncloudDatabaseModel {
                storage_gb: Value::Value(20),
                ..configured()
            },
        );
        assert_eq!(
            changed_arguments(&prior, &bigger),
            [AttributePath::new("storage_gb")]
        );
        let unknown_name = UncloudDatabaseModel {
            name: Value::Unknown,
            ..prior.clone()
        };
        assert_eq!(
            changed_arguments(&prior, &unknown_name),
            [AttributePath::new("name")]
        );
        // storage_gb removed from the configuration goes back to the default: a replacement
        // when the database had another size.
        let mut removed = bigger.clone();
        keep_platform_choices(&bigger, &mut removed, &configured());
        assert_eq!(
            changed_arguments(&bigger, &removed),
            [AttributePath::new("storage_gb")]
        );
    }

    #[test]
    fn redis_credentials_leave_username_and_database_null() {
        let state = with_credentials(
            UncloudDatabaseModel::default(),
            &Credentials {
                host: "cache.db".into(),
                port: Some(6379),
                password: Some("pw".into()),
                connection_string: Some("redis://:pw@cache.db:6379".into()),
                ..Credentials::default()
            },
        );
        assert_eq!(state.username, Value::Null);
        assert_eq!(state.database, Value::Null);
        assert_eq!(state.port, Value::Value(6379));
        assert_eq!(state.password, s("pw"));
    }

    #[test]
    fn slugs_and_names() {
        assert!(is_plan_slug("db-s-2vcpu-4gb"));
        assert!(!is_plan_slug("db-s-2vcpu"));
        assert!(is_region_slug("fra1"));
        assert!(!is_region_slug("fra"));
        assert!(is_database_name("orders_db-1"));
        assert!(!is_database_name(&"x".repeat(64)));
    }
}
