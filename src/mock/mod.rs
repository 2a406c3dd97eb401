//! `dbaas-mock`: a local emulator of the DigitalOcean Managed Databases API (`/v2/databases`).
//!
//! The emulator implements the API *contract* (`shared/reference/api-contract.md`), not the
//! provider's needs, and it deliberately shares no code with [`crate::api`]: the two are
//! independent implementations of the same contract, so one cannot hide the other's drift.
//!
//! What it offers:
//! - `/v2/...`: clusters (with lifecycles: `creating`/`forking` → `online` after the provision
//!   delay, `resizing`/`migrating` → `online` after the transition delay), options, config,
//!   maintenance, eviction policy, SQL mode, CA, autoscale, DO settings, connection pools, Kafka
//!   topics (`configuring` → `active`), firewall rules, users, dbs, and the generic tags API for
//!   `resource_type: "database"`. Bearer authentication, `ratelimit-*` headers on every response,
//!   sliding per-minute and per-hour budgets with `429` + `retry-after`, and the contract's
//!   error bodies (`{id, message, request_id}`).
//! - `/_mock/...`: test-only controls (reset, request log, settings, fault injection, state dump);
//!   see [`controls`].
//!
//! Lifecycles are computed from timestamps when the store is read, so nothing runs in the
//! background and a cluster persisted in `creating` state comes up `online` after a restart.
//!
//! Use it in-process with [`MockServer::start`], or as the `dbaas-mock` binary.

mod app;
mod auth_ratelimit;
mod catalogue;
mod clusters;
mod config;
mod controls;
mod engine;
mod engine_config;
mod error;
mod faults;
mod firewall;
mod gateway;
mod json;
mod persist;
mod pools;
mod request_log;
mod schema;
mod server;
mod store;
mod tags;
mod topics;
mod users;

pub use config::{CliCommand, MockConfig, Settings, USAGE};
pub use server::MockServer;
