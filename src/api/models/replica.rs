//! Read-only replicas of a PostgreSQL or MySQL cluster: `database_replica_read` (responses) and
//! the create body (`database_replica`).

use std::fmt;

use serde::{Deserialize, Serialize};

use super::cluster::{Connection, DoSettings};

/// A read-only replica as the API returns it (`{"replica": …}` / `{"replicas": […]}`).
///
/// `Debug` shows the connections through [`Connection`]'s own `Debug`, which redacts the
/// password and the URIs, so `{:?}` of a replica never shows a secret.
#[derive(Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Replica {
    /// Server-assigned UUID. Read-only in the contract, so tolerated as absent (empty).
    #[serde(default)]
    pub id: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<String>,
    /// `forking` after the create, then `online` (the contract's create text says `active`,
    /// which its own enum lacks); `resizing` during a resize. Kept as a string because the
    /// server may add states.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub private_network_uuid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection: Option<Connection>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub private_connection: Option<Connection>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_size_mib: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub do_settings: Option<DoSettings>,
}

impl Replica {
    /// Whether the replica reports `online`, the state in which it serves reads and accepts
    /// a resize.
    pub fn is_online(&self) -> bool {
        self.status.as_deref() == Some("online")
    }
}

impl fmt::Debug for Replica {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Replica")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("region", &self.region)
            .field("size", &self.size)
            .field("status", &self.status)
            .field("tags", &self.tags)
            .field("created_at", &self.created_at)
            .field("private_network_uuid", &self.private_network_uuid)
            .field("connection", &self.connection)
            .field("private_connection", &self.private_connection)
            .field("storage_size_mib", &self.storage_size_mib)
            .field("do_settings", &self.do_settings)
            .finish()
    }
}

/// Body of `POST …/replicas`. Only `name` is required by the contract's model; its text says
/// the size must be at least the primary's node size. Unset fields are not sent, so the API
/// picks its defaults (the primary's region, the region's default VPC).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CreateReplicaRequest {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_size_mib: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub private_network_uuid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<String>>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The contract's `database_replica` response example, trimmed.
    const RESPONSE: &str = r#"{
      "replica": {
        "id": "9cc10173-e9ea-4176-9dbc-a4cee4c4ff30",
        "name": "read-nyc3-01",
        "connection": {
          "uri": "",
          "database": "defaultdb",
          "host": "read-nyc3-01-do-user-19081923-0.db.ondigitalocean.com",
          "port": 25060,
          "user": "doadmin",
          "password": "wv78n3zpz42xezdk",
          "ssl": true
        },
        "private_connection": {
          "uri": "postgres://doadmin:wv78n3zpz42xezdk@private-read-nyc3-01-do-user-19081923-0.db.ondigitalocean.com:25060/defaultdb?sslmode=require",
          "database": "",
          "host": "private-read-nyc3-01-do-user-19081923-0.db.ondigitalocean.com",
          "port": 25060,
          "user": "doadmin",
          "password": "wv78n3zpz42xezdk",
          "ssl": true
        },
        "region": "nyc3",
        "status": "online",
        "created_at": "2019-01-11T18:37:36Z",
        "private_network_uuid": "9423cbad-9211-442f-820b-ef6915e99b5f",
        "size": "db-s-2vcpu-4gb",
        "storage_size_mib": 61440,
        "tags": ["production"],
        "future_field": {"ignored": true}
      }
    }"#;

    #[test]
    fn the_contract_example_parses_and_debug_hides_the_password() {
        let root: serde_json::Value = serde_json::from_str(RESPONSE).unwrap();
        let replica: Replica = serde_json::from_value(root["replica"].clone()).unwrap();
        assert_eq!(replica.name, "read-nyc3-01");
        assert_eq!(replica.size.as_deref(), Some("db-s-2vcpu-4gb"));
        assert_eq!(replica.storage_size_mib, Some(61440));
        assert_eq!(replica.tags, Some(vec!["production".to_string()]));
        assert!(replica.is_online());
        let connection = replica.connection.as_ref().unwrap();
        assert_eq!(connection.port, Some(25060));
        let shown = format!("{replica:?}");
        assert!(!shown.contains("wv78n3zpz42xezdk"), "{shown}");
        assert!(shown.contains("read-nyc3-01"), "{shown}");
    }

    #[test]
    fn a_replica_without_optional_fields_parses() {
        let replica: Replica = serde_json::from_value(json!({"name": "r"})).unwrap();
        assert_eq!(replica.id, "");
        assert!(!replica.is_online());
        assert!(replica.connection.is_none());
    }

    #[test]
    fn the_create_body_sends_only_what_is_set() {
        let request = CreateReplicaRequest {
            name: "read-1".into(),
            size: Some("db-s-2vcpu-4gb".into()),
            tags: Some(vec!["prod".into()]),
            ..CreateReplicaRequest::default()
        };
        assert_eq!(
            serde_json::to_value(&request).unwrap(),
            json!({"name": "read-1", "size": "db-s-2vcpu-4gb", "tags": ["prod"]})
        );
    }
}
