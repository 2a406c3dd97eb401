//! `dbaas_database_connection_pool`: a PgBouncer connection pool on a PostgreSQL cluster.
//!
//! Only identity (`cluster_id`, `name`) forces replacement; `mode`, `size`, `db_name` and `user`
//! change in place with one full-body `PUT`, so live connections survive a resize. Creation
//! waits for the cluster to be online and rides out the "cluster busy / not ready" answers the
//! API gives right after a cluster comes up, within the `create` timeout.

use std::time::Duration;

use crate::map;
use crate::plugin::schema::{AttributeType, Block, Description, NestedBlock, Schema};
use crate::plugin::service::MoveRequest;
use crate::plugin::value::{self, Value};
use crate::plugin::{AttributePath, Diagnostics};
use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::api::models::{Cluster, Connection, CreatePoolRequest, Pool, UpdatePoolRequest};
use crate::api::wait::conditions;
use crate::api::Found;
use crate::framework::attr as at;
use crate::framework::child::{self, ChildKind};
use crate::framework::context::RequestContext;
use crate::framework::diag::DiagExt;
use crate::framework::normalize::same_ignoring_case;
use crate::framework::plan::other_cluster;
use crate::framework::resource::ManagedResource;
use crate::framework::timeouts::{
    timeouts_block, validate_timeouts, TimeoutDefaults, TimeoutWording, Timeouts,
};
use crate::framework::values::{known, settled, text};
use crate::framework::{plan, validate};

use super::database_cluster::uri_with_password;
use super::moved::{self, SourceState};
use super::schema_util::{computed, optional, required, sensitive};

/// PgBouncer's pooling modes, in the API's spelling.
pub const MODES: [&str; 3] = ["session", "transaction", "statement"];

/// Engines whose clusters run PgBouncer.
const POSTGRES_ENGINES: [&str; 2] = ["pg", "advanced_pg"];

const TIMEOUTS: TimeoutDefaults = TimeoutDefaults {
    create: Duration::from_secs(20 * 60),
    update: Duration::from_secs(20 * 60),
    delete: Duration::from_secs(10 * 60),
};

// ---------------------------------------------------------------------------------------------
// Model
// ---------------------------------------------------------------------------------------------

/// The resource's state, field for field as in the schema.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PoolModel {
    pub id: Value<String>,
    pub cluster_id: Value<String>,
    pub name: Value<String>,
    pub mode: Value<String>,
    pub size: Value<i64>,
    pub db_name: Value<String>,
    pub user: Value<String>,
    pub host: Value<String>,
    pub port: Value<i64>,
    pub uri: Value<String>,
    pub private_host: Value<String>,
    pub private_uri: Value<String>,
    pub password: Value<String>,
    #[serde(with = "value::serde_as_vec")]
    pub timeouts: Value<Timeouts>,
}

/// The resource ID, which is also the import ID.
pub fn pool_id(cluster_id: &str, name: &str) -> String {
    child::child_id(cluster_id, name)
}

/// The API's value, spelled as `reference` spells it when the two are equivalent.
fn spelled_like(api: &str, reference: &Value<String>) -> Value<String> {
    match reference {
        Value::Value(wanted) if same_ignoring_case(wanted, api) => Value::Value(wanted.clone()),
        _ => Value::Value(api.to_string()),
    }
}

/// The pool's user: the API reports "the inbound user" as an absent, null or empty `user`,
/// and all three are the same thing as `user` left out of the configuration.
fn user_of(pool: &Pool) -> Option<&str> {
    pool.user.as_deref().filter(|user| !user.trim().is_empty())
}

fn non_empty(text: Option<&String>) -> Option<&str> {
    text.map(String::as_str).filter(|t| !t.is_empty())
}

/// Builds the state from what the API says. `reference` is the plan (after create/update),
/// the prior state (read), or empty (import): its spellings win where the API's value is
/// equivalent, and its password is kept when the answer carries none.
pub fn state_from_api(cluster_id: &str, pool: &Pool, reference: &PoolModel) -> PoolModel {
    let cluster_id = spelled_like(cluster_id, &reference.cluster_id);
    let name = match &reference.name {
        Value::Value(wanted) if *wanted == pool.name => Value::Value(wanted.clone()),
        _ => Value::Value(pool.name.clone()),
    };
    let connection: Option<&Connection> = pool.connection.as_ref();
    let private: Option<&Connection> = pool.private_connection.as_ref();
    let password = match non_empty(connection.and_then(|c| c.password.as_ref())) {
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
    PoolModel {
        id: Value::Value(pool_id(
            text(&cluster_id).unwrap_or_default(),
            text(&name).unwrap_or_default(),
        )),
        cluster_id,
        name,
        mode: spelled_like(&pool.mode, &reference.mode),
        size: Value::Value(pool.size),
        db_name: Value::Value(pool.db.clone()),
        user: known(user_of(pool).map(str::to_string)),
        host: known(non_empty(connection.and_then(|c| c.host.as_ref())).map(str::to_string))
            .or(settled(&reference.host)),
        port: known(connection.and_then(|c| c.port)).or(settled(&reference.port)),
        uri: uri_of(connection, &reference.uri),
        private_host: known(non_empty(private.and_then(|c| c.host.as_ref())).map(str::to_string))
            .or(settled(&reference.private_host)),
        private_uri: uri_of(private, &reference.private_uri),
        password,
        timeouts: settled(&reference.timeouts),
    }
}

/// An apply must return exactly what the plan promised. Computed values the plan knew are
/// therefore kept even when the API's answer differs (a concurrent change elsewhere); the next
/// refresh reports such a difference as drift instead of failing this apply.
fn conform_to_plan(mut state: PoolModel, planned: &PoolModel) -> PoolModel {
    let keep = |actual: &mut Value<String>, promised: &Value<String>| {
        if promised.is_value() {
            *actual = promised.clone();
        }
    };
    keep(&mut state.host, &planned.host);
    keep(&mut state.uri, &planned.uri);
    keep(&mut state.private_host, &planned.private_host);
    keep(&mut state.private_uri, &planned.private_uri);
    keep(&mut state.password, &planned.password);
    if planned.port.is_value() {
        state.port = planned.port;
    }
    state.timeouts = planned.timeouts.clone();
    state
}

// ---------------------------------------------------------------------------------------------
// Schema
// ---------------------------------------------------------------------------------------------

const TIMEOUT_WORDING: TimeoutWording = TimeoutWording {
    create: "How long to wait for the cluster to be online and accept the new pool",
    update: "How long to keep retrying an update while the cluster is busy",
    delete: "How long to wait for the pool to be deleted",
    block: "Time limits for creating, updating and deleting the pool. A cluster that is busy or \
            not ready yet is retried until the limit.",
};

pub fn pool_schema() -> Schema {
    use AttributeType::{Number, String as Str};
    let attributes = map! {
        "id" => computed(Str,
            "The pool's ID, `<cluster_id>,<name>`: the same string `terraform import` takes."),
        "cluster_id" => required(Str,
            "The UUID of the PostgreSQL cluster (`engine = \"pg\"`) that hosts the pool. \
             Changing it replaces the pool. A cluster of another engine is rejected at plan \
             time when the ID is known then, else before anything is created."),
        "name" => required(Str,
            "The pool's name, 3 to 60 characters, unique within the cluster. Clients connect to \
             the pool by using it as the database name. Changing it replaces the pool."),
        "mode" => required(Str,
            "PgBouncer's pooling mode: `session` (a server connection is held for the whole \
             client session), `transaction` (for one transaction) or `statement` (for one \
             statement). Changed in place."),
        "size" => required(Number,
            "How many server connections the pool may open, at least 1. The cluster's size caps \
             the total over all its pools (25 per GiB of RAM, 3 of them reserved). Changed in \
             place, without dropping client connections."),
        "db_name" => required(Str,
            "The database the pool's server connections use. Changed in place."),
        "user" => optional(Str,
            "The database user the pool's server connections log in as. Leave it out to use \
             the *inbound user*: each client's own credentials are passed through. Changed in \
             place; removing it switches the pool to the inbound user."),
        "host" => computed(Str, "The public hostname to connect to the pool."),
        "port" => computed(Number, "The port of the pool."),
        "uri" => sensitive(computed(Str,
            "The public connection URI of the pool, with the password when the API provides \
             one.")),
        "private_host" => computed(Str, "The hostname to connect to the pool inside the VPC."),
        "private_uri" => sensitive(computed(Str,
            "The connection URI of the pool inside the VPC, with the password when the API \
             provides one.")),
        "password" => sensitive(computed(Str,
            "The password in the pool's connection details (those of `user`, or of the \
             cluster's default user when the pool uses the inbound user). Kept from the create \
             response when later answers leave it out (as they do for read-only tokens); known \
             only after apply when `user` changes.")),
    };
    Schema {
        version: 1,
        block: Block {
            version: 1,
            attributes,
            blocks: map! {
                "timeouts" => NestedBlock::Optional(timeouts_block(TIMEOUTS, TIMEOUT_WORDING)),
            },
            description: Description::markdown(
                "A PgBouncer connection pool on a PostgreSQL cluster. `mode`, `size`, `db_name` \
                 and `user` change in place; a new `cluster_id` or `name` replaces the pool. \
                 Import an existing pool with `<cluster_id>,<name>`.",
            ),
            ..Default::default()
        },
    }
}

// ---------------------------------------------------------------------------------------------
// Validation (configuration only, unknown values skipped)
// ---------------------------------------------------------------------------------------------

pub fn validate_config(diags: &mut Diagnostics, config: &PoolModel) {
    validate::uuid(diags, at("cluster_id"), &config.cluster_id);
    validate::matches(
        diags,
        at("name"),
        &config.name,
        is_pool_name,
        "3 to 60 letters, digits, '-' or '_' (the API's rule for pool names)",
    );
    validate::one_of(diags, at("mode"), &config.mode, &MODES, false);
    validate::int_at_least(diags, at("size"), &config.size, 1);
    validate::not_blank(diags, at("db_name"), &config.db_name);
    if let Value::Value(user) = &config.user {
        if user.trim().is_empty() {
            diags.err(
                "Invalid user",
                "`user` must not be empty. To have the pool use the inbound user (each \
                 client's own credentials), leave `user` out.",
                at("user"),
            );
        }
    }
    validate_timeouts(diags, &config.timeouts);
}

/// The API's rule for pool names: 3 to 60 letters, digits, `-` and `_` (so never a comma or a
/// slash, which the resource ID `<cluster_id>,<name>` relies on).
pub fn is_pool_name(name: &str) -> bool {
    (3..=60).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// The error for a cluster that cannot host pools.
fn check_engine(diags: &mut Diagnostics, cluster: &Cluster) -> bool {
    if POSTGRES_ENGINES
        .iter()
        .any(|engine| same_ignoring_case(engine, &cluster.engine))
    {
        return true;
    }
    diags.err(
        "Connection pools need a PostgreSQL cluster",
        format!(
            "`cluster_id` {:?} is the {} cluster {:?}. Connection pools (PgBouncer) exist only \
             on PostgreSQL clusters (`engine = \"pg\"`); point `cluster_id` at one.",
            cluster.id, cluster.engine, cluster.name
        ),
        at("cluster_id"),
    );
    false
}

// ---------------------------------------------------------------------------------------------
// Plan
// ---------------------------------------------------------------------------------------------

/// The plan for a new pool: the configuration, the ID (known as soon as its parts are), and
/// unknown connection details.
pub fn plan_new(mut planned: PoolModel) -> PoolModel {
    planned.id = match (text(&planned.cluster_id), text(&planned.name)) {
        (Some(cluster_id), Some(name)) => Value::Value(pool_id(cluster_id, name)),
        _ => Value::Unknown,
    };
    for value in [
        &mut planned.host,
        &mut planned.uri,
        &mut planned.private_host,
        &mut planned.private_uri,
        &mut planned.password,
    ] {
        *value = Value::Unknown;
    }
    planned.port = Value::Unknown;
    planned
}

/// Adjusts the plan for an existing pool; returns the attributes that force replacement.
///
/// Host and port never change in place. The URIs name the pool's user and embed its password,
/// so they become unknown when `user` or `db_name` changes, and the password when `user` does.
pub fn plan_existing(prior: &PoolModel, planned: &mut PoolModel) -> Vec<AttributePath> {
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
    let user_changes = plan::differs(&prior.user, &planned.user);
    if user_changes || plan::differs(&prior.db_name, &planned.db_name) {
        planned.uri = Value::Unknown;
        planned.private_uri = Value::Unknown;
    }
    if user_changes {
        planned.password = Value::Unknown;
    }
    Vec::new()
}

/// Whether the update needs a `PUT` (a change of `timeouts` alone does not).
fn needs_put(prior: &PoolModel, planned: &PoolModel) -> bool {
    prior.mode != planned.mode
        || prior.size != planned.size
        || prior.db_name != planned.db_name
        || prior.user != planned.user
}

// ---------------------------------------------------------------------------------------------
// API orchestration
// ---------------------------------------------------------------------------------------------

fn describe(state: &PoolModel) -> String {
    match (text(&state.name), text(&state.cluster_id)) {
        (Some(name), Some(cluster)) => format!("connection pool {name:?} of cluster {cluster}"),
        (Some(name), None) => format!("connection pool {name:?}"),
        _ => "connection pool".to_string(),
    }
}

/// The `user` to send: `None` lets the pool use the inbound user.
fn requested_user(state: &PoolModel) -> Option<String> {
    text(&state.user).map(str::to_string)
}

// ---------------------------------------------------------------------------------------------
// Resource
// ---------------------------------------------------------------------------------------------

/// The `dbaas_database_connection_pool` resource.
#[derive(Debug, Clone, Default)]
pub struct DatabaseConnectionPoolResource;

/// How messages name a connection pool.
const KIND: ChildKind = ChildKind {
    noun: "connection pool",
    title: "Connection pool",
    import_noun: "connection pool",
};

/// Plan-time check of a known `cluster_id`: it must exist and run PostgreSQL. A cluster that
/// cannot be read for another reason is left to the apply, which checks again.
async fn check_cluster(ctx: &RequestContext, diags: &mut Diagnostics, cluster_id: &str) {
    if let Some(cluster) = child::parent_cluster(ctx, diags, cluster_id).await {
        check_engine(diags, &cluster);
    }
}

#[async_trait]
impl ManagedResource for DatabaseConnectionPoolResource {
    type Model = PoolModel;
    const TYPE_NAME: &'static str = "dbaas_database_connection_pool";
    const IDENTITY: &'static [&'static str] = &["cluster_id", "name"];
    const SECRETS: &'static [&'static str] = &["password", "uri", "private_uri"];
    const TIMEOUTS: TimeoutDefaults = TIMEOUTS;

    fn schema(&self) -> Schema {
        pool_schema()
    }

    fn timeouts(model: &PoolModel) -> &Value<Timeouts> {
        &model.timeouts
    }

    async fn validate(&self, diags: &mut Diagnostics, config: &PoolModel) {
        validate_config(diags, config);
    }

    async fn plan_create(
        &self,
        ctx: &RequestContext,
        diags: &mut Diagnostics,
        proposed: PoolModel,
        _config: &PoolModel,
    ) -> Option<PoolModel> {
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
        prior: &PoolModel,
        mut proposed: PoolModel,
        _config: &PoolModel,
    ) -> Option<(PoolModel, Vec<AttributePath>)> {
        let replace = plan_existing(prior, &mut proposed);
        Some((proposed, replace))
    }

    async fn create(
        &self,
        ctx: &RequestContext,
        diags: &mut Diagnostics,
        planned: PoolModel,
        _config: &PoolModel,
    ) -> Option<PoolModel> {
        let api = ctx.api(diags)?;
        let cluster_id = text(&planned.cluster_id)?.to_string();
        let deadline = ctx.deadline();
        let cluster = match api
            .client
            .clusters()
            .wait(
                &cluster_id,
                conditions::online(),
                &api.poll,
                deadline,
                &ctx.cancel,
            )
            .await
        {
            Ok(cluster) => cluster,
            Err(error) => {
                diags.wait_err(
                    format!(
                        "Database cluster {cluster_id} is not online, so the {} cannot be created",
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

        let request = CreatePoolRequest {
            name: text(&planned.name)?.to_string(),
            mode: text(&planned.mode)?.to_string(),
            size: planned.size.as_ref_option().copied()?,
            db: text(&planned.db_name)?.to_string(),
            user: requested_user(&planned),
        };
        let pools = api.client.pools(&cluster_id);
        let created = ctx
            .change_cluster(&api, &cluster_id, "create connection pool", || {
                pools.create(&request)
            })
            .await;
        let pool = match created {
            Ok(pool) => pool,
            Err(error) => {
                child::report_create_failure(
                    diags,
                    KIND,
                    (&cluster_id, &request.name),
                    &describe(&planned),
                    &error,
                    || async { pools.get(&request.name).await.found() },
                )
                .await;
                return None;
            }
        };
        tracing::info!(cluster = %cluster_id, pool = %request.name, "connection pool created");

        // From here on the pool exists: every path returns it, so it is never orphaned.
        let mut state = state_from_api(&cluster_id, &pool, &planned);
        if pool.connection.is_none() {
            match pools.get(&request.name).await.found() {
                Ok(Some(read)) => state = state_from_api(&cluster_id, &read, &state),
                Ok(None) => {}
                Err(error) => diags.api_err(
                    format!(
                        "The {} was created but could not be read back",
                        describe(&planned)
                    ),
                    &error,
                ),
            }
        }
        Some(conform_to_plan(state, &planned))
    }

    async fn read(
        &self,
        ctx: &RequestContext,
        diags: &mut Diagnostics,
        state: PoolModel,
    ) -> Option<Option<PoolModel>> {
        let (Some(cluster_id), Some(name)) = (text(&state.cluster_id), text(&state.name)) else {
            return Some(Some(state));
        };
        let api = ctx.api(diags)?;
        let read = api.client.pools(cluster_id).get(name).await.found();
        let pool = child::read_outcome(diags, KIND, (cluster_id, name), &describe(&state), read)?;
        Some(pool.map(|pool| state_from_api(cluster_id, &pool, &state)))
    }

    async fn update(
        &self,
        ctx: &RequestContext,
        diags: &mut Diagnostics,
        prior: PoolModel,
        planned: PoolModel,
        _config: &PoolModel,
    ) -> Option<PoolModel> {
        if !needs_put(&prior, &planned) {
            return Some(planned);
        }
        let api = ctx.api(diags)?;
        let cluster_id = text(&prior.cluster_id)?.to_string();
        let name = text(&prior.name)?.to_string();
        // The PUT takes the whole pool, so unchanged fields are sent as they are.
        let request = UpdatePoolRequest {
            mode: text(&planned.mode)?.to_string(),
            size: planned.size.as_ref_option().copied()?,
            db: text(&planned.db_name)?.to_string(),
            user: requested_user(&planned),
        };
        let pools = api.client.pools(&cluster_id);
        let updated = ctx
            .change_cluster(&api, &cluster_id, "update connection pool", || {
                pools.update(&name, &request)
            })
            .await;
        if let Err(error) = &updated {
            diags.wait_err(format!("Could not update the {}", describe(&prior)), error);
        }

        // After a failure the state must say what is true now, so the reference is the prior
        // state; after success it is the plan.
        let reference = if updated.is_ok() { &planned } else { &prior };
        match api.client.pools(&cluster_id).get(&name).await.found() {
            Ok(Some(pool)) => {
                let state = state_from_api(&cluster_id, &pool, reference);
                Some(if updated.is_ok() {
                    conform_to_plan(state, &planned)
                } else {
                    state
                })
            }
            Ok(None) => {
                diags.root_err(
                    "Connection pool disappeared",
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
        prior: PoolModel,
    ) -> Option<()> {
        let api = ctx.api(diags)?;
        let cluster_id = text(&prior.cluster_id)?.to_string();
        let name = text(&prior.name)?.to_string();
        let pools = api.client.pools(&cluster_id);
        child::delete_until_gone(
            ctx,
            diags,
            &api,
            KIND,
            (&cluster_id, &describe(&prior)),
            || pools.delete(&name),
            || async { pools.get(&name).await.found() },
        )
        .await
    }

    async fn import(
        &self,
        ctx: &RequestContext,
        diags: &mut Diagnostics,
        id: &str,
    ) -> Option<PoolModel> {
        let (cluster_id, name) = child::parse_import_id(diags, KIND, id)?;
        let api = ctx.api(diags)?;
        let read = api.client.pools(&cluster_id).get(&name).await.found();
        let pool = child::import_outcome(diags, KIND, (&cluster_id, &name), read)?;
        Some(state_from_api(&cluster_id, &pool, &PoolModel::default()))
    }

    async fn move_state(
        &self,
        _ctx: &RequestContext,
        diags: &mut Diagnostics,
        request: &MoveRequest,
    ) -> Option<PoolModel> {
        let source = moved::source_state(diags, request, Self::TYPE_NAME)?;
        moved_from_digitalocean(diags, &source)
    }
}

/// A `digitalocean_database_connection_pool` (schema version 0) as this resource's state: the
/// same attributes; DigitalOcean's ID `<cluster_id>/<name>` becomes `<cluster_id>,<name>`.
pub fn moved_from_digitalocean(diags: &mut Diagnostics, source: &SourceState) -> Option<PoolModel> {
    const SOURCE: &str = "digitalocean_database_connection_pool";
    let cluster_id = moved::required(diags, source, SOURCE, "cluster_id")?;
    let name = moved::required(diags, source, SOURCE, "name")?;
    Some(PoolModel {
        id: Value::Value(pool_id(&cluster_id, &name)),
        cluster_id: Value::Value(cluster_id),
        name: Value::Value(name),
        mode: source.string("mode"),
        size: source.int("size"),
        db_name: source.string("db_name"),
        user: source.string("user"),
        host: source.string("host"),
        port: source.int("port"),
        uri: source.string("uri"),
        private_host: source.string("private_host"),
        private_uri: source.string("private_uri"),
        password: source.string("password"),
        timeouts: source.timeouts(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const CLUSTER: &str = "9cc10173-e9ea-4176-9dbc-a4cee4c4ff30";

    fn s(text: &str) -> Value<String> {
        Value::Value(text.to_string())
    }

    fn configured() -> PoolModel {
        PoolModel {
            cluster_id: s(CLUSTER),
            name: s("backend-pool"),
            mode: s("transaction"),
            size: Value::Value(10),
            db_name: s("defaultdb"),
            ..PoolModel::default()
        }
    }

    fn api_pool() -> Pool {
        Pool {
            name: "backend-pool".into(),
            mode: "transaction".into(),
            size: 10,
            db: "defaultdb".into(),
            user: Some(String::new()),
            connection: Some(Connection {
                uri: Some("postgres://doadmin@pool.db:25061/backend-pool?sslmode=require".into()),
                host: Some("pool.db".into()),
                port: Some(25061),
                user: Some("doadmin".into()),
                password: None,
                ..Connection::default()
            }),
            private_connection: Some(Connection {
                uri: Some("postgres://doadmin@private-pool.db:25061/backend-pool".into()),
                host: Some("private-pool.db".into()),
                ..Connection::default()
            }),
            ..Pool::default()
        }
    }

    fn errors_for(config: &PoolModel) -> Vec<(String, String)> {
        let mut diags = Diagnostics::default();
        validate_config(&mut diags, config);
        diags
            .errors
            .iter()
            .map(|d| (d.summary.to_string(), d.detail.to_string()))
            .collect()
    }

    #[test]
    fn a_valid_configuration_passes() {
        assert!(errors_for(&configured()).is_empty());
        let with_user = PoolModel {
            user: s("app"),
            mode: s("statement"),
            ..configured()
        };
        assert!(errors_for(&with_user).is_empty());
    }

    #[test]
    fn bad_inputs_fail_naming_the_attribute() {
        let cases: Vec<(&str, PoolModel)> = vec![
            (
                "cluster_id",
                PoolModel {
                    cluster_id: s("not-a-uuid"),
                    ..configured()
                },
            ),
            (
                "name",
                PoolModel {
                    name: s("ab"),
                    ..configured()
                },
            ),
            (
                "name",
                PoolModel {
                    name: s(&"p".repeat(61)),
                    ..configured()
                },
            ),
            (
                "name",
                PoolModel {
                    name: s("a,b,c"),
                    ..configured()
                },
            ),
            (
                "mode",
                PoolModel {
                    mode: s("Session"),
                    ..configured()
                },
            ),
            (
                "mode",
                PoolModel {
                    mode: s("pooled"),
                    ..configured()
                },
            ),
            (
                "size",
                PoolModel {
                    size: Value::Value(0),
                    ..configured()
                },
            ),
            (
                "db_name",
                PoolModel {
                    db_name: s(" "),
                    ..configured()
                },
            ),
            (
                "user",
                PoolModel {
                    user: s(""),
                    ..configured()
                },
            ),
        ];
        for (attribute, config) in cases {
            let errors = errors_for(&config);
            assert_eq!(errors.len(), 1, "{attribute}: {errors:?}");
            assert_eq!(errors[0].0, format!("Invalid {attribute}"));
            assert!(
                errors[0].1.contains(&format!("`{attribute}`")),
                "{attribute}: {}",
                errors[0].1
            );
        }
    }

    #[test]
    fn unknown_values_are_not_validated() {
        let config = PoolModel {
            cluster_id: Value::Unknown,
            name: Value::Unknown,
            mode: Value::Unknown,
            size: Value::Unknown,
            db_name: Value::Unknown,
            user: Value::Unknown,
            ..PoolModel::default()
        };
        assert!(errors_for(&config).is_empty());
    }

    #[test]
    fn a_new_pool_knows_its_id_but_not_its_connection() {
        let planned = plan_new(configured());
        assert_eq!(planned.id, s(&format!("{CLUSTER},backend-pool")));
        assert_eq!(planned.host, Value::Unknown);
        assert_eq!(planned.port, Value::Unknown);
        assert_eq!(planned.password, Value::Unknown);
        assert_eq!(planned.user, Value::Null, "an absent user stays absent");
        let waiting = plan_new(PoolModel {
            cluster_id: Value::Unknown,
            ..configured()
        });
        assert_eq!(waiting.id, Value::Unknown);
    }

    fn existing() -> PoolModel {
        PoolModel {
            id: s(&format!("{CLUSTER},backend-pool")),
            host: s("pool.db"),
            port: Value::Value(25061),
            uri: s("postgres://doadmin:pw@pool.db:25061/backend-pool"),
            private_host: s("private-pool.db"),
            private_uri: s("postgres://doadmin:pw@private-pool.db:25061/backend-pool"),
            password: s("pw"),
            ..configured()
        }
    }

    #[test]
    fn size_and_mode_change_in_place_keeping_connection_details() {
        let prior = existing();
        let mut planned = PoolModel {
            size: Value::Value(20),
            mode: s("session"),
            ..existing()
        };
        assert!(plan_existing(&prior, &mut planned).is_empty());
        assert_eq!(planned.uri, prior.uri);
        assert_eq!(planned.password, prior.password);
        assert_eq!(planned.host, prior.host);
        assert!(needs_put(&prior, &planned));
    }

    #[test]
    fn a_new_user_makes_credentials_unknown_but_not_the_host() {
        let prior = existing();
        let mut planned = PoolModel {
            user: s("app"),
            ..existing()
        };
        assert!(plan_existing(&prior, &mut planned).is_empty());
        assert_eq!(planned.uri, Value::Unknown);
        assert_eq!(planned.private_uri, Value::Unknown);
        assert_eq!(planned.password, Value::Unknown);
        assert_eq!(planned.host, prior.host);
        assert_eq!(planned.port, prior.port);

        let mut planned = PoolModel {
            db_name: s("other"),
            ..existing()
        };
        plan_existing(&prior, &mut planned);
        assert_eq!(planned.uri, Value::Unknown);
        assert_eq!(planned.password, prior.password);
    }

    #[test]
    fn identity_changes_replace_the_pool() {
        let prior = existing();
        let mut renamed = PoolModel {
            name: s("other-pool"),
            ..existing()
        };
        assert_eq!(plan_existing(&prior, &mut renamed), vec![at("name")]);
        let mut moved = PoolModel {
            cluster_id: Value::Unknown,
            ..existing()
        };
        assert_eq!(plan_existing(&prior, &mut moved), vec![at("cluster_id")]);
        let mut upper = PoolModel {
            cluster_id: s(&CLUSTER.to_ascii_uppercase()),
            ..existing()
        };
        assert!(plan_existing(&prior, &mut upper).is_empty());
        let mut same = existing();
        assert!(plan_existing(&prior, &mut same).is_empty());
        assert!(!needs_put(&prior, &same));
    }

    #[test]
    fn an_empty_or_absent_user_is_the_inbound_user() {
        let mut pool = api_pool();
        assert_eq!(
            state_from_api(CLUSTER, &pool, &configured()).user,
            Value::Null
        );
        pool.user = None;
        assert_eq!(
            state_from_api(CLUSTER, &pool, &configured()).user,
            Value::Null
        );
        pool.user = Some("app".into());
        assert_eq!(state_from_api(CLUSTER, &pool, &configured()).user, s("app"));
    }

    #[test]
    fn a_password_missing_from_the_answer_is_kept_and_put_into_uris() {
        let state = state_from_api(CLUSTER, &api_pool(), &existing());
        assert_eq!(state.password, s("pw"));
        assert_eq!(
            state.uri,
            s("postgres://doadmin:pw@pool.db:25061/backend-pool?sslmode=require")
        );
        assert_eq!(
            state.private_uri,
            s("postgres://doadmin:pw@private-pool.db:25061/backend-pool")
        );
        assert_eq!(state.id, s(&format!("{CLUSTER},backend-pool")));

        let mut fresh = api_pool();
        fresh.connection.as_mut().unwrap().password = Some("rotated".into());
        assert_eq!(
            state_from_api(CLUSTER, &fresh, &existing()).password,
            s("rotated")
        );
        let imported = state_from_api(CLUSTER, &api_pool(), &PoolModel::default());
        assert_eq!(imported.password, Value::Null);
        assert_eq!(imported.timeouts, Value::Null);
    }

    #[test]
    fn the_configured_spelling_of_the_cluster_id_is_kept() {
        let reference = PoolModel {
            cluster_id: s(&CLUSTER.to_ascii_uppercase()),
            ..configured()
        };
        let state = state_from_api(CLUSTER, &api_pool(), &reference);
        assert_eq!(state.cluster_id, reference.cluster_id);
    }

    #[test]
    fn an_apply_returns_the_values_the_plan_promised() {
        let mut answer = api_pool();
        let connection = answer.connection.as_mut().unwrap();
        connection.host = Some("moved.db".into());
        connection.uri =
            Some("postgres://doadmin@moved.db:25061/backend-pool?sslmode=require".into());
        let planned = existing();
        let state = conform_to_plan(state_from_api(CLUSTER, &answer, &planned), &planned);
        assert_eq!(state.host, s("pool.db"));
        let mut unknown = existing();
        unknown.uri = Value::Unknown;
        let state = conform_to_plan(state_from_api(CLUSTER, &answer, &unknown), &unknown);
        assert_eq!(
            state.uri,
            s("postgres://doadmin:pw@moved.db:25061/backend-pool?sslmode=require")
        );
    }

    #[test]
    fn only_postgres_clusters_host_pools() {
        let mut diags = Diagnostics::default();
        let cluster = Cluster {
            id: CLUSTER.into(),
            name: "cache".into(),
            engine: "valkey".into(),
            ..Cluster::default()
        };
        assert!(!check_engine(&mut diags, &cluster));
        assert_eq!(diags.errors.len(), 1);
        assert!(diags.errors[0].detail.contains(CLUSTER));
        assert_eq!(diags.errors[0].attribute, at("cluster_id"));
        let mut diags = Diagnostics::default();
        for engine in ["pg", "advanced_pg"] {
            let cluster = Cluster {
                engine: engine.into(),
                ..cluster.clone()
            };
            assert!(check_engine(&mut diags, &cluster));
        }
        assert!(diags.errors.is_empty());
    }

    #[test]
    fn the_schema_marks_secrets_sensitive_and_identity_required() {
        let schema = pool_schema();
        let attributes = &schema.block.attributes;
        for secret in ["uri", "private_uri", "password"] {
            assert!(attributes[secret].sensitive, "{secret}");
        }
        for name in ["cluster_id", "name", "mode", "size", "db_name"] {
            assert_eq!(
                attributes[name].constraint,
                crate::plugin::schema::AttributeConstraint::Required,
                "{name}"
            );
        }
        assert_eq!(
            attributes["user"].constraint,
            crate::plugin::schema::AttributeConstraint::Optional
        );
    }
}
