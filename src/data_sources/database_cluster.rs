//! `dbaas_database_cluster` data source: an existing cluster, found by name.
//!
//! It exposes everything the resource does except the inputs that only matter when creating
//! (`backup_restore`, `timeouts`), read exactly as the resource reads them (the same
//! [`fetch`] and [`state_from_api`]), so a cluster managed elsewhere looks the same here as in
//! its own state.

use std::collections::{BTreeMap, BTreeSet};

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::api::models::Cluster;
use crate::framework::context::RequestContext;
use crate::framework::data_source::DataSource;
use crate::framework::diag::DiagExt;
use crate::framework::validate;
use crate::map;
use crate::plugin::schema::{
    Attribute, AttributeConstraint, AttributeType, Block, Description, Schema,
};
use crate::plugin::value::{self, Value};
use crate::plugin::{AttributePath, Diagnostics};
use crate::resources::database_cluster::{
    cluster_schema, fetch, state_from_api, ClusterModel, MaintenanceWindowValue,
    StorageAutoscaleBlock, CLUSTER_SECRETS,
};
use crate::resources::schema_util::{computed, required};

/// How many cluster names an error lists before it stops.
const LISTED_NAMES: usize = 20;

// ---------------------------------------------------------------------------------------------
// Model
// ---------------------------------------------------------------------------------------------

/// The data source's configuration and result, field for field as in the schema.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ClusterDataModel {
    pub id: Value<String>,
    pub urn: Value<String>,
    pub name: Value<String>,
    pub engine: Value<String>,
    pub version: Value<String>,
    pub size: Value<String>,
    pub region: Value<String>,
    pub node_count: Value<i64>,
    pub tags: Value<BTreeSet<Value<String>>>,
    pub private_network_uuid: Value<String>,
    pub project_id: Value<String>,
    /// A list of one, as in DigitalOcean's data source (where it is a block in the resource).
    #[serde(with = "value::serde_as_vec")]
    pub maintenance_window: Value<MaintenanceWindowValue>,
    pub eviction_policy: Value<String>,
    pub sql_mode: Value<String>,
    pub storage_size_mib: Value<i64>,
    pub storage_autoscale: Value<StorageAutoscaleBlock>,
    pub host: Value<String>,
    pub port: Value<i64>,
    pub uri: Value<String>,
    pub database: Value<String>,
    pub user: Value<String>,
    pub password: Value<String>,
    pub private_host: Value<String>,
    pub private_uri: Value<String>,
    pub ui_host: Value<String>,
    pub ui_port: Value<i64>,
    pub ui_uri: Value<String>,
    pub ui_database: Value<String>,
    pub ui_user: Value<String>,
    pub ui_password: Value<String>,
    pub metrics_endpoints: Value<Vec<Value<String>>>,
}

/// A data source result must be wholly known; anything the read could not learn is null.
fn known<T>(value: Value<T>) -> Value<T> {
    match value {
        Value::Unknown => Value::Null,
        other => other,
    }
}

impl From<ClusterModel> for ClusterDataModel {
    fn from(state: ClusterModel) -> Self {
        let storage_autoscale = known(state.storage_autoscale).map(|block| StorageAutoscaleBlock {
            enabled: known(block.enabled),
            threshold_percent: known(block.threshold_percent),
            increment_gib: known(block.increment_gib),
        });
        ClusterDataModel {
            id: known(state.id),
            urn: known(state.urn),
            name: known(state.name),
            engine: known(state.engine),
            version: known(state.version),
            size: known(state.size),
            region: known(state.region),
            node_count: known(state.node_count),
            // A cluster without tags has an empty set, which is easier to use than null.
            tags: match state.tags {
                Value::Value(tags) => Value::Value(tags),
                _ => Value::Value(BTreeSet::new()),
            },
            private_network_uuid: known(state.private_network_uuid),
            project_id: known(state.project_id),
            maintenance_window: known(state.maintenance_window),
            eviction_policy: known(state.eviction_policy),
            sql_mode: known(state.sql_mode),
            storage_size_mib: known(state.storage_size_mib),
            storage_autoscale,
            host: known(state.host),
            port: known(state.port),
            uri: known(state.uri),
            database: known(state.database),
            user: known(state.user),
            password: known(state.password),
            private_host: known(state.private_host),
            private_uri: known(state.private_uri),
            ui_host: known(state.ui_host),
            ui_port: known(state.ui_port),
            ui_uri: known(state.ui_uri),
            ui_database: known(state.ui_database),
            ui_user: known(state.ui_user),
            ui_password: known(state.ui_password),
            metrics_endpoints: known(state.metrics_endpoints),
        }
    }
}

/// Why a name does not identify exactly one cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LookupError {
    /// No cluster has the name; `similar` are names that differ only in case, `others` the
    /// rest (sorted).
    None {
        similar: Vec<String>,
        others: Vec<String>,
    },
    /// Several clusters have the name; their IDs, sorted.
    Several(Vec<String>),
}

/// The one cluster named exactly `name`.
pub fn find_by_name<'c>(clusters: &'c [Cluster], name: &str) -> Result<&'c Cluster, LookupError> {
    let matching: Vec<&Cluster> = clusters.iter().filter(|c| c.name == name).collect();
    match matching.as_slice() {
        [one] => Ok(one),
        [] => {
            let (similar, others): (Vec<String>, Vec<String>) = clusters
                .iter()
                .map(|c| c.name.clone())
                .collect::<BTreeSet<_>>()
                .into_iter()
                .partition(|candidate| candidate.eq_ignore_ascii_case(name));
            Err(LookupError::None { similar, others })
        }
        several => {
            let mut ids: Vec<String> = several.iter().map(|c| c.id.clone()).collect();
            ids.sort();
            Err(LookupError::Several(ids))
        }
    }
}

fn lookup_detail(name: &str, error: &LookupError) -> (&'static str, String) {
    match error {
        LookupError::None { similar, others } => {
            let mut detail =
                format!("No database cluster visible to this token is named {name:?}.");
            if !similar.is_empty() {
                detail.push_str(&format!(
                    " Names are case-sensitive; did you mean {}?",
                    similar
                        .iter()
                        .map(|n| format!("{n:?}"))
                        .collect::<Vec<_>>()
                        .join(" or ")
                ));
            } else if others.is_empty() {
                detail.push_str(" The account has no database clusters.");
            } else {
                let shown: Vec<String> = others
                    .iter()
                    .take(LISTED_NAMES)
                    .map(|n| format!("{n:?}"))
                    .collect();
                let more = others.len().saturating_sub(LISTED_NAMES);
                detail.push_str(&format!(" Existing clusters: {}", shown.join(", ")));
                if more > 0 {
                    detail.push_str(&format!(" and {more} more"));
                }
                detail.push('.');
            }
            ("Database cluster not found", detail)
        }
        LookupError::Several(ids) => (
            "Several database clusters have this name",
            format!(
                "{} database clusters are named {name:?} ({}); a name must identify exactly one. \
                 Rename all but one of them.",
                ids.len(),
                ids.join(", ")
            ),
        ),
    }
}

// ---------------------------------------------------------------------------------------------
// Schema
// ---------------------------------------------------------------------------------------------

/// Attributes whose resource description speaks of configuring them; here they are read.
fn read_descriptions() -> BTreeMap<&'static str, &'static str> {
    BTreeMap::from([
        ("id", "The cluster's UUID."),
        ("engine", "The database engine: `pg`, `mysql`, `redis`, `valkey`, `mongodb`, `kafka`, `opensearch`, `advanced_pg` or `advanced_mysql`."),
        ("version", "The engine's major version."),
        ("size", "The size slug of each node."),
        ("region", "The region slug."),
        ("node_count", "The number of nodes."),
        ("tags", "The cluster's tags (an empty set when it has none)."),
        ("private_network_uuid", "The UUID of the VPC the cluster is in."),
        ("project_id", "The UUID of the project the cluster belongs to."),
        ("eviction_policy", "Redis/Valkey only: what happens when memory is full. Null for other engines."),
        ("sql_mode", "MySQL only: the comma-separated SQL modes. Null for other engines."),
        ("storage_size_mib", "Disk size in MiB."),
    ])
}

/// Resource attributes that are Terraform-side settings, not properties of the cluster.
const RESOURCE_ONLY: [&str; 1] = ["deletion_protection"];

pub fn cluster_data_schema() -> Schema {
    let resource = cluster_schema();
    let rewritten = read_descriptions();
    let mut attributes: BTreeMap<String, Attribute> = resource
        .block
        .attributes
        .into_iter()
        .filter(|(name, _)| !RESOURCE_ONLY.contains(&name.as_str()))
        .map(|(name, mut attribute)| {
            attribute.constraint = AttributeConstraint::Computed;
            if let Some(description) = rewritten.get(name.as_str()) {
                attribute.description = Description::markdown(*description);
            }
            (name, attribute)
        })
        .collect();
    attributes.insert(
        "name".to_string(),
        required(
            AttributeType::String,
            "The name of the cluster to read. Exactly one cluster must have it (names are \
             case-sensitive); otherwise the read fails and lists the clusters that exist.",
        ),
    );
    attributes.insert(
        "maintenance_window".to_string(),
        computed(
            AttributeType::List(Box::new(AttributeType::Object(map! {
                "day" => AttributeType::String,
                "hour" => AttributeType::String,
            }))),
            "When the weekly maintenance happens, as a list of one (the shape of DigitalOcean's \
             data source): `day` (`monday`…`sunday`) and `hour` (UTC, `HH:MM`, with seconds \
             when they are not zero).",
        ),
    );
    attributes.insert(
        "storage_autoscale".to_string(),
        computed(
            AttributeType::Object(map! {
                "enabled" => AttributeType::Bool,
                "threshold_percent" => AttributeType::Number,
                "increment_gib" => AttributeType::Number,
            }),
            "Storage autoscaling: `enabled`, the disk usage `threshold_percent` at which storage \
             grows, and `increment_gib`, how much it grows each time. Null for engines without \
             storage autoscaling.",
        ),
    );
    Schema {
        version: 1,
        block: Block {
            version: 1,
            attributes,
            description: Description::markdown(
                "An existing database cluster, found by name: its engine, size, region, \
                 connection details (with the admin credentials, marked sensitive) and \
                 settings. Use it to connect to or attach things to a cluster that another \
                 configuration manages.",
            ),
            ..Default::default()
        },
    }
}

// ---------------------------------------------------------------------------------------------
// Data source
// ---------------------------------------------------------------------------------------------

/// The `dbaas_database_cluster` data source.
#[derive(Debug, Clone, Default)]
pub struct DatabaseClusterDataSource;

#[async_trait]
impl DataSource for DatabaseClusterDataSource {
    type Model = ClusterDataModel;
    const TYPE_NAME: &'static str = "dbaas_database_cluster";
    const SECRETS: &'static [&'static str] = &CLUSTER_SECRETS;

    fn schema(&self) -> Schema {
        cluster_data_schema()
    }

    async fn validate(&self, diags: &mut Diagnostics, config: &ClusterDataModel) {
        validate::not_blank(diags, AttributePath::new("name"), &config.name);
    }

    async fn read(
        &self,
        ctx: &RequestContext,
        diags: &mut Diagnostics,
        config: ClusterDataModel,
    ) -> Option<ClusterDataModel> {
        let name = config.name.as_ref_option()?.clone();
        let api = ctx.api(diags)?;
        let clusters = match api.client.clusters().list(None).await {
            Ok(clusters) => clusters,
            Err(error) => {
                diags.api_err("Could not list the database clusters", &error);
                return None;
            }
        };
        let id = match find_by_name(&clusters, &name) {
            Ok(cluster) => cluster.id.clone(),
            Err(error) => {
                let (summary, detail) = lookup_detail(&name, &error);
                diags.err(summary, detail, AttributePath::new("name"));
                return None;
            }
        };
        match fetch(&api.client, &id, true).await {
            // An unknown window in the reference asks for the API's; an import-like empty
            // reference would leave it out, as the resource does when it does not manage it.
            Ok(Some(view)) => {
                let reference = ClusterModel {
                    maintenance_window: Value::Unknown,
                    ..ClusterModel::default()
                };
                Some(state_from_api(&view, &reference).into())
            }
            Ok(None) => {
                diags.err(
                    "Database cluster not found",
                    format!(
                        "Database cluster {name:?} ({id}) was deleted while it was being read."
                    ),
                    AttributePath::new("name"),
                );
                None
            }
            Err(error) => {
                diags.api_err(
                    format!("Could not read database cluster {name:?} ({id})"),
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

    fn cluster(id: &str, name: &str) -> Cluster {
        Cluster {
            id: id.into(),
            name: name.into(),
            engine: "pg".into(),
            num_nodes: 1,
            size: "db-s-1vcpu-1gb".into(),
            region: "nyc1".into(),
            ..Cluster::default()
        }
    }

    #[test]
    fn exactly_one_cluster_must_have_the_name() {
        let clusters = vec![
            cluster("a", "orders"),
            cluster("b", "Billing"),
            cluster("c", "web"),
        ];
        assert_eq!(find_by_name(&clusters, "orders").unwrap().id, "a");

        let Err(LookupError::None { similar, others }) = find_by_name(&clusters, "billing") else {
            panic!("a name that differs in case must not match");
        };
        assert_eq!(similar, ["Billing"]);
        assert_eq!(others, ["orders", "web"]);
        let (_, detail) = lookup_detail("billing", &LookupError::None { similar, others });
        assert!(detail.contains("did you mean \"Billing\""), "{detail}");

        let twins = vec![cluster("z", "dup"), cluster("y", "dup")];
        assert_eq!(
            find_by_name(&twins, "dup").unwrap_err(),
            LookupError::Several(vec!["y".into(), "z".into()])
        );
        let (summary, detail) =
            lookup_detail("dup", &LookupError::Several(vec!["y".into(), "z".into()]));
        assert_eq!(summary, "Several database clusters have this name");
        assert!(detail.contains("y, z"));
    }

    #[test]
    fn not_found_lists_what_exists() {
        let (_, empty) = lookup_detail(
            "x",
            &LookupError::None {
                similar: vec![],
                others: vec![],
            },
        );
        assert!(empty.contains("no database clusters"));
        let many: Vec<String> = (0..25).map(|i| format!("c{i:02}")).collect();
        let (_, detail) = lookup_detail(
            "x",
            &LookupError::None {
                similar: vec![],
                others: many,
            },
        );
        assert!(detail.contains("\"c19\" and 5 more."), "{detail}");
        assert!(!detail.contains("c20"));
    }

    #[test]
    fn the_result_is_wholly_known() {
        let state = ClusterModel {
            id: Value::Value("a".into()),
            version: Value::Unknown,
            tags: Value::Null,
            storage_autoscale: Value::Value(StorageAutoscaleBlock {
                enabled: Value::Value(true),
                threshold_percent: Value::Unknown,
                increment_gib: Value::Value(10),
            }),
            ..ClusterModel::default()
        };
        let model = ClusterDataModel::from(state);
        assert_eq!(model.version, Value::Null);
        assert_eq!(model.tags, Value::Value(BTreeSet::new()));
        let autoscale = model.storage_autoscale.as_ref_option().unwrap();
        assert_eq!(autoscale.threshold_percent, Value::Null);
        assert_eq!(autoscale.increment_gib, Value::Value(10));
    }

    #[test]
    fn the_schema_covers_the_resource_and_the_model() {
        let schema = cluster_data_schema();
        let resource = cluster_schema();
        for (name, attribute) in &resource.block.attributes {
            if RESOURCE_ONLY.contains(&name.as_str()) {
                assert!(!schema.block.attributes.contains_key(name), "{name}");
                continue;
            }
            let ours = &schema.block.attributes[name];
            assert_eq!(ours.attr_type, attribute.attr_type, "{name}");
            assert_eq!(ours.sensitive, attribute.sensitive, "{name}");
        }
        for name in CLUSTER_SECRETS {
            assert!(
                schema.block.attributes[name].sensitive,
                "{name} must be sensitive"
            );
        }
        for (name, attribute) in &schema.block.attributes {
            let expected = if name == "name" {
                AttributeConstraint::Required
            } else {
                AttributeConstraint::Computed
            };
            assert_eq!(attribute.constraint, expected, "{name}");
        }
        let (attributes, fields) =
            crate::resources::schema_util::attribute_and_field_names::<ClusterDataModel>(&schema);
        assert_eq!(attributes, fields);
        assert!(schema.block.blocks.is_empty());
    }
}
