//! terraform-provider-dbaas: a Terraform provider for DigitalOcean Managed Databases, and
//! `dbaas-mock`, a local emulator of the same API.
//!
//! Data flows one way: Terraform → [`plugin`] (the protocol) → [`framework`] (adapters,
//! request context) → [`resources`] / [`data_sources`] → [`api`] → HTTP. [`provider`] wires
//! the provider block and every type together; [`mock`] is the emulator, apart from all of it.

pub mod api;
pub mod data_sources;
pub mod docs;
pub mod ephemeral;
pub mod framework;
pub mod logging;
pub mod mock;
pub mod plugin;
pub mod provider;
pub mod resources;
pub mod uncloud;
