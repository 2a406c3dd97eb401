//! `dbaas_uncloud_database` data source: an existing database of the Uncloud platform, found
//! by `id` or by `name` (within `project_id`, the default project when left out), with its
//! connection details.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::api::Found;
use crate::framework::attr as at;
use crate::framework::context::RequestContext;
use crate::framework::data_source::DataSource;
use crate::framework::diag::DiagExt;
use crate::framework::values::text;
use crate::map;
use crate::plugin::schema::{AttributeType, Block, Description, Schema};
use crate::plugin::value::Value;
use crate::plugin::Diagnostics;
use crate::resources::schema_util::{computed, optional_computed, sensitive};
use crate::resources::uncloud_database::{
    is_database_name, state_from_api, with_credentials, UncloudDatabaseModel,
};
use crate::uncloud::models::{status, Database};

/// The data source's attributes: the resource's, without `deletion_protection` and
/// `timeouts`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct UncloudDatabaseData {
    pub id: Value<String>,
    pub name: Value<String>,
    pub project_id: Value<String>,
    pub db_type: Value<String>,
    pub version: Value<String>,
    pub plan_id: Value<String>,
    pub region: Value<String>,
    pub storage_gb: Value<i64>,
    pub replicas: Value<i64>,
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
}

impl UncloudDatabaseData {
    fn from_state(state: UncloudDatabaseModel) -> Self {
        UncloudDatabaseData {
            id: state.id,
            name: state.name,
            project_id: state.project_id,
            db_type: state.db_type,
            version: state.version,
            plan_id: state.plan_id,
            region: state.region,
            storage_gb: state.storage_gb,
            replicas: state.replicas,
            slug: state.slug,
            status: state.status,
            created_at: state.created_at,
            host: state.host,
            port: state.port,
            username: state.username,
            database: state.database,
            ssl_mode: state.ssl_mode,
            password: state.password,
            connection_string: state.connection_string,
        }
    }
}

pub fn uncloud_database_data_schema() -> Schema {
    use AttributeType::{Number, String as Str};
    Schema {
        version: 0,
        block: Block {
            version: 0,
            description: Description::markdown(
                "An existing database of the self-hosted Uncloud platform, by `id` or by `name` \
                 (exactly one), with its connection details once it is `running`. Needs the \
                 provider's `uncloud_endpoint` and `uncloud_token`.",
            ),
            attributes: map! {
                "id" => optional_computed(Str, "The database's ID (`db_…`). Set this or `name`."),
                "name" => optional_computed(Str, "The database's name. Set this or `id`."),
                "project_id" => optional_computed(Str,
                    "The project to look the `name` up in; default `proj_default`."),
                "db_type" => computed(Str, "The engine: `postgresql`, `mysql`, `redis` or `mongodb`."),
                "version" => computed(Str, "The engine version."),
                "plan_id" => computed(Str, "The plan slug."),
                "region" => computed(Str, "The region slug."),
                "storage_gb" => computed(Number, "Disk size in GB."),
                "replicas" => computed(Number, "How many instances run the database."),
                "slug" => computed(Str, "The platform's slug for the database."),
                "status" => computed(Str, "The platform's status (`provisioning`, `running`, `stopped`, `error`)."),
                "created_at" => computed(Str, "When the database was created (RFC 3339)."),
                "host" => computed(Str, "The host to connect to (null until `running`)."),
                "port" => computed(Number, "The port to connect to (null until `running`)."),
                "username" => computed(Str, "The user to connect as; null for Redis."),
                "database" => computed(Str, "The database to connect to; null for Redis."),
                "ssl_mode" => computed(Str, "The TLS mode the platform asks clients for."),
                "password" => sensitive(computed(Str, "The password (null until `running`).")),
                "connection_string" => sensitive(computed(Str,
                    "A connection URI with the password (null until `running`).")),
            },
            ..Default::default()
        },
    }
}

/// The `dbaas_uncloud_database` data source.
#[derive(Debug, Clone, Default)]
pub struct UncloudDatabaseDataSource;

#[async_trait]
impl DataSource for UncloudDatabaseDataSource {
    type Model = UncloudDatabaseData;
    const TYPE_NAME: &'static str = "dbaas_uncloud_database";
    const SECRETS: &'static [&'static str] = &["password", "connection_string"];

    fn schema(&self) -> Schema {
        uncloud_database_data_schema()
    }

    async fn validate(&self, diags: &mut Diagnostics, config: &UncloudDatabaseData) {
        match (&config.id, &config.name) {
            (Value::Null, Value::Null) => diags.err(
                "Missing id or name",
                "Set `id` (the database's `db_…` ID) or `name` to say which database to read.",
                at("id"),
            ),
            (Value::Value(_), Value::Value(_)) => diags.err(
                "Conflicting id and name",
                "Set either `id` or `name`, not both.",
                at("name"),
            ),
            _ => {}
        }
        if let Value::Value(name) = &config.name {
            if !is_database_name(name) {
                diags.err(
                    "Invalid name",
                    format!("`name` {name:?} cannot name an Uncloud database: names are 1 to 63 letters, digits, '-' or '_'."),
                    at("name"),
                );
            }
        }
    }

    async fn read(
        &self,
        ctx: &RequestContext,
        diags: &mut Diagnostics,
        config: UncloudDatabaseData,
    ) -> Option<UncloudDatabaseData> {
        let uncloud = ctx.uncloud(diags)?;
        let client = &uncloud.client;
        let found: Option<Database> = match (text(&config.id), text(&config.name)) {
            (Some(id), _) => match client.get_database(id).await.found() {
                Ok(found) => found.filter(|db| db.status != status::DESTROYED),
                Err(error) => {
                    diags.api_err(format!("Could not read Uncloud database {id}"), &error);
                    return None;
                }
            },
            (None, Some(name)) => match client.find_by_name(name, text(&config.project_id)).await {
                Ok(found) => found,
                Err(error) => {
                    diags.api_err("Could not list the Uncloud databases", &error);
                    return None;
                }
            },
            _ => return None,
        };
        let Some(database) = found else {
            let what = match (text(&config.id), text(&config.name)) {
                (Some(id), _) => format!("no database {id}"),
                (None, Some(name)) => format!(
                    "no database named {name:?} in project {}",
                    text(&config.project_id).unwrap_or("proj_default")
                ),
                _ => "no such database".to_string(),
            };
            diags.root_err(
                "Uncloud database not found",
                format!("The platform has {what} that this token can see."),
            );
            return None;
        };
        let mut state = state_from_api(&database, &UncloudDatabaseModel::default());
        if database.status == status::RUNNING {
            match client.credentials(&database.id).await {
                Ok(credentials) => state = with_credentials(state, &credentials),
                Err(error) => {
                    diags.api_err(
                        format!(
                            "Could not read the credentials of Uncloud database {}",
                            database.id
                        ),
                        &error,
                    );
                    return None;
                }
            }
        }
        Some(UncloudDatabaseData::from_state(state))
    }
}
