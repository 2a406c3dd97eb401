//! Database users and databases (contract §3.6). Connection pools refer to both, so neither can
//! be removed while a pool uses it.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use base64::Engine as _;
use serde_json::{json, Map, Value};

use super::app::App;
use super::engine::Engine;
use super::error::{ApiError, ApiResult};
use super::json::{self, Object};
use super::pools::require_provisioned;
use super::store::{Cluster, DbUser, Ids, UserRole};

const AUTH_PLUGINS: [&str; 2] = ["mysql_native_password", "caching_sha2_password"];

pub fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/v2/databases/:id/users", get(list_users).post(add_user))
        .route(
            "/v2/databases/:id/users/:name",
            get(show_user).put(update_user).delete(delete_user),
        )
        .route("/v2/databases/:id/users/:name/reset_auth", post(reset_auth))
        .route("/v2/databases/:id/dbs", get(list_dbs).post(add_db))
        .route(
            "/v2/databases/:id/dbs/:name",
            get(show_db).delete(delete_db),
        )
}

/// A new user with a generated password (and, on Kafka, a client certificate and key).
pub fn new_user(engine: Engine, name: &str, role: UserRole, ids: &mut Ids) -> DbUser {
    let pem = |label: &str, ids: &mut Ids| {
        let body = base64::engine::general_purpose::STANDARD.encode(ids.bytes::<96>());
        format!("-----BEGIN {label}-----\n{body}\n-----END {label}-----\n")
    };
    let (access_cert, access_key) = if engine == Engine::Kafka {
        (Some(pem("CERTIFICATE", ids)), Some(pem("PRIVATE KEY", ids)))
    } else {
        (None, None)
    };
    DbUser {
        name: name.to_string(),
        role,
        password: ids.password(),
        mysql_auth_plugin: engine
            .is_mysql()
            .then(|| "caching_sha2_password".to_string()),
        settings: None,
        access_cert,
        access_key,
    }
}

pub fn render_user(user: &DbUser) -> Value {
    let mut out = Map::new();
    out.insert("name".into(), json!(user.name));
    out.insert(
        "role".into(),
        json!(match user.role {
            UserRole::Primary => "primary",
            UserRole::Normal => "normal",
        }),
    );
    out.insert("password".into(), json!(user.password));
    if let Some(plugin) = &user.mysql_auth_plugin {
        out.insert("mysql_settings".into(), json!({ "auth_plugin": plugin }));
    }
    if let Some(cert) = &user.access_cert {
        out.insert("access_cert".into(), json!(cert));
    }
    if let Some(key) = &user.access_key {
        out.insert("access_key".into(), json!(key));
    }
    if let Some(settings) = &user.settings {
        out.insert("settings".into(), settings.clone());
    }
    Value::Object(out)
}

pub fn render_users(cluster: &Cluster) -> Vec<Value> {
    cluster.users.iter().map(render_user).collect()
}

pub fn render_dbs(cluster: &Cluster) -> Vec<Value> {
    cluster
        .dbs
        .iter()
        .map(|name| json!({ "name": name }))
        .collect()
}

fn users_unsupported(cluster: &Cluster) -> String {
    format!(
        "operation is not supported for this cluster type: {} clusters have no database users",
        cluster.engine.slug()
    )
}

fn dbs_unsupported(cluster: &Cluster) -> String {
    format!(
        "operation is not supported for this cluster type: {} clusters have no databases",
        cluster.engine.slug()
    )
}

/// Names of users and databases: 1–63 characters, no whitespace or slashes.
fn check_name(name: &str, path: &str) -> ApiResult<()> {
    if name.chars().count() <= 63 && !name.chars().any(|c| c.is_whitespace() || c == '/') {
        Ok(())
    } else {
        Err(ApiError::unprocessable(format!(
            "{path}: {name:?} is invalid; names have at most 63 characters and no spaces or slashes"
        )))
    }
}

fn parse_auth_plugin(body: &Object, path: &str) -> ApiResult<Option<String>> {
    let Some(settings) = json::optional_object(body, "mysql_settings", path)? else {
        return Ok(None);
    };
    let plugin = json::required_str(settings, "auth_plugin", &format!("{path}.auth_plugin"))?;
    if AUTH_PLUGINS.contains(&plugin) {
        Ok(Some(plugin.to_string()))
    } else {
        Err(ApiError::unprocessable(format!(
            "{path}.auth_plugin: {plugin:?} is not supported; allowed values: {}",
            AUTH_PLUGINS.join(", ")
        )))
    }
}

/// The first `null` in `value` (at `path`), depth first: the contract's `user_settings`
/// declares nothing nullable.
fn find_null(value: &Value, path: &str) -> Option<String> {
    match value {
        Value::Null => Some(path.to_string()),
        Value::Object(fields) => fields
            .iter()
            .find_map(|(key, field)| find_null(field, &format!("{path}.{key}"))),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, item)| find_null(item, &format!("{path}[{i}]"))),
        _ => None,
    }
}

/// Validates `user_settings`: no `null` anywhere (`settings` itself included), and the types
/// and enums of the fields the contract declares. Which engine a setting belongs to is checked
/// against the cluster by [`check_settings_engine`].
fn parse_settings(body: &Object) -> ApiResult<Option<Value>> {
    let settings = match body.get("settings") {
        None => return Ok(None),
        Some(Value::Object(settings)) => settings,
        Some(other) => {
            let problem = if other.is_null() {
                "must not be null"
            } else {
                "must be an object"
            };
            return Err(ApiError::unprocessable(format!("settings {problem}")));
        }
    };
    if let Some(path) = find_null(&Value::Object(settings.clone()), "settings") {
        return Err(ApiError::unprocessable(format!(
            "{path} must not be null; leave the field out instead"
        )));
    }
    json::optional_bool(
        settings,
        "pg_allow_replication",
        "settings.pg_allow_replication",
    )?;
    let enums: [(&str, &str, &[&str]); 2] = [
        (
            "acl",
            "permission",
            &["admin", "consume", "produce", "produceconsume"],
        ),
        (
            "opensearch_acl",
            "permission",
            &["deny", "admin", "read", "readwrite", "write"],
        ),
    ];
    for (list, field, allowed) in enums {
        for (i, entry) in json::optional_array(settings, list, &format!("settings.{list}"))?
            .into_iter()
            .flatten()
            .enumerate()
        {
            let at = format!("settings.{list}[{i}]");
            let Value::Object(entry) = entry else {
                return Err(ApiError::unprocessable(format!("{at} must be an object")));
            };
            if list == "acl" {
                json::required_str(entry, "topic", &format!("{at}.topic"))?;
                json::optional_str(entry, "id", &format!("{at}.id"))?;
            } else {
                json::optional_str(entry, "index", &format!("{at}.index"))?;
            }
            let value = json::required_str(entry, field, &format!("{at}.{field}"))?;
            if !allowed.contains(&value) {
                return Err(ApiError::unprocessable(format!(
                    "{at}.{field}: {value:?} is not allowed; allowed values: {}",
                    allowed.join(", ")
                )));
            }
        }
    }
    if let Some(mongo) = json::optional_object(
        settings,
        "mongo_user_settings",
        "settings.mongo_user_settings",
    )? {
        json::optional_str_array(mongo, "databases", "settings.mongo_user_settings.databases")?;
        if let Some(role) = json::optional_str(mongo, "role", "settings.mongo_user_settings.role")?
        {
            if !["readOnly", "readWrite", "dbAdmin"].contains(&role) {
                return Err(ApiError::unprocessable(format!(
                    "settings.mongo_user_settings.role: {role:?} is not allowed; allowed values: readOnly, readWrite, dbAdmin"
                )));
            }
        }
    }
    Ok(Some(Value::Object(settings.clone())))
}

/// Each setting belongs to one engine (the contract's `user_settings`: "For PostgreSQL
/// clusters", "within a Kafka cluster", "within a OpenSearch cluster", "MongoDB-specific");
/// another engine's setting is refused, not stored and echoed.
fn check_settings_engine(settings: Option<&Value>, engine: Engine) -> ApiResult<()> {
    let Some(Value::Object(settings)) = settings else {
        return Ok(());
    };
    /// A setting, the engine it belongs to, and the test for that engine.
    type Owner = (&'static str, &'static str, fn(Engine) -> bool);
    let owners: [Owner; 4] = [
        ("pg_allow_replication", "PostgreSQL", Engine::is_postgres),
        ("acl", "Kafka", |e| e == Engine::Kafka),
        ("opensearch_acl", "OpenSearch", |e| e == Engine::Opensearch),
        ("mongo_user_settings", "MongoDB", |e| e == Engine::Mongodb),
    ];
    for (field, owner, belongs) in owners {
        if settings.contains_key(field) && !belongs(engine) {
            return Err(ApiError::unprocessable(format!(
                "operation is not supported for this cluster type: settings.{field} applies to {owner} clusters, not {}",
                engine.slug()
            )));
        }
    }
    Ok(())
}

async fn list_users(State(app): State<Arc<App>>, Path(id): Path<String>) -> ApiResult<Response> {
    let users = app.read(|store| store.cluster(&id).map(render_users))?;
    Ok(json::respond(StatusCode::OK, json!({ "users": users })))
}

async fn show_user(
    State(app): State<Arc<App>>,
    Path((id, name)): Path<(String, String)>,
) -> ApiResult<Response> {
    let user = app.read(|store| {
        let cluster = store.cluster(&id)?;
        cluster
            .user(&name)
            .map(render_user)
            .ok_or_else(ApiError::not_found)
    })?;
    Ok(json::respond(StatusCode::OK, json!({ "user": user })))
}

async fn add_user(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<Response> {
    let body = json::parse_object(&body)?;
    let name = json::required_str(&body, "name", "name")?.to_string();
    check_name(&name, "name")?;
    let auth_plugin = parse_auth_plugin(&body, "mysql_settings")?;
    let settings = parse_settings(&body)?;
    json::optional_bool(&body, "readonly", "readonly")?;
    let user = app.write(|store| {
        let super::store::Store { data, ids, .. } = store;
        let cluster = data
            .clusters
            .iter_mut()
            .find(|c| c.id == id)
            .ok_or_else(ApiError::not_found)?;
        if !cluster.engine.supports_users() {
            return Err(ApiError::unprocessable(users_unsupported(cluster)));
        }
        check_settings_engine(settings.as_ref(), cluster.engine)?;
        require_provisioned(cluster, "create user")?;
        if cluster.user(&name).is_some() {
            return Err(ApiError::unprocessable(format!(
                "user name is not available: a user named {name:?} already exists"
            )));
        }
        let mut user = new_user(cluster.engine, &name, UserRole::Normal, ids);
        if cluster.engine.is_mysql() {
            if let Some(plugin) = auth_plugin {
                user.mysql_auth_plugin = Some(plugin);
            }
        }
        user.settings = settings;
        let rendered = render_user(&user);
        cluster.users.push(user);
        Ok(rendered)
    })?;
    Ok(json::respond(StatusCode::CREATED, json!({ "user": user })))
}

async fn update_user(
    State(app): State<Arc<App>>,
    Path((id, name)): Path<(String, String)>,
    body: Bytes,
) -> ApiResult<Response> {
    let body = json::parse_object(&body)?;
    let settings =
        parse_settings(&body)?.ok_or_else(|| ApiError::unprocessable("settings is required"))?;
    let user = app.write(|store| {
        let cluster = store.cluster_mut(&id)?;
        let engine = cluster.engine;
        let user = cluster
            .users
            .iter_mut()
            .find(|u| u.name == name)
            .ok_or_else(ApiError::not_found)?;
        check_settings_engine(Some(&settings), engine)?;
        user.settings = Some(settings);
        Ok(render_user(user))
    })?;
    // The contract documents 201 for this update.
    Ok(json::respond(StatusCode::CREATED, json!({ "user": user })))
}

async fn reset_auth(
    State(app): State<Arc<App>>,
    Path((id, name)): Path<(String, String)>,
    body: Bytes,
) -> ApiResult<Response> {
    let body = json::parse_object(&body)?;
    let auth_plugin = parse_auth_plugin(&body, "mysql_settings")?;
    let user = app.write(|store| {
        let super::store::Store { data, ids, .. } = store;
        let cluster = data
            .clusters
            .iter_mut()
            .find(|c| c.id == id)
            .ok_or_else(ApiError::not_found)?;
        let is_mysql = cluster.engine.is_mysql();
        let user = cluster
            .users
            .iter_mut()
            .find(|u| u.name == name)
            .ok_or_else(ApiError::not_found)?;
        user.password = ids.password();
        if let (true, Some(plugin)) = (is_mysql, auth_plugin) {
            user.mysql_auth_plugin = Some(plugin);
        }
        Ok(render_user(user))
    })?;
    Ok(json::respond(StatusCode::OK, json!({ "user": user })))
}

async fn delete_user(
    State(app): State<Arc<App>>,
    Path((id, name)): Path<(String, String)>,
) -> ApiResult<Response> {
    app.write(|store| {
        let cluster = store.cluster_mut(&id)?;
        let user = cluster.user(&name).ok_or_else(ApiError::not_found)?;
        if user.role == UserRole::Primary {
            return Err(ApiError::unprocessable(format!(
                "user {name:?} is the cluster's primary user and cannot be removed"
            )));
        }
        if let Some(pool) = cluster
            .pools
            .iter()
            .find(|p| p.user.as_deref() == Some(name.as_str()))
        {
            return Err(ApiError::unprocessable(format!(
                "user {name:?} is used by connection pool {:?}",
                pool.name
            )));
        }
        cluster.users.retain(|u| u.name != name);
        Ok(())
    })?;
    Ok(json::empty(StatusCode::NO_CONTENT))
}

async fn list_dbs(State(app): State<Arc<App>>, Path(id): Path<String>) -> ApiResult<Response> {
    let dbs = app.read(|store| {
        let cluster = store.cluster(&id)?;
        if !cluster.engine.supports_dbs() {
            return Err(ApiError::unprocessable(dbs_unsupported(cluster)));
        }
        Ok(render_dbs(cluster))
    })?;
    Ok(json::respond(StatusCode::OK, json!({ "dbs": dbs })))
}

async fn show_db(
    State(app): State<Arc<App>>,
    Path((id, name)): Path<(String, String)>,
) -> ApiResult<Response> {
    app.read(|store| {
        let cluster = store.cluster(&id)?;
        cluster
            .dbs
            .contains(&name)
            .then_some(())
            .ok_or_else(ApiError::not_found)
    })?;
    Ok(json::respond(
        StatusCode::OK,
        json!({ "db": { "name": name } }),
    ))
}

async fn add_db(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<Response> {
    let body = json::parse_object(&body)?;
    let name = json::required_str(&body, "name", "name")?.to_string();
    check_name(&name, "name")?;
    app.write(|store| {
        let cluster = store.cluster_mut(&id)?;
        if !cluster.engine.supports_dbs() {
            return Err(ApiError::unprocessable(dbs_unsupported(cluster)));
        }
        require_provisioned(cluster, "create database")?;
        if cluster.dbs.contains(&name) {
            return Err(ApiError::unprocessable(format!(
                "database name is not available: a database named {name:?} already exists"
            )));
        }
        cluster.dbs.push(name.clone());
        Ok(())
    })?;
    Ok(json::respond(
        StatusCode::CREATED,
        json!({ "db": { "name": name } }),
    ))
}

async fn delete_db(
    State(app): State<Arc<App>>,
    Path((id, name)): Path<(String, String)>,
) -> ApiResult<Response> {
    app.write(|store| {
        let cluster = store.cluster_mut(&id)?;
        if !cluster.dbs.contains(&name) {
            return Err(ApiError::not_found());
        }
        if let Some(pool) = cluster.pools.iter().find(|p| p.db == name) {
            return Err(ApiError::unprocessable(format!(
                "database {name:?} is used by connection pool {:?}",
                pool.name
            )));
        }
        cluster.dbs.retain(|db| db != &name);
        Ok(())
    })?;
    Ok(json::empty(StatusCode::NO_CONTENT))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mock::store::Store;

    #[test]
    fn kafka_users_get_client_credentials_and_mysql_users_a_plugin() {
        let mut store = Store::new(Some(9));
        let kafka = new_user(Engine::Kafka, "app", UserRole::Normal, &mut store.ids);
        assert!(kafka
            .access_cert
            .as_deref()
            .unwrap()
            .starts_with("-----BEGIN CERTIFICATE-----"));
        assert!(kafka.mysql_auth_plugin.is_none());
        let mysql = new_user(Engine::Mysql, "app", UserRole::Normal, &mut store.ids);
        assert_eq!(
            mysql.mysql_auth_plugin.as_deref(),
            Some("caching_sha2_password")
        );
        let rendered = render_user(&mysql);
        assert_eq!(
            rendered["mysql_settings"]["auth_plugin"],
            "caching_sha2_password"
        );
        assert_eq!(rendered["role"], "normal");
    }

    #[test]
    fn settings_enums_are_checked() {
        let parse = |v: Value| parse_settings(v.as_object().unwrap());
        assert!(
            parse(json!({"settings": {"acl": [{"topic": ".*", "permission": "admin"}]}})).is_ok()
        );
        let err = parse(json!({"settings": {"acl": [{"topic": ".*", "permission": "root"}]}}))
            .unwrap_err();
        assert!(err.message.contains("settings.acl[0].permission"));
        assert!(parse(json!({"settings": {"mongo_user_settings": {"role": "root"}}})).is_err());
        assert_eq!(parse(json!({})).unwrap(), None);
    }

    #[test]
    fn nulls_in_settings_are_refused_with_their_path() {
        let parse = |v: Value| parse_settings(v.as_object().unwrap());
        for (body, path) in [
            (json!({"settings": null}), "settings must not be null"),
            (
                json!({"settings": {"pg_allow_replication": null}}),
                "settings.pg_allow_replication must not be null",
            ),
            (
                json!({"settings": {"acl": [{"topic": ".*", "permission": "admin", "id": null}]}}),
                "settings.acl[0].id must not be null",
            ),
            (
                json!({"settings": {"mongo_user_settings": {"databases": ["a", null]}}}),
                "settings.mongo_user_settings.databases[1] must not be null",
            ),
        ] {
            let err = parse(body).unwrap_err();
            assert_eq!(err.status, StatusCode::UNPROCESSABLE_ENTITY);
            assert!(err.message.starts_with(path), "{}", err.message);
        }
        assert!(
            parse(json!({"settings": {"acl": [{"permission": "admin"}]}}))
                .unwrap_err()
                .message
                .contains("settings.acl[0].topic")
        );
    }

    #[test]
    fn settings_belong_to_their_engine() {
        let settings = |v: Value| Some(v);
        for (value, owner) in [
            (json!({"pg_allow_replication": true}), Engine::Pg),
            (json!({"acl": []}), Engine::Kafka),
            (json!({"opensearch_acl": []}), Engine::Opensearch),
            (json!({"mongo_user_settings": {}}), Engine::Mongodb),
        ] {
            assert!(check_settings_engine(settings(value.clone()).as_ref(), owner).is_ok());
            let err = check_settings_engine(settings(value).as_ref(), Engine::Mysql).unwrap_err();
            assert!(err
                .message
                .starts_with("operation is not supported for this cluster type"));
        }
        assert!(check_settings_engine(
            settings(json!({"pg_allow_replication": true})).as_ref(),
            Engine::AdvancedPg
        )
        .is_ok());
        assert!(check_settings_engine(None, Engine::Mysql).is_ok());
    }
}
