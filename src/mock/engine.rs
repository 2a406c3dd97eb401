//! What differs between engines: ports, admin user, URI shapes, and which cluster features
//! (pools, topics, eviction policy, SQL mode, dbs, users) an engine has.

use serde::{Deserialize, Serialize};

use super::error::{ApiError, ApiResult};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Engine {
    Pg,
    Mysql,
    Redis,
    Valkey,
    Mongodb,
    Kafka,
    Opensearch,
    AdvancedPg,
    AdvancedMysql,
}

impl Engine {
    pub const ALL: [Engine; 9] = [
        Engine::Pg,
        Engine::Mysql,
        Engine::Redis,
        Engine::Valkey,
        Engine::Mongodb,
        Engine::Kafka,
        Engine::Opensearch,
        Engine::AdvancedPg,
        Engine::AdvancedMysql,
    ];

    pub fn slug(self) -> &'static str {
        match self {
            Engine::Pg => "pg",
            Engine::Mysql => "mysql",
            Engine::Redis => "redis",
            Engine::Valkey => "valkey",
            Engine::Mongodb => "mongodb",
            Engine::Kafka => "kafka",
            Engine::Opensearch => "opensearch",
            Engine::AdvancedPg => "advanced_pg",
            Engine::AdvancedMysql => "advanced_mysql",
        }
    }

    /// Parses an engine slug, or a 422 naming the allowed values.
    pub fn parse(slug: &str) -> ApiResult<Engine> {
        Engine::ALL
            .into_iter()
            .find(|e| e.slug() == slug)
            .ok_or_else(|| {
                let allowed: Vec<&str> = Engine::ALL.iter().map(|e| e.slug()).collect();
                ApiError::unprocessable(format!(
                    "invalid engine: {slug:?} is not a supported engine; allowed values: {}",
                    allowed.join(", ")
                ))
            })
    }

    pub fn is_postgres(self) -> bool {
        matches!(self, Engine::Pg | Engine::AdvancedPg)
    }

    pub fn is_mysql(self) -> bool {
        matches!(self, Engine::Mysql | Engine::AdvancedMysql)
    }

    pub fn is_caching(self) -> bool {
        matches!(self, Engine::Redis | Engine::Valkey)
    }

    /// The key of this engine's schema in `advanced_config.json`.
    pub fn config_family(self) -> &'static str {
        match self {
            Engine::Pg | Engine::AdvancedPg => "pg",
            Engine::Mysql | Engine::AdvancedMysql => "mysql",
            other => other.slug(),
        }
    }

    pub fn port(self) -> u16 {
        match self {
            Engine::Redis | Engine::Valkey => 25061,
            Engine::Mongodb => 27017,
            Engine::Kafka => 25073,
            _ => 25060,
        }
    }

    pub fn admin_user(self) -> &'static str {
        if self.is_caching() {
            "default"
        } else {
            "doadmin"
        }
    }

    /// The database created with the cluster, if the engine has databases.
    pub fn default_db(self) -> Option<&'static str> {
        match self {
            Engine::Mongodb => Some("admin"),
            e if e.is_postgres() || e.is_mysql() => Some("defaultdb"),
            _ => None,
        }
    }

    /// Clusters of more than one node have a standby for reads (`standby_connection`).
    pub fn has_standby(self, num_nodes: u32) -> bool {
        (self.is_postgres() || self.is_mysql()) && num_nodes > 1
    }

    pub fn supports_users(self) -> bool {
        !self.is_caching()
    }

    pub fn supports_dbs(self) -> bool {
        self.default_db().is_some()
    }

    /// The connection string, in the form each engine's clients accept.
    pub fn uri(self, conn: &UriParts<'_>) -> String {
        let UriParts {
            user,
            password,
            host,
            port,
            database,
            cluster_name,
        } = *conn;
        match self {
            Engine::Pg | Engine::AdvancedPg => format!(
                "postgres://{user}:{password}@{host}:{port}/{}?sslmode=require",
                database.unwrap_or("defaultdb")
            ),
            Engine::Mysql | Engine::AdvancedMysql => format!(
                "mysql://{user}:{password}@{host}:{port}/{}?ssl-mode=REQUIRED",
                database.unwrap_or("defaultdb")
            ),
            Engine::Redis | Engine::Valkey => format!("rediss://{user}:{password}@{host}:{port}"),
            Engine::Mongodb => format!(
                "mongodb+srv://{user}:{password}@{host}/{}?tls=true&authSource=admin&replicaSet={cluster_name}",
                database.unwrap_or("admin")
            ),
            // Kafka clients take a bootstrap server list, not a URI.
            Engine::Kafka => String::new(),
            Engine::Opensearch => format!("https://{user}:{password}@{host}:{port}"),
        }
    }
}

/// Inputs of [`Engine::uri`].
#[derive(Debug, Clone, Copy)]
pub struct UriParts<'a> {
    pub user: &'a str,
    pub password: &'a str,
    pub host: &'a str,
    pub port: u16,
    pub database: Option<&'a str>,
    pub cluster_name: &'a str,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_round_trip_and_unknown_names_list_the_choices() {
        for engine in Engine::ALL {
            assert_eq!(Engine::parse(engine.slug()).unwrap(), engine);
            assert_eq!(serde_json::to_value(engine).unwrap(), engine.slug());
        }
        let err = Engine::parse("oracle").unwrap_err();
        assert!(err.message.contains("engine") && err.message.contains("valkey"));
    }

    #[test]
    fn uris_carry_credentials() {
        let parts = UriParts {
            user: "doadmin",
            password: "pw",
            host: "h",
            port: 25060,
            database: None,
            cluster_name: "c",
        };
        assert_eq!(
            Engine::Pg.uri(&parts),
            "postgres://doadmin:pw@h:25060/defaultdb?sslmode=require"
        );
        assert!(Engine::Mongodb
            .uri(&parts)
            .starts_with("mongodb+srv://doadmin:pw@h/admin"));
        assert_eq!(Engine::Kafka.uri(&parts), "");
    }
}
