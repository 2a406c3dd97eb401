//! What a settings table row says: a setting's Terraform name, its API key, its type with the
//! contract's constraints, and its description. The rows themselves are generated
//! (`settings.rs`); the nine resources are listed in [`ENGINES`].

use super::settings;

/// One setting of an engine's configuration.
#[derive(Debug)]
pub struct Setting {
    /// The attribute name: DigitalOcean's provider's spelling where it has one (`timeout` for
    /// the API's `redis_timeout`), else the API key with dots as underscores.
    pub name: &'static str,
    /// The key in the API's `config` object.
    pub api: &'static str,
    pub kind: Kind,
    /// The contract's description of the setting.
    pub description: &'static str,
    /// The contract's default, as JSON text.
    pub default: Option<&'static str>,
}

/// A setting's type and the contract's constraints on it.
#[derive(Debug)]
pub enum Kind {
    Bool,
    /// A whole number; `allowed` is the contract's enum (empty for none).
    Integer {
        min: Option<f64>,
        max: Option<f64>,
        allowed: &'static [i64],
    },
    Number {
        min: Option<f64>,
        max: Option<f64>,
    },
    String(Text),
    /// An array of strings, unordered (the API treats it as a set).
    StringSet {
        allowed: &'static [&'static str],
        max_items: Option<usize>,
    },
    /// A nested object of settings (a block in Terraform).
    Block(&'static [Setting]),
}

/// The contract's constraints on a string setting.
#[derive(Debug)]
pub struct Text {
    pub allowed: &'static [&'static str],
    pub min_length: Option<usize>,
    pub max_length: Option<usize>,
    pub pattern: Option<&'static str>,
    /// The contract allows `null` (which clears it); Terraform's null means "not managed".
    pub nullable: bool,
}

/// One `dbaas_database_<engine>_config` resource type.
#[derive(Debug)]
pub struct EngineSpec {
    pub type_name: &'static str,
    /// DigitalOcean's counterpart, for `moved` blocks.
    pub digitalocean: &'static str,
    /// The cluster engine (`engine` of `dbaas_database_cluster`) it configures.
    pub engine: &'static str,
    /// The engine as people name it.
    pub product: &'static str,
    pub settings: &'static [Setting],
    /// DigitalOcean's map of settings as strings (`pg_parameters`), kept for its modules.
    pub parameters: Option<&'static str>,
}

impl EngineSpec {
    pub fn setting(&self, name: &str) -> Option<&'static Setting> {
        self.settings.iter().find(|s| s.name == name)
    }
}

pub static POSTGRESQL: EngineSpec = EngineSpec {
    type_name: "dbaas_database_postgresql_config",
    digitalocean: "digitalocean_database_postgresql_config",
    engine: "pg",
    product: "PostgreSQL",
    settings: settings::POSTGRES,
    parameters: None,
};

pub static MYSQL: EngineSpec = EngineSpec {
    type_name: "dbaas_database_mysql_config",
    digitalocean: "digitalocean_database_mysql_config",
    engine: "mysql",
    product: "MySQL",
    settings: settings::MYSQL,
    parameters: None,
};

pub static REDIS: EngineSpec = EngineSpec {
    type_name: "dbaas_database_redis_config",
    digitalocean: "digitalocean_database_redis_config",
    engine: "redis",
    product: "Caching (Redis)",
    settings: settings::REDIS,
    parameters: None,
};

pub static VALKEY: EngineSpec = EngineSpec {
    type_name: "dbaas_database_valkey_config",
    digitalocean: "digitalocean_database_valkey_config",
    engine: "valkey",
    product: "Valkey",
    settings: settings::VALKEY,
    parameters: None,
};

pub static KAFKA: EngineSpec = EngineSpec {
    type_name: "dbaas_database_kafka_config",
    digitalocean: "digitalocean_database_kafka_config",
    engine: "kafka",
    product: "Kafka",
    settings: settings::KAFKA,
    parameters: None,
};

pub static MONGODB: EngineSpec = EngineSpec {
    type_name: "dbaas_database_mongodb_config",
    digitalocean: "digitalocean_database_mongodb_config",
    engine: "mongodb",
    product: "MongoDB",
    settings: settings::MONGODB,
    parameters: None,
};

pub static OPENSEARCH: EngineSpec = EngineSpec {
    type_name: "dbaas_database_opensearch_config",
    digitalocean: "digitalocean_database_opensearch_config",
    engine: "opensearch",
    product: "OpenSearch",
    settings: settings::OPENSEARCH,
    parameters: None,
};

/// The contract serves `advanced_pg` clusters the PostgreSQL schema.
pub static ADVANCED_POSTGRESQL: EngineSpec = EngineSpec {
    type_name: "dbaas_database_advanced_postgresql_config",
    digitalocean: "digitalocean_database_advanced_postgresql_config",
    engine: "advanced_pg",
    product: "PostgreSQL Advanced Edition",
    settings: settings::POSTGRES,
    parameters: Some("pg_parameters"),
};

/// The contract serves `advanced_mysql` clusters the MySQL schema.
pub static ADVANCED_MYSQL: EngineSpec = EngineSpec {
    type_name: "dbaas_database_advanced_mysql_config",
    digitalocean: "digitalocean_database_advanced_mysql_config",
    engine: "advanced_mysql",
    product: "MySQL Advanced Edition",
    settings: settings::MYSQL,
    parameters: Some("mysql_parameters"),
};

/// Every engine configuration resource.
pub static ENGINES: [&EngineSpec; 9] = [
    &POSTGRESQL,
    &MYSQL,
    &REDIS,
    &VALKEY,
    &KAFKA,
    &MONGODB,
    &OPENSEARCH,
    &ADVANCED_POSTGRESQL,
    &ADVANCED_MYSQL,
];

/// The `&'static` spelling of a setting name of any table (state keys are table names).
pub fn interned(name: &str) -> Option<&'static str> {
    fn find(settings: &'static [Setting], name: &str) -> Option<&'static str> {
        settings.iter().find_map(|setting| {
            if setting.name == name {
                return Some(setting.name);
            }
            match &setting.kind {
                Kind::Block(inner) => find(inner, name),
                _ => None,
            }
        })
    }
    ENGINES.iter().find_map(|spec| find(spec.settings, name))
}
