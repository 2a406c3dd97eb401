//! `dbaas_database_db`: a logical database inside a PostgreSQL, MySQL or MongoDB cluster.
//!
//! The schema is DigitalOcean's (`digitalocean_database_db`): a database has nothing but its
//! name, so every change replaces it. Creation waits for the cluster to be online and rides out
//! "cluster busy" answers within the `create` timeout; a cluster whose engine has no databases
//! (Redis, Valkey, Kafka, OpenSearch) is a plan-time error naming `cluster_id`.

use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::api::models::{Cluster, Db};
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
use crate::framework::values::{settled, text};
use crate::framework::{plan, validate};
use crate::map;
use crate::plugin::schema::{AttributeType, Block, Description, NestedBlock, Schema};
use crate::plugin::service::MoveRequest;
use crate::plugin::value::{self, Value};
use crate::plugin::{AttributePath, Diagnostics};

use super::database_user::is_child_name;
use super::moved::{self, SourceState};
use super::schema_util::{computed, required};

/// Engines whose clusters hold logical databases.
const ENGINES_WITH_DBS: [&str; 5] = ["pg", "advanced_pg", "mysql", "advanced_mysql", "mongodb"];

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
pub struct DbModel {
    pub id: Value<String>,
    pub cluster_id: Value<String>,
    pub name: Value<String>,
    #[serde(with = "value::serde_as_vec")]
    pub timeouts: Value<Timeouts>,
}

/// The resource ID, which is also the import ID.
pub fn db_id(cluster_id: &str, name: &str) -> String {
    child::child_id(cluster_id, name)
}

/// The state of database `name` of `cluster_id`; `reference` keeps its spelling of the
/// cluster's ID and its timeouts.
fn state_of(cluster_id: &str, name: &str, reference: &DbModel) -> DbModel {
    let cluster_id = match &reference.cluster_id {
        Value::Value(wanted) if same_ignoring_case(wanted, cluster_id) => wanted.clone(),
        _ => cluster_id.to_string(),
    };
    DbModel {
        id: Value::Value(db_id(&cluster_id, name)),
        cluster_id: Value::Value(cluster_id),
        name: Value::Value(name.to_string()),
        timeouts: settled(&reference.timeouts),
    }
}

// ---------------------------------------------------------------------------------------------
// Schema
// ---------------------------------------------------------------------------------------------

const TIMEOUT_WORDING: TimeoutWording = TimeoutWording {
    create: "How long to wait for the cluster to be online and accept the new database",
    update: "Unused: a database has nothing to change in place",
    delete: "How long to wait for the database to be deleted",
    block: "Time limits for creating and deleting the database. A cluster that is busy or not \
            ready yet is retried until the limit.",
};

pub fn db_schema() -> Schema {
    use AttributeType::String as Str;
    Schema {
        version: 0,
        block: Block {
            version: 0,
            attributes: map! {
                "id" => computed(Str,
                    "The database's ID, `<cluster_id>,<name>`: the same string `terraform \
                     import` takes. (DigitalOcean's provider uses `<cluster_id>/database/<name>`; \
                     a `moved` block converts it.)"),
                "cluster_id" => required(Str,
                    "The UUID of the cluster that holds the database: a PostgreSQL, MySQL or \
                     MongoDB cluster (other engines have no databases, which is rejected at \
                     plan time when the ID is known then). Changing it replaces the database."),
                "name" => required(Str,
                    "The database's name: 1 to 63 characters, without whitespace, `/` or `,`. \
                     Changing it replaces the database (and everything in it)."),
            },
            blocks: map! {
                "timeouts" => NestedBlock::Optional(timeouts_block(TIMEOUTS, TIMEOUT_WORDING)),
            },
            description: Description::markdown(
                "A logical database inside a PostgreSQL, MySQL or MongoDB cluster. A new \
                 `cluster_id` or `name` replaces it, dropping its data. Import an existing \
                 database with `<cluster_id>,<name>`.",
            ),
            ..Default::default()
        },
    }
}

// ---------------------------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------------------------

pub fn validate_config(diags: &mut Diagnostics, config: &DbModel) {
    validate::uuid(diags, at("cluster_id"), &config.cluster_id);
    validate::matches(
        diags,
        at("name"),
        &config.name,
        is_child_name,
        "1 to 63 characters without whitespace, '/' or ','",
    );
    validate_timeouts(diags, &config.timeouts);
}

/// The error for a cluster that has no databases.
fn check_engine(diags: &mut Diagnostics, cluster: &Cluster) -> bool {
    if ENGINES_WITH_DBS
        .iter()
        .any(|engine| same_ignoring_case(engine, &cluster.engine))
    {
        return true;
    }
    diags.err(
        "This cluster has no databases",
        format!(
            "`cluster_id` {:?} is the {} cluster {:?}, and {} clusters have no logical \
             databases. Databases exist on PostgreSQL, MySQL and MongoDB clusters; point \
             `cluster_id` at one.",
            cluster.id, cluster.engine, cluster.name, cluster.engine
        ),
        at("cluster_id"),
    );
    false
}

// ---------------------------------------------------------------------------------------------
// Plan
// ---------------------------------------------------------------------------------------------

/// The plan for a new database: the configuration and its ID, known as soon as its parts are.
pub fn plan_new(mut planned: DbModel) -> DbModel {
    planned.id = match (text(&planned.cluster_id), text(&planned.name)) {
        (Some(cluster_id), Some(name)) => Value::Value(db_id(cluster_id, name)),
        _ => Value::Unknown,
    };
    planned
}

/// The attributes whose change replaces the database: all of them but `timeouts`.
pub fn plan_existing(prior: &DbModel, planned: &DbModel) -> Vec<AttributePath> {
    let mut replace = plan::Replacements::default();
    if other_cluster(&prior.cluster_id, &planned.cluster_id) {
        replace.add("cluster_id");
    }
    if plan::differs(&prior.name, &planned.name) {
        replace.add("name");
    }
    replace.into_paths()
}

// ---------------------------------------------------------------------------------------------
// Resource
// ---------------------------------------------------------------------------------------------

fn describe(state: &DbModel) -> String {
    match (text(&state.name), text(&state.cluster_id)) {
        (Some(name), Some(cluster)) => format!("database {name:?} of cluster {cluster}"),
        (Some(name), None) => format!("database {name:?}"),
        _ => "database".to_string(),
    }
}

/// The `dbaas_database_db` resource.
#[derive(Debug, Clone, Default)]
pub struct DatabaseDbResource;

/// How messages name a database.
const KIND: ChildKind = ChildKind {
    noun: "database",
    title: "Database",
    import_noun: "database",
};

/// Plan-time check of a known `cluster_id`: it must exist and have databases.
async fn check_cluster(ctx: &RequestContext, diags: &mut Diagnostics, cluster_id: &str) {
    if let Some(cluster) = child::parent_cluster(ctx, diags, cluster_id).await {
        check_engine(diags, &cluster);
    }
}

#[async_trait]
impl ManagedResource for DatabaseDbResource {
    type Model = DbModel;
    const TYPE_NAME: &'static str = "dbaas_database_db";
    const IDENTITY: &'static [&'static str] = &["cluster_id", "name"];
    const TIMEOUTS: TimeoutDefaults = TIMEOUTS;

    fn schema(&self) -> Schema {
        db_schema()
    }

    fn timeouts(model: &DbModel) -> &Value<Timeouts> {
        &model.timeouts
    }

    async fn validate(&self, diags: &mut Diagnostics, config: &DbModel) {
        validate_config(diags, config);
    }

    async fn plan_create(
        &self,
        ctx: &RequestContext,
        diags: &mut Diagnostics,
        proposed: DbModel,
        _config: &DbModel,
    ) -> Option<DbModel> {
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
        prior: &DbModel,
        proposed: DbModel,
        _config: &DbModel,
    ) -> Option<(DbModel, Vec<AttributePath>)> {
        let replace = plan_existing(prior, &proposed);
        Some((proposed, replace))
    }

    async fn create(
        &self,
        ctx: &RequestContext,
        diags: &mut Diagnostics,
        planned: DbModel,
        _config: &DbModel,
    ) -> Option<DbModel> {
        let api = ctx.api(diags)?;
        let cluster_id = text(&planned.cluster_id)?.to_string();
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
        let request = Db {
            name: text(&planned.name)?.to_string(),
        };
        let dbs = api.client.dbs(&cluster_id);
        let created = ctx
            .change_cluster(&api, &cluster_id, "create database", || {
                dbs.create(&request)
            })
            .await;
        if let Err(error) = created {
            child::report_create_failure(
                diags,
                KIND,
                (&cluster_id, &request.name),
                &describe(&planned),
                &error,
                || async { dbs.get(&request.name).await.found() },
            )
            .await;
            return None;
        }
        tracing::info!(cluster = %cluster_id, db = %request.name, "database created");
        // The plan knew every attribute, and an apply must return exactly that.
        Some(planned)
    }

    async fn read(
        &self,
        ctx: &RequestContext,
        diags: &mut Diagnostics,
        state: DbModel,
    ) -> Option<Option<DbModel>> {
        let (Some(cluster_id), Some(name)) = (text(&state.cluster_id), text(&state.name)) else {
            return Some(Some(state));
        };
        let api = ctx.api(diags)?;
        let read = api.client.dbs(cluster_id).get(name).await.found();
        let db = child::read_outcome(diags, KIND, (cluster_id, name), &describe(&state), read)?;
        Some(db.map(|db| state_of(cluster_id, &db.name, &state)))
    }

    async fn update(
        &self,
        _ctx: &RequestContext,
        _diags: &mut Diagnostics,
        _prior: DbModel,
        planned: DbModel,
        _config: &DbModel,
    ) -> Option<DbModel> {
        // Every attribute but `timeouts` forces replacement, so an update changes only those.
        Some(planned)
    }

    async fn delete(
        &self,
        ctx: &RequestContext,
        diags: &mut Diagnostics,
        prior: DbModel,
    ) -> Option<()> {
        let api = ctx.api(diags)?;
        let cluster_id = text(&prior.cluster_id)?.to_string();
        let name = text(&prior.name)?.to_string();
        let dbs = api.client.dbs(&cluster_id);
        child::delete_until_gone(
            ctx,
            diags,
            &api,
            KIND,
            (&cluster_id, &describe(&prior)),
            || dbs.delete(&name),
            || async { dbs.get(&name).await.found() },
        )
        .await
    }

    async fn import(
        &self,
        ctx: &RequestContext,
        diags: &mut Diagnostics,
        id: &str,
    ) -> Option<DbModel> {
        let (cluster_id, name) = child::parse_import_id(diags, KIND, id)?;
        let api = ctx.api(diags)?;
        let read = api.client.dbs(&cluster_id).get(&name).await.found();
        let db = child::import_outcome(diags, KIND, (&cluster_id, &name), read)?;
        Some(state_of(&cluster_id, &db.name, &DbModel::default()))
    }

    async fn move_state(
        &self,
        _ctx: &RequestContext,
        diags: &mut Diagnostics,
        request: &MoveRequest,
    ) -> Option<DbModel> {
        let source = moved::source_state(diags, request, Self::TYPE_NAME)?;
        moved_from_digitalocean(diags, &source)
    }
}

/// A `digitalocean_database_db` (schema version 0) as this resource's state: DigitalOcean's ID
/// `<cluster_id>/database/<name>` becomes `<cluster_id>,<name>`.
pub fn moved_from_digitalocean(diags: &mut Diagnostics, source: &SourceState) -> Option<DbModel> {
    const SOURCE: &str = "digitalocean_database_db";
    let cluster_id = moved::required(diags, source, SOURCE, "cluster_id")?;
    let name = moved::required(diags, source, SOURCE, "name")?;
    Some(DbModel {
        id: Value::Value(db_id(&cluster_id, &name)),
        cluster_id: Value::Value(cluster_id),
        name: Value::Value(name),
        timeouts: source.timeouts(),
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

    fn configured() -> DbModel {
        DbModel {
            cluster_id: s(CLUSTER),
            name: s("orders"),
            ..DbModel::default()
        }
    }

    #[test]
    fn names_and_cluster_ids_are_checked_unknowns_are_not() {
        let errors = |config: DbModel| {
            let mut diags = Diagnostics::default();
            validate_config(&mut diags, &config);
            diags.errors
        };
        assert!(errors(configured()).is_empty());
        for (attribute, config) in [
            (
                "name",
                DbModel {
                    name: s("a b"),
                    ..configured()
                },
            ),
            (
                "name",
                DbModel {
                    name: s("a/b"),
                    ..configured()
                },
            ),
            (
                "name",
                DbModel {
                    name: s(""),
                    ..configured()
                },
            ),
            (
                "cluster_id",
                DbModel {
                    cluster_id: s("x"),
                    ..configured()
                },
            ),
        ] {
            let found = errors(config);
            assert_eq!(found.len(), 1, "{attribute}");
            assert_eq!(found[0].attribute, at(attribute));
        }
        assert!(errors(DbModel {
            cluster_id: Value::Unknown,
            name: Value::Unknown,
            ..DbModel::default()
        })
        .is_empty());
    }

    #[test]
    fn only_engines_with_databases_hold_them() {
        let cluster = |engine: &str| Cluster {
            id: CLUSTER.into(),
            name: "main".into(),
            engine: engine.into(),
            ..Cluster::default()
        };
        let mut diags = Diagnostics::default();
        for engine in ENGINES_WITH_DBS {
            assert!(check_engine(&mut diags, &cluster(engine)), "{engine}");
        }
        for engine in ["redis", "valkey", "kafka", "opensearch"] {
            assert!(!check_engine(&mut diags, &cluster(engine)), "{engine}");
        }
        assert_eq!(diags.errors.len(), 4);
        assert!(diags.errors.iter().all(|e| e.attribute == at("cluster_id")));
        assert!(diags.errors[0].detail.contains(CLUSTER));
    }

    #[test]
    fn every_change_but_timeouts_replaces() {
        let prior = plan_new(configured());
        assert_eq!(prior.id, s(&format!("{CLUSTER},orders")));
        assert_eq!(
            plan_existing(
                &prior,
                &DbModel {
                    name: s("other"),
                    ..prior.clone()
                }
            ),
            vec![at("name")]
        );
        assert_eq!(
            plan_existing(
                &prior,
                &DbModel {
                    cluster_id: Value::Unknown,
                    ..prior.clone()
                }
            ),
            vec![at("cluster_id")]
        );
        let upper = DbModel {
            cluster_id: s(&CLUSTER.to_ascii_uppercase()),
            ..prior.clone()
        };
        assert!(plan_existing(&prior, &upper).is_empty());
        assert_eq!(
            plan_new(DbModel {
                name: Value::Unknown,
                ..configured()
            })
            .id,
            Value::Unknown
        );
    }

    #[test]
    fn a_digitalocean_database_moves() {
        let mut diags = Diagnostics::default();
        let state = moved_from_digitalocean(
            &mut diags,
            &SourceState::from_json(json!({
                "id": format!("{CLUSTER}/database/orders"),
                "cluster_id": CLUSTER,
                "name": "orders"
            })),
        )
        .unwrap();
        assert_eq!(
            state,
            DbModel {
                id: s(&format!("{CLUSTER},orders")),
                ..configured()
            }
        );
        assert!(
            moved_from_digitalocean(&mut diags, &SourceState::from_json(json!({"name": "x"})))
                .is_none()
        );
        assert!(format!("{diags:?}").contains("has no `cluster_id`"));
    }

    #[test]
    fn the_schema_matches_the_model() {
        let schema = db_schema();
        let (mut attributes, fields) =
            crate::resources::schema_util::attribute_and_field_names::<DbModel>(&schema);
        attributes.push("timeouts".into());
        attributes.sort();
        assert_eq!(attributes, fields);
    }
}
