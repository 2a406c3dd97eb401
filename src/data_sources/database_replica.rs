//! `dbaas_database_replica` data source: an existing read-only replica, by cluster and name.
//!
//! The attributes are DigitalOcean's (`digitalocean_database_replica` data source), read
//! exactly as the resource reads them (the same [`state_from_api`]), so a replica managed
//! elsewhere looks the same here as in its own state. Deviations: `storage_size_mib` is a
//! number, `size` is there too, `tags` is read-only (DigitalOcean's is optional, though a data
//! source cannot set tags), and a replica that does not exist is an error naming `name`
//! (DigitalOcean's returns an object with nothing in it).

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

use crate::api::Found;
use crate::framework::context::RequestContext;
use crate::framework::data_source::DataSource;
use crate::framework::diag::DiagExt;
use crate::framework::validate;
use crate::map;
use crate::plugin::schema::{AttributeConstraint, AttributeType, Block, Description, Schema};
use crate::plugin::value::Value;
use crate::plugin::{AttributePath, Diagnostics};
use crate::resources::database_cluster::is_cluster_name;
use crate::resources::database_replica::{
    replica_schema, state_from_api, ReplicaModel, REPLICA_SECRETS,
};
use crate::resources::schema_util::required;

/// The data source's configuration and result, field for field as in the schema.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ReplicaDataModel {
    pub id: Value<String>,
    pub cluster_id: Value<String>,
    pub name: Value<String>,
    pub uuid: Value<String>,
    pub region: Value<String>,
    pub size: Value<String>,
    pub storage_size_mib: Value<i64>,
    pub private_network_uuid: Value<String>,
    pub tags: Value<BTreeSet<Value<String>>>,
    pub host: Value<String>,
    pub port: Value<i64>,
    pub database: Value<String>,
    pub user: Value<String>,
    pub password: Value<String>,
    pub uri: Value<String>,
    pub private_host: Value<String>,
    pub private_uri: Value<String>,
}

impl From<ReplicaModel> for ReplicaDataModel {
    fn from(state: ReplicaModel) -> Self {
        // A data source result must be wholly known; anything the read did not learn is null.
        fn known<T>(value: Value<T>) -> Value<T> {
            match value {
                Value::Unknown => Value::Null,
                other => other,
            }
        }
        ReplicaDataModel {
            id: known(state.id),
            cluster_id: known(state.cluster_id),
            name: known(state.name),
            uuid: known(state.uuid),
            region: known(state.region),
            size: known(state.size),
            storage_size_mib: known(state.storage_size_mib),
            private_network_uuid: known(state.private_network_uuid),
            tags: known(state.tags),
            host: known(state.host),
            port: known(state.port),
            database: known(state.database),
            user: known(state.user),
            password: known(state.password),
            uri: known(state.uri),
            private_host: known(state.private_host),
            private_uri: known(state.private_uri),
        }
    }
}

pub fn replica_data_schema() -> Schema {
    let resource = replica_schema();
    let mut attributes = resource.block.attributes;
    for attribute in attributes.values_mut() {
        attribute.constraint = AttributeConstraint::Computed;
    }
    for (name, description) in [
        ("region", "The replica's region slug."),
        ("size", "The size slug of the replica's node."),
        ("storage_size_mib", "The replica's disk size in MiB."),
        (
            "private_network_uuid",
            "The UUID of the VPC the replica is in.",
        ),
        ("tags", "The replica's tags."),
    ] {
        if let Some(attribute) = attributes.get_mut(name) {
            attribute.description = Description::markdown(description);
        }
    }
    attributes.insert(
        "cluster_id".into(),
        required(
            AttributeType::String,
            "The UUID of the primary (the PostgreSQL or MySQL cluster) of the replica.",
        ),
    );
    attributes.insert(
        "name".into(),
        required(AttributeType::String, "The name of the replica to read."),
    );
    Schema {
        version: 0,
        block: Block {
            version: 0,
            attributes,
            blocks: map! {},
            description: Description::markdown(
                "An existing read-only replica of a PostgreSQL or MySQL cluster: its region, \
                 size, storage, network, tags and connection details (URIs and password marked \
                 sensitive).",
            ),
            ..Default::default()
        },
    }
}

/// The `dbaas_database_replica` data source.
#[derive(Debug, Clone, Default)]
pub struct DatabaseReplicaDataSource;

#[async_trait]
impl DataSource for DatabaseReplicaDataSource {
    type Model = ReplicaDataModel;
    const TYPE_NAME: &'static str = "dbaas_database_replica";
    const SECRETS: &'static [&'static str] = &REPLICA_SECRETS;

    fn schema(&self) -> Schema {
        replica_data_schema()
    }

    async fn validate(&self, diags: &mut Diagnostics, config: &ReplicaDataModel) {
        validate::uuid(diags, AttributePath::new("cluster_id"), &config.cluster_id);
        validate::matches(
            diags,
            AttributePath::new("name"),
            &config.name,
            is_cluster_name,
            "3 to 63 lowercase letters, digits and hyphens, starting with a letter and not \
             ending with a hyphen (the API's rule for replica names)",
        );
    }

    async fn read(
        &self,
        ctx: &RequestContext,
        diags: &mut Diagnostics,
        config: ReplicaDataModel,
    ) -> Option<ReplicaDataModel> {
        let cluster_id = config.cluster_id.as_ref_option()?.to_ascii_lowercase();
        let name = config.name.as_ref_option()?.clone();
        let api = ctx.api(diags)?;
        match api.client.replicas(&cluster_id).get(&name).await.found() {
            Ok(Some(replica)) => {
                let reference = ReplicaModel {
                    cluster_id: config.cluster_id.clone(),
                    ..ReplicaModel::default()
                };
                Some(state_from_api(&cluster_id, &replica, &reference).into())
            }
            Ok(None) => {
                diags.err(
                    "Read-only replica not found",
                    format!(
                        "Cluster {cluster_id} has no read-only replica named {name:?} (or the \
                         cluster does not exist for this token)."
                    ),
                    AttributePath::new("name"),
                );
                None
            }
            Err(error) => {
                diags.api_err(
                    format!("Could not read replica {name:?} of cluster {cluster_id}"),
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
    use crate::api::models::Connection;
    use crate::api::replicas::Replica;

    #[test]
    fn the_schema_is_the_resources_read_only_and_matches_the_model() {
        let schema = replica_data_schema();
        let (attributes, fields) =
            crate::resources::schema_util::attribute_and_field_names::<ReplicaDataModel>(&schema);
        assert_eq!(attributes, fields);
        let resource = replica_schema();
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
        for secret in REPLICA_SECRETS {
            assert!(schema.block.attributes[secret].sensitive, "{secret}");
        }
        assert!(schema.block.blocks.is_empty());
    }

    #[test]
    fn the_replica_reads_as_the_resource_reads_it() {
        let replica = Replica {
            id: "5d3b1c5a-8d4a-4a41-9c55-3b6a1f3d2e10".into(),
            name: "read-1".into(),
            size: Some("db-s-1vcpu-2gb".into()),
            storage_size_mib: Some(30720),
            connection: Some(Connection {
                uri: Some("postgresql://doadmin@h:25060/defaultdb".into()),
                host: Some("h".into()),
                port: Some(25060),
                password: Some("pw".into()),
                ..Connection::default()
            }),
            ..Replica::default()
        };
        let cluster = "9cc10173-e9ea-4176-9dbc-a4cee4c4ff30";
        let model: ReplicaDataModel =
            state_from_api(cluster, &replica, &ReplicaModel::default()).into();
        assert_eq!(model.id, Value::Value(format!("{cluster},read-1")));
        assert_eq!(
            model.uri,
            Value::Value("postgresql://doadmin:pw@h:25060/defaultdb".into())
        );
        assert_eq!(model.storage_size_mib, Value::Value(30720));
        assert_eq!(model.private_uri, Value::Null);
        assert_eq!(model.tags, Value::Null);
    }
}
