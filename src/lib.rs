//! terraform-provider-dbaas: a Terraform provider for DigitalOcean Managed Databases, and
//! `dbaas-mock`, a local emulator of the same API.
//!
//! Data flows one way: Terraform → protocol layer (tf-provider) → [`resources`] → [`api`] → HTTP.

pub mod api;
pub mod data_sources;
pub mod docs;
pub mod framework;
pub mod logging;
pub mod mock;
pub mod provider;
pub mod resources;
