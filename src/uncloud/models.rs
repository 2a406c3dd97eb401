//! The platform's objects, as the API sends and takes them. Reading is lenient (fields the
//! seed documents but an answer leaves out are `None`), writing sends only what was asked.

use serde::{Deserialize, Serialize};

/// The engines the platform runs, in its spelling (`db_type`).
pub const DB_TYPES: [&str; 4] = ["postgresql", "mysql", "redis", "mongodb"];

/// The versions each engine offers (seed 002), newest last; the newest is what a create
/// without `version` gets.
pub fn versions(db_type: &str) -> &'static [&'static str] {
    match db_type {
        "postgresql" => &["14", "15", "16"],
        "mysql" => &["8.0", "8.4"],
        "redis" => &["7.0", "7.2"],
        "mongodb" => &["6.0", "7.0"],
        _ => &[],
    }
}

/// Statuses of a database. `provisioning` → `running`; `error` when provisioning (or the
/// running instance) failed; `stopped`; `destroyed` once deleted.
pub mod status {
    pub const PROVISIONING: &str = "provisioning";
    pub const RUNNING: &str = "running";
    pub const STOPPED: &str = "stopped";
    pub const ERROR: &str = "error";
    pub const DESTROYED: &str = "destroyed";
}

/// A database instance (`GET /api/v1/databases/{id}`). The create answer is a partial one
/// (`id`, `name`, `db_type`, `status`, `created_at`), hence the options.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Database {
    pub id: String,
    #[serde(default)]
    pub project_id: Option<String>,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub slug: Option<String>,
    #[serde(default)]
    pub db_type: String,
    #[serde(default)]
    pub version: Option<String>,
    #[serde(default)]
    pub plan_id: Option<String>,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub region: Option<String>,
    #[serde(default)]
    pub storage_gb: Option<i64>,
    #[serde(default)]
    pub replicas: Option<i64>,
    #[serde(default)]
    pub created_at: Option<String>,
    /// What went wrong, when `status` is `error`. Not in the seed: dbaas-mock sends it, and a
    /// platform that does not is reported by its status alone.
    #[serde(default)]
    pub error_message: Option<String>,
}

impl Database {
    /// Whether this is a full object (a `GET` answer) rather than the create's partial one.
    pub fn is_complete(&self) -> bool {
        self.plan_id.is_some() && self.region.is_some() && self.slug.is_some()
    }
}

/// `POST /api/v1/databases`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CreateDatabase {
    pub name: String,
    pub db_type: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    pub plan_id: String,
    pub region: String,
    pub storage_gb: i64,
    pub replicas: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub project_id: Option<String>,
}

/// `GET /api/v1/databases/{id}/credentials`: engine-specific (Redis has no `username` or
/// `database`).
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Credentials {
    #[serde(default)]
    pub host: String,
    #[serde(default)]
    pub port: Option<i64>,
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub password: Option<String>,
    #[serde(default)]
    pub database: Option<String>,
    #[serde(default)]
    pub ssl_mode: Option<String>,
    #[serde(default)]
    pub connection_string: Option<String>,
}

/// Never prints the password or the connection string (which carries it).
impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("username", &self.username)
            .field("database", &self.database)
            .field("ssl_mode", &self.ssl_mode)
            .finish_non_exhaustive()
    }
}

/// An error answer: `{"error": "<message>"}`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ErrorBody {
    #[serde(default)]
    pub error: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_partial_create_answer_reads_and_is_not_complete() {
        let partial: Database = serde_json::from_str(
            r#"{"id":"db_1","name":"orders","db_type":"postgresql","status":"provisioning","created_at":"2026-01-01T00:00:00Z"}"#,
        )
        .unwrap();
        assert_eq!(partial.status, status::PROVISIONING);
        assert!(!partial.is_complete());
    }

    #[test]
    fn credentials_never_show_their_secrets() {
        let credentials = Credentials {
            password: Some("hunter2".into()),
            connection_string: Some("postgresql://u:hunter2@h/db".into()),
            ..Credentials::default()
        };
        assert!(!format!("{credentials:?}").contains("hunter2"));
    }

    #[test]
    fn every_engine_has_versions() {
        for db_type in DB_TYPES {
            assert!(!versions(db_type).is_empty(), "{db_type}");
        }
        assert!(versions("cassandra").is_empty());
    }
}
