//! One file per ephemeral resource.

pub mod database_credentials;
pub mod uncloud_database_credentials;
