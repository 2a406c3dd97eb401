//! Online migrations into a cluster (`…/online-migration`): copying an existing database
//! server into a managed cluster, then replicating from it until the migration is stopped.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::redact::Redacted;

/// What `GET …/online-migration` and the start answer report: the cluster's most recent
/// migration. `status` is `running`, `syncing`, `canceled`, `error` or `done`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct OnlineMigration {
    pub id: String,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub created_at: Option<String>,
}

impl OnlineMigration {
    /// Still copying or replicating: stopping it changes something.
    pub fn in_progress(&self) -> bool {
        matches!(self.status.as_deref(), Some("running" | "syncing"))
    }
}

/// The body of `PUT …/online-migration` (`source_database`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct StartMigrationRequest {
    pub source: MigrationSource,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disable_ssl: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ignore_dbs: Option<Vec<String>>,
}

/// Where a migration copies from. The password is sent, never returned, and never shown by
/// `Debug`.
#[derive(Clone, PartialEq, Eq, Default, Serialize)]
pub struct MigrationSource {
    pub host: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dbname: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
}

impl fmt::Debug for MigrationSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MigrationSource")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("dbname", &self.dbname)
            .field("username", &self.username)
            .field("password", &Redacted(&self.password))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_contract_example_and_sends_only_what_is_set() {
        let migration: OnlineMigration = serde_json::from_str(
            r#"{"id":"77b28fc8-19ff-11eb-8c9c-c68e24557488","status":"running","created_at":"2020-10-29T15:57:38Z"}"#,
        )
        .unwrap();
        assert!(migration.in_progress());
        assert!(!OnlineMigration {
            status: Some("done".into()),
            ..migration.clone()
        }
        .in_progress());
        let request = StartMigrationRequest {
            source: MigrationSource {
                host: "db.example".into(),
                password: Some("hunter2".into()),
                ..MigrationSource::default()
            },
            ..StartMigrationRequest::default()
        };
        assert_eq!(
            serde_json::to_value(&request).unwrap(),
            serde_json::json!({"source": {"host": "db.example", "password": "hunter2"}})
        );
        let shown = format!("{request:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("<redacted>"), "{shown}");
    }
}
