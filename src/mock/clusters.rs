//! Database clusters (contract §3.1): list/create/get/delete, resize, migrate, upgrade,
//! maintenance, eviction policy, SQL mode, CA, autoscale, DO settings, and the options
//! catalogue.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, put};
use axum::{Extension, Router};
use regex::Regex;
use serde_json::{json, Map, Value};

use super::app::App;
use super::catalogue::{base_storage_mib, catalogue, compare_versions, semantic_version};
use super::engine::{Engine, UriParts};
use super::engine_config;
use super::error::{ApiError, ApiResult};
use super::firewall;
use super::gateway::RequestCtx;
use super::json::{self, Object};
use super::ops::model::{record_event, SchemaRegistry};
use super::store::{
    now_ms, timestamp, Account, Cluster, ClusterStatus, DbUser, MaintenanceWindow, PendingChange,
    UserRole,
};
use super::tags;
use super::users;

/// Where a Kafka cluster's schema registry listens (`schema_registry_connection`).
const SCHEMA_REGISTRY_PORT: u16 = 25065;

/// When Caching (`redis`) cluster creates ended: "Caching cluster creates are no longer
/// supported as of 2025-04-30T00:00:00Z" (contract, `databases_create_cluster`).
const CACHING_CREATES_ENDED_MS: u64 = 1_745_971_200_000;

/// The project CA (the contract's example certificate, a real PEM), as the API returns it.
const CA_CERTIFICATE: &str = include_str!("ca_certificate.b64");

const DAYS: [&str; 7] = [
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];

/// Policies the eviction-policy endpoint accepts (underscore spelling, as in the contract).
const EVICTION_POLICIES: [&str; 6] = [
    "noeviction",
    "allkeys_lru",
    "allkeys_random",
    "volatile_lru",
    "volatile_random",
    "volatile_ttl",
];

/// MySQL 8's SQL modes.
const SQL_MODES: [&str; 21] = [
    "ALLOW_INVALID_DATES",
    "ANSI",
    "ANSI_QUOTES",
    "ERROR_FOR_DIVISION_BY_ZERO",
    "HIGH_NOT_PRECEDENCE",
    "IGNORE_SPACE",
    "NO_AUTO_VALUE_ON_ZERO",
    "NO_BACKSLASH_ESCAPES",
    "NO_DIR_IN_CREATE",
    "NO_ENGINE_SUBSTITUTION",
    "NO_UNSIGNED_SUBTRACTION",
    "NO_ZERO_DATE",
    "NO_ZERO_IN_DATE",
    "ONLY_FULL_GROUP_BY",
    "PAD_CHAR_TO_FULL_LENGTH",
    "PIPES_AS_CONCAT",
    "REAL_AS_FLOAT",
    "STRICT_ALL_TABLES",
    "STRICT_TRANS_TABLES",
    "TIME_TRUNCATE_FRACTIONAL",
    "TRADITIONAL",
];

pub fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/v2/databases", get(list).post(create))
        .route("/v2/databases/options", get(options))
        .route("/v2/databases/:id", get(show).delete(destroy))
        .route("/v2/databases/:id/resize", put(resize))
        .route("/v2/databases/:id/migrate", put(migrate))
        .route("/v2/databases/:id/upgrade", put(upgrade))
        .route("/v2/databases/:id/maintenance", put(maintenance))
        .route("/v2/databases/:id/install_update", put(install_update))
        .route(
            "/v2/databases/:id/eviction_policy",
            get(get_eviction_policy).put(put_eviction_policy),
        )
        .route(
            "/v2/databases/:id/sql_mode",
            get(get_sql_mode).put(put_sql_mode),
        )
        .route("/v2/databases/:id/ca", get(ca))
        .route(
            "/v2/databases/:id/autoscale",
            get(get_autoscale).put(put_autoscale),
        )
        .route(
            "/v2/databases/:id/do_settings",
            get(get_do_settings).put(put_do_settings),
        )
}

// ---- rendering ------------------------------------------------------------------------------

/// A `database_connection` object for `user` at `host:port`.
pub fn connection(
    cluster: &Cluster,
    host: &str,
    port: u16,
    user: &DbUser,
    database: &str,
    uri_database: Option<&str>,
) -> Value {
    let uri = cluster.engine.uri(&UriParts {
        user: &user.name,
        password: &user.password,
        host,
        port,
        database: uri_database,
        cluster_name: &cluster.name,
    });
    json!({
        "uri": uri,
        "database": database,
        "host": host,
        "port": port,
        "user": user.name,
        "password": user.password,
        "ssl": true,
    })
}

/// The cluster as the API returns it (`database_cluster_read`). Passwords are included in every
/// response, as in the contract's examples for create, get and list.
pub fn render(cluster: &Cluster, account: &Account) -> Value {
    let engine = cluster.engine;
    let admin = cluster.admin();
    let host = cluster.host(account);
    let default_db = engine.default_db();
    let port = cluster.connection_port();
    let cluster_connection = |prefix: &str| {
        let host = cluster.connection_host(account, prefix);
        connection(cluster, &host, port, admin, "", default_db)
    };
    let metrics_endpoints: Vec<Value> = (0..cluster.num_nodes)
        .map(|node| json!({"host": cluster.node_host(account, node), "port": 9273}))
        .collect();
    let mut out = json!({
        "id": cluster.id,
        "name": cluster.name,
        "engine": engine.slug(),
        "version": cluster.version,
        "semantic_version": semantic_version(engine, &cluster.version),
        "num_nodes": cluster.num_nodes,
        "size": cluster.size,
        "region": cluster.region,
        "status": cluster.status.as_str(),
        "created_at": cluster.created_at,
        "private_network_uuid": cluster.private_network_uuid,
        "project_id": cluster.project_id,
        "tags": if cluster.tags.is_empty() { Value::Null } else { json!(cluster.tags) },
        "db_names": if engine.supports_dbs() { json!(cluster.dbs) } else { Value::Null },
        "connection": cluster_connection(""),
        "private_connection": cluster_connection("private-"),
        "users": users::render_users(cluster),
        "maintenance_window": render_maintenance(&cluster.maintenance),
        "storage_size_mib": cluster.storage_size_mib,
        "metrics_endpoints": metrics_endpoints,
    });
    let fields = out.as_object_mut().expect("a cluster renders as an object");
    if engine.has_standby(cluster.num_nodes) {
        fields.insert("standby_connection".into(), cluster_connection("replica-"));
        fields.insert(
            "standby_private_connection".into(),
            cluster_connection("private-replica-"),
        );
    }
    if engine == Engine::Opensearch {
        let dashboard = format!("https://{}:{}@{host}:443", admin.name, admin.password);
        fields.insert(
            "ui_connection".into(),
            json!({
                "uri": dashboard,
                "host": host,
                "port": 443,
                "user": admin.name,
                "password": admin.password,
                "ssl": true,
            }),
        );
    }
    if engine == Engine::Kafka {
        fields.insert(
            "schema_registry_connection".into(),
            json!({
                "uri": format!("https://{}:{}@{host}:{SCHEMA_REGISTRY_PORT}", admin.name, admin.password),
                "host": host,
                "port": SCHEMA_REGISTRY_PORT,
                "user": admin.name,
                "password": admin.password,
                "ssl": true,
            }),
        );
    }
    if !cluster.firewall_rules.is_empty() {
        fields.insert("rules".into(), json!(firewall::render_rules(cluster)));
    }
    if let Some(availability) = catalogue().availability(engine, &cluster.version) {
        if let Some(eol) = &availability.end_of_life {
            fields.insert("version_end_of_life".into(), json!(eol));
        }
        if let Some(eoa) = &availability.end_of_availability {
            fields.insert("version_end_of_availability".into(), json!(eoa));
        }
    }
    if !cluster.service_cnames.is_empty() {
        fields.insert(
            "do_settings".into(),
            json!({"service_cnames": cluster.service_cnames}),
        );
    }
    out
}

fn render_maintenance(window: &MaintenanceWindow) -> Value {
    json!({
        "day": window.day,
        "hour": window.hour,
        "pending": window.pending,
        "description": window.description,
    })
}

/// The eviction policy of a Caching or Valkey cluster, in the endpoint's underscore spelling.
pub fn eviction_policy(cluster: &Cluster) -> Option<String> {
    let key = match cluster.engine {
        Engine::Redis => "redis_maxmemory_policy",
        Engine::Valkey => "valkey_maxmemory_policy",
        _ => return None,
    };
    engine_config::effective(cluster)
        .get(key)
        .and_then(Value::as_str)
        .map(|policy| policy.replace('-', "_"))
}

/// The SQL mode of a MySQL cluster.
pub fn sql_mode(cluster: &Cluster) -> Option<String> {
    if !cluster.engine.is_mysql() {
        return None;
    }
    engine_config::effective(cluster)
        .get("sql_mode")
        .and_then(Value::as_str)
        .map(str::to_string)
}

// ---- handlers -------------------------------------------------------------------------------

async fn options() -> Response {
    json::respond(StatusCode::OK, catalogue().response().clone())
}

async fn list(
    State(app): State<Arc<App>>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let tag = query.get("tag_name").filter(|t| !t.is_empty());
    let databases: Vec<Value> = app.read(|store| {
        store
            .data
            .clusters
            .iter()
            .filter(|c| tag.map_or(true, |tag| c.tags.contains(tag)))
            .map(|c| render(c, &store.data.account))
            .collect()
    });
    json::respond(StatusCode::OK, json!({ "databases": databases }))
}

async fn show(State(app): State<Arc<App>>, Path(id): Path<String>) -> ApiResult<Response> {
    let database = app.read(|store| store.cluster(&id).map(|c| render(c, &store.data.account)))?;
    Ok(json::respond(
        StatusCode::OK,
        json!({ "database": database }),
    ))
}

async fn destroy(State(app): State<Arc<App>>, Path(id): Path<String>) -> ApiResult<Response> {
    app.write(|store| {
        store.cluster(&id)?;
        store.data.clusters.retain(|c| c.id != id);
        Ok(())
    })?;
    Ok(json::empty(StatusCode::NO_CONTENT))
}

/// What a create request asks for, validated before the store is touched.
struct CreateRequest {
    name: String,
    engine: Engine,
    version: String,
    region: String,
    num_nodes: u32,
    size: String,
    storage_size_mib: Option<u64>,
    tags: Vec<String>,
    private_network_uuid: Option<String>,
    project_id: Option<String>,
    autoscale: Option<Value>,
    service_cnames: Vec<String>,
    rules: Vec<firewall::RuleInput>,
    restore_from: Option<String>,
}

fn parse_create(body: &Object) -> ApiResult<CreateRequest> {
    let name = json::required_str(body, "name", "name")?;
    validate_cluster_name(name)?;
    let engine = Engine::parse(json::required_str(body, "engine", "engine")?)?;
    refuse_caching_creates(engine, now_ms())?;
    let version =
        catalogue().check_version(engine, json::optional_str(body, "version", "version")?)?;
    let region = json::required_str(body, "region", "region")?;
    catalogue().check_region(engine, region)?;
    let num_nodes = json::required_int(body, "num_nodes", "num_nodes")?;
    let size = json::required_str(body, "size", "size")?;
    catalogue().check_layout(engine, num_nodes, size)?;
    let storage_size_mib = json::optional_int(body, "storage_size_mib", "storage_size_mib")?
        .map(|storage| check_storage(size, storage, None))
        .transpose()?;
    let tags = json::optional_str_array(body, "tags", "tags")?.unwrap_or_default();
    for (i, tag) in tags.iter().enumerate() {
        tags::validate_tag_name(tag, &format!("tags[{i}]"))?;
    }
    let private_network_uuid = optional_uuid(
        json::optional_str(body, "private_network_uuid", "private_network_uuid")?,
        "private_network_uuid",
    )?;
    let project_id = optional_uuid(
        json::optional_str(body, "project_id", "project_id")?,
        "project_id",
    )?;
    let autoscale = json::optional_object(body, "autoscale", "autoscale")?
        .map(|autoscale| parse_autoscale(autoscale, "autoscale"))
        .transpose()?;
    let service_cnames = match json::optional_object(body, "do_settings", "do_settings")? {
        Some(settings) => parse_service_cnames(settings, "do_settings")?,
        None => Vec::new(),
    };
    let rules = match json::optional_array(body, "rules", "rules")? {
        Some(items) => firewall::parse_rules(items, "rules")?,
        None => Vec::new(),
    };
    let restore_from = match json::optional_object(body, "backup_restore", "backup_restore")? {
        Some(_) if engine.is_caching() => {
            return Err(ApiError::unprocessable(format!(
                "backup_restore: backups are not supported for Caching or Valkey clusters, so a {} cluster cannot be restored from one",
                engine.slug()
            )));
        }
        Some(restore) => {
            let source =
                json::required_str(restore, "database_name", "backup_restore.database_name")?;
            if let Some(at) = json::optional_str(
                restore,
                "backup_created_at",
                "backup_restore.backup_created_at",
            )? {
                time::OffsetDateTime::parse(at, &time::format_description::well_known::Rfc3339)
                    .map_err(|_| {
                        ApiError::unprocessable(
                            "backup_restore.backup_created_at must be an ISO 8601 date-time",
                        )
                    })?;
            }
            Some(source.to_string())
        }
        None => None,
    };
    Ok(CreateRequest {
        name: name.to_string(),
        engine,
        version,
        region: region.to_string(),
        num_nodes: u32::try_from(num_nodes).expect("layouts only list small node counts"),
        size: size.to_string(),
        storage_size_mib,
        tags,
        private_network_uuid,
        project_id,
        autoscale,
        service_cnames,
        rules,
        restore_from,
    })
}

async fn create(
    State(app): State<Arc<App>>,
    Extension(ctx): Extension<RequestCtx>,
    body: Bytes,
) -> ApiResult<Response> {
    let request = parse_create(&json::parse_object(&body)?)?;
    let real_server = match &app.backing {
        Some(backing) => backing.allocate(request.engine)?,
        None => None,
    };
    let database = app.write(|store| {
        if store.data.clusters.iter().any(|c| {
            c.name == request.name || c.replicas.iter().any(|r| r.name == request.name)
        }) {
            return Err(ApiError::unprocessable(format!(
                "cluster name is not available: a database cluster named {:?} already exists",
                request.name
            )));
        }
        let (status, extra_users, dbs) = match &request.restore_from {
            Some(source_name) => {
                let source = store
                    .data
                    .clusters
                    .iter()
                    .find(|c| &c.name == source_name)
                    .ok_or_else(|| {
                        ApiError::unprocessable(format!(
                            "backup_restore.database_name: no database cluster named {source_name:?}"
                        ))
                    })?;
                if source.engine != request.engine {
                    return Err(ApiError::unprocessable(format!(
                        "backup_restore.database_name: cluster {source_name:?} runs {}, not {}",
                        source.engine.slug(),
                        request.engine.slug()
                    )));
                }
                let users: Vec<DbUser> =
                    source.users.iter().filter(|u| u.role == UserRole::Normal).cloned().collect();
                (ClusterStatus::Forking, users, source.dbs.clone())
            }
            None => (
                ClusterStatus::Creating,
                Vec::new(),
                request.engine.default_db().map(str::to_string).into_iter().collect(),
            ),
        };
        let now = store.now_ms;
        let id = store.ids.uuid();
        let private_network_uuid = match &request.private_network_uuid {
            Some(vpc) => vpc.clone(),
            None => store.default_vpc(&request.region),
        };
        let project_id =
            request.project_id.clone().unwrap_or_else(|| store.data.account.project_id.clone());
        let mut cluster_users =
            vec![users::new_user(request.engine, request.engine.admin_user(), UserRole::Primary, &mut store.ids)];
        cluster_users.extend(extra_users);
        let maintenance = MaintenanceWindow {
            day: DAYS[store.ids.below(7) as usize].to_string(),
            hour: format!("{:02}:{:02}:{:02}", store.ids.below(24), store.ids.below(60), store.ids.below(60)),
            pending: false,
            description: Vec::new(),
        };
        let mut cluster = Cluster {
            id,
            name: request.name.clone(),
            engine: request.engine,
            version: request.version.clone(),
            num_nodes: request.num_nodes,
            size: request.size.clone(),
            region: request.region.clone(),
            created_at: timestamp(now),
            private_network_uuid,
            project_id,
            tags: dedup(&request.tags),
            storage_size_mib: request
                .storage_size_mib
                .unwrap_or_else(|| base_storage_mib(&request.size)),
            status,
            status_since_ms: now,
            settles: true,
            pending: None,
            users: cluster_users,
            dbs,
            pools: Vec::new(),
            topics: Vec::new(),
            firewall_rules: Vec::new(),
            maintenance,
            config: engine_config::initial(request.engine, &mut store.ids),
            autoscale: request.autoscale.clone().unwrap_or_else(default_autoscale),
            service_cnames: request.service_cnames.clone(),
            replicas: Vec::new(),
            log_sinks: Vec::new(),
            online_migration: None,
            events: Vec::new(),
            schema_registry: SchemaRegistry::default(),
            deleted_indexes: Vec::new(),
            real_server,
            server_ready: false,
        };
        cluster.begin(status, now, !ctx.never_settles);
        firewall::replace_rules(&mut cluster, &request.rules, &mut store.ids, now);
        store.register_tags(&request.tags);
        let rendered = render(&cluster, &store.data.account);
        store.data.clusters.push(cluster);
        Ok(rendered)
    })?;
    Ok(json::respond(
        StatusCode::CREATED,
        json!({ "database": database }),
    ))
}

async fn resize(
    State(app): State<Arc<App>>,
    Extension(ctx): Extension<RequestCtx>,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<Response> {
    let body = json::parse_object(&body)?;
    let size = json::required_str(&body, "size", "size")?;
    let num_nodes = json::required_int(&body, "num_nodes", "num_nodes")?;
    let storage = json::optional_int(&body, "storage_size_mib", "storage_size_mib")?;
    app.write(|store| {
        let now = store.now_ms;
        if store.cluster(&id).is_err() {
            // A replica is resized like a cluster of one node, by its own UUID.
            if let Some(resized) = super::ops::replicas::resize(
                store,
                &id,
                size,
                num_nodes,
                storage,
                !ctx.never_settles,
            ) {
                return resized;
            }
        }
        let cluster = store.cluster_mut(&id)?;
        cluster.require_online("resize cluster")?;
        catalogue().check_layout(cluster.engine, num_nodes, size)?;
        let storage_size_mib = match storage {
            Some(storage) => check_storage(size, storage, Some(cluster.storage_size_mib))?,
            // Growing nodes raises the base storage; it never shrinks below what exists.
            None => cluster.storage_size_mib.max(base_storage_mib(size)),
        };
        cluster.pending = Some(PendingChange {
            size: Some(size.to_string()),
            num_nodes: Some(u32::try_from(num_nodes).expect("validated against the layouts")),
            storage_size_mib: Some(storage_size_mib),
            ..PendingChange::default()
        });
        cluster.begin(ClusterStatus::Resizing, now, !ctx.never_settles);
        record_event(cluster, "cluster_update", now);
        Ok(())
    })?;
    Ok(json::empty(StatusCode::ACCEPTED))
}

async fn migrate(
    State(app): State<Arc<App>>,
    Extension(ctx): Extension<RequestCtx>,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<Response> {
    let body = json::parse_object(&body)?;
    let region = json::required_str(&body, "region", "region")?;
    let vpc = optional_uuid(
        json::optional_str(&body, "private_network_uuid", "private_network_uuid")?,
        "private_network_uuid",
    )?;
    app.write(|store| {
        let now = store.now_ms;
        let cluster = store.cluster(&id)?;
        cluster.require_online("migrate cluster")?;
        catalogue().check_region(cluster.engine, region)?;
        if cluster.region == region {
            return Err(ApiError::unprocessable(format!(
                "region: the cluster is already in {region}"
            )));
        }
        let vpc = match vpc {
            Some(vpc) => vpc,
            None => store.default_vpc(region),
        };
        let cluster = store.cluster_mut(&id)?;
        cluster.pending = Some(PendingChange {
            region: Some(region.to_string()),
            private_network_uuid: Some(vpc),
            ..PendingChange::default()
        });
        cluster.begin(ClusterStatus::Migrating, now, !ctx.never_settles);
        record_event(cluster, "cluster_update", now);
        Ok(())
    })?;
    Ok(json::empty(StatusCode::ACCEPTED))
}

async fn upgrade(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<Response> {
    let body = json::parse_object(&body)?;
    let version = json::required_str(&body, "version", "version")?;
    app.write(|store| {
        let now = store.now_ms;
        let cluster = store.cluster_mut(&id)?;
        cluster.require_online("upgrade cluster")?;
        let version = catalogue().check_version(cluster.engine, Some(version))?;
        if compare_versions(&version, &cluster.version).is_le() {
            return Err(ApiError::unprocessable(format!(
                "version: the cluster runs version {}; it can only be upgraded to a newer major version, not {version}",
                cluster.version
            )));
        }
        cluster.version = version;
        record_event(cluster, "cluster_update", now);
        Ok(())
    })?;
    Ok(json::empty(StatusCode::NO_CONTENT))
}

async fn maintenance(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<Response> {
    let body = json::parse_object(&body)?;
    let day = json::required_str(&body, "day", "day")?.to_ascii_lowercase();
    if !DAYS.contains(&day.as_str()) {
        return Err(ApiError::unprocessable(format!(
            "day: {day:?} is not a day of the week; allowed values: {}",
            DAYS.join(", ")
        )));
    }
    let hour = normalize_hour(json::required_str(&body, "hour", "hour")?)?;
    app.write(|store| {
        let cluster = store.cluster_mut(&id)?;
        cluster.maintenance.day = day;
        cluster.maintenance.hour = hour;
        Ok(())
    })?;
    Ok(json::empty(StatusCode::NO_CONTENT))
}

async fn install_update(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    app.write(|store| {
        let now = store.now_ms;
        let cluster = store.cluster_mut(&id)?;
        cluster.maintenance.pending = false;
        cluster.maintenance.description.clear();
        record_event(cluster, "cluster_maintenance_perform", now);
        Ok(())
    })?;
    Ok(json::empty(StatusCode::NO_CONTENT))
}

async fn get_eviction_policy(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let policy = app.read(|store| {
        let cluster = store.cluster(&id)?;
        eviction_policy(cluster).ok_or_else(|| ApiError::unprocessable(caching_only(cluster)))
    })?;
    Ok(json::respond(
        StatusCode::OK,
        json!({ "eviction_policy": policy }),
    ))
}

async fn put_eviction_policy(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<Response> {
    let body = json::parse_object(&body)?;
    let policy = json::required_str(&body, "eviction_policy", "eviction_policy")?;
    if !EVICTION_POLICIES.contains(&policy) {
        return Err(ApiError::unprocessable(format!(
            "eviction_policy: {policy:?} is not a valid policy; allowed values: {}",
            EVICTION_POLICIES.join(", ")
        )));
    }
    app.write(|store| {
        let cluster = store.cluster_mut(&id)?;
        let (key, value) = match cluster.engine {
            // The Caching config spells policies with dashes.
            Engine::Redis => ("redis_maxmemory_policy", policy.replace('_', "-")),
            Engine::Valkey => ("valkey_maxmemory_policy", policy.to_string()),
            _ => return Err(ApiError::unprocessable(caching_only(cluster))),
        };
        cluster.config.insert(key.into(), Value::String(value));
        Ok(())
    })?;
    Ok(json::empty(StatusCode::NO_CONTENT))
}

fn caching_only(cluster: &Cluster) -> String {
    format!(
        "operation is not supported for this cluster type: eviction_policy needs a Caching (redis) or Valkey cluster, not {}",
        cluster.engine.slug()
    )
}

fn mysql_only(cluster: &Cluster) -> String {
    format!(
        "operation is not supported for this cluster type: sql_mode needs a MySQL cluster, not {}",
        cluster.engine.slug()
    )
}

async fn get_sql_mode(State(app): State<Arc<App>>, Path(id): Path<String>) -> ApiResult<Response> {
    let mode = app.read(|store| {
        let cluster = store.cluster(&id)?;
        sql_mode(cluster).ok_or_else(|| ApiError::unprocessable(mysql_only(cluster)))
    })?;
    Ok(json::respond(StatusCode::OK, json!({ "sql_mode": mode })))
}

async fn put_sql_mode(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<Response> {
    let body = json::parse_object(&body)?;
    let mode = match body.get("sql_mode") {
        Some(Value::String(mode)) => mode.clone(),
        Some(Value::Null) | None => return Err(ApiError::unprocessable("sql_mode is required")),
        Some(_) => return Err(ApiError::unprocessable("sql_mode must be a string")),
    };
    if let Some(unknown) = mode
        .split(',')
        .filter(|m| !m.is_empty())
        .find(|m| !SQL_MODES.contains(m))
    {
        return Err(ApiError::unprocessable(format!(
            "sql_mode: {unknown:?} is not a MySQL SQL mode; allowed modes: {}",
            SQL_MODES.join(", ")
        )));
    }
    if mode.starts_with(',') || mode.ends_with(',') || mode.contains(",,") {
        return Err(ApiError::unprocessable(
            "sql_mode must be a comma-separated list of modes without empty entries",
        ));
    }
    app.write(|store| {
        let cluster = store.cluster_mut(&id)?;
        if !cluster.engine.is_mysql() {
            return Err(ApiError::unprocessable(mysql_only(cluster)));
        }
        cluster
            .config
            .insert("sql_mode".into(), Value::String(mode));
        Ok(())
    })?;
    Ok(json::empty(StatusCode::NO_CONTENT))
}

async fn ca(State(app): State<Arc<App>>, Path(id): Path<String>) -> ApiResult<Response> {
    let real = app.read(|store| store.cluster(&id).map(|c| c.real_server.is_some()))?;
    // The API returns the PEM base64-encoded; a real server's is signed by the backing's CA.
    let certificate = match (&app.backing, real) {
        (Some(backing), true) => {
            use base64::Engine as _;
            base64::engine::general_purpose::STANDARD.encode(backing.ca_certificate())
        }
        _ => CA_CERTIFICATE.trim().to_string(),
    };
    Ok(json::respond(
        StatusCode::OK,
        json!({ "ca": { "certificate": certificate } }),
    ))
}

pub fn default_autoscale() -> Value {
    json!({ "storage": { "enabled": false } })
}

/// Validates `database_autoscale_params` and returns it as stored.
fn parse_autoscale(body: &Object, path: &str) -> ApiResult<Value> {
    let Some(storage) = json::optional_object(body, "storage", &format!("{path}.storage"))? else {
        return Ok(default_autoscale());
    };
    let enabled = json::optional_bool(storage, "enabled", &format!("{path}.storage.enabled"))?
        .ok_or_else(|| ApiError::unprocessable(format!("{path}.storage.enabled is required")))?;
    let mut out = Map::new();
    out.insert("enabled".into(), json!(enabled));
    for (field, min, max) in [("threshold_percent", 15, 95), ("increment_gib", 10, 500)] {
        let field_path = format!("{path}.storage.{field}");
        if let Some(value) = json::optional_int(storage, field, &field_path)? {
            if !(min..=max).contains(&value) {
                return Err(ApiError::unprocessable(format!(
                    "{field_path} must be between {min} and {max}, got {value}"
                )));
            }
            out.insert(field.into(), json!(value));
        }
    }
    Ok(json!({ "storage": out }))
}

async fn get_autoscale(State(app): State<Arc<App>>, Path(id): Path<String>) -> ApiResult<Response> {
    let autoscale = app.read(|store| store.cluster(&id).map(|c| c.autoscale.clone()))?;
    Ok(json::respond(
        StatusCode::OK,
        json!({ "autoscale": autoscale }),
    ))
}

async fn put_autoscale(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<Response> {
    let autoscale = parse_autoscale(&json::parse_object(&body)?, "autoscale")?;
    app.write(|store| {
        store.cluster_mut(&id)?.autoscale = autoscale;
        Ok(())
    })?;
    Ok(json::empty(StatusCode::NO_CONTENT))
}

pub fn parse_service_cnames(settings: &Object, path: &str) -> ApiResult<Vec<String>> {
    static CNAME: OnceLock<Regex> = OnceLock::new();
    let cname = CNAME.get_or_init(|| {
        Regex::new(
            r"^[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?(\.[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?)+$",
        )
        .expect("valid CNAME pattern")
    });
    let path = format!("{path}.service_cnames");
    let names = json::optional_str_array(settings, "service_cnames", &path)?.unwrap_or_default();
    if names.len() > 16 {
        return Err(ApiError::unprocessable(format!(
            "{path} allows at most 16 names"
        )));
    }
    for (i, name) in names.iter().enumerate() {
        if name.len() > 253 || !cname.is_match(name) {
            return Err(ApiError::unprocessable(format!(
                "{path}[{i}]: {name:?} is not a valid host name"
            )));
        }
    }
    Ok(names)
}

async fn get_do_settings(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let names = app.read(|store| store.cluster(&id).map(|c| c.service_cnames.clone()))?;
    Ok(json::respond(
        StatusCode::OK,
        json!({ "do_settings": { "service_cnames": names } }),
    ))
}

async fn put_do_settings(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<Response> {
    let body = json::parse_object(&body)?;
    let settings = json::optional_object(&body, "do_settings", "do_settings")?
        .ok_or_else(|| ApiError::unprocessable("do_settings is required"))?;
    let names = parse_service_cnames(settings, "do_settings")?;
    app.write(|store| {
        store.cluster_mut(&id)?.service_cnames = names;
        Ok(())
    })?;
    Ok(json::empty(StatusCode::NO_CONTENT))
}

// ---- validation helpers ---------------------------------------------------------------------

/// Refuses a new Caching (`redis`) cluster from the day the contract says such creates ended
/// (Valkey is its successor); Caching clusters that already exist keep working.
fn refuse_caching_creates(engine: Engine, now_ms: u64) -> ApiResult<()> {
    if engine == Engine::Redis && now_ms >= CACHING_CREATES_ENDED_MS {
        Err(ApiError::unprocessable(
            "Caching cluster creates are no longer supported as of 2025-04-30T00:00:00Z. \
             Create a Valkey cluster (engine \"valkey\") instead.",
        ))
    } else {
        Ok(())
    }
}

/// Cluster names become host names: 3–63 lowercase letters, digits and hyphens, starting with a
/// letter and not ending with a hyphen.
pub fn validate_cluster_name(name: &str) -> ApiResult<()> {
    let valid = (3..=63).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && !name.ends_with('-')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if valid {
        Ok(())
    } else {
        Err(ApiError::unprocessable(format!(
            "name: {name:?} is invalid; a cluster name has 3 to 63 lowercase letters, digits and \
             hyphens, starts with a letter and does not end with a hyphen"
        )))
    }
}

/// Checks `storage_size_mib` against the size's base storage and, on resize, the current one.
pub fn check_storage(size: &str, storage: i64, current: Option<u64>) -> ApiResult<u64> {
    let storage = u64::try_from(storage)
        .map_err(|_| ApiError::unprocessable("storage_size_mib must not be negative"))?;
    if let Some(current) = current.filter(|&current| storage < current) {
        return Err(ApiError::unprocessable(format!(
            "storage_size_mib cannot be decreased: the cluster has {current} MiB, {storage} MiB requested"
        )));
    }
    let base = base_storage_mib(size);
    if storage < base {
        return Err(ApiError::unprocessable(format!(
            "storage_size_mib must be at least {base} MiB for size {size}, got {storage}"
        )));
    }
    Ok(storage)
}

/// An optional UUID field; an empty string counts as absent (the API's "use the default").
pub fn optional_uuid(value: Option<&str>, path: &str) -> ApiResult<Option<String>> {
    match value.filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) if uuid::Uuid::parse_str(v).is_ok() && v.len() == 36 => {
            Ok(Some(v.to_ascii_lowercase()))
        }
        Some(v) => Err(ApiError::unprocessable(format!(
            "{path}: {v:?} is not a UUID"
        ))),
    }
}

/// `14:00` and `14:00:00` are the same hour; the API reports the latter.
fn normalize_hour(hour: &str) -> ApiResult<String> {
    let parts: Vec<&str> = hour.split(':').collect();
    let numbers: Option<Vec<u32>> = parts
        .iter()
        .map(|p| {
            (p.len() == 2 || p.len() == 1)
                .then(|| p.parse().ok())
                .flatten()
        })
        .collect();
    match numbers.as_deref() {
        Some([h, m]) if *h < 24 && *m < 60 => Ok(format!("{h:02}:{m:02}:00")),
        Some([h, m, s]) if *h < 24 && *m < 60 && *s < 60 => Ok(format!("{h:02}:{m:02}:{s:02}")),
        _ => Err(ApiError::unprocessable(format!(
            "hour: {hour:?} is not a time of day in 24-hour HH:MM format"
        ))),
    }
}

pub fn dedup(items: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(items.len());
    for item in items {
        if !out.contains(item) {
            out.push(item.clone());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hours_are_normalised() {
        assert_eq!(normalize_hour("14:00").unwrap(), "14:00:00");
        assert_eq!(normalize_hour("8:45:12").unwrap(), "08:45:12");
        assert!(normalize_hour("24:00").is_err());
        assert!(normalize_hour("12:60").is_err());
        assert!(normalize_hour("noon").is_err());
        assert!(normalize_hour("12:00:00:00").is_err());
    }

    #[test]
    fn cluster_names() {
        assert!(validate_cluster_name("backend-01").is_ok());
        for bad in [
            "ab",
            "Backend",
            "1backend",
            "backend-",
            "back_end",
            &"a".repeat(64),
        ] {
            assert!(validate_cluster_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn storage_rules() {
        assert_eq!(check_storage("db-s-2vcpu-4gb", 61440, None).unwrap(), 61440);
        assert!(check_storage("db-s-2vcpu-4gb", 1024, None)
            .unwrap_err()
            .message
            .contains("at least"));
        assert!(check_storage("db-s-2vcpu-4gb", 61440, Some(71680))
            .unwrap_err()
            .message
            .contains("decreased"));
        assert!(check_storage("db-s-2vcpu-4gb", -1, None).is_err());
    }

    #[test]
    fn autoscale_bounds() {
        let parse = |v: Value| parse_autoscale(v.as_object().unwrap(), "autoscale");
        assert_eq!(parse(json!({})).unwrap(), default_autoscale());
        assert!(parse(
            json!({"storage": {"enabled": true, "threshold_percent": 80, "increment_gib": 10}})
        )
        .is_ok());
        assert!(parse(json!({"storage": {"enabled": true, "threshold_percent": 5}})).is_err());
        assert!(parse(json!({"storage": {"threshold_percent": 50}}))
            .unwrap_err()
            .message
            .contains("enabled"));
    }

    #[test]
    fn caching_creates_end_on_the_contracts_date() {
        assert!(refuse_caching_creates(Engine::Redis, CACHING_CREATES_ENDED_MS - 1).is_ok());
        let err = refuse_caching_creates(Engine::Redis, CACHING_CREATES_ENDED_MS).unwrap_err();
        assert_eq!(err.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(err.message.starts_with(
            "Caching cluster creates are no longer supported as of 2025-04-30T00:00:00Z."
        ));
        assert!(refuse_caching_creates(Engine::Valkey, u64::MAX).is_ok());
    }

    #[test]
    fn uuids() {
        assert_eq!(optional_uuid(Some(""), "x").unwrap(), None);
        assert!(
            optional_uuid(Some("d455e75d-4858-4eec-8c95-da2f0a5f93a7"), "x")
                .unwrap()
                .is_some()
        );
        assert!(optional_uuid(Some("vpc-1"), "x").is_err());
    }
}
