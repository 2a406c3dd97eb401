//! Read-only replicas (`…/replicas`, contract `databases_*_replica`): PostgreSQL and MySQL
//! only. A replica is `forking` for the provision delay, then `online` (the contract's "will
//! transition to `active`" names a status its own enum lacks); promoting an online replica
//! makes it a standalone cluster with the replica's ID, name, size and region.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, put};
use axum::{Extension, Router};
use serde_json::{json, Value};

use super::model::{record_event, Replica, SchemaRegistry};
use super::unsupported;
use crate::mock::app::App;
use crate::mock::catalogue::{base_storage_mib, catalogue, size_memory_gib};
use crate::mock::clusters::{
    check_storage, connection, dedup, optional_uuid, parse_service_cnames, validate_cluster_name,
};
use crate::mock::error::{ApiError, ApiResult};
use crate::mock::gateway::RequestCtx;
use crate::mock::json::{self, Object};
use crate::mock::store::{timestamp, Account, Cluster, ClusterStatus, FirewallRule, Store};
use crate::mock::tags;

pub fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/v2/databases/:id/replicas", get(list).post(create))
        .route(
            "/v2/databases/:id/replicas/:name",
            get(show).delete(destroy),
        )
        .route("/v2/databases/:id/replicas/:name/promote", put(promote))
}

/// Replicas exist for PostgreSQL and MySQL (the contract: "To create a read-only replica for
/// a PostgreSQL or MySQL database cluster"; "not supported for Caching or Valkey clusters").
fn replicable(cluster: &Cluster) -> ApiResult<&Cluster> {
    if cluster.engine.is_postgres() || cluster.engine.is_mysql() {
        Ok(cluster)
    } else {
        Err(unsupported(
            cluster,
            "read-only replicas need a PostgreSQL or MySQL cluster",
        ))
    }
}

/// The replica as the API returns it (`database_replica_read`). Replicas answer with the
/// primary's users, so the connections carry the primary user's password.
pub fn render(primary: &Cluster, account: &Account, replica: &Replica) -> Value {
    let host = format!(
        "{}-do-user-{}-0.{}.db.ondigitalocean.com",
        replica.name, account.user_number, account.host_suffix
    );
    let engine = primary.engine;
    let admin = primary.admin();
    let port = primary.connection_port();
    // With a real server, a replica answers on its primary's server (127.0.0.1).
    let replica_connection = |host: &str| {
        let host = if primary.real_server.is_some() {
            super::super::store::REAL_SERVER_HOST
        } else {
            host
        };
        connection(primary, host, port, admin, "", engine.default_db())
    };
    let mut out = json!({
        "id": replica.id,
        "name": replica.name,
        "region": replica.region,
        "size": replica.size,
        "status": replica.status.as_str(),
        "tags": replica.tags,
        "created_at": replica.created_at,
        "private_network_uuid": replica.private_network_uuid,
        "connection": replica_connection(&host),
        "private_connection": replica_connection(&format!("private-{host}")),
        "storage_size_mib": replica.storage_size_mib,
    });
    if !replica.service_cnames.is_empty() {
        out["do_settings"] = json!({ "service_cnames": replica.service_cnames });
    }
    out
}

fn find<'a>(cluster: &'a Cluster, name: &str) -> ApiResult<&'a Replica> {
    cluster
        .replicas
        .iter()
        .find(|r| r.name == name)
        .ok_or_else(ApiError::not_found)
}

async fn list(State(app): State<Arc<App>>, Path(id): Path<String>) -> ApiResult<Response> {
    let replicas = app.read(|store| {
        let cluster = replicable(store.cluster(&id)?)?;
        Ok::<_, ApiError>(
            cluster
                .replicas
                .iter()
                .map(|r| render(cluster, &store.data.account, r))
                .collect::<Vec<_>>(),
        )
    })?;
    Ok(json::respond(
        StatusCode::OK,
        json!({ "replicas": replicas }),
    ))
}

async fn show(
    State(app): State<Arc<App>>,
    Path((id, name)): Path<(String, String)>,
) -> ApiResult<Response> {
    let replica = app.read(|store| {
        let cluster = replicable(store.cluster(&id)?)?;
        find(cluster, &name).map(|r| render(cluster, &store.data.account, r))
    })?;
    Ok(json::respond(StatusCode::OK, json!({ "replica": replica })))
}

/// What a create request asks for; checked against the primary in the store.
struct ReplicaRequest {
    name: String,
    region: Option<String>,
    size: String,
    storage_size_mib: Option<i64>,
    private_network_uuid: Option<String>,
    tags: Vec<String>,
    service_cnames: Vec<String>,
}

fn parse_create(body: &Object) -> ApiResult<ReplicaRequest> {
    let name = json::required_str(body, "name", "name")?;
    validate_cluster_name(name)?;
    let size = json::required_str(body, "size", "size")?;
    let region = json::optional_str(body, "region", "region")?.filter(|r| !r.is_empty());
    let storage_size_mib = json::optional_int(body, "storage_size_mib", "storage_size_mib")?;
    let private_network_uuid = optional_uuid(
        json::optional_str(body, "private_network_uuid", "private_network_uuid")?,
        "private_network_uuid",
    )?;
    let tags = json::optional_str_array(body, "tags", "tags")?.unwrap_or_default();
    for (i, tag) in tags.iter().enumerate() {
        tags::validate_tag_name(tag, &format!("tags[{i}]"))?;
    }
    let service_cnames = match json::optional_object(body, "do_settings", "do_settings")? {
        Some(settings) => parse_service_cnames(settings, "do_settings")?,
        None => Vec::new(),
    };
    Ok(ReplicaRequest {
        name: name.to_string(),
        region: region.map(str::to_string),
        size: size.to_string(),
        storage_size_mib,
        private_network_uuid,
        tags: dedup(&tags),
        service_cnames,
    })
}

/// Replica names become host names next to the clusters', so they share one namespace.
fn name_taken(store: &Store, name: &str) -> bool {
    store
        .data
        .clusters
        .iter()
        .any(|c| c.name == name || c.replicas.iter().any(|r| r.name == name))
}

async fn create(
    State(app): State<Arc<App>>,
    Extension(ctx): Extension<RequestCtx>,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<Response> {
    // The contract does not mark this body required, but name and size are.
    let request = parse_create(&json::parse_object(&body)?)?;
    let replica = app.write(|store| {
        let primary = replicable(store.cluster(&id)?)?;
        primary.require_online("create replica")?;
        let engine = primary.engine;
        let region = request.region.clone().unwrap_or_else(|| primary.region.clone());
        catalogue().check_region(engine, &region)?;
        catalogue().check_layout(engine, 1, &request.size)?;
        if size_memory_gib(&request.size) < size_memory_gib(&primary.size) {
            return Err(ApiError::unprocessable(format!(
                "size: a replica must be at least as large as its primary's nodes ({}), not {}",
                primary.size, request.size
            )));
        }
        let storage_size_mib = match request.storage_size_mib {
            Some(storage) => check_storage(&request.size, storage, Some(primary.storage_size_mib))?,
            None => primary.storage_size_mib.max(base_storage_mib(&request.size)),
        };
        if name_taken(store, &request.name) {
            return Err(ApiError::unprocessable(format!(
                "replica name is not available: a database cluster or replica named {:?} already exists",
                request.name
            )));
        }
        let now = store.now_ms;
        let replica_id = store.ids.uuid();
        let private_network_uuid = match &request.private_network_uuid {
            Some(vpc) => vpc.clone(),
            None => store.default_vpc(&region),
        };
        store.register_tags(&request.tags);
        let replica = Replica {
            id: replica_id,
            name: request.name.clone(),
            region,
            size: request.size.clone(),
            storage_size_mib,
            private_network_uuid,
            tags: request.tags.clone(),
            service_cnames: request.service_cnames.clone(),
            created_at: timestamp(now),
            status: ClusterStatus::Forking,
            status_since_ms: now,
            settles: !ctx.never_settles,
        };
        let account = store.data.account.clone();
        let primary = store.cluster_mut(&id)?;
        let rendered = render(primary, &account, &replica);
        primary.replicas.push(replica);
        Ok(rendered)
    })?;
    Ok(json::respond(
        StatusCode::CREATED,
        json!({ "replica": replica }),
    ))
}

/// `PUT /v2/databases/{replica_id}/resize` (served by the cluster resize route): a replica is
/// resized like a cluster of one node, by its own UUID, as DigitalOcean's provider does it (the
/// contract has no replica resize path). It is `resizing` for the provision delay, with the
/// new size and storage at once. `None` when no replica has this ID.
pub fn resize(
    store: &mut Store,
    replica_id: &str,
    size: &str,
    num_nodes: i64,
    storage: Option<i64>,
    settles: bool,
) -> Option<ApiResult<()>> {
    let primary_id = store
        .data
        .clusters
        .iter()
        .find(|c| c.replicas.iter().any(|r| r.id == replica_id))?
        .id
        .clone();
    let now = store.now_ms;
    let checked = (|| {
        let primary = store.cluster(&primary_id)?;
        let replica = primary
            .replicas
            .iter()
            .find(|r| r.id == replica_id)
            .ok_or_else(ApiError::not_found)?;
        if replica.status != ClusterStatus::Online {
            return Err(ApiError::new(
                StatusCode::PRECONDITION_FAILED,
                format!(
                    "resize replica cannot be performed. Reason: replica is {}",
                    replica.status.as_str()
                ),
            ));
        }
        if num_nodes != 1 {
            return Err(ApiError::unprocessable(format!(
                "num_nodes: a read-only replica has exactly one node, not {num_nodes}"
            )));
        }
        catalogue().check_layout(primary.engine, 1, size)?;
        if size_memory_gib(size) < size_memory_gib(&primary.size) {
            return Err(ApiError::unprocessable(format!(
                "size: a replica must be at least as large as its primary's nodes ({}), not {size}",
                primary.size
            )));
        }
        match storage {
            Some(storage) => check_storage(size, storage, Some(replica.storage_size_mib)),
            None => Ok(replica.storage_size_mib.max(base_storage_mib(size))),
        }
    })();
    Some(checked.and_then(|storage_size_mib| {
        let replica = store
            .cluster_mut(&primary_id)?
            .replicas
            .iter_mut()
            .find(|r| r.id == replica_id)
            .ok_or_else(ApiError::not_found)?;
        replica.size = size.to_string();
        replica.storage_size_mib = storage_size_mib;
        replica.status = ClusterStatus::Resizing;
        replica.status_since_ms = now;
        replica.settles = settles;
        Ok(())
    }))
}

async fn destroy(
    State(app): State<Arc<App>>,
    Path((id, name)): Path<(String, String)>,
) -> ApiResult<Response> {
    app.write(|store| {
        replicable(store.cluster(&id)?)?;
        find(store.cluster(&id)?, &name)?;
        store.cluster_mut(&id)?.replicas.retain(|r| r.name != name);
        Ok(())
    })?;
    Ok(json::empty(StatusCode::NO_CONTENT))
}

/// `PUT …/replicas/{name}/promote` → 204: the replica leaves its primary and becomes a
/// cluster of one node, online at once, with the primary's engine, version, users, databases,
/// configuration and trusted sources (a replica is a copy of its primary).
async fn promote(
    State(app): State<Arc<App>>,
    Path((id, name)): Path<(String, String)>,
) -> ApiResult<Response> {
    // With `--real-engines`, the promoted cluster gets a server of its own (started before
    // the answer: it is online at once), with the primary's users and databases.
    let engine = app.read(|store| store.cluster(&id).map(|c| c.engine))?;
    let real_server = match &app.backing {
        Some(backing) => backing.allocate(engine)?,
        None => None,
    };
    app.write(|store| {
        let primary = replicable(store.cluster(&id)?)?;
        let replica = find(primary, &name)?.clone();
        if replica.status != ClusterStatus::Online {
            return Err(ApiError::new(
                StatusCode::PRECONDITION_FAILED,
                format!(
                    "promote replica cannot be performed. Reason: replica is {}",
                    replica.status.as_str()
                ),
            ));
        }
        let now = store.now_ms;
        let primary = primary.clone();
        let firewall_rules: Vec<FirewallRule> = primary
            .firewall_rules
            .iter()
            .map(|rule| FirewallRule {
                uuid: store.ids.uuid(),
                ..rule.clone()
            })
            .collect();
        let mut promoted = Cluster {
            id: replica.id.clone(),
            name: replica.name.clone(),
            engine: primary.engine,
            version: primary.version.clone(),
            num_nodes: 1,
            size: replica.size.clone(),
            region: replica.region.clone(),
            created_at: replica.created_at.clone(),
            private_network_uuid: replica.private_network_uuid.clone(),
            project_id: primary.project_id.clone(),
            tags: replica.tags.clone(),
            storage_size_mib: replica.storage_size_mib,
            status: ClusterStatus::Online,
            status_since_ms: now,
            settles: true,
            pending: None,
            users: primary.users.clone(),
            dbs: primary.dbs.clone(),
            pools: Vec::new(),
            topics: Vec::new(),
            firewall_rules,
            maintenance: primary.maintenance.clone(),
            config: primary.config.clone(),
            autoscale: primary.autoscale.clone(),
            service_cnames: replica.service_cnames.clone(),
            replicas: Vec::new(),
            log_sinks: Vec::new(),
            online_migration: None,
            events: Vec::new(),
            schema_registry: SchemaRegistry::default(),
            deleted_indexes: Vec::new(),
            real_server,
            server_ready: false,
        };
        record_event(&mut promoted, "cluster_master_promotion", now);
        store.cluster_mut(&id)?.replicas.retain(|r| r.name != name);
        store.data.clusters.push(promoted);
        Ok(())
    })?;
    Ok(json::empty(StatusCode::NO_CONTENT))
}
