//! `dbaas_database_connection_pool` data source: an existing connection pool, by cluster and
//! name.
//!
//! The attributes are DigitalOcean's (`digitalocean_database_connection_pool` data source),
//! read exactly as the resource reads them (the same [`state_from_api`]), so a pool managed
//! elsewhere looks the same here as in its own state. One difference: a pool that uses the
//! inbound user has a null `user`, as in the resource, where DigitalOcean's has `""`.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::api::Found;
use crate::framework::context::RequestContext;
use crate::framework::data_source::DataSource;
use crate::framework::diag::DiagExt;
use crate::framework::validate;
use crate::map;
use crate::plugin::schema::{AttributeConstraint, AttributeType, Block, Description, Schema};
use crate::plugin::value::Value;
use crate::plugin::{AttributePath, Diagnostics};
use crate::resources::database_connection_pool::{
    is_pool_name, pool_schema, state_from_api, PoolModel,
};
use crate::resources::schema_util::required;

/// The pool's secrets, as in the resource.
const POOL_SECRETS: [&str; 3] = ["password", "uri", "private_uri"];

/// The data source's configuration and result, field for field as in the schema.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PoolDataModel {
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
}

impl From<PoolModel> for PoolDataModel {
    fn from(state: PoolModel) -> Self {
        // A data source result must be wholly known; anything the read did not learn is null.
        fn known<T>(value: Value<T>) -> Value<T> {
            match value {
                Value::Unknown => Value::Null,
                other => other,
            }
        }
        PoolDataModel {
            id: known(state.id),
            cluster_id: known(state.cluster_id),
            name: known(state.name),
            mode: known(state.mode),
            size: known(state.size),
            db_name: known(state.db_name),
            user: known(state.user),
            host: known(state.host),
            port: known(state.port),
            uri: known(state.uri),
            private_host: known(state.private_host),
            private_uri: known(state.private_uri),
            password: known(state.password),
        }
    }
}

pub fn pool_data_schema() -> Schema {
    let resource = pool_schema();
    let mut attributes = resource.block.attributes;
    for attribute in attributes.values_mut() {
        attribute.constraint = AttributeConstraint::Computed;
    }
    for (name, description) in [
        (
            "mode",
            "PgBouncer's pooling mode: `session`, `transaction` or `statement`.",
        ),
        ("size", "How many server connections the pool may open."),
        ("db_name", "The database the pool's server connections use."),
        (
            "user",
            "The database user the pool's server connections log in as; null when the pool \
             uses the inbound user (each client's own credentials).",
        ),
    ] {
        if let Some(attribute) = attributes.get_mut(name) {
            attribute.description = Description::markdown(description);
        }
    }
    attributes.insert(
        "cluster_id".into(),
        required(
            AttributeType::String,
            "The UUID of the PostgreSQL cluster that hosts the pool.",
        ),
    );
    attributes.insert(
        "name".into(),
        required(AttributeType::String, "The name of the pool to read."),
    );
    Schema {
        version: 0,
        block: Block {
            version: 0,
            attributes,
            blocks: map! {},
            description: Description::markdown(
                "An existing PgBouncer connection pool of a PostgreSQL cluster: its mode, size, \
                 database, user and connection details (URIs and password marked sensitive).",
            ),
            ..Default::default()
        },
    }
}

/// The `dbaas_database_connection_pool` data source.
#[derive(Debug, Clone, Default)]
pub struct DatabaseConnectionPoolDataSource;

#[async_trait]
impl DataSource for DatabaseConnectionPoolDataSource {
    type Model = PoolDataModel;
    const TYPE_NAME: &'static str = "dbaas_database_connection_pool";
    const SECRETS: &'static [&'static str] = &POOL_SECRETS;

    fn schema(&self) -> Schema {
        pool_data_schema()
    }

    async fn validate(&self, diags: &mut Diagnostics, config: &PoolDataModel) {
        validate::uuid(diags, AttributePath::new("cluster_id"), &config.cluster_id);
        validate::matches(
            diags,
            AttributePath::new("name"),
            &config.name,
            is_pool_name,
            "3 to 60 letters, digits, '-' or '_' (the API's rule for pool names)",
        );
    }

    async fn read(
        &self,
        ctx: &RequestContext,
        diags: &mut Diagnostics,
        config: PoolDataModel,
    ) -> Option<PoolDataModel> {
        let cluster_id = config.cluster_id.as_ref_option()?.to_ascii_lowercase();
        let name = config.name.as_ref_option()?.clone();
        let api = ctx.api(diags)?;
        match api.client.pools(&cluster_id).get(&name).await.found() {
            Ok(Some(pool)) => {
                let reference = PoolModel {
                    cluster_id: config.cluster_id.clone(),
                    ..PoolModel::default()
                };
                Some(state_from_api(&cluster_id, &pool, &reference).into())
            }
            Ok(None) => {
                diags.err(
                    "Connection pool not found",
                    format!(
                        "Cluster {cluster_id} has no connection pool named {name:?} (or the \
                         cluster does not exist for this token)."
                    ),
                    AttributePath::new("name"),
                );
                None
            }
            Err(error) => {
                diags.api_err(
                    format!("Could not read connection pool {name:?} of cluster {cluster_id}"),
                    &error,
                );
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::models::{Connection, Pool};

    #[test]
    fn the_schema_is_the_resources_read_only_and_matches_the_model() {
        let schema = pool_data_schema();
        let (attributes, fields) =
            crate::resources::schema_util::attribute_and_field_names::<PoolDataModel>(&schema);
        assert_eq!(attributes, fields);
        let resource = pool_schema();
        for (name, attribute) in &schema.block.attributes {
            assert_eq!(
                attribute.attr_type, resource.block.attributes[name].attr_type,
                "{name}"
            );
            let expected = if name == "cluster_id" || name == "name" {
                AttributeConstraint::Required
            } else {
                AttributeConstraint::Computed
            };
            assert_eq!(attribute.constraint, expected, "{name}");
        }
        for secret in POOL_SECRETS {
            assert!(schema.block.attributes[secret].sensitive, "{secret}");
        }
        assert!(schema.block.blocks.is_empty());
    }

    #[test]
    fn the_pool_reads_as_the_resource_reads_it() {
        let pool = Pool {
            name: "app".into(),
            mode: "session".into(),
            size: 5,
            db: "defaultdb".into(),
            user: Some("doadmin".into()),
            connection: Some(Connection {
                uri: Some("postgres://doadmin@h:25061/app".into()),
                host: Some("h".into()),
                port: Some(25061),
                password: Some("pw".into()),
                ..Connection::default()
            }),
            ..Pool::default()
        };
        let cluster = "9cc10173-e9ea-4176-9dbc-a4cee4c4ff30";
        let model: PoolDataModel = state_from_api(cluster, &pool, &PoolModel::default()).into();
        assert_eq!(model.id, Value::Value(format!("{cluster},app")));
        assert_eq!(
            model.uri,
            Value::Value("postgres://doadmin:pw@h:25061/app".into())
        );
        assert_eq!(model.private_uri, Value::Null);
        assert_eq!(model.user, Value::Value("doadmin".into()));
    }
}
