//! Online migration (`…/online-migration`, contract `databases_*_onlineMigration` and
//! `databases_get_migrationStatus`): copying an existing database into the cluster, for
//! MySQL, PostgreSQL, Caching and Valkey clusters only.
//!
//! A migration is `running` (the status of the contract's example answer to the start) for the
//! transition delay, then `syncing` for another, then `done`; stopping it while it is in
//! progress makes it `canceled`. Only the most recent migration is kept, as the GET reports.
//! The source's password is used and forgotten: no answer carries it.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{delete, get};
use axum::{Extension, Router};
use serde_json::{json, Value};

use super::model::{MigrationSource, MigrationStatus, OnlineMigration};
use super::unsupported;
use crate::mock::app::App;
use crate::mock::error::{ApiError, ApiResult};
use crate::mock::gateway::RequestCtx;
use crate::mock::json::{self, Object};
use crate::mock::pools::require_provisioned;
use crate::mock::store::{timestamp, Cluster};

pub fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/v2/databases/:id/online-migration", get(show).put(start))
        .route(
            "/v2/databases/:id/online-migration/:migration",
            delete(stop),
        )
}

fn migratable(cluster: &Cluster) -> ApiResult<&Cluster> {
    let engine = cluster.engine;
    if engine.is_postgres() || engine.is_mysql() || engine.is_caching() {
        Ok(cluster)
    } else {
        Err(unsupported(
            cluster,
            "online migration needs a MySQL, PostgreSQL, Caching or Valkey cluster",
        ))
    }
}

fn render(migration: &OnlineMigration) -> Value {
    json!({
        "id": migration.id,
        "status": migration.status.as_str(),
        "created_at": migration.created_at,
    })
}

async fn show(State(app): State<Arc<App>>, Path(id): Path<String>) -> ApiResult<Response> {
    let migration = app.read(|store| {
        let cluster = migratable(store.cluster(&id)?)?;
        cluster
            .online_migration
            .as_ref()
            .map(render)
            .ok_or_else(|| ApiError::not_found_because("the cluster has no online migration"))
    })?;
    Ok(json::respond(StatusCode::OK, migration))
}

/// Validates `source_database`: `source` is required; the contract requires nothing inside it,
/// but a migration cannot start without the host to copy from.
fn parse_source(body: &Object) -> ApiResult<MigrationSource> {
    let source = json::optional_object(body, "source", "source")?
        .ok_or_else(|| ApiError::unprocessable("source is required"))?;
    let host = json::required_str(source, "host", "source.host")?;
    let port = json::optional_int(source, "port", "source.port")?;
    if let Some(port) = port.filter(|p| !(1..=65535).contains(p)) {
        return Err(ApiError::unprocessable(format!(
            "source.port must be between 1 and 65535, got {port}"
        )));
    }
    let dbname = json::optional_str(source, "dbname", "source.dbname")?;
    let username = json::optional_str(source, "username", "source.username")?;
    json::optional_str(source, "password", "source.password")?;
    let disable_ssl = json::optional_bool(body, "disable_ssl", "disable_ssl")?.unwrap_or(false);
    let ignore_dbs =
        json::optional_str_array(body, "ignore_dbs", "ignore_dbs")?.unwrap_or_default();
    Ok(MigrationSource {
        host: host.to_string(),
        port,
        dbname: dbname.map(str::to_string),
        username: username.map(str::to_string),
        disable_ssl,
        ignore_dbs,
    })
}

async fn start(
    State(app): State<Arc<App>>,
    Extension(ctx): Extension<RequestCtx>,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<Response> {
    let source = parse_source(&json::parse_object(&body)?)?;
    let migration = app.write(|store| {
        let now = store.now_ms;
        let migration_id = store.ids.uuid();
        let cluster = migratable(store.cluster(&id)?)?;
        require_provisioned(cluster, "start online migration")?;
        if let Some(current) = cluster
            .online_migration
            .as_ref()
            .filter(|m| m.status.in_progress())
        {
            return Err(ApiError::new(
                StatusCode::PRECONDITION_FAILED,
                format!(
                    "start online migration cannot be performed. Reason: online migration {} is {}",
                    current.id,
                    current.status.as_str()
                ),
            ));
        }
        let migration = OnlineMigration {
            id: migration_id,
            status: MigrationStatus::Running,
            status_since_ms: now,
            settles: !ctx.never_settles,
            created_at: timestamp(now),
            source,
        };
        let rendered = render(&migration);
        store.cluster_mut(&id)?.online_migration = Some(migration);
        Ok(rendered)
    })?;
    Ok(json::respond(StatusCode::OK, migration))
}

/// `DELETE …/online-migration/{id}` → 204: a migration in progress is `canceled`; stopping
/// one that already ended changes nothing. Another ID than the latest migration's is 404.
async fn stop(
    State(app): State<Arc<App>>,
    Path((id, migration_id)): Path<(String, String)>,
) -> ApiResult<Response> {
    app.write(|store| {
        let now = store.now_ms;
        migratable(store.cluster(&id)?)?;
        let cluster = store.cluster_mut(&id)?;
        let migration = cluster
            .online_migration
            .as_mut()
            .filter(|m| m.id == migration_id)
            .ok_or_else(ApiError::not_found)?;
        if migration.status.in_progress() {
            migration.status = MigrationStatus::Canceled;
            migration.status_since_ms = now;
        }
        Ok(())
    })?;
    Ok(json::empty(StatusCode::NO_CONTENT))
}
