//! `/_mock/...`: test-only controls. They need an accepted bearer token exactly like `/v2`
//! (the same `--token` list, checked by the same gateway, answering the same 401), because
//! `/_mock/state` returns every cluster's password and `/_mock/reset` wipes the store. They
//! are never logged and never counted against a rate-limit budget: they are not API traffic.
//!
//! - `POST /_mock/reset` → 204: forget clusters, tags, faults, the request log, rate-limit
//!   counters, and restore the start-up settings.
//! - `GET /_mock/requests` → `{"requests": [...]}`; `DELETE /_mock/requests` → 204.
//! - `GET /_mock/settings`; `PATCH /_mock/settings` (JSON merge patch) → the full settings.
//! - `POST /_mock/faults` → 201 with the fault; `GET /_mock/faults` → `{"faults": [...]}`;
//!   `DELETE /_mock/faults` → 204; `DELETE /_mock/faults/{id}` → 204.
//! - `GET /_mock/state` → every cluster as the API shows it plus its children and settings
//!   (secrets included), the tags, and `overlapping_mutations`. With `--real-engines`, each
//!   cluster's `server` says where its real server listens and whether it is `starting`,
//!   `ready` or `failed` (with the reason); `null` for simulated clusters; `real_engines`
//!   names the servers' data directory.
//! - `GET /_mock/ui` → a read-only HTML dashboard (see [`super::ui`]), secrets masked.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use serde::Serialize;
use serde_json::{json, Value};

use super::app::{lock, App};
use super::request_log::LoggedRequest;
use super::{clusters, engine_config, firewall, pools, topics, users};

pub fn routes(app: Arc<App>) -> Router {
    Router::new()
        .route("/_mock/reset", post(reset))
        .route("/_mock/requests", get(requests).delete(clear_requests))
        .route("/_mock/settings", get(settings).patch(patch_settings))
        .route(
            "/_mock/faults",
            get(faults).post(add_fault).delete(clear_faults),
        )
        .route("/_mock/faults/:id", delete(remove_fault))
        .route("/_mock/state", get(state))
        .route("/_mock/ui", get(super::ui::page))
        .fallback(|| async { control_error(StatusCode::NOT_FOUND, "no such control") })
        .with_state(app)
}

fn control_error(status: StatusCode, message: impl Into<String>) -> Response {
    let id = super::error::error_id(status);
    (status, Json(json!({"id": id, "message": message.into()}))).into_response()
}

fn parse_body(bytes: &Bytes) -> Result<Value, String> {
    serde_json::from_slice(bytes).map_err(|e| format!("invalid JSON body: {e}"))
}

async fn reset(State(app): State<Arc<App>>) -> Response {
    app.reset();
    if let Err(error) = app.persist().await {
        return control_error(StatusCode::INTERNAL_SERVER_ERROR, format!("{error:#}"));
    }
    StatusCode::NO_CONTENT.into_response()
}

/// `GET /_mock/requests`, serialized straight from the log (no intermediate JSON tree).
#[derive(Serialize)]
struct Requests<'a> {
    requests: Vec<&'a LoggedRequest>,
}

async fn requests(State(app): State<Arc<App>>) -> Response {
    let log = lock(&app.log);
    Json(Requests {
        requests: log.entries().collect(),
    })
    .into_response()
}

async fn clear_requests(State(app): State<Arc<App>>) -> StatusCode {
    lock(&app.log).clear();
    StatusCode::NO_CONTENT
}

async fn settings(State(app): State<Arc<App>>) -> Response {
    Json(app.settings()).into_response()
}

async fn patch_settings(State(app): State<Arc<App>>, body: Bytes) -> Response {
    let update = parse_body(&body).and_then(|patch| app.update_settings(&patch));
    match update {
        Ok(settings) => Json(settings).into_response(),
        Err(message) => control_error(StatusCode::BAD_REQUEST, message),
    }
}

async fn faults(State(app): State<Arc<App>>) -> Response {
    Json(json!({ "faults": lock(&app.faults).list() })).into_response()
}

async fn add_fault(State(app): State<Arc<App>>, body: Bytes) -> Response {
    let added = parse_body(&body).and_then(|body| lock(&app.faults).add(&body));
    match added {
        Ok(fault) => (StatusCode::CREATED, Json(fault)).into_response(),
        Err(message) => control_error(StatusCode::BAD_REQUEST, message),
    }
}

async fn clear_faults(State(app): State<Arc<App>>) -> StatusCode {
    lock(&app.faults).clear();
    StatusCode::NO_CONTENT
}

async fn remove_fault(State(app): State<Arc<App>>, Path(id): Path<String>) -> Response {
    if lock(&app.faults).remove(&id) {
        StatusCode::NO_CONTENT.into_response()
    } else {
        control_error(StatusCode::NOT_FOUND, format!("no fault {id:?}"))
    }
}

async fn state(State(app): State<Arc<App>>) -> Response {
    let overlapping_mutations = lock(&app.mutations).overlaps();
    let body = app.read(|store| {
        let account = &store.data.account;
        let clusters: Vec<Value> = store
            .data
            .clusters
            .iter()
            .map(|cluster| {
                json!({
                    "database": clusters::render(cluster, account),
                    "config": engine_config::effective(cluster),
                    "eviction_policy": clusters::eviction_policy(cluster),
                    "sql_mode": clusters::sql_mode(cluster),
                    "autoscale": cluster.autoscale,
                    "do_settings": {"service_cnames": cluster.service_cnames},
                    "firewall_rules": firewall::render_rules(cluster),
                    "users": users::render_users(cluster),
                    "dbs": users::render_dbs(cluster),
                    "pools": cluster.pools.iter().map(|p| pools::render(cluster, account, p)).collect::<Vec<_>>(),
                    "topics": cluster.topics.iter().map(topics::render).collect::<Vec<_>>(),
                    "server": app.backing.as_ref().and_then(|backing| backing.describe(cluster)),
                })
            })
            .collect();
        json!({
            "account": account,
            "clusters": clusters,
            "tags": store.data.tags,
            "overlapping_mutations": overlapping_mutations,
            "real_engines": app.backing.as_ref().map(|backing| json!({
                "data_dir": backing.data_dir().display().to_string(),
            })),
        })
    });
    Json(body).into_response()
}
