//! Database clusters: `database_cluster_read` (responses), the create body, and the bodies of
//! the cluster's sub-resources (resize, migrate, maintenance, autoscale, CA).

use std::fmt;

use serde::{Deserialize, Serialize};

use super::redact::Redacted;

pub use super::firewall::FirewallRule;
pub use super::user::DatabaseUser;

/// A database cluster as the API returns it (`{"database": …}` / `{"databases": […]}`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Cluster {
    /// Server-assigned UUID. Read-only in the contract, so tolerated as absent (empty).
    #[serde(default)]
    pub id: String,
    pub name: String,
    pub engine: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub semantic_version: Option<String>,
    pub num_nodes: i64,
    pub size: String,
    pub region: String,
    /// `creating`, `online`, `resizing`, `migrating` or `forking` per the contract; kept as a
    /// string because the server may add states.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub private_network_uuid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub db_names: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection: Option<Connection>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub private_connection: Option<Connection>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub standby_connection: Option<Connection>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub standby_private_connection: Option<Connection>,
    /// OpenSearch dashboards.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ui_connection: Option<Connection>,
    /// Kafka schema registry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema_registry_connection: Option<Connection>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub users: Option<Vec<DatabaseUser>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maintenance_window: Option<MaintenanceWindow>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rules: Option<Vec<FirewallRule>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_end_of_life: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_end_of_availability: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_size_mib: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metrics_endpoints: Option<Vec<ServiceEndpoint>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub do_settings: Option<DoSettings>,
}

impl Cluster {
    /// Whether the cluster reports `online`, the only state in which it accepts changes.
    pub fn is_online(&self) -> bool {
        self.status.as_deref() == Some("online")
    }
}

/// Connection details (`database_connection`, `opensearch_connection`,
/// `schema_registry_connection`: the latter two are the same fields without `database`).
///
/// `Debug` redacts `password` and `uri` (the URI embeds the password).
#[derive(Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Connection {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uri: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssl: Option<bool>,
}

impl fmt::Debug for Connection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Connection")
            .field("uri", &Redacted(&self.uri))
            .field("database", &self.database)
            .field("host", &self.host)
            .field("port", &self.port)
            .field("user", &self.user)
            .field("password", &Redacted(&self.password))
            .field("ssl", &self.ssl)
            .finish()
    }
}

/// The cluster's maintenance window as read back (`database_maintenance_window`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct MaintenanceWindow {
    pub day: String,
    pub hour: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<Vec<String>>,
}

/// A metrics endpoint (`database_service_endpoint`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ServiceEndpoint {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<i64>,
}

/// DigitalOcean-specific settings (`do_settings`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct DoSettings {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_cnames: Option<Vec<String>>,
}

/// Body of `POST /v2/databases`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct CreateClusterRequest {
    pub name: String,
    pub engine: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    pub num_nodes: i64,
    pub size: String,
    pub region: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub private_network_uuid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_size_mib: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backup_restore: Option<BackupRestore>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub autoscale: Option<Autoscale>,
}

/// Restore (fork) from another cluster's backup (`database_backup`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct BackupRestore {
    pub database_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backup_created_at: Option<String>,
}

/// Autoscale settings (`database_autoscale_params`): the body of `PUT …/autoscale`, the value
/// under `autoscale` in its GET, and the `autoscale` field of the create body.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Autoscale {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage: Option<StorageAutoscale>,
}

/// Storage autoscaling. `threshold_percent` is 15–95 and `increment_gib` 10–500 per the contract.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct StorageAutoscale {
    pub enabled: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold_percent: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub increment_gib: Option<i64>,
}

/// Body of `PUT …/resize`. The API needs `size` and `num_nodes` on every resize, even when
/// only one of them changes.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ResizeRequest {
    pub size: String,
    pub num_nodes: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_size_mib: Option<i64>,
}

/// Body of `PUT …/migrate`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct MigrateRequest {
    pub region: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub private_network_uuid: Option<String>,
}

/// Body of `PUT …/maintenance`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct MaintenanceWindowRequest {
    pub day: String,
    pub hour: String,
}

/// The cluster's CA certificate (`{"ca": {"certificate": …}}`), base64 of the PEM as sent.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Ca {
    pub certificate: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The contract's 201 example for `POST /v2/databases` (§3.1), trimmed to one connection.
    const CREATE_RESPONSE: &str = r#"{
      "database": {
        "id": "9cc10173-e9ea-4176-9dbc-a4cee4c4ff30",
        "name": "backend",
        "engine": "pg",
        "version": "14",
        "semantic_version": "14.5",
        "connection": {
          "uri": "postgres://doadmin:wv78n3zpz42xezdk@backend-do-user-19081923-0.db.ondigitalocean.com:25060/defaultdb?sslmode=require",
          "database": "",
          "host": "backend-do-user-19081923-0.db.ondigitalocean.com",
          "port": 25060,
          "user": "doadmin",
          "password": "wv78n3zpz42xezdk",
          "ssl": true
        },
        "users": [{"name": "doadmin", "role": "primary", "password": "wv78n3zpz42xezdk"}],
        "db_names": ["defaultdb"],
        "num_nodes": 2,
        "region": "nyc3",
        "status": "creating",
        "created_at": "2019-01-11T18:37:36Z",
        "maintenance_window": {
          "day": "saturday",
          "hour": "08:45:12",
          "pending": true,
          "description": ["Update TimescaleDB to version 1.2.1"]
        },
        "size": "db-s-2vcpu-4gb",
        "tags": ["production"],
        "private_network_uuid": "d455e75d-4858-4eec-8c95-da2f0a5f93a7",
        "version_end_of_life": "2023-11-09T00:00:00Z",
        "version_end_of_availability": "2023-05-09T00:00:00Z",
        "storage_size_mib": 61440,
        "do_settings": {"service_cnames": ["db.example.com", "database.myapp.io"]},
        "some_future_field": {"ignored": true}
      }
    }"#;

    fn created() -> Cluster {
        let mut envelope: serde_json::Value = serde_json::from_str(CREATE_RESPONSE).unwrap();
        serde_json::from_value(envelope["database"].take()).unwrap()
    }

    #[test]
    fn reads_the_contract_example() {
        let c = created();
        assert_eq!(c.id, "9cc10173-e9ea-4176-9dbc-a4cee4c4ff30");
        assert_eq!(c.engine, "pg");
        assert_eq!(c.num_nodes, 2);
        assert_eq!(c.status.as_deref(), Some("creating"));
        assert!(!c.is_online());
        assert_eq!(c.storage_size_mib, Some(61440));
        let conn = c.connection.as_ref().unwrap();
        assert_eq!(conn.port, Some(25060));
        assert_eq!(conn.password.as_deref(), Some("wv78n3zpz42xezdk"));
        let mw = c.maintenance_window.as_ref().unwrap();
        assert_eq!(
            (mw.day.as_str(), mw.hour.as_str(), mw.pending),
            ("saturday", "08:45:12", Some(true))
        );
        assert_eq!(
            c.users.as_ref().unwrap()[0].role.as_deref(),
            Some("primary")
        );
        assert_eq!(
            c.do_settings.as_ref().unwrap().service_cnames.as_deref(),
            Some(
                &[
                    "db.example.com".to_string(),
                    "database.myapp.io".to_string()
                ][..]
            )
        );
        assert_eq!(c.private_connection, None);
    }

    #[test]
    fn round_trips_through_json() {
        let c = created();
        let again: Cluster = serde_json::from_value(serde_json::to_value(&c).unwrap()).unwrap();
        assert_eq!(again, c);
    }

    #[test]
    fn nullable_fields_read_as_none() {
        let c: Cluster = serde_json::from_value(json!({
            "id": "x", "name": "n", "engine": "redis", "num_nodes": 1, "size": "s", "region": "r",
            "tags": null, "db_names": null, "users": null, "maintenance_window": null
        }))
        .unwrap();
        assert_eq!(
            (c.tags, c.db_names, c.users, c.maintenance_window),
            (None, None, None, None)
        );
    }

    #[test]
    fn missing_required_field_is_an_error() {
        let err = serde_json::from_value::<Cluster>(json!({"id": "x", "name": "n"})).unwrap_err();
        assert!(err.to_string().contains("engine"), "{err}");
    }

    #[test]
    fn debug_redacts_secrets() {
        let shown = format!("{:?}", created());
        assert!(!shown.contains("wv78n3zpz42xezdk"), "{shown}");
        assert!(shown.contains("<redacted>"));
        assert!(shown.contains("backend-do-user-19081923-0.db.ondigitalocean.com"));
    }

    #[test]
    fn create_request_matches_the_contract_example() {
        let req = CreateClusterRequest {
            name: "backend".into(),
            engine: "pg".into(),
            version: Some("14".into()),
            region: "nyc3".into(),
            size: "db-s-2vcpu-4gb".into(),
            storage_size_mib: Some(61440),
            num_nodes: 2,
            tags: Some(vec!["production".into()]),
            ..Default::default()
        };
        assert_eq!(
            serde_json::to_value(&req).unwrap(),
            json!({
                "name": "backend", "engine": "pg", "version": "14", "region": "nyc3",
                "size": "db-s-2vcpu-4gb", "storage_size_mib": 61440, "num_nodes": 2,
                "tags": ["production"]
            })
        );
    }

    #[test]
    fn create_request_sends_nested_options_only_when_set() {
        let req = CreateClusterRequest {
            name: "restored".into(),
            engine: "pg".into(),
            num_nodes: 1,
            size: "db-s-1vcpu-1gb".into(),
            region: "nyc3".into(),
            backup_restore: Some(BackupRestore {
                database_name: "backend".into(),
                backup_created_at: None,
            }),
            autoscale: Some(Autoscale {
                storage: Some(StorageAutoscale {
                    enabled: true,
                    threshold_percent: Some(80),
                    increment_gib: None,
                }),
            }),
            ..Default::default()
        };
        let body = serde_json::to_value(&req).unwrap();
        assert_eq!(body["backup_restore"], json!({"database_name": "backend"}));
        assert_eq!(
            body["autoscale"],
            json!({"storage": {"enabled": true, "threshold_percent": 80}})
        );
        for absent in [
            "version",
            "private_network_uuid",
            "project_id",
            "tags",
            "storage_size_mib",
        ] {
            assert!(
                body.get(absent).is_none(),
                "{absent} must not be sent: {body}"
            );
        }
    }

    #[test]
    fn small_request_bodies_match_the_contract() {
        let resize = ResizeRequest {
            size: "db-s-4vcpu-8gb".into(),
            num_nodes: 3,
            storage_size_mib: Some(163840),
        };
        assert_eq!(
            serde_json::to_value(resize).unwrap(),
            json!({"size": "db-s-4vcpu-8gb", "num_nodes": 3, "storage_size_mib": 163840})
        );
        let migrate = MigrateRequest {
            region: "lon1".into(),
            private_network_uuid: None,
        };
        assert_eq!(
            serde_json::to_value(migrate).unwrap(),
            json!({"region": "lon1"})
        );
        let mw = MaintenanceWindowRequest {
            day: "tuesday".into(),
            hour: "14:00".into(),
        };
        assert_eq!(
            serde_json::to_value(mw).unwrap(),
            json!({"day": "tuesday", "hour": "14:00"})
        );
    }

    #[test]
    fn autoscale_reads_the_contract_example() {
        let a: Autoscale = serde_json::from_value(
            json!({"storage": {"enabled": true, "threshold_percent": 80, "increment_gib": 10}}),
        )
        .unwrap();
        let s = a.storage.unwrap();
        assert!(s.enabled);
        assert_eq!((s.threshold_percent, s.increment_gib), (Some(80), Some(10)));
    }
}
