//! PostgreSQL connection pools (contract §3.2). A pool needs an existing database and (when
//! given) user; pool sizes share the primary node's connection budget (25 per GiB of RAM,
//! 3 reserved), as the contract's description of `size` says.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde_json::{json, Value};

use super::app::App;
use super::catalogue::size_memory_gib;
use super::clusters::connection;
use super::error::{ApiError, ApiResult};
use super::json::{self, Object};
use super::store::{Account, Cluster, ClusterStatus, Pool};

/// PgBouncer listens next to PostgreSQL.
const POOL_PORT: u16 = 25061;
const MODES: [&str; 3] = ["session", "transaction", "statement"];

pub fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/v2/databases/:id/pools", get(list).post(create))
        .route(
            "/v2/databases/:id/pools/:name",
            get(show).put(update).delete(destroy),
        )
}

/// A pool as the API returns it; it connects as its user, or as the primary user when the pool
/// has none (then clients bring their own credentials).
pub fn render(cluster: &Cluster, account: &Account, pool: &Pool) -> Value {
    let user = pool
        .user
        .as_deref()
        .and_then(|name| cluster.user(name))
        .unwrap_or_else(|| cluster.admin());
    let port = cluster.pool_port(POOL_PORT);
    let pool_connection = |prefix: &str| {
        let host = cluster.connection_host(account, prefix);
        connection(cluster, &host, port, user, &pool.name, Some(&pool.name))
    };
    let mut out = json!({
        "name": pool.name,
        "mode": pool.mode,
        "size": pool.size,
        "db": pool.db,
        "connection": pool_connection(""),
        "private_connection": pool_connection("private-"),
    });
    if let Some(user) = &pool.user {
        out["user"] = json!(user);
    }
    if cluster.engine.has_standby(cluster.num_nodes) {
        out["standby_connection"] = pool_connection("replica-");
        out["standby_private_connection"] = pool_connection("private-replica-");
    }
    out
}

/// The answer real clusters give for pools on other engines.
fn unsupported(cluster: &Cluster) -> ApiError {
    ApiError::unprocessable(format!(
        "operation is not supported for this cluster type: connection pools need a PostgreSQL cluster, not {}",
        cluster.engine.slug()
    ))
}

fn pg_cluster(cluster: &Cluster) -> ApiResult<&Cluster> {
    if cluster.engine.is_postgres() {
        Ok(cluster)
    } else {
        Err(unsupported(cluster))
    }
}

/// Children cannot be changed before the cluster has been provisioned.
pub fn require_provisioned(cluster: &Cluster, operation: &str) -> ApiResult<()> {
    match cluster.status {
        ClusterStatus::Creating | ClusterStatus::Forking => Err(ApiError::new(
            StatusCode::PRECONDITION_FAILED,
            format!(
                "{operation} cannot be performed. Reason: cluster is {} and not ready yet",
                cluster.status.as_str()
            ),
        )),
        _ => Ok(()),
    }
}

/// The connections all pools of the cluster may use together.
fn connection_budget(cluster: &Cluster) -> i64 {
    let memory = i64::try_from(size_memory_gib(&cluster.size)).unwrap_or(i64::MAX / 25);
    (memory * 25 - 3).max(1)
}

/// The fields shared by create and update.
struct PoolSpec {
    mode: String,
    size: i64,
    db: String,
    user: Option<String>,
}

fn parse_spec(body: &Object) -> ApiResult<PoolSpec> {
    let mode = json::required_str(body, "mode", "mode")?;
    if !MODES.contains(&mode) {
        return Err(ApiError::unprocessable(format!(
            "mode: {mode:?} is not a pool mode; allowed values: {}",
            MODES.join(", ")
        )));
    }
    let size = json::required_int(body, "size", "size")?;
    if size < 1 {
        return Err(ApiError::unprocessable(format!(
            "size must be at least 1, got {size}"
        )));
    }
    let db = json::required_str(body, "db", "db")?;
    let user = json::optional_str(body, "user", "user")?.filter(|u| !u.is_empty());
    Ok(PoolSpec {
        mode: mode.to_string(),
        size,
        db: db.to_string(),
        user: user.map(str::to_string),
    })
}

/// Checks the spec against the cluster; `replacing` is the pool being updated.
fn check_spec(cluster: &Cluster, spec: &PoolSpec, replacing: Option<&str>) -> ApiResult<()> {
    if !cluster.dbs.contains(&spec.db) {
        return Err(ApiError::unprocessable(format!(
            "db: database {:?} does not exist in the cluster",
            spec.db
        )));
    }
    if let Some(user) = &spec.user {
        if cluster.user(user).is_none() {
            return Err(ApiError::unprocessable(format!(
                "user: user {user:?} does not exist in the cluster"
            )));
        }
    }
    let budget = connection_budget(cluster);
    let others: i64 = cluster
        .pools
        .iter()
        .filter(|p| Some(p.name.as_str()) != replacing)
        .map(|p| p.size)
        .sum();
    if others + spec.size > budget {
        return Err(ApiError::unprocessable(format!(
            "size: the cluster's pools may use {budget} connections together; {others} are used by \
             other pools, so this pool can have at most {}",
            (budget - others).max(0)
        )));
    }
    Ok(())
}

fn check_pool_name(name: &str) -> ApiResult<()> {
    let valid = (3..=60).contains(&name.chars().count())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if valid {
        Ok(())
    } else {
        Err(ApiError::unprocessable(format!(
            "name: {name:?} is invalid; pool names have 3 to 60 letters, digits, '-' or '_'"
        )))
    }
}

async fn list(State(app): State<Arc<App>>, Path(id): Path<String>) -> ApiResult<Response> {
    let pools = app.read(|store| {
        let cluster = pg_cluster(store.cluster(&id)?)?;
        Ok::<_, ApiError>(
            cluster
                .pools
                .iter()
                .map(|p| render(cluster, &store.data.account, p))
                .collect::<Vec<_>>(),
        )
    })?;
    Ok(json::respond(StatusCode::OK, json!({ "pools": pools })))
}

async fn show(
    State(app): State<Arc<App>>,
    Path((id, name)): Path<(String, String)>,
) -> ApiResult<Response> {
    let pool = app.read(|store| {
        let cluster = pg_cluster(store.cluster(&id)?)?;
        cluster
            .pools
            .iter()
            .find(|p| p.name == name)
            .map(|p| render(cluster, &store.data.account, p))
            .ok_or_else(ApiError::not_found)
    })?;
    Ok(json::respond(StatusCode::OK, json!({ "pool": pool })))
}

async fn create(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<Response> {
    let body = json::parse_object(&body)?;
    let name = json::required_str(&body, "name", "name")?.to_string();
    check_pool_name(&name)?;
    let spec = parse_spec(&body)?;
    let pool = app.write(|store| {
        let cluster = pg_cluster(store.cluster(&id)?)?;
        require_provisioned(cluster, "create connection pool")?;
        if cluster.pools.iter().any(|p| p.name == name) {
            return Err(ApiError::unprocessable(format!(
                "pool name is not available: a pool named {name:?} already exists"
            )));
        }
        check_spec(cluster, &spec, None)?;
        let pool = Pool {
            name,
            mode: spec.mode,
            size: spec.size,
            db: spec.db,
            user: spec.user,
        };
        let rendered = render(cluster, &store.data.account, &pool);
        store.cluster_mut(&id)?.pools.push(pool);
        Ok(rendered)
    })?;
    Ok(json::respond(StatusCode::CREATED, json!({ "pool": pool })))
}

async fn update(
    State(app): State<Arc<App>>,
    Path((id, name)): Path<(String, String)>,
    body: Bytes,
) -> ApiResult<Response> {
    let spec = parse_spec(&json::parse_object(&body)?)?;
    app.write(|store| {
        let cluster = pg_cluster(store.cluster(&id)?)?;
        require_provisioned(cluster, "update connection pool")?;
        if !cluster.pools.iter().any(|p| p.name == name) {
            return Err(ApiError::not_found());
        }
        check_spec(cluster, &spec, Some(&name))?;
        let pool = store
            .cluster_mut(&id)?
            .pools
            .iter_mut()
            .find(|p| p.name == name)
            .expect("checked above");
        pool.mode = spec.mode;
        pool.size = spec.size;
        pool.db = spec.db;
        pool.user = spec.user;
        Ok(())
    })?;
    Ok(json::empty(StatusCode::NO_CONTENT))
}

async fn destroy(
    State(app): State<Arc<App>>,
    Path((id, name)): Path<(String, String)>,
) -> ApiResult<Response> {
    app.write(|store| {
        let cluster = store.cluster_mut(&id)?;
        pg_cluster(cluster)?;
        if !cluster.pools.iter().any(|p| p.name == name) {
            return Err(ApiError::not_found());
        }
        cluster.pools.retain(|p| p.name != name);
        Ok(())
    })?;
    Ok(json::empty(StatusCode::NO_CONTENT))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pool_names() {
        assert!(check_pool_name("backend-pool").is_ok());
        assert!(check_pool_name("ab").is_err());
        assert!(check_pool_name(&"a".repeat(61)).is_err());
        assert!(check_pool_name("has space").is_err());
    }

    #[test]
    fn spec_validation_names_the_field() {
        let parse = |v: Value| parse_spec(v.as_object().unwrap()).err().map(|e| e.message);
        assert!(parse(json!({"mode": "transaction", "size": 10, "db": "defaultdb"})).is_none());
        assert!(parse(json!({"mode": "pooling", "size": 10, "db": "d"}))
            .unwrap()
            .contains("mode"));
        assert!(parse(json!({"mode": "session", "size": 0, "db": "d"}))
            .unwrap()
            .contains("size"));
        assert!(parse(json!({"mode": "session", "size": 1}))
            .unwrap()
            .contains("db"));
    }
}
