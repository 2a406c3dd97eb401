//! PgBouncer connection pools (PostgreSQL only), `connection_pool`.

use serde::{Deserialize, Serialize};

use super::cluster::Connection;

/// A connection pool as the API returns it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Pool {
    pub name: String,
    /// `session`, `transaction` or `statement` (free string in the contract).
    pub mode: String,
    pub size: i64,
    pub db: String,
    /// Absent when the pool uses the inbound user's credentials.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection: Option<Connection>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub private_connection: Option<Connection>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub standby_connection: Option<Connection>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub standby_private_connection: Option<Connection>,
}

/// Body of `POST …/pools`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CreatePoolRequest {
    pub name: String,
    pub mode: String,
    pub size: i64,
    pub db: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
}

/// Body of `PUT …/pools/{name}`; `mode`, `size` and `db` are required on every update.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct UpdatePoolRequest {
    pub mode: String,
    pub size: i64,
    pub db: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const CREATE_RESPONSE: &str = r#"{
      "pool": {
        "user": "doadmin",
        "name": "backend-pool",
        "size": 10,
        "db": "defaultdb",
        "mode": "transaction",
        "connection": {
          "uri": "postgres://doadmin:wv78n3zpz42xezdk@backend-do-user-19081923-0.db.ondigitalocean.com:25061/backend-pool?sslmode=require",
          "database": "backend-pool",
          "host": "backend-do-user-19081923-0.db.ondigitalocean.com",
          "port": 25061,
          "user": "doadmin",
          "password": "wv78n3zpz42xezdk",
          "ssl": true
        }
      }
    }"#;

    #[test]
    fn round_trips_the_contract_example() {
        let body: serde_json::Value = serde_json::from_str(CREATE_RESPONSE).unwrap();
        let pool: Pool = serde_json::from_value(body["pool"].clone()).unwrap();
        assert_eq!(
            (pool.name.as_str(), pool.mode.as_str(), pool.size),
            ("backend-pool", "transaction", 10)
        );
        assert_eq!(
            pool.connection.as_ref().unwrap().database.as_deref(),
            Some("backend-pool")
        );
        assert_eq!(serde_json::to_value(&pool).unwrap(), body["pool"]);
        assert!(!format!("{pool:?}").contains("wv78n3zpz42xezdk"));
    }

    #[test]
    fn request_bodies_match_the_contract() {
        let create = CreatePoolRequest {
            name: "backend-pool".into(),
            mode: "transaction".into(),
            size: 10,
            db: "defaultdb".into(),
            user: Some("doadmin".into()),
        };
        assert_eq!(
            serde_json::to_value(create).unwrap(),
            json!({"name": "backend-pool", "mode": "transaction", "size": 10, "db": "defaultdb", "user": "doadmin"})
        );
        let update = UpdatePoolRequest {
            mode: "session".into(),
            size: 5,
            db: "defaultdb".into(),
            user: None,
        };
        assert_eq!(
            serde_json::to_value(update).unwrap(),
            json!({"mode": "session", "size": 5, "db": "defaultdb"})
        );
    }
}
