//! `dbaas_database_user` data source: an existing database user of a cluster, by name.
//!
//! The attributes are DigitalOcean's (`digitalocean_database_user` data source): the role, the
//! credentials (sensitive), the MySQL authentication plugin and `settings`, a list of one
//! object shaped like the resource's `settings` block, so `settings[0].acl[0].topic` reads the
//! same in both. Everything the API reports is read, with nothing left out as "not managed".

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::api::models::DatabaseUser;
use crate::api::Found;
use crate::framework::context::RequestContext;
use crate::framework::data_source::DataSource;
use crate::framework::diag::DiagExt;
use crate::framework::validate;
use crate::map;
use crate::plugin::schema::{AttributeType, Block, Description, Schema};
use crate::plugin::value::Value;
use crate::plugin::{AttributePath, Diagnostics};
use crate::resources::database_user::{
    is_child_name, settings_block, settings_from_api, state_from_api, user_schema, MongoBlock,
    SettingsBlock, UserModel,
};
use crate::resources::schema_util::{computed, required};

/// The data source's configuration and result, field for field as in the schema.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct UserDataModel {
    pub id: Value<String>,
    pub cluster_id: Value<String>,
    pub name: Value<String>,
    pub role: Value<String>,
    pub password: Value<String>,
    pub access_cert: Value<String>,
    pub access_key: Value<String>,
    pub mysql_auth_plugin: Value<String>,
    pub settings: Value<Vec<SettingsBlock>>,
}

/// Everything the API reports about the user, each setting included.
pub fn data_from_api(cluster_id: &str, user: &DatabaseUser) -> UserDataModel {
    let state = state_from_api(cluster_id, user, &UserModel::default());
    // As reference, a block that manages every setting: the API's settings are then read in
    // full, MongoDB's included.
    let everything = Value::Value(SettingsBlock {
        mongo_user_settings: Value::Value(MongoBlock {
            databases: Value::Value(Vec::new()),
            role: Value::Value(String::new()),
        }),
        ..SettingsBlock::default()
    });
    let settings = match &user.settings {
        Some(api) => {
            let mut read = settings_from_api(Some(api), &everything);
            if let Value::Value(block) = &mut read {
                if api.mongo_user_settings.is_none() {
                    block.mongo_user_settings = Value::Null;
                }
                if api.pg_allow_replication.is_none() {
                    block.pg_allow_replication = Value::Null;
                }
            }
            read.into_option().into_iter().collect()
        }
        None => Vec::new(),
    };
    UserDataModel {
        id: state.id,
        cluster_id: state.cluster_id,
        name: state.name,
        role: state.role,
        password: state.password,
        access_cert: state.access_cert,
        access_key: state.access_key,
        mysql_auth_plugin: state.mysql_auth_plugin,
        settings: Value::Value(settings),
    }
}

/// The type of the `settings` attribute: the resource's block as a list of objects.
fn settings_type() -> AttributeType {
    fn object(block: &Block) -> AttributeType {
        let mut fields: std::collections::BTreeMap<String, AttributeType> = block
            .attributes
            .iter()
            .map(|(name, attribute)| (name.clone(), attribute.attr_type.clone()))
            .collect();
        for (name, nested) in &block.blocks {
            fields.insert(
                name.clone(),
                AttributeType::List(Box::new(object(nested.block()))),
            );
        }
        AttributeType::Object(fields)
    }
    AttributeType::List(Box::new(object(&settings_block())))
}

pub fn user_data_schema() -> Schema {
    let resource = user_schema();
    let mut attributes = resource.block.attributes;
    for attribute in attributes.values_mut() {
        attribute.constraint = crate::plugin::schema::AttributeConstraint::Computed;
    }
    attributes.insert(
        "cluster_id".into(),
        required(
            AttributeType::String,
            "The UUID of the cluster the user belongs to.",
        ),
    );
    attributes.insert(
        "name".into(),
        required(AttributeType::String, "The name of the user to read."),
    );
    attributes.insert(
        "id".into(),
        computed(AttributeType::String, "`<cluster_id>,<name>`."),
    );
    attributes.insert(
        "mysql_auth_plugin".into(),
        computed(
            AttributeType::String,
            "MySQL only: how the user authenticates (`caching_sha2_password` or \
             `mysql_native_password`). Null for other engines.",
        ),
    );
    attributes.insert(
        "settings".into(),
        computed(
            settings_type(),
            "The user's engine-specific settings as the API reports them: a list of one object \
             (none when the API reports no settings) with `acl` (Kafka: `id`, `topic`, \
             `permission`), `opensearch_acl` (`index`, `permission`), `mongo_user_settings` \
             (a list of at most one object with `databases` and `role`) and \
             `pg_allow_replication`, shaped like the resource's `settings` block.",
        ),
    );
    Schema {
        version: 0,
        block: Block {
            version: 0,
            attributes,
            blocks: map! {},
            description: Description::markdown(
                "An existing database user of a cluster: its role, credentials (marked \
                 sensitive), MySQL authentication plugin and engine-specific settings.",
            ),
            ..Default::default()
        },
    }
}

/// The `dbaas_database_user` data source.
#[derive(Debug, Clone, Default)]
pub struct DatabaseUserDataSource;

#[async_trait]
impl DataSource for DatabaseUserDataSource {
    type Model = UserDataModel;
    const TYPE_NAME: &'static str = "dbaas_database_user";
    const SECRETS: &'static [&'static str] = &["password"];

    fn schema(&self) -> Schema {
        user_data_schema()
    }

    async fn validate(&self, diags: &mut Diagnostics, config: &UserDataModel) {
        validate::uuid(diags, AttributePath::new("cluster_id"), &config.cluster_id);
        validate::matches(
            diags,
            AttributePath::new("name"),
            &config.name,
            is_child_name,
            "1 to 63 characters without whitespace, '/' or ','",
        );
    }

    async fn read(
        &self,
        ctx: &RequestContext,
        diags: &mut Diagnostics,
        config: UserDataModel,
    ) -> Option<UserDataModel> {
        let cluster_id = config.cluster_id.as_ref_option()?.to_ascii_lowercase();
        let name = config.name.as_ref_option()?.clone();
        let api = ctx.api(diags)?;
        match api.client.users(&cluster_id).get(&name).await.found() {
            Ok(Some(user)) => {
                let mut model = data_from_api(&cluster_id, &user);
                model.cluster_id = config.cluster_id.clone();
                Some(model)
            }
            Ok(None) => {
                diags.err(
                    "Database user not found",
                    format!(
                        "Cluster {cluster_id} has no database user named {name:?} (or the \
                         cluster does not exist for this token)."
                    ),
                    AttributePath::new("name"),
                );
                None
            }
            Err(error) => {
                diags.api_err(
                    format!("Could not read database user {name:?} of cluster {cluster_id}"),
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
    use crate::api::models::{KafkaAcl, MongoUserSettings, MysqlSettings, UserSettings};
    use crate::plugin::schema::AttributeConstraint;

    const CLUSTER: &str = "9cc10173-e9ea-4176-9dbc-a4cee4c4ff30";

    #[test]
    fn everything_the_api_reports_is_read() {
        let user = DatabaseUser {
            name: "app".into(),
            role: Some("normal".into()),
            password: Some("pw".into()),
            mysql_settings: Some(MysqlSettings {
                auth_plugin: "mysql_native_password".into(),
            }),
            settings: Some(UserSettings {
                acl: Some(vec![KafkaAcl {
                    id: Some("a1".into()),
                    topic: "events".into(),
                    permission: "produce_consume".into(),
                }]),
                mongo_user_settings: Some(MongoUserSettings {
                    databases: Some(vec!["orders".into()]),
                    role: Some("readOnly".into()),
                }),
                ..UserSettings::default()
            }),
            ..DatabaseUser::default()
        };
        let model = data_from_api(CLUSTER, &user);
        assert_eq!(model.id, Value::Value(format!("{CLUSTER},app")));
        assert_eq!(model.password, Value::Value("pw".into()));
        assert_eq!(
            model.mysql_auth_plugin,
            Value::Value("mysql_native_password".into())
        );
        let settings = model.settings.as_ref_option().unwrap();
        assert_eq!(settings.len(), 1);
        let acl = settings[0].acl.as_ref_option().unwrap();
        assert_eq!(acl[0].id, Value::Value("a1".into()));
        assert_eq!(acl[0].permission, Value::Value("produceconsume".into()));
        let mongo = settings[0].mongo_user_settings.as_ref_option().unwrap();
        assert_eq!(mongo.role, Value::Value("readOnly".into()));
        assert_eq!(settings[0].pg_allow_replication, Value::Null);

        let bare = data_from_api(
            CLUSTER,
            &DatabaseUser {
                name: "app".into(),
                ..DatabaseUser::default()
            },
        );
        assert_eq!(bare.settings, Value::Value(Vec::new()));
        assert_eq!(bare.role, Value::Value("normal".into()));
        assert_eq!(bare.password, Value::Null);
    }

    #[test]
    fn the_schema_matches_the_model_and_reads_everything() {
        let schema = user_data_schema();
        let (attributes, fields) =
            crate::resources::schema_util::attribute_and_field_names::<UserDataModel>(&schema);
        assert_eq!(attributes, fields);
        for (name, attribute) in &schema.block.attributes {
            let expected = if name == "cluster_id" || name == "name" {
                AttributeConstraint::Required
            } else {
                AttributeConstraint::Computed
            };
            assert_eq!(attribute.constraint, expected, "{name}");
        }
        for secret in ["password", "access_key", "access_cert"] {
            assert!(schema.block.attributes[secret].sensitive, "{secret}");
        }
        // The value the read returns has exactly the schema's type.
        let value = crate::plugin::value::to_dynamic(&data_from_api(
            CLUSTER,
            &DatabaseUser {
                name: "app".into(),
                settings: Some(UserSettings::default()),
                ..DatabaseUser::default()
            },
        ))
        .unwrap();
        crate::plugin::msgpack::encode(&value, &schema.block.value_type()).unwrap();
    }
}
