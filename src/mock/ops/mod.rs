//! The contract's remaining operations (replicas, backups, events, log sinks, online
//! migration, OpenSearch indexes, schema registry, metrics credentials): work in progress.

use std::sync::Arc;

use axum::Router;

use super::app::App;

pub fn routes() -> Router<Arc<App>> {
    Router::new()
}
