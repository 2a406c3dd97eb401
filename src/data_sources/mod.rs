//! One file per data source.

pub mod database_ca;
pub mod database_cluster;
pub mod database_connection_pool;
pub mod database_metrics_credentials;
pub mod database_options;
pub mod database_replica;
pub mod database_user;
pub mod uncloud_database;
