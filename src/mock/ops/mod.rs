//! The contract's operations beyond clusters and their pools, topics, users, dbs, firewall and
//! configuration: every remaining `/v2/databases` path of `do-databases-openapi.yaml`.
//!
//! | area | paths | module |
//! |---|---|---|
//! | read-only replicas | `…/replicas`, `…/replicas/{name}`, `…/replicas/{name}/promote` | [`replicas`] |
//! | backups, events | `…/backups`, `…/events` | [`history`] |
//! | log sinks | `…/logsink`, `…/logsink/{id}` | [`logsinks`] |
//! | online migration | `…/online-migration`, `…/online-migration/{id}` | [`migration`] |
//! | OpenSearch indexes | `…/indexes`, `…/indexes/{name}` | [`indexes`] |
//! | Kafka schema registry | `…/schema-registry[/config][/{subject}[/versions/{v}]]` | [`schema_registry`] |
//! | metrics credentials | `/v2/databases/metrics/credentials` | [`metrics`] |
//!
//! The same rules as the rest of the emulator:
//! - Lifecycles are computed from timestamps when the store is read ([`model::settle`], called
//!   by the store's settle): a replica is `forking` for the provision delay, then `online`; an
//!   online migration is `running`, `syncing`, then `done`, one transition delay each; a
//!   `never_online` fault keeps either where it started.
//! - Everything is kept inside the owning cluster's record (replicas, log sinks, the latest
//!   online migration, events, the schema registry, deleted indexes), so the state file's
//!   journal saves it with that cluster; the metrics credentials are the account's.
//! - Engines: replicas on PostgreSQL and MySQL; online migration on MySQL, PostgreSQL, Caching
//!   and Valkey; indexes on OpenSearch; the schema registry on Kafka; Datadog log sinks on
//!   MongoDB; backups on everything but Caching and Valkey. Anything else answers 422
//!   "operation is not supported for this cluster type", reads included.
//! - Busy: changes while the cluster is still `creating`/`forking` answer 412; creating a
//!   replica needs an `online` primary, promoting one an `online` replica, starting an online
//!   migration no other in progress (412 otherwise).
//! - Answers follow the contract even where it is odd: a log sink's GET, a schema and a
//!   schema version are not enveloped; log sink update and delete answer 200 without a body;
//!   metrics credentials are one level deep, as the contract's example (its schema nests
//!   twice). Secrets the contract returns are returned (log sink configurations); secrets it
//!   never returns are not kept (an online migration source's password).

use std::sync::Arc;

use axum::Router;

use super::app::App;
use super::error::ApiError;
use super::store::Cluster;

pub mod history;
pub mod indexes;
pub mod logsinks;
pub mod metrics;
pub mod migration;
pub mod model;
pub mod replicas;
pub mod schema_registry;

pub fn routes() -> Router<Arc<App>> {
    Router::new()
        .merge(history::routes())
        .merge(indexes::routes())
        .merge(logsinks::routes())
        .merge(metrics::routes())
        .merge(migration::routes())
        .merge(replicas::routes())
        .merge(schema_registry::routes())
}

/// The real API's answer to a feature of another engine: 422, naming what it needs.
fn unsupported(cluster: &Cluster, needs: &str) -> ApiError {
    ApiError::unprocessable(format!(
        "operation is not supported for this cluster type: {needs}, not {}",
        cluster.engine.slug()
    ))
}
