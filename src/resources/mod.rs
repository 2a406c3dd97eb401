//! One file per resource, each reading top to bottom like a terraform-plugin-framework
//! resource: model, schema, validate, plan, create, read, update, delete, import.

pub mod database_cluster;
pub mod database_config;
pub mod database_connection_pool;
pub mod database_db;
pub mod database_firewall;
pub mod database_kafka_schema_registry;
pub mod database_kafka_topic;
pub mod database_logsink;
pub mod database_online_migration;
pub mod database_replica;
pub mod database_user;
pub mod moved;
pub(crate) mod schema_util;
pub mod uncloud_database;
