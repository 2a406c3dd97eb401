//! OpenSearch indexes (`…/indexes`, contract `databases_list_opeasearch_indexes` and
//! `databases_delete_opensearch_index`): OpenSearch clusters only.
//!
//! The API creates no indexes; clients write them through OpenSearch itself, which the
//! emulator does not serve. What the API does do is forward logs: a log sink of type
//! `opensearch` or `elasticsearch` (on any cluster) whose `config.url` names this cluster's
//! host (public or `private-`) writes one index a day, `<index_prefix>-YYYY.MM.DD`, from the
//! day the sink was created, of which the last `index_days_max` (default 7) are kept. The
//! indexes are computed from those sinks and the clock when read; a deleted one stays deleted.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{delete, get};
use axum::Router;
use serde_json::{json, Value};

use super::unsupported;
use crate::mock::app::App;
use crate::mock::engine::Engine;
use crate::mock::error::{ApiError, ApiResult};
use crate::mock::json;
use crate::mock::pools::require_provisioned;
use crate::mock::store::{timestamp, Cluster, ClusterStatus, Store};

const DAY_MS: u64 = 24 * 60 * 60 * 1000;
const DEFAULT_DAYS_MAX: u64 = 7;
/// Deleted names remembered per cluster (older ones have long left the retention anyway).
const MAX_DELETED: usize = 1000;

pub fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/v2/databases/:id/indexes", get(list))
        .route("/v2/databases/:id/indexes/:name", delete(destroy))
}

fn opensearch(cluster: &Cluster) -> ApiResult<&Cluster> {
    if cluster.engine == Engine::Opensearch {
        Ok(cluster)
    } else {
        Err(unsupported(cluster, "indexes need an OpenSearch cluster"))
    }
}

/// An index that log forwarding wrote into the cluster.
#[derive(Debug, Clone, PartialEq)]
pub struct Index {
    pub name: String,
    pub created_ms: u64,
}

fn day_name(ms: u64) -> String {
    let seconds = i64::try_from(ms / 1000).unwrap_or(i64::MAX);
    time::OffsetDateTime::from_unix_timestamp(seconds)
        .map(|t| {
            let date = t.date();
            format!(
                "{:04}.{:02}.{:02}",
                date.year(),
                u8::from(date.month()),
                date.day()
            )
        })
        .unwrap_or_else(|_| "1970.01.01".to_string())
}

/// The indexes of `target` at `now_ms`, oldest first.
pub fn indexes(store: &Store, target: &Cluster, now_ms: u64) -> Vec<Index> {
    if matches!(
        target.status,
        ClusterStatus::Creating | ClusterStatus::Forking
    ) {
        return Vec::new();
    }
    let account = &store.data.account;
    let host = target.host(account);
    let hosts = [host.clone(), format!("private-{host}")];
    let mut found: Vec<Index> = Vec::new();
    for sink in store.data.clusters.iter().flat_map(|c| &c.log_sinks) {
        if !matches!(sink.sink_type.as_str(), "opensearch" | "elasticsearch") {
            continue;
        }
        let points_here = sink
            .config
            .get("url")
            .and_then(Value::as_str)
            .and_then(|u| url::Url::parse(u).ok())
            .and_then(|u| u.host_str().map(str::to_string))
            .is_some_and(|h| hosts.contains(&h));
        let prefix = sink.config.get("index_prefix").and_then(Value::as_str);
        let (true, Some(prefix)) = (points_here, prefix) else {
            continue;
        };
        let days_max = sink
            .config
            .get("index_days_max")
            .and_then(Value::as_u64)
            .unwrap_or(DEFAULT_DAYS_MAX);
        let first_day = sink.created_ms / DAY_MS;
        let today = now_ms.max(sink.created_ms) / DAY_MS;
        for day in today
            .saturating_sub(days_max.saturating_sub(1))
            .max(first_day)..=today
        {
            let name = format!("{prefix}-{}", day_name(day * DAY_MS));
            if target.deleted_indexes.contains(&name) || found.iter().any(|i| i.name == name) {
                continue;
            }
            found.push(Index {
                name,
                created_ms: (day * DAY_MS).max(sink.created_ms),
            });
        }
    }
    found.sort_by(|a, b| (a.created_ms, &a.name).cmp(&(b.created_ms, &b.name)));
    found
}

fn render(cluster: &Cluster, index: &Index, now_ms: u64) -> Value {
    // Logs keep arriving: a few KiB an hour.
    let size = 208 + (now_ms.saturating_sub(index.created_ms) / 3_600_000) * 4096;
    json!({
        "index_name": index.name,
        "number_of_shards": 1,
        "number_of_replicas": cluster.num_nodes.saturating_sub(1),
        "size": size,
        "created_time": timestamp(index.created_ms),
        "status": "open",
        "health": "green",
    })
}

async fn list(State(app): State<Arc<App>>, Path(id): Path<String>) -> ApiResult<Response> {
    let listed = app.read(|store| {
        let cluster = opensearch(store.cluster(&id)?)?;
        Ok::<_, ApiError>(
            indexes(store, cluster, store.now_ms)
                .iter()
                .map(|index| render(cluster, index, store.now_ms))
                .collect::<Vec<_>>(),
        )
    })?;
    Ok(json::respond(StatusCode::OK, json!({ "indexes": listed })))
}

async fn destroy(
    State(app): State<Arc<App>>,
    Path((id, name)): Path<(String, String)>,
) -> ApiResult<Response> {
    app.write(|store| {
        let cluster = opensearch(store.cluster(&id)?)?;
        require_provisioned(cluster, "delete index")?;
        if !indexes(store, cluster, store.now_ms)
            .iter()
            .any(|i| i.name == name)
        {
            return Err(ApiError::not_found());
        }
        let cluster = store.cluster_mut(&id)?;
        cluster.deleted_indexes.push(name);
        if cluster.deleted_indexes.len() > MAX_DELETED {
            let excess = cluster.deleted_indexes.len() - MAX_DELETED;
            cluster.deleted_indexes.drain(..excess);
        }
        Ok(())
    })?;
    Ok(json::empty(StatusCode::NO_CONTENT))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_names() {
        assert_eq!(day_name(0), "1970.01.01");
        assert_eq!(day_name(1_745_971_200_000), "2025.04.30");
    }
}
