//! One file per data source.

pub mod database_ca;
pub mod database_cluster;
pub mod database_options;
