//! What a cluster did: its backups (`…/backups`, contract `databases_list_backups`) and its
//! events (`…/events`, `databases_list_events_logs`). Both are read-only.
//!
//! Backups follow from the clock: the first is taken when the cluster comes online (its
//! `created_at` plus the provision delay), then one every 24 hours at that time of day
//! (`scheduled_backup_time`), and the last seven are kept. A cluster still `creating` or
//! `forking` has none. Caching and Valkey clusters have no backups (contract: "Backups are
//! not supported for Caching or Valkey clusters"). `incremental` is only reported for MySQL,
//! the only engine the contract says has it; these daily backups are full ones.
//!
//! Events: `cluster_create` at `created_at`, then what was recorded as it happened:
//! `cluster_update` (resize, migrate, upgrade), `cluster_maintenance_perform`
//! (install_update) and `cluster_master_promotion` (a promoted replica's first event).

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde_json::{json, Value};

use super::model::short_id;
use super::unsupported;
use crate::mock::app::App;
use crate::mock::error::ApiResult;
use crate::mock::json;
use crate::mock::store::{timestamp, Cluster, ClusterStatus};

const DAY_MS: u64 = 24 * 60 * 60 * 1000;
/// Backups kept (DigitalOcean keeps seven days of daily backups).
const KEPT_BACKUPS: u64 = 7;

pub fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/v2/databases/:id/backups", get(backups))
        .route("/v2/databases/:id/events", get(events))
}

/// Milliseconds since the epoch of an RFC 3339 timestamp the store wrote.
fn parse_ms(at: &str) -> u64 {
    time::OffsetDateTime::parse(at, &time::format_description::well_known::Rfc3339)
        .map(|t| {
            u64::try_from(t.unix_timestamp())
                .unwrap_or(0)
                .saturating_mul(1000)
        })
        .unwrap_or(0)
}

/// The backups list of `cluster` at `now_ms`.
pub fn render_backups(cluster: &Cluster, now_ms: u64, provision_delay_ms: u64) -> Value {
    let first = parse_ms(&cluster.created_at)
        .saturating_add(provision_delay_ms)
        .min(now_ms);
    let provisioning = matches!(
        cluster.status,
        ClusterStatus::Creating | ClusterStatus::Forking
    );
    let taken = if provisioning {
        0
    } else {
        (now_ms - first) / DAY_MS + 1
    };
    let backups: Vec<Value> = (taken.saturating_sub(KEPT_BACKUPS)..taken)
        .map(|n| {
            let mut backup = json!({
                "created_at": timestamp(first + n * DAY_MS),
                // A little more data every day.
                "size_gigabytes": (3_357_696 + n * 7_168) as f64 / 1e8,
            });
            if cluster.engine.is_mysql() {
                backup["incremental"] = json!(false);
            }
            backup
        })
        .collect();
    let time_of_day = (first % DAY_MS) / 60_000;
    json!({
        "backups": backups,
        "scheduled_backup_time": {
            "backup_hour": time_of_day / 60,
            "backup_minute": time_of_day % 60,
            "backup_interval_hours": 24,
        },
    })
}

async fn backups(State(app): State<Arc<App>>, Path(id): Path<String>) -> ApiResult<Response> {
    let provision_delay_ms = app.settings().provision_delay_ms;
    let body = app.read(|store| {
        let cluster = store.cluster(&id)?;
        if cluster.engine.is_caching() {
            return Err(unsupported(
                cluster,
                "backups are not supported for Caching or Valkey clusters",
            ));
        }
        Ok(render_backups(cluster, store.now_ms, provision_delay_ms))
    })?;
    Ok(json::respond(StatusCode::OK, body))
}

pub fn render_events(cluster: &Cluster) -> Vec<Value> {
    let created = json!({
        "id": short_id(&cluster.id, 0),
        "cluster_name": cluster.name,
        "event_type": "cluster_create",
        "create_time": cluster.created_at,
    });
    std::iter::once(created)
        .chain(cluster.events.iter().map(|event| {
            json!({
                "id": event.id,
                "cluster_name": cluster.name,
                "event_type": event.event_type,
                "create_time": event.create_time,
            })
        }))
        .collect()
}

async fn events(State(app): State<Arc<App>>, Path(id): Path<String>) -> ApiResult<Response> {
    let events = app.read(|store| store.cluster(&id).map(render_events))?;
    Ok(json::respond(StatusCode::OK, json!({ "events": events })))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mock::engine::Engine;
    use crate::mock::store::sample_cluster;

    #[test]
    fn a_backup_a_day_the_last_seven_kept() {
        let mut cluster = sample_cluster("c");
        cluster.created_at = timestamp(DAY_MS);
        let start = DAY_MS + 60_000;
        let list = |c: &Cluster, now: u64| render_backups(c, now, 60_000)["backups"].clone();
        assert_eq!(list(&cluster, start).as_array().unwrap().len(), 1);
        assert_eq!(list(&cluster, start)[0]["created_at"], timestamp(start));
        assert!(list(&cluster, start)[0].get("incremental").is_none());
        assert_eq!(
            list(&cluster, start + DAY_MS - 1).as_array().unwrap().len(),
            1
        );
        assert_eq!(list(&cluster, start + DAY_MS).as_array().unwrap().len(), 2);
        let later = list(&cluster, start + 30 * DAY_MS);
        assert_eq!(later.as_array().unwrap().len(), 7);
        assert_eq!(later[6]["created_at"], timestamp(start + 30 * DAY_MS));
        let schedule = render_backups(&cluster, start, 60_000)["scheduled_backup_time"].clone();
        assert_eq!(
            schedule,
            json!({"backup_hour": 0, "backup_minute": 1, "backup_interval_hours": 24})
        );

        cluster.status = ClusterStatus::Creating;
        assert_eq!(list(&cluster, start + DAY_MS), json!([]));
        cluster.status = ClusterStatus::Online;
        cluster.engine = Engine::Mysql;
        assert_eq!(list(&cluster, start)[0]["incremental"], false);
    }
}
