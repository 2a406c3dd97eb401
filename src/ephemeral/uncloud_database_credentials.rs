//! `dbaas_uncloud_database_credentials` ephemeral resource (Terraform ≥ 1.10): how to connect
//! to an Uncloud database, never in a plan or a state file.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::framework::attr as at;
use crate::framework::context::RequestContext;
use crate::framework::diag::DiagExt;
use crate::framework::ephemeral::{EphemeralResource, Opened};
use crate::framework::values::{known, text};
use crate::map;
use crate::plugin::schema::{AttributeType, Block, Description, Schema};
use crate::plugin::value::Value;
use crate::plugin::Diagnostics;
use crate::resources::schema_util::{computed, required, sensitive};
use crate::uncloud::models::{status, Credentials};

/// The configuration and the result. `Debug` redacts the secrets.
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct UncloudCredentialsModel {
    pub database_id: Value<String>,
    pub host: Value<String>,
    pub port: Value<i64>,
    pub username: Value<String>,
    pub password: Value<String>,
    pub database: Value<String>,
    pub ssl_mode: Value<String>,
    pub connection_string: Value<String>,
}

impl std::fmt::Debug for UncloudCredentialsModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UncloudCredentialsModel")
            .field("database_id", &self.database_id)
            .field("host", &self.host)
            .field("port", &self.port)
            .field("username", &self.username)
            .field("database", &self.database)
            .field("ssl_mode", &self.ssl_mode)
            .finish_non_exhaustive()
    }
}

pub fn uncloud_credentials_schema() -> Schema {
    use AttributeType::{Number, String as Str};
    Schema {
        version: 0,
        block: Block {
            version: 0,
            description: Description::markdown(
                "How to connect to a database of the Uncloud platform, for Terraform ≥ 1.10: the \
                 values exist only while Terraform runs and are never written to a plan or state, \
                 so a password can reach a provisioner or another provider without being stored. \
                 The database must be `running`.",
            ),
            attributes: map! {
                "database_id" => required(Str, "The database's ID (`db_…`), e.g. `dbaas_uncloud_database.x.id`."),
                "host" => computed(Str, "The host to connect to."),
                "port" => computed(Number, "The port to connect to."),
                "username" => computed(Str, "The user to connect as; null for Redis, which has none."),
                "password" => sensitive(computed(Str, "The password.")),
                "database" => computed(Str, "The database to connect to; null for Redis."),
                "ssl_mode" => computed(Str, "The TLS mode the platform asks clients for."),
                "connection_string" => sensitive(computed(Str, "A connection URI with the password.")),
            },
            ..Default::default()
        },
    }
}

fn result(config: &UncloudCredentialsModel, credentials: Credentials) -> UncloudCredentialsModel {
    let present = |value: Option<String>| known(value.filter(|v| !v.is_empty()));
    UncloudCredentialsModel {
        database_id: config.database_id.clone(),
        host: Value::Value(credentials.host),
        port: known(credentials.port),
        username: present(credentials.username),
        password: present(credentials.password),
        database: present(credentials.database),
        ssl_mode: present(credentials.ssl_mode),
        connection_string: present(credentials.connection_string),
    }
}

/// The `dbaas_uncloud_database_credentials` ephemeral resource.
#[derive(Debug, Clone, Default)]
pub struct UncloudDatabaseCredentialsEphemeral;

#[async_trait]
impl EphemeralResource for UncloudDatabaseCredentialsEphemeral {
    type Model = UncloudCredentialsModel;
    const TYPE_NAME: &'static str = "dbaas_uncloud_database_credentials";

    fn schema(&self) -> Schema {
        uncloud_credentials_schema()
    }

    async fn validate(&self, diags: &mut Diagnostics, config: &UncloudCredentialsModel) {
        if let Value::Value(id) = &config.database_id {
            if !id.starts_with("db_") {
                diags.err(
                    "Invalid database_id",
                    format!("`database_id` must be an Uncloud database ID (`db_…`); got {id:?}."),
                    at("database_id"),
                );
            }
        }
    }

    async fn open(
        &self,
        ctx: &RequestContext,
        diags: &mut Diagnostics,
        config: UncloudCredentialsModel,
    ) -> Option<Opened<UncloudCredentialsModel>> {
        let id = text(&config.database_id)?.to_string();
        let uncloud = ctx.uncloud(diags)?;
        let database = match uncloud.client.get_database(&id).await {
            Ok(database) => database,
            Err(error) if error.is_not_found() => {
                diags.err(
                    "Uncloud database not found",
                    format!("The platform has no database {id} that this token can see."),
                    at("database_id"),
                );
                return None;
            }
            Err(error) => {
                diags.api_err(format!("Could not read Uncloud database {id}"), &error);
                return None;
            }
        };
        if database.status != status::RUNNING {
            diags.err(
                "Uncloud database not running",
                format!(
                    "Database {id} is `{}`; its credentials are available once it is `running`.",
                    database.status
                ),
                at("database_id"),
            );
            return None;
        }
        match uncloud.client.credentials(&id).await {
            Ok(credentials) => Some(Opened {
                result: result(&config, credentials),
                private: None,
                renew_at: None,
            }),
            Err(error) => {
                diags.api_err(
                    format!("Could not read the credentials of Uncloud database {id}"),
                    &error,
                );
                None
            }
        }
    }
}
