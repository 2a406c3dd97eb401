//! `dbaas-mock`: a local emulator of the DigitalOcean Managed Databases API (`/v2/databases`),
//! and of the Uncloud platform's Databases API (`/api/v1/databases`, see [`uncloud`]).
//!
//! The emulator implements the API *contract* (`shared/reference/api-contract.md`), not the
//! provider's needs, and it deliberately shares no code with [`crate::api`]: the two are
//! independent implementations of the same contract, so one cannot hide the other's drift.
//!
//! What it offers:
//! - `/v2/...`: clusters (with lifecycles: `creating`/`forking` → `online` after the provision
//!   delay, `resizing`/`migrating` → `online` after the transition delay), options, config,
//!   maintenance, eviction policy, SQL mode, CA, autoscale, DO settings, connection pools, Kafka
//!   topics (`configuring` → `active`), firewall rules, users, dbs, replicas, backups, events,
//!   log sinks, online migration, OpenSearch indexes, Kafka schema registry and metrics
//!   credentials (see [`ops`]), and the generic tags API for `resource_type: "database"`.
//!   Caching (`redis`) creates are refused as of 2025-04-30, as the contract says; existing
//!   Caching clusters keep working. Bearer authentication, `ratelimit-*` headers on every response,
//!   sliding per-minute and per-hour budgets with `429` + `retry-after`, and the contract's
//!   error bodies (`{id, message, request_id}`).
//! - `/api/v1/databases`: the Uncloud platform's databases (seed 002), with their own error
//!   envelope (`{"error": "…"}`), the same tokens, faults, request log and state file, and no
//!   rate limits; the decisions its reference leaves open are listed in [`uncloud`].
//! - `/_mock/...`: test-only controls (reset, request log, settings, fault injection, state dump);
//!   see [`controls`]. They need an accepted bearer token like `/v2` (one check, in
//!   `gateway`), are not rate limited and are not logged. Listening beyond loopback
//!   (`--host` outside 127.0.0.0/8 and `::1`) requires `--token`.
//! - Bounded memory, whoever sends what: one body limit for every route
//!   (`gateway::MAX_BODY_BYTES`, 1 MiB, answered 413), one URI limit
//!   (`gateway::MAX_URI_BYTES`, 8 KiB, answered 414), authentication before any body is read
//!   (an unauthenticated body is never buffered), and a request log capped by entries and by
//!   bytes (`request_log::MAX_ENTRIES`, `request_log::MAX_LOG_BYTES`).
//!
//! Lifecycles are computed from timestamps when the store is read, so nothing runs in the
//! background and a cluster persisted in `creating` state comes up `online` after a restart.
//!
//! Behaviour a client has to cope with, as the real API shows it (contract, or the field
//! reports in `shared/reference/pain-points.md` where the contract is silent):
//! - Every response that carries connection details includes the password (create, get,
//!   list, pools, users), as in the contract's examples.
//! - `version` stays what was asked (`"14"`); `semantic_version` reports the full one.
//!   Omitted `private_network_uuid`/`project_id` become the account's defaults (a VPC per
//!   region; migrating moves the cluster to the new region's VPC unless one is given).
//! - `tags` is `null` on an untagged cluster; `db_names` is `null` on engines without dbs.
//! - Resize, migrate and upgrade of a cluster that is not `online` answer 412 ("busy"), as do
//!   pool, topic, user and db changes while the cluster is still `creating`/`forking`.
//!   Resize and migrate changes become visible when the cluster is `online` again.
//! - Features of other engines (pools on MySQL, eviction policy on PostgreSQL, …) answer 422
//!   "operation is not supported for this cluster type", for reads too.
//! - Names already taken (cluster, pool, topic, user, db) answer 422 "… name is not available".
//! - Pool sizes share the primary's budget (25 connections per GiB, 3 reserved); storage never
//!   shrinks; topic partitions only grow; maintenance hours are reported as `HH:MM:SS`.
//!
//! Use it in-process with [`MockServer::start`], or as the `dbaas-mock` binary.

mod app;
mod auth_ratelimit;
mod backing;
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
mod ops;
mod persist;
mod pools;
pub mod real;
mod request_log;
mod schema;
mod server;
mod store;
mod tags;
mod topics;
mod ui;
mod uncloud;
mod users;

pub use config::{CliCommand, MockConfig, Settings, USAGE};
pub use server::MockServer;
