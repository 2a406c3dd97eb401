//! `dbaas_database_credentials` ephemeral resource (Terraform ≥ 1.10): how to connect to a
//! cluster as its admin user, as another database user, or through a connection pool. The
//! values exist only while Terraform runs: they are never in a plan or a state file, so a
//! configuration can hand a password to a provisioner or another provider without storing it.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::api::models::cluster::{Cluster, Connection};
use crate::api::ApiError;
use crate::framework::context::RequestContext;
use crate::framework::diag::DiagExt;
use crate::framework::ephemeral::{EphemeralResource, Opened};
use crate::framework::validate;
use crate::map;
use crate::plugin::schema::{AttributeType, Block, Description, Schema};
use crate::plugin::value::Value;
use crate::plugin::{AttributePath, Diagnostics};
use crate::resources::schema_util::{computed, optional, optional_computed, required, sensitive};

/// The configuration and the result, field for field as in the schema. `Debug` redacts
/// `password`, `uri` and `access_key`.
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CredentialsModel {
    pub cluster_id: Value<String>,
    pub user: Value<String>,
    pub pool: Value<String>,
    pub private: Value<bool>,
    pub host: Value<String>,
    pub port: Value<i64>,
    pub password: Value<String>,
    pub database: Value<String>,
    pub uri: Value<String>,
    pub ssl: Value<bool>,
    pub access_cert: Value<String>,
    pub access_key: Value<String>,
}

impl std::fmt::Debug for CredentialsModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let redacted = |value: &Value<String>| match value {
            Value::Value(_) => "<redacted>",
            Value::Null => "null",
            Value::Unknown => "unknown",
        };
        f.debug_struct("CredentialsModel")
            .field("cluster_id", &self.cluster_id)
            .field("user", &self.user)
            .field("pool", &self.pool)
            .field("private", &self.private)
            .field("host", &self.host)
            .field("port", &self.port)
            .field("password", &redacted(&self.password))
            .field("database", &self.database)
            .field("uri", &redacted(&self.uri))
            .field("ssl", &self.ssl)
            .field("access_cert", &self.access_cert)
            .field("access_key", &redacted(&self.access_key))
            .finish()
    }
}

pub fn credentials_schema() -> Schema {
    use AttributeType::{Bool, Number, String as Str};
    Schema {
        version: 0,
        block: Block {
            version: 0,
            attributes: map! {
                "cluster_id" => required(Str, "The UUID of the database cluster."),
                "user" => optional_computed(Str,
                    "The database user to connect as. Defaults to the cluster's admin user (the \
                     user of its default connection), or the pool's user when `pool` is set. \
                     Cannot name another user than the pool's when `pool` is set."),
                "pool" => optional(Str,
                    "The name of a connection pool (PostgreSQL) to connect through instead of \
                     the cluster itself."),
                "private" => optional(Bool,
                    "Whether to return the connection inside the cluster's VPC (its private \
                     host) instead of the public one. Default `false`."),
                "host" => computed(Str, "The hostname to connect to."),
                "port" => computed(Number, "The port to connect to."),
                "password" => sensitive(computed(Str,
                    "The user's password (null for a Kafka user the API gives only a client \
                     certificate).")),
                "database" => computed(Str,
                    "The database to connect to (the pool's database when `pool` is set)."),
                "uri" => sensitive(computed(Str,
                    "The connection URI with the user and password in it.")),
                "ssl" => computed(Bool, "Whether the connection requires TLS."),
                "access_cert" => sensitive(computed(Str,
                    "Kafka only, with `user` set: the user's client certificate (PEM) for \
                     mutual TLS. Null otherwise.")),
                "access_key" => sensitive(computed(Str,
                    "Kafka only, with `user` set: the private key (PEM) of the user's client \
                     certificate. Null otherwise.")),
            },
            description: Description::markdown(
                "Connection details of a database cluster (as its admin user, as another user, \
                 or through a connection pool) that exist only while Terraform runs: they are \
                 never written to a plan or a state file. Use them in provisioners, in other \
                 providers' configuration or in write-only attributes. Needs Terraform 1.10 or \
                 later.",
            ),
            ..Default::default()
        },
    }
}

/// The `dbaas_database_credentials` ephemeral resource.
#[derive(Debug, Clone, Default)]
pub struct DatabaseCredentialsEphemeral;

fn at(name: &'static str) -> AttributePath {
    AttributePath::new(name)
}

fn known(value: &Value<String>) -> Option<&str> {
    value
        .as_ref_option()
        .map(String::as_str)
        .filter(|v| !v.is_empty())
}

fn not_found(diags: &mut Diagnostics, attribute: &'static str, detail: String) {
    diags.err("Not found", detail, at(attribute));
}

fn api_failure(diags: &mut Diagnostics, what: String, error: &ApiError) {
    diags.api_err(what, error);
}

/// The connection the cluster offers (private or public), or why there is none yet.
fn cluster_connection(
    diags: &mut Diagnostics,
    cluster: &Cluster,
    private: bool,
) -> Option<Connection> {
    let connection = if private {
        cluster.private_connection.clone()
    } else {
        cluster.connection.clone()
    };
    match connection.filter(|c| c.host.is_some()) {
        Some(connection) => Some(connection),
        None => {
            diags.err(
                "No connection details yet",
                format!(
                    "Cluster {} ({}) reports no {} connection (status {}). Connection details \
                     appear once the cluster is online.",
                    cluster.id,
                    cluster.name,
                    if private { "private" } else { "public" },
                    cluster.status.as_deref().unwrap_or("unknown"),
                ),
                at("cluster_id"),
            );
            None
        }
    }
}

/// `uri` with its user and password replaced; `None` when it is not a URI with a host.
fn with_credentials(uri: &str, user: &str, password: &str) -> Option<String> {
    let mut parsed = url::Url::parse(uri).ok()?;
    parsed.host_str()?;
    parsed.set_username(user).ok()?;
    parsed.set_password(Some(password)).ok()?;
    Some(parsed.to_string())
}

/// What a user authenticates with: a password, and for Kafka users a client certificate.
#[derive(Default)]
struct Secrets {
    password: Option<String>,
    access_cert: Option<String>,
    access_key: Option<String>,
}

impl Secrets {
    fn password(password: String) -> Secrets {
        Secrets {
            password: Some(password),
            ..Secrets::default()
        }
    }
}

fn result(
    config: &CredentialsModel,
    connection: Connection,
    user: String,
    secrets: Secrets,
) -> CredentialsModel {
    let uri = secrets.password.as_deref().and_then(|password| {
        connection
            .uri
            .as_deref()
            .and_then(|uri| with_credentials(uri, &user, password))
    });
    let value = |text: Option<String>| text.map_or(Value::Null, Value::Value);
    CredentialsModel {
        cluster_id: config.cluster_id.clone(),
        user: Value::Value(user),
        pool: config.pool.clone(),
        private: config.private,
        host: connection.host.map_or(Value::Null, Value::Value),
        port: connection.port.map_or(Value::Null, Value::Value),
        password: value(secrets.password),
        database: connection.database.map_or(Value::Null, Value::Value),
        uri: value(uri),
        ssl: connection.ssl.map_or(Value::Null, Value::Value),
        access_cert: value(secrets.access_cert),
        access_key: value(secrets.access_key),
    }
}

#[async_trait]
impl EphemeralResource for DatabaseCredentialsEphemeral {
    type Model = CredentialsModel;
    const TYPE_NAME: &'static str = "dbaas_database_credentials";

    fn schema(&self) -> Schema {
        credentials_schema()
    }

    async fn validate(&self, diags: &mut Diagnostics, config: &CredentialsModel) {
        validate::uuid(diags, at("cluster_id"), &config.cluster_id);
        for (name, value) in [("user", &config.user), ("pool", &config.pool)] {
            if let Value::Value(text) = value {
                if text.trim().is_empty() {
                    diags.err(
                        "Empty name",
                        format!("`{name}` must not be empty; leave it out for the default."),
                        at(name),
                    );
                }
            }
        }
    }

    async fn open(
        &self,
        ctx: &RequestContext,
        diags: &mut Diagnostics,
        config: CredentialsModel,
    ) -> Option<Opened<CredentialsModel>> {
        let cluster_id = known(&config.cluster_id)?.to_string();
        let private = matches!(config.private, Value::Value(true));
        let api = ctx.api(diags)?;

        if let Some(pool_name) = known(&config.pool) {
            let pool = match api.client.pools(&cluster_id).get(pool_name).await {
                Ok(pool) => pool,
                Err(error) if error.is_not_found() => {
                    not_found(
                        diags,
                        "pool",
                        format!(
                            "Cluster {cluster_id} has no connection pool named {pool_name:?} (or \
                             the cluster does not exist for this token)."
                        ),
                    );
                    return None;
                }
                Err(error) => {
                    api_failure(
                        diags,
                        format!("Could not read connection pool {pool_name:?}"),
                        &error,
                    );
                    return None;
                }
            };
            let connection = if private {
                pool.private_connection
            } else {
                pool.connection
            };
            let Some(connection) = connection.filter(|c| c.host.is_some()) else {
                diags.err(
                    "No connection details",
                    format!("Connection pool {pool_name:?} reports no connection details."),
                    at("pool"),
                );
                return None;
            };
            let user = connection.user.clone().unwrap_or_default();
            if let Some(wanted) = known(&config.user) {
                if wanted != user {
                    diags.err(
                        "Not the pool's user",
                        format!(
                            "Connection pool {pool_name:?} connects as {user:?}, not {wanted:?}. \
                             Leave `user` out, or set it to the pool's user."
                        ),
                        at("user"),
                    );
                    return None;
                }
            }
            let password = connection.password.clone().unwrap_or_default();
            return Some(Opened {
                result: result(&config, connection, user, Secrets::password(password)),
                private: None,
                renew_at: None,
            });
        }

        let cluster = match api.client.clusters().get(&cluster_id).await {
            Ok(cluster) => cluster,
            Err(error) if error.is_not_found() => {
                not_found(
                    diags,
                    "cluster_id",
                    format!(
                        "`cluster_id` {cluster_id} names no database cluster this token can see."
                    ),
                );
                return None;
            }
            Err(error) => {
                api_failure(
                    diags,
                    format!("Could not read cluster {cluster_id}"),
                    &error,
                );
                return None;
            }
        };
        let connection = cluster_connection(diags, &cluster, private)?;
        let admin = connection.user.clone().unwrap_or_default();
        let (user, secrets) = match known(&config.user) {
            None => (
                admin,
                Secrets::password(connection.password.clone().unwrap_or_default()),
            ),
            Some(name) if name == admin && connection.password.is_some() => (
                admin,
                Secrets::password(connection.password.clone().unwrap_or_default()),
            ),
            Some(name) => match api.client.users(&cluster_id).get(name).await {
                Ok(found) => match (found.password, found.access_cert, found.access_key) {
                    (None, _, None) => {
                        diags.err(
                            "No password",
                            format!(
                                "The API returns no password for user {name:?} of cluster \
                                 {cluster_id} (users of some engines authenticate otherwise)."
                            ),
                            at("user"),
                        );
                        return None;
                    }
                    (password, access_cert, access_key) => (
                        found.name,
                        Secrets {
                            password,
                            access_cert,
                            access_key,
                        },
                    ),
                },
                Err(error) if error.is_not_found() => {
                    not_found(
                        diags,
                        "user",
                        format!("Cluster {cluster_id} has no database user named {name:?}."),
                    );
                    return None;
                }
                Err(error) => {
                    api_failure(diags, format!("Could not read user {name:?}"), &error);
                    return None;
                }
            },
        };
        Some(Opened {
            result: result(&config, connection, user, secrets),
            private: None,
            renew_at: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_keeps_the_secrets_out() {
        let model = CredentialsModel {
            password: Value::Value("s3cret-pass".into()),
            uri: Value::Value("postgres://u:s3cret-pass@h/db".into()),
            access_key: Value::Value("s3cret-pass-key".into()),
            ..Default::default()
        };
        let shown = format!("{model:?}");
        assert!(!shown.contains("s3cret-pass"), "{shown}");
        assert!(shown.contains("<redacted>"));
    }

    #[test]
    fn uris_get_the_chosen_credentials_percent_encoded() {
        assert_eq!(
            with_credentials(
                "postgresql://doadmin:old@db.example:25060/defaultdb?sslmode=require",
                "app",
                "p@ss/w:rd"
            )
            .as_deref(),
            Some("postgresql://app:p%40ss%2Fw%3Ard@db.example:25060/defaultdb?sslmode=require")
        );
        assert_eq!(with_credentials("not a uri", "a", "b"), None);
    }

    #[test]
    fn the_model_matches_the_schema_and_secrets_are_sensitive() {
        let schema = credentials_schema();
        let (attributes, fields) =
            crate::resources::schema_util::attribute_and_field_names::<CredentialsModel>(&schema);
        assert_eq!(attributes, fields);
        for name in ["password", "uri", "access_cert", "access_key"] {
            assert!(schema.block.attributes[name].sensitive, "{name}");
        }
    }
}
