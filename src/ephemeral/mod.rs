//! One file per ephemeral resource.

pub mod database_credentials;
